"""Case influences of an ML fit (surveysem.sem.influence) against two independent computations.

* ``sum_i IF_i IF_i'`` is the Huber-White sandwich: equal to MLR's covariance matrix of the same
  FIML fit (itself checked against lavaan in tests/sem/test_diagnostics_fiml.py and the MLR
  fixtures) to 1e-10 (the same arithmetic in another order);
* leaving a case out moves the estimates by about ``-IF_i`` (the first-order expansion): within
  5 % of the largest change, the size of the second-order term at n = 262.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from surveysem.errors import SurveySemError
from surveysem.sem.api import fit_model
from surveysem.sem.influence import case_influence

DATA = Path(__file__).resolve().parents[1] / "r" / "data" / "latent_p1.csv"
ITEMS = [f"PDC{k}" for k in range(1, 6)]
MODEL = "PDC =~ " + " + ".join(ITEMS)


@pytest.fixture(scope="module")
def items():
    x = pd.read_csv(DATA)[ITEMS]
    assert x.isna().any().any()  # FIML over several missing-data patterns
    return x


@pytest.fixture(scope="module")
def fiml_fit(items):
    return fit_model(MODEL, items, missing="fiml", std_lv=True)


def test_influences_sum_to_the_mlr_sandwich(items, fiml_fit):
    IF = case_influence(fiml_fit)
    assert IF.shape == (len(items), len(fiml_fit.free_params))
    mlr = fit_model(MODEL, items, missing="fiml", std_lv=True, estimator="MLR")
    np.testing.assert_allclose(IF.T @ IF, np.asarray(mlr.vcov), atol=1e-10)
    assert np.abs(IF.sum(axis=0)).max() < 1e-7  # the scores sum to zero at the estimate


@pytest.mark.parametrize("row", [0, 5, 100])
def test_leaving_a_case_out_moves_the_estimates_by_minus_its_influence(items, fiml_fit, row):
    IF = case_influence(fiml_fit)[row]
    out = fit_model(MODEL, items.drop(index=row).reset_index(drop=True), missing="fiml", std_lv=True)
    change = out.free_params - fiml_fit.free_params
    assert np.abs(change + IF).max() < 0.05 * np.abs(change).max()


def test_rows_follow_the_data_not_the_missing_data_patterns(items, fiml_fit):
    """Reordering the data reorders the influences the same way."""
    order = np.random.default_rng(1).permutation(len(items))
    shuffled = fit_model(MODEL, items.iloc[order].reset_index(drop=True), missing="fiml", std_lv=True)
    np.testing.assert_allclose(case_influence(shuffled), case_influence(fiml_fit)[order], atol=1e-8)


def test_multigroup_fits_are_refused(items):
    d = items.assign(g=np.arange(len(items)) % 2)
    res = fit_model(MODEL, d, missing="fiml", std_lv=True, group="g")
    with pytest.raises(SurveySemError, match="single-group"):
        case_influence(res)
