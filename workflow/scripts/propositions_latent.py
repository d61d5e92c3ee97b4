"""The latent-capability models of one P1-P3 style hypothesis."""

from surveysem.propositions.steps import latent
from surveysem.workflow.run import run_step

run_step(latent, snakemake)  # noqa: F821 (injected by Snakemake)
