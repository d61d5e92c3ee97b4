"""The analysed scales: the instrument refined by the config's scales: (issue 16)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import survey_kit as kit
from conftest import ROOT

from surveysem.config import validate_config
from surveysem.errors import SurveySemError
from surveysem.instrument.analysed import (REASON_GIVEN, analysed_instrument, capability_processes, dropped_items,
                                           with_parcels)
from surveysem.instrument.codebook import analysis_use, codebook_table
from surveysem.instrument.scales import load_instrument
from surveysem.propositions.settings import workflow_hypotheses
from surveysem.workflow.params import config_leaves

INST = load_instrument(ROOT / ".test" / "scales")


def _items(inst, cid):
    return [i.id for i in inst.constructs[cid].items]


def test_default_is_the_instrument_as_fielded():
    inst = analysed_instrument(INST, {})
    assert list(inst.constructs) == list(INST.constructs)
    assert all(_items(inst, c) == _items(INST, c) for c in INST.constructs)
    assert inst.dropped == () and inst.parcels == {}
    assert capability_processes(inst) == {"sensing": ["PDC", "CCA", "EFT"],
                                          "seizing": ["SOE", "ECP", "ODV", "TEC", "BMM"],
                                          "reconfiguring": ["CUS", "TOC", "ICO"]}


def test_drop_keeps_the_fielded_instrument_and_records_the_reason():
    inst = analysed_instrument(INST, {"PDC": {"drop": {"PDC5": "loading .41 < .50"}}})
    assert _items(inst, "PDC") == ["PDC1", "PDC2", "PDC3", "PDC4"]
    assert [i.id for i in inst.fielded_constructs["PDC"].items][-1] == "PDC5"
    assert dropped_items(inst)["PDC5"].reason == "loading .41 < .50"
    table = codebook_table(inst)
    row = table.set_index("variable").loc["PDC5"]
    assert row["used_in_analysis"] == "no: loading .41 < .50" and row["construct"] == "PDC"
    assert table.set_index("variable").loc["PDC1", "used_in_analysis"] == "yes"
    assert len(table) == len(codebook_table(INST))  # every fielded item still listed


def test_items_with_a_reason_split_merge_parcel_and_process():
    cfg = {
        "CUS": {"items": ["CUS1", "CUS2", "CUS3", "CUS4"], "reason": "CUS5 cross-loads on TOC"},
        "TOC": {"parcels": {"TOC_P1": ["TOC1", "TOC2"]}},
        "SOE_A": {"from": ["SOE"], "items": ["SOE1", "SOE2", "SOE3"]},
        "SOE_B": {"from": ["SOE"], "items": ["SOE4", "SOE5"], "allow_fewer_items": True},
        "PCX": {"from": ["PDC", "CCA"], "label": "Demand and competitors"},
        "ICO": {"process": "seizing"},
    }
    inst = analysed_instrument(INST, cfg)
    assert dropped_items(inst)["CUS5"].reason == "CUS5 cross-loads on TOC"
    assert _items(inst, "TOC") == ["TOC_P1", "TOC3", "TOC4", "TOC5"]
    assert "SOE" not in inst.constructs and _items(inst, "SOE_B") == ["SOE4", "SOE5"]
    assert _items(inst, "PCX") == _items(INST, "PDC") + _items(INST, "CCA")
    assert inst.constructs["PCX"].label == "Demand and competitors" and inst.constructs["PCX"].process == "sensing"
    assert capability_processes(inst)["seizing"][-1] == "ICO"
    assert list(inst.constructs)[:3] == ["PCX", "EFT", "SOE_A"]  # at the place of the first source
    use = analysis_use(inst)
    assert use["TOC1"] == "yes, in parcel TOC_P1" and use["SOE4"] == "yes, in SOE_B" and use["PDC1"] == "yes, in PCX"
    data = pd.DataFrame({"TOC1": [1, 2, np.nan, np.nan], "TOC2": [3, np.nan, 4, np.nan]})
    assert with_parcels(data, inst)["TOC_P1"].tolist()[:3] == [2.0, 2.0, 4.0]
    assert np.isnan(with_parcels(data, inst)["TOC_P1"].iloc[3])


@pytest.mark.parametrize("scales, message", [
    ({"XYZ": {"drop": {"XYZ1": "x"}}}, "scales.XYZ: unknown construct 'XYZ'"),
    ({"PDC": {"drop": {"PDC9": "x"}}}, "scales.PDC.drop.PDC9: 'PDC9' is not an item of PDC"),
    ({"PDC": {"items": ["PDC1", "PDC2", "CCA1"]}}, "scales.PDC.items[2]: 'CCA1' is not an item of PDC"),
    ({"PDC": {"drop": {"PDC3": "a", "PDC4": "b", "PDC5": "c"}}},
     "scales.PDC: 2 indicator(s) left (PDC1, PDC2); a scale needs at least 3, or set allow_fewer_items: true"),
    ({"PDC": {"items": ["PDC1", "PDC2", "PDC3"]}}, "scales.PDC.reason: PDC4 leaves the analysis without a reason"),
    ({"PDC": {"items": ["PDC1", "PDC2", "PDC3", "PDC4"], "drop": {"PDC4": "x"}}},
     "scales.PDC.items[3]: PDC4 is listed under items and under drop"),
    ({"X1": {"from": ["PDC"], "items": ["PDC1", "PDC2", "PDC3"]}, "X2": {"from": ["PDC"], "items": ["PDC3", "PDC4", "PDC5"]}},
     "scales.X2.items[0]: PDC3 is also in the analysed scale X1; an item belongs to one"),
    ({"X1": {"from": ["PDC"], "items": ["PDC1", "PDC2", "PDC3"]}},
     "scales.X1.drop: item(s) PDC4, PDC5 of PDC are in no construct built from it; list them under drop: with a reason"),
    ({"X1": {"from": ["PDC", "SOE"]}}, "scales.X1.process: the sources lie in different processes"),
    ({"X1": {"from": ["PDC", "OIE_RSP"]}}, "scales.X1.from: sources of different kinds"),
    ({"X1": {"from": ["NOPE"]}}, "scales.X1.from[0]: unknown construct 'NOPE'"),
    ({"X1": {"from": ["PDC"]}, "PDC": {"drop": {"PDC1": "x"}}}, "scales.PDC: PDC is replaced by X1 (from:)"),
    ({"ATTN": {"drop": {"ATTN1": "x"}}}, "scales.ATTN: ATTN is an attention construct of the instrument"),
    ({"OIE_RSP": {"process": "sensing"}}, "scales.OIE_RSP.process: only capabilities have a process"),
    ({"PDC": {"parcels": {"PDC1": ["PDC2", "PDC3"]}}}, "scales.PDC.parcels.PDC1: 'PDC1' is already the id"),
    ({"PDC": {"parcels": {"P1": ["PDC1", "PDC2"], "P2": ["PDC2", "PDC3"]}}}, "scales.PDC.parcels.P2[0]: PDC2 is already in parcel P1"),
    ({"PDC": {"parcels": {"P1": ["PDC1", "PDC2", "PDC3"], "P2": ["PDC4", "PDC5"]}}},
     "scales.PDC: 2 indicator(s) left (P1, P2)"),
])
def test_invalid_entries_are_one_line_naming_the_key(scales, message):
    with pytest.raises(SurveySemError) as err:
        analysed_instrument(INST, scales)
    text = err.value.one_line()
    assert "\n" not in text and message in text and text.startswith("config/config.yaml: ")


@pytest.mark.parametrize("scales, message", [
    ({"PDC": {"drop": {"PDC5": 3}}}, "scales.PDC.drop.PDC5: 3 is not of type 'string'"),
    ({"PDC": {"drop": {"PDC5": " "}}}, "scales.PDC.drop.PDC5: ' ' does not match"),
    ({"PDC": {"dorp": {"PDC5": "x"}}}, "scales.PDC: unknown key"),
    ({"pdc": {}}, "scales: 'pdc' does not match"),
    ({"PDC": {"process": "sensin"}}, "scales.PDC.process: 'sensin' is not one of"),
    ({"PDC": {"parcels": {"P1": ["PDC1"]}}}, "scales.PDC.parcels.P1: ['PDC1'] is too short"),
])
def test_the_schema_checks_shapes(scales, message):
    cfg = kit.test_config()
    cfg["scales"] = scales
    with pytest.raises(SurveySemError) as err:
        validate_config(cfg)
    assert message in err.value.one_line()


def test_the_workflow_parse_validates_scales_and_hypotheses_against_them(capsys):
    cfg = validate_config(kit.test_config())
    cfg["scales"] = {"SOE_A": {"from": ["SOE"], "items": ["SOE1", "SOE2", "SOE3"]},
                     "SOE_B": {"from": ["SOE"], "items": ["SOE4", "SOE5"], "allow_fewer_items": True}}
    with pytest.raises(SystemExit):  # P1 still names SOE, which the split replaced
        workflow_hypotheses(cfg, ROOT / ".test" / "scales")
    assert "predictors[1]: unknown construct 'SOE'" in capsys.readouterr().err
    cfg["scales"] = {"PDC": {"drop": {"PDC9": "x"}}}
    with pytest.raises(SystemExit):
        workflow_hypotheses(cfg, ROOT / ".test" / "scales")
    assert "scales.PDC.drop.PDC9" in capsys.readouterr().err


def test_statistics_read_item_lists_of_their_constructs_and_no_reason():
    cfg = validate_config(kit.test_config())
    cfg["scales"] = {"PDC": {"drop": {"PDC5": "low"}}, "CCA": {"items": ["CCA1", "CCA2", "CCA3"], "reason": "r"}}
    p1 = config_leaves(cfg, ["scales[of:{hyp}]"], hyp="P1")  # P1: PDC, SOE, ECP, CUS
    assert p1 == {"scales.PDC.drop": ["PDC5"]}
    p2 = config_leaves(cfg, ["scales[of:{hyp}]"], hyp="P2")  # P2: CCA, ODV, TOC
    assert p2 == {"scales.CCA.items": ["CCA1", "CCA2", "CCA3"], "scales.CCA.reason": REASON_GIVEN}
    # what a statistics step rebuilds from those leaves is the same analysed scale
    rebuilt = analysed_instrument(INST, {"PDC": {"drop": ["PDC5"]}})
    assert _items(rebuilt, "PDC") == ["PDC1", "PDC2", "PDC3", "PDC4"]
