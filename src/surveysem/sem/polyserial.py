"""Correlations with a continuous variable: polyserial (continuous x ordered) and Pearson.

As lavaan 0.6-14's ``lav_bvmix_cor_twostep_fit`` / ``lav_bvmix_cor_scores_cache``: the
continuous variable y1 standardised by its ML mean and **standard deviation** (N divisor, its
non-missing values), Z = (y1 - mu) / sd, and rho the maximiser within [-0.995, 0.995] of

    sum log( dnorm(y1; mu, sd) * [Phi((tau_upper - rho Z) / R) - Phi((tau_lower - rho Z) / R)] ),

R = sqrt(1 - rho^2), over the rows that answered both (cases whose likelihood is below
sqrt(eps) left out, as lavaan does). Two continuous variables: the Pearson correlation (ML
variances), which lavaan computes only for complete pairs without an optimiser
(``lav_bvreg_cor_twostep_fit``). All pairs are fitted at once, one column per pair.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr

from surveysem.sem.ordinal_thresholds import OPEN_BOUND

RHO_BOUND = 0.995
_EPS = np.finfo(float).eps
_SQRT_EPS = np.sqrt(_EPS)


def _dnorm(x):
    return np.exp(-0.5 * x * x) / np.sqrt(2 * np.pi)


def category_bounds_by_row(codes: np.ndarray, th: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(n, pairs) upper and lower bounds of each row's category (+-100 at the open ends, NaN if missing)."""
    upper = np.full(codes.shape, np.nan)
    lower = np.full(codes.shape, np.nan)
    for p, t in enumerate(th):
        up = np.concatenate([t, [OPEN_BOUND]])
        low = np.concatenate([[-OPEN_BOUND], t])
        ok = codes[:, p] > 0
        upper[ok, p] = up[codes[ok, p] - 1]
        lower[ok, p] = low[codes[ok, p] - 1]
    return upper, lower


def _conditional(z, upper, lower, rho):
    big_r = np.sqrt(1 - rho * rho)
    t_up, t_low = (upper - rho * z) / big_r, (lower - rho * z) / big_r
    p = np.maximum(ndtr(t_up) - ndtr(t_low), _EPS)
    return big_r, t_up, t_low, p


def rho_gradient(z, upper, lower, rho):
    """Casewise d log lik / d rho (n, pairs) at rho (lavaan's dx.rho), NaN where a value is missing."""
    big_r, t_up, t_low, p = _conditional(z, upper, lower, rho)
    return (_dnorm(t_up) * (upper * rho - z) - _dnorm(t_low) * (lower * rho - z)) / (p * big_r ** 3)


def _included(z, sd, upper, lower, rho):
    """Rows in lavaan's polyserial likelihood: both present and lik >= sqrt(eps)."""
    p = _conditional(z, upper, lower, rho)[3]
    lik = _dnorm(z) / sd * p
    return np.isfinite(lik) & (lik >= _SQRT_EPS)


def fit_polyserial(z, sd, upper, lower, start, tol=1e-10, max_iter=100):
    """ML rho of every pair (columns): Newton on the analytic gradient (its derivative by central
    differences), BHHH where that is not negative. Returns (rho, converged)."""
    rho = np.clip(start, -RHO_BOUND, RHO_BOUND).astype(float)
    active = np.ones(rho.size, bool)
    h = 1e-6
    for _ in range(max_iter):
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        zz, uu, ll, r = z[:, idx], upper[:, idx], lower[:, idx], rho[idx]
        use = _included(zz, sd[idx], uu, ll, r)
        g_rows = np.where(use, rho_gradient(zz, uu, ll, r), 0.0)
        grad = g_rows.sum(axis=0)
        d2 = (np.where(use, rho_gradient(zz, uu, ll, r + h), 0.0).sum(axis=0)
              - np.where(use, rho_gradient(zz, uu, ll, r - h), 0.0).sum(axis=0)) / (2 * h)
        curv = np.where(d2 < 0, -d2, np.maximum((g_rows * g_rows).sum(axis=0), 1e-12))
        new = np.clip(r + np.clip(grad / curv, -0.5, 0.5), -RHO_BOUND, RHO_BOUND)
        done = np.abs(new - r) < tol
        rho[idx] = new
        active[idx[done]] = False
    return rho, ~active


def start_values(y, codes, th: list[np.ndarray]) -> np.ndarray:
    """lavaan's start: cor(y1, codes) * sd(codes) / sum(dnorm(thresholds)), halved above 0.9."""
    out = np.zeros(y.shape[1])
    n = y.shape[0]
    for p in range(y.shape[1]):
        c = np.where(codes[:, p] > 0, codes[:, p], np.nan)
        both = np.isfinite(y[:, p]) & np.isfinite(c)
        if both.sum() < 3:
            continue
        r = np.corrcoef(y[both, p], c[both])[0, 1]
        cc = c[np.isfinite(c)]
        sd = np.std(cc, ddof=1) * np.sqrt((n - 1) / n)
        s = r * sd / _dnorm(th[p]).sum()
        out[p] = 0.0 if not np.isfinite(s) else (s / 2 if abs(s) > 0.9 else s)
    return out


def polyserial_scores(z, sd, upper, lower, rho):
    """Casewise scores (lavaan's lav_bvmix_cor_scores_cache), 0 where a value is missing:
    (d mu, d var of y1, d upper-threshold term, d lower-threshold term, d rho), each (n, pairs).

    The score of y2's threshold t_k is ``d_up`` in rows of category k and ``-d_low`` in rows of
    category k + 1.
    """
    big_r, t_up, t_low, p = _conditional(z, upper, lower, rho)
    inv = 1.0 / p
    diff = _dnorm(t_up) - _dnorm(t_low)
    d_mu = (z + inv * (rho / big_r) * diff) / sd
    d_var = ((z * z - 1) + inv * rho * z / big_r * diff) / (2 * sd * sd)
    d_up = _dnorm(t_up) / big_r * inv
    d_low = _dnorm(t_low) / big_r * inv
    d_rho = rho_gradient(z, upper, lower, rho)
    return tuple(np.nan_to_num(a, nan=0.0) for a in (d_mu, d_var, d_up, d_low, d_rho))


def pearson_scores(c1, c2, var1, var2, rho):
    """Casewise scores of two complete continuous variables (lav_bvreg_cor_scores_cache):
    (d mu1, d var1, d mu2, d var2, d rho); c1, c2 centred at their means."""
    s1, s2 = np.sqrt(var1), np.sqrt(var2)
    one = 1 - rho * rho
    d_mu1 = (2 * c1 / var1 - 2 * rho * c2 / (s1 * s2)) / (2 * one)
    d_mu2 = -(2 * rho * c1 / (s1 * s2) - 2 * c2 / var2) / (2 * one)
    d_var1 = -(0.5 / var1 - (c1 * c1 / (var1 * var1) - rho * c1 * c2 / (var1 * s1 * s2)) / (2 * one))
    d_var2 = -(0.5 / var2 + (rho * c1 * c2 / (var2 * s1 * s2) - c2 * c2 / (var2 * var2)) / (2 * one))
    q = c1 * c1 / var1 - 2 * rho * c1 * c2 / (s1 * s2) + c2 * c2 / var2
    d_rho = rho / one + (c1 * c2 / (s1 * s2 * one) - q * rho / (one * one))
    return d_mu1, d_var1, d_mu2, d_var2, d_rho
