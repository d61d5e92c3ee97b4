"""Identification of a model: what the engine refuses to fit, and what it reports as not
identified after a fit.

lavaan 0.6-14 checks none of this before fitting: it fits a model with ``df < 0`` or a
rank-deficient Jacobian and only warns after the fit, from ``lav_model_vcov`` ("Could not compute
standard errors! The information matrix could not be inverted. This may be a symptom that the
model is not identified."), still printing the estimates. Here:

* :func:`check_df` – before fitting, ``df < 0`` (``df`` as lavaan's ``lav_partable_df``:
  sample moments less free parameters) is refused with one line;
* :func:`check_local` – before fitting, local identification: the rank of the Jacobian of the
  implied moments (vech(Sigma), and mu with a mean structure, all groups) with respect to the
  free parameters at a fixed random perturbation of the start values (away from special points
  such as zero covariances) must equal the number of free parameters; otherwise the model is
  refused with one line naming the parameters in the Jacobian's null space and, where it can be
  told, the problem (a scale-free factor, a two-indicator factor, a second-order factor with two
  first-order indicators);
* :func:`information_rank` – after fitting, the rank of the information matrix at the solution
  (lavaan's ``lav_model_vcov`` check, as a test of empirical under-identification): the result is
  then marked not identified (``SEMResult.identified``) and its SEs are NaN.
"""

from __future__ import annotations

import numpy as np

from surveysem.errors import SurveySemError
from surveysem.sem.partable import ndat

# singular values of the column-scaled Jacobian below this fraction of the largest are zero
JACOBIAN_RANK_TOL = 1e-8
# eigenvalues of the scaled information matrix (a correlation matrix) below this fraction of the
# largest mean empirical under-identification (condition number above 1e8)
INFORMATION_RANK_TOL = 1e-8
# a parameter is in the null space when its weight in an orthonormal null basis exceeds this
NULL_WEIGHT = 1e-4
PERTURBATION_SEED = 20240601


def check_df(spec):
    """Refuses ``df < 0`` (sample moments, fixed-x excluded, less free parameters; lavaan's
    ``lav_partable_df``)."""
    moments = ndat(spec)
    df = moments - spec.npar_net
    if df < 0:
        raise SurveySemError(
            f"model not identified: df = {df} ({moments} observed moments, {spec.npar_net} free parameters)"
        )


def moment_jacobian(eng, theta):
    """Jacobian (moments x free parameters) of vech(Sigma) (lower triangle, column by column)
    and, with a mean structure, mu of every group; lavaan's ``computeDelta``."""
    blocks = []
    p = eng.p
    cols, rows = np.triu_indices(p)  # (j, i) with i >= j: vech order
    for gs in eng.groups:
        _, _, Am, Bm, Mm = gs.observed_moments(theta)
        D = Am[rows] * Bm[cols] + Bm[rows] * Am[cols]
        if eng.meanstructure:
            D = np.vstack([D, Mm])
        blocks.append(D @ gs.L)
    return np.vstack(blocks)


def _null_space(M, tol):
    """(rank, orthonormal basis of the null space) of ``M`` with its columns scaled to unit
    length; a zero column is in the null space."""
    norms = np.linalg.norm(M, axis=0)
    scaled = M / np.where(norms > 0, norms, 1.0)
    # all of V is needed, U never: the reduced SVD gives all of V whenever M has at least as many
    # rows as columns (any model with df >= 0), and avoids a moments x moments U (3403^2 for 82 items)
    _, s, vt = np.linalg.svd(scaled, full_matrices=M.shape[0] < M.shape[1])
    s_full = np.zeros(M.shape[1])
    s_full[: len(s)] = s
    small = s_full <= tol * max(s_full.max(), 1e-300)
    return int(M.shape[1] - small.sum()), vt[small].T


def _perturbed(theta0):
    rng = np.random.default_rng(PERTURBATION_SEED)
    u = rng.uniform(-1.0, 1.0, size=(2, len(theta0)))
    return theta0 * (1.0 + 0.1 * u[0]) + 0.05 * u[1]


def _row_of_par(spec):
    out = {}
    for r in spec.rows:
        if r.free and r.par not in out:
            out[r.par] = r
    return out


def _name(r, group_levels, ngroups):
    text = f"{r.lhs} {r.op} {r.rhs}".rstrip() if r.op != "~1" else f"{r.lhs} ~1"
    return text + (f" in group {group_levels[r.group - 1]}" if ngroups > 1 and group_levels else "")


def _scale_free(rows, lv):
    """The factor's loadings are all free (no marker) and its variance is free."""
    paths = [r for r in rows if (r.op == "=~" and r.lhs == lv) or (r.op == "~" and r.rhs == lv)]
    var = next((r for r in rows if r.op == "~~" and r.lhs == lv and r.rhs == lv), None)
    if not paths or var is None or not var.free:
        return None
    if any(not r.free and r.value not in (None, 0.0) for r in paths):
        return None
    load = next((r for r in paths if r.op == "=~"), paths[0])
    return f"a scale-free factor: {load.lhs} =~ {load.rhs} (loading) and {lv} ~~ {lv} (variance) cannot both be free"


def _two_indicators(spec, lv):
    ind = spec.lv_indicators.get(lv, [])
    if len(ind) != 2:
        return None
    if all(v in spec.lv_names for v in ind):
        return (f"an under-identified second-order factor: {lv} has two first-order indicators "
                f"({', '.join(ind)}) and no constraints")
    return f"a two-indicator factor without covariances with other factors: {lv} ({', '.join(ind)})"


def _problems(spec, involved_rows):
    """Descriptions of the known causes among the factors touched by the null space."""
    out = []
    for lv in spec.lv_names:
        mine = [r for r in involved_rows if lv in (r.lhs, r.rhs)]
        if not mine:
            continue
        groups = sorted({r.group for r in mine})
        for g in groups:
            rows = [r for r in spec.rows if r.group == g]
            text = _scale_free(rows, lv) or _two_indicators(spec, lv)
            if text and text not in out:
                out.append(text)
    return out


def describe_null_space(spec, basis, group_levels=None):
    """``(problems, parameter names)`` of the free parameters in a null-space ``basis``."""
    weight = np.linalg.norm(basis, axis=1)
    first = _row_of_par(spec)
    involved = [first[k] for k in np.flatnonzero(weight > NULL_WEIGHT)]
    names = [_name(r, group_levels, spec.ngroups) for r in involved]
    return _problems(spec, involved), names


def check_local(spec, eng, theta0, group_levels=None, constraints=None):
    """Refuses a model whose moment Jacobian (:func:`moment_jacobian`) at a random perturbation
    of the start values ``theta0`` has rank below the number of free parameters (the engine must
    hold the data, for the fixed-x moments). Equality ``constraints``
    (:class:`surveysem.sem.constraints.Constraints`) identify too: their Jacobian is stacked below
    (effect coding, ``f =~ NA*x1 + a*x1 + b*x2 + c*x3; a + b + c == 3``)."""
    q = spec.npar
    if q == 0:
        return
    with np.errstate(all="ignore"):
        point = _perturbed(np.asarray(theta0, float))
        J = moment_jacobian(eng, point)
        if constraints is not None and constraints.is_eq.any():
            J = np.vstack([J, constraints.jacobian(point)[constraints.is_eq]])
    if not np.all(np.isfinite(J)):
        return
    rank, basis = _null_space(J, JACOBIAN_RANK_TOL)
    if rank == q:
        return
    problems, names = describe_null_space(spec, basis, group_levels)
    what = "; ".join(problems) + "; " if problems else ""
    raise SurveySemError(
        f"model not identified: {what}not identified: {_listed(names)}"
        f" (rank of the Jacobian of the implied moments {rank} < {q} free parameters)"
    )


# A warning names at most this many parameters: on a large model the null space can hold hundreds.
MAX_NAMED = 10


def _listed(names: list[str]) -> str:
    shown = ", ".join(names[:MAX_NAMED])
    return shown + (f" and {len(names) - MAX_NAMED} more" if len(names) > MAX_NAMED else "")


def information_rank(spec, info, group_levels=None, basis=None):
    """``None`` when the information matrix ``info`` at the solution has full rank, otherwise the
    reason (one line, with the parameters of its null space): a parameter without information,
    or a smallest eigenvalue of the scaled information below ``INFORMATION_RANK_TOL`` of the
    largest (lavaan's ``lav_model_vcov`` check). ``basis``: of the directions the active
    constraints leave free (:meth:`surveysem.sem.constraints.Constraints.null_basis`); the
    information is checked in them."""
    if info is None or not np.all(np.isfinite(info)):
        return "information matrix is not finite at the solution"
    if basis is not None:
        info = basis.T @ info @ basis
    d = np.sqrt(np.clip(np.diag(info), 0.0, None))
    scaled = info / np.outer(np.where(d > 0, d, 1.0), np.where(d > 0, d, 1.0))
    scaled[:, d == 0] = 0.0
    scaled[d == 0, :] = 0.0
    w, v = np.linalg.eigh(scaled)
    small = w <= INFORMATION_RANK_TOL * max(w.max(), 1e-300)
    if not small.any():
        return None
    null = v[:, small] if basis is None else basis @ v[:, small]
    problems, names = describe_null_space(spec, null, group_levels)
    ratio = w.min() / w.max() if w.max() > 0 else 0.0
    what = "; ".join(problems) + "; " if problems else ""
    return (f"model not identified at the solution: {what}information matrix is singular (smallest relative "
            f"eigenvalue {ratio:.2g}); not identified: {_listed(names)}")
