"""Propositions stage step 'verdicts' (see surveysem.propositions.smk_verdicts)."""

from surveysem.propositions import smk_verdicts
from surveysem.workflow import run_script

run_script(smk_verdicts, snakemake)  # noqa: F821 (injected by Snakemake)
