"""The HTMT bootstrap interval: hand-checked values and that it contains its estimate."""

import math

import numpy as np
import pytest

from surveysem.measurement.intervals import log_normal_interval


def test_log_normal_interval_by_hand():
    # logs of the replicates: ln(1/4), ln(1/2), ln(1) -> SD (B - 1 denominator) = ln 2, so the
    # bounds are 0.5 * exp(-/+ z ln 2) = 0.5 * 2 ** (-/+ z), z = 1.959964 at 95 %, 1.644854 at 90 %
    lo, hi = log_normal_interval(0.5, [0.25, 0.5, 1.0], level=0.95)
    assert lo == pytest.approx(0.5 * 2 ** -1.959964, rel=1e-6)
    assert hi == pytest.approx(0.5 * 2 ** 1.959964, rel=1e-6)
    lo, hi = log_normal_interval(0.5, [0.25, 0.5, 1.0], level=0.90)
    assert (lo, hi) == pytest.approx((0.5 * 2 ** -1.644854, 0.5 * 2 ** 1.644854), rel=1e-6)


def test_log_normal_interval_of_a_near_zero_htmt_contains_it():
    # the SOE-MARKER case: every resample but a few above the estimate; a percentile interval
    # of these resamples, [0.066, 0.20], would miss 0.059
    rng = np.random.default_rng(3)
    reps = 0.06 + np.abs(rng.normal(0.05, 0.04, 500))
    lo, hi = log_normal_interval(0.059, reps)
    assert np.quantile(reps, 0.025) > 0.059
    assert lo < 0.059 < hi


@pytest.mark.parametrize("seed", range(200))
def test_log_normal_interval_contains_the_estimate(seed):
    # property: for any positive estimate inside the range of its (skewed, shifted) resamples
    rng = np.random.default_rng(seed)
    reps = rng.lognormal(rng.normal(-1.5, 1.0), rng.uniform(0.05, 1.0), int(rng.integers(2, 400)))
    estimate = float(rng.uniform(reps.min(), reps.max()))
    lo, hi = log_normal_interval(estimate, reps, level=float(rng.uniform(0.5, 0.999)))
    assert 0 < lo <= estimate <= hi


def test_log_normal_interval_undefined():
    assert all(math.isnan(b) for b in log_normal_interval(0.0, [0.1, 0.2]))       # no log of 0
    assert all(math.isnan(b) for b in log_normal_interval(0.3, [0.2, np.nan, 0]))  # one usable resample
    with pytest.raises(ValueError):
        log_normal_interval(0.3, [0.2, 0.4], level=1.0)
