"""`snakemake power` on a tiny study: byte-identical results for 1 or 2 chunks and 1 or 2 cores,
a run cut short reuses its finished chunks, `surveysem power` runs the same rules, and the
default target never builds the power study."""

import re
import subprocess
import sys

import pytest
import yaml
from conftest import ENV, SMALL_CONFIG, SNAKEMAKE, run, workflow_copy

# P1 (latent SAM) and P4 (SEM) at one size: the two kinds of estimation, a few seconds each.
TINY = {"sizes": [90], "replications": 2, "propositions": ["P1", "P4"], "truth_n": 1000}
OUTPUTS = ["results/power/monte_carlo.csv", "results/power/power.csv", "results/power/sample_size.csv",
           "results/power/rmsea_power.csv", "results/power/verdicts.csv", "reports/power.html"]


def _study(tmp_path, name: str, chunks: int):
    work = workflow_copy(tmp_path / name)
    cfg = yaml.safe_load((work / SMALL_CONFIG).read_text(encoding="utf-8"))
    cfg["power"].update(TINY, chunks=chunks)
    path = work / "power.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    return work, path


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("power")
    runs = {}
    for name, chunks, cores in (("one", 1, 1), ("two", 2, 2)):
        work, path = _study(tmp, name, chunks)
        proc = run([SNAKEMAKE, "--cores", cores, "--configfile", path, "--", "power"], work)
        assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
        runs[name] = (work, path, proc)
    return runs


def test_results_are_byte_identical_for_any_split_and_cores(two_runs):
    one, two = two_runs["one"][0], two_runs["two"][0]
    assert sorted(p.name for p in (two / "results/power/chunks").iterdir()) == ["n90_c0.csv", "n90_c1.csv"]
    for name in OUTPUTS:
        assert (one / name).read_bytes() == (two / name).read_bytes(), name
    power = (one / "results/power/power.csv").read_text(encoding="utf-8").splitlines()
    assert power[0] == "target,kind,n,replications,converged,share_supported,mcse"
    assert any(line.startswith("P1d,true null,90,2,") for line in power)


def test_progress_is_logged_per_replication(two_runs):
    work = two_runs["two"][0]
    log = (work / "logs/power/chunk_n90_c1.log").read_text(encoding="utf-8")
    assert "N = 90, chunk 2: replication 1 done (1 of 1)" in log


def test_a_run_cut_short_reruns_only_the_missing_chunk(two_runs):
    work, path, _ = two_runs["two"]
    # what a run killed while the second chunk ran leaves: the first chunk, nothing after it
    for name in ["results/power/chunks/n90_c1.csv", *OUTPUTS]:
        (work / name).unlink()
    proc = run([SNAKEMAKE, "-n", "--cores", "1", "--configfile", path, "--", "power"], work)
    text = proc.stdout + proc.stderr
    assert proc.returncode == 0, text[-3000:]
    stats = text.split("Job stats:")[1].split("Reasons:")[0]
    jobs = {m[1]: m[2] for m in re.finditer(r"^(\w+)\s+(\d+)\s*$", stats, re.MULTILINE) if m[1] != "total"}
    assert jobs == {"power_chunk": "1", "power_summary": "1", "report_power": "1", "power": "1"}
    assert "output: results/power/chunks/n90_c1.csv" in text and "output: results/power/chunks/n90_c0.csv" not in text


def test_surveysem_power_runs_the_same_rules(two_runs):
    work, path, _ = two_runs["one"]
    proc = subprocess.run([sys.executable, "-c", "import sys; from surveysem.cli import main; sys.exit(main())",
                           "power", "--config", str(path), "--cores", "1", "--dry-run"], cwd=work, capture_output=True,
                          text=True, timeout=300, env=ENV, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Nothing to be done" in proc.stdout + proc.stderr


def test_the_default_target_does_not_build_the_power_study(two_runs):
    work, path, _ = two_runs["one"]
    proc = run([SNAKEMAKE, "-n", "--cores", "1", "--configfile", path], work)
    assert proc.returncode == 0 and "power_chunk" not in proc.stdout + proc.stderr


def test_power_files_have_their_registered_columns(two_runs):
    import importlib.util

    from conftest import ROOT

    from surveysem.stage_files import FILES

    spec = importlib.util.spec_from_file_location("stage_file_checks", ROOT / "tests/workflow/test_stage_files.py")
    checks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(checks)
    POWER_WRITERS, registry_mismatches = checks.POWER_WRITERS, checks.registry_mismatches

    keys = [k for k, f in FILES.items() if f.writer in POWER_WRITERS]
    assert len(keys) == 8
    assert registry_mismatches(two_runs["one"][0], keys) == []
