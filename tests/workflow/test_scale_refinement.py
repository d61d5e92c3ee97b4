"""Dropping an item in the config's scales: (issue 16): the statistics of that scale change, the
instrument as fielded stays in the codebook and questionnaire, the report records the drop with
its reason, and exactly the jobs that use the scale rerun."""

from __future__ import annotations

import json
import re
import shutil

import pandas as pd
import pytest
import yaml
from conftest import SMALL_CONFIG, SNAKEMAKE, run

REASON = "standardized loading below .50 in the pilot <b>&</b>"


def _job_counts(text: str) -> dict[str, int]:
    if "Nothing to be done" in text:
        return {}
    stats = text.split("Job stats:")[1].split("Reasons:")[0]
    return {m[1]: int(m[2]) for m in re.finditer(r"^(\w+)\s+(\d+)\s*$", stats, re.M)} | {}


def _config_with(work, scales: dict, name: str):
    cfg = yaml.safe_load((work / SMALL_CONFIG).read_text(encoding="utf-8"))
    cfg["scales"] = scales
    path = work / name
    path.write_text(yaml.safe_dump(cfg, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def _dry_run(work, configfile) -> dict[str, int]:
    proc = run([SNAKEMAKE, "-n", "--nolock", "--cores", "1", "--configfile", configfile], work, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    counts = _job_counts(proc.stdout + proc.stderr)
    counts.pop("total", None)
    counts.pop("all", None)
    return counts


@pytest.fixture(scope="module")
def dropped_run(small_workflow, tmp_path_factory):
    """A copy of the finished small workflow, its dry run and its run with PDC5 dropped."""
    work = tmp_path_factory.mktemp("refine") / "wf"
    shutil.copytree(small_workflow[0], work, symlinks=True)
    before = {p: (work / p).read_bytes() for p in ("results/measurement/validity.csv",
                                                   "results/propositions/regression/P1.json",
                                                   "results/propositions/regression/P2.json",
                                                   "results/propositions/latent/P2.json")}
    mtimes = {p: (work / p).stat().st_mtime_ns for p in before}
    configfile = _config_with(work, {"PDC": {"drop": {"PDC5": REASON}}}, "drop_pdc5.yaml")
    scheduled = _dry_run(work, configfile)
    proc = run([SNAKEMAKE, "--cores", "2", "--configfile", configfile], work)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    return work, scheduled, before, mtimes


def test_dropping_an_item_reruns_only_the_jobs_using_its_scale(dropped_run):
    _, scheduled, _, _ = dropped_run
    # one regression and one latent job: P1's (PDC is a P1 capability), not P2's or P3's
    assert scheduled.pop("propositions_regression") == 1
    assert scheduled.pop("propositions_latent") == 1
    assert scheduled.pop("propositions_bootstrap_chunk") >= 1  # P4: PDC is a sensing capability
    assert set(scheduled) == {"instrument_codebook", "measurement_reliability", "measurement_cfa", "measurement_htmt",
                              "measurement_invariance", "measurement_dropped", "measurement_verdicts",
                              "propositions_typology", "propositions_p4_fit", "propositions_bootstrap_merge",
                              "propositions_verdicts", "report_pages"}
    assert not set(scheduled) & {"data_ingest", "data_screen", "outcomes_firm_outcomes", "outcomes_table1_audit"}


def test_the_statistics_of_the_scale_and_of_p1_change_and_the_others_stay(dropped_run):
    work, _, before, mtimes = dropped_run
    validity = pd.read_csv(work / "results/measurement/validity.csv").set_index("construct")
    old = pd.read_csv(pd.io.common.BytesIO(before["results/measurement/validity.csv"])).set_index("construct")
    assert validity.loc["PDC", "k"] == 4 and old.loc["PDC", "k"] == 5
    assert validity.loc["PDC", "ave"] != pytest.approx(old.loc["PDC", "ave"], abs=1e-6)
    loadings = pd.read_csv(work / "results/measurement/loadings.csv")
    assert "PDC5" not in set(loadings["item"])
    p1 = (work / "results/propositions/regression/P1.json").read_bytes()
    assert p1 != before["results/propositions/regression/P1.json"]
    for path in ("results/propositions/regression/P2.json", "results/propositions/latent/P2.json"):
        assert (work / path).read_bytes() == before[path]
        assert (work / path).stat().st_mtime_ns == mtimes[path]  # not rerun
    latent = json.loads((work / "results/propositions/latent/P1.json").read_text(encoding="utf-8"))
    assert "PDC5" not in latent["items"]["PDC"]


def test_the_fielded_instrument_and_the_refinement_record(dropped_run):
    work, _, before, _ = dropped_run
    codebook = pd.read_csv(work / "results/codebook.csv", keep_default_na=False).set_index("variable")
    assert codebook.loc["PDC5", "used_in_analysis"] == f"no: {REASON}"
    assert codebook.loc["PDC4", "used_in_analysis"] == "yes"
    questionnaire = (work / "reports/questionnaire.html").read_text(encoding="utf-8")
    pdc5 = yaml.safe_load((work / ".test/scales/capabilities/PDC.yaml").read_text(encoding="utf-8"))["items"][4]
    import html

    assert html.escape(" ".join(pdc5["wording"].split())) in questionnaire
    record = pd.read_csv(work / "results/measurement/dropped_items.csv")
    assert record[["item", "construct", "analysed_scale"]].values.tolist() == [["PDC5", "PDC", "PDC"]]
    old_loadings = pd.read_csv(work / "results/measurement/loadings.csv")  # after
    assert 0 < record.loc[0, "loading_before"] < 1
    old_validity = pd.read_csv(pd.io.common.BytesIO(before["results/measurement/validity.csv"])).set_index("construct")
    assert record.loc[0, "ave_before"] == pytest.approx(old_validity.loc["PDC", "ave"], abs=1e-9)
    assert record.loc[0, "cr_before"] == pytest.approx(old_validity.loc["PDC", "cr"], abs=1e-9)
    assert "PDC5" not in set(old_loadings["item"])
    page = (work / "reports/measurement.html").read_text(encoding="utf-8")
    section = page.split('id="items-dropped"')[1].split("</section>")[0]
    assert "PDC5" in section and html.escape(REASON) in section and "<b>&</b>" not in page
    provenance = (work / "reports/provenance.html").read_text(encoding="utf-8")
    assert "1 item(s) dropped" in provenance


def test_editing_only_a_reason_reruns_only_what_prints_it(dropped_run):
    work = dropped_run[0]
    configfile = _config_with(work, {"PDC": {"drop": {"PDC5": REASON + " (checked)"}}}, "reason_edit.yaml")
    assert set(_dry_run(work, configfile)) == {"instrument_codebook", "report_pages"}
