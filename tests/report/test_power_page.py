"""The power page (reports/power.html) from hand-made power tables, and the overview's link to it."""

import re

import numpy as np
import pandas as pd
from results_tree import XSS, make_results

from surveysem.power.rmsea_power import rmsea_power_table
from surveysem.power.summarise import (
    MONTE_CARLO_COLUMNS,
    interval_calibration,
    power_table,
    sample_size_table,
    verdict_table,
)
from surveysem.report.pages import Context, build_report
from surveysem.report.pages.power import power_page

CONFIG = {"study": {"title": "Plan " + XSS}, "verdict_rule": {"alpha": 0.05}, "p4": {"level": 0.95},
          "power": {"sizes": [100, 200], "replications": 4, "seed": 7, "propositions": None, "p4_bootstrap": False}}


def _results():
    rows = []
    for n, supported in ((100, 2), (200, 4)):
        for r in range(4):
            for target, level, verdict in (("P1", "proposition", "not supported"),
                                           ("P1a", "sub-hypothesis", "supported" if r < supported else "not supported"),
                                           ("P1b", "sub-hypothesis", "not supported")):
                rows.append({"n": n, "replication": r, "proposition": "P1", "target": target, "level": level,
                             "problem": "", "verdict": verdict})
    rows = pd.DataFrame(rows)
    power = power_table(rows, nulls={"P1b"})
    mc = pd.DataFrame([dict.fromkeys(MONTE_CARLO_COLUMNS, np.nan) | {"target": "P1a", "proposition": "P1",
                                                                      "parameter": "PDC", "n": 100, "replications": 4,
                                                                      "not_converged": 0, "inadmissible": 0,
                                                                      "mean_estimate": 0.123}])
    # P1b's intervals at N = 200: 1 of 4 cover its population value, below the 99 % band
    # of Binomial(4, .95) / 4, [50 %, 100 %]
    mc.loc[1] = dict.fromkeys(MONTE_CARLO_COLUMNS, np.nan) | {
        "target": "P1b", "proposition": "P1", "parameter": "SOE" + XSS, "n": 200, "replications": 4,
        "not_converged": 0, "inadmissible": 0, "population_value": 0.0, "coverage": 0.25, "sd_estimate": 0.2,
        "mean_se": 0.1}
    return {"power": power, "sample_size": sample_size_table(power), "monte_carlo": mc,
            "rmsea_power": rmsea_power_table([100, 200], {"b": 40}), "verdicts": verdict_table(rows),
            "calibration": interval_calibration(mc, 0.95)}


def test_power_page_tables_curves_and_escaping():
    html, tables = power_page(_results(), CONFIG)
    text = re.sub(r"<[^>]+>", " ", html)
    assert XSS not in html and "&lt;script&gt;" in html
    assert [name for name, _ in tables] == ["power_by_n", "calibration", "verdicts", "sample_size", "type_one",
                                            "monte_carlo", "rmsea"]
    assert "0 of 1 parameter and N combinations" in text
    assert re.search(r"P1b\s+SOE&lt;script&gt;.*?\s+200\s+25\.0%\s+95\.0%\s+50\.0%\s+100\.0%\s+2\.00\s+too narrow", text)
    assert re.search(r"P1\s+not supported\s+100\.0%\s+100\.0%", text)
    assert re.search(r"P1a\s+sub-hypothesis\s+50\.0% \(25\.0%\)\s+100\.0% \(0\.0%\)", text)
    assert re.search(r"P1a\s+80%\s+160\s+interpolated between N = 100 and 200", text)
    assert re.search(r"P1b\s+100\s+4\s+0\.0%\s+0\.0%", text)  # the true null's type-I error
    assert "Simulated studies" in text and "Wald / delta-method CIs" in text
    svg = re.search(r"<figure.*?</figure>", html, re.S).group(0)
    assert "Figure 1." in svg and "P1b (true null)" in svg and 'stroke-dasharray="2 2"' in svg  # the 80 % line
    assert ">100<" in svg and ">200<" in svg  # N on the x axis


def test_overview_links_the_power_page_once_it_exists(tmp_path):
    kw = make_results(tmp_path)
    build_report(Context(**kw), tmp_path / "reports")
    index = (tmp_path / "reports" / "index.html").read_text(encoding="utf-8")
    assert 'href="power.html"' not in index and "Power study – not run" in index
    (tmp_path / "reports" / "power.html").write_text("<html></html>", encoding="utf-8")
    build_report(Context(**kw), tmp_path / "reports")
    index = (tmp_path / "reports" / "index.html").read_text(encoding="utf-8")
    assert 'href="power.html"' in index
