"""lavaan syntax parser and model building of surveysem.sem."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from surveysem.errors import SurveySemError
from surveysem.sem import build_partable, fit_model, parse_syntax

HS = Path(__file__).resolve().parents[1] / "r" / "data" / "hs.csv"


def test_parse_operators_and_modifiers():
    m = parse_syntax(
        """
        # a comment
        visual =~ x1 + a*x2 +
                  start(0.5)*x3   ! another comment
        textual =~ NA*x4 + 1*x5 + x6
        x1 ~~ c(0.3, NA)*x2
        y ~ 1 + x1; z ~ 0*1
        ab := a*b^2
        """
    )
    t = [(x.lhs, x.op, x.rhs) for x in m.terms]
    assert t[:3] == [("visual", "=~", "x1"), ("visual", "=~", "x2"), ("visual", "=~", "x3")]
    assert m.terms[1].mod.label == ["a"]
    assert m.terms[2].mod.start == [0.5]
    assert m.terms[3].mod.fixed == [None]  # NA frees the marker
    assert m.terms[4].mod.fixed == [1.0]
    assert m.terms[6].mod.fixed == [0.3, None]
    assert ("y", "~1", "") in t and ("y", "~", "x1") in t and ("z", "~1", "") in t
    assert m.definitions[0].name == "ab" and m.definitions[0].expr == "a*b**2"


@pytest.mark.parametrize(
    "bad,token",
    [
        ("f =~", "f =~"),
        ("f =~ x1 +", ""),
        ("f =~ x1 + + x2", ""),
        ("just words", "just words"),
        ("f =~ 2x", "2x"),
        ("x1 ~~ 1", "1"),
        ("f =~ x1 + x2\nd := a +* b", "a +* b"),
        ("f =~ foo(1)*x1", "foo(1)"),
    ],
)
def test_syntax_errors_name_line_and_token(bad, token):
    with pytest.raises(SurveySemError) as err:
        parse_syntax(bad)
    msg = str(err.value)
    assert "line" in msg
    assert repr(token) in msg
    assert "\n" not in msg


def test_syntax_error_reports_line_number():
    with pytest.raises(SurveySemError, match="line 3"):
        parse_syntax("f =~ x1 + x2 + x3\n\ng =~ x4 + 3y")


def test_unknown_variable_is_named():
    data = pd.read_csv(HS)
    with pytest.raises(SurveySemError, match="'x99'"):
        fit_model("f =~ x1 + x2 + x99", data)


def test_unknown_label_in_definition():
    data = pd.read_csv(HS)
    with pytest.raises(SurveySemError, match="'zz'"):
        fit_model("f =~ x1 + a*x2 + x3\nd := a*zz", data)


def test_non_numeric_column():
    data = pd.read_csv(HS)
    data["x2"] = data["x2"].astype(str)
    data.loc[4, "x2"] = "seven"
    with pytest.raises(SurveySemError) as err:
        fit_model("f =~ x1 + x2 + x3", data)
    assert "x2" in str(err.value) and "row 6" in str(err.value)


def test_lavaan_defaults_for_sem():
    # PoliticalDemocracy-like structure: free covariances among exogenous latents,
    # none between dependent latents, fixed.x for observed covariates
    spec = build_partable(
        parse_syntax("A =~ a1 + a2 + a3\nB =~ b1 + b2 + b3\nC =~ c1 + c2\nD =~ d1 + d2\nC ~ A + B + z\nD ~ C + A"),
    )
    rows = {(r.lhs, r.op, r.rhs): r for r in spec.rows}
    assert not rows[("A", "=~", "a1")].free and rows[("A", "=~", "a1")].value == 1.0
    assert rows[("A", "~~", "B")].free
    assert ("C", "~~", "D") not in rows
    assert rows[("z", "~~", "z")].exo and not rows[("z", "~~", "z")].free
    assert rows[("C", "~~", "C")].free and rows[("D", "~~", "D")].free
    assert spec.ov_x == ["z"]
    # two pure dependent latents get a free residual covariance (auto.cov.y)
    spec2 = build_partable(parse_syntax("A =~ a1 + a2\nC =~ c1 + c2\nD =~ d1 + d2\nC ~ A\nD ~ A"))
    rows2 = {(r.lhs, r.op, r.rhs): r for r in spec2.rows}
    assert rows2[("C", "~~", "D")].free


def test_std_lv_and_single_indicator():
    spec = build_partable(parse_syntax("f =~ x1 + x2 + x3\ng =~ x4\ng ~ f"), std_lv=True)
    rows = {(r.lhs, r.op, r.rhs): r for r in spec.rows}
    assert rows[("f", "=~", "x1")].free
    assert not rows[("f", "~~", "f")].free and rows[("f", "~~", "f")].value == 1.0
    assert not rows[("x4", "~~", "x4")].free and rows[("x4", "~~", "x4")].value == 0.0


def test_shared_labels_are_one_parameter():
    spec = build_partable(parse_syntax("f =~ x1 + a*x2 + a*x3"))
    rows = {(r.lhs, r.op, r.rhs): r for r in spec.rows}
    assert rows[("f", "=~", "x2")].par == rows[("f", "=~", "x3")].par
    assert spec.npar == 5  # one shared loading, 3 residual variances, 1 factor variance
