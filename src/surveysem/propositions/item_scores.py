"""Linearised category scores: ordinal answers rescored so that their expected value is linear
in the latent capability.

Why: the latent estimators of P1-P3 (``latent_sam``, ``latent_sem``) use a linear factor model
of the items. With coarse, skewed ordinal answers (1-7 agreement scales with a ceiling), the
expected integer answer is a concave function of the latent capability, and a latent
interaction (ECP x SOE, P1e) estimated from such scores is attenuated by about 30 % in the
study's own population (``bench/README.md``). Rescoring each item's categories by its
graded-response model removes that: the item's expected score becomes, in least squares over
the latent distribution, the latent value itself, and the linear factor model and the
corrected moments of SAM then hold to a close approximation.

Steps, per construct (block of items):

1. **Graded-response model** (normal ogive, Samejima 1969): ``P(x_j <= c | xi) =
   Phi(tau_jc - a_j xi)`` with ``xi ~ N(0, 1)``, fitted by marginal maximum likelihood over the
   items each firm answered (Gauss-Hermite quadrature, :func:`fit_graded_block`). Categories
   nobody chose carry no threshold.
2. **Linearised scores** (:func:`linearised_scores`): category scores ``u_j(c)``, a cubic
   polynomial of the item's normal scores ``h_jc = E[y*_j | c]`` (Snell 1964), whose
   coefficients minimise ``E_xi[(E[u_j(x_j) | xi] - xi)^2]`` over the fitted model. Normal
   scores alone remove only part of the bias (the tails stay compressed); unrestricted scores
   (one free value per category) make the least-squares problem ill-conditioned and the scores
   non-monotone.
3. The items are replaced by their scores (:func:`rescore_items`); everything downstream is
   unchanged, except the method factor's loadings (:func:`answer_slopes`).

The rescoring is an approximation, not an exact ordinal model: bounded scores cannot be exactly
linear in an unbounded latent variable, and its estimation error is not carried into the
standard errors. Its remaining bias is measured by ``bench/calibration.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd
from scipy import optimize, special

from surveysem.errors import SurveySemError
from surveysem.recent_results import RecentResults

QUADRATURE_NODES = 61
MAX_CATEGORIES = 20


@dataclass(frozen=True)
class GradedItem:
    """One item of a fitted graded-response block: the observed categories, the slope and the
    thresholds between consecutive observed categories."""

    item: str
    categories: np.ndarray
    slope: float
    thresholds: np.ndarray

    def category_probabilities(self, xi: np.ndarray) -> np.ndarray:
        """``P(x = c | xi)`` for every node of ``xi`` (rows) and observed category (columns)."""
        cum = special.ndtr(self.thresholds[None, :] - self.slope * xi[:, None])
        cum = np.column_stack([np.zeros(len(xi)), cum, np.ones(len(xi))])
        return np.diff(cum, axis=1)


# Gauss-Hermite nodes whose normalised weight is below this are left out: their share of any
# firm's likelihood is below double precision's resolution (the 61-point rule keeps 39 nodes;
# the log-likelihood moves by about 1e-13), and the n x nodes arrays are most of an evaluation.
MIN_NODE_WEIGHT = 1e-16


@cache
def _nodes(q: int = QUADRATURE_NODES) -> tuple[np.ndarray, np.ndarray]:
    x, w = np.polynomial.hermite_e.hermegauss(q)
    w = w / w.sum()
    keep = w >= MIN_NODE_WEIGHT
    x, w = x[keep], w[keep]
    x.flags.writeable = w.flags.writeable = False  # shared by every caller
    return x, w


def _codes(x: pd.Series, item: str) -> tuple[np.ndarray, np.ndarray]:
    """Observed categories of an item and each answer's position among them (-1 when missing)."""
    v = pd.to_numeric(x, errors="coerce").to_numpy(dtype=float)
    cats = np.unique(v[~np.isnan(v)])
    if len(cats) < 2:
        raise SurveySemError(f"item {item}: fewer than two answer categories observed; it cannot be scored",
                             column=item)
    if len(cats) > MAX_CATEGORIES:
        raise SurveySemError(f"item {item}: {len(cats)} distinct answers is not an ordinal rating scale", column=item)
    codes = np.full(len(v), -1)
    ok = ~np.isnan(v)
    codes[ok] = np.searchsorted(cats, v[ok])
    return cats, codes


def _unpack(theta: np.ndarray, ncat: list[int]) -> tuple[np.ndarray, list[np.ndarray]]:
    """Slopes, and thresholds from (first threshold, log gaps) so that they stay ordered."""
    k = len(ncat)
    slopes, taus, pos = theta[:k], [], k
    for m in ncat:
        t = theta[pos:pos + m - 1]
        taus.append(np.cumsum(np.r_[t[0], np.exp(t[1:])]))
        pos += m - 1
    return slopes, taus


@dataclass(frozen=True)
class _Layout:
    """A block's answers and parameters laid out once for the likelihood: every item's observed
    categories side by side (``C`` in all), so that one evaluation is a few array operations
    over all items instead of a loop over items and categories. Thresholds are numbered 0 ..
    T - 1 over all items; row T stands for "no threshold above" (Phi = 1), row T + 1 for "none
    below" (Phi = 0)."""

    onehot: np.ndarray  # n x C: the firm's answer (a missing answer: a zero row of that item)
    items: int  # number of items
    upper: np.ndarray  # C: the category's upper threshold (T: none)
    lower: np.ndarray  # C: its lower threshold (T + 1: none)
    item_of: np.ndarray  # thresholds: the item of each threshold
    first: np.ndarray  # thresholds: True for an item's first (a value, not a log gap)
    start: np.ndarray  # thresholds: index of the item's first threshold
    last: np.ndarray  # thresholds: index of the item's last threshold
    below: np.ndarray  # thresholds: the category below each threshold
    above: np.ndarray  # thresholds: the category above it


def _layout(codes: np.ndarray, ncat: list[int]) -> _Layout:
    """The :class:`_Layout` of ``codes`` (n x items, -1 missing) with ``ncat`` categories each.
    Why one matrix: sums over firms by category are matrix products (``np.add.at`` is slow)."""
    onehot = np.column_stack([(codes[:, j][:, None] == np.arange(m)[None, :]).astype(float)
                              for j, m in enumerate(ncat)])
    n_thr = sum(m - 1 for m in ncat)
    upper, lower, item_of, first, start, last, below, above = [], [], [], [], [], [], [], []
    cat0 = thr0 = 0
    for j, m in enumerate(ncat):
        upper += [thr0 + c if c < m - 1 else n_thr for c in range(m)]
        lower += [thr0 + c - 1 if c > 0 else n_thr + 1 for c in range(m)]
        item_of += [j] * (m - 1)
        first += [c == 0 for c in range(m - 1)]
        start += [thr0] * (m - 1)
        last += [thr0 + m - 2] * (m - 1)
        below += [cat0 + c for c in range(m - 1)]
        above += [cat0 + c + 1 for c in range(m - 1)]
        cat0 += m
        thr0 += m - 1
    arr = np.asarray
    return _Layout(onehot, len(ncat), arr(upper), arr(lower), arr(item_of, dtype=int), arr(first, dtype=bool),
                   arr(start, dtype=int), arr(last, dtype=int), arr(below, dtype=int), arr(above, dtype=int))


def _loglik_and_grad(theta, lay: _Layout, nodes, logw):
    """Minus the marginal log-likelihood of the block and its gradient in ``theta`` (slopes, then
    per item the first threshold and the log gaps).

    With ``Phi_t``, ``phi_t`` the normal cdf and density at threshold t minus the item's slope
    times the node, ``P_c = Phi_upper(c) - Phi_lower(c)`` and ``A_c`` the posterior mass of
    category c at a node divided by ``P_c``: d/d tau_t = sum over nodes of
    ``(A_below(t) - A_above(t)) phi_t``, and the slope's derivative is minus the same with each
    node's value as a weight."""
    k, n_thr = lay.items, len(lay.first)
    slopes, t = theta[:k], theta[k:]
    steps = np.where(lay.first, t, np.exp(t))
    csum = np.cumsum(steps)
    tau = csum - (csum[lay.start] - steps[lay.start])  # each item's thresholds: its steps summed
    z = tau[:, None] - slopes[lay.item_of][:, None] * nodes[None, :]  # T x q
    cdf = np.empty((n_thr + 2, len(nodes)))
    cdf[:n_thr], cdf[n_thr], cdf[n_thr + 1] = special.ndtr(z), 1.0, 0.0
    p = np.maximum(cdf[lay.upper] - cdf[lay.lower], 1e-300)  # C x q
    ll = lay.onehot @ np.log(p) + logw  # n x q
    a_max = ll.max(axis=1, keepdims=True)
    post = np.exp(ll - a_max)
    lik = post.sum(axis=1, keepdims=True)
    post /= lik
    total = float(np.sum(np.log(lik) + a_max))
    mass = (lay.onehot.T @ post) / p  # C x q
    m = (mass[lay.below] - mass[lay.above]) * (np.exp(-0.5 * z * z) / np.sqrt(2 * np.pi))  # T x q
    d_tau = m.sum(axis=1)
    g_slope = -np.bincount(lay.item_of, weights=m @ nodes, minlength=k)
    cs = np.cumsum(d_tau)
    tail = cs[lay.last] - cs + d_tau  # a log gap moves every threshold above it in its item
    g_thr = np.where(lay.first, tail, np.exp(t) * tail)
    return -total, -np.r_[g_slope, g_thr]


def block_likelihood(data: pd.DataFrame, items: list[str], nodes: int = QUADRATURE_NODES):
    """``(categories, codes, ncat, args)`` of a block: each item's observed categories, the answers
    as their positions (n x items, -1 missing), the category counts, and the extra arguments of
    :func:`_loglik_and_grad` with ``nodes`` Gauss-Hermite points."""
    cats, codes = zip(*(_codes(data[i], i) for i in items))
    codes = np.column_stack(codes)
    ncat = [len(c) for c in cats]
    x, w = _nodes(nodes)
    return cats, codes, ncat, (_layout(codes, ncat), x, np.log(w))


# The fits of the last few blocks, keyed by their answers: hypotheses that share a scale on the
# same firms (the marker scale of P1-P3's method factor) fit it once.
_BLOCK_CACHE = RecentResults(16)


def fit_graded_block(data: pd.DataFrame, items: list[str], max_iter: int = 500,
                     nodes: int = QUADRATURE_NODES) -> list[GradedItem]:
    """Graded-response (normal-ogive) one-factor model of ``items`` by marginal ML, ``nodes``
    Gauss-Hermite points (lavaan's ``estimator = "MML"`` uses 21)."""
    block = data[items].apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    return list(_BLOCK_CACHE.get(lambda: _fit_graded_block(data, items, max_iter, nodes), block, tuple(items),
                                 max_iter, nodes))


def _fit_graded_block(data: pd.DataFrame, items: list[str], max_iter: int, nodes: int) -> list[GradedItem]:
    cats, codes, ncat, args = block_likelihood(data, items, nodes)
    theta0 = [np.full(len(items), 1.2)]
    for j, m in enumerate(ncat):
        obs = codes[codes[:, j] >= 0, j]
        cum = np.cumsum(np.bincount(obs, minlength=m))[:-1] / len(obs)
        tau = np.sqrt(1 + 1.2 ** 2) * special.ndtri(np.clip(cum, 1e-4, 1 - 1e-4))
        tau = np.maximum.accumulate(tau + np.arange(m - 1) * 1e-3)
        theta0.append(np.r_[tau[0], np.log(np.maximum(np.diff(tau), 1e-3))])
    # ftol 1e-11 (scipy's default 2.2e-9 stops up to 3e-3 from the optimum on 300 firms: about 1e-4
    # now) and 40 stored corrections (10 by default) for the block's 20-40 parameters: 20 % fewer
    # likelihood evaluations for the tighter optimum (measured on the power study's blocks)
    res = optimize.minimize(_loglik_and_grad, np.concatenate(theta0), args=args, jac=True, method="L-BFGS-B",
                            options={"maxiter": max_iter, "gtol": 1e-6, "ftol": 1e-11, "maxcor": 40})
    if not np.all(np.isfinite(res.x)) or (not res.success and np.max(np.abs(res.jac)) > 1e-4 * len(codes)):
        raise SurveySemError(f"graded-response model of {', '.join(items)} did not converge: {res.message}")
    slopes, taus = _unpack(res.x, ncat)
    out = [GradedItem(i, c, float(a), t) for i, c, a, t in zip(items, cats, slopes, taus)]
    for gi in out:  # kept in the block cache: read-only
        gi.categories.flags.writeable = gi.thresholds.flags.writeable = False
    return out


def normal_scores(item: GradedItem) -> np.ndarray:
    """``E[y* | c]`` of each category for the item's latent response ``y* = a xi + e`` (Snell)."""
    sd = np.sqrt(1.0 + item.slope ** 2)
    z = np.r_[-np.inf, item.thresholds / sd, np.inf]
    p = np.diff(special.ndtr(z))
    dens = np.exp(-0.5 * np.where(np.isfinite(z), z, 0.0) ** 2) / np.sqrt(2 * np.pi)
    dens[[0, -1]] = 0.0
    return sd * (dens[:-1] - dens[1:]) / p


def linearised_scores(item: GradedItem, degree: int = 3) -> np.ndarray:
    """Category scores ``sum_k b_k h^k`` (``h`` the normal scores, powers 0 to ``degree``)
    whose expected value given ``xi`` is closest to ``xi`` (least squares over ``xi ~ N(0, 1)``)."""
    nodes, w = _nodes()
    p = item.category_probabilities(nodes)
    h = normal_scores(item)
    basis = np.column_stack([np.ones_like(h)] + [h ** k for k in range(1, degree + 1)])  # categories x terms
    design = p @ basis  # E[basis | xi] at the nodes
    coef = np.linalg.lstsq(design * np.sqrt(w)[:, None], nodes * np.sqrt(w), rcond=None)[0]
    return basis @ coef


def rescore_items(data: pd.DataFrame, constructs: dict[str, list[str]], fit_on: pd.DataFrame | None = None
                  ) -> pd.DataFrame:
    """``data`` with every item of ``constructs`` replaced by its linearised category score (the
    graded models fitted on ``fit_on``, by default ``data``). A category of ``data`` absent from
    ``fit_on`` becomes missing."""
    out = data.copy()
    for items in constructs.values():
        for gi in fit_graded_block(data if fit_on is None else fit_on, items):
            mapping = dict(zip(gi.categories.tolist(), linearised_scores(gi).tolist()))
            out[gi.item] = pd.to_numeric(data[gi.item], errors="coerce").map(mapping)
    return out


def answer_slopes(raw: pd.DataFrame, scored: pd.DataFrame, columns) -> dict[str, float]:
    """Least-squares slope of each column's linearised score on its raw answer, over the rows
    with both. Why: acquiescence adds to the raw answer, equally on every item (the method
    factor of :mod:`surveysem.propositions.latent_method`); rescoring stretches each item by its
    own amount (about ``1 / lambda_j`` in latent units), so on the scores the method factor loads
    ``slope_j`` times what it loads on the answers. Equal loadings on the scores put too much
    method variance on the items with high loadings and too little on the others."""
    out = {}
    for c in columns:
        x = pd.to_numeric(raw[c], errors="coerce").to_numpy(dtype=float)
        u = pd.to_numeric(scored[c], errors="coerce").to_numpy(dtype=float)
        ok = ~(np.isnan(x) | np.isnan(u))
        dx = x[ok] - x[ok].mean()
        if not ok.any() or not np.any(dx):
            raise SurveySemError(f"item {c}: its answers do not vary; the method factor cannot be scaled to it",
                                 column=c)
        out[c] = float(dx @ (u[ok] - u[ok].mean()) / (dx @ dx))
    return out
