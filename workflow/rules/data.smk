# The data stage: survey export -> validated table -> screening -> analysis table.


rule data_ingest:
    # Reads the raw export (never modifies it), drops identifying columns, validates
    # against the instrument. On invalid data (data.on_invalid: error) it stops with one line.
    input:
        survey=config["data"]["survey"],
        scales=SCALE_FILES,
    output:
        validated=F("validated"),
        ingest=report(
            F("ingest"), category="Data", caption="../report/results_data.rst"
        ),
        missingness=report(
            F("missingness"), category="Data", caption="../report/results_data.rst"
        ),
        invalid_rows=report(
            F("invalid_rows"), category="Data", caption="../report/results_data.rst"
        ),
    params:
        **rule_params("data_ingest"),
    log:
        "logs/data/ingest.log",
    conda:
        "../envs/surveysem.yaml"
    script:
        "../scripts/data_ingest.py"


rule data_screen:
    # Screening rules of the `screening:` config section, then reverse-keying.
    input:
        validated=F("validated"),
        ingest=F("ingest"),
        scales=SCALE_FILES,
    output:
        exclusions=report(
            F("exclusions"), category="Data", caption="../report/results_data.rst"
        ),
        flow=report(F("flow"), category="Data", caption="../report/results_data.rst"),
        report=report(
            F("screening"), category="Data", caption="../report/results_data.rst"
        ),
        analysis=F("analysis"),
    params:
        **rule_params("data_screen"),
    log:
        "logs/data/screen.log",
    conda:
        "../envs/surveysem.yaml"
    script:
        "../scripts/data_screen.py"


DEFAULT_TARGETS.extend(rules.data_ingest.output)
DEFAULT_TARGETS.extend(rules.data_screen.output)
