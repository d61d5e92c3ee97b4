"""Reliability per scale; KMO, Bartlett, parallel analysis and EFA of the capability items."""

from surveysem.measurement.steps import reliability
from surveysem.workflow.run import run_step

run_step(reliability, snakemake)  # noqa: F821 (injected by Snakemake)
