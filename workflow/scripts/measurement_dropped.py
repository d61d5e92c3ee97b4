"""The refinement record: the items config scales: drops, with their weight in the scales as fielded."""

from surveysem.measurement.steps import dropped
from surveysem.workflow.run import run_step

run_step(dropped, snakemake)  # noqa: F821 (injected by Snakemake)
