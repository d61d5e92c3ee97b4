"""Ordered items: their categories, thresholds from the univariate margins and casewise scores.

As lavaan 0.6-14 (``lav_data`` makes each ordered variable a factor of its observed values;
``lav_samplestats_step1`` / ``lav_uvord_th``): the categories of an item are the values anybody
chose, recoded 1..K in their order, and its thresholds are ``qnorm`` of the cumulative
proportions of the non-missing answers (the probit ML estimate without covariates). Names are
``item|t1``, ``item|t2``, ...
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import ndtr, ndtri

from surveysem.errors import SurveySemError

MAX_CATEGORIES = 20
# lavaan's o1 / o2: the "infinite" bounds of the first and last category in the scores
OPEN_BOUND = 100.0


@dataclass(frozen=True)
class OrderedItem:
    """One ordered item: its codes 1..K (0 = missing) over the rows and the original values."""

    name: str
    codes: np.ndarray          # int, 0 where missing
    levels: tuple              # the original value of each category 1..K


def _declared_levels(column: pd.Series, declared) -> list | None:
    """The categories the item could take: given, an ordered categorical's, or the integer range."""
    if declared is not None:
        return list(declared)
    if isinstance(column.dtype, pd.CategoricalDtype):
        return list(column.cat.categories)
    values = column.dropna().to_numpy(dtype=float)
    if values.size and np.all(values == np.round(values)):
        return list(range(int(values.min()), int(values.max()) + 1))
    return None


def ordered_item(column: pd.Series, name: str, declared=None, warnings: list | None = None) -> OrderedItem:
    """Recode one ordered item to consecutive categories 1..K of the values observed.

    Raises :class:`SurveySemError` (one line, naming the item) for non-numeric values, one observed
    category or more than :data:`MAX_CATEGORIES`; appends a warning for categories nobody chose.
    """
    if isinstance(column.dtype, pd.CategoricalDtype):
        observed = [c for c in column.cat.categories if (column == c).any()]
        code_of = {c: i + 1 for i, c in enumerate(observed)}
        codes = column.map(code_of).astype(float).fillna(0).to_numpy(dtype=int)
    else:
        numeric = pd.to_numeric(column, errors="coerce")
        bad = column.notna() & numeric.isna()
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise SurveySemError(f"ordered item {name}: value {column.iloc[row]!r} in row {row + 1} "
                                 "is not a number (declare a pandas ordered categorical instead)")
        observed = sorted(numeric.dropna().unique().tolist())
        codes = np.searchsorted(np.asarray(observed, float), numeric.fillna(np.nan).to_numpy(float)) + 1
        codes = np.where(numeric.isna().to_numpy(), 0, codes).astype(int)
    if len(observed) < 2:
        raise SurveySemError(f"ordered item {name} has {len(observed)} observed categor"
                             f"{'y' if len(observed) == 1 else 'ies'}: it needs at least 2 "
                             "(leave it out of the model)")
    if len(observed) > MAX_CATEGORIES:
        raise SurveySemError(f"ordered item {name} has {len(observed)} categories (more than "
                             f"{MAX_CATEGORIES}): probably continuous, do not declare it ordered")
    declared_levels = _declared_levels(column, declared)
    if declared_levels is not None and warnings is not None:
        unused = [v for v in declared_levels if v not in set(observed)]
        if unused:
            warnings.append(f"ordered item {name}: nobody chose categor{'y' if len(unused) == 1 else 'ies'} "
                            f"{', '.join(map(_fmt, unused))}; recoded to {len(observed)} consecutive "
                            "categories of the values chosen, as lavaan does (thresholds of the "
                            "empty categories are not estimable)")
    return OrderedItem(name, codes, tuple(observed))


def _fmt(v) -> str:
    return str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)


def thresholds(codes: np.ndarray, n_categories: int) -> np.ndarray:
    """``qnorm`` of the cumulative proportions of categories 1..K-1 among the non-missing answers."""
    freq = np.bincount(codes[codes > 0], minlength=n_categories + 1)[1:]
    return ndtri(np.cumsum(freq)[:-1] / freq.sum())


def threshold_names(name: str, n_thresholds: int) -> list[str]:
    """lavaan's names of an item's thresholds: ``name|t1`` .. ``name|tK-1``."""
    return [f"{name}|t{j + 1}" for j in range(n_thresholds)]


def category_bounds(th: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Upper and lower bound of categories 1..K on the latent scale (lavaan's z1, z2 with +-100)."""
    upper = np.concatenate([th, [OPEN_BOUND]])
    lower = np.concatenate([[-OPEN_BOUND], th])
    return upper, lower


def univariate_scores(codes: np.ndarray, th: np.ndarray) -> np.ndarray:
    """Casewise scores of the thresholds (n x K-1), 0 for a missing answer (``lav_uvord_scores``).

    d log p_y / d t_j = phi(t_j) / p_y when y = j, -phi(t_j) / p_y when y = j + 1.
    """
    upper, lower = category_bounds(th)
    p = ndtr(upper) - ndtr(lower)
    dens = np.exp(-0.5 * th * th) / np.sqrt(2 * np.pi)
    n, nth = codes.size, th.size
    out = np.zeros((n, nth))
    y = codes
    ok = y > 0
    cols = np.arange(nth)
    up = ok[:, None] & (y[:, None] == cols[None, :] + 1)
    down = ok[:, None] & (y[:, None] == cols[None, :] + 2)
    py = np.where(ok, p[np.maximum(y, 1) - 1], 1.0)
    out += np.where(up, dens[None, :] / py[:, None], 0.0)
    out -= np.where(down, dens[None, :] / py[:, None], 0.0)
    return out
