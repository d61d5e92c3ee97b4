"""Further lavaan 0.6-14 cross-checks (values copied from R; the call is beside each).

R run for these numbers (tests/data/*.csv):
  HS <- read.csv("tests/data/hs.csv"); PD <- read.csv("tests/data/poldem.csv")
  m <- "visual =~ x1 + x2 + x3\\ntextual =~ x4 + x5 + x6\\nspeed =~ x7 + x8 + x9"
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from surveysem.sem import fit_model

DATA = Path(__file__).resolve().parent / "data"
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
        dict(chisq=33.307704, df=17, cfi=0.933205, tli=0.901773, rmsea=0.113094, rmsea_ci_lower=0.053667,
             rmsea_ci_upper=0.169695, srmr=0.051173, aic=1703.499524, bic=1733.626870, npar=13,
             baseline_chisq=269.146903, baseline_df=25),
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
    res = fit_model(M, pd.read_csv(DATA / "hs.csv"), group="school", group_equal=("loadings", "intercepts"),
                    estimator="MLR")
    _check(
        res,
        dict(chisq=164.102831, df=60, cfi=0.882472, tli=0.858966, rmsea=0.107371, rmsea_ci_lower=0.087904,
             rmsea_ci_upper=0.127194, srmr=0.082447, aic=7508.646511, bic=7686.587804, npar=48,
             chisq_scaled=166.748219, scaling_factor=0.984135, cfi_robust=0.881155, tli_robust=0.857386,
             rmsea_robust=0.107861),
        {
            ("x1", "~1", "", 1): (5.00140361, 0.094276643, 4.30189590),
            ("x1", "~1", "", 2): (5.00140361, 0.094276643, 4.28597104),
            ("visual", "~1", "", 2): (-0.14769906, 0.140253995, -0.17553321),
            ("speed", "~1", "", 2): (-0.17735025, 0.103591380, -0.24956560),
        },
    )
