"""One chunk of the P4 percentile bootstrap."""

from surveysem.propositions.steps import bootstrap_chunk
from surveysem.workflow.run import run_step

run_step(bootstrap_chunk, snakemake)  # noqa: F821 (injected by Snakemake)
