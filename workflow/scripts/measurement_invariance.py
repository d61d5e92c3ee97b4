"""Configural, metric and scalar invariance across measurement.invariance_group."""

from surveysem.measurement.steps import invariance
from surveysem.workflow.run import run_step

run_step(invariance, snakemake)  # noqa: F821 (injected by Snakemake)
