"""Stage one of WLSMV (thresholds, polychoric correlations, Gamma, DWLS weights) against lavaan.

Reference: tests/r/ordinal_stage_one.R -> tests/r/results/ordinal_stage_one.json (lavaan 0.6-14:
lavCor(output = "th" / "cor") and lavInspect(cfa(..., ordered, estimator = "WLSMV"),
"sampstat" / "wls.obs" / "gamma" / "wls.v")).

Tolerance: 1e-6 absolute for thresholds and correlations, 1e-6 relative to the largest element
for Gamma and W. The estimates agree to about 1e-8; lavaan's nlminb stops at a relative change
of the objective of 1e-10, which leaves rho uncertain in about the 6th decimal, so 1e-6 (tighter
than the project's 1e-3) is the honest bound.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import multivariate_normal

from surveysem.errors import SurveySemError
from surveysem.sem.bivariate_normal import bvn_cdf
from surveysem.sem.muthen1984 import ordinal_sample_statistics

R_DIR = Path(__file__).resolve().parents[1] / "r"
HS_ITEMS = [f"x{i}" for i in range(1, 10)]
BFI_ITEMS = [f"{s}{i}" for s in "ACENO" for i in range(1, 6)]
CASES = {  # case: (data file, ordered items, group, missing, all variables)
    "hs3": ("hs_ordinal3.csv", HS_ITEMS, None, "listwise", None),
    "hs5": ("hs_ordinal5.csv", HS_ITEMS, None, "listwise", None),
    "bfi": ("bfi.csv", BFI_ITEMS, None, "pairwise", None),
    "hs3_school": ("hs_ordinal3.csv", HS_ITEMS, "school", "listwise", None),
    # x7-x9 continuous: polyserial and Pearson correlations; holes in x2 and x5
    "hs_mixed": ("hs_mixed.csv", HS_ITEMS[:6], None, "pairwise", HS_ITEMS),
    "hs_mixed_school": ("hs_mixed.csv", HS_ITEMS[:6], "school", "pairwise", HS_ITEMS),
    # binary y1 x y2 with one empty cell (0.5 added), y3 x y4 with two (rho = 1)
    "zero_cell": ("ordinal_zero_cell.csv", ["y1", "y2", "y3", "y4"], None, "listwise", None),
}
TOL = 1e-6


@cache
def reference() -> dict:
    return json.loads((R_DIR / "results" / "ordinal_stage_one.json").read_text())


@cache
def stats(case: str):
    path, items, group, missing, variables = CASES[case]
    data = pd.read_csv(R_DIR / "data" / path)
    return ordinal_sample_statistics(data, items, group=group, missing=missing, variables=variables)


@pytest.mark.parametrize("case", list(CASES))
def test_wls_obs_gamma_and_weights_match_lavaan(case):
    ref = reference()[case]
    ours = stats(case)
    assert len(ours.groups) == len(ref["groups"])
    if ref["group_labels"] is not None:
        assert [g.label for g in ours.groups] == ref["group_labels"]
    for g, rg in zip(ours.groups, ref["groups"]):
        assert g.n == rg["nobs"]
        assert g.th_names == rg["th_names"]
        np.testing.assert_allclose(g.th, rg["th"] if isinstance(rg["th"], list) else list(rg["th"].values()),
                                   atol=TOL)
        np.testing.assert_allclose(g.cov, np.array(rg["cov"]), atol=TOL)
        if rg["mean"] is not None:
            np.testing.assert_allclose(g.mean, list(rg["mean"].values()), atol=TOL)
        np.testing.assert_allclose(g.wls_obs, rg["wls_obs"], atol=TOL)
        gamma = np.array(rg["gamma"])
        np.testing.assert_allclose(g.gamma, gamma, atol=TOL * np.abs(gamma).max())
        wv = np.array(rg["wls_v_diag"])
        np.testing.assert_allclose(np.diag(g.wls_v), wv, atol=TOL * wv.max())
        assert rg["wls_v_offdiag_max_abs"] == 0
        assert np.count_nonzero(g.wls_v - np.diag(np.diag(g.wls_v))) == 0


@pytest.mark.parametrize("case", ["hs3", "hs5", "bfi", "hs_mixed", "zero_cell"])
def test_thresholds_and_correlations_match_lavcor(case):
    ref = reference()[case]["lavcor"]
    g = stats(case).groups[0]
    assert g.th_names == ref["th_names"]
    np.testing.assert_allclose(g.th, list(ref["th"].values()), atol=TOL)
    np.testing.assert_allclose(g.cor, np.array(ref["cor"]), atol=TOL)


def test_bundled_items_match_lavaan():
    """The bundled run's 79 seven-point items (262 firms, missing answers, every bivariate table
    with empty cells): wls.obs, the diagonal of Gamma and W, and two blocks of Gamma."""
    ref = reference()["bundled"]
    data = pd.read_csv(R_DIR / "data" / "cfa_small_n_bundled.csv")
    g = ordinal_sample_statistics(data, ref["ordered"], missing=ref["missing"]).groups[0]
    assert g.n == ref["nobs"] and len(g.zero_cell_pairs) == 79 * 78 // 2
    np.testing.assert_allclose(g.wls_obs, ref["wls_obs"], atol=TOL)
    scale = np.max(ref["gamma_diag"])
    np.testing.assert_allclose(np.diag(g.gamma), ref["gamma_diag"], atol=TOL * scale)
    np.testing.assert_allclose(np.diag(g.wls_v), ref["wls_v_diag"], rtol=TOL)
    np.testing.assert_allclose(g.gamma[:120, :120], ref["gamma_rows_1_120_cols_1_120"], atol=TOL * scale)
    cols = list(range(40)) + list(range(3399, 3440))
    np.testing.assert_allclose(g.gamma[2999:3060][:, cols], ref["gamma_rows_3000_3060_cols_1_40_and_3400_3440"],
                               atol=TOL * scale)


def test_wls_order_is_thresholds_then_lower_triangle_by_column():
    g = stats("hs3").groups[0]
    assert g.th_names[:3] == ["x1|t1", "x1|t2", "x2|t1"]
    assert g.cor_names[:9] == [f"x1~~x{i}" for i in range(2, 10)] + ["x2~~x3"]
    assert len(g.wls_obs) == g.gamma.shape[0] == 18 + 36
    m = stats("hs_mixed").groups[0]
    assert m.wls_names[11:19] == ["x6|t2", "x7", "x8", "x9", "x7~~x7", "x8~~x8", "x9~~x9", "x1~~x2"]
    np.testing.assert_allclose(m.wls_obs[12], -m.mean[6])      # lavaan's "threshold" = -mean


def test_polyserial_divides_by_the_standard_deviation():
    """Rescaling a continuous variable leaves its polyserial correlations unchanged
    (semopy divides by the variance, which would not)."""
    data = pd.read_csv(R_DIR / "data" / "hs_mixed.csv")
    scaled = data.assign(x7=data["x7"] * 10 + 3)
    a = ordinal_sample_statistics(data, HS_ITEMS[:6], variables=HS_ITEMS).groups[0]
    b = ordinal_sample_statistics(scaled, HS_ITEMS[:6], variables=HS_ITEMS).groups[0]
    np.testing.assert_allclose(a.cor, b.cor, atol=1e-8)


def test_two_by_two_tables_with_empty_cells_as_lavaan():
    ref = reference()["zero_cell"]
    assert ref["table_y1_y2"][1][1] == 0 and ref["table_y3_y4"][0][1] == ref["table_y3_y4"][1][0] == 0
    st = stats("zero_cell")
    g = st.groups[0]
    np.testing.assert_allclose(g.cor, np.array(ref["lavcor"]["cor"]), atol=TOL)
    assert g.cor[2, 3] == 1.0
    assert g.zero_cell_pairs == [("y1", "y2"), ("y3", "y4")]
    assert any("y1 x y2, y3 x y4" in w and "empty cells" in w for w in st.warnings)
    assert any("y3 and y4 is (nearly) 1.0" in w for w in st.warnings)


def test_bivariate_normal_cdf_against_scipy():
    rng = np.random.default_rng(3)
    h, k = rng.normal(size=60) * 1.5, rng.normal(size=60) * 1.5
    r = np.concatenate([rng.uniform(-0.9, 0.9, 20), rng.uniform(0.93, 0.999, 20),
                        -rng.uniform(0.93, 0.999, 20)])
    ref = [multivariate_normal(cov=[[1, ri], [ri, 1]]).cdf([hi, ki]) for hi, ki, ri in zip(h, k, r)]
    np.testing.assert_allclose(bvn_cdf(h, k, r), ref, atol=1e-10)


# ---- bad input: one line naming the item, never a traceback -------------------------------


def _frame(**cols):
    return pd.DataFrame(cols)


def _ordinal_frame(n=200, seed=5):
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, 1)) + rng.normal(size=(n, 3))
    return pd.DataFrame(np.digitize(z, [-1.0, 0.0, 1.0]) + 1, columns=["a", "b", "c"])


def test_category_nobody_chose_is_reported_and_recoded():
    d = _ordinal_frame()
    gap = d.copy()
    gap["a"] = gap["a"].map({1: 1, 2: 2, 3: 4, 4: 5})      # nobody chose 3 on a 1..5 scale
    st = ordinal_sample_statistics(gap, ["a", "b", "c"])
    assert any("ordered item a" in w and "nobody chose category 3" in w and "recoded" in w
               for w in st.warnings)
    same = ordinal_sample_statistics(d, ["a", "b", "c"]).groups[0]
    np.testing.assert_allclose(st.groups[0].wls_obs, same.wls_obs)


def test_declared_levels_name_the_empty_top_categories():
    d = _ordinal_frame()
    st = ordinal_sample_statistics(d, ["a", "b", "c"], levels={"b": [1, 2, 3, 4, 5, 6, 7]})
    assert any("ordered item b" in w and "categories 5, 6, 7" in w for w in st.warnings)


@pytest.mark.parametrize("column, message", [
    ([3] * 50, "ordered item q has 1 observed category"),
    (list(range(1, 26)) * 2, "ordered item q has 25 categories (more than 20)"),
    (["low", "high"] * 25, "ordered item q: value 'low' in row 1 is not a number"),
])
def test_bad_items_are_one_line_errors(column, message):
    d = _ordinal_frame(n=50)
    d["q"] = column
    with pytest.raises(SurveySemError) as err:
        ordinal_sample_statistics(d, ["a", "q"])
    assert message in str(err.value) and "\n" not in str(err.value)


def test_category_empty_in_one_group_is_an_error_naming_item_and_group():
    d = _ordinal_frame()
    d["g"] = np.repeat(["one", "two"], 100)
    d.loc[d["g"] == "two", "a"] = d.loc[d["g"] == "two", "a"].clip(upper=3)
    with pytest.raises(SurveySemError, match=r"ordered item a: category 4 of 4 empty in group two"):
        ordinal_sample_statistics(d, ["a", "b"], group="g")


def test_missing_column_and_missing_method():
    d = _ordinal_frame()
    with pytest.raises(SurveySemError, match="not in the data: zz"):
        ordinal_sample_statistics(d, ["a", "zz"])
    with pytest.raises(SurveySemError, match="FIML is not available"):
        ordinal_sample_statistics(d, ["a", "b"], missing="ml")


def test_continuous_variable_problems_are_one_line_errors():
    d = _ordinal_frame().astype(float)
    d["y"] = np.linspace(0, 1, len(d))
    d["w"] = np.cos(np.arange(len(d)))
    with pytest.raises(SurveySemError, match="continuous variable y has values that are not numbers"):
        ordinal_sample_statistics(d.assign(y=["a"] * len(d)), ["a"], variables=["a", "y"])
    with pytest.raises(SurveySemError, match="continuous variable y has no variance"):
        ordinal_sample_statistics(d.assign(y=1.0), ["a"], variables=["a", "y"])
    d.loc[3, "w"] = np.nan
    with pytest.raises(SurveySemError, match="continuous variables y and w have missing values"):
        ordinal_sample_statistics(d, ["a"], variables=["a", "y", "w"])
    assert ordinal_sample_statistics(d, ["a"], variables=["a", "y", "w"], missing="listwise").groups[0].n == 199


def test_pairwise_drops_only_rows_without_any_answer():
    d = _ordinal_frame().astype(float)
    d.iloc[0, :] = np.nan
    d.iloc[1, 0] = np.nan
    st = ordinal_sample_statistics(d, ["a", "b", "c"])
    assert st.groups[0].n == 199 and "1 row(s) with no answer dropped" in st.warnings
    assert ordinal_sample_statistics(d, ["a", "b", "c"], missing="listwise").groups[0].n == 198
