"""The scaled difference test of two nested WLSMV / WLSMVS fits as lavaan 0.6-14's ``lavTestLRT``
computes it for them (``method = "satorra.2000"``, ``A.method = "delta"``, ``scaled.shifted =
TRUE``; ``lav_test_diff_Satorra2000``, ``lav_test_diff_A``):

- ``A``: the rows orthogonal to ``H = D1^+ D0`` (the restricted model's Jacobian expressed in the
  free one's parameters, both at their own estimates; QR as ``lav_matrix_orthogonal_complement``);
- ``M = P^-1 A' (A P^-1 A')^+ A P^-1`` with ``P = sum_g f_g D1_g' W_g D1_g`` (expected information
  of the less restricted model) and ``Q = sum_g f_g D1_g' W_g Gamma_g W_g D1_g``;
- ``tr(U Gamma) = tr(M Q)``, ``tr((U Gamma)^2) = tr(M Q M Q)``;
- ``a = sqrt(m / tr((U Gamma)^2))``, ``b = m - a tr(U Gamma)`` and the statistic ``(T0 - T1) a + b``
  on ``m = df0 - df1`` degrees of freedom, ``T`` the unscaled chi-squares.

:func:`ordinal_invariance_sequence`: the configural / metric / scalar sequence of ordered indicators
(scalar = equal thresholds and loadings) with these tests.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import special

from surveysem.errors import SurveySemError


def _jacobians(res):
    model, moments = res.ordinal_context
    return np.vstack([model.jacobian(res.free_params, g) for g in range(len(moments))]), moments


def _orthogonal_complement_rows(H):
    """The rows spanning the complement of the column space of ``H`` (R's ``qr()`` rank)."""
    Q, R = np.linalg.qr(H, mode="complete")
    d = np.abs(np.diag(R)) if R.size else np.zeros(0)
    rank = int(np.sum(d > 1e-7 * max(d.max(initial=0.0), 1.0)))
    return Q[:, rank:].T


def scaled_difference_test(res1, res0) -> dict:
    """lavaan's ``lavTestLRT(fit1, fit0)`` row for WLSMV / WLSMVS fits of the same stage-one
    statistics: ``res1`` the less restricted model, ``res0`` the restricted one. Returns
    ``chisq_diff`` (the scaled-shifted difference), ``df_diff``, ``pvalue``, ``a``, ``b``,
    ``trace_ugamma``, ``trace_ugamma2``."""
    for res in (res1, res0):
        if getattr(res, "ordinal_context", None) is None:
            raise SurveySemError("the scaled difference test needs two WLSMV / WLSMVS fits (fit_ordinal_moments)")
    if res1.fit["df"] > res0.fit["df"]:
        res1, res0 = res0, res1  # lavTestLRT orders the models by their df
    moments, moments0 = res1.ordinal_context[1], res0.ordinal_context[1]
    if len(moments) != len(moments0) or any(a.nobs != b.nobs or not np.array_equal(a.wls_obs, b.wls_obs)
                                            for a, b in zip(moments, moments0)):
        raise SurveySemError("the scaled difference test needs two fits of the same stage-one statistics")
    m = res0.fit["df"] - res1.fit["df"]
    diff = res0.fit["chisq"] - res1.fit["chisq"]
    nan = float("nan")
    if m == 0:
        return {"chisq_diff": diff, "df_diff": 0, "pvalue": nan, "a": nan, "b": nan, "trace_ugamma": nan,
                "trace_ugamma2": nan}
    D1, _ = _jacobians(res1)
    D0, _ = _jacobians(res0)
    A = _orthogonal_complement_rows(np.linalg.pinv(D1) @ D0)
    N = sum(mo.nobs for mo in moments)
    sizes = np.cumsum([0] + [len(mo.wls_v) for mo in moments])
    P = np.zeros((D1.shape[1],) * 2)
    Q = np.zeros_like(P)
    for g, mo in enumerate(moments):
        f = mo.nobs / N
        Dg = D1[sizes[g]:sizes[g + 1]]
        WD = mo.wls_v[:, None] * Dg
        P += f * Dg.T @ WD
        Q += f * WD.T @ mo.gamma @ WD
    P_inv = np.linalg.inv(P)
    M = P_inv @ A.T @ np.linalg.pinv(A @ P_inv @ A.T) @ A @ P_inv
    MQ = M @ Q
    tr1, tr2 = float(np.trace(MQ)), float(np.sum(MQ * MQ.T))
    a = math.sqrt(m / tr2)
    b = m - a * tr1
    stat = diff * a + b
    return {"chisq_diff": stat, "df_diff": m, "pvalue": float(special.chdtrc(m, stat)), "a": a, "b": b,
            "trace_ugamma": tr1, "trace_ugamma2": tr2}


# ordered indicators: scalar invariance equates thresholds and loadings (lavaan's group.equal)
ORDINAL_LEVELS = {"configural": (), "metric": ("loadings",), "scalar": ("thresholds", "loadings")}
ORDINAL_FIT_KEYS = ("chisq", "df", "pvalue", "chisq_scaled", "df_scaled", "pvalue_scaled", "scaling_factor",
                    "shift_parameter", "cfi", "tli", "rmsea", "cfi_scaled", "tli_scaled", "rmsea_scaled", "srmr",
                    "npar")


def ordinal_invariance_sequence(syntax, moments, *, estimator="WLSMV", std_lv=False,
                                levels=("configural", "metric", "scalar"), parameterization="delta", group_partial=()):
    """The configural, metric and scalar WLSMV fits of ``syntax`` to the stage-one ``moments`` (one
    :class:`~surveysem.sem.ordinal_moments.OrdinalMoments` per group) with the scaled difference
    test of each model against the previous one (lavTestLRT's) and the differences of the scaled
    CFI / RMSEA and of SRMR: a table as :func:`surveysem.sem.invariance.invariance_sequence`'s;
    ``group_partial`` (``x1|t1``, ``f=~x1``) frees those parameters in every model."""
    from surveysem.sem.wlsmv import fit_ordinal_moments

    rows, prev = [], None
    for name in levels:
        res = fit_ordinal_moments(syntax, moments, estimator=estimator, std_lv=std_lv, group_equal=ORDINAL_LEVELS[name],
                                  group_partial=group_partial, parameterization=parameterization)
        row = {"model": name, **{k: res.fit[k] for k in ORDINAL_FIT_KEYS}}
        if prev is None:
            row.update(delta_chisq=math.nan, delta_df=math.nan, delta_p=math.nan, delta_cfi=math.nan,
                       delta_rmsea=math.nan, delta_srmr=math.nan)
        else:
            test = scaled_difference_test(prev, res)
            row.update(delta_chisq=test["chisq_diff"], delta_df=test["df_diff"], delta_p=test["pvalue"],
                       delta_cfi=res.fit["cfi_scaled"] - prev.fit["cfi_scaled"],
                       delta_rmsea=res.fit["rmsea_scaled"] - prev.fit["rmsea_scaled"],
                       delta_srmr=res.fit["srmr"] - prev.fit["srmr"])
        row["converged"] = res.converged
        row["warnings"] = "; ".join(res.warnings)
        rows.append(row)
        prev = res
    return pd.DataFrame(rows)
