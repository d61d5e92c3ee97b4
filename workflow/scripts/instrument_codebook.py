"""Write the codebook (CSV, HTML) and the printable questionnaire."""

from surveysem.instrument.steps import codebook
from surveysem.workflow.run import run_step

run_step(codebook, snakemake)  # noqa: F821 (injected by Snakemake)
