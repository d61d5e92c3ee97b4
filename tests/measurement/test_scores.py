"""Scale scores: means with a minimum share answered (hand computation) and regression factor
scores against lavaan::lavPredict (tests/r/results/measurement_hs.json)."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from surveysem.measurement import scores
from surveysem.errors import SurveySemError

HERE = Path(__file__).resolve().parents[1]  # tests/
TOL = 1e-3
MX = json.loads((HERE / "r" / "results" / "measurement_hs.json").read_text())
ML = json.loads((HERE / "r" / "results" / "hs_cfa_ml.json").read_text())
HS = pd.read_csv(HERE / "r" / "data" / "hs.csv")


def test_mean_scores_min_share():
    d = pd.DataFrame({"a1": [1, 2, None, 4], "a2": [3, None, None, 4], "a3": [5, 4, 2, None], "a4": [1, 1, 1, None]})
    s = scores.mean_scores(d, {"A": ["a1", "a2", "a3", "a4"]}, min_share=0.5)["A"]
    # row 1: all 4 -> 2.5; row 2: 3 of 4 -> 7/3; row 3: 2 of 4 (= .5) -> 1.5; row 4: 2 of 4 -> 4
    assert s.tolist()[:2] == pytest.approx([2.5, 7 / 3])
    assert s.iloc[2] == pytest.approx(1.5) and s.iloc[3] == pytest.approx(4.0)
    s75 = scores.mean_scores(d, {"A": ["a1", "a2", "a3", "a4"]}, min_share=0.75)["A"]
    assert np.isnan(s75.iloc[2]) and np.isnan(s75.iloc[3]) and s75.iloc[1] == pytest.approx(7 / 3)
    with pytest.raises(SurveySemError):
        scores.mean_scores(d, {"A": ["a1", "zz"]})


def _ref_scores():
    return pd.DataFrame(MX["factor_scores"]["first_rows"]).drop(columns="row")


def test_factor_scores_from_lavaan_estimates():
    fs = scores.factor_scores(HS, pd.DataFrame(ML["estimates"]))
    ref = _ref_scores()
    assert np.max(np.abs(fs.iloc[:10][ref.columns].to_numpy() - ref.to_numpy())) < 1e-8
    for c in ref.columns:
        assert fs[c].std() == pytest.approx(MX["factor_scores"]["sds"][c], abs=1e-8)


def test_factor_scores_from_our_engine():
    from surveysem.sem import fit_model

    res = fit_model(ML["syntax"], HS)
    fs = scores.factor_scores(HS, res.estimates)
    ref = _ref_scores()
    assert np.max(np.abs(fs.iloc[:10][ref.columns].to_numpy() - ref.to_numpy())) < TOL


def test_factor_scores_with_missing_items_use_observed_items():
    est = pd.DataFrame(ML["estimates"])
    d = HS.copy()
    d.loc[0, "x1"] = np.nan
    fs = scores.factor_scores(d, est)
    # hand computation for row 0 with x1 missing: Phi L_o' Sigma_oo^-1 (x_o - mean_o)
    from surveysem.measurement.validity import measurement_parts

    parts = measurement_parts(est)
    items = [f"x{i}" for i in range(1, 10)]
    L = np.zeros((9, 3))
    for j, f in enumerate(parts["factors"]):
        for i, v in parts["loadings"][f].items():
            L[items.index(i), j] = v
    Phi = parts["phi"].to_numpy()
    Sigma = L @ Phi @ L.T + np.diag([parts["theta"][i] for i in items])
    o = np.arange(1, 9)
    mu = d[items].mean().to_numpy()
    x = d.loc[0, items].to_numpy(dtype=float)
    want = Phi @ L[o].T @ np.linalg.solve(Sigma[np.ix_(o, o)], x[o] - mu[o])
    assert fs.iloc[0].to_numpy() == pytest.approx(want, abs=1e-10)
    assert fs.iloc[1:].notna().all().all()
