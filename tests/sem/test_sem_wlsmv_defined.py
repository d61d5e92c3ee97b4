"""WLSMV with ``:=`` definitions against lavaan 0.6-14 (tests/r/wlsmv_defined.R ->
tests/r/results/wlsmv_defined.json): a chain of factors (ordered x1-x6 of HS cut at their terciles,
continuous x7-x9 at its end) with its indirect effect defined, as P4's model (b). Estimates,
delta-method SEs, z, p and std.all of the labelled and defined rows at 1e-3."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from surveysem.errors import SurveySemError
from surveysem.sem import fit_model

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = json.loads((ROOT / "r" / "results" / "wlsmv_defined.json").read_text())
ORDERED = [f"x{i}" for i in range(1, 7)]


@pytest.fixture(scope="module")
def result():
    hs = pd.read_csv(ROOT / "r" / "data" / "hs.csv")
    cut = pd.read_csv(ROOT / "r" / "data" / "hs_ordinal3.csv")
    data = pd.concat([cut[ORDERED], hs[["x7", "x8", "x9"]]], axis=1)
    return fit_model(FIXTURE["syntax"], data, estimator="WLSMV", ordered=ORDERED)


def test_defined_parameters_match_lavaan(result):
    e = result.estimates
    assert result.converged
    for ref in FIXTURE["estimates"]:
        row = e[(e.lhs == ref["lhs"]) & (e.op == ref["op"]) & (e.rhs == ref["rhs"])]
        assert len(row) == 1, ref
        for key in ("est", "se", "z", "pvalue", "std_all"):
            assert float(row[key].iloc[0]) == pytest.approx(ref[key], abs=1e-3), (ref["lhs"], key)
    for key, ours in (("chisq.scaled", "chisq_scaled"), ("cfi.scaled", "cfi_scaled"), ("srmr", "srmr")):
        assert result.fit[ours] == pytest.approx(FIXTURE["fit"][key], abs=1e-3), key


def test_constraints_between_expressions_are_still_refused():
    hs = pd.read_csv(ROOT / "r" / "data" / "hs_ordinal3.csv")
    syntax = "visual =~ x1 + a*x2 + b*x3\na == 2*b\n"
    with pytest.raises(SurveySemError, match="constraints between expressions"):
        fit_model(syntax, hs, ordered=["x1", "x2", "x3"])
