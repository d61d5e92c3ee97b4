"""The CFA of all scales by WLSMV (items as ordered) beside the ML / MLR CFA (measurement.ordinal_check)."""

from surveysem.measurement.steps import ordinal
from surveysem.workflow.run import run_step

run_step(ordinal, snakemake)  # noqa: F821 (injected by Snakemake)
