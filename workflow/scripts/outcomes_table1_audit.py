"""Recompute the outcome columns of Yang & Stoian's (2024) Table 1 and compare."""

from surveysem.outcomes.table1 import write_table1_audit
from surveysem.workflow.run import run_script


def step(smk):
    write_table1_audit(
        smk.input.table1,
        smk.input.markets,
        smk.input.regions,
        smk.output.audit,
        smk.output.regions,
        home_country=smk.params.home_country,
        spread_decimals=smk.params.spread_decimals,
    )


run_script(step, snakemake)  # noqa: F821 (injected by Snakemake)
