"""Steps of the propositions stage (``workflow/rules/propositions.smk``), one per rule.

Outputs under ``results/propositions/``:

``regression/<P>.json``        every model of one P1-P3 style hypothesis (coefficients, fits, VIF, sub-hypotheses)
``typology.json`` / ``.csv``   capability x group interaction tests
``p4_models.json``             P4 models (a), (b), (c): fit, R2 of growth, warnings, nested comparisons, multi-group check
``p4_paths.csv``               structural paths, second-order loadings and := effects of each P4 model
``p4_ordinal.csv``             the sensitivity model (``p4.ordinal_check``): the P4 models with the items ordered, WLSMV
``bootstrap/chunk_<k>.csv``    bootstrap resamples of one chunk; ``p4_bootstrap.csv`` the percentile CIs
``coefficients.csv``           every coefficient of every regression model
``fits.csv``                   fit table of every regression model (R2, pseudo-R2, f2, Wald test, dispersion)
``vif.csv``                    VIFs of the main models; ``subhypotheses.csv`` every sub-hypothesis test
``verdicts.csv`` / ``.json``   the verdict table with the rule text and the synthetic flag

Each step receives plain values: ``inputs`` and ``outputs`` (name -> path), ``config`` (the keys
its rule declares, ``surveysem.workflow.params``) and its wildcards.
"""

from __future__ import annotations

import json
import logging

import pandas as pd

from surveysem.errors import SurveySemError
from surveysem.instrument.analysed import capability_processes, load_analysed
from surveysem import io as sio
from surveysem.instrument.analysed import scale_indicators, with_parcels
from surveysem.io import write_csv, write_json
from surveysem.measurement.degenerate import model_problem, precheck_table, problem_of, too_few_respondents
from surveysem.propositions.fit_gate import proposition_gate
from surveysem.propositions.hypotheses import Hypothesis, parse_hypotheses, proposition_verdict, rule_text
from surveysem.propositions.verdict_rows import gated_rows as _gated  # noqa: F401 (tests)
from surveysem.propositions.verdict_rows import p4_verdict_rows as _p4_verdicts
from surveysem.propositions.verdict_rows import regression_verdict_rows as _regression_verdicts

log = logging.getLogger(__name__)


def read_csv(path, what: str) -> pd.DataFrame:
    try:
        return sio.read_csv(path)
    except FileNotFoundError:
        raise SurveySemError(f"{what} not found", file=path) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise SurveySemError(f"{what} cannot be read: {str(exc).splitlines()[0]}", file=path) from None


def _read_json(path, what: str) -> dict:
    try:
        with open(path, encoding="utf-8") as fh:
            return json.load(fh)
    except FileNotFoundError:
        raise SurveySemError(f"{what} not found", file=path) from None
    except json.JSONDecodeError as exc:
        raise SurveySemError(f"{what} is not valid JSON: {exc.msg}", file=path) from None


def read_ingest(path) -> dict:
    return {} if path is None else _read_json(path, "ingest summary")


def load_hypotheses(config: dict, known=None, processes=None) -> list[Hypothesis]:
    return parse_hypotheses(config["hypotheses"], known, processes=processes)


def _analysed(inputs: dict, config: dict):
    """The analysed scales (the instrument with the config's ``scales:`` entries this rule reads)."""
    return load_analysed(inputs["scales"], config.get("scales"))


def _instrument_hypotheses(config: dict, inst) -> list[Hypothesis]:
    return load_hypotheses(config, list(inst.constructs), capability_processes(inst))


def _composites(inputs: dict, config: dict, inst, constructs: list[str]) -> pd.DataFrame:
    """respondent_id and the composite (item-mean) score of each of ``constructs``."""
    from surveysem.measurement.scores import composite_table

    analysis = with_parcels(read_csv(inputs["analysis"], "analysis data"), inst)
    return composite_table(analysis, inst, float(config["measurement"]["min_item_share"]), constructs)


def _precheck(analysis: pd.DataFrame, inst, analysis_name: str):
    """The pre-check of degenerate data (:mod:`surveysem.measurement.degenerate`) over every measured
    construct, as the measurement stage runs it: the same items and constructs are left out here."""
    return precheck_table(analysis, scale_indicators(inst), analysis_name)


def _composite_precheck(inputs: dict, inst):
    """:func:`_precheck` of the analysis table for the composite-score models (regressions, typology)."""
    return _precheck(with_parcels(read_csv(inputs["analysis"], "analysis data"), inst), inst, "regression")


def hypothesis_by_id(hyps, hyp_id: str) -> Hypothesis:
    for h in hyps:
        if h.id == hyp_id:
            return h
    raise SurveySemError(f"hypotheses: no hypothesis with id {hyp_id!r}")


def _synthetic(ingest: dict) -> bool:
    return bool(ingest["synthetic"])




def regression(inputs: dict, outputs: dict, config: dict, hyp: str) -> dict:
    """Every model of the P1-P3 style hypothesis ``hyp`` (rule ``propositions_regression``)."""
    outcomes_path, ingest_path, hyp_id = inputs["outcomes"], inputs["ingest"], hyp
    from surveysem.propositions.regression import analyse_hypothesis, analysis_frame

    inst = _analysed(inputs, config)
    hyps = _instrument_hypotheses(config, inst)
    hyp = hypothesis_by_id(hyps, hyp_id)
    if hyp.is_sem:
        raise SurveySemError(f"hypotheses: {hyp_id} is a SEM hypothesis; it is fitted by the p4 rule")
    scores = _composites(inputs, config, inst, hyp.constructs + hyp.control_constructs)
    outcomes = read_csv(outcomes_path, "firm outcomes")
    ingest = read_ingest(ingest_path)
    rule, p4c = config["verdict_rule"], config["p4"]
    frame = analysis_frame(scores, outcomes)
    problem = model_problem(_composite_precheck(inputs, inst), hyp.constructs + hyp.control_constructs, len(frame),
                            "regression")
    res = analyse_hypothesis(frame, hyp, trials=int(p4c["regions"]), level=float(p4c["level"]),
                             adjust=rule["adjust"], alpha=float(rule["alpha"]), not_estimable=problem)
    for w in res["warnings"]:
        log.warning(w)
    out = {"proposition": hyp.id, "statement": hyp.statement, "outcome": hyp.outcome, "family": hyp.family,
           "checks": hyp.checks, "n_firms": int(len(frame)), "synthetic": _synthetic(ingest), **res}
    write_json(outputs["json"], out)
    return out


def latent(inputs: dict, outputs: dict, config: dict, hyp: str) -> dict:
    """The latent-capability models of one P1-P3 style hypothesis (rule ``propositions_latent``):
    the estimator its verdict uses unless ``estimator: composite_glm``."""
    from surveysem.propositions.latent import analyse_latent, latent_frame, latent_items
    from surveysem.propositions.p4 import items_by_construct

    inst = _analysed(inputs, config)
    analysis = with_parcels(read_csv(inputs["analysis"], "analysis data"), inst)
    outcomes = read_csv(inputs["outcomes"], "firm outcomes")
    ingest = read_ingest(inputs["ingest"])
    hyps = _instrument_hypotheses(config, inst)
    h = hypothesis_by_id(hyps, hyp)
    if h.is_sem or h.estimator == "composite_glm":
        raise SurveySemError(f"hypotheses: {hyp} has no latent estimator (estimator: {h.estimator})")
    used = list(h.constructs) + h.control_constructs
    pc = _precheck(analysis, inst, "latent model")
    items = {c: pc.scales.get(c, its) for c, its in items_by_construct(analysis.columns, used, inst).items()}
    frame_items, method = latent_items(h, inst, config["measurement"]["cmv"]["marker"], items)
    rule, p4c = config["verdict_rule"], config["p4"]
    data, controls, warn = latent_frame(analysis, outcomes, h, frame_items, trials=int(p4c["regions"]),
                                        correction=float(p4c["diversification_correction"]),
                                        clip=float(p4c["intensity_clip"]))
    warn = [w for w in pc.warnings if any(c in w for c in used)] + warn
    problem = model_problem(pc, used, len(data), "latent model")
    res = analyse_latent(data, controls, h, items, estimator=h.estimator, level=float(p4c["level"]),
                         adjust=rule["adjust"], alpha=float(rule["alpha"]), not_estimable=problem, method=method)
    if h.is_paths:
        res["model"] = h.model
    res["warnings"] = warn + res["warnings"]
    for w in res["warnings"]:
        log.warning(w)
    out = {"proposition": h.id, "statement": h.statement, "outcome": h.outcome, "n_firms": int(len(data)),
           "items": items, "controls": controls, "synthetic": _synthetic(ingest), **res}
    write_json(outputs["json"], out)
    return out


def typology(inputs: dict, outputs: dict, config: dict) -> dict:
    """Do P1's capabilities matter more in Group 1, P2's in Group 2, P3's in Group 3?"""
    outcomes_path, ingest_path = inputs["outcomes"], inputs["ingest"]
    from surveysem.propositions.regression import analysis_frame
    from surveysem.propositions.typology import analyse_typology

    inst = _analysed(inputs, config)
    hyps = _instrument_hypotheses(config, inst)
    used = [c for h in hyps if not h.is_sem and not h.is_paths for c in h.constructs + h.control_constructs]
    scores = _composites(inputs, config, inst, list(dict.fromkeys(used)))
    outcomes = read_csv(outcomes_path, "firm outcomes")
    ingest = read_ingest(ingest_path)
    p4c = config["p4"]
    frame = analysis_frame(scores, outcomes)
    pc = _composite_precheck(inputs, inst)
    summaries, terms, warns = [], [], []
    for h in hyps:
        if h.is_sem or h.is_paths or h.typology_group is None:
            continue
        problem = model_problem(pc, h.constructs + h.control_constructs, len(frame), "regression")
        r = analyse_typology(frame, h, trials=int(p4c["regions"]), min_group_n=int(p4c["typology_min_group_n"]),
                             level=float(p4c["level"]), not_estimable=problem)
        if r["summary"]:
            summaries.append(r["summary"])
        terms.extend(r["terms"])
        warns.extend(r["warnings"])
    for w in warns:
        log.warning(w)
    group_sizes = {}
    if "group" in frame.columns:
        vc = pd.to_numeric(frame["group"], errors="coerce").value_counts(dropna=False).sort_index()
        group_sizes = {("none" if pd.isna(k) else str(int(k))): int(v) for k, v in vc.items()}
    out = {"summary": summaries, "terms": terms, "warnings": warns, "group_sizes": group_sizes,
           "synthetic": _synthetic(ingest),
           "method": "capability x 1[group == target] interactions in the primary model; joint robust Wald test"}
    write_json(outputs["json"], out)
    cols = ["proposition", "target_group", "capability", "term", "est", "se", "ci_lower", "ci_upper", "p_two_sided",
            "expected", "p_one_sided", "slope_target_group", "slope_target_group_se", "slope_other_groups",
            "slope_other_groups_se"]
    write_csv(outputs["csv"], pd.DataFrame(terms, columns=cols))
    return out




def _p4_setup(inputs: dict, config: dict):
    """(data, hypothesis, processes, items, estimator, missing, p4 config, ingest, outcomes, pre-check)
    for the P4 steps; the pre-check's ``warnings`` and ``not_estimable`` (why P4 cannot be fitted, or None)."""
    from surveysem.propositions.p4 import items_by_construct, p4_data, resolve_missing

    inst = _analysed(inputs, config)
    analysis = with_parcels(read_csv(inputs["analysis"], "analysis data"), inst)
    outcomes = read_csv(inputs["outcomes"], "firm outcomes")
    ingest = read_ingest(inputs["ingest"])
    hyps = _instrument_hypotheses(config, inst)
    sem = [h for h in hyps if h.is_sem]
    if not sem:
        raise SurveySemError("hypotheses: no growth (SEM) hypothesis to fit (family: sem)")
    hyp = sem[0]
    cfg = config["p4"]
    pc = _precheck(analysis, inst, "P4")
    processes, problem = _estimable_processes(hyp.processes, pc)
    constructs = [c for p in processes.values() for c in p]
    items = {c: pc.scales.get(c, its) for c, its in items_by_construct(analysis.columns, constructs, inst).items()}
    data = p4_data(analysis, outcomes, items, cfg, trials=int(cfg["regions"]))
    has_missing = bool(data.drop(columns=["respondent_id"]).isna().any().any())
    missing = resolve_missing(cfg, ingest["missing_method"], has_missing, n=len(data), p=data.shape[1] - 1)
    problem = problem or too_few_respondents(len(data), "P4")
    pre = {"warnings": [w for w in pc.warnings if any(c in w for cs in hyp.processes.values() for c in cs)],
           "not_estimable": problem}
    return data, hyp, processes, items, cfg["estimator"], missing, cfg, ingest, outcomes, pre


def _estimable_processes(processes: dict[str, list[str]], pc) -> tuple[dict[str, list[str]], str | None]:
    """P4's processes without the capabilities the pre-check found not estimable (a process model
    can do without one of its capabilities), and why P4 is not estimable when a process is left
    with none."""
    kept = {p: [c for c in cs if c not in pc.not_estimable] for p, cs in processes.items()}
    empty = [p for p, cs in kept.items() if not cs]
    if empty:
        return processes, f"process {', '.join(empty)} has no estimable capability: " + problem_of(
            pc, [c for p in empty for c in processes[p]])
    return kept, None


def p4_fit(inputs: dict, outputs: dict, config: dict) -> dict:
    """P4 models (a) correlated processes, (b) process chain, (c) first-order capabilities -> growth."""
    from surveysem.propositions.p4 import fit_p4, multigroup_check

    data, hyp, processes, items, estimator, missing, cfg, ingest, outcomes, pre = _p4_setup(inputs, config)
    log.info("P4: %d firms, %d observed variables, estimator %s, missing %s", len(data), data.shape[1] - 1,
             estimator, missing)
    res = fit_p4(data, processes, items, models=tuple(cfg["models"]), estimator=estimator, missing=missing,
                 level=float(cfg["level"]), not_estimable=pre["not_estimable"])
    res["warnings"] = pre["warnings"] + res["warnings"]
    groups = None
    if "group" in outcomes.columns:
        g = outcomes[["respondent_id", "group"]].merge(data[["respondent_id"]], on="respondent_id", how="right")
        groups = pd.to_numeric(g["group"], errors="coerce")
    if pre["not_estimable"]:
        mg = {"status": "skipped", "reason": f"not estimable: {pre['not_estimable']}"}
    elif groups is not None and groups.notna().any():
        keep = groups.notna().to_numpy()
        mg = multigroup_check(data.loc[keep].reset_index(drop=True), groups[keep].reset_index(drop=True),
                              processes, items, min_n=int(cfg["multigroup_min_n"]), estimator=estimator)
    else:
        mg = {"status": "skipped", "reason": "no typology group in the firm outcomes"}
    for w in res["warnings"]:
        log.warning(w)
    out = {"proposition": hyp.id, "statement": hyp.statement, "processes": processes, "items": items,
           "n_firms": int(len(data)), "estimator": estimator, "missing": missing,
           "growth_indicators": {"g_spread": "z(log(spread))",
                                 "g_div": f"z(logit((diversification + {cfg['diversification_correction']}) / "
                                          f"({cfg['regions']} + 2*{cfg['diversification_correction']})))",
                                 "g_int": f"z(logit(clip(intensity, {cfg['intensity_clip']}, 1 - {cfg['intensity_clip']})))"},
           "models": res["models"], "comparisons": res["comparisons"], "multigroup": mg,
           "warnings": res["warnings"], "not_estimable": pre["not_estimable"], "synthetic": _synthetic(ingest)}
    write_json(outputs["json"], out)
    write_csv(outputs["paths"], res["paths"])
    return out


def p4_ordinal(inputs: dict, outputs: dict, config: dict) -> pd.DataFrame:
    """P4's models fitted a second time with the capability items declared ordered (WLSMV,
    pairwise-present data: FIML is not available for ordinal indicators), the sensitivity model
    beside the ML/MLR fit (rule ``propositions_p4_ordinal``, ``p4.ordinal_check: true``). Growth's
    indicators (and parcels) stay continuous; P4 has no observed controls (an exogenous observed
    covariate would enter with ``conditional_x=False``)."""
    from surveysem.propositions.p4 import fit_p4
    from surveysem.propositions.p4_ordinal import ordinal_table

    if not config["p4"]["ordinal_check"]:
        raise SurveySemError("p4.ordinal_check is false: set it to true to fit the P4 sensitivity model (WLSMV)")
    data, hyp, processes, items, _, _, cfg, _, _, pre = _p4_setup(inputs, config)
    parcels = _analysed(inputs, config).parcels
    ordered = [i for its in items.values() for i in its if i not in parcels]
    # stage one's pairwise ML has no correlation of two continuous variables with missing values:
    # firms without every continuous one (growth's indicators, parcels) are left out
    continuous = [c for c in data.columns if c != "respondent_id" and c not in ordered]
    complete = data[continuous].notna().all(axis=1)
    if not complete.all():
        log.warning("P4 ordinal check: %d firm(s) without every continuous variable (%s) left out", int((~complete).sum()),
                    ", ".join(continuous))
        data = data[complete].reset_index(drop=True)
    log.info("P4 ordinal check: %d firms, %d ordered items, WLSMV, pairwise", len(data), len(ordered))
    res = fit_p4(data, processes, items, models=tuple(cfg["models"]), estimator="WLSMV", missing="pairwise",
                 level=float(cfg["level"]), not_estimable=pre["not_estimable"], ordered=ordered)
    for w in pre["warnings"] + res["warnings"]:
        log.warning(w)
    table = ordinal_table(res, config["verdict_rule"], {s.term: s.id for s in hyp.subs}, len(data))
    write_csv(outputs["csv"], table)
    return table


def _boot_model(inputs: dict, config: dict):
    """(data, prepared model, full-sample fit, bootstrap config, missing-data method, full-sample EM
    moments or None) of the bootstrapped P4 model; when it cannot be fitted, the model and the fit
    are None and the last element is the reason (text)."""
    from surveysem.propositions.bootstrap import RESAMPLE_ERRORS, failure_text
    from surveysem.propositions.p4 import p4_syntax
    from surveysem.sem import prepare_model

    data, hyp, processes, items, estimator, missing, cfg, ingest, _, pre = _p4_setup(inputs, config)
    bc = config["bootstrap"]
    d = data.drop(columns=["respondent_id"])
    if pre["not_estimable"]:
        return d, None, None, bc, missing, pre["not_estimable"]
    syntax = p4_syntax(processes, items, bc["model"])
    engine_missing = missing
    fit_data = d
    em_start = None
    try:  # the full-sample EM moments and fit: a singular matrix here leaves no resample to refit
        if missing == "two_stage":
            from surveysem.propositions.p4 import TwoStage

            two_stage = TwoStage(d)
            fit_data, em_start = two_stage(d), two_stage.start
            engine_missing = "listwise"
        pm = prepare_model(syntax, list(d.columns), estimator=estimator, missing=engine_missing)
        pm.standard_errors = estimator == "MLR"  # the bootstrap reads estimates and std_all only
        full = pm.fit(fit_data)
    except RESAMPLE_ERRORS as err:
        return d, None, None, bc, missing, f"the full-sample model cannot be fitted: {failure_text(err)}"
    return d, pm, full, bc, missing, em_start


def bootstrap_chunk(inputs: dict, outputs: dict, config: dict, chunk: str) -> pd.DataFrame:
    """Resamples chunk*B/chunks .. (chunk+1)*B/chunks - 1 of the P4 bootstrap; each has its own seed."""
    chunk = int(chunk)
    from surveysem.propositions.bootstrap import (
        RESAMPLE_ERRORS,
        ResampleRefitter,
        failed_chunk,
        failure_text,
        run_chunk,
        targets,
    )

    d, pm, full, bc, missing, em_start = _boot_model(inputs, config)
    B, chunks = int(bc["B"]), int(bc["chunks"])
    if full is None:
        log.warning("bootstrap: not run, every resample counts as failed: %s", em_start)
        write_csv(outputs["csv"], failed_chunk(f"failed: not estimable: {em_start}", [], B=B, chunks=chunks, chunk=chunk))
        return None
    if not full.converged:
        log.warning("bootstrap: the full-sample model (%s) did not converge; resamples start from its last iterate",
                    bc["model"])
    tgt = targets(full)
    log.info("bootstrap model (%s): chunk %d of %d, B = %d, seed %d", bc["model"], chunk + 1, bc["chunks"],
             bc["B"], bc["seed"])
    try:
        refitter = ResampleRefitter(pm, d, full.free_params, missing=missing, em_tol=float(bc["em_tol"]),
                                    max_iter=int(bc["max_iter"]), tol=float(bc["tol"]), em_start=em_start)
    except RESAMPLE_ERRORS as err:  # the full-sample moments or curvature: no resample can be refitted
        reason = f"failed: the refit cannot start: {failure_text(err)}"
        log.warning("bootstrap chunk %d: every resample counts as failed (%s)", chunk + 1, reason)
        write_csv(outputs["csv"], failed_chunk(reason, tgt, B=B, chunks=chunks, chunk=chunk))
        return None
    frame = run_chunk(refitter, tgt, seed=int(bc["seed"]), B=B, chunks=chunks, chunk=chunk)
    if refitter.n_boundary:
        log.warning(_boundary_warning(refitter.n_boundary, len(frame)))
    n_bad = int((frame["status"] != "ok").sum())
    if n_bad:
        log.warning("bootstrap chunk %d: %d of %d resamples did not converge or failed", chunk + 1, n_bad, len(frame))
    write_csv(outputs["csv"], frame)
    return frame


def _boundary_warning(n_boundary: int, n: int) -> str:
    """Why a two-stage bootstrap of a small sample is slow and fails: the resamples' EM moments are
    singular (too few distinct firms for the saturated model), so there is no two-stage optimum."""
    return (f"bootstrap: {n_boundary} of {n} two-stage resamples ended with a singular EM covariance (too few "
            "distinct firms in a resample for the saturated model): EM crawls along the boundary, resamples "
            "that reach its pass cap fail and the others depend on where EM stops; p4.missing: fiml refits "
            "the resampled rows by FIML instead (no saturated moments)")


def bootstrap_merge(inputs: dict, outputs: dict, config: dict) -> pd.DataFrame:
    """Percentile CIs of the P4 bootstrap from its chunks."""
    from surveysem.propositions.bootstrap import merge, targets

    d, pm, full, bc, _, _ = _boot_model(inputs, config)
    frames = [read_csv(p, "bootstrap chunk") for p in inputs["chunks"]]
    summary = merge(frames, targets(full) if full is not None else [], B=int(bc["B"]), level=float(bc["level"]))
    summary.insert(0, "model", bc["model"])
    if len(summary) and summary["n_ok"].iloc[0] < bc["B"]:
        r = summary.iloc[0]
        log.warning("bootstrap: %d of %d resamples did not converge and %d failed; CIs use the %d converged",
                    r.n_not_converged, bc["B"], r.n_failed, r.n_ok)
    write_csv(outputs["csv"], summary)
    return summary




def verdicts(inputs: dict, outputs: dict, config: dict) -> dict:
    """Collect every regression result and the P4 fit into the stage's tables and the verdicts."""
    regression_jsons = inputs["regressions"]
    p4_json, p4_paths_csv, boot_csv = inputs.get("p4"), inputs.get("p4_paths"), inputs.get("bootstrap")
    rule = config["verdict_rule"]
    level = float(config["p4"]["level"])
    ingest = read_ingest(inputs["ingest"])
    synthetic = _synthetic(ingest)
    coefs, fits, subs, vifs, rows = [], [], [], [], []
    hyps = load_hypotheses(config, _all_constructs(config))
    for p in regression_jsons:
        r = _read_json(p, "regression results")
        coefs.extend(r["coefficients"])
        fits.extend(r["fits"])
        subs.extend({**s, "estimator": "composite_glm"} for s in r["subhypotheses"])
        vifs.extend(r["vif"])
    latent_results, lat_coefs, lat_fits = {}, [], []
    for p in inputs.get("latent") or []:
        r = _read_json(p, "latent results")
        latent_results[r["proposition"]] = r
        lat_coefs.extend(r["coefficients"])
        lat_fits.extend(_latent_fit_row(f, rule["fit_gate"]) for f in r["fits"])
    # with a latent estimator the composite GLMs are checks: their rows are not the verdict's
    for s in subs:
        if s["proposition"] in latent_results:
            s["primary"] = False
    for r in latent_results.values():
        subs.extend({**s, "estimator": r["estimator"]} for s in r["subhypotheses"])
    p4 = {}
    if p4_json is not None:
        p4 = _read_json(p4_json, "P4 results")
    boot = read_csv(boot_csv, "bootstrap summary") if boot_csv is not None else None
    paths = read_csv(p4_paths_csv, "P4 paths") if p4_paths_csv is not None else None
    for h in hyps:
        if h.is_sem:
            sub_rows = [{**r, "estimator": "sem"} for r in _p4_verdicts(h, rule, p4, boot, paths, level)]
        else:
            if h.estimator != "composite_glm" and h.id not in latent_results:
                sub_rows = []  # never fall back silently to another estimator than the configured one
            else:
                sub_rows = _regression_verdicts(h, rule, subs, latent_results.get(h.id))
            if not sub_rows:
                sub_rows = [{"proposition": h.id, "level": "sub-hypothesis", "id": s.id, "term": s.term,
                             "expected": s.expected, "estimator": h.estimator, "verdict": "not estimable"}
                            for s in h.subs]
        verdict = proposition_verdict([r["verdict"] for r in sub_rows])
        n_sup = sum(r["verdict"] == "supported" for r in sub_rows)
        rows.append({"proposition": h.id, "level": "proposition", "id": h.id, "term": " ".join(h.predictors),
                     "expected": "", "model": "", "family": h.family, "estimator": h.estimator,
                     "statement": h.statement,
                     "evidence": f"{n_sup} of {len(sub_rows)} sub-hypotheses supported",
                     "fit_gate": proposition_gate([r.get("fit_gate", "") for r in sub_rows]),
                     "model_choice": next((r["model_choice"] for r in sub_rows if r.get("model_choice")), ""),
                     "verdict": verdict})
        rows.extend(sub_rows)
    cols = ["proposition", "level", "id", "statement", "term", "expected", "model", "family", "estimator", "parameter",
            "estimate_type", "est", "std_all", "ci_lower",
            "ci_upper", "one_sided_bound", "p_one_sided", "p_adjusted", "evidence", "fit_gate", "fit_note",
            "model_choice", "verdict"]
    table = pd.DataFrame(rows, columns=cols)
    text = rule_text(rule, level)
    table.insert(len(table.columns), "synthetic", synthetic)
    write_csv(outputs["csv"], table)
    write_json(outputs["json"], {"rule": text, "rule_settings": rule, "synthetic": synthetic,
                                          "verdicts": table.drop(columns=["synthetic"]).to_dict(orient="records")})
    write_csv(outputs["coefficients"], pd.DataFrame(coefs))
    write_csv(outputs["fits"], pd.DataFrame(fits))
    write_csv(outputs["subhypotheses"], pd.DataFrame(subs, columns=SUB_COLUMNS))
    write_csv(outputs["vif"], pd.DataFrame(vifs))
    write_csv(outputs["latent_coefficients"], pd.DataFrame(lat_coefs, columns=LATENT_COEF_COLUMNS))
    write_csv(outputs["latent_fits"], pd.DataFrame(lat_fits, columns=LATENT_FIT_COLUMNS))
    return {"table": table, "rule": text}


# subhypotheses.csv in the registered order, std_all and problem present (empty) even when no hypothesis uses a latent_results estimator
SUB_COLUMNS = ["ci_lower", "ci_upper", "est", "expected", "family", "family_used", "id", "model", "p_adjusted",
               "p_one_sided", "primary", "proposition", "se", "sign_ok", "supported", "term", "verdict", "estimator",
               "problem", "std_all", "one_sided_bound"]
LATENT_COEF_COLUMNS = ["proposition", "model", "estimator", "outcome", "term", "role", "est", "se", "z", "p_two_sided",
                       "ci_lower", "ci_upper", "std_all", "n"]
LATENT_FIT_COLUMNS = ["proposition", "model", "estimator", "outcome", "item_scores", "n", "n_dropped", "k", "r2_latent",
                      "converged", "admissible", "reliability", "fit_indices", "fit_gate", "fit_note", "method_factor"]


def _latent_fit_row(fit: dict, gate: dict) -> dict:
    """A row of latent_fits.csv: the model's fit with its fit-gate outcome (JSON cells as text)."""
    from surveysem.propositions.fit_gate import latent_gate

    outcome, note = latent_gate(fit.get("fit_indices"), gate)
    return {**fit, "reliability": json.dumps(fit.get("reliability", {}), sort_keys=True),
            "fit_indices": json.dumps(fit.get("fit_indices", {}), sort_keys=True), "fit_gate": outcome,
            "fit_note": note}


def _all_constructs(config: dict):
    """Construct ids for re-parsing the hypotheses when only results are at hand."""
    from surveysem.propositions.hypotheses import DEFAULT_CONSTRUCTS, entry_constructs

    ids = set(DEFAULT_CONSTRUCTS)
    for h in config.get("hypotheses") or []:
        ids |= entry_constructs(h)
    return ids




