# The measurement stage: reliability, EFA, CFA, validity, common-method variance, invariance,
# verdicts per scale and scale scores. Four independent rules (they run in parallel with --cores 2),
# then the verdicts rule that gathers their results and warnings.


rule measurement_reliability:
    # Alpha (Feldt CI), standardized alpha, omega, item statistics; KMO, Bartlett, parallel
    # analysis and EFA of the capability items.
    input:
        analysis=F("analysis"),
        ingest=F("ingest"),
        scales=SCALE_FILES,
    output:
        reliability=report(
            F("reliability"),
            category="Measurement",
            caption="../report/results_measurement.rst",
        ),
        item_stats=report(
            F("item_stats"),
            category="Measurement",
            caption="../report/results_measurement.rst",
        ),
        efa=report(
            F("efa"),
            category="Measurement",
            caption="../report/results_measurement.rst",
        ),
        kmo=report(
            F("kmo"),
            category="Measurement",
            caption="../report/results_measurement.rst",
        ),
    params:
        **rule_params("measurement_reliability"),
    log:
        "logs/measurement/reliability.log",
    conda:
        "../envs/surveysem.yaml"
    script:
        "../scripts/measurement_reliability.py"


rule measurement_cfa:
    # CFA of all constructs (SEM engine; FIML when data.missing is fiml), CR/AVE, Fornell-Larcker,
    # common-method variance (Harman, marker, common latent factor, full-collinearity VIF), scores,
    # the largest modification indices (ML on complete data only). The longest measurement job:
    # first among the ready ones.
    priority: 3
    input:
        analysis=F("analysis"),
        ingest=F("ingest"),
        scales=SCALE_FILES,
    output:
        cfa_fit=report(
            F("cfa_fit"),
            category="Measurement",
            caption="../report/results_measurement.rst",
        ),
        loadings=report(
            F("loadings"),
            category="Measurement",
            caption="../report/results_measurement.rst",
        ),
        validity=report(
            F("validity"),
            category="Measurement",
            caption="../report/results_measurement.rst",
        ),
        fornell_larcker=report(
            F("fornell_larcker"),
            category="Measurement",
            caption="../report/results_measurement.rst",
        ),
        cmv=report(
            F("cmv"),
            category="Measurement",
            caption="../report/results_measurement.rst",
        ),
        cfa_modindices=report(
            F("cfa_modindices"),
            category="Measurement",
            caption="../report/results_measurement.rst",
        ),
        scale_scores=F("scale_scores"),
    params:
        **rule_params("measurement_cfa"),
    log:
        "logs/measurement/cfa.log",
    conda:
        "../envs/surveysem.yaml"
    script:
        "../scripts/measurement_cfa.py"


rule measurement_htmt:
    # HTMT and HTMT2 with seeded percentile-bootstrap CIs (measurement.htmt_bootstrap_B).
    input:
        analysis=F("analysis"),
        ingest=F("ingest"),
        scales=SCALE_FILES,
    output:
        htmt=report(
            F("htmt"),
            category="Measurement",
            caption="../report/results_measurement.rst",
        ),
        json=report(
            F("htmt_json"),
            category="Measurement",
            caption="../report/results_measurement.rst",
        ),
    params:
        **rule_params("measurement_htmt"),
    log:
        "logs/measurement/htmt.log",
    conda:
        "../envs/surveysem.yaml"
    script:
        "../scripts/measurement_htmt.py"


rule measurement_invariance:
    # Configural / metric / scalar invariance across measurement.invariance_group, and the
    # partial-invariance search where a level fails.
    input:
        analysis=F("analysis"),
        ingest=F("ingest"),
        scales=SCALE_FILES,
        outcomes=F("firm_outcomes"),
    output:
        invariance=report(
            F("invariance"),
            category="Measurement",
            caption="../report/results_measurement.rst",
        ),
        partial_invariance=report(
            F("partial_invariance"),
            category="Measurement",
            caption="../report/results_measurement.rst",
        ),
        json=report(
            F("invariance_json"),
            category="Measurement",
            caption="../report/results_measurement.rst",
        ),
    params:
        **rule_params("measurement_invariance"),
    log:
        "logs/measurement/invariance.log",
    conda:
        "../envs/surveysem.yaml"
    script:
        "../scripts/measurement_invariance.py"


rule measurement_dropped:
    # The refinement record: each item config scales: drops, with its loading and its construct's
    # CR / AVE in a CFA of the scales as fielded (runs beside the stage's CFA).
    input:
        analysis=F("analysis"),
        scales=SCALE_FILES,
    output:
        dropped=report(
            F("dropped_items"),
            category="Measurement",
            caption="../report/results_measurement.rst",
        ),
    params:
        **rule_params("measurement_dropped"),
    log:
        "logs/measurement/dropped.log",
    conda:
        "../envs/surveysem.yaml"
    script:
        "../scripts/measurement_dropped.py"


rule measurement_verdicts:
    # Pass / warn / fail per scale with reasons and item suggestions; the refinement assistant's
    # candidate items with the config scales: lines that would drop them; all warnings of the stage.
    input:
        ingest=F("ingest"),
        scales=SCALE_FILES,
        reliability=F("reliability"),
        item_stats=F("item_stats"),
        efa=F("efa"),
        cfa_fit=F("cfa_fit"),
        cfa_modindices=F("cfa_modindices"),
        loadings=F("loadings"),
        validity=F("validity"),
        cmv=F("cmv"),
        htmt=F("htmt"),
        htmt_json=F("htmt_json"),
        invariance_json=F("invariance_json"),
    output:
        verdicts=report(
            F("measurement_verdicts"),
            category="Measurement",
            caption="../report/results_measurement.rst",
        ),
        refinement=report(
            F("refinement"),
            category="Measurement",
            caption="../report/results_measurement.rst",
        ),
        warnings=report(
            F("measurement_warnings"),
            category="Measurement",
            caption="../report/results_measurement.rst",
        ),
    params:
        **rule_params("measurement_verdicts"),
    log:
        "logs/measurement/verdicts.log",
    conda:
        "../envs/surveysem.yaml"
    script:
        "../scripts/measurement_verdicts.py"


rule measurement_ordinal:
    # measurement.ordinal_check: the CFA of all scales a second time by WLSMV with the items as
    # ordered, beside the ML / MLR CFA's loadings, fit and CR (ordinal omega). A rule of its own,
    # a target only when the switch is on: the default pipeline does not pay for it.
    input:
        analysis=F("analysis"),
        ingest=F("ingest"),
        scales=SCALE_FILES,
        cfa_fit=F("cfa_fit"),
        loadings=F("loadings"),
        validity=F("validity"),
    output:
        ordinal_check=report(
            F("ordinal_check"),
            category="Measurement",
            caption="../report/results_measurement.rst",
        ),
    params:
        **rule_params("measurement_ordinal"),
    log:
        "logs/measurement/ordinal.log",
    conda:
        "../envs/surveysem.yaml"
    script:
        "../scripts/measurement_ordinal.py"


if config["measurement"]["ordinal_check"]:
    DEFAULT_TARGETS.extend(rules.measurement_ordinal.output)


for _rule in (
    rules.measurement_reliability,
    rules.measurement_cfa,
    rules.measurement_htmt,
    rules.measurement_invariance,
    rules.measurement_dropped,
    rules.measurement_verdicts,
):
    DEFAULT_TARGETS.extend(_rule.output)
