"""Normal-theory fit indices, as lavaan 0.6 ``fitMeasures()`` computes them.

Functions on numbers (``X2``: chi-square, ``df``: its degrees of freedom, ``xb`` / ``dfb``: the
baseline model's, ``N``: cases, ``G``: groups), with their reference and lavaan source file:

* :func:`pvalue` – upper tail of the chi-square distribution (``lav_test.R``);
* :func:`cfi` – comparative fit index; Bentler 1990 (``lav_fit_cfi.R``);
* :func:`tli` – Tucker-Lewis (non-normed fit) index; Tucker & Lewis 1973, Bentler & Bonett 1980
  (``lav_fit_cfi.R``);
* :func:`rmsea` – root mean square error of approximation, times ``sqrt(G)`` for ``G`` groups;
  Steiger & Lind 1980, Steiger 1998 (``lav_fit_rmsea.R``);
* :func:`rmsea_ci` – its 90 % confidence interval by inverting the non-central chi-square;
  Browne & Cudeck 1993 (``lav_fit_rmsea.R``);
* :func:`information_criteria` – AIC, BIC and sample-size adjusted BIC; Akaike 1974,
  Schwarz 1978, Sclove 1987 (``lav_fit_aic.R``);
* :func:`srmr_group` – Bentler's standardized root mean square residual of one group, with the
  means when there is a mean structure; Bentler 1995 (``lav_fit_srmr.R``).

Ingredients from the model and data: :func:`ndat` (sample moments, ``lav_partable_ndat``),
:func:`h1_logl` (saturated log-likelihood, ``lav_h1_logl``), :func:`x_logl` (the fixed-x
covariates' part: lavaan reports log-likelihoods conditional on the covariates), :func:`srmr_bentler`
(N-weighted mean of the groups' SRMR), :func:`fit_baseline` (the independence model,
``lav_object_independence``); :func:`fit_measures` puts them together.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from scipy import optimize as sopt
from scipy import special  # chdtrc, ndtr: scipy.stats' functions without its import cost

from surveysem.sem.objective import LOG2PI, Engine
from surveysem.sem.partable import ModelSpec, baseline_spec, ndat


# ---------------------------------------------------------------- functions on numbers
def pvalue(X2, df):
    return float(special.chdtrc(df, X2)) if df > 0 else float("nan")


def cfi(x, df, xb, dfb):
    if not (math.isfinite(x) and math.isfinite(xb)):
        return float("nan")
    num = max(x - df, 0.0)
    den = max(x - df, xb - dfb, 0.0)
    return 1.0 - num / den if den > 0 else 1.0


def tli(x, df, xb, dfb):
    if not (math.isfinite(x) and math.isfinite(xb)):
        return float("nan")
    if df <= 0 or dfb <= 0:
        return 1.0
    t2 = xb / dfb - 1.0
    return (xb / dfb - x / df) / t2 if t2 != 0 else float("nan")


def rmsea(X2, df, N, G):
    if not math.isfinite(X2):
        return float("nan")
    if df <= 0:
        return 0.0
    return math.sqrt(max(X2 / N / df - 1.0 / N, 0.0)) * math.sqrt(G)


def _ncp_solve(X2, df, target):
    # lambda such that pchisq(X2, df, lambda) = target
    f = lambda lam: special.chndtr(X2, df, lam) - target if lam > 0 else special.chdtr(df, X2) - target
    if f(0.0) < 0:
        return 0.0
    hi = max(X2, 1.0)
    while f(hi) > 0:
        hi *= 2
    return sopt.brentq(f, 0.0, hi, xtol=1e-12)


def rmsea_ci(X2, df, N, G, scale=1.0):
    """90 % interval; ``scale``: the scaling factor of a scaled ``X2`` (robust RMSEA)."""
    if not (math.isfinite(X2) and math.isfinite(scale)) or scale <= 0:
        return float("nan"), float("nan")
    if df <= 0:
        return 0.0, 0.0
    lo = _ncp_solve(X2, df, 0.95)
    hi = _ncp_solve(X2, df, 0.05)
    return (math.sqrt(scale * lo / (N * df)) * math.sqrt(G), math.sqrt(scale * hi / (N * df)) * math.sqrt(G))


def information_criteria(logl, q, N):
    """(AIC, BIC, sample-size adjusted BIC) of ``q`` free parameters and ``N`` cases."""
    return -2 * logl + 2 * q, -2 * logl + math.log(N) * q, -2 * logl + math.log((N + 2) / 24) * q


def srmr_group(S, Sigma, mean, mu, meanstructure):
    """Root mean square of the residuals in the correlation metric, ``(S - Sigma) / (sd sd')``
    over the lower triangle (and ``(mean - mu) / sd`` with a mean structure)."""
    p = len(S)
    sd = np.sqrt(np.diag(S))
    R = (S - Sigma) / np.outer(sd, sd)
    il = np.tril_indices(p)
    ss = np.sum(R[il] ** 2)
    cnt = len(il[0])
    if meanstructure:
        ss += np.sum(((mean - mu) / sd) ** 2)
        cnt += p
    return math.sqrt(ss / cnt)


# ---------------------------------------------------------------- ingredients from model and data
def h1_logl(gdata):
    """Log-likelihood of the saturated model (FIML: casewise, at the EM moments)."""
    total = 0.0
    for gd in gdata:
        if len(gd.patterns) == 1 and gd.patterns[0].complete:
            pat = gd.patterns[0]
            p = len(pat.obs)
            sign, logdet = np.linalg.slogdet(pat.cov)
            total += -0.5 * pat.n * (p * LOG2PI + logdet + p)
        else:
            for pat in gd.patterns:
                o = pat.obs
                Sig = gd.cov[np.ix_(o, o)]
                d = pat.mean - gd.mean[o]
                P = np.linalg.inv(Sig)
                sign, logdet = np.linalg.slogdet(Sig)
                total += -0.5 * pat.n * (len(o) * LOG2PI + logdet + np.sum(P * (pat.cov + np.outer(d, d))))
    return total


def x_logl(spec, gdata):
    """Saturated log-likelihood of the fixed-x covariates alone."""
    idx = [spec.ov_names.index(v) for v in spec.ov_x]
    total = 0.0
    for gd in gdata:
        Sx = gd.cov[np.ix_(idx, idx)]
        total += -0.5 * gd.n * (len(idx) * LOG2PI + np.linalg.slogdet(Sx)[1] + len(idx))
    return total


def srmr_bentler(spec, eng, theta, gdata):
    vals = []
    for gs, gd in zip(eng.groups, gdata):
        A, S, m, B, C, nu = gs.implied(theta)
        p = eng.p
        vals.append((gd.n, srmr_group(gd.cov, C[:p, :p], gd.mean, nu[:p], spec.meanstructure)))
    N = sum(n for n, _ in vals)
    return sum(n * v for n, v in vals) / N


class BaselineFit(NamedTuple):
    spec: ModelSpec
    engine: Engine
    theta: np.ndarray


def fit_baseline(spec, gdata) -> BaselineFit:
    """The independence model fitted to the same data (starts at the sample moments)."""
    bspec = baseline_spec(spec)
    beng = Engine(bspec)
    beng.set_data(gdata)
    theta = np.zeros(bspec.npar)
    for r in bspec.rows:
        if r.free:
            gd = gdata[r.group - 1]
            theta[r.par] = gd.cov[r.i, r.i] if r.mat == "S" else gd.mean[r.i]
    theta, conv, _, _ = beng.optimize(theta, max_iter=200)
    return BaselineFit(bspec, beng, theta)


def fit_measures(spec, eng, theta, gdata):
    """(lavaan's normal-theory fit measures, with "_" for ".", and the baseline fit)."""
    N = eng.ntotal
    G = spec.ngroups
    q = spec.npar_net  # less the equality constraints between expressions, as lavaan
    logl = eng.logl(theta)
    logl1 = h1_logl(gdata)
    if spec.ov_x:
        # lavaan (fixed.x = TRUE) reports the likelihood conditional on the covariates
        lx = x_logl(spec, gdata)
        logl -= lx
        logl1 -= lx
    chisq = max(2.0 * (logl1 - logl), 0.0)
    df = ndat(spec) - q
    base = fit_baseline(spec, gdata)
    blogl = base.engine.logl(base.theta) - (x_logl(spec, gdata) if spec.ov_x else 0.0)
    bchisq = 2.0 * (logl1 - blogl)
    bdf = ndat(spec) - base.spec.npar
    fit = dict(
        npar=q, nobs=N, chisq=chisq, df=df, pvalue=pvalue(chisq, df),
        baseline_chisq=bchisq, baseline_df=bdf, baseline_pvalue=pvalue(bchisq, bdf),
        cfi=cfi(chisq, df, bchisq, bdf), tli=tli(chisq, df, bchisq, bdf), rmsea=rmsea(chisq, df, N, G),
    )
    fit["rmsea_ci_lower"], fit["rmsea_ci_upper"] = rmsea_ci(chisq, df, N, G)
    fit["srmr"] = srmr_bentler(spec, eng, theta, gdata)
    fit["logl"] = logl
    fit["unrestricted_logl"] = logl1
    fit["aic"], fit["bic"], fit["bic2"] = information_criteria(logl, q, N)
    return fit, base
