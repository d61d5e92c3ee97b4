"""surveysem's own lavaan-compatible SEM engine (numpy/scipy).

Main entry point::

    from surveysem.sem import fit_model
    res = fit_model(syntax, data, estimator="ML"|"MLR"|"MLM", missing="listwise"|"fiml",
                    group=None, group_equal=(), group_partial=(), std_lv=False,
                    orthogonal=False, meanstructure=None, auto_fix_first=True)
    # lavaan's option names in either spelling: fit_model(syntax, data, **{"std.lv": True})
    res.converged, res.warnings       # statistical problems are warnings, not errors
    res.identified                    # False: singular information at the solution (SEs NaN)
    res.fit                           # dict, lavaan fitMeasures with "_" for "."
    res.estimates                     # DataFrame in lavaan's parameterEstimates order
    res.r_squared                     # {var: R2}; multi-group: {(var, group): R2}
    res.free_params, res.vcov         # free parameter vector and its covariance
    res.to_json()

What matches lavaan 0.6-14 (``sem()``/``cfa()`` defaults; tests/sem/test_sem_*.py assert
1e-3, observed differences are below 1e-5):

* ML, complete data: N-divisor likelihood, SEs from the expected information,
  chisq = 2 (logl_h1 - logl), baseline (independence) model, CFI, TLI, RMSEA with
  its 90% CI (times sqrt(G) for G groups), SRMR (Bentler; with means when there is a
  mean structure; multi-group = N-weighted mean), logl / AIC / BIC (conditional on
  fixed-x covariates, as lavaan), std.all (residual covariances standardised by
  residual variances), R², ``:=`` parameters with delta-method SEs and std.all.
* MLR: Huber-White sandwich with the observed information, Yuan-Bentler (Mplus)
  scaled chi-square, robust CFI/TLI/RMSEA (Brosseau-Liard & Savalei; for FIML the
  FIML-corrected version of lavaan's ``lav_fit_fiml_corrected``).
* MLM (complete data): robust.sem SEs (expected information and the sample fourth moments),
  Satorra-Bentler scaled chi-square, scaled and robust CFI/TLI/RMSEA as lavaan 0.6-14's
  ``fitMeasures()``; MLM with FIML is refused, as lavaan refuses it (use MLR).
* Constraints (:mod:`surveysem.sem.constraints`): ``==`` between expressions of labels and ``:=``
  parameters (``l2 == 2*l3``, ``a + b == 1``, ``a*b == c``) and inequalities ``<`` / ``>``, fitted
  under the constraints, SEs from the information projected on the active ones (lavaan's augmented
  information); lavaan's npar and df (one less per equality, none per inequality).
* Options (:mod:`surveysem.sem.options`): ``orthogonal``, ``meanstructure``, ``std.lv``,
  ``auto.fix.first``, ``group.equal``, ``group.partial`` in lavaan 0.6's dotted or 0.7's
  snake_case spelling. What lavaan accepts and surveysem does not (formative ``<~``,
  ``lower()``, sampling weights, other estimators, ...) is refused with one line
  "not supported: ..." that names the alternative.
* FIML (``missing="fiml"``, lavaan ``missing="ml"``): casewise likelihood by pattern,
  EM saturated model, SEs from the observed information; cases with every model
  variable missing are dropped (warning), and with fixed-x covariates cases missing a
  covariate are dropped too (as lavaan).  For FIML-ML, lavaan's robust (V6) indices are
  also reported for models with at most 30 observed variables.
* Multi-group: joint fit, ``group_equal`` with lavaan's ``group.equal`` semantics (user
  labels respected inside it), ``group_partial`` (lavaan's ``group.partial``), shared labels, ``==`` between labels, latent means freed in groups 2+ when
  intercepts are equal; group order = order of first appearance in the data.
* :func:`invariance_sequence` (configural/metric/scalar with lavTestLRT-style tests).
* Identification (:mod:`surveysem.sem.identification`; lavaan only warns after the fit, from
  ``lav_model_vcov``): ``df < 0`` and a rank-deficient Jacobian of the implied moments at the
  (perturbed) start values are refused with one line naming the parameters involved; a singular
  information matrix at the solution gives ``identified=False``, a warning and NaN SEs.
* Ordered indicators, WLSMV / WLSMVS (:mod:`surveysem.sem.wlsmv`, stage two): DWLS in the delta
  (default) or theta parameterization from stage one's thresholds, polychoric correlations, gamma and weights
  (:class:`OrdinalMoments`, lavaan's ``wls.obs``, ``gamma``, ``wls.v``), thresholds as ``|`` rows
  (``x1 | t1 + t2`` in the syntax), robust.sem SEs, the scaled-shifted (mean-and-variance
  adjusted) chi-square with scaling factor and shift, the baseline model of ordered data, standard
  and scaled CFI / TLI / RMSEA, the robust ones (Savalei's catML, lavaan's ``cfi.robust``), SRMR: ``fit_ordinal_moments(syntax, moments, estimator="WLSMV")``;
  ``fit_model(syntax, data, ordered=[...])`` computes stage one first (its module is imported
  lazily, :func:`surveysem.sem.ordinal_moments.stage_one_moments`). FIML is refused (pairwise).
  Single and multi-group: configural, ``group_equal`` "loadings", "thresholds" (latent means and
  scaling factors free in groups 2+, as lavaan), "intercepts" (no effect), and the scaled
  difference test of nested fits as ``lavTestLRT`` (:func:`scaled_difference_test`, Satorra 2000
  scaled-shifted), ``group_partial`` (thresholds as ``x1|t1``); not yet:
  continuous variables beside ordered ones, ordered items as predictors.
* :func:`fit_sam` (``surveysem.sem.sam``): local SAM as lavaan's ``sam(sam.method = "local")``
  with its defaults, single group, complete data (listwise): structural estimates with two-step
  SEs, z, p, 95% CI and std.all, and step 1's latent covariance matrix ``veta``.

Bootstrap surface (fast refits that reuse the parsed model and its matrices)::

    from surveysem.sem import prepare_model
    pm = prepare_model(syntax, columns=list(df.columns), estimator="ML")
    res = pm.fit(df)                       # same as fit_model
    X = df[pm.spec.ov_names].to_numpy()    # fastest input: array in ov_names order
    rng = numpy.random.default_rng(seed)
    for b in range(B):
        idx = rng.integers(0, len(X), len(X))
        vec = pm.refit_estimates(X[idx], start=res.free_params)
    # vec = [free parameters (as res.free_params),
    #        defined (:=) parameters (in syntax order),
    #        std_all of every row of res.estimates (incl. := rows)]
    # all NaN when the refit does not converge.  A DataFrame is accepted as well.

``refit_estimates`` skips SEs and fit measures and stops at a parameter change of 1e-6
(``tol=1e-7``; estimates within ~1e-6 of a full fit).  It is deterministic, so a
bootstrap is reproducible given the caller's seed.  For multi-group models pass
``group=`` and ``group_levels=`` to ``prepare_model`` and DataFrames to ``refit_estimates``.

Faster still for single-group complete-data ML (and two-stage ML): ML depends on the data only
through their moments, so ``pm.refit_moments(mean, cov, n, start, hessian)`` refits to a
resample's (EM) moments with BFGS from ``start``, ``hessian`` (e.g. the full-sample information)
as initial curvature and only likelihood gradients per iteration; for LISREL-shaped models the
gradient is formed from p x m and m x m products.  :class:`surveysem.propositions.bootstrap.ResampleRefitter`
uses it; on the bundled P4 model (58 variables, 130 parameters, two-stage ML with 4% missing
cells) a resample costs about 25 ms on 2 cores (EM moments of the resample about half of it).

Missing data: FIML evaluates the likelihood and its gradient for all rows at once
(``Engine._group_eval_rows`` with :mod:`surveysem.sem.fiml`: each incomplete row's missing block
is filled by the E-step at the model moments, one factorisation per missing-data pattern; complete
rows enter through their mean and covariance), and EM saturated moments (``surveysem.sem.em``) are
Anderson-accelerated.

Modules, one concern each (lavaan's counterparts in brackets):

* ``syntax`` – model syntax parser (``lavParseModelString``);
* ``partable`` – parameter table with lavaan's defaults, baseline and saturated models
  (``lav_partable_*``);
* ``matrices`` – RAM matrices of a group, implied moments and their derivatives (``lav_model``);
* ``samplestats`` – data per group: cases kept, missing-data patterns, sample / EM moments
  (``lav_data``, ``lav_samplestats``);
* ``em`` – EM saturated moments, and lavaan's ridged EM when they are near-singular at a small N
  (``lav_mvnorm_missing_h1_estimate_moments``);
* ``start`` – starting values (``lav_start``);
* ``identification`` – df, local identification before the fit, information rank after it
  (``lav_partable_df``, ``lav_model_vcov``'s check);
* ``objective`` – the :class:`Engine`: ML / FIML objective, gradient, expected information
  (``lav_model_objective``, ``lav_model_gradient``, ``lav_model_information_expected``);
* ``fiml`` – the FIML E-step sums over the rows of a group (``lav_mvnorm_missing_*``);
* ``optimizer`` – Fisher scoring, BFGS, trust region (``lav_model_estimate``);
* ``information`` – observed information, casewise scores (``lav_model_information_observed``,
  ``lav_scores_ml``);
* ``numdiff`` – central-difference Jacobians (``lav_func_deriv``);
* ``parameters`` – row values, defined parameters and their delta-method covariance
  (``lav_model_vcov_se``);
* ``standardize`` – std.all and R² (``lav_standardize``);
* ``fit_indices`` – chi-square, CFI, TLI, RMSEA and its CI, SRMR, logl / AIC / BIC, the
  baseline fit (``lav_fit_*``);
* ``robust`` – sandwich, Yuan-Bentler and Satorra-Bentler scaling, robust and FIML-corrected
  indices (``lav_test_yuan_bentler``, ``lav_test_satorra_bentler``, ``lav_fit_fiml_corrected``);
* ``constraints`` – general equality and inequality constraints (``lav_constraints``,
  ``nlminb.constr``, ``lav_model_information_augment_invert``);
* ``options`` – lavaan's option names and values, refusals of the unsupported ones;
* ``small_sample`` – Bartlett, Swain, Yuan (2005) and Yuan-Tian-Yanagihara corrected chi-squares
  (semTools ``chisqSmallN``);
* ``modindices`` – modification indices, ``SEMResult.modindices()`` (``modindices()``,
  ``lav_partable_full``); ``score_tests`` – score tests of equality constraints,
  ``SEMResult.score_test()`` (``lavTestScore()``); ``residuals`` – ``SEMResult.residuals(type)``
  (``resid()``, ``lav_residuals``); single and multi-group; modification indices and score tests
  of ML, FIML and MLR fits (lavaan's expected information; MLR as ML), residuals of ML with
  complete data;
* ``results`` – :class:`SEMResult` and its assembly in numbered steps (``lav_lavaan_step*``);
* ``api`` – :func:`fit_model`, :func:`prepare_model`, :class:`PreparedModel`;
* ``invariance`` – :func:`invariance_sequence`; ``cli`` – ``surveysem fit``;
* ``sam`` – :func:`fit_sam`, structural-after-measurement with lavaan's local method
  (``sam(sam.method = "local")``: one-factor blocks, ML mapping matrix, lambda-corrected latent
  covariance matrix, structural fit to it, two-step SEs).
"""

import importlib

from surveysem.sem.api import PreparedModel, fit_model, prepare_model
from surveysem.sem.em import (
    MissingLayout,
    em_moments,
    em_saturated,
    em_saturated_patterns,
    near_singular,
    rows_of_patterns,
)
from surveysem.sem.objective import LOG2PI, Engine
from surveysem.sem.parameters import defined_values, row_values
from surveysem.sem.partable import ModelSpec, ParRow, baseline_spec, build_partable
from surveysem.sem.samplestats import GroupData, Pattern, missing_patterns
from surveysem.sem.standardize import standardized
from surveysem.sem.syntax import ParsedModel, expression_names, parse_syntax

__all__ = [
    "fit_model",
    "prepare_model",
    "PreparedModel",
    "SEMResult",
    "invariance_sequence",
    "fit_sam",
    "SAMResult",
    "fit_ordinal_moments",
    "OrdinalMoments",
    "scaled_difference_test",
    "em_moments",
    "near_singular",
    "em_saturated",
    "em_saturated_patterns",
    "MissingLayout",
    "rows_of_patterns",
    "Engine",
    "GroupData",
    "Pattern",
    "missing_patterns",
    "LOG2PI",
    "ModelSpec",
    "ParRow",
    "baseline_spec",
    "build_partable",
    "assemble_result",
    "defined_values",
    "standardized",
    "row_values",
    "ParsedModel",
    "expression_names",
    "parse_syntax",
]

# loaded on first use: results (fit indices, robust statistics) imports scipy.optimize, and
# neither it nor invariance is needed by the bootstrap's refits
_LAZY = {
    "SEMResult": "surveysem.sem.results",
    "assemble_result": "surveysem.sem.results",
    "invariance_sequence": "surveysem.sem.invariance",
    "fit_sam": "surveysem.sem.sam",
    "SAMResult": "surveysem.sem.sam",
    "fit_ordinal_moments": "surveysem.sem.wlsmv",
    "OrdinalMoments": "surveysem.sem.ordinal_moments",
    "scaled_difference_test": "surveysem.sem.wlsmv_difference",
}


def __getattr__(name):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(name)
