"""lavaan 0.6-14's robust CFI, TLI and RMSEA of a WLSMV fit (``cfi.robust``, ``tli.robust``,
``rmsea.robust`` with its interval; Savalei 2021, ``lav_fit_catml_dwls`` and ``lav_object_catml``):

- ``XX3``: the normal-theory ML discrepancy of the polychoric matrix ``R`` from the implied
  correlation matrix at the DWLS estimates (lavaan's "catML" fit, not re-estimated), ``sum_g n_g
  (log|Sigma| - log|R| + tr(R Sigma^-1) - p)``, on ``df3`` = correlations less structural
  parameters; its baseline ``XX3.null = -sum_g n_g log|R|`` on the number of correlations;
- ``c.hat3 = tr(WiU' V WiU Gamma) / df3`` with ``WiU = I - D E^-1 D' W`` over the correlations (D,
  W, Gamma of the DWLS fit, ``E^-1`` its inverted information) and V the ML weight of correlations
  at the implied matrix, ``V_(ab),(cd) = S_ac S_bd + S_ad S_bc`` (``S = Sigma^-1``;
  ``0.5 D_cor' (S x S) D_cor``); ``c.hat3.null = tr(Gamma) / df3.null``;
- the indices of ``lav_fit_cfi`` / ``lav_fit_tli`` / ``lav_fit_rmsea`` with these ``c.hat``
  (N = ntotal - ngroups, as for DWLS).

Computed for WLSMV (scaled-shifted; lavaan reports none for WLSMVS) when every polychoric matrix
is positive definite and the model has no free scaling factors (lavaan's check.pd; otherwise NaN,
as lavaan's NA). CFI and TLI use the DWLS model's df, the RMSEA ``df3`` (they differ when
thresholds are fixed).
"""

from __future__ import annotations

import math

import numpy as np

from surveysem.sem.fit_indices import rmsea_ci

KEYS = ("cfi_robust", "tli_robust", "rmsea_robust", "rmsea_ci_lower_robust", "rmsea_ci_upper_robust")


def _ml_weight(S, rows, cols):
    """``0.5 D_cor' (S kron S) D_cor`` for the correlations (rows[k], cols[k])."""
    return S[np.ix_(rows, rows)] * S[np.ix_(cols, cols)] + S[np.ix_(rows, cols)] * S[np.ix_(cols, rows)]


def _catml_group(model, m, theta, g):
    """(n_g * ML discrepancy, n_g * baseline discrepancy, V, implied correlation matrix) of group g."""
    lay = model.layouts[g]
    sigma = model.implied(theta, g)[0][m.n_thresholds:]
    p = len(model.spec.ov_names)
    Sig = np.eye(p)
    Sig[lay.rows, lay.cols] = Sig[lay.cols, lay.rows] = sigma
    R = np.eye(p)
    R[lay.rows, lay.cols] = R[lay.cols, lay.rows] = m.wls_obs[m.n_thresholds:]
    ldR, ldS = np.linalg.slogdet(R), np.linalg.slogdet(Sig)
    S = np.linalg.inv(Sig)
    x3 = m.nobs * (ldS[1] - ldR[1] + float(np.sum(R * S)) - p)
    return x3, -m.nobs * ldR[1], _ml_weight(S, lay.rows, lay.cols)


def robust_indices(model, moments, theta, E_inv, D, df, bdf):
    """The robust CFI / TLI / RMSEA (+ interval) of a WLSMV fit (module docstring); ``df``,
    ``bdf``: the DWLS model's and baseline's df (CFI, TLI), the RMSEA is on ``df3``."""
    nan = {k: float("nan") for k in KEYS}
    df3 = sum(len(m.wls_v) - m.n_thresholds for m in moments) - model.spec.npar
    if any(np.any(lay.scale_par >= 0) for lay in model.layouts) or not np.all(np.isfinite(E_inv)) or df3 <= 0:
        return nan
    for m in moments:
        if np.linalg.eigvalsh(m.correlation_matrix()).min() < np.sqrt(np.finfo(float).eps):
            return nan
    N, G = sum(m.nobs for m in moments), len(moments)
    x3 = xb = tvg = kbs = 0.0
    # only the parameters the correlations depend on (not the thresholds) enter the traces
    cols = np.flatnonzero(np.any(np.vstack([Dg[m.n_thresholds:] for m, Dg in zip(moments, D)]) != 0, axis=0))
    DVD = np.zeros((len(cols), len(cols)))
    KGK = np.zeros_like(DVD)
    cross = 0.0
    for g, (m, Dg) in enumerate(zip(moments, D)):
        f = m.nobs / N
        nt = m.n_thresholds
        x3g, xbg, V = _catml_group(model, m, theta, g)
        x3, xb = x3 + x3g, xb + xbg
        Dc = Dg[nt:]
        Gam = m.gamma[nt:, nt:]
        K = (f * m.wls_v[nt:])[:, None] * Dc @ E_inv[:, cols]  # W D E^-1, W = f_g W_g
        Dc = Dc[:, cols]
        VD = f * V @ Dc
        GK = Gam @ K / f
        tvg += float(np.sum(V * Gam))  # tr(V Gamma), f_g cancels
        cross += float(np.sum(GK * VD))
        DVD += Dc.T @ VD
        KGK += K.T @ GK
        kbs += float(np.trace(Gam)) / f
    ks = tvg - 2.0 * cross + float(np.sum(DVD * KGK.T))
    c3, cb = ks / df3, kbs / bdf
    n = N - G
    num, den = max(x3 - c3 * df, 0.0), max(x3 - c3 * df, xb - cb * bdf, 0.0)
    t2 = (xb - cb * bdf) * df
    lo, hi = rmsea_ci(x3 / c3, df3, n, G, scale=c3)
    return dict(zip(KEYS, (
        1.0 - num / den if den > 0 else 1.0,
        1.0 - (x3 - c3 * df) * bdf / t2 if t2 != 0 else float("nan"),
        math.sqrt(max(x3 / n / df3 - c3 / n, 0.0)) * math.sqrt(G),
        lo,
        hi,
    )))
