"""Capability x typology-group interaction tests."""

from surveysem.propositions.steps import typology
from surveysem.workflow.run import run_step

run_step(typology, snakemake)  # noqa: F821 (injected by Snakemake)
