"""A verdict per scale and every warning of the measurement stage."""

from surveysem.measurement.steps import verdicts
from surveysem.workflow.run import run_step

run_step(verdicts, snakemake)  # noqa: F821 (injected by Snakemake)
