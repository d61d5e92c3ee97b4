"""Spread, diversification, intensity and typology group of every retained respondent."""

from surveysem.outcomes.firms import write_firm_outcomes
from surveysem.workflow.run import run_script


def step(smk):
    write_firm_outcomes(
        smk.input.analysis,
        smk.params.scales_dir,
        smk.params.survey_year,
        smk.output.csv,
        smk.output.json,
        ingest_path=smk.input.ingest,
        home_country=smk.params.home_country,
    )


run_script(step, snakemake)  # noqa: F821 (injected by Snakemake)
