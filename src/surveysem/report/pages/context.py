"""What a report page is built from: where the result files are, the config, the instrument,
and cached loaders that read columns and keys by the names registered in
:mod:`surveysem.stage_files` (``stage_files.yaml``).

A page never guesses a column name. It asks for registered names (:meth:`Context.columns`,
:meth:`Context.column`, :meth:`Context.records`, :meth:`Context.field`):

* a name the registry does not list is a bug in the page: :class:`ColumnNotRegistered`, which
  stops the report (tests find it);
* a registered column the file lacks, or a file that does not parse, is an unreadable input:
  :class:`UnreadableResult`, which the section guard (:func:`~surveysem.report.pages.sections.guard`)
  turns into a "not computed" sentence naming the file.

A file that does not exist loads as None: its sections say "not computed".
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from surveysem import io as sio
from surveysem.report import provenance
from surveysem.stage_files import FILES, REPORT_FILES
from surveysem.stage_files import path as stage_path


class ColumnNotRegistered(LookupError):
    """A page asked for a column or key that ``stage_files.yaml`` does not register for the file."""


class UnreadableResult(ValueError):
    """A result file exists but cannot be read as registered; ``reason`` says why, in words."""

    def __init__(self, path: str, reason: str):
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


def _check_registered(key: str, name: str) -> None:
    registered = FILES[key].columns
    if name not in registered:
        raise ColumnNotRegistered(
            f"{name!r} is not a registered column or key of {key!r} ({FILES[key].path}); "
            f"src/surveysem/stage_files.yaml, {key}: registers {', '.join(registered) or 'nothing'}")


def _no_nan(value):
    """None for a missing cell (NaN), the value otherwise."""
    return None if isinstance(value, float) and math.isnan(value) else value


@dataclass
class Context:
    """Where things are, plus cached loaders. Missing files load as None.

    ``reads`` lists the keys loaded since the section guard last cleared it, so that a section
    that fails can name the files it was reading."""

    files: dict[str, str] = field(default_factory=lambda: {k: stage_path(k) for k in REPORT_FILES})
    config: dict = field(default_factory=dict)
    config_path: str | None = "config/config.yaml"
    instrument: object | None = None
    root: str = "."
    env: dict | None = None
    # the pre-registration lock's record (surveysem.preregistration.lock) and its path; None: not pre-registered
    preregistration: dict | None = None
    preregistration_file: str = ""
    reads: list[str] = field(default_factory=list, repr=False)  # keys loaded, for the guard's message
    _cache: dict = field(default_factory=dict, repr=False)

    # -------------------------------------------------------------- files

    def shown_path(self, key: str) -> str:
        """The path of ``key`` as the pages print it (relative to the workflow folder)."""
        return str(self.files.get(key) or stage_path(key))

    def path(self, key: str) -> Path:
        p = Path(self.shown_path(key))
        return p if p.is_absolute() else Path(self.root) / p

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def csv(self, key: str) -> pd.DataFrame | None:
        """The whole table of ``key`` (None when the file does not exist)."""
        self.reads.append(key)
        if key not in self._cache:
            self._cache[key] = self._read_csv(key)
        return self._cache[key]

    def _read_csv(self, key: str) -> pd.DataFrame | None:
        p = self.path(key)
        if not p.is_file():
            return None
        try:
            return sio.read_csv(p)
        except pd.errors.EmptyDataError:  # a stage wrote an empty table (e.g. a test it could not run)
            return pd.DataFrame()
        except (pd.errors.ParserError, UnicodeDecodeError):
            raise UnreadableResult(self.shown_path(key), "it is not a readable CSV table") from None

    def json(self, key: str):
        """The parsed JSON of ``key`` (None when the file does not exist)."""
        self.reads.append(key)
        return self._json(key)

    def _json(self, key: str):
        if key not in self._cache:
            p = self.path(key)
            try:
                self._cache[key] = json.loads(p.read_text(encoding="utf-8")) if p.is_file() else None
            except (json.JSONDecodeError, UnicodeDecodeError):
                raise UnreadableResult(self.shown_path(key), "it is not valid JSON") from None
        return self._cache[key]

    # -------------------------------------------------------------- registered names

    def columns(self, key: str, *names: str) -> pd.DataFrame | None:
        """Columns ``names`` of table ``key``, in that order, by their registered names."""
        for name in names:
            _check_registered(key, name)
        frame = self.csv(key)
        if frame is None:
            return None
        if frame.empty and not len(frame.columns):  # an empty table has no header either
            return pd.DataFrame(columns=list(names))
        absent = [n for n in names if n not in frame.columns]
        if absent:
            raise UnreadableResult(self.shown_path(key), f"it has no column {', '.join(absent)}")
        return frame[list(names)]

    def column(self, key: str, name: str) -> pd.Series | None:
        """Column ``name`` of table ``key`` (None when the file does not exist)."""
        frame = self.columns(key, name)
        return None if frame is None else frame[name]

    def records(self, key: str, *names: str) -> list[dict] | None:
        """The rows of table ``key`` as dicts of the columns ``names``; a missing cell is None."""
        frame = self.columns(key, *names)
        if frame is None:
            return None
        return [{k: _no_nan(v) for k, v in rec.items()} for rec in frame.to_dict(orient="records")]

    def varying_columns(self, key: str) -> pd.DataFrame | None:
        """The columns of table ``key`` that depend on the instrument or the data (e.g. one per
        item or construct): every column but the registered ones."""
        if not FILES[key].columns_vary:
            raise ColumnNotRegistered(f"{key!r} ({FILES[key].path}) has no varying columns: read it by its registered names")
        frame = self.csv(key)
        if frame is None:
            return None
        return frame[[c for c in frame.columns if c not in FILES[key].columns]]

    def field(self, key: str, name: str, default=None):
        """Top-level entry ``name`` of the JSON object ``key`` (``default`` when the file does not
        exist or the entry is absent)."""
        _check_registered(key, name)
        obj = self.json(key)
        if obj is None:
            return default
        if not isinstance(obj, dict):
            raise UnreadableResult(self.shown_path(key), "it is not a JSON object")
        value = obj.get(name)
        return default if value is None else value

    # -------------------------------------------------------------- study

    @property
    def synthetic(self) -> bool | None:
        """The synthetic flag of ingest.json; None (unknown) when ingest has not run or its file
        cannot be read: never "real data" without the flag saying so. (Not counted in ``reads``:
        every section notes the flag, so it would name ingest.json in every failure.)"""
        _check_registered("ingest", "synthetic")
        try:
            ingest = self._json("ingest")
        except UnreadableResult:
            return None
        if not isinstance(ingest, dict) or not isinstance(ingest.get("synthetic"), bool):
            return None
        return ingest["synthetic"]

    @property
    def study_title(self) -> str:
        return str(self.config.get("study", {}).get("title", "")) if self.config else ""

    def date(self) -> tuple[str, str]:
        """The reproducible report date and how it was found (see :func:`provenance.report_date`)."""
        files = []
        survey = (self.config.get("data") or {}).get("survey") if self.config else None
        if survey:
            files.append(Path(self.root) / survey)
        if self.config_path:
            files.append(Path(self.root) / self.config_path)
        return provenance.report_date(files, env=self.env)

    def label(self, construct_id: str) -> str:
        """The construct's label from the instrument, else its id."""
        inst = self.instrument
        if inst is not None and construct_id in getattr(inst, "constructs", {}):
            return inst.constructs[construct_id].label
        return str(construct_id)
