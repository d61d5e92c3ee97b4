"""Common-method variance: Harman and full-collinearity VIF against psych/lm (tests/r/results/cmv_hs.json),
marker adjustment and the common latent factor against tests/r/results/measurement_hs.json (R)."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from surveysem.measurement import cmv

HERE = Path(__file__).resolve().parents[1]  # tests/
TOL = 1e-3
FX = json.loads((HERE / "r" / "results" / "cmv_hs.json").read_text())
MX = json.loads((HERE / "r" / "results" / "measurement_hs.json").read_text())
HS = pd.read_csv(HERE / "r" / "data" / "hs.csv")
ITEMS = [f"x{i}" for i in range(1, 10)]
SCALES = {"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6"], "speed": ["x7", "x8", "x9"]}


def test_harman_single_factor():
    h = cmv.harman(HS[ITEMS], method="ml")
    assert h["first_component_share"] == pytest.approx(FX["harman"]["first_pc_share"], abs=TOL)
    assert h["first_eigenvalue"] == pytest.approx(FX["harman"]["first_eigenvalue"], abs=TOL)
    assert h["first_factor_share"] == pytest.approx(FX["harman"]["fa1_ml_proportion_var"], abs=TOL)
    assert h["first_factor_ss_loadings"] == pytest.approx(FX["harman"]["fa1_ml_ss_loadings"], abs=TOL)
    for item, ref in FX["harman"]["fa1_ml_loadings"].items():
        assert h["first_factor_loadings"][item] == pytest.approx(ref, abs=TOL)
    assert h["flag"] is False


def test_full_collinearity_vif():
    scores = pd.DataFrame({k: HS[v].mean(axis=1) for k, v in SCALES.items()})
    t = cmv.full_collinearity_vif(scores).set_index("construct")
    for k in SCALES:
        assert t.loc[k, "r_squared"] == pytest.approx(FX["full_collinearity"]["r_squared"][k], abs=TOL)
        assert t.loc[k, "vif"] == pytest.approx(FX["full_collinearity"]["vif"][k], abs=TOL)
    assert not t["above_threshold"].any()


def _bfi_scores():
    B = pd.read_csv(HERE / "r" / "data" / "bfi.csv")
    for v in ("A1", "C4", "C5", "E1", "E2", "O2", "O5"):
        B[v] = 7 - B[v]
    # R: rowMeans without na.rm, then complete rows -> a scale score exists only if all 5 items answered
    return pd.DataFrame({s: B[[f"{s}{i}" for i in range(1, 6)]].mean(axis=1, skipna=False) for s in "ACENO"})


@pytest.mark.parametrize("rank", [1, 2])
def test_marker_adjustment_lindell_whitney(rank):
    ref = MX["marker"][f"rank{rank}"]
    m = cmv.marker_table(_bfi_scores(), "O", ["A", "C", "E", "N"], marker_rank=rank)
    assert m["n"] == MX["marker"]["n"]
    assert m["r_m"] == pytest.approx(ref["r_m"], abs=TOL)
    assert m["r_m_from"] == ref["from"]
    t = m["table"].set_index(["a", "b"])
    for row in ref["pairs"]:
        got = t.loc[(row["a"], row["b"])]
        for k in ("r", "r_adj", "t_adj"):
            assert got[k] == pytest.approx(row[k], abs=TOL), k
        assert got["p_adj"] == pytest.approx(row["p_adj"], abs=1e-6)
        assert got["p"] == pytest.approx(row["p"], abs=1e-6)


def test_marker_adjust_formula():
    assert cmv.marker_adjust(0.40, 0.10) == pytest.approx(0.30 / 0.90)


def test_clf_syntax_equal_and_free():
    base, clf = cmv.clf_syntax(SCALES, loadings="equal")
    assert base == MX["clf"]["base"]["syntax"]
    assert clf.splitlines()[3] == "CMV =~ " + " + ".join(f"cmv*{i}" for i in ITEMS)
    assert clf.splitlines()[4:] == ["CMV ~~ 0*visual", "CMV ~~ 0*textual", "CMV ~~ 0*speed"]
    _, free = cmv.clf_syntax(SCALES, loadings="free")
    assert free.splitlines()[3] == "CMV =~ " + " + ".join(ITEMS)


def test_common_latent_factor_equal_loadings_matches_lavaan():
    ref = MX["clf"]["equal"]
    out = cmv.common_latent_factor(HS, SCALES, loadings="equal")
    assert out["converged"]
    assert out["chisq_base"] == pytest.approx(MX["clf"]["base"]["chisq"], abs=TOL)
    assert out["chisq_clf"] == pytest.approx(ref["chisq"], abs=TOL)
    assert out["df_clf"] == ref["df"]
    assert out["cfi_clf"] == pytest.approx(ref["cfi"], abs=TOL)
    assert out["method_variance_share"] == pytest.approx(ref["method_variance_share"], abs=TOL)
    for item, v in ref["method_loadings_std"].items():
        assert out["method_loadings"][item] == pytest.approx(v, abs=TOL)
    assert out["delta_chisq"] == pytest.approx(MX["clf"]["lrt_equal_vs_base"]["delta_chisq"], abs=TOL)
    assert out["delta_df"] == MX["clf"]["lrt_equal_vs_base"]["delta_df"]
    assert out["delta_p"] == pytest.approx(MX["clf"]["lrt_equal_vs_base"]["p"], abs=1e-6)


def test_common_latent_factor_free_loadings_against_lavaan():
    # With free method loadings the HS likelihood is nearly flat (a visual-factor residual goes
    # negative): lavaan stops at chisq 26.0200, our engine reaches 26.0143. The point estimates of
    # the method loadings are therefore not comparable; we check df, that our optimum is at least as
    # good as lavaan's, and the CFI (which differs by 6e-6).
    ref = MX["clf"]["free"]
    out = cmv.common_latent_factor(HS, SCALES, loadings="free")
    assert out["converged"]
    assert out["df_clf"] == ref["df"]
    assert out["chisq_clf"] <= ref["chisq"] + TOL
    assert out["chisq_clf"] == pytest.approx(ref["chisq"], abs=0.01)
    assert out["cfi_clf"] == pytest.approx(ref["cfi"], abs=TOL)


def test_common_latent_factor_failure_is_a_warning():
    def broken(*args, **kwargs):
        raise np.linalg.LinAlgError("singular matrix")

    out = cmv.common_latent_factor(HS, SCALES, fit_model=broken)
    assert "chisq_clf" not in out
    assert any("could not be fitted" in w for w in out["warnings"])


def test_em_pseudo_data_reproduces_lavaan_em_moments():
    fx = json.loads((HERE / "r" / "results" / "hs_fiml.json").read_text())["fiml_ml"]
    miss = pd.read_csv(HERE / "r" / "data" / "hs_missing.csv")[ITEMS]
    Z = cmv.em_pseudo_data(miss)
    assert not Z.isna().any().any() and len(Z) == len(miss)
    em = pd.DataFrame(fx["h1_em_cov"]).set_index("row").loc[ITEMS, ITEMS].to_numpy()
    S = np.cov(Z.to_numpy().T, ddof=0)
    assert np.max(np.abs(S - em)) < TOL
    mean = fx["h1_em_mean"]
    mean = np.array([mean[i] for i in ITEMS]) if isinstance(mean, dict) else np.array(mean, dtype=float)
    assert np.max(np.abs(Z.mean().to_numpy() - mean)) < TOL


def test_two_stage_clf_on_complete_data_equals_direct_fit():
    # complete data: the EM moments are the sample moments, so two-stage == the lavaan reference
    out = cmv.common_latent_factor(HS, SCALES, loadings="equal", missing="fiml", two_stage=True)
    assert out["chisq_clf"] == pytest.approx(MX["clf"]["equal"]["chisq"], abs=TOL)
    miss = pd.read_csv(HERE / "r" / "data" / "hs_missing.csv")
    out = cmv.common_latent_factor(miss, SCALES, loadings="equal", missing="fiml", two_stage=True)
    assert out["method"].startswith("two-stage") and out["converged"]
    assert out["delta_chisq"] >= 0 and out["delta_df"] == 1


def test_clf_heywood_warnings_grouped_in_one_line():
    from surveysem.measurement.cmv import grouped_heywood

    lines = [f"Heywood case: negative residual variance for X{i} (-0.0{i})" for i in range(1, 4)]
    lines += ["common latent factor model did not converge", lines[0]]  # a repeat is listed once
    lines += ["Heywood case: standardized ODV ~~ BMM is 9.18 (|value| > 1)",
              "Heywood case: standardized CMV =~ X2 is -1.02 (|value| > 1) in group 2"]
    grouped = grouped_heywood(lines)
    assert grouped == ["common latent factor model did not converge",
                       "Heywood cases (5): negative residual variance: X1 (-0.01), X2 (-0.02), X3 (-0.03); "
                       "standardized covariance beyond ±1: ODV ~~ BMM 9.18; standardized loading beyond ±1: CMV =~ X2 -1.02 in group 2"]
    assert grouped_heywood(["no problem"]) == ["no problem"]
