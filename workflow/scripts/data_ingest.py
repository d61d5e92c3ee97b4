"""Read, de-identify and validate the survey export (results/clean/validated.csv ...)."""

from surveysem.data.ingest import ingest_step
from surveysem.workflow.run import run_script

run_script(ingest_step, snakemake)  # noqa: F821 (injected by Snakemake)
