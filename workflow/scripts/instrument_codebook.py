"""Write the codebook (CSV, HTML) and the printable questionnaire."""

from surveysem.instrument.codebook import write_codebook
from surveysem.workflow.run import run_script


def step(smk):
    write_codebook(
        smk.params.scales_dir,
        smk.output.codebook,
        smk.output.codebook_html,
        smk.output.questionnaire,
        smk.params.title,
    )


run_script(step, snakemake)  # noqa: F821 (injected by Snakemake)
