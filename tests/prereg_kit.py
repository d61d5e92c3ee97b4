"""The pre-registration of the test config (.test/config_fiml and .test/scales) for the tests."""

from __future__ import annotations

import copy

import survey_kit
from survey_kit import ROOT

from surveysem.instrument.analysed import analysed_instrument
from surveysem.instrument.facets import instrument_digests
from surveysem.instrument.scales import load_instrument
from surveysem.preregistration.lock import registration

XSS = "<script>alert(1)</script>"


def base_config(**sections) -> dict:
    """The validated test config (.test/config_fiml), as :func:`survey_kit.test_config`."""
    return survey_kit.test_config(**sections)


def scales_dir(config: dict):
    return ROOT / config["instrument"]["scales_dir"]


def analysed(config: dict):
    return analysed_instrument(load_instrument(scales_dir(config)), config.get("scales"))


def record(config: dict) -> dict:
    """The registration record of ``config`` with the test instrument."""
    return registration(config, analysed(config), instrument_digests(scales_dir(config)))


def hypothesis(config: dict, hid: str) -> dict:
    return next(h for h in config["hypotheses"] if h["id"] == hid)


def edited(config: dict, edit) -> dict:
    """A deep copy of ``config`` changed by ``edit(copy)``."""
    out = copy.deepcopy(config)
    edit(out)
    return out

