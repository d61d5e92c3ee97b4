"""Survey data in: read -> privacy -> validate, and the helpers of the data stage's steps.

:func:`read_and_validate` reads any survey export (``surveysem.data.readers``), drops identifying
columns (``surveysem.data.privacy``) and validates it against the instrument
(``surveysem.data.validation``), collecting every problem; ``surveysem check`` prints them and
the ``data_ingest`` step (``surveysem.data.steps``) writes the validated table. The raw survey
file is only ever opened for reading.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from surveysem import io as sio
from surveysem.errors import SurveySemError
from surveysem.data.privacy import comment_flags, drop_pii
from surveysem.data.readers import SurveyTable, read_survey
from surveysem.data.validation import ID_OUT, ValidationResult, validate

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


def redacted_value(value) -> str:
    """The offending value as it may be written under results/.

    Numbers are kept (they explain the problem: 9 on a 1-7 scale); text is replaced by its
    length, because a respondent may have typed a name or an e-mail into an item.
    """
    if value is None:
        return ""
    text = str(value).strip()
    try:
        float(text)
        return text
    except ValueError:
        return f"<text, {len(text)} characters>"


def invalid_rows_table(problems) -> pd.DataFrame:
    # Respondent ids are written anyway (respondent_id column); every other text is redacted.
    rows = [{ID_OUT: p.respondent_id, "row": p.row, "column": p.column,
             "value": p.value if p.reason == "duplicate_id" else redacted_value(p.value), "reason": p.reason}
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
