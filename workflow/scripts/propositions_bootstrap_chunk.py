"""Propositions stage step 'bootstrap_chunk' (see surveysem.propositions.smk_bootstrap_chunk)."""

from surveysem.propositions import smk_bootstrap_chunk
from surveysem.workflow import run_script

run_script(smk_bootstrap_chunk, snakemake)  # noqa: F821 (injected by Snakemake)
