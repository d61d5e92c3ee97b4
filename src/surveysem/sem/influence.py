"""Each case's first-order influence on the free parameters of an ML fit.

``theta_hat - theta = sum_i IF_i + o_p(n^-1/2)`` with ``IF_i = V s_i``: ``s_i`` the case's score
(the gradient of its log-likelihood, FIML's over its observed variables) and ``V`` the ML
covariance matrix of the estimates (the inverse of the sample's information). ``sum_i IF_i
IF_i'`` is the Huber-White sandwich, MLR's covariance matrix.

Two-step estimators need it: the error of step 1 enters step 2 together with its covariance with
step 2's own estimating equations, ``Var(sum_i [psi_i + G IF_i])``; the usual two-step formula
``Var(psi) + G V G'`` (lavaan's ``se = "twostep"``) leaves that covariance out.
"""

from __future__ import annotations

import numpy as np

from surveysem.errors import SurveySemError
from surveysem.sem.objective import Engine


def case_influence(res) -> np.ndarray:
    """(n x q) influence of each case on the free parameters of a single-group fit ``res``
    (an :class:`~surveysem.sem.results.SEMResult` of ``fit_model``), rows in the order of the
    data it was fitted to (after any listwise deletion)."""
    if res.context is None or res.vcov is None:
        raise SurveySemError("case influence needs a fit_model result with its covariance matrix")
    spec, gdata = res.context
    if len(gdata) != 1:
        raise SurveySemError("case influence: single-group fits only")
    eng = Engine(spec)
    eng.set_data(gdata)
    scores = eng.casewise_scores(np.asarray(res.free_params, dtype=float))[0]
    rows = np.concatenate([p.rows for p in gdata[0].patterns])
    ordered = np.empty_like(scores)
    ordered[rows] = scores
    return ordered @ np.asarray(res.vcov, dtype=float)
