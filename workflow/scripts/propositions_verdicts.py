"""Propositions stage step 'verdicts' (see surveysem.propositions.stage.smk_verdicts)."""

from surveysem.propositions.stage import smk_verdicts
from surveysem.workflow.run import run_script

run_script(smk_verdicts, snakemake)  # noqa: F821 (injected by Snakemake)
