"""Verdict per scale and every warning of the measurement stage."""

from surveysem.measurement.stage import step_config, verdicts_step
from surveysem.workflow.run import run_script


def step(smk):
    cfg = step_config(smk.params.measurement, smk.params.seed, smk.params.missing)
    verdicts_step(dict(smk.input.items()), smk.input.ingest, smk.params.scales_dir, cfg, dict(smk.output.items()))


run_script(step, snakemake)  # noqa: F821 (injected by Snakemake)
