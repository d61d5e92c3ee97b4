"""APA number formatting and table markup (expected strings written by hand from APA 7 rules)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from surveysem.report.html import Safe, esc, page, tag, verdict_badge
from surveysem.report.tables import (
    MINUS,
    Table,
    fmt_bounded,
    fmt_ci,
    fmt_int,
    fmt_num,
    fmt_p,
    fmt_percent,
    formatter_for,
    frame_table,
    stars,
)


@pytest.mark.parametrize(
    "p, expected",
    [(0.0321, ".032"), (0.0004, "< .001"), (0.001, ".001"), (0.00099, "< .001"), (0.05, ".050"), (0.99999, "1.000"),
     (1.0, "1.000"), (0.0, "< .001"), (None, "\u2014"), (float("nan"), "\u2014"), ("0.5", ".500")],
)
def test_fmt_p(p, expected):
    assert fmt_p(p) == expected


@pytest.mark.parametrize(
    "x, expected",
    [(0.456, "0.46"), (-1.2, MINUS + "1.20"), (12.3456, "12.35"), (-0.001, "0.00"), (0.0, "0.00"), (np.float64(2.005), "2.00"),
     (None, "\u2014"), (np.nan, "\u2014"), (math.inf, "\u2014")],
)
def test_fmt_num(x, expected):
    assert fmt_num(x) == expected


@pytest.mark.parametrize(
    "x, expected",
    [(0.8345, ".83"), (-0.304, MINUS + ".30"), (1.0, "1.00"), (0.004, ".00"), (-0.004, ".00"), (0.9996, "1.00")],
)
def test_fmt_bounded_has_no_leading_zero(x, expected):
    assert fmt_bounded(x) == expected


def test_other_formats():
    assert fmt_bounded(0.0561, 3) == ".056"
    assert fmt_int(41.0) == "41" and fmt_int(-3) == MINUS + "3"
    assert fmt_percent(0.075) == "7.5%"
    assert fmt_ci(0.1234, 0.5678) == "[0.12, 0.57]"
    assert fmt_ci(-0.3, 0.2, bounded=True) == f"[{MINUS}.30, .20]"
    assert fmt_ci(None, 0.2) == "\u2014"
    assert [stars(p) for p in (0.0009, 0.001, 0.0099, 0.01, 0.049, 0.05, None)] == ["***", "**", "**", "*", "*", "", ""]


def test_formatter_for_column_names():
    assert formatter_for("pvalue") is fmt_p and formatter_for("p_holm") is fmt_p and formatter_for("bartlett_p") is fmt_p
    assert formatter_for("cfi")(0.9534) == ".953" and formatter_for("delta_rmsea")(-0.0041) == "\u2212.004"
    assert formatter_for("alpha") is fmt_bounded
    assert formatter_for("estimate") is fmt_num and formatter_for("htmt") is fmt_num  # HTMT can exceed 1
    assert formatter_for("n")(12.0) == "12"


def test_table_html_and_csv_copy():
    frame = pd.DataFrame({"term": ["PDC <x>", "SOE"], "estimate": [0.3456, -0.1234], "pvalue": [0.0004, 0.73], "n": [40, 40]})
    table = frame_table(frame, "Coefficients & more", note="* p < .05.", number=3)
    html = table.to_html()
    assert "<caption><span class=\"tnum\">Table 3</span><span class=\"ttitle\">Coefficients &amp; more</span></caption>" in html
    assert '<td class="text">PDC &lt;x&gt;</td><td>0.35</td><td>&lt; .001</td><td>40</td>' in html
    assert f"<td>{MINUS}0.12</td><td>.730</td>" in html
    assert "<tfoot>" in html and "<em>Note.</em>" in html and 'colspan="4"' in html
    assert [c for c in table.columns] == ["Term", "Estimate", "p", "n"]
    csv = table.to_csv_frame()
    assert csv.to_dict(orient="list") == {"Term": ["PDC <x>", "SOE"], "Estimate": ["0.35", "-0.12"], "p": ["< .001", ".730"], "n": ["40", "40"]}


def test_badges_in_csv_copy_are_plain_text():
    table = Table("t", ["Scale", "Verdict"], [["PDC", verdict_badge("pass")]])
    assert table.to_csv_frame().iloc[0].tolist() == ["PDC", "pass"]


def test_escaping_primitives():
    assert esc("<script>alert(1)</script>") == "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert esc('a "b" & \'c\'') == "a &quot;b&quot; &amp; &#x27;c&#x27;"
    assert esc(Safe("<b>")) == "<b>"
    assert tag("p", "<i>", title='x"y') == '<p title="x&quot;y">&lt;i&gt;</p>'
    assert tag("td", "a", class_="text", colspan=None) == '<td class="text">a</td>'


def test_page_frame_escapes_title_and_has_no_scripts():
    html = page("<script>alert(1)</script>", "body <script>", current="index.html", study_title="S & T", synthetic=True, date="2024-01-02")
    assert "<script" not in html
    assert html.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 2  # <title>, <h1>, footer
    assert 'id="synthetic-banner"' in html and "2024-01-02" in html
    assert 'aria-current="page"' in html
    assert "synthetic-banner" not in page("t", "b", current="index.html", synthetic=False)
