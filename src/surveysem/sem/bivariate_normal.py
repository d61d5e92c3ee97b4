"""The standard bivariate normal distribution over arrays of (h, k, rho), vectorised.

:func:`bvn_cdf` is Genz's (2004) method, the Drezner–Wesolowsky (1990) Gauss–Legendre
integration of Plackett's formula with Genz's expansion for |rho| >= 0.925 — the algorithm of
the Fortran routine behind R's ``pbivnorm`` that lavaan calls — written in numpy over arrays,
so that the cell probabilities of every pair of items are computed in one call. The 20-point
rule is used for every |rho| (Genz switches to 6 or 12 points below |rho| = 0.75 only to save
time); the absolute error is below 1e-14.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtr

_NODES, _WEIGHTS = np.polynomial.legendre.leggauss(20)
_X = 1.0 + _NODES          # Genz's x = [1 - x_i, 1 + x_i] on (0, 2), with the weights twice
_TWO_PI = 2.0 * np.pi
HIGH_RHO = 0.925


DENSITY_RHO_LIMIT = 0.9999


def bvn_density(h, k, rho):
    """phi_2(h, k; rho), the standard bivariate normal density; 0 where h or k is infinite.

    |rho| above 0.9999 is taken as 0.9999, as lavaan's ``dbinorm`` does (rho = +-1 is set by
    the zero-cell rule for 2 x 2 tables with two empty cells).
    """
    h, k, rho = np.broadcast_arrays(np.asarray(h, float), np.asarray(k, float), np.asarray(rho, float))
    rho = np.clip(rho, -DENSITY_RHO_LIMIT, DENSITY_RHO_LIMIT)
    one = 1.0 - rho * rho
    with np.errstate(invalid="ignore", over="ignore"):
        q = (h * h - 2.0 * rho * h * k + k * k) / one
        out = np.exp(-0.5 * q) / (_TWO_PI * np.sqrt(one))
    return np.where(np.isfinite(h) & np.isfinite(k), out, 0.0)


def _upper_low_rho(h, k, r):
    """P(X > h, Y > k) for |r| < 0.925: Gauss–Legendre over Plackett's integral in asin(r)."""
    hk, hs, asr = h * k, 0.5 * (h * h + k * k), 0.5 * np.arcsin(r)
    sn = np.sin(asr[:, None] * _X[None, :])
    terms = np.exp((sn * hk[:, None] - hs[:, None]) / (1.0 - sn * sn)) @ _WEIGHTS
    return terms * asr / _TWO_PI + ndtr(-h) * ndtr(-k)


def _upper_high_rho(h, k, r):
    """P(X > h, Y > k) for 0.925 <= |r| < 1: Genz's expansion around |r| = 1."""
    k = np.where(r < 0, -k, k)
    hk = h * k
    a_s = 1.0 - r * r
    a = np.sqrt(a_s)
    bs = (h - k) ** 2
    c, d = (4.0 - hk) / 8.0, (12.0 - hk) / 80.0
    asr = -0.5 * (bs / a_s + hk)
    bvn = np.where(asr > -100, a * np.exp(np.maximum(asr, -700))
                   * (1 - c * (bs - a_s) * (1 - d * bs / 5) / 3 + c * d * a_s * a_s / 5), 0.0)
    b = np.sqrt(bs)
    sp = np.sqrt(_TWO_PI) * ndtr(-b / a)
    bvn = np.where(hk > -100, bvn - np.exp(-0.5 * np.maximum(hk, -1400)) * sp * b
                   * (1 - c * bs * (1 - d * bs / 5) / 3), bvn)
    a_half = a / 2.0
    xs = (a_half[:, None] * _X[None, :]) ** 2
    asr2 = -0.5 * (bs[:, None] / xs + hk[:, None])
    rs = np.sqrt(1.0 - xs)
    sp2 = 1.0 + c[:, None] * xs * (1.0 + d[:, None] * xs)
    ep = np.exp(-hk[:, None] * (1.0 - rs) / (2.0 * (1.0 + rs))) / rs
    terms = np.where(asr2 > -100, np.exp(np.maximum(asr2, -700)) * (ep - sp2), 0.0)
    bvn = -(bvn + a_half * (terms @ _WEIGHTS)) / _TWO_PI
    pos = bvn + ndtr(-np.maximum(h, k))
    neg = np.maximum(0.0, ndtr(-h) - ndtr(-k)) - bvn
    return np.where(r > 0, pos, neg)


def bvn_cdf(h, k, rho):
    """Phi_2(h, k; rho) = P(X < h, Y < k) for finite h, k and |rho| < 1, elementwise over arrays.

    Infinite limits are the caller's business (the margins are used instead, see
    :func:`surveysem.sem.polychoric.cell_probabilities`).
    """
    h, k, rho = np.broadcast_arrays(np.asarray(h, float), np.asarray(k, float), np.asarray(rho, float))
    shape = h.shape
    h, k, rho = h.ravel(), k.ravel(), rho.ravel()
    out = np.empty(h.shape)
    low = np.abs(rho) < HIGH_RHO
    one = np.abs(rho) >= 1.0     # degenerate: Genz's limits, Phi(min) or (Phi(h) + Phi(k) - 1)+
    out[one] = np.where(rho[one] > 0, ndtr(np.minimum(h[one], k[one])),
                        np.maximum(0.0, ndtr(h[one]) + ndtr(k[one]) - 1.0))
    # P(X < h, Y < k) = P(-X > h, -Y > k): Genz's upper-orthant routine at (-h, -k)
    if low.any():
        out[low] = _upper_low_rho(-h[low], -k[low], rho[low])
    high = ~low & ~one
    if high.any():
        out[high] = _upper_high_rho(-h[high], -k[high], rho[high])
    return np.clip(out, 0.0, 1.0).reshape(shape)
