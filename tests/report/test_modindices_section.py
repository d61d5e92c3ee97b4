"""The measurement page shows the CFA's ten largest modification indices with the rule for reading
them, or why there are none (issue 12, item 3)."""

import json
import re

import pandas as pd

from surveysem.report.pages import Context, build_report
from surveysem.stage_files import path as stage_path
from tests.report.results_tree import make_results


def _page(root, rows: list[dict], note: str | None) -> str:
    kw = make_results(root)
    pd.DataFrame(rows, columns=["lhs", "op", "rhs", "mi", "epc", "sepc_all"]).to_csv(
        root / stage_path("cfa_modindices"), index=False)
    fit_path = root / stage_path("cfa_fit")
    fit = json.loads(fit_path.read_text(encoding="utf-8"))
    fit["modindices_note"] = note
    fit_path.write_text(json.dumps(fit), encoding="utf-8")
    build_report(Context(**kw), root / "reports", root / "results" / "tables")
    html = (root / "reports" / "measurement.html").read_text(encoding="utf-8")
    return re.search(r'<section id="modification-indices">.*?</section>', html, re.S).group(0)


def test_the_ten_largest_with_the_reading_rule(tmp_path):
    rows = [{"lhs": "PDC", "op": "=~", "rhs": f"CCA{i}", "mi": 40 - i, "epc": 0.3, "sepc_all": 0.25} for i in range(12)]
    rows[0].update(lhs="PDC1<b>", op="~~", rhs="PDC2")
    section = _page(tmp_path, rows, None)
    assert section.split("<tbody>")[1].split("</tbody>")[0].count("<tr>") == 10
    assert "PDC1&lt;b&gt; ~~ PDC2" in section and "40.00" in section and "CCA11" not in section
    assert "Saris, Satorra &amp; van der Veld 2009" in section and "3.84" in section


def test_none_available_says_why(tmp_path):
    section = _page(tmp_path, [], "not supported: modification indices with FIML")
    assert "Not computed: not supported: modification indices with FIML." in section
