"""Normal-theory maximum likelihood for RAM-parameterised SEMs.

Model-implied moments per group: ``B = (I - A)^-1``, ``Sigma = F B S B' F'``,
``mu = F B m``.  Each free matrix entry ``k`` has a rank-two derivative
``dSigma_k = a_k b_k' + b_k a_k'`` and a mean derivative ``dmu_k``, so the gradient and
the expected (Fisher) information are computed from a few small matrix products; see
:meth:`Engine.evaluate`.

Data enter as *patterns* per group: ``(observed index, n, mean, covariance (n
divisor), raw rows)``.  Complete data are one pattern per group; FIML uses one per
missing-data pattern (casewise likelihood summed by pattern).  The objective is
``f(theta) = -logl(theta) / N`` (lavaan's ``N`` likelihood).

Optimisation is Fisher scoring with step halving; the expected information it uses is
also the ML standard-error information for complete data.  Observed information (MLR,
FIML) is the numerical Jacobian of the analytic gradient (as lavaan does).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.linalg import lapack

from surveysem.sem.em import MissingLayout, rows_of_patterns

LOG2PI = np.log(2.0 * np.pi)


@dataclass
class Pattern:
    obs: np.ndarray  # indices of observed variables
    n: int
    mean: np.ndarray
    cov: np.ndarray  # n divisor
    X: np.ndarray | None = None  # raw rows (n x p_o), for casewise scores
    complete: bool = True


@dataclass
class GroupData:
    patterns: list
    n: int
    # complete-data (or EM h1) sample moments of all observed variables
    mean: np.ndarray
    cov: np.ndarray

    @classmethod
    def from_moments(cls, mean, cov, n):
        """Complete data of ``n`` rows given by their mean and (N divisor) covariance only."""
        mean, cov = np.asarray(mean, float), np.asarray(cov, float)
        return cls([Pattern(np.arange(len(mean)), int(n), mean, cov, None, True)], int(n), mean, cov)


class _GroupStruct:
    def __init__(self, spec, g, nvar, p, q):
        rows = [r for r in spec.rows if r.group == g]
        self.p, self.nvar = p, nvar
        self.A0 = np.zeros((nvar, nvar))
        self.S0 = np.zeros((nvar, nvar))
        self.m0 = np.zeros(nvar)
        ai, aj, ap, si, sj, sp, mi, mp = [], [], [], [], [], [], [], []
        self.exo_rows = []
        for r in rows:
            if r.free:
                if r.mat == "A":
                    ai.append(r.i), aj.append(r.j), ap.append(r.par)
                elif r.mat == "S":
                    si.append(r.i), sj.append(r.j), sp.append(r.par)
                else:
                    mi.append(r.i), mp.append(r.par)
            else:
                if r.exo:
                    self.exo_rows.append(r)
                val = 0.0 if r.value is None else r.value
                if r.mat == "A":
                    self.A0[r.i, r.j] = val
                elif r.mat == "S":
                    self.S0[r.i, r.j] = val
                    self.S0[r.j, r.i] = val
                else:
                    self.m0[r.i] = val
        self.ai, self.aj, self.ap = np.array(ai, int), np.array(aj, int), np.array(ap, int)
        self.si, self.sj, self.sp = np.array(si, int), np.array(sj, int), np.array(sp, int)
        self.mi, self.mp = np.array(mi, int), np.array(mp, int)
        self.sdiag_half = np.where(self.si == self.sj, 0.5, 1.0)
        K = len(ai) + len(si) + len(mi)
        self.K = K
        L = np.zeros((K, q))
        pars = np.concatenate([self.ap, self.sp, self.mp]).astype(int)
        if K:
            L[np.arange(K), pars] = 1.0
        self.L = L
        self.pars = pars
        # without equality constraints each free parameter has one matrix entry: L is a
        # permutation, and L' x / L' M L are index operations (not q x q products)
        self.pars_unique = len(np.unique(pars)) == len(pars)
        # saturated / independence models: every derivative direction is a unit vector
        self.unit = nvar == p and len(self.ai) == 0
        self._unit_cache = {}
        # LISREL-shaped model: no path starts at an observed variable and no observed variable
        # covaries with a latent one, so Sigma = L* Psi L*' + Theta with L* = Lambda (I - Beta)^-1
        # and the complete-data gradient needs only p x m and m x m products (m latent variables)
        A_rows, A_cols = np.nonzero(self.A0)
        S_rows, S_cols = np.nonzero(self.S0)
        self.lisrel = bool(
            nvar > p
            and np.all(self.aj >= p) and np.all(A_cols >= p)
            and not np.any((self.si < p) != (self.sj < p)) and not np.any((S_rows < p) != (S_cols < p))
        )
        self.topo = _topological_order(nvar, np.concatenate([self.ai, np.nonzero(self.A0)[0]]),
                                       np.concatenate([self.aj, np.nonzero(self.A0)[1]]))

    def add_vector(self, out, v):
        """out += L' v (group entries -> free parameters)."""
        if self.pars_unique:
            out[self.pars] += v
        else:
            out += self.L.T @ v

    def add_matrix(self, out, M):
        """out += L' M L."""
        if self.pars_unique:
            out[np.ix_(self.pars, self.pars)] += M
        else:
            out += self.L.T @ M @ self.L

    def unit_active(self, o):
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
        p = self.p
        FB = B[:p]
        FC = C[:p]
        Am = np.concatenate([FB[:, self.ai], FB[:, self.si], np.zeros((p, len(self.mi)))], axis=1)
        Bm = np.concatenate([FC[:, self.aj], FB[:, self.sj] * self.sdiag_half, np.zeros((p, len(self.mi)))], axis=1)
        Mm = np.concatenate([FB[:, self.ai] * nu[self.aj], np.zeros((p, len(self.si))), FB[:, self.mi]], axis=1)
        return Am, Bm, Mm


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


def _central_jacobian(fun, theta):
    """Central-difference Jacobian of ``fun`` at ``theta`` (step 1e-5 * max(1, |theta_k|))."""
    q = len(theta)
    J = np.zeros((q, q))
    for k in range(q):
        h = 1e-5 * max(1.0, abs(theta[k]))
        e = np.zeros(q)
        e[k] = h
        J[:, k] = (fun(theta + e) - fun(theta - e)) / (2 * h)
    return J


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


class Engine:
    """Objective, gradient and information of a :class:`~surveysem.sem.model.ModelSpec`."""

    def __init__(self, spec):
        self.spec = spec
        self.p = len(spec.ov_names)
        self.nvar = self.p + len(spec.lv_names)
        self.q = spec.npar
        self.groups = [_GroupStruct(spec, g, self.nvar, self.p, self.q) for g in range(1, spec.ngroups + 1)]
        self.meanstructure = spec.meanstructure
        self.data: list[GroupData] = []
        self.ntotal = 0
        # FIML: above this many patterns per group, Fisher scoring uses the complete-data
        # information at the model moments as its scoring matrix (see _group_eval): the exact
        # expected information costs a K x K block per pattern
        self.scoring_exact_max_patterns = 5
        # ... and the observed information (FIML SEs) is the Jacobian of the gradient
        self.exact_info_max_patterns = 20

    def set_data(self, data: list):
        self.data = data
        self.ntotal = sum(d.n for d in data)
        for gs, d in zip(self.groups, data):
            gs.set_exo(d.cov, d.mean)

    # ------------------------------------------------------------------ objective
    def _group_eval_complete(self, gs, gd, theta):
        """f and gradient for one complete-data pattern (unscaled sums), without the p x K
        derivative matrices of :meth:`_GroupStruct.derivs`: with ``R = n (P - P M2 P)`` the
        gradient of a regression / loading ``A[i, j]`` is ``(FC' R FB)[j, i]``, of a (co)variance
        ``S[i, j]`` ``(FB' R FB)[j, i]`` (halved on the diagonal), and the mean part is
        ``-(FB' n P d)`` times ``nu[j]`` (regressions) or 1 (intercepts). Used by quasi-Newton
        refits, where it is the whole cost of an iteration."""
        A, S, m, B, C, nu = gs.implied(theta)
        p = self.p
        pat = gd.patterns[0]
        try:
            P, logdet = spd_inverse(C[:p, :p])
        except np.linalg.LinAlgError:
            return np.inf, None
        d = pat.mean - nu[:p] if self.meanstructure else np.zeros(p)
        M2 = pat.cov + np.outer(d, d)
        PM2 = P @ M2
        f = 0.5 * pat.n * (p * LOG2PI + logdet + np.trace(PM2))
        FB, FC = B[:p], C[:p]
        RFB = pat.n * (P - PM2 @ P) @ FB
        grad = np.concatenate([
            (FC.T @ RFB)[gs.aj, gs.ai],
            (FB.T @ RFB)[gs.sj, gs.si] * gs.sdiag_half,
            np.zeros(len(gs.mi)),
        ])
        if self.meanstructure:
            u = FB.T @ (pat.n * (P @ d))
            na, ns = len(gs.ai), len(gs.si)
            grad[:na] -= u[gs.ai] * nu[gs.aj]
            grad[na + ns:] -= u[gs.mi]
        return f, grad

    def _group_eval_lisrel(self, gs, gd, theta):
        """:meth:`_group_eval_complete` for a LISREL-shaped model without mean structure
        (``gs.lisrel``): with ``L* = Lambda (I - Beta)^-1``, ``Sigma = L* Psi L*' + Theta`` and
        ``R = n (P - P S P)``, the gradient of a loading ``Lambda[i, j]`` is
        ``(R L* Psi (I - Beta)^-T)[i, j]``, of ``Beta[i, j]`` ``(L*' R L* Psi (I - Beta)^-T)[i, j]``,
        of ``Psi[i, j]`` ``(L*' R L*)[i, j]`` and of ``Theta[i, j]`` ``R[i, j]`` (diagonal halved)."""
        A, S, _ = gs.matrices(theta)
        p = self.p
        pat = gd.patterns[0]
        Lam, Beta = A[:p, p:], A[p:, p:]
        Psi = S[p:, p:]
        m = Beta.shape[0]
        IB = np.linalg.inv(np.eye(m) - Beta)
        Ls = Lam @ IB
        try:
            P, logdet = spd_inverse(Ls @ Psi @ Ls.T + S[:p, :p])
        except np.linalg.LinAlgError:
            return np.inf, None
        PS = P @ pat.cov
        f = 0.5 * pat.n * (p * LOG2PI + logdet + np.trace(PS))
        R = pat.n * (P - PS @ P)
        RL = R @ Ls
        K = Ls.T @ RL
        PsiIBt = Psi @ IB.T
        U = np.vstack([RL @ PsiIBt, K @ PsiIBt])  # rows: observed, then latent variables
        si, sj = gs.si, gs.sj
        obs = si < p
        gS = np.empty(len(si))
        gS[obs] = R[sj[obs], si[obs]]
        gS[~obs] = K[sj[~obs] - p, si[~obs] - p]
        return f, np.concatenate([U[gs.ai, gs.aj - p], gS * gs.sdiag_half, np.zeros(len(gs.mi))])

    def _group_eval_rows(self, gs, gd, theta, level):
        """FIML f and gradient from the full precision matrix, all rows at once (no pattern loop).

        For a row with missing block ``m``: ``log|Sigma_oo| = log|Sigma| + log|P_mm|`` and
        ``d_o' Sigma_oo^-1 d_o = d~' P d~``, where ``d~`` is ``x - mu`` with its missing block
        filled by ``-P_mm^-1 P_mo d_o`` (the E-step of EM at the model moments). The gradient is
        that of complete data with EM-completed moments: ``R = N P - P T P`` with
        ``T = sum_rows (d~ d~' + C)`` (``C``: ``P_mm^-1`` in the missing block) and ``v = P sum d~``.
        Level 2 adds the complete-data information at the model moments (a scoring matrix for
        optimisation; FIML standard errors use the observed information)."""
        lay = getattr(gd, "_rows", None)
        if lay is None:
            lay = gd._rows = MissingLayout(rows_of_patterns(gd.patterns, self.p), np.ones(gd.n))
        A, S, m, B, C, nu = gs.implied(theta)
        p = self.p
        Sigma = C[:p, :p]
        mu = nu[:p] if self.meanstructure else gd.mean
        try:
            P, logdet = spd_inverse(Sigma)
        except np.linalg.LinAlgError:
            return np.inf, None, None
        D = np.where(lay.miss, 0.0, lay.X - mu)
        logdet_mm = 0.0
        extra = 0.0
        if len(lay.rows):
            idx, valid = lay.idx, lay.valid
            Pmm = np.where(lay.pair, P[idx[:, :, None], idx[:, None, :]], lay.eye)
            sign, ld = np.linalg.slogdet(Pmm)
            if np.any(sign <= 0):
                return np.inf, None, None
            logdet_mm = float(ld.sum())
            Ainv = np.linalg.inv(Pmm)
            rhs = np.where(valid, np.einsum("rkp,rp->rk", P[idx], D[lay.rows]), 0.0)
            fill = -np.einsum("rkl,rl->rk", Ainv, rhs)
            D[np.broadcast_to(lay.rows[:, None], idx.shape)[valid], idx[valid]] = fill[valid]
            if level >= 1:
                extra = np.bincount(lay.flat_pairs, weights=Ainv[lay.pair], minlength=p * p).reshape(p, p)
        DP = D @ P
        f = 0.5 * (lay.n_observed * LOG2PI + gd.n * logdet + logdet_mm + np.einsum("ij,ij->", DP, D))
        if level == 0:
            return f, None, None
        Rfull = gd.n * P - P @ (D.T @ D + extra) @ P
        Am, Bm, Mm = gs.derivs(B, C, nu)
        grad_e = np.einsum("ik,ik->k", Bm, Rfull @ Am)
        if self.meanstructure:
            grad_e -= Mm.T @ DP.sum(axis=0)
        info = None
        if level >= 2:
            PA, PB = P @ Am, P @ Bm
            Gba, Gbb, Gaa = Bm.T @ PA, Bm.T @ PB, Am.T @ PA
            info = gd.n * (Gba * Gba.T + Gbb * Gaa + Mm.T @ (P @ Mm))
        return f, grad_e, info

    def _group_eval(self, gs, gd, theta, level):
        """level 0: f only; 1: + gradient; 2: + expected information. Unscaled sums."""
        if len(gd.patterns) > 1 and (level <= 1 or len(gd.patterns) > self.scoring_exact_max_patterns):
            return self._group_eval_rows(gs, gd, theta, level)
        if level == 1 and len(gd.patterns) == 1 and len(gd.patterns[0].obs) == self.p:
            if gs.lisrel and not self.meanstructure:
                f, grad = self._group_eval_lisrel(gs, gd, theta)
            else:
                f, grad = self._group_eval_complete(gs, gd, theta)
            return f, grad, None
        A, S, m, B, C, nu = gs.implied(theta)
        p = self.p
        Sigma = C[:p, :p]
        mu = nu[:p]
        f = 0.0
        approx = len(gd.patterns) > self.scoring_exact_max_patterns
        if level >= 1:
            Rfull = np.zeros((p, p))
            vfull = np.zeros(p)
            info = np.zeros((gs.K, gs.K)) if level >= 2 else None
            Am, Bm, Mm = gs.derivs(B, C, nu)
        for pat in gd.patterns:
            o = pat.obs
            Sig = Sigma[np.ix_(o, o)] if len(o) < p else Sigma
            try:
                Lc = np.linalg.cholesky(Sig)
            except np.linalg.LinAlgError:
                return np.inf, None, None
            logdet = 2.0 * np.sum(np.log(np.diag(Lc)))
            Linv = np.linalg.inv(Lc)
            P = Linv.T @ Linv
            if self.meanstructure:
                d = pat.mean - mu[o]
            else:
                d = np.zeros(len(o))
            Pd = P @ d
            M2 = pat.cov + np.outer(d, d)
            f += 0.5 * pat.n * (len(o) * LOG2PI + logdet + np.sum(P * M2))
            if level >= 1:
                R = P - P @ M2 @ P
                if len(o) < p:
                    Rfull[np.ix_(o, o)] += pat.n * R
                    vfull[o] += pat.n * Pd
                else:
                    Rfull += pat.n * R
                    vfull += pat.n * Pd
                if level >= 2 and not approx:
                    Ao, Bo, Mo = Am[o], Bm[o], Mm[o]
                    PA = P @ Ao
                    PB = P @ Bo
                    Gba = Bo.T @ PA
                    Gbb = Bo.T @ PB
                    Gaa = Ao.T @ PA
                    info += pat.n * (Gba * Gba.T + Gbb * Gaa + Mo.T @ (P @ Mo))
        if level == 0:
            return f, None, None
        if level >= 2 and approx:
            # many missing-data patterns: the complete-data information at the current
            # moments is a cheap, positive-definite scoring matrix (optimisation only;
            # FIML standard errors use the exact observed information)
            P = np.linalg.inv(Sigma)
            PA, PB = P @ Am, P @ Bm
            Gba, Gbb, Gaa = Bm.T @ PA, Bm.T @ PB, Am.T @ PA
            info += gd.n * (Gba * Gba.T + Gbb * Gaa + Mm.T @ (P @ Mm))
        grad_e = np.einsum("ik,ik->k", Bm, Rfull @ Am)
        if self.meanstructure:
            grad_e -= Mm.T @ vfull
        return f, grad_e, info

    def evaluate(self, theta, level=2):
        """Return f = -logl/N, its gradient and expected information (per observation)."""
        f = 0.0
        grad = np.zeros(self.q) if level >= 1 else None
        info = np.zeros((self.q, self.q)) if level >= 2 else None
        for gs, gd in zip(self.groups, self.data):
            fg, ge, ie = self._group_eval(gs, gd, theta, level)
            if not np.isfinite(fg):
                return np.inf, None, None
            f += fg
            if level >= 1 and gs.K:
                gs.add_vector(grad, ge)
            if level >= 2 and gs.K:
                gs.add_matrix(info, ie)
        N = self.ntotal
        return f / N, (grad / N if grad is not None else None), (info / N if info is not None else None)

    def logl(self, theta):
        f, _, _ = self.evaluate(theta, level=0)
        return -f * self.ntotal

    # ------------------------------------------------------------------ optimisation
    # Fisher scoring iterations before the quasi-Newton fallback takes over: Fisher scoring
    # converges in well under 100 iterations when it converges at all; beyond that it crawls
    # (ridges, near-singular information) at the price of an information matrix per iteration.
    fisher_max_iter = 100
    # trust-exact factorises a q x q matrix several times per iteration: only for small models
    trust_region_max_par = 200

    def optimize(self, theta0, max_iter=500, tol=1e-10, fallback=True):
        """Fisher scoring with step halving (at most ``fisher_max_iter`` iterations, half as many
        above 150 free parameters); if that
        does not converge, BFGS from its last iterate with the Fisher information there as the
        initial curvature (at most ``max_iter`` iterations, gradient only); if that does not
        converge either and the model is small, a trust-region Newton method (scipy
        ``trust-exact`` with the Fisher information as Hessian) from ``theta0``, keeping the
        better converged solution. Converged when the largest gradient element or the largest
        parameter change falls below ``tol``."""
        # each Fisher iteration of a large model forms a q x q information matrix: hand over sooner
        fisher_cap = self.fisher_max_iter if self.q <= 150 else self.fisher_max_iter // 2
        theta, converged, it, msg = self._fisher(theta0, min(max_iter, fisher_cap), tol)
        if converged or not fallback or msg or max_iter < 20:
            return theta, converged, it, msg
        info = self.evaluate(theta, level=2)[2]
        if info is not None and np.all(np.isfinite(info)):
            scale = max(1.0, float(np.max(np.abs(np.diag(info)))))
            alt, ok, it_qn = self.quasi_newton(theta, info + 1e-8 * scale * np.eye(self.q), max_iter=max_iter,
                                               tol=tol)
            it += it_qn
            if ok or self.evaluate(alt, level=0)[0] <= self.evaluate(theta, level=0)[0]:
                theta, converged = alt, ok
            if ok:
                return theta, True, it, None
        if self.q > self.trust_region_max_par:
            return theta, converged, it, msg
        alt, ok, it2 = self._trust_region(theta0, max_iter, tol)
        if ok:
            f1 = self.evaluate(theta, level=0)[0]
            f2 = self.evaluate(alt, level=0)[0]
            if not np.isfinite(f1) or f2 <= f1 + 1e-12:
                return alt, True, it + it2, None
        return theta, converged, it, msg

    def _trust_region(self, theta0, max_iter, tol):
        from scipy import optimize as sopt

        big = 1e10

        def fun(t):
            f = self.evaluate(t, level=0)[0]
            return f if np.isfinite(f) else big

        budget = [0]

        class _Stop(Exception):
            pass

        def jac(t):
            g = self.evaluate(t, level=1)[1]
            return g if g is not None and np.all(np.isfinite(g)) else np.zeros(self.q)

        def hess(t):
            budget[0] += 1
            if budget[0] > max_iter:
                raise _Stop
            info = self.evaluate(t, level=2)[2]
            if info is None or not np.all(np.isfinite(info)):
                return np.eye(self.q)
            return info + 1e-10 * np.eye(self.q)

        f0 = self.evaluate(np.asarray(theta0, float), level=2)
        if not (np.isfinite(f0[0]) and np.all(np.isfinite(f0[2]))):
            return np.asarray(theta0, float), False, 0
        try:
            r = sopt.minimize(
                fun,
                np.asarray(theta0, float),
                jac=jac,
                hess=hess,
                method="trust-exact",
                options=dict(maxiter=max_iter, gtol=max(tol, 1e-9)),
            )
        except (ValueError, np.linalg.LinAlgError, _Stop):
            return np.asarray(theta0, float), False, 0
        theta = r.x
        # polish with Fisher scoring (quadratic-ish near the optimum)
        theta2, ok, it2, msg = self._fisher(theta, 100, tol)
        return (theta2, ok and not msg, r.nit + it2)

    def _fisher(self, theta0, max_iter=500, tol=1e-10):
        theta = np.array(theta0, float)
        f, g, info = self.evaluate(theta)
        if not np.isfinite(f):
            return theta, False, 0, "start values give a non-positive-definite implied covariance matrix"
        it = 0
        converged = False
        eye = np.eye(self.q)
        for it in range(1, max_iter + 1):
            try:
                step = np.linalg.solve(info + 1e-12 * eye, g)
            except np.linalg.LinAlgError:
                step = np.linalg.lstsq(info, g, rcond=None)[0]
            new = theta - step
            fn, gn, In = self.evaluate(new)
            if not (np.isfinite(fn) and fn <= f + 1e-14 * max(1.0, abs(f))):
                accepted = False
                for direction in (step, g):
                    t = 0.5 if direction is step else 1.0
                    while t > 1e-12:
                        new = theta - t * direction
                        fn, _, _ = self.evaluate(new, level=0)
                        if np.isfinite(fn) and fn <= f + 1e-14 * max(1.0, abs(f)):
                            accepted = True
                            break
                        t *= 0.5
                    if accepted:
                        break
                if not accepted:
                    converged = np.max(np.abs(g)) < max(tol * 1e3, 1e-7)
                    break
                fn, gn, In = self.evaluate(new)
            change = np.max(np.abs(theta - new))
            theta, f, g, info = new, fn, gn, In
            if change < tol * 10 or np.max(np.abs(g)) < tol:
                converged = True
                break
        return theta, converged, it, None

    def quasi_newton(self, theta0, hessian, max_iter=100, tol=1e-7):
        """BFGS from ``theta0`` with ``hessian`` (of f = -logl/N) as the initial curvature.

        For refits near a known solution (bootstrap resamples start at the full-sample
        estimates, with the full-sample observed information as ``hessian``): the first steps
        are nearly Newton steps, BFGS updates take over the remaining curvature, and each
        iteration needs only f and the gradient (no information matrix). Armijo backtracking;
        converged when the largest parameter change falls below ``10 * tol`` or the largest
        gradient element below ``tol`` (the criterion of :meth:`_fisher`).
        Returns (theta, converged, iterations)."""
        theta = np.array(theta0, float)
        f, g, _ = self.evaluate(theta, level=1)
        if not np.isfinite(f):
            return theta, False, 0
        try:
            Hinv = np.linalg.inv(hessian)
        except np.linalg.LinAlgError:
            return theta, False, 0
        slack = 1e-13 * max(1.0, abs(f))
        for it in range(1, max_iter + 1):
            step = -(Hinv @ g)
            slope = float(g @ step)
            if not slope < 0:  # lost positive definiteness: restart from the initial curvature
                Hinv = np.linalg.inv(hessian)
                step = -(Hinv @ g)
                slope = float(g @ step)
            t = 1.0
            while True:
                new = theta + t * step
                fn, gn, _ = self.evaluate(new, level=1)
                if np.isfinite(fn) and fn <= f + 1e-4 * t * slope + slack:
                    break
                t *= 0.5
                if t < 1e-10:
                    return theta, bool(np.max(np.abs(g)) < max(tol * 1e3, 1e-7)), it
            s_k, y_k = new - theta, gn - g
            sy = float(s_k @ y_k)
            if sy > 1e-12 * np.linalg.norm(s_k) * np.linalg.norm(y_k):
                rho = 1.0 / sy
                Hy = Hinv @ y_k
                # H - rho (Hy s' + s Hy') + (rho^2 y'Hy + rho) s s', as two rank-one updates
                c = rho * rho * float(y_k @ Hy) + rho
                Hinv = Hinv + np.outer(s_k, c * s_k - rho * Hy) - rho * np.outer(Hy, s_k)
            change = np.max(np.abs(s_k))
            theta, f, g = new, fn, gn
            # a tiny step after backtracking is no sign of convergence, a tiny full step is
            if (t == 1.0 and change < tol * 10) or np.max(np.abs(g)) < tol:
                return theta, True, it
        return theta, False, max_iter

    # ------------------------------------------------------------------ observed information
    def gradient(self, theta):
        return self.evaluate(theta, level=1)[1]

    def observed_information_numeric(self, theta):
        """Numerical Jacobian of the analytic gradient (Richardson, as lavaan)."""
        q = self.q
        H = np.zeros((q, q))
        h = 1e-6
        for k in range(q):
            e = np.zeros(q)
            e[k] = h
            g1 = self.gradient(theta + e)
            g2 = self.gradient(theta - e)
            g3 = self.gradient(theta + 2 * e)
            g4 = self.gradient(theta - 2 * e)
            H[:, k] = (-g3 + 8 * g1 - 8 * g2 + g4) / (12 * h)
        return 0.5 * (H + H.T)

    def observed_information(self, theta):
        """Observed information (Hessian of f = -logl/N) per observation.

        ``H = Delta' H_sat Delta + sum_j (dF/dsigma_j) d2 sigma_j / dtheta2``: the first
        term is analytic (pattern-wise second derivatives of the normal likelihood in
        the rank-two derivative directions), the second is the numerical Jacobian of
        ``Delta(theta)' gamma`` with the moment gradient ``gamma`` held at ``theta``
        (cheap: no pass over the data).

        With many missing-data patterns (FIML, more than ``exact_info_max_patterns`` in a group)
        the pattern-wise first term costs a q x q block per pattern; there the whole Hessian is
        the central-difference Jacobian of the analytic gradient instead (lavaan's method for
        FIML), whose rows are evaluated for all cases at once (:meth:`_group_eval_rows`)."""
        q = self.q
        N = self.ntotal
        if any(len(gd.patterns) > self.exact_info_max_patterns for gd in self.data):
            H = _central_jacobian(self.gradient, theta)
            return 0.5 * (H + H.T)
        H = np.zeros((q, q))
        fixed = []
        for gs, gd in zip(self.groups, self.data):
            A, S, m, B, C, nu = gs.implied(theta)
            p = self.p
            Sigma = C[:p, :p]
            mu = nu[:p]
            Am, Bm, Mm = gs.derivs(B, C, nu)
            unit = gs.unit
            Hk = np.zeros((gs.K, gs.K))
            Rfull = np.zeros((p, p))
            vfull = np.zeros(p)
            for pat in gd.patterns:
                o = pat.obs
                n = pat.n
                P = np.linalg.inv(Sigma[np.ix_(o, o)])
                d = pat.mean - mu[o] if self.meanstructure else np.zeros(len(o))
                Pd = P @ d
                W = P @ (pat.cov + np.outer(d, d)) @ P
                Rfull[np.ix_(o, o)] += n * (P - W)
                vfull[o] += n * Pd
                if unit:
                    act, Ao_idx, Bo_idx, hb, Mo_act = gs.unit_active(o)
                    Tpp, Tpw, Mpart = _unit_T(P, W, Pd, Ao_idx, Bo_idx, hb, Mo_act, self.meanstructure)
                    blk = -0.5 * Tpp + 0.5 * (Tpw + Tpw.T) + Mpart
                    Hk[np.ix_(act, act)] += n * blk
                    continue
                Ao, Bo, Mo = Am[o], Bm[o], Mm[o]
                PA, PB = P @ Ao, P @ Bo
                WA, WB = W @ Ao, W @ Bo
                BPA, BPB, APA = Bo.T @ PA, Bo.T @ PB, Ao.T @ PA
                BWA, BWB, AWA, AWB = Bo.T @ WA, Bo.T @ WB, Ao.T @ WA, Ao.T @ WB
                APB = BPA.T
                Tpp = 2.0 * (BPA * BPA.T + BPB * APA)
                Tpw = BPA * BWA.T + BPB * AWA.T + APA * BWB.T + APB * AWB.T
                blk = -0.5 * Tpp + 0.5 * (Tpw + Tpw.T)
                if self.meanstructure:
                    MP = Mo.T @ P
                    blk += MP @ Mo
                    cross = (MP @ Ao) * (Bo.T @ Pd)[None, :] + (MP @ Bo) * (Ao.T @ Pd)[None, :]
                    blk += cross + cross.T
                Hk += n * blk
            if gs.K:
                gs.add_matrix(H, Hk)
            fixed.append((Rfull, vfull))
        H /= N

        def g_fixed(th):
            out = np.zeros(q)
            for gs, (Rf, vf) in zip(self.groups, fixed):
                if not gs.K or gs.unit:
                    continue
                A, S, m, B, C, nu = gs.implied(th)
                Am, Bm, Mm = gs.derivs(B, C, nu)
                ge = np.einsum("ik,ik->k", Bm, Rf @ Am)
                if self.meanstructure:
                    ge -= Mm.T @ vf
                gs.add_vector(out, ge)
            return out / N

        if not all(gs.unit for gs in self.groups):
            J = _central_jacobian(g_fixed, theta)
            H += 0.5 * (J + J.T)
        return 0.5 * (H + H.T)

    # ------------------------------------------------------------------ casewise scores
    def casewise_scores(self, theta):
        """Per group: (n_g x q) scores of the casewise log-likelihood."""
        out = []
        for gs, gd in zip(self.groups, self.data):
            A, S, m, B, C, nu = gs.implied(theta)
            p = self.p
            Sigma = C[:p, :p]
            mu = nu[:p]
            Am, Bm, Mm = gs.derivs(B, C, nu)
            rows = []
            for pat in gd.patterns:
                o = pat.obs
                Sig = Sigma[np.ix_(o, o)]
                P = np.linalg.inv(Sig)
                if self.meanstructure:
                    E = pat.X - mu[o]
                else:
                    E = pat.X - pat.mean
                U = E @ P
                Ao, Bo, Mo = Am[o], Bm[o], Mm[o]
                base = np.einsum("ik,ik->k", Bo, P @ Ao)
                s = (U @ Ao) * (U @ Bo) - base
                if self.meanstructure:
                    s = s + U @ Mo
                rows.append(s)
            se = np.concatenate(rows, axis=0) if rows else np.zeros((0, gs.K))
            out.append(se @ gs.L)
        return out


def _unit_T(P, W, Pd, ia, jb, hb, mi, meanstructure):
    """T(P,P), T(P,W) and the mean blocks for unit-vector directions (saturated model)."""
    Pja, Pjj, Pii, Pij = P[np.ix_(jb, ia)], P[np.ix_(jb, jb)], P[np.ix_(ia, ia)], P[np.ix_(ia, jb)]
    Wja, Wjj, Wii, Wij = W[np.ix_(jb, ia)], W[np.ix_(jb, jb)], W[np.ix_(ia, ia)], W[np.ix_(ia, jb)]
    hh = np.outer(hb, hb)
    # BXA[k,l] = hb_k X[j_k, i_l]; BXB = hb_k hb_l X[j_k, j_l]; AXA = X[i_k, i_l]; AXB = hb_l X[i_k, j_l]
    Tpp = 2.0 * hh * (Pja * Pja.T + Pjj * Pii)
    Tpw = hh * (Pja * Wja.T + Pjj * Wii.T + Pii * Wjj.T + Pij * Wij.T)
    ks = len(ia)
    km = len(mi) if meanstructure else 0
    K = ks + km
    Tpp_full = np.zeros((K, K))
    Tpw_full = np.zeros((K, K))
    Tpp_full[:ks, :ks] = Tpp
    Tpw_full[:ks, :ks] = Tpw
    Mpart = np.zeros((K, K))
    if km:
        Mpart[ks:, ks:] = P[np.ix_(mi, mi)]
        # cross[m, k] = (e_m' P a_k)(b_k' P d) + (e_m' P b_k)(a_k' P d)
        cross = P[np.ix_(mi, ia)] * (hb * Pd[jb])[None, :] + P[np.ix_(mi, jb)] * hb[None, :] * Pd[ia][None, :]
        Mpart[ks:, :ks] = cross
        Mpart[:ks, ks:] = cross.T
    return Tpp_full, Tpw_full, Mpart
