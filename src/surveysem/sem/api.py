"""``fit_model`` / ``prepare_model``: data handling, estimation, fit measures, output."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from surveysem.errors import SurveySemError
from surveysem.sem.em import em_saturated_patterns
from surveysem.sem.engine import Engine, GroupData, Pattern
from surveysem.sem.model import ModelSpec, build_partable
from surveysem.sem.syntax import parse_syntax

ESTIMATORS = ("ML", "MLR")
MISSING = ("listwise", "fiml")


# ====================================================================== result
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

    def to_json(self) -> dict:
        keys = [
            "chisq",
            "df",
            "pvalue",
            "cfi",
            "tli",
            "rmsea",
            "rmsea_ci_lower",
            "rmsea_ci_upper",
            "srmr",
            "aic",
            "bic",
            "npar",
            "nobs",
        ]
        if self.estimator == "MLR":
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


# ====================================================================== prepared model
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
        std_lv=False,
        max_iter=500,
    ):
        estimator = str(estimator).upper()
        if estimator not in ESTIMATORS:
            raise SurveySemError(f"unknown estimator {estimator!r}; use ML or MLR", value=estimator)
        if missing in ("ml", "fiml", "FIML"):
            missing = "fiml"
        if missing not in MISSING:
            raise SurveySemError(f"unknown missing-data method {missing!r}; use listwise or fiml", value=missing)
        self.syntax = syntax
        self.estimator = estimator
        self.missing = missing
        self.group = group
        self.group_levels = list(group_levels) if group_levels is not None else None
        self.group_equal = tuple(group_equal)
        self.std_lv = std_lv
        self.max_iter = max_iter
        # lavaan's FIML-corrected robust indices of an ML fit with missing data (rmsea_robust, ...):
        # costly, and of no use where only chi-square differences are read (invariance sequences)
        self.fiml_robust_indices = True
        # standard errors (the information matrix): not needed where only fit statistics are read
        self.standard_errors = True
        ngroups = len(self.group_levels) if self.group_levels else 1
        parsed = parse_syntax(syntax)
        self.spec: ModelSpec = build_partable(
            parsed,
            ngroups=ngroups,
            meanstructure=(ngroups > 1 or missing == "fiml"),
            std_lv=std_lv,
            group_equal=self.group_equal,
            available=list(columns),
        )
        self.engine = Engine(self.spec)
        self._base = None

    # ---------------------------------------------------------------- data
    def _split_data(self, data: pd.DataFrame):
        spec = self.spec
        ov = spec.ov_names
        warnings = []
        for c in ov:
            if c not in data.columns:
                raise SurveySemError(f"variable {c!r} is not a column of the data", column=c)
            if not pd.api.types.is_numeric_dtype(data[c]):
                bad = pd.to_numeric(data[c], errors="coerce")
                mask = bad.isna() & data[c].notna()
                if mask.any():
                    row = int(np.argmax(mask.to_numpy())) + 2
                    raise SurveySemError(
                        f"column {c!r} is not numeric", column=c, row=row, value=str(data[c][mask].iloc[0])
                    )
        sub = data[ov]
        if all(pd.api.types.is_numeric_dtype(t) for t in sub.dtypes):
            X = sub.to_numpy(dtype=float, na_value=np.nan)
        else:
            X = sub.apply(pd.to_numeric, errors="coerce").to_numpy(float)
        if self.group:
            if self.group not in data.columns:
                raise SurveySemError(f"group column {self.group!r} is not a column of the data", column=self.group)
            gcol = data[self.group].astype(object)
            levels = self.group_levels
            gmask = gcol.notna().to_numpy()
            gval = gcol.astype(str).to_numpy()
        else:
            levels = [None]
            gmask = np.ones(len(X), bool)
            gval = None
        miss = np.isnan(X)
        if self.missing == "listwise":
            keep = ~miss.any(axis=1) & gmask
        else:
            keep = ~miss.all(axis=1) & gmask
            nall = int((miss.all(axis=1) & gmask).sum())
            if nall:
                warnings.append(f"{nall} case(s) with all model variables missing were dropped")
            if spec.ov_x:
                # lavaan (fixed.x = TRUE) deletes cases with missing exogenous covariates
                xi = [ov.index(v) for v in spec.ov_x]
                xmiss = keep & miss[:, xi].any(axis=1)
                if xmiss.any():
                    warnings.append(
                        f"{int(xmiss.sum())} case(s) with missing values in exogenous covariate(s)"
                        " were dropped (fixed.x)"
                    )
                    keep &= ~xmiss
        n_dropped = int(len(X) - keep.sum())
        groups = []
        for lev in levels:
            sel = keep & (gval == lev if lev is not None else True)
            Xg = X[sel]
            if len(Xg) < 2:
                raise SurveySemError(
                    f"too few complete cases ({len(Xg)}) to fit the model" + (f" in group {lev!r}" if lev else "")
                )
            groups.append(Xg)
        return groups, warnings, n_dropped

    def _group_data(self, Xg, em=True):
        """Patterns of one group.  ``em=False`` (fast refits) skips the EM saturated
        moments and stores pairwise moments instead (used only for fixed-x values,
        which are complete, and start values)."""
        p = Xg.shape[1]
        miss = np.isnan(Xg)
        if not miss.any():
            mean = Xg.mean(axis=0)
            E = Xg - mean
            cov = E.T @ E / len(Xg)
            pat = Pattern(np.arange(p), len(Xg), mean, cov, Xg, True)
            return GroupData([pat], len(Xg), mean, cov)
        # FIML patterns
        keys = [tuple(r) for r in (~miss).astype(np.int8)]
        order = {}
        for i, k in enumerate(keys):
            order.setdefault(k, []).append(i)
        pats = []
        for k in sorted(order.keys(), reverse=True):
            idx = np.array(order[k])
            o = np.flatnonzero(np.array(k, bool))
            Xo = Xg[np.ix_(idx, o)]
            mean = Xo.mean(axis=0)
            E = Xo - mean
            pats.append(Pattern(o, len(idx), mean, E.T @ E / len(idx), Xo, len(o) == p))
        if not em:
            df = pd.DataFrame(Xg)
            return GroupData(pats, len(Xg), df.mean().to_numpy(), df.cov(ddof=0).to_numpy())
        mean_em, cov_em = em_saturated(pats, p)
        return GroupData(pats, len(Xg), mean_em, cov_em)

    # ---------------------------------------------------------------- fit
    def fit(self, data: pd.DataFrame, start=None) -> SEMResult:
        from surveysem.sem.results import assemble_result

        groups, warnings, n_dropped = self._split_data(data)
        gdata = [self._group_data(Xg) for Xg in groups]
        eng = self.engine
        eng.set_data(gdata)
        warnings += _data_warnings(self.spec, gdata, self.group_levels)
        theta0 = start_values(self.spec, gdata, self.std_lv) if start is None else np.asarray(start, float)
        degenerate = any(w.startswith(("zero variance", "sample covariance matrix is not")) for w in warnings)
        with np.errstate(all="ignore"):
            theta, converged, iters, msg = eng.optimize(theta0, max_iter=self.max_iter, fallback=not degenerate)
            if not converged and start is None and self.max_iter >= 20 and not degenerate:
                alt0 = start_values(self.spec, gdata, self.std_lv, small_cross=True)
                if not np.allclose(alt0, theta0):
                    alt, ok, it2, msg2 = eng.optimize(alt0, max_iter=self.max_iter)
                    if ok:
                        theta, converged, iters, msg = alt, ok, iters + it2, msg2
            if msg:
                warnings.append(msg)
            if not converged:
                warnings.append(f"did not converge after {iters} iterations")
            return assemble_result(self, gdata, theta, converged, iters, warnings, n_dropped)

    def refit_estimates(self, data, start=None, max_iter=100, tol=1e-7):
        """Fast refit (no SEs, no fit measures): returns free parameters, then defined
        (:=) parameters, then std_all of all estimate rows (same order as
        ``res.estimates``), as one vector.  NaN-filled if the fit fails.

        ``data`` is a DataFrame, or (single-group models) a 2-D array whose columns
        are ``self.spec.ov_names`` in that order (fastest).  ``tol`` = 1e-7 gives
        estimates within about 1e-6 of a fully converged fit."""
        from surveysem.sem.results import defined_values, standardized

        if isinstance(data, np.ndarray) and self.spec.ngroups == 1:
            X = np.asarray(data, float)
            X = X[~np.isnan(X).any(axis=1)] if self.missing == "listwise" else X[~np.isnan(X).all(axis=1)]
            groups = [X]
        else:
            groups, _, _ = self._split_data(data)
        gdata = [self._group_data(Xg, em=start is None) for Xg in groups]
        eng = self.engine
        eng.set_data(gdata)
        theta0 = start_values(self.spec, gdata, self.std_lv) if start is None else np.asarray(start, float)
        with np.errstate(all="ignore"):
            theta, converged, iters, msg = eng.optimize(theta0, max_iter=max_iter, tol=tol)
            defs = defined_values(self.spec, theta)
            std = standardized(self.spec, eng, theta)
        out = np.concatenate([theta, defs, std])
        if not converged:
            out[:] = np.nan
        return out


    def refit_moments(self, mean, cov, n, start, hessian, max_iter=100, tol=1e-7):
        """Fast refit of a single-group, complete-data model to sample moments: ``mean`` and
        ``cov`` (N divisor) of ``n`` rows, e.g. a resample's moments or its EM moments (two-stage
        ML). ML depends on complete data only through these, so this is the refit of the rows
        without touching them. Quasi-Newton from ``start`` with ``hessian`` as the initial
        curvature (:meth:`Engine.quasi_newton`). Returns the vector of :meth:`refit_estimates`
        (NaN-filled when the refit does not converge)."""
        from surveysem.sem.results import defined_values, standardized

        if self.spec.ngroups != 1:
            raise SurveySemError("refit_moments needs a single-group model")
        eng = self.engine
        eng.set_data([GroupData.from_moments(mean, cov, n)])
        with np.errstate(all="ignore"):
            theta, converged, _ = eng.quasi_newton(start, hessian, max_iter=max_iter, tol=tol)
            out = np.concatenate([theta, defined_values(self.spec, theta), standardized(self.spec, eng, theta)])
        if not converged:
            out[:] = np.nan
        return out


def prepare_model(
    syntax,
    columns,
    *,
    estimator="ML",
    missing="listwise",
    group=None,
    group_levels=None,
    group_equal=(),
    std_lv=False,
    max_iter=500,
) -> PreparedModel:
    return PreparedModel(
        syntax,
        columns,
        estimator=estimator,
        missing=missing,
        group=group,
        group_levels=group_levels,
        group_equal=group_equal,
        std_lv=std_lv,
        max_iter=max_iter,
    )


def fit_model(
    syntax: str,
    data: pd.DataFrame,
    *,
    estimator: str = "ML",
    missing: str = "listwise",
    group: str | None = None,
    group_equal: tuple = (),
    std_lv: bool = False,
    max_iter: int = 500,
    fiml_robust_indices: bool = True,
    standard_errors: bool = True,
) -> SEMResult:
    """Fit a model in lavaan syntax (see the package docstring). ``fiml_robust_indices=False``
    skips lavaan's FIML-corrected robust RMSEA/CFI/TLI of an ML fit with missing data;
    ``standard_errors=False`` (ML only) skips the information matrix: SEs, z and p are NaN."""
    if not isinstance(data, pd.DataFrame):
        raise SurveySemError("data must be a pandas DataFrame")
    levels = None
    if group is not None:
        if group not in data.columns:
            raise SurveySemError(f"group column {group!r} is not a column of the data", column=group)
        levels = list(pd.unique(data[group].dropna().astype(str)))
        if len(levels) < 2:
            raise SurveySemError(f"group column {group!r} has fewer than two groups", column=group)
    pm = prepare_model(
        syntax,
        list(data.columns),
        estimator=estimator,
        missing=missing,
        group=group,
        group_levels=levels,
        group_equal=group_equal,
        std_lv=std_lv,
        max_iter=max_iter,
    )
    pm.fiml_robust_indices = fiml_robust_indices
    pm.standard_errors = standard_errors
    return pm.fit(data)


# ====================================================================== helpers
def _data_warnings(spec, gdata, levels):
    out = []
    for g, gd in enumerate(gdata):
        tag = f" in group {levels[g]}" if levels else ""
        var = np.diag(gd.cov)
        for k, v in enumerate(var):
            if not v > 1e-12:
                out.append(f"zero variance: {spec.ov_names[k]}{tag}")
        try:
            ev = np.linalg.eigvalsh(gd.cov)
            if ev.min() <= 1e-10 * max(ev.max(), 1e-300):
                out.append(f"sample covariance matrix is not positive definite{tag}")
        except np.linalg.LinAlgError:
            out.append(f"sample covariance matrix is not positive definite{tag}")
    return out


def em_saturated(patterns, p, max_iter=10000, tol=1e-10):
    """EM estimates of the unrestricted mean and covariance with missing data
    (:func:`surveysem.sem.em.em_moments` on the rows held by the patterns)."""
    return em_saturated_patterns(patterns, p, max_iter=max_iter, tol=tol)


def start_values(spec: ModelSpec, gdata, std_lv=False, small_cross=False):
    """Simple, robust starting values (lavaan-like: marker-scaled first principal
    component per factor, half the observed variance for residuals, zero paths).
    ``small_cross``: loadings of an indicator on its second and later factors start at
    0.1 (second attempt for models with method factors / cross-loadings)."""
    theta = np.full(spec.npar, np.nan)
    ov = spec.ov_names
    oidx = {v: k for k, v in enumerate(ov)}
    for g in range(1, spec.ngroups + 1):
        gd = gdata[g - 1]
        S = gd.cov
        rows = [r for r in spec.rows if r.group == g]
        lam = {}
        lvvar = {}
        seen_ind, later_loadings = set(), set()
        for r in rows:
            if r.op == "=~":
                if r.rhs in seen_ind:
                    later_loadings.add((r.lhs, r.rhs))
                seen_ind.add(r.rhs)
        for lv, inds in spec.lv_indicators.items():
            obs = [v for v in inds if v in oidx]
            load_rows = [r for r in rows if r.op == "=~" and r.lhs == lv]
            if not obs:
                lvvar[lv] = None
                continue
            ii = [oidx[v] for v in obs]
            C = S[np.ix_(ii, ii)]
            if len(ii) == 1:
                l = np.array([math.sqrt(max(C[0, 0], 1e-6))])
            else:
                ev, evec = np.linalg.eigh(C)
                l = evec[:, -1] * math.sqrt(max(ev[-1], 1e-6))
                if l.sum() < 0:
                    l = -l
            lmap = dict(zip(obs, l))
            marker = next((r for r in load_rows if not r.free and r.value not in (None, 0.0)), None)
            if marker is not None and marker.rhs in lmap and abs(lmap[marker.rhs]) > 1e-8:
                s = lmap[marker.rhs] / marker.value
            else:
                s = 1.0
            for v in obs:
                lam[(lv, v)] = lmap[v] / s
            lvvar[lv] = s * s
        for r in rows:
            if not r.free or not np.isnan(theta[r.par]):
                continue
            v = np.nan
            if r.start is not None:
                v = r.start
            elif r.op == "=~":
                v = lam.get((r.lhs, r.rhs), 1.0)
                if small_cross and (r.lhs, r.rhs) in later_loadings:
                    v = 0.1
            elif r.op == "~":
                v = 0.0
            elif r.op == "~~":
                if r.lhs == r.rhs:
                    if r.lhs in oidx:
                        k = oidx[r.lhs]
                        explained = sum(lam.get((lv, r.lhs), 0.0) ** 2 * (lvvar.get(lv) or 0.0) for lv in spec.lv_names)
                        v = S[k, k] - explained
                        if not v > 0.1 * S[k, k]:
                            v = 0.5 * S[k, k]
                        if not v > 0:
                            v = 1.0
                    else:
                        vv = lvvar.get(r.lhs)
                        if vv is None:
                            vv = _lv_indicator_var(spec, r.lhs, lvvar)
                        v = vv if r.lhs in _exo_lv(spec) else 0.5 * vv
                        if not v > 0:
                            v = 0.05
                else:
                    v = 0.0
            elif r.op == "~1":
                v = gd.mean[oidx[r.lhs]] if r.lhs in oidx else 0.0
            theta[r.par] = v
    theta[np.isnan(theta)] = 0.0
    return theta


def _exo_lv(spec):
    endo = {r.rhs for r in spec.rows if r.op == "=~"} | {r.lhs for r in spec.rows if r.op == "~"}
    return [v for v in spec.lv_names if v not in endo]


def _lv_indicator_var(spec, lv, lvvar):
    vals = [lvvar.get(v) for v in spec.lv_indicators.get(lv, []) if lvvar.get(v)]
    return 0.5 * float(np.mean(vals)) if vals else 0.05


__all__ = ["SEMResult", "PreparedModel", "prepare_model", "fit_model", "em_saturated", "start_values"]
