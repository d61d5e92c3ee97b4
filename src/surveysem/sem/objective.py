"""Normal-theory ML / FIML objective, its gradient and the expected information
(lavaan's ``lav_model_objective``, ``lav_model_gradient`` and ``lav_model_information_expected``).

:class:`Engine` binds a :class:`~surveysem.sem.partable.ModelSpec` (its RAM matrices,
:class:`~surveysem.sem.matrices.GroupMatrices`) to data: per group a
:class:`~surveysem.sem.samplestats.GroupData` of *patterns* ``(observed index, n, mean,
covariance (n divisor), raw rows)``.  Complete data are one pattern per group; FIML uses one per
missing-data pattern.  The objective is ``f(theta) = -logl(theta) / N`` (lavaan's ``N``
likelihood).  Per group, :meth:`Engine._group_eval` picks one of:

* :meth:`Engine._group_eval_complete` – complete data, f and gradient from p x p products;
* :meth:`Engine._group_eval_lisrel` – the same for LISREL-shaped models without means (p x m and
  m x m products);
* :meth:`Engine._group_eval_rows` – FIML for all rows at once (E-step form, :mod:`surveysem.sem.fiml`);
* :meth:`Engine._group_eval_patterns` – pattern by pattern, with the exact expected information.

Optimisation (:mod:`surveysem.sem.optimizer`), the observed information and casewise scores
(:mod:`surveysem.sem.information`) are reached through the engine's methods.
"""

from __future__ import annotations

import numpy as np

from surveysem.sem import information, optimizer
from surveysem.sem.fiml import PatternRows, e_step_sums
from surveysem.sem.matrices import GroupMatrices, spd_inverse
from surveysem.sem.samplestats import GroupData

LOG2PI = np.log(2.0 * np.pi)


def _expected_block(P, Am, Bm, Mm):
    """Expected information of one observation in the derivative directions (Am, Bm, Mm) at the
    precision matrix ``P``: ``tr(P dSigma_k P dSigma_l) / 2 + dmu_k' P dmu_l``."""
    PA = P @ Am
    PB = P @ Bm
    Gba = Bm.T @ PA
    Gbb = Bm.T @ PB
    Gaa = Am.T @ PA
    return Gba * Gba.T + Gbb * Gaa + Mm.T @ (P @ Mm)


class Engine:
    """Objective, gradient and information of a :class:`~surveysem.sem.partable.ModelSpec`."""

    def __init__(self, spec):
        self.spec = spec
        self.p = len(spec.ov_names)
        self.nvar = self.p + len(spec.lv_names)
        self.q = spec.npar
        self.groups = [GroupMatrices(spec, g, self.nvar, self.p, self.q) for g in range(1, spec.ngroups + 1)]
        self.meanstructure = spec.meanstructure
        self.data: list[GroupData] = []
        self.ntotal = 0
        # FIML: above this many patterns per group, Fisher scoring uses the complete-data
        # information at the model moments as its scoring matrix (_group_eval_rows): the exact
        # expected information costs a K x K block per pattern
        self.scoring_exact_max_patterns = 5
        # ... and the observed information (FIML SEs) is the Jacobian of the gradient
        self.exact_info_max_patterns = 20

    def set_data(self, data: list):
        self.data = data
        self.ntotal = sum(d.n for d in data)
        for gs, d in zip(self.groups, data):
            gs.set_exo(d.cov, d.mean)

    # ------------------------------------------------------------------ one group
    def _group_eval_complete(self, gs, gd, theta):
        """f and gradient for one complete-data pattern (unscaled sums), without the p x K
        derivative matrices of :meth:`GroupMatrices.derivs`: with ``R = n (P - P M2 P)`` the
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
        """FIML f and gradient from the full precision matrix, all rows at once (the sums of
        :func:`surveysem.sem.fiml.e_step_sums`).

        For a row with missing block ``m``: ``log|Sigma_oo| = log|Sigma| + log|P_mm|`` and
        ``d_o' Sigma_oo^-1 d_o = d~' P d~``, where ``d~`` is ``x - mu`` with its missing block
        filled by ``-P_mm^-1 P_mo d_o`` (the E-step of EM at the model moments). The gradient is
        that of complete data with EM-completed moments: ``R = N P - P T P`` with
        ``T = sum_rows (d~ d~' + C)`` (``C``: ``P_mm^-1`` in the missing block) and ``v = P sum d~``.
        Level 2 adds the complete-data information at the model moments (a scoring matrix for
        optimisation; FIML standard errors use the observed information)."""
        lay = getattr(gd, "_rows", None)
        if lay is None:
            lay = gd._rows = PatternRows(gd.patterns, self.p)
        A, S, m, B, C, nu = gs.implied(theta)
        p = self.p
        Sigma = C[:p, :p]
        mu = nu[:p] if self.meanstructure else gd.mean
        try:
            P, logdet = spd_inverse(Sigma)
        except np.linalg.LinAlgError:
            return np.inf, None, None
        sums = e_step_sums(lay, P, mu, level)
        if sums is None:
            return np.inf, None, None
        quad, logdet_mm, s, T = sums
        f = 0.5 * (lay.n_observed * LOG2PI + gd.n * logdet + logdet_mm + quad)
        if level == 0:
            return f, None, None
        Rfull = gd.n * P - P @ T @ P
        v = P @ s if self.meanstructure else None
        if level == 1 and gs.unit:
            # saturated / independence model (B = I, unit directions): the same numbers as the
            # products below, read off R and P s (the numerical Hessians of the FIML-corrected
            # indices take 2 x 350 of these gradients for 25 items)
            return f, gs.unit_entry_gradient(Rfull, v), None
        Am, Bm, Mm = gs.derivs(B, C, nu)
        grad_e = gs.entry_gradient(Rfull, v, (Am, Bm, Mm))
        info = gd.n * _expected_block(P, Am, Bm, Mm) if level >= 2 else None
        return f, grad_e, info

    def _group_eval_patterns(self, gs, gd, theta, level):
        """f, gradient and (level 2) the exact expected information, pattern by pattern."""
        A, S, m, B, C, nu = gs.implied(theta)
        p = self.p
        Sigma = C[:p, :p]
        mu = nu[:p]
        f = 0.0
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
            d = pat.mean - mu[o] if self.meanstructure else np.zeros(len(o))
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
                if level >= 2:
                    info += pat.n * _expected_block(P, Am[o], Bm[o], Mm[o])
        if level == 0:
            return f, None, None
        return f, gs.entry_gradient(Rfull, vfull if self.meanstructure else None, (Am, Bm, Mm)), info

    def _group_eval(self, gs, gd, theta, level):
        """level 0: f only; 1: + gradient; 2: + expected information. Unscaled sums.

        Several patterns go through the rows form, except for the exact expected information
        with few patterns (at most ``scoring_exact_max_patterns``)."""
        if len(gd.patterns) > 1 and (level <= 1 or len(gd.patterns) > self.scoring_exact_max_patterns):
            return self._group_eval_rows(gs, gd, theta, level)
        if level == 1 and len(gd.patterns) == 1 and len(gd.patterns[0].obs) == self.p:
            if gs.lisrel and not self.meanstructure:
                f, grad = self._group_eval_lisrel(gs, gd, theta)
            else:
                f, grad = self._group_eval_complete(gs, gd, theta)
            return f, grad, None
        return self._group_eval_patterns(gs, gd, theta, level)

    # ------------------------------------------------------------------ all groups
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

    def gradient(self, theta):
        return self.evaluate(theta, level=1)[1]

    # ------------------------------------------------------------------ other modules
    def optimize(self, theta0, max_iter=500, tol=1e-10, fallback=True):
        """:func:`surveysem.sem.optimizer.optimize` of this objective."""
        return optimizer.optimize(self.evaluate, self.q, theta0, max_iter=max_iter, tol=tol, fallback=fallback)

    def quasi_newton(self, theta0, hessian, max_iter=100, tol=1e-7):
        """:func:`surveysem.sem.optimizer.quasi_newton` (BFGS) of this objective."""
        return optimizer.quasi_newton(self.evaluate, theta0, hessian, max_iter=max_iter, tol=tol)

    def observed_information(self, theta, notes=None):
        """:func:`surveysem.sem.information.observed_information` (Hessian of f per observation)."""
        return information.observed_information(self, theta, notes)

    def casewise_scores(self, theta):
        """:func:`surveysem.sem.information.casewise_scores`: per group, n_g x q scores."""
        return information.casewise_scores(self, theta)
