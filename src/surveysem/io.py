"""Atomic, deterministic writers for everything under ``results/`` and ``reports/``.

A result file appears only when complete (temp file + rename), and the same input gives
byte-identical output (sorted JSON keys, floats rounded to 10 significant digits).

Every CSV is written by :func:`write_csv`, which neutralises spreadsheet formulas (OWASP "CSV
injection"): a text cell that a spreadsheet would read as a formula gets a leading apostrophe
(see :func:`neutralise_cell`), and :func:`read_csv` takes it off again, so a stage reading another
stage's CSV sees exactly the values that were written.
"""

from __future__ import annotations

import hashlib
import json
import math
import errno
import os
import re
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from surveysem.errors import SurveySemError

SIGNIFICANT_DIGITS = 10
_UMASK = os.umask(0)
os.umask(_UMASK)


def _round_float(x: float):
    if x is None or not math.isfinite(x):
        return None
    return float(f"{x:.{SIGNIFICANT_DIGITS}g}")


def to_jsonable(obj):
    """Convert numpy/pandas values into plain, rounded JSON values (NaN/inf -> null)."""
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return [to_jsonable(v) for v in obj.tolist()]
    if isinstance(obj, pd.DataFrame):
        return [to_jsonable(r) for r in obj.to_dict(orient="records")]
    if isinstance(obj, pd.Series):
        return to_jsonable(obj.to_dict())
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return _round_float(float(obj))
    if obj is pd.NA or obj is pd.NaT:
        return None
    return obj


def _atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file, so a reader never sees half a file. A
    full disk, a read-only folder or a quota is one line naming the file (no traceback), and the
    partial temporary file is removed."""
    path = Path(path)
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; results are ordinary files
        os.replace(tmp, path)
    except BaseException as exc:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise SurveySemError(f"cannot write the file: {exc.strerror or exc}"
                                 + (" (the disk is full)" if exc.errno == errno.ENOSPC else ""), file=path) from None
        raise


def write_text(path, text: str) -> None:
    _atomic_write_bytes(path, text.encode("utf-8"))


def write_json(path, obj) -> None:
    text = json.dumps(to_jsonable(obj), indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False)
    write_text(path, text + "\n")


# ------------------------------------------------------------------ formula neutralisation

#: First characters that make a spreadsheet read a cell as a formula (OWASP: = + - @ tab CR),
#: with the full-width forms some spreadsheets also accept.
FORMULA_STARTS = frozenset("=+-@\t\r\uff1d\uff0b\uff0d\uff20")
#: Cells written as they are although they start like a formula: the code vocabulary of the
#: results (lavaan operators in ``op`` columns, predicted signs in ``expected`` columns). They hold
#: no letters, names or references, so a spreadsheet cannot call anything with them.
CODE_VOCABULARY = frozenset({"=~", "~", "~~", ":=", "==", "<", ">", "+", "-"})
#: A number written as text (``-0.5``, ``+3``, ``-.12``, ``-1e-05``), optionally with
#: significance stars (``-0.70***``): it stays as it is (a number, or a number and stars).
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\**")
_APOSTROPHE = "'"


def _needs_apostrophe(text: str) -> bool:
    """Would ``text`` start a formula? Also True for text that starts with apostrophes followed by
    such a text, so that :func:`restore_cell` can tell an added apostrophe from one of the data."""
    body = text.lstrip(_APOSTROPHE)
    if not body or body[0] not in FORMULA_STARTS:
        return False
    return body not in CODE_VOCABULARY and _NUMBER.fullmatch(body) is None


def neutralise_cell(value):
    """``value`` with a leading apostrophe when it is text a spreadsheet would execute.

    A text cell starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return (or the full-width
    ``＝ ＋ － ＠``) is written as ``'`` + text, unless it is a number (``-0.5``, ``-.12``,
    ``-0.70***``) or one of :data:`CODE_VOCABULARY`; a text that already starts with apostrophes
    followed by such a cell gets one more. Anything that is not a ``str`` is returned as it is."""
    if isinstance(value, str) and _needs_apostrophe(value):
        return _APOSTROPHE + value
    return value


def restore_cell(value):
    """The inverse of :func:`neutralise_cell`: the added apostrophe taken off."""
    if isinstance(value, str) and value.startswith(_APOSTROPHE) and _needs_apostrophe(value[1:]):
        return value[1:]
    return value


def _map_text(frame: pd.DataFrame, fn) -> pd.DataFrame:
    """``frame`` with ``fn`` applied to every text cell, column name and (text) index label."""
    out = None
    for position, (name, column) in enumerate(frame.items()):
        if column.dtype == object or isinstance(column.dtype, (pd.StringDtype, pd.CategoricalDtype)):
            values = column.astype(object)
            mapped = values.map(fn)
            if not mapped.equals(values):
                if out is None:
                    out = frame.copy()
                out.isetitem(position, mapped)
    if out is None:
        out = frame
    if any(isinstance(c, str) and fn(c) != c for c in out.columns):
        out = out.set_axis([fn(c) for c in out.columns], axis=1)
    if out.index.dtype == object and any(fn(i) != i for i in out.index):
        out = out.set_axis(out.index.map(fn), axis=0)
    return out


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every text cell (and column name) passed through :func:`neutralise_cell`."""
    return _map_text(frame, neutralise_cell)


def restore_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every text cell (and column name) passed through :func:`restore_cell`."""
    return _map_text(frame, restore_cell)


def write_csv(path, frame: pd.DataFrame, index: bool = False) -> None:
    """Write ``frame`` as CSV, atomically, with floats at 10 significant digits and formulas
    neutralised (:func:`neutralise_cell`). The only writer of CSV files under ``results/``."""
    text = neutralise_formulas(frame).to_csv(index=index, float_format=f"%.{SIGNIFICANT_DIGITS}g",
                                             lineterminator="\n")
    write_text(path, text)


def read_csv(path, **read_options) -> pd.DataFrame:
    """``pd.read_csv`` of a CSV written by :func:`write_csv` (UTF-8), with the apostrophes that
    neutralised formulas taken off (:func:`restore_cell`). Every stage reading another stage's CSV
    uses it; files from outside the pipeline (the survey, Table 1, the instrument) are read as they
    are."""
    read_options.setdefault("encoding", "utf-8")
    return restore_formulas(pd.read_csv(path, **read_options))


def canonical_json_sha256(obj) -> str:
    """SHA-256 of ``obj`` as canonical JSON (sorted keys, default separators): the digest of a
    config on the provenance page and in the pre-registration lock."""
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()


def sha256_file(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
