"""Identification (surveysem.sem.identification): what the engine refuses to fit, and what it
marks as not identified after a fit.

lavaan 0.6-14 refuses none of these models. Run on tests/r/data/hs.csv
(``HS <- read.csv("tests/r/data/hs.csv")``), ``cfa(model, data = HS)`` fits each of them, reports
``converged = TRUE``, prints estimates with ``se = NA`` and warns from ``lav_model_vcov``:
"Could not compute standard errors! The information matrix could not be inverted. This may be a
symptom that the model is not identified." The df and npar lavaan reports are in each test.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from surveysem.errors import SurveySemError
from surveysem.sem import fit_model, prepare_model

DATA = Path(__file__).resolve().parents[1] / "r" / "data"
M = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"


@pytest.fixture(scope="module")
def hs():
    return pd.read_csv(DATA / "hs.csv")


def _exact_sample(cov, n=200, seed=1):
    """Data whose N-divisor sample covariance is exactly ``cov``."""
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, len(cov)))
    z -= z.mean(axis=0)
    z = z @ np.linalg.cholesky(np.linalg.inv(z.T @ z / n))
    return z @ np.linalg.cholesky(cov).T


def test_negative_df_is_refused(hs):
    """``cfa("f =~ x1 + x2", data = HS)``: lavaan fits it (df = -1, npar = 4) and warns that the
    information matrix could not be inverted."""
    with pytest.raises(SurveySemError) as err:
        fit_model("f =~ x1 + x2", hs)
    assert str(err.value) == "model not identified: df = -1 (3 observed moments, 4 free parameters)"


def test_negative_df_is_refused_by_prepare_model(hs):
    """The df check needs no data: ``prepare_model`` refuses the model already."""
    with pytest.raises(SurveySemError, match=r"^model not identified: df = -1 "):
        prepare_model("f =~ x1 + x2", list(hs.columns))


def test_scale_free_factor_is_refused(hs):
    """``cfa("f =~ NA*x1 + x2 + x3 + x4", data = HS)``: lavaan fits it (df = 1, npar = 9, every
    SE NA) with the information-matrix warning."""
    with pytest.raises(SurveySemError) as err:
        fit_model("f =~ NA*x1 + x2 + x3 + x4", hs)
    msg = str(err.value)
    assert "\n" not in msg
    assert msg.startswith(
        "model not identified: a scale-free factor: f =~ x1 (loading) and f ~~ f (variance) cannot both be free;"
    )
    assert "not identified: f =~ x1, f =~ x2, f =~ x3, f =~ x4, f ~~ f " in msg
    assert msg.endswith("(rank of the Jacobian of the implied moments 8 < 9 free parameters)")


def test_second_order_factor_with_two_indicators_is_refused(hs):
    """``cfa("F1 =~ x1 + x2 + x3\\nF2 =~ x4 + x5 + x6\\nG =~ F1 + F2", data = HS)``: lavaan fits
    it (df = 7, npar = 14; G =~ F2 = 0.728 with se NA) with the information-matrix warning."""
    with pytest.raises(SurveySemError) as err:
        fit_model("F1 =~ x1 + x2 + x3\nF2 =~ x4 + x5 + x6\nG =~ F1 + F2", hs)
    msg = str(err.value)
    assert msg.startswith(
        "model not identified: an under-identified second-order factor: G has two first-order indicators"
        " (F1, F2) and no constraints;"
    )
    assert "not identified: G =~ F2, F1 ~~ F1, F2 ~~ F2, G ~~ G " in msg
    assert msg.endswith("(rank of the Jacobian of the implied moments 13 < 14 free parameters)")


def test_two_indicator_factor_without_covariances_is_refused(hs):
    """``cfa("f1 =~ x1 + x2 + x3\\nf2 =~ x4 + x5\\nf1 ~~ 0*f2", data = HS)``: lavaan fits it
    (df = 5, npar = 10) with the information-matrix warning."""
    with pytest.raises(SurveySemError) as err:
        fit_model("f1 =~ x1 + x2 + x3\nf2 =~ x4 + x5\nf1 ~~ 0*f2", hs)
    msg = str(err.value)
    assert msg.startswith(
        "model not identified: a two-indicator factor without covariances with other factors: f2 (x4, x5);"
    )
    assert "not identified: f2 =~ x5, x4 ~~ x4, x5 ~~ x5, f2 ~~ f2 " in msg
    assert msg.endswith("(rank of the Jacobian of the implied moments 9 < 10 free parameters)")


def test_scale_free_factor_is_named_in_each_group(hs):
    """Multi-group: the null-space parameters are named with their group."""
    with pytest.raises(SurveySemError, match="f ~~ f in group Grant-White"):
        fit_model("f =~ NA*x1 + x2 + x3 + x4", hs, group="school")


def test_two_correlated_two_indicator_factors_are_identified(hs):
    """Identified only through the factor covariance, which starts at 0: the Jacobian is taken at
    a perturbation of the start values, so the model is not refused (lavaan: df = 1, npar = 9)."""
    res = fit_model("f1 =~ x1 + x2\nf2 =~ x3 + x4", hs)
    assert res.converged and res.identified and res.fit["df"] == 1
    assert res.estimates.se[res.estimates.free].notna().all()


@pytest.mark.parametrize("estimator", ["ML", "MLR"])
def test_empirical_underidentification_is_marked(estimator):
    """Two two-indicator factors whose sample cross-covariances are exactly zero: identified in
    general, not at the solution (f1 ~~ f2 = 0). lavaan on these data (written to CSV) fits it
    (chisq = 0, df = 1, f1 ~~ f2 = 0.000) with se NA and the information-matrix warning."""
    cov = np.array([[1, 0.5, 0, 0], [0.5, 1, 0, 0], [0, 0, 1, 0.4], [0, 0, 0.4, 1.0]])
    data = pd.DataFrame(_exact_sample(cov), columns=["y1", "y2", "y3", "y4"])
    res = fit_model("f1 =~ y1 + y2\nf2 =~ y3 + y4", data, estimator=estimator)
    assert res.converged and res.identified is False
    warn = [w for w in res.warnings if w.startswith("model not identified at the solution:")]
    assert len(warn) == 1 and "information matrix is singular" in warn[0]
    assert warn[0].endswith("; standard errors are NaN")
    free = res.estimates[res.estimates.free]
    assert free.se.isna().all() and free.z.isna().all() and free.pvalue.isna().all()
    assert np.isnan(res.vcov).all()


@pytest.mark.parametrize("estimator", ["ML", "MLR"])
def test_identified_fixture_model_is_identified(hs, estimator):
    res = fit_model(M, hs, estimator=estimator)
    assert res.identified and not res.warnings
    assert not math.isnan(res.estimates.se.iloc[1])


def test_without_standard_errors_identification_is_not_judged(hs):
    res = fit_model(M, hs, standard_errors=False)
    assert res.identified


def test_a_prepared_model_checks_local_identification_once(hs, monkeypatch):
    """The rank check is a property of the model (full rank at one random point: almost
    everywhere), so a prepared model refitted to many data sets (the power study, the bootstrap)
    runs it at its first fit only; a model that fails it is refused at that first fit."""
    import surveysem.sem.api as api

    calls = []
    monkeypatch.setattr(api, "check_local", lambda *a, **k: calls.append(1))
    pm = prepare_model(M, list(hs.columns))
    first, second = pm.fit(hs), pm.fit(hs.iloc[:200])
    assert len(calls) == 1 and first.converged and second.converged
    monkeypatch.undo()
    bad = prepare_model("f =~ NA*x1 + x2 + x3 + x4", list(hs.columns))
    for _ in range(2):  # refused again: a failed check is not remembered as passed
        with pytest.raises(SurveySemError, match="model not identified"):
            bad.fit(hs)
