"""Steps of the data stage: survey export -> validated table -> screening -> analysis table.

``data_ingest`` (:func:`ingest`)
    reads ``data.survey``, drops identifying columns, validates against the instrument and
    writes ``validated.csv`` (raw coding, missing codes -> empty), ``ingest.json``,
    ``missingness.csv`` and ``invalid_rows.csv``. With ``data.on_invalid: error`` the first
    problem stops the run (one line, non-zero exit, nothing written); with ``drop`` the rows
    concerned are excluded and listed with their reasons. Problems that no row-dropping can fix
    (missing columns) always stop the run.
``data_screen`` (:func:`screen`)
    applies the screening rules (:mod:`surveysem.data.screening`) to ``validated.csv`` and writes
    ``exclusions.csv``, ``flow.csv``, ``screening.json`` (thresholds used, warnings, the synthetic
    flag of ``ingest.json``) and ``analysis.csv``: the retained respondents with reverse-keyed
    items reversed once (``min + max - x``). Reversal comes after screening because the
    long-string index must see the answers as clicked; the other rules do not depend on it
    (Mahalanobis distances are invariant to reversing an item).

Each step receives plain values: ``inputs`` and ``outputs`` (name -> path) and ``config``, the
config keys its rule declares (``surveysem.workflow.params``).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from surveysem import io as sio
from surveysem.data.ingest import invalid_rows_table, read_and_validate, read_validated, reverse_key
from surveysem.data.missing import missingness_table
from surveysem.data.missing import summary as missing_summary
from surveysem.data.privacy import comment_flag_name
from surveysem.data.screening import screen as apply_screening
from surveysem.errors import SurveySemError
from surveysem.instrument.scales import load_instrument, scales_dir_of

log = logging.getLogger(__name__)


def ingest(inputs: dict, outputs: dict, config: dict) -> dict:
    """The ingest step. Everything is computed before anything is written."""
    data_cfg = config["data"]
    survey = Path(inputs["survey"])
    checked = read_and_validate(survey, config, load_instrument(scales_dir_of(inputs["scales"])))
    result = checked.validation
    if result.structural or (result.problems and data_cfg["on_invalid"] != "drop"):
        raise result.problems[0].error()
    dropped_positions = result.invalid_positions()
    frame = checked.frame.drop(index=dropped_positions)
    if len(frame) == 0:
        raise SurveySemError(f"no valid rows left: all {len(checked.frame)} rows have problems "
                             f"(first: {result.problems[0].one_line()})", file=survey)
    invalid = invalid_rows_table(result.problems, checked.inst)
    summary = _ingest_summary(survey, checked, frame, invalid, dropped_positions, data_cfg)
    sio.write_csv(outputs["validated"], frame.reset_index(drop=True))
    sio.write_csv(outputs["invalid_rows"], invalid)
    sio.write_csv(outputs["missingness"], missingness_table(frame, checked.inst))
    sio.write_json(outputs["ingest"], summary)
    log.info("ingest: %d rows read, %d valid, %d dropped; PII columns dropped: %s", summary["n_rows_read"],
             summary["n_rows_valid"], summary["n_rows_invalid"], ", ".join(summary["dropped_pii_columns"]) or "none")
    return summary


def _ingest_summary(survey: Path, checked, frame, invalid, dropped_positions, data_cfg: dict) -> dict:
    by_reason = {str(reason): int(group["row"].nunique()) for reason, group in invalid.groupby("reason")}
    table = checked.table
    return {
        "source_file": survey.name,
        "sha256": sio.sha256_file(survey),
        "format": table.format,
        "encoding": table.encoding,
        "delimiter": table.delimiter,
        "first_data_row": table.first_data_row,
        "id_column": data_cfg["id_column"],
        "n_rows_read": int(len(table.frame)),
        "n_rows_valid": int(len(frame)),
        "n_rows_invalid": int(len(dropped_positions)),
        "on_invalid": data_cfg["on_invalid"],
        "invalid_rows_by_reason": by_reason,
        "dropped_pii_columns": list(checked.privacy.dropped),
        "dropped_pii_reasons": dict(checked.privacy.reasons),
        "ignored_columns": list(checked.privacy.ignored),
        "free_text_flags": [comment_flag_name(p.id) for p in checked.inst.profile if p.type == "text"
                            and comment_flag_name(p.id) in frame.columns],
        "missing_codes": list(data_cfg["missing_codes"]),
        "missing_method": data_cfg["missing"],
        "missingness": missing_summary(frame, checked.inst),
        "synthetic": bool(data_cfg["synthetic"]),
        "instrument": str(checked.inst.directory),
    }


def screen(inputs: dict, outputs: dict, config: dict) -> dict:
    """The screen step: screening rules, then reverse-keying into analysis.csv."""
    inst = load_instrument(scales_dir_of(inputs["scales"]))
    frame = read_validated(inputs["validated"], inst)
    result = apply_screening(frame, inst, config["screening"], survey_year=config["study"]["survey_year"],
                             home_country=config["outcomes"]["home_country"])
    analysis_frame = reverse_key(result.retained, inst).reset_index(drop=True)
    result.report["reverse_keyed_items"] = sorted(inst.reverse_keyed)
    with open(inputs["ingest"], encoding="utf-8") as fh:
        result.report["synthetic"] = bool(json.load(fh)["synthetic"])
    sio.write_csv(outputs["exclusions"], result.exclusions)
    sio.write_csv(outputs["flow"], result.flow)
    sio.write_json(outputs["report"], result.report)
    sio.write_csv(outputs["analysis"], analysis_frame)
    return result.report
