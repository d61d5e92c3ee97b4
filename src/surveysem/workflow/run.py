"""Glue for ``workflow/scripts``: run one step with clear errors and a log.

A step that raises :class:`SurveySemError` prints one line and exits 1; Snakemake then
removes the step's outputs, so nothing half-written is left that looks complete.
"""

from __future__ import annotations

import logging
import sys
from typing import Callable

from surveysem.errors import SurveySemError


def run_script(step: Callable, smk) -> None:
    """Call ``step(smk)``; turn user errors into one line and exit status 1."""
    log_path = None
    try:
        log_path = smk.log[0] if len(smk.log) else None
    except (AttributeError, TypeError):
        log_path = None
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_path:
        handlers.append(logging.FileHandler(log_path, mode="w", encoding="utf-8"))
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    formatter = logging.Formatter("%(asctime)s %(name)s: %(message)s")
    root.handlers = []
    for handler in handlers:
        handler.setFormatter(formatter)
        root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        step(smk)
    except SurveySemError as err:
        line = f"surveysem: error: {err.one_line()}"
        logging.getLogger("surveysem").error(line)
        sys.exit(1)
    finally:
        # Leave logging as it was (matters when steps run in-process, as in the tests).
        for handler in handlers:
            handler.close()
        root.handlers, root.level = saved
