"""The fit gate of the verdict rule and the P4 model-choice rule (issue 17, item 4).

Hand-made fit values and comparisons; the verdict functions of the propositions stage on them.
A verdict read from a model with CFI .80 (as the bundled run's P4) is never plain "supported".
"""

import pandas as pd
import pytest

import survey_kit as kit
from surveysem.errors import SurveySemError
from surveysem.propositions import fit_gate as fg
from surveysem.propositions.hypotheses import parse_hypotheses, proposition_verdict, rule_text
from surveysem.propositions.model_choice import NOT_ASSESSABLE_CHOICE, choose_p4_model
from surveysem.propositions.settings import check_settings

HU_BENTLER = {"cfi": 0.95, "tli": 0.95, "rmsea": 0.08, "srmr": 0.08, "action": "flag"}
GOOD = {"df": 24, "cfi": 0.97, "tli": 0.96, "rmsea": 0.04, "srmr": 0.05}
BUNDLED_P4 = {"df": 1581, "cfi": 0.80, "tli": 0.79, "rmsea": 0.07, "srmr": 0.09}  # the fit issue 17 reported


# --------------------------------------------------------------------------- the gate on fit values
def test_a_well_fitting_model_passes():
    outcome, words = fg.judge_fit(fg.gate_indices(GOOD), HU_BENTLER)
    assert outcome == fg.PASS and words.startswith("passes the fit gate (CFI .970, TLI .960")


@pytest.mark.parametrize("index, value, shown", [("cfi", 0.94, "CFI .940 < .950"), ("tli", 0.90, "TLI .900 < .950"),
                                                 ("rmsea", 0.081, "RMSEA .081 > .080"), ("srmr", 0.10, "SRMR .100 > .080")])
def test_each_index_alone_fails_the_gate(index, value, shown):
    outcome, words = fg.judge_fit(fg.gate_indices({**GOOD, index: value}), HU_BENTLER)
    assert outcome == fg.FAIL and fg.failures(fg.gate_indices({**GOOD, index: value}), HU_BENTLER) == [shown]
    assert shown in words


def test_a_relaxed_gate_passes_cfi_and_tli_above_90():
    fit = {**GOOD, "cfi": 0.92, "tli": 0.91}
    assert fg.judge_fit(fg.gate_indices(fit), HU_BENTLER)[0] == fg.FAIL
    assert fg.judge_fit(fg.gate_indices(fit), {**HU_BENTLER, "cfi": 0.90, "tli": 0.90})[0] == fg.PASS


def test_robust_indices_of_an_mlr_fit_come_first():
    fit = {**GOOD, "cfi": 0.97, "cfi_robust": 0.93, "rmsea_robust": float("nan")}
    values = fg.gate_indices(fit)
    assert values["cfi"] == 0.93 and values["rmsea"] == 0.04  # a NaN robust value falls back to ML


def test_a_saturated_or_index_free_model_has_no_fit_indices():
    assert fg.sem_gate({"df": 0, "cfi": 1.0, "rmsea": 0.0}, HU_BENTLER, "m")[0] == fg.NO_INDICES
    assert fg.sem_gate({}, HU_BENTLER, "m") == (fg.NO_INDICES, "m: no fit indices")
    assert fg.latent_gate(None, HU_BENTLER)[0] == fg.NO_INDICES


def test_sam_is_judged_by_its_measurement_blocks_with_df_above_zero():
    blocks = {"PDC": {**GOOD, "df": 5}, "SOE": {**GOOD, "df": 5, "cfi": 0.93}, "CUS": {"df": 0, "cfi": 1.0}}
    outcome, words = fg.sam_gate(blocks, HU_BENTLER)
    assert outcome == fg.FAIL and "CFI .930 < .950" in words  # the worst block decides
    assert "measurement blocks PDC, SOE" in words and "CUS just identified" in words and "saturated" in words
    just = {"PDC": {"df": 0, "cfi": 1.0}, "SOE": {"df": 0}}
    outcome, words = fg.latent_gate({"basis": "sam_blocks", "fits": just}, HU_BENTLER)
    assert outcome == fg.NO_INDICES and "no fit indices (the structural model is saturated" in words


# --------------------------------------------------------------------------- the actions
@pytest.mark.parametrize("verdict", ["supported", "not supported"])
def test_flag_keeps_the_verdict_and_not_assessable_replaces_it(verdict):
    assert fg.gated_verdict(verdict, fg.FAIL, "flag") == verdict
    assert fg.flagged_text(verdict, fg.FAIL) == f"{verdict}, but the model fits poorly"
    assert fg.gated_verdict(verdict, fg.FAIL, "not_assessable") == fg.NOT_ASSESSABLE_FIT
    assert fg.gated_verdict(verdict, fg.PASS, "not_assessable") == verdict
    assert fg.gated_verdict("not estimable", fg.FAIL, "not_assessable") == "not estimable"
    assert proposition_verdict(["supported", fg.NOT_ASSESSABLE_FIT]) == fg.NOT_ASSESSABLE_FIT


def _latent_result(block_cfi: float) -> dict:
    fits = {"PDC": {**GOOD, "cfi": block_cfi}, "SOE": GOOD}
    sub = {"id": "P1a", "term": "PDC", "expected": "+", "model": "P1:sam:main", "family": "sam", "est": 0.3, "std_all": 0.2,
           "ci_lower": 0.1, "ci_upper": 0.5, "p_one_sided": 0.001, "p_adjusted": 0.002, "verdict": "supported"}
    return {"estimator": "sam", "estimator_label": "latent SAM", "outcome_scale": "log(spread)", "subhypotheses": [sub],
            "fits": [{"model": "P1:sam:main", "fit_indices": {"basis": "sam_blocks", "fits": fits}}]}


@pytest.mark.parametrize("action, expected", [("flag", "supported"), ("not_assessable", fg.NOT_ASSESSABLE_FIT)])
def test_a_latent_verdict_behind_a_failing_block(action, expected):
    from surveysem.propositions.steps import _regression_verdicts

    (h,) = [h for h in parse_hypotheses(kit.test_config()["hypotheses"]) if h.id == "P1"]
    rule = {**kit.test_config()["verdict_rule"], "fit_gate": {**HU_BENTLER, "action": action}}
    (row,) = _regression_verdicts(h, rule, [], _latent_result(0.90))
    assert row["fit_gate"] == fg.FAIL and row["verdict"] == expected
    (row,) = _regression_verdicts(h, rule, [], _latent_result(0.99))
    assert row["fit_gate"] == fg.PASS and row["verdict"] == "supported"


def test_composite_glms_have_no_fit_indices_and_say_so():
    from surveysem.propositions.steps import _gated

    rows = _gated([{"model": "P1:gamma_log", "verdict": "supported"}], HU_BENTLER, None)
    assert rows[0]["fit_gate"] == fg.NOT_APPLICABLE and "no fit indices" in rows[0]["fit_note"]
    assert rows[0]["verdict"] == "supported"


# --------------------------------------------------------------------------- P4: gate and model choice
def _boot() -> pd.DataFrame:
    return pd.DataFrame([{"model": "b", "parameter": f"total_{p}", "kind": "est", "est": 0.3, "ci_lower": 0.1,
                          "ci_upper": 0.5, "level": 0.95, "B": 2000, "n_ok": 2000}
                         for p in ("sensing", "seizing", "reconfiguring")])


def _p4_rows(fit: dict, comparisons: list[dict], **rule_keys) -> list[dict]:
    from surveysem.propositions.steps import _p4_verdicts

    cfg = kit.test_config()
    p4 = next(h for h in parse_hypotheses(cfg["hypotheses"]) if h.is_sem)
    rule = {**cfg["verdict_rule"], **rule_keys}
    models = {"b": {"converged": True, "fit": fit}}
    return _p4_verdicts(p4, rule, {"models": models, "comparisons": comparisons}, _boot(), None, 0.95)


WORSE = [{"restricted": "b", "general": "a", "delta_chisq": 66.95, "delta_df": 3, "pvalue": 1.9e-14}]
NOT_WORSE = [{"restricted": "b", "general": "a", "delta_chisq": 2.1, "delta_df": 3, "pvalue": 0.55}]


def test_a_p4_model_with_cfi_80_is_not_shown_as_plain_supported():
    rows = _p4_rows(BUNDLED_P4, NOT_WORSE)  # the defaults: flag
    assert [r["verdict"] for r in rows] == ["supported"] * 3 and {r["fit_gate"] for r in rows} == {fg.FAIL}
    assert "CFI .800 < .950; TLI .790 < .950; SRMR .090 > .080" in rows[0]["fit_note"]
    assert fg.flagged_text(rows[0]["verdict"], rows[0]["fit_gate"]) == "supported, but the model fits poorly"
    gated = _p4_rows(BUNDLED_P4, NOT_WORSE, fit_gate={**HU_BENTLER, "action": "not_assessable"})
    assert [r["verdict"] for r in gated] == [fg.NOT_ASSESSABLE_FIT] * 3
    relaxed = _p4_rows({**BUNDLED_P4, "cfi": 0.92, "tli": 0.91, "srmr": 0.06}, NOT_WORSE,
                       fit_gate={**HU_BENTLER, "cfi": 0.90, "tli": 0.90})
    assert {r["fit_gate"] for r in relaxed} == {fg.PASS}


def test_theory_model_significantly_worse_than_a_is_not_assessable():
    rows = _p4_rows(GOOD, WORSE)  # default p4_model_choice: theory_unless_worse
    assert [r["verdict"] for r in rows] == [NOT_ASSESSABLE_CHOICE] * 3
    assert "fits significantly worse than (a): Δχ²(3) = 66.95, p < .001" in rows[0]["model_choice"]
    assert proposition_verdict([r["verdict"] for r in rows]) == NOT_ASSESSABLE_CHOICE
    fixed = _p4_rows(GOOD, WORSE, p4_model_choice={"rule": "fixed", "alpha": 0.05})
    assert [r["verdict"] for r in fixed] == ["supported"] * 3 and "fixed" in fixed[0]["model_choice"]
    kept = _p4_rows(GOOD, NOT_WORSE)
    assert [r["verdict"] for r in kept] == ["supported"] * 3
    assert kept[0]["model_choice"].startswith("theory model (b) used: not significantly worse than (a), Δχ²(3) = 2.10")
    assert kept[0]["model"] == "P4 model (b)"  # never switched


def test_model_choice_on_a_made_up_comparison():
    rule = {"rule": "theory_unless_worse", "alpha": 0.01}
    comp = [{"restricted": "b", "general": "a", "delta_chisq": 9.0, "delta_df": 3, "pvalue": 0.029}]
    assert choose_p4_model(rule, "b", comp)[0] is True  # p = .029 is not below alpha .01
    assert choose_p4_model({**rule, "alpha": 0.05}, "b", comp)[0] is False
    ok, why = choose_p4_model(rule, "b", [])
    assert ok and "no chi-square difference test" in why
    a_in_c = [{"restricted": "a", "general": "c", "delta_chisq": 32.5, "delta_df": 49, "pvalue": 0.97}]
    assert choose_p4_model(rule, "a", a_in_c + comp)[0] is True


# --------------------------------------------------------------------------- config and rule text
def test_the_rule_text_states_the_gate_and_the_model_choice():
    text = rule_text(kit.test_config()["verdict_rule"])
    assert "CFI >= 0.95, TLI >= 0.95, RMSEA <= 0.08 and SRMR <= 0.08" in text
    assert "flagged 'but the model fits poorly'" in text and "No small-sample corrected indices" in text
    assert "unless it fits significantly worse than (a)" in text
    cfg = kit.test_config(verdict_rule={"fit_gate": {"cfi": 0.9, "tli": 0.9, "action": "not_assessable"},
                                        "p4_model_choice": {"rule": "fixed"}})
    text = rule_text(cfg["verdict_rule"])
    assert "CFI >= 0.9" in text and "'not assessable (model fit)'" in text and "p4_model_choice: fixed" in text


def test_config_defaults_and_checks():
    rule = kit.test_config(verdict_rule={})["verdict_rule"]
    assert rule["fit_gate"] == HU_BENTLER
    assert rule["p4_model_choice"] == {"rule": "theory_unless_worse", "alpha": 0.05}
    with pytest.raises(SurveySemError):
        kit.test_config(verdict_rule={"fit_gate": {"action": "ignore"}})
    only_b = kit.test_config(p4={"models": ["b", "c"]}, bootstrap={"model": "b"})
    with pytest.raises(SurveySemError, match="theory_unless_worse compares model"):
        check_settings(only_b)
    check_settings(kit.test_config(p4={"models": ["b", "c"]}, verdict_rule={"p4_model_choice": {"rule": "fixed"}}))
