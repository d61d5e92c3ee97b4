"""Parsing the market-entry history of a firm.

The profile item ``MARKETS`` (and column ``markets_as_printed`` of Table 1 in Yang & Stoian
2024) lists foreign markets with their entry years::

    Germany (2015); USA (2016)
    Netherlands, Germany (2002); UK (2004)      # several countries sharing one year

Groups ``countries (year)`` are separated by ``;`` (a ``,`` after the closing parenthesis
is accepted as well, because Table 1 prints "Ethiopia (2010), Malaysia (2011)").
Countries within a group are separated by ``,``. Whitespace (including non-breaking
spaces and line breaks) is ignored around every token, and full-width punctuation as
typed with a Chinese input method (``（2015）；``) is read as its ASCII form.

:func:`parse_market_history` raises :class:`ValueError` with a short message on malformed
text; callers turn it into a :class:`~surveysem.errors.SurveySemError` naming row and column.
"""

from __future__ import annotations

import math
import re
import unicodedata

MIN_YEAR = 1900
MAX_YEAR = 2100

# one group: "<countries> (<year>)" followed by a separator or the end of the text
_GROUP = re.compile(r"\s*(?P<countries>[^();]*?)\s*\(\s*(?P<year>[^()]*?)\s*\)\s*(?P<sep>[;,]|$)")
_YEAR = re.compile(r"\d{4}")


def _is_empty(text) -> bool:
    if text is None:
        return True
    if isinstance(text, float) and math.isnan(text):
        return True
    try:  # pandas.NA / numpy.nan without importing pandas here
        if text != text:  # noqa: PLR0124 - NaN check
            return True
    except (TypeError, ValueError):
        pass
    if type(text).__name__ in {"NAType", "NaTType"}:
        return True
    return isinstance(text, str) and not text.strip()


def _short(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def parse_market_history(text: str) -> list[tuple[str, int]]:
    """Return ``[(country, entry_year), ...]`` in the order written.

    ``"Netherlands, Germany (2002); UK (2004)"`` gives
    ``[("Netherlands", 2002), ("Germany", 2002), ("UK", 2004)]``.
    Empty text, ``None`` and NaN give ``[]``. Country names are returned as written
    (internal whitespace collapsed); mapping them to continents is the caller's job.
    """
    if _is_empty(text):
        return []
    if not isinstance(text, str):
        raise ValueError(f"market history must be text like 'Germany (2015); USA (2016)', got {text!r}")
    # NFKC turns full-width punctuation and digits (（2015）；，) into ASCII
    clean = " ".join(unicodedata.normalize("NFKC", text).replace("\u00a0", " ").split())
    # a trailing separator ("USA (2016);") is harmless
    clean = clean.rstrip(" ;,")
    if not clean:
        return []
    result: list[tuple[str, int]] = []
    pos = 0
    while pos < len(clean):
        match = _GROUP.match(clean, pos)
        if match is None or match.end() == pos:
            rest = clean[pos:].strip()
            if "(" not in rest:
                raise ValueError(f"no entry year in parentheses after {_short(rest)!r}")
            raise ValueError(f"cannot parse market history near {_short(rest)!r}")
        countries_text = match.group("countries")
        year_text = match.group("year")
        if not _YEAR.fullmatch(year_text):
            raise ValueError(f"entry year {year_text!r} is not a four-digit year")
        year = int(year_text)
        if not MIN_YEAR <= year <= MAX_YEAR:
            raise ValueError(f"entry year {year} outside {MIN_YEAR}-{MAX_YEAR}")
        if not countries_text.strip(" ,"):
            raise ValueError(f"no country before ({year})")
        for raw in countries_text.split(","):
            country = raw.strip()
            if not country:
                raise ValueError(f"empty country name in {_short(countries_text)!r}")
            if not re.search(r"[A-Za-z\u00c0-\uffff]", country):
                raise ValueError(f"{country!r} is not a country name")
            result.append((country, year))
        pos = match.end()
    return result
