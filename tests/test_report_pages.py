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
    {"construct": ["PDC", "CCA"], "k": [3, 3], "n": [40, 39], "alpha": [0.8345, 0.6049], "alpha_ci_lower": [0.7712, 0.4511],
     "alpha_ci_upper": [0.8811, 0.7230], "omega": [0.8411, 0.6120]}
)
VALIDITY = pd.DataFrame({"construct": ["PDC", "CCA"], "k": [3, 3], "cr": [0.8402, 0.6188], "ave": [0.6391, 0.3555],
                         "sqrt_ave": [0.7994, 0.5962], "fornell_larcker_pass": [True, False]})


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
        "validity": VALIDITY,
        "measurement_verdicts": pd.DataFrame({"construct": ["PDC", "CCA"], "verdict": ["pass", "fail"], "alpha": [0.8345, 0.6049],
                                              "max_htmt": [0.8765, 0.8765], "min_loading": [0.4567, 1.0312], "fornell_larcker": [True, False],
                                              "reasons": ["", "alpha .60 < .70; AVE .36 < .50"], "suggestions": ["", "consider removing CCA3 " + XSS]}),
        "item_stats": pd.DataFrame({"construct": ["PDC", "PDC"], "item": ["PDC1", "PDC2"], "n": [40, 37], "share_missing": [0.0, 0.075],
                                    "mean": [4.1, 3.9], "sd": [1.8, 2.0], "r_drop": [0.61, 0.55], "alpha_if_deleted": [0.71, 0.8812]}),
        "kmo": pd.DataFrame({"item": ["(overall)", "PDC1"], "msa": [0.78, 0.81]}),
        "efa": json.dumps({"bartlett": {"chisq": 120.5, "df": 15, "p_value": 1e-9, "n": 40}, "kmo": {"overall": 0.7812, "items": {"PDC1": 0.81, "PDC2": 0.55}},
                           "parallel": {"n_factors": 2, "n_components": 1, "n_iter": 20, "quantile": 0.95, "seed": 5,
                                        "pc_values": [2.5, 1.2, 0.9, 0.6, 0.5, 0.3], "pc_sim_quantile": [1.6, 1.3, 1.1, 0.9, 0.7, 0.5]},
                           "efa": {"method": "minres", "rotation": "oblimin", "n_factors": 2,
                                   "loadings": {"PDC1": {"F1": 0.7123, "F2": 0.1}, "CCA1": {"F1": -0.3456, "F2": 0.6543}},
                                   "communalities": {"PDC1": 0.52, "CCA1": 0.55}},
                           "item_pool": "capability items", "n": 40, "warnings": []}),
        "cfa_fit": json.dumps({"fit": {"chisq": 12.3456, "df": 8, "pvalue": 0.1367, "cfi": 0.9612, "tli": 0.9273, "rmsea": 0.0561,
                                       "rmsea_ci_lower": 0.0, "rmsea_ci_upper": 0.1234, "srmr": 0.0432, "aic": 1500.25, "bic": 1540.75, "npar": 13, "nobs": 40},
                               "estimator": "ML", "missing_note": "FIML", "converged": True, "syntax": "PDC =~ PDC1 + PDC2",
                               "warnings": ["Heywood case: CCA3 residual variance < 0"]}),
        "loadings": pd.DataFrame({"construct": ["PDC", "PDC", "CCA"], "item": ["PDC1", "PDC2", "CCA1"], "est": [1.0, 0.87, 1.0],
                                  "se": [0.0, 0.1, 0.0], "pvalue": [np.nan, 0.001, np.nan], "std_all": [0.8123, 0.4567, 1.0312],
                                  "std_se": [0.0512, 0.0801, 0.0333], "std_pvalue": [1e-6, 0.0321, 0.2]}),
        "fornell_larcker": pd.DataFrame({"construct": ["PDC", "CCA"], "PDC": [0.7994, 0.4321], "CCA": [0.4321, 0.5962]}),
        "htmt": pd.DataFrame({"a": ["PDC"], "b": ["CCA"], "n": [38], "htmt": [0.8765], "htmt_lower": [0.7011], "htmt_upper": [1.0512],
                              "htmt2": [0.8512], "htmt2_lower": [0.69], "htmt2_upper": [0.98], "B": [20], "B_valid": [20]}),
        "htmt_json": json.dumps({"B": 20, "ci": "percentile bootstrap, 95%", "missing": "listwise", "n": 38, "seed": 3, "warnings": []}),
        "cmv": json.dumps({"harman": {"first_component_share": 0.2871, "first_factor_share": 0.2345, "first_factor_method": "ml"},
                           "marker": {"marker": "MARKER", "r_m": 0.051, "r_m_from": "smallest", "n_pairs": 1, "n_significance_lost": 1,
                                      "table": [{"a": "PDC", "b": "CCA", "r": 0.31, "p": 0.04, "r_adj": 0.2729, "p_adj": 0.09, "significant": True, "significant_adj": False}]},
                           "full_collinearity": {"threshold": 3.3, "scores": "scale means", "table": [{"construct": "PDC", "r_squared": 0.2958, "vif": 1.42, "above_threshold": False}]},
                           "common_latent_factor": {"delta_chisq": 20.5, "delta_df": 6, "delta_p": 0.0023, "delta_cfi": 0.0123, "method_variance_share": 0.081, "converged": True},
                           "warnings": []}),
        "invariance": pd.DataFrame({"model": ["configural", "metric"], "chisq": [30.1, 35.2], "df": [16, 20], "cfi": [0.97, 0.965], "delta_cfi": [np.nan, -0.005]}),
        "invariance_json": json.dumps({"group": "group", "group_sizes": {"1.0": 20, "2.0": 20}, "estimator": "ML", "warnings": ["group 3 dropped (n = 0)"]}),
        "measurement_warnings": json.dumps({"warnings": ["zero variance: PDC9"], "synthetic": synthetic}),
        "scale_scores": pd.DataFrame({"respondent_id": kept, "PDC": analysis[["PDC1", "PDC2"]].mean(axis=1).to_numpy(),
                                      "CCA": analysis[["CCA1", "CCA2", "CCA3"]].mean(axis=1).to_numpy()}),
        "coefficients": pd.DataFrame({"proposition": ["P1"] * 3 + ["P2"] * 2, "model": ["P1:gamma_log:main"] * 3 + ["P2:binomial:main"] * 2,
                                      "family": ["gamma_log"] * 3 + ["binomial"] * 2, "outcome": ["spread"] * 3 + ["diversification"] * 2,
                                      "term": ["Intercept", "PDC", "SOE", "Intercept", "CCA"], "role": ["intercept", "capability", "capability", "intercept", "capability"],
                                      "est": [0.0123, 0.3456, -0.1234, -1.1, 0.0449], "se": [0.05, 0.1, 0.2, 0.1, 0.01], "se_type": ["HC1"] * 5,
                                      "p_two_sided": [0.8, 0.0008, 0.54, 1e-8, 0.008], "ci_lower": [-0.09, 0.15, -0.52, -1.3, 0.025],
                                      "ci_upper": [0.11, 0.54, 0.27, -0.9, 0.065], "exp_est": [1.0124, 1.4128, 0.8839, 0.333, 1.0459],
                                      "ame": [np.nan, 0.4012, -0.1301, np.nan, 0.1834], "n": [40] * 5}),
        "fits": pd.DataFrame({"proposition": ["P1", "P2"], "model": ["P1:gamma_log:main", "P2:binomial:main"], "family": ["gamma_log", "binomial"],
                              "primary": [True, True], "n": [40, 40], "r2_kind": ["deviance pseudo-R2"] * 2, "r2": [0.2346, 0.1],
                              "r2_mcfadden": [np.nan, 0.05], "wald_terms": ["PDC SOE", "CCA"], "wald_chi2": [12.345, 7.1], "wald_df": [2, 1],
                              "wald_p": [0.0021, 0.0077], "f2_capabilities": [0.1234, 0.05], "aic": [100.5, 90.25], "converged": [True, True]}),
        "subhypotheses": pd.DataFrame({"proposition": ["P1", "P1", "P2", "P1"], "id": ["P1a", "P1b", "P2a", "P1a"], "term": ["PDC", "SOE", "CCA", "PDC"],
                                       "expected": ["+", "+", "+", "+"], "family": ["gamma_log", "gamma_log", "binomial", "ols_log"],
                                       "family_used": ["gamma_log", "gamma_log", "quasibinomial", "ols_log"], "primary": [True, True, True, False],
                                       "est": [0.3456, -0.1234, 0.0449, 0.30], "se": [0.1, 0.2, 0.01, 0.1], "ci_lower": [0.15, -0.52, 0.025, 0.1],
                                       "ci_upper": [0.54, 0.27, 0.065, 0.5], "p_one_sided": [0.0004, 0.73, 0.004, 0.002],
                                       "p_adjusted": [0.0008, 0.73, 0.004, 0.004], "verdict": ["supported", "not supported", "supported", "supported"]}),
        "vif": pd.DataFrame({"proposition": ["P1", "P1", "P1"], "family": ["gamma_log"] * 3, "term": ["Intercept", "PDC", "SOE"], "vif": [1.0, 1.234, 2.5]}),
        "verdicts": pd.DataFrame({"proposition": ["P1", "P1", "P1", "P2", "P2", "P4", "P4"], "level": ["proposition", "sub-hypothesis", "sub-hypothesis", "proposition", "sub-hypothesis", "proposition", "sub-hypothesis"],
                                  "id": ["P1", "P1a", "P1b", "P2", "P2a", "P4", "P4a"], "term": ["PDC SOE", "PDC", "SOE", "CCA", "CCA", "sensing seizing", "sensing"],
                                  "expected": ["", "+", "+", "", "+", "", "+"], "statistic": ["Spread is accelerated by PDC and SOE " + XSS, "", "", "", "", "", "growth~sensing"],
                                  "est": [np.nan, 0.3456, -0.1234, np.nan, 0.0449, np.nan, 0.31], "ci_lower": [np.nan, 0.15, -0.52, np.nan, 0.025, np.nan, 0.03],
                                  "ci_upper": [np.nan, 0.54, 0.27, np.nan, 0.065, np.nan, 0.6], "evidence": ["1 of 2", "", "", "", "", "", "bootstrap percentile CI (B = 100, 99 converged)"],
                                  "verdict": ["partially supported", "supported", "not supported", "supported", "supported", "supported", "supported"]}),
        "verdicts_json": json.dumps({"rule": "sub-hypothesis supported when the sign is as predicted and Holm p < .05", "synthetic": synthetic}),
        "typology_csv": pd.DataFrame({"proposition": ["P1"], "target_group": [1], "capability": ["PDC"], "term": ["PDC:g1"], "est": [0.21], "se": [0.1],
                                      "ci_lower": [0.01], "ci_upper": [0.41], "p_two_sided": [0.036], "expected": ["+"], "p_one_sided": [0.018],
                                      "slope_target_group": [0.5], "slope_target_group_se": [0.1], "slope_other_groups": [0.29], "slope_other_groups_se": [0.1]}),
        "typology_json": json.dumps({"summary": [{"proposition": "P1", "target_group": 1, "family_used": "gamma_log", "status": "estimated", "n_target": 20, "n_other": 20,
                                                  "n_steeper_in_target": 1, "n_capabilities": 2, "wald_chi2": 2.9834, "wald_df": 2, "wald_p": 0.2251, "reason": ""}],
                                     "warnings": ["group 3 too small"], "group_sizes": {"1": 20, "2": 12, "3": 8},
                                     "method": "capability x 1[group == target] interactions", "synthetic": synthetic}),
        "p4_models": json.dumps({"proposition": "P4", "statement": "Growth is accelerated by the processes", "n_firms": 40, "estimator": "ML", "missing": "listwise",
                                 "processes": {"sensing": ["PDC", "CCA"], "seizing": ["SOE"]},
                                 "growth_indicators": {"g_spread": "z(log(spread))", "g_int": "z(logit(intensity))"},
                                 "models": {"a": {"model": "a", "description": "correlated processes -> growth", "converged": True, "r2_growth": 0.2345,
                                                  "r_squared": {"growth": 0.2345},
                                                  "fit": {"chisq": 250.0, "df": 200, "pvalue": 0.009, "cfi": 0.95, "tli": 0.94, "rmsea": 0.041, "rmsea_ci_lower": 0.03,
                                                          "rmsea_ci_upper": 0.05, "srmr": 0.05, "aic": 9000, "bic": 9100, "nobs": 40}}},
                                 "comparisons": [{"restricted": "b", "general": "a", "delta_chisq": 3.2, "delta_df": 1, "pvalue": 0.0736, "method": "ML chi-square difference",
                                                  "delta_aic": 1.2, "delta_bic": -2.5}],
                                 "multigroup": {"status": "skipped", "reason": "groups smaller than 100"}, "warnings": []}),
        "p4_paths": pd.DataFrame({"model": ["a"] * 7,
                                  "lhs": ["sensing", "sensing", "seizing", "growth", "growth", "growth", "sensing"],
                                  "op": ["=~", "=~", "=~", "=~", "~", "~", "~~"],
                                  "rhs": ["PDC", "CCA", "SOE", "g_spread", "sensing", "seizing", "seizing"],
                                  "est": [1, 0.9, 1, 1, 0.31, 0.22, 0.4], "se": [np.nan, 0.1, np.nan, np.nan, 0.1, 0.1, 0.1],
                                  "pvalue": [np.nan, 0.001, np.nan, np.nan, 0.002, 0.2, 0.01], "ci_lower": [np.nan, 0.7, np.nan, np.nan, 0.114, 0.024, 0.2],
                                  "ci_upper": [np.nan, 1.1, np.nan, np.nan, 0.506, 0.416, 0.6], "std_all": [0.81, 0.77, 0.9, 0.66, 0.3456, 0.2, 0.45]}),
        "p4_bootstrap": pd.DataFrame({"model": ["a", "a"], "parameter": ["growth~sensing", "growth~sensing"], "kind": ["est", "std_all"], "est": [0.31, 0.3456],
                                      "boot_mean": [0.3, 0.34], "boot_se": [0.12, 0.11], "ci_lower": [0.03, 0.05], "ci_upper": [0.6, 0.58], "level": [0.95, 0.95],
                                      "B": [100, 100], "n_ok": [99, 99], "n_not_converged": [1, 1], "n_failed": [0, 0]}),
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
    # k, n, alpha, CI, omega, CR, AVE, FL, max HTMT (can exceed 1: leading zero), min loading
    assert cells[2:12] == ["3", "40", ".83", "[.77, .88]", ".84", ".84", ".64", "yes", "0.88", "0.46"]
    row = re.search(r"<tr><td class=\"text\">CCA</td>.*?</tr>", html).group(0)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row)
    assert cells[4] == ".60" and cells[8] == ".36" and cells[9] == "no" and cells[11] == "1.03"
    assert "v-fail" in row and "alpha .60 &lt; .70" in row


def test_fit_loadings_and_p_values(pages):
    html = pages["measurement.html"]
    text = _text(html)
    assert re.search(r"CFI\s+\.961\s+≥ \.95", text)
    assert re.search(r"RMSEA 90% CI lower\s+\.000", text)
    assert re.search(r"χ²\s+12\.35", text)
    assert re.search(r"\bp\s+\.137", text)
    # loadings: 0.8123 with p 1e-6 -> 0.81***, p < .001; Heywood 1.0312 keeps leading digit
    assert re.search(r"PDC1\s+1\.00\s+0\.81\*\*\*\s+0\.05\s+&lt; \.001", text)
    assert re.search(r"PDC2\s+0\.87\s+0\.46\*\s+0\.08\s+\.032", text)
    assert re.search(r"CCA1\s+1\.00\s+1\.03\s+0\.03\s+\.200", text)
    assert "Heywood case" in text and "estimator ML; missing data: FIML; converged" in text


def test_validity_cmv_invariance(pages):
    html = pages["measurement.html"]
    text = _text(html)
    assert re.search(r"PDC\s+CCA\s+0\.88\s+\[0\.70, 1\.05\]\s+0\.85\s+\[0\.69, 0\.98\]", text)  # HTMT keeps leading zero
    assert "B = 20; seed 3; n = 38; missing data: listwise." in text
    assert 'id="figure-htmt"' in html
    assert re.search(r"first unrotated component \(PCA\)\s+28\.7%\s+&lt; 50%", text)
    assert re.search(r"Δχ²\s+Δχ²\(6\) = 20\.50, p = \.002", text)
    assert re.search(r"ΔCFI\s+\.012\s+&lt; \.01", text) and re.search(r"share of item variance\s+8\.1%", text)
    assert re.search(r"r_M\s+\.05", text) and re.search(r"PDC – CCA\s+\.31\s+\.040\s+\.27\s+\.090", text)
    assert re.search(r"PDC\s+\.30\s+1\.42\s+no", text)
    assert "group sizes: 1: 20, 2: 20" in text and "group 3 dropped (n = 0)" in text
    assert re.search(r"metric\s+35\.20\s+20\s+\.965\s+\u2212\.005", text)


def test_empty_result_table_is_not_an_error(tmp_path):
    kw = make_results(tmp_path)
    (tmp_path / RESULT_FILES["invariance"]).write_text("", encoding="utf-8")
    ctx = Context(**kw)
    build_report(ctx, tmp_path / "reports")
    text = _text((tmp_path / "reports" / "measurement.html").read_text(encoding="utf-8"))
    assert "Invariance tests: not computed (the stage could not fit them; see the warnings)." in text


def test_efa_and_item_statistics(pages):
    html = pages["measurement.html"]
    text = _text(html)
    assert re.search(r"Kaiser–Meyer–Olkin \(overall MSA\)\s+\.78", text)
    assert re.search(r"Items with MSA &lt; \.60\s+PDC2", text)
    assert "χ²(15) = 120.50, p &lt; .001" in text
    assert re.search(r"parallel analysis\s+2 \(factors\), 1 \(components\)", text)
    # pattern matrix: |loading| < .30 suppressed, largest in bold, communality without leading zero
    assert '<td class="text">PDC1</td><td><strong>0.71</strong></td><td></td><td>.52</td>' in html
    assert '<td class="text">CCA1</td><td>\u22120.35</td><td><strong>0.65</strong></td><td>.55</td>' in html
    assert 'id="figure-scree"' in html
    # item statistics: share missing as percent, alpha if deleted without leading zero
    assert re.search(r"PDC2\s+37\s+7\.5%\s+3\.90\s+2\.00\s+\.55\s+\.88", text)


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
    assert 'id="hist-spread"' in pages["outcomes.html"] and "Distribution of diversification (n = 40)" in text


def test_propositions_verdicts_and_coefficients(pages):
    html = pages["propositions.html"]
    text = _text(html)
    assert 'id="verdict-dashboard"' in html
    assert "1 of 2 sub-hypotheses supported" in text
    assert "P1: Spread is accelerated by PDC and SOE &lt;script&gt;" in text  # statement from verdicts.csv, escaped
    # sub-hypotheses: primary rows first, marks from the adjusted p, the check labelled
    assert re.search(r"P1a\s+PDC\s+\+\s+gamma_log\s+0\.35\*\*\*\s+0\.10\s+\[0\.15, 0\.54\]\s+&lt; \.001\s+&lt; \.001\s+supported", text)
    assert re.search(r"P1b\s+SOE\s+\+\s+gamma_log\s+\u22120\.12\s+0\.20\s+\[\u22120\.52, 0\.27\]\s+\.730\s+\.730\s+not supported", text)
    assert re.search(r"P1a\s+PDC\s+\+\s+ols_log \(check\)\s+0\.30\s", text)
    assert "quasibinomial" in text  # the family actually used
    # full model with fit statistics in the note
    assert re.search(r"SOE\s+capability\s+\u22120\.12\s+0\.20\s+\[\u22120\.52, 0\.27\]\s+\.540\s+0\.88\s+\u22120\.130", text)
    assert "joint Wald test of PDC SOE: χ²(2) = 12.35, p = .002" in text and "Cohen&#x27;s f² = 0.123" in text
    assert "deviance pseudo-R2 = .235" in text
    assert "largest VIF 2.50 (SOE)" in text
    assert "<svg" in html and 'id="forest-p1"' in html
    # P3 has no rows: not computed, no invented numbers
    p3 = re.search(r'<section id="p3">.*?</section>', html).group(0)
    assert "not computed" in p3 and not re.search(r"\d\.\d", _text(p3))
    assert "Holm p &lt; .05" in html
    assert re.search(r"P1\s+1\s+PDC\s+0\.21\s+0\.10\s+\.036", text)  # typology
    assert re.search(r"P1\s+1\s+gamma_log\s+estimated\s+20\s+20\s+1\s+2\s+2\.98\s+2\s+\.225", text)
    assert "group 3 too small" in text
    assert "<em>Figure 1.</em> P1:" in html and "<em>Figure 2.</em> P2:" in html


def test_index_dashboard_and_links(pages):
    html = pages["index.html"]
    text = _text(html)
    assert "40 firms retained for analysis" in text
    assert re.search(r"pass\s+1.*?warn\s+0.*?fail\s+1", text)
    assert 'href="codebook.html"' in html
    assert re.search(r"Questionnaire – not computed", text)
    assert re.search(r"P4\s+supported\s+1 of 1 sub-hypotheses supported", text)
    assert '<a href="p4.html">P4</a>' in html and '<a href="propositions.html#p1">P1</a>' in html
    assert re.search(r"P1b \(SOE\):\s+not supported", text)
    assert re.search(r"Measurement\s*: 1 warning\b", text) and re.search(r"Propositions: P4\s*: 0 warnings", text)
    assert "Measurement model (CFA): χ²(8) = 12.35, p = .137; CFI = .961; TLI = .927; RMSEA = .056 [90% CI .000, .123]; SRMR = .043; N = 40." in text


def test_p4_page(pages):
    html = pages["p4.html"]
    text = _text(html)
    assert 'id="path-diagram-a"' in html
    assert "0.35**" in html  # growth ~ sensing std .3456, p .002
    assert "R² = .23" in html
    assert "CFI = .950" in text and "N = 40" in text
    assert re.search(r"\(a\) correlated processes -&gt; growth\s+yes\s+250\.00\s+200\s+\.009\s+\.950\s+\.940\s+\.041 \[\.030, \.050\]\s+\.050\s+9000\.00\s+9100\.00\s+\.23", text)
    assert re.search(r"\(b\) within \(a\)\s+3\.20\s+1\s+\.074\s+1\.20\s+\u22122\.50", text)
    assert re.search(r"growth ← sensing\s+0\.31\s+0\.10\s+\[0\.11, 0\.51\]\s+0\.35\*\*\s+\.002", text)
    assert re.search(r"a\s+growth ← sensing\s+standardized\s+0\.35\s+0\.11\s+\[0\.05, 0\.58\]", text)
    assert "B = 100 resamples (99 converged, 1 not converged, 0 failed" in text
    assert re.search(r"P4a\s+sensing\s+\+\s+growth~sensing\s+0\.31\s+\[0\.03, 0\.60\]", text)
    assert "spread = z(log(spread))" in text and "skipped (groups smaller than 100)" in text
    # the diagram draws capabilities as latent ellipses under their process
    svg = re.search(r'<figure id="path-diagram-a">.*?</figure>', html, re.S).group(0)
    assert svg.count("<ellipse") == 3 + 2 + 1 and ">spread<" in svg


def test_tables_written_as_csv(tmp_path):
    build(tmp_path)
    tables = sorted(p.name for p in (tmp_path / "results" / "tables").glob("*.csv"))
    assert "measurement_scales.csv" in tables and "propositions_p1-subhypotheses.csv" in tables
    scales = pd.read_csv(tmp_path / "results" / "tables" / "measurement_scales.csv", dtype=str, keep_default_na=False)
    assert list(scales.columns[:6]) == ["Scale", "Label", "k", "n", "α", "95% CI"]
    assert scales.loc[0, "α"] == ".83" and scales.loc[1, "Verdict"] == "fail"
    manifest = json.loads((tmp_path / "results" / "tables" / "tables.json").read_text(encoding="utf-8"))
    assert manifest["synthetic"] is True
    entry = next(e for e in manifest["tables"] if e["file"] == "measurement_scales.csv")
    assert entry["page"] == "measurement.html" and entry["number"] == 1 and entry["note"].startswith("Computed from synthetic data.")
    assert len(manifest["tables"]) == len(tables)
    coef = pd.read_csv(tmp_path / "results" / "tables" / "propositions_p1-subhypotheses.csv", dtype=str)
    assert coef.loc[1, "b"] == "-0.12" and coef.loc[0, "p"] == "< .001"  # ASCII minus in the CSV copy


def test_reruns_are_byte_identical(tmp_path):
    first = build(tmp_path / "a")
    second = build(tmp_path / "a")
    assert first == second
    assert "2023-11-14" in first["provenance.html"]  # SOURCE_DATE_EPOCH 1700000000
    csv_a = {p.name: p.read_bytes() for p in (tmp_path / "a" / "results" / "tables").glob("*.csv")}
    assert csv_a


def test_missing_inputs_say_not_computed_and_print_no_number(tmp_path):
    pages = build(tmp_path, skip=("reliability", "validity", "measurement_verdicts", "cfa_fit", "coefficients", "subhypotheses", "verdicts", "ingest", "p4_paths", "p4_models"))
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


def test_without_instrument_labels_fall_back_to_ids(tmp_path):
    kw = make_results(tmp_path)
    kw["instrument"] = None
    build_report(Context(**kw), tmp_path / "reports")
    text = _text((tmp_path / "reports" / "measurement.html").read_text(encoding="utf-8"))
    assert "Item response distributions: not computed (the instrument (scales/) could not be loaded)." in text
    assert re.search(r"PDC\s+PDC\s+3\s+40\s+\.83", text)  # label column shows the id


def test_a_malformed_input_spoils_only_its_section(tmp_path, caplog):
    kw = make_results(tmp_path)
    (tmp_path / RESULT_FILES["efa"]).write_text(json.dumps({"parallel": "unexpected", "bartlett": {"chisq": 1}}), encoding="utf-8")
    build_report(Context(**kw), tmp_path / "reports", tmp_path / "tables")
    html = (tmp_path / "reports" / "measurement.html").read_text(encoding="utf-8")
    efa = re.search(r'<section id="efa">.*?</section>', html).group(0)
    assert "not computed (the report could not read its input: AttributeError" in efa
    assert 'id="cfa-fit"' in html and "χ²" in html  # the other sections are still there
    assert not list((tmp_path / "tables").glob("measurement_efa*.csv"))
    assert "section efa" in caplog.text


def test_markup_is_well_nested(pages):
    """Every opened element is closed in order (void elements aside), so word processors paste clean tables."""
    from html.parser import HTMLParser

    void = {"meta", "br", "hr", "img", "input", "link", "col", "area", "base", "wbr", "source"}
    svg_void = {"rect", "line", "circle", "polygon", "path", "ellipse"}

    class Checker(HTMLParser):
        def __init__(self):
            super().__init__()
            self.stack, self.errors = [], []

        def handle_starttag(self, tag, attrs):
            if tag not in void:
                self.stack.append(tag)

        def handle_startendtag(self, tag, attrs):
            pass

        def handle_endtag(self, tag):
            if not self.stack or self.stack[-1] != tag:
                self.errors.append((tag, list(self.stack[-3:])))
            else:
                self.stack.pop()

    for fname, html in pages.items():
        checker = Checker()
        checker.feed(html)
        assert checker.errors == [] and checker.stack == [], (fname, checker.errors[:3], checker.stack[-3:])
        assert not any(tag in svg_void for tag in checker.stack)


def test_unconverged_common_latent_factor_is_flagged(tmp_path):
    kw = make_results(tmp_path)
    path = tmp_path / RESULT_FILES["cmv"]
    cmv = json.loads(path.read_text(encoding="utf-8"))
    cmv["common_latent_factor"]["converged"] = False
    path.write_text(json.dumps(cmv), encoding="utf-8")
    build_report(Context(**kw), tmp_path / "reports")
    text = _text((tmp_path / "reports" / "measurement.html").read_text(encoding="utf-8"))
    assert re.search(r"ΔCFI\s+\.012 \(model not converged: unreliable\)", text)
    assert re.search(r"Common latent factor model converged\s+no", text)
