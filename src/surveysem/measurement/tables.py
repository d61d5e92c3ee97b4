"""The measurement stage's tables, computed in memory from the analysis table (no files).

One builder per step of ``surveysem.measurement.steps``: :func:`reliability_tables` and
:func:`efa_report` (alpha with Feldt CI, standardized alpha, omega, item statistics; KMO, Bartlett,
parallel analysis and EFA of the capability items), :func:`cfa_tables` and :func:`cmv_report` (CFA
of all measured constructs with the SEM engine, ML or MLR, FIML when ``data.missing: fiml``, and
the cascade of :mod:`surveysem.measurement.cfa_cascade` when it cannot be estimated;
standardized loadings with delta-method SEs, CR/AVE, Fornell–Larcker, small-sample corrected
chi-squares (semTools ``chisqSmallN``); common-method variance),
:func:`htmt_tables` (HTMT and HTMT2 with seeded bootstrap CIs, log-scale standard intervals),
:func:`invariance_tables` (configural / metric / scalar across a grouping variable) and
:func:`verdict_rows` (a verdict per scale).

``cfg`` is :func:`settings` of the config keys the step's rule declares. Statistical problems
(zero-variance item, Heywood case, non-convergence, too-small group) are collected as warnings.
"""

from __future__ import annotations

import logging
import math

import numpy as np
import pandas as pd

from surveysem import resampling, stage_files
from surveysem.errors import SurveySemError
from surveysem.instrument.analysed import scale_indicators
from surveysem.measurement import degenerate
from surveysem.measurement import scores as scores_mod
from surveysem.measurement import validity as val_mod
from surveysem.measurement import verdicts as verd_mod

log = logging.getLogger(__name__)


def settings(config: dict) -> dict:
    """The ``measurement`` keys a rule declares, plus ``missing`` (``data.missing``) when declared."""
    out = {k: (dict(v) if isinstance(v, dict) else v) for k, v in config["measurement"].items()}
    if "data" in config:
        out["missing"] = config["data"]["missing"]
    if "estimator" in out:
        out["estimator"] = str(out["estimator"]).upper()
    return out


# ----------------------------------------------------------------------------- inputs


def construct_scales(inst) -> dict[str, list[str]]:
    """construct id -> item ids for the measured constructs (capability, oie, marker)."""
    return scale_indicators(inst)


def items_numeric(data: pd.DataFrame, scales: dict[str, list[str]], source="analysis table") -> pd.DataFrame:
    items = [i for its in scales.values() for i in its]
    missing = [i for i in items if i not in data.columns]
    if missing:
        raise SurveySemError(f"item column(s) missing from the {source}: {', '.join(missing[:5])}"
                             + (" ..." if len(missing) > 5 else ""))
    X = data[items].apply(pd.to_numeric, errors="coerce").astype(float)
    return X


def _usable_scales(X: pd.DataFrame, scales: dict[str, list[str]], warnings: list[str], where: str) -> dict:
    """The scales of :func:`surveysem.measurement.degenerate.precheck` for the analysis ``where``
    (degenerate items and constructs left out, one warning line each)."""
    pc = degenerate.precheck(X, scales, analysis=where)
    warnings += pc.warnings
    return pc.scales


# ----------------------------------------------------------------------------- step 1


def reliability_tables(data: pd.DataFrame, scales: dict[str, list[str]], cfg: dict) -> dict:
    from surveysem.measurement import (
        reliability as rel_mod,  # here: the other steps do without scipy.stats
    )

    X = items_numeric(data, scales)
    rel_rows, item_tables, warnings = [], [], []
    usable = _usable_scales(X, scales, warnings, "reliability")
    for name, items in scales.items():
        if name not in usable:
            rel_rows.append({"construct": name, "k": len(items), "k_used": 0})
            continue
        r = rel_mod.scale_reliability(X, usable[name], name)
        s = r.summary
        rel_rows.append({
            "construct": name, "k": len(items), "k_used": s.get("k_used"), "n": s.get("n"),
            "n_complete": s.get("n_complete"),
            "alpha": s.get("alpha"), "alpha_ci_lower": s.get("ci_lower"), "alpha_ci_upper": s.get("ci_upper"),
            "std_alpha": s.get("std_alpha"), "omega": s.get("omega"), "omega_t": s.get("omega_t"),
            "average_r": s.get("average_r"),
            "median_r": s.get("median_r"), "g6_smc": s.get("g6_smc"), "ase": s.get("ase"),
            "scale_mean": s.get("scale_mean"), "scale_sd": s.get("scale_sd"),
        })
        item_tables.append(r.item_stats.rename(columns={"scale": "construct"}))
        warnings += r.warnings
    stats = (pd.concat(item_tables, ignore_index=True) if item_tables
             else pd.DataFrame(columns=stage_files.columns("item_stats")))
    return {"reliability": pd.DataFrame(rel_rows, columns=stage_files.columns("reliability")), "item_stats": stats,
            "warnings": warnings}


def efa_report(data: pd.DataFrame, items: list[str], cfg: dict) -> dict:
    from surveysem.measurement import efa as efa_mod

    e = cfg["efa"]
    X = data[items].apply(pd.to_numeric, errors="coerce").astype(float)
    if len(items) < 3:
        return {"items": items, "n": len(X), "warnings": [f"EFA not run: {len(items)} usable capability item(s)"]}
    rotation = e["rotation"]
    d = efa_mod.item_pool_diagnostics(X, n_factors=e["n_factors"], method=e["method"],
                                      rotation=None if rotation in (None, "none") else rotation, n_iter=int(e["parallel_iter"]),
                                      seed=int(cfg["seed"]))
    out: dict = {"items": d["items"], "n": d["n"], "warnings": d["warnings"]}
    if "kmo" in d:
        out["kmo"] = d["kmo"]
        out["bartlett"] = d["bartlett"]
        out["eigenvalues"] = d["eigenvalues"]
        out["parallel"] = d["parallel"]
    if "efa" in d:
        f = d["efa"]
        out["efa"] = {k: v for k, v in f.items() if k not in ("loadings", "phi")}
        out["efa"]["loadings"] = {i: f["loadings"].loc[i].to_dict() for i in f["loadings"].index}
        out["efa"]["phi"] = {i: f["phi"].loc[i].to_dict() for i in f["phi"].index}
    return out


# ----------------------------------------------------------------------------- step 2


def cfa_syntax(scales: dict[str, list[str]]) -> str:
    return "\n".join(f"{f} =~ " + " + ".join(items) for f, items in scales.items())


def _sem_missing(cfg) -> str:
    return "fiml" if cfg["missing"] == "fiml" else "listwise"


def standardized_se(pm, res, eps: float = 1e-6) -> np.ndarray:
    """Delta-method SEs of ``std_all`` for every estimate row (lavaan ``standardizedSolution``):
    numerical Jacobian (central differences) of the standardized solution times the
    parameter covariance matrix of the fit."""
    from surveysem.sem import standardized

    theta = np.asarray(res.free_params, dtype=float)
    V = res.vcov
    n_rows = len(res.estimates)
    if V is None or not np.all(np.isfinite(V)):
        return np.full(n_rows, np.nan)
    f0 = standardized(pm.spec, pm.engine, theta)
    J = np.zeros((f0.size, theta.size))
    for k in range(theta.size):
        h = eps * max(1.0, abs(theta[k]))
        tp, tm = theta.copy(), theta.copy()
        tp[k] += h
        tm[k] -= h
        J[:, k] = (standardized(pm.spec, pm.engine, tp) - standardized(pm.spec, pm.engine, tm)) / (2 * h)
    with np.errstate(invalid="ignore"):
        se = np.sqrt(np.einsum("ij,jk,ik->i", J, V, J))
    out = np.full(n_rows, np.nan)
    out[: min(n_rows, se.size)] = se[:n_rows]
    return out


def fit_cfa(data: pd.DataFrame, scales: dict[str, list[str]], estimator: str = "ML", missing: str = "listwise",
            max_iter: int = 500) -> dict:
    """Fit the CFA with the SEM engine; return result, loadings table (with std SE/z/p), the sample
    covariance lavaan would use (N denominator; EM estimate under FIML) and warnings."""
    from scipy import stats

    from surveysem.sem import prepare_model

    syntax = cfa_syntax(scales)
    items = [i for its in scales.values() for i in its]
    X = data[items].apply(pd.to_numeric, errors="coerce").astype(float)
    pm = prepare_model(syntax, items, estimator=estimator, missing=missing, max_iter=int(max_iter))
    res = pm.fit(X)
    # the fit's own patterns and moments (EM h1 under FIML): computing them again costs a second EM
    gd = pm.engine.data[0]
    est = res.estimates.copy()
    est["std_se"] = standardized_se(pm, res)
    # restore the engine's data/state for anything else (standardized_se does not change it)
    with np.errstate(invalid="ignore", divide="ignore"):
        est["std_z"] = est["std_all"] / est["std_se"]
    est["std_pvalue"] = 2 * stats.norm.sf(np.abs(est["std_z"].astype(float)))
    S = pd.DataFrame(gd.cov, index=pm.spec.ov_names, columns=pm.spec.ov_names)
    return {"syntax": syntax, "result": res, "estimates": est, "sample_cov": S, "prepared": pm}


def _fit_dict(res) -> dict:
    keep = ["chisq", "df", "pvalue", "cfi", "tli", "rmsea", "rmsea_ci_lower", "rmsea_ci_upper", "srmr", "aic", "bic",
            "logl", "npar", "nobs", "chisq_scaled", "pvalue_scaled", "scaling_factor", "cfi_robust", "tli_robust",
            "rmsea_robust", "rmsea_ci_lower_robust", "rmsea_ci_upper_robust", "baseline_chisq", "baseline_df"]
    return {k: res.fit.get(k) for k in keep if k in res.fit}


FIT_ERRORS = (SurveySemError, np.linalg.LinAlgError, ValueError, FloatingPointError)  # a model that cannot be fitted


CASCADE_FIT_KEYS = ("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr", "npar", "nobs")


def cascade_fit_summary(res) -> dict:
    """The fit indices cfa_fit.json records for every model of the cascade."""
    return {k: res.fit.get(k) for k in CASCADE_FIT_KEYS if k in res.fit}


def _loadings_of(est: pd.DataFrame) -> pd.DataFrame:
    L = est[est["op"] == "=~"]
    return pd.DataFrame({
        "construct": L["lhs"], "item": L["rhs"], "est": L["est"], "se": L["se"], "z": L["z"], "pvalue": L["pvalue"],
        "std_all": L["std_all"], "std_se": L["std_se"], "std_z": L["std_z"], "std_pvalue": L["std_pvalue"],
    }).reset_index(drop=True)


def _latent_correlations(est: pd.DataFrame) -> pd.DataFrame:
    lat = val_mod.measurement_parts(est)["phi_std"].copy()
    for f in lat.index:
        lat.loc[f, f] = 1.0
    return lat


def _model_validity(fit: dict) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """CR/AVE with sqrt(AVE) and Fornell–Larcker of one fitted model; its FL table and latent correlations."""
    est = fit["estimates"]
    cra = val_mod.cr_ave_table(est, fit["sample_cov"], obs_var=True)
    lat = _latent_correlations(est)
    fl, passes = val_mod.fornell_larcker(dict(zip(cra["construct"], cra["ave"])), lat)
    cra["sqrt_ave"] = np.sqrt(cra["ave"].clip(lower=0))
    cra["fornell_larcker_pass"] = cra["construct"].map(passes)
    return cra, fl, lat


def _fornell_larcker_note(scale: str, model: str, members: list[str], everyone: list[str]) -> str:
    """Why a scale's Fornell–Larcker verdict is partial or absent ("" when it compares every scale)."""
    others = [s for s in everyone if s not in members]
    if len(members) < 2:
        return (f"not assessable: the {model} of {scale} has no latent correlations with other scales"
                + (f" (not comparable: {', '.join(others)})" if others else ""))
    if others:
        return (f"within the {model} only ({', '.join(m for m in members if m != scale)}); not comparable with "
                f"{', '.join(others)} (latent correlations from other models)")
    return ""


def _block_matrix(blocks: list[pd.DataFrame], order: list[str]) -> pd.DataFrame:
    """The blocks of several models in one square matrix in ``order``, empty between models."""
    if len(blocks) == 1 and list(blocks[0].index) == order:
        return blocks[0]
    out = pd.DataFrame(np.nan, index=order, columns=order)
    for b in blocks:
        out.loc[b.index, b.columns] = b.to_numpy(dtype=float)
    return out


def _joint_warnings(attempt, warnings: list[str]) -> None:
    """The joint model's warnings, worded as before the cascade (the CFA is the joint one)."""
    if not attempt.fitted:
        warnings.append(f"CFA {attempt.failure}")
    elif not attempt.converged:
        warnings.append("CFA did not converge; estimates are unreliable")


def _cascade_warnings(cascade, warnings: list[str]) -> None:
    """One warning per fallback model used (prefix "CFA cascade:", kept out of token matching: the
    verdicts get each scale's reason from the cascade record)."""
    from surveysem.measurement.cfa_cascade import comparable_groups, why_not_above

    for name, members in comparable_groups(cascade):
        used = cascade.source[members[0]]
        if used.model.level == "joint":
            continue
        state = "" if used.converged else " (did not converge: estimates unreliable)"
        warnings.append(f"CFA cascade: {len(members)} scale(s) from the {name}{state}, because "
                        f"{why_not_above(cascade, members[0])}")
    for a in cascade.attempts:
        if a.model.level != "joint" and not a.converged:
            warnings.append(f"CFA cascade: the {a.model.name} of {len(a.model.scales)} scale(s) {a.failure}")
    for a in cascade.used():  # a fallback model's own problems (Heywood cases ...) reach the scales they name
        if a.model.level != "joint":
            warnings += [f"CFA ({a.model.name}): {w}" for w in a.fit["result"].warnings]


def cfa_tables(data: pd.DataFrame, scales: dict[str, list[str]], cfg: dict, groups=None) -> dict:
    """Everything of step 2 as in-memory tables (no files).

    The joint CFA of all scales, and when it cannot be estimated the cascade of
    :mod:`surveysem.measurement.cfa_cascade` (``groups``: its level-2 groups, from
    :func:`surveysem.measurement.cfa_cascade.cfa_groups`; None = straight to one-factor CFAs).
    ``fit``, ``syntax``, ``converged`` and the modification indices stay the joint model's."""
    from surveysem.measurement import cfa_cascade as cc

    warnings: list[str] = []
    X = items_numeric(data, scales)
    use = _usable_scales(X, scales, warnings, "CFA")
    missing = _sem_missing(cfg)
    out: dict = {"warnings": warnings, "scales": use, "estimator": cfg["estimator"], "missing": missing}
    if not use:
        warnings.append("CFA not fitted: no estimable scale (pre-check)")
        out["cascade"] = cc.run_cascade({}, [], None, FIT_ERRORS)
        return out

    def fit(model_scales):  # module-level fit_cfa looked up at call time (tests replace it)
        return fit_cfa(X, model_scales, estimator=cfg["estimator"], missing=missing, max_iter=cfg["max_iter"])

    cascade = cc.run_cascade(use, groups or [], fit, FIT_ERRORS)
    joint = cascade.attempts[0]
    _joint_warnings(joint, warnings)
    if joint.fitted:
        _joint_summary(joint.fit, out, warnings)
    _cascade_warnings(cascade, warnings)
    out["cascade"] = cascade
    if cascade.used():
        _assemble(cascade, use, out)
    return out


def _joint_summary(fit: dict, out: dict, warnings: list[str]) -> None:
    """Syntax, convergence, fit indices and small-sample chi-squares of the joint model."""
    from surveysem.sem.small_sample import small_sample_of_fit

    res = fit["result"]
    out["syntax"] = fit["syntax"]
    out["converged"] = bool(res.converged)
    warnings += [f"CFA: {w}" for w in res.warnings]
    out["fit"] = _fit_dict(res)
    out["small_sample_chisq"] = small_sample_of_fit(res, fit["prepared"].spec)
    if out["small_sample_chisq"].get("statistic") == "chisq_scaled":
        warnings.append("CFA: small-sample corrections applied to the scaled chi-square (as semTools "
                        "chisqSmallN); they were developed for the normal-theory ML statistic")
    out["_fit"] = fit


def _assemble(cascade, use: dict, out: dict) -> None:
    """Loadings, validity, Fornell–Larcker and latent correlations of each scale from the model it
    came from; the model named in a ``model`` column."""
    from surveysem.measurement.cfa_cascade import comparable_groups

    everyone = [s for s in use if s in cascade.source]
    loadings, validity, fl_blocks, lat_blocks, estimates = [], [], [], [], []
    for name, members in comparable_groups(cascade):
        fit = cascade.source[members[0]].fit
        cra, fl, lat = _model_validity_of(fit, members)
        ld = _loadings_of(fit["estimates"])
        loadings.append(ld[ld["construct"].isin(members)].assign(model=name))
        cra["model"] = name
        cra["fornell_larcker_note"] = [_fornell_larcker_note(s, name, members, everyone) for s in cra["construct"]]
        if len(members) < 2:  # one scale: no latent correlation to compare sqrt(AVE) with (True/False/empty, not 1.0)
            cra["fornell_larcker_pass"] = pd.Series([None] * len(cra), dtype=object)
        validity.append(cra)
        fl_blocks.append(fl)
        lat_blocks.append(lat)
        estimates.append((members, fit["estimates"]))
    order = [s for s in use if s in everyone]
    out["loadings"] = _in_order(pd.concat(loadings, ignore_index=True), order)
    out["validity"] = _in_order(pd.concat(validity, ignore_index=True), order)
    out["fornell_larcker"] = _block_matrix(fl_blocks, order)
    out["latent_correlations"] = _block_matrix(lat_blocks, order)
    out["estimates"] = estimates[0][1] if len(estimates) == 1 else None  # one model: its estimates (as before)
    out["estimates_by_model"] = estimates


def _model_validity_of(fit: dict, members: list[str]):
    """:func:`_model_validity` restricted to ``members`` (the scales this model's numbers are used for)."""
    cra, fl, lat = _model_validity(fit)
    keep = [s for s in fl.index if s in members]
    if len(keep) != len(fl.index):  # a group model whose other scales came from a model above
        sub = lat.loc[keep, keep]
        fl, passes = val_mod.fornell_larcker(dict(zip(cra["construct"], cra["ave"])), sub)
        cra = cra[cra["construct"].isin(members)].reset_index(drop=True)
        cra["fornell_larcker_pass"] = cra["construct"].map(passes)
        lat = sub
    return cra, fl, lat


def _in_order(frame: pd.DataFrame, order: list[str]) -> pd.DataFrame:
    """Rows grouped by construct in ``order`` (stable within a construct)."""
    rank = {s: k for k, s in enumerate(order)}
    return frame.sort_values("construct", key=lambda c: c.map(rank), kind="stable").reset_index(drop=True)


MODINDEX_COLUMNS = ["lhs", "op", "rhs", "mi", "epc", "sepc_all"]
MODINDEX_TOP = 50  # the largest modification indices written (every item's largest is usually among them)


def cfa_modindices(cfa: dict, top: int = MODINDEX_TOP) -> tuple[pd.DataFrame, str | None]:
    """The ``top`` largest modification indices of the CFA (lavaan ``modindices``), largest first,
    and None; or an empty table and the reason in words when they are not available (ML, FIML and
    MLR fits have them)."""
    empty = pd.DataFrame(columns=MODINDEX_COLUMNS)
    fit = cfa.get("_fit")
    if fit is None:
        return empty, "not available: the CFA could not be fitted"
    if not fit["result"].converged:
        return empty, "not available: the CFA did not converge"
    try:
        mi = fit["result"].modindices()
    except SurveySemError as exc:
        return empty, f"not available: {exc.one_line()}"
    except (np.linalg.LinAlgError, ValueError, FloatingPointError) as exc:
        return empty, f"not available: {type(exc).__name__}: {exc}"
    mi = mi[np.isfinite(mi["mi"].astype(float))]
    top_rows = mi.sort_values("mi", ascending=False, kind="stable").head(top)
    return top_rows[MODINDEX_COLUMNS].reset_index(drop=True), None


def cmv_report(data: pd.DataFrame, scales: dict[str, list[str]], cfg: dict, base_result=None,
               mean_scores: pd.DataFrame | None = None) -> dict:
    from surveysem.measurement import cmv as cmv_mod

    c = cfg["cmv"]
    warnings: list[str] = []
    X = items_numeric(data, scales)
    use = _usable_scales(X, scales, warnings, "CMV")
    items = [i for its in use.values() for i in its]
    out: dict = {"warnings": warnings}
    if len(use) < 2:
        warnings.append(f"common-method variance not assessed: {len(use)} estimable scale(s) (pre-check)")
        return out
    try:
        out["harman"] = cmv_mod.harman(X[items], method=c["harman_method"])
    except (np.linalg.LinAlgError, ValueError) as exc:
        warnings.append(f"Harman test failed: {exc}")
    if mean_scores is None:
        mean_scores = scores_mod.mean_scores(X, use, cfg["min_item_share"])
    marker = c["marker"]
    substantive = [k for k in use if k != marker]
    complete = int(mean_scores[[k for k in use if k in mean_scores.columns]].notna().all(axis=1).sum())
    few = degenerate.too_few_respondents(complete, "CMV")
    if few and marker in use:  # the marker t tests have n - 3 degrees of freedom
        warnings.append(f"marker-variable adjustment skipped: {few} (complete scale scores)")
    elif marker and marker in use and len(substantive) >= 2:
        mt = cmv_mod.marker_table(mean_scores, marker, substantive, marker_rank=int(c["marker_rank"]))
        mt["table"] = mt["table"].to_dict(orient="records")
        out["marker"] = mt
    else:
        warnings.append(f"marker-variable adjustment skipped: marker construct {marker!r} not measured")
    vif = cmv_mod.full_collinearity_vif(mean_scores[substantive], threshold=float(c["vif_threshold"]))
    out["full_collinearity"] = {"threshold": float(c["vif_threshold"]), "scores": "scale means",
                                "table": vif.to_dict(orient="records")}
    for r in vif.itertuples():
        if r.above_threshold:
            warnings.append(f"full-collinearity VIF of {r.construct} is {r.vif:.2f} > {c['vif_threshold']}")
    clf = cmv_mod.common_latent_factor(X, use, estimator=cfg["estimator"], missing=_sem_missing(cfg),
                                       loadings=c["clf_loadings"], max_iter=int(cfg["max_iter"]),
                                       two_stage=True)
    warnings += clf.pop("warnings", [])
    out["common_latent_factor"] = clf
    return out


# ----------------------------------------------------------------------------- step 3


HTMT_LEVEL = 0.95  # level of the HTMT CIs (measurement.validity.htmt_bootstrap)


def htmt_tables(data: pd.DataFrame, scales: dict[str, list[str]], cfg: dict) -> dict:
    warnings: list[str] = []
    X = items_numeric(data, scales)
    use = _usable_scales(X, scales, warnings, "HTMT")
    B = int(cfg["htmt_bootstrap_B"])
    # pairwise-complete correlations unless the data are meant to be analysed listwise
    missing = "listwise" if cfg["missing"] == "listwise" else "pairwise"
    items = [i for its in use.values() for i in its]
    n = int(X[items].notna().all(axis=1).sum()) if missing == "listwise" else int(X[items].notna().any(axis=1).sum())
    if n < 3 or len(use) < 2:
        warnings.append(f"HTMT not computed: {n} usable rows, {len(use)} scales")
        return {"table": pd.DataFrame(), "warnings": warnings, "n": n, "missing": missing}
    if B > 0:
        tab = val_mod.htmt_bootstrap(X, use, B=B, seed=int(cfg["seed"]), missing=missing, level=HTMT_LEVEL)
    else:
        h1, h2 = val_mod.htmt(X, use, False, missing), val_mod.htmt(X, use, True, missing)
        rows = [{"a": a, "b": b, "htmt": h1.loc[a, b], "htmt2": h2.loc[a, b]}
                for k, a in enumerate(use) for b in list(use)[k + 1:]]
        tab = pd.DataFrame(rows)
    tab.insert(2, "n", n)
    for r in tab.itertuples():
        if not (np.isfinite(r.htmt) and np.isfinite(r.htmt2)):
            warnings.append(f"HTMT of {r.a} and {r.b} is undefined (a non-positive mean correlation)")
    ci_problem = None
    if B > 0 and len(tab):
        used = int(tab["B_valid"].min())
        if not resampling.enough_resamples(used, HTMT_LEVEL):
            ci_problem = f"not assessable (too few resamples): {resampling.too_few_text(used, HTMT_LEVEL)}"
            warnings.append(f"HTMT CIs {ci_problem} (measurement.htmt_bootstrap_B = {B})")
    return {"table": tab, "warnings": warnings, "n": n, "missing": missing, "ci_problem": ci_problem}


# ----------------------------------------------------------------------------- step 4


def _invariance_fit(df: pd.DataFrame, scales: dict[str, list[str]], cfg: dict, missing: str, scope: str,
                    warnings: list[str]) -> pd.DataFrame | None:
    """One configural/metric/scalar sequence for ``scales``; problems become warnings."""
    from surveysem.sem import invariance_sequence

    where = "" if scope == "joint" else f" of {scope}"
    try:
        tab = invariance_sequence(cfa_syntax(scales), df.rename(columns={"_group": "group_"}), "group_",
                                  estimator=cfg["estimator"], missing=missing)
    except SurveySemError as exc:
        warnings.append(f"invariance models{where} could not be fitted: {exc.one_line()}")
        return None
    except (np.linalg.LinAlgError, ValueError, FloatingPointError) as exc:
        warnings.append(f"invariance models{where} could not be fitted: {type(exc).__name__}: {exc}")
        return None
    for r in tab.itertuples():
        if not r.converged:
            warnings.append(f"invariance{where}: the {r.model} model did not converge")
        if isinstance(r.warnings, str) and r.warnings:
            warnings.append(f"invariance ({r.model}{where}): {r.warnings}")
    tab = tab.copy()
    tab.insert(0, "scope", scope)
    return tab


def _partial_fit(df: pd.DataFrame, scales: dict[str, list[str]], cfg: dict, missing: str, scope: str,
                 tab: pd.DataFrame | None, warnings: list[str]) -> pd.DataFrame | None:
    """The partial-invariance search of one scope (:mod:`surveysem.measurement.partial`) when its
    metric or scalar row fails by ``measurement.partial_invariance``; problems become warnings."""
    from surveysem.measurement.partial import fails, partial_search

    rule = cfg["partial_invariance"]
    if not rule["enabled"] or tab is None or not tab["converged"].all():
        return None
    if not any(fails(r, rule) for r in tab[tab["model"] != "configural"].to_dict("records")):
        return None
    where = "" if scope == "joint" else f" of {scope}"
    try:
        return partial_search(cfa_syntax(scales), df.rename(columns={"_group": "group_"}), "group_", scales, scope,
                              rule, estimator=cfg["estimator"], missing=missing)
    except SurveySemError as exc:
        warnings.append(f"partial-invariance search{where} not completed: {exc.one_line()}")
    except (np.linalg.LinAlgError, ValueError, FloatingPointError) as exc:
        warnings.append(f"partial-invariance search{where} not completed: {type(exc).__name__}: {exc}")
    return None


def _free_parameters_per_group(p: int, k: int) -> int:
    # intercepts, residual variances, loadings (one fixed per factor), factor (co)variances
    return 2 * p + (p - k) + k * (k + 1) // 2


def invariance_tables(data: pd.DataFrame, scales: dict[str, list[str]], group: pd.Series, cfg: dict) -> dict:
    """Configural/metric/scalar sequences across the groups.

    ``measurement.invariance_scope``: ``joint`` fits one multi-group CFA of all scales;
    ``per_scale`` fits each scale's one-factor model across the groups; ``auto`` (default)
    is joint when every group has more cases than the joint model has free parameters per
    group, else per scale (with a warning saying so). Groups too small for a model are a
    warning, not a failure.
    """
    warnings: list[str] = []
    X = items_numeric(data, scales)
    use = _usable_scales(X, scales, warnings, "invariance")
    if not use:
        warnings.append("invariance not tested: no estimable scale (pre-check)")
        return {"warnings": warnings, "group_sizes": {}, "free_parameters_per_group": None, "table": pd.DataFrame()}
    items = [i for its in use.values() for i in its]
    missing = _sem_missing(cfg)
    df = X[items].copy()
    df["_group"] = group.to_numpy()
    df = df[df["_group"].notna()]
    if missing == "listwise":
        df = df.dropna(subset=items)
    counts = df["_group"].astype(str).value_counts().sort_index()
    npar_group = _free_parameters_per_group(len(items), len(use))
    out = {"warnings": warnings, "group_sizes": counts.to_dict(), "free_parameters_per_group": npar_group,
           "table": pd.DataFrame()}
    if len(counts) < 2:
        warnings.append("invariance not tested: fewer than two groups with data")
        return out
    scope = cfg["invariance_scope"]
    small = [g for g, n in counts.items() if n < npar_group]
    if scope == "joint" and small:
        warnings.append("invariance not tested: group(s) " + ", ".join(f"{g} (n = {counts[g]})" for g in small)
                        + f" smaller than the {npar_group} free parameters per group")
        return out
    if scope == "joint" or (scope == "auto" and not small):
        tab = _invariance_fit(df, use, cfg, missing, "joint", warnings)
        out["scope"] = "joint"
        out["table"] = tab if tab is not None else pd.DataFrame()
        out["partial"] = _partial_fit(df, use, cfg, missing, "joint", tab, warnings)
        return out
    if scope == "auto":
        warnings.append("joint invariance model not fitted: group(s) " + ", ".join(
            f"{g} (n = {counts[g]})" for g in small) + f" smaller than its {npar_group} free parameters per group; "
            "invariance tested scale by scale instead")
    out["scope"] = "per_scale"
    tables, partial = [], []
    for name, its in use.items():
        sub = df[its + ["_group"]]
        if missing == "listwise":
            sub = sub.dropna(subset=its)
        n_min = int(sub["_group"].astype(str).value_counts().min())
        need = _free_parameters_per_group(len(its), 1)
        if len(its) < 3:
            warnings.append(f"invariance of {name} not tested: fewer than 3 items")
            continue
        if n_min < need:
            warnings.append(f"invariance of {name} not tested: smallest group n = {n_min} < {need} free parameters")
            continue
        tab = _invariance_fit(sub, {name: its}, cfg, missing, name, warnings)
        if tab is not None:
            tables.append(tab)
        partial.append(_partial_fit(sub, {name: its}, cfg, missing, name, tab, warnings))
    out["table"] = pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()
    partial = [p for p in partial if p is not None]
    out["partial"] = pd.concat(partial, ignore_index=True) if partial else None
    return out


INVARIANCE_COLUMNS = ["scope", "model", "chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr", "aic", "bic", "npar",
                      "delta_chisq", "delta_df", "delta_p", "rmsea_lrt", "delta_cfi", "delta_rmsea", "delta_srmr",
                      "converged", "warnings"]


def group_label(v):
    """Group values as text; 1.0 (a float column because of missing values) -> "1"."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    if isinstance(v, (float, np.floating)) and float(v).is_integer():
        return str(int(v))
    return str(v)


# ----------------------------------------------------------------------------- step 5


# Warnings about auxiliary models (the common latent factor) and the CFA cascade's summary (each
# scale's part of it reaches its verdict through the cascade record) stay in warnings.json but are not
# problems of a scale, so they do not enter its verdict.
NOT_SCALE_WARNINGS = ("CLF model:", "common latent factor", "CFA cascade:")


def _warnings_of(name: str, warnings: list[str], items: list[str]) -> list[str]:
    keys = [name] + items
    out = []
    for w in warnings:
        if w.startswith(NOT_SCALE_WARNINGS):
            continue
        toks = set(w.replace(",", " ").replace(":", " ").replace("(", " ").replace(")", " ").split())
        if any(k in toks for k in keys):
            out.append(w)
    return out


def verdict_rows(scales: dict[str, list[str]], reliability: pd.DataFrame, validity: pd.DataFrame, loadings: pd.DataFrame, htmt: pd.DataFrame, warnings: list[str],
                 thresholds: dict, model_warnings: dict[str, list[str]] | list[str] | None = None,
                 candidates: pd.DataFrame | None = None) -> pd.DataFrame:
    """One verdict per scale; ``warnings`` are attached to the scales they name (construct or item
    id), ``model_warnings`` (the CFA the scale's numbers come from: a fallback of the cascade,
    non-convergence) to the scale they are keyed by (a list: to every scale); the suggestions are
    those of the refinement assistant's ``candidates`` (refinement.csv)."""
    from surveysem.measurement.refinement import suggestion

    cands = candidates if candidates is not None else pd.DataFrame(columns=["construct"])
    rel = reliability.set_index("construct") if len(reliability) else pd.DataFrame()
    val = validity.set_index("construct") if len(validity) else pd.DataFrame()
    rows = []
    for name, items in scales.items():
        stats = {"alpha": rel.loc[name, "alpha"] if name in rel.index else None,
                 "omega": rel.loc[name, "omega"] if name in rel.index else None,
                 "cr": val.loc[name, "cr"] if name in val.index else None,
                 "ave": val.loc[name, "ave"] if name in val.index else None}
        its = []
        ld = loadings[loadings["construct"] == name].set_index("item") if len(loadings) else pd.DataFrame()
        for i in items:
            its.append({"item": i, "loading": ld.loc[i, "std_all"] if i in ld.index else None})
        h = {}
        if len(htmt):
            for r in htmt.itertuples():
                if r.a == name:
                    h[r.b] = r.htmt
                elif r.b == name:
                    h[r.a] = r.htmt
        fl = None
        if name in val.index and "fornell_larcker_pass" in val.columns:
            v = val.loc[name, "fornell_larcker_pass"]
            fl = None if pd.isna(v) else bool(v)
        of_model = model_warnings.get(name, []) if isinstance(model_warnings, dict) else model_warnings or []
        ws = list(of_model) + _warnings_of(name, warnings, items)
        says = [suggestion(c, thresholds) for c in cands[cands["construct"] == name].to_dict(orient="records")]
        rows.append(verd_mod.scale_verdict(name, stats, its, h, fl, ws, thresholds=thresholds, suggestions=says))
    return verd_mod.verdict_table(rows)
