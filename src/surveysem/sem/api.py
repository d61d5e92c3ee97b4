"""``fit_model`` / ``prepare_model``: a model parsed once and fitted to data (lavaan's
``sem()`` / ``cfa()`` with ``lavaan()``'s steps: parse, parameter table, data, start values,
estimation, result), and the fast refits of the bootstrap."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from surveysem.errors import SurveySemError
from surveysem.sem.constraints import Constraints, constrained_optimize
from surveysem.sem.identification import check_df, check_local
from surveysem.sem.objective import Engine
from surveysem.sem.options import normalise_options
from surveysem.sem.parameters import defined_values
from surveysem.sem.partable import ModelSpec, build_partable
from surveysem.sem.samplestats import GroupData, data_warnings, group_data, split_groups
from surveysem.sem.standardize import standardized
from surveysem.sem.start import start_values
from surveysem.sem.syntax import parse_syntax

if TYPE_CHECKING:
    from surveysem.sem.results import SEMResult

ESTIMATORS = ("ML", "MLR", "MLM")
# estimators of ordered indicators (surveysem.sem.wlsmv: DWLS from stage-one statistics)
ORDINAL_ESTIMATORS = ("WLSMV", "WLSMVS")
MISSING = ("listwise", "fiml")
# lavaan estimators and missing-data methods the engine does not have (refused as "not supported")
LAVAAN_ESTIMATORS = ("MLMV", "MLMVS", "MLF", "GLS", "WLS", "DWLS", "ULS", "WLSM", "ULSM",
                     "ULSMV", "ULSMVS", "PML", "FML", "REML", "MML", "BAYES", "DLS", "NTRLS", "IV", "MOM", "FABIN",
                     "BENTLER1982", "GUTTMAN1952", "DEFAULT")
LAVAAN_MISSING = ("ml.x", "two.stage", "robust.two.stage", "pairwise", "available.cases", "doubly.robust",
                  "direct", "default")


def checked_methods(estimator, missing):
    """(estimator, missing-data method) in the engine's spelling; lavaan's others refused with one
    "not supported:" line naming the alternative."""
    estimator = str(estimator).upper()
    if estimator in ORDINAL_ESTIMATORS:
        raise SurveySemError(f"estimator {estimator} is for ordered indicators: give ordered=[...] (fit_model) or "
                             "--ordered (surveysem fit)", value=estimator)
    if estimator in LAVAAN_ESTIMATORS:
        raise SurveySemError(f"not supported: estimator {estimator}; use ML, MLR (robust, also with fiml) "
                             "or MLM (Satorra-Bentler, complete data)", value=estimator)
    if estimator not in ESTIMATORS:
        raise SurveySemError(f"unknown estimator {estimator!r}; use ML, MLR or MLM", value=estimator)
    if missing in ("ml", "fiml", "FIML"):
        missing = "fiml"
    if missing in LAVAAN_MISSING:
        raise SurveySemError(f"not supported: missing = {missing}; use fiml (lavaan's 'ml') or listwise", value=missing)
    if missing not in MISSING:
        raise SurveySemError(f"unknown missing-data method {missing!r}; use listwise or fiml", value=missing)
    if estimator == "MLM" and missing == "fiml":
        # lavaan: 'missing="ml" is not allowed for estimator "MLM"' (Gamma needs complete rows)
        raise SurveySemError("not supported: estimator MLM with missing = fiml (MLM needs complete data); "
                             "use estimator MLR with fiml, or MLM with missing = listwise", value=estimator)
    return estimator, missing


class PreparedModel:
    """A parsed model with its matrices, ready to be fitted to data of the same layout."""

    def __init__(
        self,
        syntax,
        columns,
        *,
        estimator="ML",
        missing="listwise",
        group=None,
        group_levels=None,
        group_equal=(),
        group_partial=(),
        std_lv=False,
        max_iter=500,
        orthogonal=False,
        meanstructure=None,
        auto_fix_first=True,
    ):
        estimator, missing = checked_methods(estimator, missing)
        self.syntax = syntax
        self.estimator = estimator
        self.missing = missing
        self.group = group
        self.group_levels = list(group_levels) if group_levels is not None else None
        self.group_equal = tuple(group_equal)
        self.group_partial = (group_partial,) if isinstance(group_partial, str) else tuple(group_partial)
        self.std_lv = std_lv
        self.max_iter = max_iter
        # lavaan's FIML-corrected robust indices of an ML fit with missing data (rmsea_robust, ...):
        # costly, and of no use where only chi-square differences are read (invariance sequences)
        self.fiml_robust_indices = True
        # standard errors (the information matrix): not needed where only fit statistics are read
        self.standard_errors = True
        ngroups = len(self.group_levels) if self.group_levels else 1
        if meanstructure is False and (ngroups > 1 or missing == "fiml"):
            raise SurveySemError("not supported: meanstructure = FALSE with groups or missing = fiml (their "
                                 "likelihood needs the means); leave meanstructure at its default")
        parsed = parse_syntax(syntax)
        self.spec: ModelSpec = build_partable(
            parsed,
            ngroups=ngroups,
            # lavaan's meanstructure = "default": TRUE with groups or FIML
            meanstructure=bool(meanstructure) or ngroups > 1 or missing == "fiml",
            std_lv=std_lv,
            group_equal=self.group_equal,
            group_partial=self.group_partial,
            available=list(columns),
            orthogonal=orthogonal,
            auto_fix_first=auto_fix_first,
        )
        check_df(self.spec)
        self.engine = Engine(self.spec)
        # constraints other than ties (== between expressions, <, >): constrained optimisation
        self.constraints = Constraints(self.spec)
        # local identification is a property of the model: full rank at one random point means
        # full rank almost everywhere, so a prepared model refitted to many data sets checks it once
        # (empirical under-identification is still checked at every solution: information_rank)
        self.locally_identified = False

    # ---------------------------------------------------------------- data
    def _split_data(self, data: pd.DataFrame):
        """(one array per group, warnings, cases dropped): :func:`~surveysem.sem.samplestats.split_groups`."""
        return split_groups(self.spec, data, self.missing, self.group, self.group_levels)

    # patterns and moments of one group's array (``em=False``: no EM moments, for fast refits)
    _group_data = staticmethod(group_data)

    # ---------------------------------------------------------------- fit
    def _estimate(self, gdata, theta0, default_start, degenerate, warnings):
        """Optimisation from ``theta0``; if that fails from the default start values, a second
        attempt with small cross-loadings. ``degenerate`` data get no fallback optimisers."""
        eng = self.engine
        if self.constraints:
            theta, converged, iters, msg = constrained_optimize(eng, self.constraints, theta0, self.max_iter)
            if msg:
                warnings.append(msg)
            return theta, converged, iters
        theta, converged, iters, msg = eng.optimize(theta0, max_iter=self.max_iter, fallback=not degenerate)
        if not converged and default_start and self.max_iter >= 20 and not degenerate:
            alt0 = start_values(self.spec, gdata, small_cross=True)
            if not np.allclose(alt0, theta0):
                alt, ok, it2, msg2 = eng.optimize(alt0, max_iter=self.max_iter)
                if ok:
                    theta, converged, iters, msg = alt, ok, iters + it2, msg2
        if msg:
            warnings.append(msg)
        if not converged:
            warnings.append(f"did not converge after {iters} iterations")
        return theta, converged, iters

    def fit(self, data: pd.DataFrame, start=None) -> SEMResult:
        # results (fit indices, robust statistics) loads scipy.optimize: only when a full fit is made
        from surveysem.sem.results import assemble_result

        groups, warnings, n_dropped = self._split_data(data)
        gdata = [group_data(Xg) for Xg in groups]
        self.engine.set_data(gdata)
        warnings += data_warnings(self.spec, gdata, self.group_levels)
        theta0 = start_values(self.spec, gdata) if start is None else np.asarray(start, float)
        if not self.locally_identified:
            check_local(self.spec, self.engine, theta0, self.group_levels, self.constraints)
            self.locally_identified = True
        degenerate = any(w.startswith(("zero variance", "sample covariance matrix is not")) for w in warnings)
        with np.errstate(all="ignore"):
            theta, converged, iters = self._estimate(gdata, theta0, start is None, degenerate, warnings)
            return assemble_result(self, gdata, theta, converged, iters, warnings, n_dropped)

    def _refit_vector(self, theta, converged):
        """Free parameters, defined parameters, std.all of every row: NaN when not converged."""
        out = np.concatenate([theta, defined_values(self.spec, theta), standardized(self.spec, self.engine, theta)])
        if not converged:
            out[:] = np.nan
        return out

    def refit_estimates(self, data, start=None, max_iter=100, tol=1e-7):
        """Fast refit (no SEs, no fit measures): returns free parameters, then defined
        (:=) parameters, then std_all of all estimate rows (same order as
        ``res.estimates``), as one vector.  NaN-filled if the fit fails.

        ``data`` is a DataFrame, or (single-group models) a 2-D array whose columns
        are ``self.spec.ov_names`` in that order (fastest).  ``tol`` = 1e-7 gives
        estimates within about 1e-6 of a fully converged fit."""
        if isinstance(data, np.ndarray) and self.spec.ngroups == 1:
            X = np.asarray(data, float)
            X = X[~np.isnan(X).any(axis=1)] if self.missing == "listwise" else X[~np.isnan(X).all(axis=1)]
            groups = [X]
        else:
            groups, _, _ = self._split_data(data)
        gdata = [group_data(Xg, em=start is None) for Xg in groups]
        eng = self.engine
        eng.set_data(gdata)
        theta0 = start_values(self.spec, gdata) if start is None else np.asarray(start, float)
        with np.errstate(all="ignore"):
            if self.constraints:
                theta, converged, _, _ = constrained_optimize(eng, self.constraints, theta0, max_iter)
            else:
                theta, converged, _, _ = eng.optimize(theta0, max_iter=max_iter, tol=tol)
            return self._refit_vector(theta, converged)

    def refit_moments(self, mean, cov, n, start, hessian, max_iter=100, tol=1e-7):
        """Fast refit of a single-group, complete-data model to sample moments: ``mean`` and
        ``cov`` (N divisor) of ``n`` rows, e.g. a resample's moments or its EM moments (two-stage
        ML). ML depends on complete data only through these, so this is the refit of the rows
        without touching them. Quasi-Newton from ``start`` with ``hessian`` as the initial
        curvature (:meth:`Engine.quasi_newton`). Returns the vector of :meth:`refit_estimates`
        (NaN-filled when the refit does not converge)."""
        if self.spec.ngroups != 1:
            raise SurveySemError("refit_moments needs a single-group model")
        if self.constraints:
            raise SurveySemError("not supported: refit_moments of a model with inequality constraints or '==' "
                                 "between expressions; use refit_estimates")
        eng = self.engine
        eng.set_data([GroupData.from_moments(mean, cov, n)])
        with np.errstate(all="ignore"):
            theta, converged, _ = eng.quasi_newton(start, hessian, max_iter=max_iter, tol=tol)
            return self._refit_vector(theta, converged)


def prepare_model(syntax, columns, **options) -> PreparedModel:
    """:class:`PreparedModel` of ``syntax`` for data with ``columns``; ``options``: its keyword
    arguments (``estimator``, ``missing``, ``group``, ``group_levels``, ``group_equal``,
    ``group_partial``, ``std_lv``, ``orthogonal``, ``meanstructure``, ``auto_fix_first``,
    ``max_iter``), lavaan's option names in their dotted or snake_case spelling
    (:func:`surveysem.sem.options.normalise_options`)."""
    own = {k: options.pop(k) for k in ("group_levels", "max_iter") if k in options}
    return PreparedModel(syntax, columns, **normalise_options(options), **own)


# fit_model's defaults of the options that lavaan_options may spell otherwise
FIT_DEFAULTS = {"estimator": "ML", "missing": "listwise", "group": None, "group_equal": (), "group_partial": (),
                "std_lv": False}


def fit_model(
    syntax: str,
    data: pd.DataFrame,
    *,
    estimator: str = "ML",
    missing: str = "listwise",
    group: str | None = None,
    group_equal: tuple = (),
    group_partial: tuple = (),
    std_lv: bool = False,
    ordered=None,
    max_iter: int = 500,
    fiml_robust_indices: bool = True,
    standard_errors: bool = True,
    **lavaan_options,
) -> SEMResult:
    """Fit a model in lavaan syntax (see the package docstring). ``fiml_robust_indices=False``
    skips lavaan's FIML-corrected robust RMSEA/CFI/TLI of an ML fit with missing data;
    ``standard_errors=False`` (ML only) skips the information matrix: SEs, z and p are NaN.
    ``group_equal`` / ``group_partial`` are lavaan's ``group.equal`` / ``group.partial``
    (``lavaan()``): parameter names such as ``"visual=~x3"``, ``"x3~1"``, ``"x1~~x1"`` are
    freed from the equality constraints, and user labels are respected inside them.
    ``lavaan_options``: further lavaan options (``orthogonal``, ``meanstructure``,
    ``auto_fix_first``) and any of the above in lavaan's dotted or snake_case spelling, e.g.
    ``**{"std.lv": True, "group.equal": ["loadings"]}`` (:mod:`surveysem.sem.options`).
    ``ordered``: the ordered items (a list, or ``True`` / ``"all"`` for all the model's observed
    variables) with ``estimator="WLSMV"`` (the default then) or ``"WLSMVS"``, and lavaan's
    ``parameterization`` (``"delta"``, the default, or ``"theta"``): stage one
    (thresholds, polychoric correlations, gamma) from the data, then
    :func:`surveysem.sem.wlsmv.fit_ordinal_moments` (:func:`_fit_ordinal`). The model's observed
    variables not in ``ordered`` are continuous (polyserial correlations, free intercepts and
    variances, one group); exogenous covariates need ``conditional_x=False``."""
    if ordered is not None and ordered is not False:
        return _fit_ordinal(syntax, data, ordered, estimator, missing, group, group_equal, std_lv, max_iter,
                            {**lavaan_options, "group_partial": group_partial})
    named = {"estimator": estimator, "missing": missing, "group": group, "group_equal": group_equal,
             "group_partial": group_partial, "std_lv": std_lv}
    for key, value in normalise_options(lavaan_options).items():
        if key in named and named[key] != FIT_DEFAULTS[key] and named[key] != value:
            raise SurveySemError(f"option {key} is given twice (dotted and snake_case spellings)", value=key)
        named[key] = value
    return _fit_model(syntax, data, named, max_iter, fiml_robust_indices, standard_errors)


def _fit_model(syntax, data, options, max_iter, fiml_robust_indices, standard_errors):
    """:func:`fit_model` with its options normalised."""
    group = options.get("group")
    if not isinstance(data, pd.DataFrame):
        raise SurveySemError("data must be a pandas DataFrame")
    levels = None
    if group is not None:
        if group not in data.columns:
            raise SurveySemError(f"group column {group!r} is not a column of the data", column=group)
        levels = list(pd.unique(data[group].dropna().astype(str)))
        if len(levels) < 2:
            raise SurveySemError(f"group column {group!r} has fewer than two groups", column=group)
    pm = PreparedModel(syntax, list(data.columns), group_levels=levels, max_iter=max_iter, **options)
    pm.fiml_robust_indices = fiml_robust_indices
    pm.standard_errors = standard_errors
    return pm.fit(data)


# ---------------------------------------------------------------- ordered indicators (WLSMV)
def _ordered_items(syntax, ordered, columns):
    """(the model's observed variables, those of them declared ordered); the others are
    continuous (modelled beside the ordered ones, as lavaan)."""
    from surveysem.sem.partable import variable_names

    ov = variable_names([t for t in parse_syntax(syntax).terms if t.op != "|"]).ov
    absent = [v for v in ov if v not in columns]
    if absent:
        raise SurveySemError(f"variable {absent[0]!r} is not a column of the data", column=absent[0])
    if ordered is True or (isinstance(ordered, str) and ordered.lower() == "all"):
        return ov, ov
    ordered = [ordered] if isinstance(ordered, str) else list(ordered)
    unknown = [v for v in ordered if v not in columns]
    if unknown:
        raise SurveySemError(f"ordered item {unknown[0]!r} is not a column of the data", column=unknown[0])
    items = [v for v in ov if v in ordered]
    if not items:
        raise SurveySemError("none of the model's observed variables is declared ordered; fit without ordered "
                             "(continuous estimators) or name the ordered items", value=",".join(ordered))
    return ov, items


def _fit_ordinal(syntax, data, ordered, estimator, missing, group, group_equal, std_lv, max_iter, other):
    """``fit_model(..., ordered=...)``: the hook between stage one (imported lazily by
    :func:`surveysem.sem.ordinal_moments.stage_one_moments`) and stage two
    (:func:`surveysem.sem.wlsmv.fit_ordinal_moments`)."""
    from surveysem.sem.ordinal_moments import stage_one_moments
    from surveysem.sem.wlsmv import fit_ordinal_moments

    estimator = "WLSMV" if str(estimator).upper() == "ML" else str(estimator).upper()
    if estimator not in ORDINAL_ESTIMATORS:
        raise SurveySemError(f"not supported: estimator {estimator} with ordered indicators; use WLSMV or WLSMVS "
                             "(or leave ordered out to treat the items as continuous)", value=estimator)
    if str(missing).lower() in ("ml", "fiml", "ml.x"):
        raise SurveySemError("FIML is not available for ordinal indicators; use missing = 'pairwise' (pairwise-present "
                             "data, as lavaan) or 'listwise'", value=missing)
    if missing not in ("listwise", "pairwise"):
        raise SurveySemError(f"unknown missing-data method {missing!r} for ordered indicators; use pairwise or "
                             "listwise", value=missing)
    other = dict(other)
    parameterization = str(other.pop("parameterization", "delta")).lower()
    conditional_x = other.pop("conditional_x", other.pop("conditional.x", None))
    options = normalise_options(other)
    group_partial = options.pop("group_partial", ())
    group_equal = options.pop("group_equal", group_equal)
    if options:
        raise SurveySemError(f"not supported: option(s) {', '.join(sorted(options))} with ordered indicators; "
                             "WLSMV takes group, group_equal, group_partial, std_lv, missing, parameterization and "
                             "conditional_x",
                             value=min(options))
    if not isinstance(data, pd.DataFrame):
        raise SurveySemError("data must be a pandas DataFrame")
    variables, items = _ordered_items(syntax, ordered, data.columns)
    levels = None
    frame = data[variables + ([group] if group else [])]
    if group is not None:
        if group not in data.columns:
            raise SurveySemError(f"group column {group!r} is not a column of the data", column=group)
        frame = frame[frame[group].notna()]
        levels = list(pd.unique(frame[group].astype(str)))
    if missing == "listwise":
        frame = frame.dropna(subset=variables)
    stage = stage_one_moments(frame, items, group=group, variables=None if variables == items else variables)
    moments = stage.moments
    if levels is not None and all(lab is not None for lab in stage.labels):
        by_label = {str(lab): m for lab, m in zip(stage.labels, moments)}
        if set(by_label) != set(levels):
            raise SurveySemError(f"stage one's groups {sorted(by_label)} are not the data's {sorted(levels)}",
                                 column=group)
        moments = [by_label[k] for k in levels]
    res = fit_ordinal_moments(syntax, moments, estimator=estimator, std_lv=std_lv, group_equal=group_equal,
                              group_partial=group_partial, group_labels=levels, parameterization=parameterization,
                              max_iter=max_iter, conditional_x=conditional_x)
    res.warnings[:0] = [f"stage one: {w}" for w in stage.warnings]
    return res
