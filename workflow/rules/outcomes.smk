# The outcomes stage: the Table 1 audit (paper data only) and the outcomes of every respondent.


rule outcomes_table1_audit:
    # Only Table 1 and the region table: editing a capability scale must not rerun it.
    input:
        table1=config["outcomes"]["table1"],
        markets=config["outcomes"]["table1_markets"],
        regions=os.path.join(SCALES_DIR, "regions.csv"),
    output:
        audit=report(
            F("table1_audit"),
            category="Outcomes",
            caption="../report/results_outcomes.rst",
        ),
        regions=report(
            F("table1_regions"),
            category="Outcomes",
            caption="../report/results_outcomes.rst",
        ),
    params:
        **rule_params("outcomes_table1_audit"),
    log:
        "logs/outcomes/table1_audit.log",
    conda:
        "../envs/surveysem.yaml"
    script:
        "../scripts/outcomes_table1_audit.py"


rule outcomes_firm_outcomes:
    # First among the ready jobs: it unlocks the bootstrap chunks, the longest jobs.
    priority: 2
    input:
        analysis=F("analysis"),
        ingest=F("ingest"),
        scales=SCALE_FILES,
    output:
        csv=F("firm_outcomes"),
        json=report(
            F("firm_outcomes_json"),
            category="Outcomes",
            caption="../report/results_outcomes.rst",
        ),
    params:
        **rule_params("outcomes_firm_outcomes"),
    log:
        "logs/outcomes/firm_outcomes.log",
    conda:
        "../envs/surveysem.yaml"
    script:
        "../scripts/outcomes_firm_outcomes.py"


DEFAULT_TARGETS.extend(rules.outcomes_table1_audit.output)
DEFAULT_TARGETS.extend(rules.outcomes_firm_outcomes.output)
