# The outcomes stage: the Table 1 audit (paper data only) and the outcomes of every respondent.


rule table1_audit:
    # Only Table 1 and the region table: editing a capability scale must not rerun it.
    input:
        table1=config["outcomes"]["table1"],
        markets=config["outcomes"]["table1_markets"],
        regions=os.path.join(SCALES_DIR, "regions.csv"),
    output:
        audit=report(
            "results/outcomes/table1_audit.csv",
            category="Outcomes",
            caption="../report/results_outcomes.rst",
        ),
        regions=report(
            "results/outcomes/table1_regions.csv",
            category="Outcomes",
            caption="../report/results_outcomes.rst",
        ),
    params:
        code=SURVEYSEM_CODE,
        home_country=config["outcomes"]["home_country"],
        spread_decimals=config["outcomes"]["spread_decimals"],
    log:
        "logs/outcomes/table1_audit.log",
    conda:
        "../envs/surveysem.yaml"
    script:
        "../scripts/outcomes_table1_audit.py"


rule firm_outcomes:
    # First among the ready jobs: it unlocks the bootstrap chunks, the longest jobs.
    priority: 2
    input:
        analysis="results/clean/analysis.csv",
        ingest="results/clean/ingest.json",
        scales=scale_files(),
    output:
        csv="results/outcomes/firm_outcomes.csv",
        json=report(
            "results/outcomes/firm_outcomes.json",
            category="Outcomes",
            caption="../report/results_outcomes.rst",
        ),
    params:
        code=SURVEYSEM_CODE,
        scales_dir=scales_dir_of_input,
        survey_year=config["study"]["survey_year"],
        home_country=config["outcomes"]["home_country"],
    log:
        "logs/outcomes/firm_outcomes.log",
    conda:
        "../envs/surveysem.yaml"
    script:
        "../scripts/outcomes_firm_outcomes.py"


DEFAULT_TARGETS.extend(rules.table1_audit.output)
DEFAULT_TARGETS.extend(rules.firm_outcomes.output)
