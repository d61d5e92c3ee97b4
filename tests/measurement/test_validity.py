"""CR, AVE, Fornell–Larcker and HTMT against semTools (tests/r/results/hs_cfa_ml.json)."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from surveysem.measurement import validity as v

HERE = Path(__file__).resolve().parents[1]  # tests/
TOL = 1e-3
FX = json.loads((HERE / "r" / "results" / "hs_cfa_ml.json").read_text())
HS = pd.read_csv(HERE / "r" / "data" / "hs.csv")
SCALES = {"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6"], "speed": ["x7", "x8", "x9"]}
# measurement.partial_invariance as the config schema's defaults
PARTIAL = {"enabled": True, "criterion": "delta_fit", "delta_cfi": -0.01, "delta_rmsea": 0.015, "alpha": 0.05,
           "adjust": "bonferroni", "max_free_share": 0.5, "min_invariant_items": 2}
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
    from surveysem.measurement.tables import fit_cfa

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


def test_invariance_tables_match_lavaan_lrt():
    """The stage's invariance wrapper (group sizes check + invariance_sequence) against
    lavaan + lavTestLRT (tests/r/results/hs_invariance_school.json)."""
    from surveysem.measurement.tables import invariance_tables

    fx = json.loads((HERE / "r" / "results" / "hs_invariance_school.json").read_text())
    cfg = {"estimator": "ML", "missing": "listwise", "max_iter": 500, "invariance_scope": "auto",
           "partial_invariance": PARTIAL}
    out = invariance_tables(HS, SCALES, HS["school"], cfg)
    assert out["warnings"] == []
    tab = out["table"].set_index("model")
    for row in fx["lrt"]:
        m = row["model"]
        assert tab.loc[m, "chisq"] == pytest.approx(row["Chisq"], abs=TOL)
        assert tab.loc[m, "df"] == row["Df"]
        if row["Chisq diff"] is not None:
            assert tab.loc[m, "delta_chisq"] == pytest.approx(row["Chisq diff"], abs=TOL)
            assert tab.loc[m, "delta_p"] == pytest.approx(row["Pr(>Chisq)"], abs=TOL)
            assert tab.loc[m, "rmsea_lrt"] == pytest.approx(row["RMSEA"], abs=TOL)
    assert tab.loc["metric", "delta_cfi"] == pytest.approx(fx["deltas"]["metric_minus_configural"]["cfi"], abs=TOL)
    assert tab.loc["scalar", "delta_rmsea"] == pytest.approx(fx["deltas"]["scalar_minus_metric"]["rmsea"], abs=TOL)
    # scalar fails (ΔCFI < -.01): the search frees the intercepts lavaan's lavTestScore points at
    # (tests/measurement/test_partial_invariance.py checks each step against lavaan)
    partial = out["partial"]
    assert partial["scope"].eq("joint").all() and list(partial["freed"].fillna("")) == ["", "", "x3~1", "x7~1"]
    assert partial["stop"].iloc[-1] == "the partial model no longer fails"


def test_invariance_small_group_is_a_warning():
    from surveysem.measurement.tables import invariance_tables

    g = HS["school"].where(HS.index >= 20, "tiny")  # a third group of 20 < 30 free parameters per group
    cfg = {"estimator": "ML", "missing": "listwise", "max_iter": 500, "invariance_scope": "joint",
           "partial_invariance": PARTIAL}
    out = invariance_tables(HS, SCALES, g, cfg)
    assert out["table"].empty
    # 9 intercepts + 9 residual variances + 6 free loadings + 6 factor (co)variances
    assert out["free_parameters_per_group"] == 30
    assert any("tiny (n = 20)" in w for w in out["warnings"])


def test_invariance_falls_back_to_scale_by_scale():
    from surveysem.measurement.tables import invariance_tables
    from surveysem.sem import invariance_sequence

    g = HS["school"].where(HS.index >= 20, "tiny")
    out = invariance_tables(HS, SCALES, g, {"estimator": "ML", "missing": "listwise", "max_iter": 500,
                                            "invariance_scope": "auto", "partial_invariance": PARTIAL})
    assert out["scope"] == "per_scale"
    assert any("tiny (n = 20)" in w and "scale by scale" in w for w in out["warnings"])
    table = out["table"]
    assert list(table["scope"].unique()) == list(SCALES)
    # each scale's rows are exactly the one-factor invariance sequence of that scale
    one = HS[SCALES["speed"]].assign(group_=g.to_numpy())
    direct = invariance_sequence("speed =~ " + " + ".join(SCALES["speed"]), one, "group_")
    mine = table[table["scope"] == "speed"].reset_index(drop=True)
    assert np.allclose(mine["chisq"].astype(float), direct["chisq"].astype(float))
    assert mine["df"].tolist() == direct["df"].tolist()


def test_pairwise_htmt_by_hand_from_pairwise_covariances():
    miss = pd.read_csv(HERE / "r" / "data" / "hs_missing.csv")
    items = [i for its in SCALES.values() for i in its]
    C = miss[items].cov(min_periods=2).to_numpy()  # pandas pairwise covariances (as R cov(use = "pairwise"))
    R = np.abs(C / np.sqrt(np.outer(np.diag(C), np.diag(C))))  # cov2cor, as lavCor(missing = "pairwise")
    ours = v.pairwise_corr(miss[items].to_numpy(dtype=float))
    assert np.max(np.abs(np.abs(ours) - R)) < 1e-12
    h = v.htmt(miss, SCALES, missing="pairwise")
    within = {f: R[np.ix_(b, b)][np.triu_indices(3, 1)].mean() for f, b in
              zip(SCALES, (np.arange(0, 3), np.arange(3, 6), np.arange(6, 9)))}
    het = R[np.ix_(np.arange(0, 3), np.arange(3, 6))].mean()
    assert h.loc["visual", "textual"] == pytest.approx(het / np.sqrt(within["visual"] * within["textual"]), abs=1e-12)
    # complete data: pairwise == listwise == semTools
    assert np.allclose(v.htmt(HS, SCALES, missing="pairwise").to_numpy(), v.htmt(HS, SCALES).to_numpy())
    b = v.htmt_bootstrap(miss, SCALES, B=30, seed=2, missing="pairwise")
    assert (b["htmt_lower"] <= b["htmt"]).all() and (b["htmt"] <= b["htmt_upper"]).all()


@pytest.mark.parametrize("missing,key,h2", [("pairwise", "pairwise", False), ("pairwise", "pairwise_htmt2", True),
                                           ("listwise", "listwise", False)])
def test_htmt_with_missing_data_matches_semtools(missing, key, h2):
    mx = json.loads((HERE / "r" / "results" / "measurement_hs.json").read_text())
    miss = pd.read_csv(HERE / "r" / "data" / "hs_missing.csv")
    ref = _matrix(mx["htmt_missing"][key])
    h = v.htmt(miss, SCALES, htmt2=h2, missing=missing)
    assert np.max(np.abs(h.to_numpy() - ref.loc[h.index, h.columns].to_numpy())) < TOL


@pytest.mark.parametrize("fixture,key,estimator,missing,data", [
    ("hs_cfa_mlr.json", None, "MLR", "listwise", "hs.csv"),
    ("hs_fiml.json", "fiml_ml", "ML", "fiml", "hs_missing.csv"),
    ("hs_fiml.json", "fiml_mlr", "MLR", "fiml", "hs_missing.csv"),
])
def test_stage_cfa_loadings_mlr_and_fiml_match_lavaan(fixture, key, estimator, missing, data):
    """The stage's CFA (fit_cfa: engine + delta-method SEs of std_all) under MLR and FIML."""
    from surveysem.measurement.tables import fit_cfa

    fx = json.loads((HERE / "r" / "results" / fixture).read_text())
    fx = fx[key] if key else fx
    d = pd.read_csv(HERE / "r" / "data" / data)
    fit = fit_cfa(d, SCALES, estimator=estimator, missing=missing)
    assert fit["result"].fit["chisq"] == pytest.approx(fx["fit"]["chisq"], abs=TOL)
    assert fit["result"].fit["cfi"] == pytest.approx(fx["fit"]["cfi"], abs=TOL)
    ref = pd.DataFrame(fx["estimates"])
    ref = ref[ref["op"] == "=~"].set_index(["lhs", "rhs"])
    est = fit["estimates"]
    est = est[est["op"] == "=~"].set_index(["lhs", "rhs"])
    for k in ref.index:
        assert est.loc[k, "std_all"] == pytest.approx(ref.loc[k, "std_all"], abs=TOL)
        assert est.loc[k, "std_se"] == pytest.approx(ref.loc[k, "std_all_se"], abs=TOL)
        assert est.loc[k, "std_pvalue"] == pytest.approx(ref.loc[k, "std_all_pvalue"], abs=TOL)
    if "h1_em_cov" in fx:  # CR/AVE use the EM (H1) covariance matrix, as compRelSEM on a FIML fit
        em = _matrix(fx["h1_em_cov"])
        S = fit["sample_cov"]
        assert np.max(np.abs(S.to_numpy() - em.loc[S.index, S.columns].to_numpy())) < TOL
