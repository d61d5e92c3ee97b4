"""The FIML gradient at many parameter vectors at once, for the observed information.

With many missing-data patterns the observed information (FIML standard errors) is the
central-difference Jacobian of the analytic gradient (:func:`surveysem.sem.information.observed_information`,
lavaan's method): ``2 q`` gradients at parameter vectors one step away from the estimates. One
gradient of :meth:`surveysem.sem.objective.Engine._group_eval_rows` is some forty small array
operations; for a model of a few dozen observed variables their fixed cost, not the arithmetic,
is most of its time (SAM's joint measurement model of P1-P3: 22 items, 134 gradients per fit).
Here the same sums (the E-step at the model moments of :func:`surveysem.sem.fiml.e_step_sums`,
then ``R = N P - P T P`` carried to the parameters by
:meth:`surveysem.sem.matrices.GroupMatrices.entry_gradient`, which keeps a batch axis) are
computed for a batch of parameter vectors, a leading dimension on every array. The numbers are those of the one-by-one gradients up
to rounding (``tests/sem/test_fast_paths.py``). For large models the arithmetic dominates either
way (P4's 58 variables: no gain), so :func:`batchable` keeps them one by one.

Only the rows form is batched (every group with more than one pattern, the form the engine
takes for a FIML gradient); :func:`gradients_at` returns None otherwise, and when a batch holds a
parameter vector whose implied covariance is not positive definite, so that the caller's
one-by-one path meets the problem as it would have.
"""

from __future__ import annotations

import numpy as np

from surveysem.sem.fiml import PatternRows

# floats a batch may hold in its largest array (about 32 MB)
BATCH_FLOATS = 4_000_000
# observed variables above which a gradient's arithmetic outweighs its fixed cost (measured: 22
# variables 3-4 x faster batched, 58 variables no faster)
MAX_BATCHED_VARIABLES = 40


def implied_at(gs, thetas: np.ndarray):
    """:meth:`GroupMatrices.implied` at every row of ``thetas``: (B, C, nu) with a leading batch axis."""
    b = len(thetas)
    A = np.broadcast_to(gs.A0, (b,) + gs.A0.shape).copy()
    A[:, gs.ai, gs.aj] = thetas[:, gs.ap]
    S = np.broadcast_to(gs.S0, (b,) + gs.S0.shape).copy()
    S[:, gs.si, gs.sj] = thetas[:, gs.sp]
    S[:, gs.sj, gs.si] = thetas[:, gs.sp]
    m = np.broadcast_to(gs.m0, (b,) + gs.m0.shape).copy()
    m[:, gs.mi] = thetas[:, gs.mp]
    B = np.linalg.inv(np.eye(gs.nvar) - A)
    C = B @ S @ np.swapaxes(B, 1, 2)
    nu = np.einsum("bij,bj->bi", B, m)
    return B, C, nu


def e_step_moments_at(lay: PatternRows, P: np.ndarray, mu: np.ndarray):
    """``(s, T)`` of :func:`surveysem.sem.fiml.e_step_sums` at each precision ``P[b]`` and mean
    ``mu[b]``; None when a ``P_mm`` is not positive definite."""
    nb, p = mu.shape
    s = np.zeros((nb, p))
    T = np.zeros((nb, p, p))
    for pt in lay.complete:
        d = pt.mean - mu
        s += pt.n * d
        T += pt.n * (pt.cov + d[:, :, None] * d[:, None, :])
    for mc in lay.by_count:
        miss = mc.miss
        Pmm = P[:, miss[:, :, None], miss[:, None, :]]  # B x patterns x k x k
        try:
            np.linalg.cholesky(Pmm)
        except np.linalg.LinAlgError:
            return None
        Ainv = np.linalg.inv(Pmm)
        D = np.where(mc.observed, mc.X[None] - mu[:, None, :], 0.0)  # B x rows x p, missing cells 0
        PD = np.take_along_axis(D @ P, np.broadcast_to(mc.fill_cols, (nb,) + mc.fill_cols.shape), axis=2)
        D[:, mc.fill_rows, mc.fill_cols] = -np.einsum("brkl,brl->brk", Ainv[:, mc.pattern_of_row], PD)
        s += D.sum(axis=1)
        T += np.swapaxes(D, 1, 2) @ D
        flat = (np.arange(nb)[:, None] * (p * p) + mc.flat[None, :]).ravel()
        T += np.bincount(flat, weights=(Ainv * mc.counts[None, :, None, None]).ravel(),
                         minlength=nb * p * p).reshape(nb, p, p)
    return s, T


def _group_gradients(eng, gs, gd, thetas):
    """Unscaled gradients (B x K) of one group in its matrix-entry directions, or None."""
    lay = getattr(gd, "_rows", None)
    if lay is None:
        lay = gd._rows = PatternRows(gd.patterns, eng.p)
    p = eng.p
    B, C, nu = implied_at(gs, thetas)
    Sigma = C[:, :p, :p]
    try:
        np.linalg.cholesky(Sigma)
    except np.linalg.LinAlgError:
        return None
    P = np.linalg.inv(Sigma)
    P = 0.5 * (P + np.swapaxes(P, 1, 2))
    mu = nu[:, :p] if eng.meanstructure else np.broadcast_to(gd.mean, (len(thetas), p))
    sums = e_step_moments_at(lay, P, mu)
    if sums is None:
        return None
    s, T = sums
    R = gd.n * P - P @ T @ P
    v = np.einsum("bij,bj->bi", P, s) if eng.meanstructure else None
    if gs.unit:
        return gs.unit_entry_gradient(R, v)
    return gs.entry_gradient(R, v, gs.derivs(B, C, nu))


def batchable(eng) -> bool:
    """Whether the gradients take the rows form in every group (more than one pattern) and the
    model is small enough for a batch to pay (at most ``MAX_BATCHED_VARIABLES`` observed)."""
    return eng.p <= MAX_BATCHED_VARIABLES and all(len(gd.patterns) > 1 for gd in eng.data)


def gradients_at(eng, thetas: np.ndarray) -> np.ndarray | None:
    """Gradients of ``f = -logl / N`` (B x q) at every row of ``thetas``, as
    :meth:`~surveysem.sem.objective.Engine.gradient` gives them one by one; None when a row's
    implied covariance (or a ``P_mm``) is not positive definite."""
    thetas = np.atleast_2d(np.asarray(thetas, dtype=float))
    # per parameter vector: the rows' p-vectors (a few copies) and their P_mm^-1 blocks
    holes = max(eng.p - min(len(pt.obs) for pt in gd.patterns) for gd in eng.data)
    size = max(1, BATCH_FLOATS // (max(gd.n for gd in eng.data) * max(8 * eng.nvar, holes ** 2)))
    out = np.zeros((len(thetas), eng.q))
    for lo in range(0, len(thetas), size):
        chunk = thetas[lo:lo + size]
        for gs, gd in zip(eng.groups, eng.data):
            if not gs.K:
                continue
            ge = _group_gradients(eng, gs, gd, chunk)
            if ge is None:
                return None
            if gs.pars_unique:
                out[lo:lo + size, gs.pars] += ge
            else:
                out[lo:lo + size] += ge @ gs.L
    return out / eng.ntotal
