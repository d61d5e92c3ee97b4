# The instrument stage: codebook and printable questionnaire from scales/.


rule codebook:
    input:
        scales=scale_files(),
    output:
        codebook=report(
            "results/codebook.csv",
            category="Instrument",
            caption="../report/results_instrument.rst",
        ),
        codebook_html=report(
            "reports/codebook.html",
            category="Instrument",
            caption="../report/codebook.rst",
        ),
        questionnaire=report(
            "reports/questionnaire.html",
            category="Instrument",
            caption="../report/questionnaire.rst",
        ),
    params:
        code=SURVEYSEM_CODE,
        scales_dir=scales_dir_of_input,
        title=config["study"]["title"],
    log:
        "logs/codebook.log",
    conda:
        "../envs/surveysem.yaml"
    script:
        "../scripts/instrument_codebook.py"


DEFAULT_TARGETS.extend(rules.codebook.output)
