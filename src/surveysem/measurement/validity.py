"""Construct validity: composite reliability, AVE, Fornell–Larcker, HTMT (and HTMT2) with bootstrap CIs.

Definitions follow semTools (``compRelSEM``, ``AVE``, ``htmt``) so the numbers match R:

* composite reliability (omega, ``compRelSEM`` defaults ``tau.eq = FALSE, obs.var = TRUE``):
  ``CR_f = (sum_i lambda_if)^2 phi_ff / 1' S_f 1`` with ``S_f`` the observed covariance matrix of the
  indicators of ``f`` (lavaan's sample statistics: N denominator; the EM/H1 estimate under FIML).
  With ``obs_var=False`` the denominator is the model-implied variance of the sum.
* AVE (``semTools::AVE``, ``obs.var = TRUE``): ``sum_i lambda_if^2 phi_ff / sum_i S_ii``.
* Fornell–Larcker (1981): sqrt(AVE) on the diagonal, latent correlations below it; a construct passes
  if its sqrt(AVE) exceeds its correlations with every other construct.
* HTMT (Henseler, Ringle & Sarstedt 2015): mean absolute heterotrait–heteromethod correlation over
  the geometric mean of the two mean monotrait–heteromethod correlations; HTMT2 (Roemer, Schuberth
  & Henseler 2021) uses geometric instead of arithmetic means. Correlations from listwise-complete
  rows (semTools ``missing = "listwise"``). Their bootstrap CIs are standard intervals on the log
  scale (:mod:`surveysem.measurement.intervals`), which contain the estimate where percentile and
  BC intervals of a near-zero HTMT do not.

Example
-------
>>> import numpy as np
>>> round(composite_reliability([0.7, 0.8, 0.6], [0.51, 0.36, 0.64]), 4)
0.7449
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from surveysem.measurement.intervals import log_normal_interval

__all__ = [
    "composite_reliability",
    "ave",
    "measurement_parts",
    "cr_ave_table",
    "fornell_larcker",
    "htmt",
    "htmt_bootstrap",
]


def composite_reliability(loadings, residuals=None, phi: float = 1.0, total_var: float | None = None) -> float:
    """Composite reliability ``(sum lambda)^2 phi / denominator``.

    ``total_var`` = sum of the (observed) covariance matrix of the indicators; if not given, the
    model-implied ``(sum lambda)^2 phi + sum theta`` (uncorrelated residuals) is used.

    >>> round(composite_reliability([1, 1, 1], [1, 1, 1]), 4)
    0.75
    """
    lam = np.asarray(loadings, dtype=float)
    common = lam.sum() ** 2 * phi
    if total_var is None:
        total_var = common + float(np.sum(residuals))
    return float(common / total_var)


def ave(loadings, residuals=None, phi: float = 1.0, observed_variances=None) -> float:
    """Average variance extracted ``sum lambda^2 phi / sum var(x_i)``.

    ``observed_variances`` = the indicators' observed variances (semTools ``obs.var = TRUE``); if not
    given, ``lambda^2 phi + theta`` (model-implied) — for standardized loadings this is
    ``mean(lambda_std^2)``.

    >>> round(ave([0.7, 0.8, 0.6], [0.51, 0.36, 0.64]), 4)
    0.4967
    """
    lam = np.asarray(loadings, dtype=float)
    common = float(np.sum(lam**2) * phi)
    if observed_variances is None:
        denom = common + float(np.sum(residuals))
    else:
        denom = float(np.sum(observed_variances))
    return common / denom


def measurement_parts(estimates: pd.DataFrame) -> dict:
    """Split lavaan-style estimates (columns lhs, op, rhs, est[, std_all]) into loadings per factor,
    factor (co)variances, residual variances and residual covariances (single group)."""
    est = estimates
    if "group" in est.columns and est["group"].nunique() > 1:
        raise ValueError("measurement_parts expects a single-group solution")
    load = est[est["op"] == "=~"]
    factors = list(dict.fromkeys(load["lhs"]))
    loadings = {f: dict(zip(load.loc[load["lhs"] == f, "rhs"], load.loc[load["lhs"] == f, "est"].astype(float)))
                for f in factors}
    std = {}
    if "std_all" in est.columns:
        std = {f: dict(zip(load.loc[load["lhs"] == f, "rhs"], load.loc[load["lhs"] == f, "std_all"].astype(float)))
               for f in factors}
    cov = est[est["op"] == "~~"]
    phi = pd.DataFrame(np.nan, index=factors, columns=factors)
    phi_std = pd.DataFrame(np.nan, index=factors, columns=factors)
    theta: dict[str, float] = {}
    theta_cov: dict[tuple[str, str], float] = {}
    for r in cov.itertuples(index=False):
        if r.lhs in factors and r.rhs in factors:
            phi.loc[r.lhs, r.rhs] = phi.loc[r.rhs, r.lhs] = float(r.est)
            if "std_all" in est.columns:
                phi_std.loc[r.lhs, r.rhs] = phi_std.loc[r.rhs, r.lhs] = float(r.std_all)
        elif r.lhs == r.rhs:
            theta[r.lhs] = float(r.est)
        else:
            theta_cov[(r.lhs, r.rhs)] = float(r.est)
    phi = phi.fillna(0.0)
    return {"factors": factors, "loadings": loadings, "std_loadings": std, "phi": phi, "phi_std": phi_std,
            "theta": theta, "theta_cov": theta_cov}


def cr_ave_table(estimates: pd.DataFrame, sample_cov: pd.DataFrame | None = None, obs_var: bool = True) -> pd.DataFrame:
    """CR and AVE per factor as ``semTools::compRelSEM`` / ``semTools::AVE``.

    ``sample_cov``: the observed covariance matrix lavaan uses (N denominator; for FIML the H1
    estimate); required when ``obs_var`` is True. Factors with an indicator that loads on more
    than one factor get AVE = NaN (semTools skips them); factors with one indicator are left out.
    """
    parts = measurement_parts(estimates)
    load_items: dict[str, list[str]] = {f: [i for i, v in d.items() if v != 0] for f, d in parts["loadings"].items()}
    counts: dict[str, int] = {}
    for f, items in load_items.items():
        for i in items:
            counts[i] = counts.get(i, 0) + 1
    rows = []
    for f in parts["factors"]:
        items = load_items[f]
        if len(items) < 2:
            continue
        lam = np.array([parts["loadings"][f][i] for i in items])
        phi = float(parts["phi"].loc[f, f])
        if obs_var:
            if sample_cov is None:
                raise ValueError("sample_cov is required with obs_var=True")
            S = sample_cov.loc[items, items].to_numpy(dtype=float)
            total = float(S.sum())
            diag = np.diag(S)
        else:
            total = lam.sum() ** 2 * phi + sum(parts["theta"].get(i, 0.0) for i in items)
            total += 2 * sum(v for (a, b), v in parts["theta_cov"].items() if a in items and b in items)
            diag = lam**2 * phi + np.array([parts["theta"].get(i, 0.0) for i in items])
        cross = any(counts[i] > 1 for i in items)
        rows.append({
            "construct": f,
            "k": len(items),
            "cr": composite_reliability(lam, phi=phi, total_var=total),
            "ave": float("nan") if cross else ave(lam, phi=phi, observed_variances=diag),
        })
    return pd.DataFrame(rows)


def fornell_larcker(ave_by_construct: dict[str, float], latent_cor: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, bool]]:
    """Fornell–Larcker table: sqrt(AVE) on the diagonal, latent correlations off it.

    Returns (table, passes) where ``passes[c]`` is True when sqrt(AVE_c) > |r_cj| for all j != c.
    """
    names = [c for c in latent_cor.index if c in ave_by_construct]
    table = latent_cor.loc[names, names].astype(float).copy()
    passes = {}
    for c in names:
        root = float(np.sqrt(ave_by_construct[c])) if ave_by_construct[c] >= 0 else float("nan")
        table.loc[c, c] = root
        others = [abs(table.loc[c, j]) for j in names if j != c]
        passes[c] = bool(np.isfinite(root) and all(root > o for o in others))
    return table, passes


def pairwise_corr(X: np.ndarray) -> np.ndarray:
    """Pairwise correlations as ``lavaan::lavCor(missing = "pairwise")`` (used by semTools::htmt):
    ``cov(x, use = "pairwise")`` (each covariance from the rows where both items are observed,
    n - 1 denominator) scaled by each item's variance from all of its observations (``cov2cor``).
    Vectorised so that bootstrap replicates stay fast."""
    M = (~np.isnan(X)).astype(float)
    X0 = np.where(M > 0, X, 0.0)
    n = M.T @ M
    S1 = X0.T @ M  # (i, j): sum of x_i over rows where i and j are observed
    P = X0.T @ X0
    with np.errstate(invalid="ignore", divide="ignore"):
        C = (P - S1 * S1.T / n) / (n - 1)
        d = np.sqrt(np.diag(C))
        R = C / np.outer(d, d)
    np.fill_diagonal(R, 1.0)
    R[n < 3] = np.nan
    return R


def _abs_cor(X: np.ndarray, missing: str) -> np.ndarray:
    if missing == "listwise":
        X = X[~np.isnan(X).any(axis=1)]
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.abs(np.corrcoef(X.T))
    if missing == "pairwise":
        return np.abs(pairwise_corr(X))
    raise ValueError("missing must be 'listwise' or 'pairwise'")


def _htmt_from_r(R: np.ndarray, blocks: list[np.ndarray], htmt2: bool) -> np.ndarray:
    """HTMT (arithmetic means of |r|) or HTMT2 (geometric means) of all scale pairs at once: with
    the item-by-scale indicator ``G``, ``G' R G`` holds every block sum of ``R`` (or of ``log R``);
    a within-scale mean leaves out the block's diagonal."""
    nf = len(blocks)
    G = np.zeros((R.shape[0], nf))
    for k, b in enumerate(blocks):
        G[b, k] = 1.0
    size = G.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        missing = G.T @ np.isnan(R).astype(float) @ G > 0  # an undefined r makes its block mean undefined
        if htmt2:
            zero = G.T @ (R == 0).astype(float) @ G > 0  # a zero correlation makes a geometric mean 0
            V = np.log(np.where(R > 0, R, 1.0))
        else:
            zero = np.zeros((nf, nf), bool)
            V = np.where(np.isnan(R), 0.0, R)
        sums = np.where(missing, np.nan, G.T @ V @ G)
        diag = G.T @ np.diag(V)
        counts = np.outer(size, size)
        np.fill_diagonal(counts, size * (size - 1))
        means = (sums - np.diag(diag)) / counts
        if htmt2:
            means = np.where(zero, 0.0, np.exp(means))
        within = np.diag(means)
        out = means / np.sqrt(np.outer(within, within))
    np.fill_diagonal(out, 1.0)
    return out


def htmt(data: pd.DataFrame, scales: dict[str, list[str]], htmt2: bool = False, missing: str = "listwise") -> pd.DataFrame:
    """HTMT (``htmt2=False``, Henseler et al. 2015) or HTMT2 (Roemer et al. 2021) between scales,
    as ``semTools::htmt(model, data, htmt2=..., absolute=TRUE, missing=...)`` with ``missing``
    "listwise" (semTools' default) or "pairwise" (pairwise-complete correlations; used by the
    pipeline, where listwise deletion over all items would leave few rows).

    >>> import pandas as pd
    >>> d = pd.DataFrame({"a1": [1, 2, 3, 4, 5, 6], "a2": [1, 3, 2, 4, 6, 5],
    ...                   "b1": [3, 1, 2, 6, 4, 5], "b2": [2, 1, 3, 5, 6, 4]})
    >>> round(float(htmt(d, {"A": ["a1", "a2"], "B": ["b1", "b2"]}).loc["A", "B"]), 4)
    0.8296
    """
    items = [i for its in scales.values() for i in its]
    R = _abs_cor(data[items].astype(float).to_numpy(), missing)
    blocks, pos = [], 0
    for its in scales.values():
        blocks.append(np.arange(pos, pos + len(its)))
        pos += len(its)
    names = list(scales)
    return pd.DataFrame(_htmt_from_r(R, blocks, htmt2), index=names, columns=names)


def htmt_bootstrap(data: pd.DataFrame, scales: dict[str, list[str]], B: int = 500, seed: int = 1,
                   level: float = 0.95, missing: str = "listwise") -> pd.DataFrame:
    """Bootstrap CIs of HTMT and HTMT2 for every pair of scales: the standard interval on the log
    scale (:func:`surveysem.measurement.intervals.log_normal_interval`), which contains the estimate.

    Rows (listwise-complete ones for ``missing="listwise"``, all rows for ``"pairwise"``) are
    resampled with ``numpy.random.default_rng(seed)``;
    replicates with an undefined value (e.g. a constant item in the resample) are dropped and
    counted. Returns one row per pair: a, b, htmt, htmt_lower, htmt_upper, htmt2, htmt2_lower,
    htmt2_upper, B, B_valid.
    """
    items = [i for its in scales.values() for i in its]
    X = data[items].astype(float).to_numpy()
    if missing == "listwise":
        X = X[~np.isnan(X).any(axis=1)]
    blocks, pos = [], 0
    for its in scales.values():
        blocks.append(np.arange(pos, pos + len(its)))
        pos += len(its)
    names = list(scales)
    nf = len(names)
    iu = np.triu_indices(nf, 1)

    def stat(M):
        with np.errstate(invalid="ignore", divide="ignore"):
            R = _abs_cor(M, missing)
            return _htmt_from_r(R, blocks, False)[iu], _htmt_from_r(R, blocks, True)[iu]

    h0, h20 = stat(X)
    rng = np.random.default_rng(seed)
    n = X.shape[0]
    reps1 = np.full((B, len(iu[0])), np.nan)
    reps2 = np.full((B, len(iu[0])), np.nan)
    for b in range(B):
        idx = rng.integers(0, n, n)
        reps1[b], reps2[b] = stat(X[idx])
    rows = []
    for k, (i, j) in enumerate(zip(*iu)):
        # a resample with an exact zero correlation has an HTMT2 of 0: a defined value (counted),
        # but with no log, so log_normal_interval leaves it out of SE* (a few in hundreds)
        v1 = reps1[:, k][np.isfinite(reps1[:, k])]
        v2 = reps2[:, k][np.isfinite(reps2[:, k])]
        lo1, hi1 = log_normal_interval(h0[k], v1, level)
        lo2, hi2 = log_normal_interval(h20[k], v2, level)
        rows.append({
            "a": names[i], "b": names[j],
            "htmt": h0[k], "htmt_lower": lo1, "htmt_upper": hi1,
            "htmt2": h20[k], "htmt2_lower": lo2, "htmt2_upper": hi2,
            "B": B, "B_valid": int(min(v1.size, v2.size)),
        })
    return pd.DataFrame(rows)
