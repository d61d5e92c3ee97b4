"""The pre-check of degenerate data: each planted degeneracy named in one line, the item or the
construct left out, clean data untouched."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from surveysem.measurement.degenerate import (
    MIN_RESPONDENTS,
    precheck,
    precheck_table,
    problem_of,
)

SCALES = {"AAA": ["AAA1", "AAA2", "AAA3"], "BBB": ["BBB1", "BBB2", "BBB3"], "CCC": ["CCC1", "CCC2", "CCC3"]}


@pytest.fixture
def answers() -> pd.DataFrame:
    """60 respondents answering three 3-item scales on 1..7 (one factor each, correlated items)."""
    rng = np.random.default_rng(3)
    cols = {}
    for items in SCALES.values():
        f = rng.normal(size=60)
        for i in items:
            cols[i] = np.clip(np.round(4 + 1.2 * f + rng.normal(size=60)), 1, 7)
    return pd.DataFrame(cols)


def test_clean_data_pass_untouched(answers):
    pc = precheck(answers, SCALES)
    assert pc.scales == SCALES and pc.warnings == [] and pc.dropped == {} and pc.not_estimable == {}
    assert pc.n == 60


def test_constant_item_is_named_and_left_out(answers):
    answers["AAA2"] = 4.0
    pc = precheck(answers, SCALES)
    assert pc.scales["AAA"] == ["AAA1", "AAA3"]
    assert pc.warnings == ["pre-check: item AAA2 of AAA has zero variance (every answer is 4); left out of every model"]


def test_duplicated_and_mirrored_items_keep_the_first(answers):
    answers["AAA3"] = answers["AAA1"]
    answers["BBB2"] = 8 - answers["BBB1"]  # a reverse-keyed copy: r = -1
    answers.loc[5, "BBB2"] = np.nan  # pairwise complete: still a copy where both were answered
    pc = precheck(answers, SCALES)
    assert pc.scales["AAA"] == ["AAA1", "AAA2"] and pc.scales["BBB"] == ["BBB1", "BBB3"]
    assert pc.warnings == [
        "pre-check: item AAA3 of AAA duplicates item AAA1 of AAA (r = +1 over 60 respondents); left out of every model",
        ("pre-check: item BBB2 of BBB mirrors (reverse-keyed copy of) item BBB1 of BBB (r = -1 over 59 respondents); "
         "left out of every model")]


def test_a_construct_copying_another_is_not_estimable(answers):
    for k in (1, 2, 3):
        answers[f"CCC{k}"] = answers[f"AAA{k}"]
    pc = precheck(answers, SCALES)
    assert list(pc.scales) == ["AAA", "BBB"]
    assert pc.not_estimable == {"CCC": "construct CCC duplicates AAA (every usable item of CCC equals or mirrors "
                                       "an item of AAA: collinear constructs)"}
    assert pc.warnings == ["pre-check: " + pc.not_estimable["CCC"] + "; not estimable, left out of every model"]
    assert problem_of(pc, ["BBB", "CCC"]) == pc.not_estimable["CCC"] and problem_of(pc, ["AAA"]) is None


def test_a_construct_left_with_one_item_is_not_estimable(answers):
    answers["BBB1"] = 2.0
    answers["BBB3"] = np.nan
    answers.loc[0, "BBB3"] = 5.0  # one answer: no variance either
    pc = precheck(answers, SCALES)
    assert "BBB" not in pc.scales
    assert pc.not_estimable["BBB"] == "construct BBB keeps 1 usable item(s) of 3 (fewer than 2)"
    assert "pre-check: item BBB3 of BBB has fewer than 2 answers (1); left out of every model" in pc.warnings
    assert len(pc.warnings) == 3


@pytest.mark.parametrize("n", [0, 1, 5, 9])
def test_too_few_respondents_make_every_construct_not_estimable(answers, n):
    pc = precheck(answers.head(n), SCALES, analysis="CFA")
    assert pc.scales == {} and set(pc.not_estimable) == set(SCALES)
    assert pc.warnings == [(f"pre-check: {n} respondent(s) with answers; the CFA needs at least "
                            f"{MIN_RESPONDENTS['CFA']}: not estimable (3 construct(s))")]


def test_the_table_version_reads_text_answers_and_ignores_other_columns(answers):
    table = answers.astype(str).assign(respondent_id=[f"R{i}" for i in range(60)])
    table["AAA2"] = "4.0"
    pc = precheck_table(table, SCALES, "reliability")
    assert list(pc.dropped) == ["AAA2"] and pc.n == 60
