"""Survey data in: read -> privacy -> validate -> (write validated) -> screen -> reverse-key.

Two pipeline steps (``workflow/rules/data.smk``):

``ingest``
    reads ``data.survey``, drops identifying columns (:mod:`surveysem.data.privacy`), validates
    against the instrument (:mod:`surveysem.data.validation`) and writes
    ``results/clean/validated.csv`` (raw coding, missing codes -> empty),
    ``ingest.json``, ``missingness.csv`` and ``invalid_rows.csv``. With
    ``data.on_invalid: error`` the first problem stops the run (one line, non-zero exit,
    nothing written); with ``drop`` the rows concerned are excluded and listed with their
    reasons. Problems that no row-dropping can fix (missing columns) always stop the run.
``screen``
    applies the screening rules (:mod:`surveysem.data.screening`) to ``validated.csv`` and writes
    ``results/screening/exclusions.csv``, ``flow.csv``, ``screening.json`` (thresholds used,
    warnings, the synthetic flag of ``ingest.json``) and
    ``results/clean/analysis.csv``: the retained respondents with reverse-keyed items
    reversed once (``min + max - x``). Reversal comes after screening because the
    long-string index must see the answers as clicked; the other rules do not depend on it
    (Mahalanobis distances are invariant to reversing an item).

The raw survey file is only ever opened for reading.

``surveysem check FILE`` runs the same reading and validation on any file and prints every
problem found (the first ``--max-problems``, then "... and K more (total T)"); exit 0 when
the pipeline could use the file, 1 otherwise.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from surveysem import io as sio
from surveysem.errors import SurveySemError
from surveysem.data.missing import METHODS, missingness_table
from surveysem.data.missing import summary as missing_summary
from surveysem.data.privacy import comment_flag_name, comment_flags, drop_pii
from surveysem.data.readers import SurveyTable, read_survey
from surveysem.data.screening import screen, settings
from surveysem.data.validation import ID_OUT, ValidationResult, validate

log = logging.getLogger(__name__)

INVALID_COLUMNS = [ID_OUT, "row", "column", "value", "reason"]


@dataclass
class Checked:
    table: SurveyTable
    validation: ValidationResult
    privacy: object
    inst: object
    frame: pd.DataFrame  # validated columns + comment flags (all rows as read)


# --------------------------------------------------------------------------- shared


def _instrument(config: dict, scales_dir=None):
    from surveysem.instrument.scales import load_instrument

    return load_instrument(scales_dir or config.get("instrument", {}).get("scales_dir", "scales"))


def read_and_validate(path, config: dict, *, fmt: str | None = None, encoding: str | None = None,
                      delimiter: str | None = None, scales_dir=None, inst=None) -> Checked:
    """Read ``path`` and validate it against the instrument; collect every problem."""
    data_cfg = dict(config.get("data", {}))
    inst = inst if inst is not None else _instrument(config, scales_dir)
    table = read_survey(
        path,
        fmt or data_cfg.get("format", "auto"),
        encoding=encoding or data_cfg.get("encoding", "auto"),
        delimiter=delimiter or data_cfg.get("delimiter", "auto"),
    )
    id_column = data_cfg.get("id_column", "ResponseId")
    privacy = drop_pii(table.frame, inst.declared_columns, id_column, data_cfg.get("pii_columns", []), file=table.file)
    table.frame = privacy.frame
    result = validate(table, inst, data_cfg, study_cfg=config.get("study", {}),
                      screening_cfg=settings(config.get("screening")))
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
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
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


def ingest(config: dict, *, survey=None, validated, ingest_json, missingness, invalid_rows,
           scales_dir=None) -> dict:
    """The ingest step. Everything is computed before anything is written."""
    data_cfg = config.get("data", {})
    survey = Path(survey or data_cfg["survey"])
    on_invalid = data_cfg.get("on_invalid", "error")
    missing_method = data_cfg.get("missing", "fiml")
    if missing_method not in METHODS:
        raise SurveySemError(f"data.missing: {missing_method!r} is not one of {', '.join(METHODS)}")
    checked = read_and_validate(survey, config, scales_dir=scales_dir)
    result = checked.validation
    if result.structural or (result.problems and on_invalid != "drop"):
        raise result.problems[0].error()
    dropped_positions = result.invalid_positions()
    frame = checked.frame.drop(index=dropped_positions)
    if len(frame) == 0:
        raise SurveySemError(f"no valid rows left: all {len(checked.frame)} rows have problems "
                             f"(first: {result.problems[0].one_line()})", file=survey)
    invalid = invalid_rows_table(result.problems)
    by_reason: dict[str, int] = {}
    for reason, group in invalid.groupby("reason"):
        by_reason[str(reason)] = int(group["row"].nunique())
    table = checked.table
    summary = {
        "source_file": survey.name,
        "sha256": sio.sha256_file(survey),
        "format": table.format,
        "encoding": table.encoding,
        "delimiter": table.delimiter,
        "first_data_row": table.first_data_row,
        "id_column": data_cfg.get("id_column", "ResponseId"),
        "n_rows_read": int(len(table.frame)),
        "n_rows_valid": int(len(frame)),
        "n_rows_invalid": int(len(dropped_positions)),
        "on_invalid": on_invalid,
        "invalid_rows_by_reason": by_reason,
        "dropped_pii_columns": list(checked.privacy.dropped),
        "dropped_pii_reasons": dict(checked.privacy.reasons),
        "ignored_columns": list(checked.privacy.ignored),
        "free_text_flags": [comment_flag_name(p.id) for p in checked.inst.profile if p.type == "text"
                            and comment_flag_name(p.id) in frame.columns],
        "missing_codes": list(data_cfg.get("missing_codes", [])),
        "missing_method": missing_method,
        "missingness": missing_summary(frame, checked.inst),
        "synthetic": bool(data_cfg.get("synthetic", False)),
        "instrument": str(checked.inst.directory),
    }
    miss = missingness_table(frame, checked.inst)
    sio.write_csv(validated, frame.reset_index(drop=True))
    sio.write_csv(invalid_rows, invalid)
    sio.write_csv(missingness, miss)
    sio.write_json(ingest_json, summary)
    log.info("ingest: %d rows read, %d valid, %d dropped; PII columns dropped: %s", summary["n_rows_read"],
             summary["n_rows_valid"], summary["n_rows_invalid"], ", ".join(summary["dropped_pii_columns"]) or "none")
    return summary


def run_screen(config: dict, *, validated, exclusions, flow, analysis, report=None, scales_dir=None,
               ingest_json=None) -> dict:
    """The screen step: screening rules, then reverse-keying into analysis.csv."""
    import json

    inst = _instrument(config, scales_dir)
    frame = read_validated(validated, inst)
    survey_year = config.get("study", {}).get("survey_year")
    home_country = (config.get("outcomes") or {}).get("home_country")
    result = screen(frame, inst, config.get("screening"), survey_year=survey_year, home_country=home_country)
    analysis_frame = reverse_key(result.retained, inst).reset_index(drop=True)
    result.report["reverse_keyed_items"] = sorted(inst.reverse_keyed)
    synthetic = bool(config.get("data", {}).get("synthetic", False))
    if ingest_json is not None:
        with open(ingest_json, encoding="utf-8") as fh:
            synthetic = bool(json.load(fh).get("synthetic", synthetic))
    result.report["synthetic"] = synthetic
    sio.write_csv(exclusions, result.exclusions)
    sio.write_csv(flow, result.flow)
    if report is not None:
        sio.write_json(report, result.report)
    sio.write_csv(analysis, analysis_frame)
    return result.report


def run_pipeline(config: dict, results_dir="results", *, survey=None, scales_dir=None) -> dict:
    """Ingest and screen into ``results_dir`` (tests and interactive use)."""
    results_dir = Path(results_dir)
    clean = results_dir / "clean"
    summary = ingest(config, survey=survey, scales_dir=scales_dir, validated=clean / "validated.csv",
                     ingest_json=clean / "ingest.json", missingness=clean / "missingness.csv",
                     invalid_rows=clean / "invalid_rows.csv")
    report = run_screen(config, scales_dir=scales_dir, validated=clean / "validated.csv",
                        exclusions=results_dir / "screening" / "exclusions.csv",
                        flow=results_dir / "screening" / "flow.csv", analysis=clean / "analysis.csv",
                        report=results_dir / "screening" / "screening.json", ingest_json=clean / "ingest.json")
    return {"ingest": summary, "screening": report}


# --------------------------------------------------------------------------- Snakemake steps


def ingest_step(smk) -> None:
    ingest(
        dict(smk.config),
        survey=smk.input.survey,
        validated=smk.output.validated,
        ingest_json=smk.output.ingest,
        missingness=smk.output.missingness,
        invalid_rows=smk.output.invalid_rows,
        scales_dir=smk.params.scales_dir,
    )


def screen_step(smk) -> None:
    run_screen(
        dict(smk.config),
        validated=smk.input.validated,
        exclusions=smk.output.exclusions,
        flow=smk.output.flow,
        analysis=smk.output.analysis,
        report=smk.output.report,
        scales_dir=smk.params.scales_dir,
        ingest_json=smk.input.ingest,
    )
