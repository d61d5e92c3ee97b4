"""The P4 sensitivity model (``p4.ordinal_check``, rule ``propositions_p4_ordinal``): the P4 models
again with the capability items declared ordered, WLSMV with pairwise-present data.

References: the step's paths and fit equal a direct :func:`surveysem.sem.fit_model` call on the same
data (1e-10: the same computation; the engine's WLSMV, ``:=`` rows included, is checked against
lavaan in tests/sem/test_sem_wlsmv*.py); the P4 page shows the table beside the ML estimates.
"""

import html as html_lib
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import survey_kit as kit

from surveysem.errors import SurveySemError
from surveysem.instrument.scales import load_instrument
from surveysem.outcomes.firms import firm_outcomes
from surveysem.propositions.p4 import growth_indicators, p4_syntax
from surveysem.propositions.p4_ordinal import model_status
from surveysem.propositions.steps import p4_fit, p4_ordinal
from surveysem.report.pages import Context
from surveysem.report.pages.p4 import p4_page
from surveysem.sem import fit_model
from surveysem.simulate import simulate
from surveysem.simulate.known_truth import clean_respondents
from surveysem.stage_files import columns

ROOT = Path(__file__).resolve().parents[2]
PROCESSES = {"sensing": ["PDC", "CCA", "EFT"], "seizing": ["SOE", "ECP", "ODV", "TEC", "BMM"],
             "reconfiguring": ["CUS", "TOC", "ICO"]}


def _config(on=True):
    cfg = kit.test_config()
    cfg["p4"]["ordinal_check"] = on
    return cfg


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    """A simulated study of 200 firms with 3 % of the answers missing, as the stage's input files."""
    tmp = tmp_path_factory.mktemp("p4_ordinal")
    config = kit.test_config()
    inst = load_instrument(ROOT / ".test" / "scales")
    clean = clean_respondents(simulate(config, n=200, seed=41, inst=inst), inst)
    out = firm_outcomes(clean, inst, config["study"]["survey_year"], config["outcomes"]["home_country"])
    items = [i.id for i in inst.items]
    analysis = clean[["respondent_id"] + items].copy()
    holes = np.random.default_rng(5).random((len(analysis), len(items))) < 0.03
    analysis[items] = analysis[items].mask(holes)
    analysis.to_csv(tmp / "analysis.csv", index=False)
    out.to_csv(tmp / "outcomes.csv", index=False)
    (tmp / "ingest.json").write_text('{"synthetic": true, "missing_method": "fiml"}')
    scales = sorted(str(p) for p in (ROOT / ".test" / "scales").iterdir())
    inputs = {"analysis": tmp / "analysis.csv", "outcomes": tmp / "outcomes.csv", "ingest": tmp / "ingest.json",
              "scales": scales}
    table = p4_ordinal(inputs, {"csv": tmp / "p4_ordinal.csv"}, _config())
    return tmp, inputs, inst, table


def _direct_data(tmp, inst):
    """The P4 data built here from the files: items of the process capabilities, growth indicators."""
    analysis, outcomes = pd.read_csv(tmp / "analysis.csv"), pd.read_csv(tmp / "outcomes.csv")
    items = {c: [i.id for i in inst.constructs[c].items] for cs in PROCESSES.values() for c in cs}
    data = analysis[["respondent_id"] + [i for its in items.values() for i in its]].merge(
        growth_indicators(outcomes, 12, 0.5, 0.01), on="respondent_id")
    data = data.dropna(subset=["g_spread", "g_div", "g_int"])  # the continuous variables complete
    return data.sort_values("respondent_id").drop(columns="respondent_id").reset_index(drop=True), items


def test_paths_and_fit_equal_a_direct_wlsmv_fit(study):
    tmp, _, inst, table = study
    data, items = _direct_data(tmp, inst)
    ordered = [i for its in items.values() for i in its]
    for model in ("a", "b"):
        res = fit_model(p4_syntax(PROCESSES, items, model), data, estimator="WLSMV", ordered=ordered,
                        missing="pairwise", conditional_x=False)
        mine = table[table.model == model]
        assert set(mine.status) == {"estimated"}
        e = res.estimates
        for r in mine[mine.op.isin(["~", ":="])].itertuples():
            ref = e[(e.lhs == r.lhs) & (e.op == r.op) & (e.rhs == r.rhs)].iloc[0]
            for key in ("est", "se", "z", "pvalue", "std_all"):
                assert getattr(r, key) == pytest.approx(ref[key], abs=1e-10), (model, r.lhs, r.rhs, key)
        for key in ("chisq_scaled", "df", "scaling_factor", "shift_parameter", "cfi_scaled", "tli_scaled",
                    "rmsea_scaled", "srmr"):
            assert mine[key].iloc[0] == pytest.approx(res.fit[key], abs=1e-10), (model, key)
    b = table[table.model == "b"]
    tested = b[b.tested.fillna("") != ""]
    assert dict(zip(tested.tested, tested.lhs)) == {"P4a": "total_sensing", "P4b": "total_seizing",
                                                    "P4c": "total_reconfiguring"}
    assert (table[table.model != "b"].tested.fillna("") == "").all()
    assert list(pd.read_csv(tmp / "p4_ordinal.csv", nrows=0).columns) == columns("p4_ordinal")
    assert table.n_firms.iloc[0] == len(data) and 150 < len(data) < 200


def test_the_p4_page_shows_the_table_beside_the_ml_estimates(study):
    tmp, inputs, inst, table = study
    cfg = _config()
    files = {"p4_ordinal": str(tmp / "p4_ordinal.csv"), "p4_models": str(tmp / "p4_models.json"),
             "p4_paths": str(tmp / "p4_paths.csv"), "ingest": str(inputs["ingest"])}
    p4_fit(inputs, {"json": files["p4_models"], "paths": files["p4_paths"]}, cfg)
    ml = pd.read_csv(files["p4_paths"])
    ctx = Context(files=files, config=cfg, instrument=inst, root=str(tmp), config_path=None, env={"SOURCE_DATE_EPOCH": "1700000000"})
    page = p4_page(ctx).html
    text = " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", page)).split())
    assert "P4 sensitivity: ordinal items (WLSMV)" in text and "P4 sensitivity: fit of the ordinal models" in text
    assert "pairwise-present, not FIML" in text and "Computed from synthetic data." in text
    row = table[(table.model == "b") & (table.lhs == "total_sensing")].iloc[0]
    b_ml = ml[(ml.model == "b") & (ml.lhs == "total_sensing")].est.iloc[0]
    assert re.search(rf"b total_sensing = a\*b\*c P4a {b_ml:.2f} \S+ {row.est:.2f} {row.se:.2f}", text)
    # with the switch off the page says so and shows no table (a file left on disk is not read)
    off = p4_page(Context(files=files, config=_config(on=False), instrument=inst, root=str(tmp), config_path=None,
                          env={"SOURCE_DATE_EPOCH": "1700000000"})).html
    assert "P4 sensitivity: ordinal items" not in off and "p4.ordinal_check is true" in off


def test_statuses_and_escaping(tmp_path):
    base = {"model": "a", "converged": True, "fit": {"chisq_scaled": 1.0}, "warnings": []}
    assert model_status(base) == "estimated"
    assert model_status({**base, "converged": False}) == "did not converge"
    heywood = "model (a): Heywood case: negative residual variance of the latent response of X1 (-0.2)"
    assert model_status({**base, "warnings": [heywood]}) == ("inadmissible: Heywood case: negative residual variance "
                                                             "of the latent response of X1 (-0.2)")
    assert model_status({**base, "fit": {}, "warnings": ["too few firms"]}) == "not estimable: too few firms"
    xss = "<script>alert(1)</script>"
    frame = pd.DataFrame([{"model": "a", "status": f"not estimable: {xss}"}], columns=columns("p4_ordinal"))
    frame.to_csv(tmp_path / "p4_ordinal.csv", index=False)
    page = p4_page(Context(files={"p4_ordinal": str(tmp_path / "p4_ordinal.csv")}, config=_config(), root=str(tmp_path),
                           config_path=None, env={"SOURCE_DATE_EPOCH": "1700000000"})).html
    assert xss not in page and "&lt;script&gt;" in page


def test_the_step_refuses_to_run_with_the_switch_off(study):
    tmp, inputs, _, _ = study
    with pytest.raises(SurveySemError, match="p4.ordinal_check is false"):
        p4_ordinal(inputs, {"csv": tmp / "off.csv"}, _config(on=False))
    assert not (tmp / "off.csv").exists()
