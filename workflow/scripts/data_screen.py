"""Screen respondents and write the analysis table (reverse-keyed items reversed once)."""

from surveysem.data.ingest import screen_step
from surveysem.workflow.run import run_script

run_script(screen_step, snakemake)  # noqa: F821 (injected by Snakemake)
