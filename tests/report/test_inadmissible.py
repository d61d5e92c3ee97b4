"""Values outside their admissible range (Heywood cases, improper solutions) are marked in every
report table that shows them, and the table's note says what the mark means."""

import json
import re

import pandas as pd
import pytest

from surveysem.report.pages import Context, build_report
from surveysem.report.tables import (
    INADMISSIBLE_NOTE, Table, fmt_correlation, fmt_r2, fmt_standardized, fmt_variance, with_inadmissible_note
)
from surveysem.stage_files import path as stage_path
from tests.report.results_tree import make_results


@pytest.mark.parametrize("fmt,value,text", [
    (fmt_r2, 0.45, ".45"), (fmt_r2, 1.0, "1.00"), (fmt_r2, 1.0234, "1.02 \u2020"), (fmt_r2, -0.01, "\u2212.01 \u2020"),
    (fmt_standardized, 0.85, "0.85"), (fmt_standardized, -1.0, "\u22121.00"), (fmt_standardized, 1.0412, "1.04 \u2020"),
    (fmt_correlation, 0.62, ".62"), (fmt_correlation, -1.03, "\u22121.03 \u2020"),
    (fmt_variance, 0.31, "0.31"), (fmt_variance, 0.0, "0.00"), (fmt_variance, -0.05, "\u22120.05 \u2020"),
    (fmt_r2, None, "\u2014"), (fmt_standardized, float("nan"), "\u2014"),
])
def test_range_aware_formatters(fmt, value, text):
    assert fmt(value) == text


def test_rounding_noise_is_not_flagged():
    assert fmt_correlation(1 + 1e-12) == "1.00" and fmt_r2(-1e-12) == ".00"


def test_table_note_explains_the_mark_once():
    table = Table("t", ["a", "b"], [["x", fmt_r2(1.2)], ["y", fmt_r2(0.3)]], note="Some note.")
    assert table.full_note == "Some note. " + INADMISSIBLE_NOTE
    assert str(table.to_html()).count("\u2020 outside its admissible range") == 1
    assert Table("t", ["a"], [[fmt_r2(0.3)]], note="n").full_note == "n"
    assert with_inadmissible_note(table.full_note, ["1.20 \u2020"]) == table.full_note  # not twice


def _rewrite_json(root, key, edit):
    path = root / stage_path(key)
    content = json.loads(path.read_text(encoding="utf-8"))
    edit(content)
    path.write_text(json.dumps(content), encoding="utf-8")


def _rewrite_csv(root, key, edit):
    path = root / stage_path(key)
    frame = pd.read_csv(path)
    edit(frame)
    frame.to_csv(path, index=False)


@pytest.fixture(scope="module")
def improper(tmp_path_factory):
    """The results tree with a Heywood case in every table the report has for one: a standardized
    loading of 1.03 (already in the tree), a latent correlation of 1.04, a communality of 1.02, a
    negative R², an AVE above 1, an R² of growth of 1.07 and a latent R² of 1.21."""
    root = tmp_path_factory.mktemp("improper")
    kw = make_results(root)
    _rewrite_csv(root, "fornell_larcker", lambda f: f.__setitem__("PDC", [0.7994, 1.0412]))
    _rewrite_csv(root, "validity", lambda f: f.__setitem__("ave", [0.6391, 1.0555]))
    _rewrite_json(root, "efa", lambda c: c["efa"]["communalities"].__setitem__("CCA1", 1.0234))
    _rewrite_json(root, "cmv", lambda c: c["full_collinearity"]["table"][0].__setitem__("r_squared", -0.0123))
    _rewrite_json(root, "p4_models", lambda c: c["models"]["a"].update(r2_growth=1.0712, r_squared={"growth": 1.0712}))
    _rewrite_csv(root, "latent_fits", lambda f: f.__setitem__("r2_latent", [1.2101] * len(f)))
    build_report(Context(**kw), root / "reports", root / "results" / "tables")
    return root


def _table(html: str, table_id: str) -> str:
    return re.search(rf'<table class="apa" id="{table_id}">.*?</table>', html, re.S).group(0)


def _page(root, name: str) -> str:
    return (root / "reports" / name).read_text(encoding="utf-8")


@pytest.mark.parametrize("page,table_id,marked", [
    ("measurement.html", "table-loadings", "1.03 \u2020"),            # λ of CCA3
    ("measurement.html", "table-scales", "1.03 \u2020"),              # min λ of CCA
    ("measurement.html", "table-fornell-larcker", "1.04 \u2020"),     # latent correlation
    ("measurement.html", "table-efa-loadings", "1.02 \u2020"),        # communality h²
    ("measurement.html", "table-cmv-vif", "\u2212.01 \u2020"),        # R² of a scale score
    ("p4.html", "table-model-comparison", "1.07 \u2020"),             # R² of growth
])
def test_heywood_values_are_marked_with_the_note(improper, page, table_id, marked):
    table = _table(_page(improper, page), table_id)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", re.search(r"<tbody>.*?</tbody>", table, re.S).group(0))
    assert marked in [re.sub(r"<[^>]+>", "", c).replace("***", "").replace("**", "").rstrip("*") for c in cells]
    assert table.count("\u2020 outside its admissible range") == 1


def test_ave_above_one_is_marked_in_the_scale_table(improper):
    assert ">1.06 \u2020<" in _table(_page(improper, "measurement.html"), "table-scales")


def test_latent_r2_in_a_note_is_marked_and_explained(improper):
    html = _page(improper, "propositions.html")
    assert "latent R² = 1.210 \u2020" in html
    note = re.search(r"latent R² = 1\.210 \u2020.*?</td>", html, re.S).group(0)
    assert "\u2020 outside its admissible range" in note


def test_csv_copy_and_manifest_keep_the_mark(improper):
    manifest = json.loads((improper / "results" / "tables" / "tables.json").read_text(encoding="utf-8"))
    notes = [t["note"] for t in manifest["tables"] if "admissible range" in t["note"]]
    assert notes
    loadings = next(p for p in (improper / "results" / "tables").glob("measurement_*loadings*.csv") if "efa" not in p.name)
    assert "1.03 \u2020" in loadings.read_text(encoding="utf-8")


def test_path_diagram_marks_loadings_and_correlations_beyond_one_not_regressions():
    from surveysem.report.pathdiagram import path_diagram

    est = pd.DataFrame([("sensing", "=~", "PDC", 1.04, None), ("sensing", "=~", "CCA", 0.8, None),
                        ("PDC", "=~", "PDC1", 0.8, None), ("CCA", "=~", "CCA1", 0.8, None),  # capabilities as factors
                        ("growth", "=~", "spread", 0.7, None), ("growth", "~", "sensing", 1.2, 0.01),
                        ("sensing", "~~", "sensing", 1.0, None)], columns=["lhs", "op", "rhs", "std_all", "pvalue"])
    svg = path_diagram(est, "t", r2={"growth": 1.05})
    assert "1.04 \u2020" in svg and ">1.20*<" in svg and "R² = 1.05 \u2020" in svg


def test_p4_path_diagram_caption_explains_the_mark(improper):
    html = _page(improper, "p4.html")
    figures = re.findall(r"<figure id=\"path-diagram-[^\"]*\">.*?</figure>", html, re.S)
    assert figures and all(("\u2020" in f) == ("admissible range" in f) for f in figures)
    assert any("R² = 1.07 \u2020" in f for f in figures)  # r_squared of growth 1.0712 in model a
