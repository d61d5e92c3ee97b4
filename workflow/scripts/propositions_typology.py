"""Propositions stage step 'typology' (see surveysem.propositions.smk_typology)."""

from surveysem.propositions import smk_typology
from surveysem.workflow import run_script

run_script(smk_typology, snakemake)  # noqa: F821 (injected by Snakemake)
