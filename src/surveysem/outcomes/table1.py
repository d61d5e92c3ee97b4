"""The Table 1 audit of Yang & Stoian (2024): their three outcomes recomputed for the 33 firms.

The paper's Table 1 lists, per born-global firm, its age, the "Nth year" of its first
foreign entry, the markets entered (with calendar years) and the printed spread,
diversification and intensity. :func:`table1_audit` recomputes the three outcome columns
with the formulas of :mod:`surveysem.outcomes.measures` and says where and why a printed
value differs; :func:`table1_regions` gives the per-firm numbers behind them.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction

import pandas as pd

from surveysem.errors import SurveySemError
from surveysem.outcomes import measures

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


def round_half_up(x: float, decimals: int = 1) -> float:
    """Round half away from zero on the decimal value, as printed tables do (0.75 -> 0.8).

    Works on the shortest decimal representation of ``x`` so binary noise cannot flip a tie:

    >>> round_half_up(0.75), round_half_up(0.35), round_half_up(2 / 3)
    (0.8, 0.4, 0.7)
    """
    if measures.is_missing(x):
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
        if measures.country_key(country) not in lookup:
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
                for reg in regions_by_continent.get(continent_of.get(measures.country_key(c)), []):
                    if reg not in entered:
                        moves.append(f"{c} in {reg}")
        text = (f"{head}; to reach {reported}, {diff} of the countries sharing a region [{which}] would have to "
                f"belong to region(s) not otherwise entered")
    elif diff < 0:
        alone = [(r, cs[0]) for r, cs in sorted(regions.items()) if len(cs) == 1]
        which = ", ".join(f"{c} ({r})" for r, c in alone) or "none"
        if diff == -1:
            for r, c in alone:
                for reg in regions_by_continent.get(continent_of.get(measures.country_key(c)), []):
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
                   home_country: str) -> pd.DataFrame:
    """Per firm of Table 1: the recomputed region set and the numbers behind spread.

    Columns: firm, n_countries, years_abroad (= age - N + 1), spread_exact (n / years,
    unrounded), diversification_reported, n_regions, regions (sorted, ``;``-separated),
    countries_by_region (``Region: country, country; ...``), first/last_entry_calendar_year
    (from the markets list) and implied_study_year (= first entry calendar year - (N - 1) + age:
    the year the age and "Nth year" of Table 1 point to; it must not be before the last entry).
    """
    lookup = measures.region_lookup(regions_df)
    by_firm = _table1_countries(markets_df, lookup)
    rows = []
    for rec in table1_df.to_dict(orient="records"):
        firm = int(rec["firm"])
        entries = by_firm.get(firm, [])
        regions = measures.regions_entered([c for c, _ in entries], lookup, home_country)
        n = len(measures.foreign_countries([c for c, _ in entries], home_country)[0])
        age, nth = int(rec["age"]), int(rec["first_entry_year_of_firm"])
        years = age - nth + 1
        first = min((y for _, y in entries), default=None)
        last = max((y for _, y in entries), default=None)
        rows.append({
            "firm": firm,
            "n_countries": n,
            "years_abroad": years,
            "spread_exact": measures.speed_of_spread(n, age, nth),
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
                 home_country: str, spread_decimals: int) -> pd.DataFrame:
    """Recompute the three outcome columns of Table 1 (Yang & Stoian 2024) and compare.

    * spread: :func:`~surveysem.outcomes.measures.speed_of_spread` from the number of countries
      in ``markets_df``, age and "Nth year" of first entry, rounded half up to
      ``spread_decimals`` (the paper prints one decimal; "2" and "3" are compared as 2.0 and 3.0);
    * diversification: :func:`~surveysem.outcomes.measures.diversification` with ``regions_df``
      (``scales/regions.csv``);
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
    lookup = measures.region_lookup(regions_df)
    continent_of, regions_by_continent = _continents(regions_df)
    by_firm = _table1_countries(markets_df, lookup)
    rows = [_audit_row(rec, by_firm.get(int(rec["firm"]), []), lookup, continent_of, regions_by_continent,
                       home_country, spread_decimals)
            for rec in table1_df.to_dict(orient="records")]
    return pd.DataFrame(rows, columns=AUDIT_COLUMNS)


def _continents(regions_df) -> tuple[dict[str, str], dict[str, list[str]]]:
    """(country key -> continent, continent -> its regions in table order); empty without a
    ``continent`` column. Continents only serve the examples in the notes ("e.g. UK in Rest of Europe")."""
    continent_of: dict[str, str] = {}
    by_cont: dict[str, list[str]] = {}
    if isinstance(regions_df, pd.DataFrame) and "continent" in regions_df.columns:
        for country, region, cont in zip(regions_df["country"], regions_df["region"], regions_df["continent"]):
            continent_of.setdefault(measures.country_key(country), cont)
            if region not in by_cont.setdefault(cont, []):
                by_cont[cont].append(region)
    return continent_of, by_cont


def _audit_row(rec: dict, entries: list[tuple[str, int]], lookup: dict[str, str], continent_of: dict[str, str],
               regions_by_continent: dict[str, list[str]], home_country: str, spread_decimals: int) -> dict:
    """The audit row of one firm of Table 1; ``entries`` are its transcribed (country, year) markets."""
    # Steps:
    #   1. spread:          countries / years abroad, rounded as printed, against the printed value
    #   2. diversification: regions of the foreign countries against the printed count
    #   3. intensity:       printed percentage / 100 against the transcribed share
    #   4. transcription:   the markets list against the printed markets text
    notes = [] if entries else ["no markets transcribed for this firm"]
    countries, _ = measures.foreign_countries([c for c, _ in entries], home_country)
    spread_reported, spread_computed, spread_ok = _audit_spread(rec, len(countries), spread_decimals, notes)  # 1
    regions = measures.regions_entered(countries, lookup, home_country)  # 2
    div_reported = int(rec["diversification_reported"])
    div_ok = len(regions) == div_reported
    if not div_ok:
        notes.append(_diversification_note(regions, div_reported, continent_of, regions_by_continent))
    intensity_reported, intensity_computed, int_ok = _audit_intensity(rec, notes)  # 3
    transcription = _markets_transcription_note(rec.get("markets_as_printed"), entries)  # 4
    if transcription:
        notes.append(transcription)
    return {
        "firm": int(rec["firm"]),
        "spread_reported": spread_reported,
        "spread_computed": spread_computed,
        "diversification_reported": div_reported,
        "diversification_computed": len(regions),
        "intensity_reported": intensity_reported,
        "intensity_computed": intensity_computed,
        "agrees": bool(spread_ok and div_ok and int_ok),
        "note": " | ".join(notes),
    }


def _audit_spread(rec: dict, n_countries: int, decimals: int, notes: list[str]) -> tuple[float, float, bool]:
    """(reported, computed, agree) spread of one firm; a disagreement is explained in ``notes``.

    Notes
    -----
    ``spread = n_countries / (age - N + 1)``, rounded half up to ``decimals`` as the paper prints it.
    """
    age, nth = int(rec["age"]), int(rec["first_entry_year_of_firm"])
    exact = measures.speed_of_spread(n_countries, age, nth)
    computed = round_half_up(exact, decimals)
    reported = float(rec["spread_reported"])
    ok = math.isclose(computed, reported, abs_tol=1e-9)
    if not ok:
        notes.append(f"spread: {n_countries} countries / {age - nth + 1} years = {exact:.4f} "
                     f"-> {computed}, reported {reported:g}")
    return reported, computed, ok


def _audit_intensity(rec: dict, notes: list[str]) -> tuple[float, float, bool]:
    """(transcribed, computed from the printed percentage, agree) intensity of one firm; an
    approximate printed value ("Almost 100%") and a disagreement are noted."""
    percent, percent_note = parse_printed_percent(rec["intensity_as_printed"])
    computed = measures.sales_intensity(percent)
    reported = float(rec["intensity_reported"])
    ok = math.isclose(computed, reported, abs_tol=1e-9)
    if percent_note:
        notes.append(f"intensity: {percent_note}")
    if not ok:
        notes.append(f"intensity: printed {rec['intensity_as_printed']} = {computed:g}, "
                     f"transcribed {reported:g}")
    return reported, computed, ok


def _markets_transcription_note(printed, entries: list[tuple[str, int]]) -> str:
    """'' when the transcribed markets match the printed markets text (or there is none), else why not."""
    if not (isinstance(printed, str) and printed.strip()):
        return ""
    try:
        parsed = measures.parse_markets(printed)
    except ValueError as exc:
        return f"markets as printed could not be parsed ({exc})"
    if sorted((measures.country_key(c), y) for c, y in parsed) != sorted((measures.country_key(c), y) for c, y in entries):
        return "markets list differs from markets_as_printed"
    return ""


def read_table1(table1_path, markets_path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read the two transcribed Table 1 CSVs (one-line errors naming the file)."""
    return measures.read_csv(table1_path), measures.read_csv(markets_path)


# --------------------------------------------------------------------------- file level (workflow step)


def write_table1_audit(table1_path, markets_path, regions_path, audit_out, regions_out,
                       home_country: str, spread_decimals: int) -> pd.DataFrame:
    """Read the transcribed Table 1 and the region table, write the audit and per-firm regions."""
    from surveysem.io import write_csv

    table1, markets = read_table1(table1_path, markets_path)
    regions = measures.read_csv(regions_path, missing="region table is missing", unreadable="cannot read the region table",
                        dtype=str, keep_default_na=False)
    try:
        audit = table1_audit(table1, markets, regions, home_country=home_country, spread_decimals=spread_decimals)
        per_firm = table1_regions(table1, markets, regions, home_country=home_country)
    except SurveySemError as err:
        # the only row-level problems come from the markets list (unknown country)
        raise measures.with_file(err, markets_path) from None
    write_csv(audit_out, audit)
    write_csv(regions_out, per_firm)
    return audit
