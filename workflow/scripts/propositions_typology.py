"""Propositions stage step 'typology' (see surveysem.propositions.stage.smk_typology)."""

from surveysem.propositions.stage import smk_typology
from surveysem.workflow.run import run_script

run_script(smk_typology, snakemake)  # noqa: F821 (injected by Snakemake)
