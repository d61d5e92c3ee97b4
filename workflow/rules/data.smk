# The data stage: survey export -> validated table -> screening -> analysis table.


rule ingest:
    # Reads the raw export (never modifies it), drops identifying columns, validates
    # against the instrument. On invalid data (data.on_invalid: error) it stops with one line.
    input:
        survey=config["data"]["survey"],
        scales=scale_files(),
    output:
        validated="results/clean/validated.csv",
        ingest=report(
            "results/clean/ingest.json",
            category="Data",
            caption="../report/results_data.rst",
        ),
        missingness=report(
            "results/clean/missingness.csv",
            category="Data",
            caption="../report/results_data.rst",
        ),
        invalid_rows=report(
            "results/clean/invalid_rows.csv",
            category="Data",
            caption="../report/results_data.rst",
        ),
    params:
        code=SURVEYSEM_CODE,
        scales_dir=scales_dir_of_input,
    log:
        "logs/ingest.log",
    conda:
        "../envs/surveysem.yaml"
    script:
        "../scripts/data_ingest.py"


rule screen:
    # Screening rules of the `screening:` config section, then reverse-keying.
    input:
        validated="results/clean/validated.csv",
        ingest="results/clean/ingest.json",
        scales=scale_files(),
    output:
        exclusions=report(
            "results/screening/exclusions.csv",
            category="Data",
            caption="../report/results_data.rst",
        ),
        flow=report(
            "results/screening/flow.csv",
            category="Data",
            caption="../report/results_data.rst",
        ),
        report=report(
            "results/screening/screening.json",
            category="Data",
            caption="../report/results_data.rst",
        ),
        analysis="results/clean/analysis.csv",
    params:
        code=SURVEYSEM_CODE,
        scales_dir=scales_dir_of_input,
    log:
        "logs/screen.log",
    conda:
        "../envs/surveysem.yaml"
    script:
        "../scripts/data_screen.py"


DEFAULT_TARGETS.extend(rules.ingest.output)
DEFAULT_TARGETS.extend(rules.screen.output)
