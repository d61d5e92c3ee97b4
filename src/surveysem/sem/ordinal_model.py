"""The model of ordered indicators in lavaan's delta parameterization (``parameterization =
"delta"``, the default of ``estimator = "WLSMV"``) or its theta parameterization: its parameter table and its implied thresholds
and polychoric correlations with their derivatives (lavaan's ``lav_model_implied`` and
``computeDelta`` for categorical data).

Each ordered item ``x`` has a latent response ``x*`` whose model is the continuous one: ``Sigma* =
F B S B' F'`` over the RAM matrices (:mod:`surveysem.sem.matrices`). In the delta parameterization
the scaling factors (``x ~*~ x``) are fixed at 1, the intercepts of the items and the means of the
latent variables at 0, so the implied thresholds are the threshold parameters and ``diag(Sigma*) =
1``: the residual variance of an item is not free but ``1 - `` its explained variance, reported as
a fixed row as lavaan does. The items may not be predictors of other variables (no path starts at
an ordered item), so its residual variance touches only the diagonal of ``Sigma*`` and the implied
correlations are the off-diagonal entries computed with those variances at 0.

In the theta parameterization (``parameterization = "theta"``) the residual variances of the
latent responses are fixed at 1 instead, and the implied thresholds and correlations are scaled by
lavaan's computed scaling factors ``1 / sqrt(diag Sigma*)`` (reported as the ``~*~`` rows).

With ``group_equal`` "thresholds" (delta, several groups) lavaan 0.6-14 frees the items' scaling
factors ``d`` and the latent means ``alpha`` in groups 2+: the implied thresholds are ``d_i (tau_k -
lambda_i' alpha)``, the correlations ``d_i d_j Sigma*_ij`` and the residual variances ``1 / d_i^2 -``
explained.

Parameter vector: the structural parameters (renumbered without the items' residual variances),
then the thresholds (per group; a label shared across groups ties them), then the latent means and
scaling factors of groups 2+ when thresholds are equal.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from surveysem.errors import SurveySemError
from surveysem.sem.matrices import GroupMatrices
from surveysem.sem.partable import ModelSpec, ParRow, build_partable
from surveysem.sem.samplestats import GroupData
from surveysem.sem.start import start_values
from surveysem.sem.syntax import ParsedModel


@dataclass
class GroupLayout:
    """Where a group's stage-one statistics sit in the model: the correlations' model-variable
    indices, the thresholds' items (model indices), parameter indices (-1: fixed) and fixed values,
    and the parameters of the items' scaling factors (-1: fixed at 1)."""

    rows: np.ndarray  # model index of the first variable of each correlation
    cols: np.ndarray
    th_item: np.ndarray
    th_par: np.ndarray
    th_fixed: np.ndarray
    scale_par: np.ndarray


@dataclass
class OrdinalModel:
    spec: ModelSpec  # structural rows only (residual variances of the items fixed)
    thresholds: list  # ParRow with op "|" (group order, then items in the moments' order)
    npar: int  # structural + threshold (+ scaling) parameters
    layouts: list  # GroupLayout per group
    groups: list = field(default_factory=list)  # GroupMatrices per group
    theta0: np.ndarray | None = None  # start values
    parameterization: str = "delta"

    def _tau(self, theta, lay):
        return np.where(lay.th_par >= 0, theta[np.maximum(lay.th_par, 0)], lay.th_fixed)

    def state(self, theta, g):
        """(C, nu, scaling d, thresholds tau) of group ``g`` (0-based): the covariance matrix and
        means of all variables (delta: C without the items' residual variances), the scaling
        factors of the items (lavaan's ``~*~``: delta, 1 or free; theta, ``1 / sqrt(diag Sigma*)``)."""
        gm, lay = self.groups[g], self.layouts[g]
        _, _, _, B, C, nu = gm.implied(theta)
        p = len(self.spec.ov_names)
        if self.parameterization == "theta":
            d = 1.0 / np.sqrt(np.diag(C)[:p])
        else:
            d = np.where(lay.scale_par >= 0, theta[np.maximum(lay.scale_par, 0)], 1.0)
        return C, nu, d, self._tau(theta, lay), B

    def implied(self, theta, g):
        """(implied WLS vector, C, B, nu) of group ``g``: thresholds ``d_i (tau_k - mu_i)`` and
        correlations ``d_i d_j Sigma*_ij``."""
        lay = self.layouts[g]
        C, nu, d, tau, B = self.state(theta, g)
        tau = d[lay.th_item] * (tau - nu[lay.th_item])
        cor = C[lay.rows, lay.cols] * d[lay.rows] * d[lay.cols]
        return np.concatenate([tau, cor]), C, B, nu

    def scaling(self, theta, g):
        return self.state(theta, g)[2]

    def jacobian(self, theta, g):
        """d sigma / d theta of group ``g``: (thresholds + correlations) x npar."""
        gm, lay = self.groups[g], self.layouts[g]
        C, nu, d, tau, B = self.state(theta, g)
        Am, Bm, Mm = gm.derivs(B, C, nu)
        p = len(d)
        r, c, it = lay.rows, lay.cols, lay.th_item
        cov = C[r, c]
        if self.parameterization == "theta":
            Dd = -0.5 * d[:, None] ** 3 * (2.0 * Am[:p] * Bm[:p])  # d(1 / sqrt(Sigma_ii))
        else:
            Dd = np.zeros((p, Am.shape[1]))
        dcov = Am[r] * Bm[c] + Bm[r] * Am[c]
        dcor = dcov * (d[r] * d[c])[:, None] + cov[:, None] * (Dd[r] * d[c][:, None] + d[r][:, None] * Dd[c])
        centred = tau - nu[it]
        dtau = centred[:, None] * Dd[it] - d[it][:, None] * Mm[it]
        nt = len(it)
        out = np.zeros((nt + len(r), self.npar))
        out[:nt] = gm.columns_to_parameters(dtau)
        out[nt:] = gm.columns_to_parameters(dcor)
        free = np.flatnonzero(lay.th_par >= 0)
        out[free, lay.th_par[free]] += d[it[free]]
        sp = lay.scale_par
        for k in np.flatnonzero(sp[it] >= 0):
            out[k, sp[it[k]]] += centred[k]
        for k in np.flatnonzero(sp[r] >= 0):
            out[nt + k, sp[r[k]]] += d[c[k]] * cov[k]
        for k in np.flatnonzero(sp[c] >= 0):
            out[nt + k, sp[c[k]]] += d[r[k]] * cov[k]
        return out

    def residual_variances(self, C, d):
        """The residual variances of the latent responses: delta, 1 / d^2 - explained variance
        (1 - explained when the scaling is 1); theta, 1."""
        p = len(self.spec.ov_names)
        return 1.0 / d**2 - np.diag(C)[:p] if self.parameterization == "delta" else np.ones(p)


def _check_structure(spec: ModelSpec):
    if spec.ov_x:
        raise SurveySemError(f"not supported: exogenous observed covariates ({', '.join(spec.ov_x)}) with ordered "
                             "indicators; model them as single-indicator latent variables or leave them out")
    if spec.general_constraints or spec.definitions:
        raise SurveySemError("not supported: ':=' definitions and constraints between expressions with ordered "
                             "indicators; tie labels (a == b) instead")
    p = len(spec.ov_names)
    for r in spec.rows:
        if r.mat == "A" and r.j < p:
            raise SurveySemError(f"not supported: an ordered item as a predictor ({r.lhs} ~ {r.rhs}) in the delta "
                                 "parameterization; regress on latent variables only", value=r.rhs)
        if r.op == "~1":
            raise SurveySemError(f"not supported: intercepts and means ('{r.lhs} ~ 1') with ordered indicators "
                                 "(delta parameterization: item intercepts and latent means are 0)", value=r.lhs)


def _fix_residual_variances(spec: ModelSpec, parameterization) -> dict:
    """Fix the items' residual variances (delta: placeholders 0, reported as 1 - explained; theta:
    1) and renumber the other free parameters; returns old -> new parameter index."""
    p = len(spec.ov_names)
    value = 0.0 if parameterization == "delta" else 1.0
    for r in spec.rows:
        if r.op == "~~" and r.lhs == r.rhs and r.mat == "S" and r.i < p:
            if r.user:
                raise SurveySemError(f"not supported: '{r.lhs} ~~ {r.lhs}' with ordered indicators: the residual "
                                     "variance of an item's latent response is not a parameter (delta: 1 - explained "
                                     "variance; theta: 1); leave it out of the syntax", value=r.lhs)
            r.free, r.value, r.par, r.label = False, value, -1, ""
    old = sorted({r.par for r in spec.rows if r.free})
    new = {o: k for k, o in enumerate(old)}
    for r in spec.rows:
        if r.free:
            r.par = new[r.par]
    spec.labels = {lab: new[par] for lab, par in spec.labels.items() if par in new}
    spec.npar = len(old)
    return new


def _threshold_rows(th_terms, moments, ngroups, first_par, equal=False, partial=frozenset()):
    """One ``|`` row per group, item and threshold (the moments' order); the user's ``|`` terms
    fix, label or tie them (the same label in several groups or items = one parameter);
    ``equal``: group_equal "thresholds", one parameter per item and threshold in all groups, but
    for the (item, threshold) pairs in ``partial`` (group_partial ``x1|t1``)."""
    user = {(t.lhs, t.rhs): t for t in th_terms}
    for t in th_terms:
        if t.lhs not in moments[0].thresholds or t.rhs not in moments[0].thresholds[t.lhs]:
            have = moments[0].thresholds.get(t.lhs)
            raise SurveySemError(f"model syntax, line {t.line}: {t.lhs} | {t.rhs}: "
                                 + (f"{t.lhs} has thresholds {', '.join(have)}" if have else
                                    f"{t.lhs} is not an ordered item of the data"), value=t.lhs)
    rows, by_label, k = [], {}, first_par
    for g in range(1, ngroups + 1):
        mom = moments[g - 1]
        for v in mom.variables:
            for tk in mom.thresholds[v]:
                r = ParRow(v, "|", tk, g, (v, tk) in user, True, None, mat="t")
                t = user.get((v, tk))
                if t is not None:
                    _apply_threshold_modifier(r, t.mod, g, ngroups)
                # the same label ties; group_equal "thresholds" ties an item's threshold across groups
                tie = r.label or ((v, tk) if equal and (v, tk) not in partial else None)
                if r.free:
                    if tie and tie in by_label:
                        r.par = by_label[tie]
                    else:
                        r.par, k = k, k + 1
                        if tie:
                            by_label[tie] = r.par
                rows.append(r)
    return rows, k


def _apply_threshold_modifier(r: ParRow, mod, g, ngroups):
    def pick(vals):
        return vals[0] if len(vals) == 1 else vals[g - 1] if len(vals) == ngroups else None

    if mod.fixed:
        val = pick(mod.fixed)
        if val is not None:
            r.free, r.value = False, float(val)
    if mod.label:
        r.label = pick(mod.label) or ""


def _layout(spec, mom, thresholds, g, scale_par):
    index = {v: k for k, v in enumerate(spec.ov_names)}
    pairs = mom.correlation_pairs()
    rows = np.array([index[mom.variables[i]] for i, j in pairs], int)
    cols = np.array([index[mom.variables[j]] for i, j in pairs], int)
    th = [r for r in thresholds if r.group == g]
    return GroupLayout(rows, cols, np.array([index[r.lhs] for r in th], int),
                       np.array([r.par if r.free else -1 for r in th], int),
                       np.array([r.value if not r.free else 0.0 for r in th], float), scale_par)


ORDINAL_GROUP_EQUAL = ("loadings", "thresholds", "intercepts")


def _check_options(parameterization, group_equal, ngroups):
    if parameterization not in ("delta", "theta"):
        raise SurveySemError(f"unknown parameterization {parameterization!r}; use delta or theta",
                             value=parameterization)
    bad = [ge for ge in group_equal if ge not in ORDINAL_GROUP_EQUAL]
    if bad:
        raise SurveySemError(f"not supported: group_equal {bad[0]!r} with ordered indicators; use "
                             f"{', '.join(ORDINAL_GROUP_EQUAL)}", value=bad[0])
    if "thresholds" in group_equal and parameterization == "theta" and ngroups > 1:
        raise SurveySemError("not supported: group_equal 'thresholds' in the theta parameterization; use the "
                             "delta parameterization (the default)")


def _free_in_later_groups(spec, ngroups, first_par):
    """group_equal "thresholds" (lavaan 0.6-14, delta): the latent means and the items' scaling
    factors are free in groups 2+; adds the mean rows to ``spec`` and returns (scale parameter
    arrays per group, the next parameter index)."""
    index = {v: k for k, v in enumerate(spec.var_names)}
    p, k = len(spec.ov_names), first_par
    scale = [np.full(p, -1, int)]
    for g in range(2, ngroups + 1):
        for lv in spec.lv_names:
            spec.rows.append(ParRow(lv, "~1", "", g, False, True, None, mat="m", i=index[lv], j=0, par=k))
            k += 1
        scale.append(np.arange(k, k + p))
        k += p
    return scale, k


def _threshold_partial(group_partial, moments):
    """The (item, threshold) pairs of lavaan's group.partial names ``x1|t1``; the other names."""
    pairs, rest = set(), []
    for name in group_partial:
        text = "".join(str(name).split())
        if "|" not in text:
            rest.append(name)
            continue
        item, t = text.split("|", 1)
        if t not in moments[0].thresholds.get(item, ()):
            raise SurveySemError(f"group_partial: {name!r} is not a threshold of the model (write it as x1|t1)",
                                 value=name)
        pairs.add((item, t))
    return frozenset(pairs), tuple(rest)


def build_ordinal_model(parsed: ParsedModel, moments: list, *, std_lv=False, group_equal=(), group_partial=(),
                        parameterization="delta") -> OrdinalModel:
    """The model of ``parsed`` for the stage-one ``moments`` (one
    :class:`~surveysem.sem.ordinal_moments.OrdinalMoments` per group, already restricted to the
    model's items in one order), in lavaan's ``"delta"`` or ``"theta"`` parameterization;
    ``group_equal``: "loadings", "thresholds" (then, as lavaan, the latent means and scaling
    factors are free in groups 2+), "intercepts" (no effect: the items' intercepts are 0);
    ``group_partial``: lavaan's group.partial, thresholds as ``x1|t1``, loadings as ``f=~x1``."""
    ngroups = len(moments)
    group_equal = tuple(group_equal)
    _check_options(parameterization, group_equal, ngroups)
    th_terms = [t for t in parsed.terms if t.op == "|"]
    rest = ParsedModel([t for t in parsed.terms if t.op != "|"], parsed.definitions, parsed.constraints)
    th_partial, other_partial = _threshold_partial(group_partial, moments)
    spec = build_partable(rest, ngroups=ngroups, meanstructure=False, std_lv=std_lv,
                          available=moments[0].variables, group_equal=tuple(ge for ge in group_equal
                                                                            if ge == "loadings"),
                          group_partial=other_partial)
    _check_structure(spec)
    # the engine's continuous start values on the polychoric matrices, before renumbering
    cont = start_values(spec, [GroupData.from_moments(np.zeros(len(spec.ov_names)), _model_order(spec, m), m.nobs)
                               for m in moments])
    start_map = _fix_residual_variances(spec, parameterization)
    equal_th = "thresholds" in group_equal and ngroups > 1
    thresholds, npar = _threshold_rows(th_terms, moments, ngroups, spec.npar, equal=equal_th, partial=th_partial)
    scale = [np.full(len(spec.ov_names), -1, int)] * ngroups
    if equal_th:
        scale, npar = _free_in_later_groups(spec, ngroups, npar)
    layouts = [_layout(spec, moments[g], thresholds, g + 1, scale[g]) for g in range(ngroups)]
    theta0 = _start_vector(cont, start_map, thresholds, moments, npar)
    for sp in scale:
        theta0[sp[sp >= 0]] = 1.0
    model = OrdinalModel(spec, thresholds, npar, layouts, parameterization=parameterization, theta0=theta0)
    nvar = len(spec.var_names)
    p = len(spec.ov_names)
    model.groups = [GroupMatrices(spec, g, nvar, p, npar) for g in range(1, ngroups + 1)]
    return model


def _model_order(spec, mom):
    """The polychoric matrix in the model's variable order."""
    pos = [mom.variables.index(v) for v in spec.ov_names]
    return mom.correlation_matrix()[np.ix_(pos, pos)]


def _start_vector(cont, start_map, thresholds, moments, npar):
    """Start values: the continuous ones of the structural parameters, the sample thresholds."""
    theta = np.zeros(npar)
    for old, new in start_map.items():
        theta[new] = cont[old] if np.isfinite(cont[old]) else 0.0
    for r in thresholds:
        if r.free:
            m = moments[r.group - 1]
            theta[r.par] = m.wls_obs[m.threshold_names().index(f"{r.lhs}|{r.rhs}")]
    return theta


def display_rows(model: OrdinalModel, g: int) -> list:
    """lavaan's fixed rows in group ``g``: ``x ~*~ x`` (delta: 1; theta: the computed scaling,
    filled in by the table), ``x ~ 1`` (0) of every item and ``f ~ 1`` (0) of every latent variable."""
    spec = model.spec
    scale = model.layouts[g - 1].scale_par
    rows = [ParRow(v, "~*~", v, g, False, scale[k] >= 0, 1.0, mat="", par=int(scale[k]))
            for k, v in enumerate(spec.ov_names)]
    rows += [ParRow(v, "~1", "", g, False, False, 0.0, mat="") for v in spec.ov_names]
    means = [r for r in spec.rows if r.group == g and r.op == "~1"]
    have = {r.lhs for r in means}
    return rows + [ParRow(v, "~1", "", g, False, False, 0.0, mat="") if v not in have else
                   next(r for r in means if r.lhs == v) for v in spec.lv_names]
