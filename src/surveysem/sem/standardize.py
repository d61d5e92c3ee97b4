"""Standardized solution and R² (lavaan's ``lav_standardize.R``: ``lav_standardize_all``; and
``lavInspect(, "rsquare")``).

``std.all`` of a row, with ``C`` the model-implied covariance of all variables:

* path / loading ``A[i, j]``: ``A[i, j] * sd_j / sd_i``;
* variance ``S[i, i]``: ``S[i, i] / C[i, i]`` (a residual variance as a share of the total);
* covariance ``S[i, j]``: ``S[i, j] / sqrt(S[i, i] S[j, j])`` (residual covariances by residual
  variances, as lavaan);
* intercept / mean ``m[i]``: ``m[i] / sd_i``;
* defined (``:=``) parameters: their definition evaluated at the standardized values.

R² of an endogenous variable (indicator or dependent): ``1 - S[i, i] / C[i, i]``.
"""

from __future__ import annotations

import numpy as np

from surveysem.sem.parameters import evaluate_definitions, label_values


def _std_layout(spec):
    """Row positions by kind, cached on the spec (the standardized solution is computed once
    per bootstrap resample)."""
    lay = getattr(spec, "_std_layout", None)
    if lay is None:
        kinds = {"A": [], "Sd": [], "So": [], "m": []}
        for k, r in enumerate(spec.rows):
            key = r.mat if r.mat in ("A", "m") else ("Sd" if r.i == r.j else "So")
            kinds[key].append((k, r.group, r.i, r.j))
        lay = {key: np.array(v, dtype=int).reshape(-1, 4) for key, v in kinds.items()}
        spec._std_layout = lay
    return lay


def standardized(spec, eng, theta):
    """std.all for every partable row followed by every defined parameter."""
    out = np.full(len(spec.rows), np.nan)
    lay = _std_layout(spec)
    with np.errstate(all="ignore"):
        for g, gs in enumerate(eng.groups, start=1):
            A, S, m, B, C, nu = gs.implied(theta)
            sd = np.sqrt(np.where(np.diag(C) > 0, np.diag(C), np.nan))
            for key, rows in lay.items():
                rows = rows[rows[:, 1] == g]
                k, i, j = rows[:, 0], rows[:, 2], rows[:, 3]
                if key == "A":
                    out[k] = A[i, j] * sd[j] / sd[i]
                elif key == "Sd":
                    tv = np.diag(C)[i]
                    out[k] = np.where(tv != 0, S[i, i] / np.where(tv != 0, tv, 1.0), np.nan)
                elif key == "So":
                    den = S[i, i] * S[j, j]
                    out[k] = np.where(den > 0, S[i, j] / np.sqrt(np.where(den > 0, den, 1.0)), np.nan)
                else:
                    out[k] = m[i] / sd[i]
    if spec.definitions:
        defs = evaluate_definitions(spec, label_values(spec, out))
        out = np.concatenate([out, defs])
    return out


def r_squared(spec, eng, theta):
    """{variable: R²} of the indicators and dependent variables; multi-group: {(variable, group): R²}."""
    res = {}
    endo = set()
    for r in spec.rows:
        if r.op == "=~":
            endo.add(r.rhs)
        elif r.op == "~":
            endo.add(r.lhs)
    names = spec.var_names
    for g, gs in enumerate(eng.groups, start=1):
        A, S, m, B, C, nu = gs.implied(theta)
        tv = np.diag(C)
        for k, v in enumerate(names):
            if v in endo:
                val = 1.0 - S[k, k] / tv[k] if tv[k] != 0 else float("nan")
                res[v if spec.ngroups == 1 else (v, g)] = float(val)
    return res
