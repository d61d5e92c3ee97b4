"""Glue for ``workflow/scripts``: run one step with plain values, clear errors and a log.

A script is two lines: ``run_step(steps.cfa, snakemake)``. The step receives
``(inputs, outputs, config, **wildcards)``: name -> path mappings, the config keys its rule
declares (rebuilt from the params, :func:`surveysem.workflow.params.config_from_params`) and the
wildcards; never the Snakemake object. A step that raises :class:`SurveySemError` prints one
line and exits 1; Snakemake then removes the step's outputs, so nothing half-written is left
that looks complete.
"""

from __future__ import annotations

import logging
import sys
from typing import Callable

from surveysem.errors import RedactingFilter, SurveySemError
from surveysem.workflow.params import config_from_params


def plain_files(named) -> dict:
    """Snakemake's named input or output as ``{name: path}`` (a list for a list of files)."""
    return {name: (str(value) if isinstance(value, str) else [str(v) for v in value])
            for name, value in named.items()}


def run_step(step: Callable, smk) -> None:
    """Call ``step`` with the plain values of the Snakemake job ``smk``."""
    inputs, outputs = plain_files(smk.input), plain_files(smk.output)
    config = config_from_params(dict(smk.params.items()))
    wildcards = dict(smk.wildcards.items())
    log_path = smk.log[0] if len(smk.log) else None
    run_logged(lambda: step(inputs, outputs, config, **wildcards), log_path)


def run_logged(call: Callable[[], object], log_path: str | None = None) -> None:
    """Run ``call`` with logging to stderr (and ``log_path``); user errors become one line and
    exit status 1."""
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_path:
        handlers.append(logging.FileHandler(log_path, mode="w", encoding="utf-8"))
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    formatter = logging.Formatter("%(asctime)s %(name)s: %(message)s")
    root.handlers = []
    for handler in handlers:
        handler.setFormatter(formatter)
        handler.addFilter(RedactingFilter())  # no log line prints an e-mail, phone number or IP address
        root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        call()
    except SurveySemError as err:
        line = f"surveysem: error: {err.one_line()}"
        logging.getLogger("surveysem").error(line)
        sys.exit(1)
    finally:
        # Leave logging as it was (matters when steps run in-process, as in the tests).
        for handler in handlers:
            handler.close()
        root.handlers, root.level = saved
