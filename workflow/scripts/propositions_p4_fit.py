"""The P4 structural equation models (a), (b), (c)."""

from surveysem.propositions.steps import p4_fit
from surveysem.workflow.run import run_step

run_step(p4_fit, snakemake)  # noqa: F821 (injected by Snakemake)
