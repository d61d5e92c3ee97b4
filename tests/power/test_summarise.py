"""The power tables from replication rows, against hand computations (exact up to float rounding)."""

import math

import numpy as np
import pandas as pd
import pytest

from surveysem.power.steps import chunk_replications
from surveysem.power.summarise import (
    interval_calibration,
    monte_carlo_table,
    n_required,
    power_table,
    sample_size_table,
)

SIZES = [100, 150, 200, 300, 500]


def test_n_required_interpolates_between_the_sizes_around_the_first_crossing():
    power = [0.5, 0.7, 0.78, 0.85, 0.95]
    n80, note80 = n_required(SIZES, power, 0.8)
    n90, note90 = n_required(SIZES, power, 0.9)
    assert n80 == pytest.approx(200 + (0.8 - 0.78) / (0.85 - 0.78) * 100, abs=1e-9)
    assert n90 == pytest.approx(300 + (0.9 - 0.85) / (0.95 - 0.85) * 200, abs=1e-9)
    assert note80 == "interpolated between N = 200 and 300" and note90 == "interpolated between N = 300 and 500"


def test_n_required_outside_the_grid_is_marked():
    n, note = n_required(SIZES, [0.85, 0.9, 0.95, 0.97, 0.99], 0.8)
    assert n == 100 and note.startswith("at or below the grid")
    n, note = n_required(SIZES, [0.1, 0.2, 0.3, 0.4, 0.5], 0.8)
    assert math.isnan(n) and note == "above the grid: power 0.500 at the largest N = 500"


def _rows():
    """Two sizes x 4 replications of one proposition with a true effect (a) and a true null (b)."""
    rows = []
    for n in (100, 200):
        for r in range(4):
            sup_a = r < (2 if n == 100 else 4)
            rows.append({"n": n, "replication": r, "proposition": "P", "target": "P", "level": "proposition",
                         "parameter": "", "est": np.nan, "se": np.nan, "ci_lower": np.nan, "ci_upper": np.nan,
                         "problem": "", "verdict": "partially supported" if sup_a else "not supported"})
            est = 0.1 * (r + 1)
            rows.append({"n": n, "replication": r, "proposition": "P", "target": "Pa", "level": "sub-hypothesis",
                         "parameter": "A", "est": est, "se": 0.05, "ci_lower": est - 0.098, "ci_upper": est + 0.098,
                         "problem": "not converged" if (n, r) == (100, 3) else "",
                         "verdict": "supported" if sup_a else "not supported"})
            rows.append({"n": n, "replication": r, "proposition": "P", "target": "Pb", "level": "sub-hypothesis",
                         "parameter": "B", "est": 0.0, "se": 0.1, "ci_lower": -0.2, "ci_upper": 0.2, "problem": "",
                         "verdict": "supported" if (n, r) == (200, 0) else "not supported"})
    return pd.DataFrame(rows)


def test_power_table_shares_kinds_and_monte_carlo_se():
    power = power_table(_rows(), nulls={"Pb"})
    by = power.set_index(["target", "n"])
    assert by.loc[("Pa", 100), "share_supported"] == 0.5 and by.loc[("Pa", 200), "share_supported"] == 1.0
    assert by.loc[("Pa", 100), "mcse"] == pytest.approx(math.sqrt(0.25 / 4))
    assert by.loc[("Pa", 100), "converged"] == 3 and by.loc[("Pa", 100), "kind"] == "sub-hypothesis"
    assert by.loc[("Pb", 200), "kind"] == "true null" and by.loc[("Pb", 200), "share_supported"] == 0.25
    assert by.loc[("P", 100), "kind"] == "proposition" and by.loc[("P", 100), "share_supported"] == 0.0
    sizes = sample_size_table(power)
    assert set(sizes.target) == {"P", "Pa"}  # no sample size for a true null
    pa = sizes[(sizes.target == "Pa") & (sizes.power_level == 0.8)].iloc[0]
    assert pa.n_required == pytest.approx(100 + (0.8 - 0.5) / 0.5 * 100)


def test_monte_carlo_table_by_hand():
    mc = monte_carlo_table(_rows(), {"Pa": 0.2, "Pb": 0.0}).set_index(["target", "n"])
    a = mc.loc[("Pa", 100)]
    est = np.array([0.1, 0.2, 0.3])  # replication 3 did not converge
    assert a.mean_estimate == pytest.approx(est.mean()) and a.sd_estimate == pytest.approx(est.std(ddof=1))
    assert a.mse == pytest.approx(np.mean((est - 0.2) ** 2)) and a.mean_se == pytest.approx(0.05)
    assert a.coverage == pytest.approx(1 / 3)  # 0.1 +- 0.098 and 0.3 +- 0.098 miss 0.2
    assert a.share_significant == 1.0 and a.not_converged == 1 and a.replications == 4
    assert mc.loc[("Pb", 200)].coverage == 1.0 and mc.loc[("Pb", 200)].share_significant == 0.0


@pytest.mark.parametrize("chunks", [1, 2, 3, 7])
def test_chunks_split_the_replications_evenly_and_completely(chunks):
    parts = [list(chunk_replications(10, chunks, k)) for k in range(chunks)]
    assert sum(parts, []) == list(range(10))
    assert max(map(len, parts)) - min(map(len, parts)) <= 1


def _binomial_quantiles(r: int, p: float, tail: float) -> tuple[int, int]:
    """By hand: the smallest k with P(X <= k) >= tail and the smallest k with P(X > k) <= tail."""
    pmf = [math.comb(r, k) * p ** k * (1 - p) ** (r - k) for k in range(r + 1)]
    cdf = np.cumsum(pmf)
    return int(np.argmax(cdf >= tail)), int(np.argmax(1 - cdf <= tail))


def test_interval_calibration_flags_coverage_outside_the_monte_carlo_band():
    """95 % intervals over 1000 replications: the 99 % band of a calibrated interval's coverage is
    the 0.5 % and 99.5 % quantiles of Binomial(1000, .95) (by hand below: 931 and 967); coverages .88
    (a P4 total effect in the power study), .95 and .99 are too narrow, calibrated and too wide.
    Failed replications are not counted; at 20 replications the band is the exact binomial one."""
    mc = pd.DataFrame([
        {"target": "P4a", "parameter": "total_sensing", "n": 150, "coverage": 0.88, "replications": 1000,
         "not_converged": 0, "inadmissible": 0, "sd_estimate": 0.125, "mean_se": 0.1},
        {"target": "P1a", "parameter": "PDC", "n": 150, "coverage": 0.95, "replications": 1010,
         "not_converged": 4, "inadmissible": 6, "sd_estimate": 0.1, "mean_se": 0.1},
        {"target": "P1b", "parameter": "SOE", "n": 150, "coverage": 0.99, "replications": 1000,
         "not_converged": 0, "inadmissible": 0, "sd_estimate": 0.08, "mean_se": 0.1},
        {"target": "P1c", "parameter": "CUS", "n": 150, "coverage": np.nan, "replications": 1000,
         "not_converged": 0, "inadmissible": 0, "sd_estimate": 0.1, "mean_se": 0.1},
        {"target": "P1d", "parameter": "CUS", "n": 100, "coverage": 16 / 20, "replications": 20,
         "not_converged": 0, "inadmissible": 0, "sd_estimate": 0.1, "mean_se": 0.1},
    ])
    cal = interval_calibration(mc, 0.95).set_index("target")
    low, high = _binomial_quantiles(1000, 0.95, 0.005)
    assert (low, high) == (931, 967)
    assert cal.loc["P4a", "band_lower"] == pytest.approx(low / 1000) and cal.loc["P1a", "band_upper"] == high / 1000
    low20, high20 = _binomial_quantiles(20, 0.95, 0.005)
    assert (cal.loc["P1d", "band_lower"], cal.loc["P1d", "band_upper"]) == (low20 / 20, high20 / 20)
    assert cal["assessment"].to_dict() == {"P4a": "too narrow", "P1a": "within Monte Carlo error",
                                           "P1b": "too wide", "P1d": "within Monte Carlo error" if low20 <= 16
                                           else "too narrow"}  # P1c, no population value: left out
    assert cal.loc["P4a", "sd_over_se"] == pytest.approx(1.25)
