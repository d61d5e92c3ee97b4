"""One replication of the power study: a study drawn from the ``simulate:`` population, judged
by the pipeline's own estimation and verdict code.

A replication of size ``n`` at index ``r`` draws firms from the population with its own seed,
``SeedSequence(power.seed, spawn_key=(n, r))``, so its result does not depend on the chunk it
runs in nor on how many jobs run at once. The respondents kept are the first ``n`` clean ones
(by the draw's truth flags: :func:`surveysem.simulate.known_truth.clean_respondents`), so ``n``
counts firms after screening; screening itself is not under test.

Each proposition is judged as ``propositions_latent`` / ``propositions_regression`` and
``propositions_verdicts`` judge it: P1-P3 style hypotheses by the estimator of their verdict
(:func:`surveysem.propositions.latent.analyse_latent`, or the composite-score GLM of
:func:`surveysem.propositions.regression.analyse_hypothesis`), with the fit gate; P4 by its SEM
(:func:`surveysem.propositions.p4.fit_p4`) with Wald / delta-method CIs unless
``power.p4_bootstrap`` (then the chunked bootstrap's refitter inside the replication), the fit
gate and the model-choice rule. A model that fails is a row with its problem, never an error.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from surveysem.errors import SurveySemError

log = logging.getLogger(__name__)

# Columns of a chunk file (results/power/chunks/n{n}_c{chunk}.csv), in order.
ROW_COLUMNS = ["n", "replication", "proposition", "target", "level", "parameter", "est", "se", "ci_lower",
               "ci_upper", "problem", "verdict"]
# Share of drawn firms the power study expects to keep (about 88 % are clean in the bundled
# population); a draw with too few clean firms is redrawn larger.
EXPECTED_CLEAN = 0.8


@dataclass
class PowerStudy:
    """What every replication shares: the config, the instrument as fielded (the population
    draws its items) and as analysed (the statistics use it), the hypotheses studied."""

    config: dict
    fielded: object
    inst: object
    hyps: list
    rule: dict
    prepared: dict = field(default_factory=dict)  # P4 models prepared once per process

    @property
    def sem(self):
        return next((h for h in self.hyps if h.is_sem), None)


def power_study(config: dict) -> PowerStudy:
    """The shared set-up of ``config`` (validated, with ``power:`` and ``simulate:``)."""
    from surveysem.instrument.analysed import analysed_instrument, capability_processes
    from surveysem.instrument.scales import load_instrument
    from surveysem.propositions.hypotheses import parse_hypotheses

    fielded = load_instrument(config["instrument"]["scales_dir"])
    inst = analysed_instrument(fielded, config.get("scales"))
    hyps = parse_hypotheses(config["hypotheses"], list(inst.constructs), processes=capability_processes(inst))
    wanted = config["power"]["propositions"]
    hyps = [h for h in hyps if wanted is None or h.id in wanted]
    rule = dict(config["verdict_rule"])
    if not config["power"]["p4_bootstrap"]:
        rule["p4_ci"] = "wald"
    return PowerStudy(config=config, fielded=fielded, inst=inst, hyps=hyps, rule=rule)


def replication_seed(seed: int, n: int, replication: int) -> int:
    """The seed of replication ``replication`` at size ``n``: independent of every other one."""
    return int(np.random.SeedSequence(int(seed), spawn_key=(int(n), int(replication))).generate_state(1)[0])


def draw_clean(study: PowerStudy, n: int, seed: int):
    """(simulated survey, its first ``n`` clean respondents) of a draw from the population."""
    from surveysem.simulate import simulate
    from surveysem.simulate.known_truth import clean_respondents

    drawn = max(10, math.ceil(n / EXPECTED_CLEAN) + 10)
    while True:
        sim = simulate(study.config, n=drawn, seed=seed, inst=study.fielded)
        clean = clean_respondents(sim, study.fielded)
        if len(clean) >= n:
            return sim, clean.iloc[:n].reset_index(drop=True)
        drawn *= 2


def draw_study(study: PowerStudy, n: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(analysis data, firm outcomes) of ``n`` clean firms drawn from the population."""
    from surveysem.instrument.analysed import with_parcels
    from surveysem.outcomes.firms import firm_outcomes

    cfg = study.config
    _, clean = draw_clean(study, n, seed)
    outcomes = firm_outcomes(clean, study.fielded, cfg["study"]["survey_year"], cfg["outcomes"]["home_country"])
    return with_parcels(clean, study.inst), outcomes


def construct_items(study: PowerStudy, analysis: pd.DataFrame, constructs) -> dict[str, list[str]]:
    from surveysem.propositions.p4 import items_by_construct

    return items_by_construct(analysis.columns, list(constructs), study.inst)


def judge_regression_style(study: PowerStudy, hyp, analysis: pd.DataFrame, outcomes: pd.DataFrame) -> list[dict]:
    """Verdict rows (as ``propositions_verdicts`` makes them) of a P1-P3 style hypothesis."""
    from surveysem.propositions.verdict_rows import regression_verdict_rows

    cfg, rule = study.config, study.rule
    p4c = cfg["p4"]
    if hyp.estimator == "composite_glm":
        from surveysem.measurement.scores import composite_table
        from surveysem.propositions.regression import analyse_hypothesis, analysis_frame

        scores = composite_table(analysis, study.inst, float(cfg["measurement"]["min_item_share"]),
                                 hyp.constructs + hyp.control_constructs)
        res = analyse_hypothesis(analysis_frame(scores, outcomes), hyp, trials=int(p4c["regions"]),
                                 level=float(p4c["level"]), adjust=rule["adjust"], alpha=float(rule["alpha"]))
        subs = [{**s, "se": s.get("se", np.nan)} for s in res["subhypotheses"]]
        rows = regression_verdict_rows(hyp, rule, subs, None)
        by_id = {s["id"]: s for s in subs if s["primary"]}
        for r in rows:
            r["se"] = by_id[r["id"]]["se"]
            r["problem"] = "not estimable" if r["verdict"] == "not estimable" else ""
        return rows
    from surveysem.propositions.latent import analyse_latent, latent_frame, latent_items

    items = construct_items(study, analysis, list(hyp.constructs) + hyp.control_constructs)
    frame_items, method = latent_items(hyp, study.inst, cfg["measurement"]["cmv"]["marker"], items)
    data, controls, _ = latent_frame(analysis, outcomes, hyp, frame_items, trials=int(p4c["regions"]),
                                     correction=float(p4c["diversification_correction"]),
                                     clip=float(p4c["intensity_clip"]))
    res = analyse_latent(data, controls, hyp, items, estimator=hyp.estimator, level=float(p4c["level"]),
                         adjust=rule["adjust"], alpha=float(rule["alpha"]), method=method)
    rows = regression_verdict_rows(hyp, rule, [], res)
    by_id = {s["id"]: s for s in res["subhypotheses"]}
    for r in rows:
        r["se"], r["problem"] = by_id[r["id"]]["se"], by_id[r["id"]]["problem"]
    return rows


def judge_p4(study: PowerStudy, hyp, analysis: pd.DataFrame, outcomes: pd.DataFrame, seed: int) -> list[dict]:
    """Verdict rows of the SEM hypothesis (P4), as ``propositions_verdicts`` makes them."""
    from surveysem.power.settings import power_models
    from surveysem.propositions.p4 import (
        fit_p4,
        heywood_warnings,
        p4_data,
        resolve_missing,
    )
    from surveysem.propositions.verdict_rows import p4_verdict_rows

    cfg, rule = study.config, study.rule
    p4c = cfg["p4"]
    items = construct_items(study, analysis, [c for p in hyp.processes.values() for c in p])
    data = p4_data(analysis, outcomes, items, p4c, trials=int(p4c["regions"]))
    has_missing = bool(data.drop(columns=["respondent_id"]).isna().any().any())
    missing = resolve_missing(p4c, cfg["data"]["missing"], has_missing, n=len(data), p=data.shape[1] - 1)
    # the verdict reads the SEs of its own model only; the other enters the model choice by its chi-square
    res = fit_p4(data, hyp.processes, items, models=power_models(cfg), estimator=p4c["estimator"],
                 missing=missing, level=float(p4c["level"]), prepared=study.prepared,
                 standard_errors_of=(rule["p4_model"],))
    p4 = {"models": res["models"], "comparisons": res["comparisons"]}
    boot = None
    if rule["p4_ci"] == "bootstrap":
        boot = replication_bootstrap(cfg, data, hyp, items, p4c["estimator"], missing, seed)
    rows = p4_verdict_rows(hyp, rule, p4, boot, res["paths"], float(p4c["level"]))
    model = rule["p4_model"]
    fitted = res["results"].get(model)
    problem = ("not estimable" if fitted is None else "not converged" if not fitted.converged
               else "inadmissible solution" if heywood_warnings(fitted, model) else "")
    paths = res["paths"]
    for r in rows:
        hit = paths[(paths.model == model) & (((paths.op == ":=") & (paths.lhs == r["parameter"]))
                                              | ((paths.op == "~") & (paths.lhs + "~" + paths.rhs == r["parameter"])))]
        r["se"] = float(hit.se.iloc[0]) if len(hit) else np.nan
        r["problem"] = problem
    return rows


def replication_bootstrap(cfg: dict, data: pd.DataFrame, hyp, items, estimator: str, missing: str,
                          seed: int) -> pd.DataFrame:
    """The percentile bootstrap of the verdict's P4 model inside one replication (``bootstrap:``
    settings, seeded from the replication): the pipeline's refitter and merge."""
    from surveysem.propositions.bootstrap import (
        ResampleRefitter,
        merge,
        run_chunk,
        targets,
    )
    from surveysem.propositions.p4 import TwoStage, p4_syntax
    from surveysem.sem import prepare_model

    bc = cfg["bootstrap"]
    model = cfg["verdict_rule"]["p4_model"]
    d = data.drop(columns=["respondent_id"])
    fit_data, em_start, engine_missing = d, None, missing
    if missing == "two_stage":
        two_stage = TwoStage(d)
        fit_data, em_start, engine_missing = two_stage(d), two_stage.start, "listwise"
    pm = prepare_model(p4_syntax(hyp.processes, items, model), list(d.columns), estimator=estimator,
                       missing=engine_missing)
    pm.standard_errors = estimator == "MLR"
    full = pm.fit(fit_data)
    refitter = ResampleRefitter(pm, d, full.free_params, missing=missing, em_tol=float(bc["em_tol"]),
                                max_iter=int(bc["max_iter"]), tol=float(bc["tol"]), em_start=em_start)
    frame = run_chunk(refitter, targets(full), seed=seed, B=int(bc["B"]), chunks=1, chunk=0)
    summary = merge([frame], targets(full), B=int(bc["B"]), level=float(bc["level"]))
    summary.insert(0, "model", model)
    return summary


def replicate(study: PowerStudy, n: int, replication: int) -> list[dict]:
    """Every verdict row of one replication: one per sub-hypothesis and one per proposition."""
    from surveysem.propositions.hypotheses import proposition_verdict

    seed = replication_seed(study.config["power"]["seed"], n, replication)
    analysis, outcomes = draw_study(study, n, seed)
    rows = []
    for h in study.hyps:
        try:
            subs = (judge_p4(study, h, analysis, outcomes, seed) if h.is_sem
                    else judge_regression_style(study, h, analysis, outcomes))
        except (SurveySemError, np.linalg.LinAlgError) as err:
            why = err.one_line() if isinstance(err, SurveySemError) else "singular matrix"
            log.warning("n %d replication %d: %s not estimable: %s", n, replication, h.id, why)
            subs = [{"id": s.id, "parameter": s.term, "est": np.nan, "se": np.nan, "ci_lower": np.nan,
                     "ci_upper": np.nan, "problem": "not estimable", "verdict": "not estimable"} for s in h.subs]
        rows.append({"proposition": h.id, "target": h.id, "level": "proposition", "parameter": "",
                     "problem": next((s["problem"] for s in subs if s["problem"]), ""),
                     "verdict": proposition_verdict([s["verdict"] for s in subs])})
        rows.extend({"proposition": h.id, "target": s["id"], "level": "sub-hypothesis",
                     **{k: s.get(k, np.nan) for k in ("parameter", "est", "se", "ci_lower", "ci_upper")},
                     "problem": s["problem"], "verdict": s["verdict"]} for s in subs)
    return [{"n": int(n), "replication": int(replication), **r} for r in rows]


def run_block(study: PowerStudy, n: int, replications) -> pd.DataFrame:
    """The rows of ``replications`` at size ``n`` in replication order."""
    rows = [r for k in replications for r in replicate(study, n, k)]
    return pd.DataFrame(rows, columns=ROW_COLUMNS)
