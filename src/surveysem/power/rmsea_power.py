"""Analytic power of the RMSEA tests of MacCallum, Browne & Sugawara (1996).

With ``d`` degrees of freedom and ``N`` firms, the ML chi-square of a model whose population
RMSEA is ``e`` is noncentral chi-square with noncentrality ``(N - 1) d e^2``.

- Test of close fit: H0 RMSEA <= e0 (0.05) against RMSEA = ea (0.08). Reject when the chi-square
  exceeds the (1 - alpha) quantile under e0; power is the probability of that under ea.
- Test of not-close fit: H0 RMSEA >= e0 (0.05) against RMSEA = ea (0.01). Reject when the
  chi-square is below the alpha quantile under e0; power is the probability of that under ea.

Computed with scipy.special's noncentral chi-square (``chndtr``, its inverse ``chndtrix``);
``tests/power/test_rmsea_power.py`` checks it against scipy.stats.ncx2 and a Poisson mixture.
"""

from __future__ import annotations

import pandas as pd
from scipy import special

CLOSE = {"test": "close fit", "e0": 0.05, "ea": 0.08}
NOT_CLOSE = {"test": "not-close fit", "e0": 0.05, "ea": 0.01}


def noncentrality(n: int, df: int, rmsea: float) -> float:
    """(N - 1) d e^2, the noncentrality of the chi-square at population RMSEA ``rmsea``."""
    return (n - 1) * df * rmsea ** 2


def close_fit_power(n: int, df: int, e0: float = 0.05, ea: float = 0.08, alpha: float = 0.05) -> float:
    """Power of the test of close fit (H0 RMSEA <= e0) when the RMSEA is ``ea`` > ``e0``."""
    critical = special.chndtrix(1 - alpha, df, noncentrality(n, df, e0))
    return float(1 - special.chndtr(critical, df, noncentrality(n, df, ea)))


def not_close_fit_power(n: int, df: int, e0: float = 0.05, ea: float = 0.01, alpha: float = 0.05) -> float:
    """Power of the test of not-close fit (H0 RMSEA >= e0) when the RMSEA is ``ea`` < ``e0``."""
    critical = special.chndtrix(alpha, df, noncentrality(n, df, e0))
    return float(special.chndtr(critical, df, noncentrality(n, df, ea)))


def rmsea_power_table(sizes, df_by_model: dict[str, int], alpha: float = 0.05) -> pd.DataFrame:
    """One row per model, test and N: df, the RMSEA under H0 and under the alternative, power."""
    rows = []
    for model, df in df_by_model.items():
        for test, power in ((CLOSE, close_fit_power), (NOT_CLOSE, not_close_fit_power)):
            for n in sizes:
                rows.append({"model": model, "test": test["test"], "n": int(n), "df": int(df),
                             "rmsea_h0": test["e0"], "rmsea_alternative": test["ea"], "alpha": alpha,
                             "power": power(int(n), int(df), test["e0"], test["ea"], alpha)})
    return pd.DataFrame(rows, columns=["model", "test", "n", "df", "rmsea_h0", "rmsea_alternative", "alpha",
                                       "power"])
