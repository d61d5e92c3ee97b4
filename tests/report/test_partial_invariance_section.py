"""The measurement page shows the partial-invariance search: its rule from invariance.json, one
line per scale and level searched (non-invariant items), one table row per model fitted (issue 12,
item 2)."""

import re

import pandas as pd

from surveysem.measurement.partial import PARTIAL_COLUMNS
from surveysem.report.pages import Context, build_report
from surveysem.stage_files import path as stage_path
from tests.report.results_tree import make_results


def _section(root, frame=None) -> str:
    kw = make_results(root)
    if frame is not None:
        frame.to_csv(root / stage_path("partial_invariance"), index=False)
    build_report(Context(**kw), root / "reports", root / "results" / "tables")
    html = (root / "reports" / "measurement.html").read_text(encoding="utf-8")
    return re.search(r'<section id="partial-invariance">.*?</section>', html, re.S).group(0)


def test_search_lines_rule_and_table(tmp_path):
    section = _section(tmp_path)
    assert "ΔCFI &lt; -0.01 or ΔRMSEA &gt; 0.015" in section and "Bonferroni" in section
    assert "at least 2 invariant indicators" in section
    assert "joint, scalar: holds partially; non-invariant: CCA3 (intercept)" in section
    rows = section.split("<tbody>")[1].split("</tbody>")[0]
    assert rows.count("<tr>") == 3 and "CCA3~1" in rows and "9.88 (1)" in rows and ".002" in rows
    assert "joint, metric" not in section.split("<table")[0]  # metric holds: no line for it


def test_no_search_says_so(tmp_path):
    section = _section(tmp_path, pd.DataFrame(columns=PARTIAL_COLUMNS))
    assert "No search: full metric and scalar invariance hold" in section
