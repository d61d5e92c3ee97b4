"""Verdict rules (hand-constructed cases: every threshold from both sides)."""

import math

import pytest

from surveysem.config import section_with_defaults
from surveysem.measurement.verdicts import scale_verdict

GOOD = {"alpha": 0.85, "omega": 0.86, "cr": 0.86, "ave": 0.6}
# The schema's defaults: reliability .70, AVE .50, HTMT .85 / .90, loading .50.
DEFAULT_THRESHOLDS = section_with_defaults("measurement")["thresholds"]


def verdict(name, stats, thresholds=None, **kwargs):
    return scale_verdict(name, stats, thresholds={**DEFAULT_THRESHOLDS, **(thresholds or {})}, **kwargs)


def test_pass():
    v = verdict("PDC", GOOD, items=[{"item": "PDC1", "loading": 0.8}],
                      htmt={"CCA": 0.5}, fornell_larcker_ok=True)
    assert v["verdict"] == "pass" and v["reasons"] == "" and v["suggestions"] == ""


@pytest.mark.parametrize("key", ["alpha", "omega", "cr"])
def test_low_reliability_fails(key):
    v = verdict("X", {**GOOD, key: 0.69})
    assert v["verdict"] == "fail"
    assert ".69 < .70" in v["reasons"]
    assert verdict("X", {**GOOD, key: 0.70})["verdict"] == "pass"


def test_ave_warn_when_cr_ok_fail_when_not():
    assert verdict("X", {**GOOD, "ave": 0.45})["verdict"] == "warn"
    v = verdict("X", {**GOOD, "ave": 0.45, "cr": 0.65})
    assert v["verdict"] == "fail" and "AVE .45 < .50" in v["reasons"]


def test_htmt_bands():
    assert verdict("X", GOOD, htmt={"Y": 0.849})["verdict"] == "pass"
    w = verdict("X", GOOD, htmt={"Y": 0.85})
    assert w["verdict"] == "warn" and "HTMT with Y .85" in w["reasons"]
    assert verdict("X", GOOD, htmt={"Y": 0.90})["verdict"] == "fail"
    assert verdict("X", GOOD, htmt={"Y": 0.86, "Z": 0.3})["max_htmt"] == pytest.approx(0.86)


def test_low_loading_warns_and_the_suggestions_are_the_refinement_assistants():
    says = ["consider removing PDC3: standardized loading .41 < .50, AVE without it .62 (now .55)"]
    v = verdict("PDC", {**GOOD, "alpha": 0.79}, items=[{"item": "PDC1", "loading": 0.8}, {"item": "PDC3", "loading": 0.41}],
                suggestions=says)
    assert v["verdict"] == "warn" and "PDC3 loading .41 < .50" in v["reasons"]
    assert v["suggestions"] == says[0]
    assert v["min_loading"] == pytest.approx(0.41)
    assert verdict("PDC", GOOD, items=[{"item": "PDC3", "loading": 0.41}])["suggestions"] == ""


def test_fornell_larcker_and_statistical_warnings():
    assert verdict("X", GOOD, fornell_larcker_ok=False)["verdict"] == "warn"
    v = verdict("X", GOOD, warnings=["CFA: Heywood case: negative residual variance for X2 (-0.1)"])
    assert v["verdict"] == "warn" and "Heywood" in v["reasons"]


def test_missing_statistics_are_warnings():
    v = verdict("X", {"alpha": 0.8, "omega": float("nan"), "cr": None, "ave": None})
    assert v["verdict"] == "warn"
    assert "omega not available" in v["reasons"] and "CR not available" in v["reasons"]
    assert math.isnan(v["cr"])


def test_custom_thresholds():
    v = verdict("X", {**GOOD, "alpha": 0.75}, thresholds={"reliability_min": 0.8})
    assert v["verdict"] == "fail" and "alpha .75 < .80" in v["reasons"]
