"""User YAML (configs, the instrument) with a key given twice or nested-alias bombs: one line, fast."""

from __future__ import annotations

import time

import pytest
import yaml
from conftest import SNAKEMAKE, run, workflow_copy

from surveysem.config import load_config
from surveysem.errors import SurveySemError
from surveysem.instrument.scales import load_instrument
from surveysem.safe_yaml import MAX_NODES, load_yaml

BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]\n" for i in range(8))


def test_a_key_given_twice_names_both_lines(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("study:\n  seed: 1\n  title: x\n  seed: 2\n", encoding="utf-8")
    with pytest.raises(SurveySemError) as info:
        load_yaml(path)
    assert str(info.value) == (f"{path}, row 4: key 'seed' is given twice in one mapping (first on line 2); "
                               "YAML would keep only the last")


def test_nested_aliases_are_refused_at_once(tmp_path):
    path = tmp_path / "bomb.yaml"
    path.write_text(BOMB, encoding="utf-8")
    start = time.perf_counter()
    with pytest.raises(SurveySemError, match=f"expands to more than {MAX_NODES:,} values"):
        load_config(path)
    assert time.perf_counter() - start < 2


def test_ordinary_aliases_still_work(tmp_path):
    path = tmp_path / "ok.yaml"
    path.write_text("base: &c [1, 2]\nuse: *c\nmerged:\n  <<: {a: 1}\n  b: 2\n", encoding="utf-8")
    assert load_yaml(path) == yaml.safe_load(path.read_text(encoding="utf-8"))


def test_an_instrument_file_with_a_duplicate_key(tmp_path):
    import shutil

    from conftest import ROOT

    scales = tmp_path / "scales"
    shutil.copytree(ROOT / ".test" / "scales", scales)
    pdc = scales / "capabilities" / "PDC.yaml"
    pdc.write_text(pdc.read_text(encoding="utf-8") + "label: again\n", encoding="utf-8")
    with pytest.raises(SurveySemError, match="key 'label' is given twice"):
        load_instrument(scales)


def test_snakemake_stops_on_a_bomb_in_one_line_before_reading_it(tmp_path):
    work = workflow_copy(tmp_path)
    (work / "config").mkdir()
    (work / "config" / "config.yaml").write_text(BOMB, encoding="utf-8")
    start = time.perf_counter()
    proc = run([SNAKEMAKE, "-n"], work, timeout=120)
    assert proc.returncode == 1 and time.perf_counter() - start < 30
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert lines == [f"surveysem: error: config/config.yaml: the YAML expands to more than {MAX_NODES:,} values "
                     "(nested aliases); write the values out instead"]
