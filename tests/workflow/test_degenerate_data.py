"""Degenerate data end to end (issue 15 item 1): a constant item, a duplicated item, a construct whose
items copy another's, and a survey of five respondents run through the whole workflow without a
traceback; the pre-check names each item or construct in one line in the warnings file and on the
report page, and the models that cannot take them say "not estimable".

Two planted surveys, one run each (the three item and construct degeneracies are independent of each
other, so they share a run): about a minute on an idle machine."""

from __future__ import annotations

import csv
import html
import json

import pandas as pd
import pytest
from conftest import SMALL_CONFIG, SNAKEMAKE, run, workflow_copy

SURVEY = ".test/data/survey_small_synthetic.csv"
FIRST = 3  # Qualtrics: two header rows below the column names


def plant_degenerate_items(header: list[str], rows: list[list[str]]) -> list[list[str]]:
    """PDC2 constant (every answer 4), SOE3 a copy of SOE2, EFT1-5 copies of CCA1-5."""
    col = header.index
    for row in rows:
        row[col("PDC2")] = "4"
        row[col("SOE3")] = row[col("SOE2")]
        for k in range(1, 6):
            row[col(f"EFT{k}")] = row[col(f"CCA{k}")]
    return rows


def plant_five_respondents(header: list[str], rows: list[list[str]]) -> list[list[str]]:
    return rows[:5]


@pytest.fixture(scope="module", params=["degenerate_items", "five_respondents"])
def planted(request, tmp_path_factory):
    work = workflow_copy(tmp_path_factory.mktemp(request.param))
    with open(work / SURVEY, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    plant = plant_degenerate_items if request.param == "degenerate_items" else plant_five_respondents
    rows[FIRST:] = plant(rows[0], rows[FIRST:])
    with open(work / SURVEY, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)
    proc = run([SNAKEMAKE, "--cores", "2", "--configfile", SMALL_CONFIG], work)
    return request.param, work, proc


def _json(work, name):
    return json.loads((work / "results" / name).read_text(encoding="utf-8"))


def _stage_warnings(work) -> list[str]:
    return [w["message"] for w in _json(work, "measurement/warnings.json")["warnings"]]


def test_no_traceback_anywhere(planted):
    _, work, proc = planted
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-6000:]
    assert "Traceback" not in proc.stdout + proc.stderr
    for log in (work / "logs").rglob("*.log"):
        assert "Traceback" not in log.read_text(encoding="utf-8", errors="replace"), log


def test_each_degeneracy_is_named_once_and_left_out(planted):
    case, work, _ = planted
    if case != "degenerate_items":
        pytest.skip("planted items only")
    n = len(pd.read_csv(work / "results/clean/analysis.csv"))
    lines = ["pre-check: item PDC2 of PDC has zero variance (every answer is 4); left out of every model",
             (f"pre-check: item SOE3 of SOE duplicates item SOE2 of SOE (r = +1 over {n} respondents); left out of "
              "every model"),
             ("pre-check: construct EFT duplicates CCA (every usable item of EFT equals or mirrors an item of CCA: "
              "collinear constructs); not estimable, left out of every model")]
    warnings = _stage_warnings(work)
    page = html.unescape((work / "reports/measurement.html").read_text(encoding="utf-8"))
    for line in lines:
        assert warnings.count(line) == 1, (line, [w for w in warnings if "pre-check" in w])
        assert line in page
    assert [w for w in warnings if w.startswith("pre-check")] == lines
    loadings = pd.read_csv(work / "results/measurement/loadings.csv")
    assert not set(loadings["item"]) & {"PDC2", "SOE3", "EFT1"} and "EFT" not in set(loadings["construct"])
    scales = pd.read_csv(work / "results/measurement/verdicts.csv").set_index("construct")
    assert scales.loc["EFT", "verdict"] == "not estimable" and "duplicates CCA" in scales.loc["EFT", "reasons"]
    assert scales.loc["PDC", "verdict"] != "not estimable"
    p4 = _json(work, "propositions/p4_models.json")
    assert "EFT" not in p4["processes"]["sensing"] and "PDC2" not in p4["items"]["PDC"]
    assert lines[2] in p4["warnings"] and p4["not_estimable"] is None


def test_propositions_with_a_collinear_construct_are_not_estimable(planted):
    case, work, _ = planted
    if case != "degenerate_items":
        pytest.skip("planted items only")
    verdicts = pd.read_csv(work / "results/propositions/verdicts.csv")
    p3 = verdicts[verdicts["proposition"] == "P3"]
    assert (p3["verdict"] == "not estimable").all() and len(p3) == 5
    assert p3[p3["level"] == "sub-hypothesis"]["evidence"].str.contains("EFT duplicates CCA").all()
    others = verdicts[(verdicts["level"] == "proposition") & verdicts["proposition"].isin(["P1", "P2"])]
    assert not (others["verdict"] == "not estimable").any()
    boot = pd.concat(pd.read_csv(p) for p in sorted((work / "results/propositions/bootstrap").glob("chunk_*.csv")))
    assert len(boot) == 20 and boot["status"].notna().all()


def test_five_respondents_are_not_estimable_with_the_count(planted):
    case, work, _ = planted
    if case != "five_respondents":
        pytest.skip("five respondents only")
    n = len(pd.read_csv(work / "results/clean/analysis.csv"))
    assert n <= 5
    warnings = _stage_warnings(work)
    for analysis in ("reliability", "EFA", "CFA", "CMV", "HTMT", "invariance"):
        line = f"pre-check: {n} respondent(s) with answers; the {analysis} needs at least 10: not estimable (16 construct(s))"
        assert warnings.count(line) == 1, analysis
    scales = pd.read_csv(work / "results/measurement/verdicts.csv")
    assert (scales["verdict"] == "not estimable").all() and len(scales) == 16
    verdicts = pd.read_csv(work / "results/propositions/verdicts.csv")
    assert (verdicts["verdict"] == "not estimable").all()
    p4 = verdicts[(verdicts["proposition"] == "P4") & (verdicts["level"] == "sub-hypothesis")]
    assert p4["evidence"].str.contains(f"{n} respondent\\(s\\) with answers").all()
    boot = pd.concat(pd.read_csv(p) for p in sorted((work / "results/propositions/bootstrap").glob("chunk_*.csv")))
    assert len(boot) == 20 and boot["status"].str.startswith("failed: not estimable").all()
    assert "not estimable" in (work / "reports/index.html").read_text(encoding="utf-8")
