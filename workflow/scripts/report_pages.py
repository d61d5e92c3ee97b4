"""The HTML report pages and the APA tables as CSV."""

from surveysem.report.steps import pages
from surveysem.workflow.run import run_step

run_step(pages, snakemake)  # noqa: F821 (injected by Snakemake)
