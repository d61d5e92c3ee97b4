"""RMSEA power (MacCallum, Browne & Sugawara 1996) against a hand computation of the noncentral
chi-square: scipy.stats.ncx2, and the Poisson mixture of central chi-squares written out here.

Tolerance 1e-6: three ways of evaluating the same distribution function, each exact to ~1e-10.
"""

import math

import pytest
from scipy import optimize, stats

from surveysem.power.rmsea_power import (
    close_fit_power,
    not_close_fit_power,
    rmsea_power_table,
)


def _mixture_cdf(x: float, df: int, nc: float) -> float:
    """P(chi2'(df, nc) <= x) = sum_j Poisson(j; nc / 2) P(chi2(df + 2j) <= x), the Poisson tail
    beyond mean + 15 SD left out (below 1e-40)."""
    half = nc / 2
    terms = int(half + 15 * math.sqrt(half) + 30)
    total = 0.0
    for j in range(terms):
        weight = math.exp(-half + j * math.log(half) - math.lgamma(j + 1)) if half > 0 else float(j == 0)
        total += weight * stats.chi2.cdf(x, df + 2 * j)
    return total


def _hand_power(n: int, df: int, e0: float, ea: float, alpha: float, close: bool) -> float:
    lam0, lama = (n - 1) * df * e0 ** 2, (n - 1) * df * ea ** 2
    target = 1 - alpha if close else alpha
    hi = df + lam0 + 40 * math.sqrt(2 * (df + 2 * lam0))
    critical = optimize.brentq(lambda c: _mixture_cdf(c, df, lam0) - target, 1e-9, hi, xtol=1e-10)
    below = _mixture_cdf(critical, df, lama)
    return 1 - below if close else below


@pytest.mark.parametrize("n, df", [(100, 20), (200, 50), (150, 8), (300, 100)])
def test_close_and_not_close_fit_against_scipy_stats_ncx2(n, df):
    lam0, lam_close, lam_not = (n - 1) * df * 0.05 ** 2, (n - 1) * df * 0.08 ** 2, (n - 1) * df * 0.01 ** 2
    c_close = stats.ncx2.ppf(0.95, df, lam0)
    c_not = stats.ncx2.ppf(0.05, df, lam0)
    assert close_fit_power(n, df) == pytest.approx(stats.ncx2.sf(c_close, df, lam_close), abs=1e-6)
    assert not_close_fit_power(n, df) == pytest.approx(stats.ncx2.cdf(c_not, df, lam_not), abs=1e-6)


@pytest.mark.parametrize("n, df", [(100, 20), (200, 50)])
def test_against_the_poisson_mixture_by_hand(n, df):
    assert close_fit_power(n, df) == pytest.approx(_hand_power(n, df, 0.05, 0.08, 0.05, True), abs=1e-6)
    assert not_close_fit_power(n, df) == pytest.approx(_hand_power(n, df, 0.05, 0.01, 0.05, False), abs=1e-6)


def test_power_rises_with_n_and_the_table_has_every_model_test_and_size():
    powers = [close_fit_power(n, 30) for n in (100, 200, 400)]
    assert powers == sorted(powers) and 0 < powers[0] < powers[-1] < 1
    table = rmsea_power_table([100, 200], {"a": 30, "b": 33})
    assert len(table) == 2 * 2 * 2
    assert set(table["test"]) == {"close fit", "not-close fit"}
    row = table[(table.model == "b") & (table.test == "not-close fit") & (table.n == 200)].iloc[0]
    assert row.power == pytest.approx(not_close_fit_power(200, 33), abs=1e-12) and row.df == 33
