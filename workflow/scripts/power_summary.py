"""The power study's tables from its chunks."""

from surveysem.power.steps import summary
from surveysem.workflow.run import run_step

run_step(summary, snakemake)  # noqa: F821 (injected by Snakemake)
