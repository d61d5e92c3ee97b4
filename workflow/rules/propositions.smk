# The propositions stage: Propositions 1-3 as regressions, the typology test, Proposition 4 as an SEM
# with a chunked bootstrap, and the verdicts. Hypotheses come from the config key `hypotheses:`.
from surveysem.propositions.settings import (
    stage_config,
    verdict_inputs,
    workflow_hypotheses,
)

PROP_IDS, PROP_HAS_SEM = workflow_hypotheses(config, SCALES_DIR)
PROP_CFG = stage_config(config)
PROP_CHUNKS = list(range(int(PROP_CFG["bootstrap"]["chunks"])))
PROP_INPUT = {
    "scores": "results/scores/scale_scores.csv",
    "outcomes": "results/outcomes/firm_outcomes.csv",
    "ingest": "results/clean/ingest.json",
}
PROP_P4_INPUT = {
    "analysis": "results/clean/analysis.csv",
    "outcomes": "results/outcomes/firm_outcomes.csv",
    "ingest": "results/clean/ingest.json",
}
PROP_HYP_RE = "|".join(PROP_IDS) if PROP_IDS else "(?!)"


rule propositions_regression:
    # One P1-P3 style hypothesis: primary model, checks, controls-only and interaction models.
    input:
        **PROP_INPUT,
    output:
        json="results/propositions/regression/{hyp}.json",
    wildcard_constraints:
        hyp=PROP_HYP_RE,
    params:
        code=SURVEYSEM_CODE,
        cfg={k: PROP_CFG[k] for k in ("hypotheses", "verdict_rule", "p4", "data")},
    log:
        "logs/propositions/regression_{hyp}.log",
    conda:
        "../envs/surveysem.yaml"
    script:
        "../scripts/propositions_regression.py"


rule propositions_typology:
    # Do P1's capabilities matter more in Group 1, P2's in Group 2, P3's in Group 3?
    input:
        **PROP_INPUT,
    output:
        json=report(
            "results/propositions/typology.json",
            category="Propositions",
            caption="../report/results_propositions.rst",
        ),
        csv=report(
            "results/propositions/typology.csv",
            category="Propositions",
            caption="../report/results_propositions.rst",
        ),
    params:
        code=SURVEYSEM_CODE,
        cfg={k: PROP_CFG[k] for k in ("hypotheses", "verdict_rule", "p4", "data")},
    log:
        "logs/propositions/typology.log",
    conda:
        "../envs/surveysem.yaml"
    script:
        "../scripts/propositions_typology.py"


rule p4_fit:
    # P4 models (a) correlated processes, (b) process chain, (c) first-order capabilities -> growth.
    input:
        **PROP_P4_INPUT,
        scales=scale_files(),
    output:
        json=report(
            "results/propositions/p4_models.json",
            category="Propositions",
            subcategory="P4",
            caption="../report/results_p4.rst",
        ),
        paths=report(
            "results/propositions/p4_paths.csv",
            category="Propositions",
            subcategory="P4",
            caption="../report/results_p4.rst",
        ),
    params:
        code=SURVEYSEM_CODE,
        cfg={k: PROP_CFG[k] for k in ("hypotheses", "p4", "data")},
        scales_dir=scales_dir_of_input,
    log:
        "logs/propositions/p4_fit.log",
    conda:
        "../envs/surveysem.yaml"
    script:
        "../scripts/propositions_p4_fit.py"


rule p4_bootstrap_chunk:
    # Resamples chunk*B/chunks .. (chunk+1)*B/chunks - 1; each resample has its own seed.
    # Started before the shorter jobs, which then fill the other cores around them.
    priority: 1
    input:
        **PROP_P4_INPUT,
        scales=scale_files(),
    output:
        csv="results/propositions/bootstrap/chunk_{chunk}.csv",
    wildcard_constraints:
        chunk=r"\d+",
    params:
        code=SURVEYSEM_CODE,
        cfg={k: PROP_CFG[k] for k in ("hypotheses", "p4", "bootstrap", "data")},
        scales_dir=scales_dir_of_input,
    log:
        "logs/propositions/bootstrap_chunk_{chunk}.log",
    conda:
        "../envs/surveysem.yaml"
    script:
        "../scripts/propositions_bootstrap_chunk.py"


rule p4_bootstrap_merge:
    input:
        **PROP_P4_INPUT,
        scales=scale_files(),
        chunks=expand(
            "results/propositions/bootstrap/chunk_{chunk}.csv", chunk=PROP_CHUNKS
        ),
    output:
        csv=report(
            "results/propositions/p4_bootstrap.csv",
            category="Propositions",
            subcategory="P4",
            caption="../report/results_p4.rst",
        ),
    params:
        code=SURVEYSEM_CODE,
        cfg={k: PROP_CFG[k] for k in ("hypotheses", "p4", "bootstrap", "data")},
        scales_dir=scales_dir_of_input,
    log:
        "logs/propositions/bootstrap_merge.log",
    conda:
        "../envs/surveysem.yaml"
    script:
        "../scripts/propositions_bootstrap_merge.py"


rule propositions_verdicts:
    input:
        **verdict_inputs(PROP_IDS, PROP_HAS_SEM, PROP_CFG),
    output:
        csv=report(
            "results/propositions/verdicts.csv",
            category="Propositions",
            caption="../report/results_propositions.rst",
        ),
        json=report(
            "results/propositions/verdicts.json",
            category="Propositions",
            caption="../report/results_propositions.rst",
        ),
        coefficients=report(
            "results/propositions/coefficients.csv",
            category="Propositions",
            caption="../report/results_propositions.rst",
        ),
        fits=report(
            "results/propositions/fits.csv",
            category="Propositions",
            caption="../report/results_propositions.rst",
        ),
        subhypotheses=report(
            "results/propositions/subhypotheses.csv",
            category="Propositions",
            caption="../report/results_propositions.rst",
        ),
        vif=report(
            "results/propositions/vif.csv",
            category="Propositions",
            caption="../report/results_propositions.rst",
        ),
    params:
        code=SURVEYSEM_CODE,
        cfg=PROP_CFG,
    log:
        "logs/propositions/verdicts.log",
    conda:
        "../envs/surveysem.yaml"
    script:
        "../scripts/propositions_verdicts.py"


DEFAULT_TARGETS.extend(rules.propositions_verdicts.output)
DEFAULT_TARGETS.extend(rules.propositions_typology.output)
if PROP_HAS_SEM:
    DEFAULT_TARGETS.extend(rules.p4_fit.output)
    DEFAULT_TARGETS.append("results/propositions/p4_bootstrap.csv")
