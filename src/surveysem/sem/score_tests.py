"""Score (Lagrange multiplier) tests of the equality constraints of a fitted model, as lavaan's
``lavTestScore(fit)`` (ML, FIML, MLR; ``lav_test_score.R``).

surveysem ties constrained rows to one parameter (:mod:`surveysem.sem.partable`); lavaan keeps
one parameter per row and a constraint matrix ``R`` (``con.jac``). The test works in lavaan's
form: the *released* model has one parameter per free row, evaluated at the constrained
estimates, with gradient ``g`` of ``f = -logl / N`` and expected information ``I`` per
observation (lavaan's default ``information = "expected"``; for FIML the structured expected
information, pattern by pattern, :func:`surveysem.sem.modindices.expected_information`). An
MLR fit gets the same, ordinary test: lavaan 0.6-14 has no robust score test and warns
"se is not `standard'; ... falling back to ordinary score test". The constraints are

* the user's ``a == b`` (between the first rows carrying the labels), named by the labels;
* each remaining tie (a shared label, ``group_equal``): the first row of the tie equal to each
  later row, named by lavaan's plabels ``.pK.`` (``K``: the row's position in the table).

Total test (all constraints released): ``X2 = N g' I^+ g`` with ``df`` the number of
constraints. Univariate test of constraint ``r`` (only it released): ``X2 = N g' Z^+_11 g``
with ``Z = [[I, R_-r'], [R_-r, 0]]``. ``^+`` is the Moore-Penrose inverse with MASS::ginv's
tolerance (singular values below ``sqrt(eps)`` times the largest are dropped).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
from scipy import special

from surveysem.sem.modindices import expected_information, x_mask
from surveysem.sem.objective import Engine
from surveysem.sem.partable import ModelSpec, _Ties

GINV_TOL = np.sqrt(np.finfo(float).eps)


def released_spec(spec: ModelSpec):
    """(spec with one parameter per free row, released index of each row (-1: fixed))."""
    rows, index = [], []
    for r in spec.rows:
        if r.free:
            index.append(len(index) - index.count(-1))
            rows.append(replace(r, par=index[-1]))
        else:
            index.append(-1)
            rows.append(r)
    q = sum(1 for i in index if i >= 0)
    return replace(spec, rows=rows, npar=q), np.array(index, int)


def _first_row(spec, label):
    return next(k for k, r in enumerate(spec.rows) if r.label == label)


def constraints(spec: ModelSpec):
    """[(name lhs, name rhs, row k1, row k2)]: the user's ``==`` first, then the ties they do
    not imply (see the module docstring)."""
    out = []
    ties = _Ties(len(spec.rows))
    for c in spec.constraints:
        k1, k2 = _first_row(spec, c.expr), _first_row(spec, c.rhs_expr)
        out.append((c.expr, c.rhs_expr, k1, k2))
        ties.union(k1, k2)
    first = {}
    for k, r in enumerate(spec.rows):
        if not r.free:
            continue
        k0 = first.setdefault(r.par, k)
        if k0 != k and ties.find(k0) != ties.find(k):
            out.append((f".p{k0 + 1}.", f".p{k + 1}.", k0, k))
            ties.union(k0, k)
    return out


def _pvalue(df, x2):
    """``1 - pchisq(x2, df)``; a statistic at zero less rounding (X2 = -1e-12) has p = 1, as in R."""
    return float(special.chdtrc(df, max(x2, 0.0)))


def _ginv(M):
    return np.linalg.pinv(M, rcond=GINV_TOL, hermitian=True)


def _released_stat(N, g, info, R):
    """``N g' Z^+_11 g`` with the constraints ``R`` kept (none: ``I^+``)."""
    q = len(g)
    if len(R) == 0:
        return float(N * g @ _ginv(info) @ g)
    Z = np.block([[info, R.T], [R, np.zeros((len(R), len(R)))]])
    return float(N * g @ _ginv(Z)[:q, :q] @ g)


def _score_parts(spec: ModelSpec, gdata, theta):
    """(constraints, N, gradient g and expected information of the released model, R)."""
    cons = constraints(spec)
    if not cons:
        raise ValueError("the model has no equality constraints")
    rel, index = released_spec(spec)
    eng = Engine(rel)
    eng.set_data(gdata)
    theta_rel = np.array([theta[r.par] for r in spec.rows if r.free])
    g = eng.evaluate(theta_rel, level=1)[1]
    # lavaan's information = "expected" (FIML: structured, pattern by pattern)
    info = expected_information(eng, theta_rel, *x_mask(rel))
    R = np.zeros((len(cons), rel.npar))
    for n, (_, _, k1, k2) in enumerate(cons):
        R[n, index[k1]], R[n, index[k2]] = 1.0, -1.0
    return cons, eng.ntotal, g, info, R


def score_test(spec: ModelSpec, gdata, theta, release=None):
    """(total test, univariate tests) of lavaan's ``lavTestScore(fit)``: a dict ``X2, df,
    p_value`` and a DataFrame ``lhs, op, rhs, X2, df, p_value`` (one row per constraint, with
    the rows it ties: ``lhs_row``, ``rhs_row``, indices into ``spec.rows``).

    ``release`` (indices of constraints, lavaan's ``lavTestScore(fit, release = )``): the total
    test releases those only (df = their number) and the univariate tests are theirs.

    Example (``res = fit_model("visual =~ x1 + a*x2 + b*x3 ... a == b", hs)``)::

        total, uni = res.score_test()       # R: lavTestScore(fit)
    """
    cons, N, g, info, R = _score_parts(spec, gdata, theta)
    idx = list(range(len(cons))) if release is None else [int(r) for r in release]
    x2 = _released_stat(N, g, info, np.delete(R, idx, axis=0))
    total = dict(X2=x2, df=len(idx), p_value=_pvalue(len(idx), x2))
    recs = []
    for n in idx:
        lhs, rhs, k1, k2 = cons[n]
        x2r = _released_stat(N, g, info, np.delete(R, n, axis=0))
        recs.append(dict(lhs=lhs, op="==", rhs=rhs, X2=x2r, df=1, p_value=_pvalue(1, x2r),
                         lhs_row=k1, rhs_row=k2))
    return total, pd.DataFrame.from_records(recs)


def released_tests(spec: ModelSpec, gdata, theta, sets):
    """[(X2, df, p_value)]: per set of constraint indices (into :func:`constraints`), the score
    test of releasing that set together (lavaan's ``lavTestScore(fit, release = set)$test``)."""
    _, N, g, info, R = _score_parts(spec, gdata, theta)
    out = []
    for idx in sets:
        x2 = _released_stat(N, g, info, np.delete(R, list(idx), axis=0))
        out.append((x2, len(idx), _pvalue(len(idx), x2)))
    return out
