"""Bad power grids end in one line naming the key, at parse time; the free-parameter count of the
P4 models against the SEM engine's own parameter table (exact: both count integers)."""

import copy
import subprocess

import pytest
import yaml
from conftest import ENV, ROOT, SMALL_CONFIG, SNAKEMAKE, workflow_copy
from survey_kit import test_config as fiml_test_config

from surveysem.config import validate_config
from surveysem.errors import SurveySemError
from surveysem.instrument.analysed import (
    analysed_instrument,
    capability_processes,
    scale_indicators,
)
from surveysem.instrument.scales import load_instrument
from surveysem.power.settings import (
    check_power,
    p4_degrees_of_freedom,
    p4_free_parameters,
)
from surveysem.propositions.hypotheses import parse_hypotheses


def _parts(cfg):
    inst = analysed_instrument(load_instrument(cfg["instrument"]["scales_dir"], regions=False), cfg.get("scales"))
    hyps = parse_hypotheses(cfg["hypotheses"], list(inst.constructs), processes=capability_processes(inst))
    return hyps, inst


@pytest.mark.parametrize("model", ["a", "b", "c"])
def test_free_parameters_and_df_agree_with_the_sem_engine(model):
    from surveysem.propositions.p4 import p4_syntax
    from surveysem.sem import prepare_model

    cfg = fiml_test_config()
    hyps, inst = _parts(cfg)
    sem = next(h for h in hyps if h.is_sem)
    indicators = scale_indicators(inst)
    columns = [i for members in sem.processes.values() for c in members for i in indicators[c]]
    columns += ["g_spread", "g_div", "g_int"]
    pm = prepare_model(p4_syntax(sem.processes, indicators, model), columns)
    counts = {c: len(v) for c, v in indicators.items()}
    assert p4_free_parameters(sem.processes, counts, model) == pm.spec.npar
    p = len(columns)
    assert p4_degrees_of_freedom(sem.processes, counts, model) == p * (p + 1) // 2 - pm.spec.npar


def _power(**power):
    cfg = fiml_test_config()
    cfg = copy.deepcopy(cfg)
    cfg["power"] = {**cfg["power"], **power}
    return cfg


@pytest.mark.parametrize("power, line", [
    ({"sizes": [50, 150]}, "power.sizes: N = 50 is not above the 58 observed variables of the P4 model"),
    ({"propositions": ["P1", "P9"]}, "power.propositions: unknown proposition 'P9' (hypotheses: P1, P2, P3, P4)"),
])
def test_bad_grids_name_the_key(power, line):
    cfg = _power(**power)
    with pytest.raises(SurveySemError) as err:
        check_power(cfg, *_parts(cfg))
    assert line in err.value.one_line() and "\n" not in err.value.one_line()


def test_sizes_without_p4_need_no_p4_check():
    cfg = _power(sizes=[50], propositions=["P1"])
    check_power(cfg, *_parts(cfg))


@pytest.mark.parametrize("power, line", [
    ({"replications": 0}, "power.replications: 0 is less than the minimum of 1"),
    ({"sizes": []}, "power.sizes: [] should be non-empty"),
])
def test_schema_refuses_zero_replications_and_no_sizes(power, line):
    with open(ROOT / SMALL_CONFIG, encoding="utf-8") as fh:
        cfg = yaml.safe_load(fh)
    cfg["power"].update(power)
    with pytest.raises(SurveySemError) as err:
        validate_config(cfg)
    assert line in err.value.one_line()


def test_snakemake_stops_at_parse_time_with_one_line(tmp_path):
    work = workflow_copy(tmp_path)
    cfg = yaml.safe_load((work / SMALL_CONFIG).read_text(encoding="utf-8"))
    cfg["power"]["propositions"] = ["P7"]
    path = work / "bad.yaml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    proc = subprocess.run([SNAKEMAKE, "-n", "--cores", "1", "--configfile", str(path), "--", "power"], cwd=work,
                          capture_output=True, text=True, timeout=300, env=ENV, check=False)
    assert proc.returncode == 1
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("surveysem: error:")]
    assert len(errors) == 1 and "power.propositions: unknown proposition 'P7'" in errors[0]
