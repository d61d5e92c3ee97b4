"""The interval that matches a one-sided test, for rows whose stage wrote only the two-sided 95 % CI.

A sub-hypothesis is judged by a one-sided test at α; beside it a two-sided 95 % CI can include 0
while the test rejects (one-sided p = .03, CI [−0.01, 0.23]). The interval that matches the test is
the (1 − α) one-sided bound in the predicted direction, ``b − q(1 − α) SE`` for "+" and
``b + q(1 − α) SE`` for "−" (equivalently one end of the two-sided (1 − 2α) interval): it lies
beyond 0 exactly when the one-sided p < α.

``q`` is the quantile of the row's own test distribution. The composite-score GLMs test with the
normal distribution or, for OLS, with t on the residual degrees of freedom; the report does not get
those degrees of freedom, but the row's 95 % CI does carry its critical value,
``(upper − lower) / (2 SE) = q(.975)``, and that fixes the distribution (normal, or the t whose
.975 quantile it is).

>>> round(matching_bound(0.11, 0.06, 0.11 - 1.959964 * 0.06, 0.11 + 1.959964 * 0.06, "+", 0.05), 4)
0.0113
"""

from __future__ import annotations

import math

NORMAL_975 = 1.959963984540054
CI_LEVEL = 0.95  # the level of the stage's two-sided CIs


def _finite(*values) -> bool:
    return all(v is not None and isinstance(v, (int, float)) and math.isfinite(v) for v in values)


def critical_value(ci_lower: float, ci_upper: float, se: float) -> float:
    """The two-sided 95 % critical value the CI was made with."""
    return (ci_upper - ci_lower) / (2 * se)


def one_sided_quantile(q975: float, alpha: float) -> float:
    """q(1 − α) of the distribution whose .975 quantile is ``q975``: normal when it is 1.96 (to
    rounding), else the t distribution with the degrees of freedom that give that quantile."""
    # here: the report imports scipy only when a bound is needed
    from scipy import optimize, stats

    if abs(q975 - NORMAL_975) < 1e-6 or q975 < NORMAL_975:
        return float(stats.norm.ppf(1 - alpha))
    df = optimize.brentq(lambda d: stats.t.ppf(0.975, d) - q975, 0.05, 1e7)
    return float(stats.t.ppf(1 - alpha, df))


def matching_bound(est, se, ci_lower, ci_upper, expected: str, alpha: float) -> float | None:
    """The (1 − α) one-sided bound in the predicted direction (None without the numbers it needs)."""
    if not (_finite(est, se, ci_lower, ci_upper) and se > 0 and expected in ("+", "-")):
        return None
    q = one_sided_quantile(critical_value(ci_lower, ci_upper, se), alpha)
    return est - q * se if expected == "+" else est + q * se
