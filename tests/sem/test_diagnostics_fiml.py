"""Modification indices and score tests of FIML and MLR fits against lavaan 0.6-14
(tests/r/sem_diagnostics_fiml.R -> tests/r/results/sem_diagnostics_fiml.json).

Tolerance 1e-3 absolute on every value, as tests/sem/test_diagnostics.py."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from surveysem.errors import SurveySemError
from surveysem.sem import fit_model

ROOT = Path(__file__).resolve().parents[2]
FIX = json.loads((ROOT / "tests/r/results/sem_diagnostics_fiml.json").read_text())
DATA = {"hs": pd.read_csv(ROOT / "tests/r/data/hs.csv"), "hs_missing": pd.read_csv(ROOT / "tests/r/data/hs_missing.csv")}
CASES = ["fiml", "fiml_mlr", "mlr", "fiml_eq", "fiml_mlr_eq", "fiml_mg", "fiml_mg_scalar", "mg_scalar"]
TOL = 1e-3
MI_COLS = ["mi", "epc", "sepc_lv", "sepc_all", "sepc_nox"]


def _kwargs(case):
    kw = dict(case["kwargs"])
    if "group_equal" in kw:
        kw["group_equal"] = tuple(kw["group_equal"])
    return kw


@pytest.fixture(scope="module")
def fits():
    return {k: fit_model(FIX[k]["syntax"], DATA[FIX[k]["data"]], **_kwargs(FIX[k])) for k in CASES}


@pytest.mark.parametrize("key", CASES)
def test_modindices(fits, key):
    """Same rows in lavaan's order (after its na.remove), every value within 1e-3."""
    res = fits[key]
    assert res.fit["chisq"] == pytest.approx(FIX[key]["chisq"], abs=1e-4)
    ref = pd.DataFrame(FIX[key]["modindices"])
    if "group" not in ref:
        ref["group"] = 1
    mi = res.modindices()
    keys = ["lhs", "op", "rhs", "group"]
    assert [tuple(r) for r in mi[keys].values] == [tuple(r) for r in ref[keys].values]
    for c in MI_COLS:
        np.testing.assert_allclose(mi[c].to_numpy(float), ref[c].to_numpy(float), atol=TOL, err_msg=c)


def _row(spec, p):
    return next(k for k, r in enumerate(spec.rows) if (r.lhs, r.op, r.rhs, r.group) == (
        p["lhs"], p["op"], p["rhs"], p["group"]))


def assert_score_matches(res, ref):
    """lavTestScore's total and univariate tests, constraint by constraint (by the rows tied)."""
    total, uni = res.score_test()
    assert total["df"] == ref["total"]["df"]
    assert total["X2"] == pytest.approx(ref["total"]["X2"], abs=TOL)
    assert total["p_value"] == pytest.approx(ref["total"]["p_value"], abs=TOL)
    spec = res.context[0]
    assert len(uni) == len(ref["uni"])
    for u in ref["uni"]:
        m = uni[(uni.lhs_row == _row(spec, u["lhs_par"])) & (uni.rhs_row == _row(spec, u["rhs_par"]))]
        assert len(m) == 1
        assert m.X2.iloc[0] == pytest.approx(u["X2"], abs=TOL)
        assert m.p_value.iloc[0] == pytest.approx(u["p_value"], abs=TOL)
    return uni


@pytest.mark.parametrize("key", ["fiml_eq", "fiml_mlr_eq", "fiml_mg", "fiml_mg_scalar", "mg_scalar"])
def test_score_test(fits, key):
    assert_score_matches(fits[key], FIX[key]["score"])


def test_mlr_score_test_is_the_ordinary_one(fits):
    """lavaan 0.6-14 has no robust score test: MLR falls back to the ML test (and says so)."""
    assert "falling back to ordinary score test" in FIX["fiml_mlr_eq"]["score_warnings"][0]
    assert fits["fiml_mlr_eq"].score_test()[0]["X2"] == pytest.approx(fits["fiml_eq"].score_test()[0]["X2"], abs=1e-8)


def test_release_set_is_lavaans_release(fits):
    """score_test(release=) releases only those constraints (lavTestScore(fit, release = ))."""
    total, uni = fits["mg_scalar"].score_test(release=[0])
    assert total["df"] == 1 and len(uni) == 1
    assert total["X2"] == pytest.approx(uni.X2.iloc[0], abs=1e-10)


def test_residuals_of_fiml_still_refused(fits):
    with pytest.raises(SurveySemError, match="not supported: residuals"):
        fits["fiml"].residuals()


def test_bundled_cfa_largest_modindices():
    """The measurement page's numbers: the 50 largest modification indices of the stage's joint
    CFA on the bundled data (79 items, FIML, 236 missing-data patterns) are lavaan's
    (tests/r/cfa_bundled_modindices.R)."""
    ref = json.loads((ROOT / "tests/r/results/cfa_bundled_modindices.json").read_text())
    data = pd.read_csv(ROOT / "tests/r/data/cfa_small_n_bundled.csv")
    res = fit_model(ref["syntax"], data, missing="fiml", standard_errors=False)
    assert res.fit["chisq"] == pytest.approx(ref["chisq"], abs=1e-3)
    mi = res.modindices()
    assert len(mi) == ref["n_rows"]
    top = mi.sort_values("mi", ascending=False, kind="stable").head(50).reset_index(drop=True)
    top50 = pd.DataFrame(ref["top50"])
    assert [tuple(r) for r in top[["lhs", "op", "rhs"]].values] == [tuple(r) for r in top50[["lhs", "op", "rhs"]].values]
    for c in MI_COLS:
        np.testing.assert_allclose(top[c].to_numpy(float), top50[c].to_numpy(float), atol=TOL, err_msg=c)
