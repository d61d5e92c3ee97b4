"""Write the HTML report pages (reports/*.html) and the APA tables as CSV (results/tables/)."""

import logging
from pathlib import Path

from surveysem.instrument.scales import load_instrument
from surveysem.report.pages import RESULT_FILES, Context, build_report
from surveysem.workflow.run import run_script


def step(smk):
    log = logging.getLogger("surveysem.report")
    files = dict(RESULT_FILES)
    files.update({k: str(v) for k, v in smk.input.items() if k in RESULT_FILES})
    missing = [k for k in RESULT_FILES if k not in smk.input.keys()]
    if missing:
        log.info("not produced by this workflow (pages say 'not computed'): %s", ", ".join(missing))
    ctx = Context(
        files=files,
        config=dict(smk.params.config),
        config_path=smk.params.configfiles[-1],
        instrument=load_instrument(smk.params.scales_dir),
        root=".",
    )
    written = build_report(ctx, Path(smk.output.index).parent, smk.output.tables)
    log.info("report done: %d files written", len(written))


run_script(step, snakemake)  # noqa: F821 (injected by Snakemake)
