"""Common-method variance diagnostics.

* Harman's single-factor test (Podsakoff et al. 2003): share of the total item variance captured by
  the first unrotated principal component (``eigenvalue_1 / p``, psych::principal) and by a single
  unrotated common factor (``SS loadings / p`` of ``psych::fa(nfactors = 1, rotate = "none")``,
  ML by default). A share > .50 flags a dominant common factor.
* Marker-variable adjustment (Lindell & Whitney 2001): ``r_adj = (r - r_M) / (1 - r_M)`` with
  ``r_M`` the smallest (or second smallest, ``marker_rank=2``) absolute correlation between the
  marker scale and the substantive scales; ``t = r_adj / sqrt((1 - r_adj^2) / (n - 3))`` with
  ``n - 3`` df (their eq. 5).
* Common latent factor: the CFA with an added orthogonal method factor loading on all items
  (variance 1; loadings equal by default, or free) compared with the CFA without it: delta chi-square, delta CFI, and
  the share of item variance due to the method factor (mean squared standardized method loading).
* Full-collinearity VIF (Kock 2015): each construct score regressed on all other construct scores;
  ``VIF = 1 / (1 - R^2)``; VIF > 3.3 flags pathological collinearity / common-method bias.

Example
-------
>>> round(float(marker_adjust(0.40, 0.10)), 4)
0.3333
"""

from __future__ import annotations

import re
import warnings as _warnings

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["harman", "marker_adjust", "marker_table", "full_collinearity_vif", "clf_syntax", "common_latent_factor"]


def harman(data: pd.DataFrame, method: str = "ml") -> dict:
    """Harman's single-factor test on pairwise correlations: first-component and first-factor shares."""
    from surveysem.compat import factor_analyzer

    FactorAnalyzer = factor_analyzer().FactorAnalyzer

    X = data.astype(float)
    R = X.corr(min_periods=2).to_numpy()
    p = R.shape[0]
    ev = np.sort(np.linalg.eigvalsh(R))[::-1]
    fa = FactorAnalyzer(n_factors=1, method=method, rotation=None, is_corr_matrix=True)
    with _warnings.catch_warnings():
        _warnings.simplefilter("ignore")
        fa.fit(R)
    L = fa.loadings_[:, 0]
    if L.sum() < 0:
        L = -L
    ss = float((L**2).sum())
    pc_share = float(ev[0] / p)
    fa_share = ss / p
    return {
        "n_items": p,
        "first_eigenvalue": float(ev[0]),
        "first_component_share": pc_share,
        "first_factor_method": method,
        "first_factor_ss_loadings": ss,
        "first_factor_share": fa_share,
        "first_factor_loadings": dict(zip(X.columns, map(float, L))),
        "flag": bool(max(pc_share, fa_share) > 0.5),
    }


def marker_adjust(r, r_m: float):
    """Lindell–Whitney marker-adjusted correlation ``(r - r_M) / (1 - r_M)``."""
    return (np.asarray(r, dtype=float) - r_m) / (1.0 - r_m)


def marker_table(scores: pd.DataFrame, marker: str, substantive: list[str], marker_rank: int = 1,
                 alpha: float = 0.05) -> dict:
    """Marker-variable adjustment of all correlations among the substantive scale scores.

    ``scores``: one column per construct score (e.g. scale means), including ``marker``.
    Correlations from listwise-complete rows. Returns r_M, which construct gave it, n and a table
    (a, b, r, p, r_adj, t_adj, p_adj, significant, significant_adj).
    """
    cols = list(substantive) + [marker]
    S = scores[cols].astype(float).dropna()
    n = len(S)
    R = S.corr()
    rm_all = R.loc[substantive, marker].abs().sort_values(kind="stable")
    rank = min(max(1, int(marker_rank)), len(rm_all))
    r_m = float(rm_all.iloc[rank - 1])
    rm_from = str(rm_all.index[rank - 1])
    rows = []
    for i, a in enumerate(substantive):
        for b in substantive[i + 1:]:
            r = float(R.loc[a, b])
            t = r / np.sqrt((1 - r**2) / (n - 2))
            p = 2 * stats.t.sf(abs(t), n - 2)
            ra = float(marker_adjust(r, r_m))
            ta = ra / np.sqrt((1 - ra**2) / (n - 3))
            pa = 2 * stats.t.sf(abs(ta), n - 3)
            rows.append({"a": a, "b": b, "r": r, "p": float(p), "r_adj": ra, "t_adj": float(ta), "p_adj": float(pa),
                         "significant": bool(p < alpha), "significant_adj": bool(pa < alpha)})
    table = pd.DataFrame(rows)
    changed = int((table["significant"] != table["significant_adj"]).sum()) if len(table) else 0
    return {"marker": marker, "r_m": r_m, "r_m_from": rm_from, "marker_rank": rank, "n": n,
            "marker_correlations": {k: float(R.loc[k, marker]) for k in substantive},
            "n_pairs": len(rows), "n_significance_lost": changed, "table": table}


def full_collinearity_vif(scores: pd.DataFrame, threshold: float = 3.3) -> pd.DataFrame:
    """Kock (2015) full-collinearity VIFs: OLS of each score on all others (listwise complete rows)."""
    S = scores.astype(float).dropna()
    rows = []
    for c in S.columns:
        y = S[c].to_numpy()
        X = np.column_stack([np.ones(len(S)), S.drop(columns=[c]).to_numpy()])
        beta, *_ = np.linalg.lstsq(X, y, rcond=None)
        resid = y - X @ beta
        sst = float(((y - y.mean()) ** 2).sum())
        r2 = 1 - float(resid @ resid) / sst if sst > 0 else float("nan")
        vif = 1 / (1 - r2) if r2 < 1 else float("inf")
        rows.append({"construct": c, "r_squared": r2, "vif": vif, "above_threshold": bool(vif > threshold)})
    return pd.DataFrame(rows)


def clf_syntax(scales: dict[str, list[str]], method_name: str = "CMV", loadings: str = "equal") -> tuple[str, str]:
    """lavaan syntax of the CFA and of the same CFA plus an orthogonal common latent factor, both
    to be fitted with ``std_lv=True`` (all factor variances 1), so the method factor's loadings are
    free (``loadings="free"``) or share one label (``"equal"``). The fit and the standardized
    solution equal those of lavaan's marker-identified ``CMV =~ NA*x1 + m*x1 + m*x2 ...; CMV ~~ 1*CMV``.

    >>> print(clf_syntax({"A": ["a1", "a2"], "B": ["b1", "b2"]})[1])
    A =~ a1 + a2
    B =~ b1 + b2
    CMV =~ cmv*a1 + cmv*a2 + cmv*b1 + cmv*b2
    CMV ~~ 0*A
    CMV ~~ 0*B
    """
    if loadings not in ("equal", "free"):
        raise ValueError("loadings must be 'equal' or 'free'")
    base = "\n".join(f"{f} =~ " + " + ".join(items) for f, items in scales.items())
    items = [i for its in scales.values() for i in its]
    prefix = "cmv*" if loadings == "equal" else ""
    clf = [base, f"{method_name} =~ " + " + ".join(prefix + i for i in items)]
    clf += [f"{method_name} ~~ 0*{f}" for f in scales]
    return base, "\n".join(clf)


def _fit_clf_with_engine(data, base_syntax, clf, estimator, missing, max_iter):
    """Fit base (std_lv) and CLF models with the SEM engine.

    The CLF model is first started from the base solution with method loadings .1 (its optimum is
    usually near the base solution); if that does not converge it is refitted from the engine's
    default start values, and the converged fit with the smaller chi-square is kept.
    """
    from surveysem.sem import prepare_model
    from surveysem.sem import row_values

    cols = list(data.columns)
    pm0 = prepare_model(base_syntax, cols, estimator=estimator, missing=missing, std_lv=True, max_iter=max_iter)
    r0 = pm0.fit(data)
    pm1 = prepare_model(clf, cols, estimator=estimator, missing=missing, std_lv=True, max_iter=max_iter)
    fits = []
    if r0.converged:
        vals = row_values(pm0.spec, np.asarray(r0.free_params, dtype=float))
        est0 = {(r.lhs, r.op, r.rhs, r.group): v for r, v in zip(pm0.spec.rows, vals)}
        start = np.zeros(pm1.spec.npar)
        for r in pm1.spec.rows:
            if r.free:
                start[r.par] = est0.get((r.lhs, r.op, r.rhs, r.group), 0.1 if r.op == "=~" else 0.0)
        fits.append(pm1.fit(data, start=start))
    if not fits or not fits[0].converged:
        fits.append(pm1.fit(data))
    conv = [f for f in fits if f.converged]
    pool = conv or fits
    return r0, min(pool, key=lambda f: f.fit["chisq"] if np.isfinite(f.fit["chisq"]) else np.inf)


def em_pseudo_data(data: pd.DataFrame, seed: int = 1) -> pd.DataFrame:
    """Complete pseudo-data whose mean and (N-denominator) covariance equal the EM estimates of the
    saturated model of ``data`` (the first stage of two-stage ML, Savalei & Bentler 2009). An ML fit
    depends on complete data only through these moments and n, so fitting the pseudo-data is
    two-stage ML; the random draw only fixes an orthonormal basis and does not change the fit."""
    from surveysem.sem import em_saturated, missing_patterns

    X = data.astype(float).to_numpy()
    keep = ~np.isnan(X).all(axis=1)
    X = X[keep]
    n, p = X.shape
    pats = missing_patterns(X, np.isnan(X))
    mean, cov = em_saturated(pats, p)
    Z = np.random.default_rng(seed).standard_normal((n, p))
    Z -= Z.mean(axis=0)
    Lz = np.linalg.cholesky(Z.T @ Z / n)
    Z = np.linalg.solve(Lz, Z.T).T  # now Z'Z / n = I exactly
    L = np.linalg.cholesky(cov)
    return pd.DataFrame(Z @ L.T + mean, columns=data.columns)


HEYWOOD = "Heywood case: "
# The two kinds of lines sem.results writes for a Heywood case: (kind, parameter and value)
_NEGATIVE = re.compile(r"negative (?P<what>[\w ]+?) for (?P<par>.+)$")
_BEYOND_ONE = re.compile(r"standardized (?P<par>\S+ (?P<op>\S+) \S+) is (?P<value>\S+) \(\|value\| > 1\)(?P<tag>.*)$")


def _heywood_kind(case: str) -> tuple[str, str]:
    """(kind, entry) of one Heywood line: ``('negative residual variance', 'X1 (-0.1)')``."""
    if m := _BEYOND_ONE.match(case):
        what = "loading" if m["op"] == "=~" else "covariance"
        return f"standardized {what} beyond ±1", f"{m['par']} {m['value']}{m['tag']}"
    if m := _NEGATIVE.match(case):
        return f"negative {m['what']}", m["par"]
    return "other", case


def grouped_heywood(warnings: list[str]) -> list[str]:
    """The Heywood-case lines of one model (one per parameter: a method factor on every item gives
    dozens) as one line after the other warnings, by kind, each parameter once, in model order.

    >>> grouped_heywood(["did not converge", "Heywood case: negative residual variance for X1 (-0.1)",
    ...                  "Heywood case: standardized A ~~ B is 1.05 (|value| > 1)"])
    ['did not converge', 'Heywood cases (2): negative residual variance: X1 (-0.1); standardized covariance beyond ±1: A ~~ B 1.05']
    """
    cases = list(dict.fromkeys(w[len(HEYWOOD):] for w in warnings if w.startswith(HEYWOOD)))
    others = list(dict.fromkeys(w for w in warnings if not w.startswith(HEYWOOD)))
    if not cases:
        return others
    kinds: dict[str, list[str]] = {}
    for kind, entry in map(_heywood_kind, cases):
        kinds.setdefault(kind, []).append(entry)
    return others + [f"Heywood cases ({len(cases)}): " + "; ".join(f"{k}: {', '.join(v)}" for k, v in kinds.items())]


def common_latent_factor(data: pd.DataFrame, scales: dict[str, list[str]], fit_model=None, estimator: str = "ML",
                         missing: str = "listwise", base_result=None, loadings: str = "equal",
                         max_iter: int = 500, two_stage: bool = False) -> dict:
    """Compare the CFA with and without an orthogonal common latent (method) factor.

    ``fit_model``: a ``surveysem.sem.fit_model``-like function; by default the SEM engine is used
    directly with start values from the base model. ``two_stage``: with FIML and incomplete data,
    fit both models to the EM moments (:func:`em_pseudo_data`) instead of by FIML. Returns chisq/df/cfi of both models, the
    delta chi-square test, delta CFI and the method-variance share (mean squared standardized
    method loading), with warnings instead of exceptions when a model cannot be fitted or does
    not converge.
    """
    base_syntax, clf = clf_syntax(scales, loadings=loadings)
    items = [i for its in scales.values() for i in its]
    X = data[items].astype(float)
    warns: list[str] = []
    out: dict = {"syntax_base": base_syntax, "syntax_clf": clf, "loadings": loadings,
                 "method": "ML, " + ("listwise" if missing == "listwise" else "FIML")}
    if two_stage and missing == "fiml" and X.isna().to_numpy().any():
        # both models on the EM moments: a consistent comparison at a fraction of the FIML cost
        try:
            X = em_pseudo_data(X)
        except np.linalg.LinAlgError as exc:
            warns.append(f"common latent factor: EM covariance not positive definite ({exc})")
            out["warnings"] = warns
            return out
        missing = "listwise"
        estimator = "ML"
        out["method"] = "two-stage ML on EM moments (Savalei & Bentler 2009); chi-squares uncorrected"
    try:
        if fit_model is None:
            base, m = _fit_clf_with_engine(X, base_syntax, clf, estimator, missing, max_iter)
        else:
            base = base_result if base_result is not None else fit_model(base_syntax, X, estimator=estimator,
                                                                          missing=missing)
            m = fit_model(clf, X, estimator=estimator, missing=missing, std_lv=True)
    except Exception as exc:  # noqa: BLE001 - a model that cannot be fitted is a warning, not a crash
        warns.append(f"common latent factor model could not be fitted: {type(exc).__name__}: {exc}")
        out["warnings"] = warns
        return out
    if not m.converged:
        warns.append("common latent factor model did not converge")
    warns += [f"CLF model: {w}" for w in grouped_heywood(m.warnings)]
    fb, fm = base.fit, m.fit
    dchi = fb["chisq"] - fm["chisq"]
    ddf = fb["df"] - fm["df"]
    if dchi < -1e-6:
        warns.append(f"common latent factor model fits worse than the CFA (delta chi-square {dchi:.3f} < 0): "
                     "its optimizer did not reach the optimum")
    est = m.estimates
    ml = est[(est["op"] == "=~") & (est["lhs"] == "CMV")]
    share = float(np.mean(ml["std_all"].astype(float) ** 2)) if len(ml) else float("nan")
    out.update({
        "chisq_base": fb["chisq"], "df_base": fb["df"], "cfi_base": fb["cfi"], "rmsea_base": fb.get("rmsea"),
        "chisq_clf": fm["chisq"], "df_clf": fm["df"], "cfi_clf": fm["cfi"], "rmsea_clf": fm.get("rmsea"),
        "delta_chisq": dchi, "delta_df": ddf,
        "delta_p": float(stats.chi2.sf(dchi, ddf)) if ddf > 0 and dchi >= 0 else float("nan"),
        "delta_cfi": fm["cfi"] - fb["cfi"],
        "method_variance_share": share,
        "method_loadings": dict(zip(ml["rhs"], ml["std_all"].astype(float))),
        "converged": bool(m.converged),
        "warnings": warns,
    })
    return out
