"""Residuals of a fitted model, as lavaan's ``resid(fit, type = ...)`` / ``lavResiduals``
(ML, complete data; ``lav_residuals.R``). Per group, sample moments (N divisor) minus
model-implied moments:

* ``"raw"``: ``S - Sigma`` (and ``m - mu`` with a mean structure);
* ``"cor.bentler"``: both matrices rescaled by the *sample* standard deviations (the residuals
  of ``lavResiduals()`` and of the SRMR);
* ``"cor.bollen"`` (= ``"cor"``, lavaan's default for ``resid(type = "cor")`` without
  ``mimic = "EQS"``): each matrix rescaled to a correlation matrix by its own variances; means by
  the sample standard deviations;
* ``"standardized"``: raw residuals over their standard errors. With the h1 information ``A1``
  at the model moments (structured), ``Gamma = A1u^-1 / n_g`` the covariance of the sample
  moments (``A1u``: the h1 information at the sample moments), ``Delta`` the moment derivatives
  and ``A0`` the model's expected information per observation,
  ``ACOV = Q Gamma Q'`` with ``Q = I - (n_g/N) Delta A0^-1 Delta' A1`` (``lav_residuals_acov``,
  ``z.type = "standardized"``). Residuals below ``1e-5`` in absolute value are divided by 1,
  as lavaan; a negative variance gives NaN.

As lavaan (``lav_residuals_rescale``), entries below ``1e-5`` in absolute value are not
rescaled. Fixed-x covariates are not treated specially here (lavaan zeroes their h1 information).
"""

from __future__ import annotations

import numpy as np

from surveysem.sem.objective import Engine

TYPES = ("raw", "cor", "cor.bentler", "cor.bollen", "standardized")
NEAR_ZERO = 1e-5


def _vech_index(p):
    """Lower-triangle positions, column by column (lavaan's ``lav_matrix_vech``)."""
    return [(i, j) for j in range(p) for i in range(j, p)]


def _rescale(cov, mean, var_cov, var_mean):
    """``lav_residuals_rescale``: cov / (sd sd'), mean / sd; entries below 1e-5 left as they are."""
    s = 1.0 / np.sqrt(var_cov)
    scale = np.where(np.abs(cov) < NEAR_ZERO, 1.0, np.outer(s, s))
    out_mean = None
    if mean is not None:
        sm = 1.0 / np.sqrt(var_mean)
        out_mean = mean * np.where(np.abs(mean) < NEAR_ZERO, 1.0, sm)
    return cov * scale, out_mean


def _moments(eng: Engine, theta):
    """Per group: (sample cov, sample mean or None, implied cov, implied mean or None)."""
    out = []
    for gs, gd in zip(eng.groups, eng.data):
        Sigma, mu = gs.observed_moments(theta)[:2]
        ms = eng.meanstructure
        out.append((gd.cov, gd.mean if ms else None, Sigma, mu if ms else None))
    return out


def _h1_information(Sigma, meanstructure):
    """Normal-theory h1 expected information per observation in lavaan's order ([mean], vech)."""
    P = np.linalg.inv(Sigma)
    idx = np.array(_vech_index(len(Sigma)))
    i, j = idx[:, 0][:, None], idx[:, 1][:, None]
    k, l = idx[:, 0][None, :], idx[:, 1][None, :]
    # 0.5 D' (P x P) D: an off-diagonal element stands for two entries of vec(Sigma)
    off = (idx[:, 0] != idx[:, 1]).astype(float)
    weight = 2.0 ** (off[:, None] + off[None, :] - 1.0)
    I22 = 0.5 * weight * (P[i, k] * P[j, l] + P[i, l] * P[j, k])
    if not meanstructure:
        return I22
    p = len(Sigma)
    out = np.zeros((p + len(idx), p + len(idx)))
    out[:p, :p] = P
    out[p:, p:] = I22
    return out


def _delta(gs, theta, meanstructure):
    """d[mean, vech Sigma] / d theta of one group (reduced parameters)."""
    *_, B, C, nu = gs.implied(theta)
    Am, Bm, Mm = gs.derivs(B, C, nu)
    rows = [(Am[i] * Bm[j] + Bm[i] * Am[j]) for i, j in _vech_index(gs.p)]
    D = np.array(rows)
    if meanstructure:
        D = np.vstack([Mm, D])
    return D @ gs.L


def _standardized_se(eng: Engine, theta):
    """Per group: standard errors of the raw residuals as (cov matrix, mean vector or None)."""
    info = eng.evaluate(theta, level=2)[2]
    A0inv = np.linalg.pinv(info)
    out = []
    ms = eng.meanstructure
    for gs, gd in zip(eng.groups, eng.data):
        Sigma = gs.observed_moments(theta)[0]
        A1 = _h1_information(Sigma, ms)
        gamma = np.linalg.inv(_h1_information(gd.cov, ms)) / gd.n
        Dg = _delta(gs, theta, ms)
        Q = np.eye(len(A1)) - (gd.n / eng.ntotal) * Dg @ A0inv @ Dg.T @ A1
        with np.errstate(invalid="ignore"):
            se = np.sqrt(np.diag(Q @ gamma @ Q.T))
        p = gs.p
        se_mean, se_cov = (se[:p], se[p:]) if ms else (None, se)
        M = np.empty((p, p))
        for v, (i, j) in zip(se_cov, _vech_index(p)):
            M[i, j] = M[j, i] = v
        out.append((M, se_mean))
    return out


def residuals(spec, gdata, theta, type="raw"):
    """lavaan's ``resid(fit, type)`` of a model ``spec`` fitted to ``gdata`` at ``theta``: per
    group a dict ``{"cov": p x p array, "mean": p-vector (mean structure only)}`` over
    ``spec.ov_names``.

    Example (``res = fit_model(model, hs)``)::

        res.residuals("raw")[0]["cov"]            # R: resid(fit, type = "raw")$cov
        res.residuals("cor.bentler")[0]["cov"]    # R: resid(fit, type = "cor.bentler")$cov
        res.residuals("standardized")[0]["cov"]   # R: resid(fit, type = "standardized")$cov
    """
    if type not in TYPES:
        raise ValueError(f"unknown residual type {type!r}; use one of {', '.join(TYPES)}")
    if type == "cor":
        type = "cor.bollen"
    eng = Engine(spec)
    eng.set_data(gdata)
    out = []
    for S, m, Sigma, mu in _moments(eng, theta):
        if type in ("cor.bentler", "cor.bollen"):
            v_obs = np.diag(S)
            v_est = v_obs if type == "cor.bentler" else np.diag(Sigma)
            S, m = _rescale(S, m, v_obs, v_obs)
            Sigma, mu = _rescale(Sigma, mu, v_est, v_obs)
        res = {"cov": S - Sigma}
        if m is not None:
            res["mean"] = m - mu
        out.append(res)
    if type == "standardized":
        for res, (se_cov, se_mean) in zip(out, _standardized_se(eng, theta)):
            res["cov"] = res["cov"] / np.where(np.abs(res["cov"]) < NEAR_ZERO, 1.0, se_cov)
            if se_mean is not None:
                res["mean"] = res["mean"] / np.where(np.abs(res["mean"]) < NEAR_ZERO, 1.0, se_mean)
    return out
