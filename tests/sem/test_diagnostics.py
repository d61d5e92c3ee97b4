"""Modification indices, score tests and residuals against lavaan 0.6-14
(tests/r/sem_diagnostics.R -> tests/r/results/sem_diagnostics.json).

Tolerance 1e-3 absolute on every value (observed: mi <= 3e-4, EPCs <= 5e-5, residuals <= 1e-5,
standardized residuals <= 4e-4; the differences come from the two optimisers' stopping points,
to which the score of the added parameters is sensitive)."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from surveysem.sem import fit_model
from surveysem.sem.modindices import full_candidates

ROOT = Path(__file__).resolve().parents[2]
FIX = json.loads((ROOT / "tests/r/results/sem_diagnostics.json").read_text())
DATA = {
    "hs": pd.read_csv(ROOT / "tests/r/data/hs.csv"),
    "poldem": pd.read_csv(ROOT / "tests/r/data/poldem.csv"),
}
CASES = {
    "hs": ("hs", {}),
    "poldem": ("poldem", {}),
    "hs_eq": ("hs", {}),
    "hs_x": ("hs", {}),
    "hs_y": ("hs", {}),
    "hs_mg": ("hs", {"group": "school", "group_equal": ("loadings",)}),
}
TOL = 1e-3
MI_COLS = ["mi", "epc", "sepc_lv", "sepc_all", "sepc_nox"]


@pytest.fixture(scope="module")
def fits():
    return {k: fit_model(FIX[k]["syntax"], DATA[d], **kw) for k, (d, kw) in CASES.items()}


def _ref_mi(key):
    ref = pd.DataFrame(FIX[key]["modindices"])
    if "group" not in ref:
        ref["group"] = 1
    return ref


@pytest.mark.parametrize("key", list(CASES))
def test_modindices_rows_and_values(fits, key):
    """Same rows in lavaan's order (after its na.remove), every value within 1e-3."""
    mi = fits[key].modindices()
    ref = _ref_mi(key)
    assert fits[key].fit["chisq"] == pytest.approx(FIX[key]["chisq"], abs=1e-4)
    keys = ["lhs", "op", "rhs", "group"]
    assert [tuple(r) for r in mi[keys].values] == [tuple(r) for r in ref[keys].values]
    for c in MI_COLS:
        np.testing.assert_allclose(mi[c].to_numpy(float), ref[c].to_numpy(float), atol=TOL, err_msg=c)


def test_modindices_row_set_is_not_trivial(fits):
    """A wrong rule would change the row set: lavaan lists no regression or latent covariance in
    the CFA (they are equivalent to the free latent covariances), no loading on an observed
    variable of a ~ equation, and no residual covariance with a covariate; the dropped rows
    are the NA ones (markers, redundant parameters)."""
    ops = set(fits["hs"].modindices()["op"])
    assert ops == {"=~", "~~"}
    hs_x = fits["hs_x"].modindices()
    assert not ((hs_x["lhs"] == "ageyr") | (hs_x["rhs"] == "ageyr")).any()
    full = fits["hs"].modindices(na_remove=False)
    assert len(full) > len(fits["hs"].modindices())
    assert full.loc[(full.lhs == "visual") & (full.op == "=~") & (full.rhs == "x1"), "mi"].isna().all()
    # the candidates of PoliticalDemocracy: regressions among the three latent variables
    cand = full_candidates(fits["poldem"].context[0])
    assert ("ind60", "~", "dem60") in cand and ("dem60", "~", "ind60") in cand
    assert ("ind60", "~~", "dem60") in cand
    # an observed variable of a ~ equation gets no loading candidate
    assert not any(op == "=~" and rhs == "ageyr" for _, op, rhs in full_candidates(fits["hs_x"].context[0]))


@pytest.mark.parametrize("key", ["hs_eq", "hs_mg"])
def test_score_test(fits, key):
    total, uni = fits[key].score_test()
    ref = FIX[key]["score"]
    assert total["df"] == ref["total"]["df"]
    assert total["X2"] == pytest.approx(ref["total"]["X2"], abs=TOL)
    assert total["p_value"] == pytest.approx(ref["total"]["p_value"], abs=TOL)
    spec = fits[key].context[0]

    def row(p):
        return next(k for k, r in enumerate(spec.rows) if (r.lhs, r.op, r.rhs, r.group) == (
            p["lhs"], p["op"], p["rhs"], p["group"]))

    assert len(uni) == len(ref["uni"])
    for u in ref["uni"]:
        m = uni[(uni.lhs_row == row(u["lhs_par"])) & (uni.rhs_row == row(u["rhs_par"]))]
        assert len(m) == 1
        assert (m.lhs.iloc[0], m.rhs.iloc[0]) == (u["lhs"], u["rhs"])
        assert m.X2.iloc[0] == pytest.approx(u["X2"], abs=TOL)
        assert m.p_value.iloc[0] == pytest.approx(u["p_value"], abs=TOL)


def test_score_test_needs_constraints(fits):
    with pytest.raises(ValueError):
        fits["hs"].score_test()


@pytest.mark.parametrize("key", ["hs", "poldem"])
@pytest.mark.parametrize("rtype,rkey", [
    ("raw", "raw"), ("cor", "cor"), ("cor.bentler", "cor_bentler"), ("cor.bollen", "cor_bollen"),
    ("standardized", "standardized"), ("standardized", "lavResiduals_cov_z"),
])
def test_residuals(fits, key, rtype, rkey):
    ref = FIX[key]["residuals"][rkey]
    ref = ref.get("cov", ref)
    ov = fits[key].context[0].ov_names
    idx = [ov.index(n) for n in ref["names"]]
    mine = fits[key].residuals(rtype)[0]["cov"][np.ix_(idx, idx)]
    np.testing.assert_allclose(mine, np.array(ref["values"], float), atol=TOL)
