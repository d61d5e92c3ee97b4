"""MLM (Satorra-Bentler) against lavaan 0.6-14 (tests/r/sem_mlm.R -> tests/r/results/sem_mlm.json):
robust.sem standard errors, the scaled chi-square and its scaling factor, the scaled and robust
CFI / TLI / RMSEA (with the RMSEA intervals) and the baseline's scaled chi-square, at 1e-3
(observed differences are below 5e-5 for the chi-squares, 1e-6 for the rest)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from surveysem.errors import SurveySemError
from surveysem.sem import fit_model
from tests.sem.test_sem_fixtures import (
    DATA,
    ROBUST_KEYS,
    _load,
    check_estimates,
    check_fit,
)

MLM_KEYS = {
    **ROBUST_KEYS,
    "baseline.chisq.scaling.factor": "baseline_scaling_factor",
    "rmsea.ci.lower.scaled": "rmsea_ci_lower_scaled",
    "rmsea.ci.upper.scaled": "rmsea_ci_upper_scaled",
}


@pytest.fixture(scope="module")
def fixture():
    return _load("sem_mlm.json")


@pytest.mark.parametrize(
    "name,data,options",
    [
        ("hs", "hs.csv", {}),
        ("poldem", "poldem.csv", {}),
        ("hs_x", "hs.csv", {}),
        ("hs_mg", "hs.csv", {"group": "school", "group_equal": ("loadings",)}),
    ],
)
def test_mlm_matches_lavaan(fixture, name, data, options):
    block = fixture[name]
    assert block["options"]["se"] == "robust.sem" and block["options"]["test"] == "satorra.bentler"
    res = fit_model(block["syntax"], pd.read_csv(DATA / data), estimator="MLM", **options)
    assert res.converged and res.estimator == "MLM"
    check_fit(res, block)
    check_estimates(res, block)
    bad = [(rk, block["fit"][rk], res.fit[ok]) for rk, ok in MLM_KEYS.items()
           if abs(res.fit[ok] - block["fit"][rk]) > 1e-4]
    assert not bad, bad
    assert abs(res.fit["scaling_factor"] - block["fit"]["chisq.scaling.factor"]) < 1e-5
    json_fit = res.to_json()["fit"]
    assert json_fit["chisq_scaled"] == pytest.approx(block["fit"]["chisq.scaled"], abs=1e-3)


def test_mlm_refuses_fiml(fixture):
    assert "not allowed for estimator" in fixture["fiml_refusal"]  # lavaan refuses it too
    with pytest.raises(SurveySemError, match=r"^not supported: estimator MLM with missing = fiml.*use estimator MLR"):
        fit_model(fixture["hs"]["syntax"], pd.read_csv(DATA / "hs.csv"), estimator="MLM", missing="fiml")


def test_cli_fits_mlm(fixture, tmp_path, capsys):
    from surveysem.cli import main

    model = tmp_path / "hs.lav"
    model.write_text(fixture["hs"]["syntax"])
    assert main(["fit", str(model), str(DATA / "hs.csv"), "--estimator", "MLM"]) == 0
    out = capsys.readouterr().out
    assert "SEM fit (MLM)" in out and "scaled chi-square = 80.872" in out and "robust: CFI = 0.932" in out


def test_mlm_invariance_sequence_matches_lavtestlrt(fixture):
    from surveysem.sem import invariance_sequence

    tab = invariance_sequence(fixture["hs"]["syntax"], pd.read_csv(DATA / "hs.csv"), "school", estimator="MLM")
    for row, ref in zip(tab.itertuples(index=False), fixture["invariance_lrt"]):
        fit = fixture["invariance_fit"][row.model]
        assert row.df == ref["Df"] and row.chisq == pytest.approx(ref["Chisq"], abs=1e-3)
        assert row.chisq_scaled == pytest.approx(fit["chisq.scaled"], abs=1e-3)
        assert row.cfi_robust == pytest.approx(fit["cfi.robust"], abs=1e-3)
        if ref["Chisq diff"] is not None:
            # 7e-4 observed (scalar vs metric): the Satorra-Bentler 2001 denominator (df1 c1 - df0 c0) / ddf
            # = 0.73 turns the 5e-7 differences of the scaling factors (lavaan's stopping point) into 1e-5
            assert row.delta_chisq == pytest.approx(ref["Chisq diff"], abs=1e-3)
            assert row.delta_p == pytest.approx(ref["Pr(>Chisq)"], abs=1e-3)


@pytest.mark.parametrize("estimator", ["MLM", "MLR"])
def test_saturated_model_scaled_statistics(fixture, estimator):
    ref = fixture["saturated"][estimator]
    assert ref["df"] == 0 and ref["pvalue.scaled"] is None and ref["rmsea.scaled"] is None
    fit = fit_model("f =~ x1 + x2 + x3", pd.read_csv(DATA / "hs.csv"), estimator=estimator).fit
    assert fit["df"] == 0
    for rk, ok in {**MLM_KEYS, "df.scaled": "df_scaled"}.items():
        if ref.get(rk) is None:
            assert math.isnan(fit[ok]), rk
        else:
            assert fit[ok] == pytest.approx(ref[rk], abs=1e-3), rk
