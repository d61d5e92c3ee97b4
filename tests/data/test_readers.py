"""Readers: each format on files written here, plus real files from other software."""

from __future__ import annotations

import pandas as pd
import pytest

import survey_kit as kit
from surveysem.errors import SurveySemError
from surveysem.data.readers import read_survey, resolve_format

FRAME = pd.DataFrame(
    {
        "ResponseId": ["R_1", "R_2", "R_3"],
        "AAA1": ["1", "5", "3"],
        "NAME": ["Zoë", "José", "Müller; Jr."],
    }
)


def _text(delimiter: str) -> str:
    return FRAME.to_csv(index=False, sep=delimiter, lineterminator="\n")


@pytest.mark.parametrize("encoding,expected", [
    ("utf-8", "utf-8"),
    ("utf-8-sig", "utf-8-sig"),
    ("utf-16", "utf-16"),
    ("utf-16-le", "utf-16-le"),
    ("latin-1", "cp1252"),
])
@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_csv_encodings_and_delimiters_detected(tmp_path, encoding, expected, delimiter):
    path = tmp_path / "s.csv"
    path.write_bytes(_text(delimiter).encode(encoding))
    table = read_survey(path)
    assert table.format == "csv"
    assert table.encoding == expected
    assert table.delimiter == delimiter
    assert list(table.frame.columns) == list(FRAME.columns)
    assert table.frame.to_dict("list") == FRAME.to_dict("list")
    assert table.first_data_row == 2 and table.file_row(0) == 2


def test_configured_encoding_and_delimiter(tmp_path):
    path = tmp_path / "s.txt"
    path.write_bytes(_text(";").encode("latin-1"))
    table = read_survey(path, "csv", encoding="latin-1", delimiter=";")
    assert table.frame["NAME"].tolist() == ["Zoë", "José", "Müller; Jr."]
    assert table.encoding == "latin-1"


def test_configured_wrong_encoding_names_file_and_row(tmp_path):
    path = tmp_path / "s.csv"
    path.write_bytes(_text(",").encode("latin-1"))
    with pytest.raises(SurveySemError) as info:
        read_survey(path, encoding="utf-8")
    msg = str(info.value)
    assert "s.csv" in msg and "row 2" in msg and "cannot decode as utf-8" in msg and "\n" not in msg


def test_qualtrics_export_detected_with_question_text(tmp_path):
    path = kit.write_qualtrics(tmp_path / "q.csv", kit.rows(3))
    for fmt in ("auto", "csv", "qualtrics"):
        table = read_survey(path, fmt)
        assert table.format == "qualtrics"
        assert table.first_data_row == 4 and table.file_row(0) == 4 and table.file_row(2) == 6
        assert table.question_text["AAA1"] == "Question text of AAA1"
        assert table.frame["ResponseId"].tolist() == ["R_0000", "R_0001", "R_0002"]


def test_qualtrics_requested_but_plain_csv(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text(kit.plain_text(kit.rows(3)), encoding="utf-8")
    with pytest.raises(SurveySemError, match="not a Qualtrics export"):
        read_survey(path, "qualtrics")
    assert read_survey(path, "csv").format == "csv"


def test_quoted_newlines_count_as_one_row(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text('ResponseId,AAA1,NOTE\nR_1,1,"two\nlines"\nR_2,2,x\n', encoding="utf-8")
    table = read_survey(path)
    assert table.frame["NOTE"].tolist() == ["two\nlines", "x"]
    assert table.file_row(1) == 3


def test_xlsx(tmp_path):
    path = tmp_path / "s.xlsx"
    frame = pd.DataFrame({"ResponseId": ["R_1", "R_2"], "AAA1": [1, 5], "FSHARE": [25.5, None], "NOTE": ["a", ""]})
    frame.to_excel(path, index=False, engine="openpyxl")
    table = read_survey(path)
    assert table.format == "xlsx" and table.first_data_row == 2
    assert table.frame["AAA1"].tolist() == [1, 5]
    assert table.frame["FSHARE"].tolist() == [25.5, ""]
    assert table.frame["ResponseId"].tolist() == ["R_1", "R_2"]


def test_xlsx_blank_row_keeps_sheet_row_numbers(tmp_path):
    import openpyxl

    path = tmp_path / "s.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["ResponseId", "AAA1"])
    sheet.append(["R_1", 1])
    sheet.append([None, None])
    sheet.append(["R_2", 9])
    book.save(path)
    table = read_survey(path)
    assert len(table.frame) == 2
    assert [table.file_row(i) for i in table.frame.index] == [2, 4]


@pytest.mark.parametrize("ext", ["sav", "dta"])
def test_spss_and_stata_keep_codes_and_labels(tmp_path, ext):
    import pyreadstat

    frame = pd.DataFrame({"ResponseId": ["R_1", "R_2", "R_3"], "SIZE": [1.0, 2.0, None], "AAA1": [1.0, 5.0, 3.0]})
    labels = {"SIZE": {1.0: "Micro", 2.0: "Small"}}
    path = tmp_path / f"s.{ext}"
    writer = pyreadstat.write_sav if ext == "sav" else pyreadstat.write_dta
    writer(frame, str(path), column_labels=["Response id", "Firm size", "Item A1"], variable_value_labels=labels)
    table = read_survey(path)
    assert table.format == ext and table.first_data_row == 1
    assert table.frame["SIZE"].tolist() == [1.0, 2.0, ""]  # codes, not "Micro"/"Small"
    assert table.frame["AAA1"].tolist() == [1.0, 5.0, 3.0]
    assert table.value_labels["SIZE"] == {1: "Micro", 2: "Small"}
    assert table.question_text["SIZE"] == "Firm size"


def test_format_from_extension_or_config(tmp_path):
    assert resolve_format("x.CSV") == "csv"
    assert resolve_format("x.sav") == "sav"
    assert resolve_format("x.dta") == "dta"
    assert resolve_format("x.xlsx") == "xlsx"
    assert resolve_format("x.data", "csv") == "csv"
    with pytest.raises(SurveySemError, match="cannot tell the format"):
        resolve_format(tmp_path / "x.data")


def _bad_files(tmp_path):
    good = _text(",")
    cases = {
        "empty.csv": b"",
        "blank.csv": b"\n\n  \n",
        "header_only.csv": b"ResponseId,AAA1\n",
        "qualtrics_header_only.csv": kit.qualtrics_text([]).encode(),
        "one_column.csv": b"ResponseId AAA1\nR_1 1\nR_2 2\n",
        "ragged.csv": b"ResponseId,AAA1\nR_1,1\nR_2,2,7\n",
        "dup_header.csv": b"ResponseId,AAA1,AAA1\nR_1,1,2\n",
        "binary.csv": bytes(range(256)) * 4,
        "nul.csv": b"PK\x03\x04" + b"\x00\x07" * 100 + b"\xff\xfe\xfd",
        "truncated.sav": None,
        "not_excel.xlsx": good.encode(),
        "truncated.dta": None,
    }
    import pyreadstat

    pyreadstat.write_sav(FRAME, str(tmp_path / "full.sav"))
    pyreadstat.write_dta(FRAME, str(tmp_path / "full.dta"))
    cases["truncated.sav"] = (tmp_path / "full.sav").read_bytes()[:300]
    cases["truncated.dta"] = (tmp_path / "full.dta").read_bytes()[:200]
    return cases


@pytest.mark.parametrize("name,expected", [
    ("empty.csv", "file is empty"),
    ("blank.csv", "file is empty"),
    ("header_only.csv", "no data rows"),
    ("qualtrics_header_only.csv", "no data rows"),
    ("one_column.csv", "one column"),
    ("ragged.csv", "row 3: has 3 fields but the header has 2"),
    ("dup_header.csv", "duplicate column name 'AAA1'"),
    ("binary.csv", "undecodable bytes"),
    ("nul.csv", "not a text file"),
    ("truncated.sav", "cannot read as a SPSS .sav file"),
    ("truncated.dta", "cannot read as a Stata .dta file"),
    ("not_excel.xlsx", "cannot read as an Excel .xlsx workbook"),
])
def test_reading_errors_are_one_line_naming_the_file(tmp_path, name, expected):
    content = _bad_files(tmp_path)[name]
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(SurveySemError) as info:
        read_survey(path)
    msg = info.value.one_line()
    assert "\n" not in msg
    assert msg.startswith(str(path)), msg
    assert expected in msg, msg


def test_wrong_configured_delimiter_everything_in_one_column(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text(_text(";"), encoding="utf-8")
    with pytest.raises(SurveySemError) as info:
        read_survey(path, delimiter=",")
    assert "everything is in one column" in str(info.value) and "semicolon" in str(info.value)


def test_missing_file(tmp_path):
    with pytest.raises(SurveySemError, match="survey file not found"):
        read_survey(tmp_path / "nope.csv")


# ---- real files written by other software


def _realworld(name):
    path = kit.REALWORLD / name
    if not path.exists():
        pytest.skip(f"{path} not present (shared real-world test files)")
    return path


REAL = ["qualtrics_sample_qualtRics.csv", "pyreadstat_sample.sav", "pyreadstat_sample.dta",
        "pyreadstat_sample.csv", "pyreadstat_missing_test.sav", "pyreadstat_missing_test.dta"]


@pytest.mark.parametrize("name", REAL)
def test_real_files_read(name):
    table = read_survey(_realworld(name))
    assert len(table.frame) >= 1


def test_real_qualtrics_export():
    table = read_survey(_realworld("qualtrics_sample_qualtRics.csv"))
    assert table.format == "qualtrics" and table.first_data_row == 4
    assert table.question_text["Q1"] == "This is a multiple choice question."
    assert table.frame.loc[0, "ResponseId"] == "R_2YPOQ602ER1jkf1"
    assert table.frame.loc[0, "Q2"] == "Hello World!"


def test_real_spss_values_and_user_missing():
    table = read_survey(_realworld("pyreadstat_sample.sav"))
    assert table.frame["mylabl"].tolist() == [1.0, 2.0, 1.0, 2.0, 1.0]  # codes kept
    assert table.value_labels["mylabl"] == {1.0: "Male", 2.0: "Female"}
    missing = read_survey(_realworld("pyreadstat_missing_test.sav"))
    assert missing.frame["var1"].tolist() == ["", 2.0]  # SPSS user-missing value -> missing


def test_real_stata_extended_missing_become_missing():
    table = read_survey(_realworld("pyreadstat_missing_test.dta"))
    row = table.frame.iloc[0].tolist()
    assert row[:8] == [""] * 8 and row[8] == 1.0


@pytest.mark.parametrize("name", REAL)
def test_real_files_fail_validation_with_missing_item_columns(name, tmp_path, capsys):
    from surveysem.cli import main
    

    path = _realworld(name)
    scales = kit.write_scales(tmp_path / "scales")
    cfg = kit.config_for(scales, path)
    config_file = kit.write_config(tmp_path / "config.yaml", cfg)
    rc = main(["check", str(path), "--config", str(config_file)])
    out, err = capsys.readouterr()
    assert rc == 1
    assert "Traceback" not in out + err
    first = out.splitlines()[0]
    assert first == f"{path}: missing 6 item columns: AAA1, AAA2, AAA3, BBB1, BBB2, BBB3".replace(
        "AAA3, BBB1", "AAA3, ATTN1, BBB1").replace("6 item", "7 item")
    results = tmp_path / "results"
    with pytest.raises(SurveySemError) as info:
        kit.run_data_stage(cfg, results)
    assert str(info.value) == first
    assert kit.files_under(results) == []


def test_qualtrics_xlsx_export(tmp_path):
    import openpyxl

    text_rows = [line.split(",") for line in kit.plain_text(kit.rows(2), columns=["ResponseId", "AAA1"]).splitlines()]
    path = tmp_path / "q.xlsx"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(text_rows[0])
    sheet.append(["Response ID", "I agree with A1"])
    sheet.append(['{"ImportId":"_recordId"}', '{"ImportId":"QID1"}'])
    for row in text_rows[1:]:
        sheet.append([row[0], int(row[1])])
    book.save(path)
    for fmt in ("auto", "qualtrics"):
        table = read_survey(path, fmt)
        assert table.format == "xlsx-qualtrics" and table.first_data_row == 4
        assert table.question_text == {"ResponseId": "Response ID", "AAA1": "I agree with A1"}
        assert table.frame["ResponseId"].tolist() == ["R_0000", "R_0001"]
    plain = tmp_path / "p.xlsx"
    pd.DataFrame({"ResponseId": ["R_1"], "AAA1": [3]}).to_excel(plain, index=False)
    with pytest.raises(SurveySemError, match="not a Qualtrics export"):
        read_survey(plain, "qualtrics")


def test_blank_lines_are_counted_in_row_numbers(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("ResponseId,AAA1\nR_1,1\n\nR_2,2\nR_3,3,9\n", encoding="utf-8")
    with pytest.raises(SurveySemError) as info:
        read_survey(path)
    assert "row 5: has 3 fields" in str(info.value)
    path.write_text("ResponseId,AAA1\nR_1,1\n\nR_2,2\n", encoding="utf-8")
    table = read_survey(path)
    assert [table.file_row(i) for i in table.frame.index] == [2, 4]


def test_a_long_free_text_comment_is_read_and_a_monstrous_cell_is_refused(tmp_path):
    """A comment over the csv module's default field limit (131,072 characters) is an answer, not a
    reason to reject the file; a cell over MAX_CELL_CHARS is an error naming its row."""
    from surveysem.data.readers import MAX_CELL_CHARS

    path = tmp_path / "long.csv"
    comment = "very long comment " * 12_000  # 216,000 characters
    path.write_text(f"ResponseId,COMMENTS\nR_1,x\nR_2,\"{comment}\"\n", encoding="utf-8")
    table = read_survey(path, "csv")
    assert table.delimiter == "," and table.frame["COMMENTS"].iloc[1] == comment
    path.write_text(f"ResponseId,COMMENTS\nR_1,x\nR_2,\"{'y' * (MAX_CELL_CHARS + 1)}\"\n", encoding="utf-8")
    with pytest.raises(SurveySemError, match=r"row 3: a cell holds more than 4,194,304 characters"):
        read_survey(path, "csv")


def _workbook_with_formula(path, cached=None):
    """A workbook whose B3 (column AAA1) holds the formula =2+3; with ``cached``, the value a
    spreadsheet program would have stored beside it (openpyxl itself never computes formulas, so
    the value is written into the sheet XML the way Excel stores it)."""
    import zipfile

    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Answers"
    for row in (["ResponseId", "AAA1"], ["R_1", 4], ["R_2", "=2+3"]):
        sheet.append(row)
    book.save(path)
    if cached is None:
        return path
    raw = path.read_bytes()
    plain = path.with_suffix(".plain.xlsx")
    plain.write_bytes(raw)
    with zipfile.ZipFile(plain) as zin, zipfile.ZipFile(path, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                assert b"<f>2+3</f><v />" in data
                data = data.replace(b"<f>2+3</f><v />", b"<f>2+3</f><v>" + str(cached).encode() + b"</v>")
            zout.writestr(item, data)
    plain.unlink()
    return path


def test_xlsx_formula_without_cached_value_is_an_error_naming_the_cell(tmp_path):
    path = _workbook_with_formula(tmp_path / "s.xlsx")
    with pytest.raises(SurveySemError) as err:
        read_survey(path)
    line = err.value.one_line()
    assert "\n" not in line and str(path) in line
    assert "1 formula cell(s) of sheet 'Answers' have no computed value: B3 (column AAA1)" in line


def test_xlsx_formula_with_cached_value_reads_the_value(tmp_path):
    path = _workbook_with_formula(tmp_path / "s.xlsx", cached=5)
    table = read_survey(path)
    assert table.frame["AAA1"].tolist() == [4, 5]
