"""Post-entry international growth outcomes (Yang & Stoian 2024, Section 3.4, Table 1).

Three outcomes, each computed exactly as the paper defines it, plus the paper's typology:

* :func:`speed_of_spread` -- countries entered per year since the first foreign entry,
* :func:`diversification` -- number of the 12 geographic regions entered,
* :func:`sales_intensity` -- foreign sales / total sales,
* :func:`typology_group` -- Group 1, 2 or 3 of Section 4.

They are applied to every respondent of a survey by :func:`surveysem.outcomes.firms.firm_outcomes`
and to the firms of the paper's Table 1 by :func:`surveysem.outcomes.table1.table1_audit`.

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

import numpy as np
import pandas as pd

from surveysem import io as sio
from surveysem.errors import SurveySemError
from surveysem.instrument.scales import _country_key as country_key  # the instrument's own matching rule


# Codes of scales/profile.yaml
TECH_CODES = {1: "low-tech", 2: "high-tech", 3: "knowledge-intensive service"}
CUSTOMER_CODES = {1: "individual", 2: "corporate"}


def is_missing(value) -> bool:
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


def region_lookup(regions_table) -> dict[str, str]:
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


def country_aliases(regions_table) -> dict[str, str]:
    """Country key -> key of the country it names, from the region table's ``same_as`` column
    (``{"united states": "usa", ...}``; empty without aliases)."""
    if hasattr(regions_table, "regions") and isinstance(regions_table.regions, pd.DataFrame):
        regions_table = regions_table.regions
    if isinstance(regions_table, pd.DataFrame) and "_canonical" in regions_table.columns:
        return {k: c for k, c in zip(regions_table["_key"], regions_table["_canonical"]) if k != c}
    return {}


def foreign_countries(countries, home_country: str | None, aliases: dict[str, str] | None = None
                      ) -> tuple[list[str], bool]:
    """Distinct countries (first spelling kept, order kept) without the home country; with
    ``aliases`` (:func:`country_aliases`), "USA" and "United States" are one country."""
    aliases = aliases or {}

    def key_of(name) -> str:
        key = country_key(name)
        return aliases.get(key, key)

    home = None if home_country is None else key_of(home_country)
    seen: dict[str, str] = {}
    home_listed = False
    for c in countries:
        if is_missing(c) or not str(c).strip():
            continue
        key = key_of(c)
        if key == home:
            home_listed = True
            continue
        seen.setdefault(key, str(c).strip())
    return list(seen.values()), home_listed


def regions_entered(countries, regions_table, home_country: str | None) -> dict[str, list[str]]:
    """Region -> countries (as written) for the foreign ``countries`` listed.

    Raises :class:`SurveySemError` for a country missing from the region table.

    >>> regions_entered(["USA", "Poland", "Australia"],
    ...                 {"USA": "North America", "Poland": "European Union", "Australia": "Pacific"}, "China")
    {'North America': ['USA'], 'European Union': ['Poland'], 'Pacific': ['Australia']}
    """
    lookup = region_lookup(regions_table)
    foreign, _ = foreign_countries(countries, home_country)
    out: dict[str, list[str]] = {}
    for c in foreign:
        region = lookup.get(country_key(c))
        if region is None:
            raise SurveySemError(
                f"country {c!r} is not in the region table; add it to scales/regions.csv", column="country", value=c
            )
        out.setdefault(region, []).append(c)
    return out


def diversification(countries, regions_table, home_country: str | None) -> int:
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
    >>> diversification(["USA", "Poland", "Australia"], table, home_country="China")
    3
    >>> diversification(["USA", "China", "usa"], table, home_country="China")   # home market, duplicates ignored
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
    if is_missing(value):
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


# --------------------------------------------------------------------------- parsing and files (firms, table1)


def parse_markets(text):
    from surveysem.data.markets import parse_market_history

    return parse_market_history(text)


def read_csv(path, *, missing: str = "file not found", unreadable: str = "cannot read CSV", stage_file: bool = False,
             **read_options):
    """``pd.read_csv`` of a UTF-8 file with one-line errors naming the file; a ``stage_file`` (written
    by the pipeline) through :func:`surveysem.io.read_csv`, which restores neutralised formulas."""
    try:
        return (sio.read_csv if stage_file else pd.read_csv)(path, encoding="utf-8", **read_options)
    except FileNotFoundError:
        raise SurveySemError(missing, file=path) from None
    except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise SurveySemError(f"{unreadable}: {' '.join(str(exc).split())}", file=path) from None


def with_file(err: SurveySemError, path) -> SurveySemError:
    if err.file is None:
        return SurveySemError(err.message, file=path, row=err.row, column=err.column, value=err.value)
    return err
