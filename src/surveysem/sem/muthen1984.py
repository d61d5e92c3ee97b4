"""Stage one of WLSMV (Muthén 1984): sample statistics of ordered items, Gamma and DWLS weights.

:func:`ordinal_sample_statistics` is lavaan 0.6-14's ``muthen1984`` without covariates:
thresholds from the margins (means and ML variances of continuous variables), polychoric,
polyserial and Pearson correlations by two-step ML, and the asymptotic covariance of all of
them by the sandwich of casewise scores,

    WLS.W = H B^-1 (S'S) B^-T H',  B = [[A11, 0], [A21, A22]],

A11 block-diagonal (each variable's thresholds / mean and variance), A22 the diagonal of the
correlations' score cross-products, A21 their cross-products with the univariate scores, H the
Jacobian from correlations to covariances (identity without continuous variables); the rows and
columns of continuous means change sign (lavaan stores -mean as their "threshold").
``gamma`` (lavInspect "gamma", NACOV) = N * WLS.W; ``wls_v`` (lavInspect "wls.v") =
diag(1 / diag(gamma)) (``gamma.n.minus.one = FALSE``).

Missing values, as lavaan's ``missing = "pairwise"``: univariate statistics from each
variable's answers, each correlation from the rows that answered both, a missing answer's
scores 0; rows without any answer are dropped. ``missing = "listwise"`` (lavaan's default for
ordered data) first drops every row with a missing value. Two continuous variables with missing
values are refused (lavaan estimates their correlation by ML over the pair; not built).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from surveysem.errors import SurveySemError
from surveysem.sem import polychoric as pc
from surveysem.sem import polyserial as ps
from surveysem.sem.ordinal_thresholds import (
    ordered_item,
    threshold_names,
    thresholds,
    univariate_scores,
)

NEARLY_ONE = 0.99
MAX_NAMED_PAIRS = 10


@dataclass
class OrdinalGroupStats:
    """Stage one of one group.

    ``wls_obs`` is lavaan's ``lavInspect(fit, "wls.obs")``: first the "thresholds" variable by
    variable in the order of ``items`` (an ordered item's ``x1|t1, x1|t2, ..``; a continuous
    variable's **negated** mean, named by the variable), then the variances of the continuous
    variables, then the lower triangle of ``cov`` column by column, ``vech(cov, diagonal =
    FALSE)``: (x2,x1), (x3,x1), .., (xp,x1), (x3,x2), .. (``cor_names``: ``x1~~x2``, ``x1~~x3``,
    ..). ``cov`` is the polychoric / polyserial correlation matrix with the continuous variables
    rescaled to covariances (lavInspect "sampstat" ``cov``); ``cor`` the correlations. ``th`` and
    ``th_names`` are lavaan's thresholds of the ordered items only (sampstat ``th``), ``mean`` the
    means (0 for ordered items). ``gamma``, ``wls_v`` and ``wls_v_diag`` are in the order of
    ``wls_obs`` (``wls_names``).
    """

    label: object
    n: int
    items: list[str]
    continuous: list[str]
    th: np.ndarray
    th_names: list[str]
    mean: np.ndarray
    var: np.ndarray
    cor: np.ndarray
    cov: np.ndarray
    cor_names: list[str]
    wls_obs: np.ndarray
    wls_names: list[str]
    gamma: np.ndarray
    wls_v_diag: np.ndarray
    zero_cell_pairs: list[tuple[str, str]]
    warnings: list[str] = field(default_factory=list)     # this group's (also in OrdinalStats)

    @property
    def wls_v(self) -> np.ndarray:
        """lavInspect "wls.v": the DWLS weight matrix diag(1 / diag(gamma)), built on demand
        (for 3,813 statistics the dense matrix is 116 MB; ``wls_v_diag`` holds its diagonal)."""
        return np.diag(self.wls_v_diag)


@dataclass
class OrdinalStats:
    """Stage one of every group (``groups`` in the order in which the group labels first appear
    in the data, as lavaan orders them, unless ``group_order`` is given), and all warnings."""

    groups: list[OrdinalGroupStats]
    warnings: list[str]


def _columns(data: pd.DataFrame, variables, ordered, levels, warnings):
    """Per variable: (is ordered, codes 1..K with 0 missing | float values with NaN, categories)."""
    absent = [c for c in variables if c not in data.columns]
    if absent:
        raise SurveySemError(f"variable(s) not in the data: {', '.join(absent)}")
    out = []
    for c in variables:
        if c in ordered:
            it = ordered_item(data[c], c, (levels or {}).get(c), warnings)
            out.append((True, it.codes, len(it.levels)))
            continue
        values = pd.to_numeric(data[c], errors="coerce")
        if (data[c].notna() & values.isna()).any():
            raise SurveySemError(f"continuous variable {c} has values that are not numbers "
                                 "(declare it ordered if it is categorical)")
        out.append((False, values.to_numpy(float), 0))
    return out


def _check_group(cols, names, label):
    """Each ordered item's categories must all occur in a group (lavaan refuses empty ones)."""
    for (is_ord, x, n_cat), name in zip(cols, names):
        if not is_ord:
            continue
        freq = np.bincount(x, minlength=n_cat + 1)[1:]
        if (freq == 0).any():
            where = "" if label is None else f" in group {label}"
            raise SurveySemError(f"ordered item {name}: categor{'y' if (freq == 0).sum() == 1 else 'ies'} "
                                 f"{', '.join(str(k + 1) for k in np.flatnonzero(freq == 0))} of "
                                 f"{n_cat} empty{where} (frequencies {' '.join(map(str, freq))}); "
                                 "lavaan refuses this too: merge categories or fit without groups")


@dataclass
class _Univariate:
    """Thresholds / means, variances, casewise scores and the inverse of A11, in lavaan's columns."""

    values: list[np.ndarray]      # per variable: thresholds, or [mean]
    var: np.ndarray               # per variable: ML variance (1 for ordered)
    cols: list[np.ndarray]        # per variable: its threshold / mean column(s)
    var_col: dict                 # continuous variable -> its variance column
    scores: np.ndarray            # n x (thresholds + means + variances)
    a11_inv: np.ndarray


def _check_continuous(x, name, label):
    where = "" if label is None else f" in group {label}"
    if np.isfinite(x).sum() < 2 or np.nanvar(x) == 0:
        raise SurveySemError(f"continuous variable {name} has no variance{where}: leave it out of the model")


def _univariate(cols) -> _Univariate:
    n = cols[0][1].shape[0]
    values = []
    for is_ord, x, n_cat in cols:
        values.append(thresholds(x, n_cat) if is_ord else np.array([np.nanmean(x)]))
    sizes = [v.size for v in values]
    start = np.concatenate([[0], np.cumsum(sizes)])
    num = [i for i, c in enumerate(cols) if not c[0]]
    var_col = {i: start[-1] + k for k, i in enumerate(num)}
    width = start[-1] + len(num)
    scores = np.zeros((n, width))
    a11_inv = np.zeros((width, width))
    var = np.ones(len(cols))
    out_cols = []
    for i, (is_ord, x, _) in enumerate(cols):
        own = np.arange(start[i], start[i + 1])
        out_cols.append(own)
        if is_ord:
            scores[:, own] = univariate_scores(x, values[i])
        else:
            res = x - values[i][0]
            var[i] = np.nanmean(res * res)
            scores[:, own[0]] = np.nan_to_num(res / var[i])
            scores[:, var_col[i]] = np.nan_to_num(-1 / (2 * var[i]) + res * res / (2 * var[i] ** 2))
            own = np.append(own, var_col[i])
        # positive definite: every category occurs (_check_group), variances are positive
        a11_inv[np.ix_(own, own)] = np.linalg.inv(scores[:, own].T @ scores[:, own])
    return _Univariate(values, var, out_cols, var_col, scores, a11_inv)


@dataclass
class _Pairs:
    """Correlations of all pairs (lavaan's vech order) with their scores and B, H entries."""

    first: np.ndarray
    second: np.ndarray
    rho: np.ndarray
    scores: np.ndarray            # n x pairs
    a21: np.ndarray               # pairs x univariate columns
    h21: np.ndarray
    h22: np.ndarray
    empty: np.ndarray             # pair has an empty bivariate cell (ordered pairs)
    not_converged: np.ndarray


def _ordinal_pairs(cols, uni: _Univariate, pairs: _Pairs, sel: np.ndarray) -> None:
    """Polychoric correlations of the pairs ``sel`` (both ordered), filled into ``pairs``."""
    ords = sorted({*pairs.first[sel], *pairs.second[sel]})
    local = {v: k for k, v in enumerate(ords)}
    codes = np.column_stack([cols[v][1] for v in ords])
    ths = [uni.values[v] for v in ords]
    n_cat = np.array([cols[v][2] for v in ords])
    tables = pc.pair_tables(codes, ths)
    want = {(local[pairs.first[s]], local[pairs.second[s]]): s for s in sel}
    keep = np.array([(a, b) in want for a, b in zip(tables.first, tables.second)])
    tables = pc.PairTables(tables.first[keep], tables.second[keep], tables.freq[keep],
                           tables.th1[keep], tables.th2[keep])
    dest = np.array([want[(a, b)] for a, b in zip(tables.first, tables.second)], dtype=int)
    freq_fit, fixed, empty = pc.adjust_zero_cells(tables.freq, n_cat[tables.first], n_cat[tables.second])
    start = pc.pairwise_pearson(codes)[tables.second, tables.first]
    rho, converged = pc.fit_rho(freq_fit, tables.th1, tables.th2, start)
    rho = np.where(np.isnan(fixed), rho, fixed)
    pairs.rho[dest], pairs.empty[dest] = rho, empty
    pairs.not_converged[dest] = ~converged & np.isnan(fixed)
    s_rho, z1u, z1l, z2u, z2l = pc.rho_scores(tables, rho)
    idx = np.arange(rho.size)
    a, b = codes[:, tables.first] - 1, codes[:, tables.second] - 1
    present = (a >= 0) & (b >= 0)
    pairs.scores[:, dest] = np.where(present, s_rho[idx[None, :], np.maximum(a, 0), np.maximum(b, 0)], 0.0)
    # A21 = sum over cases of score(rho) * score(threshold) = sum over cells freq * s_rho * z / PI
    w = tables.freq * s_rho
    for zu, zl, item, axis in ((z1u, z1l, tables.first, 2), (z2u, z2l, tables.second, 1)):
        up, low = (w * zu).sum(axis=axis), (w * zl).sum(axis=axis)
        for q in range(rho.size):
            th_cols = uni.cols[ords[item[q]]]
            k = np.arange(th_cols.size)
            pairs.a21[dest[q], th_cols] += up[q, k] - low[q, k + 1]


def _polyserial_pairs(cols, uni: _Univariate, pairs: _Pairs, sel: np.ndarray) -> None:
    """Polyserial correlations of the pairs ``sel`` (one continuous, one ordered)."""
    num = np.where([not cols[v][0] for v in pairs.first[sel]], pairs.first[sel], pairs.second[sel])
    ordv = np.where(num == pairs.first[sel], pairs.second[sel], pairs.first[sel])
    y = np.column_stack([cols[v][1] for v in num])
    mu = np.array([uni.values[v][0] for v in num])
    sd = np.sqrt(uni.var[num])
    z = (y - mu) / sd
    codes = np.column_stack([cols[v][1] for v in ordv])
    ths = [uni.values[v] for v in ordv]
    upper, lower = ps.category_bounds_by_row(codes, ths)
    rho, converged = ps.fit_polyserial(z, sd, upper, lower, ps.start_values(y, codes, ths))
    pairs.rho[sel], pairs.not_converged[sel] = rho, ~converged
    d_mu, d_var, d_up, d_low, d_rho = ps.polyserial_scores(z, sd, upper, lower, rho)
    pairs.scores[:, sel] = d_rho
    for q, s in enumerate(sel):
        pairs.a21[s, uni.cols[num[q]][0]] = d_rho[:, q] @ d_mu[:, q]
        pairs.a21[s, uni.var_col[num[q]]] = d_rho[:, q] @ d_var[:, q]
        c = codes[:, q]
        for k, col in enumerate(uni.cols[ordv[q]]):
            th_score = np.where(c == k + 1, d_up[:, q], 0.0) - np.where(c == k + 2, d_low[:, q], 0.0)
            pairs.a21[s, col] = d_rho[:, q] @ th_score
        sdn = sd[q]
        pairs.h21[s, uni.var_col[num[q]]] = rho[q] / (2 * sdn)
        pairs.h22[s] = sdn


def _pearson_pairs(cols, uni: _Univariate, pairs: _Pairs, sel: np.ndarray, names) -> None:
    """Pearson correlations (ML) of the pairs ``sel`` (both continuous, no missing values)."""
    for s in sel:
        i, j = pairs.second[s], pairs.first[s]           # lavaan's y1 = row variable i
        xi, xj = cols[i][1], cols[j][1]
        if np.isnan(xi).any() or np.isnan(xj).any():
            raise SurveySemError(f"continuous variables {names[j]} and {names[i]} have missing values: "
                                 "their correlation by pairwise ML is not available (use missing = "
                                 "'listwise' or declare them ordered)")
        ci, cj = xi - uni.values[i][0], xj - uni.values[j][0]
        vi, vj = uni.var[i], uni.var[j]
        rho = float(np.corrcoef(xi, xj)[0, 1])
        d_mu1, d_var1, d_mu2, d_var2, d_rho = ps.pearson_scores(ci, cj, vi, vj, rho)
        pairs.rho[s] = rho
        pairs.scores[:, s] = d_rho
        for col, sc in ((uni.cols[i][0], d_mu1), (uni.cols[j][0], d_mu2),
                        (uni.var_col[i], d_var1), (uni.var_col[j], d_var2)):
            pairs.a21[s, col] = d_rho @ sc
        pairs.h21[s, uni.var_col[i]] = np.sqrt(vj) * rho / (2 * np.sqrt(vi))
        pairs.h21[s, uni.var_col[j]] = np.sqrt(vi) * rho / (2 * np.sqrt(vj))
        pairs.h22[s] = np.sqrt(vi * vj)


def _all_pairs(cols, uni: _Univariate, names) -> _Pairs:
    first, second = pc.lower_triangle_pairs(len(cols))
    n, width, m = uni.scores.shape[0], uni.scores.shape[1], first.size
    pairs = _Pairs(first, second, np.zeros(m), np.zeros((n, m)), np.zeros((m, width)),
                   np.zeros((m, width)), np.ones(m), np.zeros(m, bool), np.zeros(m, bool))
    is_ord = np.array([c[0] for c in cols])
    both, none = is_ord[first] & is_ord[second], ~is_ord[first] & ~is_ord[second]
    if both.any():
        _ordinal_pairs(cols, uni, pairs, np.flatnonzero(both))
    if (~both & ~none).any():
        _polyserial_pairs(cols, uni, pairs, np.flatnonzero(~both & ~none))
    if none.any():
        _pearson_pairs(cols, uni, pairs, np.flatnonzero(none), names)
    return pairs


def _gamma(uni: _Univariate, pairs: _Pairs, numeric_mean_cols) -> np.ndarray:
    """N * H B^-1 (S'S) B^-T H' as the cross-product of the transformed casewise scores."""
    n = uni.scores.shape[0]
    a22 = (pairs.scores * pairs.scores).sum(axis=0)
    m = (pairs.a21 @ uni.a11_inv) / a22[:, None]          # A22^-1 A21 A11^-1
    first = uni.scores @ uni.a11_inv.T
    cor = pairs.scores / a22[None, :] - uni.scores @ m.T
    tilde = np.hstack([first, first @ pairs.h21.T + cor * pairs.h22[None, :]])
    tilde[:, numeric_mean_cols] *= -1.0
    return tilde.T @ tilde * n


def _pair_warnings(pairs: _Pairs, names, label) -> list[str]:
    where = "" if label is None else f" (group {label})"
    out = [f"polychoric / polyserial correlation of {names[pairs.first[p]]} and "
           f"{names[pairs.second[p]]}{where} did not converge" for p in np.flatnonzero(pairs.not_converged)]
    listed = [(names[pairs.first[p]], names[pairs.second[p]]) for p in np.flatnonzero(pairs.empty)]
    if listed:
        named = ", ".join(f"{a} x {b}" for a, b in listed[:MAX_NAMED_PAIRS])
        more = f" and {len(listed) - MAX_NAMED_PAIRS} more" if len(listed) > MAX_NAMED_PAIRS else ""
        out.append(f"{len(listed)} bivariate table(s) with empty cells{where}: {named}{more}; "
                   "handled as lavaan does (2 x 2 tables: 0.5 added, margins kept; larger tables as they are)")
    for p in np.flatnonzero(np.abs(pairs.rho) > NEARLY_ONE):
        out.append(f"correlation of {names[pairs.first[p]]} and {names[pairs.second[p]]}{where} "
                   f"is (nearly) 1.0 ({pairs.rho[p]:.4f})")
    return out


def _one_group(cols, names, label, warnings) -> OrdinalGroupStats:
    _check_group(cols, names, label)
    for (is_ord, x, _), name in zip(cols, names):
        if not is_ord:
            _check_continuous(x, name, label)
    uni = _univariate(cols)
    pairs = _all_pairs(cols, uni, names)
    warnings.extend(_pair_warnings(pairs, names, label))
    p = len(cols)
    cor = np.eye(p)
    cor[pairs.second, pairs.first] = cor[pairs.first, pairs.second] = pairs.rho
    sd = np.sqrt(uni.var)
    cov = cor * np.outer(sd, sd)
    is_ord = [c[0] for c in cols]
    num = [i for i in range(p) if not is_ord[i]]
    mean_cols = [int(uni.cols[i][0]) for i in num]
    th_all = np.concatenate(uni.values)
    th_all[mean_cols] *= -1.0
    th_names_all = [nm for i, name in enumerate(names)
                    for nm in (threshold_names(name, uni.values[i].size) if is_ord[i] else [name])]
    cor_names = [f"{names[j]}~~{names[i]}" for j, i in zip(pairs.first, pairs.second)]
    gamma = _gamma(uni, pairs, mean_cols)
    ord_cols = np.concatenate([uni.cols[i] for i in range(p) if is_ord[i]] or [np.zeros(0, int)])
    return OrdinalGroupStats(
        label=label, n=uni.scores.shape[0], items=list(names), continuous=[names[i] for i in num],
        th=np.concatenate(uni.values)[ord_cols], th_names=[th_names_all[c] for c in ord_cols],
        mean=np.array([0.0 if is_ord[i] else uni.values[i][0] for i in range(p)]), var=uni.var,
        cor=cor, cov=cov, cor_names=cor_names,
        wls_obs=np.concatenate([th_all, uni.var[num], cov[pairs.second, pairs.first]]),
        wls_names=th_names_all + [f"{names[i]}~~{names[i]}" for i in num] + cor_names,
        gamma=gamma, wls_v_diag=1.0 / np.diag(gamma),
        zero_cell_pairs=[(names[pairs.first[q]], names[pairs.second[q]]) for q in np.flatnonzero(pairs.empty)])


def _kept_rows(cols, missing, warnings) -> np.ndarray:
    answered = np.column_stack([(x > 0) if is_ord else np.isfinite(x) for is_ord, x, _ in cols])
    keep = answered.all(axis=1) if missing == "listwise" else answered.any(axis=1)
    if (~keep).any():
        warnings.append(f"{int((~keep).sum())} row(s) with "
                        f"{'a missing value' if missing == 'listwise' else 'no answer'} dropped")
    return keep


def ordinal_sample_statistics(data: pd.DataFrame, ordered: list[str], group: str | None = None,
                              missing: str = "pairwise", levels: dict | None = None,
                              variables: list[str] | None = None,
                              group_order: list | None = None) -> OrdinalStats:
    """Thresholds, polychoric (polyserial) correlations, Gamma and DWLS weights per group.

    ``variables`` are the observed variables in the model's order (default: ``ordered``); those
    not in ``ordered`` are continuous. ``levels`` optionally declares the categories an item
    could take (else an ordered categorical's categories, or the integer range of its values),
    so that categories nobody chose are reported; ``missing`` is ``"pairwise"`` or ``"listwise"``.
    """
    if missing not in ("pairwise", "listwise"):
        raise SurveySemError(f"missing = {missing!r} is not available for ordered items "
                             "(pairwise or listwise; FIML is not available for ordinal indicators)")
    variables = list(ordered) if variables is None else list(variables)
    stray = [c for c in ordered if c not in variables]
    if stray:
        raise SurveySemError(f"ordered item(s) not among the variables: {', '.join(stray)}")
    if len(variables) < 2:
        raise SurveySemError("at least two variables are needed for polychoric correlations")
    warnings: list[str] = []
    cols = _columns(data, variables, set(ordered), levels, warnings)
    keep = _kept_rows(cols, missing, warnings)
    if group is None:
        labels, gcol = [None], None
    else:
        if group not in data.columns:
            raise SurveySemError(f"group column {group!r} not in the data")
        gcol = data[group].to_numpy()
        keep &= pd.notna(data[group]).to_numpy()
        labels = list(group_order) if group_order is not None else pd.unique(gcol[keep]).tolist()
    groups = []
    for label in labels:
        rows = keep if gcol is None else keep & (gcol == label)
        sub = [(is_ord, x[rows], k) for is_ord, x, k in cols]
        group_warnings: list[str] = []
        groups.append(_one_group(sub, variables, label, group_warnings))
        groups[-1].warnings = group_warnings
        warnings.extend(group_warnings)
    return OrdinalStats(groups=groups, warnings=warnings)
