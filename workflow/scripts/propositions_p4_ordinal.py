"""The P4 sensitivity model: the P4 models with the capability items ordered (WLSMV)."""

from surveysem.propositions.steps import p4_ordinal
from surveysem.workflow.run import run_step

run_step(p4_ordinal, snakemake)  # noqa: F821 (injected by Snakemake)
