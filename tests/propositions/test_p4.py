"""Proposition 4 SEM: syntax built from the hypotheses, growth indicators, and the models (a)/(b)
against lavaan (tests/r/results/second_order_sem.json, tests/r/second_order_sem.R).

Tolerances: lavaan chi-square/df/CFI/RMSEA/AIC 1e-3 relative, estimates 1e-3 absolute (the
project default; both optimizers stop at gradient tolerances near 1e-6). Hand computations 1e-12.
"""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from surveysem.errors import SurveySemError
from surveysem.propositions.p4 import (fit_p4, growth_indicators, heywood_warnings, items_by_construct,
                          multigroup_check, p4_syntax)

ROOT = Path(__file__).resolve().parents[2]
REF = json.loads((ROOT / "tests/r/results/second_order_sem.json").read_text())
DATA = pd.read_csv(ROOT / "tests/r/data/second_order_sem.csv")
# The fixture's first-order factors F1..F6 -> our processes; its growth indicators g1..g3.
PROCESSES = {"sensing": ["F1", "F2"], "seizing": ["F3", "F4"], "reconfiguring": ["F5", "F6"]}
ITEMS = {f"F{k}": [f"f{k}_{i}" for i in (1, 2, 3)] for k in range(1, 7)}
RENAME = {"g1": "g_spread", "g2": "g_div", "g3": "g_int"}
NAMES = {"SEN": "sensing", "SEI": "seizing", "REC": "reconfiguring", "GRO": "growth", **RENAME}


def test_growth_indicators_by_hand():
    out = pd.DataFrame({"respondent_id": [1, 2, 3, 4], "spread": [0.5, 1.0, 2.0, 3.0],
                        "diversification": [0, 3, 12, 5], "intensity": [1.0, 0.5, 0.25, 0.995]})
    g = growth_indicators(out, trials=12, correction=0.5, clip=0.01)
    ls = np.log(out.spread)
    np.testing.assert_allclose(g.g_spread, (ls - ls.mean()) / ls.std(ddof=1), atol=1e-12)
    p = (out.diversification + 0.5) / 13.0
    ld = np.log(p / (1 - p))
    np.testing.assert_allclose(g.g_div, (ld - ld.mean()) / ld.std(ddof=1), atol=1e-12)
    q = np.array([0.99, 0.5, 0.25, 0.99])  # 1.0 and 0.995 clipped to 0.99
    li = np.log(q / (1 - q))
    np.testing.assert_allclose(g.g_int, (li - li.mean()) / li.std(ddof=1), atol=1e-12)


def test_syntax_of_the_three_models():
    items = {c: [f"{c}{i}" for i in (1, 2, 3)] for p in PROCESSES.values() for c in p}
    a = p4_syntax(PROCESSES, items, "a")
    assert "sensing =~ F1 + F2" in a and "growth ~ sensing + seizing + reconfiguring" in a
    assert "growth =~ g_spread + g_div + g_int" in a
    b = p4_syntax(PROCESSES, items, "b")
    for line in ("seizing ~ a*sensing", "reconfiguring ~ b*seizing", "growth ~ c*reconfiguring",
                 "total_sensing := a*b*c", "total_seizing := b*c", "total_reconfiguring := c"):
        assert line in b
    c = p4_syntax(PROCESSES, items, "c")
    assert "sensing" not in c and "growth ~ F1 + F2 + F3 + F4 + F5 + F6" in c
    with pytest.raises(SurveySemError):
        p4_syntax(PROCESSES, items, "d")


def test_items_by_construct_from_columns():
    cols = ["respondent_id", "PDC1", "PDC2", "PDC10", "PDCX", "CCA1"]
    assert items_by_construct(cols, ["PDC"]) == {"PDC": ["PDC1", "PDC2", "PDC10"]}
    with pytest.raises(SurveySemError, match="'CCA' has 1 item"):
        items_by_construct(cols, ["CCA"])


@pytest.fixture(scope="module")
def fitted():
    data = DATA.rename(columns=RENAME).assign(respondent_id=np.arange(len(DATA)))
    return fit_p4(data, PROCESSES, ITEMS, models=("a", "b", "c"))


@pytest.mark.parametrize("model,key", [("a", "second_order"), ("b", "chain")])
def test_models_match_lavaan(fitted, model, key):
    ref = REF[key]
    m = fitted["models"][model]
    assert m["converged"]
    for k in ("chisq", "cfi", "tli", "rmsea", "srmr", "aic", "bic"):
        assert m["fit"][k] == pytest.approx(ref["fit"][k], rel=1e-3, abs=1e-6), k
    assert m["fit"]["df"] == ref["fit"]["df"]
    assert m["r2_growth"] == pytest.approx(ref["rsquare"]["GRO"], abs=1e-3)
    paths = fitted["paths"][fitted["paths"].model == model]
    ref_est = {(NAMES.get(r["lhs"], r["lhs"]), r["op"], NAMES.get(r["rhs"], r["rhs"])): r for r in ref["estimates"]}
    ref_std = {(NAMES.get(r["lhs"], r["lhs"]), r["op"], NAMES.get(r["rhs"], r["rhs"])): r
               for r in ref["standardized_solution"]}
    n = 0
    for _, r in paths.iterrows():
        key_ = (r.lhs, r.op, r.rhs)
        if r.op == ":=":
            continue
        assert r.est == pytest.approx(ref_est[key_]["est"], abs=1e-3), key_
        assert r.se == pytest.approx(ref_est[key_]["se"], abs=1e-3), key_
        assert r.std_all == pytest.approx(ref_std[key_]["est_std"], abs=1e-3), key_
        n += 1
    assert n >= 6
    if model == "b":
        # lavaan's ind := a*b*c is our total_sensing
        ind = [r for r in ref["estimates"] if r["op"] == ":="][0]
        row = paths[paths.lhs == "total_sensing"].iloc[0]
        assert row.est == pytest.approx(ind["est"], abs=1e-3)
        assert row.se == pytest.approx(ind["se"], abs=1e-3)


def test_nested_comparison_by_hand(fitted):
    comps = {(c["restricted"], c["general"]): c for c in fitted["comparisons"]}
    ba = comps[("b", "a")]
    d = REF["chain"]["fit"]["chisq"] - REF["second_order"]["fit"]["chisq"]
    ddf = REF["chain"]["fit"]["df"] - REF["second_order"]["fit"]["df"]
    assert ba["delta_df"] == ddf == 3
    assert ba["delta_chisq"] == pytest.approx(d, rel=1e-3)
    assert ba["pvalue"] == pytest.approx(stats.chi2.sf(d, ddf), rel=1e-2)
    assert ba["delta_aic"] == pytest.approx(REF["chain"]["fit"]["aic"] - REF["second_order"]["fit"]["aic"], rel=1e-3)
    ac = comps[("a", "c")]
    ma, mc = fitted["models"]["a"]["fit"], fitted["models"]["c"]["fit"]
    assert ac["delta_df"] == ma["df"] - mc["df"] > 0
    assert ac["delta_chisq"] == pytest.approx(ma["chisq"] - mc["chisq"], rel=1e-12)


def test_heywood_case_is_a_warning_not_an_error():
    class R:
        estimates = pd.DataFrame([
            {"lhs": "growth", "op": "~~", "rhs": "growth", "est": -0.05, "std_all": -0.1},
            {"lhs": "F1", "op": "=~", "rhs": "x1", "est": 1.0, "std_all": 1.07},
            {"lhs": "F1", "op": "=~", "rhs": "x2", "est": 1.0, "std_all": 0.7},
        ])
    w = heywood_warnings(R(), "a")
    assert len(w) == 2 and "negative variance of growth" in w[0] and "x1" in w[1]


def test_multigroup_is_skipped_with_a_reason_when_groups_are_small():
    data = DATA.rename(columns=RENAME).assign(respondent_id=np.arange(len(DATA)))
    groups = pd.Series(np.repeat([1, 2, 3], [150, 150, 100]))
    info = multigroup_check(data, groups, PROCESSES, ITEMS, min_n=120)
    assert info["status"] == "skipped" and "120" in info["reason"] and info["group_sizes"]["3"] == 100


def _with_holes(seed=8, n=300, share=0.04):
    rng = np.random.default_rng(seed)
    d = DATA.copy().iloc[:n]
    X = d.to_numpy(float)
    X[rng.random(X.shape) < share] = np.nan
    return pd.DataFrame(X, columns=d.columns)


def test_pseudo_data_reproduce_the_moments_exactly():
    from surveysem.propositions.p4 import pseudo_data

    rng = np.random.default_rng(2)
    A = rng.standard_normal((5, 5))
    sig = A @ A.T + np.eye(5)
    mu = rng.standard_normal(5)
    d = pseudo_data(mu, sig, 40, list("abcde")).to_numpy()
    np.testing.assert_allclose(d.mean(axis=0), mu, atol=1e-12)
    np.testing.assert_allclose(np.cov(d.T, bias=True), sig, atol=1e-10)
    with pytest.raises(SurveySemError, match="more firms"):
        pseudo_data(mu, sig, 5, list("abcde"))


def test_two_stage_complete_data_equals_ml_and_missing_data_is_close_to_fiml():
    """With complete data two-stage ML is ML; with 4% MCAR holes its estimates stay within 0.05
    of the engine's FIML (both consistent; they differ by sampling error of the imputation
    model, not by bias). Tolerance 0.05 on loadings/paths of order 0.5-1."""
    data = DATA.rename(columns=RENAME).assign(respondent_id=np.arange(len(DATA)))
    ml = fit_p4(data, PROCESSES, ITEMS, models=("a",), missing="listwise")
    ts = fit_p4(data, PROCESSES, ITEMS, models=("a",), missing="two_stage")
    np.testing.assert_allclose(ts["paths"].est, ml["paths"].est, atol=1e-6)
    assert ts["models"]["a"]["fit"]["chisq"] == pytest.approx(ml["models"]["a"]["fit"]["chisq"], rel=1e-6)
    holes = _with_holes(n=400).rename(columns=RENAME).assign(respondent_id=np.arange(400))
    t2 = fit_p4(holes, PROCESSES, ITEMS, models=("a",), missing="two_stage")
    fi = fit_p4(holes, PROCESSES, ITEMS, models=("a",), missing="fiml")
    assert any("two-stage" in w for w in t2["warnings"])
    np.testing.assert_allclose(t2["paths"].est, fi["paths"].est, atol=0.05)


def test_auto_missing_takes_fiml_when_two_stage_resamples_would_be_singular():
    """auto: two-stage ML unless a resample's distinct firms (0.632 N) are fewer than 2 p."""
    from surveysem.propositions.p4 import resolve_missing

    cfg = {"missing": "auto"}
    assert resolve_missing(cfg, "fiml", True, n=262, p=58) == "two_stage"  # the bundled study
    assert resolve_missing(cfg, "fiml", True, n=130, p=58) == "fiml"  # 150 firms drawn, ~130 retained
    assert resolve_missing(cfg, "fiml", False, n=130, p=58) == "listwise"  # complete data
    assert resolve_missing(cfg, "listwise", True, n=130, p=58) == "listwise"
    assert resolve_missing({"missing": "two_stage"}, "fiml", True, n=130, p=58) == "two_stage"  # stated: kept
