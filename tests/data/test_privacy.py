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
    assert invalid["value"].tolist() == ["[redacted: not a plausible answer (text, 18 characters)]", "12"]
    for text in _all_text(results).values():
        assert "Gwendolyn" not in text


# --------------------------------------------------------------------------- identifying values (issue 15 item 7)

EMAIL, PHONE, BARE_PHONE, IP = "mei.ouyang@example.org", "+86 138 0013 8000", "13800138000", "203.0.113.77"
PLANTED = (EMAIL, PHONE, BARE_PHONE, IP)


@pytest.mark.parametrize("text, kinds", [
    (EMAIL, ["e-mail address"]), (PHONE, ["phone number"]), ("(555) 123-4567", ["phone number"]),
    (BARE_PHONE, ["phone number"]), (IP, ["IP address"]), ("2001:db8::ff00:42:8329", ["IP address"]),
    (f"write to {EMAIL} or call {PHONE}.", ["e-mail address", "phone number"]),
    # not identifying: dates, times, decimals, ranges, seeds, Qualtrics ids, answers
    ("2026-03-02 10:15:00", []), ("03/02/2026 10:15", []), ("0.1571278001", []), ("range 1900..2026", []),
    ("seed 20261122", []), ("R_5Zk3Qd8vT2pLm9x", []), ("150%", []), ("-0.0535", []),
])
def test_identifying_values_are_recognised(text, kinds):
    from surveysem.errors import pii_kinds, redact_pii

    assert pii_kinds(text) == kinds
    redacted = redact_pii(text)
    assert (redacted == text) == (not kinds)
    assert all(f"[redacted: {k}]" in redacted for k in kinds)
    assert not any(v in redacted for v in PLANTED)


def test_error_lines_and_log_records_are_redacted(tmp_path):
    import logging

    from surveysem.workflow.run import run_logged

    err = SurveySemError(f"not a number, typed {PHONE}", file="s.csv", row=4, column="FSHARE", value=EMAIL)
    assert err.one_line() == ("s.csv, row 4, column FSHARE: not a number, typed [redacted: phone number] "
                              "(value '[redacted: e-mail address]')")

    def step():
        logging.getLogger("surveysem.test").warning("respondent wrote %s from %s", EMAIL, IP)
        raise err

    log = tmp_path / "step.log"
    with pytest.raises(SystemExit):
        run_logged(step, str(log))
    text = log.read_text(encoding="utf-8")
    assert "respondent wrote [redacted: e-mail address] from [redacted: IP address]" in text
    assert "surveysem: error: s.csv, row 4" in text and not any(v in text for v in PLANTED)


@pytest.mark.parametrize("value, digits, shown", [
    ("9", 1, "9"), ("12", 1, "12"), ("150%", 3, "150%"), ("-3", 4, "-3"), ("4.5", 1, "4.5"), ("1800", None, "1800"),
    (BARE_PHONE, 3, "[redacted: not a plausible answer (a number of 11 digits)]"),
    ("123", 1, "[redacted: not a plausible answer (a number of 3 digits)]"),
    (PHONE, 3, "[redacted: not a plausible answer (text, 17 characters)]"),
    (EMAIL, 3, "[redacted: not a plausible answer (text, 22 characters)]"),
    (IP, 4, "[redacted: not a plausible answer (text, 12 characters)]"),
    (None, 1, ""),
])
def test_invalid_values_are_kept_only_when_plausible_answers(value, digits, shown):
    from surveysem.data.ingest import redacted_value

    assert redacted_value(value, digits) == shown


def _planted_export(tmp_path, where: dict[int, dict[str, str]]):
    records = kit.rows(8)
    for i, cells in where.items():
        records[i].update(cells)
    return kit.write_qualtrics(tmp_path / "export.csv", records)


def test_identifying_values_in_a_share_field_and_the_order_column_never_reach_the_results(tmp_path):
    scales = kit.write_scales(tmp_path / "scales")
    path = _planted_export(tmp_path, {1: {"FSHARE": EMAIL}, 2: {"FSHARE": BARE_PHONE}, 3: {"FSHARE": IP},
                                      4: {"RecordedDate": EMAIL}, 5: {"RecordedDate": PHONE}, 6: {"RecordedDate": IP},
                                      7: {"FSHARE": "150%"}})
    results = tmp_path / "results"
    kit.run_data_stage(kit.config_for(scales, path, data={"on_invalid": "drop"}), results)
    invalid = pd.read_csv(results / "clean" / "invalid_rows.csv", dtype=str, keep_default_na=False)
    assert invalid["column"].tolist() == ["FSHARE"] * 3 + ["RecordedDate"] * 3 + ["FSHARE"]
    assert invalid["value"].tolist()[:3] == ["[redacted: not a plausible answer (text, 22 characters)]",
                                             "[redacted: not a plausible answer (a number of 11 digits)]",
                                             "[redacted: not a plausible answer (text, 12 characters)]"]
    assert invalid["value"].tolist()[3:] == ["", "", "", "150%"]  # 150% explains the problem: kept
    assert set(invalid["reason"][3:6]) == {"identifying_value_in_order_column"}
    for file, text in _all_text(results).items():
        assert not any(v in text for v in PLANTED), file


@pytest.mark.parametrize("value", [EMAIL, PHONE, IP])
def test_an_error_line_never_prints_the_identifying_value(tmp_path, value, capsys):
    from surveysem.cli import main

    scales = kit.write_scales(tmp_path / "scales")
    for column in ("FSHARE", "RecordedDate"):
        path = _planted_export(tmp_path, {2: {column: value}})
        config = kit.write_config(tmp_path / "config.yaml", kit.config_for(scales, path))
        assert main(["check", str(path), "--config", str(config)]) == 1
        out, err = capsys.readouterr()
        assert f"row 6, column {column}:" in out + err and value not in out + err


@pytest.mark.parametrize("value, kind", [(EMAIL, "e-mail address"), (PHONE, "phone number"), (IP, "IP address")])
def test_an_id_column_holding_identifying_values_is_refused_in_one_line(tmp_path, value, kind):
    from surveysem.data.ingest import read_and_validate
    from surveysem.instrument.scales import load_instrument

    scales = kit.write_scales(tmp_path / "scales")
    path = _planted_export(tmp_path, {3: {"ResponseId": value}})
    checked = read_and_validate(path, kit.config_for(scales, path, data={"on_invalid": "drop"}), load_instrument(scales))
    refused = [p for p in checked.validation.structural if p.reason == "identifying_values_in_id_column"]
    assert len(refused) == 1
    assert refused[0].one_line() == (
        f"{path}, column ResponseId: data.id_column 'ResponseId' holds values that look like {kind} (1 of 8 rows, "
        "first at row 7): an id that identifies people is refused; use an anonymous id such as ResponseId")


def test_numeric_ids_are_not_phone_numbers(tmp_path):
    from surveysem.data.ingest import read_and_validate
    from surveysem.instrument.scales import load_instrument

    scales = kit.write_scales(tmp_path / "scales")
    path = _planted_export(tmp_path, {i: {"ResponseId": str(900000001 + i)} for i in range(8)})
    checked = read_and_validate(path, kit.config_for(scales, path), load_instrument(scales))
    assert checked.validation.problems == []
