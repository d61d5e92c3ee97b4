"""The result of a fit (:class:`SEMResult`) and its assembly from the estimates
(:func:`assemble_result`), in numbered steps as lavaan's ``lav_lavaan_step*.R``:

1. covariance matrix of the free parameters (lavaan step 13, ``lav_lavaan_step13_vcov_boot``):
   inverse expected information (ML), inverse observed information (FIML), the Huber-White
   sandwich (MLR) or the robust.sem sandwich (MLM, :mod:`surveysem.sem.robust`); under general
   constraints each inverse is the one under the active constraints
   (:mod:`surveysem.sem.constraints`); a singular information matrix at the solution
   marks the result not identified (:mod:`surveysem.sem.identification`, lavaan's ``lav_model_vcov``
   check), with NaN SEs;
2. the parameter estimates table (``parameterEstimates()``): estimates, SEs, z, p, std.all
   (:mod:`surveysem.sem.standardize`), defined parameters with delta-method SEs
   (:mod:`surveysem.sem.parameters`);
3. Heywood-case warnings (lavaan's post-fit check, ``lav_object_post_check``);
4. normal-theory test and fit measures, with the baseline model (steps 14 and 15,
   ``lav_lavaan_step14_test``, ``lav_lavaan_step15_baseline``, then ``fitMeasures()``;
   :mod:`surveysem.sem.fit_indices`);
5. scaled and robust statistics (MLR, MLM; FIML-corrected for ML with missing data;
   :mod:`surveysem.sem.robust`);
6. the :class:`SEMResult` (step 17, ``lav_lavaan_step17_lavaan``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import special  # chdtrc, ndtr: scipy.stats' functions without its import cost

from surveysem.errors import SurveySemError

from surveysem.sem.fit_indices import fit_measures
from surveysem.sem.identification import information_rank
from surveysem.sem.numdiff import NotEvaluable
from surveysem.sem.parameters import defined_vcov, row_values
from surveysem.sem.robust import (
    FIML_ROBUST_MAX_P,
    fiml_corrected,
    robust_indices,
    sandwich,
    satorra_bentler,
    satorra_bentler_trace,
    scaled_measures,
    yuan_bentler_factors,
)
from surveysem.sem.standardize import r_squared, standardized

ESTIMATE_COLUMNS = ["lhs", "op", "rhs", "group", "label", "est", "se", "z", "pvalue", "std_all", "free", "par"]


@dataclass
class SEMResult:
    converged: bool
    warnings: list
    fit: dict
    estimates: pd.DataFrame
    r_squared: dict
    free_params: np.ndarray
    estimator: str = "ML"
    ngroups: int = 1
    group_labels: list = field(default_factory=list)
    vcov: np.ndarray | None = None
    iterations: int = 0
    n_dropped: int = 0
    # False: the information matrix at the solution is singular (empirical under-identification,
    # surveysem.sem.identification.information_rank); the SEs are NaN and a warning says why
    identified: bool = True
    # (model spec, data per group) of the fit, for the diagnostics that re-evaluate the model
    # (modification indices, score tests, residuals); not serialised
    context: tuple | None = field(default=None, repr=False, compare=False)
    # WLSMV / WLSMVS: (ordinal model, stage-one moments) for the scaled difference test
    # (surveysem.sem.wlsmv_difference); not serialised
    ordinal_context: tuple | None = field(default=None, repr=False, compare=False)

    def _diagnostics_context(self, residuals=False):
        """(spec, data) for the diagnostics; what lavaan computes differently from them is refused."""
        if self.estimator in ("WLSMV", "WLSMVS"):
            raise SurveySemError(f"not supported: modification indices, score tests and residuals of {self.estimator} "
                                 "fits; fit the items as continuous (ML or MLR) for them")
        if self.context is None:
            raise SurveySemError("this result carries no model and data (diagnostics need a result of fit_model)")
        spec, gdata = self.context
        fiml = any(len(gd.patterns) > 1 for gd in gdata)
        if residuals and (self.estimator != "ML" or fiml):
            raise SurveySemError("not supported: residuals of MLR or FIML fits; "
                                 "fit with estimator ML on complete data (listwise) for them")
        if self.estimator not in ("ML", "MLR"):
            raise SurveySemError(f"not supported: modification indices and score tests of {self.estimator} fits; "
                                 "fit with estimator ML or MLR for them")
        if fiml and spec.ov_x:
            raise SurveySemError("not supported: modification indices and score tests of FIML fits with fixed-x "
                                 "covariates; fit on complete data (listwise) for them")
        return self.context

    def modindices(self, na_remove=True):
        """:func:`surveysem.sem.modindices.modindices` of this fit (R: ``modindices(fit)``; ML, FIML
        and MLR, whose indices are those of ML as in lavaan)."""
        from surveysem.sem.modindices import modindices

        spec, gdata = self._diagnostics_context()
        _refuse_general_constraints(spec, "modification indices")
        return modindices(spec, gdata, self.free_params, na_remove=na_remove)

    def score_test(self, release=None):
        """:func:`surveysem.sem.score_tests.score_test` of this fit (R: ``lavTestScore(fit)``; ML,
        FIML and MLR, the ordinary test as lavaan's)."""
        from surveysem.sem.score_tests import score_test

        spec, gdata = self._diagnostics_context()
        _refuse_general_constraints(spec, "score tests")
        return score_test(spec, gdata, self.free_params, release=release)

    def released_score_tests(self, sets):
        """:func:`surveysem.sem.score_tests.released_tests`: per set of constraint indices, the score
        test of releasing them together (R: ``lavTestScore(fit, release = set)$test``)."""
        from surveysem.sem.score_tests import released_tests

        spec, gdata = self._diagnostics_context()
        _refuse_general_constraints(spec, "score tests")
        return released_tests(spec, gdata, self.free_params, sets)

    def residuals(self, type="raw"):
        """:func:`surveysem.sem.residuals.residuals` of this fit (R: ``resid(fit, type)``)."""
        from surveysem.sem.residuals import residuals

        spec, gdata = self._diagnostics_context(residuals=True)
        return residuals(spec, gdata, self.free_params, type=type)

    def to_json(self) -> dict:
        keys = ["chisq", "df", "pvalue", "cfi", "tli", "rmsea", "rmsea_ci_lower", "rmsea_ci_upper", "srmr", "aic",
                "bic", "npar", "nobs"]
        if self.estimator in ("MLR", "MLM"):
            keys += [
                "chisq_scaled",
                "pvalue_scaled",
                "scaling_factor",
                "cfi_robust",
                "tli_robust",
                "rmsea_robust",
                "rmsea_ci_lower_robust",
                "rmsea_ci_upper_robust",
            ]
        if self.estimator in ("WLSMV", "WLSMVS"):
            keys += ["chisq_scaled", "df_scaled", "pvalue_scaled", "scaling_factor", "shift_parameter", "cfi_scaled",
                     "tli_scaled", "rmsea_scaled", "cfi_robust", "tli_robust", "rmsea_robust"]
        fit = {k: _jsonable(self.fit.get(k)) for k in keys}
        est = []
        for r in self.estimates.itertuples(index=False):
            d = {
                "lhs": r.lhs,
                "op": r.op,
                "rhs": r.rhs,
                "est": _jsonable(r.est),
                "se": _jsonable(r.se),
                "pvalue": _jsonable(r.pvalue),
                "std_all": _jsonable(r.std_all),
            }
            if self.ngroups > 1:
                d["group"] = int(r.group)
            est.append(d)
        return {"fit": fit, "estimates": est, "converged": bool(self.converged), "warnings": list(self.warnings)}


def _refuse_general_constraints(spec, what):
    if spec.general_constraints:
        raise SurveySemError(f"not supported: {what} of a model with inequality constraints or '==' between "
                             "expressions; drop them (or tie labels, a == b) for the diagnostics")


def _jsonable(v):
    if v is None:
        return None
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    v = float(v)
    if not math.isfinite(v):
        return None
    return float(f"{v:.10g}")


# ---------------------------------------------------------------- step 1: vcov
def _inverse(pm, theta):
    """Inverse of an information matrix: under general constraints, the inverse under the active
    ones (:meth:`surveysem.sem.constraints.Constraints.projected_inverse`)."""
    cons = getattr(pm, "constraints", None)
    return (lambda M: cons.projected_inverse(M, theta)) if cons else np.linalg.inv


def _parameter_vcov(pm, gdata, theta, warnings, cache=None):
    """(covariance matrix of the free parameters, the model's Yuan-Bentler (MLR) or Satorra-Bentler
    (MLM) trace or None,
    False when the information matrix at the solution is singular (:func:`information_rank`):
    the model is not identified there and the covariance matrix is NaN)."""
    spec, eng = pm.spec, pm.engine
    q = spec.npar
    vcov = None
    trace_h0 = None
    if pm.estimator == "ML" and not getattr(pm, "standard_errors", True):
        return np.full((q, q), np.nan), None, True
    info = eng.evaluate(theta, level=2)[2]
    cons = getattr(pm, "constraints", None)
    reason = information_rank(spec, info, pm.group_levels, cons.null_basis(theta) if cons else None)
    invert = _inverse(pm, theta)
    try:
        if pm.estimator == "MLR":
            vcov, trace_h0 = sandwich(eng, theta, gdata, invert)
        elif pm.estimator == "MLM":
            vcov, trace_h0 = satorra_bentler(spec, eng, theta, gdata, cache, invert)
        elif reason is not None:
            vcov = np.full((q, q), np.nan)
        elif pm.missing == "fiml":
            vcov = invert(eng.observed_information(theta, warnings)) / eng.ntotal
        else:
            vcov = invert(info) / eng.ntotal
    except np.linalg.LinAlgError:
        warnings.append("information matrix is singular: standard errors not available (model may not be identified)")
        vcov = np.full((q, q), np.nan)
    except NotEvaluable as err:
        warnings.append(f"observed information not available: the likelihood is {err} (estimates at the boundary "
                        "of the parameter space); standard errors are NaN")
        vcov = np.full((q, q), np.nan)
    if reason is not None:
        warnings.append(f"{reason}; standard errors are NaN")
        vcov = np.full((q, q), np.nan)
    if np.any(np.diag(vcov) < 0):
        warnings.append("some estimated variances of parameters are negative: standard errors unreliable")
    return vcov, trace_h0, reason is None


# ---------------------------------------------------------------- step 2: estimates table
def _r_expr(expr):
    """A defined parameter's expression as lavaan prints it."""
    return expr.replace("**", "^").replace(" ", "")


def _z_and_p(est, se):
    z = est / se if se > 0 else np.nan
    return z, (2 * special.ndtr(-abs(z)) if np.isfinite(z) else np.nan)


def _estimates_table(spec, theta, vals, std, vcov):
    """lavaan's ``parameterEstimates()`` rows; ``par`` is the index of the row's parameter in
    ``free_params`` / refit vectors (-1: fixed or :=); rows tied by equality constraints share it."""
    se_par = np.sqrt(np.where(np.diag(vcov) >= 0, np.diag(vcov), np.nan))
    recs = []
    for k, r in enumerate(spec.rows):
        if r.free:
            se = se_par[r.par]
            z, pv = _z_and_p(vals[k], se)
        else:
            se, z, pv = 0.0, np.nan, np.nan
        recs.append(dict(lhs=r.lhs, op=r.op, rhs=r.rhs, group=r.group, label=r.label, est=vals[k], se=se, z=z,
                         pvalue=pv, std_all=std[k], free=bool(r.free), par=int(r.par)))
    if spec.definitions:
        dv, dcov = defined_vcov(spec, theta, vcov)
        for n, d in enumerate(spec.definitions):
            se = math.sqrt(dcov[n, n]) if dcov[n, n] >= 0 else np.nan
            z, pv = _z_and_p(dv[n], se)
            recs.append(dict(lhs=d.name, op=":=", rhs=_r_expr(d.expr), group=0 if spec.ngroups > 1 else 1,
                             label=d.name, est=dv[n], se=se, z=z, pvalue=pv, std_all=std[len(spec.rows) + n],
                             free=False, par=-1))
    return pd.DataFrame.from_records(recs, columns=ESTIMATE_COLUMNS)


# ---------------------------------------------------------------- step 3: Heywood cases
def _is_endo(spec, v):
    return any((r.op == "=~" and r.rhs == v) or (r.op == "~" and r.lhs == v) for r in spec.rows)


def _heywood_warnings(spec, vals, std, group_levels):
    """Negative variances, and standardized loadings / covariances beyond +-1."""
    out = []
    G = spec.ngroups
    for k, r in enumerate(spec.rows):
        if r.op == "~~" and r.lhs == r.rhs and r.free and vals[k] < -1e-10:
            what = "residual variance" if r.lhs in spec.ov_names or _is_endo(spec, r.lhs) else "variance"
            tag = f" in group {group_levels[r.group - 1]}" if G > 1 else ""
            out.append(f"Heywood case: negative {what} for {r.lhs} ({vals[k]:.3g}){tag}")
    for k, r in enumerate(spec.rows):
        if r.op in ("=~", "~~") and r.lhs != r.rhs and np.isfinite(std[k]) and abs(std[k]) > 1 + 1e-8:
            tag = f" in group {group_levels[r.group - 1]}" if G > 1 else ""
            out.append(f"Heywood case: standardized {r.lhs} {r.op} {r.rhs} is {std[k]:.3g} (|value| > 1){tag}")
    return out


# ---------------------------------------------------------------- step 5: robust statistics
def _robust_measures(pm, gdata, theta, fit, base, trace_h0, cache):
    """MLR, MLM: scaled statistics and robust indices; ML with missing data (small models): lavaan's
    FIML-corrected robust indices; otherwise nothing."""
    spec, eng = pm.spec, pm.engine
    N, G = eng.ntotal, spec.ngroups
    chisq, df, bchisq, bdf = fit["chisq"], fit["df"], fit["baseline_chisq"], fit["baseline_df"]
    fiml = pm.missing == "fiml"
    out = {}
    if pm.estimator == "MLR":
        c, cb = yuan_bentler_factors(spec, gdata, trace_h0, df, base, bdf, cache)
        out.update(scaled_measures(chisq, df, bchisq, bdf, c, cb, N, G))
        # robust versions (Brosseau-Liard & Savalei; lavaan 0.6)
        if fiml:
            corrected = fiml_corrected(spec, eng, theta, gdata, base, "V3", cache, _inverse(pm, theta))
            out.update(robust_indices(*corrected, df, bdf, N, G))
        else:
            out.update(robust_indices(chisq, c, bchisq, cb, df, bdf, N, G))
    elif pm.estimator == "MLM":
        # Satorra-Bentler: the same scaled and robust indices from tr(U Gamma) / df
        c = trace_h0 / df if df > 0 else float("nan")
        cb = satorra_bentler_trace(spec, base.engine, base.theta, gdata, cache) / bdf
        out.update(scaled_measures(chisq, df, bchisq, bdf, c, cb, N, G))
        out.update(robust_indices(chisq, c, bchisq, cb, df, bdf, N, G))
    elif fiml and df > 0 and len(spec.ov_names) <= FIML_ROBUST_MAX_P and getattr(pm, "fiml_robust_indices", True):
        # lavaan reports FIML-corrected (V6) robust indices for ML with missing data too
        corrected = fiml_corrected(spec, eng, theta, gdata, base, "V6", cache, _inverse(pm, theta))
        out.update(robust_indices(*corrected, df, bdf, N, G))
    return out


def assemble_result(pm, gdata, theta, converged, iters, warnings, n_dropped):
    """The :class:`SEMResult` of a prepared model ``pm`` whose engine holds ``gdata``, at the
    estimates ``theta``; ``warnings`` (a list) receives the statistical problems found."""
    spec, eng = pm.spec, pm.engine
    # ---- Step 1. Covariance matrix of the free parameters. ML: inverse expected
    # information; FIML: inverse observed information; MLR: Huber-White sandwich, whose
    # h0 trace the Yuan-Bentler scaling of step 5 reuses.
    cache = {}
    vcov, trace_h0, identified = _parameter_vcov(pm, gdata, theta, warnings, cache)

    # ---- Step 2. Estimates table: every parameter-table row (fixed-x rows at the sample
    # moments), then the defined parameters with delta-method SEs; std.all for all of them.
    vals = row_values(spec, theta, eng)
    std = standardized(spec, eng, theta)
    est = _estimates_table(spec, theta, vals, std, vcov)

    # ---- Step 3. Heywood cases: statistical problems are warnings, not errors.
    warnings += _heywood_warnings(spec, vals, std, pm.group_levels)

    # ---- Step 4. Normal-theory fit measures, against the saturated model (chi-square) and
    # the independence model (CFI, TLI); the baseline fit is kept for step 5.
    fit, base = fit_measures(spec, eng, theta, gdata)

    # ---- Step 5. Scaled and robust statistics; the saturated-model blocks are shared by the
    # MLR scaling and the FIML correction through `cache`.
    fit.update(_robust_measures(pm, gdata, theta, fit, base, trace_h0, cache))

    # ---- Step 6. The result.
    return SEMResult(
        converged=bool(converged),
        warnings=warnings,
        fit=fit,
        estimates=est,
        r_squared=r_squared(spec, eng, theta),
        free_params=np.array(theta),
        estimator=pm.estimator,
        ngroups=spec.ngroups,
        group_labels=list(pm.group_levels or []),
        vcov=vcov,
        iterations=iters,
        n_dropped=n_dropped,
        identified=identified,
        context=(spec, gdata),
    )
