"""Validation against the instrument, the ingest step and its outputs (hand-computed expectations)."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd
import pytest

import survey_kit as kit
from surveysem.errors import SurveySemError
from surveysem.data.ingest import read_and_validate
from surveysem.instrument.scales import load_instrument


@pytest.fixture
def scales(tmp_path):
    return kit.write_scales(tmp_path / "scales")


def _check(tmp_path, scales, records, **data):
    path = kit.write_qualtrics(tmp_path / "s.csv", records)
    cfg = kit.config_for(scales, path, data=data)
    return read_and_validate(path, cfg, load_instrument(scales)), cfg, path


def test_valid_file_has_no_problems_and_keeps_values(tmp_path, scales):
    records = kit.rows(5)
    checked, cfg, path = _check(tmp_path, scales, records)
    assert checked.validation.problems == []
    frame = checked.frame
    assert frame["respondent_id"].tolist() == ["R_0000", "R_0001", "R_0002", "R_0003", "R_0004"]
    assert frame["source_row"].tolist() == [4, 5, 6, 7, 8]
    for item in kit.ITEMS:
        assert frame[item].tolist() == [float(r[item]) for r in records]
    assert frame["FSHARE"].tolist() == [50.0] * 5
    assert frame["MARKETS"].iloc[0] == "Germany (2016); France (2016); USA (2018)"


def test_missing_codes_become_missing(tmp_path, scales):
    records = kit.rows(4)
    records[0]["AAA1"] = "-99"
    records[1]["BBB2"] = "Don't Know"  # text codes match case-insensitively
    records[2]["FSHARE"] = "-99.0"  # numeric codes match numerically
    records[3]["MARKETS"] = "don't know"
    checked, _, _ = _check(tmp_path, scales, records)
    assert checked.validation.problems == []
    f = checked.frame
    assert np.isnan(f.at[0, "AAA1"]) and np.isnan(f.at[1, "BBB2"]) and np.isnan(f.at[2, "FSHARE"])
    assert f.at[3, "MARKETS"] is None
    assert f[kit.ITEMS].isna().to_numpy().sum() == 2


def test_percent_sign_and_whole_numbers_as_decimals_accepted(tmp_path, scales):
    records = kit.rows(2)
    records[0]["FSHARE"] = "80%"
    records[1]["AAA2"] = "4.0"
    checked, _, _ = _check(tmp_path, scales, records)
    assert checked.validation.problems == []
    assert checked.frame.at[0, "FSHARE"] == 80.0 and checked.frame.at[1, "AAA2"] == 4.0


def test_every_problem_collected_with_file_row_column_value(tmp_path, scales):
    records = kit.rows(8)
    records[0]["AAA1"] = "abc"
    records[1]["AAA2"] = "3.5"
    records[2]["BBB1"] = "9"
    records[3]["SIZE"] = "7"
    records[4]["FSHARE"] = "120"
    records[5]["MARKETS"] = "Germany 2016"
    records[6]["MARKETS"] = "Atlantis (2016)"
    records[7]["ResponseId"] = "R_0000"
    records[7]["FIRSTSALE"] = "2010"
    checked, _, path = _check(tmp_path, scales, records)
    lines = [p.one_line() for p in checked.validation.problems]
    f = str(path)
    assert lines == [
        f"{f}, row 4, column AAA1: not a number (add it to data.missing_codes if it means missing) (value 'abc')",
        f"{f}, row 5, column AAA2: not a whole number on the 1..5 response scale (value '3.5')",
        f"{f}, row 6, column BBB1: outside the response scale 1..5 (value '9')",
        f"{f}, row 7, column SIZE: not one of the answer codes 1, 2, 3, 4 (value '7')",
        f"{f}, row 8, column FSHARE: outside the allowed range 0..100 (value '120')",
        f"{f}, row 9, column MARKETS: cannot read the market history: no entry year in parentheses after "
        f"'Germany 2016' (expected e.g. 'Germany (2015); USA (2016)') (value 'Germany 2016')",
        f"{f}, row 10, column MARKETS: unknown country 'Atlantis' (add it to scales/regions.csv)",
        f"{f}, row 11, column ResponseId: duplicate respondent id (first at row 4) (value 'R_0000')",
        f"{f}, row 11, column FIRSTSALE: first foreign sale (2010) is before the founding year (2015) (value '2010')",
    ]
    reasons = [p.reason for p in checked.validation.problems]
    assert reasons == ["not_a_number", "not_a_whole_number", "out_of_range", "unknown_code", "out_of_range",
                       "unparseable_market_history", "unknown_country", "duplicate_id", "inconsistent_years"]


def test_missing_columns_one_line_each_kind(tmp_path, scales):
    records = kit.rows(2)
    columns = [c for c in kit.COLUMNS if c not in ("AAA2", "BBB3", "FSHARE", "ResponseId")]
    path = kit.write_qualtrics(tmp_path / "s.csv", records, columns=columns)
    cfg = kit.config_for(scales, path)
    lines = [p.one_line() for p in read_and_validate(path, cfg, load_instrument(scales)).validation.problems]
    assert lines == [
        f"{path}: missing 2 item columns: AAA2, BBB3",
        f"{path}: missing 1 profile column: FSHARE",
        f"{path}: respondent-id column 'ResponseId' not found (set data.id_column)",
    ]


def test_many_missing_columns_listed_first_ten(tmp_path):
    from surveysem.data.validation import _missing_message

    names = [f"PDC{i}" for i in range(1, 48)]
    assert _missing_message("item", names) == (
        "missing 47 item columns: PDC1, PDC2, PDC3, PDC4, PDC5, PDC6, PDC7, PDC8, PDC9, PDC10, ... (first 10 shown)")


def test_free_text_comments_optional_and_missing_id(tmp_path, scales):
    records = kit.rows(3)
    records[1]["ResponseId"] = "  "
    columns = [c for c in kit.COLUMNS if c != "COMMENTS"]
    path = kit.write_qualtrics(tmp_path / "s.csv", records, columns=columns)
    problems = read_and_validate(path, kit.config_for(scales, path), load_instrument(scales)).validation.problems
    assert [p.one_line() for p in problems] == [f"{path}, row 5, column ResponseId: respondent id is empty"]


def test_error_mode_stops_at_first_problem_and_writes_nothing(tmp_path, scales):
    records = kit.rows(4)
    records[2]["AAA1"] = "8"
    records[3]["AAA1"] = "x"
    path = kit.write_qualtrics(tmp_path / "s.csv", records)
    results = tmp_path / "results"
    with pytest.raises(SurveySemError) as info:
        kit.run_data_stage(kit.config_for(scales, path), results)
    assert str(info.value) == f"{path}, row 6, column AAA1: outside the response scale 1..5 (value '8')"
    assert kit.files_under(results) == []


def test_drop_mode_excludes_and_reports_invalid_rows(tmp_path, scales):
    records = kit.rows(6)
    records[1]["AAA1"] = "8"
    records[1]["SIZE"] = "0"
    records[3]["ResponseId"] = "R_0000"
    records[4]["BBB1"] = "-99"  # a missing code, not a problem
    path = kit.write_qualtrics(tmp_path / "s.csv", records)
    before = path.read_bytes()
    cfg = kit.config_for(scales, path, data={"on_invalid": "drop", "synthetic": True})
    results = tmp_path / "results"
    kit.run_data_stage(cfg, results)
    assert path.read_bytes() == before  # the raw file is never modified
    invalid = pd.read_csv(results / "clean" / "invalid_rows.csv", dtype=str, keep_default_na=False)
    assert invalid.to_dict("records") == [
        {"respondent_id": "R_0001", "row": "5", "column": "AAA1", "value": "8", "reason": "out_of_range"},
        {"respondent_id": "R_0001", "row": "5", "column": "SIZE", "value": "0", "reason": "unknown_code"},
        {"respondent_id": "R_0000", "row": "7", "column": "ResponseId", "value": "R_0000", "reason": "duplicate_id"},
    ]
    info = json.loads((results / "clean" / "ingest.json").read_text())
    assert info["n_rows_read"] == 6 and info["n_rows_valid"] == 4 and info["n_rows_invalid"] == 2
    assert info["invalid_rows_by_reason"] == {"duplicate_id": 1, "out_of_range": 1, "unknown_code": 1}
    assert info["sha256"] == hashlib.sha256(before).hexdigest()
    assert info["source_file"] == "s.csv"
    assert (info["format"], info["encoding"], info["delimiter"]) == ("qualtrics", "utf-8", ",")
    assert info["synthetic"] is True and info["missing_method"] == "fiml"
    assert info["missing_codes"] == [-99, "don't know"]
    validated = pd.read_csv(results / "clean" / "validated.csv")
    assert validated["respondent_id"].tolist() == ["R_0000", "R_0002", "R_0004", "R_0005"]
    assert validated["source_row"].tolist() == [4, 6, 8, 9]


def test_drop_mode_with_no_valid_row_left(tmp_path, scales):
    records = kit.rows(2)
    for r in records:
        r["AAA1"] = "0"
    path = kit.write_qualtrics(tmp_path / "s.csv", records)
    results = tmp_path / "results"
    with pytest.raises(SurveySemError, match="no valid rows left: all 2 rows have problems"):
        kit.run_data_stage(kit.config_for(scales, path, data={"on_invalid": "drop"}), results)
    assert kit.files_under(results) == []


def test_reverse_keying_once_in_analysis_only(tmp_path, scales):
    records = kit.rows(4)
    path = kit.write_qualtrics(tmp_path / "s.csv", records)
    results = tmp_path / "results"
    kit.run_data_stage(kit.config_for(scales, path), results)
    validated = pd.read_csv(results / "clean" / "validated.csv")
    analysis = pd.read_csv(results / "clean" / "analysis.csv")
    raw = [int(r["AAA3"]) for r in records]
    assert validated["AAA3"].tolist() == raw
    assert analysis["AAA3"].tolist() == [1 + 5 - x for x in raw]
    for item in ("AAA1", "AAA2", "BBB1", "BBB2", "BBB3", "ATTN1"):
        assert analysis[item].tolist() == validated[item].tolist()


def test_missingness_table_hand_computed(tmp_path, scales):
    records = kit.rows(4)
    records[0]["AAA1"] = ""
    records[0]["AAA2"] = "-99"
    records[1]["AAA1"] = "don't know"
    records[2]["BBB3"] = ""
    path = kit.write_qualtrics(tmp_path / "s.csv", records)
    results = tmp_path / "results"
    kit.run_data_stage(kit.config_for(scales, path, data={"missing": "listwise"}), results)
    miss = pd.read_csv(results / "clean" / "missingness.csv").set_index(["level", "id"])
    assert miss.loc[("item", "AAA1"), ["n_missing", "n_complete"]].tolist() == [2, 2]
    assert miss.loc[("item", "AAA1"), "share_missing"] == pytest.approx(0.5)
    assert miss.loc[("item", "AAA2"), "n_missing"] == 1
    # construct AAA: 3 missing cells of 4 x 3; respondents 0 and 1 incomplete
    assert miss.loc[("construct", "AAA"), ["n_items", "n_missing", "n_complete"]].tolist() == [3, 3, 2]
    assert miss.loc[("construct", "AAA"), "share_missing"] == pytest.approx(3 / 12)
    assert miss.loc[("construct", "BBB"), ["n_missing", "n_complete"]].tolist() == [1, 3]
    info = json.loads((results / "clean" / "ingest.json").read_text())
    assert info["missing_method"] == "listwise"
    assert info["missingness"]["n_complete_on_all_items"] == 1


@pytest.mark.parametrize("ext", ["sav", "dta", "xlsx"])
def test_other_formats_validate(tmp_path, scales, ext):
    import pyreadstat

    records = kit.rows(4)
    frame = pd.DataFrame(records)[["ResponseId", "Duration (in seconds)"] + kit.ITEMS + kit.PROFILE]
    numeric = kit.ITEMS + ["FOUNDED", "SIZE", "FIRSTSALE", "FSHARE", "Duration (in seconds)"]
    frame[numeric] = frame[numeric].astype(float)
    frame["ResponseId"] = [101.0, 102.0, 103.0, 104.0]  # numeric ids, as SPSS users have them
    frame.loc[0, "AAA1"] = -99.0
    frame = frame.rename(columns={"Duration (in seconds)": "Duration"})
    path = tmp_path / f"s.{ext}"
    if ext == "sav":
        pyreadstat.write_sav(frame, str(path), variable_value_labels={"SIZE": {1.0: "Micro", 2.0: "Small"}})
    elif ext == "dta":
        pyreadstat.write_dta(frame, str(path))
    else:
        frame.to_excel(path, index=False)
    cfg = kit.config_for(scales, path, screening={"speeders": {"duration_column": "Duration"}})
    checked = read_and_validate(path, cfg, load_instrument(scales))
    assert checked.validation.problems == []
    assert checked.frame["respondent_id"].tolist() == ["101", "102", "103", "104"]
    assert np.isnan(checked.frame.at[0, "AAA1"])
    assert checked.frame["SIZE"].tolist() == [2.0] * 4
    expected_rows = [1, 2, 3, 4] if ext != "xlsx" else [2, 3, 4, 5]
    assert checked.frame["source_row"].tolist() == expected_rows


def test_answer_labels_instead_of_codes_get_a_hint(tmp_path, scales):
    records = kit.rows(2)
    records[1]["AAA1"] = "Strongly agree"
    records[1]["SIZE"] = "small"
    checked, _, path = _check(tmp_path, scales, records)
    assert [p.one_line() for p in checked.validation.problems] == [
        f"{path}, row 5, column AAA1: not a number (the answer label of code 5, not the code: export numeric "
        f"values) (value 'Strongly agree')",
        f"{path}, row 5, column SIZE: not a number (the answer label of code 2, not the code: export numeric "
        f"values) (value 'small')"]


@pytest.mark.parametrize("value, why", [
    ("1e0", "exponent notation"),
    ("4E0", "exponent notation"),
    ("4_0", "a digit separator '_'"),
    ("\uff14", "non-ASCII digits"),       # full-width 4
    ("\u0664", "non-ASCII digits"),       # Arabic-Indic 4
    ("inf", "not a finite number"),
])
def test_likert_answers_are_plain_decimals(tmp_path, scales, value, why):
    """Python's float() reads all of these; a survey answer is a plain number ("4", or "4.0" as
    Excel exports it), so they are refused with the reason."""
    records = kit.rows(2)
    records[0]["AAA1"] = value
    records[1]["AAA2"] = "4.0"
    checked, _, path = _check(tmp_path, scales, records)
    assert [p.one_line() for p in checked.validation.problems] == [
        f"{path}, row 4, column AAA1: not a plain decimal number ({why}): write the answer as 4 or 4.0 "
        f"(value {value!r})"]
    assert checked.frame.at[1, "AAA2"] == 4.0


def test_profile_numbers_are_plain_decimals_too(tmp_path, scales):
    records = kit.rows(2)
    records[0]["FSHARE"] = "5e1"
    records[1]["FOUNDED"] = "\uff12\uff10\uff11\uff10"  # 2010 in full-width digits
    checked, _, path = _check(tmp_path, scales, records)
    assert [(p.row, p.column, p.reason) for p in checked.validation.problems] == [
        (4, "FSHARE", "not_a_number"), (5, "FOUNDED", "not_a_number")]


@pytest.mark.parametrize("rid, shown", [("R_\x00001", "U+0000"), ("R_0\x1b[2J", "U+001B"), ("R_\t1", "U+0009"),
                                        ("R_1\u202e", "U+202E")])
def test_control_characters_in_respondent_ids_are_refused(tmp_path, scales, rid, shown):
    records = kit.rows(3)
    records[1]["ResponseId"] = rid
    checked, cfg, path = _check(tmp_path, scales, records)
    problems = checked.validation.problems
    assert [(p.row, p.column, p.reason) for p in problems] == [(5, "ResponseId", "control_character_in_id")]
    line = problems[0].one_line()
    assert line.startswith(f"{path}, row 5, column ResponseId: respondent id contains control characters ({shown})")
    assert "\n" not in line and all(c.isprintable() for c in line)
    with pytest.raises(SurveySemError) as info:  # on_invalid: error stops the stage with that one line
        kit.run_data_stage(cfg, tmp_path / "results")
    assert str(info.value) == line


@pytest.mark.parametrize("codes, message", [
    ([5], "data.missing_codes: 5 is also an answer on the 1..5 response scale of AAA1, AAA2, AAA3, ATTN1, BBB1, "
          "BBB2, BBB3: a missing code must not be a possible answer (use e.g. -99)"),
    (["-99", "4.0"], "data.missing_codes: '4.0' is also an answer on the 1..5 response scale of AAA1, AAA2, AAA3, "
                     "ATTN1, BBB1, BBB2, BBB3; answer code 4 of SIZE: a missing code must not be a possible answer "
                     "(use e.g. -99)"),
])
def test_a_missing_code_that_is_an_answer_is_refused(tmp_path, scales, codes, message):
    """A 5 on a 1..5 scale would silently turn every real 5 into a missing answer."""
    records = kit.rows(3)
    checked, cfg, path = _check(tmp_path, scales, records, missing_codes=codes)
    assert [p.one_line() for p in checked.validation.problems] == [message]
    with pytest.raises(SurveySemError) as info:
        kit.run_data_stage(cfg, tmp_path / "results")
    assert str(info.value) == message
    assert kit.files_under(tmp_path / "results") == []


def test_missing_codes_outside_every_scale_pass(tmp_path, scales):
    checked, _, _ = _check(tmp_path, scales, kit.rows(3), missing_codes=[-99, 0, 6, 2.5, "don't know"])
    assert checked.validation.problems == []
