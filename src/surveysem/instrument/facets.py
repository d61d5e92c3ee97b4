"""The parts ("facets") of the instrument a workflow step depends on, as small digests.

Every step that needs the instrument reads all of ``scales/`` (its rule lists the files as
input), but most steps use only part of it: the statistics need item ids, keying and the
response range, never the wording. A wording or label edit must rerun what shows wordings
(codebook, questionnaire, report) and nothing else. So the rules mark the scale files as
``ancient`` (their modification time alone triggers nothing) and pass as a parameter the
digest of each facet the step uses; Snakemake reruns a step exactly when one of those changes.

Facets:

``items``
    constructs in questionnaire order: id, kind, process, level, response scale type and range,
    items (id, reverse keying, expected answer of attention checks).
``decoding``
    response-scale anchors and profile option labels: the reader decodes text answers
    ("Strongly agree") to codes with them.
``profile``
    firm-profile questions: id, type, range, option codes.
``eligibility``
    born-global screening rules: variable, operator, threshold, and the description that
    ``results/screening/screening.json`` reports.
``regions``
    the region table ``regions.csv`` (country -> region -> continent).
``text``
    every byte of every file: wordings, labels, definitions, sources (codebook and report).

An instrument that does not load gives digests of its raw files, so every step reruns and
reports the problem itself.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from surveysem.errors import SurveySemError
from surveysem.instrument.scales import REGIONS_FILE, instrument_files, load_instrument

FACETS = ("items", "decoding", "profile", "eligibility", "regions", "text")


def instrument_digests(scales_dir) -> dict[str, str]:
    """Facet name -> SHA-256 (hex) of that facet of the instrument in ``scales_dir``."""
    directory = Path(scales_dir)
    raw = _files_digest(instrument_files(directory))
    try:
        inst = load_instrument(directory, regions=False)
    except SurveySemError:
        return {facet: raw for facet in FACETS}
    parts = {
        "items": _items(inst),
        "decoding": _decoding(inst),
        "profile": [[p.id, p.type, p.min, p.max, sorted(p.options)] for p in inst.profile],
        "eligibility": [[r.id, r.variable, r.operator, r.threshold, r.description] for r in inst.eligibility],
    }
    digests = {facet: _json_digest(value) for facet, value in parts.items()}
    digests["regions"] = _files_digest([directory / REGIONS_FILE])
    digests["text"] = raw
    return digests


def _items(inst) -> list:
    return [
        [c.id, c.kind, c.process, c.level, c.response_scale.type, c.response_scale.min, c.response_scale.max,
         [[i.id, i.reverse, i.expected] for i in c.items]]
        for c in inst.constructs.values()
    ]


def _decoding(inst) -> list:
    anchors = {sid: {str(k): v for k, v in s.anchors.items()} for sid, s in sorted(inst.response_scales.items())}
    options = {p.id: {str(k): v for k, v in p.options.items()} for p in inst.profile}
    return [anchors, options]


def _json_digest(value) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()


def _files_digest(paths) -> str:
    digest = hashlib.sha256()
    for path in paths:
        path = Path(path)
        digest.update(path.name.encode())
        digest.update(path.read_bytes() if path.is_file() else b"<missing>")
    return digest.hexdigest()
