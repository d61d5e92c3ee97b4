"""EM estimates of the saturated (unrestricted) mean and covariance of incomplete normal data.

Used for the FIML saturated (h1) model, for the common-latent-factor comparison and for the
first stage of two-stage ML (Savalei & Bentler 2009) in the P4 models and their bootstrap.

E-step, vectorised over rows: with ``P = Sigma^-1``, the conditional mean of row ``r``'s
missing block ``m`` is ``mu_m - P_mm^-1 P_m. (x~_r - mu)`` (``x~`` = the row with its missing
entries set to ``mu``) and its conditional covariance is ``P_mm^-1``. M-step:
``mu = mean(x^)``, ``Sigma = (sum x^ x^' + sum C_r) / n - mu mu'`` (N divisor).

EM converges linearly, at the rate of the largest fraction of missing information; with
many correlated items that rate is slow (30-40 iterations to 1e-5 on the bundled survey).
The iteration is therefore accelerated with Anderson acceleration (Walker & Ni 2011): the fixed
point, and so the estimate, is EM's; the number of E/M passes drops about threefold (10 instead of
30-40 for a bootstrap resample of the bundled survey at ``tol = 1e-4``; SQUAREM needed 13).
Convergence is EM's own criterion: the largest change of a mean or covariance element over one
EM pass is below ``tol``.

Example
-------
>>> import numpy as np
>>> X = np.array([[1.0, 2.0], [2.0, np.nan], [3.0, 5.0], [4.0, 7.0]])
>>> mu, sigma, iterations, converged = em_moments(X)
>>> bool(converged), round(float(mu[0]), 6)
(True, 2.5)
"""

from __future__ import annotations

import numpy as np

from surveysem.errors import SurveySemError
from surveysem.recent_results import RecentResults

ANDERSON_MEMORY = 5
# lavaan 0.6-14 h1 EM (lav_mvnorm_missing_h1_estimate_moments): em.h1.tol, em.h1.iter.max, evtol
LAVAAN_H1_TOL = 1e-5
LAVAAN_H1_ITER_MAX = 500
LAVAAN_EV_TOL = 1e-6
# em_h1_moments: the accelerated EM gives up when an EM pass's Sigma has an eigenvalue below this
# (a thousandth of lavaan's evtol, so a Sigma that ends well-conditioned is never given up on a dip),
# checked every SINGULAR_CHECK_EVERY passes
SINGULAR_ABORT = 1e-3 * LAVAAN_EV_TOL
SINGULAR_CHECK_EVERY = 10


class MissingLayout:
    """Where the holes are: the incomplete rows' missing-column indices, padded to the largest
    count ``K`` (one batch of K x K systems; padding slots get an identity block). Rows carry
    frequency weights (a bootstrap resample is its distinct rows with their counts)."""

    def __init__(self, X: np.ndarray, weights: np.ndarray):
        self.X = X
        self.w = weights
        self.n = float(weights.sum())
        self.p = X.shape[1]
        self.miss = np.isnan(X)
        self.n_observed = int((~self.miss).sum())  # observed cells
        counts = self.miss.sum(axis=1)
        self.rows = np.flatnonzero(counts > 0)
        K = int(counts.max()) if len(self.rows) else 0
        k = counts[self.rows]
        self.valid = np.arange(K)[None, :] < k[:, None]
        self.idx = np.zeros((len(self.rows), K), dtype=int)
        self.idx[self.valid] = np.nonzero(self.miss[self.rows])[1]  # row-major: each row's holes in order
        self.pair = self.valid[:, :, None] & self.valid[:, None, :]
        self.eye = np.broadcast_to(np.eye(K), (len(self.rows), K, K))
        # flat (a * p + b) positions of every valid (row, slot, slot) pair and the row weights, for one bincount
        self.flat_pairs = (self.idx[:, :, None] * self.p + self.idx[:, None, :])[self.pair]
        self.pair_w = np.broadcast_to(weights[self.rows][:, None, None], self.pair.shape)[self.pair]

    def step(self, mu: np.ndarray, sig: np.ndarray):
        """One EM pass: (mu, Sigma) -> (mu', Sigma')."""
        p = self.p
        Xf = np.where(self.miss, mu, self.X)
        extra = 0.0
        if len(self.rows):
            P = np.linalg.inv(sig)
            idx, valid = self.idx, self.valid
            Ainv = np.linalg.inv(np.where(self.pair, P[idx[:, :, None], idx[:, None, :]], self.eye))
            rhs = np.where(valid, np.einsum("rkp,rp->rk", P[idx], Xf[self.rows] - mu), 0.0)
            fill = mu[idx] - np.einsum("rkl,rl->rk", Ainv, rhs)
            Xf[np.broadcast_to(self.rows[:, None], idx.shape)[valid], idx[valid]] = fill[valid]
            extra = np.bincount(self.flat_pairs, weights=Ainv[self.pair] * self.pair_w, minlength=p * p).reshape(p, p)
        Xw = Xf * self.w[:, None]
        mu_new = Xw.sum(axis=0) / self.n
        sig_new = (Xw.T @ Xf + extra) / self.n - np.outer(mu_new, mu_new)
        return mu_new, 0.5 * (sig_new + sig_new.T)


def _is_pd(sig: np.ndarray) -> bool:
    try:
        np.linalg.cholesky(sig)
    except np.linalg.LinAlgError:
        return False
    return bool(np.all(np.isfinite(sig)))


def _available_case_start(X, miss, w):
    """Available-case means and a diagonal of available-case variances (weighted)."""
    obs_w = np.where(miss, 0.0, w[:, None])
    Xz = np.where(miss, 0.0, X)
    mu = (obs_w * Xz).sum(axis=0) / obs_w.sum(axis=0)
    sig = np.diag((obs_w * np.where(miss, 0.0, X - mu) ** 2).sum(axis=0) / obs_w.sum(axis=0))
    return mu, sig


def _pack(m, s):
    return np.concatenate([m, s.ravel()])


def _unpack(t, p):
    return t[:p], t[p:].reshape(p, p)


class _AndersonMemory:
    """Anderson acceleration (type II, memory ``ANDERSON_MEMORY``): differences of recent EM
    residuals ``f = EM(x) - x`` and outputs ``g = EM(x)``; the next iterate is ``g`` corrected by
    the least-squares combination of output differences that best cancels ``f``."""

    def __init__(self):
        self.dF, self.dG = [], []
        self.f_prev = self.g_prev = None

    def clear(self):
        self.dF.clear(), self.dG.clear()
        self.f_prev = None

    def add(self, f, g):
        if self.f_prev is not None:
            self.dF.append(f - self.f_prev)
            self.dG.append(g - self.g_prev)
            if len(self.dF) > ANDERSON_MEMORY:
                self.dF.pop(0), self.dG.pop(0)
        self.f_prev, self.g_prev = f, g

    def extrapolate(self, f, g):
        # least squares through the k x k normal equations (k <= memory; lstsq on the
        # 3000-long columns costs more than an EM pass), slightly regularised
        DF = np.array(self.dF)
        gram = DF @ DF.T
        gram[np.diag_indices_from(gram)] += 1e-12 * np.trace(gram) + 1e-300
        gamma = np.linalg.solve(gram, DF @ f)
        return g - np.array(self.dG).T @ gamma


def _accelerated_em(lay: MissingLayout, mu, sig, tol, max_iter, accelerate, singular_below=None):
    """EM passes from (mu, sig) until the largest change is below ``tol``. Safeguards of the
    acceleration: an extrapolated Sigma that is not positive definite, or a residual ten times
    the best so far, falls back to the plain EM pass and clears the memory. ``singular_below``:
    give up (not converged) as soon as an EM pass's Sigma, checked every ``SINGULAR_CHECK_EVERY``
    passes, has an eigenvalue below it: the saturated likelihood has no interior maximum there."""
    p = lay.p
    x = _pack(mu, sig)
    memory = _AndersonMemory()
    best = np.inf
    for passes in range(1, max_iter + 1):
        g = _pack(*lay.step(*_unpack(x, p)))
        f = g - x
        size = float(np.max(np.abs(f)))
        if size < tol:
            m, s_ = _unpack(g, p)
            return m, s_, passes, True
        if singular_below is not None and passes % SINGULAR_CHECK_EVERY == 0:
            m, s_ = _unpack(g, p)
            if not (np.all(np.isfinite(s_)) and np.linalg.eigvalsh(s_).min() >= singular_below):
                return m, s_, passes, False
        if not accelerate:
            x = g
            continue
        if size > 10 * best:
            memory.clear()
        best = min(best, size)
        memory.add(f, g)
        x = g
        if memory.dF:
            m, s_ = _unpack(memory.extrapolate(f, g), p)
            s_ = 0.5 * (s_ + s_.T)
            if _is_pd(s_):
                x = _pack(m, s_)
            else:
                memory.clear()
    m, s_ = _unpack(x, p)
    return m, s_, max_iter, False


def em_moments(X, start=None, tol: float = 1e-7, max_iter: int = 1000, accelerate: bool = True, weights=None,
               singular_below=None):
    """EM estimates of the saturated mean and covariance (N divisor) of data with missing values.

    ``X``: n x p array with NaN for missing values; ``weights``: optional frequency weight of
    each row (a row with weight 2 counts as two identical rows). ``start`` = (mu, Sigma) warm start (the
    bootstrap starts every resample from the full-sample moments); default: available-case
    means and a diagonal of available-case variances. ``max_iter`` counts EM passes.
    ``singular_below``: stop early, not converged, when Sigma drifts below this eigenvalue
    (:func:`_accelerated_em`). Returns ``(mu, Sigma, passes, converged)``.
    """
    X = np.asarray(X, float)
    w = np.ones(len(X)) if weights is None else np.asarray(weights, float)
    if weights is not None:
        X, w = X[w > 0], w[w > 0]
    miss = np.isnan(X)
    if miss.all(axis=0).any():
        col = int(np.flatnonzero(miss.all(axis=0))[0])
        raise SurveySemError(f"EM: variable {col + 1} has no observed values")
    if start is None:
        mu, sig = _available_case_start(X, miss, w)
    else:
        mu, sig = np.array(start[0], float), np.array(start[1], float)
    lay = MissingLayout(X, w)
    if not len(lay.rows):
        mu = w @ X / lay.n
        E = X - mu
        return mu, (E * w[:, None]).T @ E / lay.n, 1, True
    return _accelerated_em(lay, mu, sig, tol, max_iter, accelerate, singular_below)


def rows_of_patterns(patterns, p):
    """The n x p data (NaN where missing) held as FIML patterns (``Pattern.obs``, ``Pattern.X``),
    pattern by pattern."""
    X = np.full((sum(pt.n for pt in patterns), p), np.nan)
    at = 0
    for pt in patterns:
        X[at:at + pt.n][:, pt.obs] = pt.X
        at += pt.n
    return X


def em_ridged(X, tol: float = LAVAAN_H1_TOL, max_iter: int = LAVAAN_H1_ITER_MAX):
    """lavaan's EM for the saturated moments (``lav_mvnorm_missing_h1_estimate_moments``, lavaan
    0.6-14), for data whose saturated covariance is near-singular: plain EM passes from the
    available-case start; after each M-step a Sigma with an eigenvalue below ``1e-6`` gets the ridge
    ``diag(Sigma) += 1e-8 max(diag Sigma)``; it stops when the largest change of a mean or a
    ``vech(Sigma)`` element is below ``tol`` (lavaan's ``em.h1.tol``) or after ``max_iter`` passes
    (``em.h1.iter.max``). When N is small against p the saturated likelihood has no interior
    maximum (Sigma drifts to singular), so the result is where the ``max_iter`` passes end, exactly
    as lavaan's h1. Returns ``(mu, Sigma, passes, converged)``.
    """
    X = np.asarray(X, float)
    w = np.ones(len(X))
    mu, sig = _available_case_start(X, np.isnan(X), w)
    lay = MissingLayout(X, w)
    low = np.tril_indices(lay.p)
    for passes in range(1, max_iter + 1):
        mu_new, sig_new = lay.step(mu, sig)
        if np.linalg.eigvalsh(sig_new).min() < LAVAAN_EV_TOL:
            sig_new[np.diag_indices(lay.p)] += np.max(np.diag(sig_new)) * 1e-8
        delta = max(np.max(np.abs(mu_new - mu)), np.max(np.abs(sig_new[low] - sig[low])))
        mu, sig = mu_new, sig_new
        if delta < tol:
            return mu, sig, passes, True
    return mu, sig, max_iter, False


def near_singular(sig) -> bool:
    """Whether Sigma has an eigenvalue below lavaan's ``evtol`` (or is not finite): EM moments on the
    boundary of the parameter space, where the saturated likelihood has no interior maximum."""
    return not (np.all(np.isfinite(sig)) and np.linalg.eigvalsh(sig).min() >= LAVAAN_EV_TOL)


def em_h1_moments(patterns, p, max_iter=10000, tol=1e-10):
    """EM estimates of the unrestricted (h1) mean and covariance of the rows held by FIML patterns,
    with a note for the fit's warnings (None when all is well).

    :func:`em_moments` (accelerated, to ``tol``); when it fails (a singular Sigma on the way) or ends
    near-singular (an eigenvalue below 1e-6, lavaan's ``evtol``), lavaan's ridged EM
    (:func:`em_ridged`) instead, with lavaan's warning. The h1 moments enter the chi-square, the
    baseline comparison, SRMR and the observed-variance CR/AVE, not the model estimates.
    The accelerated EM gives up as soon as its Sigma has an eigenvalue below
    ``SINGULAR_ABORT`` (1e-3 x lavaan's evtol): on the 126-128 simulated firms of
    tests/r/data/cfa_small_n_seed*.csv (p = 79) that happens within 100 passes, where running on
    to ``max_iter`` passes cost about 15 s for a result the ridged EM then replaces.
    """
    X = rows_of_patterns(patterns, p)
    mu, sig, note = _H1_CACHE.get(lambda: _em_h1_moments(X, p, max_iter, tol), X, max_iter, tol)
    return mu.copy(), sig.copy(), note


# The saturated moments of the last few data sets, keyed by their contents: the models fitted to
# one data set (P4's correlated-processes and chain models, a model and its comparisons) share
# them, as lavaan's h1 slot is computed once per data set.
_H1_CACHE = RecentResults(8)


def _em_h1_moments(X, p, max_iter, tol):
    try:
        with np.errstate(all="ignore"):
            mu, sig, _, _ = em_moments(X, tol=tol, max_iter=max_iter, singular_below=SINGULAR_ABORT)
        if not near_singular(sig):
            return mu, sig, None
    except np.linalg.LinAlgError:
        pass
    mu, sig, passes, converged = em_ridged(X)
    ev = float(np.linalg.eigvalsh(sig).min())
    note = (f"the EM saturated (h1) covariance is near-singular (smallest eigenvalue {ev:.3g}; N = {len(X)}, "
            f"p = {p}): estimated with lavaan's ridged EM ({passes} passes"
            + ("" if converged else f", stopped at lavaan's em.h1.iter.max = {LAVAAN_H1_ITER_MAX}")
            + "); the chi-square, baseline comparison, SRMR and observed-variance CR/AVE depend on it; "
            "interpret them with caution")
    return mu, sig, note


def em_saturated_patterns(patterns, p, max_iter=10000, tol=1e-10):
    """EM estimates of the unrestricted mean and covariance with missing data: :func:`em_h1_moments`
    of the rows held by FIML patterns, without its note."""
    mu, sig, _ = em_h1_moments(patterns, p, max_iter=max_iter, tol=tol)
    return mu, sig


# the name the fit (FIML h1 moments) and the common-latent-factor comparison use
em_saturated = em_saturated_patterns
