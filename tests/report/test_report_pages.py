"""Report pages built from the small hand-made results tree of ``results_tree`` (independent of
the other stages)."""

from __future__ import annotations

import json
import re
from html import unescape

import pandas as pd
import pytest
import yaml

from surveysem.report.html import PAGES
from surveysem.report.pages import ColumnNotRegistered, Context, build_report
from surveysem.stage_files import REPORT_FILES
from surveysem.stage_files import path as stage_path

from results_tree import XSS, build, make_results  # tests/report/results_tree.py


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
    # k, n, alpha, CI, omega, omega_t, CR, AVE, FL, max HTMT (can exceed 1: leading zero), min loading
    assert cells[2:13] == ["3", "40", ".83", "[.77, .88]", ".84", ".85", ".84", ".64", "yes", "0.88", "0.46"]
    row = re.search(r"<tr><td class=\"text\">CCA</td>.*?</tr>", html).group(0)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row)
    assert cells[4] == ".60" and cells[9] == ".36" and cells[10] == "no" and cells[12] == "1.03 \u2020"  # min λ > 1: a Heywood case
    assert "v-fail" in row and "alpha .60 &lt; .70" in row


def test_fit_loadings_and_p_values(pages):
    html = pages["measurement.html"]
    text = _text(html)
    assert re.search(r"CFI\s+\.961\s+≥ \.95", text)
    assert re.search(r"RMSEA 90% CI lower\s+\.000", text)
    assert re.search(r"χ²\s+12\.35", text)
    assert re.search(r"\bp\s+\.137", text)
    # loadings: 0.8123 with p 1e-6 -> 0.81***, p < .001; Heywood 1.0312 keeps its leading digit and is marked
    assert re.search(r"PDC1\s+1\.00\s+0\.81\*\*\*\s+0\.05\s+&lt; \.001", text)
    assert re.search(r"PDC2\s+0\.87\s+0\.46\*\s+0\.08\s+\.032", text)
    assert re.search(r"CCA1\s+1\.00\s+1\.03 \u2020\s+0\.03\s+\.200", text)
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
    (tmp_path / stage_path("invariance")).write_text("", encoding="utf-8")
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
    # item statistics: share missing as percent, skew and kurtosis with their sign, alpha if deleted without leading zero
    assert re.search(r"PDC2\s+37\s+7\.5%\s+3\.90\s+2\.00\s+\u22120\.35\s+\u22120\.90\s+\.55\s+\.88\s+0\.62", text)


def test_score_correlations_from_the_marker_analysis(pages, tmp_path):
    """The heatmap shows the correlations cmv.json holds (the page no longer correlates scale_scores.csv)."""
    html = pages["measurement.html"]
    fig = re.search(r'<figure id="figure-score-heatmap">.*?</figure>', html, re.S).group(0)
    assert "38 firms with all scores; from the marker-variable analysis in results/measurement/cmv.json" in fig
    assert ">MARKER<" in fig and ">.31<" in fig and ">\u2212.12<" in fig  # PDC-CCA from the table, PDC-MARKER from marker_correlations
    kw = make_results(tmp_path)
    cmv = json.loads((tmp_path / stage_path("cmv")).read_text(encoding="utf-8"))
    del cmv["marker"]
    (tmp_path / stage_path("cmv")).write_text(json.dumps(cmv), encoding="utf-8")
    build_report(Context(**kw), tmp_path / "reports")
    section = re.search(r'<section id="score-correlations">.*?</section>', (tmp_path / "reports" / "measurement.html").read_text(encoding="utf-8")).group(0)
    assert "Scale-score correlations: not computed (results/measurement/cmv.json has them only from the marker-variable analysis" in section


def test_fornell_larcker_lower_triangle(pages):
    text = _text(pages["measurement.html"])
    assert re.search(r"CCA\s+\.43\s+\.60", text)


def test_missingness_read_from_missingness_csv(pages):
    # Was recomputed from validated.csv for the 40 retained respondents (PDC 2.5%, PDC2 7.5%, "3 of 40");
    # now read from missingness.csv, which the data stage writes for all 42 validated respondents:
    # PDC2 3/42 = 7.1%, PDC 3 of 126 cells = 2.4%; CCA1 1/42 = 2.4%, CCA 1/126 = 0.8%; from ingest.json:
    # 42 valid rows, 39 complete on all items -> 3 of 42 (7.1%) with a missing item
    text = _text(pages["data.html"])
    assert re.search(r"PDC\s+Perceive demand &lt;script&gt;alert\(1\)&lt;/script&gt;\s+3\s+2\.4%\s+7\.1%\s+PDC2", text)
    assert re.search(r"CCA\s+Cross-cultural awareness\s+3\s+0\.8%\s+2\.4%\s+CCA1", text)
    assert "Shares of all 42 validated respondents (before screening)" in text and "3 of 42 (7.1%)" in text


def test_missingness_is_what_the_file_says(tmp_path):
    """The page prints missingness.csv, whatever validated.csv holds: it computes no share itself."""
    kw = make_results(tmp_path)
    path = tmp_path / stage_path("missingness")
    table = pd.read_csv(path)
    table.loc[(table["level"] == "construct") & (table["id"] == "PDC"), "share_missing"] = 0.5
    table.loc[table["id"] == "PDC3", "share_missing"] = 0.9
    table.to_csv(path, index=False)
    build_report(Context(**kw), tmp_path / "reports")
    text = _text((tmp_path / "reports" / "data.html").read_text(encoding="utf-8"))
    assert re.search(r"PDC\s+Perceive demand \S+\s+3\s+50\.0%\s+90\.0%\s+PDC3", text)


def test_outcome_descriptives_hand_computed(pages):
    text = _text(pages["outcomes.html"])
    # spread = linspace(.5, 2.5, 40): mean 1.50, median 1.50, SD (n-1) = 2/39 * sqrt(40*41/12) = 0.5995 -> 0.60
    assert re.search(r"spread\s+40\s+1\.50\s+0\.60\s+1\.50\s+0\.50\s+2\.50", text)
    # age = 3..12, four times each: M 7.50, SD (n-1) = sqrt(330 / 39) = 2.91, also in the sample profile
    assert re.search(r"age\s+40\s+7\.50\s+2\.91\s+7\.50\s+3\s+12", text)
    assert "M = 7.50, SD = 2.91" in _text(pages["data.html"])
    assert re.search(r"\b1\s+low-tech, standardised products: spread\s+20\s+50\.0%", text)
    assert "agrees: 1 of 2 rows." in text
    assert 'id="hist-spread"' in pages["outcomes.html"] and "Distribution of diversification (n = 40)" in text


def test_propositions_verdicts_and_coefficients(pages):
    html = pages["propositions.html"]
    text = _text(html)
    assert 'id="verdict-dashboard"' in html
    assert "1 of 2 sub-hypotheses supported" in text
    assert "P1: Spread is accelerated by PDC and SOE &lt;script&gt;" in text  # statement from the config, escaped
    assert "quasibinomial" in text  # the family actually used
    # full composite model with fit statistics in the note
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


def _section_text(html: str, sid: str) -> str:
    return re.sub(r"\s+", " ", _text(re.search(rf'<section id="{sid}">.*?</section>', html, re.S).group(0)))


def test_latent_verdict_tests_first_with_composite_checks_below(pages):
    p1 = _section_text(pages["propositions.html"], "p1")
    latent = "latent SAM \\(local, corrected scores\\)"
    # per sub-hypothesis: the verdict's latent test (b without marks: the test is one-sided, β, SE, CI, one-sided bound,
    # p, p (adj.), verdict) ...
    assert re.search(rf"P1a PDC \+ {latent} 0\.40 0\.31 0\.10 \[0\.21, 0\.60\] ≥ 0\.24 &lt; \.001 &lt; \.001 supported", p1)
    # ... then its composite-score GLM rows, labelled as checks, without β or marks, with the one-sided bound of their
    # own test (normal: 0.3456 - 1.645 * 0.1)
    assert re.search(r"supported P1a PDC \+ composite-score GLM \(check\): gamma_log 0\.35 — 0\.10 \[0\.15, 0\.54\] ≥ 0\.18 &lt; \.001 &lt; \.001 "
                     r"supported P1a PDC \+ composite-score GLM \(check\): ols_log 0\.30 — ", p1)
    # an inadmissible latent solution is shown as such in its row, the check below it keeps its own verdict
    assert re.search(rf"P1b SOE \+ {latent} 0\.21 0\.18 0\.30 \[\u22120\.38, 0\.80\] ≥ \u22120\.28 \.242 1\.000 not estimable \(inadmissible solution\) "
                     r"P1b SOE \+ composite-score GLM \(check\): gamma_log \u22120\.12 — 0\.20 \[\u22120\.52, 0\.27\] ≥ \u22120\.45 \.730 \.730 not supported", p1)
    # the note explains both kinds of rows and their scales
    assert "Latent SAM (local, corrected scores) rows (the verdict&#x27;s test): b = latent coefficient per SD of the capability, on log(spread); β = b per SD of the capability and of the outcome" in p1
    assert "Items enter the latent models as linearised category scores" in p1  # latent_fits.csv says so for P1
    assert "Composite-score GLM rows: b = coefficient of the z-scored composite (scale) score" in p1
    assert "The latent and composite b are on different scales" in p1
    # the forest plot: one group per model, the verdict's test first, the problem in the label; the caption says the scales differ
    forest = re.search(r'<figure id="forest-p1">.*?</figure>', pages["propositions.html"], re.S).group(0)
    groups = re.findall(r'font-weight="bold"[^>]*>([^<]+)<', forest)
    assert groups == ["latent SAM (local, corrected scores) (the verdict&#x27;s test)", "composite-score GLM (check): gamma_log",
                      "composite-score GLM (check): ols_log"]
    assert "P1b SOE (inadmissible solution)" in forest and "another scale than the latent b" in forest


def test_estimator_of_each_verdict_is_stated(pages):
    props, index = pages["propositions.html"], pages["index.html"]
    p1, p2 = _section_text(props, "p1"), _section_text(props, "p2")
    assert ("Estimator: latent SAM (local, corrected scores). Evidence: latent SAM (local, corrected scores): robust two-step SE, "
            "one-sided z test, holm adjustment; P1b: latent SAM (local, corrected scores): robust two-step SE, one-sided z test, "
            "holm adjustment (inadmissible solution).") in p1
    assert "Estimator: composite-score GLM. Evidence: composite-score GLM, robust HC1 SE" in p2
    # P2's verdict is its composite GLM: its rows are no check
    assert "P2a CCA + composite-score GLM: quasibinomial 0.04 — 0.01" in p2 and "(check)" not in p2
    assert "another scale" not in p2 and "The latent and composite b" not in p2
    for html in (props, index):  # the dashboard cards
        cards = _section_text(html, "verdicts") if 'id="verdicts"' in html else re.sub(r"\s+", " ", _text(html))
        assert re.search(r"P1b \(SOE\): not estimable Estimator: latent SAM \(local, corrected scores\)", cards)
        assert "P2a (CCA): supported Estimator: composite-score GLM" in cards
        assert "Estimator: structural equation models of the processes (P4 models)" in cards


def test_latent_full_model_and_composite_checks(pages):
    p1 = _section_text(pages["propositions.html"], "p1")
    # every term of the latent model, controls included, with β where it is defined
    assert re.search(r"P1: latent SAM \(local, corrected scores\): full model of spread Term Role b β SE 95% CI p "
                     r"Intercept intercept 1\.20\*\*\* — 0\.15 \[0\.91, 1\.49\] &lt; \.001 PDC capability 0\.40\*\*\* 0\.31 0\.10 "
                     r"\[0\.21, 0\.60\] &lt; \.001 SOE capability 0\.21 0\.18 0\.30 \[\u22120\.38, 0\.80\] \.484 "
                     r"log_age control \u22120\.64\*\*\* — 0\.06 \[\u22120\.75, \u22120\.52\] &lt; \.001", p1)
    assert ("N = 38 (2 dropped); measurement model without a method factor; latent R² = .412; converged: yes; "
            "admissible solution: NO (a Heywood case or a "
            "non-positive-definite latent covariance matrix); score reliabilities: PDC .85, SOE .79; model fit (verdict_rule.fit_gate): local SAM") in p1
    assert "P1: composite-score GLM (check): full model of spread (gamma_log)" in p1
    assert "A check on the latent model: composite (scale) scores" in p1
    p2 = _section_text(pages["propositions.html"], "p2")
    assert "P2: composite-score GLM: full model of diversification (binomial)" in p2 and "latent" not in p2.lower()


def test_latent_model_states_the_marker_method_factor(tmp_path):
    """A SAM model with the method factor says so beside its table (latent_fits.csv's method_factor)."""
    kw = make_results(tmp_path)
    fits_path = tmp_path / stage_path("latent_fits")
    fits = pd.read_csv(fits_path)
    fits["method_factor"] = "marker MARKER (method variance 0.0357)"
    fits.to_csv(fits_path, index=False)
    build_report(Context(**kw), tmp_path / "reports")
    p1 = _section_text((tmp_path / "reports" / "propositions.html").read_text(encoding="utf-8"), "p1")
    assert ("N = 38 (2 dropped); measurement model: one joint CFA with a common-method (acquiescence) factor on every "
            "item, loadings equal on the answers and signed by keying (on linearised scores, times the slope of score "
            "on answer of each item), anchored by the marker MARKER (method variance 0.0357); latent R²") in p1


def test_report_estimator_labels_match_the_estimators():
    from surveysem.propositions.latent import ESTIMATORS
    from surveysem.report.pages.verdicts import ESTIMATOR_LABELS

    assert {k: ESTIMATOR_LABELS[k] for k in ESTIMATORS} == ESTIMATORS


def test_index_dashboard_and_links(pages):
    html = pages["index.html"]
    text = _text(html)
    assert "40 firms retained for analysis" in text
    assert re.search(r"pass\s+1.*?warn\s+0.*?fail\s+1", text)
    assert 'href="codebook.html"' in html
    assert re.search(r"Questionnaire – not computed", text)
    # P4's model fails the fit gate (CFI .80): its verdict stands, flagged (verdict_rule.fit_gate.action: flag)
    assert re.search(r"P4\s+supported, but the model fits poorly\s+1 of 1 sub-hypotheses supported", text)
    assert '<a href="p4.html">P4</a>' in html and '<a href="propositions.html#p1">P1</a>' in html
    assert re.search(r"P1b \(SOE\):\s+not estimable", text)
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
    assert coef.loc[4, "b"] == "-0.12" and coef.loc[0, "p"] == "< .001"  # ASCII minus in the CSV copy
    assert list(coef["Model"][:2]) == ["latent SAM (local, corrected scores)", "composite-score GLM (check): gamma_log"]
    assert coef.loc[3, "Verdict"] == "not estimable (inadmissible solution)" and coef.loc[0, "β"] == "0.31"
    assert "propositions_p1-latent-main-model.csv" in tables and "propositions_p1-main-model.csv" in tables


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
    (tmp_path / stage_path("efa")).write_text(json.dumps({"parallel": "unexpected", "bartlett": {"chisq": 1}}), encoding="utf-8")
    build_report(Context(**kw), tmp_path / "reports", tmp_path / "tables")
    html = (tmp_path / "reports" / "measurement.html").read_text(encoding="utf-8")
    efa = re.search(r'<section id="efa">.*?</section>', html).group(0)
    # Was "not computed (the report could not read its input: AttributeError: ...)": now plain words
    assert "Item pool: exploratory factor analysis: not computed (results/measurement/efa.json could not be read)." in efa
    assert not re.search(r"Error|Exception|Traceback|object has no attribute", html)
    assert 'id="cfa-fit"' in html and "χ²" in html  # the other sections are still there
    assert not list((tmp_path / "tables").glob("measurement_efa*.csv"))
    assert "section efa" in caplog.text and "AttributeError" in caplog.text  # the log has the exception


def test_a_file_without_a_registered_column_says_which(tmp_path, caplog):
    kw = make_results(tmp_path)
    path = tmp_path / stage_path("htmt")
    pd.read_csv(path).drop(columns=["htmt2"]).to_csv(path, index=False)
    build_report(Context(**kw), tmp_path / "reports")
    html = (tmp_path / "reports" / "measurement.html").read_text(encoding="utf-8")
    htmt = re.search(r'<section id="htmt">.*?</section>', html).group(0)
    assert "not computed (results/measurement/htmt.csv could not be read: it has no column htmt2)." in htmt
    assert 'id="figure-htmt"' not in html and 'id="cfa-fit"' in html


def test_unregistered_names_are_programming_errors(tmp_path):
    """A page may ask only for names stage_files.yaml registers: anything else stops the report."""
    from surveysem.report.pages.sections import PageTables, guard

    ctx = Context(**make_results(tmp_path))
    assert list(ctx.column("htmt", "htmt")) == [0.8765]
    with pytest.raises(ColumnNotRegistered, match="'verdict' is not a registered column or key of 'htmt'"):
        ctx.column("htmt", "verdict")  # the old page guessed this column; htmt.csv has none
    with pytest.raises(ColumnNotRegistered):
        ctx.field("efa", "p_value")
    with pytest.raises(ColumnNotRegistered):
        ctx.varying_columns("htmt")  # its columns do not vary
    with pytest.raises(ColumnNotRegistered):  # the section guard does not turn a bug into "not computed"
        guard(ctx, PageTables("measurement"), "htmt", "HTMT", lambda: ctx.column("htmt", "lhs"))


def test_proposition_texts_come_from_the_config(pages):
    """Statements: the config's hypotheses, else verdicts.csv; no text is written in the code."""
    index, props, p4 = pages["index.html"], pages["propositions.html"], pages["p4.html"]
    leads = {}  # proposition -> the statement on its card of the dashboard
    for card in index.split('<div class="card">')[1:]:
        lead = re.search(r'<div class="lead">(.*?)</div>', card)
        if lead:
            leads[re.search(r'">(P\d)</a></h3>', card).group(1)] = lead.group(1)
    assert leads["P1"] == "Spread is accelerated by PDC and SOE &lt;script&gt;alert(1)&lt;/script&gt;"  # config, escaped
    assert leads["P2"] == "Diversification is accelerated by CCA &lt;script&gt;alert(1)&lt;/script&gt;"  # verdicts.csv
    assert "P3" not in leads  # neither words it: no text
    assert "as verdicts.csv words it" not in index + props  # the config's statement wins
    assert "P2: Diversification is accelerated by CCA &lt;script&gt;" in _text(props)  # not in the config: verdicts.csv
    assert "Growth is accelerated by the processes" in p4 and "Growth is accelerated by the processes" in index
    assert "Post-entry" not in "".join(pages.values())  # the texts once hard-coded in the pages


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
    path = tmp_path / stage_path("cmv")
    cmv = json.loads(path.read_text(encoding="utf-8"))
    cmv["common_latent_factor"]["converged"] = False
    path.write_text(json.dumps(cmv), encoding="utf-8")
    build_report(Context(**kw), tmp_path / "reports")
    text = _text((tmp_path / "reports" / "measurement.html").read_text(encoding="utf-8"))
    assert re.search(r"ΔCFI\s+\.012 \(model not converged: unreliable\)", text)
    assert re.search(r"Common latent factor model converged\s+no", text)


def test_the_results_tree_uses_registered_names(tmp_path):
    """The hand-made tree looks like real results: its tables have only registered columns and its
    JSON objects only registered top-level keys (surveysem/stage_files.yaml)."""
    from surveysem.stage_files import FILES

    make_results(tmp_path)
    for key, registered in FILES.items():
        path = tmp_path / stage_path(key)
        if not path.is_file() or registered.columns_vary:
            continue
        if registered.kind == "csv":
            names = set(pd.read_csv(path, nrows=0).columns)
        elif registered.kind == "json":
            names = set(json.loads(path.read_text(encoding="utf-8")))
        else:
            continue
        assert names <= set(registered.columns), (key, sorted(names - set(registered.columns)))


EXCEPTION_TEXT = re.compile(r"Traceback|Exception|Error\b|Error:|NoneType|object has no attribute|not supported between|"
                            r"unsupported operand|KeyError|IndexError|ValueError|TypeError")


def _files_of_the_tree(tmp_path) -> list[str]:
    root = tmp_path / "probe"
    make_results(root)
    return [key for key in REPORT_FILES if (root / stage_path(key)).is_file()]


def test_no_page_shows_an_exception_text_whatever_input_is_missing_or_malformed(tmp_path):
    """Every result file the pages read, removed in turn and then replaced by garbage in turn: every
    page is still written, and none contains an exception text (the log has it)."""
    keys = _files_of_the_tree(tmp_path)
    assert len(keys) > 30
    for n, key in enumerate(keys):
        for damage in ("missing", "malformed"):
            root = tmp_path / f"{n}-{damage}"
            kw = make_results(root)
            target = root / stage_path(key)
            if damage == "missing":
                target.unlink()
            else:
                target.write_text('{"unexpected": [1, 2' if target.suffix == ".json" else "x\n\"unclosed,1\n",
                                  encoding="utf-8")
            build_report(Context(**kw), root / "reports", root / "tables")
            for page in sorted((root / "reports").glob("*.html")):
                found = EXCEPTION_TEXT.search(_text(page.read_text(encoding="utf-8")))
                assert found is None, (key, damage, page.name, found and found.group(0))


def test_refinement_assistant_section(pages):
    """The candidate items with their numbers, the exact scales: lines in a <pre> block (escaped, and
    still the YAML of refinement.csv once unescaped), the never-applied sentence and the MI note."""
    section = re.search(r'<section id="refinement">.*?</section>', pages["measurement.html"], re.DOTALL).group(0)
    assert "<script" not in section and "&lt;script&gt;alert(1)&lt;/script&gt;" in section
    row = re.search(r"<tr><td class=\"text\">CCA</td>.*?</tr>", section).group(0)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row)
    assert cells == ["CCA", "CCA3", "ave; cross_loading", "0.51", ".36", ".36", ".43", ".62", ".64", ".60", ".59",
                     "0.35 on F1 (PDC)", "—"]
    pre = re.search(r"<pre>(.*?)</pre>", section, re.DOTALL).group(1)
    assert yaml.safe_load(unescape(pre)) == {"scales": {"CCA": {"drop": {"CCA3": "AVE without it .43 (now .36 < .50) " + XSS}}}}
    text = " ".join(_text(section).split())
    assert "The pipeline never applies these lines: to drop an item, the researcher copies its line into the scales: section of config/config.yaml" in text
    assert "not refitted" in text and "Modification indices: not available: not supported" in text
    scales_note = " ".join(_text(pages["measurement.html"]).split())
    assert "the scales/ files decide" not in scales_note and "drops one in the scales: section of config/config.yaml" in scales_note


def test_verdicts_say_how_their_model_fits_and_why_it_was_used(pages):
    """Issue 17 item 4: P4 (CFI .80) is flagged wherever its verdict is shown, with the gate's
    indices in words; the P1 page says which fit the SAM gate read."""
    p4 = _text(pages["p4.html"])
    assert re.search(r"Verdict:\s+supported, but the model fits poorly", p4)
    assert re.search(r"P4a\s+sensing.*?supported, but the model fits poorly", p4)
    assert re.search(r"Model fit \(verdict_rule.fit_gate\):\s+P4 model \(a\): fails the fit gate: CFI .800 &lt; .950; "
                     r"TLI .790 &lt; .950", p4)
    assert "Indices used: ML (normal-theory) CFI, TLI, RMSEA and SRMR" in p4 and "No small-sample corrected" in p4
    assert re.search(r"Verdict model \(verdict_rule.p4_model_choice\):\s+theory model \(a\) used: not significantly "
                     r"worse than \(c\)", p4)
    props = _text(pages["propositions.html"])
    assert "local SAM, measurement blocks PDC (worst value of each index; the structural model is saturated; SOE just identified): passes" in props
    assert "composite-score GLM: a regression of observed scores has no fit indices." in props
    assert 'class="verdict v-warn">supported, but the model fits poorly' in pages["index.html"]


def test_latent_model_note_gives_its_fit_gate(pages):
    text = _text(pages["propositions.html"])
    assert "model fit (verdict_rule.fit_gate): local SAM, measurement blocks PDC" in text
