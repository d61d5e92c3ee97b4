"""Propositions stage step 'p4_fit' (see surveysem.propositions.stage.smk_p4_fit)."""

from surveysem.propositions.stage import smk_p4_fit
from surveysem.workflow.run import run_script

run_script(smk_p4_fit, snakemake)  # noqa: F821 (injected by Snakemake)
