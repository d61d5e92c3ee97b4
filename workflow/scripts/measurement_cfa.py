"""CFA of all constructs, CR/AVE, Fornell-Larcker, common-method variance and scale scores."""

from surveysem.measurement.steps import cfa
from surveysem.workflow.run import run_step

run_step(cfa, snakemake)  # noqa: F821 (injected by Snakemake)
