"""Partial invariance against lavaan 0.6-14 (tests/r/hs_partial_invariance.R ->
tests/r/results/hs_partial_invariance.json): user labels inside ``group.equal`` and
``group.partial``, on Holzinger-Swineford by school. One test per quantity, 1e-3 absolute.

* ``metric_labels``: ``group.equal = "loadings"`` with ``c(l3a,l3b)*x3``: the labelled loading
  stays free across groups (lavaan: df 53, chisq 123.513; ignoring the labels gives the full
  metric model, df 54, chisq 124.044);
* ``metric_partial``: the same model by ``group.partial = "visual=~x3"``;
* ``scalar_partial``: ``group.equal = c("loadings", "intercepts"), group.partial = "x3~1"``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest

from surveysem.errors import SurveySemError
from surveysem.sem import fit_model, invariance_sequence, prepare_model

ROOT = Path(__file__).resolve().parents[1]
FX = json.loads((ROOT / "r" / "results" / "hs_partial_invariance.json").read_text())
TOL = 1e-3
MODELS = list(FX["models"])
FIT = {"chisq": "chisq", "df": "df", "pvalue": "pvalue", "cfi": "cfi", "tli": "tli", "rmsea": "rmsea", "srmr": "srmr",
       "npar": "npar"}
_CACHE = {}


def _fit(name):
    if name not in _CACHE:
        block = FX["models"][name]
        hs = pd.read_csv(ROOT / "r" / "data" / "hs.csv")
        _CACHE[name] = fit_model(block["syntax"], hs, group="school", group_equal=tuple(block["group_equal"]),
                                 group_partial=tuple(block["group_partial"]))
    return _CACHE[name]


def _rows(name):
    return [e for e in FX["models"][name]["estimates"] if e["op"] != "=="]


@pytest.mark.parametrize("name", MODELS)
def test_converged_without_warnings(name):
    res = _fit(name)
    assert res.converged and not res.warnings
    assert res.group_labels == FX["group_labels"]


@pytest.mark.parametrize("key", list(FIT))
@pytest.mark.parametrize("name", MODELS)
def test_fit_measure(name, key):
    ref = FX["models"][name]["fit"][key]
    assert _fit(name).fit[FIT[key]] == pytest.approx(ref, abs=TOL)


@pytest.mark.parametrize("name", MODELS)
def test_row_order(name):
    e = _fit(name).estimates
    ours = list(zip(e.lhs, e.op, e.rhs, e.group))
    assert ours == [(r["lhs"], r["op"], r["rhs"], r["group"]) for r in _rows(name)]


@pytest.mark.parametrize("field", ["est", "se"])
@pytest.mark.parametrize("name", MODELS)
def test_estimates(name, field):
    e = _fit(name).estimates
    bad = [(r["lhs"], r["op"], r["rhs"], r["group"], r[field], ours)
           for r, ours in zip(_rows(name), e[field]) if not math.isclose(ours, r[field], abs_tol=TOL)]
    assert not bad


@pytest.mark.parametrize("name", MODELS)
def test_freed_parameter_differs_across_groups(name):
    e = _fit(name).estimates
    lhs, op, rhs = ("x3", "~1", "") if name == "scalar_partial" else ("visual", "=~", "x3")
    sel = e[(e.lhs == lhs) & (e.op == op) & (e.rhs == rhs)]
    assert len(sel) == 2 and sel.par.nunique() == 2


def test_labels_equal_to_partial():
    a, b = _fit("metric_labels"), _fit("metric_partial")
    assert a.fit["chisq"] == pytest.approx(b.fit["chisq"], abs=1e-6)


def test_group_partial_in_prepare_model():
    hs = pd.read_csv(ROOT / "r" / "data" / "hs.csv")
    block = FX["models"]["metric_partial"]
    levels = list(pd.unique(hs["school"].astype(str)))
    pm = prepare_model(block["syntax"], list(hs.columns), group="school", group_levels=levels,
                       group_equal=("loadings",), group_partial="visual=~x3")
    assert pm.spec.npar == FX["models"]["metric_partial"]["fit"]["npar"]


def test_invariance_sequence_group_partial():
    hs = pd.read_csv(ROOT / "r" / "data" / "hs.csv")
    block = FX["models"]["scalar_partial"]
    tab = invariance_sequence(block["syntax"], hs, "school", group_partial=("x3~1",))
    assert tab.chisq.iloc[2] == pytest.approx(block["fit"]["chisq"], abs=TOL)
    assert tab.df.iloc[2] == block["fit"]["df"]


def test_unknown_group_partial_name():
    hs = pd.read_csv(ROOT / "r" / "data" / "hs.csv")
    with pytest.raises(SurveySemError, match="group_partial: 'visual=~x99' is not a parameter"):
        fit_model(FX["models"]["metric_partial"]["syntax"], hs, group="school", group_equal=("loadings",),
                  group_partial=("visual=~x99",))
