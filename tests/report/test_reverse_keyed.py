"""Reverse-keyed items: marked (R) in the item statistics, with their means as answered, and in the
Likert bars, where the mark survives the truncation of a long wording."""

import re

import pandas as pd
import pytest

from surveysem.report.figures import REVERSE_MARK, item_label, likert_bars
from surveysem.report.pages import Context, build_report
from surveysem.stage_files import path as stage_path
from tests.report.results_tree import make_results

LONG = "Our managers rarely pay attention to how demand for our products develops in any of our foreign markets"


def test_item_label_cuts_the_wording_not_the_mark():
    label = item_label("PDC5", LONG, 58, reverse=True)
    assert label.startswith("PDC5 (R)  Our managers") and label.endswith("\u2026") and len(label) == 58
    assert item_label("PDC1", "Short", 58) == "PDC1  Short"
    assert item_label("PDC1", LONG, 58).startswith("PDC1  Our") and REVERSE_MARK not in item_label("PDC1", LONG, 58)


def test_likert_bars_keep_the_mark_of_a_long_reversed_item():
    values = pd.Series([1, 2, 3, 7])
    svg = likert_bars([("PDC5", LONG, values), ("PDC1", LONG, values)], 1, 7, reverse_keyed={"PDC5"})
    assert "PDC5 (R)  Our managers" in svg and "PDC1  Our managers" in svg and "PDC1 (R)" not in svg


@pytest.fixture(scope="module")
def measurement_html(tmp_path_factory):
    root = tmp_path_factory.mktemp("reverse")
    kw = make_results(root)
    inst = kw["instrument"]
    inst.fielded_constructs = inst.constructs  # the fake instrument analyses the scales as fielded
    path = root / stage_path("item_stats")
    stats = pd.read_csv(path)
    pdc3 = stats.iloc[[0]].assign(item="PDC3", mean=2.9)
    pd.concat([stats, pdc3]).to_csv(path, index=False)
    build_report(Context(**kw), root / "reports", root / "results" / "tables")
    validated = pd.read_csv(root / stage_path("validated"))
    raw_mean = validated["PDC3"].iloc[:40].mean()  # the 40 respondents the screening keeps
    return (root / "reports" / "measurement.html").read_text(encoding="utf-8"), raw_mean


def test_item_statistics_mark_reversed_items_and_give_their_means_as_answered(measurement_html):
    html, raw_mean = measurement_html
    table = re.search(r'<table class="apa" id="table-item-statistics">.*?</table>', html, re.S).group(0)
    assert ">PDC3 (R)<" in table and ">PDC1<" in table
    assert f"(as answered: PDC3 M = {raw_mean:.2f})" in table  # validated.csv, before reverse-keying
    assert "(R) = reverse-keyed item, its statistics of the reversed answers (1 + 7 \u2212 answer)" in table
    assert "acquiescence factor (method_loading) has mean 0" in table  # synthetic tree: the simulator's reason


def test_likert_figure_marks_reversed_items(measurement_html):
    fig = re.search(r'<figure id="likert-pdc">.*?</figure>', measurement_html[0], re.S).group(0)
    assert "PDC3 (R)  Hard to judge" in fig and "PDC1 (R)" not in fig
