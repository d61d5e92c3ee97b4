"""Propositions stage step 'bootstrap_chunk' (see surveysem.propositions.stage.smk_bootstrap_chunk)."""

from surveysem.propositions.stage import smk_bootstrap_chunk
from surveysem.workflow.run import run_script

run_script(smk_bootstrap_chunk, snakemake)  # noqa: F821 (injected by Snakemake)
