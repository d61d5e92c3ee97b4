"""After an interrupted run (SIGKILL mid-bootstrap), `./run.sh pipeline` recovers by itself: it removes
the stale lock and reruns the incomplete jobs, and the results equal those of an uninterrupted run."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time

from conftest import ENV, ROOT, SMALL_CONFIG, run, workflow_copy


def _run_sh_copy(tmp_path):
    work = workflow_copy(tmp_path)
    for name in ("run.sh", "pyproject.toml", "constraints.txt"):
        shutil.copy2(ROOT / name, work / name)
        if name != "run.sh":
            os.utime(work / name, (0, 0))  # older than the install stamp: run.sh installs nothing
    (work / ".venv").symlink_to(ROOT / ".venv")  # the installed environment (run.sh checks its stamp)
    return work


def test_run_sh_recovers_from_a_killed_run(tmp_path, small_workflow):
    work = _run_sh_copy(tmp_path)
    command = ["bash", "run.sh", "pipeline", "--configfile", SMALL_CONFIG]
    proc = subprocess.Popen(command, cwd=work, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    chunk_log = work / "logs" / "propositions" / "bootstrap_chunk_0.log"
    deadline = time.time() + 120
    while not chunk_log.exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.2)
    assert proc.poll() is None, "the run ended before it could be interrupted"
    os.killpg(proc.pid, signal.SIGKILL)  # a crash: no clean-up at all
    proc.wait()
    assert list((work / ".snakemake" / "locks").iterdir()), "the killed run left no lock"
    again = run(command, work)
    assert again.returncode == 0, again.stdout[-2000:] + again.stderr[-3000:]
    assert "removing the lock left by an interrupted run" in again.stderr
    reference = small_workflow[0]
    for path in sorted((reference / "results").rglob("*")):
        if path.is_file() and "tables" not in path.parts:
            assert (work / path.relative_to(reference)).read_bytes() == path.read_bytes(), path.name
