"""The measurement page when the joint CFA could not be estimated: the CFA sections name the model
each scale's loadings, CR and AVE come from and why the level above failed, and Fornell–Larcker
cells across two models say they are not comparable (tests/report/results_tree.py, edited)."""

import html as html_lib
import json
import re

import numpy as np
import pandas as pd
import pytest

from surveysem.report.pages import Context, build_report
from surveysem.stage_files import path as stage_path
from tests.report.results_tree import make_results

JOINT_FAILED = "the joint CFA could not be fitted: the model is not identified"
CASCADE = {
    "levels": ["joint", "group", "one-factor"],
    "models": [{"level": "joint", "model": "joint CFA", "scales": ["PDC", "CCA"], "result": "could not be fitted: the model is not identified"},
               {"level": "group", "model": "process CFA (sensing)", "scales": ["PDC", "CCA"], "result": "did not converge",
                "fit": {"cfi": 0.7, "tli": 0.6, "rmsea": 0.2, "srmr": 0.15}},
               {"level": "one-factor", "model": "one-factor CFA", "scales": ["PDC"], "result": "converged",
                "fit": {"cfi": 1.0, "tli": 1.0, "rmsea": 0.0, "srmr": 0.0}},
               {"level": "one-factor", "model": "one-factor CFA", "scales": ["CCA"], "result": "converged",
                "fit": {"cfi": 0.98, "tli": 0.96, "rmsea": 0.04, "srmr": 0.02}}],
    "scales": {s: {"model": "one-factor CFA", "level": "one-factor", "converged": True,
                   "levels_above_failed": JOINT_FAILED + "; the process CFA (sensing) did not converge"} for s in ("PDC", "CCA")},
}


def _edit_csv(root, key, edit):
    path = root / stage_path(key)
    frame = edit(pd.read_csv(path))
    frame.to_csv(path, index=False)


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    root = tmp_path_factory.mktemp("cascade")
    kw = make_results(root)
    path = root / stage_path("cfa_fit")
    fit = json.loads(path.read_text(encoding="utf-8"))
    fit.update(converged=None, fit=None, syntax=None, cascade=CASCADE)
    path.write_text(json.dumps(fit), encoding="utf-8")
    _edit_csv(root, "loadings", lambda f: f.assign(model="one-factor CFA"))
    note = "not assessable: the one-factor CFA of {} has no latent correlations with other scales (not comparable: {})"
    _edit_csv(root, "validity", lambda f: f.assign(model="one-factor CFA", fornell_larcker_pass=np.nan,
                                                   fornell_larcker_note=[note.format("PDC", "CCA"), note.format("CCA", "PDC")]))
    _edit_csv(root, "fornell_larcker", lambda f: f.assign(PDC=[0.7994, np.nan], CCA=[np.nan, 0.5962]))
    build_report(Context(**kw), root / "reports", root / "results" / "tables")
    return (root / "reports" / "measurement.html").read_text(encoding="utf-8"), (root / "reports" / "index.html").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def page(pages):
    return pages[0]


def test_overview_says_the_joint_cfa_failed(pages):
    assert ("The joint CFA could not be estimated: PDC, CCA: from the one-factor CFA, because " + JOINT_FAILED) in _text(pages[1])


def _table(html: str, table_id: str) -> str:
    return re.search(rf'<table class="apa" id="{table_id}">.*?</table>', html, re.DOTALL).group(0)


def _text(fragment: str) -> str:
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def _section(html: str, sid: str) -> str:
    return re.search(rf'<section id="{sid}".*?</section>', html, re.DOTALL).group(0)


def test_fit_section_names_the_models_and_why_the_level_above_failed(page):
    text = _text(_section(page, "cfa-fit"))
    assert "COULD NOT BE FITTED" in text
    assert ("PDC, CCA: from the one-factor CFA, because the joint CFA could not be fitted: the model is not identified; "
            "the process CFA (sensing) did not converge.") in text
    cascade = _text(_table(page, "table-cfa-cascade"))
    assert "process CFA (sensing) PDC, CCA did not converge .700 .600 .200 .150" in cascade
    assert "joint CFA PDC, CCA could not be fitted: the model is not identified — — — —" in cascade


def test_loadings_name_their_model(page):
    text = _text(_section(page, "loadings"))
    assert "Model" in _text(_table(page, "table-loadings").split("</thead>")[0])
    assert text.count("one-factor CFA") >= 4  # each row, and the note
    assert "Models (the joint CFA could not be estimated): PDC, CCA: from the one-factor CFA, because " + JOINT_FAILED in text


def test_fornell_larcker_across_models_is_not_comparable(page):
    text = _text(_section(page, "fornell-larcker"))
    assert "CCA n/c" in text and "not comparable" in text and "(CCA–PDC)" in text
    scales = _text(_section(page, "scales"))
    assert "FL PDC: not assessable: the one-factor CFA of PDC has no latent correlations" in scales
