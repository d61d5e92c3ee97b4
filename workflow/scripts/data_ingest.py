"""Read, de-identify and validate the survey export (results/clean/validated.csv ...)."""

from surveysem.ingest import ingest_step
from surveysem.workflow import run_script

run_script(ingest_step, snakemake)  # noqa: F821 (injected by Snakemake)
