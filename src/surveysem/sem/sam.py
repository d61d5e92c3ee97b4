"""Structural-after-measurement, local SAM (Rosseel & Loh 2022), as lavaan 0.6-14's
``sam(model, data, sam.method = "local")`` computes it with its defaults.

:func:`fit_sam` follows ``lavaan::sam`` step by step (lavaan 0.6-14 has a single ``sam()``
function; the later ``lav_sam_step0/1/2`` split is the same computation):

0. **The full model** is parsed once (``sem()`` with ``do.fit = FALSE``); rows with a missing
   model variable are dropped (``missing = "listwise"``: ``na.omit`` on the model's variables).
   ``S`` is the N-divisor sample covariance of all observed variables, ``N`` the rows kept.
1. **Measurement blocks** (``mm.list = NULL``): one per latent variable, each its indicators'
   one-factor model (the user's loadings, residual (co)variances among its indicators, its
   variance) fitted by ML with expected-information standard errors
   (``mm.args = list(bounds = "standard", se = "standard")``; the bounds only matter at a
   boundary solution, which is reported as a warning).  The blocks give ``Lambda`` (p x m) and
   ``Theta`` (p x p, block diagonal).  Observed variables of the structural part (not
   indicators) enter ``eta`` as themselves: a unit row of ``Lambda`` and zero ``Theta``
   (lavaan's dummy latent variables).
2. **Mapping** (``local.options = list(M.method = "ML")``)::

       M = (Lambda' Theta^-1 Lambda)^-1 Lambda' Theta^-1

   where ``Theta^-1`` has ``1`` on the diagonal of variables with ``|theta_ii| < 1e-6`` (and
   the inverse of the rest elsewhere).  Then ``MSM = M S M'``, ``MTM = M Theta M'`` and,
   with ``veta.force.pd = TRUE`` and ``alpha.correction = 0``, the **lambda correction**:
   ``lambda`` is the smallest root of ``|MSM - lambda MTM| = 0``
   (``lav_matrix_symmetric_diff_smallest_root``, variables with zero ``MTM`` diagonal
   partialled out), and::

       VETA = MSM - MTM                              if lambda >= 1 + 1/(N-1)
       VETA = MSM - (lambda - 1/(N-1)) MTM           otherwise

   ``REL = diag(VETA) / diag(MSM)`` (reliabilities of the factor scores).
3. **Structural part**: the model without its measurement rows, over the variables ``eta``,
   fitted by ML to ``VETA`` with ``N`` observations (``sample.cov.rescale = FALSE``) and
   ``fixed.x = FALSE``: every exogenous variable has a free variance and free covariances with
   the other exogenous variables (``lav_partable_subset_structural_model(add.exo.cov = TRUE)``).
4. **Two-step standard errors** (``se = "twostep"``).  With ``I`` the unit expected information
   of the *full* model at the joint estimates (measurement from step 1, structural from step
   3; ``lavInspect(JOINT, "information")``), ``1`` the step-1 and ``2`` the step-2 parameters,
   and ``Sigma_11`` the block-diagonal covariance of the step-1 estimates (rows and columns of
   parameters of both steps, the latent variances, set to zero)::

       V = I22^-1 / N + I22^-1 I21 Sigma_11 I12 I22^-1

   The reported rows are those of the structural part in the full model's parameter-table
   order (lavaan's ``PT$step == 2``): exogenous covariances that the full model does not have
   (a latent with a fixed-x covariate) are estimated in step 3 but not reported, as lavaan;
   std.all is the full model's standardised solution at the joint estimates, with delta-method
   SEs from the joint covariance (step-1 blocks and the two-step block), as
   ``standardizedSolution()`` of a ``sam()`` fit.  Free parameters in neither step (residual
   covariances of indicators of different blocks) stay at 0, with a warning.

Scope: one group, complete data (listwise), continuous indicators, no mean structure.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from surveysem.errors import SurveySemError
from surveysem.sem.api import fit_model
from surveysem.sem.numdiff import central_jacobian
from surveysem.sem.objective import Engine
from surveysem.sem.parameters import defined_vcov, row_values
from surveysem.sem.partable import _key, build_partable
from surveysem.sem.samplestats import GroupData, group_data, split_groups
from surveysem.sem.standardize import standardized
from surveysem.sem.start import start_values
from surveysem.sem.syntax import Modifier, ParsedModel, Term, parse_syntax

Z975 = 1.959963984540054  # qnorm(0.975): lavaan's 95% Wald interval
ZERO_THETA = 1e-6  # lavaan's cutoff for a zero residual variance in the ML mapping
SAM_COLUMNS = ["lhs", "op", "rhs", "label", "est", "se", "z", "pvalue", "ci_lower", "ci_upper", "std_all", "std_all_se",
               "free"]


@dataclass
class SAMResult:
    """Local SAM: ``estimates`` (structural rows, lavaan's ``parameterEstimates(fit)`` of a
    ``sam()`` fit with ``std_all``), step 1 (``veta``, ``lambda_correction``, ``reliability``,
    ``loadings``, ``theta``, ``mapping``, the block fits ``measurement``) and step 3
    (``structural_fit``: chisq, df, cfi, rmsea, srmr of the structural model to ``veta``)."""

    converged: bool
    warnings: list
    estimates: pd.DataFrame
    veta: pd.DataFrame
    lambda_correction: float
    reliability: dict
    loadings: pd.DataFrame
    theta: pd.DataFrame
    mapping: pd.DataFrame
    measurement: dict
    structural_fit: dict
    vcov: np.ndarray  # two-step covariance of the free structural parameters (rows of `estimates`)
    nobs: int
    n_dropped: int = 0
    free_params: np.ndarray = field(default_factory=lambda: np.zeros(0))  # joint, full model


# ---------------------------------------------------------------- step 0: the full model
def _full_model(syntax, data):
    """(parsed model, full-model spec, eta names): checks lavaan's ``sam()`` makes."""
    if not isinstance(data, pd.DataFrame):
        raise SurveySemError("data must be a pandas DataFrame")
    parsed = parse_syntax(syntax)
    spec = build_partable(parsed, available=list(data.columns))
    if not spec.lv_names:
        raise SurveySemError("fit_sam: the model has no latent variables; use fit_model")
    if spec.general_constraints:
        raise SurveySemError("not supported: fit_sam of a model with inequality constraints or '==' between "
                             "expressions; fit the full model with fit_model")
    if spec.meanstructure:
        raise SurveySemError("fit_sam: mean structures (~ 1) are not supported")
    indicators = {v for lv in spec.lv_names for v in spec.lv_indicators[lv]}
    nested = sorted(indicators & set(spec.lv_names))
    if nested:
        raise SurveySemError(f"fit_sam: indicators that are latent variables are not supported: {', '.join(nested)}")
    for t in parsed.terms:
        if t.op in ("~", "~~") and t.lhs in indicators and not (t.op == "~~" and t.rhs in indicators):
            raise SurveySemError(f"fit_sam: indicator {t.lhs!r} appears in the structural part (line {t.line})")
    eta = list(spec.lv_names) + [v for v in spec.ov_names if v not in indicators]
    return parsed, spec, eta


def _listwise(spec, data):
    """(complete rows as a DataFrame of the model's observed variables, their GroupData,
    warnings, rows dropped): lavaan's ``na.omit(data[, OV])``."""
    groups, warnings, n_dropped = split_groups(spec, data, "listwise")
    X = groups[0]
    return pd.DataFrame(X, columns=spec.ov_names), group_data(X, em=False), warnings, n_dropped


# ---------------------------------------------------------------- step 1: measurement blocks
def _term_text(t: Term) -> str:
    """One term back in lavaan syntax, with its (single-group) modifiers."""
    mods = []
    if t.mod.fixed:
        mods.append("NA" if t.mod.fixed[0] is None else repr(float(t.mod.fixed[0])))
    if t.mod.label and t.mod.label[0]:
        mods.append(f"label('{t.mod.label[0]}')")
    if t.mod.start:
        mods.append(f"start({float(t.mod.start[0])!r})")
    return f"{t.lhs} {t.op} " + "".join(m + "*" for m in mods) + t.rhs


def _block_syntax(parsed, spec, lv):
    """The one-factor model of ``lv`` (``lav_partable_subset_measurement_model``): its
    loadings and the user's (co)variances among its indicators and of ``lv`` itself."""
    ind = set(spec.lv_indicators[lv])
    keep = [
        t for t in parsed.terms
        if (t.op == "=~" and t.lhs == lv) or (t.op == "~~" and ({t.lhs, t.rhs} <= ind or t.lhs == t.rhs == lv))
    ]
    return "\n".join(_term_text(t) for t in keep)


def _fit_blocks(parsed, spec, df, warnings):
    """{lv: SEMResult} of the measurement blocks; their problems become warnings."""
    blocks = {}
    for lv in spec.lv_names:
        res = fit_model(_block_syntax(parsed, spec, lv), df)
        for w in res.warnings:
            warnings.append(f"measurement block {lv}: {w}")
        if not res.converged:
            warnings.append(f"measurement block {lv} did not converge (lavaan's sam() stops here)")
        neg = res.estimates[(res.estimates.op == "~~") & (res.estimates.lhs == res.estimates.rhs) & (res.estimates.est < 0)]
        if len(neg):
            warnings.append(f"measurement block {lv}: negative variance; lavaan's bounded estimate (bounds = 'standard') differs")
        blocks[lv] = res
    return blocks


def _step1_matrices(spec, blocks, eta):
    """(Lambda p x m, Theta p x p) of the blocks; structural observed variables load 1 on
    themselves with zero residual variance."""
    ov = list(spec.ov_names)
    oi = {v: k for k, v in enumerate(ov)}
    Lam = np.zeros((len(ov), len(eta)))
    Th = np.zeros((len(ov), len(ov)))
    for j, v in enumerate(eta):
        if v in oi:
            Lam[oi[v], j] = 1.0
    for lv, res in blocks.items():
        j = eta.index(lv)
        for r in res.estimates.itertuples(index=False):
            if r.op == "=~":
                Lam[oi[r.rhs], j] = r.est
            elif r.op == "~~" and r.lhs in oi and r.rhs in oi:
                Th[oi[r.lhs], oi[r.rhs]] = Th[oi[r.rhs], oi[r.lhs]] = r.est
    return Lam, Th


# ---------------------------------------------------------------- step 2: mapping and VETA
def ml_mapping(Lam, Theta):
    """lavaan's ML mapping matrix ``M = (Lambda' Theta^-1 Lambda)^-1 Lambda' Theta^-1``
    (``sam()``, ``local.M.method = "ML"``): variables with ``|theta_ii| < 1e-6`` get ``1`` on
    the diagonal of ``Theta^-1``, the others the inverse of their block."""
    p = Theta.shape[0]
    zero = np.abs(np.diag(Theta)) < ZERO_THETA
    Ti = np.zeros((p, p))
    keep = ~zero
    if keep.any():
        Ti[np.ix_(keep, keep)] = np.linalg.inv(Theta[np.ix_(keep, keep)])
    Ti[zero, zero] = 1.0
    if np.linalg.matrix_rank(Lam) < Lam.shape[1]:
        raise SurveySemError("fit_sam: LAMBDA has no full column rank; lavaan needs sam.method = 'global'")
    LT = Lam.T @ Ti
    return np.linalg.solve(LT @ Lam, LT)


def _symmetric_sqrt(P):
    w, V = np.linalg.eigh(P)
    return (V * np.sqrt(np.clip(w, 0.0, None))) @ V.T


def smallest_root(Mm, P):
    """Smallest root ``lambda`` of ``|Mm - lambda P| = 0`` for symmetric ``Mm`` and ``P``
    (``lav_matrix_symmetric_diff_smallest_root``): negative diagonal entries of ``P`` are set
    to zero, and variables with a zero ``P`` diagonal are partialled out of ``Mm``
    (``Mm_pp - Mm_pn Mm_nn^-1 Mm_np``); then the smallest eigenvalue of ``L Mm L'`` with
    ``L = P^-1/2``."""
    P = P.copy()
    d = np.diag(P).copy()
    d[d < 0] = 0.0
    np.fill_diagonal(P, d)
    zero = np.abs(d) < np.sqrt(np.finfo(float).eps)
    if zero.all():
        return 0.0
    pos = ~zero
    M_pp = Mm[np.ix_(pos, pos)]
    if zero.any():
        M_pp = M_pp - Mm[np.ix_(pos, zero)] @ np.linalg.solve(Mm[np.ix_(zero, zero)], Mm[np.ix_(zero, pos)])
    L = np.linalg.inv(_symmetric_sqrt(P[np.ix_(pos, pos)]))
    return float(np.linalg.eigvalsh(L @ M_pp @ L.T)[0])


def latent_moments(S, Mg, Theta, N):
    """(VETA, lambda, REL) of ``sam()``'s local method with ``veta.force.pd = TRUE`` and
    ``alpha.correction = 0``: ``VETA = MSM - MTM``, or ``MSM - (lambda - 1/(N-1)) MTM`` when
    the smallest root ``lambda`` of ``|MSM - lambda MTM|`` is below ``1 + 1/(N-1)``;
    ``REL = diag(VETA) / diag(MSM)``."""
    MSM = Mg @ S @ Mg.T
    MTM = Mg @ Theta @ Mg.T
    lam = smallest_root(MSM, MTM)
    if lam < 1.0 + 1.0 / (N - 1):
        veta = MSM - (lam - 1.0 / (N - 1)) * MTM
    else:
        veta = MSM - MTM
    veta = (veta + veta.T) / 2.0
    return veta, lam, np.diag(veta) / np.diag(MSM)


# ---------------------------------------------------------------- step 3: structural part
def _structural_parsed(parsed, eta):
    """The structural model over ``eta`` with ``fixed.x = FALSE`` and ``add.exo.cov = TRUE``:
    the user's terms among ``eta``, then a free ``a ~~ b`` for every pair (and variance) of
    exogenous variables the user did not specify.  All ``eta`` are observed in this model."""
    eset = set(eta)
    terms = [t for t in parsed.terms if t.op in ("~", "~~") and t.lhs in eset and t.rhs in eset]
    dependent = {t.lhs for t in terms if t.op == "~"}
    exo = [v for v in eta if v not in dependent]
    line = max([t.line for t in parsed.terms], default=0) + 1
    for a in range(len(exo)):
        for b in range(a, len(exo)):
            terms.append(Term(exo[b], "~~", exo[a], Modifier(), line))
    return ParsedModel(terms=terms, definitions=list(parsed.definitions), constraints=list(parsed.constraints))


def _fit_structural(parsed, eta, veta, N, warnings):
    """(structural spec, its engine, estimates, step-3 fit measures): ML fit of the structural
    model to the moments ``VETA`` of ``N`` rows (lavaan: ``lavaan(PTS, sample.cov = VETA,
    sample.nobs = N, sample.cov.rescale = FALSE)``)."""
    from surveysem.sem.fit_indices import fit_measures  # loads scipy.optimize

    spec = build_partable(_structural_parsed(parsed, eta))
    order = [eta.index(v) for v in spec.ov_names]
    gd = GroupData.from_moments(np.zeros(len(order)), veta[np.ix_(order, order)], N)
    eng = Engine(spec)
    eng.set_data([gd])
    with np.errstate(all="ignore"):
        theta, converged, iters, msg = eng.optimize(start_values(spec, [gd]))
        if msg:
            warnings.append(f"structural part: {msg}")
        if not converged:
            warnings.append(f"structural part did not converge after {iters} iterations")
        fit, _ = fit_measures(spec, eng, theta, [gd])
    keys = ("chisq", "df", "cfi", "rmsea", "srmr")
    return spec, theta, bool(converged), {k: fit[k] for k in keys}


# ---------------------------------------------------------------- step 4: joint estimates and SEs
def _free_by_key(spec):
    """{(lhs, op, rhs) key: parameter index} of a spec's free rows."""
    return {_key(r.lhs, r.op, r.rhs): r.par for r in spec.rows if r.free}


def _joint_parameters(spec, blocks, sspec, theta_s):
    """(joint free-parameter vector of the full model, step-1 indices, step-2 indices, block
    covariance ``Sigma_11`` over the step-1 indices): lavaan's ``PT$est`` after both steps."""
    full = _free_by_key(spec)
    theta = np.full(spec.npar, np.nan)
    idx1, blocks_cov = [], []
    for res in blocks.values():
        bfree = res.estimates[res.estimates.free]
        bidx = [int(p) for p in bfree.par]
        pidx = [full[_key(r.lhs, r.op, r.rhs)] for r in bfree.itertuples(index=False)]
        theta[pidx] = bfree.est.to_numpy()
        idx1 += pidx
        blocks_cov.append(res.vcov[np.ix_(bidx, bidx)])
    idx2 = []
    for k, p in _free_by_key(sspec).items():
        if k in full:
            theta[full[k]] = theta_s[p]
            idx2.append(full[k])
    theta[np.isnan(theta)] = 0.0  # in neither step (residual covariances across blocks): lavaan's start value
    sigma11 = np.zeros((len(idx1), len(idx1)))
    at = 0
    for c in blocks_cov:
        sigma11[at:at + len(c), at:at + len(c)] = c
        at += len(c)
    return theta, idx1, sorted(set(idx2)), sigma11


def _warn_unused(spec, used, warnings):
    """Free parameters of the full model that neither step estimates (residual covariances of
    indicators of different blocks): lavaan's local SAM drops them (they stay at 0)."""
    unused = [f"{r.lhs} {r.op} {r.rhs}" for r in spec.rows if r.free and r.par not in used]
    if unused:
        warnings.append(f"local SAM ignores (fixes to 0) parameters outside every block and the structural part: {', '.join(unused)}")


def twostep_vcov(info, idx1, idx2, sigma11, N):
    """``sam()``'s ``se = "twostep"`` covariance of the step-2 parameters (Rosseel & Loh
    2022): ``I22^-1 / N + I22^-1 I21 Sigma_11 I12 I22^-1``, with ``info`` the unit expected
    information of the full model at the joint estimates and the rows/columns of ``Sigma_11``
    of parameters estimated in both steps set to zero."""
    s11 = sigma11.copy()
    both = [k for k, p in enumerate(idx1) if p in set(idx2)]
    s11[both, :] = 0.0
    s11[:, both] = 0.0
    I22inv = np.linalg.inv(info[np.ix_(idx2, idx2)])
    I21 = info[np.ix_(idx2, idx1)]
    return I22inv / N + I22inv @ I21 @ s11 @ I21.T @ I22inv


def _structural_rows(spec, eta):
    """Indices of the full model's rows of the structural part (lavaan's ``PT$step == 2``)."""
    eset = set(eta)
    return [k for k, r in enumerate(spec.rows) if r.op in ("~", "~~") and r.lhs in eset and r.rhs in eset]


def _std_all_se(spec, eng, theta, rows, vcov_all):
    """Delta-method SEs of std.all (``standardizedSolution()``): ``J V J'`` with ``J`` the
    Jacobian of the standardised rows (and ``:=`` rows) and ``V`` the joint covariance
    (step-1 blocks, two-step step-2 block)."""
    keep = list(rows) + [len(spec.rows) + n for n in range(len(spec.definitions))]
    J = central_jacobian(lambda t: standardized(spec, eng, t)[keep], theta, step=1e-6, nrow=len(keep))
    d = np.einsum("ij,jk,ik->i", J, vcov_all, J)
    return np.sqrt(np.where(d >= 0, d, np.nan))


def _estimates_table(spec, eng, theta, rows, vcov_all):
    """``parameterEstimates()`` of the structural rows (and ``:=`` rows) at the joint estimates
    with the two-step SEs, Wald z, p and 95% interval, and std.all of the full model."""
    from scipy import special

    vals = row_values(spec, theta, eng)
    std = standardized(spec, eng, theta)
    se_par = np.sqrt(np.where(np.diag(vcov_all) >= 0, np.diag(vcov_all), np.nan))
    recs = []
    for k in rows:
        r = spec.rows[k]
        recs.append((r.lhs, r.op, r.rhs, r.label, vals[k], se_par[r.par] if r.free else 0.0, std[k], bool(r.free)))
    if spec.definitions:
        dv, dcov = defined_vcov(spec, theta, vcov_all)
        for n, d in enumerate(spec.definitions):
            se = np.sqrt(dcov[n, n]) if dcov[n, n] >= 0 else np.nan
            recs.append((d.name, ":=", d.expr.replace("**", "^").replace(" ", ""), d.name, dv[n], se,
                         std[len(spec.rows) + n], False))
    out = pd.DataFrame.from_records(recs, columns=["lhs", "op", "rhs", "label", "est", "se", "std_all", "free"])
    with np.errstate(all="ignore"):
        out["z"] = np.where(out.se > 0, out.est / out.se, np.nan)
    out["pvalue"] = 2 * special.ndtr(-np.abs(out.z))
    out["ci_lower"] = out.est - Z975 * out.se
    out["ci_upper"] = out.est + Z975 * out.se
    out["std_all_se"] = _std_all_se(spec, eng, theta, rows, vcov_all)
    return out[SAM_COLUMNS]


def _named(M, rows, cols):
    return pd.DataFrame(M, index=list(rows), columns=list(cols))


def fit_sam(syntax: str, data: pd.DataFrame) -> SAMResult:
    """Local SAM of a model in lavaan syntax: lavaan 0.6-14's ``sam(model, data,
    sam.method = "local")`` with its defaults (steps 0-4 in the module docstring).  Returns a
    :class:`SAMResult`; statistical problems (block Heywood cases, non-convergence, a VETA
    that is not positive definite) are in ``warnings``."""
    parsed, spec, eta = _full_model(syntax, data)
    df, gd, warnings, n_dropped = _listwise(spec, data)
    N = gd.n
    blocks = _fit_blocks(parsed, spec, df, warnings)
    Lam, Th = _step1_matrices(spec, blocks, eta)
    Mg = ml_mapping(Lam, Th)
    veta, lam, rel = latent_moments(gd.cov, Mg, Th, N)
    if np.linalg.eigvalsh(veta)[0] <= 0:
        warnings.append("the latent covariance matrix (VETA) is not positive definite")
    sspec, theta_s, s_conv, sfit = _fit_structural(parsed, eta, veta, N, warnings)
    theta, idx1, idx2, sigma11 = _joint_parameters(spec, blocks, sspec, theta_s)
    _warn_unused(spec, set(idx1) | set(idx2), warnings)
    eng = Engine(spec)
    eng.set_data([gd])
    info = eng.evaluate(theta, level=2)[2]
    vcov_all = np.zeros((spec.npar, spec.npar))
    vcov_all[np.ix_(idx1, idx1)] = sigma11
    try:
        V = twostep_vcov(info, idx1, idx2, sigma11, N)
    except np.linalg.LinAlgError:
        warnings.append("information matrix of the structural part is singular: standard errors not available")
        V = np.full((len(idx2), len(idx2)), np.nan)
    vcov_all[np.ix_(idx2, idx2)] = V
    est = _estimates_table(spec, eng, theta, _structural_rows(spec, eta), vcov_all)
    return SAMResult(
        converged=s_conv and all(b.converged for b in blocks.values()),
        warnings=warnings,
        estimates=est,
        veta=_named(veta, eta, eta),
        lambda_correction=lam,
        reliability=dict(zip(eta, rel)),
        # step 1: the measurement part and the mapping to the latent moments
        loadings=_named(Lam, spec.ov_names, eta), theta=_named(Th, spec.ov_names, spec.ov_names),
        mapping=_named(Mg, eta, spec.ov_names), measurement=blocks,
        # step 2: the structural part
        structural_fit=sfit, vcov=V, nobs=N, n_dropped=n_dropped,
        free_params=theta,
    )
