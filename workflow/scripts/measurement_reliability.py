"""Reliability per scale and item-pool diagnostics (EFA) of the capability items."""

from surveysem.measurement.stage import reliability_step, step_config
from surveysem.workflow.run import run_script


def step(smk):
    cfg = step_config(smk.params.measurement, smk.params.seed, smk.params.missing)
    reliability_step(smk.input.analysis, smk.input.ingest, smk.params.scales_dir, cfg, dict(smk.output.items()))


run_script(step, snakemake)  # noqa: F821 (injected by Snakemake)
