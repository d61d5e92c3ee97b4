"""How many bootstrap resamples a percentile CI needs before its bounds mean anything.

A percentile CI at level ``L`` takes its bounds from the ``(1 - L) / 2`` and ``(1 + L) / 2``
quantiles of the resampled estimates, so only ``B (1 - L) / 2`` resamples lie beyond each bound.
With a handful there the bound is in effect the most extreme resample: its Monte Carlo error is of
the order of the CI's width and the CI's coverage is not the stated one (Efron & Tibshirani 1993,
ch. 19, ask for B >= 1000 for percentile CIs; Davison & Hinkley 1997, sect. 5.2.3, note that the
tails need (B + 1)(1 - L)/2 of them to be at all defined). The rule here is the least that keeps the
bound an interior order statistic: at least :data:`MIN_TAIL` = 5 resamples beyond each bound,
``B >= 2 * 5 / (1 - L)``: 200 at 95 %, 100 at 90 %, 1000 at 99 %. The count is of the resamples
the CI uses (converged, with a defined value), not of those drawn. Fewer, and a verdict resting on
the CI is "not assessable (too few resamples)" (P4), or the CI is flagged (HTMT).
"""

from __future__ import annotations

import math

#: Resamples that must lie beyond each bound of a percentile CI.
MIN_TAIL = 5
#: The verdict of a sub-hypothesis whose bootstrap CI rests on too few resamples.
TOO_FEW_RESAMPLES = "not assessable (too few resamples)"


def min_resamples(level: float) -> int:
    """The fewest usable resamples of a percentile CI at ``level``: ``ceil(2 * MIN_TAIL / (1 - level))``."""
    if not 0 < level < 1:
        raise ValueError(f"a CI level is between 0 and 1, not {level}")
    return math.ceil(round(2 * MIN_TAIL / (1 - level), 9))


def enough_resamples(n_used: int, level: float) -> bool:
    """Do ``n_used`` resamples support a percentile CI at ``level``?"""
    return int(n_used) >= min_resamples(level)


def too_few_text(n_used: int, level: float) -> str:
    """The reason in words, e.g. "20 usable resamples; a 95% percentile CI needs at least 200"."""
    return (f"{int(n_used)} usable resamples; a {round(level * 100, 6):g}% percentile CI needs at least "
            f"{min_resamples(level)} ({MIN_TAIL} beyond each bound)")
