"""Recompute the outcome columns of Yang & Stoian's (2024) Table 1 and compare."""

from surveysem.outcomes.steps import table1_audit
from surveysem.workflow.run import run_step

run_step(table1_audit, snakemake)  # noqa: F821 (injected by Snakemake)
