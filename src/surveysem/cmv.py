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
>>> round(marker_adjust(0.40, 0.10), 4)
0.3333
"""

from __future__ import annotations

import warnings as _warnings

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["harman", "marker_adjust", "marker_table", "full_collinearity_vif", "clf_syntax", "common_latent_factor"]


def harman(data: pd.DataFrame, method: str = "ml") -> dict:
    """Harman's single-factor test on pairwise correlations: first-component and first-factor shares."""
    from factor_analyzer import FactorAnalyzer

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


def common_latent_factor(data: pd.DataFrame, scales: dict[str, list[str]], fit_model=None, estimator: str = "ML",
                         missing: str = "listwise", base_result=None, loadings: str = "equal") -> dict:
    """Compare the CFA with and without an orthogonal common latent (method) factor.

    ``fit_model``: the SEM engine's ``fit_model`` (injected so tests can stub nothing and use the
    real engine). Returns chisq/df/cfi of both models, delta chi-square test, delta CFI, and the
    method-variance share (mean squared standardized method loading), with warnings instead of
    exceptions when a model does not converge.
    """
    if fit_model is None:
        from surveysem.sem import fit_model
    base_syntax, clf = clf_syntax(scales, loadings=loadings)
    warns: list[str] = []
    out: dict = {"syntax_base": base_syntax, "syntax_clf": clf, "loadings": loadings}
    try:
        base = base_result if base_result is not None else fit_model(base_syntax, data, estimator=estimator,
                                                                      missing=missing)
        m = fit_model(clf, data, estimator=estimator, missing=missing, std_lv=True)
    except Exception as exc:  # noqa: BLE001 - a model that cannot be fitted is a warning, not a crash
        warns.append(f"common latent factor model could not be fitted: {type(exc).__name__}: {exc}")
        out["warnings"] = warns
        return out
    if not m.converged:
        warns.append("common latent factor model did not converge")
    warns += [f"CLF model: {w}" for w in m.warnings]
    fb, fm = base.fit, m.fit
    dchi = fb["chisq"] - fm["chisq"]
    ddf = fb["df"] - fm["df"]
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
