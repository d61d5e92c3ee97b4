"""Measurement-invariance sequence (configural, metric, scalar) as lavaan + lavTestLRT.

``invariance_sequence(syntax, data, group, estimator="ML")`` fits the three nested
multi-group models (``group_equal`` = (), ("loadings",), ("loadings", "intercepts"))
and returns one row per model with its fit and the comparison with the previous model:

* ML: the standard chi-square difference test (``lavTestLRT`` default);
* MLR, MLM: the Satorra-Bentler (2001) scaled difference (``lavTestLRT`` default for
  scaled tests), computed from the unscaled statistics and scaling factors.

``rmsea_lrt`` is lavTestLRT's RMSEA of the difference test,
``sqrt(max(0, (dchisq - ddf) / (N ddf))) * sqrt(G)``; ``delta_cfi`` / ``delta_rmsea`` /
``delta_srmr`` are differences of the (robust, for MLR and MLM) indices with the previous model.
"""

from __future__ import annotations

import math

import pandas as pd
from scipy import special  # chdtrc, ndtr: scipy.stats' functions without its import cost

from surveysem.sem.api import fit_model

LEVELS = {
    "configural": (),
    "metric": ("loadings",),
    "scalar": ("loadings", "intercepts"),
}


FIT_KEYS = ("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr", "aic", "bic", "npar")
ROBUST_ESTIMATORS = ("MLR", "MLM")  # scaled chi-squares: Satorra-Bentler 2001 differences
ROBUST_KEYS = ("chisq_scaled", "scaling_factor", "pvalue_scaled", "cfi_robust", "tli_robust", "rmsea_robust")


def fit_level(syntax, data, group, group_equal, *, estimator="ML", missing="listwise", std_lv=False,
              group_partial=()):
    """One multi-group model of the sequence (``group_equal``: lavaan's ``group.equal``)."""
    return fit_model(
        syntax, data, estimator=estimator, missing=missing, group=group, group_equal=group_equal, std_lv=std_lv,
        group_partial=group_partial,
        # the sequence reads chi-squares and the ordinary fit indices only
        fiml_robust_indices=False, standard_errors=str(estimator).upper() in ROBUST_ESTIMATORS,
    )


def fit_row(res) -> dict:
    """The fit of one model of the sequence (robust statistics for MLR and MLM)."""
    f = res.fit
    row = {k: f[k] for k in FIT_KEYS}
    if res.estimator in ROBUST_ESTIMATORS:
        row.update({k: f[k] for k in ROBUST_KEYS})
    return row


def compare(prev, res) -> dict:
    """The difference of ``res`` with the less constrained ``prev`` (module docstring)."""
    d = dict(delta_chisq=math.nan, delta_df=math.nan, delta_p=math.nan, rmsea_lrt=math.nan, delta_cfi=math.nan,
             delta_rmsea=math.nan, delta_srmr=math.nan)
    if prev is None:
        return d
    f, pf = res.fit, prev.fit
    robust = res.estimator in ROBUST_ESTIMATORS
    ddf = f["df"] - pf["df"]
    dchisq = f["chisq"] - pf["chisq"]
    if robust and ddf > 0:
        cd = (f["df"] * f["scaling_factor"] - pf["df"] * pf["scaling_factor"]) / ddf
        if cd <= 0:
            cd = math.nan
        dchisq = dchisq / cd
    d["delta_chisq"] = dchisq
    d["delta_df"] = ddf
    d["delta_p"] = float(special.chdtrc(ddf, dchisq)) if ddf > 0 else math.nan
    N = f["nobs"]
    G = res.ngroups
    d["rmsea_lrt"] = math.sqrt(max(0.0, (dchisq - ddf) / (N * ddf))) * math.sqrt(G) if ddf > 0 else math.nan
    key = "_robust" if robust else ""
    d["delta_cfi"] = f["cfi" + key] - pf["cfi" + key]
    d["delta_rmsea"] = f["rmsea" + key] - pf["rmsea" + key]
    d["delta_srmr"] = f["srmr"] - pf["srmr"]
    return d


def invariance_sequence(
    syntax, data, group, *, estimator="ML", missing="listwise", std_lv=False, levels=("configural", "metric", "scalar"),
    group_partial=(),
):
    """The nested models of ``levels`` (module docstring); ``group_partial`` (lavaan's
    ``group.partial``, e.g. ``("visual=~x3", "x3~1")``) frees those parameters in every model."""
    rows = []
    prev = None
    for name in levels:
        res = fit_level(syntax, data, group, LEVELS[name], estimator=estimator, missing=missing, std_lv=std_lv,
                        group_partial=group_partial)
        row = {"model": name, **fit_row(res), **compare(prev, res)}
        row["converged"] = res.converged
        row["warnings"] = "; ".join(res.warnings)
        rows.append(row)
        prev = res
    return pd.DataFrame(rows)
