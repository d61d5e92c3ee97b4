"""The Snakemake workflow itself: lint, formatting, and re-running exactly what an edit affects."""

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def _run(args, cwd, timeout=300):
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env)


def test_snakemake_lint_is_clean():
    proc = _run([str(BIN / "snakemake"), "--lint"], ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Congratulations, your workflow is in a good condition!" in proc.stdout + proc.stderr


def test_snakefmt_check_passes():
    proc = _run([str(BIN / "snakefmt"), "--check", "."], ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_snakefile_holds_only_the_allowed_statements():
    text = (ROOT / "Snakefile").read_text(encoding="utf-8")
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        assert re.match(
            r"^(from snakemake\.utils import|from surveysem\.config import|min_version\(|configfile:|"
            r"validate_config_or_exit\(|include:|rule all:|input:|DEFAULT_TARGETS,|default_target: True)",
            stripped,
        ), line


def _workflow_copy(tmp_path: Path) -> Path:
    work = tmp_path / "wf"
    work.mkdir()
    for name in ("Snakefile", "workflow", "config", "scales", "data"):
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, work / name)
        else:
            shutil.copy2(src, work / name)
    return work


def _planned_jobs(work: Path, *targets) -> set[str]:
    proc = _run([str(BIN / "snakemake"), "-n", "--cores", "1", *targets], work)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    text = proc.stdout + proc.stderr
    if "Nothing to be done" in text:
        return set()
    stats = text.split("Job stats:")[1]
    return {m.group(1) for m in re.finditer(r"^(\w+)\s+\d+\s*$", stats, re.M)} - {"total"}


def test_editing_one_scale_reruns_exactly_its_dependents(tmp_path):
    work = _workflow_copy(tmp_path)
    targets = ["results/codebook.csv"]
    proc = _run([str(BIN / "snakemake"), "--cores", "1", *targets], work)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert _planned_jobs(work, *targets) == set()
    # A file the instrument does not read: nothing to do.
    time.sleep(1.1)
    with open(work / "data" / "README.md", "a", encoding="utf-8") as fh:
        fh.write("\nedited\n")
    assert _planned_jobs(work, *targets) == set()
    # One scale file edited (Snakemake ignores a bare touch whose content is unchanged).
    pdc = work / "scales" / "capabilities" / "PDC.yaml"
    pdc.write_text(pdc.read_text(encoding="utf-8").replace("closely track", "closely follow"), encoding="utf-8")
    assert _planned_jobs(work, *targets) == {"codebook"}


def test_every_rule_depends_on_the_package_code():
    """A change to src/surveysem reruns what it produced: every rule has the code hash as a param."""
    import re as _re

    for smk in sorted((ROOT / "workflow" / "rules").glob("*.smk")):
        text = smk.read_text(encoding="utf-8")
        for rule in _re.split(r"\n(?=rule )", text)[1:]:
            name = rule.split(":", 1)[0]
            assert "code=SURVEYSEM_CODE" in rule, f"{smk.name}: {name}"
