# The instrument stage: codebook and printable questionnaire from scales/.


rule instrument_codebook:
    input:
        scales=SCALE_FILES,
    output:
        codebook=report(
            F("codebook_csv"),
            category="Instrument",
            caption="../report/results_instrument.rst",
        ),
        codebook_html=report(
            F("codebook_html"),
            category="Instrument",
            caption="../report/codebook.rst",
        ),
        questionnaire=report(
            F("questionnaire_html"),
            category="Instrument",
            caption="../report/questionnaire.rst",
        ),
    params:
        **rule_params("instrument_codebook"),
    log:
        "logs/instrument/codebook.log",
    conda:
        "../envs/surveysem.yaml"
    script:
        "../scripts/instrument_codebook.py"


DEFAULT_TARGETS.extend(rules.instrument_codebook.output)
