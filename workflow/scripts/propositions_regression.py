"""Every model of one P1-P3 style hypothesis."""

from surveysem.propositions.steps import regression
from surveysem.workflow.run import run_step

run_step(regression, snakemake)  # noqa: F821 (injected by Snakemake)
