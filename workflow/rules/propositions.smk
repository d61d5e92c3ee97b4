# The propositions stage: Propositions 1-3 as regressions, the typology test, Proposition 4 as an SEM
# with a chunked bootstrap, and the verdicts. Hypotheses come from the config key `hypotheses:`.
from surveysem.propositions.settings import workflow_hypotheses

PROP_IDS, PROP_SEM, PROP_LATENT = workflow_hypotheses(config, SCALES_DIR)
PROP_CHUNKS = list(range(int(config["bootstrap"]["chunks"])))
# Every P1-P4 job reads the items and the analysed scales (instrument + config scales:): the
# composites of the regressions are item means computed in the job, so a scale edit reruns only
# the hypotheses using that scale, not every regression after the CFA.
PROP_INPUT = {
    "analysis": F("analysis"),
    "outcomes": F("firm_outcomes"),
    "ingest": F("ingest"),
    "scales": SCALE_FILES,
}
PROP_HYP_RE = "|".join(PROP_IDS) if PROP_IDS else "(?!)"
PROP_LATENT_RE = "|".join(PROP_LATENT) if PROP_LATENT else "(?!)"


rule propositions_regression:
    # One P1-P3 style hypothesis: primary model, checks, controls-only and interaction models.
    input:
        **PROP_INPUT,
    output:
        json=F("regression", hyp="{hyp}"),
    wildcard_constraints:
        hyp=PROP_HYP_RE,
    params:
        **rule_params("propositions_regression", "hyp", PROP_IDS),
    log:
        "logs/propositions/regression_{hyp}.log",
    conda:
        "../envs/surveysem.yaml"
    script:
        "../scripts/propositions_regression.py"


rule propositions_latent:
    # One P1-P3 style hypothesis with latent capabilities (hypotheses[*].estimator: sam | sem).
    input:
        **PROP_INPUT,
    output:
        json=F("latent", hyp="{hyp}"),
    wildcard_constraints:
        hyp=PROP_LATENT_RE,
    params:
        **rule_params("propositions_latent", "hyp", PROP_LATENT),
    log:
        "logs/propositions/latent_{hyp}.log",
    conda:
        "../envs/surveysem.yaml"
    script:
        "../scripts/propositions_latent.py"


rule propositions_typology:
    # Do P1's capabilities matter more in Group 1, P2's in Group 2, P3's in Group 3?
    input:
        **PROP_INPUT,
    output:
        json=report(
            F("typology_json"),
            category="Propositions",
            caption="../report/results_propositions.rst",
        ),
        csv=report(
            F("typology_csv"),
            category="Propositions",
            caption="../report/results_propositions.rst",
        ),
    params:
        **rule_params("propositions_typology"),
    log:
        "logs/propositions/typology.log",
    conda:
        "../envs/surveysem.yaml"
    script:
        "../scripts/propositions_typology.py"


rule propositions_p4_fit:
    # P4 models (a) correlated processes, (b) process chain, (c) first-order capabilities -> growth.
    input:
        **PROP_INPUT,
    output:
        json=report(
            F("p4_models"),
            category="Propositions",
            subcategory="P4",
            caption="../report/results_p4.rst",
        ),
        paths=report(
            F("p4_paths"),
            category="Propositions",
            subcategory="P4",
            caption="../report/results_p4.rst",
        ),
    params:
        **rule_params("propositions_p4_fit", sem=PROP_SEM),
    log:
        "logs/propositions/p4_fit.log",
    conda:
        "../envs/surveysem.yaml"
    script:
        "../scripts/propositions_p4_fit.py"


rule propositions_p4_ordinal:
    # Sensitivity model (p4.ordinal_check: true): the P4 models again with the capability items
    # ordered, WLSMV. Requested only with the switch on (DEFAULT_TARGETS, report_inputs).
    input:
        **PROP_INPUT,
    output:
        csv=report(
            F("p4_ordinal"),
            category="Propositions",
            subcategory="P4",
            caption="../report/results_p4.rst",
        ),
    params:
        **rule_params("propositions_p4_ordinal", sem=PROP_SEM),
    log:
        "logs/propositions/p4_ordinal.log",
    conda:
        "../envs/surveysem.yaml"
    script:
        "../scripts/propositions_p4_ordinal.py"


rule propositions_bootstrap_chunk:
    # Resamples chunk*B/chunks .. (chunk+1)*B/chunks - 1; each resample has its own seed.
    # Started before the shorter jobs, which then fill the other cores around them.
    priority: 1
    input:
        **PROP_INPUT,
    output:
        csv=F("bootstrap_chunk", chunk="{chunk}"),
    wildcard_constraints:
        chunk=r"\d+",
    params:
        **rule_params("propositions_bootstrap_chunk", sem=PROP_SEM),
    log:
        "logs/propositions/bootstrap_chunk_{chunk}.log",
    conda:
        "../envs/surveysem.yaml"
    script:
        "../scripts/propositions_bootstrap_chunk.py"


rule propositions_bootstrap_merge:
    input:
        **PROP_INPUT,
        chunks=expand(F("bootstrap_chunk", chunk="{chunk}"), chunk=PROP_CHUNKS),
    output:
        csv=report(
            F("p4_bootstrap"),
            category="Propositions",
            subcategory="P4",
            caption="../report/results_p4.rst",
        ),
    params:
        **rule_params("propositions_bootstrap_merge", sem=PROP_SEM),
    log:
        "logs/propositions/bootstrap_merge.log",
    conda:
        "../envs/surveysem.yaml"
    script:
        "../scripts/propositions_bootstrap_merge.py"


rule propositions_verdicts:
    input:
        unpack(verdict_inputs),
    output:
        csv=report(
            F("verdicts"),
            category="Propositions",
            caption="../report/results_propositions.rst",
        ),
        json=report(
            F("verdicts_json"),
            category="Propositions",
            caption="../report/results_propositions.rst",
        ),
        coefficients=report(
            F("coefficients"),
            category="Propositions",
            caption="../report/results_propositions.rst",
        ),
        fits=report(
            F("fits"),
            category="Propositions",
            caption="../report/results_propositions.rst",
        ),
        subhypotheses=report(
            F("subhypotheses"),
            category="Propositions",
            caption="../report/results_propositions.rst",
        ),
        vif=report(
            F("vif"),
            category="Propositions",
            caption="../report/results_propositions.rst",
        ),
        latent_coefficients=report(
            F("latent_coefficients"),
            category="Propositions",
            caption="../report/results_propositions.rst",
        ),
        latent_fits=report(
            F("latent_fits"),
            category="Propositions",
            caption="../report/results_propositions.rst",
        ),
    params:
        **rule_params("propositions_verdicts"),
    log:
        "logs/propositions/verdicts.log",
    conda:
        "../envs/surveysem.yaml"
    script:
        "../scripts/propositions_verdicts.py"


DEFAULT_TARGETS.extend(rules.propositions_verdicts.output)
DEFAULT_TARGETS.extend(rules.propositions_typology.output)
if PROP_SEM:
    DEFAULT_TARGETS.extend(rules.propositions_p4_fit.output)
    DEFAULT_TARGETS.append(F("p4_bootstrap"))
    if config["p4"]["ordinal_check"]:
        DEFAULT_TARGETS.extend(rules.propositions_p4_ordinal.output)
