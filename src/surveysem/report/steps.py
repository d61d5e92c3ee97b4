"""Steps of the report stage (``workflow/rules/report.smk``).

``report_pages`` (:func:`pages`): the self-contained HTML pages under ``reports/`` and every APA
table as CSV under ``results/tables/``. A page reads results only; a result file this workflow
does not produce makes its sections say "not computed"; the pre-registration lock, when it exists
(input ``preregistration_lock``), gives the overview its deviations. The step receives plain values:
``inputs`` and ``outputs`` (name -> path) and ``config``, the whole config (the provenance page
prints it).
"""

from __future__ import annotations

import logging
from pathlib import Path

from surveysem.instrument.analysed import load_analysed
from surveysem.preregistration.lock import read_lock
from surveysem.report.pages import Context, build_report
from surveysem.stage_files import REPORT_FILES

log = logging.getLogger(__name__)


def pages(inputs: dict, outputs: dict, config: dict) -> None:
    """Write every page and table."""
    files = {key: str(inputs[key]) for key in REPORT_FILES if key in inputs}
    missing = [key for key in REPORT_FILES if key not in inputs]
    if missing:
        log.info("not produced by this workflow (pages say 'not computed'): %s", ", ".join(missing))
    lock_file = inputs.get("preregistration_lock")
    ctx = Context(files=files, config=config, config_path=None,
                  instrument=load_analysed(inputs["scales"], config.get("scales")), root=".",
                  preregistration=read_lock(lock_file) if lock_file else None,
                  preregistration_file=str(lock_file or ""))
    written = build_report(ctx, Path(outputs["index"]).parent, outputs["tables"])
    log.info("report done: %d files written", len(written))


def power(inputs: dict, outputs: dict, config: dict) -> None:
    """The power study's page, ``reports/power.html`` (rule ``report_power``)."""
    from surveysem import io as sio
    from surveysem.report.pages.power import power_page

    results = {name: sio.read_csv(inputs[name]) for name in ("monte_carlo", "power", "sample_size", "rmsea_power",
                                                                  "verdicts", "calibration")}
    html, tables = power_page(results, config)
    sio.write_text(outputs["html"], html)
    log.info("power page done: %d tables", len(tables))
