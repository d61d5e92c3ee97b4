"""WLSMV with continuous observed variables beside ordered items against lavaan 0.6-14
(tests/r/wlsmv_mixed.R -> tests/r/results/wlsmv_mixed.json): HS x1-x6 cut at their terciles
(ordered) with the continuous x7-x9 as a speed factor, with x7 regressed on the two factors (delta,
theta, WLSMVS), with x8 regressed on x7 and a factor, and with x7 regressed on the factors and the
continuous covariate ageyr (lavaan's conditional.x = FALSE: its mean and variance free). Estimates, robust SEs, std.all, R-squared, the scaled-shifted
test (statistic, df, scaling factor, shift), CFI / TLI / RMSEA standard and scaled and SRMR, at
1e-3, from lavaan's stage-one statistics and from the data through our stage one. Observed
differences: below 2e-5 (the scaled chi-square of the speed model from our stage one, 1.1e-5)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from surveysem.errors import SurveySemError
from surveysem.sem import fit_model
from surveysem.sem.ordinal_moments import OrdinalMoments
from surveysem.sem.wlsmv import fit_ordinal_moments

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = json.loads((ROOT / "r" / "results" / "wlsmv_mixed.json").read_text())
TOL = 1e-3
ORDERED = [f"x{i}" for i in range(1, 7)]
FIT_KEYS = {"npar": "npar", "chisq": "chisq", "df": "df", "pvalue": "pvalue", "chisq.scaled": "chisq_scaled",
            "df.scaled": "df_scaled", "pvalue.scaled": "pvalue_scaled", "chisq.scaling.factor": "scaling_factor",
            "baseline.chisq": "baseline_chisq", "baseline.df": "baseline_df",
            "baseline.chisq.scaled": "baseline_chisq_scaled", "cfi": "cfi", "tli": "tli", "rmsea": "rmsea",
            "cfi.scaled": "cfi_scaled", "tli.scaled": "tli_scaled", "rmsea.scaled": "rmsea_scaled", "srmr": "srmr",
            "ntotal": "ntotal", "fmin": "fmin"}
OPTIONS = {"outcome_covariate": {"conditional_x": False}, "outcome_theta": {"parameterization": "theta"},
           "outcome_wlsmvs": {"estimator": "WLSMVS"}}


def mixed_data() -> pd.DataFrame:
    """x1-x6 cut (hs_ordinal3.csv) beside the continuous x7-x9 and ageyr (hs.csv), as the R script."""
    hs = pd.read_csv(ROOT / "r" / "data" / "hs.csv")
    cut = pd.read_csv(ROOT / "r" / "data" / "hs_ordinal3.csv")
    assert (hs["id"] == cut["id"]).all()
    return pd.concat([cut[ORDERED], hs[["x7", "x8", "x9", "ageyr"]]], axis=1)


def lavaan_moments(record) -> OrdinalMoments:
    s = record["stage_one"]
    k = s["gamma_dim"]
    G = np.zeros((k, k))
    G[np.triu_indices(k)] = s["gamma_upper"]
    G = G + G.T - np.diag(np.diag(G))
    return OrdinalMoments.from_lavaan(s["names"], s["wls_obs"], G, s["wls_v_diag"], s["nobs"])


@pytest.fixture(scope="module")
def fits():
    data = mixed_data()
    out = {}
    for name, rec in FIXTURE["fits"].items():
        opts = {"estimator": "WLSMV", **OPTIONS.get(name, {})}
        out[name, "lavaan"] = fit_ordinal_moments(rec["syntax"], lavaan_moments(rec), **opts)
        out[name, "data"] = fit_model(rec["syntax"], data, ordered=ORDERED, **opts)
    return out


def test_moments_names_follow_lavaans_wls_order():
    for rec in FIXTURE["fits"].values():
        assert lavaan_moments(rec).names() == rec["stage_one"]["names"]
    m = lavaan_moments(FIXTURE["fits"]["speed_continuous"])
    sub = m.subset(["x1", "x2", "x8"])
    assert sub.names() == ["x1|t1", "x1|t2", "x2|t1", "x2|t2", "x8~1", "x8~~x8", "x1~~x2", "x1~~x8", "x2~~x8"]
    pos = m.names().index("x2~~x8")
    assert sub.wls_obs[-1] == m.wls_obs[pos] and sub.gamma[-1, -1] == m.gamma[pos, pos]


@pytest.mark.parametrize("source", ["lavaan", "data"])
@pytest.mark.parametrize("name", list(FIXTURE["fits"]))
def test_fit_measures_match_lavaan(fits, name, source):
    rec, res = FIXTURE["fits"][name], fits[name, source]
    assert res.converged
    for lav, ours in FIT_KEYS.items():
        assert res.fit[ours] == pytest.approx(rec["fit"][lav], abs=TOL), lav
    if name == "outcome_wlsmvs":  # mean-and-variance adjusted: no shift
        assert "shift.parameter" not in rec["test"] and math.isnan(res.fit["shift_parameter"])
    else:
        assert res.fit["shift_parameter"] == pytest.approx(rec["test"]["shift.parameter"], abs=TOL)
    assert res.fit["trace_ugamma"] == pytest.approx(rec["test"]["trace.UGamma"], abs=TOL)
    # lavaan 0.6-14 gives no robust CFI / TLI / RMSEA with continuous variables; neither do we
    assert rec["fit"].get("cfi.robust") is None and math.isnan(res.fit["cfi_robust"])


@pytest.mark.parametrize("source", ["lavaan", "data"])
@pytest.mark.parametrize("name", list(FIXTURE["fits"]))
def test_estimates_match_lavaan(fits, name, source):
    rec, res = FIXTURE["fits"][name], fits[name, source]
    est = res.estimates.set_index(["lhs", "op", "rhs"])
    rows = [r for r in rec["estimates"] if r["op"] != "r2"]
    assert len(est) == len(rows)
    assert [(r["lhs"], r["op"], r["rhs"]) for r in rows] == list(est.index)
    for r in rows:
        ours = est.loc[(r["lhs"], r["op"], r["rhs"])]
        for col in ("est", "se", "std_all"):
            if r[col] is not None:
                assert ours[col] == pytest.approx(r[col], abs=TOL), (r["lhs"], r["op"], r["rhs"], col)
    for r in rec["estimates"]:
        if r["op"] == "r2":
            assert res.r_squared[r["lhs"]] == pytest.approx(r["est"], abs=TOL), r["lhs"]


def test_exogenous_covariate_needs_conditional_x_false():
    rec = FIXTURE["fits"]["outcome_covariate"]
    assert FIXTURE["covariate_default_conditional_x"] is True  # lavaan's default here: not built
    with pytest.raises(SurveySemError, match=r"^not supported: exogenous observed covariates \(ageyr\) with ordered "
                                             r"indicators under lavaan's default conditional.x = TRUE") as err:
        fit_model(rec["syntax"], mixed_data(), ordered=ORDERED)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("syntax,kwargs,message", [
    ("f =~ x1 + x2 + x3 + x7", {"group": "school"},
     r"^not supported: continuous variables \(x7\) beside ordered ones in a WLSMV model of several groups"),
    ("f =~ x1 + x2 + x3\nx7 ~ f + x1", {}, r"^not supported: an ordered item as a predictor \(x7 ~ x1\)"),
    ("f =~ x7 + x8 + x9", {}, r"^none of the model's observed variables is declared ordered"),
])
def test_mixed_misuse_is_one_line(syntax, kwargs, message):
    data = mixed_data()
    data["school"] = pd.read_csv(ROOT / "r" / "data" / "hs.csv")["school"]
    with pytest.raises(SurveySemError, match=message) as err:
        fit_model(syntax, data, ordered=ORDERED, **kwargs)
    assert "\n" not in str(err.value)
