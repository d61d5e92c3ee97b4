"""The joint 16-factor FIML CFA at a small N (127 firms, 79 items with holes) against lavaan 0.6-14 and
semTools 0.5-6 (tests/r/cfa_small_fiml.R -> tests/r/results/cfa_small_fiml.json, data
tests/r/data/cfa_small_fiml.csv from the .test/config_fiml run).

The EM saturated (h1) covariance of these data is near-singular: the saturated likelihood has no
interior maximum, lavaan's EM adds a ridge and stops at em.h1.iter.max = 500 passes and warns; ours
must do the same (and say so), converge, and match at 1e-3.

Exception, measured: the statistics that depend on the h1 log-likelihood (chisq, baseline.chisq,
unrestricted.logl and the corrected chi-squares) are compared at a relative 1e-5. On these data the
saturated likelihood is unbounded, h1 is where 500 ridged EM passes stop, and the near-singular
Sigma (condition number 3e8) turns rounding differences of the two EM implementations into
|d unrestricted.logl| = 0.0093 and |d chisq| = 0.019 (3.5e-6 relative; the h1 covariances agree to
5e-7 elementwise). The model log-likelihood, estimates, CFI, TLI, RMSEA, SRMR and CR/AVE agree at 1e-3."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from surveysem.measurement import validity as val
from surveysem.measurement.tables import fit_cfa
from surveysem.sem.small_sample import small_sample_of_fit

ROOT = Path(__file__).resolve().parents[1]
FX = json.loads((ROOT / "r" / "results" / "cfa_small_fiml.json").read_text())
TOL = 1e-3
FIT = {"df": "df", "cfi": "cfi", "tli": "tli", "rmsea": "rmsea", "srmr": "srmr", "logl": "logl",
       "npar": "npar", "ntotal": "nobs", "baseline.df": "baseline_df"}
FIT_H1 = {"chisq": "chisq", "unrestricted.logl": "unrestricted_logl", "baseline.chisq": "baseline_chisq"}
REL_H1 = 1e-5  # see the module docstring


def _scales(syntax: str) -> dict:
    return {f.strip(): [i.strip() for i in rhs.split("+")] for f, rhs in
            (line.split("=~") for line in syntax.splitlines())}


@pytest.fixture(scope="module")
def fit():
    data = pd.read_csv(ROOT / "r" / "data" / "cfa_small_fiml.csv")
    return fit_cfa(data, _scales(FX["model"]["syntax"]), estimator="ML", missing="fiml")


def test_converges_and_warns_like_lavaan(fit):
    res = fit["result"]
    assert res.converged and FX["model"]["converged"]
    assert any("smallest eigenvalue of the EM" in w for w in FX["meta"]["warnings"])  # lavaan's own warning
    assert any(w.startswith("the EM saturated (h1) covariance is near-singular") for w in res.warnings)


def test_fit_measures_match_lavaan(fit):
    ref = FX["model"]["fit"]
    for r_key, key in FIT.items():
        assert fit["result"].fit[key] == pytest.approx(ref[r_key], abs=TOL), key
    for r_key, key in FIT_H1.items():
        assert fit["result"].fit[key] == pytest.approx(ref[r_key], rel=REL_H1), key


def test_standardized_loadings_match_lavaan(fit):
    ref = pd.DataFrame(FX["model"]["estimates"])
    ref = ref[ref["op"] == "=~"].set_index(["lhs", "rhs"])
    est = fit["estimates"]
    est = est[est["op"] == "=~"].set_index(["lhs", "rhs"])
    assert len(est) == len(ref) == 79
    for key in ref.index:
        assert est.loc[key, "est"] == pytest.approx(ref.loc[key, "est"], abs=TOL), key
        assert est.loc[key, "std_all"] == pytest.approx(ref.loc[key, "std_all"], abs=TOL), key


def test_cr_ave_match_semtools(fit):
    t = val.cr_ave_table(fit["estimates"], fit["sample_cov"], obs_var=True).set_index("construct")
    for f, cr in FX["compRelSEM_default"].items():
        assert t.loc[f, "cr"] == pytest.approx(cr, abs=TOL), f
        assert t.loc[f, "ave"] == pytest.approx(FX["AVE"][f], abs=TOL), f


def test_small_sample_chisq_matches_semtools(fit):
    ours = small_sample_of_fit(fit["result"], fit["prepared"].spec)
    ref = FX["chisqSmallN"]
    assert ours["statistic"] == "chisq"
    for m, rm in {"swain": "swain", "yuan_2015": "yuan.2015", "yuan_2005": "yuan.2005", "bartlett": "bartlett"}.items():
        assert ours[m]["factor"] == pytest.approx(ref[rm]["smallN.factor"], abs=1e-10)
        assert ours[m]["chisq"] == pytest.approx(ref[rm]["chisq"], rel=REL_H1)
        assert ours[m]["pvalue"] == pytest.approx(ref[rm]["pvalue"], abs=TOL)
