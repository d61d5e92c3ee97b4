"""One (N, chunk) job of the power study."""

from surveysem.power.steps import chunk
from surveysem.workflow.run import run_step

run_step(chunk, snakemake)  # noqa: F821 (injected by Snakemake)
