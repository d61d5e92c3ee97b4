"""A one-sided test is shown with its matching interval, and each page has one convention of
significance marks (two-sided p of the row's own test, SIG_NOTE), explained in the table notes."""

import html as html_lib
import re

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from surveysem.report.html import PAGES
from surveysem.report.one_sided import matching_bound
from surveysem.report.pages import Context, build_report
from surveysem.report.tables import SIG_NOTE
from surveysem.stage_files import path as stage_path
from tests.report.results_tree import make_results


@pytest.mark.parametrize("dist", [stats.norm(), stats.t(12), stats.t(200)])
@pytest.mark.parametrize("expected", ["+", "-"])
def test_bound_uses_the_tests_own_distribution_and_excludes_0_exactly_when_p_below_alpha(dist, expected):
    se = 0.06
    for est in np.linspace(0.02, 0.2, 37) * (1 if expected == "+" else -1):
        q975 = dist.ppf(0.975)
        bound = matching_bound(est, se, est - q975 * se, est + q975 * se, expected, 0.05)
        assert bound == pytest.approx(est - np.sign(est) * dist.ppf(0.95) * se, abs=1e-9)
        p_one_sided = dist.sf(abs(est) / se)
        assert (bound > 0 if expected == "+" else bound < 0) == (p_one_sided < 0.05)


def test_no_bound_without_its_numbers():
    assert matching_bound(0.1, None, 0.0, 0.2, "+", 0.05) is None
    assert matching_bound(0.1, 0.05, 0.0, 0.2, "", 0.05) is None


# P3c as the composite GLM of a P3 verdict: one-sided p = .033 < .05, two-sided 95% CI [-0.01, 0.23] includes 0
P3C = {"proposition": "P3", "id": "P3c", "term": "SOE", "expected": "+", "family": "gamma_log", "family_used": "gamma_log",
       "primary": True, "estimator": "composite_glm", "est": 0.11, "se": 0.06, "std_all": np.nan, "one_sided_bound": np.nan,
       "ci_lower": 0.11 - 1.959964 * 0.06, "ci_upper": 0.11 + 1.959964 * 0.06, "p_one_sided": 0.0334, "p_adjusted": 0.0334,
       "problem": "", "verdict": "supported"}


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    root = tmp_path_factory.mktemp("onesided")
    kw = make_results(root)
    path = root / stage_path("subhypotheses")
    subs = pd.read_csv(path)
    pd.concat([subs, pd.DataFrame([P3C])], ignore_index=True).to_csv(path, index=False)
    build_report(Context(**kw), root / "reports", root / "results" / "tables")
    return {name: (root / "reports" / name).read_text(encoding="utf-8") for name, _ in PAGES
            if (root / "reports" / name).is_file()}


def _text(fragment: str) -> str:
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def test_p3c_shows_the_matching_bound_that_excludes_0(pages):
    table = re.search(r'<table class="apa" id="table-p3-subhypotheses">.*?</table>', pages["propositions.html"], re.DOTALL).group(0)
    text = _text(table)
    # 0.11 - 1.645 * 0.06 = 0.011: beyond 0, where the two-sided 95% CI is not
    assert "P3c SOE + composite-score GLM: gamma_log 0.11 — 0.06 [−0.01, 0.23] ≥ 0.01 .033 .033 supported" in text
    assert "the interval that matches the one-sided test (the end of the two-sided 90% interval)" in text
    assert "may include 0" in text


def _tables(page: str) -> list[tuple[str, str]]:
    """(cells, note) of every table of a page."""
    out = []
    for table in re.findall(r'<table class="apa".*?</table>', page, re.DOTALL):
        body, _, foot = table.partition("<tfoot>")
        out.append((_text(body), _text(foot)))
    return out


MARK = re.compile(r"\d\*+(?=\s|$| ?†)")


def test_no_page_mixes_two_conventions_of_marks(pages):
    for name, page in pages.items():
        for cells, note in _tables(page):
            if MARK.search(cells):  # marks: the page's one convention, said in the note
                assert SIG_NOTE in note, (name, cells[:80])
            assert "use p (adj.)" not in note and "one-sided p <" not in note, name
    props = pages["propositions.html"]
    for cells, note in _tables(props):
        if "One-sided bound" in cells:  # the one-sided verdict tests: no marks, and the note says why
            assert not MARK.search(cells) and "No significance marks in this table" in note
    assert any(MARK.search(cells) and SIG_NOTE in note for cells, note in _tables(props))  # the model tables keep theirs
    # the forest plots carry no marks either (their b are the one-sided tests')
    for forest in re.findall(r'<figure id="forest-.*?</figure>', props, re.DOTALL):
        assert not MARK.search(_text(forest))
