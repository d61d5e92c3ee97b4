"""Post-entry international growth outcomes (Yang & Stoian 2024, Section 3.4, Table 1).

Three outcomes, each computed exactly as the paper defines it, plus the paper's typology
and an audit that recomputes the outcome columns of the paper's Table 1:

* :func:`speed_of_spread` -- countries entered per year since the first foreign entry,
* :func:`diversification` -- number of the 12 geographic regions entered,
* :func:`sales_intensity` -- foreign sales / total sales,
* :func:`typology_group` -- Group 1, 2 or 3 of Section 4,
* :func:`firm_outcomes` -- all of them for every respondent of a survey,
* :func:`table1_audit` / :func:`table1_regions` -- the recomputation of Table 1.

Conventions (decided here, applied everywhere)
----------------------------------------------
**Years.** Table 1 gives the firm's age and the year of first foreign entry as the firm's
"Nth year" (1st, 2nd, 3rd). Its spread column is reproduced, for all 33 firms, by
``years = age - N + 1``. For survey data the founding year counts as the firm's 1st year,
so ``N = FIRSTSALE - FOUNDED + 1``, and the age is counted in completed years,
``age = survey_year - FOUNDED``. Then ``years = survey_year - FIRSTSALE``: a firm founded in
2014 that first sold abroad in 2016 (its 3rd year) and is surveyed in 2018 is 4 years old
and has been abroad for 2 years, as BG 2 of Table 1 (3 countries / 2 years = 1.5). This is
also the only reading under which BG 2's entry into Australia (2018) is not later than
the time of the interview. A firm whose first foreign sale is in the survey year has
``years = 0``; its spread is undefined (NaN, with a warning) -- such a firm also fails the
born-global screening rule of two years of international experience.

**Home market.** Diversification counts the regions of *foreign* markets. The firms are
Chinese; "China" is one of the paper's 12 regions but Table 1 lists only foreign markets, so
the home country (``home_country``, default ``"China"``) is never counted (with a warning if
a respondent lists it). Other countries of the home country's region (e.g. Hong Kong in
``scales/regions.csv``) are foreign markets and count like any other.

**Countries** are matched to ``scales/regions.csv`` the way the instrument does (case,
dots and repeated spaces ignored: "U.S.A." = "USA"), and a country listed twice (two entry
years) counts once.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction

import numpy as np
import pandas as pd

from surveysem.errors import SurveySemError
from surveysem.instrument.scales import _country_key as country_key  # the instrument's own matching rule

HOME_COUNTRY = "China"

# Profile item ids (scales/profile.yaml) used by :func:`firm_outcomes`.
PROFILE_COLUMNS = ("FOUNDED", "FIRSTSALE", "MARKETS", "FSHARE", "SIZE", "SECTOR", "TECH", "CUSTOMER")

# Codes of scales/profile.yaml
TECH_CODES = {1: "low-tech", 2: "high-tech", 3: "knowledge-intensive service"}
CUSTOMER_CODES = {1: "individual", 2: "corporate"}

FIRM_OUTCOME_COLUMNS = [
    "respondent_id",
    "n_countries",
    "spread",
    "diversification",
    "intensity",
    "age",
    "size",
    "sector",
    "tech_intensity",
    "customer_type",
    "group",
]

AUDIT_COLUMNS = [
    "firm",
    "spread_reported",
    "spread_computed",
    "diversification_reported",
    "diversification_computed",
    "intensity_reported",
    "intensity_computed",
    "agrees",
    "note",
]

REGIONS_COLUMNS = [
    "firm",
    "n_countries",
    "years_abroad",
    "spread_exact",
    "diversification_reported",
    "n_regions",
    "regions",
    "countries_by_region",
    "first_entry_calendar_year",
    "last_entry_calendar_year",
    "implied_study_year",
]


def _missing(value) -> bool:
    if value is None or value is pd.NA:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


# --------------------------------------------------------------------------- the three outcomes


def speed_of_spread(n_countries, age, first_entry_year_of_firm):
    """Post-entry speed of international spread (countries entered per year abroad).

    Formula (Yang & Stoian 2024, Table 1 note a, with the paper's "Nth year" counting)::

        spread = n_countries / (age - first_entry_year_of_firm + 1)

    ``first_entry_year_of_firm`` is N when the first foreign entry happened in the firm's
    Nth year (founding year = 1st year). For survey answers use ``age = survey_year - FOUNDED``
    and ``N = FIRSTSALE - FOUNDED + 1``; the denominator is then ``survey_year - FIRSTSALE``.

    Scalars give a float; arrays/Series give an array/Series. A denominator below 1 (first
    entry in the year of the study or "after" it) or a missing input gives NaN.

    Examples
    --------
    BG 2 of Table 1: 3 countries, 4 years old, first entry in its 3rd year:

    >>> speed_of_spread(3, 4, 3)
    1.5
    >>> round(speed_of_spread(9, 15, 1), 1)   # BG 1: 9 countries in 15 years
    0.6
    """
    if np.ndim(n_countries) == 0 and np.ndim(age) == 0 and np.ndim(first_entry_year_of_firm) == 0:
        try:
            n_, a_, f_ = float(n_countries), float(age), float(first_entry_year_of_firm)
        except (TypeError, ValueError):
            return float("nan")
        years_ = a_ - f_ + 1.0
        return n_ / years_ if years_ >= 1 else float("nan")  # NaN inputs fail the comparison too
    n = pd.to_numeric(pd.Series(np.atleast_1d(n_countries)), errors="coerce").astype(float)
    a = pd.to_numeric(pd.Series(np.atleast_1d(age)), errors="coerce").astype(float)
    f = pd.to_numeric(pd.Series(np.atleast_1d(first_entry_year_of_firm)), errors="coerce").astype(float)
    years = a.to_numpy() - f.to_numpy() + 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(years >= 1, n.to_numpy() / np.where(years >= 1, years, 1.0), np.nan)
    if np.ndim(n_countries) == 0 and np.ndim(age) == 0 and np.ndim(first_entry_year_of_firm) == 0:
        return float(out[0])
    if isinstance(n_countries, pd.Series):
        return pd.Series(out, index=n_countries.index, name="spread")
    return out


def _region_lookup(regions_table) -> dict[str, str]:
    """country key -> region from an Instrument, a regions DataFrame or a dict."""
    if hasattr(regions_table, "regions") and isinstance(regions_table.regions, pd.DataFrame):
        regions_table = regions_table.regions
    if isinstance(regions_table, pd.DataFrame):
        missing = [c for c in ("country", "region") if c not in regions_table.columns]
        if missing:
            raise SurveySemError(f"region table lacks column(s) {', '.join(missing)}")
        lookup: dict[str, str] = {}
        for country, region in zip(regions_table["country"], regions_table["region"]):
            lookup.setdefault(country_key(country), str(region))
        return lookup
    if isinstance(regions_table, dict):
        return {country_key(k): str(v) for k, v in regions_table.items()}
    raise TypeError("regions_table must be an Instrument, a DataFrame (country, region) or a dict")


def _foreign_countries(countries, home_country: str | None) -> tuple[list[str], bool]:
    """Distinct countries (first spelling kept, order kept) without the home country."""
    home = None if home_country is None else country_key(home_country)
    seen: dict[str, str] = {}
    home_listed = False
    for c in countries:
        if _missing(c) or not str(c).strip():
            continue
        key = country_key(c)
        if key == home:
            home_listed = True
            continue
        seen.setdefault(key, str(c).strip())
    return list(seen.values()), home_listed


def regions_entered(countries, regions_table, home_country: str | None = HOME_COUNTRY) -> dict[str, list[str]]:
    """Region -> countries (as written) for the foreign ``countries`` listed.

    Raises :class:`SurveySemError` for a country missing from the region table.

    >>> regions_entered(["USA", "Poland", "Australia"],
    ...                 {"USA": "North America", "Poland": "European Union", "Australia": "Pacific"})
    {'North America': ['USA'], 'European Union': ['Poland'], 'Pacific': ['Australia']}
    """
    lookup = _region_lookup(regions_table)
    foreign, _ = _foreign_countries(countries, home_country)
    out: dict[str, list[str]] = {}
    for c in foreign:
        region = lookup.get(country_key(c))
        if region is None:
            raise SurveySemError(
                f"country {c!r} is not in the region table; add it to scales/regions.csv", column="country", value=c
            )
        out.setdefault(region, []).append(c)
    return out


def diversification(countries, regions_table, home_country: str | None = HOME_COUNTRY) -> int:
    """Post-entry international market diversification: number of regions entered.

    Formula (Yang & Stoian 2024, Table 1 note b)::

        diversification = |{ region(c) : c in foreign countries entered }|   (0..12)

    with ``region`` from the user-editable table ``scales/regions.csv`` (12 regions). The home
    country (``"China"`` for the paper's Chinese firms) is not a foreign market and is not
    counted; duplicates count once.

    Examples
    --------
    BG 2 of Table 1 (USA, Poland, Australia: North America, European Union, Pacific):

    >>> table = {"USA": "North America", "Poland": "European Union", "Australia": "Pacific",
    ...          "China": "China"}
    >>> diversification(["USA", "Poland", "Australia"], table)
    3
    >>> diversification(["USA", "China", "usa"], table)   # home market and duplicates ignored
    1
    """
    return len(regions_entered(countries, regions_table, home_country))


def sales_intensity(foreign_share_percent):
    """Post-entry international sales intensity as a share in [0, 1].

    Formula (Yang & Stoian 2024, Table 1 note c)::

        intensity = foreign sales / total sales = FSHARE / 100

    Values outside 0..100 raise :class:`SurveySemError`; missing gives NaN. Works on
    scalars, arrays and Series.

    >>> sales_intensity(80)
    0.8
    >>> sales_intensity(25.0)
    0.25
    """
    scalar = np.ndim(foreign_share_percent) == 0
    if scalar and isinstance(foreign_share_percent, (int, float, np.integer, np.floating)):
        value = float(foreign_share_percent)
        if value < 0 or value > 100:
            raise SurveySemError("foreign sales share must be a percentage between 0 and 100", value=value)
        return value / 100.0  # NaN stays NaN
    values = pd.to_numeric(pd.Series(np.atleast_1d(foreign_share_percent)), errors="coerce").astype(float)
    bad = values[(values < 0) | (values > 100)]
    if len(bad):
        raise SurveySemError("foreign sales share must be a percentage between 0 and 100", value=float(bad.iloc[0]))
    out = values.to_numpy() / 100.0
    if scalar:
        return float(out[0])
    if isinstance(foreign_share_percent, pd.Series):
        return pd.Series(out, index=foreign_share_percent.index, name="intensity")
    return out


# --------------------------------------------------------------------------- typology

_TECH_WORDS = {
    "low-tech": 1,
    "low tech": 1,
    "lowtech": 1,
    "high-tech": 2,
    "high tech": 2,
    "hightech": 2,
    "knowledge-intensive service": 3,
    "knowledge-intensive services": 3,
    "knowledge intensive service": 3,
    "knowledge-intensive": 3,
}
_CUSTOMER_WORDS = {
    "individual": 1,
    "individual consumers": 1,
    "individuals": 1,
    "consumers": 1,
    "b2c": 1,
    "corporate": 2,
    "corporate customers": 2,
    "business": 2,
    "b2b": 2,
}


def _code(value, words: dict[str, int], valid: dict[int, str], what: str):
    if _missing(value):
        return None
    if isinstance(value, str):
        text = " ".join(value.strip().casefold().split())
        if text in words:
            return words[text]
        try:
            value = float(text)
        except ValueError:
            raise SurveySemError(f"unknown {what}", value=value) from None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise SurveySemError(f"unknown {what}", value=value) from None
    if not number.is_integer() or int(number) not in valid:
        raise SurveySemError(f"unknown {what} code (allowed: {sorted(valid)})", value=value)
    return int(number)


def typology_group(tech, customer):
    """The paper's typology of born globals (Yang & Stoian 2024, Section 4).

    * **Group 1** -- low-tech BGs with standardised products (emphasise spread),
    * **Group 2** -- high-tech / knowledge-intensive BGs serving *individual* customers
      (emphasise diversification),
    * **Group 3** -- high-tech / knowledge-intensive BGs serving *corporate* customers
      (emphasise sales intensity).

    Knowledge-intensive services are grouped with high-tech firms, as the paper does ("BGs in
    high-tech and knowledge-intensive service industries typically pursued other post-entry
    international growth dimensions"). Low-tech firms are Group 1 whatever their customers.

    ``tech``: 1 low-tech, 2 high-tech, 3 knowledge-intensive service (codes of
    ``scales/profile.yaml``) or those words; ``customer``: 1 individual, 2 corporate or
    those words. Returns 1, 2, 3, or ``None`` when it cannot be decided (missing tech, or a
    high-tech firm with missing customer type).

    >>> typology_group(1, 2), typology_group("High-tech", "individual"), typology_group(3, 2)
    (1, 2, 3)
    """
    t = _code(tech, _TECH_WORDS, TECH_CODES, "tech intensity")
    if t is None:
        return None
    if t == 1:
        return 1
    c = _code(customer, _CUSTOMER_WORDS, CUSTOMER_CODES, "customer type")
    if c is None:
        return None
    return 2 if c == 1 else 3


# --------------------------------------------------------------------------- survey data


def _parse_markets(text):
    from surveysem.data.markets import parse_market_history

    return parse_market_history(text)


def firm_outcomes(analysis_df: pd.DataFrame, inst, survey_year: int, home_country: str = HOME_COUNTRY,
                  warnings: list | None = None) -> pd.DataFrame:
    """Outcomes, age and typology of every respondent of a survey.

    ``analysis_df`` has ``respondent_id`` and the profile columns FOUNDED, FIRSTSALE, MARKETS,
    FSHARE, SIZE, SECTOR, TECH, CUSTOMER (``scales/profile.yaml``); ``inst`` is the
    :class:`~surveysem.instrument.scales.Instrument` (its region table is used).

    * ``n_countries`` = distinct foreign countries in MARKETS (home country excluded),
    * ``age`` = survey_year - FOUNDED,
    * ``spread`` = :func:`speed_of_spread` (n_countries, age, FIRSTSALE - FOUNDED + 1)
      = n_countries / (survey_year - FIRSTSALE); if FIRSTSALE is missing the earliest
      MARKETS year is used (with a warning),
    * ``diversification`` = :func:`diversification` of the MARKETS countries,
    * ``intensity`` = :func:`sales_intensity` (FSHARE),
    * ``size``, ``sector``, ``tech_intensity``, ``customer_type`` = the profile codes
      SIZE, SECTOR, TECH, CUSTOMER, and ``group`` = :func:`typology_group` (TECH, CUSTOMER).

    Empty MARKETS gives NaN for n_countries, spread and diversification. Problems that do not
    stop the run (home country listed, first entry in the survey year, FIRSTSALE differing
    from the earliest MARKETS year) are appended to ``warnings`` (a list) when given.
    """
    warn = warnings if warnings is not None else []
    if "respondent_id" not in analysis_df.columns:
        raise SurveySemError("analysis data has no respondent_id column", column="respondent_id")
    missing = [c for c in PROFILE_COLUMNS if c not in analysis_df.columns]
    if missing:
        raise SurveySemError(f"analysis data lacks profile column(s) {', '.join(missing)}")
    lookup = _region_lookup(inst)
    rows = []
    for i, rec in enumerate(analysis_df.to_dict(orient="records")):
        rid = rec["respondent_id"]
        founded = pd.to_numeric(rec["FOUNDED"], errors="coerce")
        firstsale = pd.to_numeric(rec["FIRSTSALE"], errors="coerce")
        try:
            entries = _parse_markets(rec["MARKETS"])
        except ValueError as exc:
            raise SurveySemError(f"respondent {rid}: MARKETS: {exc}", row=i + 2, column="MARKETS",
                                 value=rec["MARKETS"]) from None
        n_countries = diversity = spread = np.nan
        if entries:
            countries, home_listed = _foreign_countries([c for c, _ in entries], home_country)
            if home_listed:
                warn.append(f"respondent {rid}: home country {home_country} listed in MARKETS; not counted")
            for c in countries:
                if country_key(c) not in lookup:
                    raise SurveySemError(
                        f"respondent {rid}: country {c!r} is not in the region table; add it to scales/regions.csv",
                        row=i + 2, column="MARKETS", value=c)
            n_countries = len(countries)
            diversity = len({lookup[country_key(c)] for c in countries})
            years_listed = [y for c, y in entries if country_key(c) != country_key(home_country)]
            earliest = min(years_listed) if years_listed else None
            if _missing(firstsale) and earliest is not None:
                firstsale = earliest
                warn.append(f"respondent {rid}: FIRSTSALE missing; earliest MARKETS year {earliest} used")
            elif earliest is not None and not _missing(firstsale) and earliest != firstsale:
                warn.append(f"respondent {rid}: FIRSTSALE {int(firstsale)} differs from earliest MARKETS year "
                            f"{earliest}; FIRSTSALE used for spread")
        age = survey_year - founded if not _missing(founded) else np.nan
        if not _missing(founded) and not _missing(firstsale) and not _missing(n_countries):
            first_n = firstsale - founded + 1
            spread = speed_of_spread(n_countries, age, first_n)
            if math.isnan(spread):
                warn.append(f"respondent {rid}: first foreign entry {int(firstsale)} not before the survey year "
                            f"{survey_year}; spread undefined")
        try:
            intensity = sales_intensity(rec["FSHARE"]) if not _missing(rec["FSHARE"]) else np.nan
        except SurveySemError as err:
            raise SurveySemError(f"respondent {rid}: {err.message}", row=i + 2, column="FSHARE",
                                 value=rec["FSHARE"]) from None
        try:
            group = typology_group(rec["TECH"], rec["CUSTOMER"])
        except SurveySemError as err:
            raise SurveySemError(f"respondent {rid}: {err.message}", row=i + 2, column="TECH/CUSTOMER",
                                 value=err.value) from None
        rows.append({
            "respondent_id": rid,
            "n_countries": n_countries,
            "spread": spread,
            "diversification": diversity,
            "intensity": intensity,
            "age": age,
            "size": rec["SIZE"],
            "sector": rec["SECTOR"],
            "tech_intensity": rec["TECH"],
            "customer_type": rec["CUSTOMER"],
            "group": group,
        })
    out = pd.DataFrame(rows, columns=FIRM_OUTCOME_COLUMNS)
    for col in ("n_countries", "diversification", "age", "size", "sector", "tech_intensity", "customer_type", "group"):
        out[col] = pd.to_numeric(out[col], errors="coerce").astype("Int64")
    return out


# --------------------------------------------------------------------------- Table 1 audit


def round_half_up(x: float, decimals: int = 1) -> float:
    """Round half away from zero on the decimal value, as printed tables do (0.75 -> 0.8).

    Works on the shortest decimal representation of ``x`` so binary noise cannot flip a tie:

    >>> round_half_up(0.75), round_half_up(0.35), round_half_up(2 / 3)
    (0.8, 0.4, 0.7)
    """
    if _missing(x):
        return float("nan")
    value = Fraction(repr(float(x))) if not isinstance(x, Fraction) else x
    scale = 10**decimals
    scaled = value * scale
    sign = -1 if scaled < 0 else 1
    rounded = math.floor(abs(scaled) + Fraction(1, 2)) * sign
    return float(Fraction(rounded, scale))


_PERCENT = re.compile(r"(?P<almost>almost|about|approximately|nearly|~)?\s*(?P<num>\d+(?:\.\d+)?)\s*%", re.I)


def parse_printed_percent(text) -> tuple[float, str]:
    """``"80%"`` -> (80.0, ""); ``"Almost 100%"`` -> (100.0, 'printed "Almost 100%", taken as 100%').

    >>> parse_printed_percent("Almost 100%")[0]
    100.0
    """
    match = _PERCENT.search(str(text))
    if match is None:
        raise SurveySemError("not a percentage", column="intensity_as_printed", value=text)
    number = float(match.group("num"))
    note = f'printed "{str(text).strip()}", taken as {match.group("num")}%' if match.group("almost") else ""
    return number, note


def _table1_countries(markets_df: pd.DataFrame, lookup: dict[str, str]) -> dict[int, list[tuple[str, int]]]:
    for col in ("firm", "country", "entry_year"):
        if col not in markets_df.columns:
            raise SurveySemError(f"Table 1 markets lack column {col!r}", column=col)
    by_firm: dict[int, list[tuple[str, int]]] = {}
    for i, rec in enumerate(markets_df.to_dict(orient="records")):
        country = str(rec["country"]).strip()
        if country_key(country) not in lookup:
            raise SurveySemError(
                "country is not in the region table; add it to scales/regions.csv",
                row=i + 2, column="country", value=country,
            )
        by_firm.setdefault(int(rec["firm"]), []).append((country, int(rec["entry_year"])))
    return by_firm


def _fmt_regions(regions: dict[str, list[str]]) -> str:
    return "; ".join(f"{r}: {', '.join(cs)}" for r, cs in sorted(regions.items()))


def _diversification_note(regions: dict[str, list[str]], reported: int, continent_of: dict[str, str],
                          regions_by_continent: dict[str, list[str]]) -> str:
    """Say which regions were computed and what would have to differ to get ``reported``.

    For a difference of one region the note lists every single re-assignment of one country
    to another region *of the same continent* that would give the reported count (a country
    sharing its region moved to a region not entered: +1; a country alone in its region moved
    into a region already entered: -1). Nothing is changed; the note only describes.
    """
    computed = len(regions)
    diff = reported - computed
    head = f"diversification: computed {computed} regions ({_fmt_regions(regions)}), reported {reported}"
    entered = set(regions)
    moves: list[str] = []
    if diff > 0:
        shared = [(c, r) for r, cs in sorted(regions.items()) if len(cs) > 1 for c in cs]
        if not shared:
            return f"{head}; {diff} more region(s) would need more countries than the {computed} listed"
        which = ", ".join(f"{c} ({r})" for c, r in shared)
        if diff == 1:
            for c, r in shared:
                for reg in regions_by_continent.get(continent_of.get(country_key(c)), []):
                    if reg not in entered:
                        moves.append(f"{c} in {reg}")
        text = (f"{head}; to reach {reported}, {diff} of the countries sharing a region [{which}] would have to "
                f"belong to region(s) not otherwise entered")
    elif diff < 0:
        alone = [(r, cs[0]) for r, cs in sorted(regions.items()) if len(cs) == 1]
        which = ", ".join(f"{c} ({r})" for r, c in alone) or "none"
        if diff == -1:
            for r, c in alone:
                for reg in regions_by_continent.get(continent_of.get(country_key(c)), []):
                    if reg in entered and reg != r:
                        moves.append(f"{c} in {reg}")
        text = (f"{head}; to reach {reported}, {-diff} region(s) would have to merge into regions already "
                f"entered (countries alone in their region: {which})")
    else:
        return ""
    if moves:
        text += f"; single changes within the same continent that give {reported}: {' or '.join(moves)}"
    return text


def table1_regions(table1_df: pd.DataFrame, markets_df: pd.DataFrame, regions_df: pd.DataFrame,
                   home_country: str = HOME_COUNTRY) -> pd.DataFrame:
    """Per firm of Table 1: the recomputed region set and the numbers behind spread.

    Columns: firm, n_countries, years_abroad (= age - N + 1), spread_exact (n / years,
    unrounded), diversification_reported, n_regions, regions (sorted, ``;``-separated),
    countries_by_region (``Region: country, country; ...``), first/last_entry_calendar_year
    (from the markets list) and implied_study_year (= first entry calendar year - (N - 1) + age:
    the year the age and "Nth year" of Table 1 point to; it must not be before the last entry).
    """
    lookup = _region_lookup(regions_df)
    by_firm = _table1_countries(markets_df, lookup)
    rows = []
    for rec in table1_df.to_dict(orient="records"):
        firm = int(rec["firm"])
        entries = by_firm.get(firm, [])
        regions = regions_entered([c for c, _ in entries], lookup, home_country)
        n = len(_foreign_countries([c for c, _ in entries], home_country)[0])
        age, nth = int(rec["age"]), int(rec["first_entry_year_of_firm"])
        years = age - nth + 1
        first = min((y for _, y in entries), default=None)
        last = max((y for _, y in entries), default=None)
        rows.append({
            "firm": firm,
            "n_countries": n,
            "years_abroad": years,
            "spread_exact": speed_of_spread(n, age, nth),
            "diversification_reported": int(rec["diversification_reported"]),
            "n_regions": len(regions),
            "regions": "; ".join(sorted(regions)),
            "countries_by_region": _fmt_regions(regions),
            "first_entry_calendar_year": first,
            "last_entry_calendar_year": last,
            "implied_study_year": None if first is None else first - (nth - 1) + age,
        })
    return pd.DataFrame(rows, columns=REGIONS_COLUMNS)


def table1_audit(table1_df: pd.DataFrame, markets_df: pd.DataFrame, regions_df: pd.DataFrame,
                 home_country: str = HOME_COUNTRY, spread_decimals: int = 1) -> pd.DataFrame:
    """Recompute the three outcome columns of Table 1 (Yang & Stoian 2024) and compare.

    * spread: :func:`speed_of_spread` from the number of countries in ``markets_df``, age and
      "Nth year" of first entry, rounded half up to ``spread_decimals`` (the paper prints one
      decimal; "2" and "3" are compared as 2.0 and 3.0);
    * diversification: :func:`diversification` with ``regions_df`` (``scales/regions.csv``);
    * intensity: the printed percentage / 100 (``"Almost 100%"`` is taken as 100%, noted),
      compared with the transcribed ``intensity_reported``.

    Returns one row per firm with columns ``firm, spread_reported, spread_computed,
    diversification_reported, diversification_computed, intensity_reported,
    intensity_computed, agrees, note``. ``agrees`` is true only if all three agree. Where the
    diversification disagrees, ``note`` gives the computed region set and what would have to
    differ for the reported count; nothing is adjusted to make a firm agree.

    Example: BG 2 (USA, Poland, Australia; age 4; 3rd year; 70%) gives spread 1.5,
    diversification 3 (North America, European Union, Pacific), intensity 0.7: agrees.
    """
    need = ["firm", "age", "first_entry_year_of_firm", "spread_reported", "diversification_reported",
            "intensity_reported", "intensity_as_printed"]
    for col in need:
        if col not in table1_df.columns:
            raise SurveySemError(f"Table 1 lacks column {col!r}", column=col)
    lookup = _region_lookup(regions_df)
    # continents only serve the examples in the notes ("e.g. UK in Rest of Europe")
    continent_of: dict[str, str] = {}
    by_cont: dict[str, list[str]] = {}
    if isinstance(regions_df, pd.DataFrame) and "continent" in regions_df.columns:
        for country, region, cont in zip(regions_df["country"], regions_df["region"], regions_df["continent"]):
            continent_of.setdefault(country_key(country), cont)
            if region not in by_cont.setdefault(cont, []):
                by_cont[cont].append(region)
    by_firm = _table1_countries(markets_df, lookup)
    rows = []
    for rec in table1_df.to_dict(orient="records"):
        firm = int(rec["firm"])
        entries = by_firm.get(firm, [])
        notes = []
        if not entries:
            notes.append("no markets transcribed for this firm")
        countries, _ = _foreign_countries([c for c, _ in entries], home_country)
        regions = regions_entered(countries, lookup, home_country)
        spread_exact = speed_of_spread(len(countries), int(rec["age"]), int(rec["first_entry_year_of_firm"]))
        spread_computed = round_half_up(spread_exact, spread_decimals)
        spread_reported = float(rec["spread_reported"])
        spread_ok = math.isclose(spread_computed, spread_reported, abs_tol=1e-9)
        if not spread_ok:
            years = int(rec["age"]) - int(rec["first_entry_year_of_firm"]) + 1
            notes.append(f"spread: {len(countries)} countries / {years} years = {spread_exact:.4f} "
                         f"-> {spread_computed}, reported {spread_reported:g}")
        div_reported = int(rec["diversification_reported"])
        div_ok = len(regions) == div_reported
        if not div_ok:
            notes.append(_diversification_note(regions, div_reported, continent_of, by_cont))
        percent, pnote = parse_printed_percent(rec["intensity_as_printed"])
        intensity_computed = sales_intensity(percent)
        intensity_reported = float(rec["intensity_reported"])
        int_ok = math.isclose(intensity_computed, intensity_reported, abs_tol=1e-9)
        if pnote:
            notes.append(f"intensity: {pnote}")
        if not int_ok:
            notes.append(f"intensity: printed {rec['intensity_as_printed']} = {intensity_computed:g}, "
                         f"transcribed {intensity_reported:g}")
        # the transcription of the markets column must match the printed text
        printed = rec.get("markets_as_printed")
        if isinstance(printed, str) and printed.strip():
            try:
                parsed = _parse_markets(printed)
            except ValueError as exc:
                notes.append(f"markets as printed could not be parsed ({exc})")
            else:
                if sorted((country_key(c), y) for c, y in parsed) != sorted((country_key(c), y) for c, y in entries):
                    notes.append("markets list differs from markets_as_printed")
        rows.append({
            "firm": firm,
            "spread_reported": spread_reported,
            "spread_computed": spread_computed,
            "diversification_reported": div_reported,
            "diversification_computed": len(regions),
            "intensity_reported": intensity_reported,
            "intensity_computed": intensity_computed,
            "agrees": bool(spread_ok and div_ok and int_ok),
            "note": " | ".join(notes),
        })
    return pd.DataFrame(rows, columns=AUDIT_COLUMNS)


def read_table1(table1_path, markets_path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read the two transcribed Table 1 CSVs (one-line errors naming the file)."""
    frames = []
    for path in (table1_path, markets_path):
        try:
            frames.append(pd.read_csv(path, encoding="utf-8"))
        except FileNotFoundError:
            raise SurveySemError("file not found", file=path) from None
        except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
            raise SurveySemError(f"cannot read CSV: {' '.join(str(exc).split())}", file=path) from None
    return frames[0], frames[1]


# --------------------------------------------------------------------------- file level (workflow steps)


def _with_file(err: SurveySemError, path) -> SurveySemError:
    if err.file is None:
        return SurveySemError(err.message, file=path, row=err.row, column=err.column, value=err.value)
    return err


def write_table1_audit(table1_path, markets_path, regions_path, audit_out, regions_out,
                       home_country: str = HOME_COUNTRY, spread_decimals: int = 1) -> pd.DataFrame:
    """Read the transcribed Table 1 and the region table, write the audit and per-firm regions."""
    from surveysem.io import write_csv

    table1, markets = read_table1(table1_path, markets_path)
    try:
        regions = pd.read_csv(regions_path, dtype=str, keep_default_na=False, encoding="utf-8")
    except FileNotFoundError:
        raise SurveySemError("region table is missing", file=regions_path) from None
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise SurveySemError(f"cannot read the region table: {' '.join(str(exc).split())}", file=regions_path) from None
    try:
        audit = table1_audit(table1, markets, regions, home_country=home_country, spread_decimals=spread_decimals)
        per_firm = table1_regions(table1, markets, regions, home_country=home_country)
    except SurveySemError as err:
        # the only row-level problems come from the markets list (unknown country)
        raise _with_file(err, markets_path) from None
    write_csv(audit_out, audit)
    write_csv(regions_out, per_firm)
    return audit


def write_firm_outcomes(analysis_path, scales_dir, survey_year: int, out_csv, out_json, ingest_path=None,
                        home_country: str = HOME_COUNTRY) -> pd.DataFrame:
    """Compute :func:`firm_outcomes` for ``results/clean/analysis.csv`` and write CSV + JSON summary.

    The JSON carries ``synthetic`` (from ``ingest.json``), ``n``, the conventions used and the
    warnings (one line each).
    """
    import json

    from surveysem.instrument.scales import load_instrument
    from surveysem.io import write_csv, write_json

    inst = load_instrument(scales_dir)
    try:
        analysis = pd.read_csv(analysis_path, encoding="utf-8", keep_default_na=True)
    except FileNotFoundError:
        raise SurveySemError("file not found", file=analysis_path) from None
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise SurveySemError(f"cannot read CSV: {' '.join(str(exc).split())}", file=analysis_path) from None
    warnings: list[str] = []
    try:
        out = firm_outcomes(analysis, inst, survey_year, home_country=home_country, warnings=warnings)
    except SurveySemError as err:
        raise _with_file(err, analysis_path) from None
    synthetic = None
    if ingest_path is not None:
        with open(ingest_path, encoding="utf-8") as fh:
            synthetic = json.load(fh).get("synthetic")
    write_csv(out_csv, out)
    write_json(out_json, {
        "synthetic": synthetic,
        "n": len(out),
        "survey_year": survey_year,
        "home_country": home_country,
        "conventions": {
            "age": "survey_year - FOUNDED",
            "first_entry_year_of_firm": "FIRSTSALE - FOUNDED + 1 (founding year = 1st year)",
            "spread": "n_countries / (age - first_entry_year_of_firm + 1) = n_countries / (survey_year - FIRSTSALE)",
            "diversification": "distinct regions (scales/regions.csv) of the foreign countries in MARKETS",
            "intensity": "FSHARE / 100",
            "group": "1 low-tech; 2 high-tech or knowledge-intensive, individual customers; 3 same, corporate customers",
        },
        "n_missing": {c: int(out[c].isna().sum()) for c in ("spread", "diversification", "intensity", "group")},
        "warnings": warnings,
    })
    return out
