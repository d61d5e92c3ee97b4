"""Survey data in: read -> privacy -> validate, and the helpers of the data stage's steps.

:func:`read_and_validate` reads any survey export (``surveysem.data.readers``), drops identifying
columns (``surveysem.data.privacy``) and validates it against the instrument
(``surveysem.data.validation``), collecting every problem; ``surveysem check`` prints them and
the ``data_ingest`` step (``surveysem.data.steps``) writes the validated table. The raw survey
file is only ever opened for reading.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from surveysem import io as sio
from surveysem.data.privacy import comment_flags, drop_pii
from surveysem.data.readers import SurveyTable, read_survey
from surveysem.data.validation import ID_OUT, ValidationResult, validate
from surveysem.errors import SurveySemError, pii_kinds

INVALID_COLUMNS = [ID_OUT, "row", "column", "value", "reason"]


@dataclass
class Checked:
    table: SurveyTable
    validation: ValidationResult
    privacy: object
    inst: object
    frame: pd.DataFrame  # validated columns + comment flags (all rows as read)


# --------------------------------------------------------------------------- shared


def read_and_validate(path, config: dict, inst, *, fmt: str | None = None, encoding: str | None = None,
                      delimiter: str | None = None) -> Checked:
    """Read ``path`` and validate it against the instrument ``inst``; collect every problem.

    ``config`` holds ``data``, ``study.survey_year`` and the screening columns (``screening.
    speeders.enabled`` / ``duration_column``, ``unfinished.column``, ``duplicates.order_column``);
    ``fmt``, ``encoding`` and ``delimiter`` override ``data.*``."""
    data_cfg = config["data"]
    table = read_survey(
        path,
        fmt or data_cfg["format"],
        encoding=encoding or data_cfg["encoding"],
        delimiter=delimiter or data_cfg["delimiter"],
    )
    privacy = drop_pii(table.frame, inst.declared_columns, data_cfg["id_column"], data_cfg["pii_columns"],
                       file=table.file)
    table.frame = privacy.frame
    result = validate(table, inst, data_cfg, study_cfg=config["study"], screening_cfg=config["screening"])
    text_cols = [p.id for p in inst.profile if p.type == "text"]
    flags = comment_flags(table.frame, text_cols)
    frame = pd.concat([result.frame, flags], axis=1)
    return Checked(table=table, validation=result, privacy=privacy, inst=inst, frame=frame)


def usable(checked: Checked, on_invalid: str) -> tuple[bool, list]:
    """Whether the pipeline would go on with this file, and the rows it would drop."""
    v = checked.validation
    if v.structural:
        return False, []
    if on_invalid != "drop":
        return not v.problems, []
    dropped = v.invalid_positions()
    return len(dropped) < len(checked.frame), dropped


NUMBER_ANSWER = re.compile(r"[+-]?(\d+)(?:\.(\d{1,3}))?%?")
UNBOUNDED_DIGITS = 5  # a field without bounds (completion time in seconds): at most 6-digit numbers shown


def answer_digits(inst) -> dict[str, int]:
    """Column -> digits of the largest plausible answer: the larger bound of an item's response
    scale, of a profile question's range (a percent: 100) or of its answer codes."""
    out = {}
    for item in inst.items:
        scale = inst.scale_of_item(item.id)
        out[item.id] = len(str(int(max(abs(scale.min), abs(scale.max)))))
    for spec in inst.profile:
        bounds = [abs(b) for b in (spec.min, spec.max) if b is not None] + list(spec.options or {})
        if spec.type == "percent":
            bounds.append(100)
        if bounds:
            out[spec.id] = len(str(int(max(bounds))))
    return out


def redacted_value(value, digits: int | None = None) -> str:
    """The offending value as it may be written under results/: only a plausible answer of its
    field, a plain number with at most one digit more than the field's largest answer (``digits``;
    9 on a 1-7 scale, 150% for a share), explains the problem and is kept. Anything else may be what a
    respondent typed about themselves (a name, an e-mail, a phone number in a share field) and is
    redacted, with its kind and length."""
    if value is None:
        return ""
    text = str(value).strip()
    number = NUMBER_ANSWER.fullmatch(text)
    limit = (UNBOUNDED_DIGITS if digits is None else digits) + 1
    if number and len(number.group(1).lstrip("0") or "0") <= limit and not pii_kinds(text):
        return text
    what = f"a number of {sum(c.isdigit() for c in text)} digits" if number else f"text, {len(text)} characters"
    return f"[redacted: not a plausible answer ({what})]"


def invalid_rows_table(problems, inst=None) -> pd.DataFrame:
    # Respondent ids are written anyway (respondent_id column); every other value only when it is
    # a plausible answer of its field (``inst``: the instrument, for the fields' bounds).
    digits = answer_digits(inst) if inst is not None else {}
    rows = [{ID_OUT: p.respondent_id, "row": p.row, "column": p.column,
             "value": p.value if p.reason == "duplicate_id" else redacted_value(p.value, digits.get(p.column)),
             "reason": p.reason}
            for p in problems if not p.structural]
    return pd.DataFrame(rows, columns=INVALID_COLUMNS)


def reverse_key(frame: pd.DataFrame, inst) -> pd.DataFrame:
    """Reverse-keyed items as ``min + max - x`` (call once, on the analysis table only)."""
    out = frame.copy()
    for item_id in sorted(inst.reverse_keyed):
        if item_id in out.columns:
            scale = inst.scale_of_item(item_id)
            out[item_id] = scale.min + scale.max - out[item_id]
    return out


def read_validated(path, inst) -> pd.DataFrame:
    """Read ``validated.csv`` back: ids and text as text (no 'NA' guessing), the rest numeric."""
    path = Path(path)
    try:
        frame = sio.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise SurveySemError(f"cannot read the validated table: {exc}", file=path) from None
    text_cols = {ID_OUT} | {p.id for p in inst.profile if p.type in ("market_history", "text")}
    for col in frame.columns:
        blank = frame[col] == ""
        numbers = pd.to_numeric(frame[col].where(~blank, np.nan), errors="coerce")
        if col in text_cols or numbers[~blank].isna().any():
            frame[col] = frame[col].where(~blank, None)  # text column (ids, MARKETS, dates)
        else:
            frame[col] = numbers
    return frame


# --------------------------------------------------------------------------- ingest


# --------------------------------------------------------------------------- Snakemake steps
