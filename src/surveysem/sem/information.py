"""Observed information and casewise scores of an :class:`~surveysem.sem.objective.Engine`
(lavaan's ``lav_model_information_observed`` and ``lav_scores_ml``).

The expected information is computed with the objective
(:meth:`~surveysem.sem.objective.Engine.evaluate`, level 2): it is the ML standard-error
information for complete data.  The observed information (MLR, FIML) is

``H = Delta' H_sat Delta + sum_j (dF/dsigma_j) d2 sigma_j / dtheta2``

(:func:`observed_information`): the first term analytic, pattern by pattern
(:func:`_saturated_term`), the second the numerical Jacobian of ``Delta(theta)' gamma`` with
the moment gradient ``gamma`` held fixed (:func:`_fixed_gamma_gradient`).  With many missing-data
patterns the whole Hessian is the central-difference Jacobian of the analytic gradient, lavaan's
method for FIML.  Casewise scores (:func:`casewise_scores`) feed the Huber-White sandwich of
:mod:`surveysem.sem.robust`.
"""

from __future__ import annotations

import numpy as np

from surveysem.sem import fiml_batch
from surveysem.sem.numdiff import central_jacobian, central_jacobian_at


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


def _pattern_block(P, W, Pd, Ao, Bo, Mo, meanstructure):
    """Second derivatives of one observation's -logl in the rank-two directions (Ao, Bo, Mo)
    of a pattern with precision ``P``, ``W = P M2 P`` and ``Pd = P d``."""
    PA, PB = P @ Ao, P @ Bo
    WA, WB = W @ Ao, W @ Bo
    BPA, BPB, APA = Bo.T @ PA, Bo.T @ PB, Ao.T @ PA
    BWA, BWB, AWA, AWB = Bo.T @ WA, Bo.T @ WB, Ao.T @ WA, Ao.T @ WB
    APB = BPA.T
    Tpp = 2.0 * (BPA * BPA.T + BPB * APA)
    Tpw = BPA * BWA.T + BPB * AWA.T + APA * BWB.T + APB * AWB.T
    blk = -0.5 * Tpp + 0.5 * (Tpw + Tpw.T)
    if meanstructure:
        MP = Mo.T @ P
        blk += MP @ Mo
        cross = (MP @ Ao) * (Bo.T @ Pd)[None, :] + (MP @ Bo) * (Ao.T @ Pd)[None, :]
        blk += cross + cross.T
    return blk


def _saturated_term(gs, gd, theta, meanstructure):
    """``Delta' H_sat Delta`` of one group in its K matrix-entry directions (unscaled sum) and
    the moment gradient (R, v) at ``theta`` that the second term holds fixed."""
    Sigma, mu, Am, Bm, Mm = gs.observed_moments(theta)
    p = gs.p
    Hk = np.zeros((gs.K, gs.K))
    Rfull = np.zeros((p, p))
    vfull = np.zeros(p)
    for pat in gd.patterns:
        o = pat.obs
        n = pat.n
        P = np.linalg.inv(Sigma[np.ix_(o, o)])
        d = pat.mean - mu[o] if meanstructure else np.zeros(len(o))
        Pd = P @ d
        W = P @ (pat.cov + np.outer(d, d)) @ P
        Rfull[np.ix_(o, o)] += n * (P - W)
        vfull[o] += n * Pd
        if gs.unit:
            act, Ao_idx, Bo_idx, hb, Mo_act = gs.unit_active(o)
            Tpp, Tpw, Mpart = _unit_T(P, W, Pd, Ao_idx, Bo_idx, hb, Mo_act, meanstructure)
            blk = -0.5 * Tpp + 0.5 * (Tpw + Tpw.T) + Mpart
            Hk[np.ix_(act, act)] += n * blk
        else:
            Hk += n * _pattern_block(P, W, Pd, Am[o], Bm[o], Mm[o], meanstructure)
    return Hk, Rfull, vfull


def _fixed_gamma_gradient(eng, fixed, th):
    """``Delta(th)' gamma`` per observation with the moment gradients ``fixed`` = [(R, v)] per
    group held at the point of expansion (unit-direction groups contribute nothing)."""
    out = np.zeros(eng.q)
    for gs, (Rf, vf) in zip(eng.groups, fixed):
        if not gs.K or gs.unit:
            continue
        A, S, m, B, C, nu = gs.implied(th)
        gs.add_vector(out, gs.entry_gradient(Rf, vf if eng.meanstructure else None, gs.derivs(B, C, nu)))
    return out / eng.ntotal


def observed_information(eng, theta, notes=None):
    """Observed information (Hessian of f = -logl/N) per observation.

    With many missing-data patterns (FIML, more than ``eng.exact_info_max_patterns`` in a group)
    the pattern-wise first term costs a q x q block per pattern; there the whole Hessian is
    the central-difference Jacobian of the analytic gradient instead (lavaan's method for
    FIML), whose rows are evaluated for all cases at once (``Engine._group_eval_rows``). Estimates
    at the boundary (a step to one side leaves the implied covariance matrix not positive
    definite) get one-sided differences there, said in ``notes`` (a list of warnings);
    :class:`~surveysem.sem.numdiff.NotEvaluable` when neither side can be evaluated."""
    q = eng.q
    if any(len(gd.patterns) > eng.exact_info_max_patterns for gd in eng.data):
        H = None
        if fiml_batch.batchable(eng):  # the same differences, the gradients evaluated together
            H = central_jacobian_at(lambda T: fiml_batch.gradients_at(eng, T), theta)
        if H is None:
            one_sided = []
            H = central_jacobian(eng.gradient, theta, one_sided=one_sided)
            if one_sided and notes is not None:
                notes.append(f"observed information: one-sided differences for {len(one_sided)} parameter(s) "
                             "whose step to one side leaves the implied covariance matrix not positive definite "
                             "(estimates at the boundary of the parameter space); their standard errors are "
                             "less precise")
        return 0.5 * (H + H.T)
    H = np.zeros((q, q))
    fixed = []
    for gs, gd in zip(eng.groups, eng.data):
        Hk, Rfull, vfull = _saturated_term(gs, gd, theta, eng.meanstructure)
        if gs.K:
            gs.add_matrix(H, Hk)
        fixed.append((Rfull, vfull))
    H /= eng.ntotal
    if not all(gs.unit for gs in eng.groups):
        J = central_jacobian(lambda th: _fixed_gamma_gradient(eng, fixed, th), theta)
        H += 0.5 * (J + J.T)
    return 0.5 * (H + H.T)


def casewise_scores(eng, theta):
    """Per group: (n_g x q) scores of the casewise log-likelihood."""
    out = []
    for gs, gd in zip(eng.groups, eng.data):
        Sigma, mu, Am, Bm, Mm = gs.observed_moments(theta)
        rows = []
        for pat in gd.patterns:
            o = pat.obs
            Sig = Sigma[np.ix_(o, o)]
            P = np.linalg.inv(Sig)
            if eng.meanstructure:
                E = pat.X - mu[o]
            else:
                E = pat.X - pat.mean
            U = E @ P
            Ao, Bo, Mo = Am[o], Bm[o], Mm[o]
            base = np.einsum("ik,ik->k", Bo, P @ Ao)
            s = (U @ Ao) * (U @ Bo) - base
            if eng.meanstructure:
                s = s + U @ Mo
            rows.append(s)
        se = np.concatenate(rows, axis=0) if rows else np.zeros((0, gs.K))
        out.append(gs.columns_to_parameters(se))
    return out
