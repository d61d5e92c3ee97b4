"""parse_market_history: the MARKETS profile item and Table 1's markets_as_printed."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from surveysem.data.markets import parse_market_history

REPO = Path(__file__).resolve().parents[2]


def test_simple_groups():
    assert parse_market_history("Germany (2015); USA (2016)") == [("Germany", 2015), ("USA", 2016)]


def test_countries_sharing_a_year():
    assert parse_market_history("Netherlands, Germany (2002); UK (2004)") == [
        ("Netherlands", 2002),
        ("Germany", 2002),
        ("UK", 2004),
    ]


def test_whitespace_tolerant():
    text = "  Netherlands ,Germany(2002) ;\n UK\u00a0( 2004 ) ; United  Arab Emirates (2017);"
    assert parse_market_history(text) == [
        ("Netherlands", 2002),
        ("Germany", 2002),
        ("UK", 2004),
        ("United Arab Emirates", 2017),
    ]


def test_full_width_punctuation():
    assert parse_market_history("Germany（２０１５）；USA，Japan（2016）") == [
        ("Germany", 2015), ("USA", 2016), ("Japan", 2016)]


def test_comma_between_groups_as_printed_in_table1():
    assert parse_market_history("Ethiopia (2010), Malaysia (2011); Pakistan (2012)") == [
        ("Ethiopia", 2010),
        ("Malaysia", 2011),
        ("Pakistan", 2012),
    ]


@pytest.mark.parametrize("empty", ["", "   ", None, float("nan"), pd.NA])
def test_empty_gives_empty_list(empty):
    assert parse_market_history(empty) == []


@pytest.mark.parametrize(
    "bad",
    [
        "Germany 2015",
        "Germany (15)",
        "Germany (20x5)",
        "(2015)",
        "Germany (2015) USA (2016)",
        "Germany, (2015)",
        "Germany (2015); ; USA (2016)",
        "Germany ((2015))",
        "Germany (1066)",
        "123 (2015)",
        "Germany (2015); USA",
    ],
)
def test_malformed_raises_short_value_error(bad):
    with pytest.raises(ValueError) as info:
        parse_market_history(bad)
    message = str(info.value)
    assert "\n" not in message and len(message) < 120


def test_non_text_raises_value_error():
    with pytest.raises(ValueError):
        parse_market_history(2015)  # type: ignore[arg-type]


def test_table1_rows_match_the_long_markets_table():
    table1 = pd.read_csv(REPO / ".test" / "data" / "yang_stoian_2024_table1.csv")
    markets = pd.read_csv(REPO / ".test" / "data" / "yang_stoian_2024_markets.csv")
    for _, row in table1.iterrows():
        rows = markets.loc[markets["firm"] == row["firm"], ["country", "entry_year"]]
        expected = [(c, int(y)) for c, y in rows.itertuples(index=False)]
        assert parse_market_history(row["markets_as_printed"]) == expected, row["firm"]
