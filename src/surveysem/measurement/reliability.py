"""Scale reliability: Cronbach's alpha (Feldt CI), standardized alpha, omega, item statistics.

Everything here follows R's ``psych`` package (``psych::alpha``, ``psych::describe``) and
``semTools::compRelSEM`` so that the numbers match what reviewers compute in R.

Missing data
------------
As in ``psych::alpha`` (``use = "pairwise"``): the item covariance matrix is computed from
pairwise-complete observations; item means/SDs use every available value; the scale total of a
respondent is the mean of the items she answered. Omega comes from a one-factor CFA fitted to the
listwise-complete rows (as ``lavaan::cfa(missing = "listwise")`` + ``compRelSEM``); the command's CR
and AVE come from the same one-factor model; its HTMT uses pairwise correlations
(``semTools::htmt(missing = "pairwise")``).

Reverse keying is *not* done here: pass already keyed items (``results/clean/analysis.csv`` has
reverse-keyed items reversed; the ``surveysem reliability`` command reverses ``-item`` columns
as ``MIN + MAX - x``, which is what ``psych::alpha(keys=)`` does with the observed min and max).

Example
-------
>>> import pandas as pd
>>> from surveysem.measurement.reliability import cronbach_alpha
>>> df = pd.DataFrame({"a": [1, 2, 3, 4, 5], "b": [2, 2, 3, 5, 5], "c": [1, 3, 3, 4, 4]})
>>> round(float(cronbach_alpha(df)["alpha"]), 4)
0.9538
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize, stats

from surveysem.errors import SurveySemError

__all__ = [
    "cronbach_alpha",
    "feldt_ci",
    "describe",
    "item_statistics",
    "smc",
    "one_factor_ml",
    "omega_one_factor",
    "omega_total_psych",
    "scale_reliability",
    "ScaleReliability",
]


# ----------------------------------------------------------------------------- helpers


def pairwise_cov(data: pd.DataFrame) -> np.ndarray:
    """Covariance matrix from pairwise-complete observations (n - 1 denominator), as R's
    ``cov(x, use = "pairwise")``."""
    return data.cov(min_periods=2).to_numpy(dtype=float)


def _cov2cor(C: np.ndarray) -> np.ndarray:
    d = np.sqrt(np.diag(C))
    with np.errstate(divide="ignore", invalid="ignore"):
        return C / np.outer(d, d)


def smc(R: np.ndarray) -> np.ndarray:
    """Squared multiple correlations ``1 - 1/diag(R^-1)`` (psych::smc; pseudo-inverse, capped at 1)."""
    Rinv = np.linalg.pinv(R)
    out = 1.0 - 1.0 / np.diag(Rinv)
    return np.minimum(out, 1.0)


def _alpha_core(C: np.ndarray, R: np.ndarray) -> dict:
    """psych's internal ``alpha.1``: raw and standardized alpha, G6, mean r, S/N, Q (for the ASE)."""
    n = C.shape[0]
    sumC = C.sum()
    trC = np.trace(C)
    raw = (1.0 - trC / sumC) * (n / (n - 1))
    sumR = R.sum()
    std = (1.0 - n / sumR) * (n / (n - 1))
    g6 = 1.0 - (n - smc(R).sum()) / sumR
    av_r = (sumR - n) / (n * (n - 1))
    lower = R[np.tril_indices(n, -1)]
    med_r = float(np.median(lower))
    sn = n * av_r / (1.0 - av_r)
    Q = (2 * n**2 / ((n - 1) ** 2 * sumC**3)) * (sumC * (np.trace(C @ C) + trC**2) - 2 * (trC * (C @ C).sum()))
    return {"alpha": raw, "std_alpha": std, "g6_smc": g6, "average_r": av_r, "median_r": med_r, "s_n": sn, "Q": Q}


def feldt_ci(alpha: float, n: int, k: int, level: float = 0.95) -> tuple[float, float]:
    """Feldt (1965) confidence interval for coefficient alpha (``psych::alpha.ci``).

    ``lower = 1 - (1 - alpha) F_{1-p/2}(n-1, (n-1)(k-1))``, ``upper = 1 - (1 - alpha) F_{p/2}(...)``
    with ``p = 1 - level``, ``n`` respondents and ``k`` items.

    >>> [round(v, 4) for v in feldt_ci(0.8, 100, 5)]
    [0.7306, 0.8559]
    """
    p = 1.0 - level
    d1, d2 = n - 1, (n - 1) * (k - 1)
    lower = 1.0 - (1.0 - alpha) * stats.f.ppf(1 - p / 2, d1, d2)
    upper = 1.0 - (1.0 - alpha) * stats.f.ppf(p / 2, d1, d2)
    return float(lower), float(upper)


def cronbach_alpha(data: pd.DataFrame, level: float = 0.95) -> dict:
    """Cronbach's alpha of keyed items, as ``psych::alpha`` (pairwise covariances).

    ``alpha = k/(k-1) * (1 - tr(C) / sum(C))`` with ``C`` the pairwise item covariance matrix;
    standardized alpha uses the correlation matrix ``R`` instead; the average inter-item
    correlation is ``(sum(R) - k) / (k (k - 1))``. The Feldt CI uses ``n`` = number of rows
    (psych's ``nsub``); ``ase`` is Duhachek's asymptotic SE ``sqrt(Q / n)``.

    Returns a dict: alpha, std_alpha, g6_smc, average_r, median_r, s_n, ase, ci_lower, ci_upper,
    n, k, scale_mean, scale_sd.

    >>> df = pd.DataFrame({"a": [1, 2, 3, 4, 5], "b": [2, 2, 3, 5, 5], "c": [1, 3, 3, 4, 4]})
    >>> round(float(cronbach_alpha(df)["std_alpha"]), 4)
    0.9578
    """
    X = data.astype(float)
    k = X.shape[1]
    if k < 2:
        raise SurveySemError(f"alpha needs at least 2 items, got {k}")
    C = pairwise_cov(X)
    R = _cov2cor(C)
    core = _alpha_core(C, R)
    n = int(X.shape[0])
    lo, hi = feldt_ci(core["alpha"], n, k, level)
    total = X.mean(axis=1, skipna=True)
    out = dict(core)
    Q = out.pop("Q")
    out.update(
        ase=math.sqrt(Q / n) if Q >= 0 else float("nan"),
        ci_lower=lo,
        ci_upper=hi,
        ci_level=level,
        n=n,
        n_complete=int(X.notna().all(axis=1).sum()),
        k=k,
        scale_mean=float(total.mean()),
        scale_sd=float(total.std(ddof=1)),
    )
    return out


def describe(x: pd.Series) -> dict:
    """psych::describe (type 3) of one item: n, mean, sd, median, min, max, skew, kurtosis, se.

    ``skew = m3 / s^3`` and ``kurtosis = m4 / s^4 - 3`` with central moments ``m_r`` (divided by
    n) and ``s`` the sample SD (n - 1 denominator) — i.e. ``b1`` and ``b2 - 3`` of Joanes &
    Gill (1998), the default of psych.

    >>> d = describe(pd.Series([1, 2, 2, 3, 7]))
    >>> round(d["skew"], 4), round(d["kurtosis"], 4)
    (0.8373, -1.1884)
    """
    v = pd.to_numeric(x, errors="coerce").dropna().to_numpy(dtype=float)
    n = v.size
    if n == 0:
        return {k: float("nan") for k in ("mean", "sd", "median", "min", "max", "skew", "kurtosis", "se")} | {"n": 0}
    mean = v.mean()
    sd = v.std(ddof=1) if n > 1 else float("nan")
    dev = v - mean
    if n > 1 and sd > 0:
        skew = np.sum(dev**3) / (n * sd**3)
        kurt = np.sum(dev**4) / (n * sd**4) - 3.0
    else:
        skew = kurt = float("nan")
    return {
        "n": int(n),
        "mean": float(mean),
        "sd": float(sd),
        "median": float(np.median(v)),
        "min": float(v.min()),
        "max": float(v.max()),
        "skew": float(skew),
        "kurtosis": float(kurt),
        "se": float(sd / math.sqrt(n)) if n > 1 else float("nan"),
    }


def item_statistics(data: pd.DataFrame) -> pd.DataFrame:
    """Item statistics of a keyed scale, as ``psych::alpha(...)$item.stats`` and ``$alpha.drop``
    plus ``psych::describe`` (type 3) and the share missing.

    Columns: item, n, share_missing, mean, sd, skew, kurtosis, raw_r (item–total, total = mean of
    answered items), std_r, r_cor (corrected for overlap with SMCs), r_drop (corrected item–total:
    item vs. the sum of the other items, from pairwise covariances), alpha_if_deleted,
    std_alpha_if_deleted.
    """
    X = data.astype(float)
    k = X.shape[1]
    C = pairwise_cov(X)
    R = _cov2cor(C)
    total = X.mean(axis=1, skipna=True)
    item_r = R.sum(axis=0) / math.sqrt(R.sum())
    RC = R.copy()
    np.fill_diagonal(RC, smc(R))
    item_rc = RC.sum(axis=0) / math.sqrt(RC.sum())
    rows = []
    for i, col in enumerate(X.columns):
        keep = [j for j in range(k) if j != i]
        v_drop = C[np.ix_(keep, keep)].sum()
        c_drop = C[:, i].sum() - C[i, i]
        r_drop = c_drop / math.sqrt(C[i, i] * v_drop) if C[i, i] > 0 and v_drop > 0 else float("nan")
        if k > 2:
            drop = _alpha_core(C[np.ix_(keep, keep)], R[np.ix_(keep, keep)])
            a_del, s_del = drop["alpha"], drop["std_alpha"]
        else:  # psych: with two items, "alpha if deleted" is the regression slope / correlation
            j = keep[0]
            a_del, s_del = C[i, j] / C[j, j], R[i, j]
        pair = pd.concat([total, X[col]], axis=1).dropna()
        raw_r = float(np.corrcoef(pair.to_numpy().T)[0, 1]) if len(pair) > 2 else float("nan")
        d = describe(X[col])
        rows.append(
            {
                "item": col,
                "n": d["n"],
                "share_missing": float(X[col].isna().mean()),
                "mean": d["mean"],
                "sd": d["sd"],
                "skew": d["skew"],
                "kurtosis": d["kurtosis"],
                "raw_r": raw_r,
                "std_r": float(item_r[i]),
                "r_cor": float(item_rc[i]),
                "r_drop": float(r_drop),
                "alpha_if_deleted": float(a_del),
                "std_alpha_if_deleted": float(s_del),
            }
        )
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------- omega


@dataclass
class OneFactorFit:
    """A one-factor ML CFA (factor variance fixed to 1)."""

    loadings: np.ndarray
    residuals: np.ndarray
    std_loadings: np.ndarray
    S: np.ndarray  # sample covariance, N denominator (lavaan)
    n: int
    converged: bool
    chisq: float
    df: int
    warnings: list[str] = field(default_factory=list)


def one_factor_ml(S: np.ndarray, n: int) -> OneFactorFit:
    """Maximum-likelihood one-factor CFA of a covariance matrix ``S`` (N denominator).

    Minimises ``F = log|Sigma| + tr(S Sigma^-1) - log|S| - p`` with ``Sigma = l l' + diag(theta)``
    (as ``lavaan::cfa(..., std.lv = TRUE)``; residual variances unbounded so a Heywood case shows
    up as a negative variance and a warning). ``chisq = n * F``.
    """
    S = np.asarray(S, dtype=float)
    p = S.shape[0]
    d = np.diag(S).copy()
    try:
        h = smc(_cov2cor(S))
    except np.linalg.LinAlgError:
        h = np.full(p, 0.5)
    h = np.clip(h, 0.05, 0.95)
    x0 = np.concatenate([np.sqrt(h * d), (1 - h) * d])
    _, logdetS = np.linalg.slogdet(S)

    def fg(x):
        lam, th = x[:p], x[p:]
        Sig = np.outer(lam, lam) + np.diag(th)
        sign, logdet = np.linalg.slogdet(Sig)
        if sign <= 0:
            return 1e10, np.zeros_like(x)
        Si = np.linalg.inv(Sig)
        f = logdet + np.trace(S @ Si) - logdetS - p
        G = Si - Si @ S @ Si
        return f, np.concatenate([2 * G @ lam, np.diag(G)])

    res = optimize.minimize(fg, x0, jac=True, method="BFGS", options={"gtol": 1e-9, "maxiter": 2000})
    lam, th = res.x[:p], res.x[p:]
    if lam.sum() < 0:
        lam = -lam
    warnings = []
    converged = bool(res.success) or np.max(np.abs(res.jac)) < 1e-5
    if not converged:
        warnings.append(f"one-factor model did not converge ({res.message})")
    if np.any(th < 0):
        warnings.append("Heywood case: negative residual variance in the one-factor model")
    implied_var = lam**2 + th
    with np.errstate(invalid="ignore"):
        std = lam / np.sqrt(implied_var)
    return OneFactorFit(lam, th, std, S, int(n), converged, float(n * res.fun), p * (p + 1) // 2 - 2 * p, warnings)


def omega_one_factor(data: pd.DataFrame, engine: str = "auto") -> dict:
    """McDonald's omega total from a one-factor CFA, as ``semTools::compRelSEM`` (defaults
    ``obs.var = TRUE, tau.eq = FALSE``): ``omega = (sum lambda)^2 psi / 1' S 1`` with ``S`` the
    observed (listwise, N-denominator) covariance matrix.

    ``engine``: ``"sem"`` fits ``F =~ items`` with :func:`surveysem.sem.fit_model`; ``"own"`` uses
    :func:`one_factor_ml`; ``"auto"`` tries the SEM engine and falls back to ``"own"``.
    Returns omega, std_loadings (dict), n, converged, method, warnings.
    """
    X = data.astype(float).dropna()
    n = len(X)
    cols = list(X.columns)
    if n <= len(cols):
        return {"omega": float("nan"), "std_loadings": {}, "n": n, "converged": False, "method": None,
                "warnings": [f"omega not estimated: {n} complete rows for {len(cols)} items"]}
    S = np.cov(X.to_numpy().T, ddof=0)
    if engine in ("auto", "sem"):
        try:
            out = _omega_sem(X, cols, S)
            if out is not None:
                return out
        except Exception as exc:  # noqa: BLE001 - engine still in development: fall back
            if engine == "sem":
                raise
            fallback_reason = f"{type(exc).__name__}: {exc}"
        else:
            fallback_reason = "SEM engine unavailable"
        if engine == "sem":
            raise SurveySemError(f"SEM engine could not fit the one-factor model ({fallback_reason})")
    fit = one_factor_ml(S, n)
    omega = fit.loadings.sum() ** 2 / S.sum()
    return {
        "omega": float(omega),
        "std_loadings": dict(zip(cols, map(float, fit.std_loadings))),
        "n": n,
        "converged": fit.converged,
        "method": "one-factor ML (surveysem.measurement.reliability.one_factor_ml), listwise",
        "warnings": list(fit.warnings),
    }


def omega_total_psych(data: pd.DataFrame) -> float:
    """McDonald's omega total as ``psych::omega(x, nfactors = 1)$omega.tot`` computes it: the
    one-factor minres solution of the pairwise correlation matrix ``R``,
    ``omega_t = (1' R 1 - sum(u^2)) / 1' R 1`` with ``u^2`` the uniquenesses. The standardized
    counterpart of :func:`omega_one_factor` (semTools' omega, raw metric and observed variance):
    the two differ in the second decimal on real scales, and reviewers ask for either.

    >>> import pandas as pd
    >>> d = pd.DataFrame({"a": [1, 2, 3, 4, 5, 2], "b": [2, 2, 3, 5, 4, 1], "c": [1, 3, 3, 4, 5, 3]})
    >>> round(omega_total_psych(d), 3)  # R: psych::omega(d, nfactors = 1)$omega.tot is 0.9238
    0.924
    """
    from surveysem.measurement.efa import correlation, efa

    R = correlation(data).to_numpy()
    uniquenesses = np.asarray(list(efa(data, 1, method="minres", rotation=None)["uniquenesses"].values()), float)
    total = R.sum()
    return float((total - uniquenesses.sum()) / total)


def _omega_sem(X: pd.DataFrame, cols: list[str], S: np.ndarray):
    try:
        from surveysem.sem import fit_model
    except ImportError:
        return None
    syntax = "F =~ " + " + ".join(cols)
    res = fit_model(syntax, X, estimator="ML", missing="listwise", std_lv=True)
    est = res.estimates
    lam = est[(est["op"] == "=~") & (est["lhs"] == "F")].set_index("rhs").loc[cols]
    psi = est[(est["op"] == "~~") & (est["lhs"] == "F") & (est["rhs"] == "F")]["est"].iloc[0]
    loadings = lam["est"].to_numpy(dtype=float)
    sign = 1.0 if loadings.sum() >= 0 else -1.0
    omega = loadings.sum() ** 2 * psi / S.sum()
    return {
        "omega": float(omega),
        "std_loadings": dict(zip(cols, map(float, sign * lam["std_all"].to_numpy(dtype=float)))),
        "n": len(X),
        "converged": bool(res.converged),
        "method": "one-factor CFA (surveysem.sem.fit_model, ML, listwise)",
        "warnings": list(res.warnings),
    }


# ----------------------------------------------------------------------------- one scale


@dataclass
class ScaleReliability:
    name: str
    items: list[str]
    summary: dict
    item_stats: pd.DataFrame
    warnings: list[str]


def scale_reliability(data: pd.DataFrame, items: list[str], name: str = "scale", level: float = 0.95,
                      omega_engine: str = "auto") -> ScaleReliability:
    """All reliability numbers of one keyed scale.

    Zero-variance items are reported (warning) and left out of alpha/omega, so the run continues.
    """
    missing = [c for c in items if c not in data.columns]
    if missing:
        raise SurveySemError(f"scale {name}: item(s) not in the data: {', '.join(missing)}")
    X = data[items].apply(pd.to_numeric, errors="coerce").astype(float)
    warnings: list[str] = []
    sd = X.std(ddof=1)
    zero = [c for c in items if not (sd[c] > 0)]
    for c in zero:
        warnings.append(f"{name}: item {c} has zero variance (or fewer than 2 answers); left out of alpha and omega")
    use = [c for c in items if c not in zero]
    summary: dict = {"scale": name, "k": len(items), "k_used": len(use)}
    if len(use) >= 2:
        a = cronbach_alpha(X[use], level=level)
        summary.update(a)
        stats_used = item_statistics(X[use])
        om = omega_one_factor(X[use], engine=omega_engine) if len(use) >= 3 else {
            "omega": float("nan"), "std_loadings": {}, "n": None, "converged": False, "method": None,
            "warnings": [f"{name}: omega needs at least 3 items"]}
        summary["omega"] = om["omega"]
        summary["omega_t"] = omega_total_psych(X[use]) if len(use) >= 3 else float("nan")
        summary["omega_method"] = om["method"]
        summary["omega_n"] = om["n"]
        warnings += [w if w.startswith(name) else f"{name}: {w}" for w in om["warnings"]]
        summary["k"] = len(items)
    else:
        warnings.append(f"{name}: fewer than 2 usable items; no alpha")
        stats_used = pd.DataFrame({"item": use})
        om = {"std_loadings": {}}
        summary.update(alpha=float("nan"), std_alpha=float("nan"), omega=float("nan"), omega_t=float("nan"))
    # item table in scale order, incl. zero-variance items with their descriptives only
    rows = []
    by_item = stats_used.set_index("item") if len(stats_used) else pd.DataFrame()
    for c in items:
        if c in by_item.index:
            r = by_item.loc[c].to_dict()
        else:
            d = describe(X[c])
            r = {"n": d["n"], "share_missing": float(X[c].isna().mean()), "mean": d["mean"], "sd": d["sd"],
                 "skew": d["skew"], "kurtosis": d["kurtosis"]}
        r["item"] = c
        r["scale"] = name
        r["loading_one_factor"] = om["std_loadings"].get(c, float("nan"))
        rows.append(r)
    cols = ["scale", "item", "n", "share_missing", "mean", "sd", "skew", "kurtosis", "raw_r", "std_r", "r_cor",
            "r_drop", "alpha_if_deleted", "std_alpha_if_deleted", "loading_one_factor"]
    table = pd.DataFrame(rows).reindex(columns=cols)
    for w in warnings:
        pass
    return ScaleReliability(name, list(items), summary, table, warnings)




def reliability_report(data: pd.DataFrame, scales: dict[str, list[str]], htmt_bootstrap: int = 0, seed: int = 1,
                       omega_engine: str = "auto") -> dict:
    """Reliability of several keyed scales plus HTMT between them (the ``reliability`` command)."""
    from surveysem.measurement import validity

    out: dict = {"scales": {}, "warnings": []}
    for name, items in scales.items():
        r = scale_reliability(data, items, name, omega_engine=omega_engine)
        out["scales"][name] = {**r.summary, "items": r.item_stats.drop(columns=["scale"]).to_dict(orient="records")}
        out["warnings"] += r.warnings
        # CR and AVE of the one-factor ML model of this scale (listwise)
        X = data[items].astype(float).dropna()
        if len(X) > len(items) and len(items) >= 3 and (X.std() > 0).all():
            S = np.cov(X.to_numpy().T, ddof=0)
            fit = one_factor_ml(S, len(X))
            # CR: model-implied denominator (compRelSEM obs.var = FALSE; omega uses the observed one)
            out["scales"][name]["cr"] = validity.composite_reliability(fit.loadings, fit.residuals)
            # AVE: semTools::AVE (observed variances)
            out["scales"][name]["ave"] = validity.ave(fit.loadings, observed_variances=np.diag(S))
        else:
            out["scales"][name]["cr"] = out["scales"][name]["ave"] = None
    if len(scales) >= 2:
        # pairwise correlations (semTools::htmt(missing = "pairwise")): a scale pair's HTMT does not
        # depend on which other scales are listed
        h = validity.htmt(data, scales, htmt2=False, missing="pairwise")
        h2 = validity.htmt(data, scales, htmt2=True, missing="pairwise")
        out["htmt"] = {a: {b: h.loc[a, b] for b in h.columns} for a in h.index}
        out["htmt2"] = {a: {b: h2.loc[a, b] for b in h2.columns} for a in h2.index}
        if htmt_bootstrap > 0:
            ci = validity.htmt_bootstrap(data, scales, B=htmt_bootstrap, seed=seed, missing="pairwise")
            out["htmt_ci"] = ci.to_dict(orient="records")
    return out
