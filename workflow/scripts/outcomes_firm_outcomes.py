"""Spread, diversification, intensity and typology group of every retained respondent."""

from surveysem.outcomes.steps import firm_outcomes
from surveysem.workflow.run import run_step

run_step(firm_outcomes, snakemake)  # noqa: F821 (injected by Snakemake)
