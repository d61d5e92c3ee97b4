"""Read the survey export (never modified), drop identifying columns, validate against the instrument."""

from surveysem.data.steps import ingest
from surveysem.workflow.run import run_step

run_step(ingest, snakemake)  # noqa: F821 (injected by Snakemake)
