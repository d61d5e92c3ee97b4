"""HTMT and HTMT2 with seeded bootstrap CIs (log-scale standard intervals)."""

from surveysem.measurement.steps import htmt
from surveysem.workflow.run import run_step

run_step(htmt, snakemake)  # noqa: F821 (injected by Snakemake)
