"""Privacy: identifying columns are dropped at ingest and no identifying value reaches any output."""

from __future__ import annotations

import json

import pandas as pd
import pytest

import survey_kit as kit
from surveysem.errors import SurveySemError

from surveysem.data.privacy import comment_flags, drop_pii

FAKE = {
    "RecipientFirstName": ["Wilhelmina", "Bartholomew", "Xiuying"],
    "RecipientLastName": ["Quackenbush", "Fairweather-Lowe", "Zhangsun"],
    "RecipientEmail": ["w.quackenbush@example.org", "bart.fl@example.com", "xiuying.zs@example.net"],
    "IPAddress": ["203.0.113.77", "198.51.100.23", "192.0.2.191"],
    "LocationLatitude": ["51.50735091", "40.71277612", "31.23041599"],
    "LocationLongitude": ["-0.12775829", "-74.00597309", "121.47370011"],
    "ExternalReference": ["EMP-889172", "EMP-553201", "EMP-120934"],
    "Respondent name": ["Gwendolyn Ashcombe", "Ignatius Pemberton", "Meiling Ouyang"],
    "Phone": ["+44 7700 900123", "+1 202 555 0199", "+86 21 5555 0147"],
    "COMMENTS": ["Call me, Gwendolyn Ashcombe, on +44 7700 900123", "", "Ask Mr Pemberton"],
    "Notes": ["lives at 12 Quillfeather Lane", "", ""],
}


def _export(tmp_path, n_invalid=0):
    records = kit.rows(3)
    for i, rec in enumerate(records):
        for col, values in FAKE.items():
            rec[col] = values[i]
    if n_invalid:
        records[1]["AAA1"] = "9"
    columns = kit.COLUMNS + ["Respondent name", "Phone", "Notes", "Q_RecaptchaScore"]
    for rec in records:
        rec["Q_RecaptchaScore"] = "0.9"
    return kit.write_qualtrics(tmp_path / "export.csv", records, columns=columns)


def _all_text(*dirs):
    return {p: p.read_bytes().decode("utf-8", errors="replace") for p in kit.files_under(*dirs)}


@pytest.mark.parametrize("on_invalid", ["error", "drop"])
def test_no_identifying_value_in_any_output(tmp_path, on_invalid):
    scales = kit.write_scales(tmp_path / "scales")
    path = _export(tmp_path, n_invalid=int(on_invalid == "drop"))
    cfg = kit.config_for(scales, path, data={"on_invalid": on_invalid, "pii_columns": ["Phone"]})
    results, reports = tmp_path / "results", tmp_path / "reports"
    kit.run_data_stage(cfg, results)
    written = _all_text(results, reports)
    assert len(written) >= 8
    needles = [v for col, values in FAKE.items() for v in values if v]
    needles += ["Quackenbush", "Pemberton", "Ashcombe", "example.org", "203.0.113", "51.507", "-74.005", "Quillfeather"]
    for file, text in written.items():
        for needle in needles:
            assert needle not in text, f"{needle!r} found in {file}"
    info = json.loads((results / "clean" / "ingest.json").read_text())
    assert info["dropped_pii_columns"] == [
        "IPAddress", "RecipientLastName", "RecipientFirstName", "RecipientEmail", "ExternalReference",
        "LocationLatitude", "LocationLongitude", "Respondent name", "Phone", "Notes"]
    assert info["ignored_columns"] == ["Q_RecaptchaScore"]
    analysis = pd.read_csv(results / "clean" / "analysis.csv")
    assert "COMMENTS" not in analysis.columns
    expected_flags = [1, 0, 1] if on_invalid == "error" else [1, 1]
    assert analysis["has_comment"].tolist() == expected_flags


def test_drop_pii_unit():
    frame = pd.DataFrame({
        "ResponseId": ["R_1"], "ip_address": ["1.2.3.4"], "Recipient Email": ["a@b.c"], "AAA1": ["3"],
        "StartDate": ["2026-01-01"], "Status": ["IP Address"], "Free": ["hello"], "Score": ["0.5"],
        "COMMENTS": ["my name"], "Secret": ["7"],
    })
    result = drop_pii(frame, {"AAA1", "COMMENTS"}, "ResponseId", ["secret"])
    assert result.dropped == ["ip_address", "Recipient Email", "Free", "Secret"]
    assert result.reasons["Free"] == "undeclared free text"
    assert result.reasons["Secret"] == "data.pii_columns"
    assert result.ignored == ["Score"]
    assert list(result.frame.columns) == ["ResponseId", "AAA1", "StartDate", "Status", "Score", "COMMENTS"]
    flags = comment_flags(pd.DataFrame({"COMMENTS": ["x", " ", None], "REMARK": ["", "y", ""]}), ["COMMENTS", "REMARK"])
    assert flags.to_dict("list") == {"has_comment": [1, 0, 0], "has_remark": [0, 1, 0]}


def test_identifying_id_column_refused(tmp_path):
    frame = pd.DataFrame({"RecipientEmail": ["a@b.c"]})
    with pytest.raises(SurveySemError, match="identifies people"):
        drop_pii(frame, set(), "RecipientEmail", [])


def test_text_typed_into_an_item_is_not_copied_to_invalid_rows(tmp_path):
    scales = kit.write_scales(tmp_path / "scales")
    records = kit.rows(3)
    records[1]["AAA1"] = "Gwendolyn Ashcombe"
    records[2]["AAA2"] = "12"
    path = kit.write_qualtrics(tmp_path / "export.csv", records)
    results = tmp_path / "results"
    kit.run_data_stage(kit.config_for(scales, path, data={"on_invalid": "drop"}), results)
    invalid = pd.read_csv(results / "clean" / "invalid_rows.csv", dtype=str, keep_default_na=False)
    assert invalid["value"].tolist() == ["<text, 18 characters>", "12"]
    for text in _all_text(results).values():
        assert "Gwendolyn" not in text
