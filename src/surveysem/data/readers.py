"""Reading survey exports into one table, with every reading problem as one line.

Supported formats (``data.format``; ``auto`` picks by extension):

- ``csv`` – delimited text (``.csv``, ``.tsv``, ``.txt``). Encoding detected from a BOM
  (UTF-8, UTF-16 LE/BE), else strict UTF-8, else Windows-1252, else Latin-1 (refused if
  it would produce control characters: then the file is not text in any of these
  encodings). The delimiter is detected among ``, ; tab |``: the one splitting the
  header row into the most columns (ties: the one consistent over more of the first lines).
  Both can be set in ``data.encoding`` / ``data.delimiter``.
- ``qualtrics`` – a Qualtrics CSV export: row 1 variable names, row 2 question text,
  row 3 ``{"ImportId": ...}`` JSON. Detected by that third row, also when the format is
  ``csv`` or ``auto``. The question text is kept as metadata; the first data row is file
  row 4.
- ``xlsx`` – first worksheet, header in row 1 (a Qualtrics-style ImportId third row is
  recognised as in CSV).
- ``sav`` – SPSS, via pyreadstat; value labels are *not* applied (codes are kept, labels
  go to metadata); SPSS user-missing values become missing.
- ``dta`` – Stata, via pyreadstat; extended missing values (.a, .b, ...) become missing.

All text cells are kept as text (no type guessing): validation decides what is numeric,
so a stray "abc" in an item is reported, not silently turned into NaN.

Row numbers (``SurveyTable.file_row``) are as the user sees them: for CSV and Excel the
header is row 1, the first data row is row 2; for Qualtrics the first data row is row 4;
for SPSS/Stata it is the case number (first case = 1).
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from surveysem.errors import SurveySemError

log = logging.getLogger(__name__)

FORMATS = ("auto", "csv", "qualtrics", "xlsx", "sav", "dta")
EXTENSIONS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".sav": "sav",
    ".zsav": "sav",
    ".dta": "dta",
}
DELIMITERS = (",", ";", "\t", "|")
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
_DELIMITER_ALIASES = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}
SNIFF_LINES = 50


@dataclass
class SurveyTable:
    """A survey export as read: one row per response, all columns, plus metadata."""

    frame: pd.DataFrame
    file: Path
    format: str
    encoding: str | None = None
    delimiter: str | None = None
    first_data_row: int = 2
    question_text: dict[str, str] = field(default_factory=dict)
    value_labels: dict[str, dict] = field(default_factory=dict)
    # file row of each data row, when not simply consecutive from first_data_row
    row_numbers: list[int] | None = None

    @property
    def name(self) -> str:
        return self.file.name

    def file_row(self, position: int) -> int:
        """Row number as the user sees it in the file for the data row at 0-based ``position``.

        ``position`` is the row's index label in :attr:`frame` (0..n-1 as read; later steps
        keep the index, so the number stays right after rows are dropped).
        """
        if self.row_numbers is not None:
            return int(self.row_numbers[int(position)])
        return int(position) + self.first_data_row

    def metadata(self) -> dict:
        return {
            "file": self.file.name,
            "format": self.format,
            "encoding": self.encoding,
            "delimiter": self.delimiter,
            "first_data_row": self.first_data_row,
            "n_rows_read": int(len(self.frame)),
            "n_columns": int(self.frame.shape[1]),
        }


def _err(path: Path, message: str, **kw) -> SurveySemError:
    return SurveySemError(message, file=str(path), **kw)


# --------------------------------------------------------------------------- format


def resolve_format(path, fmt: str = "auto") -> str:
    """The reader to use for ``path``: ``fmt`` unless ``auto``, else from the extension."""
    path = Path(path)
    fmt = (fmt or "auto").lower()
    if fmt not in FORMATS:
        raise _err(path, f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
    if fmt != "auto":
        return fmt
    ext = path.suffix.lower()
    if ext not in EXTENSIONS:
        known = ", ".join(sorted(EXTENSIONS))
        raise _err(path, f"cannot tell the format from the extension {ext or '(none)'!r}; "
                   f"use one of {known} or set data.format")
    return EXTENSIONS[ext]


def read_survey(path, fmt: str = "auto", *, encoding: str = "auto", delimiter: str = "auto") -> SurveyTable:
    """Read a survey export; raise a one-line :class:`SurveySemError` naming the file on any problem."""
    path = Path(path)
    if not path.exists():
        raise _err(path, "survey file not found")
    if path.is_dir():
        raise _err(path, "is a directory, not a survey file")
    kind = resolve_format(path, fmt)
    if path.stat().st_size == 0:
        raise _err(path, "file is empty")
    is_excel = path.suffix.lower() in (".xlsx", ".xlsm")
    if kind in ("csv", "qualtrics") and not is_excel:
        table = _read_delimited(path, kind, encoding, delimiter)
    elif kind in ("xlsx", "qualtrics"):
        table = _read_xlsx(path, fmt)
        if kind == "qualtrics" and table.format != "xlsx-qualtrics":
            raise _err(path, "not a Qualtrics export: row 3 is not the ImportId JSON row "
                       "(set data.format: xlsx for a plain workbook)")
    elif kind == "sav":
        table = _read_stat(path, "sav")
    else:
        table = _read_stat(path, "dta")
    if len(table.frame) == 0:
        raise _err(path, "no data rows (header only)")
    log.info("read %s: %s, %d rows x %d columns", path.name, table.format, len(table.frame), table.frame.shape[1])
    return table


# --------------------------------------------------------------------------- text


def _decode(path: Path, raw: bytes, encoding: str) -> tuple[str, str]:
    enc = (encoding or "auto").strip()
    if enc.lower() != "auto":
        try:
            codecs.lookup(enc)
        except LookupError:
            raise _err(path, f"unknown encoding {enc!r} in data.encoding") from None
        try:
            text = raw.decode(enc)
        except UnicodeDecodeError as exc:
            row = raw[: exc.start].count(b"\n") + 1
            raise _err(path, f"cannot decode as {enc}: byte 0x{raw[exc.start]:02x} is not valid "
                       f"(set data.encoding, e.g. latin-1 or utf-16)", row=row) from None
        if text.startswith("\ufeff"):
            text = text[1:]
        return text, enc
    if raw.startswith(codecs.BOM_UTF8):
        return _strict(path, raw[3:], "utf-8", "utf-8-sig"), "utf-8-sig"
    if raw.startswith(codecs.BOM_UTF16_LE) or raw.startswith(codecs.BOM_UTF16_BE):
        return _strict(path, raw, "utf-16", "utf-16"), "utf-16"
    head = raw[:4000]
    if len(head) >= 4 and head.count(b"\x00") > len(head) // 4:
        # UTF-16 without BOM: every other byte of ASCII text is NUL
        even_nul = head[0::2].count(b"\x00")
        odd_nul = head[1::2].count(b"\x00")
        guess = "utf-16-le" if odd_nul > even_nul else "utf-16-be"
        try:
            text = raw.decode(guess)
            if not _has_controls(text):
                return text, guess
        except UnicodeDecodeError:
            pass
        raise _err(path, "not a text file (contains NUL bytes); is it a spreadsheet or SPSS file "
                   "with the wrong extension?")
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    for enc_try in ("cp1252", "latin-1"):
        try:
            text = raw.decode(enc_try)
        except UnicodeDecodeError:
            continue
        if not _has_controls(text):
            return text, enc_try
    bad = _first_control(raw.decode("latin-1"))
    row = raw.decode("latin-1")[:bad].count("\n") + 1 if bad is not None else None
    raise _err(path, "undecodable bytes: not UTF-8, UTF-16, Windows-1252 or Latin-1 text "
               "(set data.encoding if you know it)", row=row)


def _strict(path: Path, raw: bytes, codec: str, label: str) -> str:
    try:
        text = raw.decode(codec)
    except UnicodeDecodeError as exc:
        raise _err(path, f"cannot decode as {label} although the file starts with a {label} byte-order mark "
                   f"(byte 0x{raw[exc.start]:02x} at offset {exc.start}); the file may be damaged") from None
    return text[1:] if text.startswith("\ufeff") else text


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _has_controls(text: str) -> bool:
    return _CONTROL.search(text) is not None


def _first_control(text: str):
    m = _CONTROL.search(text)
    return None if m is None else m.start()


# What one cell may hold: far above any survey answer (a free-text comment of a few pages), far
# below what would exhaust memory. The csv module's default (131,072) rejected legitimate comments.
MAX_CELL_CHARS = 4_194_304
csv.field_size_limit(MAX_CELL_CHARS)


class CellTooLarge(Exception):
    """A cell longer than MAX_CELL_CHARS, in (1-based) record ``number``."""

    def __init__(self, number: int):
        super().__init__(number)
        self.number = number


def _parse_rows(text: str, delimiter: str, limit: int | None = None, numbers: list | None = None) -> list[list[str]]:
    """Records of ``text``; blank lines are skipped, their 1-based record numbers go to ``numbers``."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"', doublequote=True,
                        strict=False)
    rows = []
    try:
        for number, row in enumerate(reader, start=1):
            if _keep_row(row, rows, numbers, number) and limit is not None and len(rows) >= limit:
                break
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            raise CellTooLarge(reader.line_num) from None
        raise
    return rows


def _keep_row(row: list[str], rows: list, numbers: list | None, number: int) -> bool:
    """Append a non-blank record (and its number); whether it was kept."""
    if not row or (len(row) == 1 and row[0].strip() == ""):
        return False  # blank line (still counted: a spreadsheet shows it as an empty row)
    rows.append(row)
    if numbers is not None:
        numbers.append(number)
    return True


def _sniff_delimiter(text: str) -> str | None:
    """The delimiter among DELIMITERS splitting the header row into the most columns.

    Column names rarely contain a delimiter, values often do (decimal commas, text), so the
    header decides; ties go to the delimiter giving the same count on more of the first lines.
    """
    best, best_key = None, (1, 0.0)
    for delim in DELIMITERS:
        try:
            rows = _parse_rows(text, delim, SNIFF_LINES)
        except csv.Error:
            continue
        if not rows:
            continue
        n = len(rows[0])
        if n <= 1:
            continue
        consistent = sum(len(r) == n for r in rows) / len(rows)
        key = (n, consistent)
        if key > best_key:
            best, best_key = delim, key
    return best


def _is_importid_row(row: list[str]) -> bool:
    cells = [c.strip() for c in row if c.strip()]
    if not cells:
        return False
    hits = 0
    for c in cells:
        if c.startswith("{") and "importid" in c.lower():
            try:
                obj = json.loads(c)
            except ValueError:
                continue
            if isinstance(obj, dict) and any(k.lower() == "importid" for k in obj):
                hits += 1
    return hits >= max(1, len(cells) // 2)


def _check_header(path: Path, header: list[str]) -> list[str]:
    names = [str(h).strip() for h in header]
    for i, name in enumerate(names):
        if name == "":
            raise _err(path, f"column {i + 1} has no name in the header row", row=1)
    seen: dict[str, int] = {}
    for i, name in enumerate(names):
        if name in seen:
            raise _err(path, f"duplicate column name {name!r} (columns {seen[name] + 1} and {i + 1})", row=1)
        seen[name] = i
    return names


def _read_delimited(path: Path, kind: str, encoding: str, delimiter: str) -> SurveyTable:
    raw = path.read_bytes()
    text, used_encoding = _decode(path, raw, encoding)
    if not text.strip():
        raise _err(path, "file is empty")
    delim_cfg = (delimiter or "auto")
    delim_cfg = _DELIMITER_ALIASES.get(delim_cfg.lower(), delim_cfg) if delim_cfg.lower() != "auto" else "auto"
    if delim_cfg == "auto":
        try:
            delim = _sniff_delimiter(text)
        except CellTooLarge as big:
            raise _err(path, f"a cell holds more than {MAX_CELL_CHARS:,} characters: not a survey answer",
                       row=big.number) from None
        if delim is None:
            raise _err(path, "everything is in one column: no consistent delimiter among comma, semicolon, "
                       "tab, pipe found (set data.delimiter)")
    else:
        if len(delim_cfg) != 1:
            raise _err(path, f"data.delimiter must be one character, got {delim_cfg!r}")
        delim = delim_cfg
    record_numbers: list[int] = []
    try:
        rows = _parse_rows(text, delim, numbers=record_numbers)
    except csv.Error as exc:
        raise _err(path, f"cannot parse as delimited text: {exc}") from None
    except CellTooLarge as big:
        raise _err(path, f"a cell holds more than {MAX_CELL_CHARS:,} characters: not a survey answer",
                   row=big.number) from None
    if not rows:
        raise _err(path, "file is empty")
    header = rows[0]
    if len(header) <= 1:
        other = _sniff_delimiter(text)
        hint = f"; the delimiter looks like {_DELIMITER_NAMES.get(other, other)!s}, set data.delimiter" if other else ""
        raise _err(path, f"everything is in one column with delimiter {_DELIMITER_NAMES.get(delim, delim)}{hint}")
    names = _check_header(path, header)
    question_text: dict[str, str] = {}
    first_data_row = 2
    is_qualtrics = len(rows) >= 3 and _is_importid_row(rows[2])
    if kind == "qualtrics" and not is_qualtrics:
        raise _err(path, "not a Qualtrics export: row 3 is not the ImportId JSON row "
                   "(set data.format: csv for a plain CSV file)")
    if is_qualtrics:
        kind = "qualtrics"
        question_text = {n: (rows[1][i].strip() if i < len(rows[1]) else "") for i, n in enumerate(names)}
        body = rows[3:]
        body_numbers = record_numbers[3:]
        first_data_row = 4
    else:
        body = rows[1:]
        body_numbers = record_numbers[1:]
        first_data_row = 2
    # row numbers as a spreadsheet shows the file: records (a quoted line break stays in its
    # cell), blank lines counted
    consecutive = body_numbers == list(range(first_data_row, first_data_row + len(body_numbers)))
    width = len(names)
    for i, row in enumerate(body):
        if len(row) != width:
            # a trailing empty field produced by a trailing delimiter is harmless
            if len(row) == width + 1 and row[-1].strip() == "":
                body[i] = row[:-1]
                continue
            name = _DELIMITER_NAMES.get(delim, delim)
            raise _err(path, f"has {len(row)} fields but the header has {width} "
                       f"(wrong delimiter, unquoted {name} in a value, or a truncated file)",
                       row=body_numbers[i])
    frame = pd.DataFrame(body, columns=names, dtype=object)
    return SurveyTable(
        frame=frame,
        file=path,
        format=kind,
        encoding=used_encoding,
        delimiter=delim,
        first_data_row=first_data_row,
        question_text=question_text,
        row_numbers=None if consecutive else body_numbers,
    )


# --------------------------------------------------------------------------- Excel


def _cell_text(value) -> object:
    """Excel cell -> text or number as a user sees it; empty -> ''."""
    if value is None:
        return ""
    if isinstance(value, float) and np.isnan(value):
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return str(int(value))
    return value


def _read_xlsx(path: Path, fmt: str) -> SurveyTable:
    try:
        import openpyxl
    except ImportError:  # pragma: no cover - a declared dependency
        raise _err(path, "reading .xlsx needs openpyxl (pip install openpyxl)") from None
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # zipfile.BadZipFile, KeyError, InvalidFileException ...
        raise _err(path, f"cannot read as an Excel .xlsx workbook ({type(exc).__name__}: {_first_line(exc)})") from None
    try:
        sheet = book.worksheets[0]
        rows = []
        for values in sheet.iter_rows(values_only=True):
            cells = [_cell_text(v) for v in values]
            if all(c == "" for c in cells):
                rows.append(None)  # keep numbering; dropped below
                continue
            rows.append(cells)
    except Exception as exc:
        raise _err(path, f"cannot read the first worksheet ({type(exc).__name__}: {_first_line(exc)})") from None
    finally:
        book.close()
    while rows and rows[-1] is None:
        rows.pop()
    if not rows or rows[0] is None:
        raise _err(path, "the first worksheet is empty" if not rows else "row 1 (the header) is empty")
    header = list(rows[0])
    while header and header[-1] == "":
        header.pop()
    names = _check_header(path, [str(h) for h in header])
    _refuse_uncomputed_formulas(path, names)
    width = len(names)
    first_data_row = 2
    question_text: dict[str, str] = {}
    kind = "xlsx"
    if len(rows) >= 3 and rows[2] is not None and _is_importid_row([str(c) for c in rows[2]]):
        question_text = {n: str(rows[1][i]) if rows[1] and i < len(rows[1]) else "" for i, n in enumerate(names)}
        first_data_row = 4
        kind = "xlsx-qualtrics"
    body, positions = [], []
    for idx in range(first_data_row - 1, len(rows)):
        row = rows[idx]
        if row is None:
            continue
        extra = [c for c in row[width:] if c != ""]
        if extra:
            raise _err(path, f"has values beyond the last named column ({width} columns in the header)", row=idx + 1)
        cells = list(row[:width]) + [""] * max(0, width - len(row))
        body.append(cells)
        positions.append(idx + 1)
    frame = pd.DataFrame(body, columns=names, dtype=object)
    consecutive = positions == list(range(first_data_row, first_data_row + len(positions)))
    # blank spreadsheet rows are skipped: row_numbers maps data rows to the real sheet rows
    return SurveyTable(frame=frame, file=path, format=kind, first_data_row=first_data_row,
                       question_text=question_text, row_numbers=None if consecutive else positions)


def _first_sheet_cells(path: Path, data_only: bool, wanted=None) -> tuple[str, dict]:
    """The first worksheet's title and its cells by (row, column): the formula cells
    (``data_only=False``), or the cached values of the cells ``wanted`` (``data_only=True``)."""
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True, data_only=data_only)
    try:
        sheet = book.worksheets[0]
        found = {}
        for row in sheet.iter_rows():
            for cell in row:
                rc = (getattr(cell, "row", None), getattr(cell, "column", None))
                if rc[0] is None:  # EmptyCell: no value, no formula
                    continue
                if (cell.data_type == "f") if wanted is None else (rc in wanted):
                    found[rc] = cell
        return sheet.title, found
    finally:
        book.close()


def _refuse_uncomputed_formulas(path: Path, names: list[str], shown: int = 5) -> None:
    """A formula cell with no cached value (a workbook written by a program that does not compute
    formulas, e.g. openpyxl or pandas) reads as empty: refuse it, naming the cells, instead of
    turning it into a missing answer."""
    from openpyxl.utils import get_column_letter

    try:
        sheet, formulas = _first_sheet_cells(path, data_only=False)
        if not formulas:
            return
        _, cached = _first_sheet_cells(path, data_only=True, wanted=set(formulas))
    except Exception as exc:
        raise _err(path, f"cannot read the first worksheet ({type(exc).__name__}: {_first_line(exc)})") from None
    # openpyxl gives None both for no cached value and for a cached empty string (type "str")
    missing = [rc for rc in sorted(formulas) if rc not in cached or
               (cached[rc].value is None and cached[rc].data_type != "str")]
    if not missing:
        return
    cells = [f"{get_column_letter(c)}{r}" + (f" (column {names[c - 1]})" if c <= len(names) else "")
             for r, c in missing[:shown]]
    more = f" and {len(missing) - shown} more" if len(missing) > shown else ""
    raise _err(path, f"{len(missing)} formula cell(s) of sheet {sheet!r} have no computed value: "
               f"{', '.join(cells)}{more}; open and save the file in Excel or LibreOffice (which compute "
               "them), or paste the values")


# --------------------------------------------------------------------------- SPSS / Stata


def _read_stat(path: Path, kind: str) -> SurveyTable:
    try:
        import pyreadstat
    except ImportError:  # pragma: no cover - a declared dependency
        raise _err(path, f"reading .{kind} needs pyreadstat (pip install pyreadstat)") from None
    reader = pyreadstat.read_sav if kind == "sav" else pyreadstat.read_dta
    try:
        frame, meta = reader(str(path), apply_value_formats=False)
    except Exception as exc:  # pyreadstat.ReadstatError, PyreadstatError, UnicodeDecodeError ...
        what = "SPSS .sav" if kind == "sav" else "Stata .dta"
        raise _err(path, f"cannot read as a {what} file, it may be truncated or damaged "
                   f"({type(exc).__name__}: {_first_line(exc)})") from None
    names = _check_header(path, list(frame.columns))
    frame.columns = names
    frame = frame.astype(object).where(frame.notna(), "")
    labels = dict(getattr(meta, "column_names_to_labels", {}) or {})
    value_labels = dict(getattr(meta, "variable_value_labels", {}) or {})
    return SurveyTable(
        frame=frame.reset_index(drop=True),
        file=path,
        format=kind,
        encoding=getattr(meta, "file_encoding", None),
        first_data_row=1,
        question_text={k: ("" if v is None else str(v)) for k, v in labels.items()},
        value_labels=value_labels,
    )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:160] if text else type(exc).__name__
