"""The partial-invariance search (surveysem.measurement.partial) against lavaan 0.6-14: the score
tests of the constraints of a multi-group model (lavTestScore, per parameter with
``release =``) and the search's chain of freed parameters replayed in R
(tests/r/sem_diagnostics_fiml.R -> tests/r/results/sem_diagnostics_fiml.json, ``search``).
Tolerance 1e-3 on chi-squares and p values."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from surveysem.measurement.partial import LEVEL_EQUAL, parameter_tests, partial_search, search_level
from surveysem.sem import fit_model

ROOT = Path(__file__).resolve().parents[2]
FIX = json.loads((ROOT / "tests/r/results/sem_diagnostics_fiml.json").read_text())
HS = pd.read_csv(ROOT / "tests/r/data/hs.csv")
HS["agegrp"] = np.where(HS["ageyr"] <= 12, "11-12", np.where(HS["ageyr"] == 13, "13", "14-16"))
DATA = {"hs": HS, "hs_missing": pd.read_csv(ROOT / "tests/r/data/hs_missing.csv")}
MODEL = FIX["fiml"]["syntax"]
SCALES = {"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6"], "speed": ["x7", "x8", "x9"]}
TOL = 1e-3
RULE = dict(criterion="delta_fit", delta_cfi=-0.01, delta_rmsea=0.015, alpha=0.05, adjust="bonferroni",
            max_free_share=0.5, min_invariant_items=2)


def test_three_group_release_tests():
    """Per parameter, the test releasing its two constraints (df 2) = lavTestScore(release = )."""
    case = FIX["mg3_scalar"]
    res = fit_model(MODEL, HS, group="agegrp", group_equal=("loadings", "intercepts"))
    assert res.fit["chisq"] == pytest.approx(case["chisq"], abs=1e-4)
    mine = pd.concat([parameter_tests(res, "=~"), parameter_tests(res, "~1")]).set_index("parameter")
    assert len(mine) == len(case["release"])
    for r in case["release"]:
        assert mine.loc[r["parameter"], "df"] == r["df"] == 2
        assert mine.loc[r["parameter"], "X2"] == pytest.approx(r["X2"], abs=TOL)
        assert mine.loc[r["parameter"], "p_value"] == pytest.approx(r["p_value"], abs=TOL)


@pytest.mark.parametrize("key", list(FIX["search"]))
def test_search_chain_matches_lavaan(key):
    """Each step of the chain: the model with the parameters freed so far has lavaan's chi-square,
    its per-parameter score tests are lavaan's, and the largest is the one lavaan frees next."""
    case = FIX["search"][key]
    kw = dict(case["kwargs"])
    for step in case["steps"]:
        res = fit_model(MODEL, DATA[case["data"]], group=case["group"], group_equal=tuple(case["group_equal"]),
                        group_partial=tuple(step["group_partial"]), **kw)
        assert res.fit["chisq"] == pytest.approx(step["chisq"], abs=1e-4)
        tests = parameter_tests(res, case["op"]).set_index("parameter")
        assert len(tests) == len(step["release"])
        for r in step["release"]:
            assert tests.loc[r["parameter"], "X2"] == pytest.approx(r["X2"], abs=TOL)
            assert tests.loc[r["parameter"], "p_value"] == pytest.approx(r["p_value"], abs=TOL)
        # the largest, up to ties (two constrained intercepts left of a factor have one test)
        assert step["largest"] in tests.index[tests["X2"] > tests["X2"].iloc[0] - TOL]


def _fit(data, group, **kw):
    def fit(level, partial):
        return fit_model(MODEL, data, group=group, group_equal=LEVEL_EQUAL[level], group_partial=partial, **kw)
    return fit


def test_scalar_search_frees_x3_then_x7_intercepts():
    """HS by school: scalar invariance fails (ΔCFI -.03 against metric); the search frees the x3
    and x7 intercepts, the two lavaan's score tests point at, then fit no longer fails."""
    fit = _fit(HS, "school")
    metric = fit("metric", ())
    rows, freed, holds, _ = search_level(fit, "joint", "scalar", metric, SCALES, (), RULE)
    steps = FIX["search"]["scalar_ml"]["steps"]
    assert rows[0]["fails"] and rows[0]["chisq"] == pytest.approx(steps[0]["chisq"], abs=1e-4)
    assert freed[:2] == [steps[0]["largest"], steps[1]["largest"]] == ["x3~1", "x7~1"]
    for row, step in zip(rows[1:], steps[1:]):
        assert row["chisq"] == pytest.approx(step["chisq"], abs=1e-4)
        assert row["score_chisq"] == pytest.approx(steps[row["step"] - 1]["largest_X2"], abs=TOL)
    assert holds and rows[-1]["stop"] == "the partial model no longer fails"
    assert [r["item"] for r in rows[1:]] == [f[:-2] for f in freed]


def test_search_stops_when_no_test_is_significant():
    """With a criterion that always fails, the search stops at the first non-significant score
    test (Bonferroni over the eligible parameters) and never frees more than the share allowed."""
    rule = dict(RULE, criterion="chisq", alpha=0.999999)
    fit = _fit(HS, "school")
    rows, freed, holds, _ = search_level(fit, "joint", "scalar", fit("metric", ()), SCALES, (), dict(rule, alpha=0.05))
    assert "stop" in rows[-1]
    always = dict(rule, criterion="delta_fit", delta_cfi=1.0, adjust="none", alpha=1.0)
    rows, freed, holds, _ = search_level(fit, "joint", "scalar", fit("metric", ()), SCALES, (), always)
    # three items per factor, at least two invariant: one intercept per factor (not floor(0.5 * 9) = 4)
    assert not holds and len(freed) == 3
    assert rows[-1]["stop"].startswith("no parameter left to free")
    assert all(sum(1 for p in freed if p[:-2] in its) == 1 for its in SCALES.values())
    rows, freed, holds, _ = search_level(fit, "joint", "scalar", fit("metric", ()), SCALES, (),
                                         dict(always, max_free_share=0.25))
    assert len(freed) == 2  # floor(0.25 * 9)


def test_partial_search_table():
    """Metric holds in HS by school, so the table has its step 0 and the scalar search."""
    out = partial_search(MODEL, HS, "school", SCALES, "joint", RULE)
    assert list(out["level"]) == ["metric", "scalar", "scalar", "scalar"]
    assert out["stop"].iloc[0] == "holds" and list(out["freed"].iloc[1:]) == ["", "x3~1", "x7~1"]
