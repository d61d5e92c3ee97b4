"""The planned sample size and its power table, from the files of the power study
(``snakemake power``) when they exist.

``power.csv``: target, kind (sub-hypothesis | proposition | true null), n, replications,
converged, share_supported, mcse; ``sample_size.csv``: target, power_level, n_required, note.
The pre-registration shows them as they are; without them it says the study was not run.
"""

from __future__ import annotations

import math

import pandas as pd

from surveysem import io as sio
from surveysem.errors import SurveySemError
from surveysem.preregistration.render import Block, Code, DocTable, Para
from surveysem.report.tables import fmt_bounded, fmt_int

POWER_COLUMNS = ("target", "kind", "n", "replications", "converged", "share_supported", "mcse")
SAMPLE_SIZE_COLUMNS = ("target", "power_level", "n_required", "note")
PLANNING_LEVEL = 0.8  # the power the planned sample size is read off at


def read_power_table(path, columns: tuple[str, ...]) -> pd.DataFrame:
    """The power study's table ``path`` with ``columns``; a missing column is a one-line error."""
    try:
        frame = sio.read_csv(path, keep_default_na=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError):
        raise SurveySemError("is not a readable CSV table", file=str(path)) from None
    absent = [c for c in columns if c not in frame.columns]
    if absent:
        raise SurveySemError(f"no column {', '.join(absent)} (the power study writes {', '.join(columns)})",
                             file=str(path))
    return frame[list(columns)]


def power_blocks(power: pd.DataFrame | None, sample_size: pd.DataFrame | None, paths: dict[str, str]) -> list[Block]:
    """The sample-size section's blocks: the planned N, the power table and the N per power level."""
    if power is None or sample_size is None:
        return [Para(["Power study not run: ", Code("snakemake power"), (" draws studies from the population model "
                                                                         "(the config's simulate: section) and runs the analysis below on each; it writes "),
                      Code(paths["power"]), " and ", Code(paths["sample_size"]), ". Run it, then ",
                      Code("snakemake preregistration"), (" again, to show the power of every sub-hypothesis and "
                                                          "proposition and the sample size it needs here.")])]
    return [_planned_n(sample_size), _power_table(power), _sample_size_table(sample_size),
            Para([("Power is the share of Monte Carlo replications (studies drawn from the population model in "
                   "simulate:, not data) in which the verdict rule of section 8 says supported; for a true null of the "
                   "population that share is the type-I error rate. Files: "), Code(paths["power"]), ", ",
                  Code(paths["sample_size"]), "."])]


def _level(value) -> float | None:
    """A power level as a share (0.8; a file may give 80)."""
    try:
        level = float(value)
    except (TypeError, ValueError):
        return None
    return level / 100 if level > 1 else level


def _level_text(value) -> str:
    level = _level(value)
    return "—" if level is None else f"{level:.0%}"


def _planned_n(sample_size: pd.DataFrame) -> Para:
    rows = [r for r in sample_size.to_dict(orient="records")
            if _level(r["power_level"]) is not None and math.isclose(_level(r["power_level"]), PLANNING_LEVEL)]
    finite = [r for r in rows if _finite(r["n_required"])]
    if not rows:
        return Para([f"The power study gives no sample size at {PLANNING_LEVEL:.0%} power."])
    if not finite:
        return Para([(f"No sample size of the power study's grid reaches {PLANNING_LEVEL:.0%} power for any target "
                      "(see the notes below).")])
    top = max(finite, key=lambda r: float(r["n_required"]))
    unreached = [str(r["target"]) for r in rows if not _finite(r["n_required"])]
    text = (f"Planned sample size: at least {math.ceil(float(top['n_required']))} firms after screening, the "
            f"largest N the power study needs for {PLANNING_LEVEL:.0%} power (target {top['target']}).")
    if unreached:
        text += f" Not reached within the grid: {', '.join(unreached)}."
    return Para([text])


def _finite(value) -> bool:
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def _text(value) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def _power_table(power: pd.DataFrame) -> DocTable:
    rows = [[_text(r["target"]), _text(r["kind"]), fmt_int(r["n"]), fmt_int(r["replications"]), fmt_int(r["converged"]),
             fmt_bounded(r["share_supported"], 3), fmt_bounded(r["mcse"], 3)]
            for r in power.to_dict(orient="records")]
    return DocTable("Power by sample size (Monte Carlo)",
                    ["Target", "Kind", "N", "Replications", "Converged", "Share supported", "MC SE"], rows,
                    text_columns={0, 1},
                    note="Share supported: the power of a sub-hypothesis or proposition; the type-I error rate of a "
                         "true null. MC SE: its Monte Carlo standard error.")


def _sample_size_table(sample_size: pd.DataFrame) -> DocTable:
    rows = [[_text(r["target"]), _level_text(r["power_level"]),
             fmt_int(math.ceil(float(r["n_required"]))) if _finite(r["n_required"]) else "—", _text(r["note"])]
            for r in sample_size.to_dict(orient="records")]
    return DocTable("Sample size needed per power level", ["Target", "Power", "N required", "Note"], rows,
                    text_columns={0, 3},
                    note="N interpolated between the sizes of the power study; the note says when it lies outside "
                         "the grid.")
