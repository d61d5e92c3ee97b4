"""A hypothesis written as a structural model over the constructs, in lavaan syntax.

::

    - id: H5
      outcome: spread
      model: |
        PDC ~ a*OIE_RSP
        spread ~ b*PDC + c*OIE_RSP
        indirect := a*b
      expected: {indirect: "+", c: "+"}

Construct ids in ``model`` are latent factors measured by their items (added automatically,
latent variances 1); the outcome's name (``spread``, ``diversification``, ``intensity``) is the
observed, transformed outcome; the entry's observed controls are added as predictors of the
outcome. ``expected`` names the tested parameters (labels or ``:=`` definitions) and their
signs; each is a sub-hypothesis, judged by the same one-sided, Holm-adjusted rule as the others.

Estimators:

``sem``  the full model (measurement + structure) by ML with FIML and MLR standard errors;
         every covariance among exogenous variables (latent and observed) is free, as a
         researcher means it (lavaan's defaults would fix latent-covariate covariances at 0).
``sam``  local SAM: the latent moment matrix ``VETA`` from corrected scores
         (:mod:`surveysem.propositions.latent_sam`: ``mean(d d') - mean(Omega)``), then the
         structural model fitted to it by ML (lavaan's step 3). Standard errors by the delta
         method, ``J Var(vech VETA) J'``: ``J = d theta / d vech(VETA)`` (refits) and
         ``Var(vech VETA) = sum_i d_i d_i'`` with ``d_i`` firm i's contribution to ``VETA``
         (distribution-free, so heteroskedasticity and non-normal outcomes are allowed) plus
         ``H IF_i``, ``H = d vech(VETA) / d (block estimates)`` and ``IF_i`` its influence on
         the block estimates: both steps' errors with their covariance (lavaan's two-step
         ``Gamma / n + H Sigma_meas H'`` leaves that out; latent_sam, step 5). Defined
         parameters by the delta method.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from scipy import special

from surveysem.errors import SurveySemError
from surveysem.propositions.model_syntax import model_variables

OUTCOME_NAMES = ("spread", "diversification", "intensity")
# the fit a full SEM reports (the fit gate reads CFI, TLI, RMSEA, SRMR; robust versions of an MLR fit)
SEM_FIT_KEYS = ("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr", "cfi_robust", "tli_robust", "rmsea_robust")


def safe_name(column: str) -> str:
    """A control column as a lavaan variable name (``tech_intensity[2]`` -> ``tech_intensity_2_``)."""
    return re.sub(r"\W", "_", column)


def full_syntax(structure: str, outcome: str, items: dict[str, list[str]], controls: list[str]) -> str:
    """Measurement of every construct (std.lv), the user's structure, the controls on the outcome and
    free covariances among all exogenous variables."""
    from surveysem.sem.syntax import parse_syntax

    parsed = parse_syntax(structure)
    lines = [f"{c} =~ " + " + ".join(its) for c, its in items.items()]
    lines.append(structure.strip())
    ctrl = [safe_name(c) for c in controls]
    if ctrl:
        lines.append(f"{outcome} ~ " + " + ".join(ctrl))
    dependent = {t.lhs for t in parsed.terms if t.op == "~"}
    exo = [v for v in list(items) + ctrl if v not in dependent]
    lines += [f"{a} ~~ {b}" for i, a in enumerate(exo) for b in exo[i + 1:]]
    return "\n".join(lines) + "\n"


def _z(level: float) -> float:
    return float(special.ndtri(0.5 + level / 2))


def _tested_rows(estimates: pd.DataFrame, expected: dict[str, str]) -> dict[str, tuple[float, float]]:
    """label or defined name -> (est, se) from a parameter table."""
    out = {}
    for name in expected:
        r = estimates[(estimates.op == ":=") & (estimates.lhs == name)]
        if not len(r) and "label" in estimates.columns:
            r = estimates[estimates.label == name]
        if not len(r):
            raise SurveySemError(f"tested parameter {name!r} is neither a label nor a := definition of the model")
        out[name] = (float(r.est.iloc[0]), float(r.se.iloc[0]))
    return out


def fit_paths_sem(data: pd.DataFrame, structure: str, outcome: str, items: dict[str, list[str]], controls: list[str],
                  expected: dict[str, str], max_iter: int = 500) -> dict:
    """The full SEM of a structural hypothesis (module docstring): tested estimates and the fit."""
    from surveysem.sem.api import fit_model

    d = data.rename(columns={"y": outcome, **{c: safe_name(c) for c in controls}})
    res = fit_model(full_syntax(structure, outcome, items, controls), d, estimator="MLR", missing="fiml",
                    std_lv=True, max_iter=max_iter)
    var = res.estimates[(res.estimates.op == "~~") & (res.estimates.lhs == res.estimates.rhs)]
    admissible = bool(res.converged and (var.est > 0).all() and res.identified)
    warnings = list(res.warnings) + ([] if admissible else ["inadmissible or non-converged solution"])
    return {"tested": _tested_rows(res.estimates, expected), "converged": bool(res.converged),
            "admissible": admissible, "nobs": int(res.fit.get("nobs", len(d))), "warnings": warnings,
            "fit": {k: res.fit.get(k) for k in SEM_FIT_KEYS if k in res.fit}}


# --------------------------------------------------------------------------- SAM
def _observed_and_scores(blocks, d, constructs, observed):
    """Columns ``[scores..., observed...]`` (centred) and the score error variances."""
    from surveysem.propositions.latent_sam import bartlett_scores

    cols, om = [], []
    for c in constructs:
        f, w = bartlett_scores(blocks[c], d)
        cols.append(f)
        om.append(w)
    X = np.column_stack(cols + [d[o].to_numpy(dtype=float) for o in observed])
    Om = np.column_stack(om + [np.zeros(len(d))] * len(observed))
    return X - X.mean(axis=0), Om


def _contributions(X, Om):
    """Per firm ``vech(x x' - diag(omega))``: its contribution to VETA."""
    p = X.shape[1]
    iu = np.triu_indices(p)
    C = X[:, :, None] * X[:, None, :]
    C[:, np.arange(p), np.arange(p)] -= Om
    return C[:, iu[0], iu[1]], iu


def _veta(blocks, d, constructs, observed):
    X, Om = _observed_and_scores(blocks, d, constructs, observed)
    C, iu = _contributions(X, Om)
    v = C.mean(axis=0)
    p = X.shape[1]
    V = np.zeros((p, p))
    V[iu] = v
    V[(iu[1], iu[0])] = v
    return V, C


class _Structural:
    """The structural model fitted by ML to a moment matrix, refitted warm for the Jacobian."""

    def __init__(self, structure: str, eta: list[str], n: int, max_iter: int):
        from surveysem.sem.objective import Engine
        from surveysem.sem.partable import build_partable
        from surveysem.sem.sam import _structural_parsed
        from surveysem.sem.syntax import parse_syntax

        self.spec = build_partable(_structural_parsed(parse_syntax(structure), eta))
        self.order = [eta.index(v) for v in self.spec.ov_names]
        self.engine = Engine(self.spec)
        self.n, self.max_iter, self.theta = n, max_iter, None

    def fit(self, V: np.ndarray, start=None):
        from surveysem.sem.samplestats import GroupData
        from surveysem.sem.start import start_values

        gd = GroupData.from_moments(np.zeros(len(self.order)), V[np.ix_(self.order, self.order)], self.n)
        self.engine.set_data([gd])
        theta0 = start if start is not None else start_values(self.spec, [gd])
        with np.errstate(all="ignore"):
            theta, converged, _, _ = self.engine.optimize(theta0, max_iter=self.max_iter)
        return theta, bool(converged)


def fit_paths_sam(data: pd.DataFrame, structure: str, outcome: str, items: dict[str, list[str]], controls: list[str],
                  expected: dict[str, str], max_iter: int = 500) -> dict:
    """Local SAM of a structural hypothesis (module docstring): tested estimates and delta-method SEs."""
    from surveysem.propositions.latent_sam import (
        fit_block,
        influence_vcov,
        measurement_jacobians,
    )
    from surveysem.sem.parameters import defined_vcov, label_values, row_values

    d = data.rename(columns={"y": outcome, **{c: safe_name(c) for c in controls}})
    ctrl = [safe_name(c) for c in controls]
    named, _, _ = model_variables(structure)
    # observed variables the structure names itself (a test's covariates), after outcome and controls
    observed = [outcome] + ctrl + sorted(v for v in named if v not in items and v != outcome and v not in ctrl)
    constructs = list(items)
    blocks = {c: fit_block(c, d, its, max_iter) for c, its in items.items()}
    warnings = [w for b in blocks.values() for w in b.warnings]
    struct = structure.strip() + (f"\n{outcome} ~ " + " + ".join(ctrl) if ctrl else "") + "\n"
    eta = constructs + observed
    V, C = _veta(blocks, d, constructs, observed)
    n = len(d)
    sm = _Structural(struct, eta, n, max_iter)
    theta, converged = sm.fit(V)
    admissible = bool(np.linalg.eigvalsh(V)[0] > 0) and all(np.all(b.theta > 0) for b in blocks.values())
    if not converged:
        warnings.append("the structural part did not converge")
    if not admissible:
        warnings.append("inadmissible solution: VETA not positive definite or a residual variance <= 0")
    J = _jacobian(lambda v: sm.fit(v, theta)[0], V)
    iu = np.triu_indices(V.shape[0])
    G = measurement_jacobians(lambda bl: _veta(bl, d, constructs, observed)[0][iu], blocks)
    # VETA's variance from both steps' influences (latent_sam's module docstring, step 5)
    Gamma, note = influence_vcov((C - C.mean(axis=0)) / n, G, blocks)
    warnings.extend([note] if note else [])
    vcov = J @ Gamma @ J.T
    spec = sm.spec
    values = row_values(spec, theta)
    labels = label_values(spec, values)
    tested = {}
    dv, dV = defined_vcov(spec, theta, vcov) if spec.definitions else (np.zeros(0), np.zeros((0, 0)))
    names = [df.name for df in spec.definitions]
    for name in expected:
        if name in names:
            k = names.index(name)
            tested[name] = (float(dv[k]), float(np.sqrt(max(dV[k, k], 0.0))))
        elif name in labels:
            row = next(r for r in spec.rows if r.label == name and r.free)
            tested[name] = (float(theta[row.par]), float(np.sqrt(max(vcov[row.par, row.par], 0.0))))
        else:
            raise SurveySemError(f"tested parameter {name!r} is neither a label nor a := definition of the model")
    return {"tested": tested, "converged": converged and all(b.converged for b in blocks.values()),
            "admissible": admissible, "nobs": n, "warnings": warnings, "fit": {},
            "block_fits": {c: dict(b.fit) for c, b in blocks.items()}}


def _jacobian(fn, V: np.ndarray) -> np.ndarray:
    """``d fn(V) / d vech(V)`` by central differences (an off-diagonal element moves both halves)."""
    from surveysem.sem.numdiff import central_jacobian

    iu = np.triu_indices(V.shape[0])

    def of_vech(v):
        W = np.zeros_like(V)
        W[iu] = v
        W[(iu[1], iu[0])] = v
        return fn(W)

    return central_jacobian(of_vech, V[iu], nrow=len(fn(V)))
