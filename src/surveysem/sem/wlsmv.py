"""Stage two of WLSMV as lavaan 0.6-14 computes it (``cfa(..., ordered = TRUE, estimator =
"WLSMV")``): DWLS estimates of the delta-parameterization model (:mod:`surveysem.sem.ordinal_model`)
from the stage-one statistics (:mod:`surveysem.sem.ordinal_moments`), in numbered steps:

1. estimates: ``F = sum_g (n_g / N) (s_g - sigma_g)' W_g (s_g - sigma_g) / 2`` (lavaan's ``fmin``,
   ``estimator.DWLS`` in ``lav_model_objective.R``) minimised by Gauss-Newton (Fisher scoring with
   the expected information ``E = sum_g (n_g / N) D_g' W_g D_g``);
2. robust standard errors (``se = "robust.sem"``, ``lav_model_nvcov_robust_sem``):
   ``E^-1 (sum_g (n_g / N) D_g' W_g Gamma_g W_g D_g) E^-1 / N``;
3. the test: ``T = 2 N F`` and its scaled-shifted version (WLSMV, ``test = "scaled.shifted"``) or
   the mean-and-variance adjusted one (WLSMVS, ``"mean.var.adjusted"``, Satterthwaite df) from
   ``tr(U Gamma)`` and ``tr((U Gamma)^2)`` with ``U = V - V D E^-1 D' V`` over all groups (``V =
   bdiag(f_g W_g)``, ``Gamma = bdiag(Gamma_g / f_g)``; ``lav_test_satorra_bentler_trace_original``);
4. the baseline model as lavaan fits it for ordered data (``lav_partable_independence``: thresholds
   free, correlations 0) with the same test;
5. fit indices: CFI, TLI, RMSEA (N = ntotal - ngroups, lavaan's ``lav_utils_get_ntotal`` for DWLS)
   from the standard and the scaled test (``lav_fit_cfi_lavobject``, ``lav_fit_rmsea_lavobject``),
   the robust ones of WLSMV (:mod:`surveysem.sem.wlsmv_robust`), SRMR on the correlation residuals
   (lavaan's ``srmr`` of categorical data = ``srmr_bentler_nomean``);
6. the parameter table (lavaan's ``parameterEstimates()`` rows of the delta parameterization) and
   the :class:`~surveysem.sem.results.SEMResult`.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import special

from surveysem.errors import SurveySemError
from surveysem.sem.fit_indices import cfi, pvalue, rmsea, rmsea_ci, tli
from surveysem.sem.ordinal_model import build_ordinal_model, display_rows
from surveysem.sem.ordinal_moments import OrdinalMoments
from surveysem.sem.partable import variable_names
from surveysem.sem.syntax import parse_syntax
from surveysem.sem.wlsmv_robust import KEYS as ROBUST_KEYS
from surveysem.sem.wlsmv_robust import robust_indices

ORDINAL_ESTIMATORS = {"WLSMV": "scaled.shifted", "WLSMVS": "mean.var.adjusted"}


# ---------------------------------------------------------------- step 1: estimates
def _residuals(model, moments, theta):
    return [m.wls_obs - model.implied(theta, g)[0] for g, m in enumerate(moments)]


def objective(model, moments, theta, fg):
    """lavaan's ``fmin``: ``sum_g f_g (n_g - 1) / n_g (s_g - sigma_g)' W_g (s_g - sigma_g) / 2``
    (``lav_model_objective``: DWLS weighs a group's discrepancy by (n_g - 1) / n_g)."""
    return 0.5 * sum(f * (m.nobs - 1) / m.nobs * float(np.sum(m.wls_v * r * r))
                     for f, m, r in zip(fg, moments, _residuals(model, moments, theta)))


def _normal_equations(model, moments, theta, fg):
    """(E = sum f_g D' W D, sum f_g D' W r, the Jacobians); the optimiser passes lavaan's
    objective weights f_g (n_g - 1) / n_g, the standard errors and tests f_g."""
    q = model.npar
    E, b, D = np.zeros((q, q)), np.zeros(q), []
    for g, (f, m) in enumerate(zip(fg, moments)):
        Dg = model.jacobian(theta, g)
        r = m.wls_obs - model.implied(theta, g)[0]
        WD = m.wls_v[:, None] * Dg
        E += f * Dg.T @ WD
        b += f * WD.T @ r
        D.append(Dg)
    return E, b, D


def estimate(model, moments, theta0, max_iter=500, tol=1e-10):
    """Gauss-Newton with step halving; returns (theta, converged, iterations)."""
    N = sum(m.nobs for m in moments)
    fg = [m.nobs / N for m in moments]
    theta = theta0.copy()
    f0 = objective(model, moments, theta, fg)
    wg = [f * (m.nobs - 1) / m.nobs for f, m in zip(fg, moments)]
    for it in range(1, max_iter + 1):
        E, b, _ = _normal_equations(model, moments, theta, wg)
        try:
            step = np.linalg.solve(E, b)
        except np.linalg.LinAlgError:
            return theta, False, it
        t = 1.0
        while True:
            cand = theta + t * step
            f1 = objective(model, moments, cand, fg)
            if f1 <= f0 + 1e-15 or t < 1e-8:
                break
            t /= 2
        theta, done = cand, abs(f0 - f1) <= tol * max(f0, 1e-12) and np.max(np.abs(t * step)) < 1e-7
        f0 = f1
        if done or np.max(np.abs(b)) < 1e-12:
            return theta, True, it
    return theta, False, max_iter


# ---------------------------------------------------------------- steps 2-3: SEs and tests
def _gamma_product(gamma, VD):
    """``gamma @ VD`` where the unit-vector columns of ``VD`` (free thresholds) are a column
    gather, so that the dense product is over the structural columns only."""
    nz = VD != 0
    unit = np.flatnonzero(nz.sum(axis=0) == 1)
    dense = np.setdiff1d(np.arange(VD.shape[1]), unit)
    out = np.zeros((gamma.shape[0], VD.shape[1]))
    if len(unit):
        rows = np.argmax(nz[:, unit], axis=0)
        out[:, unit] = gamma[:, rows] * VD[rows, unit]
    if len(dense):
        out[:, dense] = gamma @ VD[:, dense]
    return out


def sandwich_parts(E_inv, D, moments, fg):
    """(H = sum_g f_g D_g' W_g Gamma_g W_g D_g, tr(U Gamma), tr((U Gamma)^2)) with lavaan's ``U = V -
    V D E^-1 D' V``, ``V = bdiag(f_g W_g)``, ``Gamma = bdiag(Gamma_g / f_g)``
    (``lav_test_satorra_bentler_trace_original``), without forming U: ``tr(U Gamma) = tr(V Gamma) -
    tr(E^-1 H)``, ``tr((U Gamma)^2) = tr((V Gamma)^2) - 2 tr(E^-1 D'V Gamma V Gamma V D) + tr((E^-1 H)^2)``."""
    q = E_inv.shape[0]
    H, K = np.zeros((q, q)), np.zeros((q, q))
    tvg = tvg2 = 0.0
    for f, m, Dg in zip(fg, moments, D):
        V = f * m.wls_v
        VD = V[:, None] * Dg
        P = _gamma_product(m.gamma, VD) / f  # (Gamma_g / f_g) V D, without copying gamma
        H += VD.T @ P
        K += P.T @ (V[:, None] * P)
        tvg += float(V @ np.diag(m.gamma)) / f
        tvg2 += float(np.einsum("i,ij,ij,j->", V, m.gamma, m.gamma, V, optimize=True)) / (f * f)
    EH = E_inv @ H
    return H, tvg - float(np.trace(EH)), tvg2 - 2.0 * float(np.sum(E_inv * K)) + float(np.sum(EH * EH.T))


def robust_vcov(E_inv, H, moments):
    """``E^-1 H E^-1 / (N - G)``, H = sum_g f_g D_g' W_g Gamma_g W_g D_g (lavaan's robust.sem; lavaan's
    ``lav_model_vcov`` divides by ntotal - ngroups for estimators other than ML)."""
    return E_inv @ H @ E_inv / (sum(m.nobs for m in moments) - len(moments))


def adjusted_test(stat, df, tr1, tr2, test):
    """(statistic, df, scaling factor, shift parameter) of lavaan's scaled.shifted or
    mean.var.adjusted test (``lav_test_satorra_bentler``); NaN for df <= 0."""
    nan = float("nan")
    if df <= 0:
        return stat, df, nan, nan
    if test == "scaled.shifted":
        a = math.sqrt(df / tr2)
        shift = df - a * tr1
        return stat * a + shift, df, 1.0 / a, shift
    df_s = tr1 * tr1 / tr2
    c = tr1 / df_s
    return stat / c, df_s, c, nan


def _test_block(stat, df, tr1, tr2, test, prefix=""):
    s, d, c, shift = adjusted_test(stat, df, tr1, tr2, test)
    return {f"{prefix}chisq": stat, f"{prefix}df": df, f"{prefix}pvalue": pvalue(stat, df),
            f"{prefix}chisq_scaled": s, f"{prefix}df_scaled": d, f"{prefix}pvalue_scaled": pvalue(s, d),
            f"{prefix}scaling_factor": c, f"{prefix}shift_parameter": shift,
            f"{prefix}trace_ugamma": tr1, f"{prefix}trace_ugamma2": tr2}


# ---------------------------------------------------------------- step 4: baseline
def baseline_test(moments, fg, test):
    """The independence model of ordered data: thresholds free (fitted exactly by DWLS),
    correlations 0; its statistic, df and scaled test."""
    stat = sum((m.nobs - 1) * float(np.sum(m.wls_v[m.n_thresholds:] * m.wls_obs[m.n_thresholds:] ** 2)) for m in moments)
    nth = [m.n_thresholds for m in moments]
    q = sum(nth)
    D, offset = [], 0
    for m, k in zip(moments, nth):
        Dg = np.zeros((len(m.wls_v), q))
        Dg[np.arange(k), offset + np.arange(k)] = 1.0
        D.append(Dg)
        offset += k
    E = sum(f * Dg.T @ (m.wls_v[:, None] * Dg) for f, m, Dg in zip(fg, moments, D))
    _, tr1, tr2 = sandwich_parts(np.linalg.inv(E), D, moments, fg)
    df = sum(len(m.wls_v) for m in moments) - q
    return _test_block(stat, df, tr1, tr2, test, prefix="baseline_")


# ---------------------------------------------------------------- step 5: fit indices
def fit_indices(fit, N, G, test):
    """CFI, TLI, RMSEA (+ 90 % interval) from the standard and the scaled test, as lavaan's
    ``lav_fit_cfi_lavobject`` / ``lav_fit_rmsea_lavobject`` (N = ntotal - ngroups for DWLS; the
    scaled RMSEA of WLSMVS is the unscaled statistic on tr(U Gamma) df)."""
    n = N - G
    x, df, xb, dfb = fit["chisq"], fit["df"], fit["baseline_chisq"], fit["baseline_df"]
    xs, dfs = fit["chisq_scaled"], fit["df_scaled"]
    xbs, dfbs = fit["baseline_chisq_scaled"], fit["baseline_df_scaled"]
    out = {"cfi": cfi(x, df, xb, dfb), "tli": tli(x, df, xb, dfb), "rmsea": rmsea(x, df, n, G),
           "cfi_scaled": cfi(xs, dfs, xbs, dfbs), "tli_scaled": tli(xs, dfs, xbs, dfbs)}
    out["rmsea_ci_lower"], out["rmsea_ci_upper"] = rmsea_ci(x, df, n, G)
    x2, df2 = (xs, df) if test == "scaled.shifted" else (x, fit["trace_ugamma"])
    out["rmsea_scaled"] = rmsea(x2, df2, n, G) if math.isfinite(df2) else float("nan")
    out["rmsea_ci_lower_scaled"], out["rmsea_ci_upper_scaled"] = rmsea_ci(x2, df2, n, G)
    return out


def srmr(model, moments, theta, fg):
    """lavaan's SRMR of ordered data: the root mean square of the correlation residuals over the
    lower triangle with its (zero) diagonal, weighted by the group sizes."""
    total = 0.0
    for g, (f, m) in enumerate(zip(fg, moments)):
        r = (m.wls_obs - model.implied(theta, g)[0])[m.n_thresholds:]
        p = len(m.variables)
        total += f * math.sqrt(float(np.sum(r * r)) / (p * (p + 1) / 2))
    return total


# ---------------------------------------------------------------- step 6: table and result
def _std_all(r, val, sd, index, res_sd):
    """std.all of one row from the standard deviations of all variables; a covariance of two
    endogenous variables (residual covariance) by their residual standard deviations ``res_sd``
    (NaN for exogenous variables), as lavaan."""
    if r.op == "=~":
        return val * sd[index[r.lhs]] / sd[index[r.rhs]]
    if r.op == "~":
        return val * sd[index[r.rhs]] / sd[index[r.lhs]]
    if r.op == "~~":
        i, j = index[r.lhs], index[r.rhs]
        if i != j and np.isfinite(res_sd[i]) and np.isfinite(res_sd[j]):
            return val / (res_sd[i] * res_sd[j])
        return val / (sd[i] * sd[j])
    if r.op == "|":
        return val / sd[index[r.lhs]]
    if r.op == "~*~":
        return val * sd[index[r.lhs]]
    return val / sd[index[r.lhs]]  # ~1: latent means (free in groups 2+ with equal thresholds)


def _group_records(model, theta, g, se_par):
    """parameterEstimates() rows of group ``g`` (1-based): the user's rows, thresholds, the other
    rows, then the fixed ``~*~`` (theta: computed) and ``~1`` rows."""
    spec = model.spec
    C, _, scaling, _, _ = model.state(theta, g - 1)
    delta = model.parameterization == "delta"
    resid = model.residual_variances(C, scaling)
    p = len(spec.ov_names)
    full = C.copy()
    if delta:  # the latent responses' residual variances are not in C
        full[np.arange(p), np.arange(p)] += resid
    sd = np.sqrt(np.diag(full))
    index = {v: k for k, v in enumerate(spec.var_names)}
    A, S, _ = model.groups[g - 1].matrices(theta)
    res_var = np.diag(S).copy()
    res_var[:p] = resid if delta else res_var[:p]
    endogenous = np.any(A != 0, axis=1)
    endogenous[:p] = True  # every item is an indicator
    res_sd = np.where(endogenous, np.sqrt(np.abs(res_var)), np.nan)
    rows = [r for r in spec.rows if r.group == g and r.op != "~1"]
    ordered = ([r for r in rows if r.user] + [r for r in model.thresholds if r.group == g]
               + [r for r in rows if not r.user] + display_rows(model, g))
    recs = []
    for r in ordered:
        if r.free:
            val, se = theta[r.par], se_par[r.par]
            z = val / se if se > 0 else np.nan
            pv = 2 * special.ndtr(-abs(z)) if np.isfinite(z) else np.nan
        else:
            is_delta = delta and r.op == "~~" and r.lhs == r.rhs and r.mat == "S" and r.i < p
            val = resid[r.i] if is_delta else (0.0 if r.value is None else r.value)
            if r.op == "~*~":  # theta: computed
                val = scaling[index[r.lhs]]
            se, z, pv = 0.0, np.nan, np.nan
        std = _std_all(r, val, sd, index, res_sd)
        recs.append({"lhs": r.lhs, "op": r.op, "rhs": r.rhs, "group": g, "label": r.label, "est": float(val),
                     "se": float(se), "z": z, "pvalue": pv, "std_all": float(std), "free": bool(r.free),
                     "par": int(r.par)})
    return recs, {v: float(1.0 - resid[k] / full[k, k]) for k, v in enumerate(spec.ov_names)}


def _estimates(model, theta, vcov):
    from surveysem.sem.results import ESTIMATE_COLUMNS

    se_par = np.sqrt(np.where(np.diag(vcov) >= 0, np.diag(vcov), np.nan))
    recs, rsq = [], {}
    G = model.spec.ngroups
    for g in range(1, G + 1):
        rg, r2 = _group_records(model, theta, g, se_par)
        recs += rg
        rsq.update(r2 if G == 1 else {(v, g): val for v, val in r2.items()})
    return pd.DataFrame.from_records(recs, columns=ESTIMATE_COLUMNS), rsq


def _fit_block(model, moments, theta, tr1, tr2, fg, test):
    N, G = sum(m.nobs for m in moments), len(moments)
    fmin = objective(model, moments, theta, fg)
    df = sum(len(m.wls_v) for m in moments) - model.npar
    fit = {"npar": model.npar, "nobs": N, "ntotal": N, "fmin": fmin}
    # lavaan's chisq: 2 n_g fx_g summed over the groups = sum (n_g - 1) r_g' W_g r_g
    stat = sum((m.nobs - 1) * float(np.sum(m.wls_v * r * r)) for m, r in zip(moments, _residuals(model, moments, theta)))
    fit.update(_test_block(stat, df, tr1, tr2, test))
    fit.update(baseline_test(moments, fg, test))
    fit.update(fit_indices(fit, N, G, test))
    fit["srmr"] = srmr(model, moments, theta, fg)
    fit["test"] = test
    return fit


def fit_ordinal_moments(syntax, moments, *, estimator="WLSMV", std_lv=False, group_equal=(), group_partial=(),
                        group_labels=None, parameterization="delta", max_iter=500):
    """Fit ``syntax`` by DWLS (delta parameterization) to stage-one ``moments`` (one
    :class:`OrdinalMoments` per group, or one for a single group) and return the engine's
    :class:`~surveysem.sem.results.SEMResult` with lavaan's WLSMV (or WLSMVS) statistics: robust
    SEs, the scaled-shifted (mean-and-variance adjusted) test, the baseline model, the standard and
    scaled CFI / TLI / RMSEA and SRMR (fit keys as lavaan's ``fitMeasures()`` with "_" for ".";
    ``scaling_factor`` is ``chisq.scaling.factor``, ``shift_parameter`` ``chisq.shift.parameters``).
    ``parameterization``: lavaan's ``"delta"`` (the default) or ``"theta"`` (residual variances of
    the latent responses fixed at 1, scaling factors computed)."""
    from surveysem.sem.results import SEMResult

    estimator = str(estimator).upper()
    if estimator not in ORDINAL_ESTIMATORS:
        raise SurveySemError(f"unknown estimator {estimator!r} for ordered indicators; use WLSMV or WLSMVS",
                             value=estimator)
    test = ORDINAL_ESTIMATORS[estimator]
    moments = [moments] if isinstance(moments, OrdinalMoments) else list(moments)
    parsed = parse_syntax(syntax)
    ov = variable_names([t for t in parsed.terms if t.op != "|"]).ov
    moments = [m.subset(ov) for m in moments]
    group_partial = (group_partial,) if isinstance(group_partial, str) else tuple(group_partial)
    model = build_ordinal_model(parsed, moments, std_lv=std_lv, group_equal=group_equal, group_partial=group_partial,
                                parameterization=parameterization)
    warnings = []
    with np.errstate(all="ignore"):
        theta, converged, iters = estimate(model, moments, model.theta0, max_iter=max_iter)
        if not converged:
            warnings.append(f"did not converge after {iters} iterations")
        N = sum(m.nobs for m in moments)
        fg = [m.nobs / N for m in moments]
        E, _, D = _normal_equations(model, moments, theta, fg)
        try:
            E_inv = np.linalg.inv(E)
            H, tr1, tr2 = sandwich_parts(E_inv, D, moments, fg)
            vcov = robust_vcov(E_inv, H, moments)
        except np.linalg.LinAlgError:
            warnings.append("information matrix is singular: standard errors not available (model may not be "
                            "identified)")
            E_inv = vcov = np.full((model.npar, model.npar), np.nan)
            tr1 = tr2 = float("nan")
        est, rsq = _estimates(model, theta, vcov)
        fit = _fit_block(model, moments, theta, tr1, tr2, fg, test)
        if test == "scaled.shifted":  # lavaan's robust indices need the scaled-shifted test
            fit.update(robust_indices(model, moments, theta, E_inv, D, fit["df"], fit["baseline_df"]))
        else:
            fit.update(dict.fromkeys(ROBUST_KEYS, float("nan")))
    warnings += [f"Heywood case: negative residual variance of the latent response of {r.lhs} ({r.est:.3g})"
                 for r in est.itertuples() if r.op == "~~" and r.lhs == r.rhs and not r.free and r.est < 0]
    return SEMResult(converged=bool(converged), warnings=warnings, fit=fit, estimates=est, r_squared=rsq,
                     free_params=np.array(theta), estimator=estimator, ngroups=len(moments),
                     group_labels=list(group_labels or []), vcov=vcov, iterations=iters,
                     ordinal_context=(model, moments))
