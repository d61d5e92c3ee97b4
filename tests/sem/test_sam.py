"""Local SAM (:func:`surveysem.sem.fit_sam`) against lavaan 0.6-14's ``sam(sam.method = "local")``
with its defaults (tests/r/sam_local.R -> tests/r/results/sam_local.json), at 1e-3 absolute.

Models: ``poldem`` (PoliticalDemocracy, saturated structural part), ``hs`` (Holzinger-Swineford,
structural chain with df = 1), ``covariate`` (observed outcome on two factors and an observed
fixed-x control), ``small`` (n = 60, factors correlated 0.97: the lambda correction of VETA
is active), ``poldem_rescov`` (residual covariances within and across blocks) and
``hs_defined`` (labelled paths and a defined indirect effect ``ab := a*b``)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from surveysem.errors import SurveySemError
from surveysem.sem import fit_sam
from surveysem.sem.sam import latent_moments, ml_mapping, smallest_root

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = json.loads((ROOT / "r" / "results" / "sam_local.json").read_text())
DATA = {
    "poldem": "poldem.csv",
    "hs": "hs.csv",
    "covariate": "sam_covariate.csv",
    "small": "sam_small.csv",
    "poldem_rescov": "poldem.csv",
    "hs_defined": "hs.csv",
}
MODELS = list(DATA)
TOL = 1e-3


@pytest.fixture(scope="module")
def fits():
    return {k: fit_sam(FIXTURE[k]["syntax"], pd.read_csv(ROOT / "r" / "data" / f)) for k, f in DATA.items()}


def _row(res, e):
    t = res.estimates
    hit = t[(t.lhs == e["lhs"]) & (t.op == e["op"]) & (t.rhs == e["rhs"])]
    assert len(hit) == 1, (e["lhs"], e["op"], e["rhs"])
    return hit.iloc[0]


def _check_field(res, model, field):
    bad = []
    for e in FIXTURE[model]["estimates"]:
        ref = e[field]
        if ref is None:
            continue
        ours = _row(res, e)[field]
        if not abs(float(ours) - ref) <= TOL:
            bad.append((e["lhs"], e["op"], e["rhs"], ref, ours))
    assert not bad, bad


@pytest.mark.parametrize("model", MODELS)
def test_rows_in_lavaan_order(fits, model):
    ref = [(e["lhs"], e["op"], e["rhs"]) for e in FIXTURE[model]["estimates"]]
    assert list(zip(fits[model].estimates.lhs, fits[model].estimates.op, fits[model].estimates.rhs)) == ref


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("field", ["est", "se", "z", "pvalue", "ci_lower", "ci_upper", "std_all", "std_all_se"])
def test_structural_estimates(fits, model, field):
    _check_field(fits[model], model, field)


@pytest.mark.parametrize("model", MODELS)
def test_veta(fits, model):
    veta = fits[model].veta
    for row in FIXTURE[model]["veta"]:
        for col, ref in row.items():
            if col != "row":
                assert abs(veta.loc[row["row"], col] - ref) <= TOL, (row["row"], col)


@pytest.mark.parametrize("model", MODELS)
def test_lambda_correction(fits, model):
    assert abs(fits[model].lambda_correction - FIXTURE[model]["lambda_correction"]) <= TOL


def test_lambda_correction_active_in_small():
    ref = FIXTURE["small"]
    assert ref["lambda_correction"] < ref["lambda_cutoff"]


@pytest.mark.parametrize("model", MODELS)
def test_reliability(fits, model):
    for v, ref in FIXTURE[model]["rel"].items():
        assert abs(fits[model].reliability[v] - ref) <= TOL, v


@pytest.mark.parametrize("model", MODELS)
def test_step1_loadings(fits, model):
    lam = fits[model].loadings
    for row in FIXTURE[model]["LAMBDA"]:
        for col, ref in row.items():
            if col != "row":
                assert abs(lam.loc[row["row"], col] - ref) <= TOL, (row["row"], col)


@pytest.mark.parametrize("model", MODELS)
def test_step1_residual_variances(fits, model):
    th = fits[model].theta
    for v, ref in FIXTURE[model]["theta_diag"].items():
        assert abs(th.loc[v, v] - ref) <= TOL, v


@pytest.mark.parametrize("model", MODELS)
def test_structural_fit(fits, model):
    ref = FIXTURE[model]["struc_fit"]
    for k in ("chisq", "df", "cfi", "rmsea", "srmr"):
        if ref[k] is not None:
            assert abs(fits[model].structural_fit[k] - ref[k]) <= TOL, k


@pytest.mark.parametrize("model", MODELS)
def test_nobs_and_no_warnings(fits, model):
    assert fits[model].nobs == FIXTURE[model]["nobs"]
    expected = []
    if model == "poldem_rescov":  # lavaan's local SAM drops the residual covariances across blocks
        dropped = "y1 ~~ y5, y2 ~~ y6, y3 ~~ y7, y4 ~~ y8"
        expected = [f"local SAM ignores (fixes to 0) parameters outside every block and the structural part: {dropped}"]
    assert fits[model].converged and fits[model].warnings == expected


def test_mapping_recovers_lambda():
    lam = np.array([[1.0, 0], [0.8, 0], [0, 1.0], [0, 1.2]])
    th = np.diag([0.5, 0.4, 0.3, 0.6])
    assert np.allclose(ml_mapping(lam, th) @ lam, np.eye(2))


def test_smallest_root_matches_generalised_eigenvalue():
    rng = np.random.default_rng(3)
    a = rng.normal(size=(3, 3))
    m = a @ a.T + np.eye(3)
    p = np.diag([0.5, 0.2, 0.3])
    ref = np.min(np.linalg.eigvals(np.linalg.solve(p, m)).real)
    assert abs(smallest_root(m, p) - ref) < 1e-10


def test_latent_moments_without_correction_is_msm_minus_mtm():
    mg = np.eye(2)
    s = np.array([[2.0, 0.5], [0.5, 2.0]])
    th = np.diag([0.2, 0.3])
    veta, lam, rel = latent_moments(s, mg, th, 100)
    assert lam > 1 and np.allclose(veta, s - th) and np.allclose(rel, np.diag(s - th) / np.diag(s))


def test_listwise_drops_incomplete_rows():
    pd_data = pd.read_csv(ROOT / "r" / "data" / "poldem.csv")
    holed = pd_data.copy()
    holed.loc[0, "x1"] = np.nan
    res = fit_sam(FIXTURE["poldem"]["syntax"], holed)
    assert res.nobs == len(pd_data) - 1 and res.n_dropped == 1


def test_model_without_latent_variables_is_an_error():
    with pytest.raises(SurveySemError, match="no latent variables"):
        fit_sam("x2 ~ x1", pd.read_csv(ROOT / "r" / "data" / "hs.csv"))
