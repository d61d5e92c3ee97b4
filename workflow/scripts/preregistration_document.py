"""The pre-registration document (Markdown and HTML)."""

from surveysem.preregistration.steps import document
from surveysem.workflow.run import run_step

run_step(document, snakemake)  # noqa: F821 (injected by Snakemake)
