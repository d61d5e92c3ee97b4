"""The FIML E-step at the model moments, for all rows of a group at once (the sums behind
:meth:`surveysem.sem.objective.Engine._group_eval_rows`).

For a row with missing block ``m`` and precision matrix ``P = Sigma^-1``:
``log|Sigma_oo| = log|Sigma| + log|P_mm|`` and ``d_o' Sigma_oo^-1 d_o = d~' P d~``, where ``d~`` is
``x - mu`` with its missing block filled by ``-P_mm^-1 P_mo d_o``. :func:`e_step_sums` returns the
sums over rows that the likelihood and its gradient need.

What makes it fast on survey data (most rows complete, the incomplete ones sharing a few dozen
patterns): the complete rows enter only through their pattern's mean and covariance; ``P_mm`` is
factorised once per *pattern* (not per row), in batches of patterns with the same number of
missing values (no padding); only the incomplete rows are completed one by one.
"""

from __future__ import annotations

import numpy as np


class _MissingCount:
    """The incomplete patterns that miss ``k`` values: their missing indices, their rows."""

    def __init__(self, patterns, p):
        self.miss = np.array([np.setdiff1d(np.arange(p), pt.obs) for pt in patterns], dtype=int)  # npat x k
        self.counts = np.array([pt.n for pt in patterns], float)
        X = np.zeros((int(self.counts.sum()), p))
        self.observed = np.zeros(X.shape, bool)
        at = 0
        for pt in patterns:
            X[at:at + pt.n, pt.obs] = pt.X
            self.observed[at:at + pt.n, pt.obs] = True
            at += pt.n
        self.X = X
        self.pattern_of_row = np.repeat(np.arange(len(patterns)), [pt.n for pt in patterns])
        self.fill_rows = np.arange(len(X))[:, None]
        self.fill_cols = self.miss[self.pattern_of_row]  # n_rows x k: where each row's fill goes
        # flat (a * p + b) positions of each pattern's P_mm^-1 entries in the p x p sum
        self.flat = (self.miss[:, :, None] * p + self.miss[:, None, :]).ravel()


class PatternRows:
    """One group's FIML patterns arranged for :func:`e_step_sums`."""

    def __init__(self, patterns, p):
        self.p = p
        self.n = sum(pt.n for pt in patterns)
        self.n_observed = int(sum(pt.n * len(pt.obs) for pt in patterns))  # observed cells
        self.complete = [pt for pt in patterns if len(pt.obs) == p]
        incomplete = [pt for pt in patterns if len(pt.obs) < p]
        ks = sorted({p - len(pt.obs) for pt in incomplete})
        self.by_count = [_MissingCount([pt for pt in incomplete if p - len(pt.obs) == k], p) for k in ks]


def e_step_sums(lay: PatternRows, P, mu, level):
    """Sums over the rows of the E-step at the model moments (precision ``P``, mean ``mu``).

    Returns ``(quad, logdet_mm, s, T)``: ``quad = sum d~' P d~``, ``logdet_mm = sum log|P_mm|``,
    ``s = sum d~`` and ``T = sum (d~ d~' + C)`` with ``C`` = ``P_mm^-1`` in the missing block
    (``s`` and ``T`` only for ``level >= 1``, else None); None when a ``P_mm`` is not positive
    definite."""
    p = lay.p
    quad = logdet_mm = 0.0
    s = np.zeros(p)
    T = np.zeros((p, p))
    for pt in lay.complete:
        d = pt.mean - mu
        M2 = pt.cov + np.outer(d, d)
        quad += pt.n * float(np.sum(P * M2))
        if level >= 1:
            s += pt.n * d
            T += pt.n * M2
    filled = []
    extra_pos, extra_w = [], []
    for mc in lay.by_count:
        miss = mc.miss
        Pmm = P[miss[:, :, None], miss[:, None, :]]
        try:
            Lc = np.linalg.cholesky(Pmm)
        except np.linalg.LinAlgError:
            return None
        logdet_mm += 2.0 * float(mc.counts @ np.log(np.diagonal(Lc, axis1=1, axis2=2)).sum(axis=1))
        Ainv = np.linalg.inv(Pmm)
        G = Ainv @ P[miss]  # npat x k x p: the fill of a row is -G d
        D = np.where(mc.observed, mc.X - mu, 0.0)
        D[mc.fill_rows, mc.fill_cols] = -np.einsum("rkp,rp->rk", G[mc.pattern_of_row], D)
        filled.append(D)
        if level >= 1:
            extra_pos.append(mc.flat)
            extra_w.append((Ainv * mc.counts[:, None, None]).ravel())
    if filled:
        D = np.concatenate(filled) if len(filled) > 1 else filled[0]
        quad += float(np.einsum("ij,ij->", D @ P, D))
        if level >= 1:
            s += D.sum(axis=0)
            T += D.T @ D
            T += np.bincount(np.concatenate(extra_pos), weights=np.concatenate(extra_w), minlength=p * p).reshape(p, p)
    if level == 0:
        return quad, logdet_mm, None, None
    return quad, logdet_mm, s, T
