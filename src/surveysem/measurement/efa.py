"""Exploratory diagnostics of an item pool: KMO, Bartlett's test, eigenvalues, parallel analysis, EFA.

Follows R's ``psych`` (``KMO``, ``cortest.bartlett``, ``fa.parallel``, ``fa``). Correlations are
Pearson correlations from pairwise-complete observations (psych's default ``use = "pairwise"``);
the ``n`` of Bartlett's test is the number of rows.

* KMO (Kaiser 1970): ``MSA = sum r_ij^2 / (sum r_ij^2 + sum q_ij^2)`` over i != j, with ``q`` the
  partial correlations (anti-image) from ``R^-1``; per item the same sums restricted to row i.
* Bartlett: ``chisq = -(n - 1 - (2p + 5)/6) log|R|``, ``df = p(p - 1)/2``.
* Parallel analysis (Horn 1965, psych's ``fa.parallel`` defaults): eigenvalues of the observed
  correlation matrix (components) and of the reduced matrix of a one-factor minres solution
  (factors) are compared with the 95th percentile of the same values from ``n_iter`` simulated
  normal data sets of the same size (seeded ``numpy.random.default_rng``); the suggested number is
  the count of leading observed values above the simulated ones.
* EFA: ``factor_analyzer`` (minres or ML, oblimin by default) — matches ``psych::fa`` to ~1e-5 in
  the loadings; factor order and signs are made canonical (largest sum of squares first, positive
  column sums) because psych orders the same way.

Example
-------
>>> import numpy as np, pandas as pd
>>> rng = np.random.default_rng(1)
>>> f = rng.normal(size=(200, 1)); X = pd.DataFrame(f + rng.normal(size=(200, 4)), columns=list("abcd"))
>>> round(kmo(X)["overall"], 2)
0.78
"""

from __future__ import annotations

import warnings as _warnings

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["correlation", "kmo", "bartlett", "eigenvalues", "reduced_eigenvalues", "parallel_analysis", "efa",
           "item_pool_diagnostics"]


def correlation(data: pd.DataFrame) -> pd.DataFrame:
    """Pairwise-complete Pearson correlations (R ``cor(x, use = "pairwise")``)."""
    return data.astype(float).corr(min_periods=2)


def kmo(data_or_r: pd.DataFrame) -> dict:
    """Kaiser–Meyer–Olkin measure of sampling adequacy (psych::KMO): overall and per item."""
    R = _as_r(data_or_r)
    names = list(R.columns)
    Rm = R.to_numpy(dtype=float)
    Ri = np.linalg.pinv(Rm)
    d = np.sqrt(np.diag(Ri))
    Q = -Ri / np.outer(d, d)
    np.fill_diagonal(Q, 0)
    R0 = Rm.copy()
    np.fill_diagonal(R0, 0)
    r2, q2 = R0**2, Q**2
    overall = r2.sum() / (r2.sum() + q2.sum())
    per = r2.sum(axis=0) / (r2.sum(axis=0) + q2.sum(axis=0))
    return {"overall": float(overall), "items": dict(zip(names, map(float, per)))}


def bartlett(data_or_r: pd.DataFrame, n: int | None = None) -> dict:
    """Bartlett's test of sphericity (psych::cortest.bartlett): chisq, df, p_value, n."""
    R = _as_r(data_or_r)
    if n is None:
        if _is_corr(data_or_r):
            raise ValueError("n is required for a correlation matrix")
        n = len(data_or_r)
    p = R.shape[0]
    sign, logdet = np.linalg.slogdet(R.to_numpy(dtype=float))
    chisq = -(n - 1 - (2 * p + 5) / 6) * logdet if sign > 0 else float("inf")
    df = p * (p - 1) / 2
    return {"chisq": float(chisq), "df": int(df), "p_value": float(stats.chi2.sf(chisq, df)), "n": int(n)}


def eigenvalues(data_or_r: pd.DataFrame) -> np.ndarray:
    """Eigenvalues of the correlation matrix, descending."""
    return np.sort(np.linalg.eigvalsh(_as_r(data_or_r).to_numpy(dtype=float)))[::-1]


def minres_communalities(R: np.ndarray, n_factors: int = 1) -> np.ndarray:
    """Communalities of the unrotated minres (ULS) solution with ``n_factors`` factors.

    The objective and its settings are factor_analyzer's (and psych's): uniquenesses ``psi`` in
    [0.005, 1], started at ``1 - SMC``, minimise the sum of squared residuals of ``C(psi)`` (``R``
    with ``1 - psi`` on the diagonal) around its leading ``n_factors`` eigen-part, which is
    ``E(psi) = sum_{i > n_factors} lambda_i^2``. Its gradient is analytic here,
    ``dE/dpsi_j = -2 (C - L L')_jj`` (``d lambda_i / d psi_j = -v_ij^2``), where factor_analyzer
    differentiates numerically (p + 1 eigendecompositions per gradient); parallel analysis calls
    this once per simulated data set.
    """
    from scipy.optimize import minimize

    R = np.array(R, dtype=float)
    p = R.shape[0]
    k = int(n_factors)

    def parts(psi):
        C = R.copy()
        np.fill_diagonal(C, 1.0 - psi)
        values, vectors = np.linalg.eigh(C)
        values, vectors = values[::-1], vectors[:, ::-1]
        L = vectors[:, :k] * np.sqrt(np.maximum(values[:k], np.finfo(float).eps * 100))
        return C - L @ L.T, L

    def objective(psi):
        resid, _ = parts(psi)
        return float(np.sum(resid**2)), -2.0 * np.diag(resid)

    start = 1.0 / np.diag(np.linalg.pinv(R))  # 1 - SMC
    res = minimize(objective, start, jac=True, method="L-BFGS-B", bounds=[(0.005, 1.0)] * p,
                   options={"maxiter": 1000})
    _, L = parts(res.x)
    return (L**2).sum(axis=1)


def reduced_eigenvalues(R: np.ndarray, n_factors: int = 1, method: str = "minres") -> np.ndarray:
    """Eigenvalues of ``R`` with communalities of an ``n_factors`` solution on the diagonal
    (psych's ``fa(...)$values``, used by ``fa.parallel``)."""
    if method == "minres":
        h2 = minres_communalities(R, n_factors)
    else:
        from surveysem.compat import factor_analyzer

        FactorAnalyzer = factor_analyzer().FactorAnalyzer

        fa = FactorAnalyzer(n_factors=n_factors, method=method, rotation=None, is_corr_matrix=True)
        with _warnings.catch_warnings():
            _warnings.simplefilter("ignore")
            fa.fit(R)
        h2 = (fa.loadings_**2).sum(axis=1)
    Rr = np.array(R, dtype=float).copy()
    np.fill_diagonal(Rr, h2)
    return np.sort(np.linalg.eigvalsh(Rr))[::-1]


def parallel_analysis(data: pd.DataFrame, n_iter: int = 20, quantile: float = 0.95, seed: int = 1,
                      method: str = "minres") -> dict:
    """Horn's parallel analysis as psych::fa.parallel (``sim = TRUE``, simulated normal data).

    Returns observed ``pc_values``/``fa_values``, the simulated means and ``quantile`` percentiles,
    and the suggested ``n_components`` / ``n_factors``. The simulation uses ``default_rng(seed)``
    (not R's generator), so only the observed values are comparable with R exactly.
    """
    X = data.astype(float)
    n, p = X.shape
    R = correlation(X).to_numpy()
    pc_obs = np.sort(np.linalg.eigvalsh(R))[::-1]
    fa_obs = reduced_eigenvalues(R, 1, method)
    rng = np.random.default_rng(seed)
    sim_pc = np.empty((n_iter, p))
    sim_fa = np.empty((n_iter, p))
    for b in range(n_iter):
        Z = rng.standard_normal((n, p))
        C = np.corrcoef(Z.T)
        sim_pc[b] = np.sort(np.linalg.eigvalsh(C))[::-1]
        sim_fa[b] = reduced_eigenvalues(C, 1, method)
    pc_q = np.quantile(sim_pc, quantile, axis=0)
    fa_q = np.quantile(sim_fa, quantile, axis=0)

    def count(obs, ref):
        above = obs > ref
        return int(p if above.all() else np.argmin(above))

    return {
        "n": int(n), "n_iter": int(n_iter), "quantile": quantile, "seed": int(seed), "method": method,
        "pc_values": pc_obs, "fa_values": fa_obs,
        "pc_sim_mean": sim_pc.mean(axis=0), "fa_sim_mean": sim_fa.mean(axis=0),
        "pc_sim_quantile": pc_q, "fa_sim_quantile": fa_q,
        "n_components": count(pc_obs, pc_q), "n_factors": count(fa_obs, fa_q),
    }


def efa(data: pd.DataFrame, n_factors: int, method: str = "minres", rotation: str | None = "oblimin") -> dict:
    """Exploratory factor analysis (factor_analyzer, psych::fa conventions).

    Returns ``loadings`` (DataFrame items x factors, canonical order/sign), ``phi`` (factor
    correlations, oblique rotations), ``communalities`` and ``uniquenesses`` (from the unrotated
    solution; rotation-invariant), ``ss_loadings`` (psych's Vaccounted: ``diag(Phi L'L)``) and warnings
    (Heywood cases: communality >= 1).
    """
    from surveysem.compat import factor_analyzer

    FactorAnalyzer = factor_analyzer().FactorAnalyzer

    X = data.astype(float)
    names = list(X.columns)
    R = correlation(X).to_numpy()
    warns: list[str] = []
    with _warnings.catch_warnings(record=True) as caught:
        _warnings.simplefilter("always")
        base = FactorAnalyzer(n_factors=n_factors, method=method, rotation=None, is_corr_matrix=True)
        base.fit(R)
        fa = base
        if rotation and n_factors > 1:
            fa = FactorAnalyzer(n_factors=n_factors, method=method, rotation=rotation, is_corr_matrix=True)
            fa.fit(R)
    for w in caught:
        if not issubclass(w.category, (DeprecationWarning, FutureWarning, PendingDeprecationWarning)):
            warns.append(f"EFA: {w.message}")
    L0 = base.loadings_
    comm = (L0**2).sum(axis=1)
    L = fa.loadings_.copy()
    if rotation and n_factors > 1:
        # L = L0 (T')^-1 and Phi = T'T (GPArotation); recover T' = pinv(L) L0
        Tt = np.linalg.pinv(L) @ L0
        phi = Tt @ Tt.T
        d = np.sqrt(np.diag(phi))
        phi = phi / np.outer(d, d)
    else:
        phi = np.eye(n_factors)
    # canonical order: by variance accounted for (diag(Phi L'L)... psych sorts by SS of loadings)
    signs = np.where(L.sum(axis=0) < 0, -1.0, 1.0)
    L = L * signs
    phi = phi * np.outer(signs, signs)
    ss = np.diag(phi @ L.T @ L) if rotation and n_factors > 1 else (L**2).sum(axis=0)
    order = np.argsort(-ss, kind="stable")
    L, phi, ss = L[:, order], phi[np.ix_(order, order)], ss[order]
    cols = [f"F{j + 1}" for j in range(n_factors)]
    if np.any(comm >= 1):
        bad = [names[i] for i in np.flatnonzero(comm >= 1)]
        warns.append(f"EFA Heywood case: communality >= 1 for {', '.join(bad)}")
    return {
        "method": method, "rotation": rotation or "none", "n_factors": n_factors, "n": len(X),
        "loadings": pd.DataFrame(L, index=names, columns=cols),
        "phi": pd.DataFrame(phi, index=cols, columns=cols),
        "communalities": dict(zip(names, map(float, comm))),
        "uniquenesses": dict(zip(names, map(float, 1 - comm))),
        "ss_loadings": dict(zip(cols, map(float, ss))),
        "warnings": warns,
    }


def item_pool_diagnostics(data: pd.DataFrame, n_factors: int | None = None, method: str = "minres",
                          rotation: str = "oblimin", n_iter: int = 20, seed: int = 1) -> dict:
    """KMO, Bartlett, eigenvalues, parallel analysis and an EFA with the suggested (or given)
    number of factors. Zero-variance items are left out with a warning."""
    X = data.astype(float)
    warns = []
    sd = X.std(ddof=1)
    zero = [c for c in X.columns if not (sd[c] > 0)]
    if zero:
        warns.append(f"EFA: zero-variance item(s) left out: {', '.join(zero)}")
        X = X.drop(columns=zero)
    out: dict = {"items": list(X.columns), "n": len(X), "warnings": warns}
    R = correlation(X)
    if R.isna().to_numpy().any():
        warns.append("EFA: correlation matrix has undefined entries; item-pool diagnostics skipped")
        return out
    if len(R) and np.linalg.eigvalsh(R.to_numpy())[0] < 1e-10:  # KMO, SMCs and the EFA invert R
        warns.append(f"EFA: the correlation matrix of {len(R)} items over {len(X)} respondents is singular "
                     "(fewer respondents than items, or linearly dependent items); item-pool diagnostics skipped")
        return out
    out["kmo"] = kmo(R)
    out["bartlett"] = bartlett(R, n=len(X))
    out["eigenvalues"] = eigenvalues(R)
    pa = parallel_analysis(X, n_iter=n_iter, seed=seed, method=method)
    out["parallel"] = pa
    k = n_factors if n_factors else max(1, pa["n_factors"])
    try:
        out["efa"] = efa(X, k, method=method, rotation=rotation)
        warns += out["efa"].pop("warnings")
    except (np.linalg.LinAlgError, ValueError) as exc:
        warns.append(f"EFA with {k} factors failed: {exc}")
    return out


def _is_corr(x: pd.DataFrame) -> bool:
    a = x.to_numpy(dtype=float)
    return a.shape[0] == a.shape[1] and np.allclose(np.diag(a), 1) and np.allclose(a, a.T) and list(x.index) == list(x.columns)


def _as_r(x: pd.DataFrame) -> pd.DataFrame:
    return x.astype(float) if _is_corr(x) else correlation(x)
