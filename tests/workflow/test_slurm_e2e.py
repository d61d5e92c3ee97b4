"""The workflow through SLURM (workflow/profiles/slurm) writes the same files as a local run.

Each case runs one target of the workflow twice in fresh copies: once with
`snakemake --profile workflow/profiles/slurm` (every job an sbatch job), once with `--cores 2`,
and compares every file under results/ byte for byte. It needs a SLURM cluster that takes jobs
(`workflow/cluster/slurm_local.sh start` makes one on this machine) and the executor plugin; without
them it skips, unless SURVEYSEM_REQUIRE_SLURM=1 (set by .ci/run, which starts the local cluster):
then a missing cluster is a failure.
"""

from __future__ import annotations

import filecmp
import importlib.util
import os
import shutil
import subprocess

import pytest
from conftest import SMALL_CONFIG, SNAKEMAKE, run, workflow_copy

# (target(s), config file, id). The whole small workflow has a chain of 7 jobs, each waiting for the
# plugin's growing status-check interval (+10 s per check that finds nothing finished): about
# 5 minutes through SLURM here, so CI runs the chunked job set (4 levels, 6 jobs). Add the power
# study here once its rules are merged, e.g. (["power"], ".test/config_power/config.yaml", "power").
CASES = [
    (["results/propositions/p4_bootstrap.csv"], SMALL_CONFIG, "bootstrap-chunks"),
]

# Files whose bytes may legitimately differ between the two runs: none so far (provenance_versions.csv
# lists package versions, the same in both runs; no result embeds a path, a host or a time).
VOLATILE: set[str] = set()

# the first status check after 1 s instead of the profile's 5 s: a test of the profile, not of patience
FAST_POLL = ["--slurm-init-seconds-before-status-checks", "1"]


def _cluster_problem() -> str | None:
    """Why no SLURM job can run here, or None."""
    if importlib.util.find_spec("snakemake_executor_plugin_slurm") is None:
        return "snakemake-executor-plugin-slurm is not installed in this environment"
    if shutil.which("sbatch") is None or shutil.which("sinfo") is None:
        return "SLURM client commands (sbatch, sinfo) not found"
    proc = subprocess.run(["sinfo", "-h", "-o", "%T"], check=False, capture_output=True, text=True, timeout=30)
    states = proc.stdout.split()
    if proc.returncode != 0 or not any(s.rstrip("*~#").startswith(("idle", "mixed", "alloc")) for s in states):
        return f"no SLURM node takes jobs (sinfo: {(proc.stdout + proc.stderr).strip()[:200] or 'nothing'})"
    return None


@pytest.fixture(scope="module")
def slurm_cluster():
    problem = _cluster_problem()
    if problem and os.environ.get("SURVEYSEM_REQUIRE_SLURM") == "1":
        pytest.fail(f"SURVEYSEM_REQUIRE_SLURM=1 but {problem} (start one: workflow/cluster/slurm_local.sh start)")
    if problem:
        pytest.skip(problem)


def _files(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


@pytest.mark.slow
@pytest.mark.parametrize(("targets", "configfile"), [c[:2] for c in CASES], ids=[c[2] for c in CASES])
def test_slurm_run_equals_local_run(slurm_cluster, tmp_path, targets, configfile):
    on_slurm = workflow_copy(tmp_path / "slurm")
    local = workflow_copy(tmp_path / "local")
    args = [*targets, "--configfile", configfile]
    proc = run([SNAKEMAKE, "--profile", "workflow/profiles/slurm", *FAST_POLL, *args], on_slurm, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-6000:]
    assert "has been submitted with SLURM jobid" in proc.stderr, "no job went through SLURM"
    proc = run([SNAKEMAKE, "--cores", "2", *args], local, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-6000:]
    files = _files(local / "results")
    assert files and files == _files(on_slurm / "results")
    differ = [f for f in files if f not in VOLATILE
              and not filecmp.cmp(local / "results" / f, on_slurm / "results" / f, shallow=False)]
    assert differ == []
