"""The ordinal check of the measurement stage (``measurement.ordinal_check``): the CFA of all scales
fitted a second time by WLSMV with the items as ordered, beside the stage's ML / MLR CFA.

Per scale: the standardized loadings of both fits, the ML composite reliability (semTools
``compRelSEM``, observed variance) and the ordinal omega of the WLSMV fit
(:mod:`surveysem.measurement.ordinal_reliability`) both ways semTools computes it: with the sample
polychoric correlations in the denominator (``compRelSEM(fit)``, the same choice as the ML CR) and
with the model's (``reliability(fit)``). Fit: the scaled chi-square, CFI, TLI, RMSEA and SRMR.

Missing answers: FIML is not available for ordinal indicators; with ``data.missing: fiml`` the
WLSMV fit uses pairwise-present data (lavaan ``missing = "pairwise"``), with ``listwise`` the same
complete cases as the ML fit. A scale with a parcel (a mean of items, not an ordered answer) is
left out of the WLSMV model with a note, degenerate items as in the stage's CFA (the pre-check of
:mod:`surveysem.measurement.degenerate`); a model that cannot be fitted is recorded with its
reason, not raised: the check is a sensitivity analysis.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from surveysem.measurement import degenerate
from surveysem.measurement.ordinal_reliability import ordinal_omegas
from surveysem.measurement.tables import FIT_ERRORS, cfa_syntax, items_numeric

WLSMV_FIT_KEYS = ("npar", "nobs", "chisq", "df", "chisq_scaled", "df_scaled", "pvalue_scaled", "scaling_factor",
                  "shift_parameter", "cfi_scaled", "tli_scaled", "rmsea_scaled", "rmsea_ci_lower_scaled",
                  "rmsea_ci_upper_scaled", "srmr", "cfi_robust", "tli_robust", "rmsea_robust")
MISSING_NOTE = {"pairwise": "pairwise-present data (FIML is not available for ordinal indicators)",
                "listwise": "listwise deletion, the complete cases of the ML fit"}


def wlsmv_missing(data_missing: str) -> str:
    """lavaan's ``missing`` of the WLSMV fit for ``data.missing`` (fiml -> pairwise)."""
    return "listwise" if data_missing == "listwise" else "pairwise"


def ordinal_scales(X: pd.DataFrame, scales: dict[str, list[str]], parcels) -> tuple[dict, dict[str, str], list[str]]:
    """The scales the WLSMV model can take (degenerate items left out, as in the stage's CFA), the
    scales left out with why, and the pre-check's warnings."""
    left_out = {c: f"indicator(s) {', '.join(p for p in its if p in parcels)} are parcels (means of items), not "
                   "ordered answers" for c, its in scales.items() if any(p in parcels for p in its)}
    pc = degenerate.precheck(X, {c: its for c, its in scales.items() if c not in left_out}, analysis="CFA")
    left_out.update(pc.not_estimable)
    return {c: its for c, its in pc.scales.items() if c not in left_out}, left_out, list(pc.warnings)


def fit_wlsmv(X: pd.DataFrame, syntax: str, missing: str, max_iter: int):
    """The WLSMV fit of ``syntax`` with every item ordered, or (None, reason)."""
    from surveysem.sem import fit_model

    try:
        res = fit_model(syntax, X, estimator="WLSMV", ordered=True, missing=missing, max_iter=int(max_iter))
    except FIT_ERRORS as err:
        return None, f"WLSMV CFA could not be fitted: {getattr(err, 'message', None) or err}"
    return res, None


def sample_polychorics(X: pd.DataFrame, items: list[str], missing: str) -> pd.DataFrame:
    """The sample polychoric correlations of ``items`` (stage one of WLSMV, as lavaan's sampstat)."""
    from surveysem.sem.muthen1984 import ordinal_sample_statistics

    g = ordinal_sample_statistics(X[items], items, missing=missing).groups[0]
    return pd.DataFrame(g.cor, index=g.items, columns=g.items)


def _standardized(est: pd.DataFrame) -> pd.DataFrame:
    return est.loc[est["op"] == "=~", ["lhs", "rhs", "est", "se", "std_all"]].rename(
        columns={"lhs": "construct", "rhs": "item"})


def scale_omegas(est: pd.DataFrame, sample_cor: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Per factor of a one-group WLSMV parameter table: ordinal omega with the sample polychorics
    (``compRelSEM(fit)``) and with the model's (``reliability(fit)``)."""
    observed, model = ordinal_omegas(est, total_cov=sample_cor), ordinal_omegas(est)
    return {f: {"omega_ordinal": observed[f], "omega_ordinal_model": model[f]} for f in model}


def _num(x):
    return None if x is None or not np.isfinite(float(x)) else float(x)


def comparison(scales: dict[str, list[str]], ml_loadings: pd.DataFrame, ml_validity: pd.DataFrame,
               wlsmv_loadings: pd.DataFrame | None, omegas: dict) -> tuple[list[dict], list[dict]]:
    """The scale rows and item rows of the file: ML / MLR beside WLSMV."""
    ml_std = {(r.construct, r.item): r.std_all for r in ml_loadings.itertuples(index=False)}
    cr = dict(zip(ml_validity["construct"].astype(str), ml_validity["cr"]))
    wl = {} if wlsmv_loadings is None else {(r.construct, r.item): r for r in wlsmv_loadings.itertuples(index=False)}
    items, rows = [], []
    for c, its in scales.items():
        for i in its:
            w = wl.get((c, i))
            items.append({"construct": c, "item": i, "std_ml": _num(ml_std.get((c, i))),
                          "std_wlsmv": _num(w.std_all) if w is not None else None,
                          "est_wlsmv": _num(w.est) if w is not None else None,
                          "se_wlsmv": _num(w.se) if w is not None else None})
        ml = [v for v in (ml_std.get((c, i)) for i in its) if v is not None and np.isfinite(v)]
        wv = [wl[(c, i)].std_all for i in its if (c, i) in wl]
        rows.append({"construct": c, "k": len(its), "omega_ml": _num(cr.get(c)),
                     **{k: _num(v) for k, v in omegas.get(c, {}).items()},
                     "mean_std_ml": _num(np.mean(ml)) if ml else None, "min_std_ml": _num(min(ml)) if ml else None,
                     "mean_std_wlsmv": _num(np.mean(wv)) if wv else None,
                     "min_std_wlsmv": _num(min(wv)) if wv else None})
    return rows, items


def ordinal_check_record(data: pd.DataFrame, scales: dict[str, list[str]], parcels, cfg: dict,
                         ml: dict) -> dict:
    """The contents of ordinal_check.json (stage_files.yaml) from the analysis table ``data``, the
    stage's ``scales``, its ``parcels`` and the ML CFA's files (``ml``: ``fit`` = cfa_fit.json,
    ``loadings`` and ``validity`` frames)."""
    missing = wlsmv_missing(cfg["missing"])
    X = items_numeric(data, scales)
    usable, left_out, precheck_warnings = ordinal_scales(X, scales, parcels)
    record = {"estimator_ml": ml["fit"].get("estimator"), "missing": missing, "missing_note": MISSING_NOTE[missing],
              "fit_ml": ml["fit"].get("fit") or {}, "left_out": left_out, "warnings": precheck_warnings, "syntax": None,
              "converged": None, "fit_wlsmv": None, "not_fitted": None}
    res, omegas = None, {}
    if len(usable) and sum(len(v) for v in usable.values()) >= 2:
        record["syntax"] = cfa_syntax(usable)
        res, record["not_fitted"] = fit_wlsmv(X, record["syntax"], missing, cfg["max_iter"])
    else:
        record["not_fitted"] = "no scale can be fitted with ordered items"
    if res is not None:
        record["converged"] = bool(res.converged)
        record["warnings"] += list(res.warnings) + ([] if res.converged else ["WLSMV CFA did not converge"])
        record["fit_wlsmv"] = {k: _num(res.fit[k]) for k in WLSMV_FIT_KEYS if k in res.fit}
        items = [i for its in usable.values() for i in its]
        omegas = scale_omegas(res.estimates, sample_polychorics(X, items, missing))
    record["scales"], record["loadings"] = comparison(
        scales, ml["loadings"], ml["validity"], _standardized(res.estimates) if res is not None else None, omegas)
    return record
