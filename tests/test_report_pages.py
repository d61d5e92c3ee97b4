"""Report pages built from a small hand-made results tree (independent of the other stages).

``make_results(root)`` writes the tree; test_browser.py reuses it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from surveysem.report.pages import RESULT_FILES, Context, build_report
from surveysem.report.html import PAGES

XSS = "<script>alert(1)</script>"

CONFIG = {
    "study": {"title": "Test study <b>bold</b> & co", "survey_year": 2026, "seed": 1},
    "instrument": {"scales_dir": "scales"},
    "data": {"survey": "data/survey.csv", "missing": "fiml"},
}


def fake_instrument():
    scale = SimpleNamespace(id="agree7", label="7-point agreement", type="likert", min=1, max=7,
                            anchors={1: "Strongly disagree", 4: "Neither", 7: "Strongly agree"})

    def item(iid, cid, wording, reverse=False):
        return SimpleNamespace(id=iid, construct=cid, code="", wording=wording, reverse=reverse, expected=None, basis="")

    pdc = SimpleNamespace(id="PDC", label="Perceive demand " + XSS, kind="capability", process="sensing", response_scale=scale,
                          items=[item("PDC1", "PDC", "Wording one " + XSS), item("PDC2", "PDC", "Wording two"), item("PDC3", "PDC", "Hard to judge", True)])
    cca = SimpleNamespace(id="CCA", label="Cross-cultural awareness", kind="capability", process="sensing", response_scale=scale,
                          items=[item("CCA1", "CCA", "Aware A"), item("CCA2", "CCA", "Aware B"), item("CCA3", "CCA", "Aware C")])
    constructs = {"PDC": pdc, "CCA": cca}
    items = pdc.items + cca.items
    return SimpleNamespace(constructs=constructs, items=items, item_ids=[i.id for i in items])


# Values chosen to exercise the formatting rules; the expected strings are written by hand in the tests.
RELIABILITY = pd.DataFrame(
    {"scale": ["PDC", "CCA"], "n_items": [3, 3], "alpha": [0.8345, 0.6049], "alpha_ci_lower": [0.7712, 0.4511],
     "alpha_ci_upper": [0.8811, 0.7230], "omega": [0.8411, 0.6120], "cr": [0.8402, 0.6188], "ave": [0.6391, 0.3555]}
)


def make_results(root: Path, synthetic: bool = True, skip: tuple[str, ...] = ()) -> dict:
    """Write a complete small results tree under ``root``; return the Context kwargs."""
    root = Path(root)
    rng = np.random.default_rng(7)
    n = 42
    ids = [f"R_{i:03d}" for i in range(n)]
    validated = pd.DataFrame({"respondent_id": ids})
    for it in ["PDC1", "PDC2", "PDC3", "CCA1", "CCA2", "CCA3"]:
        validated[it] = rng.integers(1, 8, n).astype(float)
    validated.loc[[0, 5, 9], "PDC2"] = np.nan  # 3 missing of 42 (2 of them retained)
    validated.loc[[0], "CCA1"] = np.nan
    # respondents 40 and 41 excluded; row 0 keeps its missing PDC2, CCA1
    kept = ids[:40]
    analysis = validated[validated.respondent_id.isin(kept)].copy()
    files = {
        "ingest": json.dumps({"source_file": "data/survey.csv", "sha256": "ab" * 32, "format": "qualtrics", "n_rows_read": 42,
                              "dropped_pii_columns": ["IPAddress", "RecipientEmail"], "missing_method": "fiml", "synthetic": synthetic,
                              "invalid_rows": []}),
        "validated": validated,
        "analysis": analysis,
        "flow": pd.DataFrame({"step": ["eligibility", "attention check"], "n_before": [42, 41], "n_excluded": [1, 1], "n_after": [41, 40]}),
        "exclusions": pd.DataFrame({"respondent": ["R_040", "R_041"], "rule": ["eligibility: FSHARE >= 25", "attention: ATTN1 == 3"], "value": ["10", "5"]}),
        "firm_outcomes": pd.DataFrame({"respondent_id": kept, "spread": np.linspace(0.5, 2.5, 40), "diversification": np.arange(40) % 6 + 1,
                                       "intensity": np.linspace(0.25, 1.0, 40), "age": np.arange(40) % 10 + 3, "group": [1] * 20 + [2] * 12 + [3] * 8}),
        "table1_audit": pd.DataFrame({"bg": [1, 2], "spread_paper": [1.5, 0.8], "spread_recomputed": [1.5, 1.0], "agrees": [True, False]}),
        "reliability": RELIABILITY,
        "measurement_verdicts": pd.DataFrame({"scale": ["PDC", "CCA"], "verdict": ["pass", "fail"],
                                              "reasons": ["", "alpha .60 < .70; AVE .36 < .50"], "suggestions": ["", "consider removing CCA3 " + XSS]}),
        "item_stats": pd.DataFrame({"item": ["PDC1", "PDC2"], "mean": [4.1, 3.9], "sd": [1.8, 2.0], "r_drop": [0.61, 0.55]}),
        "kmo": pd.DataFrame({"item": ["overall", "PDC1"], "msa": [0.78, 0.81]}),
        "efa": json.dumps({"bartlett_chisq": 120.5, "bartlett_df": 15, "bartlett_p": 1e-9, "n_factors_parallel": 2}),
        "cfa_fit": json.dumps({"chisq": 12.3456, "df": 8, "pvalue": 0.1367, "cfi": 0.9612, "tli": 0.9273, "rmsea": 0.0561,
                               "rmsea_ci_lower": 0.0, "rmsea_ci_upper": 0.1234, "srmr": 0.0432, "aic": 1500.25, "bic": 1540.75, "npar": 13, "nobs": 40,
                               "warnings": ["Heywood case: CCA3 residual variance < 0"]}),
        "loadings": pd.DataFrame({"construct": ["PDC", "PDC", "CCA"], "item": ["PDC1", "PDC2", "CCA1"], "std_all": [0.8123, 0.4567, 1.0312],
                                  "se": [0.0512, 0.0801, 0.0333], "pvalue": [1e-6, 0.0321, 0.2]}),
        "fornell_larcker": pd.DataFrame({"construct": ["PDC", "CCA"], "PDC": [0.7994, 0.4321], "CCA": [0.4321, 0.5962]}),
        "htmt": pd.DataFrame({"construct_a": ["CCA"], "construct_b": ["PDC"], "htmt": [0.8765], "htmt_ci_lower": [0.7011], "htmt_ci_upper": [0.9912]}),
        "cmv": json.dumps({"harman_first_factor_share": 0.2871, "marker": {"r_m": 0.05}, "vif": [{"construct": "PDC", "vif": 1.42}]}),
        "invariance": pd.DataFrame({"model": ["configural", "metric"], "chisq": [30.1, 35.2], "df": [16, 20], "cfi": [0.97, 0.965], "delta_cfi": [np.nan, -0.005]}),
        "measurement_warnings": json.dumps({"warnings": ["zero variance: PDC9"], "synthetic": synthetic}),
        "scale_scores": pd.DataFrame({"respondent_id": kept, "PDC": analysis[["PDC1", "PDC2"]].mean(axis=1).to_numpy(),
                                      "CCA": analysis[["CCA1", "CCA2", "CCA3"]].mean(axis=1).to_numpy()}),
        "coefficients": pd.DataFrame({"proposition": ["P1", "P1", "P2"], "hypothesis": ["P1a", "P1b", "P2a"], "model": ["gamma_log"] * 2 + ["binomial"],
                                      "term": ["PDC", "SOE", "CCA"], "estimate": [0.3456, -0.1234, 0.0449], "se": [0.1, 0.2, 0.01],
                                      "ci_lower": [0.15, -0.52, 0.025], "ci_upper": [0.54, 0.27, 0.065], "p_one_sided": [0.0004, 0.73, 0.004], "p_holm": [0.0008, 0.73, 0.004]}),
        "verdicts": pd.DataFrame({"proposition": ["P1", "P1", "P1", "P2", "P2"], "hypothesis": ["P1", "P1a", "P1b", "P2", "P2a"],
                                  "verdict": ["partially supported", "supported", "not supported", "supported", "supported"]}),
        "verdicts_json": json.dumps({"rule": "sub-hypothesis supported when the sign is as predicted and Holm p < .05", "synthetic": synthetic}),
        "p4_models": json.dumps({"models": {"a": {"fit": {"chisq": 250.0, "df": 200, "pvalue": 0.009, "cfi": 0.95, "tli": 0.94, "rmsea": 0.041, "srmr": 0.05, "aic": 9000, "bic": 9100, "nobs": 40}}}, "warnings": []}),
        "p4_paths": pd.DataFrame({"model": ["a"] * 8,
                                  "lhs": ["sensing", "sensing", "seizing", "growth", "growth", "growth", "growth", "sensing"],
                                  "op": ["=~", "=~", "=~", "=~", "=~", "~", "~", "~~"],
                                  "rhs": ["PDC", "CCA", "SOE", "spread", "intensity", "sensing", "seizing", "seizing"],
                                  "est": [1, 0.9, 1, 1, 0.7, 0.31, 0.22, 0.4], "se": [np.nan, 0.1, np.nan, np.nan, 0.1, 0.1, 0.1, 0.1],
                                  "pvalue": [np.nan, 0.001, np.nan, np.nan, 0.0001, 0.002, 0.2, 0.01], "std_all": [0.81, 0.77, 0.9, 0.66, 0.55, 0.3456, 0.2, 0.45]}),
        "p4_bootstrap": pd.DataFrame({"effect": ["ind_sensing"], "est": [0.12], "ci_lower": [0.03], "ci_upper": [0.25], "n_failed": [0]}),
    }
    for key, content in files.items():
        if key in skip:
            continue
        path = root / RESULT_FILES[key]
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, pd.DataFrame):
            content.to_csv(path, index=False)
        else:
            path.write_text(content, encoding="utf-8")
    (root / "reports").mkdir(exist_ok=True)
    (root / "reports" / "codebook.html").write_text("<!DOCTYPE html><title>c</title>", encoding="utf-8")
    (root / "data").mkdir(exist_ok=True)
    (root / "data" / "survey.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    (root / "config").mkdir(exist_ok=True)
    (root / "config" / "config.yaml").write_text("study: {}\n", encoding="utf-8")
    return {"config": CONFIG, "instrument": fake_instrument(), "root": str(root), "config_path": "config/config.yaml",
            "env": {"SOURCE_DATE_EPOCH": "1700000000"}}


def build(root: Path, **kw) -> dict[str, str]:
    ctx = Context(**make_results(root, **kw))
    build_report(ctx, root / "reports", root / "results" / "tables")
    return {fname: (root / "reports" / fname).read_text(encoding="utf-8") for fname, _ in PAGES[:7]}


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    return build(tmp_path_factory.mktemp("rep"))


def _text(html: str) -> str:
    """Visible text: tags removed, entities kept (so escaped text stays recognisable)."""
    return re.sub(r"<[^>]+>", " ", html)


def test_all_pages_written_with_banner_and_nav(pages):
    for fname, html in pages.items():
        assert html.startswith("<!DOCTYPE html>"), fname
        assert 'id="synthetic-banner"' in html, fname
        for target, _ in PAGES:
            assert f'href="{target}"' in html


def test_escaping_of_config_and_instrument_text(pages):
    joined = "".join(pages.values())
    assert "<script" not in joined.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in pages["measurement.html"]  # label, wording, suggestion
    assert "Test study &lt;b&gt;bold&lt;/b&gt; &amp; co" in pages["index.html"]
    assert "<b>bold</b>" not in joined


def test_self_contained(pages):
    for fname, html in pages.items():
        assert not re.search(r"""(src|href)=["']?(https?:)?//""", html), fname
        assert "<link" not in html and "@import" not in html and "url(" not in html
        assert "Content-Security-Policy" in html
        assert "@media print" in html


def test_scale_table_apa_numbers(pages):
    html = pages["measurement.html"]
    # alpha .8345 -> .83 with CI [.77, .88]; AVE .3555 -> .36; omega .8411 -> .84; no leading zeros
    row = re.search(r"<tr><td class=\"text\">PDC</td>.*?</tr>", html).group(0)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row)
    assert cells[2:8] == ["3", ".83", "[.77, .88]", ".84", ".84", ".64"]
    row = re.search(r"<tr><td class=\"text\">CCA</td>.*?</tr>", html).group(0)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row)
    assert cells[3] == ".60" and cells[7] == ".36"
    assert "v-fail" in row and "alpha .60 &lt; .70" in row


def test_fit_loadings_and_p_values(pages):
    html = pages["measurement.html"]
    text = _text(html)
    assert re.search(r"CFI\s+\.961\s+≥ \.95", text)
    assert re.search(r"RMSEA 90% CI lower\s+\.000", text)
    assert re.search(r"χ²\s+12\.35", text)
    assert re.search(r"\bp\s+\.137", text)
    # loadings: 0.8123 with p 1e-6 -> 0.81***, p < .001; Heywood 1.0312 keeps leading digit
    assert re.search(r"PDC1\s+0\.81\*\*\*\s+0\.05\s+&lt; \.001", text)
    assert re.search(r"PDC2\s+0\.46\*\s+0\.08\s+\.032", text)
    assert re.search(r"CCA1\s+1\.03\s+0\.03\s+\.200", text)
    assert "Heywood case" in text


def test_fornell_larcker_lower_triangle(pages):
    text = _text(pages["measurement.html"])
    assert re.search(r"CCA\s+\.43\s+\.60", text)


def test_missingness_hand_computed(pages):
    # retained 40 respondents: PDC2 missing in rows 0, 5, 9 -> 3/40 = 7.5%; PDC mean over 3 items = 2.5%
    # CCA1 missing in row 0 -> 2.5%; CCA mean = 0.8%; respondents with any missing: rows 0, 5, 9 -> 3 of 40 (7.5%)
    text = _text(pages["data.html"])
    assert re.search(r"PDC\s+Perceive demand &lt;script&gt;alert\(1\)&lt;/script&gt;\s+3\s+2\.5%\s+7\.5%\s+PDC2", text)
    assert re.search(r"CCA\s+Cross-cultural awareness\s+3\s+0\.8%\s+2\.5%\s+CCA1", text)
    assert "3 of 40 (7.5%)" in text


def test_outcome_descriptives_hand_computed(pages):
    text = _text(pages["outcomes.html"])
    # spread = linspace(.5, 2.5, 40): mean 1.50, median 1.50, SD (n-1) = 2/39 * sqrt(40*41/12) = 0.5995 -> 0.60
    assert re.search(r"spread\s+40\s+1\.50\s+0\.60\s+1\.50\s+0\.50\s+2\.50", text)
    assert re.search(r"\b1\s+low-tech, standardised products: spread\s+20\s+50\.0%", text)
    assert "agrees: 1 of 2 rows." in text


def test_propositions_verdicts_and_coefficients(pages):
    html = pages["propositions.html"]
    text = _text(html)
    assert 'id="verdict-dashboard"' in html
    assert "1 of 2 sub-hypotheses supported" in text
    assert re.search(r"PDC\s+0\.35\*\*\*\s+0\.10\s+\[0\.15, 0\.54\]\s+&lt; \.001\s+&lt; \.001", text)
    assert re.search(r"SOE\s+\u22120\.12\s+0\.20\s+\[\u22120\.52, 0\.27\]\s+\.730\s+\.730", text)
    assert "<svg" in html and 'id="forest-p1"' in html
    # P3 has no rows: not computed, no invented numbers
    p3 = re.search(r'<section id="p3">.*?</section>', html).group(0)
    assert "not computed" in p3 and not re.search(r"\d\.\d", _text(p3).replace("P3", ""))
    assert "Holm p &lt; .05" in html


def test_index_dashboard_and_links(pages):
    html = pages["index.html"]
    text = _text(html)
    assert "40 firms retained for analysis" in text
    assert re.search(r"pass\s+1.*?warn\s+0.*?fail\s+1", text)
    assert 'href="codebook.html"' in html
    assert re.search(r"Questionnaire – not computed", text)


def test_p4_page(pages):
    html = pages["p4.html"]
    text = _text(html)
    assert 'id="path-diagram-a"' in html
    assert "0.35**" in html  # growth ~ sensing std .3456, p .002
    assert "CFI = .950" in text and "N = 40" in text
    assert re.search(r"\ba\s+250\.00\s+200\s+\.009\s+\.950", text)


def test_tables_written_as_csv(tmp_path):
    build(tmp_path)
    tables = sorted(p.name for p in (tmp_path / "results" / "tables").glob("*.csv"))
    assert "measurement_scales.csv" in tables and "propositions_p1-coefficients.csv" in tables
    scales = pd.read_csv(tmp_path / "results" / "tables" / "measurement_scales.csv", dtype=str, keep_default_na=False)
    assert list(scales.columns[:5]) == ["Scale", "Label", "k", "α", "95% CI"]
    assert scales.loc[0, "α"] == ".83" and scales.loc[1, "Verdict"] == "fail"
    coef = pd.read_csv(tmp_path / "results" / "tables" / "propositions_p1-coefficients.csv", dtype=str)
    assert coef.loc[1, "b"] == "-0.12"  # ASCII minus in the CSV copy


def test_reruns_are_byte_identical(tmp_path):
    first = build(tmp_path / "a")
    second = build(tmp_path / "a")
    assert first == second
    assert "2023-11-14" in first["provenance.html"]  # SOURCE_DATE_EPOCH 1700000000
    csv_a = {p.name: p.read_bytes() for p in (tmp_path / "a" / "results" / "tables").glob("*.csv")}
    assert csv_a


def test_missing_inputs_say_not_computed_and_print_no_number(tmp_path):
    pages = build(tmp_path, skip=("reliability", "measurement_verdicts", "cfa_fit", "coefficients", "verdicts", "ingest", "p4_paths", "p4_models"))
    meas = pages["measurement.html"]
    for sid in ("scales", "cfa-fit"):
        sec = re.search(rf'<section id="{sid}">.*?</section>', meas).group(0)
        assert "not computed" in sec
        assert not re.search(r"\d", _text(sec).split(":")[0] + re.sub(r"results/\S+", "", _text(sec)).replace("CFA", ""))
    assert "Data source unknown" in pages["index.html"]
    p4 = pages["p4.html"]
    assert re.search(r'<section id="path-diagram">.*?not computed.*?</section>', p4)
    assert "<svg" not in p4


def test_real_data_has_no_synthetic_banner(tmp_path):
    pages = build(tmp_path, synthetic=False)
    assert all('id="synthetic-banner"' not in html for html in pages.values())
