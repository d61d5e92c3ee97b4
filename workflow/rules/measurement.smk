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
        reliability="results/measurement/reliability.csv",
        item_stats="results/measurement/item_stats.csv",
        efa="results/measurement/efa.json",
        kmo="results/measurement/kmo.csv",
    params:
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
    input:
        analysis="results/clean/analysis.csv",
        ingest="results/clean/ingest.json",
        scales=scale_files(),
    output:
        cfa_fit="results/measurement/cfa_fit.json",
        loadings="results/measurement/loadings.csv",
        validity="results/measurement/validity.csv",
        fornell_larcker="results/measurement/fornell_larcker.csv",
        cmv="results/measurement/cmv.json",
        scale_scores="results/scores/scale_scores.csv",
    params:
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
        htmt="results/measurement/htmt.csv",
        json="results/measurement/htmt.json",
    params:
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
        invariance="results/measurement/invariance.csv",
        json="results/measurement/invariance.json",
    params:
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
        verdicts="results/measurement/verdicts.csv",
        warnings="results/measurement/warnings.json",
    params:
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
