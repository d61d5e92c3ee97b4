"""config/config.yaml is validated against config/schema.yaml, failures are one line."""

import copy
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from surveysem.config import load_config, validate_config
from surveysem.errors import SurveySemError

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = ROOT / "config" / "schema.yaml"


@pytest.fixture(scope="module")
def config():
    return yaml.safe_load((ROOT / "config" / "config.yaml").read_text(encoding="utf-8"))


def test_bundled_config_is_valid():
    cfg = load_config(ROOT / "config" / "config.yaml", SCHEMA)
    assert cfg["data"]["synthetic"] is True


@pytest.mark.parametrize(
    "change, expected",
    [
        (lambda c: c["data"].__setitem__("on_invalid", "explode"), "data.on_invalid: 'explode' is not one of"),
        (lambda c: c["study"].__setitem__("seed", "abc"), "study.seed: 'abc' is not of type 'integer'"),
        (lambda c: c["data"].pop("survey"), "data: 'survey' is a required property"),
        (lambda c: c.__setitem__("colour", "blue"), "(top level): unknown key; Additional properties"),
    ],
)
def test_invalid_config_one_line_naming_key(config, change, expected):
    bad = copy.deepcopy(config)
    change(bad)
    with pytest.raises(SurveySemError) as info:
        validate_config(bad, SCHEMA)
    message = str(info.value)
    assert "\n" not in message
    assert expected in message


def test_yaml_syntax_error(tmp_path):
    f = tmp_path / "config.yaml"
    f.write_text("study: [unclosed\n", encoding="utf-8")
    with pytest.raises(SurveySemError, match="not valid YAML"):
        load_config(f, SCHEMA)


def test_snakemake_stops_with_one_line(tmp_path, config):
    bad = copy.deepcopy(config)
    bad["data"]["missing"] = "impute-everything"
    cfg = tmp_path / "bad.yaml"
    cfg.write_text(yaml.safe_dump(bad), encoding="utf-8")
    snakemake = Path(sys.executable).with_name("snakemake")
    proc = subprocess.run(
        [str(snakemake), "-n", "--configfile", str(cfg), "-d", str(ROOT)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode != 0
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert lines == ["surveysem: error: config/config.yaml: data.missing: 'impute-everything' is not one of "
                     "['listwise', 'pairwise', 'fiml']"]
