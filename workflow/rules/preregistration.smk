# The pre-registration: `snakemake preregistration` writes results/preregistration.md and
# reports/preregistration.html from the config and the instrument. A target of its own, not of
# the default pipeline. It shows the power study's tables when `snakemake power` has written
# them; it never asks for them, so it never starts the power study (preregistration_inputs in
# common.smk: when they exist they are inputs, and a newer power study reruns the document).


rule preregistration_document:
    input:
        unpack(preregistration_inputs),
    output:
        markdown=F("preregistration_md"),
        html=F("preregistration_html"),
    params:
        **rule_params("preregistration_document"),
    log:
        "logs/preregistration/document.log",
    conda:
        "../envs/surveysem.yaml"
    script:
        "../scripts/preregistration_document.py"


rule preregistration:
    input:
        rules.preregistration_document.output,
