"""Regression models for Propositions 1-3 (statsmodels estimation, sandwich SEs computed here).

Families (``hypotheses[*].family`` / ``checks``):

``ols_log``           log(spread) by OLS.
``gamma_log``         spread by a Gamma GLM with log link.
``binomial``          regions entered out of ``trials`` (12) by a binomial GLM (logit); when the
                      Pearson chi2/df exceeds ``overdispersion`` (default 1.2) the fit is reported as
                      quasi-binomial (same coefficients, dispersion-scaled model SEs).
``quasibinomial``     the same, always quasi-binomial.
``poisson``           regions entered by a Poisson GLM (log), a check on the binomial model.
``fractional_logit``  intensity (share in [0, 1]) by the Papke-Wooldridge (1996) fractional logit:
                      binomial-family GLM on the share, inference from robust SEs only.

Inference always uses the robust sandwich covariance ``HC0`` or ``HC1`` (config ``se``),
computed exactly as R's ``sandwich::vcovHC`` does for ``lm``/``glm`` objects:
bread ``(X'WX)^-1`` with the IRLS working weights, meat ``sum s_i s_i'`` with score
``s_i = w_prior (y - mu) / (V(mu) g'(mu)) x_i``; HC1 multiplies HC0 by ``n / (n - p)``.
(The dispersion cancels, so binomial and quasi-binomial sandwiches coincide, as in R.)
Tests use the t distribution with the residual df for OLS and the normal distribution for GLMs
(the defaults of ``lmtest::coeftest``).

Capability predictors are z-scored (sample SD) before fitting, so every capability coefficient
is the effect of one SD; interaction terms are products of the z-scores (mean-centred).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from surveysem.errors import SurveySemError



@dataclass
class FitResult:
    family: str
    family_used: str
    terms: list[str]
    params: np.ndarray
    cov: np.ndarray  # robust
    se_model: np.ndarray
    nobs: int
    df_resid: float
    use_t: bool
    se_type: str
    r2: float  # OLS R^2, or deviance-based pseudo-R^2 for GLMs
    r2_mcfadden: float
    r2_adj: float
    dispersion: float
    pearson_chi2: float
    deviance: float
    null_deviance: float
    llf: float
    aic: float
    converged: bool
    mu: np.ndarray
    eta: np.ndarray
    trials: float | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def se(self) -> np.ndarray:
        return np.sqrt(np.clip(np.diag(self.cov), 0, None))

    @property
    def stat(self) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return self.params / self.se

    def _dist(self):
        return stats.t(self.df_resid) if self.use_t else stats.norm()

    @property
    def pvalues(self) -> np.ndarray:
        return 2 * self._dist().sf(np.abs(self.stat))

    def p_one_sided(self, term: str, expected: str) -> float:
        """p of H1: coefficient > 0 (expected '+') or < 0 (expected '-')."""
        t = self.stat[self.terms.index(term)]
        d = self._dist()
        return float(d.sf(t) if expected == "+" else d.cdf(t))

    def conf_int(self, level: float = 0.95) -> np.ndarray:
        q = self._dist().ppf(0.5 + level / 2)
        return np.column_stack([self.params - q * self.se, self.params + q * self.se])

    def wald(self, terms: list[str]) -> dict:
        """Joint Wald test that the coefficients of ``terms`` are all zero (robust covariance)."""
        idx = [self.terms.index(t) for t in terms]
        b = self.params[idx]
        v = self.cov[np.ix_(idx, idx)]
        try:
            chi2 = float(b @ np.linalg.solve(v, b))
        except np.linalg.LinAlgError:
            return {"chi2": np.nan, "df": len(idx), "pvalue": np.nan}
        return {"chi2": chi2, "df": len(idx), "pvalue": float(stats.chi2.sf(chi2, len(idx)))}

    def lincom(self, weights: dict[str, float]) -> tuple[float, float]:
        w = np.zeros(len(self.terms))
        for t, c in weights.items():
            w[self.terms.index(t)] = c
        return float(w @ self.params), float(np.sqrt(max(w @ self.cov @ w, 0.0)))

    def ame(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Average marginal effects on the response scale (count scale for binomial trials)
        with delta-method SEs; NaN for ``ols_log`` (outcome on the log scale)."""
        p = len(self.params)
        if self.family == "ols_log":
            return np.full(p, np.nan), np.full(p, np.nan)
        mu = self.mu
        if self.family in ("gamma_log", "poisson"):
            d1, d2 = mu, mu
        else:  # logit link
            d1 = mu * (1 - mu)
            d2 = d1 * (1 - 2 * mu)
        scale = self.trials if self.family in ("binomial", "quasibinomial") and self.trials else 1.0
        m1 = d1.mean()
        ame = self.params * m1 * scale
        # gradient of AME_j wrt beta: e_j * mean(d1) + beta_j * mean(d2 * x)
        g2 = (d2[:, None] * X).mean(axis=0)
        grad = np.eye(p) * m1 + np.outer(self.params, g2)
        cov = grad @ self.cov @ grad.T
        return ame, np.sqrt(np.clip(np.diag(cov), 0, None)) * scale


def _sandwich(X: np.ndarray, w_work: np.ndarray, score_scale: np.ndarray, se_type: str) -> np.ndarray:
    """R's vcovHC for lm/glm: bread (X' W X)^-1, meat sum(s_i s_i'), s_i = score_scale_i * x_i."""
    n, p = X.shape
    bread = np.linalg.inv(X.T @ (w_work[:, None] * X))
    S = score_scale[:, None] * X
    cov = bread @ (S.T @ S) @ bread
    if se_type == "HC1":
        cov = cov * n / (n - p)
    elif se_type != "HC0":
        raise SurveySemError(f"unknown robust SE type {se_type!r} (use HC0 or HC1)")
    return cov


def fit_model(y, X: pd.DataFrame, family: str, se_type: str = "HC1", trials: float | None = None,
              overdispersion: float = 1.2) -> FitResult:
    """Fit one model of the families in the module docstring.

    Parameters
    ----------
    y : array-like
        The outcome on its natural scale (spread, regions, share).
    X : DataFrame
        The design matrix, intercept column included; its column names are the terms.
    family : str
        ``ols_log``, ``gamma_log``, ``binomial``, ``quasibinomial``, ``poisson`` or ``fractional_logit``.
    se_type : str
        ``HC0`` or ``HC1`` robust covariance.
    trials : float, optional
        The binomial denominator (12 regions).
    overdispersion : float
        Pearson chi2/df above which a binomial fit is reported as quasi-binomial.

    Returns
    -------
    FitResult

    Notes
    -----
    The robust covariance is R's ``sandwich::vcovHC`` (:func:`_sandwich`); the model SEs use
    dispersion 1 for binomial and Poisson fits and Pearson chi2/df otherwise.
    """
    # Steps:
    #   1. check:   more complete cases than coefficients, predictors not collinear
    #   2. ols_log: OLS of log(y) with its sandwich; nothing else applies to it
    #   3. family:  statsmodels family, response and prior weights (outcome range checked)
    #   4. fit:     IRLS by statsmodels' GLM, its warnings kept as one line each
    #   5. result:  sandwich, dispersion, model SEs and fit statistics of the GLM
    y = np.asarray(y, dtype=float)
    Xv = np.asarray(X, dtype=float)
    terms = list(X.columns)
    _check_estimable(Xv, family, terms)  # 1
    if family == "ols_log":  # 2
        return _fit_ols_log(y, Xv, terms, se_type)
    fam, endog, prior = _glm_response(family, y, trials)  # 3
    res, warn = _fit_glm(endog, Xv, fam, family)  # 4
    return _glm_result(res, fam, y, Xv, prior, terms, family=family, se_type=se_type,  # 5
                       trials=trials, overdispersion=overdispersion, warn=warn)


def _check_estimable(Xv: np.ndarray, family: str, terms: list[str]) -> None:
    n, p = Xv.shape
    if n <= p:
        raise SurveySemError(f"{family} model: {n} complete cases for {p} coefficients; too few to estimate")
    if np.linalg.matrix_rank(Xv) < p:
        raise SurveySemError(f"{family} model: the predictors are perfectly collinear ({', '.join(terms)})")


def _fit_ols_log(y: np.ndarray, Xv: np.ndarray, terms: list[str], se_type: str) -> FitResult:
    """OLS of log(y); the sandwich meat uses the residuals (unit working weights)."""
    # the modules used, not statsmodels.api (which imports all of statsmodels: ~0.6 s a job)
    from statsmodels.regression.linear_model import OLS

    if np.any(y <= 0):
        raise SurveySemError("ols_log model needs a positive outcome (log of spread)")
    n = len(y)
    ly = np.log(y)
    res = OLS(ly, Xv).fit()
    mu = res.fittedvalues
    resid = ly - mu
    cov = _sandwich(Xv, np.ones(n), resid, se_type)
    return FitResult(
        family="ols_log", family_used="ols_log", terms=terms, params=np.asarray(res.params), cov=cov,
        se_model=np.asarray(res.bse), nobs=n, df_resid=float(res.df_resid), use_t=True, se_type=se_type,
        r2=float(res.rsquared), r2_mcfadden=np.nan, r2_adj=float(res.rsquared_adj),
        dispersion=float(res.scale), pearson_chi2=float(np.sum(resid**2)), deviance=float(np.sum(resid**2)),
        null_deviance=float(np.sum((ly - ly.mean()) ** 2)), llf=float(res.llf), aic=float(res.aic),
        converged=True, mu=np.asarray(mu), eta=np.asarray(mu), warnings=[],
    )


def _glm_response(family: str, y: np.ndarray, trials: float | None):
    """(statsmodels family, endog, prior weights) of a GLM family, after checking the outcome's range.

    Binomial counts are given as (successes, failures) with prior weight ``trials``."""
    from statsmodels.genmod import families

    n = len(y)
    if family == "gamma_log":
        if np.any(y <= 0):
            raise SurveySemError("gamma_log model needs a positive outcome (spread)")
        return families.Gamma(link=families.links.Log()), y, np.ones(n)
    if family in ("binomial", "quasibinomial"):
        if trials is None:
            raise SurveySemError(f"{family} model needs the number of trials (regions)")
        if np.any((y < 0) | (y > trials)):
            raise SurveySemError(f"{family} model: counts must lie in 0..{trials}")
        return families.Binomial(), np.column_stack([y, trials - y]), np.full(n, float(trials))
    if family == "poisson":
        if np.any(y < 0):
            raise SurveySemError("poisson model needs non-negative counts")
        return families.Poisson(), y, np.ones(n)
    if family == "fractional_logit":
        if np.any((y < 0) | (y > 1)):
            raise SurveySemError("fractional_logit model needs shares in [0, 1]")
        return families.Binomial(), y, np.ones(n)
    raise SurveySemError(f"unknown model family {family!r}")


def _fit_glm(endog, Xv: np.ndarray, fam, family: str):
    """(statsmodels GLM results, warnings): IRLS with statsmodels' default scale (1 for binomial
    and Poisson, Pearson X2/df for Gamma); the warnings it raised, one line each."""
    from statsmodels.genmod.generalized_linear_model import GLM

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = GLM(endog, Xv, family=fam).fit(maxiter=100, tol=1e-10)
    warn = []
    for w in caught:
        msg = str(w.message).splitlines()[0]
        if "non-integer" in msg.lower():  # fractional logit on shares: expected
            continue
        warn.append(f"{family}: {msg}")
    if not bool(getattr(res, "converged", True)):
        warn.append(f"{family}: IRLS did not converge")
    return res, warn


def _working_weights_and_scores(fam, mu: np.ndarray, y: np.ndarray, prior: np.ndarray):
    """IRLS working weights ``w_prior / (V(mu) g'(mu)^2)`` and score scales ``w_prior (y - mu) / (V(mu) g'(mu))``."""
    V = fam.variance(mu)
    gp = fam.link.deriv(mu)
    return prior / (V * gp**2), prior * (y - mu) / (V * gp)


def _reported_family(family: str, phi: float, overdispersion: float) -> tuple[str, str | None]:
    """(family as reported, warning or None): an overdispersed binomial fit is reported as quasi-binomial."""
    if family == "binomial" and phi > overdispersion:
        return "quasibinomial", (f"binomial: overdispersed (Pearson chi2/df = {phi:.2f} > {overdispersion}); "
                                 "reported as quasi-binomial")
    if family == "fractional_logit":
        return "fractional_logit (quasi-binomial)", None
    return family, None


def _mcfadden_r2(res, family: str) -> float:
    """McFadden's pseudo-R2 ``1 - llf / llnull`` of the count families; NaN for the others."""
    if family not in ("binomial", "quasibinomial", "poisson"):
        return np.nan
    try:
        return float(1 - res.llf / res.llnull)
    except Exception:  # pragma: no cover - statsmodels edge cases
        return np.nan


def _glm_result(res, fam, y, Xv, prior, terms, *, family, se_type, trials, overdispersion, warn) -> FitResult:
    """The :class:`FitResult` of a GLM fit: robust sandwich, dispersion-scaled model SEs, fit statistics."""
    n, p = Xv.shape
    mu = np.asarray(res.mu)
    y_mean_scale = y / trials if family in ("binomial", "quasibinomial") else y  # counts as shares, like mu
    w_work, score = _working_weights_and_scores(fam, mu, y_mean_scale, prior)
    cov = _sandwich(Xv, w_work, score, se_type)
    pearson = float(np.sum(prior * (y_mean_scale - mu) ** 2 / fam.variance(mu)))
    df_resid = float(n - p)
    phi = pearson / df_resid
    family_used, overdispersed = _reported_family(family, phi, overdispersion)
    if overdispersed:
        warn.append(overdispersed)
    dispersion = 1.0 if family_used in ("binomial", "poisson") else phi
    cov_unscaled = np.linalg.inv(Xv.T @ (w_work[:, None] * Xv))
    dev = float(res.deviance)
    null_dev = float(res.null_deviance)
    return FitResult(
        family=family, family_used=family_used, terms=terms, params=np.asarray(res.params), cov=cov,
        se_model=np.sqrt(np.diag(cov_unscaled) * dispersion), nobs=n, df_resid=df_resid, use_t=False,
        se_type=se_type, r2=1 - dev / null_dev if null_dev > 0 else np.nan, r2_mcfadden=_mcfadden_r2(res, family),
        r2_adj=np.nan, dispersion=dispersion, pearson_chi2=pearson, deviance=dev, null_deviance=null_dev,
        llf=float(res.llf) if family != "fractional_logit" else np.nan,
        aic=float(res.aic) if family in ("binomial", "poisson") else np.nan,
        converged=bool(getattr(res, "converged", True)), mu=mu, eta=np.asarray(fam.link(mu)),
        trials=trials, warnings=warn,
    )


# --------------------------------------------------------------------------- helpers


def holm(pvalues) -> np.ndarray:
    """Holm (1979) step-down adjusted p-values (same as R's p.adjust(method = 'holm'))."""
    p = np.asarray(pvalues, dtype=float)
    m = len(p)
    if m == 0:
        return p
    order = np.argsort(p, kind="stable")
    adj = np.empty(m)
    running = 0.0
    for rank, idx in enumerate(order):
        running = max(running, (m - rank) * p[idx])
        adj[idx] = min(1.0, running)
    return adj


def vif(X: pd.DataFrame) -> pd.Series:
    """Variance inflation factors of every non-intercept column: 1 / (1 - R^2_j), where R^2_j is
    from regressing column j on all other columns (intercept included)."""
    cols = [c for c in X.columns if c != "Intercept"]
    out = {}
    Xv = X.to_numpy(dtype=float)
    for c in cols:
        j = list(X.columns).index(c)
        yj = Xv[:, j]
        others = np.delete(Xv, j, axis=1)
        beta, *_ = np.linalg.lstsq(others, yj, rcond=None)
        resid = yj - others @ beta
        ss_tot = np.sum((yj - yj.mean()) ** 2)
        r2 = 1 - np.sum(resid**2) / ss_tot if ss_tot > 0 else np.nan
        out[c] = 1 / (1 - r2) if r2 < 1 else np.inf
    return pd.Series(out, dtype=float)


def cohens_f2(r2_full: float, r2_reduced: float) -> float:
    """Cohen's f^2 of a block: (R^2_full - R^2_reduced) / (1 - R^2_full)."""
    if not np.isfinite(r2_full) or not np.isfinite(r2_reduced) or r2_full >= 1:
        return np.nan
    return (r2_full - r2_reduced) / (1 - r2_full)


def zscore(s: pd.Series) -> pd.Series:
    sd = s.std(ddof=1)
    if not np.isfinite(sd) or sd == 0:
        return s * np.nan
    return (s - s.mean()) / sd


def control_columns(frame: pd.DataFrame, controls) -> tuple[pd.DataFrame, list[str], list[str]]:
    """Design columns for the controls (log transform, treatment dummies with the first sorted
    level as reference). Returns (columns, names, warnings)."""
    cols = {}
    warn: list[str] = []
    for c in controls:
        if c.variable not in frame.columns:
            raise SurveySemError(f"control {c.variable!r} is not a column of the firm outcomes")
        s = frame[c.variable]
        if c.categorical:
            levels = sorted(s.dropna().unique().tolist(), key=lambda v: (str(type(v)), v))
            if len(levels) < 2:
                warn.append(f"control {c.variable}: one level only; dropped")
                continue
            for lev in levels[1:]:
                cols[f"{c.variable}[{lev}]"] = (s == lev).astype(float).where(s.notna())
        else:
            v = pd.to_numeric(s, errors="coerce")
            if c.transform == "log":
                v = np.log(v.where(v > 0))
            if v.std(ddof=1) == 0:
                warn.append(f"control {c.name}: no variance; dropped")
                continue
            cols[c.name] = v
    df = pd.DataFrame(cols, index=frame.index)
    return df, list(df.columns), warn


# --------------------------------------------------------------------------- one proposition

OUTCOME_COLUMNS = {"spread": "spread", "diversification": "diversification", "intensity": "intensity"}


def analysis_frame(scores: pd.DataFrame, outcomes: pd.DataFrame) -> pd.DataFrame:
    """Scale scores joined to firm outcomes on ``respondent_id`` (inner join)."""
    for name, frame in (("scale scores", scores), ("firm outcomes", outcomes)):
        if "respondent_id" not in frame.columns:
            raise SurveySemError(f"{name} have no respondent_id column")
    dup = set(scores.columns) & set(outcomes.columns) - {"respondent_id"}
    right = outcomes.drop(columns=sorted(dup))
    return scores.merge(right, on="respondent_id", how="inner", validate="one_to_one")


def design(frame: pd.DataFrame, hyp, *, with_interactions: bool, with_capabilities: bool = True,
           extra: dict | None = None, drop_controls=()) -> tuple[pd.Series, pd.DataFrame, list[str], list[str], list[str]]:
    """Outcome and design matrix for ``hyp`` on complete cases.

    Returns (y, X, capability_terms, control_terms, warnings). Capabilities are z-scored on the
    complete cases of the main model; interactions are products of those z-scores."""
    outcome = OUTCOME_COLUMNS[hyp.outcome]
    if outcome not in frame.columns:
        raise SurveySemError(f"{hyp.id}: outcome column {outcome!r} missing from the firm outcomes")
    for c in hyp.constructs:
        if c not in frame.columns:
            raise SurveySemError(f"{hyp.id}: construct {c!r} has no scale score (results/scores/scale_scores.csv)")
    controls = [c for c in hyp.controls if c.variable not in drop_controls]
    ctrl, ctrl_names, warn = control_columns(frame, controls)
    raw = pd.concat([frame[[outcome] + hyp.main_terms].apply(pd.to_numeric, errors="coerce"), ctrl], axis=1)
    if extra:
        for k, v in extra.items():
            raw[k] = v
    keep = raw.notna().all(axis=1)
    raw = raw.loc[keep]
    y = raw[outcome]
    X = pd.DataFrame({"Intercept": 1.0}, index=raw.index)
    caps = []
    if with_capabilities:
        for t in hyp.main_terms:
            X[t] = zscore(raw[t])
            caps.append(t)
        if with_interactions:
            for t in hyp.interactions:
                a, b = t.split(":")
                X[t] = X[a] * X[b]
    for c in ctrl_names:
        X[c] = raw[c]
    if extra:
        for k in extra:
            X[k] = raw[k]
    # drop dummy columns that are constant in the complete cases (a level with no firms left)
    for c in list(ctrl_names):
        if X[c].nunique() < 2:
            warn.append(f"{hyp.id}: control {c} is constant in the complete cases; dropped")
            X = X.drop(columns=c)
            ctrl_names.remove(c)
    return y, X, caps, ctrl_names, warn


def _coef_rows(fit: FitResult, X: pd.DataFrame, hyp, model: str, roles: dict, level: float) -> list[dict]:
    ci = fit.conf_int(level)
    ame, ame_se = fit.ame(X.to_numpy(dtype=float))
    rows = []
    for j, t in enumerate(fit.terms):
        rows.append({
            "proposition": hyp.id, "model": model, "family": fit.family, "family_used": fit.family_used,
            "outcome": hyp.outcome, "term": t, "role": roles.get(t, "control"),
            "est": fit.params[j], "se": fit.se[j], "se_type": fit.se_type, "se_model": fit.se_model[j],
            "stat": fit.stat[j], "dist": "t" if fit.use_t else "z", "p_two_sided": fit.pvalues[j],
            "ci_lower": ci[j, 0], "ci_upper": ci[j, 1],
            "exp_est": np.exp(fit.params[j]),
            "ame": ame[j] if roles.get(t) == "capability" else np.nan,
            "ame_se": ame_se[j] if roles.get(t) == "capability" else np.nan,
            "n": fit.nobs,
        })
    return rows


def analyse_hypothesis(frame: pd.DataFrame, hyp, *, trials: int = 12, level: float = 0.95,
                       adjust: str = "holm", alpha: float = 0.05, not_estimable: str | None = None) -> dict:
    """Fit the primary model and the checks of one P1-P3 style hypothesis (``not_estimable``: why
    none can be fitted, found by the pre-check of degenerate data).

    Returns a dict of lists of row dicts: ``coefficients``, ``fits``, ``subhypotheses``, ``vif``,
    plus ``warnings``. Sub-hypotheses are tested one-sided in the expected direction, Holm-adjusted
    within the proposition (per model family)."""
    coef_rows, fit_rows, sub_rows, vif_rows = [], [], [], []
    warn: list[str] = []
    for fam_i, family in enumerate([hyp.family] + [c for c in hyp.checks if c != hyp.family]):
        primary = fam_i == 0
        fits = {}
        try:
            if not_estimable:
                raise SurveySemError(not_estimable)
            y, X, caps, ctrls, w = design(frame, hyp, with_interactions=False)
            warn.extend(w)
            fits["main"] = (fit_model(y, X, family, hyp.se, trials, hyp.overdispersion), X)
            Xc = X[["Intercept"] + ctrls]
            fits["controls"] = (fit_model(y, Xc, family, hyp.se, trials, hyp.overdispersion), Xc)
            if hyp.interactions:
                yi, Xi, _, _, _ = design(frame, hyp, with_interactions=True)
                fits["interaction"] = (fit_model(yi, Xi, family, hyp.se, trials, hyp.overdispersion), Xi)
        except SurveySemError as err:
            warn.append(f"{hyp.id} {family}: not estimable: {err.one_line()}")
            for s in hyp.subs:
                sub_rows.append({"proposition": hyp.id, "id": s.id, "term": s.term, "expected": s.expected,
                                 "family": family, "primary": primary, "model": None, "est": np.nan,
                                 "se": np.nan, "ci_lower": np.nan, "ci_upper": np.nan, "p_one_sided": np.nan,
                                 "p_adjusted": np.nan, "sign_ok": False, "supported": False,
                                 "verdict": "not estimable"})
            continue
        roles = {"Intercept": "intercept", **{t: "capability" for t in hyp.main_terms},
                 **{t: "interaction" for t in hyp.interactions}}
        main_fit = fits["main"][0]
        for name, (fit, Xm) in fits.items():
            model_id = f"{hyp.id}:{family}:{name}"
            coef_rows.extend(_coef_rows(fit, Xm, hyp, model_id, roles, level))
            warn.extend(f"{hyp.id} {name}: {m}" for m in fit.warnings)
            row = {"proposition": hyp.id, "model": model_id, "family": family, "family_used": fit.family_used,
                   "outcome": hyp.outcome, "primary": primary, "n": fit.nobs, "k": len(fit.terms),
                   "r2_kind": "R2" if family == "ols_log" else "deviance pseudo-R2",
                   "r2": fit.r2, "r2_adj": fit.r2_adj, "r2_mcfadden": fit.r2_mcfadden,
                   "dispersion": fit.dispersion, "pearson_chi2_df": fit.pearson_chi2 / fit.df_resid,
                   "deviance": fit.deviance, "llf": fit.llf, "aic": fit.aic, "converged": fit.converged,
                   "se_type": fit.se_type, "wald_terms": "", "wald_chi2": np.nan, "wald_df": np.nan,
                   "wald_p": np.nan, "f2_capabilities": np.nan}
            if name == "main":
                wd = fit.wald(hyp.main_terms)
                row.update(wald_terms=" ".join(hyp.main_terms), wald_chi2=wd["chi2"], wald_df=wd["df"], wald_p=wd["pvalue"],
                           f2_capabilities=cohens_f2(fit.r2, fits["controls"][0].r2))
            if name == "interaction":
                wd = fit.wald(hyp.interactions)
                row.update(wald_terms=" ".join(hyp.interactions), wald_chi2=wd["chi2"], wald_df=wd["df"],
                           wald_p=wd["pvalue"], f2_capabilities=cohens_f2(fit.r2, main_fit.r2))
            fit_rows.append(row)
        for c, v in vif(fits["main"][1]).items():
            vif_rows.append({"proposition": hyp.id, "family": family, "term": c, "vif": v})
        # sub-hypotheses
        rows = []
        for s in hyp.subs:
            fit, _ = fits["interaction" if s.is_interaction else "main"]
            j = fit.terms.index(s.term)
            ci = fit.conf_int(level)[j]
            rows.append({"proposition": hyp.id, "id": s.id, "term": s.term, "expected": s.expected,
                         "family": family, "family_used": fit.family_used, "primary": primary,
                         "model": f"{hyp.id}:{family}:{'interaction' if s.is_interaction else 'main'}",
                         "est": fit.params[j], "se": fit.se[j], "ci_lower": ci[0], "ci_upper": ci[1],
                         "p_one_sided": fit.p_one_sided(s.term, s.expected)})
        padj = holm([r["p_one_sided"] for r in rows]) if adjust == "holm" else np.array([r["p_one_sided"] for r in rows])
        for r, pa in zip(rows, padj):
            r["p_adjusted"] = pa
            r["sign_ok"] = bool(np.sign(r["est"]) == (1 if r["expected"] == "+" else -1))
            r["supported"] = bool(r["sign_ok"] and r["p_adjusted"] < alpha)
            r["verdict"] = "supported" if r["supported"] else "not supported"
        sub_rows.extend(rows)
    return {"coefficients": coef_rows, "fits": fit_rows, "subhypotheses": sub_rows, "vif": vif_rows,
            "warnings": warn}
