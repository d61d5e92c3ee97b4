"""A small instrument and survey exports for the data-stage tests (readers ... screening).

The instrument (written into a tmp folder) has two capability scales on a 1..5 scale,
AAA1-3 (AAA3 reverse-keyed) and BBB1-3, an attention check ATTN1 (expected 2) between
them, a profile (FOUNDED, SIZE, FIRSTSALE, FSHARE, MARKETS, COMMENTS), the real
eligibility rules and a short region table.
"""

from __future__ import annotations

import copy
import csv
import io
import json
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
REALWORLD = Path(__file__).resolve().parents[2] / "shared" / "realworld"

ITEMS = ["AAA1", "AAA2", "AAA3", "ATTN1", "BBB1", "BBB2", "BBB3"]
RATED = ["AAA1", "AAA2", "AAA3", "BBB1", "BBB2", "BBB3"]
PROFILE = ["FOUNDED", "SIZE", "FIRSTSALE", "FSHARE", "MARKETS", "COMMENTS"]
QUALTRICS_META = ["StartDate", "EndDate", "Status", "IPAddress", "Progress", "Duration (in seconds)", "Finished",
                  "RecordedDate", "ResponseId", "RecipientLastName", "RecipientFirstName", "RecipientEmail",
                  "ExternalReference", "LocationLatitude", "LocationLongitude", "DistributionChannel", "UserLanguage"]
COLUMNS = QUALTRICS_META + ITEMS + PROFILE

_SCALES = {
    "response_scales.yaml": {
        "agree5": {"label": "5-point agreement", "type": "likert", "min": 1, "max": 5,
                   "anchors": {1: "Strongly disagree", 3: "Neutral", 5: "Strongly agree"}},
    },
    "capabilities/AAA.yaml": {
        "id": "AAA", "label": "Capability A", "kind": "capability", "definition": "Test scale A.",
        "source": "test", "process": "sensing", "level": "managerial", "propositions": ["P1a"],
        "section": "A", "order": 10, "response_scale": "agree5", "stem": "Agree?",
        "items": [{"id": "AAA1", "code": "a", "wording": "A one."},
                  {"id": "AAA2", "code": "a", "wording": "A two."},
                  {"id": "AAA3", "code": "a", "wording": "A three (reversed).", "reverse": True}],
    },
    "checks/ATTN.yaml": {
        "id": "ATTN", "label": "Attention check", "kind": "attention", "definition": "Instructed response.",
        "source": "test", "propositions": [], "section": "A", "order": 15, "response_scale": "agree5",
        "items": [{"id": "ATTN1", "code": "instructed", "wording": "Select 2.", "expected": 2}],
    },
    "capabilities/BBB.yaml": {
        "id": "BBB", "label": "Capability B", "kind": "capability", "definition": "Test scale B.",
        "source": "test", "process": "seizing", "level": "firm", "propositions": ["P2b"],
        "section": "B", "order": 20, "response_scale": "agree5", "stem": "Agree?",
        "items": [{"id": "BBB1", "code": "b", "wording": "B one."},
                  {"id": "BBB2", "code": "b", "wording": "B two."},
                  {"id": "BBB3", "code": "b", "wording": "B three."}],
    },
    "profile.yaml": {
        "id": "PROFILE", "label": "Firm profile", "kind": "profile", "section": "Firm profile", "order": 1,
        "items": [
            {"id": "FOUNDED", "wording": "Founded?", "type": "integer", "min": 1950, "max": 2026},
            {"id": "SIZE", "wording": "Size?", "type": "categorical",
             "options": [{"code": 1, "label": "Micro"}, {"code": 2, "label": "Small"},
                         {"code": 3, "label": "Medium"}, {"code": 4, "label": "Large"}]},
            {"id": "FIRSTSALE", "wording": "First foreign sale?", "type": "integer", "min": 1950, "max": 2026},
            {"id": "FSHARE", "wording": "Foreign share?", "type": "percent", "min": 0, "max": 100},
            {"id": "MARKETS", "wording": "Markets?", "type": "market_history"},
            {"id": "COMMENTS", "wording": "Comments?", "type": "text"},
        ],
    },
}
_REGIONS = """country,region,continent
China,China,Asia
Japan,Japan,Asia
Germany,European Union,Europe
France,European Union,Europe
UK,Rest of Europe,Europe
USA,North America,North America
Canada,North America,North America
Australia,Pacific,Oceania
"""


def write_scales(directory: Path) -> Path:
    directory = Path(directory)
    for name, content in _SCALES.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(content, sort_keys=False), encoding="utf-8")
    (directory / "eligibility.yaml").write_text((ROOT / ".test" / "scales" / "eligibility.yaml").read_text("utf-8"), "utf-8")
    (directory / "regions.csv").write_text(_REGIONS, encoding="utf-8")
    return directory


def base_row(i: int) -> dict:
    """A valid, eligible, attentive respondent; answers differ between respondents and items."""
    rng = np.random.default_rng(1000 + i)
    values = [int(v) for v in rng.integers(1, 6, size=len(RATED))]
    for k in range(1, len(values)):
        if values[k] == values[k - 1]:
            values[k] = values[k] % 5 + 1
    answers = dict(zip(RATED, values))
    row = {
        "StartDate": f"2026-01-01 10:{i % 60:02d}:00",
        "EndDate": f"2026-01-01 11:{i % 60:02d}:00",
        "Status": "0",
        "IPAddress": f"10.0.{i // 200}.{i % 200 + 1}",
        "Progress": "100",
        "Duration (in seconds)": str(300 + 10 * i),
        "Finished": "1",
        "RecordedDate": f"2026-01-{1 + i // 1440:02d} {i // 60 % 24:02d}:{i % 60:02d}:00",
        "ResponseId": f"R_{i:04d}",
        "RecipientLastName": "",
        "RecipientFirstName": "",
        "RecipientEmail": "",
        "ExternalReference": "",
        "LocationLatitude": "47.1",
        "LocationLongitude": "7.2",
        "DistributionChannel": "anonymous",
        "UserLanguage": "EN",
        "ATTN1": "2",
        "FOUNDED": "2015",
        "SIZE": "2",
        "FIRSTSALE": "2016",
        "FSHARE": "50",
        "MARKETS": "Germany, France (2016); USA (2018)",
        "COMMENTS": "",
    }
    row.update({k: str(v) for k, v in answers.items()})
    return row


def rows(n: int) -> list[dict]:
    return [base_row(i) for i in range(n)]


def qualtrics_text(records: list[dict], columns=None, delimiter: str = ",") -> str:
    columns = list(columns or COLUMNS)
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(columns)
    writer.writerow([f"Question text of {c}" for c in columns])
    writer.writerow([json.dumps({"ImportId": f"QID_{c}"}) for c in columns])
    for rec in records:
        writer.writerow([rec.get(c, "") for c in columns])
    return buf.getvalue()


def plain_text(records: list[dict], columns=None, delimiter: str = ",") -> str:
    columns = list(columns or COLUMNS)
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\n")
    writer.writerow(columns)
    for rec in records:
        writer.writerow([rec.get(c, "") for c in columns])
    return buf.getvalue()


def write_qualtrics(path: Path, records: list[dict], columns=None, encoding="utf-8", delimiter=",") -> Path:
    Path(path).write_bytes(qualtrics_text(records, columns, delimiter).encode(encoding))
    return Path(path)


TEST_CONFIG = ROOT / ".test" / "config_fiml" / "config.yaml"


def test_config(**sections) -> dict:
    """The validated test config (.test/config_fiml) with whole ``sections`` replaced."""
    from surveysem.config import validate_config

    with open(TEST_CONFIG, encoding="utf-8") as fh:
        cfg = yaml.safe_load(fh)
    cfg.update(copy.deepcopy(sections))
    return validate_config(cfg)


def measurement_config(missing="fiml", seed=7, **measurement) -> dict:
    """The validated test config with ``data.missing``, ``study.seed`` and ``measurement`` keys set
    (nested dicts are merged into the section)."""
    with open(TEST_CONFIG, encoding="utf-8") as fh:
        raw = yaml.safe_load(fh)
    raw["data"]["missing"] = missing
    raw["study"]["seed"] = seed
    section = raw.setdefault("measurement", {})
    for key, value in measurement.items():
        if isinstance(value, dict):
            section.setdefault(key, {}).update(value)
        else:
            section[key] = value
    from surveysem.config import validate_config

    return validate_config(raw)


def run_measurement_stage(analysis, ingest, outcomes, scales_dir, config: dict, outdir) -> dict:
    """The measurement stage's five steps into ``outdir`` (as the rules run them); the paths."""
    from surveysem.instrument.scales import instrument_files
    from surveysem.measurement import steps

    outdir = Path(outdir)
    m = outdir / "measurement"
    paths = {
        "reliability": m / "reliability.csv", "item_stats": m / "item_stats.csv", "efa": m / "efa.json",
        "kmo": m / "kmo.csv", "cfa_fit": m / "cfa_fit.json", "loadings": m / "loadings.csv",
        "validity": m / "validity.csv", "fornell_larcker": m / "fornell_larcker.csv", "cmv": m / "cmv.json",
        "scale_scores": outdir / "scores" / "scale_scores.csv", "htmt": m / "htmt.csv", "htmt_json": m / "htmt.json",
        "invariance": m / "invariance.csv", "invariance_json": m / "invariance.json", "verdicts": m / "verdicts.csv",
        "partial_invariance": m / "partial_invariance.csv",
        "warnings": m / "warnings.json", "cfa_modindices": m / "cfa_modindices.csv", "refinement": m / "refinement.csv",
    }
    inputs = {"analysis": analysis, "ingest": ingest, "scales": instrument_files(scales_dir), "outcomes": outcomes}
    steps.reliability(inputs, paths, config)
    steps.cfa(inputs, paths, config)
    steps.htmt(inputs, {"htmt": paths["htmt"], "json": paths["htmt_json"]}, config)
    steps.invariance(inputs, {"invariance": paths["invariance"], "json": paths["invariance_json"],
                              "partial_invariance": paths["partial_invariance"]}, config)
    steps.verdicts({**inputs, **paths}, paths, config)
    return paths


def config_for(scales_dir: Path, survey: Path, *, data=None, screening=None, survey_year=2026) -> dict:
    """The test config (.test/config_fiml, the shipped defaults with FIML) with the data/instrument sections pointed at the test
    files, validated."""
    from surveysem.config import DEFAULT_SCHEMA, validate_config

    with open(TEST_CONFIG, encoding="utf-8") as fh:
        cfg = yaml.safe_load(fh)
    cfg = copy.deepcopy(cfg)
    cfg["study"]["survey_year"] = survey_year
    cfg["instrument"]["scales_dir"] = str(scales_dir)
    cfg["data"].update({"survey": str(survey), "format": "auto", "encoding": "auto", "delimiter": "auto",
                        "id_column": "ResponseId", "on_invalid": "error", "synthetic": False,
                        "missing_codes": [-99, "don't know"], "pii_columns": []})
    cfg["data"].update(data or {})
    scr = {"straightlining": {"enabled": True, "threshold": 6}}
    scr.update(screening or {})
    cfg["screening"] = scr
    return validate_config(cfg, DEFAULT_SCHEMA)


def run_data_stage(config: dict, results_dir) -> dict:
    """The data stage's two steps (ingest, screen) into ``results_dir``, as the rules run them."""
    from surveysem.data import steps
    from surveysem.instrument.scales import instrument_files

    results_dir = Path(results_dir)
    clean, screening = results_dir / "clean", results_dir / "screening"
    scales = instrument_files(config["instrument"]["scales_dir"])
    ingest_out = {k: clean / f"{k}.csv" for k in ("validated", "missingness", "invalid_rows")}
    ingest_out["ingest"] = clean / "ingest.json"
    summary = steps.ingest({"survey": config["data"]["survey"], "scales": scales}, ingest_out, config)
    screen_out = {"exclusions": screening / "exclusions.csv", "flow": screening / "flow.csv",
                  "report": screening / "screening.json", "analysis": clean / "analysis.csv"}
    report = steps.screen({"validated": ingest_out["validated"], "ingest": ingest_out["ingest"], "scales": scales},
                          screen_out, config)
    return {"ingest": summary, "screening": report}


def write_config(path: Path, cfg: dict) -> Path:
    Path(path).write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    return Path(path)


def files_under(*dirs: Path) -> list[Path]:
    out = []
    for d in dirs:
        if Path(d).exists():
            out.extend(p for p in Path(d).rglob("*") if p.is_file())
    return out


def instrument_subset(directory: Path, keep: set[str]) -> Path:
    """A copy of the test instrument (.test/scales) in ``directory`` with only the constructs ``keep``."""
    import shutil

    shutil.copytree(ROOT / ".test" / "scales", directory)
    for f in Path(directory).rglob("*.yaml"):
        if f.parent != Path(directory) and f.stem not in keep:
            f.unlink()
    return Path(directory)


# The synthetic survey's agreement-skewed cut points of a 7-point item's latent response (also in
# tests/r/graded_mml.R).
SKEWED_THRESHOLDS = np.array([-2.1, -1.5, -0.9, -0.3, 0.35, 1.15])


def skewed_answers(ystar: np.ndarray) -> np.ndarray:
    """7-point answers (1.0-7.0) of latent responses cut at :data:`SKEWED_THRESHOLDS`."""
    return 1.0 + np.searchsorted(SKEWED_THRESHOLDS, ystar)

