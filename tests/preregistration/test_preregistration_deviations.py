"""Deviations from the pre-registration (surveysem.preregistration.deviations), a pure function
of two registration records: the test config pre-registered, then edited."""

from __future__ import annotations

import json

import pytest
from prereg_kit import base_config, edited, hypothesis, record

from surveysem.errors import SurveySemError
from surveysem.io import canonical_json_sha256
from surveysem.preregistration.deviations import Deviation, deviations
from surveysem.preregistration.lock import (
    edited_by_hand,
    frozen_config,
    read_lock,
    write_lock,
)


def test_nothing_changed_no_deviations(prereg_config, prereg_record):
    assert deviations(prereg_record, record(base_config())) == []


def test_a_changed_sign_is_one_deviation_with_both_values(prereg_config, prereg_record):
    used = record(edited(prereg_config, lambda c: hypothesis(c, "P1")["expected"].__setitem__(3, "-")))
    assert deviations(prereg_record, used) == [
        Deviation("config", "hypotheses[P1].expected", "changed", ["+", "+", "+", "+", "-"], ["+", "+", "+", "-", "-"])]


def test_a_changed_sub_hypothesis_and_an_added_hypothesis(prereg_config, prereg_record):
    def edit(c):
        hypothesis(c, "P1")["sub_ids"][0] = "P1x"
        c["hypotheses"].append({**hypothesis(c, "P2"), "id": "H5", "predictors": ["OIE_RSP"], "sub_ids": ["H5a"]})

    found = deviations(prereg_record, record(edited(prereg_config, edit)))
    assert [(d.key, d.change) for d in found] == [("hypotheses[P1].sub_ids", "changed"), ("hypotheses[H5]", "added")]
    assert found[0].old[0] == "P1a" and found[0].new[0] == "P1x"
    assert found[1].old is None and found[1].new["predictors"] == ["OIE_RSP"]


def test_a_removed_hypothesis(prereg_config, prereg_record):
    found = deviations(prereg_record, record(edited(prereg_config, lambda c: c["hypotheses"].remove(hypothesis(c, "P3")))))
    assert [(d.where, d.key, d.change) for d in found] == [("config", "hypotheses[P3]", "removed")]
    assert found[0].old["predictors"] == ["EFT", "TEC", "BMM", "ICO"] and found[0].new is None


def test_a_scales_drop_is_listed_in_the_config_and_the_analysed_scales(prereg_config, prereg_record):
    used = record(edited(prereg_config, lambda c: c.__setitem__("scales", {"PDC": {"drop": {"PDC5": "loading .41"}}})))
    found = deviations(prereg_record, used)
    assert [(d.where, d.key, d.change) for d in found] == [
        ("config", "scales.PDC", "added"), ("analysed scales", "analysed_indicators.PDC", "changed")]
    assert found[0].new == {"drop": {"PDC5": "loading .41"}}
    assert found[1].old == ["PDC1", "PDC2", "PDC3", "PDC4", "PDC5"] and found[1].new == ["PDC1", "PDC2", "PDC3", "PDC4"]


def test_a_changed_items_list_of_a_refined_scale(prereg_config):
    before = edited(prereg_config, lambda c: c.__setitem__("scales", {"CUS": {"items": ["CUS1", "CUS2", "CUS3", "CUS4"],
                                                                       "reason": "cross-loads"}}))
    after = edited(before, lambda c: c["scales"]["CUS"].__setitem__("items", ["CUS1", "CUS2", "CUS3"]))
    found = deviations(record(before), record(after))
    assert [(d.key, d.change) for d in found] == [("scales.CUS.items", "changed"),
                                                  ("analysed_indicators.CUS", "changed")]


def test_nested_keys_and_data_source_keys(prereg_config, prereg_record):
    def edit(c):
        c["verdict_rule"]["fit_gate"]["cfi"] = 0.90
        c["data"]["survey"] = "data/survey_real.csv"
        c["data"]["synthetic"] = False

    found = deviations(prereg_record, record(edited(prereg_config, edit)))
    assert {d.key: (d.old, d.new, d.data_source) for d in found} == {
        "data.survey": (prereg_config["data"]["survey"], "data/survey_real.csv", True),
        "data.synthetic": (True, False, True),
        "verdict_rule.fit_gate.cfi": (0.95, 0.90, False)}


def test_simulate_is_not_pre_registered(prereg_config, prereg_record):
    assert "simulate" not in prereg_record["config"]
    assert deviations(prereg_record, record(edited(prereg_config, lambda c: c["simulate"].__setitem__("n", 999)))) == []


def test_true_is_not_one():
    old = {"config": {"data": {"synthetic": True}}, "instrument": {}}
    new = {"config": {"data": {"synthetic": 1}}, "instrument": {}}
    assert [d.key for d in deviations(old, new)] == ["data.synthetic"]


def test_an_instrument_edit_is_listed_by_facet(prereg_config, prereg_record):
    used = json.loads(json.dumps(prereg_record))
    used["instrument"]["facets"]["items"] = "0" * 64
    used["instrument"]["fielded_items"]["PDC"] = ["PDC1", "PDC2"]
    found = deviations(prereg_record, used)
    assert [(d.where, d.key) for d in found] == [("instrument", "facets.items"), ("instrument", "fielded_items.PDC")]


def test_the_lock_stores_the_hash_of_its_config(prereg_config, prereg_record, tmp_path):
    assert prereg_record["config_sha256"] == canonical_json_sha256(frozen_config(prereg_config))
    path = tmp_path / "preregistration.lock.json"
    write_lock(path, prereg_record)
    back = read_lock(path)
    assert back == prereg_record and not edited_by_hand(back)
    back["config"]["verdict_rule"]["alpha"] = 0.5
    assert edited_by_hand(back)


@pytest.mark.parametrize("text, problem", [
    ("{", "is not valid JSON"),
    ("[]", "not a JSON object"),
    ('{"config": {}}', "no format, config_sha256, instrument"),
    ('{"format": 9, "config": {}, "config_sha256": "", "instrument": {}}', "format: 9"),
])
def test_a_bad_lock_is_one_line_naming_the_file(tmp_path, text, problem):
    path = tmp_path / "preregistration.lock.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SurveySemError) as err:
        read_lock(path)
    line = err.value.one_line()
    assert str(path) in line and problem in line and "\n" not in line
