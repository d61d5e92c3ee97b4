"""The marker-based method factor of the SAM measurement model, and corrected products of scores.

**Why.** Rated items share a common-method component (acquiescence: a firm that agrees with
everything). Left out, it enters every capability factor, inflates their correlations and biases
the partial coefficients of P1-P3 (``bench/README.md``: the P3 effects about 7 % low).

**Model** (one joint CFA of the hypothesis' constructs and the marker, ML, FIML with missing
items, ``std.lv``)::

    xi_k   =~ items of construct k           (latent variance 1; free correlations among the xi)
    MARKER =~ marker items                   (the marker's own trait, latent variance 1)
    METHOD =~ s_j * every item, marker included, s_j = +1, or -1 for a reverse-keyed item
    METHOD ~~ v  (free);  METHOD and MARKER orthogonal to every xi and to each other

The method loadings are equal on the raw item scale with the sign of the item's keying
(acquiescence adds to the raw answer, so it subtracts from a reversed one; a parcel has the mean
of its items' signs; on linearised item scores, times each item's slope of score on answer,
:func:`surveysem.propositions.item_scores.answer_slopes`): the random-intercept model of
Maydeu-Olivares & Coffman (2006), anchored by
a marker that is theoretically unrelated to the capabilities (Williams, Hartman & Cavazotte
2010). Why not the textbook CFA marker model (marker items on the method factor only, free
method loadings): a real marker measures its own trait too, so that method factor becomes
mostly the marker trait and leaves the shared method variance in the capabilities (in the
config's population its loadings on the capability items came out 0.00-0.08 for a true 0.19 at
3,000 firms); and free method loadings next to a trait factor are barely identified (SEs of
0.07-0.2 at 3,000 firms). One equal loading is estimated with an SE of about 0.01 there.

**Scores.** The capabilities' scores are GLS estimates from the items a firm answered with the
marker trait and the method factor as random nuisance factors, i.e. part of the error:
``Sigma_e = Theta + v m m' + lambda_M lambda_M'`` and ``f = (L' Sigma_e^-1 L)^-1 L' Sigma_e^-1
(x - nu)``, ``Omega = (L' Sigma_e^-1 L)^-1`` (``L`` the capability loadings). Computed as the
Bartlett equations of all factors with the nuisance factors' prior precisions (1 and ``1 / v``)
added to the information matrix (Henderson's mixed-model equations give the same GLS estimate).
Then ``f = xi + e`` with ``E[e | xi] = 0`` and ``e`` independent of the capabilities, the outcome
and the controls, because the model makes the method factor and the marker trait orthogonal to
the capabilities, and the outcomes and controls are factual answers (years, counts, shares) that
acquiescence does not move. Why not Bartlett scores with the method factor as a factor
(``e`` free of ``M``, robust to a method effect on the outcome): equal method loadings within a
block are nearly collinear with the capability's own, so those scores are much noisier (score
reliabilities .69-.78 on the bundled data, against .82-.86 for the GLS scores and .83-.88 without
a method factor; P3's SEs 25-45 % larger at 1,000 firms); the GLS scores keep the precision and
still remove the method variance from the capabilities' covariances. The errors are correlated across constructs (through the method factor
and the shared marker items). A firm whose answered items do not identify a capability is dropped.

**Corrected products.** :func:`hermite_product`: with normal errors ``e ~ N(0, Omega)``, the
unbiased estimator of a product of latent scores ``prod_k eta_{i_k}`` is the multivariate
Hermite polynomial, a sum over the partial pairings of the factors, each pair contributing
``-Omega_ab``: ``f_a f_b - Omega_ab``, ``f_a^2 f_b^2 - Omega_aa f_b^2 - Omega_bb f_a^2 - 4
Omega_ab f_a f_b + Omega_aa Omega_bb + 2 Omega_ab^2``. With block-diagonal ``Omega`` (separate
one-factor blocks, no method factor) it is the familiar ``f^2 -> f^2 - omega``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

import numpy as np
import pandas as pd

from surveysem.errors import SurveySemError

METHOD = "METHOD"
JOINT = "measurement"  # key of the joint model in LatentRegression.blocks
FIT_KEYS = ("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr")
IDENTIFIED_RCOND = 1e-10  # smallest eigenvalue ratio of a firm's information matrix


# --------------------------------------------------------------------------- corrected products
@cache
def partial_pairings(m: int) -> tuple[tuple[tuple[tuple[int, int], ...], tuple[int, ...]], ...]:
    """Every partial pairing of positions ``0..m-1``: (pairs, unpaired positions)."""
    def rec(pos):
        if not pos:
            return [((), ())]
        first, rest = pos[0], pos[1:]
        out = [(pairs, (first,) + single) for pairs, single in rec(rest)]
        for i, other in enumerate(rest):
            out += [(((first, other),) + pairs, single) for pairs, single in rec(rest[:i] + rest[i + 1:])]
        return out
    return tuple(rec(tuple(range(m))))


def hermite_product(F: np.ndarray, Om: np.ndarray, idx) -> np.ndarray:
    """Per firm, the unbiased estimator of ``prod_k eta[idx_k]`` from scores ``F = eta + e`` with
    normal errors of covariance ``Om`` (n x K x K): the sum over partial pairings of ``idx``, a
    pair ``(a, b)`` contributing ``-Om[:, a, b]``, an unpaired position its score. ``idx``: score
    columns, repeats allowed; empty gives ones. Leading dimensions before ``n`` (a batch of
    parameter sets) are kept."""
    idx = tuple(idx)
    total = np.zeros(F.shape[:-1])
    for pairs, single in partial_pairings(len(idx)):
        term = np.ones(F.shape[:-1])
        for s in single:
            term = term * F[..., idx[s]]
        for a, b in pairs:
            term = term * -Om[..., idx[a], idx[b]]
        total = total + term
    return total


def diagonal_covariances(Om: np.ndarray) -> np.ndarray:
    """(n x K) error variances of independent scores as (n x K x K) covariances."""
    out = np.zeros(Om.shape + (Om.shape[-1],))
    k = np.arange(Om.shape[-1])
    out[..., k, k] = Om
    return out


# --------------------------------------------------------------------------- the joint measurement model
@dataclass(frozen=True)
class MethodFactor:
    """The marker construct, its indicator columns and every indicator's method loading: its keying
    sign (+1 / -1), times its score-on-answer slope when the items are linearised."""

    marker: str
    marker_items: list[str]
    keying: dict


def keying_signs(inst, columns) -> dict:
    """Sign of the method loading of each indicator column: -1 for a reverse-keyed item (reversed
    in the analysis data), +1 otherwise; a parcel gets the mean of its items' signs."""
    reverse = {it.id: bool(it.reverse) for it in inst.items}
    parcels = getattr(inst, "parcels", {}) or {}
    out = {}
    for c in columns:
        if c in parcels:
            out[c] = float(np.mean([-1.0 if reverse.get(i) else 1.0 for i in parcels[c].items]))
        elif c in reverse:
            out[c] = -1.0 if reverse[c] else 1.0
        else:
            raise SurveySemError(f"method factor: indicator {c!r} is neither an item nor a parcel of the instrument")
    return out


@dataclass
class JointMeasurement:
    """The fitted joint CFA (module docstring); ``loadings`` are the trait loadings per column."""

    constructs: list[str]  # capabilities (and construct controls), score order
    items: dict  # construct -> indicator columns, the marker last
    marker: str
    keying: np.ndarray  # method loading per column
    loadings: np.ndarray
    theta: np.ndarray
    nu: np.ndarray
    method_variance: float
    vcov: np.ndarray  # covariance of (loadings, theta, nu, method variance)
    converged: bool
    warnings: list = field(default_factory=list)
    fit: dict = field(default_factory=dict)
    construct: str = JOINT
    influence: np.ndarray | None = None  # n x params: each fitted row's influence on params

    @property
    def columns(self) -> list[str]:
        return [i for its in self.items.values() for i in its]

    @property
    def params(self) -> np.ndarray:
        return np.concatenate([self.loadings, self.theta, self.nu, [self.method_variance]])

    def with_params(self, p: np.ndarray) -> JointMeasurement:
        k = len(self.columns)
        return JointMeasurement(self.constructs, self.items, self.marker, self.keying, p[:k], p[k:2 * k],
                                p[2 * k:3 * k], float(p[3 * k]), self.vcov, self.converged)

    def matrix(self) -> np.ndarray:
        """Loading matrix: columns ``constructs..., marker, METHOD``."""
        factors = list(self.items)
        L = np.zeros((len(self.columns), len(factors) + 1))
        row = 0
        for j, f in enumerate(factors):
            n = len(self.items[f])
            L[row:row + n, j] = self.loadings[row:row + n]
            row += n
        L[:, -1] = self.keying
        return L

    def reliabilities(self) -> dict:
        """Reliability of each capability's score with every item answered: 1 / (1 + Omega_kk)."""
        everything = pd.DataFrame(np.zeros((1, len(self.columns))), columns=self.columns)
        Om = joint_scores(self, everything)[1][0]
        return {c: float(1.0 / (1.0 + Om[j, j])) for j, c in enumerate(self.constructs)}


def method_syntax(items: dict, marker: str, keying: dict, method: str = METHOD) -> str:
    """lavaan syntax of the joint model (``items``: construct -> columns, the marker included)."""
    lines = [f"{c} =~ " + " + ".join(its) for c, its in items.items()]
    every = [i for its in items.values() for i in its]
    lines.append(f"{method} =~ " + " + ".join(f"{keying[i]:.12g}*{i}" for i in every))
    lines.append(f"{method} ~~ NA*{method}")
    lines += [f"{method} ~~ 0*{c}" for c in items]
    lines += [f"{marker} ~~ 0*{c}" for c in items if c != marker]
    return "\n".join(lines) + "\n"


def fit_joint_measurement(data: pd.DataFrame, constructs: dict, method: MethodFactor,
                          max_iter: int = 500) -> JointMeasurement:
    """Fit the joint CFA of ``constructs`` (construct -> columns) and the marker (module docstring)."""
    from surveysem.propositions.latent_sam import _block_vcov, block_influence, mean_influence
    from surveysem.sem.api import fit_model

    if method.marker in constructs:
        raise SurveySemError(f"method factor: the marker {method.marker!r} is also a construct of the hypothesis")
    if METHOD in constructs:
        raise SurveySemError(f"method factor: a construct is named {METHOD!r}, the method factor's name")
    items = {**constructs, method.marker: list(method.marker_items)}
    cols = [i for its in items.values() for i in its]
    absent = [c for c in cols if c not in data.columns]
    if absent:
        raise SurveySemError(f"method factor: column(s) {', '.join(absent)} not in the data")
    x = data[cols]
    missing = "fiml" if x.isna().to_numpy().any() else "listwise"
    # the fit gate reads the ML indices; the FIML-corrected robust ones are costly and unused
    res = fit_model(method_syntax(items, method.marker, method.keying), x, missing=missing, std_lv=True,
                    max_iter=max_iter, fiml_robust_indices=False)
    e = res.estimates.set_index(["lhs", "op", "rhs"])
    lam_rows = [(c, "=~", i) for c, its in items.items() for i in its]
    th_rows = [(i, "~~", i) for i in cols]
    lam = np.array([e.loc[r, "est"] for r in lam_rows], dtype=float)
    th = np.array([e.loc[r, "est"] for r in th_rows], dtype=float)
    v_row = [(METHOD, "~~", METHOD)]
    if missing == "fiml":
        nu = np.array([e.loc[(i, "~1", ""), "est"] for i in cols], dtype=float)
        V = _block_vcov(res, lam_rows + th_rows + [(i, "~1", "") for i in cols] + v_row)
        IF = block_influence(res, lam_rows + th_rows + [(i, "~1", "") for i in cols] + v_row)
    else:  # the intercepts are the sample means: Var = S / N, independent of the rest
        nu = x.mean().to_numpy(dtype=float)
        k = len(cols)
        Vlt = _block_vcov(res, lam_rows + th_rows + v_row)
        order = list(range(2 * k)) + [3 * k]  # (loadings, theta) and v around the intercepts
        V = np.zeros((3 * k + 1, 3 * k + 1))
        V[np.ix_(order, order)] = Vlt
        V[2 * k:3 * k, 2 * k:3 * k] = np.cov(x.to_numpy(dtype=float), rowvar=False, bias=True) / len(x)
        lt = block_influence(res, lam_rows + th_rows + v_row)
        IF = None if lt is None else np.column_stack([lt[:, :2 * k], mean_influence(x), lt[:, 2 * k:]])
    v = float(e.loc[(METHOD, "~~", METHOD), "est"])
    warns = list(res.warnings)
    if np.any(th <= 0):
        warns.append("joint measurement model: Heywood case (a residual variance <= 0)")
    if v <= 0:
        warns.append(f"joint measurement model: method factor variance {v:.4g} <= 0")
    fit = {k: res.fit[k] for k in FIT_KEYS if k in res.fit}
    return JointMeasurement(list(constructs), items, method.marker,
                            np.array([method.keying[i] for i in cols], dtype=float), lam, th, nu, v, V,
                            bool(res.converged), warns, fit, influence=IF)


def joint_scores(mm: JointMeasurement, data: pd.DataFrame | np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(F, Omega, identified): scores of the capabilities (n x K), their error covariances
    (n x K x K) from each firm's answered items, and whether the firm's items identify every
    capability (NaN scores where not). The marker trait and the method factor are random nuisance
    factors (module docstring): their prior precisions (1 and 1 / v) enter the information matrix,
    which is GLS for the capabilities with their variance in the error (Henderson's equations).
    ``data``: a frame with ``mm.columns``, or those columns as an array already."""
    x = data if isinstance(data, np.ndarray) else data[mm.columns].to_numpy(dtype=float)
    F, Om, identified = joint_scores_at(mm, x, mm.params[None, :])
    return F[0], Om[0], identified[0]


def joint_scores_at(mm: JointMeasurement, x: np.ndarray, params: np.ndarray, check: bool = True
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`joint_scores` of ``x`` (n x columns) at every row of ``params`` (B x parameters, in
    the order of ``mm.params``): arrays B x n x K, B x n x K x K and B x n. Why a batch: the
    measurement Jacobian of SAM evaluates the scores at two parameter sets per parameter.
    ``check=False``: every firm is known to be identified (at nearby parameters: the Jacobian's
    shifts), so the eigenvalues are not computed."""
    p = len(mm.columns)
    lam, theta, nu, v = params[:, :p], params[:, p:2 * p], params[:, 2 * p:3 * p], params[:, 3 * p]
    obs = ~np.isnan(x)
    L = np.zeros((len(params), p, len(mm.items) + 1))
    L[:, np.arange(p), np.repeat(np.arange(len(mm.items)), [len(i) for i in mm.items.values()])] = lam
    L[:, :, -1] = mm.keying
    prior = np.zeros(L.shape[::2])
    prior[:, -2] = 1.0  # the marker trait, latent variance 1 (std.lv)
    has_v = v > 0
    prior[:, -1] = np.where(has_v, 1.0 / np.where(has_v, v, 1.0), 1.0)
    L[~has_v, :, -1] = 0.0  # no method variance estimated: the factor is left out (the fit is flagged inadmissible)
    # the information depends on the firm's answered items only: once per missing-data pattern
    packed = np.ascontiguousarray(np.packbits(obs, axis=1))
    keys = packed.view(np.dtype((np.void, packed.shape[1]))).ravel()  # one bytes key per firm: a fast 1-d unique
    _, first, firm_pattern = np.unique(keys, return_index=True, return_inverse=True)
    firm_pattern = firm_pattern.ravel()
    m = L.shape[2]
    # sum_j w_ij L_jk L_jl as one product with the outer products of L's rows (BLAS, not einsum's loop)
    outer = (L[:, :, :, None] * L[:, :, None, :]).reshape(len(params), p, m * m)
    info = np.matmul(obs[first][None, :, :] / theta[:, None, :], outer).reshape(len(params), -1, m, m)
    info += prior[:, None, :, None] * np.eye(m)
    if check:
        eig = np.linalg.eigvalsh(info)
        ok = eig[..., 0] > IDENTIFIED_RCOND * eig[..., -1]
        info[~ok] = np.eye(m)
    else:
        ok = np.ones(info.shape[:2], dtype=bool)
    Om = np.linalg.inv(info)[:, firm_pattern]
    identified = ok[:, firm_pattern]
    r = np.matmul(np.where(obs, x[None] - nu[:, None, :], 0.0) / theta[:, None, :], L)
    F = np.matmul(Om, r[..., None])[..., 0]
    K = len(mm.constructs)
    F, Om = F[..., :K], Om[..., :K, :K]
    F[~identified] = np.nan
    Om[~identified] = np.nan
    return F, Om, identified
