"""lavaan's model options (``orthogonal``, ``meanstructure``, ``std.lv``, ``auto.fix.first``) against
lavaan 0.6-14 (tests/r/sem_constraints.R -> ``options`` of tests/r/results/sem_constraints.json), their
dotted and snake_case spellings in the api and ``surveysem fit --option``, and the one-line
"not supported:" refusals of what lavaan accepts and surveysem does not fit. Estimates, SEs, std.all
and fit measures at 1e-3 (observed differences below 1e-5)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from surveysem.cli import main
from surveysem.errors import SurveySemError
from surveysem.sem import fit_model, parse_syntax, prepare_model
from surveysem.sem.options import normalise_options, parse_option_strings
from tests.sem.test_sem_fixtures import DATA, _load, check_estimates, check_fit

# read once at collection: small files, and every test here reads them
FIXTURE = _load("sem_constraints.json")
HS = pd.read_csv(DATA / "hs.csv")
HS_MODEL = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9\n"


@pytest.mark.parametrize(
    "name,options",
    [
        ("orthogonal", {"orthogonal": True}),
        ("orthogonal_user_cov", {"orthogonal": "TRUE"}),
        ("meanstructure", {"meanstructure": True}),
        ("auto_fix_first_false", {"auto.fix.first": False}),
        ("auto_fix_first_false", {"auto_fix_first": False}),
        ("std_lv", {"std.lv": True}),
        ("std_lv", {"std_lv": True}),
    ],
)
def test_options_match_lavaan(name, options):
    block = FIXTURE["options"][name]
    res = fit_model(block["syntax"], HS, **options)
    assert res.converged and not res.warnings
    check_fit(res, block)
    check_estimates(res, block)


def test_lavaan_cfa_resets_auto_fix_first():
    # why auto_fix_first_false is a lavaan() fit: cfa() ignores auto.fix.first = FALSE
    assert FIXTURE["cfa_auto_fix_first"] is True
    assert FIXTURE["options"]["auto_fix_first_false"]["options"]["auto.fix.first"] is False


def test_orthogonal_keeps_user_covariances():
    spec = prepare_model(HS_MODEL + "visual ~~ textual", list(HS.columns), orthogonal=True).spec
    cov = {(r.lhs, r.rhs): r.free for r in spec.rows if r.op == "~~" and r.lhs != r.rhs}
    assert cov == {("visual", "textual"): True, ("visual", "speed"): False, ("textual", "speed"): False}


def test_dotted_and_snake_case_spellings_agree():
    a = fit_model(HS_MODEL, HS, group="school", **{"group.equal": "loadings,intercepts",
                                                   "group.partial": ["visual=~x3"], "std.lv": True})
    b = fit_model(HS_MODEL, HS, group="school", group_equal=("loadings", "intercepts"),
                  group_partial=("visual=~x3",), std_lv=True)
    assert a.fit["chisq"] == pytest.approx(b.fit["chisq"], abs=1e-10) and a.fit["df"] == b.fit["df"]
    assert normalise_options({"auto.fix.first": "FALSE", "meanstructure": "default"}) == {
        "auto_fix_first": False, "meanstructure": None}
    assert prepare_model(HS_MODEL, list(HS.columns), **{"std.lv": True}).std_lv is True


@pytest.mark.parametrize(
    "options,message",
    [
        ({"std.lv": False, "std_lv": True}, "given twice"),
        ({"fixed.x": False}, r"^not supported: lavaan option fixed\.x = False; state the covariates"),
        ({"se": "bootstrap"}, r"^not supported: lavaan option se = 'bootstrap'; use estimator MLR or MLM"),
        ({"bounds": "standard"}, r"^not supported: lavaan option bounds .*inequality constraints"),
        ({"sampling.weights": "w"}, r"^not supported: lavaan option sampling\.weights"),
        ({"cluster": "school"}, r"^not supported: lavaan option cluster .*single-level"),
        ({"orthogonal.x": True}, r"^not supported: lavaan option orthogonal\.x .*use orthogonal"),
        ({"effect.coding": True}, r"^not supported: lavaan option effect\.coding .*== 3"),
        ({"estimator.args": {}}, r"^not supported: lavaan option estimator\.args"),
        ({"colour": "red"}, r"^unknown option 'colour'"),
    ],
)
def test_option_refusals(options, message):
    with pytest.raises(SurveySemError, match=message):
        fit_model(HS_MODEL, HS, **options)
    with pytest.raises(SurveySemError, match=message):
        prepare_model(HS_MODEL, list(HS.columns), **options)


def test_prepared_models_refuse_ordered_items():
    # fit_model takes ordered=[...] (WLSMV, tests/sem/test_sem_wlsmv.py); a prepared model is continuous
    with pytest.raises(SurveySemError, match=r"^not supported: lavaan option ordered .*fit_model\(\.\.\., ordered="):
        prepare_model(HS_MODEL, list(HS.columns), ordered=["x1"])


def test_options_at_the_value_used_are_accepted():
    res = fit_model(HS_MODEL, HS, **{"fixed.x": True, "likelihood": "normal", "int.ov.free": "TRUE"})
    assert res.converged


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"estimator": "WLSMV"}, r"^estimator WLSMV is for ordered indicators: give ordered="),
        ({"estimator": "ULS"}, r"^not supported: estimator ULS"),
        ({"missing": "pairwise"}, r"^not supported: missing = pairwise; use fiml"),
        ({"missing": "two.stage"}, r"^not supported: missing = two\.stage"),
        ({"estimator": "MLM", "missing": "ml"}, r"^not supported: estimator MLM with missing = fiml.*MLR"),
        ({"meanstructure": False, "missing": "fiml"}, r"^not supported: meanstructure = FALSE with groups or"),
    ],
)
def test_estimator_and_missing_refusals(kwargs, message):
    with pytest.raises(SurveySemError, match=message):
        fit_model(HS_MODEL, HS, **kwargs)


@pytest.mark.parametrize(
    "syntax,message",
    [
        ("f <~ x1 + x2 + x3", r"^not supported: formative indicators \('<~'.*reflective indicators"),
        ("f =~ x1 + x2 + x3\nx1 ~*~ x1", r"^not supported: scaling factors"),
        ("level: 1\nf =~ x1 + x2 + x3", r"^not supported: block statements"),
        ("x1 ~ x2 + x2:x3", r"^not supported: block statements .*interaction terms.*product as a column"),
        ("f =~ lower(0)*x1 + x2 + x3", r"^not supported: the lower\(\) modifier; .*inequality constraint"),
        ("f =~ x1 + upper(2)*x2 + x3", r"^not supported: the upper\(\) modifier"),
        ('efa("b")*f =~ x1 + x2 + x3', r"^not supported: the efa\(\) modifier; .*EFA"),
        ("f =~ x1 + prior('normal(0,1)')*x2 + x3", r"^not supported: the prior\(\) modifier"),
        ("f =~ x1 + x2 + x3\nx1 ~ x2 + 0.5?x3", r"model syntax, line 2"),
    ],
)
def test_unsupported_syntax_is_one_line(syntax, message):
    with pytest.raises(SurveySemError, match=message) as err:
        parse_syntax(syntax)
    assert "\n" not in str(err.value)


def test_diagnostics_refuse_general_constraints():
    res = fit_model("visual =~ x1 + a*x2 + b*x3\ntextual =~ x4 + x5 + x6\na > b", HS)
    with pytest.raises(SurveySemError, match="^not supported: modification indices of a model with inequality"):
        res.modindices()
    with pytest.raises(SurveySemError, match="^not supported: score tests"):
        res.score_test()


def test_parse_option_strings():
    assert parse_option_strings(["std.lv=TRUE", "group.partial=visual=~x3", "group_equal='loadings'"]) == {
        "std.lv": "TRUE", "group.partial": "visual=~x3", "group_equal": "loadings"}
    with pytest.raises(SurveySemError, match="NAME=VALUE"):
        parse_option_strings(["orthogonal"])


def _model_file(directory):
    path = directory / "hs.lav"
    path.write_text(HS_MODEL)
    return path


def test_cli_options_match_lavaan(tmp_path, capsys):
    model_file = _model_file(tmp_path)
    ref = FIXTURE["options"]["orthogonal"]["fit"]
    assert main(["fit", str(model_file), str(DATA / "hs.csv"), "--option", "orthogonal=TRUE", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["fit"]["chisq"] == pytest.approx(ref["chisq"], abs=1e-3) and out["fit"]["df"] == ref["df"]
    ref = FIXTURE["options"]["meanstructure"]["fit"]
    assert main(["fit", str(model_file), str(DATA / "hs.csv"), "--option", "meanstructure=TRUE",
                 "--option", "std_lv=TRUE", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["fit"]["npar"] == ref["npar"] and out["fit"]["srmr"] == pytest.approx(ref["srmr"], abs=1e-3)


def test_cli_option_refused_in_one_line(tmp_path, capsys):
    model_file = _model_file(tmp_path)
    assert main(["fit", str(model_file), str(DATA / "hs.csv"), "--option", "cluster=school"]) == 1
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "error: not supported: lavaan option cluster" in err


def test_several_left_hand_sides_in_lavaans_order():
    terms = parse_syntax("visual + textual ~ ageyr + grade").terms
    assert [(t.lhs, t.rhs) for t in terms] == [("visual", "ageyr"), ("visual", "grade"),
                                               ("textual", "ageyr"), ("textual", "grade")]


@pytest.mark.parametrize(
    "syntax,options,message",
    [
        ("f =~ a*x1 + b*x2 + x3\nd := pnorm(a)", {}, r"^not supported: the function pnorm\(\) in an expression .*sqrt"),
        (HS_MODEL, {"group": "school", "group_equal": ("loadings", "thresholds")},
         r"^not supported: group_equal 'thresholds' \(ordered indicators"),
    ],
)
def test_other_lavaan_features_refused(syntax, options, message):
    with pytest.raises(SurveySemError, match=message):
        fit_model(syntax, HS, **options)
