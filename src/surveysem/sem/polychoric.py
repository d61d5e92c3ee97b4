"""Polychoric correlations of all pairs of ordered items at once, by two-step ML.

As lavaan 0.6-14's ``lav_bvord_cor_twostep_fit`` (thresholds fixed at their univariate
estimates, rho the maximiser of ``sum(freq * log(PI))`` within [-0.999, 0.999]) and its zero-cell
rules (``zero.add = c(0.5, 0)``, ``zero.keep.margins = TRUE``): a 2 x 2 table with one empty cell
gets 0.5 added to the empty diagonal and taken from the other (margins kept); with two empty
cells rho is +-1; larger tables are left as they are (``zero.add[2] = 0``), only reported.

Every pair is one row of a (pairs x K x K) array: items with fewer categories than the largest
are padded with empty categories (threshold +inf, frequency 0), and Newton's method runs on all
unconverged pairs at once — no per-pair optimiser.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr

from surveysem.sem.bivariate_normal import bvn_cdf, bvn_density
from surveysem.sem.ordinal_thresholds import OPEN_BOUND

RHO_BOUND = 0.999
SMALL_P = np.sqrt(np.finfo(float).eps)    # lavaan's floor of a cell probability


@dataclass
class PairTables:
    """The pairs (first, second) in lavaan's order and their padded frequency tables."""

    first: np.ndarray        # item index of y1 (the column of the lower triangle)
    second: np.ndarray       # item index of y2 (the row)
    freq: np.ndarray         # (pairs, K, K) counts of pairwise-present rows
    th1: np.ndarray          # (pairs, K-1) thresholds of y1, +inf beyond its own
    th2: np.ndarray


def lower_triangle_pairs(p: int) -> tuple[np.ndarray, np.ndarray]:
    """(column j, row i) of lavaan's ``vech(., diagonal = FALSE)``: (2,1), (3,1), .., (p,1), (3,2), .."""
    cols, rows = np.triu_indices(p, 1)          # column-major lower triangle = row-major upper
    return cols, rows


def padded_thresholds(ths: list[np.ndarray], n_max: int) -> np.ndarray:
    """(items, n_max - 1) thresholds, +inf for the categories an item does not have."""
    out = np.full((len(ths), n_max - 1), np.inf)
    for i, t in enumerate(ths):
        out[i, :t.size] = t
    return out


def pair_tables(codes: np.ndarray, ths: list[np.ndarray]) -> PairTables:
    """Frequency tables of every pair from the (n x items) codes (1..K, 0 missing)."""
    n_cat = max(t.size for t in ths) + 1
    first, second = lower_triangle_pairs(codes.shape[1])
    side = n_cat + 1                            # code 0 (missing) gets its own row / column
    cells = codes[:, first] * side + codes[:, second] + (np.arange(first.size) * side * side)[None, :]
    counts = np.bincount(cells.ravel(), minlength=first.size * side * side)
    freq = counts.reshape(first.size, side, side)[:, 1:, 1:].astype(float)
    th = padded_thresholds(ths, n_cat)
    return PairTables(first, second, freq, th[first], th[second])


def _bounds(th: np.ndarray) -> np.ndarray:
    """(pairs, K+1) category bounds [-inf, t1, .., +inf]."""
    ninf = np.full((th.shape[0], 1), -np.inf)
    return np.concatenate([ninf, th, -ninf], axis=1)


def cell_probabilities(th1, th2, rho) -> np.ndarray:
    """(pairs, K, K) probabilities of the cells under rho; the margins give the infinite bounds."""
    b1, b2 = _bounds(th1), _bounds(th2)
    m1, m2 = np.broadcast_arrays(b1[:, :, None], b2[:, None, :])
    r = np.broadcast_to(rho[:, None, None], m1.shape)
    grid = np.zeros(m1.shape)
    fin = np.isfinite(m1) & np.isfinite(m2)
    grid[fin] = bvn_cdf(m1[fin], m2[fin], r[fin])
    top1 = np.isposinf(m1) & ~np.isneginf(m2)
    top2 = np.isposinf(m2) & ~np.isneginf(m1)
    grid[top1] = ndtr(m2[top1])
    grid[top2] = ndtr(m1[top2])
    return grid[:, 1:, 1:] - grid[:, :-1, 1:] - grid[:, 1:, :-1] + grid[:, :-1, :-1]


def _cell_differences(dens: np.ndarray) -> np.ndarray:
    """(pairs, K, K) from values at the (K-1) x (K-1) interior threshold points (lavaan's phi)."""
    d = np.pad(dens, ((0, 0), (0, 1), (0, 1)))
    out = d.copy()
    out[:, 1:, :] -= d[:, :-1, :]
    out[:, :, 1:] -= d[:, :, :-1]
    out[:, 1:, 1:] += d[:, :-1, :-1]
    return out


def cell_derivatives(th1, th2, rho) -> tuple[np.ndarray, np.ndarray]:
    """d PI / d rho and d^2 PI / d rho^2 of every cell."""
    h, k = th1[:, :, None], th2[:, None, :]
    r = rho[:, None, None]
    dens = bvn_density(h, k, r)
    one = 1.0 - r * r
    with np.errstate(invalid="ignore", divide="ignore"):   # rho = +-1 (zero-cell rule) in the scores
        slope = r / one + (h * k * (1 + r * r) - r * (h * h + k * k)) / (one * one)
        ddens = np.where(dens > 0, dens * slope, 0.0)
    return _cell_differences(dens), _cell_differences(ddens)


def _loglik_derivatives(freq, th1, th2, rho):
    pi = np.maximum(cell_probabilities(th1, th2, rho), SMALL_P)
    dpi, d2pi = cell_derivatives(th1, th2, rho)
    use = pi > SMALL_P
    grad = np.where(use, freq * dpi / pi, 0.0).sum(axis=(1, 2))
    hess = np.where(use, freq * (d2pi / pi - (dpi / pi) ** 2), 0.0).sum(axis=(1, 2))
    info = np.where(use, dpi * dpi / pi, 0.0).sum(axis=(1, 2)) * freq.sum(axis=(1, 2))
    return grad, hess, info


def fit_rho(freq, th1, th2, start, tol=1e-10, max_iter=100) -> tuple[np.ndarray, np.ndarray]:
    """ML rho of every pair: Newton (Fisher scoring where the Hessian is not negative), bounded.

    Returns (rho, converged).
    """
    rho = np.clip(start, -RHO_BOUND, RHO_BOUND).astype(float)
    active = np.ones(rho.size, bool)
    for _ in range(max_iter):
        idx = np.flatnonzero(active)
        if idx.size == 0:
            break
        grad, hess, info = _loglik_derivatives(freq[idx], th1[idx], th2[idx], rho[idx])
        curv = np.where(hess < 0, -hess, np.maximum(info, 1e-12))
        step = np.clip(grad / curv, -0.5, 0.5)
        new = np.clip(rho[idx] + step, -RHO_BOUND, RHO_BOUND)
        done = np.abs(new - rho[idx]) < tol
        rho[idx] = new
        active[idx[done]] = False
    return rho, ~active


def adjust_zero_cells(freq: np.ndarray, n_cat1: np.ndarray, n_cat2: np.ndarray):
    """lavaan's zero-cell rules; returns (tables for estimation, rho fixed or NaN, empty-cell flag)."""
    real = (np.arange(freq.shape[1])[None, :, None] < n_cat1[:, None, None]) & \
           (np.arange(freq.shape[2])[None, None, :] < n_cat2[:, None, None])
    empty = ((freq == 0) & real).sum(axis=(1, 2))
    fixed = np.full(freq.shape[0], np.nan)
    adj = freq.copy()
    two = (n_cat1 == 2) & (n_cat2 == 2)
    for p in np.flatnonzero(two & (empty > 0)):
        t = adj[p, :2, :2]
        if empty[p] == 2:
            fixed[p] = 1.0 if t[0, 0] > 0 else -1.0
        elif empty[p] == 1:
            sign = 1.0 if (t[0, 0] == 0 or t[1, 1] == 0) else -1.0
            t += sign * 0.5 * np.array([[1.0, -1.0], [-1.0, 1.0]])
    for p in np.flatnonzero(two & np.isnan(fixed)):
        t = adj[p, :2, :2]
        if t[0, 0] * t[1, 1] == t[0, 1] * t[1, 0]:
            fixed[p] = 0.0
    return adj, fixed, empty > 0


def pairwise_pearson(codes: np.ndarray) -> np.ndarray:
    """Pearson correlation of the codes of each pair over its pairwise-present rows (the start)."""
    m = (codes > 0).astype(float)
    x = codes * m
    n = m.T @ m
    with np.errstate(invalid="ignore", divide="ignore"):
        sx = x.T @ m
        sxx = (x * x).T @ m
        sxy = x.T @ x
        cov = sxy - sx * sx.T / n
        var_i = sxx - sx * sx / n
        r = cov / np.sqrt(var_i * var_i.T)
    return np.where(np.isfinite(r) & (np.abs(r) < 1), r, 0.0)


def rho_scores(tables: PairTables, rho: np.ndarray):
    """Cell-level scores at rho: d log PI / d rho and the threshold terms of lavaan's casewise scores.

    Returns (s_rho, z1_up, z1_low, z2_up, z2_low), each (pairs, K, K), 0 where PI <= sqrt(eps):
    the score of a case in cell (a, b) for y1's upper threshold of a is z1_up / PI, for its lower
    threshold -z1_low / PI (lav_bvord_cor_scores_cache), likewise for y2.
    """
    th1, th2 = tables.th1, tables.th2
    pi = np.maximum(cell_probabilities(th1, th2, rho), SMALL_P)
    dpi, _ = cell_derivatives(th1, th2, rho)
    ok = pi > SMALL_P
    inv = np.where(ok, 1.0 / pi, 0.0)
    b1, b2 = _open_bounds(th1), _open_bounds(th2)
    r = rho[:, None, None]
    big_r = np.sqrt(1 - r * r)
    u1, l1 = b1[:, 1:, None], b1[:, :-1, None]
    u2, l2 = b2[:, None, 1:], b2[:, None, :-1]

    degenerate = big_r == 0                    # rho = +-1: lavaan takes half the density
    safe_r = np.where(degenerate, 1.0, big_r)

    def z(at, hi, lo):
        dens = np.exp(-0.5 * at * at) / np.sqrt(2 * np.pi)
        return np.where(degenerate, 0.5 * dens,
                        dens * (ndtr((hi - r * at) / safe_r) - ndtr((lo - r * at) / safe_r)))
    return (dpi * inv, z(u1, u2, l2) * inv, z(l1, u2, l2) * inv,
            z(u2, u1, l1) * inv, z(l2, u1, l1) * inv)


def _open_bounds(th: np.ndarray) -> np.ndarray:
    """Category bounds with lavaan's +-100 for the open ends (and for padded categories)."""
    t = np.where(np.isfinite(th), th, OPEN_BOUND)
    lo = np.full((th.shape[0], 1), -OPEN_BOUND)
    return np.concatenate([lo, t, -lo], axis=1)
