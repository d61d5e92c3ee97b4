"""KMO, Bartlett, eigenvalues, parallel analysis and EFA against psych (tests/r/results/efa_hs.json)."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from surveysem.measurement import efa

HERE = Path(__file__).resolve().parents[1]  # tests/
TOL = 1e-3
FX = json.loads((HERE / "r" / "results" / "efa_hs.json").read_text())
X = pd.read_csv(HERE / "r" / "data" / "hs.csv")[FX["items"]]


def test_kmo():
    k = efa.kmo(X)
    assert k["overall"] == pytest.approx(FX["kmo"]["MSA"], abs=TOL)
    for item, ref in FX["kmo"]["MSAi"].items():
        assert k["items"][item] == pytest.approx(ref, abs=TOL)


def test_bartlett():
    b = efa.bartlett(X)
    assert b["chisq"] == pytest.approx(FX["bartlett"]["chisq"], abs=TOL)
    assert b["df"] == FX["bartlett"]["df"]
    assert b["p_value"] == pytest.approx(FX["bartlett"]["p_value"], rel=1e-6)


def test_eigenvalues():
    assert np.max(np.abs(efa.eigenvalues(X) - np.array(FX["eigenvalues"]))) < TOL


def test_parallel_analysis_observed_values_and_count():
    pa = efa.parallel_analysis(X, n_iter=20, seed=1)
    # observed values are deterministic: exact comparison with psych
    assert np.max(np.abs(pa["fa_values"] - np.array(FX["parallel"]["fa_values"]))) < TOL
    assert np.max(np.abs(pa["pc_values"] - np.array(FX["eigenvalues"]))) < TOL
    # simulated values use another RNG: the suggested count must agree, the simulated means roughly
    assert pa["n_factors"] == FX["parallel"]["nfact"]
    assert np.max(np.abs(pa["fa_sim_mean"] - np.array(FX["parallel"]["fa_sim"]))) < 0.1  # Monte Carlo error, 20 draws
    again = efa.parallel_analysis(X, n_iter=20, seed=1)
    assert np.array_equal(again["fa_sim_quantile"], pa["fa_sim_quantile"])


def _aligned(ours: pd.DataFrame, ref: pd.DataFrame):
    """Match our factors to psych's columns by the largest absolute congruence, fixing signs."""
    out = pd.DataFrame(index=ref.index)
    used = []
    for col in ref.columns:
        best = max((abs(np.dot(ours[c], ref[col])), c) for c in ours.columns if c not in used)[1]
        used.append(best)
        out[col] = ours[best] * np.sign(np.dot(ours[best], ref[col]))
    return out, used


@pytest.mark.parametrize("key,method,rotation", [("fa_ml_oblimin", "ml", "oblimin"),
                                                 ("fa_minres_oblimin", "minres", "oblimin"),
                                                 ("fa_ml_unrotated", "ml", None),
                                                 ("fa_minres_unrotated", "minres", None)])
def test_efa_matches_psych_fa(key, method, rotation):
    ref = FX[key]
    e = efa.efa(X, 3, method=method, rotation=rotation)
    L = pd.DataFrame(ref["loadings"]).set_index("row")
    ours, matched = _aligned(e["loadings"], L)
    assert np.max(np.abs(ours.to_numpy() - L.to_numpy())) < TOL
    # psych orders factors by variance accounted for: our canonical order is the same
    assert matched == ["F1", "F2", "F3"]
    got = pd.Series(e["ss_loadings"]).to_numpy()
    ss_row = [r for r in ref["Vaccounted"] if r["row"] == "SS loadings"][0]
    want = np.array([ss_row[c] for c in L.columns])
    assert np.max(np.abs(got - want)) < TOL
    for item, h in ref["communalities"].items():
        assert e["communalities"][item] == pytest.approx(h, abs=TOL)
    if ref["Phi"]:
        phi = pd.DataFrame(ref["Phi"]).set_index("row").to_numpy()
        assert np.max(np.abs(e["phi"].to_numpy() - phi)) < TOL


def test_item_pool_diagnostics_drops_zero_variance_item():
    Y = X.copy()
    Y["x10"] = 3.0
    d = efa.item_pool_diagnostics(Y, seed=1)
    assert any("x10" in w for w in d["warnings"])
    assert d["items"] == FX["items"]
    assert d["kmo"]["overall"] == pytest.approx(FX["kmo"]["MSA"], abs=TOL)
    assert d["efa"]["n_factors"] == FX["parallel"]["nfact"]
