"""Verdict rules (hand-constructed cases: every threshold from both sides)."""

import math

import pytest

from surveysem.measurement.verdicts import scale_verdict

GOOD = {"alpha": 0.85, "omega": 0.86, "cr": 0.86, "ave": 0.6}


def test_pass():
    v = scale_verdict("PDC", GOOD, items=[{"item": "PDC1", "loading": 0.8, "alpha_if_deleted": 0.8}],
                      htmt={"CCA": 0.5}, fornell_larcker_ok=True)
    assert v["verdict"] == "pass" and v["reasons"] == "" and v["suggestions"] == ""


@pytest.mark.parametrize("key", ["alpha", "omega", "cr"])
def test_low_reliability_fails(key):
    v = scale_verdict("X", {**GOOD, key: 0.69})
    assert v["verdict"] == "fail"
    assert ".69 < .70" in v["reasons"]
    assert scale_verdict("X", {**GOOD, key: 0.70})["verdict"] == "pass"


def test_ave_warn_when_cr_ok_fail_when_not():
    assert scale_verdict("X", {**GOOD, "ave": 0.45})["verdict"] == "warn"
    v = scale_verdict("X", {**GOOD, "ave": 0.45, "cr": 0.65})
    assert v["verdict"] == "fail" and "AVE .45 < .50" in v["reasons"]


def test_htmt_bands():
    assert scale_verdict("X", GOOD, htmt={"Y": 0.849})["verdict"] == "pass"
    w = scale_verdict("X", GOOD, htmt={"Y": 0.85})
    assert w["verdict"] == "warn" and "HTMT with Y .85" in w["reasons"]
    assert scale_verdict("X", GOOD, htmt={"Y": 0.90})["verdict"] == "fail"
    assert scale_verdict("X", GOOD, htmt={"Y": 0.86, "Z": 0.3})["max_htmt"] == pytest.approx(0.86)


def test_low_loading_suggests_item_but_never_drops():
    v = scale_verdict("PDC", {**GOOD, "alpha": 0.79},
                      items=[{"item": "PDC1", "loading": 0.8, "alpha_if_deleted": 0.7},
                             {"item": "PDC3", "loading": 0.41, "alpha_if_deleted": 0.83}])
    assert v["verdict"] == "warn"
    assert v["suggestions"] == "consider removing PDC3: loading .41, alpha if deleted .83 > .79"
    assert v["min_loading"] == pytest.approx(0.41)


def test_fornell_larcker_and_statistical_warnings():
    assert scale_verdict("X", GOOD, fornell_larcker_ok=False)["verdict"] == "warn"
    v = scale_verdict("X", GOOD, warnings=["CFA: Heywood case: negative residual variance for X2 (-0.1)"])
    assert v["verdict"] == "warn" and "Heywood" in v["reasons"]


def test_missing_statistics_are_warnings():
    v = scale_verdict("X", {"alpha": 0.8, "omega": float("nan"), "cr": None, "ave": None})
    assert v["verdict"] == "warn"
    assert "omega not available" in v["reasons"] and "CR not available" in v["reasons"]
    assert math.isnan(v["cr"])


def test_custom_thresholds():
    v = scale_verdict("X", {**GOOD, "alpha": 0.75}, thresholds={"reliability_min": 0.8})
    assert v["verdict"] == "fail" and "alpha .75 < .80" in v["reasons"]
