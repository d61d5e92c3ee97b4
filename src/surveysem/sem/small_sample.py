"""Small-sample corrections of the ML chi-square, as semTools 0.5-6 ``chisqSmallN(fit)`` computes them.

Each correction multiplies the (normal-theory) likelihood-ratio statistic ``T`` by a factor
``c < 1`` that depends on the sample size; the corrected ``c T`` is referred to the chi-square with
the same ``df``. Notation as in semTools: ``N`` = cases (``lavInspect(fit, "ntotal")``; minus the
number of groups when ``sample.cov.rescale = FALSE``, which lavaan's ML does not use), ``p`` = observed
variables, ``k`` = latent variables, ``q`` = free parameters (``npar``, with the intercepts of a mean
structure), ``df`` = degrees of freedom of the model.

* :func:`bartlett_factor` – Bartlett (1950), the k-factor correction of the factor-analysis
  chi-square: ``c = 1 - (2p + 4k + 5) / (6N)``;
* :func:`swain_factor` – Swain (1975): ``c = 1 - (p(2p^2 + 3p - 1) - Q(2Q^2 + 3Q - 1)) / (12 df N)``
  with ``Q = (sqrt(1 + 8q) - 1) / 2``;
* :func:`yuan_2005_factor` – Yuan (2005), the Bartlett-type correction for SEM:
  ``c = 1 - (2p + 2k + 7) / (6N)``;
* :func:`yuan_2015_factor` – Yuan, Tian & Yanagihara (2015), the empirical correction:
  ``c = (N_total - (2.381 + 0.361 p + 0.006 q)) / N``;
* :func:`small_sample_chisq` – all four with their chi-square, df and p-value (semTools
  ``chisqSmallN(fit, smallN.method = "all")``);
* :func:`swain_fit_indices` – CFI, TLI and RMSEA recomputed from Swain-corrected statistics of the
  model *and* of the baseline (independence) model, each with its own factor, as Herzog & Boomsma
  (2009) propose (semTools reports no indices from the corrected statistics): the formulas are
  lavaan's (:mod:`surveysem.sem.fit_indices`) with ``c T`` in place of ``T``;
* :func:`small_sample_of_fit` – both for a fitted model (``SEMResult`` and its ``ModelSpec``).

References: Bartlett, M. S. (1950). Tests of significance in factor analysis. *British Journal of
Psychology, Statistical Section*, 3, 77-85. Swain, A. J. (1975). *Analysis of parametric structures for
variance matrices* (PhD thesis, University of Adelaide). Yuan, K.-H. (2005). Fit indices versus test
statistics. *Multivariate Behavioral Research*, 40, 115-148. Yuan, K.-H., Tian, Y., & Yanagihara, H.
(2015). Empirical correction to the likelihood ratio statistic for structural equation modeling with
many variables. *Psychometrika*, 80, 379-405. Herzog, W., & Boomsma, A. (2009). Small-sample robust
estimators of noncentrality-based and incremental model fit. *Structural Equation Modeling*, 16, 1-27.

Example
-------
>>> round(swain_factor(p=9, q=21, df=24, N=100), 6)
0.959792
"""

from __future__ import annotations

import math

from surveysem.sem.fit_indices import cfi, pvalue, rmsea, tli

__all__ = ["bartlett_factor", "swain_factor", "yuan_2005_factor", "yuan_2015_factor", "small_sample_chisq", "small_sample_of_fit"]

METHODS = ("swain", "yuan_2015", "yuan_2005", "bartlett")


def bartlett_factor(p: int, k: int, N: float) -> float:
    """Bartlett (1950): ``1 - (2p + 4k + 5) / (6N)`` (semTools ``smallN.method = "bartlett"``).

    >>> round(bartlett_factor(9, 3, 100), 6)
    0.941667
    """
    return 1.0 - (2 * p + 4 * k + 5) / (6.0 * N)


def swain_factor(p: int, q: int, df: float, N: float) -> float:
    """Swain (1975): ``1 - (p(2p^2 + 3p - 1) - Q(2Q^2 + 3Q - 1)) / (12 df N)``,
    ``Q = (sqrt(1 + 8q) - 1) / 2`` (semTools ``smallN.method = "swain"``)."""
    Q = (math.sqrt(1 + 8 * q) - 1) / 2
    num = p * (2 * p**2 + 3 * p - 1) - Q * (2 * Q**2 + 3 * Q - 1)
    return 1.0 - num / (12.0 * df * N)


def yuan_2005_factor(p: int, k: int, N: float) -> float:
    """Yuan (2005): ``1 - (2p + 2k + 7) / (6N)`` (semTools ``smallN.method = "yuan.2005"``)."""
    return 1.0 - (2 * p + 2 * k + 7) / (6.0 * N)


def yuan_2015_factor(p: int, q: int, N: float, n_total: float | None = None) -> float:
    """Yuan, Tian & Yanagihara (2015): ``(N_total - (2.381 + 0.361 p + 0.006 q)) / N``
    (semTools ``smallN.method = "yuan.2015"``; ``N_total`` = all cases, ``N`` as in the module
    docstring, the same unless ``sample.cov.rescale = FALSE``)."""
    n_total = N if n_total is None else n_total
    return (n_total - (2.381 + 0.361 * p + 0.006 * q)) / N


def small_sample_chisq(chisq: float, df: float, N: float, p: int, k: int, q: int,
                       n_total: float | None = None) -> dict:
    """Every correction of semTools ``chisqSmallN(fit, smallN.method = "all")``:
    ``{method: {"chisq": c T, "df": df, "pvalue": P(chi2_df > c T), "factor": c}}`` for the methods
    ``swain``, ``yuan_2015``, ``yuan_2005``, ``bartlett`` (semTools' ``smallN.factor`` is ``factor``).

    >>> r = small_sample_chisq(49.55, 24, 100, p=9, k=3, q=21)
    >>> round(r["bartlett"]["chisq"], 4)
    46.6596
    """
    factors = {
        "swain": swain_factor(p, q, df, N),
        "yuan_2015": yuan_2015_factor(p, q, N, n_total),
        "yuan_2005": yuan_2005_factor(p, k, N),
        "bartlett": bartlett_factor(p, k, N),
    }
    out = {}
    for method in METHODS:
        c = factors[method]
        x = chisq * c
        out[method] = {"chisq": x, "df": df, "pvalue": pvalue(x, df), "factor": c}
    return out


def swain_fit_indices(chisq: float, df: float, baseline_chisq: float, baseline_df: float, N: float, p: int,
                      q: int, n_moments: int, groups: int = 1) -> dict:
    """CFI, TLI and RMSEA from the Swain-corrected chi-squares of the model (``q`` free
    parameters) and of the baseline model (``n_moments - baseline_df`` free parameters), Herzog &
    Boomsma (2009). ``n_moments`` = the sample moments the models fit (``df + q``).

    >>> r = swain_fit_indices(120.0, 24, 900.0, 36, N=100, p=9, q=21, n_moments=45)
    >>> round(r["factor"], 6), round(r["baseline_factor"], 6), round(r["rmsea"], 4)
    (0.959792, 0.964219, 0.1949)
    """
    q_baseline = n_moments - baseline_df
    c_model, c_base = swain_factor(p, q, df, N), swain_factor(p, q_baseline, baseline_df, N)
    x, xb = chisq * c_model, baseline_chisq * c_base
    return {"factor": c_model, "baseline_factor": c_base, "chisq": x, "baseline_chisq": xb,
            "cfi": cfi(x, df, xb, baseline_df), "tli": tli(x, df, xb, baseline_df), "rmsea": rmsea(x, df, N, groups)}


def small_sample_of_fit(result, spec) -> dict:
    """:func:`small_sample_chisq` of a fitted model, plus ``"statistic"``: the statistic corrected.
    ``T`` = ``result.fit["chisq"]``, or ``"chisq_scaled"`` of a robust (MLR) fit, as semTools (which
    warns that the corrections were developed for the normal-theory statistic); ``N`` = its cases
    (lavaan's ML rescales the sample covariance, so semTools uses ``N`` itself); ``p`` and ``k`` from
    ``spec`` (observed and latent variables); ``q`` = ``npar``. Empty when the model has no
    chi-square test (``df = 0``)."""
    fit = result.fit
    statistic = "chisq_scaled" if fit.get("chisq_scaled") is not None else "chisq"
    chisq, df = fit.get(statistic), fit.get("df")
    if chisq is None or not df or not math.isfinite(chisq):
        return {}
    p, q = len(spec.ov_names), int(fit["npar"])
    out = small_sample_chisq(float(chisq), df, fit["nobs"], p=p, k=len(spec.lv_names), q=q)
    base_stat = "baseline_chisq_scaled" if statistic == "chisq_scaled" else "baseline_chisq"
    baseline_chisq, baseline_df = fit.get(base_stat), fit.get("baseline_df")
    if baseline_chisq is not None and baseline_df and math.isfinite(baseline_chisq):
        out["swain_indices"] = swain_fit_indices(float(chisq), df, float(baseline_chisq), baseline_df, fit["nobs"], p,
                                                 q, n_moments=int(df + q), groups=int(getattr(result, "ngroups", 1)))
    return {"statistic": statistic, **out}
