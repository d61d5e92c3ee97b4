"""Stage one of WLSMV (Muthén 1984): sample statistics of ordered items, Gamma and DWLS weights.

:func:`ordinal_sample_statistics` is lavaan 0.6-14's ``muthen1984`` (ordered variables, no
covariates): thresholds from the margins, polychoric correlations by two-step ML, and the
asymptotic covariance of both by the sandwich of casewise scores,

    WLS.W = B^-1 (S'S) B^-T,  B = [[A11, 0], [A21, A22]],

with A11 the block-diagonal information of each item's thresholds, A22 the diagonal of the
correlations' score cross-products and A21 their cross-products with the threshold scores;
``gamma`` (lavInspect "gamma", NACOV) = N * WLS.W and ``wls_v`` (lavInspect "wls.v") =
diag(1 / diag(gamma)) (``gamma.n.minus.one = FALSE``).

Missing values, as lavaan's ``missing = "pairwise"``: thresholds from each item's answers,
each correlation from the rows that answered both, a missing answer's scores 0; rows without
any answer are dropped. ``missing = "listwise"`` (lavaan's default for ordered data) first
drops every row with a missing answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from surveysem.errors import SurveySemError
from surveysem.sem import polychoric as pc
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

    ``wls_obs`` is lavaan's ``lavInspect(fit, "wls.obs")``: the thresholds item by item in the
    order of ``items`` (``th_names``: ``x1|t1, x1|t2, x2|t1, ..``), then the polychoric
    correlations of the lower triangle column by column, ``vech(cor, diagonal = FALSE)``:
    (x2,x1), (x3,x1), .., (xp,x1), (x3,x2), .. (``cor_names``: ``x1~~x2``, ``x1~~x3``, ..). ``gamma`` and
    ``wls_v`` are in the same order.
    """

    label: object
    n: int
    items: list[str]
    th: np.ndarray
    th_names: list[str]
    cor: np.ndarray
    cor_names: list[str]
    gamma: np.ndarray
    wls_v: np.ndarray
    zero_cell_pairs: list[tuple[str, str]]
    warnings: list[str] = field(default_factory=list)

    @property
    def wls_obs(self) -> np.ndarray:
        i, j = pc.lower_triangle_pairs(len(self.items))
        return np.concatenate([self.th, self.cor[j, i]])


@dataclass
class OrdinalStats:
    """Stage one of every group (``groups`` in the order in which the group labels first appear
    in the data, as lavaan orders them, unless ``group_order`` is given), and all warnings."""

    groups: list[OrdinalGroupStats]
    warnings: list[str]


def _recode(data: pd.DataFrame, ordered: list[str], levels, warnings) -> tuple[np.ndarray, list[int]]:
    missing_cols = [c for c in ordered if c not in data.columns]
    if missing_cols:
        raise SurveySemError(f"ordered item(s) not in the data: {', '.join(missing_cols)}")
    items = [ordered_item(data[c], c, (levels or {}).get(c), warnings) for c in ordered]
    return np.column_stack([it.codes for it in items]), [len(it.levels) for it in items]


def _group_codes(codes, n_cat, ordered, label, warnings):
    """Check each item's categories in a group (lavaan refuses empty ones)."""
    for i, name in enumerate(ordered):
        freq = np.bincount(codes[:, i], minlength=n_cat[i] + 1)[1:]
        if (freq == 0).any():
            where = "" if label is None else f" in group {label}"
            raise SurveySemError(f"ordered item {name}: categor{'y' if (freq == 0).sum() == 1 else 'ies'} "
                                 f"{', '.join(str(k + 1) for k in np.flatnonzero(freq == 0))} of "
                                 f"{n_cat[i]} empty{where} (frequencies {' '.join(map(str, freq))}); "
                                 "lavaan refuses this too: merge categories or fit without groups")


def _pair_warnings(first, second, ordered, empty, rho, label) -> list[str]:
    where = "" if label is None else f" (group {label})"
    out = []
    pairs = [(ordered[first[p]], ordered[second[p]]) for p in np.flatnonzero(empty)]
    if pairs:
        named = ", ".join(f"{a} x {b}" for a, b in pairs[:MAX_NAMED_PAIRS])
        more = f" and {len(pairs) - MAX_NAMED_PAIRS} more" if len(pairs) > MAX_NAMED_PAIRS else ""
        out.append(f"{len(pairs)} bivariate table(s) with empty cells{where}: {named}{more}; "
                   "handled as lavaan does (2 x 2 tables: 0.5 added, margins kept; larger tables as they are)")
    for p in np.flatnonzero(np.abs(rho) > NEARLY_ONE):
        out.append(f"polychoric correlation of {ordered[first[p]]} and {ordered[second[p]]}{where} "
                   f"is (nearly) 1.0 ({rho[p]:.4f})")
    return out


def _correlations(codes, ths, n_cat, ordered, label, warnings):
    tables = pc.pair_tables(codes, ths)
    n1, n2 = np.asarray(n_cat)[tables.first], np.asarray(n_cat)[tables.second]
    freq_fit, fixed, empty = pc.adjust_zero_cells(tables.freq, n1, n2)
    start = pc.pairwise_pearson(codes)[tables.second, tables.first]
    rho, converged = pc.fit_rho(freq_fit, tables.th1, tables.th2, start)
    rho = np.where(np.isnan(fixed), rho, fixed)
    for p in np.flatnonzero(~converged & np.isnan(fixed)):
        warnings.append(f"polychoric correlation of {ordered[tables.first[p]]} and "
                        f"{ordered[tables.second[p]]} did not converge")
    warnings.extend(_pair_warnings(tables.first, tables.second, ordered, empty, rho, label))
    return tables, rho, empty


def _gamma(codes, ths, tables, rho) -> np.ndarray:
    """N * B^-1 (S'S) B^-T from the casewise scores (lavaan's muthen1984 WLS.W times N)."""
    n = codes.shape[0]
    nth = np.array([t.size for t in ths])
    start = np.concatenate([[0], np.cumsum(nth)])
    sc_th = np.zeros((n, start[-1]))
    a11_inv = np.zeros((start[-1], start[-1]))
    for i, t in enumerate(ths):
        block = slice(start[i], start[i + 1])
        s = univariate_scores(codes[:, i], t)
        sc_th[:, block] = s
        a11_inv[block, block] = np.linalg.inv(s.T @ s)
    s_rho, z1u, z1l, z2u, z2l = pc.rho_scores(tables, rho)
    pairs = np.arange(rho.size)
    a, b = codes[:, tables.first] - 1, codes[:, tables.second] - 1
    present = (a >= 0) & (b >= 0)
    a0, b0 = np.maximum(a, 0), np.maximum(b, 0)
    sc_cor = np.where(present, s_rho[pairs[None, :], a0, b0], 0.0)
    a22 = (sc_cor * sc_cor).sum(axis=0)
    # A21: sum over cases of score(rho) * score(threshold) = sum over cells freq * s_rho * z / PI
    w = tables.freq * s_rho
    a21 = np.zeros((rho.size, start[-1]))
    for zu, zl, item, axis in ((z1u, z1l, tables.first, 2), (z2u, z2l, tables.second, 1)):
        up = (w * zu).sum(axis=axis)            # (pairs, K): category a's upper threshold = t_a
        low = (w * zl).sum(axis=axis)           # category a's lower threshold = t_{a-1}
        for k in range(nth.max()):
            has = nth[item] > k
            cols = start[item[has]] + k
            a21[pairs[has], cols] += up[has, k] - low[has, k + 1]
    m = (a21 @ a11_inv) / a22[:, None]          # A22^-1 A21 A11^-1
    tilde = np.hstack([sc_th @ a11_inv.T, sc_cor / a22[None, :] - sc_th @ m.T])
    return tilde.T @ tilde * n


def _one_group(codes, n_cat, ordered, label, warnings) -> OrdinalGroupStats:
    _group_codes(codes, n_cat, ordered, label, warnings)
    ths = [thresholds(codes[:, i], n_cat[i]) for i in range(len(ordered))]
    tables, rho, empty = _correlations(codes, ths, n_cat, ordered, label, warnings)
    p = len(ordered)
    cor = np.eye(p)
    cor[tables.second, tables.first] = rho
    cor[tables.first, tables.second] = rho
    gamma = _gamma(codes, ths, tables, rho)
    return OrdinalGroupStats(
        label=label, n=codes.shape[0], items=list(ordered), th=np.concatenate(ths),
        th_names=[nm for i, name in enumerate(ordered) for nm in threshold_names(name, ths[i].size)],
        cor=cor, cor_names=[f"{ordered[j]}~~{ordered[i]}" for j, i in zip(tables.first, tables.second)],
        gamma=gamma, wls_v=np.diag(1.0 / np.diag(gamma)),
        zero_cell_pairs=[(ordered[tables.first[q]], ordered[tables.second[q]]) for q in np.flatnonzero(empty)])


def ordinal_sample_statistics(data: pd.DataFrame, ordered: list[str], group: str | None = None,
                              missing: str = "pairwise", levels: dict | None = None,
                              group_order: list | None = None) -> OrdinalStats:
    """Thresholds, polychoric correlations, Gamma and DWLS weights of ``ordered`` per group.

    ``levels`` optionally declares the categories an item could take (else an ordered
    categorical's categories, or the integer range of the values), so that categories nobody
    chose are reported; ``missing`` is ``"pairwise"`` or ``"listwise"``.
    """
    if missing not in ("pairwise", "listwise"):
        raise SurveySemError(f"missing = {missing!r} is not available for ordered items "
                             "(pairwise or listwise; FIML is not available for ordinal indicators)")
    if len(ordered) < 2:
        raise SurveySemError("at least two ordered items are needed for polychoric correlations")
    warnings: list[str] = []
    codes, n_cat = _recode(data, ordered, levels, warnings)
    answered = codes > 0
    keep = answered.all(axis=1) if missing == "listwise" else answered.any(axis=1)
    if (~keep).any():
        warnings.append(f"{int((~keep).sum())} row(s) with "
                        f"{'a missing answer' if missing == 'listwise' else 'no answer'} dropped")
    if group is None:
        labels, gcol = [None], None
    else:
        if group not in data.columns:
            raise SurveySemError(f"group column {group!r} not in the data", column=group)
        gcol = data[group].to_numpy()
        keep &= pd.notna(data[group]).to_numpy()
        labels = list(group_order) if group_order is not None else pd.unique(gcol[keep]).tolist()
    groups = []
    for label in labels:
        rows = keep if gcol is None else keep & (gcol == label)
        groups.append(_one_group(codes[rows], n_cat, ordered, label, warnings))
    return OrdinalStats(groups=groups, warnings=warnings)
