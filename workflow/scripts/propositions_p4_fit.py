"""Propositions stage step 'p4_fit' (see surveysem.propositions.smk_p4_fit)."""

from surveysem.propositions import smk_p4_fit
from surveysem.workflow import run_script

run_script(smk_p4_fit, snakemake)  # noqa: F821 (injected by Snakemake)
