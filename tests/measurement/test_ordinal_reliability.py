"""Ordinal omega against semTools 0.5-6 (tests/r/ordinal_omega.R) on lavaan's WLSMV estimates."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from surveysem.measurement.ordinal_reliability import (
    omega_categorical,
    ordinal_omega,
    ordinal_omegas,
)

FIXTURE = json.loads((Path(__file__).parents[1] / "r" / "results" / "ordinal_omega.json").read_text())
CASES = FIXTURE["cases"]
DATA = Path(__file__).parents[1] / "r" / "data"


def _frame(m):
    return pd.DataFrame(m["values"], index=m["rows"], columns=m["cols"], dtype=float)


def _series(v):
    return pd.Series(v["values"], index=v["names"], dtype=float)


def _factor_inputs(block, factor):
    """A factor's inputs from lavaan's lavInspect(fit, "est") matrices."""
    lam = _frame(block["lambda"])[factor]
    items = list(lam.index[lam != 0])
    tau = _series(block["tau"])
    thresholds = [tau[[n for n in tau.index if n.startswith(f"{i}|")]].to_numpy() for i in items]
    return {"loadings": lam[items].to_numpy(), "latent_variance": _frame(block["psi"]).loc[factor, factor],
            "residual_cov": _frame(block["theta"]).loc[items, items].to_numpy(), "thresholds": thresholds,
            "scales": _series(block["scales"])[items].to_numpy()}, items


BLOCKS = [(name, g) for name, case in CASES.items() for g in range(case["ngroups"])]


@pytest.mark.parametrize(("name", "g"), BLOCKS)
def test_model_based_omega_matches_semtools(name, g):
    """reliability(fit)['omega', ] = compRelSEM(fit, obs.var = FALSE): the model's total covariance."""
    block = CASES[name]["groups"][g]
    for factor, want in block["reliability"]["omega"].items():
        args, _ = _factor_inputs(block, factor)
        assert ordinal_omega(**args) == pytest.approx(want, abs=1e-3), factor
        assert block["compRelSEM_fitted"][factor] == pytest.approx(want, abs=1e-12)


@pytest.mark.parametrize(("name", "g"), BLOCKS)
def test_sample_polychoric_omega_matches_compRelSEM(name, g):
    """compRelSEM(fit) (obs.var = TRUE) = reliability's omega3: the sample polychorics below."""
    block = CASES[name]["groups"][g]
    for factor, want in block["compRelSEM"].items():
        args, items = _factor_inputs(block, factor)
        sample = _frame(block["sample_cor"]).loc[items, items].to_numpy()
        assert ordinal_omega(**args, total_cov=sample) == pytest.approx(want, abs=1e-3), factor
        assert block["reliability"]["omega3"][factor] == pytest.approx(want, abs=1e-12)


def test_continuous_limit_is_the_linear_omega():
    """Many fine thresholds make the sum score nearly the latent responses' sum: (sum lam)^2 psi / total."""
    lam, psi = np.array([0.7, 0.6, 0.8]), 1.0
    theta = np.diag(1 - lam ** 2)
    taus = [np.linspace(-3, 3, 61)] * 3
    linear = lam.sum() ** 2 / (lam.sum() ** 2 + theta.sum())
    assert ordinal_omega(lam, psi, theta, taus) == pytest.approx(linear, abs=2e-3)


def test_mismatched_inputs_are_refused():
    with pytest.raises(ValueError, match="3 items but total_cov"):
        omega_categorical(np.eye(3), np.eye(2), [[0.0]] * 3)


def test_omegas_from_our_wlsmv_fit_match_semtools():
    """The whole path: our WLSMV estimates (fit_model) through ordinal_omegas, against semTools."""
    from surveysem.sem import fit_model

    data = pd.read_csv(DATA / "hs_ordinal5.csv")
    res = fit_model(CASES["hs5"]["model"], data, estimator="WLSMV", ordered=[f"x{i}" for i in range(1, 10)])
    got = ordinal_omegas(res.estimates)
    assert got == pytest.approx(CASES["hs5"]["groups"][0]["reliability"]["omega"], abs=1e-3)


def test_omegas_of_the_second_group_use_its_scaling_factors():
    from surveysem.sem import fit_model

    data = pd.read_csv(DATA / "hs_ordinal3.csv")
    res = fit_model(CASES["hs3_school_scalar"]["model"], data, estimator="WLSMV",
                    ordered=[f"x{i}" for i in range(1, 10)], group="school",
                    group_equal=("thresholds", "loadings"))
    for g in (1, 2):
        want = CASES["hs3_school_scalar"]["groups"][g - 1]["reliability"]["omega"]
        assert ordinal_omegas(res.estimates, group=g) == pytest.approx(want, abs=1e-3)


def test_items_with_different_numbers_of_thresholds_match_a_direct_sum():
    """semTools' omegaCat loop written out with scipy's bivariate normal, for items with 1, 2 and 4
    thresholds and scaling factors other than 1 (the vectorised sum pads the shorter items)."""
    from scipy.stats import multivariate_normal, norm

    lam, psi = np.array([0.9, -0.6, 0.75]), 1.2
    scales = np.array([0.9, 1.1, 1.0])
    theta = np.diag(1 / scales ** 2 - lam ** 2 * psi) + np.array([[0, 0.05, 0], [0.05, 0, 0], [0, 0, 0]])
    taus = [np.array([0.2]), np.array([-0.5, 0.7]), np.array([-1.5, -0.4, 0.3, 1.2])]
    true = np.outer(lam, lam) * psi
    R = true * np.outer(scales, scales)
    total = true + theta
    D = total / np.sqrt(np.outer(np.diag(total), np.diag(total)))

    def p2(a, b, r):
        if abs(r) >= 1 - 1e-12:
            return norm.cdf(min(a, b))
        return multivariate_normal(mean=[0, 0], cov=[[1, r], [r, 1]]).cdf([a, b])

    num = den = 0.0
    for j in range(3):
        for k in range(3):
            t1, t2 = taus[j] * scales[j], taus[k] * scales[k]
            both = norm.cdf(t1).sum() * norm.cdf(t2).sum()
            num += sum(p2(a, b, R[j, k]) for a in t1 for b in t2) - both
            den += sum(p2(a, b, D[j, k]) for a in t1 for b in t2) - both
    assert ordinal_omega(lam, psi, theta, taus, scales) == pytest.approx(num / den, abs=1e-5)
