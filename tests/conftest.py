"""Shared fixtures. The tests never read what a user edits (config/, data/, scales/): they run on
the `.test/` configs, their data and `.test/scales/` (a copy of the instrument as fielded), so the
README's test command passes whatever the user has put in config/config.yaml or scales/."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SNAKEMAKE = str(BIN / "snakemake")
SMALL_CONFIG = ".test/config_small/config.yaml"
FIML_CONFIG = ".test/config_fiml/config.yaml"
ENV = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")


def run(args, cwd, timeout=900) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=timeout, env=ENV)


def scheduled_rules(work: Path, configfile, *args: str) -> set[str]:
    """The rules a dry run in ``work`` with ``configfile`` would run (``args``: targets or options
    before ``--configfile``), from Snakemake's job stats; the default target ``all`` left out."""
    proc = run([SNAKEMAKE, *args, "-n", "--cores", "1", "--configfile", configfile], work, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    text = proc.stdout + proc.stderr
    if "Nothing to be done" in text:
        return set()
    stats = text.split("Job stats:")[1].split("Reasons:")[0]
    return {m.group(1) for m in re.finditer(r"^(\w+)\s+\d+\s*$", stats, re.MULTILINE)} - {"total", "all"}


def workflow_copy(where: Path) -> Path:
    """The workflow (Snakefile, rules, and .test: configs, data, instrument) in a new folder, without
    config/, data/ or scales/: a run there reads only what --configfile names."""
    work = Path(where) / "wf"
    work.mkdir(parents=True)
    for name in ("Snakefile", "workflow", ".test"):
        src = ROOT / name
        (shutil.copytree if src.is_dir() else shutil.copy2)(src, work / name)
    return work


@pytest.fixture(scope="session")
def small_workflow(tmp_path_factory):
    """The whole workflow run once on .test/config_small (150 synthetic firms, complete data):
    (folder, first run, second run, the snakemake command)."""
    work = workflow_copy(tmp_path_factory.mktemp("small"))
    snakemake = [SNAKEMAKE, "--cores", "2", "--configfile", SMALL_CONFIG]
    first = run(snakemake, work)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-6000:]
    second = run(snakemake, work)
    return work, first, second, snakemake


@pytest.fixture(scope="session")
def fiml_workflow(tmp_path_factory):
    """The whole workflow run once on .test/config_fiml (150 synthetic firms with missing answers,
    FIML): (folder, the run)."""
    work = workflow_copy(tmp_path_factory.mktemp("fiml"))
    proc = run([SNAKEMAKE, "--cores", "2", "--configfile", FIML_CONFIG], work)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-6000:]
    return work, proc


@pytest.fixture(scope="module")
def prereg_config():
    """The validated test config (.test/config_fiml) the pre-registration tests freeze and edit."""
    from prereg_kit import base_config

    return base_config()


@pytest.fixture(scope="module")
def prereg_record(prereg_config):
    """The registration record (the lock's content) of ``prereg_config`` with the test instrument."""
    from prereg_kit import record

    return record(prereg_config)
