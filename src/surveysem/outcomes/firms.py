"""Outcomes, age and typology of every respondent of a survey (Yang & Stoian 2024, Section 3.4).

The formulas and their conventions (years abroad, home market, country matching) are those
of :mod:`surveysem.outcomes.measures`; here they are applied to the profile answers
(``scales/profile.yaml``) of ``results/clean/analysis.csv``.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pandas as pd

from surveysem.errors import SurveySemError
from surveysem.outcomes import measures

# Profile item ids (scales/profile.yaml) used by :func:`firm_outcomes`.
PROFILE_COLUMNS = ("FOUNDED", "FIRSTSALE", "MARKETS", "FSHARE", "SIZE", "SECTOR", "TECH", "CUSTOMER")

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

# counts and codes: nullable integers in the output
INTEGER_COLUMNS = ("n_countries", "diversification", "age", "size", "sector", "tech_intensity", "customer_type", "group")


def firm_outcomes(analysis_df: pd.DataFrame, inst, survey_year: int, home_country: str,
                  warnings: list | None = None) -> pd.DataFrame:
    """Outcomes, age and typology of every respondent of a survey.

    Parameters
    ----------
    analysis_df : DataFrame
        ``respondent_id`` and the profile columns FOUNDED, FIRSTSALE, MARKETS, FSHARE, SIZE,
        SECTOR, TECH, CUSTOMER (``scales/profile.yaml``).
    inst : Instrument
        The :class:`~surveysem.instrument.scales.Instrument`; its region table is used.
    survey_year : int
        The year of the interviews.
    home_country : str
        Never counted as a foreign market.
    warnings : list, optional
        Problems that do not stop the run (home country listed, first entry in the survey
        year, FIRSTSALE differing from the earliest MARKETS year) are appended to it.

    Returns
    -------
    DataFrame
        One row per respondent, columns :data:`FIRM_OUTCOME_COLUMNS`:

        * ``n_countries`` = distinct foreign countries in MARKETS (home country excluded),
        * ``age`` = survey_year - FOUNDED,
        * ``spread`` = :func:`~surveysem.outcomes.measures.speed_of_spread` (n_countries, age,
          FIRSTSALE - FOUNDED + 1) = n_countries / (survey_year - FIRSTSALE); if FIRSTSALE is
          missing the earliest MARKETS year is used (with a warning),
        * ``diversification`` = :func:`~surveysem.outcomes.measures.diversification` of the
          MARKETS countries,
        * ``intensity`` = :func:`~surveysem.outcomes.measures.sales_intensity` (FSHARE),
        * ``size``, ``sector``, ``tech_intensity``, ``customer_type`` = the profile codes
          SIZE, SECTOR, TECH, CUSTOMER, and ``group`` =
          :func:`~surveysem.outcomes.measures.typology_group` (TECH, CUSTOMER).

    Notes
    -----
    Empty MARKETS gives NaN for n_countries, spread and diversification.
    """
    warn = warnings if warnings is not None else []
    if "respondent_id" not in analysis_df.columns:
        raise SurveySemError("analysis data has no respondent_id column", column="respondent_id")
    missing = [c for c in PROFILE_COLUMNS if c not in analysis_df.columns]
    if missing:
        raise SurveySemError(f"analysis data lacks profile column(s) {', '.join(missing)}")
    lookup = measures.region_lookup(inst)
    aliases = measures.country_aliases(inst)
    rows = [_firm_row(rec, i + 2, lookup, aliases, survey_year, home_country, warn)  # row 1 of the file is the header
            for i, rec in enumerate(analysis_df[["respondent_id", *PROFILE_COLUMNS]].to_dict(orient="records"))]
    out = pd.DataFrame(rows, columns=FIRM_OUTCOME_COLUMNS)
    for col in INTEGER_COLUMNS:
        out[col] = pd.to_numeric(out[col], errors="coerce").astype("Int64")
    return out


# Entries of one calendar year above which a market history is flagged as implausible: the most
# markets a born global enters in a year in Yang & Stoian's Table 1 is well below this.
MAX_ENTRIES_PER_YEAR = 30


def _firm_row(rec: dict, row: int, lookup: dict[str, str], aliases: dict[str, str], survey_year: int,
              home_country: str, warn: list) -> dict:
    """The outcome row of one respondent (``row``: its row in the file, for errors)."""
    # Steps:
    #   1. markets:   parse MARKETS (an unreadable history stops the run)
    #   2. countries: distinct foreign countries and the regions they lie in
    #   3. firstsale: FIRSTSALE, or the earliest MARKETS year when it is missing
    #   4. age, spread, intensity and typology group
    rid = rec["respondent_id"]
    founded = pd.to_numeric(rec["FOUNDED"], errors="coerce")
    try:
        entries = measures.parse_markets(rec["MARKETS"])  # 1
    except ValueError as exc:
        raise SurveySemError(f"respondent {rid}: MARKETS: {exc}", row=row, column="MARKETS",
                             value=rec["MARKETS"]) from None
    n_countries, diversity = _countries_and_regions(entries, rid, row, lookup, aliases, home_country, warn)  # 2
    firstsale = _first_sale(pd.to_numeric(rec["FIRSTSALE"], errors="coerce"), entries, rid, home_country, warn)  # 3
    age, spread = _age_and_spread(founded, firstsale, n_countries, survey_year, rid, warn)  # 4
    return {
        "respondent_id": rid,
        "n_countries": n_countries,
        "spread": spread,
        "diversification": diversity,
        "intensity": _intensity(rec, rid, row),
        "age": age,
        "size": rec["SIZE"],
        "sector": rec["SECTOR"],
        "tech_intensity": rec["TECH"],
        "customer_type": rec["CUSTOMER"],
        "group": _group(rec, rid, row),
    }


def _countries_and_regions(entries, rid, row: int, lookup: dict[str, str], aliases: dict[str, str], home_country: str,
                           warn: list):
    """(number of distinct foreign countries, number of their regions); NaN both when no markets.
    Aliases of the region table count once; more entries in one year than MAX_ENTRIES_PER_YEAR
    are flagged (a pasted list, not a market history)."""
    if not entries:
        return np.nan, np.nan
    countries, home_listed = measures.foreign_countries([c for c, _ in entries], home_country, aliases)
    busiest = max(Counter(y for _, y in entries).items(), key=lambda kv: (kv[1], -kv[0]))
    if busiest[1] > MAX_ENTRIES_PER_YEAR:
        warn.append(f"respondent {rid}: MARKETS lists {busiest[1]} entries in {busiest[0]} (more than "
                    f"{MAX_ENTRIES_PER_YEAR} in one year is implausible); check the answer")
    if home_listed:
        warn.append(f"respondent {rid}: home country {home_country} listed in MARKETS; not counted")
    for c in countries:
        if measures.country_key(c) not in lookup:
            raise SurveySemError(
                f"respondent {rid}: country {c!r} is not in the region table; add it to scales/regions.csv",
                row=row, column="MARKETS", value=c)
    return len(countries), len({lookup[measures.country_key(c)] for c in countries})


def _first_sale(firstsale, entries, rid, home_country: str, warn: list):
    """FIRSTSALE, or the earliest foreign MARKETS year when it is missing (warned); a FIRSTSALE
    differing from that year is kept, with a warning."""
    years_listed = [y for c, y in entries if measures.country_key(c) != measures.country_key(home_country)]
    earliest = min(years_listed) if years_listed else None
    if measures.is_missing(firstsale) and earliest is not None:
        warn.append(f"respondent {rid}: FIRSTSALE missing; earliest MARKETS year {earliest} used")
        return earliest
    if earliest is not None and not measures.is_missing(firstsale) and earliest != firstsale:
        warn.append(f"respondent {rid}: FIRSTSALE {int(firstsale)} differs from earliest MARKETS year "
                    f"{earliest}; FIRSTSALE used for spread")
    return firstsale


def _age_and_spread(founded, firstsale, n_countries, survey_year: int, rid, warn: list):
    """(age, spread) with the conventions of :mod:`surveysem.outcomes.measures`.

    Notes
    -----
    ``age = survey_year - FOUNDED`` and the first entry is in the firm's Nth year,
    ``N = FIRSTSALE - FOUNDED + 1``, so spread = n_countries / (survey_year - FIRSTSALE);
    undefined (NaN, warned) when the first foreign entry is not before the survey year.
    """
    age = survey_year - founded if not measures.is_missing(founded) else np.nan
    spread = np.nan
    if not measures.is_missing(founded) and not measures.is_missing(firstsale) and not measures.is_missing(n_countries):
        spread = measures.speed_of_spread(n_countries, age, firstsale - founded + 1)
        if math.isnan(spread):
            warn.append(f"respondent {rid}: first foreign entry {int(firstsale)} not before the survey year "
                        f"{survey_year}; spread undefined")
    return age, spread


def _intensity(rec: dict, rid, row: int) -> float:
    try:
        return measures.sales_intensity(rec["FSHARE"]) if not measures.is_missing(rec["FSHARE"]) else np.nan
    except SurveySemError as err:
        raise SurveySemError(f"respondent {rid}: {err.message}", row=row, column="FSHARE",
                             value=rec["FSHARE"]) from None


def _group(rec: dict, rid, row: int):
    try:
        return measures.typology_group(rec["TECH"], rec["CUSTOMER"])
    except SurveySemError as err:
        raise SurveySemError(f"respondent {rid}: {err.message}", row=row, column="TECH/CUSTOMER",
                             value=err.value) from None


# --------------------------------------------------------------------------- file level (workflow step)


def write_firm_outcomes(analysis_path, scales_dir, survey_year: int, out_csv, out_json, ingest_path, *,
                        home_country: str) -> pd.DataFrame:
    """Compute :func:`firm_outcomes` for ``results/clean/analysis.csv`` and write CSV + JSON summary.

    The JSON carries ``synthetic`` (from ``ingest.json``), ``n``, the conventions used and the
    warnings (one line each).
    """
    import json

    from surveysem.instrument.scales import load_instrument
    from surveysem.io import write_csv, write_json

    inst = load_instrument(scales_dir)
    analysis = measures.read_csv(analysis_path, keep_default_na=True, stage_file=True)
    warnings: list[str] = []
    try:
        out = firm_outcomes(analysis, inst, survey_year, home_country=home_country, warnings=warnings)
    except SurveySemError as err:
        raise measures.with_file(err, analysis_path) from None
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
