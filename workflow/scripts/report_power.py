"""The power study's page, reports/power.html."""

from surveysem.report.steps import power
from surveysem.workflow.run import run_step

run_step(power, snakemake)  # noqa: F821 (injected by Snakemake)
