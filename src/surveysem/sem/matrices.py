"""RAM matrices (McArdle & McDonald 1984) of one group, its implied moments and their
derivatives (lavaan's ``lav_model_implied`` and ``computeDelta`` in ``lav_model_gradient.R``,
which use the LISREL representation).

Model-implied moments: ``B = (I - A)^-1``, ``Sigma = F B S B' F'``, ``mu = F B m`` over the
variables ``ov_names + lv_names`` (``F`` selects the observed ones).  Each free matrix entry
``k`` has a rank-two covariance derivative ``dSigma_k = a_k b_k' + b_k a_k'`` and a mean
derivative ``dmu_k`` (:meth:`GroupMatrices.derivs`), so gradients and information matrices
are a few small matrix products.

Also here: :func:`spd_inverse` (inverse and log-determinant from one Cholesky factorisation).
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import lapack


def _free_entries(rows):
    """Matrix positions and parameter indices of the free rows: (A rows, A cols, A pars,
    S rows, S cols, S pars, m rows, m pars)."""
    ai, aj, ap, si, sj, sp, mi, mp = [], [], [], [], [], [], [], []
    for r in rows:
        if not r.free:
            continue
        if r.mat == "A":
            ai.append(r.i), aj.append(r.j), ap.append(r.par)
        elif r.mat == "S":
            si.append(r.i), sj.append(r.j), sp.append(r.par)
        else:
            mi.append(r.i), mp.append(r.par)
    return [np.array(v, int) for v in (ai, aj, ap, si, sj, sp, mi, mp)]


def _fixed_matrices(rows, nvar):
    """A, S, m holding the fixed values (fixed-x entries are filled in by ``set_exo``) and the
    fixed-x rows."""
    A0, S0, m0 = np.zeros((nvar, nvar)), np.zeros((nvar, nvar)), np.zeros(nvar)
    exo_rows = []
    for r in rows:
        if r.free:
            continue
        if r.exo:
            exo_rows.append(r)
        val = 0.0 if r.value is None else r.value
        if r.mat == "A":
            A0[r.i, r.j] = val
        elif r.mat == "S":
            S0[r.i, r.j] = val
            S0[r.j, r.i] = val
        else:
            m0[r.i] = val
    return A0, S0, m0, exo_rows


class GroupMatrices:
    """The RAM matrices of group ``g`` (1-based) of a model spec, for ``p`` observed of ``nvar``
    variables and ``q`` free parameters."""

    def __init__(self, spec, g, nvar, p, q):
        rows = [r for r in spec.rows if r.group == g]
        self.p, self.nvar = p, nvar
        self.A0, self.S0, self.m0, self.exo_rows = _fixed_matrices(rows, nvar)
        self.ai, self.aj, self.ap, self.si, self.sj, self.sp, self.mi, self.mp = _free_entries(rows)
        self.sdiag_half = np.where(self.si == self.sj, 0.5, 1.0)
        K = len(self.ai) + len(self.si) + len(self.mi)
        self.K, self.q = K, q
        pars = np.concatenate([self.ap, self.sp, self.mp]).astype(int)
        self.pars = pars
        self._L = None
        # without equality constraints each free parameter has one matrix entry: L is a
        # permutation, and L' x / L' M L are index operations (not q x q products)
        self.pars_unique = len(np.unique(pars)) == len(pars)
        # saturated / independence models: every derivative direction is a unit vector (not so
        # when fixed non-zero paths make B = (I - A)^-1 differ from I)
        self.unit = nvar == p and len(self.ai) == 0 and not self.A0.any()
        self._unit_cache = {}
        self.lisrel = self._is_lisrel()
        A_rows, A_cols = np.nonzero(self.A0)
        self.topo = _topological_order(nvar, np.concatenate([self.ai, A_rows]), np.concatenate([self.aj, A_cols]))

    @property
    def L(self):
        """K x q map of the group's matrix entries to the free parameters, built when first used
        (the extended model of the modification indices has K, q ~ 4,000: 130 MB it never needs)."""
        if self._L is None:
            self._L = np.zeros((self.K, self.q))
            if self.K:
                self._L[np.arange(self.K), self.pars] = 1.0
        return self._L

    def _is_lisrel(self):
        """LISREL-shaped model: no path starts at an observed variable and no observed variable
        covaries with a latent one, so Sigma = L* Psi L*' + Theta with L* = Lambda (I - Beta)^-1
        and the complete-data gradient needs only p x m and m x m products (m latent variables)."""
        p = self.p
        A_cols = np.nonzero(self.A0)[1]
        S_rows, S_cols = np.nonzero(self.S0)
        return bool(
            self.nvar > p
            and np.all(self.aj >= p) and np.all(A_cols >= p)
            and not np.any((self.si < p) != (self.sj < p)) and not np.any((S_rows < p) != (S_cols < p))
        )

    def add_vector(self, out, v):
        """out += L' v (group entries -> free parameters)."""
        if self.pars_unique:
            out[self.pars] += v
        else:
            out += self.L.T @ v

    def columns_to_parameters(self, M):
        """M L: columns over the group's matrix entries -> columns over the free parameters
        (without equality constraints a column copy, not an n x K x q product)."""
        if not self.pars_unique:
            return M @ self.L
        out = np.zeros((len(M), self.q))
        out[:, self.pars] = M
        return out

    def add_matrix(self, out, M):
        """out += L' M L."""
        if self.pars_unique:
            out[np.ix_(self.pars, self.pars)] += M
        else:
            out += self.L.T @ M @ self.L

    def unit_active(self, o):
        """For unit-vector directions (``self.unit``) and observed variables ``o``: the active
        directions and their positions within ``o``, cached per pattern."""
        key = o.tobytes()
        hit = self._unit_cache.get(key)
        if hit is not None:
            return hit
        loc = np.full(self.p, -1)
        loc[o] = np.arange(len(o))
        s_act = np.flatnonzero((loc[self.si] >= 0) & (loc[self.sj] >= 0))
        m_act = np.flatnonzero(loc[self.mi] >= 0)
        ns = len(self.si)
        act = np.concatenate([s_act, ns + m_act])
        out = (act, loc[self.si[s_act]], loc[self.sj[s_act]], self.sdiag_half[s_act], loc[self.mi[m_act]])
        self._unit_cache[key] = out
        return out

    def set_exo(self, cov, mean):
        """Fixed-x (co)variances and means: the sample moments of the covariates."""
        for r in self.exo_rows:
            if r.mat == "S":
                v = cov[r.i, r.j]
                self.S0[r.i, r.j] = v
                self.S0[r.j, r.i] = v
            elif r.mat == "m":
                self.m0[r.i] = mean[r.i]

    def matrices(self, theta):
        A = self.A0.copy()
        A[self.ai, self.aj] = theta[self.ap]
        S = self.S0.copy()
        S[self.si, self.sj] = theta[self.sp]
        S[self.sj, self.si] = theta[self.sp]
        m = self.m0.copy()
        m[self.mi] = theta[self.mp]
        return A, S, m

    def implied(self, theta):
        """A, S, m, B = (I - A)^-1, the implied covariance C and mean nu of all variables."""
        A, S, m = self.matrices(theta)
        if self.topo is not None:
            # recursive model: I - A is unit lower triangular in topological order
            o = self.topo
            Tinv, info = lapack.dtrtri(np.eye(self.nvar) - A[np.ix_(o, o)], lower=1, unitdiag=1)
            B = np.empty_like(Tinv)
            B[np.ix_(o, o)] = Tinv
        else:
            B = np.linalg.inv(np.eye(self.nvar) - A)
        C = B @ S @ B.T
        nu = B @ m
        return A, S, m, B, C, nu

    def derivs(self, B, C, nu):
        """p x K derivative directions: dSigma_k = a_k b_k' + b_k a_k' (columns of Am, Bm) and
        dmu_k (columns of Mm), for the free A, then S, then m entries. Leading dimensions of
        ``B``, ``C``, ``nu`` (a batch of parameter vectors) are kept."""
        p = self.p
        FB = B[..., :p, :]
        FC = C[..., :p, :]
        zeros = np.zeros(FB.shape[:-1] + (len(self.mi),))
        Am = np.concatenate([FB[..., self.ai], FB[..., self.si], zeros], axis=-1)
        Bm = np.concatenate([FC[..., self.aj], FB[..., self.sj] * self.sdiag_half, zeros], axis=-1)
        Mm = np.concatenate([FB[..., self.ai] * nu[..., None, self.aj], np.zeros(FB.shape[:-1] + (len(self.si),)),
                             FB[..., self.mi]], axis=-1)
        return Am, Bm, Mm

    def entry_gradient(self, R, v, directions):
        """Gradient of f in the K matrix-entry directions from the moment-level gradient:
        ``R`` (p x p; d f = tr(R dSigma) / 2 - v' dmu) and ``v`` (p, or None without a mean
        structure), ``directions`` those of :meth:`derivs`. Leading batch dimensions are kept."""
        Am, Bm, Mm = directions
        g = np.einsum("...ik,...ik->...k", Bm, R @ Am)
        if v is not None:
            g -= np.einsum("...ik,...i->...k", Mm, v)
        return g

    def unit_entry_gradient(self, R, v):
        """:meth:`entry_gradient` of a saturated / independence model (``self.unit``): read off R and v."""
        mean_part = -v[..., self.mi] if v is not None else np.zeros(R.shape[:-2] + (len(self.mi),))
        return np.concatenate([R[..., self.sj, self.si] * self.sdiag_half, mean_part], axis=-1)

    def observed_moments(self, theta):
        """Sigma and mu of the observed variables and the derivative directions (Am, Bm, Mm)."""
        A, S, m, B, C, nu = self.implied(theta)
        p = self.p
        Am, Bm, Mm = self.derivs(B, C, nu)
        return C[:p, :p], nu[:p], Am, Bm, Mm


def _topological_order(nvar, dep, src):
    """Order of the variables in which every variable comes after those it is regressed on
    (edges ``src -> dep``), or None when the paths have a cycle (non-recursive model)."""
    indeg = np.zeros(nvar, int)
    children = [[] for _ in range(nvar)]
    for i, j in zip(dep.tolist(), src.tolist()):
        if i == j:
            return None
        children[j].append(i)
        indeg[i] += 1
    ready = [v for v in range(nvar) if indeg[v] == 0]
    order = []
    while ready:
        v = ready.pop(0)
        order.append(v)
        for c in children[v]:
            indeg[c] -= 1
            if indeg[c] == 0:
                ready.append(c)
    return np.array(order, int) if len(order) == nvar else None


def spd_inverse(M):
    """(inverse, log-determinant) of a symmetric positive-definite matrix from one Cholesky
    factorisation (LAPACK potrf/potri); raises LinAlgError when M is not positive definite."""
    c, info = lapack.dpotrf(M, lower=1, clean=0)
    if info != 0:
        raise np.linalg.LinAlgError("matrix is not positive definite")
    logdet = 2.0 * np.sum(np.log(np.diag(c)))
    inv, info = lapack.dpotri(c, lower=1)
    if info != 0:
        raise np.linalg.LinAlgError("matrix is singular")
    upper = _upper_indices(len(inv))
    inv[upper] = inv.T[upper]  # potri fills the lower triangle only
    return inv, logdet


_UPPER = {}


def _upper_indices(p):
    if p not in _UPPER:
        _UPPER[p] = np.triu_indices(p, 1)
    return _UPPER[p]
