"""Dropping columns that identify people, at ingest, before anything else sees the data.

Dropped (only the column *names* are recorded, in ``results/clean/ingest.json``):

- Qualtrics' identifying columns: IPAddress, RecipientEmail, RecipientFirstName,
  RecipientLastName, LocationLatitude, LocationLongitude, ExternalReference
  (matched case-insensitively, ignoring spaces and underscores);
- every column listed in ``data.pii_columns``;
- undeclared free text: any column the instrument does not declare, that is not the
  respondent-id column nor a harmless Qualtrics metadata column (StartDate, EndDate,
  Status, Progress, Duration (in seconds), Finished, RecordedDate, DistributionChannel,
  UserLanguage), and that holds any non-numeric value.

Declared free-text questions (profile items of type ``text``, e.g. COMMENTS) may contain
names; their text is never written anywhere. :func:`comment_flags` turns them into 0/1
flags (``has_comment`` for COMMENTS, ``has_<id>`` for others).

Undeclared *numeric* columns (e.g. a Qualtrics Q_RecaptchaScore) are not personal; they are
simply not carried into the validated table (their names are listed as ``ignored_columns``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd

from surveysem.errors import SurveySemError
from surveysem.data.validation import _is_blank, to_number

QUALTRICS_PII = (
    "IPAddress",
    "RecipientEmail",
    "RecipientFirstName",
    "RecipientLastName",
    "LocationLatitude",
    "LocationLongitude",
    "ExternalReference",
)
QUALTRICS_HARMLESS = (
    "StartDate",
    "EndDate",
    "Status",
    "Progress",
    "Duration (in seconds)",
    "Finished",
    "RecordedDate",
    "ResponseId",
    "DistributionChannel",
    "UserLanguage",
)


def _key(name: str) -> str:
    return re.sub(r"[\s_\-]+", "", str(name)).casefold()


_PII_KEYS = {_key(n) for n in QUALTRICS_PII}
_HARMLESS_KEYS = {_key(n) for n in QUALTRICS_HARMLESS}


@dataclass
class PrivacyResult:
    frame: pd.DataFrame
    dropped: list[str] = field(default_factory=list)  # names only
    reasons: dict[str, str] = field(default_factory=dict)  # name -> why
    ignored: list[str] = field(default_factory=list)  # undeclared numeric columns (kept out of outputs)


def _is_numeric_column(series: pd.Series) -> bool:
    for value in series:
        if _is_blank(value):
            continue
        if to_number(value) is None:
            return False
    return True


def drop_pii(frame: pd.DataFrame, declared: set[str], id_column: str, pii_columns=(), file=None) -> PrivacyResult:
    """Return ``frame`` without identifying columns, and the names of the dropped ones."""
    configured = {_key(c): c for c in (pii_columns or [])}
    if _key(id_column) in _PII_KEYS or _key(id_column) in configured:
        raise SurveySemError(
            f"data.id_column {id_column!r} identifies people and is dropped at ingest; "
            "use an anonymous id such as ResponseId",
            file=file,
        )
    dropped, reasons, ignored = [], {}, []
    for col in frame.columns:
        k = _key(col)
        if col == id_column or col in declared:
            if k in configured:
                dropped.append(col)
                reasons[col] = "data.pii_columns"
            continue
        if k in _PII_KEYS:
            dropped.append(col)
            reasons[col] = "Qualtrics identifying column"
        elif k in configured:
            dropped.append(col)
            reasons[col] = "data.pii_columns"
        elif k in _HARMLESS_KEYS:
            continue
        elif not _is_numeric_column(frame[col]):
            dropped.append(col)
            reasons[col] = "undeclared free text"
        else:
            ignored.append(col)
    kept = frame.drop(columns=dropped)
    return PrivacyResult(frame=kept, dropped=dropped, reasons=reasons, ignored=ignored)


def comment_flag_name(column: str) -> str:
    return "has_comment" if column.upper() in ("COMMENTS", "COMMENT") else f"has_{column.lower()}"


def comment_flags(frame: pd.DataFrame, text_columns, index=None) -> pd.DataFrame:
    """0/1 flags saying whether each declared free-text question was answered (never the text)."""
    flags = pd.DataFrame(index=frame.index if index is None else index)
    for col in text_columns:
        if col not in frame.columns:
            continue
        flags[comment_flag_name(col)] = [0 if _is_blank(v) else 1 for v in frame[col]]
    return flags
