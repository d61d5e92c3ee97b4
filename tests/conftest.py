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

# One BLAS/OpenMP thread in the tests and every process they start, as run.sh sets: two pytest-xdist
# workers' OpenBLAS threads spinning on two cores made the in-process fits up to 10 x slower (measured).
os.environ.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")

import pytest  # noqa: E402
from dry_runs import dry_runs  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SNAKEMAKE = str(BIN / "snakemake")
SMALL_CONFIG = ".test/config_small/config.yaml"
FIML_CONFIG = ".test/config_fiml/config.yaml"
ENV = dict(os.environ)


def run(args, cwd, timeout=900) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=timeout, env=ENV)


def scheduled_rules(work: Path, configfile, *args: str) -> set[str]:
    """The rules a dry run in ``work`` with ``configfile`` would run (``args``: targets or options
    before ``--configfile``), from Snakemake's job stats; the default target ``all`` left out."""
    return scheduled_rules_of_each(work, [configfile], *args)[0]


def scheduled_rules_of_each(work: Path, configfiles, *args: str) -> list[set[str]]:
    """``scheduled_rules`` for each of ``configfiles``, two dry runs at a time (tests/dry_runs.py)."""
    jobs = [(work, [*args, "--cores", "1", "--configfile", configfile]) for configfile in configfiles]
    done = dry_runs(jobs, ENV)
    for code, text in done:
        assert code == 0, text[-5000:]
    return [_job_stats_rules(text) for _, text in done]


def _job_stats_rules(text: str) -> set[str]:
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


# Under pytest-xdist (addopts: --dist loadgroup), a group runs on one worker: each whole-workflow
# run of the session fixtures above, and each module fixture, is made once. The groups start in
# this order (a long group last would leave the other worker idle); within one, collection order.
WORKFLOW_FIXTURES = ("small_workflow", "fiml_workflow")
LONG_FIRST = ("tests/workflow/", "tests/power/", "tests/report/")


def _xdist_group(item) -> str:
    if any(name in item.fixturenames for name in WORKFLOW_FIXTURES):
        return "workflow_runs"
    return item.nodeid.split("::")[0]


def _start_rank(group: str) -> int:
    if group == "workflow_runs":
        return 0
    return next((n + 1 for n, folder in enumerate(LONG_FIRST) if group.startswith(folder)), len(LONG_FIRST) + 1)


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist's own hook reads the groups
def pytest_collection_modifyitems(config, items):
    for item in items:
        item.add_marker(pytest.mark.xdist_group(_xdist_group(item)))
    items.sort(key=lambda item: _start_rank(_xdist_group(item)))
