"""`surveysem check` and the ingest step on malformed files: one line, exit 1, nothing written."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

import survey_kit as kit
from surveysem.cli import main
from surveysem.errors import SurveySemError

from surveysem.data.steps import ingest
from surveysem.instrument.scales import instrument_files
from surveysem.workflow.params import as_params, config_leaves
from surveysem.workflow.run import run_step


class _Named(dict):
    """Stands in for Snakemake's named lists (input, output, params, wildcards) of a job."""


def _qualtrics(tmp_path, change=None, columns=None, name="s.csv", encoding="utf-8"):
    records = kit.rows(4)
    if change:
        change(records)
    return kit.write_qualtrics(tmp_path / name, records, columns=columns, encoding=encoding)


def _set(i, col, value):
    def change(records):
        records[i][col] = value
    return change


def _truncated_sav(tmp_path):
    import pandas as pd
    import pyreadstat

    full = tmp_path / "full.sav"
    frame = pd.DataFrame(kit.rows(4))[["ResponseId"] + kit.ITEMS + kit.PROFILE]
    pyreadstat.write_sav(frame, str(full))
    path = tmp_path / "s.sav"
    path.write_bytes(full.read_bytes()[:400])
    return path


def _ragged(tmp_path):
    path = _qualtrics(tmp_path)
    text = path.read_text(encoding="utf-8").rstrip("\r\n")
    path.write_text(text[: text.rfind(",") - 3] + "\r\n", encoding="utf-8")  # last line cut off
    return path


def _latin1_with_utf8_configured(tmp_path):
    return _qualtrics(tmp_path, _set(1, "COMMENTS", "Très bien, merci"), encoding="latin-1")


# name -> (make file, config data overrides, expected fragment of the one-line message)
CASES = {
    "wrong_delimiter": (lambda t: _write_plain(t, ";"), {"delimiter": ","},
                        "everything is in one column with delimiter comma; the delimiter looks like semicolon"),
    "text_in_item": (lambda t: _qualtrics(t, _set(1, "AAA2", "agree")), {},
                     "row 5, column AAA2: not a number"),
    "out_of_range": (lambda t: _qualtrics(t, _set(2, "BBB2", "8")), {},
                     "row 6, column BBB2: outside the response scale 1..5 (value '8')"),
    "non_integer_likert": (lambda t: _qualtrics(t, _set(0, "AAA3", "2.5")), {},
                           "row 4, column AAA3: not a whole number on the 1..5 response scale (value '2.5')"),
    "duplicate_id": (lambda t: _qualtrics(t, _set(3, "ResponseId", "R_0001")), {},
                     "row 7, column ResponseId: duplicate respondent id (first at row 5) (value 'R_0001')"),
    "missing_id": (lambda t: _qualtrics(t, _set(2, "ResponseId", "")), {},
                   "row 6, column ResponseId: respondent id is empty"),
    "missing_item_column": (lambda t: _qualtrics(t, columns=[c for c in kit.COLUMNS if c != "BBB3"]), {},
                            "missing 1 item column: BBB3"),
    "missing_id_column": (lambda t: _qualtrics(t, columns=[c for c in kit.COLUMNS if c != "ResponseId"]), {},
                          "respondent-id column 'ResponseId' not found"),
    "unparseable_markets": (lambda t: _qualtrics(t, _set(1, "MARKETS", "Germany (2016) USA (2018)")), {},
                            "row 5, column MARKETS: cannot read the market history"),
    "unknown_country": (lambda t: _qualtrics(t, _set(3, "MARKETS", "Germany (2016); Narnia (2018)")), {},
                        "row 7, column MARKETS: unknown country 'Narnia'"),
    "unknown_code": (lambda t: _qualtrics(t, _set(0, "SIZE", "5")), {},
                     "row 4, column SIZE: not one of the answer codes 1, 2, 3, 4 (value '5')"),
    "percent_out_of_range": (lambda t: _qualtrics(t, _set(0, "FSHARE", "150%")), {},
                             "row 4, column FSHARE: outside the allowed range 0..100 (value '150%')"),
    "empty_file": (lambda t: _write_bytes(t / "s.csv", b""), {}, "file is empty"),
    "header_only": (lambda t: _write_bytes(t / "s.csv", kit.qualtrics_text([]).encode()), {},
                    "no data rows (header only)"),
    "truncated_sav": (_truncated_sav, {}, "cannot read as a SPSS .sav file, it may be truncated or damaged"),
    "bad_encoding": (_latin1_with_utf8_configured, {"encoding": "utf-8"},
                     "row 5: cannot decode as utf-8: byte 0xe8 is not valid"),
    "undecodable_auto": (lambda t: _write_bytes(t / "s.csv", b"ResponseId,AAA1\n\x81\x8d\x8f,\x90\x9d\n"), {},
                         "undecodable bytes"),
    "ragged_truncated_csv": (_ragged, {}, "row 7: has 29 fields but the header has 30"),
    "not_really_xlsx": (lambda t: _write_bytes(t / "s.xlsx", b"ResponseId,AAA1\nR_1,3\n"), {},
                        "cannot read as an Excel .xlsx workbook"),
    "xlsx_formula_without_value": (lambda t: _xlsx_with_formula(t), {},
                                   "1 formula cell(s) of sheet 'Sheet' have no computed value: "),
}


def _xlsx_with_formula(tmp_path):
    """A valid survey as .xlsx whose first AAA1 answer is a formula saved without its value (as
    openpyxl and pandas write formulas): ingest would read it as a missing answer."""
    import openpyxl
    import pandas as pd

    frame = pd.DataFrame(kit.rows(4))
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Sheet"
    sheet.append(list(frame.columns))
    for i, record in enumerate(frame.itertuples(index=False)):
        cells = list(record)
        if i == 0:
            cells[list(frame.columns).index("AAA1")] = "=1+2"
        sheet.append(cells)
    path = tmp_path / "s.xlsx"
    book.save(path)
    return path


def _write_bytes(path, content):
    path.write_bytes(content)
    return path


def _write_plain(tmp_path, delimiter):
    path = tmp_path / "s.csv"
    path.write_text(kit.plain_text(kit.rows(3), delimiter=delimiter), encoding="utf-8")
    return path


def _setup(tmp_path, case):
    make, data, expected = CASES[case]
    scales = kit.write_scales(tmp_path / "scales")
    path = make(tmp_path)
    cfg = kit.config_for(scales, path, data=data)
    config_file = kit.write_config(tmp_path / "config.yaml", cfg)
    return path, cfg, config_file, expected


@pytest.mark.parametrize("case", sorted(CASES))
def test_check_reports_one_line_and_exit_1(tmp_path, case, capsys, monkeypatch):
    path, _, config_file, expected = _setup(tmp_path, case)
    monkeypatch.chdir(tmp_path)
    before = sorted(kit.files_under(tmp_path))
    rc = main(["check", str(path), "--config", str(config_file)])
    assert sorted(kit.files_under(tmp_path)) == before  # check writes nothing
    out, err = capsys.readouterr()
    assert rc == 1
    assert "Traceback" not in out + err
    lines = [line for line in (out + err).splitlines() if expected in line]
    assert len(lines) == 1, out + err
    assert str(path) in lines[0]


@pytest.mark.parametrize("case", sorted(CASES))
def test_pipeline_stops_with_one_line_and_writes_nothing(tmp_path, case):
    path, cfg, _, expected = _setup(tmp_path, case)
    results = tmp_path / "results"
    with pytest.raises(SurveySemError) as info:
        kit.run_data_stage(cfg, results)
    message = str(info.value)
    assert "\n" not in message and expected in message and str(path) in message
    assert kit.files_under(results) == []


@pytest.mark.parametrize("case", ["text_in_item", "truncated_sav", "missing_item_column", "unknown_country"])
def test_ingest_step_via_run_script_exits_1_with_one_line(tmp_path, case, capsys):
    path, cfg, _, expected = _setup(tmp_path, case)
    results = tmp_path / "results"
    out = {k: str(results / "clean" / f"{k}.csv") for k in ("validated", "missingness", "invalid_rows")}
    out["ingest"] = str(results / "clean" / "ingest.json")
    params = as_params(config_leaves(cfg, ["data", "study", "screening"]))
    smk = SimpleNamespace(input=_Named(survey=str(path), scales=instrument_files(cfg["instrument"]["scales_dir"])),
                          output=_Named(**out), params=_Named(**params), wildcards=_Named(),
                          log=[str(tmp_path / "ingest.log")])
    with pytest.raises(SystemExit) as info:
        run_step(ingest, smk)
    assert info.value.code == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    errors = [line for line in err.strip().splitlines() if "error" in line]  # the rest is the INFO log
    assert len(errors) == 1 and expected in errors[0] and "surveysem: error:" in errors[0]
    assert err.strip().splitlines()[-1] == errors[0]
    assert kit.files_under(results) == []


def test_check_prints_all_problems_up_to_max(tmp_path, capsys):
    scales = kit.write_scales(tmp_path / "scales")
    records = kit.rows(25)
    for rec in records:
        rec["BBB1"] = "x"
    path = kit.write_qualtrics(tmp_path / "s.csv", records)
    config_file = kit.write_config(tmp_path / "config.yaml", kit.config_for(scales, path))
    assert main(["check", str(path), "--config", str(config_file)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 22
    assert lines[0].startswith(f"{path}, row 4, column BBB1: not a number")
    assert lines[19].startswith(f"{path}, row 23, column BBB1")
    assert lines[20] == "... and 5 more (total 25)"
    assert main(["check", str(path), "--config", str(config_file), "--max-problems", "30"]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert sum("column BBB1: not a number" in line for line in lines) == 25
    assert not any(line.startswith("... and") for line in lines)


def test_check_valid_file_exit_0(tmp_path, capsys):
    scales = kit.write_scales(tmp_path / "scales")
    path = kit.write_qualtrics(tmp_path / "s.csv", kit.rows(5))
    config_file = kit.write_config(tmp_path / "config.yaml", kit.config_for(scales, path))
    assert main(["check", str(path), "--config", str(config_file)]) == 0
    out = capsys.readouterr().out
    assert f"{path}: qualtrics, encoding utf-8, delimiter ',': usable: 5 rows, no problems" in out
    assert "identifying columns that ingest drops: IPAddress" in out


def test_check_with_drop_mode_is_usable_when_rows_remain(tmp_path, capsys):
    scales = kit.write_scales(tmp_path / "scales")
    records = kit.rows(5)
    records[2]["AAA1"] = "9"
    path = kit.write_qualtrics(tmp_path / "s.csv", records)
    cfg = kit.config_for(scales, path, data={"on_invalid": "drop"})
    config_file = kit.write_config(tmp_path / "config.yaml", cfg)
    assert main(["check", str(path), "--config", str(config_file)]) == 0
    out = capsys.readouterr().out
    assert "usable with data.on_invalid: drop: 1 of 5 rows would be dropped (1 problems)" in out


def test_check_format_option_and_missing_file(tmp_path, capsys):
    scales = kit.write_scales(tmp_path / "scales")
    path = tmp_path / "export.data"
    path.write_text(kit.qualtrics_text(kit.rows(3)), encoding="utf-8")
    config_file = kit.write_config(tmp_path / "config.yaml", kit.config_for(scales, tmp_path / "other.csv"))
    assert main(["check", str(path), "--config", str(config_file)]) == 1
    assert "cannot tell the format from the extension '.data'" in capsys.readouterr().err
    assert main(["check", str(path), "--config", str(config_file), "--format", "qualtrics"]) == 0
    capsys.readouterr()
    assert main(["check", str(tmp_path / "nope.csv"), "--config", str(config_file)]) == 1
    err = capsys.readouterr().err
    assert err.strip() == f"surveysem check: error: {tmp_path / 'nope.csv'}: survey file not found"
