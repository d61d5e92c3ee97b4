"""Propositions stage step 'regression' (see surveysem.propositions.stage.smk_regression)."""

from surveysem.propositions.stage import smk_regression
from surveysem.workflow.run import run_script

run_script(smk_regression, snakemake)  # noqa: F821 (injected by Snakemake)
