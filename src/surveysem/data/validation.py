"""Validating a survey table against the instrument.

:func:`validate` checks every cell the analysis uses and returns *all* problems it finds
(``surveysem check`` prints them); the pipeline stops at the first one
(``data.on_invalid: error``) or drops the rows concerned (``drop``).

Checks, in this order:

1. structure: every rated item column present (one problem listing the missing ones),
   every profile column present (free-text profile questions are optional), the
   respondent-id column present, and any column a screening rule needs;
2. per row: respondent id non-empty and unique (the first occurrence is kept);
   rated items numeric, whole, inside the response scale (min..max);
   profile questions by type (``integer``/``number``/``percent`` ranges, ``categorical``
   codes, ``market_history`` parseable with every country in the region table);
   first foreign sale not before founding; completion time a non-negative number.

Numbers in text cells mean what they say: plain decimals with ASCII digits (``4``, ``4.0`` as
Excel exports a whole number, ``-1.5``); exponents (``1e0``), digit separators (``4_0``),
non-ASCII digits (``４``, ``٤``), ``inf`` and ``nan`` are not numbers. Respondent ids with a control
or format character (NUL, tab, line breaks, bidirectional overrides) are rejected. An id column
holding e-mail addresses, phone numbers or IP addresses (:func:`surveysem.errors.pii_kinds`) is
refused as the id; such a value in the submission-order column (``screening.duplicates.order_column``)
is a problem of its row and is never copied.

Configured missing-value codes (``data.missing_codes``; numbers match numerically, text
case-insensitively) and empty cells become missing before the checks. A code that is also a
valid answer of an item's response scale or a categorical profile question (``7`` on a 1..7
scale) is refused before any row is checked. Text such as
``NA`` is *not* silently treated as missing: add it to ``data.missing_codes`` if it
means missing in your export.

Every problem is a :class:`Problem` whose :meth:`~Problem.error` is a one-line
:class:`~surveysem.errors.SurveySemError` naming file, row (as counted in the file),
column and value.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field
from functools import partial

import numpy as np
import pandas as pd

from surveysem.errors import SurveySemError, pii_kinds
from surveysem.data.markets import parse_market_history
from surveysem.data.readers import SurveyTable

ID_OUT = "respondent_id"
ROW_OUT = "source_row"
SHOW_MISSING = 10

# reasons (short codes used in invalid_rows.csv and ingest.json)
MISSING_COLUMNS = "missing_columns"
MISSING_ID_COLUMN = "missing_id_column"
MISSING_ID = "missing_id"
DUPLICATE_ID = "duplicate_id"
NOT_A_NUMBER = "not_a_number"
NOT_WHOLE = "not_a_whole_number"
OUT_OF_RANGE = "out_of_range"
UNKNOWN_CODE = "unknown_code"
BAD_MARKETS = "unparseable_market_history"
UNKNOWN_COUNTRY = "unknown_country"
INCONSISTENT = "inconsistent_years"
BAD_ID = "control_character_in_id"
MISSING_CODE_IS_ANSWER = "missing_code_is_an_answer"
PII_IN_ID = "identifying_values_in_id_column"
PII_IN_ORDER = "identifying_value_in_order_column"


@dataclass
class Problem:
    """One validation problem. ``position`` is the row's index in the table (None: structural)."""

    reason: str
    message: str
    file: str
    position: int | None = None
    row: int | None = None
    column: str | None = None
    value: object = None
    respondent_id: str | None = None

    @property
    def structural(self) -> bool:
        return self.position is None

    def error(self) -> SurveySemError:
        return SurveySemError(self.message, file=self.file, row=self.row, column=self.column, value=self.value)

    def one_line(self) -> str:
        return self.error().one_line()


@dataclass
class ValidationResult:
    frame: pd.DataFrame  # validated columns; index = row positions as read
    problems: list[Problem] = field(default_factory=list)
    columns: dict = field(default_factory=dict)

    @property
    def structural(self) -> list[Problem]:
        return [p for p in self.problems if p.structural]

    @property
    def row_problems(self) -> list[Problem]:
        return [p for p in self.problems if not p.structural]

    def invalid_positions(self) -> list[int]:
        return sorted({p.position for p in self.row_problems})


# --------------------------------------------------------------------------- cells


class _MissingCodes:
    def __init__(self, codes):
        self.numbers: set[float] = set()
        self.texts: set[str] = set()
        for code in codes or []:
            if isinstance(code, bool):
                self.texts.add(str(code).casefold())
            elif isinstance(code, (int, float)):
                self.numbers.add(float(code))
            else:
                text = str(code).strip()
                self.texts.add(text.casefold())
                number = _parse_float(text)
                if number is not None:
                    self.numbers.add(number)

    def is_missing(self, value) -> bool:
        if _is_blank(value):
            return True
        if isinstance(value, str):
            text = value.strip()
            if text.casefold() in self.texts:
                return True
            number = _parse_float(text)
            return number is not None and number in self.numbers
        if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
            return float(value) in self.numbers or str(value).casefold() in self.texts
        return False


def _is_blank(value) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip() == ""
    if isinstance(value, (float, np.floating)):
        return math.isnan(value)
    return value is pd.NA or value is pd.NaT


# a number as a survey export writes one: optional sign, ASCII digits, optional decimal part
_PLAIN_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")


def _parse_float(text: str) -> float | None:
    """``text`` as a float when it is a plain decimal number (``4``, ``4.0``, ``-1.5``); None for
    anything else, including what Python's float() would accept (``1e0``, ``4_0``, ``４``, ``inf``)."""
    text = text.strip()
    if not _PLAIN_NUMBER.fullmatch(text):
        return None
    return float(text)


def _unplain_number(text: str) -> str | None:
    """Why ``text``, which Python would read as a number, is not a plain decimal (None otherwise)."""
    text = text.strip()
    try:
        float(text)
    except ValueError:
        return None
    if not text.isascii():
        return "non-ASCII digits"
    if "_" in text:
        return "a digit separator '_'"
    if "e" in text.casefold() and text.casefold().lstrip("+-") not in ("inf", "infinity", "nan"):
        return "exponent notation"
    return "not a finite number"


def _control_characters(text: str) -> list[str]:
    """The control and format characters (Unicode Cc, Cf) of ``text`` as U+XXXX."""
    return sorted({f"U+{ord(c):04X}" for c in text if unicodedata.category(c) in ("Cc", "Cf")})


def to_number(value) -> float | None:
    """A cell as a finite float, or None when it is not a number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, np.integer)):
        return float(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, str):
        return _parse_float(value)
    return None


def normalise_id(value) -> str:
    """Respondent id as text: strip blanks; whole numbers from SPSS/Excel lose their '.0'."""
    if isinstance(value, (float, np.floating)) and math.isfinite(value) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return str(int(value))
    return " ".join(str(value).split())


def _show(value) -> str:
    """The value as the user typed it, for messages (whole floats from SPSS/Excel without '.0')."""
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _fmt(x) -> str:
    x = float(x)
    return str(int(x)) if x.is_integer() else f"{x:g}"


# --------------------------------------------------------------------------- validate


def required_columns(inst, screening: dict) -> dict[str, list[str]]:
    """Columns the analysis needs, by kind (``screening``: the config section, defaults filled in)."""
    profile = [p.id for p in inst.profile if p.type != "text"]
    extra = []
    speeders = screening["speeders"]
    if speeders["enabled"]:
        extra.append(speeders["duration_column"])
    return {"items": list(inst.item_ids), "profile": profile, "screening": extra}


def _missing_message(kind: str, missing: list[str]) -> str:
    shown = ", ".join(missing[:SHOW_MISSING])
    more = f", ... (first {SHOW_MISSING} shown)" if len(missing) > SHOW_MISSING else ""
    noun = "column" if len(missing) == 1 else "columns"
    return f"missing {len(missing)} {kind} {noun}: {shown}{more}"


def validate(table: SurveyTable, inst, data_cfg: dict, *, study_cfg: dict, screening_cfg: dict) -> ValidationResult:
    """Check ``table`` against ``inst``; return the cleaned frame and every problem found.

    Parameters
    ----------
    table : SurveyTable
        The survey as read (cells untouched).
    inst : Instrument
        Items, response scales, profile questions and region table.
    data_cfg, study_cfg, screening_cfg : dict
        The ``data``, ``study`` and ``screening`` sections of the validated config (defaults
        filled in); of ``screening`` only the columns it names are used.

    Returns
    -------
    ValidationResult
        Columns respondent id, file row and every validated column (NaN/None where a cell is
        missing or invalid); problems structural first, then by row.
    """
    # Steps (the module docstring lists every check):
    #   1. structure:  missing item, profile, id and screening columns (structural problems)
    #   2. ids:        respondent ids non-empty and unique (first occurrence kept)
    #   3. items:      rated items whole numbers on their response scale
    #   4. profile:    profile questions by type; market histories parsed
    #   5. years:      first foreign sale not before founding
    #   6. screening:  completion time, finished flag, submission order
    #   7. assemble:   sort problems, put id and file row first
    frame = table.frame
    id_column = data_cfg["id_column"]
    codes = _MissingCodes(data_cfg["missing_codes"])
    needed = required_columns(inst, screening_cfg)
    present = set(frame.columns)
    report = _RowProblems(table)

    structural = _missing_code_problems(inst, data_cfg["missing_codes"])  # 1
    if structural:  # a missing code that is an answer would silently drop real answers: stop here
        return ValidationResult(frame=pd.DataFrame(columns=[ID_OUT, ROW_OUT]), problems=structural, columns=needed)
    structural += _structure_problems(needed, present, id_column, str(table.file))
    structural += _identifying_ids(table, id_column, present)
    out = pd.DataFrame(index=frame.index)
    out[ROW_OUT] = [table.file_row(i) for i in frame.index]
    ids = _check_ids(frame, id_column, present, report)  # 2
    out[ID_OUT] = ids
    survey_year = study_cfg["survey_year"]
    for columns in (_check_items(frame, inst, present, codes, report, ids),  # 3
                    _check_profile(frame, inst, present, codes, report, ids, survey_year)):  # 4
        for col, values in columns.items():
            out[col] = values
    _check_years(out, frame, report, ids)  # 5
    for col, values in _check_screening(frame, present, screening_cfg, report, ids).items():  # 6
        out[col] = values

    problems = structural + report.problems  # 7
    problems.sort(key=lambda p: (p.position is not None, -1 if p.position is None else p.position))
    order = [ID_OUT, ROW_OUT] + [c for c in out.columns if c not in (ID_OUT, ROW_OUT)]
    return ValidationResult(frame=out[order], problems=problems, columns=needed)


class _RowProblems:
    """Collects the problems of single cells; called as ``report(reason, message, pos, column, value, rid)``."""

    def __init__(self, table: SurveyTable):
        self.table = table
        self.problems: list[Problem] = []

    def __call__(self, reason, message, pos, column, value, rid=None) -> None:
        self.problems.append(Problem(reason, message, str(self.table.file), position=int(pos),
                                     row=self.table.file_row(pos), column=column,
                                     value=None if value is None else _show(value), respondent_id=rid))


@dataclass(frozen=True)
class _Invalid:
    """Why a cell was rejected (the return value of the per-cell checks)."""

    reason: str
    message: str


def _missing_code_problems(inst, configured) -> list[Problem]:
    """Step 1: a numeric missing code that is a valid answer of a rated item (a whole number on its
    response scale) or a code of a categorical profile question."""
    problems = []
    for code in configured or []:
        number = None if isinstance(code, bool) else to_number(code)
        where = []
        if number is not None and float(number).is_integer():
            by_scale: dict[str, list[str]] = {}
            for item in inst.items:
                scale = inst.scale_of_item(item.id)
                if scale.min <= number <= scale.max:
                    by_scale.setdefault(f"{scale.min}..{scale.max}", []).append(item.id)
            for span, items in by_scale.items():
                listed = ", ".join(items[:SHOW_MISSING]) + (", ..." if len(items) > SHOW_MISSING else "")
                where.append(f"an answer on the {span} response scale of {listed}")
            for spec in inst.profile:
                if spec.type == "categorical" and int(number) in spec.options:
                    where.append(f"answer code {int(number)} of {spec.id}")
        if where:
            problems.append(Problem(MISSING_CODE_IS_ANSWER,
                                    f"data.missing_codes: {code!r} is also {'; '.join(where)}: a missing code must "
                                    "not be a possible answer (use e.g. -99)", None))
    return problems


def _structure_problems(needed: dict[str, list[str]], present: set, id_column: str, file: str) -> list[Problem]:
    """Step 1: the missing columns (one problem for the items, one for the profile, one per other column)."""
    problems = []
    missing_items = [c for c in needed["items"] if c not in present]
    missing_profile = [c for c in needed["profile"] if c not in present]
    if missing_items:
        problems.append(Problem(MISSING_COLUMNS, _missing_message("item", missing_items), file))
    if missing_profile:
        problems.append(Problem(MISSING_COLUMNS, _missing_message("profile", missing_profile), file))
    if id_column not in present:
        problems.append(Problem(MISSING_ID_COLUMN,
                                f"respondent-id column {id_column!r} not found (set data.id_column)", file))
    for col in needed["screening"]:
        if col not in present:
            problems.append(Problem(MISSING_COLUMNS,
                                    f"missing column {col!r} needed by screening.speeders "
                                    "(set screening.speeders.duration_column or enabled: false)", file))
    return problems


def _identifying_ids(table: SurveyTable, id_column: str, present: set) -> list[Problem]:
    """Step 1: an id column holding e-mail addresses, phone numbers or IP addresses identifies people
    and is refused as the id (one structural problem, no value shown)."""
    if id_column not in present:
        return []
    found = [(pos, kinds) for pos, raw in table.frame[id_column].items()
             if not _is_blank(raw) and (kinds := pii_kinds(_show(raw), bare_digits=False))]
    if not found:
        return []
    kinds = list(dict.fromkeys(k for _, ks in found for k in ks))
    return [Problem(PII_IN_ID, f"data.id_column {id_column!r} holds values that look like {' or '.join(kinds)} "
                    f"({len(found)} of {len(table.frame)} rows, first at row {table.file_row(found[0][0])}): an id "
                    "that identifies people is refused; use an anonymous id such as ResponseId", str(table.file),
                    column=id_column)]


def _check_ids(frame: pd.DataFrame, id_column: str, present: set, report: _RowProblems) -> pd.Series:
    """Step 2: normalised respondent ids (None where empty); empty and repeated ids reported."""
    ids = pd.Series([None] * len(frame), index=frame.index, dtype=object)
    if id_column not in present:
        return ids
    first_seen: dict[str, int] = {}
    for pos, raw in frame[id_column].items():
        if _is_blank(raw):
            report(MISSING_ID, "respondent id is empty", pos, id_column, None)
            continue
        controls = _control_characters(str(raw))
        if controls:
            report(BAD_ID, f"respondent id contains control characters ({', '.join(controls)})", pos, id_column,
                   str(raw).encode("unicode_escape").decode("ascii"))
            continue
        rid = normalise_id(raw)
        ids[pos] = rid
        if rid in first_seen:
            report(DUPLICATE_ID, f"duplicate respondent id (first at row {report.table.file_row(first_seen[rid])})",
                   pos, id_column, raw, rid)
        else:
            first_seen[rid] = pos
    return ids


def _check_column(series: pd.Series, check, is_missing, report: _RowProblems, ids: pd.Series) -> np.ndarray:
    """The column as floats: NaN where ``is_missing`` or where ``check`` returns an :class:`_Invalid`
    (reported); otherwise the number ``check`` returns."""
    values = np.full(len(series), np.nan)
    for k, (pos, raw) in enumerate(series.items()):
        if is_missing(raw):
            continue
        checked = check(raw)
        if isinstance(checked, _Invalid):
            report(checked.reason, checked.message, pos, series.name, raw, ids[pos])
        else:
            values[k] = checked
    return values


def _not_a_number(value, labels: dict) -> _Invalid:
    """A cell that is not a number; the hint names the code when the cell is one of the answer
    ``labels`` (code -> text), as when a survey is exported with labels instead of codes."""
    unplain = _unplain_number(value) if isinstance(value, str) else None
    if unplain is not None:
        return _Invalid(NOT_A_NUMBER, f"not a plain decimal number ({unplain}): write the answer as 4 or 4.0")
    by_text = {str(text).strip().casefold(): code for code, text in labels.items()}
    code = by_text.get(value.strip().casefold()) if isinstance(value, str) else None
    hint = (f"the answer label of code {code}, not the code: export numeric values" if code is not None
            else "add it to data.missing_codes if it means missing")
    return _Invalid(NOT_A_NUMBER, f"not a number ({hint})")


def _item_value(raw, scale):
    """Step 3 for one cell: the answer as a float, or why it is not on the response scale."""
    number = to_number(raw)
    if number is None:
        return _not_a_number(raw, scale.anchors)
    if not float(number).is_integer():
        return _Invalid(NOT_WHOLE, f"not a whole number on the {scale.min}..{scale.max} response scale")
    if not scale.min <= number <= scale.max:
        return _Invalid(OUT_OF_RANGE, f"outside the response scale {scale.min}..{scale.max}")
    return number


def _check_items(frame, inst, present, codes, report, ids) -> dict[str, np.ndarray]:
    """Step 3: column -> values of every rated item present."""
    return {item.id: _check_column(frame[item.id], partial(_item_value, scale=inst.scale_of_item(item.id)),
                                   codes.is_missing, report, ids)
            for item in inst.items if item.id in present}


def _profile_value(raw, spec):
    """Step 4 for one cell of a numeric or categorical profile question ("80%" allowed for percent)."""
    text = raw.strip() if isinstance(raw, str) else raw
    if spec.type == "percent" and isinstance(text, str) and text.endswith("%"):
        text = text[:-1].strip()
    number = to_number(text)
    if number is None:
        return _not_a_number(text, spec.options)
    if spec.type in ("integer", "categorical") and not number.is_integer():
        return _Invalid(NOT_WHOLE, "not a whole number")
    if spec.type == "categorical":
        if int(number) not in spec.options:
            allowed = ", ".join(str(c) for c in sorted(spec.options))
            return _Invalid(UNKNOWN_CODE, f"not one of the answer codes {allowed}")
        return number
    # a percent question without explicit bounds is 0..100
    low = spec.min if spec.min is not None else (0 if spec.type == "percent" else None)
    high = spec.max if spec.max is not None else (100 if spec.type == "percent" else None)
    if (low is not None and number < low) or (high is not None and number > high):
        lo = "-inf" if low is None else _fmt(low)
        hi = "inf" if high is None else _fmt(high)
        return _Invalid(OUT_OF_RANGE, f"outside the allowed range {lo}..{hi}")
    return number


def _check_profile(frame, inst, present, codes, report, ids, survey_year) -> dict[str, object]:
    """Step 4: column -> values of every profile question present except free text."""
    columns = {}
    for spec in inst.profile:
        if spec.id not in present or spec.type == "text":
            continue  # free text never leaves ingest (privacy.comment_flags)
        if spec.type == "market_history":
            last_year = spec.max if spec.max is not None else survey_year
            columns[spec.id] = _validate_markets(frame[spec.id], spec, inst, codes, report, ids, last_year)
        else:
            columns[spec.id] = _check_column(frame[spec.id], partial(_profile_value, spec=spec),
                                             codes.is_missing, report, ids)
    return columns


def _check_years(out: pd.DataFrame, frame: pd.DataFrame, report: _RowProblems, ids: pd.Series) -> None:
    """Step 5: first foreign sale not before founding (only when the instrument has both questions)."""
    if not {"FOUNDED", "FIRSTSALE"} <= set(out.columns):
        return
    bad = out["FIRSTSALE"] < out["FOUNDED"]
    for pos in out.index[bad.fillna(False).to_numpy(dtype=bool)]:
        report(INCONSISTENT, f"first foreign sale ({_fmt(out.at[pos, 'FIRSTSALE'])}) is before the founding "
               f"year ({_fmt(out.at[pos, 'FOUNDED'])})", pos, "FIRSTSALE", frame.at[pos, "FIRSTSALE"], ids[pos])


def _duration_value(raw):
    number = to_number(raw)
    if number is None or number < 0:
        return _Invalid(NOT_A_NUMBER, "completion time is not a non-negative number of seconds")
    return number


def _finished_value(raw):
    text = str(raw).strip().casefold()
    if text in ("", "nan"):
        return np.nan
    if text in ("1", "1.0", "true", "yes"):
        return 1.0
    if text in ("0", "0.0", "false", "no"):
        return 0.0
    return _Invalid(NOT_A_NUMBER, "the finished flag is not 1/0 or True/False")


def _check_screening(frame, present, screening_cfg: dict, report, ids) -> dict[str, object]:
    """Step 6: column -> values of the completion time, finished flag and submission order.

    Missing-value codes do not apply here: these columns are written by the survey platform."""
    columns = {}
    duration_col = screening_cfg["speeders"]["duration_column"]
    if duration_col in present:
        columns[duration_col] = _check_column(frame[duration_col], _duration_value, _is_blank, report, ids)
    finished_col = screening_cfg["unfinished"]["column"]
    if finished_col in present:
        columns[finished_col] = _check_column(frame[finished_col], _finished_value, _is_blank, report, ids)
    order_col = screening_cfg["duplicates"]["order_column"]
    if order_col in present and order_col != duration_col:
        columns[order_col] = [_order_value(pos, v, order_col, report, ids) for pos, v in frame[order_col].items()]
    return columns


def _order_value(pos, raw, column: str, report, ids):
    """A submission-order cell as text; one that holds an e-mail address, phone number or IP address is
    a problem of its row and never copied (the value is not shown either)."""
    if _is_blank(raw):
        return None
    kinds = pii_kinds(raw)
    if kinds:
        report(PII_IN_ORDER, f"the submission-order column holds what looks like {' or '.join(kinds)}, not a "
               "date or time", pos, column, None, ids[pos])
        return None
    return str(raw).strip()


def _validate_markets(series, spec, inst, codes, problem, ids, last_year):
    """Step 4 for a market-history question: the entries re-written canonically, None where invalid."""
    values = []
    for pos, raw in series.items():
        if codes.is_missing(raw):
            values.append(None)
            continue
        text = raw if isinstance(raw, str) else _show(raw)
        try:
            entries = parse_market_history(text)
        except ValueError as exc:
            problem(BAD_MARKETS, f"cannot read the market history: {exc} "
                    "(expected e.g. 'Germany (2015); USA (2016)')", pos, spec.id, raw, ids[pos])
            values.append(None)
            continue
        ok = True
        for country, year in entries:
            try:
                inst.continent_of(country)
            except SurveySemError:
                problem(UNKNOWN_COUNTRY, f"unknown country {country!r} (add it to scales/regions.csv)",
                        pos, spec.id, None, ids[pos])
                ok = False
                break
            if last_year is not None and year > last_year:
                problem(OUT_OF_RANGE, f"entry year {year} for {country} is after {_fmt(last_year)}",
                        pos, spec.id, None, ids[pos])
                ok = False
                break
        values.append("; ".join(f"{c} ({y})" for c, y in entries) if ok else None)
    return values
