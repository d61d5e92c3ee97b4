"""The pre-registration lock: what ``surveysem preregister`` freezes and the report compares with.

A registration record holds

* ``config``: the analysis sections of the validated config (defaults filled in; every section
  but ``simulate:``, :data:`surveysem.workflow.params.ANALYSIS_SECTIONS`) as JSON values;
* ``config_sha256``: the SHA-256 of that config as canonical JSON (sorted keys), the digest the
  provenance page prints for the config used;
* ``instrument``: the digests of the instrument's facets (:mod:`surveysem.instrument.facets`),
  the items of every construct as fielded and the indicators of every analysed scale.

The lock file is the record as indented JSON with sorted keys; :func:`read_lock` refuses a file
that is not one, in one line naming the file.
"""

from __future__ import annotations

import json
from pathlib import Path

from surveysem.errors import SurveySemError
from surveysem.io import canonical_json_sha256, write_text
from surveysem.workflow.params import ANALYSIS_SECTIONS

FORMAT = 1
RECORD_KEYS = ("format", "config", "config_sha256", "instrument")


def frozen_config(config: dict) -> dict:
    """The analysis sections of a validated ``config`` as JSON values (mapping keys as strings)."""
    sections = {name: config[name] for name in ANALYSIS_SECTIONS if name in config}
    return json.loads(json.dumps(sections, sort_keys=True, default=str))


def instrument_record(inst, digests: dict[str, str]) -> dict:
    """Facet digests, items per fielded construct and indicators per analysed scale of ``inst``
    (an analysed instrument, :mod:`surveysem.instrument.analysed`)."""
    return {
        "facets": dict(sorted(digests.items())),
        "fielded_items": {cid: [i.id for i in c.items] for cid, c in inst.fielded_constructs.items()},
        "analysed_indicators": {cid: [i.id for i in c.items] for cid, c in inst.constructs.items()},
    }


def registration(config: dict, inst, digests: dict[str, str]) -> dict:
    """The registration record of a validated ``config`` and its analysed instrument ``inst``."""
    frozen = frozen_config(config)
    return {"format": FORMAT, "config": frozen, "config_sha256": canonical_json_sha256(frozen),
            "instrument": instrument_record(inst, digests)}


def lock_text(record: dict) -> str:
    """The lock file's text: indented JSON, sorted keys, one trailing newline."""
    return json.dumps(record, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_lock(path, record: dict) -> None:
    write_text(path, lock_text(record))


def read_lock(path) -> dict:
    """The record of the lock file ``path``; a file that is not one is a one-line error."""
    try:
        obj = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise SurveySemError(f"cannot be read: {exc.strerror}", file=str(path)) from None
    except UnicodeDecodeError:
        raise SurveySemError("is not UTF-8 text", file=str(path)) from None
    except json.JSONDecodeError as exc:
        raise SurveySemError(f"is not valid JSON ({exc.msg}, line {exc.lineno})", file=str(path)) from None
    if not isinstance(obj, dict):
        raise SurveySemError("is not a pre-registration lock (not a JSON object)", file=str(path))
    absent = [key for key in RECORD_KEYS if key not in obj]
    if absent:
        raise SurveySemError(f"is not a pre-registration lock: no {', '.join(absent)} "
                             "(surveysem preregister writes it)", file=str(path))
    if obj["format"] != FORMAT:
        raise SurveySemError(f"format: {obj['format']!r}, this version of surveysem reads format {FORMAT}",
                             file=str(path))
    if not isinstance(obj["config"], dict) or not isinstance(obj["instrument"], dict):
        raise SurveySemError("config and instrument must be JSON objects", file=str(path))
    return obj


def edited_by_hand(record: dict) -> bool:
    """Whether the frozen config no longer has the SHA-256 stored beside it."""
    return canonical_json_sha256(record["config"]) != record["config_sha256"]
