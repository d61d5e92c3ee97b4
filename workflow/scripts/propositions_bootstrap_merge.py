"""Propositions stage step 'bootstrap_merge' (see surveysem.propositions.smk_bootstrap_merge)."""

from surveysem.propositions import smk_bootstrap_merge
from surveysem.workflow import run_script

run_script(smk_bootstrap_merge, snakemake)  # noqa: F821 (injected by Snakemake)
