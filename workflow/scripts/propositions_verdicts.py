"""The verdicts of every proposition and sub-hypothesis, and the stage's tables."""

from surveysem.propositions.steps import verdicts
from surveysem.workflow.run import run_step

run_step(verdicts, snakemake)  # noqa: F821 (injected by Snakemake)
