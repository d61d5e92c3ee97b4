"""The workflow through SLURM (workflow/profiles/slurm) writes the same files as a local run.

Each case runs one target of the workflow twice in fresh copies: once with
`snakemake --profile workflow/profiles/slurm` (every job an sbatch job), once with `--cores 2`,
and compares every file under results/ (and reports/) byte for byte. It needs a SLURM cluster that takes jobs
(`workflow/cluster/slurm_local.sh start` makes one on this machine) and the executor plugin; without
them it skips, unless SURVEYSEM_REQUIRE_SLURM=1 (set by .ci/run, which starts the local cluster):
then a missing cluster is a failure.

The case CI runs is the small power study of issue 13 (.test/config_power): `snakemake power` with
2 sizes (59 and 100 firms) x 40 replications of every proposition (P1-P4, none left out), 2 chunk
jobs per size, then the summary and the page as one group job (the profile's groups:): 5 sbatch
jobs in 3 waves on the 2 CPUs. P1-P3 use the raw answer codes without the method factor there
(`item_scores: raw`, `method_factor: none`: 0.4 instead of 1.3 CPU s a replication); the defaults'
results for any split and number of cores are tested locally by tests/power/test_power_workflow.py.
The two runs go at the same time: the SLURM run mostly waits (job start-ups, the plugin's status
checks), and the local run fills those gaps.
"""

from __future__ import annotations

import filecmp
import importlib.util
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from conftest import ENV, SNAKEMAKE, workflow_copy

POWER_CONFIG = ".test/config_power/config.yaml"

# (target(s), config file, id). The power study replaced the P4 bootstrap chunks on
# .test/config_small (["results/propositions/p4_bootstrap.csv"], 6 jobs in 4 levels), which it
# covers (chunk jobs and the job that merges them). At a load average of 5-7 on 2 cores
# (2026-12-01, the two run alternately) that case took 77-121 s, this one 138-177 s; 190 s with
# the local run after the SLURM run and 152 s with the summary and page as two jobs. Most of it is
# job start-ups and status-check intervals: restricting it to P1 and P4 saved nothing.
# The whole small workflow (["all"], .test/config_small) passes too (all 25 jobs byte-identical,
# checked 2026-12-01) but its chain of 7 jobs took 10.5 min against 2.4 min locally.
CASES = [
    (["power"], POWER_CONFIG, "power"),
]

# Files whose bytes may legitimately differ between the two runs: none. Both runs use the same
# environment, so results/tables/provenance_versions.csv (package versions) is the same, and no
# file under results/ or reports/ holds a path, host or time (the whole small workflow's
# reports/ were byte-identical too, provenance page included).
VOLATILE: set[str] = set()
COMPARED = ("results", "reports")

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
        return (f"no SLURM node takes jobs (sinfo: {(proc.stdout + proc.stderr).strip()[:200] or 'nothing'}; "
                "a local cluster: workflow/cluster/slurm_local.sh start)")
    return None


@pytest.fixture(scope="module")
def slurm_cluster():
    problem = _cluster_problem()
    if problem and os.environ.get("SURVEYSEM_REQUIRE_SLURM") == "1":
        pytest.fail(f"SURVEYSEM_REQUIRE_SLURM=1 but {problem}")
    if problem:
        pytest.skip(problem)


def _files(work):
    """The files of the compared folders, relative to the workflow copy."""
    return sorted(str(p.relative_to(work)) for folder in COMPARED for p in (work / folder).rglob("*") if p.is_file())


def _start(args, cwd, log: Path) -> subprocess.Popen:
    """Snakemake started in ``cwd``, its output to ``log``.out / .err (files: no pipe fills up
    while the other run goes)."""
    with open(log.with_suffix(".out"), "w") as out, open(log.with_suffix(".err"), "w") as err:
        return subprocess.Popen([str(a) for a in args], cwd=cwd, stdout=out, stderr=err, env=ENV)


def _finish(proc: subprocess.Popen, log: Path, what: str) -> str:
    """Wait for ``proc`` (at most 10 minutes); its stderr, asserting that it succeeded."""
    returncode = proc.wait(timeout=600)
    stdout, stderr = (log.with_suffix(ext).read_text(encoding="utf-8") for ext in (".out", ".err"))
    assert returncode == 0, f"{what}:\n" + stdout[-3000:] + stderr[-6000:]
    return stderr


def _chunk_files(work, configfile):
    """The power_chunk outputs the config asks for, relative to the workflow copy."""
    power = yaml.safe_load((work / configfile).read_text(encoding="utf-8"))["power"]
    return sorted(f"results/power/chunks/n{n}_c{k}.csv" for n in power["sizes"] for k in range(power["chunks"]))


@pytest.mark.slow
@pytest.mark.parametrize(("targets", "configfile"), [c[:2] for c in CASES], ids=[c[2] for c in CASES])
def test_slurm_run_equals_local_run(slurm_cluster, tmp_path, targets, configfile):
    on_slurm = workflow_copy(tmp_path / "slurm")
    local = workflow_copy(tmp_path / "local")
    args = [*targets, "--configfile", configfile]
    slurm_run = _start([SNAKEMAKE, "--profile", "workflow/profiles/slurm", *FAST_POLL, *args], on_slurm,
                       tmp_path / "slurm")
    local_run = _start([SNAKEMAKE, "--cores", "2", *args], local, tmp_path / "local")
    try:
        slurm_log = _finish(slurm_run, tmp_path / "slurm", "SLURM run")
        _finish(local_run, tmp_path / "local", "local run")
    finally:  # a failed or timed-out run leaves no snakemake behind
        for proc in (slurm_run, local_run):
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    assert "has been submitted with SLURM jobid" in slurm_log, "no job went through SLURM"
    files = _files(local)
    assert files and files == _files(on_slurm)
    if "power" in targets:
        chunks = _chunk_files(on_slurm, configfile)
        assert len(chunks) > 2 and set(chunks) <= set(files)
        submitted = [line for line in slurm_log.splitlines() if "submitted with SLURM jobid" in line]
        assert sum("rule_power_chunk" in line for line in submitted) == len(chunks), "a chunk job ran outside SLURM"
    differ = [f for f in files if f not in VOLATILE and not filecmp.cmp(local / f, on_slurm / f, shallow=False)]
    assert differ == []
