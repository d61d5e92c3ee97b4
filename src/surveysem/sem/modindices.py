"""Modification indices as lavaan's ``modindices(fit)`` (ML, FIML, MLR; ``lav_modindices.R``).

lavaan extends the fitted model by every parameter it considers (``lav_partable_full``), frees
the fixed rows of the model as well (``lav_object_extended(all.free = TRUE)``), and evaluates the
extended model at the estimates (the new parameters at 0, the freed ones at their fixed value)
without refitting. With ``g`` the gradient of ``f = -logl / N`` and ``I`` the expected
information per observation of the extended model, for an added parameter ``k``::

    V_k   = I_kk - I_k1 I_11^-1 I_1k        (1: the model's free parameters)
    mi    = N g_k^2 / V_k                   (NA when V_k < eps^(1/3))
    epc   = -g_k / V_k                      (lavaan: mi / (-N score), score = -g)

``N`` is the total number of cases (not N - 1). Rows whose ``mi`` is NA (a parameter that is
not identified next to the model's, such as a marker loading) are dropped, as lavaan's
``na.remove = TRUE``; the model's free rows are not listed (``free.remove = TRUE``).

The candidate rows (lavaan's ``lav_partable_full``), per group:

* ``lv =~ ov`` for every latent and non-covariate observed variable, except observed variables
  of the ``~`` equations;
* ``ov ~~ ov`` among the indicators (diagonal included), and among the fixed-x covariates;
* ``lv ~~ lv`` (diagonal included);
* ``y ~ x`` among all variables of the ``~`` equations, except indicators on latent variables;
* intercepts ``~1`` of all variables when the model has a mean structure.

Candidates that are already rows of the model are the model's rows. The information is
lavaan's default ``information = "expected"``: the normal-theory h1 information chained with
the moment derivatives, with lavaan's zero rows and columns for the moments among fixed-x
covariates (``lav_mvnorm_information_expected(x.idx)``): parameters that only move those moments
get ``V = 0`` and are dropped. For FIML (``missing = "ml"``) it is the structured expected
information, the sum over missing-data patterns of the information of the observed variables
at the model-implied moments (``h1.information = "structured"``), and ``g`` the FIML gradient.
An MLR fit has the estimates of ML, and lavaan's ``modindices`` uses the same (non-robust)
expected information and gradient: its indices are those of the ML fit.

Standardized EPCs (``sepc.lv``, ``sepc.all``, ``sepc.nox``) scale the EPC as the standardized
solution scales an estimate, with the model's implied variances and, for covariances, the
(residual) variances of the two variables (``cov.std = TRUE``).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from surveysem.sem.objective import Engine
from surveysem.sem.parameters import row_values
from surveysem.sem.partable import (
    ModelSpec,
    ParRow,
    _key,
    _pairs_with_diagonal,
    _place_in_matrices,
)

MI_COLUMNS = ["lhs", "op", "rhs", "group", "mi", "epc", "sepc_lv", "sepc_all", "sepc_nox"]
V_MIN = np.finfo(float).eps ** (1.0 / 3.0)  # lavaan: V.diag < .Machine$double.eps^(1/3) -> NA
SMALL_VAR = np.sqrt(np.finfo(float).eps)


# ---------------------------------------------------------------- candidate rows
def _names(spec: ModelSpec):
    """lavaan's vnames used by ``lav_partable_full``: (ov, ov.nox, ov.x, ov.ind, lv, eqs)."""
    rows1 = [r for r in spec.rows if r.group == 1]
    ov_x = list(spec.ov_x)
    ov_nox = [v for v in spec.ov_names if v not in ov_x]
    lv = list(spec.lv_names)
    ov_ind = list(dict.fromkeys(r.rhs for r in rows1 if r.op == "=~" and r.rhs not in lv))
    eqs_y = [r.lhs for r in rows1 if r.op == "~"]
    eqs_x = [r.rhs for r in rows1 if r.op == "~"]
    eqs = list(dict.fromkeys(eqs_y + eqs_x))
    return ov_x, ov_nox, ov_ind, lv, eqs


def full_candidates(spec: ModelSpec):
    """(lhs, op, rhs) of lavaan's ``lav_partable_full(strict.exo = FALSE)`` for one group, in its order."""
    ov_x, ov_nox, ov_ind, lv, eqs = _names(spec)
    out = [(f, "=~", v) for f in lv for v in ov_nox if v not in eqs]
    # observed (co)variances only among indicators (a pair with any other observed variable is
    # dropped), then among the fixed-x covariates
    out += [(a, "~~", b) for a, b in _pairs_with_diagonal(ov_nox) if a in ov_ind and b in ov_ind]
    out += [(a, "~~", b) for a, b in _pairs_with_diagonal(ov_x)]
    out += [(a, "~~", b) for a, b in _pairs_with_diagonal(lv)]
    out += [(y, "~", x) for y in eqs for x in eqs if y != x and not (y in ov_ind and x in lv)]
    if spec.meanstructure:
        out += [(v, "~1", "") for v in list(spec.ov_names) + lv]
    return out


def extended_spec(spec: ModelSpec, eng: Engine, theta):
    """(extended spec, its parameter vector at the estimates, row indices of the added
    parameters in lavaan's order): the model's fixed rows freed (in place, at their value,
    fixed-x moments at the sample moments), then the new candidates of each group at 0.
    The model's parameters keep their indices, so its equality constraints stay."""
    values = row_values(spec, theta, eng)
    rows, start, extra = [], list(theta), []
    for k, r in enumerate(spec.rows):
        if r.free:
            rows.append(r)
            continue
        rows.append(replace(r, free=True, exo=False, par=len(start)))
        extra.append(k)
        start.append(values[k])
    known = {(_key(r.lhs, r.op, r.rhs), r.group) for r in spec.rows}
    cand = full_candidates(spec)
    new = []
    for g in range(1, spec.ngroups + 1):
        for lhs, op, rhs in cand:
            if (_key(lhs, op, rhs), g) in known:
                continue
            new.append(ParRow(lhs, op, rhs, g, False, True, None, par=len(start)))
            extra.append(len(rows) + len(new) - 1)
            start.append(0.0)
    _place_in_matrices(new, spec.var_names)
    ext = replace(spec, rows=rows + new, npar=len(start), ov_x=list(spec.ov_x))
    return ext, np.array(start, float), extra


# ---------------------------------------------------------------- information
def x_mask(spec: ModelSpec):
    """p x p mask (True: kept) of the covariance elements lavaan keeps in the h1 information
    under fixed.x, and the p-vector for the means."""
    p = len(spec.ov_names)
    isx = np.array([v in spec.ov_x for v in spec.ov_names], bool)
    return ~np.outer(isx, isx), ~isx if p else np.zeros(0, bool)


def pattern_precisions(Sigma, gd):
    """[(n, P)] of one group: per missing-data pattern its number of cases and the inverse of the
    observed block of ``Sigma``, zero-padded to p x p (complete data: one pattern). The expected
    information of FIML is the sum over patterns with the model-implied moments (lavaan's
    ``h1.information = "structured"``, ``lav_mvnorm_missing_information_expected``)."""
    p = Sigma.shape[0]
    out = []
    for pat in gd.patterns:
        o = np.asarray(pat.obs)
        if len(o) == p:
            out.append((pat.n, np.linalg.inv(Sigma)))
            continue
        P = np.zeros((p, p))
        P[np.ix_(o, o)] = np.linalg.inv(Sigma[np.ix_(o, o)])
        out.append((pat.n, P))
    return out


def _unique_columns(M):
    """(distinct columns of M in order of appearance, index of each column among them)."""
    seen, first, inv = {}, [], np.empty(M.shape[1], int)
    for k, col in enumerate(np.ascontiguousarray(M.T)):
        j = seen.setdefault(col.tobytes(), len(first))
        if j == len(first):
            first.append(k)
        inv[k] = j
    return M[:, first], inv


def directions(Am, Bm, Mm, idx=None):
    """The derivative directions ``(Am, Bm, Mm)`` (columns ``idx``; -1: a parameter absent from
    the group, zero), each as its distinct columns and an index: the thousands of candidates of
    a CFA have about p + m distinct columns, so products with a precision matrix cost
    p^2 (p + m) per pattern instead of p^2 K."""
    if idx is not None:
        Am, Bm, Mm = (_columns(X, idx) for X in (Am, Bm, Mm))
    return [_unique_columns(X) for X in (Am, Bm, Mm)]


class CrossSum:
    """``sum_patterns w (0.5 tr(P dSigma_k P dSigma_l) + dmu_k' P dmu_l)``
    for the directions ``d1`` (k) and ``d2`` (l) of :func:`directions`, summed over patterns.

    With ``dSigma_k = a_k b_k' + b_k a_k'`` the trace of rank-2 terms is
    ``(a_k'P b_l)(b_k'P a_l) + (a_k'P a_l)(b_k'P b_l)``. Each product is accumulated over the
    patterns in the space of the distinct (a_k, b_k) pairs times the distinct columns of ``d2``
    and gathered into k x l once: FIML with hundreds of patterns and thousands of candidates
    would otherwise gather a q x K block per pattern."""

    CHUNK = 32  # patterns per batched product (memory: CHUNK x distinct pairs x distinct columns)

    def __init__(self, d1, d2, meanstructure):
        (A1, a1), (B1, b1), (M1, self.m1) = d1
        (self.A2, self.a2), (self.B2, self.b2), (self.M2, self.m2) = d2
        pairs, inv = np.unique(np.stack([a1, b1], axis=1), axis=0, return_inverse=True)
        self.rows = np.asarray(inv).reshape(-1)
        self.A1r, self.B1r, self.M1 = A1[:, pairs[:, 0]], B1[:, pairs[:, 1]], M1
        nr, na, nb = len(pairs), self.A2.shape[1], self.B2.shape[1]
        self.T_ab, self.T_aa = np.zeros((nr, nb, na)), np.zeros((nr, na, nb))
        self.meanstructure = meanstructure
        self.T_m = np.zeros((M1.shape[1], self.M2.shape[1]))
        self.buffer = []

    def add(self, w, P):
        PA2, PB2 = P @ self.A2, P @ self.B2
        # (a_k'P b_l), (b_k'P a_l), (a_k'P a_l), (b_k'P b_l) by distinct pairs and columns
        self.buffer.append((w * (self.A1r.T @ PB2), self.B1r.T @ PA2, w * (self.A1r.T @ PA2), self.B1r.T @ PB2))
        if self.meanstructure:
            self.T_m += w * (self.M1.T @ P @ self.M2)
        if len(self.buffer) == self.CHUNK:
            self._flush()

    def _flush(self):
        """Sum the buffered patterns' products as batched matrix products over the patterns."""
        if not self.buffer:
            return
        X, Y, Z, W = (np.stack(parts, axis=1) for parts in zip(*self.buffer))  # (pairs, patterns, columns)
        self.T_ab += np.matmul(X.transpose(0, 2, 1), Y)
        self.T_aa += np.matmul(Z.transpose(0, 2, 1), W)
        self.buffer = []

    def result(self):
        self._flush()
        r, a2, b2 = self.rows[:, None], self.a2[None, :], self.b2[None, :]
        out = self.T_ab[r, b2, a2] + self.T_aa[r, a2, b2]
        if self.meanstructure:
            out += self.T_m[np.ix_(self.m1, self.m2)]
        return out


def diagonal_block(P, d, meanstructure):
    """The diagonal of one pattern's :class:`CrossSum` of ``d`` with itself, without the
    off-diagonal elements."""
    (A, a), (B, b), (M, m) = d
    PA, PB = P @ A, P @ B
    out = (A.T @ PB)[a, b] ** 2 + (A.T @ PA)[a, a] * (B.T @ PB)[b, b]
    if meanstructure:
        out += (M.T @ P @ M)[m, m]
    return out


def _masked_block(P, Am, Bm, Mm, mask_cov, mask_mean, meanstructure):
    """:class:`CrossSum` of one pattern, all directions, with the fixed-x moments masked (explicit
    K x p x p path: a mask breaks the rank-2 form)."""
    D = np.einsum("ik,jk->kij", Am, Bm)
    D = (D + D.transpose(0, 2, 1)) * mask_cov
    PD = np.einsum("ij,kjl->kil", P, D)
    blk = 0.5 * np.einsum("kij,lji->kl", PD, PD)
    if meanstructure:
        Mz = Mm * mask_mean[:, None]
        blk += Mz.T @ P @ Mz
    return blk


def expected_information(eng: Engine, theta, mask_cov, mask_mean):
    """Expected information per observation, ``sum_g sum_patterns n/N (Delta' A1 Delta)``, with
    the h1 information ``A1`` zeroed in the fixed-x moments (rows and columns), as lavaan."""
    info = np.zeros((eng.q, eng.q))
    for gs, gd in zip(eng.groups, eng.data):
        Sigma, _, Am, Bm, Mm = gs.observed_moments(theta)
        if mask_cov.all():
            d = directions(Am, Bm, Mm)
            acc = CrossSum(d, d, eng.meanstructure)
            for n, P in pattern_precisions(Sigma, gd):
                acc.add(n, P)
            blk = acc.result()
        else:
            blk = sum(n * _masked_block(P, Am, Bm, Mm, mask_cov, mask_mean, eng.meanstructure)
                      for n, P in pattern_precisions(Sigma, gd))
        gs.add_matrix(info, blk)
    return info / eng.ntotal


def _columns(M, idx):
    """Columns ``idx`` of M, zero where ``idx`` is -1 (a parameter absent from the group)."""
    out = M[:, np.maximum(idx, 0)]
    out[:, idx < 0] = 0.0
    return out


def information_blocks(eng: Engine, theta, mask_cov, mask_mean, first, added):
    """``(I[first, first], I[first, added], diag I[added])`` of :func:`expected_information`.

    Without masked moments and equality constraints across the rows of a group (a CFA) the blocks
    come from :class:`CrossSum` restricted to their columns: the model's parameters against
    the candidates, not every candidate against every other."""
    if not (mask_cov.all() and all(gs.pars_unique for gs in eng.groups)):
        info = expected_information(eng, theta, mask_cov, mask_mean)
        return info[np.ix_(first, first)], info[np.ix_(first, added)], np.diag(info)[added]
    I11, I12, d22 = np.zeros((len(first), len(first))), np.zeros((len(first), len(added))), np.zeros(len(added))
    for gs, gd in zip(eng.groups, eng.data):
        Sigma, _, Am, Bm, Mm = gs.observed_moments(theta)
        local = np.full(eng.q, -1)
        local[gs.pars] = np.arange(len(gs.pars))
        d1, d2 = directions(Am, Bm, Mm, local[first]), directions(Am, Bm, Mm, local[added])
        acc11, acc12 = CrossSum(d1, d1, eng.meanstructure), CrossSum(d1, d2, eng.meanstructure)
        for n, P in pattern_precisions(Sigma, gd):
            w = n / eng.ntotal
            acc11.add(w, P)
            acc12.add(w, P)
            d22 += w * diagonal_block(P, d2, eng.meanstructure)
        I11 += acc11.result()
        I12 += acc12.result()
    return I11, I12, d22


# ---------------------------------------------------------------- standardized EPCs
def _scales(spec: ModelSpec, eng: Engine, theta):
    """Per group: sd of every variable (model-implied) and |value| of every variance row."""
    values = row_values(spec, theta, eng)
    out = []
    for g, gs in enumerate(eng.groups, start=1):
        C = gs.implied(theta)[4]
        sd = np.sqrt(np.where(np.diag(C) > 0, np.diag(C), np.nan))
        rv = {r.lhs: values[k] for k, r in enumerate(spec.rows) if r.group == g and r.op == "~~" and r.lhs == r.rhs}
        out.append((sd, rv))
    return out


def _sepc_one(r: ParRow, est, index, sd, rv, lv, ov_x, kind):
    """One standardized EPC (``kind``: "lv", "all", "nox") of row ``r`` with unsigned value
    ``est``, as lavaan's ``lav_standardize_lv`` / ``_all`` / ``_all_nox``."""
    is_lv = lambda v: v in lv
    scaled = lambda v: is_lv(v) if kind == "lv" else (is_lv(v) or not (kind == "nox" and v in ov_x))
    s = lambda v: sd[index[v]]
    if r.op == "=~":
        return est * s(r.lhs) / (s(r.rhs) if kind != "lv" or is_lv(r.rhs) else 1.0)
    if r.op == "~":
        out = est / s(r.lhs) if (is_lv(r.lhs) or kind != "lv") else est
        # sepc.nox: covariates stay in their units on the right-hand side
        return out * s(r.rhs) if scaled(r.rhs) else out
    if r.op == "~1":
        return est / s(r.lhs) if (is_lv(r.lhs) or kind != "lv") else est
    if r.lhs == r.rhs:
        return est / s(r.lhs) ** 2 if scaled(r.lhs) else est
    out = est
    for v in (r.lhs, r.rhs):
        if scaled(v):
            out = out / np.sqrt(abs(rv.get(v, np.nan)))
    return out


def _sepc(spec, ext, eng, theta, extra, epc_by_row, values):
    """(sepc.lv, sepc.all, sepc.nox) of the rows ``extra`` of the extended spec: the EPC, or for
    a freed variance its current value (``cov.std``), scaled with the model's variances."""
    index = {v: k for k, v in enumerate(spec.var_names)}
    scales = _scales(spec, eng, theta)
    lv, ov_x = set(spec.lv_names), set(spec.ov_x)
    out = np.full((len(extra), 3), np.nan)
    for n, k in enumerate(extra):
        r = ext.rows[k]
        epc = epc_by_row[n]
        sd, rv = scales[r.group - 1]
        is_var = r.op == "~~" and r.lhs == r.rhs
        base = values[k] if is_var and not (k < len(spec.rows) and spec.rows[k].exo) else epc
        if is_var and abs(base) < SMALL_VAR:
            out[n] = 0.0  # lavaan: a variance near zero has sepc 0
            continue
        for c, kind in enumerate(("lv", "all", "nox")):
            out[n, c] = np.sign(epc) * _sepc_one(r, abs(base), index, sd, rv, lv, ov_x, kind)
    return out


# ---------------------------------------------------------------- modification indices
def modindices(spec: ModelSpec, gdata, theta, na_remove=True) -> pd.DataFrame:
    """lavaan's ``modindices(fit)`` table of a model ``spec`` fitted (ML) to ``gdata`` (one
    :class:`~surveysem.sem.samplestats.GroupData` per group) at ``theta``.

    Columns ``lhs, op, rhs, group, mi, epc, sepc_lv, sepc_all, sepc_nox``, rows in lavaan's
    order; ``na_remove=False`` keeps the rows whose ``mi`` is NA.

    Example (``res = fit_model(model, hs)``)::

        res.modindices()            # R: modindices(cfa(model, data = HS))
    """
    eng = Engine(spec)
    eng.set_data(gdata)
    ext, theta_ext, extra = extended_spec(spec, eng, theta)
    eext = Engine(ext)
    eext.set_data(gdata)
    grad = eext.evaluate(theta_ext, level=1)[1]
    q = spec.npar
    add = np.array([ext.rows[k].par for k in extra], int)
    I11, I12, d22 = information_blocks(eext, theta_ext, *x_mask(spec), np.arange(q), add)
    V = d22 - np.einsum("ij,ij->j", I12, np.linalg.solve(I11, I12))
    V = np.where(V < V_MIN, np.nan, V)
    g = grad[add]
    N = eng.ntotal
    mi = N * g * g / V
    # lavaan: epc = mi / (-N score) with score = -g, and a zero score replaced by 1
    d = N * g
    d = np.where(np.abs(d) < 1e-15, 1.0, d)
    epc = -mi / d
    values = np.concatenate([row_values(spec, theta, eng), np.zeros(len(ext.rows) - len(spec.rows))])
    sepc = _sepc(spec, ext, eng, theta, extra, epc, values)
    recs = [
        dict(lhs=ext.rows[k].lhs, op=ext.rows[k].op, rhs=ext.rows[k].rhs, group=ext.rows[k].group, mi=mi[n],
             epc=epc[n], sepc_lv=sepc[n, 0], sepc_all=sepc[n, 1], sepc_nox=sepc[n, 2])
        for n, k in enumerate(extra)
    ]
    out = pd.DataFrame.from_records(recs, columns=MI_COLUMNS)
    if na_remove:
        out = out[out["mi"].notna()].reset_index(drop=True)
    return out
