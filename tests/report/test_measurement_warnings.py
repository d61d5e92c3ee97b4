"""The measurement page prints each warning once: in the section of its step, counted (with a link)
in the closing Warnings section."""

import json
import re

import pytest

from surveysem.report.pages import Context, build_report
from surveysem.stage_files import path as stage_path
from tests.report.results_tree import make_results

CLF = "CLF model: Heywood cases (2): negative residual variance for PDC1 (-0.05); standardized CMV =~ PDC1 is 1.02 (|value| > 1)"


@pytest.fixture(scope="module")
def html(tmp_path_factory):
    root = tmp_path_factory.mktemp("warnings")
    kw = make_results(root)
    cmv_path = root / stage_path("cmv")
    cmv = json.loads(cmv_path.read_text(encoding="utf-8"))
    cmv["warnings"] = [CLF, "full-collinearity VIF of PDC is 3.50 > 3.3"]
    cmv_path.write_text(json.dumps(cmv), encoding="utf-8")
    (root / stage_path("measurement_warnings")).write_text(json.dumps({
        "synthetic": True, "n_warnings": 3,
        "warnings": [{"step": "CMV", "message": m} for m in cmv["warnings"]] + [{"step": "other", "message": "only here"}]}),
        encoding="utf-8")
    build_report(Context(**kw), root / "reports", root / "results" / "tables")
    return (root / "reports" / "measurement.html").read_text(encoding="utf-8")


def test_each_warning_printed_once(html):
    assert html.count("negative residual variance for PDC1") == 1
    assert html.count("full-collinearity VIF of PDC is 3.50") == 1
    assert html.count("only here") == 1  # a step no section lists: printed in the closing section


def test_closing_section_counts_and_links(html):
    section = re.search(r'<section id="measurement-warnings">.*?</section>', html, re.S).group(0)
    assert 'CMV: 2 warnings, listed under <a href="#cmv">Common-method variance</a>' in section
    assert "other: only here" in section
