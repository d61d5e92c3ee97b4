"""Robust (MLR) standard errors and test statistics, and lavaan's robust fit indices.

* :func:`sandwich` – Huber-White covariance matrix ``H^-1 B H^-1 / N`` of the estimates from
  the observed information ``H`` and the casewise scores' ``B`` (Huber 1967, White 1982;
  lavaan ``se = "robust.huber.white"``, ``lav_model_vcov``);
* :func:`yuan_bentler_factors` – scaling factors of the model and baseline chi-squares,
  ``c = (tr(A1^-1 B1) - tr(H^-1 B0)) / df`` with the saturated (h1) model's information ``A1``
  and first-order information ``B1`` (Yuan & Bentler 2000; lavaan
  ``test = "yuan.bentler.mplus"``, ``lav_test_yuan_bentler``);
* :func:`satorra_bentler` – MLM: the robust ("robust.sem") covariance matrix of the estimates
  ``E^-1 (D' W Gamma W D) E^-1 / N`` and the Satorra-Bentler scaling factors
  ``c = tr(U Gamma) / df``, ``U = W - W D E^-1 D' W``, ``E = D' W D``, from the structured h1
  expected information ``W`` at the implied moments, their Jacobian ``D`` and the sample
  fourth-moment matrix ``Gamma`` (Satorra & Bentler 1994; lavaan ``se = "robust.sem"``,
  ``test = "satorra.bentler"``, ``lav_test_satorra_bentler``, ``lav_model_nvcov_robust_sem``);
* :func:`scaled_measures` – scaled chi-square, its p-value and the "scaled" CFI / TLI / RMSEA
  (``fitMeasures``' ``*.scaled``);
* :func:`robust_indices` – robust CFI / TLI (Brosseau-Liard & Savalei 2014) and RMSEA with its
  CI (Brosseau-Liard, Savalei & Li 2012; lavaan ``lav_fit_cfi.R``, ``lav_fit_rmsea.R``);
* :func:`fiml_corrected` – their ingredients with missing data (FIML): the chi-squares of the
  complete-data discrepancy at the EM moments and their correction factors (Zhang & Savalei
  2023; lavaan ``lav_fit_fiml_corrected``, version V3 for MLR, V6 for ML).

The saturated-model blocks (:func:`_saturated_blocks`) are shared by the MLR and MLM scaling and the
FIML correction through a per-fit ``cache`` dict.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import NamedTuple

import numpy as np
from scipy import special  # chdtrc, ndtr: scipy.stats' functions without its import cost
from scipy.linalg import block_diag

from surveysem.sem.fit_indices import cfi, ndat, rmsea, rmsea_ci, tli
from surveysem.sem.identification import moment_jacobian
from surveysem.sem.numdiff import central_jacobian
from surveysem.sem.objective import Engine
from surveysem.sem.partable import ModelSpec, saturated_spec
from surveysem.sem.samplestats import GroupData

# lavaan's FIML-corrected robust indices of an ML fit need the saturated model's observed
# information: skipped above this many observed variables
FIML_ROBUST_MAX_P = 30


# ---------------------------------------------------------------- sandwich and scaling
def _inverse_information_and_scores(eng, theta, invert=np.linalg.inv):
    Hinv = invert(eng.observed_information(theta))  # per observation
    return Hinv, eng.casewise_scores(theta)


def _h0_trace(Hinv, scores, gdata, N):
    """sum_g (n_g / N) tr(H^-1 B0_g): the model's part of the Yuan-Bentler trace."""
    trace_h0 = 0.0
    for s, gd in zip(scores, gdata):
        fg = gd.n / N
        B0g = s.T @ s / gd.n
        trace_h0 += fg * float(np.sum(B0g * Hinv.T))
    return trace_h0


def sandwich(eng, theta, gdata, invert=np.linalg.inv):
    """(Huber-White covariance matrix of the free parameters, the model's Yuan-Bentler trace).
    ``invert``: the inverse of the information (under constraints, their projected inverse)."""
    N = eng.ntotal
    Hinv, scores = _inverse_information_and_scores(eng, theta, invert)
    Btot = sum(s.T @ s for s in scores)
    vcov = Hinv @ Btot @ Hinv / (N * N)
    return vcov, _h0_trace(Hinv, scores, gdata, N)


def _sub_engine(spec, g, gd):
    """Single-group saturated engine for group g (1-based) with its data, at the sample moments."""
    rows = [r for r in spec.rows if r.group == g]
    pars = sorted({r.par for r in rows})
    remap = {pp: n for n, pp in enumerate(pars)}
    sub = ModelSpec.of_observed(
        [replace(r, group=1, par=remap[r.par]) for r in rows], spec.ov_names, [], 1, spec.meanstructure, len(pars)
    )
    eng = Engine(sub)
    eng.set_data([gd])
    theta = np.array([gd.cov[r.i, r.j] if r.mat == "S" else gd.mean[r.i] for r in sub.rows])
    return sub, eng, theta


def _saturated_blocks(spec, gdata, cache=None):
    """Per group: (sub spec, engine, moments, A1 = h1 information (observed; expected =
    observed for complete data), B1 = first-order h1 information, fixed-x keep mask).
    Cached in ``cache`` (a dict) because MLR and FIML-corrected indices share it."""
    if cache is not None and "sat" in cache:
        return cache["sat"]
    sat = saturated_spec(spec)
    out = []
    xs = set(spec.ov_names.index(v) for v in spec.ov_x)
    for g, gd in enumerate(gdata, start=1):
        sub, eng, theta = _sub_engine(sat, g, gd)
        complete = len(gd.patterns) == 1 and gd.patterns[0].complete
        A1 = eng.evaluate(theta, level=2)[2] if complete else eng.observed_information(theta)
        sc = eng.casewise_scores(theta)[0]
        B1 = sc.T @ sc / gd.n
        # fixed.x: lavaan zeroes the rows of the exogenous moments and drops them
        keep = np.array([not (r.i in xs and (r.mat == "m" or r.j in xs)) for r in sub.rows])
        out.append((sub, eng, theta, A1, B1, keep))
    if cache is not None:
        cache["sat"] = out
    return out


def _h1_trace(spec, gdata, cache=None):
    """sum over groups of tr(A1^-1 B1) of the unstructured h1 model."""
    traces = []
    for sub, eng, theta, A1, B1, keep in _saturated_blocks(spec, gdata, cache):
        A1k, B1k = A1[np.ix_(keep, keep)], B1[np.ix_(keep, keep)]
        traces.append(float(np.trace(np.linalg.solve(A1k, B1k))))
    return sum(traces)


def yuan_bentler_factors(spec, gdata, trace_h0, df, base, bdf, cache=None):
    """(scaling factor of the model's chi-square, of the baseline model's)."""
    trace_h1 = _h1_trace(spec, gdata, cache)
    c = (trace_h1 - trace_h0) / df if df > 0 else float("nan")
    Hinv, scores = _inverse_information_and_scores(base.engine, base.theta)
    cb = (trace_h1 - _h0_trace(Hinv, scores, gdata, base.engine.ntotal)) / bdf
    return c, cb


# ---------------------------------------------------------------- Satorra-Bentler (MLM)
def _gamma(blocks, gdata, N):
    """Block-diagonal (over groups) ``Gamma_g / f_g``: the N-divisor covariance matrix of the
    casewise moments (vech of the centred cross-products, the rows themselves with a mean
    structure), ``A1^-1 B1 A1^-1`` of the saturated model at the sample moments."""
    out = []
    for (_sub, _eng, _th, A1, B1, keep), gd in zip(blocks, gdata):
        A1i = np.linalg.inv(A1[np.ix_(keep, keep)])
        out.append(A1i @ B1[np.ix_(keep, keep)] @ A1i / (gd.n / N))
    return block_diag(*out)


def _structured_weights(eng, theta, blocks, gdata, N):
    """Block-diagonal ``f_g W_g``: the h1 expected information at the implied moments of the
    model (``h1.information = "structured"``), per observation of each group."""
    out = []
    for g, ((sub, seng, _th, _A1, _B1, keep), gd) in enumerate(zip(blocks, gdata)):
        C, nu = eng.groups[g].implied(theta)[4:]
        moments = np.array([C[r.i, r.j] if r.mat == "S" else nu[r.i] for r in sub.rows])
        W = seng.evaluate(moments, level=2)[2]
        out.append(W[np.ix_(keep, keep)] * (gd.n / N))
    return block_diag(*out)


def _sb_parts(eng, theta, gdata, blocks, Gam, invert=np.linalg.inv):
    """(E^-1, D' W Gamma W D, tr(U Gamma)) of one model."""
    N = eng.ntotal
    keep_all = np.concatenate([block[5] for block in blocks])
    D = moment_jacobian(eng, theta)[keep_all]
    W = _structured_weights(eng, theta, blocks, gdata, N)
    WD = W @ D
    Einv = invert(D.T @ WD)
    middle = WD.T @ Gam @ WD
    return Einv, middle, float(np.sum(W * Gam.T) - np.sum(Einv * middle.T))


def _sb_ingredients(spec, gdata, cache):
    blocks = _saturated_blocks(spec, gdata, cache)
    if cache is None or "gamma" not in cache:
        gam = _gamma(blocks, gdata, sum(gd.n for gd in gdata))
        if cache is None:
            return blocks, gam
        cache["gamma"] = gam
    return blocks, cache["gamma"]


def satorra_bentler(spec, eng, theta, gdata, cache=None, invert=np.linalg.inv):
    """MLM: (robust.sem covariance matrix of the free parameters, ``tr(U Gamma)`` of the model).
    The scaling factor is the trace over the degrees of freedom. Complete data only.
    ``invert`` as in :func:`sandwich`."""
    blocks, gam = _sb_ingredients(spec, gdata, cache)
    Einv, middle, trace = _sb_parts(eng, theta, gdata, blocks, gam, invert)
    return Einv @ middle @ Einv / eng.ntotal, trace


def satorra_bentler_trace(spec, model_engine, model_theta, gdata, cache=None):
    """``tr(U Gamma)`` of another model of the same data (the baseline model)."""
    blocks, gam = _sb_ingredients(spec, gdata, cache)
    return _sb_parts(model_engine, model_theta, gdata, blocks, gam)[2]


# ---------------------------------------------------------------- indices
def scaled_measures(chisq, df, bchisq, bdf, c, cb, N, G):
    """Scaled chi-squares and the indices computed from them (lavaan's ``*.scaled``; the RMSEA
    interval, as lavaan 0.6-14, inverts the unscaled chi-square on ``c df`` degrees of freedom)."""
    lo, hi = rmsea_ci(chisq, c * df, N, G) if df > 0 and math.isfinite(c) else (float("nan"),) * 2
    scaled = chisq / c if df > 0 else chisq  # a saturated model: lavaan reports the (zero) statistic
    return dict(
        rmsea_ci_lower_scaled=lo,
        rmsea_ci_upper_scaled=hi,
        scaling_factor=c,
        chisq_scaled=scaled,
        df_scaled=df,
        pvalue_scaled=float(special.chdtrc(df, scaled)) if df > 0 else float("nan"),
        baseline_chisq_scaled=bchisq / cb,
        baseline_scaling_factor=cb,
        cfi_scaled=cfi(scaled, df, bchisq / cb, bdf),
        tli_scaled=tli(scaled, df, bchisq / cb, bdf),
        rmsea_scaled=rmsea(scaled, df, N, G) if df > 0 else float("nan"),  # lavaan: df2 = tr(U Gamma) = 0
    )


def robust_indices(x3, c3, xb, c3b, df, bdf, N, G):
    """Robust CFI, TLI and RMSEA (+ 90 % CI) from the (unscaled) chi-squares ``x3`` / ``xb`` of
    the model / baseline and their scaling factors ``c3`` / ``c3b``."""
    keys = ("cfi_robust", "tli_robust", "rmsea_robust", "rmsea_ci_lower_robust", "rmsea_ci_upper_robust")
    if df <= 0 or not all(math.isfinite(v) for v in (x3, c3, xb, c3b)):
        out = {k: float("nan") for k in keys}
        if df == 0:  # a saturated model: lavaan's lav_fit_rmsea and lav_fit_rmsea_ci give 0
            out.update(rmsea_robust=0.0, rmsea_ci_lower_robust=0.0, rmsea_ci_upper_robust=0.0)
        return out
    num = max(x3 - c3 * df, 0.0)
    den = max(x3 - c3 * df, xb - c3b * bdf, 0.0)
    t1 = (x3 - c3 * df) / df
    t2 = (xb - c3b * bdf) / bdf
    lo, hi = rmsea_ci(x3 / c3, df, N, G, scale=c3)
    return dict(zip(keys, (
        1.0 - num / den if den > 0 else 1.0,
        1.0 - t1 / t2 if t2 != 0 else float("nan"),
        math.sqrt(max(x3 - c3 * df, 0.0) / (N * df)) * math.sqrt(G),
        lo,
        hi,
    )))


# ---------------------------------------------------------------- FIML-corrected ingredients
class _Weights(NamedTuple):
    """Block-diagonal (over groups) h1 weight matrices of lav_fit_fiml_corrected."""

    Wm: np.ndarray  # f_g W_g: h1 observed information with missing data
    Wmi: np.ndarray  # W_g^-1 / f_g
    Wc: np.ndarray  # f_g Wc_g: complete-data h1 information at the EM moments
    Gam: np.ndarray  # W_g^-1 J_g W_g^-1 / f_g: h1 sandwich (J: first-order information)


def _group_weights(block, gd, fg):
    """(f W, W^-1 / f, f Wc, W^-1 J W^-1 / f) of one group, fixed-x moments dropped."""
    sub, _engine, sth, W, J, keep = block
    ceng = Engine(sub)
    ceng.set_data([GroupData.from_moments(gd.mean, gd.cov, gd.n)])
    Wcg = ceng.evaluate(sth, level=2)[2]
    W, J, Wcg = (M[np.ix_(keep, keep)] for M in (W, J, Wcg))
    Wi = np.linalg.inv(W)
    return fg * W, Wi / fg, fg * Wcg, Wi @ J @ Wi / fg


def _em_discrepancy(eng, theta, g, gd):
    """Complete-data ML discrepancy (times n) of group g's implied moments from its EM moments."""
    gs = eng.groups[g - 1]
    A, S, m, B, C, nu = gs.implied(theta)
    p = eng.p
    Sig, mu = C[:p, :p], nu[:p]
    P = np.linalg.inv(Sig)
    d = gd.mean - mu
    return gd.n * (np.linalg.slogdet(Sig)[1] + np.sum(P * gd.cov) - np.linalg.slogdet(gd.cov)[1] - p + d @ P @ d)


def _moments(eng, theta, sub_rows):
    """Model-implied moments of each group in the saturated ordering (vech Sigma, mu)."""
    out = []
    for gs in eng.groups:
        A, S, m, B, C, nu = gs.implied(theta)
        out.append(np.array([C[r.i, r.j] if r.mat == "S" else nu[r.i] for r in sub_rows]))
    return np.concatenate(out)


def _correction_trace(eng, theta, sub_rows, keep_all, w: _Weights, version, invert=np.linalg.inv):
    """tr(U Wm^-1 Wc Wm^-1 U Gamma) (V3) or tr(Wc Wm^-1 U Wm^-1) (V6), with
    ``U = Wm - Wm D (D' Wm D)^-1 D' Wm`` and ``D`` the Jacobian of the implied moments."""
    D = central_jacobian(lambda th: _moments(eng, th, sub_rows), theta, step=1e-6, nrow=len(keep_all))[keep_all]
    # lavaan recomputes the information with observed.information = "h1",
    # h1.information = "unstructured": E = Delta' Wm Delta
    Hm = D.T @ w.Wm @ D
    U = w.Wm - w.Wm @ D @ invert(Hm) @ D.T @ w.Wm
    if version == "V3":
        return float(np.trace(U @ w.Wmi @ w.Wc @ w.Wmi @ U @ w.Gam))
    return float(np.trace(w.Wc @ w.Wmi @ U @ w.Wmi))


def fiml_corrected(spec, eng, theta, gdata, base, version="V3", cache=None, invert=np.linalg.inv):
    """lavaan's FIML-C robust RMSEA/CFI ingredients (lav_fit_fiml_corrected): V3 for MLR, V6
    for ML. Returns (chi-square, scaling factor, baseline chi-square, baseline scaling factor)."""
    N = eng.ntotal
    blocks = _saturated_blocks(spec, gdata, cache)
    per_group = [_group_weights(blocks[g], gd, gd.n / N) for g, gd in enumerate(gdata)]
    w = _Weights(*(block_diag(*x) for x in zip(*per_group)))
    keep_all = np.concatenate([block[5] for block in blocks])
    sub_rows = blocks[-1][0].rows
    xx3 = 0.0
    xx3b = 0.0
    for g, gd in enumerate(gdata, start=1):
        xx3 += _em_discrepancy(eng, theta, g, gd)
        xx3b += _em_discrepancy(base.engine, base.theta, g, gd)
    c3 = _correction_trace(eng, theta, sub_rows, keep_all, w, version, invert) / (ndat(spec) - spec.npar_net)
    cb = _correction_trace(base.engine, base.theta, sub_rows, keep_all, w, version) / (ndat(spec) - base.spec.npar)
    return xx3, c3, xx3b, cb
