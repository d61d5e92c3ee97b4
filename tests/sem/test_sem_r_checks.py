"""Further lavaan 0.6-14 cross-checks (values copied from R; the call is beside each).

R run for these numbers (tests/r/data/*.csv):
  HS <- read.csv("tests/r/data/hs.csv"); PD <- read.csv("tests/r/data/poldem.csv")
  m <- "visual =~ x1 + x2 + x3\\ntextual =~ x4 + x5 + x6\\nspeed =~ x7 + x8 + x9"
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from surveysem.sem import fit_model

DATA = Path(__file__).resolve().parents[1] / "r" / "data"
M = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
TOL = 1e-3


def _row(res, lhs, op, rhs, group=1):
    e = res.estimates
    sel = (e.lhs == lhs) & (e.op == op) & (e.rhs == rhs) & (e.group == group)
    assert sel.sum() == 1
    return e[sel].iloc[0]


def _check(res, fit, rows):
    for k, v in fit.items():
        assert res.fit[k] == pytest.approx(v, abs=TOL), k
    for key, (est, se, std) in rows.items():
        r = _row(res, *key)
        assert r.est == pytest.approx(est, abs=TOL), key
        assert r.se == pytest.approx(se, abs=TOL), key
        assert r.std_all == pytest.approx(std, abs=TOL), key


def test_std_lv():
    # cfa(m, data = HS, std.lv = TRUE)
    res = fit_model(M, pd.read_csv(DATA / "hs.csv"), std_lv=True)
    _check(
        res,
        dict(chisq=85.305522, df=24, cfi=0.930560, rmsea=0.092121, srmr=0.065205, aic=7517.489853, npar=21),
        {
            ("visual", "=~", "x1"): (0.89962031, 0.080846533, 0.77188072),
            ("speed", "=~", "x9"): (0.66998011, 0.065016973, 0.66500955),
            ("visual", "~~", "visual"): (1.0, 0.0, 1.0),
            ("visual", "~~", "textual"): (0.45850980, 0.063779296, 0.45850980),
        },
    )


def test_fixed_x_covariates():
    # sem("dem60 =~ y1 + y2 + y3 + y4\ndem60 ~ x1 + x2\ny5 ~ dem60 + x3", data = PD)
    res = fit_model("dem60 =~ y1 + y2 + y3 + y4\ndem60 ~ x1 + x2\ny5 ~ dem60 + x3", pd.read_csv(DATA / "poldem.csv"))
    _check(
        res,
        dict(
            chisq=33.307704,
            df=17,
            cfi=0.933205,
            tli=0.901773,
            rmsea=0.113094,
            rmsea_ci_lower=0.053667,
            rmsea_ci_upper=0.169695,
            srmr=0.051173,
            aic=1703.499524,
            bic=1733.626870,
            npar=13,
            baseline_chisq=269.146903,
            baseline_df=25,
        ),
        {
            ("dem60", "~", "x1"): (1.363736809, 0.76126359, 0.435247506),
            ("y5", "~", "x3"): (0.311270171, 0.14652340, 0.166638882),
            ("dem60", "~~", "dem60"): (4.009260594, 0.88451733, 0.770567581),
            ("x1", "~~", "x2"): (0.977156266, 0.0, 0.894495764),
        },
    )
    assert not _row(res, "x1", "~~", "x2").free


def test_scalar_invariance_mlr():
    # cfa(m, data = HS, group = "school", group.equal = c("loadings", "intercepts"), estimator = "MLR")
    res = fit_model(
        M, pd.read_csv(DATA / "hs.csv"), group="school", group_equal=("loadings", "intercepts"), estimator="MLR"
    )
    _check(
        res,
        dict(
            chisq=164.102831,
            df=60,
            cfi=0.882472,
            tli=0.858966,
            rmsea=0.107371,
            rmsea_ci_lower=0.087904,
            rmsea_ci_upper=0.127194,
            srmr=0.082447,
            aic=7508.646511,
            bic=7686.587804,
            npar=48,
            chisq_scaled=166.748219,
            scaling_factor=0.984135,
            cfi_robust=0.881155,
            tli_robust=0.857386,
            rmsea_robust=0.107861,
        ),
        {
            ("x1", "~1", "", 1): (5.00140361, 0.094276643, 4.30189590),
            ("x1", "~1", "", 2): (5.00140361, 0.094276643, 4.28597104),
            ("visual", "~1", "", 2): (-0.14769906, 0.140253995, -0.17553321),
            ("speed", "~1", "", 2): (-0.17735025, 0.103591380, -0.24956560),
        },
    )


def test_fixed_x_mlr():
    # sem("dem60 =~ y1 + y2 + y3 + y4\ndem60 ~ x1 + x2\ny5 ~ dem60 + x3", data = PD, estimator = "MLR")
    res = fit_model(
        "dem60 =~ y1 + y2 + y3 + y4\ndem60 ~ x1 + x2\ny5 ~ dem60 + x3",
        pd.read_csv(DATA / "poldem.csv"),
        estimator="MLR",
    )
    _check(
        res,
        dict(
            chisq=33.307704,
            df=17,
            aic=1703.499524,
            chisq_scaled=33.895583,
            scaling_factor=0.982656,
            cfi_robust=0.931702,
            tli_robust=0.899562,
            rmsea_robust=0.114112,
        ),
        {
            ("dem60", "~", "x1"): (1.363736809, 0.752549528, 0.435247506),
            ("y5", "~", "x3"): (0.311270171, 0.144659429, 0.166638882),
            ("dem60", "~~", "dem60"): (4.009260594, 0.863744447, 0.770567581),
        },
    )


def test_fiml_multigroup():
    # HSm <- read.csv("tests/r/data/hs_missing.csv"); cfa(m, data = HSm, group = "school", missing = "ml")
    res = fit_model(M, pd.read_csv(DATA / "hs_missing.csv"), group="school", missing="fiml")
    _check(
        res,
        dict(
            chisq=88.871656,
            df=48,
            cfi=0.945134,
            tli=0.917701,
            rmsea=0.075218,
            rmsea_ci_lower=0.050201,
            rmsea_ci_upper=0.099389,
            srmr=0.064568,
            aic=6942.366428,
            bic=7164.793044,
            npar=60,
            baseline_chisq=816.937449,
            baseline_df=72,
            cfi_robust=0.947477,
            tli_robust=0.921216,
            rmsea_robust=0.079029,
        ),
        {
            ("textual", "=~", "x5", 1): (1.15590277, 0.114595676, 0.83642446),
            ("visual", "~~", "visual", 1): (0.92937609, 0.267127929, 1.0),
            ("textual", "=~", "x5", 2): (0.97988535, 0.096789747, 0.82216936),
            ("visual", "~~", "visual", 2): (0.57083837, 0.165051970, 1.0),
        },
    )


def test_std_lv_metric_frees_later_group_variances():
    # cfa(m, data = HS, group = "school", group.equal = "loadings", std.lv = TRUE)
    res = fit_model(M, pd.read_csv(DATA / "hs.csv"), group="school", group_equal=("loadings",), std_lv=True)
    _check(
        res,
        dict(
            chisq=124.043544, df=54, cfi=0.920923, tli=0.894565, rmsea=0.092837, srmr=0.071652, aic=7480.587224, npar=54
        ),
        {
            ("textual", "=~", "x5", 1): (1.03479214, 0.077759412, 0.82357350),
            ("visual", "~~", "visual", 1): (1.0, 0.0, 1.0),
            ("textual", "=~", "x5", 2): (1.03479214, 0.077759412, 0.85705572),
            ("visual", "~~", "visual", 2): (0.89674166, 0.224765985, 1.0),
        },
    )


def test_fixed_x_fiml_drops_missing_covariates():
    # PDm <- PD; set.seed(3); for (v in c("y1","y3","x2")) PDm[sample(75, 8), v] <- NA
    # sem("dem60 =~ y1 + y2 + y3 + y4\ndem60 ~ x1 + x2\ny5 ~ dem60 + x3", data = PDm, missing = "ml")
    # (lavaan: "8 cases were deleted due to missing values in exogenous variable(s)")
    data = pd.read_csv(DATA / "poldem.csv")
    na_rows = {
        "y1": [4, 7, 11, 19, 35, 54, 57, 73],
        "y3": [4, 7, 28, 36, 39, 47, 65, 71],
        "x2": [8, 11, 15, 17, 21, 24, 39, 74],
    }
    for col, rows in na_rows.items():
        data.loc[rows, col] = float("nan")
    res = fit_model("dem60 =~ y1 + y2 + y3 + y4\ndem60 ~ x1 + x2\ny5 ~ dem60 + x3", data, missing="fiml")
    assert any("8 case(s) with missing values in exogenous" in w for w in res.warnings)
    _check(
        res,
        dict(
            chisq=30.305604,
            df=17,
            cfi=0.933262,
            tli=0.901857,
            rmsea=0.108083,
            rmsea_ci_lower=0.038752,
            rmsea_ci_upper=0.169489,
            srmr=0.050912,
            aic=1472.901082,
            bic=1512.585550,
            npar=18,
            baseline_chisq=224.372111,
            baseline_df=25,
            cfi_robust=0.935540,
            tli_robust=0.905207,
            rmsea_robust=0.108925,
        ),
        {
            ("dem60", "~", "x1"): (1.351902309, 0.76994698, 0.480992323),
            ("y5", "~", "x3"): (0.329406119, 0.16567797, 0.181778266),
            ("dem60", "~~", "dem60"): (3.128232261, 0.85432845, 0.731458000),
            ("x1", "~~", "x2"): (1.021570680, 0.0, 0.906017034),
            ("y1", "~1", ""): (-1.574668986, 2.47586480, -0.634469415),
        },
    )


def test_invariance_sequence_mlr_uses_satorra_bentler_2001():
    # lavTestLRT(cfa(m, HS, group = "school", estimator = "MLR"),
    #            cfa(m, HS, group = "school", estimator = "MLR", group.equal = "loadings"))
    # -> method "satorra.bentler.2001": Chisq diff 6.5672, Df diff 6, Pr(>Chisq) 0.3627
    from surveysem.sem import invariance_sequence

    tab = invariance_sequence(
        M, pd.read_csv(DATA / "hs.csv"), "school", estimator="MLR", levels=("configural", "metric")
    )
    assert tab.delta_chisq.iloc[1] == pytest.approx(6.5672, abs=1e-3)
    assert tab.delta_df.iloc[1] == 6
    assert tab.delta_p.iloc[1] == pytest.approx(0.3627, abs=1e-3)


CLF_TRAITS = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9\n"


def test_common_latent_factor_marker_parameterization():
    # the syntax of tests/r/results/measurement_hs.json ("clf" / "free"): lavaan converges to
    # a local optimum with chisq 26.0199545 (the default start values of our engine need the
    # second, small-cross-loading start to get there)
    import json

    ref = json.loads((DATA.parent / "results" / "measurement_hs.json").read_text())["clf"]["free"]
    res = fit_model(ref["syntax"], pd.read_csv(DATA / "hs.csv"))
    assert res.converged
    assert res.fit["chisq"] == pytest.approx(ref["chisq"], abs=TOL)
    assert res.fit["cfi"] == pytest.approx(ref["cfi"], abs=TOL)
    e = res.estimates
    for item, v in ref["method_loadings_std"].items():
        assert e[(e.lhs == "CMV") & (e.rhs == item)].std_all.iloc[0] == pytest.approx(v, abs=TOL), item


def test_common_latent_factor_std_lv_parameterization():
    # cfa(<same model with CMV =~ x1 + ... + x9>, HS, std.lv = TRUE): another local optimum
    # (lavaan: chisq 26.014260647, negative residual variance of x3)
    syntax = CLF_TRAITS + "CMV =~ " + " + ".join(f"x{i}" for i in range(1, 10)) + "\n"
    syntax += "CMV ~~ 0*visual\nCMV ~~ 0*textual\nCMV ~~ 0*speed"
    res = fit_model(syntax, pd.read_csv(DATA / "hs.csv"), std_lv=True)
    assert res.converged
    assert res.fit["chisq"] == pytest.approx(26.014260647, abs=TOL)
    ref = [
        0.816623501783,
        0.399269452471,
        0.724944740335,
        0.398657637321,
        0.311334049906,
        0.413272257002,
        0.0890462104057,
        0.260063663609,
        0.466551409529,
    ]
    e = res.estimates
    got = e[(e.lhs == "CMV") & (e.op == "=~")].std_all.to_numpy()
    assert got == pytest.approx(ref, abs=TOL)
    assert any("negative residual variance for x3" in w for w in res.warnings)
