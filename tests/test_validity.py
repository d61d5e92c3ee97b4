"""CR, AVE, Fornell–Larcker and HTMT against semTools (tests/results/hs_cfa_ml.json)."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from surveysem import validity as v

HERE = Path(__file__).parent
TOL = 1e-3
FX = json.loads((HERE / "results" / "hs_cfa_ml.json").read_text())
HS = pd.read_csv(HERE / "data" / "hs.csv")
SCALES = {"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6"], "speed": ["x7", "x8", "x9"]}
S_N = pd.DataFrame(FX["sample_cov_N"]).set_index("row")


def _matrix(rows):
    return pd.DataFrame(rows).set_index("row")


def test_cr_ave_from_lavaan_estimates():
    """Pure formula check: R's own estimates in, semTools' numbers out."""
    t = v.cr_ave_table(pd.DataFrame(FX["estimates"]), S_N).set_index("construct")
    for f in SCALES:
        assert t.loc[f, "cr"] == pytest.approx(FX["compRelSEM_default"][f], abs=1e-8)
        assert t.loc[f, "ave"] == pytest.approx(FX["AVE"][f], abs=1e-8)
    t2 = v.cr_ave_table(pd.DataFrame(FX["estimates"]), obs_var=False).set_index("construct")
    for f in SCALES:
        assert t2.loc[f, "cr"] == pytest.approx(FX["compRelSEM_tau_eq_FALSE_obs_var_FALSE"][f], abs=1e-8)


def test_cr_ave_from_our_engine():
    from surveysem.measurement import fit_cfa

    fit = fit_cfa(HS, SCALES)
    t = v.cr_ave_table(fit["estimates"], fit["sample_cov"]).set_index("construct")
    for f in SCALES:
        assert t.loc[f, "cr"] == pytest.approx(FX["compRelSEM_default"][f], abs=TOL)
        assert t.loc[f, "ave"] == pytest.approx(FX["AVE"][f], abs=TOL)
    # standardized loadings, their delta-method SEs and p-values as lavaan's standardizedSolution()
    ref = pd.DataFrame(FX["estimates"])
    ref = ref[ref["op"] == "=~"].set_index(["lhs", "rhs"])
    est = fit["estimates"]
    est = est[est["op"] == "=~"].set_index(["lhs", "rhs"])
    for key in ref.index:
        assert est.loc[key, "std_all"] == pytest.approx(ref.loc[key, "std_all"], abs=TOL)
        assert est.loc[key, "std_se"] == pytest.approx(ref.loc[key, "std_all_se"], abs=TOL)
        assert est.loc[key, "std_z"] == pytest.approx(ref.loc[key, "std_all_z"], rel=1e-3)


def test_htmt_and_htmt2_match_semtools():
    h = v.htmt(HS, SCALES, htmt2=False)
    h2 = v.htmt(HS, SCALES, htmt2=True)
    ref, ref2 = _matrix(FX["htmt"]), _matrix(FX["htmt2"])
    assert np.max(np.abs(h.to_numpy() - ref.loc[h.index, h.columns].to_numpy())) < TOL
    assert np.max(np.abs(h2.to_numpy() - ref2.loc[h2.index, h2.columns].to_numpy())) < TOL


def test_htmt_bootstrap_is_seeded_and_contains_estimate():
    # bootstrap CIs are not compared with R (different resampling streams): only determinism with the
    # seed, that the CI brackets the point estimate, and that the point estimate equals semTools'.
    a = v.htmt_bootstrap(HS, SCALES, B=60, seed=11)
    b = v.htmt_bootstrap(HS, SCALES, B=60, seed=11)
    c = v.htmt_bootstrap(HS, SCALES, B=60, seed=12)
    pd.testing.assert_frame_equal(a, b)
    assert not np.allclose(a["htmt_lower"], c["htmt_lower"])
    assert (a["htmt_lower"] <= a["htmt"]).all() and (a["htmt"] <= a["htmt_upper"]).all()
    assert (a["htmt2_lower"] <= a["htmt2"]).all() and (a["htmt2"] <= a["htmt2_upper"]).all()
    ref = _matrix(FX["htmt"])
    for r in a.itertuples():
        assert r.htmt == pytest.approx(ref.loc[r.a, r.b], abs=TOL)
    assert (a["B_valid"] == 60).all()


def test_fornell_larcker_by_hand():
    lat = pd.DataFrame([[1, 0.6, 0.2], [0.6, 1, 0.75], [0.2, 0.75, 1]], index=list("abc"), columns=list("abc"))
    table, ok = v.fornell_larcker({"a": 0.49, "b": 0.64, "c": 0.5}, lat)
    assert table.loc["a", "a"] == pytest.approx(0.7)
    assert table.loc["b", "b"] == pytest.approx(0.8)
    assert table.loc["a", "b"] == pytest.approx(0.6)
    # a: .70 > .6, .2 -> ok; b: .80 > .75 -> ok; c: sqrt(.5) = .707 < .75 -> violated
    assert ok == {"a": True, "b": True, "c": False}


def test_cr_ave_hand_values():
    # (0.7 + 0.8 + 0.6)^2 / ((...)^2 + .51 + .36 + .64) = 4.41 / 5.92
    assert v.composite_reliability([0.7, 0.8, 0.6], [0.51, 0.36, 0.64]) == pytest.approx(4.41 / 5.92, abs=1e-12)
    assert v.ave([0.7, 0.8, 0.6], [0.51, 0.36, 0.64]) == pytest.approx((0.49 + 0.64 + 0.36) / 3, abs=1e-12)
