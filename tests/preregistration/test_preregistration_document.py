"""The pre-registration document (rule preregistration_document): its sections from the config and
the instrument, escaping of config text, and the power table when the power study's files exist."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from prereg_kit import XSS, base_config, edited, hypothesis, scales_dir

from surveysem.errors import SurveySemError
from surveysem.instrument.scales import instrument_files
from surveysem.preregistration.steps import document

SECTIONS = ["Data collection status", "Hypotheses", "Dependent variables and how they are computed", "Instrument",
            "Analysed scales", "Screening and exclusion rules", "Missing data", "Models and the verdict rule",
            "Sample size and power", "Other analyses reported", "The configuration pre-registered"]


def write_document(tmp_path, config, power=None, sample_size=None) -> tuple[str, str]:
    inputs = {"scales": instrument_files(scales_dir(config)), "questionnaire": str(tmp_path / "questionnaire.html")}
    if power is not None:
        inputs["power"], inputs["sample_size"] = tmp_path / "power.csv", tmp_path / "sample_size.csv"
        power.to_csv(inputs["power"], index=False)
        sample_size.to_csv(inputs["sample_size"], index=False)
    outputs = {"markdown": tmp_path / "preregistration.md", "html": tmp_path / "preregistration.html"}
    document(inputs, outputs, config)
    return outputs["markdown"].read_text(encoding="utf-8"), outputs["html"].read_text(encoding="utf-8")


def test_every_section_in_both_renderings(tmp_path):
    md, html = write_document(tmp_path, base_config())
    assert re.findall(r"^## \d+\. (.+)$", md, re.MULTILINE) == SECTIONS
    assert re.findall(r"<h2>\d+\. ([^<]+)</h2>", html) == [s for s in SECTIONS]
    # hypotheses with predicted signs and the estimator of each verdict
    assert "| P1e | P1 | ECP (E-commerce platform capability) × SOE (Piggyback SOE networks and government support) | - |" in md
    assert "| P4a | P4 | sensing (PDC, CCA, EFT) | + | second-order SEM (ML), model (b), total effect" in md
    assert "Holm-adjusted (within P2) one-sided p &lt; 0.05" in md
    assert '<a href="questionnaire.html">questionnaire</a>' in html
    assert "No refinement (config scales: is empty)" in md
    assert "Power study not run: `snakemake power`" in md
    assert "Power study not run: <code>snakemake power</code>" in html
    assert "<script" not in html and "Content-Security-Policy" in html


def test_config_text_is_escaped(tmp_path):
    def plant(c):
        hypothesis(c, "P1")["statement"] = "Spread " + XSS
        c["scales"] = {"PDC": {"drop": {"PDC5": "low loading " + XSS}}}

    md, html = write_document(tmp_path, edited(base_config(), plant))
    assert XSS not in html
    # Markdown shows a fenced block (the frozen config) literally; everywhere else text is escaped
    fenced = re.findall(r"^```\n(.*?)^```$", md, re.MULTILINE | re.DOTALL)
    assert len(fenced) == 1 and XSS in fenced[0]
    assert XSS not in re.sub(r"^```\n.*?^```$", "", md, flags=re.MULTILINE | re.DOTALL)
    assert html.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 3  # statement, drop reason, frozen config
    assert "P1 (spread): Spread &lt;script&gt;alert(1)&lt;/script&gt;" in md
    assert "| PDC5 | PDC | low loading &lt;script&gt;alert(1)&lt;/script&gt; |" in md


def test_the_power_table_when_the_power_study_ran(tmp_path):
    power = pd.DataFrame({"target": ["P1a", "P1a", "P1", "P1d"], "kind": ["sub-hypothesis", "sub-hypothesis",
                          "proposition", "true null"], "n": [150, 300, 300, 300], "replications": [1000] * 4,
                          "converged": [998, 1000, 1000, 1000], "share_supported": [0.612, 0.914, 0.55, 0.048],
                          "mcse": [0.0154, 0.0089, 0.0157, 0.0068]})
    sample_size = pd.DataFrame({"target": ["P1a", "P1a", "P1"], "power_level": [0.8, 0.9, 0.8],
                                "n_required": [221.4, 287.0, None], "note": ["", "", "above the grid (N > 300)"]})
    md, html = write_document(tmp_path, base_config(), power, sample_size)
    assert "Power study not run" not in md
    assert "| P1d | true null | 300 | 1000 | 1000 | .048 | .007 |" in md
    assert "| P1a | sub-hypothesis | 150 | 1000 | 998 | .612 | .015 |" in md
    assert "| P1 | 80% | — | above the grid (N &gt; 300) |" in md
    # the largest N for 80 % power, rounded up; P1 is not reached within the grid
    assert ("Planned sample size: at least 222 firms after screening, the largest N the power study needs for 80% "
            "power (target P1a). Not reached within the grid: P1.") in md
    assert "Power by sample size (Monte Carlo)" in html


def test_a_power_file_without_its_columns_is_one_line(tmp_path):
    power = pd.DataFrame({"target": ["P1a"], "n": [100]})
    with pytest.raises(SurveySemError) as err:
        write_document(tmp_path, base_config(), power, pd.DataFrame({"target": ["P1a"]}))
    assert "power.csv" in err.value.one_line() and "no column kind, replications" in err.value.one_line()
