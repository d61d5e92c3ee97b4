"""Propositions stage step 'regression' (see surveysem.propositions.smk_regression)."""

from surveysem.propositions import smk_regression
from surveysem.workflow import run_script

run_script(smk_regression, snakemake)  # noqa: F821 (injected by Snakemake)
