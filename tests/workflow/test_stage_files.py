"""The registry of the files passed between stages (surveysem/stage_files.yaml through surveysem.stage_files)
against what a workflow run writes: every CSV has exactly its registered columns, in order (a
table whose columns vary with the instrument starts with its registered ones), and every JSON
object exactly its registered top-level keys.

The run is the small end-to-end run on .test/config_small (the ``small_workflow`` fixture of conftest.py).
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from surveysem.stage_files import FILES

CHECKED_KINDS = ("csv", "json")


def files_of(root: Path, key: str) -> list[Path]:
    """The files of ``key`` under ``root`` (every one a wildcard path matches)."""
    return sorted(root.glob(re.sub(r"\{[^}]+\}", "*", FILES[key].path)))


def names_in(path: Path) -> list[str]:
    """Columns of a CSV in file order, or top-level keys of a JSON object."""
    if path.suffix == ".csv":
        return list(pd.read_csv(path, nrows=0).columns)
    return list(json.loads(path.read_text(encoding="utf-8")))


# Written by `snakemake power` only, not by the default target (tests/power/test_power_workflow.py checks them).
POWER_WRITERS = {"power_chunk", "power_summary", "report_power"}
# Written only when a config switch is on (off in .test/config_small), with the test that checks their files.
SWITCHED_WRITERS = {"measurement_ordinal": "tests/measurement/test_ordinal_check.py",
                    "propositions_p4_ordinal": "tests/propositions/test_p4_ordinal.py"}


def registry_mismatches(root: Path, keys=None) -> list[str]:
    """Every file under ``root`` whose columns or keys are not the registered ones, and every
    registered file the run did not write (``keys``: those files; default: the default target's)."""
    problems = []
    keys = ([k for k, f in FILES.items() if f.writer not in POWER_WRITERS and f.writer not in SWITCHED_WRITERS]
            if keys is None else keys)
    for key in keys:
        registered = FILES[key]
        if registered.kind not in CHECKED_KINDS:
            continue
        paths = files_of(root, key)
        if not paths:
            problems.append(f"{key}: no file {registered.path}")
        expected = list(registered.columns)
        for path in paths:
            found = names_in(path)
            ok = found[:len(expected)] == expected if registered.columns_vary else found == expected
            if not ok:
                problems.append(f"{path.relative_to(root)}: registered {expected}, found {found}")
    return problems


def test_every_csv_and_json_object_is_registered():
    for key, registered in FILES.items():
        if registered.kind in CHECKED_KINDS:
            assert registered.columns, f"{key}: no columns registered in surveysem/stage_files.yaml"
            assert all(meaning.strip() for meaning in registered.columns.values()), key


def test_workflow_files_have_their_registered_columns(small_workflow):
    work, *_ = small_workflow
    assert registry_mismatches(work) == []


def test_the_check_finds_a_renamed_column_and_a_missing_key(small_workflow, tmp_path):
    """The check can fail: a column renamed in one CSV and a key dropped from one JSON are reported."""
    work, *_ = small_workflow
    shutil.copytree(work / "results", tmp_path / "results")
    htmt = tmp_path / FILES["htmt"].path
    pd.read_csv(htmt).rename(columns={"htmt2": "htmt_2"}).to_csv(htmt, index=False)
    efa = tmp_path / FILES["efa"].path
    obj = json.loads(efa.read_text(encoding="utf-8"))
    del obj["item_pool"]
    efa.write_text(json.dumps(obj), encoding="utf-8")
    problems = registry_mismatches(tmp_path)
    assert [p.split(":")[0] for p in problems] == ["results/measurement/efa.json", "results/measurement/htmt.csv"]


@pytest.mark.parametrize("key", [k for k, f in FILES.items() if f.columns_vary and f.kind == "csv"])
def test_varying_tables_say_which_columns_vary(key):
    """A table whose columns depend on the instrument registers its fixed columns and says what follows."""
    last_meaning = list(FILES[key].columns.values())[-1]
    assert "followed by" in last_meaning, key
