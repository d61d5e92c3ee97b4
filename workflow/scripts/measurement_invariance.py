"""Measurement invariance (configural, metric, scalar) across the configured grouping variable."""

from surveysem.measurement.stage import invariance_step, step_config
from surveysem.workflow.run import run_script


def step(smk):
    cfg = step_config(smk.params.measurement, smk.params.seed, smk.params.missing)
    invariance_step(smk.input.analysis, smk.input.ingest, smk.input.outcomes, smk.params.scales_dir, cfg,
                    dict(smk.output.items()))


run_script(step, snakemake)  # noqa: F821 (injected by Snakemake)
