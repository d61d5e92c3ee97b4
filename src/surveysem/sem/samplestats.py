"""Data of a fit: the model variables of each group, their missing-data patterns and sample
moments (lavaan's ``lav_data`` and ``lav_samplestats``).

* :func:`split_groups` – numeric checks, cases dropped (listwise deletion; with FIML the cases
  with every model variable missing and, under fixed.x, those missing a covariate, as lavaan),
  one array per group;
* :func:`group_data` – one group's :class:`Pattern` list and its complete-data or EM
  (saturated h1) moments;
* :func:`data_warnings` – zero variances, a non-positive-definite sample covariance matrix, a
  near-singular EM h1 covariance.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from surveysem.errors import SurveySemError
from surveysem.sem.em import em_h1_moments


@dataclass
class Pattern:
    obs: np.ndarray  # indices of observed variables
    n: int
    mean: np.ndarray
    cov: np.ndarray  # n divisor
    X: np.ndarray | None = None  # raw rows (n x p_o), for casewise scores
    complete: bool = True
    rows: np.ndarray | None = None  # positions of X's rows among the group's rows (case influence)


@dataclass
class GroupData:
    patterns: list
    n: int
    # complete-data (or EM h1) sample moments of all observed variables
    mean: np.ndarray
    cov: np.ndarray
    # a note for the fit's warnings about the EM h1 moments (near-singular), or None
    h1_note: str | None = None

    @classmethod
    def from_moments(cls, mean, cov, n):
        """Complete data of ``n`` rows given by their mean and (N divisor) covariance only."""
        mean, cov = np.asarray(mean, float), np.asarray(cov, float)
        return cls([Pattern(np.arange(len(mean)), int(n), mean, cov, None, True)], int(n), mean, cov)


# ---------------------------------------------------------------- cases and groups
def _numeric_matrix(data: pd.DataFrame, ov):
    """The model variables as an n x p float array (NaN = missing); a non-numeric entry is an
    error naming its row."""
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
        return sub.to_numpy(dtype=float, na_value=np.nan)
    return sub.apply(pd.to_numeric, errors="coerce").to_numpy(float)


def _kept_cases(spec, miss, gmask, missing, warnings):
    """Cases that enter the fit (warnings about dropped ones are appended)."""
    if missing == "listwise":
        return ~miss.any(axis=1) & gmask
    keep = ~miss.all(axis=1) & gmask
    nall = int((miss.all(axis=1) & gmask).sum())
    if nall:
        warnings.append(f"{nall} case(s) with all model variables missing were dropped")
    if spec.ov_x:
        # lavaan (fixed.x = TRUE) deletes cases with missing exogenous covariates
        xi = [spec.ov_names.index(v) for v in spec.ov_x]
        xmiss = keep & miss[:, xi].any(axis=1)
        if xmiss.any():
            warnings.append(
                f"{int(xmiss.sum())} case(s) with missing values in exogenous covariate(s)"
                " were dropped (fixed.x)"
            )
            keep &= ~xmiss
    return keep


def split_groups(spec, data: pd.DataFrame, missing, group=None, group_levels=None):
    """(one n_g x p array per group in ``group_levels`` order, warnings, number of cases dropped)."""
    warnings = []
    X = _numeric_matrix(data, spec.ov_names)
    if group:
        if group not in data.columns:
            raise SurveySemError(f"group column {group!r} is not a column of the data", column=group)
        gcol = data[group].astype(object)
        levels = group_levels
        gmask = gcol.notna().to_numpy()
        gval = gcol.astype(str).to_numpy()
    else:
        levels = [None]
        gmask = np.ones(len(X), bool)
        gval = None
    keep = _kept_cases(spec, np.isnan(X), gmask, missing, warnings)
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


# ---------------------------------------------------------------- moments of one group
def missing_patterns(Xg, miss):
    """One :class:`Pattern` per missing-data pattern, most observed variables first."""
    p = Xg.shape[1]
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
        pats.append(Pattern(o, len(idx), mean, E.T @ E / len(idx), Xo, len(o) == p, idx))
    return pats


def group_data(Xg, em=True):
    """Patterns of one group.  ``em=False`` (fast refits) skips the EM saturated
    moments and stores pairwise moments instead (used only for fixed-x values,
    which are complete, and start values)."""
    p = Xg.shape[1]
    miss = np.isnan(Xg)
    if not miss.any():
        mean = Xg.mean(axis=0)
        E = Xg - mean
        cov = E.T @ E / len(Xg)
        pat = Pattern(np.arange(p), len(Xg), mean, cov, Xg, True, np.arange(len(Xg)))
        return GroupData([pat], len(Xg), mean, cov)
    pats = missing_patterns(Xg, miss)
    if not em:
        df = pd.DataFrame(Xg)
        return GroupData(pats, len(Xg), df.mean().to_numpy(), df.cov(ddof=0).to_numpy())
    mean_em, cov_em, note = em_h1_moments(pats, p)
    return GroupData(pats, len(Xg), mean_em, cov_em, note)


def data_warnings(spec, gdata, levels):
    """Zero variances and non-positive-definite sample covariance matrices, per group."""
    out = []
    for g, gd in enumerate(gdata):
        tag = f" in group {levels[g]}" if levels else ""
        if gd.h1_note:
            out.append(gd.h1_note + tag)
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
