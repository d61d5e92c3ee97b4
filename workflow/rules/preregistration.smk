# The pre-registration: `snakemake preregistration` writes results/preregistration.md and
# reports/preregistration.html from the config and the instrument. A target of its own, not of
# the default pipeline. It shows the power study's tables when `snakemake power` has written
# them; it never asks for them, so it never starts the power study (when they exist they are
# inputs: a newer power study reruns the document).


def preregistration_inputs(wildcards):
    inputs = {"scales": SCALE_FILES, "questionnaire": F("questionnaire_html")}
    for key, power_file in POWER_FILES.items():
        if os.path.exists(power_file):
            inputs[key] = power_file
    return inputs


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
