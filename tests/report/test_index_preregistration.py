"""The overview's deviations from the pre-registration: the test config pre-registered, then run
unchanged, with a changed hypothesis, with a scales: drop, and with a planted script in a statement."""

from __future__ import annotations

import re
from html import unescape

from prereg_kit import XSS, analysed, edited, hypothesis
from survey_kit import ROOT

from surveysem.report.pages.context import Context
from surveysem.report.pages.index import index_page
from surveysem.stage_files import REPORT_FILES

LOCK = ".test/config_fiml/preregistration.lock.json"


def overview(tmp_path, config, lock) -> str:
    """index.html of a run with ``config`` (no result files) and the lock record ``lock``."""
    files = {key: str(tmp_path / "absent" / key) for key in REPORT_FILES}
    ctx = Context(files=files, config=config, config_path=None, instrument=analysed(config), root=str(ROOT),
                  preregistration=lock, preregistration_file=LOCK if lock else "")
    return index_page(ctx).html


def section_text(html: str) -> str:
    body = html.split('<section id="preregistration">', 1)[1].split("</section>", 1)[0]
    return unescape(re.sub(r"<[^>]+>", "", body))


def rows(html: str) -> list[list[str]]:
    table = html.split('<section id="preregistration">', 1)[1].split("</section>", 1)[0]
    return [[unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", tr, re.DOTALL)]
            for tr in re.findall(r"<tr>(.*?)</tr>", table.split("<tbody>", 1)[1].split("</tbody>", 1)[0], re.DOTALL)]



def test_not_pre_registered_without_a_lock(tmp_path, prereg_config):
    text = section_text(overview(tmp_path, prereg_config, None))
    assert "Not pre-registered: there is no preregistration.lock.json beside the config file" in text
    assert "surveysem preregister" in text


def test_unchanged_no_deviations(tmp_path, prereg_config, prereg_record):
    text = section_text(overview(tmp_path, prereg_config, prereg_record))
    assert "No deviations from the pre-registration" in text
    assert prereg_record["config_sha256"] in text and LOCK in text


def test_a_changed_sign_after_pre_registration_is_listed(tmp_path, prereg_config, prereg_record):
    used = edited(prereg_config, lambda c: hypothesis(c, "P1")["expected"].__setitem__(3, "-"))
    html = overview(tmp_path, used, prereg_record)
    assert "1 deviation from the pre-registration" in section_text(html)
    assert rows(html) == [["config", "hypotheses[P1].expected", "changed", '["+", "+", "+", "+", "-"]',
                           '["+", "+", "+", "-", "-"]']]


def test_a_scales_drop_is_listed(tmp_path, prereg_config, prereg_record):
    used = edited(prereg_config, lambda c: c.__setitem__("scales", {"PDC": {"drop": {"PDC5": "loading .41"}}}))
    assert rows(overview(tmp_path, used, prereg_record)) == [
        ["config", "scales.PDC", "added", "—", '{"drop": {"PDC5": "loading .41"}}'],
        ["analysed scales", "analysed_indicators.PDC", "changed", '["PDC1", "PDC2", "PDC3", "PDC4", "PDC5"]',
         '["PDC1", "PDC2", "PDC3", "PDC4"]']]


def test_a_planted_script_in_a_statement_is_escaped(tmp_path, prereg_config, prereg_record):
    used = edited(prereg_config, lambda c: hypothesis(c, "P2").__setitem__("statement", "Diversification " + XSS))
    html = overview(tmp_path, used, prereg_record)
    assert XSS not in html
    assert "Diversification &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert [r[1] for r in rows(html)] == ["hypotheses[P2].statement"]


def test_a_lock_edited_by_hand_is_flagged(tmp_path, prereg_config, prereg_record):
    tampered = edited(prereg_record, lambda r: r["config"]["verdict_rule"].__setitem__("alpha", 0.2))
    html = overview(tmp_path, prereg_config, tampered)
    assert "The lock file was edited by hand" in section_text(html)
    assert [r[1] for r in rows(html)] == ["verdict_rule.alpha"]
