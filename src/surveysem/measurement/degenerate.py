"""The pre-check of degenerate data, run before any model of the measurement and propositions stages.

A constant item (a ceiling effect in a pilot), two identical items, two constructs whose items are
copies of each other and a handful of respondents make covariance and correlation matrices
singular: EFA, omega, the CFA, the SEMs and their bootstrap then fail with a linear-algebra error
or return numbers that mean nothing. :func:`precheck` finds these cases on the item answers, names
each item or construct in one warning line and says what happens to it:

- an item with zero variance, or one answered by fewer than two respondents, is left out of every
  model;
- an item that duplicates an earlier item of the instrument (``|r| = 1`` over the respondents who
  answered both: a copy, or a reverse-keyed copy) is left out, the first one kept;
- a construct whose every usable item duplicates an item of one earlier construct is collinear with
  it and not estimable (the two cannot be told apart by any model); a construct left with fewer
  than two usable items is not estimable either;
- fewer respondents than an analysis needs (:data:`MIN_RESPONDENTS`) make every construct of that
  analysis not estimable, with the count in the reason.

Every step that fits a model calls :func:`precheck` on the same analysis table, so they agree on
what is left out; the stage's warnings file lists each line once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

# Fewest respondents with answers each analysis is run on. Below about ten, item-total
# correlations, Feldt's CI (n - 1 df), the marker-variable t (n - 3 df), bootstrap resamples and
# every covariance-based model are undefined or degenerate; above it, the models' own checks
# (non-convergence, not positive definite, group sizes) take over.
MIN_RESPONDENTS = {
    "reliability": 10,
    "EFA": 10,
    "CFA": 10,
    "CMV": 10,
    "HTMT": 10,
    "invariance": 10,
    "regression": 10,
    "latent model": 10,
    "P4": 10,
}
DUPLICATE_TOL = 1e-9  # |r| >= 1 - tol counts as a duplicate (integer answers: exactly 1 when copied)
MIN_COMMON = 10  # respondents who answered both items before |r| = 1 means a copy, not chance


@dataclass
class PreCheck:
    """What :func:`precheck` found: ``scales`` (construct -> usable items, not-estimable constructs
    left out), ``dropped`` (item -> reason), ``not_estimable`` (construct -> reason), ``warnings``
    (one line per item or construct) and ``n`` (respondents with at least one answer)."""

    scales: dict[str, list[str]]
    dropped: dict[str, str] = field(default_factory=dict)
    not_estimable: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    n: int = 0

    def record(self) -> dict:
        """The JSON-ready summary a step writes beside its results."""
        return {"dropped_items": dict(self.dropped), "not_estimable": dict(self.not_estimable), "n": self.n}


def too_few_respondents(n: int, analysis: str) -> str | None:
    """The reason ``analysis`` cannot be run on ``n`` respondents, or None."""
    need = MIN_RESPONDENTS[analysis]
    if n >= need:
        return None
    return f"{n} respondent(s) with answers; the {analysis} needs at least {need}"


def _zero_variance(X: pd.DataFrame, item: str) -> str | None:
    col = X[item].dropna()
    if len(col) < 2:
        return f"item {{i}} of {{c}} has fewer than 2 answers ({len(col)})"
    if not float(col.std(ddof=1)) > 0:
        return f"item {{i}} of {{c}} has zero variance (every answer is {col.iloc[0]:g})"
    return None


def _duplicates(X: pd.DataFrame, items: list[str]) -> dict[str, tuple[str, float, int]]:
    """Later item -> (the earlier item it duplicates, sign of r, respondents who answered both)."""
    if len(items) < 2:
        return {}
    R = X[items].corr(min_periods=MIN_COMMON).to_numpy()  # pairwise complete, as the data are analysed
    seen = X[items].notna().to_numpy()
    hits = np.abs(np.nan_to_num(R)) >= 1 - DUPLICATE_TOL
    out: dict[str, tuple[str, float, int]] = {}
    for j in range(1, len(items)):
        for i in np.flatnonzero(hits[j, :j]):
            if items[i] not in out:  # an item's first copy is the one kept
                out[items[j]] = (items[i], float(np.sign(R[j, i])), int((seen[:, i] & seen[:, j]).sum()))
                break
    return out


def _collinear_with(construct: str, items: list[str], duplicated: dict, home: dict[str, str]) -> str | None:
    """The earlier construct of which every item of ``construct`` is a copy, or None."""
    sources = {home[duplicated[i][0]] for i in items if i in duplicated}
    if len(sources) == 1 and all(i in duplicated for i in items):
        source = sources.pop()
        return source if source != construct else None
    return None


def precheck(X: pd.DataFrame, scales: dict[str, list[str]], analysis: str = "CFA", min_items: int = 2) -> PreCheck:
    """Degenerate items and constructs of ``scales`` in the item answers ``X`` (numeric, NaN =
    missing) for ``analysis`` (a key of :data:`MIN_RESPONDENTS`); see the module docstring."""
    items = [i for its in scales.values() for i in its]
    home = {i: c for c, its in scales.items() for i in its}
    n = int(X[items].notna().any(axis=1).sum()) if items else 0
    out = PreCheck(scales={}, n=n)
    few = too_few_respondents(n, analysis)
    if few:
        out.not_estimable = {c: few for c in scales}
        out.warnings.append(f"pre-check: {few}: not estimable ({len(scales)} construct(s))")
        return out
    for i in items:
        why = _zero_variance(X, i)
        if why:
            out.dropped[i] = why.format(i=i, c=home[i])
    varying = [i for i in items if i not in out.dropped]
    duplicated = _duplicates(X, varying)
    for c, its in scales.items():
        source = _collinear_with(c, [i for i in its if i not in out.dropped], duplicated, home)
        if source is not None:
            out.not_estimable[c] = (f"construct {c} duplicates {source} (every usable item of {c} equals or mirrors "
                                    f"an item of {source}: collinear constructs)")
    for j, (i, sign, n_both) in duplicated.items():
        if home[j] in out.not_estimable:
            continue
        verb = "duplicates" if sign > 0 else "mirrors (reverse-keyed copy of)"
        out.dropped[j] = f"item {j} of {home[j]} {verb} item {i} of {home[i]} (r = {sign:+.0f} over {n_both} respondents)"
    for c, its in scales.items():
        if c in out.not_estimable:
            continue
        keep = [i for i in its if i not in out.dropped]
        if len(keep) < min_items:
            out.not_estimable[c] = f"construct {c} keeps {len(keep)} usable item(s) of {len(its)} (fewer than {min_items})"
        else:
            out.scales[c] = keep
    out.warnings += [f"pre-check: {why}; left out of every model" for why in out.dropped.values()]
    out.warnings += [f"pre-check: {why}; not estimable, left out of every model" for why in out.not_estimable.values()]
    return out


def precheck_table(data: pd.DataFrame, scales: dict[str, list[str]], analysis: str) -> PreCheck:
    """:func:`precheck` of the item columns of ``data`` (the analysis table, parcels added); a
    construct without item columns in ``data`` is not checked (the steps that need it say so)."""
    present = {c: [i for i in its if i in data.columns] for c, its in scales.items()}
    present = {c: its for c, its in present.items() if its}
    items = [i for its in present.values() for i in its]
    return precheck(data[items].apply(pd.to_numeric, errors="coerce").astype(float), present, analysis=analysis)


def problem_of(pc: PreCheck, constructs) -> str | None:
    """Why a model of ``constructs`` is not estimable (their pre-check reasons), or None."""
    reasons = list(dict.fromkeys(pc.not_estimable[c] for c in constructs if c in pc.not_estimable))
    return "; ".join(reasons) if reasons else None


def model_problem(pc: PreCheck, constructs, n: int, analysis: str) -> str | None:
    """Why a model of ``constructs`` fitted to ``n`` respondents is not estimable (a construct the
    pre-check left out, or fewer respondents than ``analysis`` needs), or None."""
    return problem_of(pc, constructs) or too_few_respondents(n, analysis)
