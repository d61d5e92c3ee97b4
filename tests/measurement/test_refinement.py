"""The refinement assistant: AVE and CR without an item by hand, the always-name-an-item rule when
AVE < ave_min, the alpha, cross-loading and modification-index criteria, the scales: lines as
YAML, and the candidates of the measurement stage on the test configuration."""

import json
import math
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from surveysem.config import section_with_defaults
from surveysem.measurement import refinement as R

THRESHOLDS = section_with_defaults("measurement")["thresholds"]  # schema defaults: .50, .50, .30, 10


def candidates(loadings, stats=None, aid=None, cross=None, mis=None, **thresholds):
    stats = {"ave": float("nan"), "cr": float("nan"), "alpha": float("nan"), **(stats or {})}
    return R.scale_candidates("ODV", loadings, stats, aid or {}, cross or {}, mis or {},
                              thresholds={**THRESHOLDS, **thresholds})


def test_ave_and_cr_without_an_item_by_hand():
    lam = [0.8, 0.7, 0.6, 0.4]
    # without the last item: (.64 + .49 + .36) / 3; CR: 2.1^2 / (2.1^2 + .36 + .51 + .64)
    assert R.ave_without(lam)[3] == pytest.approx(1.49 / 3, abs=1e-12)
    assert R.cr_without(lam)[3] == pytest.approx(4.41 / (4.41 + 1.51), abs=1e-12)
    # without the first: (.49 + .36 + .16) / 3; CR: 1.7^2 / (1.7^2 + .51 + .64 + .84)
    assert R.ave_without(lam)[0] == pytest.approx(1.01 / 3, abs=1e-12)
    assert R.cr_without(lam)[0] == pytest.approx(2.89 / (2.89 + 1.99), abs=1e-12)
    assert R.composite_reliability(lam) == pytest.approx(2.5**2 / (2.5**2 + 0.36 + 0.51 + 0.64 + 0.84), abs=1e-12)
    assert all(math.isnan(v) for v in R.ave_without([0.7]) + R.cr_without([0.7]))


def test_low_ave_always_names_the_item_whose_removal_raises_it_most():
    # no loading below .50, AVE .4875 < .50: the item with the smallest loading is named with the AVE it would give
    lam = {"ODV1": 0.75, "ODV2": 0.72, "ODV3": 0.55, "ODV4": 0.70}
    rows = candidates(lam, {"ave": 0.4875, "cr": 0.79})
    assert [(r["item"], r["criterion"]) for r in rows] == [("ODV3", "ave")]
    r = rows[0]
    assert r["ave_without"] == pytest.approx((0.75**2 + 0.72**2 + 0.70**2) / 3, abs=1e-12)
    assert r["ave_loadings"] == pytest.approx(sum(v**2 for v in lam.values()) / 4, abs=1e-12)
    assert r["reason"] == "AVE without it .52 (now .49 < .50)"
    # AVE at the threshold names nobody
    assert candidates(lam, {"ave": 0.50}) == []
    # without validity.csv's AVE the loadings' own AVE decides
    assert [r["item"] for r in candidates(lam)] == ["ODV3"]


def test_low_loading_and_alpha_criteria():
    lam = {"ODV1": 0.8, "ODV2": 0.78, "ODV3": 0.45, "ODV4": 0.75}
    aid = {"ODV1": 0.70, "ODV2": 0.71, "ODV3": 0.83, "ODV4": 0.82}
    rows = candidates(lam, {"ave": 0.55, "alpha": 0.79}, aid)
    assert [(r["item"], r["criterion"]) for r in rows] == [("ODV3", "loading; alpha")]
    assert rows[0]["alpha_without"] == 0.83 and rows[0]["alpha"] == 0.79
    assert rows[0]["reason"].startswith("standardized loading .45 < .50; alpha if deleted .83 > .79; AVE without it")
    # only the item raising alpha the most, and only when it raises it
    only = candidates({"ODV1": 0.8, "ODV2": 0.7}, {"ave": 0.6, "alpha": 0.80}, {"ODV1": 0.79, "ODV2": 0.81})
    assert [(r["item"], r["criterion"]) for r in only] == [("ODV2", "alpha")]
    assert candidates({"ODV1": 0.8, "ODV2": 0.7}, {"ave": 0.6, "alpha": 0.80}, {"ODV1": 0.79, "ODV2": 0.80}) == []
    # alpha if deleted and alpha equal in two decimals are printed with three
    close = candidates({"ODV1": 0.8, "ODV2": 0.7}, {"ave": 0.6, "alpha": 0.8012}, {"ODV2": 0.8041})
    assert "alpha if deleted .804 > .801" in close[0]["reason"]


def test_cross_loadings_from_the_efa_pattern():
    scales = {"ODV": ["ODV1", "ODV2", "ODV3"], "CUS": ["CUS1", "CUS2"]}
    pattern = {"ODV1": {"F1": 0.7, "F2": 0.1}, "ODV2": {"F1": 0.6, "F2": -0.35}, "ODV3": {"F1": 0.2, "F2": 0.55},
               "CUS1": {"F1": 0.05, "F2": 0.8}, "CUS2": {"F1": 0.29, "F2": 0.7}}
    assert R.scale_factors(pattern, scales) == {"ODV": "F1", "CUS": "F2"}
    cross = R.cross_loadings(pattern, scales)
    assert cross["ODV2"] == (-0.35, "F2 (CUS)") and cross["ODV3"] == (0.55, "F2 (CUS)") and cross["CUS2"] == (0.29, "F1 (ODV)")
    rows = candidates({"ODV1": 0.8, "ODV2": 0.7, "ODV3": 0.72}, {"ave": 0.6}, cross=cross)
    assert [(r["item"], r["criterion"]) for r in rows] == [("ODV2", "cross_loading"), ("ODV3", "cross_loading")]
    assert rows[0]["cross_factor"] == "F2 (CUS)" and "EFA cross-loading -.35 on F2 (CUS)" in rows[0]["reason"]
    # .29 < .30: CUS2 is not named; a lower threshold names it
    assert R.scale_candidates("CUS", {"CUS1": 0.8, "CUS2": 0.75}, {"ave": 0.6}, {}, cross, {}, thresholds=THRESHOLDS) == []
    lower = R.scale_candidates("CUS", {"CUS1": 0.8, "CUS2": 0.75}, {"ave": 0.6}, {}, cross, {},
                               thresholds={**THRESHOLDS, "cross_loading_max": 0.25})
    assert [r["item"] for r in lower] == ["CUS2"]


def test_largest_modification_index_of_an_item():
    mi = pd.DataFrame({"lhs": ["CUS", "ODV3", "ODV1", "ODV", "CUS"], "op": ["=~", "~~", "~~", "~~", "~~"],
                       "rhs": ["ODV3", "ODV4", "CUS2", "CUS", "CUS"], "mi": [12.5, 15.25, 4.0, 30.0, 99.0]})
    largest = R.largest_modindices(mi, ["ODV1", "ODV3", "ODV4", "CUS2"])
    # latent (co)variances involve no item
    assert largest == {"ODV3": (15.25, "ODV3 ~~ ODV4"), "ODV4": (15.25, "ODV4 ~~ ODV3"), "ODV1": (4.0, "ODV1 ~~ CUS2"),
                       "CUS2": (4.0, "CUS2 ~~ ODV1")}
    assert R.largest_modindices(mi, ["ODV3"]) == {"ODV3": (12.5, "ODV3 =~ CUS")}
    rows = candidates({"ODV1": 0.8, "ODV3": 0.75, "ODV4": 0.7}, {"ave": 0.6}, mis=largest)
    assert [(r["item"], r["criterion"]) for r in rows] == [("ODV3", "modindex"), ("ODV4", "modindex")]
    assert rows[0]["max_mi_parameter"] == "ODV3 ~~ ODV4" and "modification index 15.2 (ODV3 ~~ ODV4)" in rows[0]["reason"]


def test_scales_lines_parse_as_yaml_to_the_drop_mapping():
    reason = 'standardized loading .48 < .50; AVE without it .53 "quoted": yes # not a comment'
    text = R.scales_lines("ODV", "ODV3", reason)
    assert text.splitlines()[:3] == ["scales:", "  ODV:", "    drop:"]
    assert yaml.safe_load(text) == {"scales": {"ODV": {"drop": {"ODV3": reason}}}}
    # ids YAML would read as booleans or numbers are quoted
    odd = R.scales_block("ON", [("yes", "a"), ("1", "b")])
    assert yaml.safe_load(odd) == {"scales": {"ON": {"drop": {"yes": "a", "1": "b"}}}}
    row = candidates({"ODV1": 0.75, "ODV2": 0.72, "ODV3": 0.55}, {"ave": 0.45})[0]
    assert yaml.safe_load(row["scales_lines"]) == {"scales": {"ODV": {"drop": {"ODV3": row["reason"]}}}}


def test_suggestion_text_for_verdicts():
    row = candidates({"ODV1": 0.75, "ODV2": 0.72, "ODV3": 0.55, "ODV4": 0.70}, {"ave": 0.4875})[0]
    assert R.suggestion(row, THRESHOLDS) == "consider removing ODV3: AVE without it .52 (now .49 < .50)"


def test_candidate_table_from_the_stage_tables():
    scales = {"ODV": ["ODV1", "ODV2", "ODV3"], "MARKER": ["M1", "M2"]}
    loadings = pd.DataFrame({"construct": ["ODV"] * 3 + ["MARKER"] * 2, "item": ["ODV1", "ODV2", "ODV3", "M1", "M2"],
                             "std_all": [0.8, 0.7, 0.45, 0.8, 0.8]})
    validity = pd.DataFrame({"construct": ["ODV", "MARKER"], "cr": [0.7, 0.8], "ave": [0.44, 0.64]})
    reliability = pd.DataFrame({"construct": ["ODV", "MARKER"], "alpha": [0.70, 0.78]})
    item_stats = pd.DataFrame({"construct": ["ODV"] * 3, "item": ["ODV1", "ODV2", "ODV3"], "alpha_if_deleted": [0.5, 0.6, 0.74]})
    empty_mi = pd.DataFrame(columns=["lhs", "op", "rhs", "mi", "epc", "sepc_all"])
    table = R.candidate_table(scales, loadings, validity, reliability, item_stats, None, empty_mi, thresholds=THRESHOLDS)
    assert list(table.columns) == R.REFINEMENT_COLUMNS
    assert table[["construct", "item", "criterion"]].values.tolist() == [["ODV", "ODV3", "loading; ave; alpha"]]
    assert table.loc[0, "ave_without"] == pytest.approx((0.64 + 0.49) / 2)
    assert table.loc[0, "alpha_without"] == 0.74 and table.loc[0, "ave"] == 0.44


@pytest.fixture(scope="module")
def complete_run(tmp_path_factory):
    """The measurement stage on complete simulated data (ML, listwise) of the small instrument of
    test_measurement_stage, with PDC5 replaced by noise (a loading near 0)."""
    import numpy as np
    import survey_kit as kit
    from test_measurement_stage import KEEP, ROOT, simulate, write_inputs

    from surveysem.instrument.scales import load_instrument
    from surveysem.measurement.tables import construct_scales

    d = tmp_path_factory.mktemp("inst") / "scales"
    shutil.copytree(ROOT / ".test" / "scales", d)
    for f in d.rglob("*.yaml"):
        if f.parent != d and f.stem not in KEEP:
            f.unlink()
    data = simulate(construct_scales(load_instrument(d)), miss=0.0)
    data["PDC5"] = np.random.default_rng(5).integers(1, 8, len(data)).astype(float)
    tmp = write_inputs(tmp_path_factory.mktemp("run"), data)
    config = kit.measurement_config(missing="listwise", htmt_bootstrap_B=0, efa={"parallel_iter": 5})
    return kit.run_measurement_stage(tmp / "analysis.csv", tmp / "ingest.json", tmp / "firm_outcomes.csv", d, config,
                                     tmp / "results")


def test_measurement_stage_writes_modindices_and_refinement(complete_run):
    """ML on complete data: the largest MIs in cfa_modindices.csv; refinement.csv with its registered
    columns names the noise item; the verdicts' suggestions are its lines."""
    from surveysem.io import read_csv
    from surveysem.measurement.tables import MODINDEX_TOP
    from surveysem.stage_files import FILES

    fit = json.loads(Path(complete_run["cfa_fit"]).read_text())
    assert fit["modindices_note"] is None
    mi = read_csv(complete_run["cfa_modindices"])
    assert list(mi.columns) == list(FILES["cfa_modindices"].columns) and len(mi) == MODINDEX_TOP
    assert mi["mi"].is_monotonic_decreasing
    refinement = read_csv(complete_run["refinement"], keep_default_na=False)
    assert list(refinement.columns) == list(FILES["refinement"].columns)
    pdc5 = refinement[refinement["item"] == "PDC5"].iloc[0]
    assert "loading" in pdc5["criterion"].split("; ") and pdc5["construct"] == "PDC"
    assert yaml.safe_load(pdc5["scales_lines"]) == {"scales": {"PDC": {"drop": {"PDC5": pdc5["reason"]}}}}
    verdicts = read_csv(complete_run["verdicts"], keep_default_na=False).set_index("construct")
    for cid in verdicts.index:
        items = refinement.loc[refinement["construct"] == cid, "item"].tolist()
        says = verdicts.loc[cid, "suggestions"]
        assert says.count("consider removing ") == len(items) and all(f"consider removing {i}: " in says for i in items)
