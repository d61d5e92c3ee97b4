"""Small-sample corrected chi-squares against semTools 0.5-6 ``chisqSmallN(fit, smallN.method = "all")``
(tests/r/chisq_small_n.R -> tests/r/results/chisq_small_n.json; the 16-factor FIML CFA's in
tests/r/results/cfa_small_fiml.json, see tests/measurement/test_cfa_small_fiml.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from surveysem.sem import prepare_model
from surveysem.sem.small_sample import small_sample_chisq, small_sample_of_fit

ROOT = Path(__file__).resolve().parents[1]
FX = json.loads((ROOT / "r" / "results" / "chisq_small_n.json").read_text())
TOL = 1e-3
R_NAMES = {"swain": "swain", "yuan_2015": "yuan.2015", "yuan_2005": "yuan.2005", "bartlett": "bartlett"}
CASES = {
    "hs100_ml": ("hs100.csv", FX["syntax"], "listwise", 100),
    "hs100_ml_constrained": ("hs100.csv", FX["syntax"] + "\nvisual ~~ 0*speed", "listwise", 100),
    "hs100_fiml": ("hs_missing.csv", FX["syntax"], "fiml", 100),
}


def _compare(ours: dict, ref: dict, tol: float):
    for m, rm in R_NAMES.items():
        assert ours[m]["factor"] == pytest.approx(ref[rm]["smallN.factor"], abs=1e-12)
        assert ours[m]["df"] == ref[rm]["df"]
        assert ours[m]["chisq"] == pytest.approx(ref[rm]["chisq"], abs=tol)
        assert ours[m]["pvalue"] == pytest.approx(ref[rm]["pvalue"], abs=tol)


@pytest.mark.parametrize("case", list(CASES))
def test_formulas_on_semtools_ingredients(case):
    """Pure formulas: lavaan's chi-square and semTools' ingredients in, semTools' numbers out."""
    ref = FX[case]
    ing = ref["ingredients"]
    ours = small_sample_chisq(ref["standard"]["chisq"], ref["standard"]["df"], ing["ntotal"],
                              p=ing["P"], k=ing["K"], q=ing["npar"])
    _compare(ours, ref, 1e-10)


@pytest.mark.parametrize("case", list(CASES))
def test_our_fit_matches_chisqsmalln(case):
    file, syntax, missing, rows = CASES[case]
    data = pd.read_csv(ROOT / "r" / "data" / file).iloc[:rows]
    items = [f"x{i}" for i in range(1, 10)]
    std_lv = case == "hs100_ml_constrained"
    pm = prepare_model(syntax, items, missing=missing, std_lv=std_lv)
    res = pm.fit(data[items])
    assert res.converged
    assert res.fit["chisq"] == pytest.approx(FX[case]["standard"]["chisq"], abs=TOL)
    _compare(small_sample_of_fit(res, pm.spec), FX[case], TOL)


def test_no_test_no_corrections():
    class R:
        fit = {"chisq": 0.0, "df": 0, "nobs": 50, "npar": 6}

    assert small_sample_of_fit(R(), None) == {}


@pytest.mark.parametrize("case", list(CASES))
def test_swain_indices_by_hand(case):
    """CFI, TLI, RMSEA from the Swain-corrected model (semTools' swain chisq) and baseline chi-squares,
    Herzog & Boomsma (2009), computed here by hand from the formulas."""
    import math

    file, syntax, missing, rows = CASES[case]
    data = pd.read_csv(ROOT / "r" / "data" / file).iloc[:rows]
    items = [f"x{i}" for i in range(1, 10)]
    pm = prepare_model(syntax, items, missing=missing, std_lv=case == "hs100_ml_constrained")
    res = pm.fit(data[items])
    got = small_sample_of_fit(res, pm.spec)["swain_indices"]
    fit, N, p = res.fit, res.fit["nobs"], 9
    x = FX[case]["swain"]["chisq"]  # semTools
    dfb = fit["baseline_df"]
    qb = fit["df"] + fit["npar"] - dfb
    Q = (math.sqrt(1 + 8 * qb) - 1) / 2
    cb = 1 - (p * (2 * p**2 + 3 * p - 1) - Q * (2 * Q**2 + 3 * Q - 1)) / (12 * dfb * N)
    xb, df = fit["baseline_chisq"] * cb, fit["df"]
    assert got["chisq"] == pytest.approx(x, abs=TOL)
    assert got["cfi"] == pytest.approx(1 - max(x - df, 0) / max(x - df, xb - dfb), abs=TOL)
    assert got["tli"] == pytest.approx((xb / dfb - x / df) / (xb / dfb - 1), abs=TOL)
    assert got["rmsea"] == pytest.approx(math.sqrt(max(x / N / df - 1 / N, 0)), abs=TOL)
    # the corrections shrink chi-square, so the corrected indices never look worse than the ML ones
    assert got["cfi"] >= fit["cfi"] - 1e-12 and got["rmsea"] <= fit["rmsea"] + 1e-12
