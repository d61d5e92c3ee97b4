"""``surveysem preregister``: the lock beside the config, its stored hash, and no silent overwrite."""

from __future__ import annotations

import json
import shutil

import yaml
from survey_kit import ROOT

from surveysem.cli import main
from surveysem.config import load_config
from surveysem.io import canonical_json_sha256
from surveysem.preregistration.lock import frozen_config

CONFIG = ".test/config_small/config.yaml"
LOCK = ".test/config_small/preregistration.lock.json"


def _workdir(tmp_path, monkeypatch):
    (tmp_path / ".test").mkdir()
    shutil.copytree(ROOT / ".test" / "scales", tmp_path / ".test" / "scales")
    shutil.copytree(ROOT / ".test" / "config_small", tmp_path / ".test" / "config_small")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_lock_holds_the_frozen_config_and_its_hash(tmp_path, monkeypatch, capsys):
    work = _workdir(tmp_path, monkeypatch)
    assert main(["preregister", "--config", CONFIG]) == 0
    lock = json.loads((work / LOCK).read_text(encoding="utf-8"))
    config = load_config(CONFIG)
    assert lock["config"] == frozen_config(config) and "simulate" not in lock["config"]
    assert lock["config_sha256"] == canonical_json_sha256(lock["config"])
    assert set(lock["instrument"]["facets"]) == {"items", "decoding", "profile", "eligibility", "regions", "text"}
    assert lock["instrument"]["analysed_indicators"]["PDC"] == ["PDC1", "PDC2", "PDC3", "PDC4", "PDC5"]
    assert lock["config_sha256"] in capsys.readouterr().out
    first = (work / LOCK).read_bytes()
    assert main(["preregister", "--config", CONFIG]) == 0  # unchanged: same bytes
    assert (work / LOCK).read_bytes() == first and "unchanged" in capsys.readouterr().out


def test_a_changed_config_is_not_frozen_again_without_force(tmp_path, monkeypatch, capsys):
    work = _workdir(tmp_path, monkeypatch)
    assert main(["preregister", "--config", CONFIG]) == 0
    before = (work / LOCK).read_bytes()
    raw = yaml.safe_load((work / CONFIG).read_text(encoding="utf-8"))
    raw["verdict_rule"]["alpha"] = 0.10
    (work / CONFIG).write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    capsys.readouterr()
    assert main(["preregister", "--config", CONFIG]) == 1
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and LOCK in err and "verdict_rule.alpha" in err and "--force" in err
    assert (work / LOCK).read_bytes() == before
    assert main(["preregister", "--config", CONFIG, "--force"]) == 0
    assert json.loads((work / LOCK).read_text(encoding="utf-8"))["config"]["verdict_rule"]["alpha"] == 0.10


def test_an_invalid_hypothesis_is_not_frozen(tmp_path, monkeypatch, capsys):
    work = _workdir(tmp_path, monkeypatch)
    raw = yaml.safe_load((work / CONFIG).read_text(encoding="utf-8"))
    raw["hypotheses"][0]["predictors"][0] = "XYZ"
    (work / CONFIG).write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    assert main(["preregister", "--config", CONFIG]) == 1
    assert "unknown construct 'XYZ'" in capsys.readouterr().err
    assert not (work / LOCK).exists()
