"""Outcome formulas, typology and the Table 1 audit (references: hand computations from
Yang & Stoian 2024, Table 1; exact arithmetic, so tolerances are 1e-12 unless stated)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from surveysem.errors import SurveySemError
from surveysem.instrument.scales import load_instrument
from surveysem.outcomes.firms import FIRM_OUTCOME_COLUMNS, firm_outcomes
from surveysem.outcomes.measures import (
    country_aliases,
    diversification,
    sales_intensity,
    speed_of_spread,
    typology_group,
)
from surveysem.outcomes.table1 import (
    AUDIT_COLUMNS,
    parse_printed_percent,
    read_table1,
    round_half_up,
    table1_audit,
    table1_regions,
    write_table1_audit,
)

ROOT = Path(__file__).resolve().parents[2]
TABLE1 = ROOT / ".test" / "data" / "yang_stoian_2024_table1.csv"
MARKETS = ROOT / ".test" / "data" / "yang_stoian_2024_markets.csv"
REGIONS = ROOT / ".test" / "scales" / "regions.csv"

BG1_MARKETS = (
    "Netherlands, Germany (2002); UK (2004); France, Italy (2005); Japan (2008); USA (2010); "
    "Turkey (2014); India (2015)"
)


# --------------------------------------------------------------------------- formulas


def test_spread_bg2_and_bg1_by_hand():
    # BG 2: 3 countries, age 4, first entry in its 3rd year -> 3 / (4 - 3 + 1) = 1.5
    assert speed_of_spread(3, 4, 3) == pytest.approx(1.5, abs=1e-12)
    # BG 1: 9 countries, age 15, 1st year -> 9 / 15 = 0.6
    assert speed_of_spread(9, 15, 1) == pytest.approx(0.6, abs=1e-12)
    # BG 32: 10 countries, age 3, 1st year -> 3.333..., printed 3.3
    assert speed_of_spread(10, 3, 1) == pytest.approx(10 / 3, abs=1e-12)


def test_spread_vectorised_and_undefined():
    out = speed_of_spread(pd.Series([3, 9, 2]), pd.Series([4, 15, 2]), pd.Series([3, 1, 3]))
    assert isinstance(out, pd.Series)
    assert out.iloc[0] == pytest.approx(1.5) and out.iloc[1] == pytest.approx(0.6)
    assert math.isnan(out.iloc[2])  # first entry "in the 3rd year" of a 2-year-old firm: 0 years
    assert math.isnan(speed_of_spread(np.nan, 4, 3))


def test_diversification_home_country_and_duplicates():
    table = {"USA": "North America", "Poland": "European Union", "Australia": "Pacific", "China": "China",
             "Hong Kong": "China", "Germany": "European Union"}
    assert diversification(["USA", "Poland", "Australia"], table, home_country="China") == 3  # BG 2
    assert diversification(["USA", "u.s.a.", "USA "], {"USA": "North America", "U.S.A.": "North America"}, home_country="China") == 1
    assert diversification(["USA", "China"], table, home_country="China") == 1  # the home market is not a foreign region
    assert diversification(["USA", "China"], table, home_country=None) == 2
    assert diversification(["Hong Kong", "Germany", "Poland"], table, home_country="China") == 2  # Hong Kong is foreign
    with pytest.raises(SurveySemError, match="Atlantis"):
        diversification(["Atlantis"], table, home_country="China")


def test_diversification_with_project_region_table():
    regions = pd.read_csv(REGIONS, dtype=str, keep_default_na=False)
    countries = [c.strip() for part in BG1_MARKETS.split(";") for c in part.split("(")[0].split(",")]
    # BG 1: EU (NL, DE, UK, FR, IT), Japan, North America (USA), MENA (Turkey), India -> 5 (printed 5)
    assert diversification(countries, regions, home_country="China") == 5


def test_sales_intensity():
    assert sales_intensity(80) == pytest.approx(0.8, abs=1e-12)
    assert sales_intensity(25.0) == pytest.approx(0.25, abs=1e-12)
    assert math.isnan(sales_intensity(np.nan))
    np.testing.assert_allclose(sales_intensity(np.array([0, 100, 35])), [0.0, 1.0, 0.35])
    with pytest.raises(SurveySemError):
        sales_intensity(120)


def test_round_half_up_and_percent_parsing():
    assert round_half_up(0.75) == 0.8  # Python's round() gives 0.8 here too, but:
    assert round_half_up(0.25) == 0.3  # round(0.25, 1) == 0.2 (banker's rounding)
    assert round_half_up(0.35) == 0.4  # 0.35 is 0.34999... in binary; half up on the decimal
    assert round_half_up(2 / 3) == 0.7
    assert round_half_up(3.0) == 3.0
    assert parse_printed_percent("80%") == (80.0, "")
    value, note = parse_printed_percent("Almost 100%")
    assert value == 100.0 and "Almost 100%" in note
    with pytest.raises(SurveySemError):
        parse_printed_percent("most")


def test_typology():
    # Group 1: low-tech whatever the customers
    assert typology_group(1, 1) == 1 and typology_group(1, 2) == 1 and typology_group(1, None) == 1
    # Group 2 / 3: high-tech and knowledge-intensive services alike
    assert typology_group(2, 1) == 2 and typology_group(3, 1) == 2
    assert typology_group(2, 2) == 3 and typology_group(3, 2) == 3
    assert typology_group("Low-tech", "corporate") == 1
    assert typology_group("Knowledge-intensive service", "Individual") == 2
    assert typology_group("High-tech", "corporate") == 3
    assert typology_group(2.0, "2") == 3
    assert typology_group(None, 1) is None and typology_group(2, np.nan) is None
    with pytest.raises(SurveySemError):
        typology_group(4, 1)
    with pytest.raises(SurveySemError):
        typology_group("medium-tech", 1)


# --------------------------------------------------------------------------- survey data


@pytest.fixture(scope="module")
def inst():
    return load_instrument(ROOT / ".test" / "scales")


def _profile(**kw):
    base = {"respondent_id": "R1", "FOUNDED": 2014, "FIRSTSALE": 2016,
            "MARKETS": "USA, Poland (2016); Australia (2018)", "FSHARE": 70, "SIZE": 1, "SECTOR": 4,
            "TECH": 2, "CUSTOMER": 1}
    base.update(kw)
    return base


def test_firm_outcomes_bg2_bg1_as_survey_answers(inst):
    df = pd.DataFrame([
        # BG 2 answered in 2018: founded 2014, first foreign sale 2016 (its 3rd year)
        _profile(),
        # BG 1 answered in 2018 would be 16 years old: 9 / 16; the 2017 answer is 9 / 15 = 0.6
        _profile(respondent_id="R2", FOUNDED=2002, FIRSTSALE=2002, MARKETS=BG1_MARKETS, FSHARE=80, SIZE=3,
                 SECTOR=1, TECH=1, CUSTOMER=2),
    ])
    warnings = []
    out = firm_outcomes(df, inst, 2018, "China", warnings=warnings)
    assert list(out.columns) == FIRM_OUTCOME_COLUMNS
    bg2, bg1 = out.iloc[0], out.iloc[1]
    assert (bg2.n_countries, bg2.age, bg2.diversification, bg2.group) == (3, 4, 3, 2)
    assert bg2.spread == pytest.approx(1.5, abs=1e-12) and bg2.intensity == pytest.approx(0.7, abs=1e-12)
    assert (bg1.n_countries, bg1.age, bg1.diversification, bg1.group) == (9, 16, 5, 1)
    assert bg1.spread == pytest.approx(9 / 16, abs=1e-12)
    out17 = firm_outcomes(df.iloc[[1]], inst, 2017, "China")
    assert out17.spread.iloc[0] == pytest.approx(0.6, abs=1e-12) and out17.age.iloc[0] == 15
    assert warnings == []


def test_firm_outcomes_edge_cases(inst):
    df = pd.DataFrame([
        _profile(respondent_id="home", MARKETS="China (2016); USA (2016); Germany (2017)"),
        _profile(respondent_id="late", FIRSTSALE=2018, MARKETS="USA (2018); Japan (2018)"),
        _profile(respondent_id="nomarkets", MARKETS=np.nan, FSHARE=np.nan, TECH=np.nan),
        _profile(respondent_id="nofirst", FIRSTSALE=np.nan, MARKETS="USA (2015); Japan (2017)"),
    ])
    warnings = []
    out = firm_outcomes(df, inst, 2018, "China", warnings=warnings).set_index("respondent_id")
    assert out.loc["home", "n_countries"] == 2 and out.loc["home", "diversification"] == 2
    assert out.loc["home", "spread"] == pytest.approx(1.0)
    assert math.isnan(out.loc["late", "spread"]) and out.loc["late", "diversification"] == 2
    assert pd.isna(out.loc["nomarkets", "n_countries"]) and math.isnan(out.loc["nomarkets", "intensity"])
    assert pd.isna(out.loc["nomarkets", "group"])
    assert out.loc["nofirst", "spread"] == pytest.approx(2 / 3)  # earliest MARKETS year 2015
    text = " ".join(warnings)
    assert "home country China" in text and "spread undefined" in text and "FIRSTSALE missing" in text


def test_firm_outcomes_errors(inst):
    with pytest.raises(SurveySemError, match="Atlantis"):
        firm_outcomes(pd.DataFrame([_profile(MARKETS="Atlantis (2016)")]), inst, 2018, "China")
    with pytest.raises(SurveySemError, match="row 2"):
        firm_outcomes(pd.DataFrame([_profile(MARKETS="USA 2016")]), inst, 2018, "China")
    with pytest.raises(SurveySemError, match="FSHARE"):
        firm_outcomes(pd.DataFrame([_profile()]).drop(columns="FSHARE"), inst, 2018, "China")
    with pytest.raises(SurveySemError, match="row 3, column FSHARE"):
        firm_outcomes(pd.DataFrame([_profile(), _profile(FSHARE=140)]), inst, 2018, "China")
    with pytest.raises(SurveySemError, match="row 2, column TECH/CUSTOMER.*tech intensity"):
        firm_outcomes(pd.DataFrame([_profile(TECH=9)]), inst, 2018, "China")


# --------------------------------------------------------------------------- Table 1 audit


@pytest.fixture(scope="module")
def audit():
    table1, markets = read_table1(TABLE1, MARKETS)
    regions = pd.read_csv(REGIONS, dtype=str, keep_default_na=False)
    return table1_audit(table1, markets, regions, home_country="China", spread_decimals=1)


def test_audit_columns_and_all_spreads_agree(audit):
    assert list(audit.columns) == AUDIT_COLUMNS
    assert len(audit) == 33
    # every one of the 33 printed spreads is reproduced by n / (age - N + 1), rounded half up
    assert (audit.spread_computed == audit.spread_reported).sum() == 33
    # every printed intensity equals the transcription ("Almost 100%" read as 100%)
    assert np.allclose(audit.intensity_computed, audit.intensity_reported, atol=1e-12)


def test_audit_rows_bg1_bg2(audit):
    row = audit.set_index("firm")
    assert row.loc[1, "spread_computed"] == 0.6 and row.loc[1, "diversification_computed"] == 5
    assert row.loc[2, "spread_computed"] == 1.5 and row.loc[2, "diversification_computed"] == 3
    assert bool(row.loc[1, "agrees"]) and bool(row.loc[2, "agrees"])
    assert "Almost 100%" in row.loc[6, "note"]


def test_audit_diversification_disagreements(audit):
    # With scales/regions.csv as shipped (UK in the European Union, as before Brexit when the
    # interviews took place; Switzerland in the rest of Europe) 30 of 33 firms agree. By hand:
    #   BG 12: EU (Spain, UK), India, LAC (Mexico, Peru), North America, SE Asia = 5, printed 6
    #   BG 18: EU (UK, Germany, Ireland), North America, Pacific, Rest of Europe (Switzerland) = 4, printed 3
    #   BG 30: EU (Germany), North America, Rest of Europe (Switzerland) = 3, printed 2
    disagree = audit[audit.diversification_computed != audit.diversification_reported]
    assert list(disagree.firm) == [12, 18, 30]
    assert list(disagree.diversification_computed) == [5, 4, 3]
    assert (audit.diversification_computed == audit.diversification_reported).sum() == 30
    assert audit.agrees.sum() == 30
    assert not disagree.agrees.any()
    for note in disagree.note:
        assert note.startswith("diversification: computed")
    assert "Mexico, Peru" in disagree.note.iloc[0] and "UK in Rest of Europe" in disagree.note.iloc[0]
    assert disagree.note.iloc[1].endswith("give 3: Switzerland in European Union")
    assert "Switzerland in European Union" in disagree.note.iloc[2]


def test_table1_regions(audit):
    table1, markets = read_table1(TABLE1, MARKETS)
    regions = pd.read_csv(REGIONS, dtype=str, keep_default_na=False)
    per = table1_regions(table1, markets, regions, home_country="China").set_index("firm")
    assert per.loc[2, "regions"] == "European Union; North America; Pacific"
    assert per.loc[2, "years_abroad"] == 2 and per.loc[2, "spread_exact"] == pytest.approx(1.5)
    assert per.loc[2, "implied_study_year"] == 2018  # first entry 2016 in its 3rd year, age 4
    assert (per.n_regions.values == audit.diversification_computed.values).all()


def test_write_table1_audit_and_unknown_country(tmp_path):
    out = write_table1_audit(TABLE1, MARKETS, REGIONS, tmp_path / "a.csv", tmp_path / "r.csv", home_country="China", spread_decimals=1)
    assert len(out) == 33 and (tmp_path / "a.csv").read_text().startswith(",".join(AUDIT_COLUMNS))
    first = (tmp_path / "a.csv").read_bytes()
    write_table1_audit(TABLE1, MARKETS, REGIONS, tmp_path / "a.csv", tmp_path / "r.csv", home_country="China", spread_decimals=1)
    assert (tmp_path / "a.csv").read_bytes() == first  # deterministic
    bad = tmp_path / "markets.csv"
    bad.write_text(MARKETS.read_text().replace("1,Japan,2008", "1,Atlantis,2008"))
    with pytest.raises(SurveySemError) as err:
        write_table1_audit(TABLE1, bad, REGIONS, tmp_path / "b.csv", tmp_path / "s.csv", home_country="China", spread_decimals=1)
    line = str(err.value)
    assert "markets.csv" in line and "row 7" in line and "Atlantis" in line and "\n" not in line


def test_audit_notes_only_where_something_differs(audit):
    # the transcribed markets match the printed column for every firm, so agreeing rows carry
    # at most the "Almost 100%" remark
    agreeing = audit[audit.agrees]
    assert agreeing.note.isin(["", 'intensity: printed "Almost 100%", taken as 100%']).all()
    assert (audit.note != "").sum() == 3 + 3  # three disagreements, three "Almost 100%" firms (6, 8, 19)


def test_aliases_of_the_region_table_count_as_one_country(inst):
    """USA / United States / U.S. are one country (regions.csv same_as), as the spread counts it."""
    df = pd.DataFrame([_profile(MARKETS="USA (2016); United States (2017); U.S. (2018); Germany (2016)")])
    out = firm_outcomes(df, inst, 2018, "China")
    assert out.loc[0, "n_countries"] == 2 and out.loc[0, "diversification"] == 2
    aliases = country_aliases(inst)
    assert aliases["england"] == aliases["united kingdom"] == "uk" and "uk" not in aliases


def test_an_implausible_market_history_is_flagged(inst):
    listed = "; ".join(f"{c} (2017)" for c in inst.regions["country"][:40])
    warnings: list[str] = []
    firm_outcomes(pd.DataFrame([_profile(MARKETS=listed, FIRSTSALE=2017)]), inst, 2018, "China", warnings=warnings)
    assert any("entries in 2017" in w and "implausible" in w for w in warnings)


@pytest.mark.parametrize("row, message", [
    ("Narnia,North America,North America,Atlantis", "'Atlantis' is not a country of the table"),
    ("Yankeeland,North America,North America,United States", "'United States' is itself an alias (of 'USA')"),
    ("Deutschland,North America,North America,Germany", "'Germany' lies in region 'European Union', not 'North America'"),
])
def test_bad_aliases_are_one_line_naming_the_row(tmp_path, row, message):
    import shutil

    scales = tmp_path / "scales"
    shutil.copytree(ROOT / ".test" / "scales", scales)
    table = scales / "regions.csv"
    table.write_text(table.read_text(encoding="utf-8") + row + "\n", encoding="utf-8")
    with pytest.raises(SurveySemError) as err:
        load_instrument(scales)
    line = err.value.one_line()
    assert message in line and "regions.csv" in line and "same_as" in line and "\n" not in line
