# The measurement stage: reliability, EFA, CFA, validity, common-method variance, invariance,
# verdicts per scale and scale scores. Four independent rules (they run in parallel with --cores 2),
# then the verdicts rule that gathers their results and warnings. Params carry only the config
# slices the stage reads, so editing another section does not rerun it.


rule measurement_reliability:
    # Alpha (Feldt CI), standardized alpha, omega, item statistics; KMO, Bartlett, parallel
    # analysis and EFA of the capability items.
    input:
        analysis="results/clean/analysis.csv",
        ingest="results/clean/ingest.json",
        scales=scale_files(),
    output:
        reliability=report(
            "results/measurement/reliability.csv",
            category="Measurement",
            caption="../report/results_measurement.rst",
        ),
        item_stats=report(
            "results/measurement/item_stats.csv",
            category="Measurement",
            caption="../report/results_measurement.rst",
        ),
        efa=report(
            "results/measurement/efa.json",
            category="Measurement",
            caption="../report/results_measurement.rst",
        ),
        kmo=report(
            "results/measurement/kmo.csv",
            category="Measurement",
            caption="../report/results_measurement.rst",
        ),
    params:
        code=SURVEYSEM_CODE,
        scales_dir=scales_dir_of_input,
        measurement=config["measurement"],
        seed=config["study"]["seed"],
        missing=config["data"]["missing"],
    log:
        "logs/measurement/reliability.log",
    conda:
        "../envs/surveysem.yaml"
    script:
        "../scripts/measurement_reliability.py"


rule measurement_cfa:
    # CFA of all constructs (SEM engine; FIML when data.missing is fiml), CR/AVE, Fornell-Larcker,
    # common-method variance (Harman, marker, common latent factor, full-collinearity VIF), scores.
    # First among the ready jobs: the scale scores it writes start the regressions.
    priority: 3
    input:
        analysis="results/clean/analysis.csv",
        ingest="results/clean/ingest.json",
        scales=scale_files(),
    output:
        cfa_fit=report(
            "results/measurement/cfa_fit.json",
            category="Measurement",
            caption="../report/results_measurement.rst",
        ),
        loadings=report(
            "results/measurement/loadings.csv",
            category="Measurement",
            caption="../report/results_measurement.rst",
        ),
        validity=report(
            "results/measurement/validity.csv",
            category="Measurement",
            caption="../report/results_measurement.rst",
        ),
        fornell_larcker=report(
            "results/measurement/fornell_larcker.csv",
            category="Measurement",
            caption="../report/results_measurement.rst",
        ),
        cmv=report(
            "results/measurement/cmv.json",
            category="Measurement",
            caption="../report/results_measurement.rst",
        ),
        scale_scores="results/scores/scale_scores.csv",
    params:
        code=SURVEYSEM_CODE,
        scales_dir=scales_dir_of_input,
        measurement=config["measurement"],
        seed=config["study"]["seed"],
        missing=config["data"]["missing"],
    log:
        "logs/measurement/cfa.log",
    conda:
        "../envs/surveysem.yaml"
    script:
        "../scripts/measurement_cfa.py"


rule measurement_htmt:
    # HTMT and HTMT2 with seeded percentile-bootstrap CIs (measurement.htmt_bootstrap_B).
    input:
        analysis="results/clean/analysis.csv",
        ingest="results/clean/ingest.json",
        scales=scale_files(),
    output:
        htmt=report(
            "results/measurement/htmt.csv",
            category="Measurement",
            caption="../report/results_measurement.rst",
        ),
        json=report(
            "results/measurement/htmt.json",
            category="Measurement",
            caption="../report/results_measurement.rst",
        ),
    params:
        code=SURVEYSEM_CODE,
        scales_dir=scales_dir_of_input,
        measurement=config["measurement"],
        seed=config["study"]["seed"],
        missing=config["data"]["missing"],
    log:
        "logs/measurement/htmt.log",
    conda:
        "../envs/surveysem.yaml"
    script:
        "../scripts/measurement_htmt.py"


rule measurement_invariance:
    # Configural / metric / scalar invariance across measurement.invariance_group.
    input:
        analysis="results/clean/analysis.csv",
        ingest="results/clean/ingest.json",
        outcomes="results/outcomes/firm_outcomes.csv",
        scales=scale_files(),
    output:
        invariance=report(
            "results/measurement/invariance.csv",
            category="Measurement",
            caption="../report/results_measurement.rst",
        ),
        json=report(
            "results/measurement/invariance.json",
            category="Measurement",
            caption="../report/results_measurement.rst",
        ),
    params:
        code=SURVEYSEM_CODE,
        scales_dir=scales_dir_of_input,
        measurement=config["measurement"],
        seed=config["study"]["seed"],
        missing=config["data"]["missing"],
    log:
        "logs/measurement/invariance.log",
    conda:
        "../envs/surveysem.yaml"
    script:
        "../scripts/measurement_invariance.py"


rule measurement_verdicts:
    # Pass / warn / fail per scale with reasons and item suggestions; all warnings of the stage.
    input:
        ingest="results/clean/ingest.json",
        scales=scale_files(),
        reliability=rules.measurement_reliability.output.reliability,
        item_stats=rules.measurement_reliability.output.item_stats,
        efa=rules.measurement_reliability.output.efa,
        cfa_fit=rules.measurement_cfa.output.cfa_fit,
        loadings=rules.measurement_cfa.output.loadings,
        validity=rules.measurement_cfa.output.validity,
        cmv=rules.measurement_cfa.output.cmv,
        htmt=rules.measurement_htmt.output.htmt,
        htmt_json=rules.measurement_htmt.output.json,
        invariance_json=rules.measurement_invariance.output.json,
    output:
        verdicts=report(
            "results/measurement/verdicts.csv",
            category="Measurement",
            caption="../report/results_measurement.rst",
        ),
        warnings=report(
            "results/measurement/warnings.json",
            category="Measurement",
            caption="../report/results_measurement.rst",
        ),
    params:
        code=SURVEYSEM_CODE,
        scales_dir=scales_dir_of_input,
        measurement=config["measurement"],
        seed=config["study"]["seed"],
        missing=config["data"]["missing"],
    log:
        "logs/measurement/verdicts.log",
    conda:
        "../envs/surveysem.yaml"
    script:
        "../scripts/measurement_verdicts.py"


DEFAULT_TARGETS.extend(rules.measurement_reliability.output)
DEFAULT_TARGETS.extend(rules.measurement_cfa.output)
DEFAULT_TARGETS.extend(rules.measurement_htmt.output)
DEFAULT_TARGETS.extend(rules.measurement_invariance.output)
DEFAULT_TARGETS.extend(rules.measurement_verdicts.output)
