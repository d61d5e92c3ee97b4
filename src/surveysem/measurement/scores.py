"""Scale scores: item means per construct, optionally CFA factor scores (regression method).

* Mean scores: the mean of a respondent's answered (keyed) items of the construct, provided she
  answered at least ``min_share`` of them (otherwise missing). Reverse-keyed items are already
  reversed in ``results/clean/analysis.csv``.
* Factor scores (Thurstone's regression method, lavaan ``lavPredict(method = "regression")``):
  ``f_hat = Phi Lambda' Sigma^-1 (x - mu)`` with the model-implied ``Sigma = Lambda Phi Lambda' + Theta``
  and ``mu`` the model intercepts (mean structure) or the sample means. A respondent with missing
  items is scored from her observed items only (``Sigma_oo``, ``Lambda_o``), as lavaan does under FIML.

Example
-------
>>> import pandas as pd
>>> d = pd.DataFrame({"a1": [1, 2, None], "a2": [3, None, None], "a3": [5, 4, 2]})
>>> mean_scores(d, {"A": ["a1", "a2", "a3"]}, min_share=0.5)["A"].round(3).tolist()
[3.0, 3.0, nan]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from surveysem.errors import SurveySemError

__all__ = ["mean_scores", "composite_table", "factor_scores"]


def mean_scores(data: pd.DataFrame, scales: dict[str, list[str]], min_share: float = 0.5) -> pd.DataFrame:
    """One column per construct: mean of answered items if at least ``min_share`` answered."""
    if not 0 < min_share <= 1:
        raise SurveySemError("min_share must be in (0, 1]", value=min_share)
    out = pd.DataFrame(index=data.index)
    for name, items in scales.items():
        missing = [i for i in items if i not in data.columns]
        if missing:
            raise SurveySemError(f"construct {name}: item(s) not in the data: {', '.join(missing)}")
        X = data[items].astype(float)
        answered = X.notna().sum(axis=1)
        score = X.mean(axis=1, skipna=True)
        out[name] = score.where(answered >= min_share * len(items) - 1e-12)
    return out


def composite_table(analysis: pd.DataFrame, inst, min_share: float, constructs=None) -> pd.DataFrame:
    """``respondent_id`` and the mean score of every measured analysed scale of ``inst``, or of
    ``constructs`` (the composites of ``scale_scores.csv`` and of the regressions: one definition)."""
    from surveysem.instrument.analysed import scale_indicators  # not measurement.tables: no SEM engine

    scales = scale_indicators(inst)
    if constructs is not None:
        scales = {c: scales[c] for c in constructs}
    scores = mean_scores(analysis, scales, min_share)
    scores.insert(0, "respondent_id", analysis["respondent_id"])
    return scores


def factor_scores(data: pd.DataFrame, estimates: pd.DataFrame) -> pd.DataFrame:
    """Regression-method factor scores from a single-group CFA solution (lavaan-style estimates
    with columns lhs, op, rhs, est). Rows without any observed indicator get NaN."""
    from surveysem.measurement.validity import measurement_parts

    parts = measurement_parts(estimates)
    factors = parts["factors"]
    items = list(dict.fromkeys(i for f in factors for i in parts["loadings"][f]))
    p, m = len(items), len(factors)
    L = np.zeros((p, m))
    for j, f in enumerate(factors):
        for i, v in parts["loadings"][f].items():
            L[items.index(i), j] = v
    Phi = parts["phi"].loc[factors, factors].to_numpy(dtype=float)
    Theta = np.diag([parts["theta"].get(i, 0.0) for i in items])
    for (a, b), v in parts["theta_cov"].items():
        if a in items and b in items:
            Theta[items.index(a), items.index(b)] = Theta[items.index(b), items.index(a)] = v
    Sigma = L @ Phi @ L.T + Theta
    X = data[items].astype(float).to_numpy()
    ints = estimates[(estimates["op"] == "~1")]
    nu = dict(zip(ints["lhs"], ints["est"].astype(float)))
    if all(i in nu for i in items):
        mu = np.array([nu[i] for i in items])
        alpha = np.array([nu.get(f, 0.0) for f in factors])
    else:
        mu = np.nanmean(X, axis=0)
        alpha = np.zeros(m)
    out = np.full((X.shape[0], m), np.nan)
    obs = ~np.isnan(X)
    patterns: dict[tuple, list[int]] = {}
    for r in range(X.shape[0]):
        patterns.setdefault(tuple(obs[r]), []).append(r)
    for pat, rows in patterns.items():
        o = np.array(pat)
        if not o.any():
            continue
        W = Phi @ L[o].T @ np.linalg.inv(Sigma[np.ix_(o, o)])
        out[rows] = alpha + (X[np.ix_(rows, np.flatnonzero(o))] - mu[o]) @ W.T
    return pd.DataFrame(out, index=data.index, columns=factors)
