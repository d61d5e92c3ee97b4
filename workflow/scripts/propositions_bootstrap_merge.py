"""Propositions stage step 'bootstrap_merge' (see surveysem.propositions.stage.smk_bootstrap_merge)."""

from surveysem.propositions.stage import smk_bootstrap_merge
from surveysem.workflow.run import run_script

run_script(smk_bootstrap_merge, snakemake)  # noqa: F821 (injected by Snakemake)
