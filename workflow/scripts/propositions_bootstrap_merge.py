"""Percentile-bootstrap CIs of the P4 model from its chunks."""

from surveysem.propositions.steps import bootstrap_merge
from surveysem.workflow.run import run_step

run_step(bootstrap_merge, snakemake)  # noqa: F821 (injected by Snakemake)
