"""SVG figures: geometry checked against hand computations, well-formed XML, deterministic output."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest

from surveysem.report.figures import diverging_palette, forest_plot, heatmap, likert_bars, response_shares
from surveysem.report.pathdiagram import fit_caption, path_diagram, structure

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def test_likert_geometry_matches_hand_computation():
    values = pd.Series([1, 1, 2, 4, 7, 7, 7, 7, np.nan])
    shares, n = response_shares(values, 1, 7)
    assert n == 8
    np.testing.assert_allclose(shares, [0.25, 0.125, 0, 0.125, 0, 0, 0.5])
    svg = likert_bars([("X1", "An item <b>", values)], 1, 7, {1: "Strongly disagree", 7: "Strongly agree"}, title="t")
    root = parse(svg)
    rects = [r for r in root.iter(f"{SVG}rect") if r.get("data-cat")]
    widths = {r.get("data-cat"): float(r.get("width")) for r in rects}
    # half the plot (210 px) is 100 %: 25 % -> 52.5 px etc.; empty categories are not drawn
    assert widths == pytest.approx({"1": 52.5, "2": 26.25, "4": 26.25, "7": 105.0}, abs=0.01)
    # the neutral category is centred on the zero line: it starts 13.125 px (half of 26.25) left of zero
    zero = [ln for ln in root.iter(f"{SVG}line") if ln.get("stroke") == "#1a1a1a"][0]
    x0 = float(zero.get("x1"))
    cat4 = [r for r in rects if r.get("data-cat") == "4"][0]
    assert float(cat4.get("x")) == pytest.approx(x0 - 13.125, abs=0.01)
    cat1 = [r for r in rects if r.get("data-cat") == "1"][0]
    assert float(cat1.get("x")) == pytest.approx(x0 - 0.4375 * 210, abs=0.01)
    assert "An item &lt;b&gt;" in svg and "n = 8" in svg


def test_palette_is_diverging_and_symmetric_in_length():
    pal = diverging_palette(7)
    assert len(pal) == 7 and pal[3] == "#dcdcdc" and len(set(pal)) == 7
    assert diverging_palette(5)[2] == "#dcdcdc"


def test_heatmap_cells_and_escaping():
    m = pd.DataFrame([[1.0, 0.456, -0.7], [0.456, 1.0, np.nan], [-0.7, np.nan, 1.0]], columns=["A<", "B", "C"], index=["A<", "B", "C"])
    svg = heatmap(m, "Heat")
    root = parse(svg)
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert ".46" in texts and "\u2212.70" in texts and "1.00" in texts and "\u2014" in texts
    assert "0.46" not in texts  # no leading zero for correlations
    assert "A&lt;" in svg
    # lower triangle only: 6 cells (3 diagonal + 3 below), each with a rect and text
    cells = [r for r in root.iter(f"{SVG}rect") if r.get("stroke") == "#fff"]
    assert len(cells) == 6


def test_forest_plot_positions_are_linear_in_the_estimate():
    rows = [{"label": "a", "est": 0.0, "lo": -1.0, "hi": 1.0}, {"label": "b", "est": 2.0, "lo": 1.0, "hi": 3.0, "mark": "**"},
            {"label": "c", "est": None, "lo": None, "hi": None}]
    svg = forest_plot(rows, "F")
    root = parse(svg)
    cx = [float(c.get("cx")) for c in root.iter(f"{SVG}circle")]
    assert len(cx) == 2
    # axis spans [-1 - pad, 3 + pad] with pad = 4 * .06 over 360 px; est 0 and 2 are 2 units apart
    px_per_unit = 360 / (4 * 1.12)
    assert cx[1] - cx[0] == pytest.approx(2 * px_per_unit, abs=0.02)
    assert "2.00** [1.00, 3.00]" in svg and "not computed" in svg


P4_EST = pd.DataFrame(
    [
        ("sensing", "=~", "PDC", 0.81, None), ("sensing", "=~", "CCA", 0.77, 0.001), ("seizing", "=~", "SOE", 0.9, None),
        ("seizing", "=~", "ECP", 0.6, 0.03), ("reconfiguring", "=~", "CUS", 0.7, None),
        ("PDC", "=~", "PDC1", 0.8, None), ("PDC", "=~", "PDC2", 0.7, 0.0001), ("CCA", "=~", "CCA1", 0.8, None),
        ("SOE", "=~", "SOE1", 0.8, None), ("ECP", "=~", "ECP1", 0.8, None), ("CUS", "=~", "CUS1", 0.8, None),
        ("growth", "=~", "spread", 0.66, None), ("growth", "=~", "diversification", 0.5, 0.002), ("growth", "=~", "intensity", 0.55, 0.0001),
        ("growth", "~", "sensing", 0.3456, 0.002), ("growth", "~", "seizing", 0.2, 0.2), ("growth", "~", "reconfiguring", -0.15, 0.04),
        ("sensing", "~~", "seizing", 0.45, 0.01), ("sensing", "~~", "sensing", 1.0, None),
    ],
    columns=["lhs", "op", "rhs", "std_all", "pvalue"],
)


def test_path_diagram_structure_and_labels():
    s = structure(P4_EST)
    assert s["second"] == ["sensing", "seizing", "reconfiguring"]
    assert s["first"] == ["PDC", "CCA", "SOE", "ECP", "CUS"]
    assert s["outcomes"] == ["growth"]
    svg = path_diagram(P4_EST, "P4 <model>")
    root = parse(svg)
    texts = [t.text for t in root.iter(f"{SVG}text")]
    for label in ("0.35**", "0.20", "\u22120.15*", "0.45*", "0.77**", "0.55***", "0.81"):
        assert label in texts, label
    assert "PDC1" not in texts  # item indicators omitted
    ellipses = root.findall(f"{SVG}ellipse")
    assert len(ellipses) == 5 + 3 + 1
    # arrowheads: 5 second-order loadings + 3 growth indicators + 3 paths + 2 for the covariance
    assert len(root.findall(f"{SVG}polygon")) == 5 + 3 + 3 + 2
    assert "P4 &lt;model&gt;" in svg


def test_fit_caption():
    fit = {"chisq": 250.0, "df": 200, "pvalue": 0.0004, "cfi": 0.9512, "tli": 0.94, "rmsea": 0.041, "rmsea_ci_lower": 0.03,
           "rmsea_ci_upper": 0.052, "srmr": 0.05, "nobs": 300}
    assert fit_caption(fit) == ("\u03c7\u00b2(200) = 250.00, p < .001; CFI = .951; TLI = .940; RMSEA = .041 [90% CI .030, .052]; "
                                "SRMR = .050; N = 300.")
    assert fit_caption(None) == "Fit indices: not computed."


def test_figures_are_deterministic():
    values = pd.Series(np.random.default_rng(1).integers(1, 8, 50))
    a = likert_bars([("X1", "w", values)], 1, 7) + heatmap(pd.DataFrame(np.eye(3))) + path_diagram(P4_EST)
    b = likert_bars([("X1", "w", values)], 1, 7) + heatmap(pd.DataFrame(np.eye(3))) + path_diagram(P4_EST)
    assert a == b
    assert not re.search(r"\d\.\d{3,}", a)  # coordinates rounded to 2 decimals


def test_histogram_counts_match_numpy():
    from surveysem.report.figures import histogram

    x = [1, 2, 2, 3, 3, 3, 7]
    root = parse(histogram(x, "h", integer=True))
    counts = {float(r.get("x")): int(r.get("data-count")) for r in root.iter(f"{SVG}rect") if r.get("data-count")}
    assert sorted(counts.values()) == [1, 1, 2, 3]  # 1, 2, 3 and 7 (integer bins)
    y = np.random.default_rng(2).normal(size=100)
    root = parse(histogram(y.tolist(), "h"))
    got = [int(r.get("data-count")) for r in root.iter(f"{SVG}rect") if r.get("data-count")]
    expected = np.histogram(y, bins=np.linspace(y.min(), y.max(), 9))[0]  # Sturges: ceil(log2(100) + 1) = 8 bins
    assert got == [int(c) for c in expected if c]
    assert "no values" in histogram([], "h")
