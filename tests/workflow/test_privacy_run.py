"""Identifying values typed where they do not belong (issue 15 item 7), through the workflow: an
e-mail address, a phone number (also as bare digits) and an IP address in a share field (FSHARE), in the date column that
orders duplicate submissions (RecordedDate) and in the id column (ResponseId). None of them appears
under results/, reports/ or logs/, nor on the console; the id column is refused in one line.

The data stage is the only way into the workflow (every later rule reads its tables), so the runs
stop after it (about 15 s)."""

from __future__ import annotations

import csv

import pandas as pd
import pytest
from conftest import SMALL_CONFIG, SNAKEMAKE, run, workflow_copy

SURVEY = ".test/data/survey_small_synthetic.csv"
FIRST = 3  # Qualtrics: two header rows below the column names
EMAIL, PHONE, IP = "gwen.ashcombe@example.org", "+44 7700 900123", "198.51.100.23"
DIGITS = "447700900123"  # the phone number typed as a number: a "number" before issue 15
PLANTED = (EMAIL, PHONE, DIGITS, IP)
DATA_STAGE = ["results/clean/analysis.csv", "results/screening/flow.csv"]


def plant(work, cells: dict[tuple[int, str], str], on_invalid: str) -> None:
    """Write ``cells`` ((data row, column) -> value) into the survey and set data.on_invalid."""
    path = work / SURVEY
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    for (i, column), value in cells.items():
        rows[FIRST + i][rows[0].index(column)] = value
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)
    config = work / SMALL_CONFIG
    text = config.read_text(encoding="utf-8")
    assert "  on_invalid: error\n" in text
    config.write_text(text.replace("  on_invalid: error\n", f"  on_invalid: {on_invalid}\n"), encoding="utf-8")


CASES = {
    # on_invalid: drop: the rows are dropped and listed, their values redacted
    "share_and_order_column": ({(1, "FSHARE"): EMAIL, (2, "FSHARE"): DIGITS, (3, "FSHARE"): IP,
                                (4, "RecordedDate"): EMAIL, (5, "RecordedDate"): PHONE, (6, "RecordedDate"): IP},
                               "drop"),
    # on_invalid: error: the run stops at the first, the error line without the value
    "error_line": ({(1, "FSHARE"): EMAIL, (2, "RecordedDate"): PHONE}, "error"),
    "id_column": ({(1, "ResponseId"): EMAIL, (2, "ResponseId"): PHONE, (3, "ResponseId"): IP}, "drop"),
}


@pytest.fixture(scope="module", params=sorted(CASES))
def planted(request, tmp_path_factory):
    work = workflow_copy(tmp_path_factory.mktemp(request.param))
    cells, on_invalid = CASES[request.param]
    plant(work, cells, on_invalid)
    proc = run([SNAKEMAKE, "--cores", "2", *DATA_STAGE, "--configfile", SMALL_CONFIG], work)
    return request.param, work, proc


def test_no_planted_value_anywhere(planted):
    _, work, proc = planted
    console = proc.stdout + proc.stderr
    assert "Traceback" not in console
    assert not any(v in console for v in PLANTED), [v for v in PLANTED if v in console]
    files = [p for folder in ("results", "reports", "logs") for p in (work / folder).rglob("*") if p.is_file()]
    assert files
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        assert not any(v in text for v in PLANTED), (path, [v for v in PLANTED if v in text])


def test_the_dropped_rows_are_listed_redacted(planted):
    case, work, proc = planted
    if case != "share_and_order_column":
        pytest.skip("on_invalid: drop only")
    assert proc.returncode == 0, proc.stderr[-3000:]
    invalid = pd.read_csv(work / "results/clean/invalid_rows.csv", dtype=str, keep_default_na=False)
    assert invalid["column"].tolist() == ["FSHARE"] * 3 + ["RecordedDate"] * 3
    assert invalid["value"][:3].str.startswith("[redacted: not a plausible answer").all()
    assert (invalid["reason"][3:] == "identifying_value_in_order_column").all()


def test_the_error_line_names_the_cell_not_the_value(planted):
    case, work, proc = planted
    if case != "error_line":
        pytest.skip("on_invalid: error only")
    assert proc.returncode != 0
    lines = [line for line in (proc.stdout + proc.stderr).splitlines() if "surveysem: error:" in line]
    assert lines and all("row 5, column FSHARE: not a number" in line for line in lines)
    assert "(value '[redacted: e-mail address]')" in lines[0]
    assert "row 5, column FSHARE" in (work / "logs/data/ingest.log").read_text(encoding="utf-8")


def test_an_identifying_id_column_is_refused_in_one_line(planted):
    case, work, proc = planted
    if case != "id_column":
        pytest.skip("id column only")
    assert proc.returncode != 0
    lines = {line.split("surveysem: error: ", 1)[1] for line in (proc.stdout + proc.stderr).splitlines()
             if "surveysem: error:" in line}
    n = len(pd.read_csv(work / SURVEY, skiprows=[1, 2]))
    assert lines == {(f"{SURVEY}, column ResponseId: data.id_column 'ResponseId' holds values that look like e-mail "
                      f"address or phone number or IP address (3 of {n} rows, first at row 5): an id that identifies "
                      "people is refused; use an anonymous id such as ResponseId")}
