"""Statistical problems are warnings, not errors (CONTRIBUTING.md)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from surveysem.sem import fit_model

HS = Path(__file__).resolve().parents[1] / "r" / "data" / "hs.csv"
M = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"


def _exact_sample(cov, n=200, seed=1):
    """Data whose N-divisor sample covariance is exactly ``cov``."""
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, len(cov)))
    z -= z.mean(axis=0)
    s = z.T @ z / n
    w = np.linalg.cholesky(np.linalg.inv(s))  # whiten
    z = z @ w
    return z @ np.linalg.cholesky(cov).T


def test_heywood_case_is_a_warning():
    # one-factor model: lambda1^2 = r12 * r13 / r23 = 0.64 / 0.5 = 1.28 > 1, so the
    # ML residual variance of y1 is 1 - 1.28 = -0.28 (exactly identified, df = 0)
    cov = np.array([[1.0, 0.8, 0.8], [0.8, 1.0, 0.5], [0.8, 0.5, 1.0]])
    data = pd.DataFrame(_exact_sample(cov), columns=["y1", "y2", "y3"])
    res = fit_model("f =~ y1 + y2 + y3", data)
    assert res.converged
    hey = [w for w in res.warnings if w.startswith("Heywood case: negative residual variance for y1")]
    assert hey, res.warnings
    est = res.estimates.set_index(["lhs", "op", "rhs"])
    assert est.loc[("y1", "~~", "y1"), "est"] == pytest_approx(-0.28)
    assert res.fit["df"] == 0 and abs(res.fit["chisq"]) < 1e-6


def pytest_approx(v):
    import pytest

    return pytest.approx(v, abs=1e-4)


def test_non_convergence_is_reported():
    data = pd.read_csv(HS)
    res = fit_model(M, data, max_iter=1)
    assert res.converged is False
    assert any("did not converge after 1 iterations" in w for w in res.warnings)
    assert set(res.to_json()) == {"fit", "estimates", "converged", "warnings"}


def test_zero_variance_item_completes():
    data = pd.read_csv(HS)
    data["x4"] = 3.0
    res = fit_model(M, data)
    assert "zero variance: x4" in res.warnings
    assert "sample covariance matrix is not positive definite" in res.warnings
    assert isinstance(res.converged, bool)


def test_fiml_drops_empty_rows_and_reports():
    data = pd.read_csv(HS)
    data.loc[[0, 5], [f"x{i}" for i in range(1, 10)]] = np.nan
    data.loc[7, "x2"] = np.nan
    res = fit_model(M, data, missing="fiml")
    assert res.fit["nobs"] == 299
    assert any("2 case(s) with all model variables missing" in w for w in res.warnings)
    lw = fit_model(M, data)
    assert lw.fit["nobs"] == 298
