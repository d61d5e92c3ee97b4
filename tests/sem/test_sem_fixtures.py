"""surveysem.sem against R lavaan 0.6-14 fixtures (tests/r/*.R -> tests/r/results/*.json).

Every estimate, SE and std.all and every fit measure we report is compared at 1e-3
(absolute), as CONTRIBUTING.md requires.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest

from surveysem.sem import fit_model, invariance_sequence

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "r" / "results"
DATA = ROOT / "r" / "data"
TOL = 1e-3

FIT_KEYS = {
    "chisq": "chisq",
    "df": "df",
    "pvalue": "pvalue",
    "cfi": "cfi",
    "tli": "tli",
    "rmsea": "rmsea",
    "rmsea.ci.lower": "rmsea_ci_lower",
    "rmsea.ci.upper": "rmsea_ci_upper",
    "srmr": "srmr",
    "aic": "aic",
    "bic": "bic",
    "logl": "logl",
    "unrestricted.logl": "unrestricted_logl",
    "npar": "npar",
    "ntotal": "nobs",
    "baseline.chisq": "baseline_chisq",
    "baseline.df": "baseline_df",
    "bic2": "bic2",
}
ROBUST_KEYS = {
    "chisq.scaled": "chisq_scaled",
    "pvalue.scaled": "pvalue_scaled",
    "chisq.scaling.factor": "scaling_factor",
    "cfi.robust": "cfi_robust",
    "tli.robust": "tli_robust",
    "rmsea.robust": "rmsea_robust",
    "rmsea.ci.lower.robust": "rmsea_ci_lower_robust",
    "rmsea.ci.upper.robust": "rmsea_ci_upper_robust",
    "cfi.scaled": "cfi_scaled",
    "tli.scaled": "tli_scaled",
    "rmsea.scaled": "rmsea_scaled",
    "baseline.chisq.scaled": "baseline_chisq_scaled",
}


def _load(name):
    return json.loads((RESULTS / name).read_text())


def _close(a, b, tol=TOL):
    return abs(float(a) - float(b)) <= tol


def check_fit(res, block, robust=False, skip=()):
    keys = dict(FIT_KEYS)
    if robust:
        keys.update(ROBUST_KEYS)
    bad = []
    for rk, ok in keys.items():
        if rk in skip or rk not in block["fit_all"] and rk not in block["fit"]:
            continue
        ref = block["fit"].get(rk, block["fit_all"].get(rk))
        if ref is None:
            continue
        ours = res.fit[ok]
        if not _close(ours, ref):
            bad.append((rk, ref, ours))
    assert not bad, bad


def check_estimates(res, block):
    multi = res.ngroups > 1
    est = res.estimates
    table = {}
    for r in est.itertuples(index=False):
        g = r.group if multi else 1
        key = (r.lhs, r.op, r.rhs if r.op != ":=" else r.rhs.replace(" ", ""), g if r.op != ":=" else 0)
        table[key] = r
    bad = []
    n = 0
    for e in block["estimates"]:
        if e["op"] == "==":
            continue
        g = e.get("group", 1)
        key = (
            e["lhs"],
            e["op"],
            e["rhs"].replace(" ", "") if e["op"] == ":=" else e["rhs"],
            0 if e["op"] == ":=" else g,
        )
        assert key in table, f"row {key} missing from our estimates"
        r = table[key]
        for f in ("est", "se", "std_all"):
            ref = e[f]
            if ref is None:
                continue
            ours = getattr(r, f)
            if not _close(ours, ref):
                bad.append((key, f, ref, ours))
        n += 1
    # the same rows in the same order (lavaan parameterEstimates minus '==' rows)
    assert n == len(est), (n, len(est))
    ours = [(r.lhs, r.op, r.rhs.replace(" ", ""), r.group if multi and r.op != ":=" else 1) for r in est.itertuples()]
    ref = [
        (e["lhs"], e["op"], e["rhs"].replace(" ", ""), e.get("group", 1) if e["op"] != ":=" else 1)
        for e in block["estimates"]
        if e["op"] != "=="
    ]
    assert ours == ref
    assert not bad, bad[:10]


def check_rsquare(res, ref):
    for k, v in ref.items():
        assert _close(res.r_squared[k], v), (k, v, res.r_squared[k])


@pytest.fixture(scope="module")
def hs():
    return pd.read_csv(DATA / "hs.csv")


@pytest.mark.parametrize("name,estimator", [("hs_cfa_ml.json", "ML"), ("hs_cfa_mlr.json", "MLR")])
def test_hs_cfa(hs, name, estimator):
    block = _load(name)
    res = fit_model(block["syntax"], hs, estimator=estimator)
    assert res.converged and not res.warnings
    check_fit(res, block, robust=estimator == "MLR")
    check_estimates(res, block)
    check_rsquare(res, block["rsquare"])


def test_hs_cfa_row_order_matches_lavaan(hs):
    block = _load("hs_cfa_ml.json")
    res = fit_model(block["syntax"], hs)
    ours = list(zip(res.estimates.lhs, res.estimates.op, res.estimates.rhs))
    ref = [(e["lhs"], e["op"], e["rhs"]) for e in block["estimates"]]
    assert ours == ref


@pytest.mark.parametrize("key,estimator", [("ml", "ML"), ("mlr", "MLR")])
def test_poldem_sem(key, estimator):
    block = _load("poldem_sem.json")[key]
    data = pd.read_csv(DATA / "poldem.csv")
    res = fit_model(block["syntax"], data, estimator=estimator)
    assert res.converged
    check_fit(res, block, robust=estimator == "MLR")
    check_estimates(res, block)
    check_rsquare(res, block["rsquare"])


@pytest.mark.parametrize("key", ["second_order", "chain"])
def test_second_order_sem(key):
    block = _load("second_order_sem.json")[key]
    data = pd.read_csv(DATA / "second_order_sem.csv")
    res = fit_model(block["syntax"], data)
    assert res.converged
    check_fit(res, block)
    check_estimates(res, block)
    check_rsquare(res, block["rsquare"])


def test_second_order_defined_parameter():
    block = _load("second_order_sem.json")["chain"]
    data = pd.read_csv(DATA / "second_order_sem.csv")
    res = fit_model(block["syntax"], data)
    ref = next(e for e in block["estimates"] if e["op"] == ":=")
    row = res.estimates[res.estimates.op == ":="].iloc[0]
    assert row.lhs == "ind"
    for f in ("est", "se", "z", "pvalue", "std_all"):
        assert _close(row[f], ref[f]), f


INV = {"configural": (), "metric": ("loadings",), "scalar": ("loadings", "intercepts")}


@pytest.mark.parametrize("level", list(INV))
def test_invariance_models(hs, level):
    fx = _load("hs_invariance_school.json")
    block = fx["models"][level]
    res = fit_model(block["syntax"], hs, group="school", group_equal=INV[level])
    assert res.group_labels == fx["group_labels"]
    assert res.converged
    check_fit(res, block)
    check_estimates(res, block)


def test_invariance_sequence(hs):
    fx = _load("hs_invariance_school.json")
    syntax = fx["models"]["configural"]["syntax"]
    tab = invariance_sequence(syntax, hs, "school")
    assert list(tab.model) == ["configural", "metric", "scalar"]
    for row, ref in zip(tab.itertuples(index=False), fx["lrt"]):
        assert _close(row.chisq, ref["Chisq"]) and row.df == ref["Df"]
        assert _close(row.aic, ref["AIC"]) and _close(row.bic, ref["BIC"])
        if ref["Chisq diff"] is not None:
            assert _close(row.delta_chisq, ref["Chisq diff"])
            assert row.delta_df == ref["Df diff"]
            assert _close(row.delta_p, ref["Pr(>Chisq)"])
            assert _close(row.rmsea_lrt, ref["RMSEA"])
        else:
            assert math.isnan(row.delta_chisq)
    deltas = fx["deltas"]
    for row, key in ((tab.iloc[1], "metric_minus_configural"), (tab.iloc[2], "scalar_minus_metric")):
        assert _close(row.delta_cfi, deltas[key]["cfi"])
        assert _close(row.delta_rmsea, deltas[key]["rmsea"])
        assert _close(row.delta_srmr, deltas[key]["srmr"])


@pytest.mark.parametrize(
    "key,kwargs",
    [
        ("fiml_ml", dict(missing="fiml")),
        ("fiml_mlr", dict(missing="fiml", estimator="MLR")),
        ("listwise_ml", dict()),
        ("listwise_mlr", dict(estimator="MLR")),
    ],
)
def test_hs_missing(key, kwargs):
    block = _load("hs_fiml.json")[key]
    data = pd.read_csv(DATA / "hs_missing.csv")
    res = fit_model(block["syntax"], data, **kwargs)
    assert res.converged
    assert res.fit["nobs"] == block["nobs"][0]
    check_fit(res, block, robust=kwargs.get("estimator") == "MLR")
    check_estimates(res, block)


def test_fiml_h1_matches_lavaan_em():
    from surveysem.sem import em_saturated, prepare_model

    block = _load("hs_fiml.json")["fiml_ml"]
    data = pd.read_csv(DATA / "hs_missing.csv")
    pm = prepare_model(block["syntax"], list(data.columns), missing="fiml")
    groups, _, _ = pm._split_data(data)
    gd = pm._group_data(groups[0])
    ov = pm.spec.ov_names
    for k, v in enumerate(ov):
        assert _close(gd.mean[k], block["h1_em_mean"][v], 1e-5)
    for row in block["h1_em_cov"]:
        i = ov.index(row["row"])
        for v in ov:
            assert _close(gd.cov[i, ov.index(v)], row[v], 1e-5)
    assert em_saturated is not None


def test_fiml_ml_robust_indices():
    # lavaan reports FIML-corrected (V6) robust CFI/TLI/RMSEA also for ML with missing data
    block = _load("hs_fiml.json")["fiml_ml"]
    data = pd.read_csv(DATA / "hs_missing.csv")
    res = fit_model(block["syntax"], data, missing="fiml")
    for rk in ("cfi.robust", "tli.robust", "rmsea.robust", "rmsea.ci.lower.robust", "rmsea.ci.upper.robust"):
        assert _close(res.fit[ROBUST_KEYS[rk]], block["fit_all"][rk]), rk
