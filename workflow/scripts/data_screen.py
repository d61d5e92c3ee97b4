"""Screen respondents and write the analysis table (reverse-keyed items reversed once)."""

from surveysem.data.steps import screen
from surveysem.workflow.run import run_step

run_step(screen, snakemake)  # noqa: F821 (injected by Snakemake)
