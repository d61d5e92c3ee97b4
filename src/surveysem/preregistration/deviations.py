"""Deviations from the pre-registration: every difference between two registration records
(:func:`surveysem.preregistration.lock.registration`), key by key.

Mappings are compared key by key (a key only on one side is one deviation, its whole value
shown), lists of entries with an ``id`` (``hypotheses:``) entry by entry under ``[id]``, any
other value (a list of signs, of items) as one value. Config keys are named as in
``config/README.md`` (``hypotheses[P1].expected``, ``scales.PDC.drop.PDC5``); the instrument's
as ``facets.items``, ``fielded_items.PDC``, ``analysed_indicators.PDC``.

>>> old = {"config": {"verdict_rule": {"alpha": 0.05}}, "instrument": {}}
>>> new = {"config": {"verdict_rule": {"alpha": 0.10}}, "instrument": {}}
>>> deviations(old, new)
[Deviation(where='config', key='verdict_rule.alpha', change='changed', old=0.05, new=0.1)]
"""

from __future__ import annotations

import json
from dataclasses import dataclass

# Keys that say where the data file is and how to read it: they change, by design, when the
# survey's data replace the synthetic file a pre-registration was prepared with.
DATA_SOURCE_KEYS = frozenset({"data.survey", "data.synthetic", "data.format", "data.encoding", "data.delimiter"})
# What part of the study a key of the instrument record belongs to.
INSTRUMENT_PARTS = {"facets": "instrument", "fielded_items": "instrument", "analysed_indicators": "analysed scales"}


@dataclass(frozen=True)
class Deviation:
    """One difference: ``where`` (config, instrument, analysed scales), the key, the change
    (added, removed, changed), the pre-registered and the used value (None when absent)."""

    where: str
    key: str
    change: str
    old: object = None
    new: object = None

    @property
    def data_source(self) -> bool:
        """Whether the key names the data file or how it is read (expected to change once data arrive)."""
        return self.where == "config" and self.key in DATA_SOURCE_KEYS


def deviations(registered: dict, used: dict) -> list[Deviation]:
    """Every difference between the ``registered`` record (the lock) and the ``used`` one, in
    the order of the registered record (keys only the used one has follow their section)."""
    found: list[tuple[str, str, object, object]] = []
    _diff("", registered.get("config") or {}, used.get("config") or {}, found)
    out = [Deviation("config", *row) for row in found]
    found = []
    _diff("", registered.get("instrument") or {}, used.get("instrument") or {}, found)
    out += [Deviation(INSTRUMENT_PARTS.get(key.split(".")[0], "instrument"), key, *rest) for key, *rest in found]
    return out


def _diff(key: str, old, new, out: list) -> None:
    if isinstance(old, dict) and isinstance(new, dict):
        _diff_entries(old, new, lambda k: f"{key}.{k}" if key else str(k), out)
    elif _by_id(old) is not None and _by_id(new) is not None:
        _diff_entries(_by_id(old), _by_id(new), lambda k: f"{key}[{k}]", out)
    elif old != new or isinstance(old, bool) != isinstance(new, bool):  # true is not 1
        out.append((key, "changed", old, new))


def _diff_entries(old: dict, new: dict, name, out: list) -> None:
    for k in list(old) + [k for k in new if k not in old]:
        if k not in new:
            out.append((name(k), "removed", old[k], None))
        elif k not in old:
            out.append((name(k), "added", None, new[k]))
        else:
            _diff(name(k), old[k], new[k], out)


def _by_id(value) -> dict | None:
    """A list of mappings with distinct ``id`` values as id -> entry, else None."""
    if not isinstance(value, list) or not value or not all(isinstance(v, dict) and "id" in v for v in value):
        return None
    entries = {str(v["id"]): v for v in value}
    return entries if len(entries) == len(value) else None


def value_text(value) -> str:
    """A config value as the pages show it: text as it is, anything else as JSON."""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
