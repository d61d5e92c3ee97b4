"""Configs are validated against the schema shipped in the package, failures are one line.

Run on the .test/ configs (the default config on test data), never on config/config.yaml."""

import copy
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import workflow_copy

from surveysem.config import DEFAULT_SCHEMA as SCHEMA
from surveysem.config import load_config, section_with_defaults, validate_config
from surveysem.errors import SurveySemError

ROOT = Path(__file__).resolve().parents[1]
TEST_CONFIGS = sorted((ROOT / ".test").glob("config_*/config.yaml"))


@pytest.fixture(scope="module")
def config():
    return yaml.safe_load((ROOT / ".test" / "config_fiml" / "config.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", TEST_CONFIGS, ids=lambda p: p.parent.name)
def test_test_configs_are_valid(path):
    cfg = load_config(path)
    assert cfg["data"]["synthetic"] is True


def test_schema_defaults_fill_a_missing_section(config):
    """Defaults live in the schema only: a section left out comes back complete at validation."""
    partial = copy.deepcopy(config)
    for section in ("screening", "measurement", "verdict_rule", "p4", "bootstrap"):
        partial.pop(section)
    cfg = validate_config(partial)
    assert cfg["screening"]["speeders"]["threshold"] == 0.3333333333
    assert cfg["measurement"]["thresholds"]["htmt_max"] == 0.85
    assert cfg["bootstrap"]["B"] == 2000 and cfg["p4"]["models"] == ["a", "b", "c"]
    assert cfg["verdict_rule"]["p4_ci"] == "bootstrap"
    # null seeds are the study seed
    assert cfg["measurement"]["seed"] == cfg["bootstrap"]["seed"] == cfg["study"]["seed"]
    assert section_with_defaults("screening")["straightlining"] == {"enabled": True, "threshold": 20}


def test_schema_is_shipped_inside_the_package():
    import surveysem

    assert SCHEMA.parent.parent == Path(surveysem.__file__).parent and SCHEMA.is_file()


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
    work = workflow_copy(tmp_path)
    proc = subprocess.run(
        [str(snakemake), "-n", "--configfile", str(cfg)],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode != 0
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert lines == [f"surveysem: error: {cfg}: data.missing: 'impute-everything' is not one of "
                     "['listwise', 'pairwise', 'fiml']"]
