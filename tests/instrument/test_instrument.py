"""The instrument in scales/: content requirements and one-line errors for every defect."""

import shutil
from pathlib import Path

import pytest
import yaml

from surveysem.cli import main
from surveysem.errors import SurveySemError
from surveysem.propositions.hypotheses import parse_hypotheses
from surveysem.instrument.scales import REGIONS, load_instrument

ROOT = Path(__file__).resolve().parents[2]
SCALES = ROOT / ".test" / "scales"
CAPABILITIES = ["PDC", "CCA", "EFT", "SOE", "ECP", "ODV", "TEC", "BMM", "CUS", "TOC", "ICO"]


@pytest.fixture(scope="module")
def inst():
    return load_instrument(SCALES)


def test_all_eleven_capabilities_with_four_items_and_two_per_code(inst):
    caps = {c.id: c for c in inst.constructs_of_kind("capability")}
    assert sorted(caps) == sorted(CAPABILITIES)
    for c in caps.values():
        assert len(c.items) >= 4, c.id
        codes = {}
        for item in c.items:
            codes[item.code] = codes.get(item.code, 0) + 1
        assert len(codes) == 2 and min(codes.values()) >= 2, (c.id, codes)
        assert c.process in ("sensing", "seizing", "reconfiguring")
    assert sum(len(c.items) for c in caps.values()) >= 44


def test_processes_match_the_study(inst):
    by_process = {}
    for c in inst.constructs_of_kind("capability"):
        by_process.setdefault(c.process, set()).add(c.id)
    assert by_process == {
        "sensing": {"PDC", "CCA", "EFT"},
        "seizing": {"SOE", "ECP", "ODV", "TEC", "BMM"},
        "reconfiguring": {"CUS", "TOC", "ICO"},
    }


def test_oie_marker_attention_profile(inst):
    oie = inst.constructs_of_kind("oie")
    assert len(oie) == 4
    # TanTai et al. sub-themes: 3 + 3 + 2 + 2, at least two items each
    assert sorted(len({i.code for i in c.items}) for c in oie) == [2, 2, 3, 3]
    assert all(min(sum(1 for i in c.items if i.code == code) for code in {i.code for i in c.items}) >= 2 for c in oie)
    assert len(inst.constructs_of_kind("marker")[0].items) >= 3
    attention = inst.constructs_of_kind("attention")[0].items[0]
    assert attention.expected is not None
    profile = {p.id: p for p in inst.profile}
    for needed in ("FOUNDED", "SIZE", "SECTOR", "TECH", "CUSTOMER", "FIRSTSALE", "FSHARE", "MARKETS", "ROLE"):
        assert needed in profile
    assert profile["MARKETS"].type == "market_history"
    assert {r.id for r in inst.eligibility} >= {"early_internationalisation", "foreign_sales_share"}
    assert len(inst.eligibility) == 4


def test_region_table_uses_the_twelve_regions(inst):
    assert set(inst.regions["region"]) <= set(REGIONS)
    assert inst.region_of("USA") == "North America"
    assert inst.region_of("united states") == "North America"
    assert inst.continent_of("Brazil") == "South America"
    with pytest.raises(SurveySemError, match="Atlantis"):
        inst.region_of("Atlantis")


def test_cli_instrument_ok(capsys):
    assert main(["instrument", str(SCALES)]) == 0
    assert "instrument is valid" in capsys.readouterr().out


# ----------------------------------------------------------------- defects, one line each


@pytest.fixture()
def scales_copy(tmp_path):
    target = tmp_path / "scales"
    shutil.copytree(SCALES, target)
    return target


def _edit(path: Path, change):
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


def _error(scales_dir) -> str:
    with pytest.raises(SurveySemError) as info:
        load_instrument(scales_dir)
    message = str(info.value)
    assert "\n" not in message
    return message


def test_duplicate_item_id_within_a_file(scales_copy):
    f = scales_copy / "capabilities" / "PDC.yaml"
    _edit(f, lambda d: d["items"][1].__setitem__("id", d["items"][0]["id"]))
    msg = _error(scales_copy)
    assert "PDC.yaml" in msg and "items[1].id" in msg and "PDC1" in msg


def test_item_in_two_constructs(scales_copy):
    f = scales_copy / "capabilities" / "CCA.yaml"
    _edit(f, lambda d: d["items"][0].__setitem__("id", "PDC1"))
    msg = _error(scales_copy)
    assert "PDC1" in msg and "also in" in msg


def test_duplicate_construct_id(scales_copy):
    f = scales_copy / "capabilities" / "CCA.yaml"
    _edit(f, lambda d: d.__setitem__("id", "PDC"))
    msg = _error(scales_copy)
    assert "construct 'PDC' is already defined" in msg


def test_missing_wording(scales_copy):
    f = scales_copy / "capabilities" / "TEC.yaml"
    _edit(f, lambda d: d["items"][2].pop("wording"))
    msg = _error(scales_copy)
    assert "TEC.yaml" in msg and "items[2].wording: missing" in msg


def test_empty_scale(scales_copy):
    f = scales_copy / "capabilities" / "ICO.yaml"
    _edit(f, lambda d: d.__setitem__("items", []))
    msg = _error(scales_copy)
    assert "ICO.yaml" in msg and "items: the scale has no items" in msg


def test_unknown_response_scale(scales_copy):
    f = scales_copy / "capabilities" / "ECP.yaml"
    _edit(f, lambda d: d.__setitem__("response_scale", "agree5"))
    msg = _error(scales_copy)
    assert "ECP.yaml" in msg and "response_scale" in msg and "agree5" in msg


def test_unknown_field_and_bad_process(scales_copy):
    f = scales_copy / "capabilities" / "SOE.yaml"
    _edit(f, lambda d: d.__setitem__("process", "thinking"))
    msg = _error(scales_copy)
    assert "SOE.yaml" in msg and "process" in msg and "thinking" in msg


def test_bad_yaml_names_line(scales_copy):
    f = scales_copy / "capabilities" / "BMM.yaml"
    f.write_text("id: BMM\nitems: [\n  - oops: : :\n", encoding="utf-8")
    msg = _error(scales_copy)
    assert "BMM.yaml" in msg and "row" in msg and "not valid YAML" in msg


def test_reverse_must_be_boolean(scales_copy):
    f = scales_copy / "capabilities" / "CUS.yaml"
    _edit(f, lambda d: d["items"][0].__setitem__("reverse", "yes please"))
    msg = _error(scales_copy)
    assert "items[0].reverse" in msg


def test_region_table_conflict(scales_copy):
    f = scales_copy / "regions.csv"
    with open(f, "a", encoding="utf-8") as fh:
        fh.write("usa,European Union,Europe\n")
    msg = _error(scales_copy)
    assert "regions.csv" in msg and "row" in msg and "also listed" in msg


def test_region_table_unknown_region(scales_copy):
    f = scales_copy / "regions.csv"
    with open(f, "a", encoding="utf-8") as fh:
        fh.write("Atlantis,Lost Continents,Europe\n")
    msg = _error(scales_copy)
    assert "column region" in msg and "Lost Continents" in msg


def test_proposition_naming_unknown_construct(inst):
    """Hypotheses in the config are checked against the constructs of the instrument."""
    import copy

    import survey_kit as kit

    hypotheses = copy.deepcopy(kit.test_config()["hypotheses"])
    parse_hypotheses(hypotheses, known_constructs=inst.constructs)  # the defaults are valid
    hypotheses[1]["predictors"][1] = "XYZ"
    with pytest.raises(SurveySemError) as info:
        parse_hypotheses(hypotheses, known_constructs=inst.constructs)
    assert str(info.value) == "config/config.yaml: hypotheses[1].predictors[1]: unknown construct 'XYZ'"


def test_cli_reports_one_line_and_exit_1(scales_copy, capsys):
    f = scales_copy / "capabilities" / "PDC.yaml"
    _edit(f, lambda d: d["items"][0].pop("wording"))
    assert main(["instrument", str(scales_copy)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "items[0].wording: missing" in err[0]
