"""The pre-registration in the workflow: ``snakemake preregistration`` is a target of its own (the
default pipeline never schedules it), it shows the power study's files only when they exist, and
freezing the config (``surveysem preregister``) reruns the report and nothing else.

Runs on a copy of the small end-to-end run (``small_workflow``), so the shared run stays as it is.
"""

from __future__ import annotations

import shutil

from conftest import BIN, SMALL_CONFIG, SNAKEMAKE, run, scheduled_rules

LOCK = ".test/config_small/preregistration.lock.json"


def _scheduled(work, *targets) -> set[str]:
    return scheduled_rules(work, SMALL_CONFIG, *targets)


def test_preregistration_target_lock_and_power_files(small_workflow, tmp_path):
    work = tmp_path / "wf"
    shutil.copytree(small_workflow[0], work, symlinks=True)
    assert _scheduled(work) == set()
    assert _scheduled(work, "preregistration") == {"preregistration_document", "preregistration"}
    proc = run([SNAKEMAKE, "preregistration", "--cores", "1", "--configfile", SMALL_CONFIG], work)
    assert proc.returncode == 0, proc.stderr[-3000:]
    html = (work / "reports" / "preregistration.html").read_text(encoding="utf-8")
    assert "Power study not run: <code>snakemake power</code>" in html
    assert (work / "results" / "preregistration.md").is_file()
    assert _scheduled(work) == set()  # the default pipeline does not see the document

    # the power study's files, once written, are inputs of the document only
    (work / "results" / "power").mkdir()
    (work / "results" / "power" / "power.csv").write_text(
        "target,kind,n,replications,converged,share_supported,mcse\nP1a,sub-hypothesis,150,40,40,0.5,0.079\n")
    (work / "results" / "power" / "sample_size.csv").write_text("target,power_level,n_required,note\nP1a,0.8,,above\n")
    assert _scheduled(work, "preregistration") == {"preregistration_document", "preregistration"}
    assert _scheduled(work) == set()

    # freezing reruns the report alone; the overview then finds no deviation
    proc = run([BIN / "surveysem", "preregister", "--config", SMALL_CONFIG], work)
    assert proc.returncode == 0, proc.stderr
    assert (work / LOCK).is_file()
    assert _scheduled(work) == {"report_pages"}
    proc = run([SNAKEMAKE, "--cores", "1", "--configfile", SMALL_CONFIG], work)
    assert proc.returncode == 0, proc.stderr[-3000:]
    index = (work / "reports" / "index.html").read_text(encoding="utf-8")
    assert "No deviations from the pre-registration" in index
