"""One P1-P3 style hypothesis with latent capabilities: the estimator its verdict uses.

The capabilities (and construct controls) are latent factors of their items
(``results/clean/analysis.csv``, reverse-keyed items reversed); the outcome is observed on the
scale P4 uses (:func:`surveysem.propositions.p4.transformed_outcomes`: log spread, logit
diversification, logit intensity); the controls are the observed covariates of the entry.

Estimators (``hypotheses[*].estimator``):

``sam``  local structural-after-measurement with corrected scores
         (:mod:`surveysem.propositions.latent_sam`): each construct's measurement model fitted
         on its own, so a misspecified block cannot bias the others' paths; stable at 100-300
         firms; latent interactions by corrected products.
``sem``  full-information SEM (:mod:`surveysem.propositions.latent_sem`): ML/MLR with FIML,
         interactions by double-mean-centred product indicators.

Common-method variance (``hypotheses[*].method_factor``, :func:`method_factor_of`): with ``sam``
and predictors, ``auto`` (the default) and ``marker`` measure the constructs in one joint model
with the marker scale (``measurement.cmv.marker``) and an acquiescence factor on every item
(:mod:`surveysem.propositions.latent_method`); ``none``, ``sem`` and model hypotheses use no
method factor.

As with the composite models, main effects come from the model without interactions and each
interaction from the model that adds the interactions. A sub-hypothesis is tested one-sided in
its expected direction (z test), adjusted within the proposition (Holm by default).
Coefficients (``est``) are per standard deviation of the latent capability, on the outcome's
transformed scale; ``std_all`` divides by the outcome's SD.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
from scipy import special

from surveysem.errors import SurveySemError
from surveysem.propositions.regression import control_columns, holm

ESTIMATORS = {"sam": "latent SAM (local, corrected scores)", "sem": "latent SEM (FIML, MLR)"}
OUTCOME_SCALE = {"spread": "log(spread)", "diversification": "logit((regions + c) / (trials + 2c))",
                 "intensity": "logit(clip(intensity))"}


def latent_frame(analysis: pd.DataFrame, outcomes: pd.DataFrame, hyp, items: dict[str, list[str]], *,
                 trials: int, correction: float, clip: float) -> tuple[pd.DataFrame, list[str], list[str]]:
    """(data, control columns, warnings): the ``items`` (construct -> columns: predictors and
    construct controls), the transformed
    outcome ``y`` and the control columns, one row per firm present in both inputs."""
    from surveysem.propositions.p4 import transformed_outcomes

    for name, frame in (("analysis data", analysis), ("firm outcomes", outcomes)):
        if "respondent_id" not in frame.columns:
            raise SurveySemError(f"{name} have no respondent_id column")
    y = transformed_outcomes(outcomes, trials, correction, clip)[["respondent_id", hyp.outcome]]
    y = y.rename(columns={hyp.outcome: "y"})
    item_cols = [i for c in items for i in items[c]]
    base = outcomes.drop(columns=[c for c in ("spread", "diversification", "intensity") if c in outcomes.columns])
    d = analysis[["respondent_id"] + item_cols].merge(y, on="respondent_id", how="inner", validate="one_to_one")
    d = d.merge(base, on="respondent_id", how="inner", validate="one_to_one")
    ctrl, names, warn = control_columns(d, hyp.observed_controls)
    out = pd.concat([d[["respondent_id"]], d[["y"] + item_cols].apply(pd.to_numeric, errors="coerce"), ctrl], axis=1)
    return out.sort_values("respondent_id", kind="stable").reset_index(drop=True), names, warn


def method_factor_of(hyp, inst, marker: str | None, columns):
    """The method factor of ``hyp``'s SAM measurement model (:mod:`surveysem.propositions.latent_method`):
    with ``method_factor: marker`` the construct ``marker`` (``measurement.cmv.marker``) must be an
    analysed scale of ``inst``; ``auto`` uses it when it is one and goes without otherwise; ``none``
    and the other estimators go without. ``columns``: the hypothesis' indicator columns. Returns a
    :class:`~surveysem.propositions.latent_method.MethodFactor` or None."""
    from surveysem.propositions.latent_method import MethodFactor, keying_signs

    if hyp.method_factor == "none" or hyp.estimator != "sam" or hyp.is_paths:
        return None
    present = bool(marker) and marker in inst.constructs and marker not in hyp.constructs + hyp.control_constructs
    if not present:
        if hyp.method_factor == "marker":
            raise SurveySemError(f"hypotheses: {hyp.id} has method_factor: marker, but the marker construct "
                                 f"{marker!r} (measurement.cmv.marker) is not an analysed scale of the instrument "
                                 f"outside the hypothesis; set method_factor: none or auto")
        return None
    marker_items = [it.id for it in inst.constructs[marker].items]
    return MethodFactor(marker, marker_items, keying_signs(inst, list(columns) + marker_items))



def latent_items(hyp, inst, marker: str | None, items: dict[str, list[str]]):
    """(the item columns the latent frame must carry, the method factor or None): ``items`` plus,
    when ``hyp``'s SAM model has a method factor (:func:`method_factor_of`), the marker's items.
    The pipeline's step and the power study's replications both take them from here."""
    method = method_factor_of(hyp, inst, marker, [i for v in items.values() for i in v])
    return (items if method is None else {**items, method.marker: method.marker_items}), method


def fit_latent(data: pd.DataFrame, estimator: str, constructs: dict[str, list[str]], interactions: list[str],
               controls: list[str], max_iter: int = 500, method=None, blocks=None):
    if estimator == "sam":
        from surveysem.propositions.latent_sam import latent_regression

        return latent_regression(data, "y", constructs, interactions, controls, max_iter=max_iter, method=method,
                                 blocks=blocks)
    if estimator == "sem":
        from surveysem.propositions.latent_paths import safe_name
        from surveysem.propositions.latent_sem import fit_latent_sem

        # control columns such as tech_intensity[2] are not lavaan variable names: fit under safe
        # names, report under the original ones
        safe = {c: safe_name(c) for c in controls}
        r = fit_latent_sem(data.rename(columns=safe), "y", constructs, interactions, list(safe.values()),
                           max_iter=max_iter)
        back = {v: k for k, v in safe.items()}
        r.terms = [back.get(t, t) for t in r.terms]
        return r
    raise SurveySemError(f"unknown latent estimator {estimator!r} (use sam or sem)")


def model_fit_indices(estimator: str, r) -> dict:
    """The fit the verdict's fit gate reads (:mod:`surveysem.propositions.fit_gate`): the full SEM's
    own, or the SAM measurement blocks' (the SAM structural regression is saturated)."""
    from surveysem.propositions.latent_paths import SEM_FIT_KEYS

    if estimator == "sem":
        fit = r.blocks["sem"].fit
        return {"basis": "sem", "fits": {"model": {k: fit[k] for k in SEM_FIT_KEYS if k in fit}}}
    from surveysem.propositions.latent_method import JOINT

    if JOINT in r.blocks:  # one joint measurement model with the method factor
        return {"basis": "sam_joint", "fits": {JOINT: dict(r.blocks[JOINT].fit)}}
    return {"basis": "sam_blocks", "fits": {c: dict(b.fit) for c, b in r.blocks.items()}}


def paths_fit_indices(estimator: str, r: dict) -> dict:
    """As :func:`model_fit_indices` for a model hypothesis (the SAM structural step is not tested)."""
    if estimator == "sem":
        return {"basis": "sem", "fits": {"model": dict(r["fit"])}}
    return {"basis": "sam_paths", "fits": r.get("block_fits", {})}


def p_one_sided(est: float, se: float, expected: str) -> float:
    z = est / se if se > 0 else np.nan
    return float(special.ndtr(-z) if expected == "+" else special.ndtr(z))


def _constant_controls(data: pd.DataFrame, controls: list[str], hyp_id: str, warn: list) -> list[str]:
    keep = []
    for c in controls:
        if data[c].dropna().nunique() < 2:
            warn.append(f"{hyp_id}: control {c} is constant; dropped")
        else:
            keep.append(c)
    return keep


def estimator_label(estimator: str, item_scores: str) -> str:
    """The estimator in words, with how it read the items."""
    scoring = ("items as linearised category scores (graded-response model)" if item_scores == "linearised"
               else "items as answer codes")
    return f"{ESTIMATORS[estimator]}, {scoring}"


def scored_items(data: pd.DataFrame, constructs: dict[str, list[str]], controls: list[str],
                 item_scores: str) -> tuple[pd.DataFrame, str]:
    """``data`` with the constructs' items as the latent estimators read them, and an error text
    (empty when it worked): ``linearised`` rescores each item's categories by its scale's
    graded-response model (:mod:`surveysem.propositions.item_scores`), fitted on the rows the
    estimators use; ``raw`` keeps the codes."""
    if item_scores == "raw":
        return data, ""
    from surveysem.propositions.item_scores import rescore_items
    from surveysem.propositions.latent_sam import usable_rows

    try:
        return rescore_items(data, constructs, fit_on=usable_rows(data, "y", constructs, controls)[0]), ""
    except SurveySemError as err:
        return data, f"items could not be rescored: {err}"


def method_on_scores(method, raw: pd.DataFrame, scored: pd.DataFrame):
    """(``method`` with its loadings carried from the raw answers to the linearised scores, error
    text or None): equal on the answers, they are ``sign_j * slope_j`` on the scores
    (:func:`~surveysem.propositions.item_scores.answer_slopes`)."""
    from surveysem.propositions.item_scores import answer_slopes

    try:
        slopes = answer_slopes(raw, scored, list(method.keying))
    except SurveySemError as err:
        return method, f"items could not be rescored: {err}"
    return replace(method, keying={c: k * slopes[c] for c, k in method.keying.items()}), None


def analyse_latent(data: pd.DataFrame, controls: list[str], hyp, items: dict[str, list[str]], *, estimator: str,
                   level: float = 0.95, adjust: str = "holm", alpha: float = 0.05, max_iter: int = 500,
                   not_estimable: str | None = None, method=None) -> dict:
    """The latent main-effects and interaction models of ``hyp`` and its sub-hypothesis tests.
    ``method``: the SAM measurement model's method factor (:func:`method_factor_of`), or None;
    both models share one measurement model (the same firms enter both).

    Returns ``coefficients`` (every term of both models), ``fits`` (one row per model),
    ``subhypotheses`` and ``warnings``. A model that cannot be estimated, or whose solution is
    inadmissible or did not converge, gives "not estimable" verdicts with the reason;
    ``not_estimable`` (the pre-check of degenerate data) is such a reason found before fitting."""
    warn: list[str] = []
    controls = _constant_controls(data, controls, hyp.id, warn)
    constructs = {c: items[c] for c in list(hyp.constructs) + list(hyp.control_constructs)}
    if not not_estimable:
        scored = constructs if method is None else {**constructs, method.marker: list(method.marker_items)}
        raw = data
        data, score_error = scored_items(data, scored, controls, hyp.item_scores)
        not_estimable = score_error or None
        if method is not None and hyp.item_scores != "raw" and not not_estimable:
            method, not_estimable = method_on_scores(method, raw, data)
    if hyp.is_paths:
        return _analyse_paths(data, controls, hyp, constructs, estimator=estimator, level=level, adjust=adjust,
                              alpha=alpha, max_iter=max_iter, warn=warn, not_estimable=not_estimable)
    models = {"main": []}
    if hyp.interactions:
        models["interaction"] = list(hyp.interactions)
    z = float(special.ndtri(0.5 + level / 2))
    fits, coefs, results, blocks = [], [], {}, None
    for name, inter in models.items():
        model_id = f"{hyp.id}:{estimator}:{name}"
        try:
            if not_estimable:
                raise SurveySemError(not_estimable)
            r = fit_latent(data, estimator, constructs, inter, controls, max_iter, method=method, blocks=blocks)
            blocks = r.blocks if estimator == "sam" else None
        except (SurveySemError, np.linalg.LinAlgError) as err:
            warn.append(f"{hyp.id} {estimator} {name}: not estimable: {_failure(err)}")
            results[name] = None
            continue
        results[name] = r
        warn.extend(f"{hyp.id} {estimator} {name}: {w}" for w in r.warnings)
        std = r.std_all()
        for j, t in enumerate(r.terms):
            role = ("intercept" if t == "Intercept" else "interaction" if ":" in t
                    else "capability" if t in hyp.constructs else "control")
            coefs.append(_coefficient_row(hyp, model_id, estimator, t, role, r.params[j], r.se[j], z, std[j], r.nobs))
        fits.append({"proposition": hyp.id, "model": model_id, "estimator": estimator, "outcome": hyp.outcome,
                     "item_scores": hyp.item_scores, "n": r.nobs, "n_dropped": r.n_dropped, "k": len(r.terms),
                     "r2_latent": r.r2,
                     "converged": r.converged, "admissible": r.admissible,
                     "reliability": {c: round(v, 6) for c, v in _reliabilities(r.blocks).items()},
                     "fit_indices": model_fit_indices(estimator, r), "method_factor": method_factor_text(r.blocks)})
    subs = _subhypotheses(hyp, results, estimator, z, adjust, alpha)
    for r in subs if not_estimable else []:
        r["problem"] = f"not estimable: {not_estimable}"
    return {"coefficients": coefs, "fits": fits, "subhypotheses": subs, "warnings": warn,
            "estimator": estimator, "estimator_label": estimator_label(estimator, hyp.item_scores),
            "outcome_scale": OUTCOME_SCALE[hyp.outcome], "method_factor": _method_record(method, results)}


def method_factor_text(blocks: dict) -> str:
    """The measurement model's method factor in words, for latent_fits.csv: ``marker <id>`` with the
    estimated method variance, or ``none``."""
    from surveysem.propositions.latent_method import JOINT

    if JOINT not in blocks:
        return "none"
    mm = blocks[JOINT]
    return f"marker {mm.marker} (method variance {mm.method_variance:.4g})"


def _reliabilities(blocks: dict) -> dict:
    """Construct -> reliability of its score with every item answered (SAM blocks or joint model)."""
    out = {}
    for c, b in blocks.items():
        if hasattr(b, "reliabilities"):
            out.update(b.reliabilities())
        elif hasattr(b, "reliability"):
            out[c] = b.reliability
    return out


def _method_record(method, results: dict) -> dict | None:
    """What the report says of the method factor: the marker, its items and the estimated method variance."""
    from surveysem.propositions.latent_method import JOINT

    if method is None:
        return None
    fitted = [r.blocks[JOINT] for r in results.values() if r is not None and JOINT in r.blocks]
    return {"marker": method.marker, "marker_items": list(method.marker_items),
            "method_variance": float(fitted[0].method_variance) if fitted else None}


def one_sided_bound(est: float, se: float, expected: str, alpha: float) -> float:
    """The (1 - alpha) one-sided confidence bound in the predicted direction: a lower bound for
    "+", an upper bound for "-". It excludes 0 exactly when the unadjusted one-sided p < alpha, so a
    supported sub-hypothesis (adjusted p < alpha) always has a bound beyond 0, whatever the
    two-sided 95 % interval shows."""
    z = float(special.ndtri(1 - alpha))
    return est - z * se if expected == "+" else est + z * se


def _judge(rows: list[dict], adjust: str, alpha: float) -> None:
    """Adjusted p, sign, one-sided bound and verdict of each sub-hypothesis row (in place)."""
    for r in rows:
        r["one_sided_bound"] = (one_sided_bound(r["est"], r["se"], r["expected"], alpha)
                                if np.isfinite(r["est"]) and np.isfinite(r["se"]) else np.nan)
    # an untestable sub-hypothesis counts with p = 1, so it cannot make the others' Holm lenient
    p = np.array([1.0 if r["problem"] else r["p_one_sided"] for r in rows])
    padj = holm(p) if adjust == "holm" else p
    for r, pa in zip(rows, padj):
        r["p_adjusted"] = float(pa)
    for r in rows:
        if r["problem"]:
            r.update(sign_ok=False, supported=False, verdict="not estimable")
        else:
            r["sign_ok"] = bool(np.sign(r["est"]) == (1 if r["expected"] == "+" else -1))
            r["supported"] = bool(r["sign_ok"] and r["p_adjusted"] < alpha)
            r["verdict"] = "supported" if r["supported"] else "not supported"


def _failure(err) -> str:
    return err.one_line() if isinstance(err, SurveySemError) else f"singular moment matrix ({err})"


def _coefficient_row(hyp, model_id, estimator, term, role, est, se, z, std_all, n) -> dict:
    """One row of latent_coefficients.csv: estimate, SE, z, two-sided p and the Wald CI."""
    ok = se > 0
    return {"proposition": hyp.id, "model": model_id, "estimator": estimator, "outcome": hyp.outcome, "term": term,
            "role": role, "est": est, "se": se, "z": est / se if ok else np.nan,
            "p_two_sided": float(2 * special.ndtr(-abs(est / se))) if ok else np.nan,
            "ci_lower": est - z * se, "ci_upper": est + z * se, "std_all": std_all, "n": n}


def _problem(converged: bool, admissible: bool, se: float) -> str:
    """Why a test cannot be judged, or "" (never hidden: the verdict becomes "not estimable")."""
    if not converged:
        return "not converged"
    if not admissible:
        return "inadmissible solution"
    return "" if np.isfinite(se) else "no standard error"


def _test_row(hyp, s, estimator: str, model_id: str, z: float, estimate=None, problem: str = "") -> dict:
    """A sub-hypothesis test row; ``estimate`` = (est, se, std_all), or None when not estimable."""
    row = {"proposition": hyp.id, "id": s.id, "term": s.term, "expected": s.expected, "family": estimator,
           "family_used": estimator, "primary": True, "model": model_id, "est": np.nan, "se": np.nan,
           "std_all": np.nan, "ci_lower": np.nan, "ci_upper": np.nan, "p_one_sided": np.nan,
           "problem": (problem or "not estimable") if estimate is None else problem}
    if estimate is not None:
        est, se, std = estimate
        row.update(est=est, se=se, std_all=std, ci_lower=est - z * se, ci_upper=est + z * se,
                   p_one_sided=p_one_sided(est, se, s.expected))
    return row


def _subhypotheses(hyp, results: dict, estimator: str, z: float, adjust: str, alpha: float) -> list[dict]:
    rows = []
    for s in hyp.subs:
        name = "interaction" if s.is_interaction else "main"
        r = results.get(name)
        model_id = f"{hyp.id}:{estimator}:{name}"
        if r is None:
            rows.append(_test_row(hyp, s, estimator, model_id, z))
            continue
        j = r.terms.index(s.term)
        est, se = float(r.params[j]), float(r.se[j])
        rows.append(_test_row(hyp, s, estimator, model_id, z, (est, se, float(r.std_all()[j])),
                              _problem(r.converged, r.admissible, se)))
    _judge(rows, adjust, alpha)
    return rows


def _analyse_paths(data, controls, hyp, constructs, *, estimator, level, adjust, alpha, max_iter, warn,
                   not_estimable=None) -> dict:
    """A model hypothesis (:mod:`surveysem.propositions.latent_paths`): its tested parameters."""
    from surveysem.propositions.latent_paths import fit_paths_sam, fit_paths_sem
    from surveysem.propositions.latent_sam import usable_rows

    fit = fit_paths_sam if estimator == "sam" else fit_paths_sem
    expected = {s.term: s.expected for s in hyp.subs}
    model_id = f"{hyp.id}:{estimator}:model"
    z = float(special.ndtri(0.5 + level / 2))
    d, n_dropped = usable_rows(data, "y", constructs, controls)
    r = None
    try:
        if not_estimable:
            raise SurveySemError(not_estimable)
        r = fit(d, hyp.model, hyp.outcome, constructs, controls, expected, max_iter)
    except (SurveySemError, np.linalg.LinAlgError) as err:
        warn.append(f"{hyp.id} {estimator} model: not estimable: {_failure(err)}")
    rows = []
    for s in hyp.subs:
        if r is None:
            rows.append(_test_row(hyp, s, estimator, model_id, z,
                                  problem=f"not estimable: {not_estimable}" if not_estimable else ""))
            continue
        est, se = r["tested"][s.term]
        rows.append(_test_row(hyp, s, estimator, model_id, z, (est, se, np.nan),
                              _problem(r["converged"], r["admissible"], se)))
    _judge(rows, adjust, alpha)
    coefs = [_coefficient_row(hyp, model_id, estimator, row["term"], "tested", row["est"], row["se"], z, np.nan,
                              r["nobs"] if r else 0) for row in rows]
    fits = [] if r is None else [{"proposition": hyp.id, "model": model_id, "estimator": estimator,
                                  "outcome": hyp.outcome, "item_scores": hyp.item_scores, "n": r["nobs"],
                                  "n_dropped": n_dropped,
                                  "k": len(rows), "r2_latent": np.nan, "converged": r["converged"],
                                  "admissible": r["admissible"], "reliability": {},
                                  "fit_indices": paths_fit_indices(estimator, r), "method_factor": "none"}]
    warn.extend(f"{hyp.id} {estimator} model: {w}" for w in (r["warnings"] if r else []))
    return {"coefficients": coefs, "fits": fits, "subhypotheses": rows, "warnings": warn, "estimator": estimator,
            "estimator_label": estimator_label(estimator, hyp.item_scores), "outcome_scale": OUTCOME_SCALE[hyp.outcome]}
