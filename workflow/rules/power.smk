# The power stage (`snakemake power`, not part of the default target): Monte Carlo studies drawn
# from the simulate: population, judged by the pipeline's estimators and verdict rule, split into
# (N x chunk) jobs whose replications have their own seeds (results identical for any split).
from surveysem.power.settings import workflow_power

workflow_power(config, SCALES_DIR)
POWER_SIZES = [int(n) for n in config["power"]["sizes"]]
POWER_CHUNKS = list(range(int(config["power"]["chunks"])))
POWER_CHUNK_FILES = expand(
    F("power_chunk", n="{n}", chunk="{chunk}"), n=POWER_SIZES, chunk=POWER_CHUNKS
)


rule power_chunk:
    # Replications chunk*R/chunks .. (chunk+1)*R/chunks - 1 at N = n; one log line per replication.
    input:
        scales=SCALE_FILES,
    output:
        csv=F("power_chunk", n="{n}", chunk="{chunk}"),
    wildcard_constraints:
        n=r"\d+",
        chunk=r"\d+",
    params:
        **rule_params("power_chunk"),
    log:
        "logs/power/chunk_n{n}_c{chunk}.log",
    conda:
        "../envs/surveysem.yaml"
    script:
        "../scripts/power_chunk.py"


rule power_summary:
    input:
        scales=SCALE_FILES,
        chunks=POWER_CHUNK_FILES,
    output:
        monte_carlo=F("power_monte_carlo"),
        power=F("power_table"),
        sample_size=F("power_sample_size"),
        rmsea_power=F("power_rmsea"),
        verdicts=F("power_verdicts"),
        calibration=F("power_calibration"),
    params:
        **rule_params("power_summary"),
    log:
        "logs/power/summary.log",
    conda:
        "../envs/surveysem.yaml"
    script:
        "../scripts/power_summary.py"


rule report_power:
    input:
        monte_carlo=F("power_monte_carlo"),
        power=F("power_table"),
        sample_size=F("power_sample_size"),
        rmsea_power=F("power_rmsea"),
        verdicts=F("power_verdicts"),
        calibration=F("power_calibration"),
    output:
        html=F("power_html"),
    params:
        **rule_params("report_power"),
    log:
        "logs/report/power.log",
    conda:
        "../envs/surveysem.yaml"
    script:
        "../scripts/report_power.py"


# `snakemake power`: the power study and its page (rule all does not build them).
rule power:
    input:
        rules.report_power.output,
