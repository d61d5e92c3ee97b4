"""The ordinal check (measurement.ordinal_check, rule measurement_ordinal): the CFA of all scales by
WLSMV beside the stage's ML CFA, with the real estimator (surveysem.sem WLSMV, checked against
lavaan in tests/sem/test_sem_wlsmv.py) and ordinal omega (against semTools in
test_ordinal_reliability.py)."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import survey_kit as kit

from surveysem.instrument.scales import instrument_files, load_instrument
from surveysem.measurement import steps as M
from surveysem.measurement import tables as T
from surveysem.measurement.ordinal_check import ordinal_scales
from surveysem.measurement.ordinal_reliability import ordinal_omegas
from surveysem.stage_files import FILES

KEEP = {"PDC", "CCA", "SOE", "MARKER", "ATTN"}


@pytest.fixture(scope="module")
def scales_dir(tmp_path_factory):
    return kit.instrument_subset(tmp_path_factory.mktemp("inst") / "scales", KEEP)


def simulate(scales: dict, n=220, seed=5, miss=0.03):
    """Skewed 7-point answers of correlated factors (the bundled survey leans toward agreement)."""
    rng = np.random.default_rng(seed)
    k = len(scales)
    phi = np.full((k, k), 0.3) + 0.7 * np.eye(k)
    F = rng.multivariate_normal(np.zeros(k), phi, size=n)
    cols = {}
    for j, items in enumerate(scales.values()):
        for i, it in enumerate(items):
            lam = 0.8 - 0.1 * (i % 3)
            x = lam * F[:, j] + np.sqrt(1 - lam ** 2) * rng.standard_normal(n)
            v = np.digitize(x, [-1.8, -1.2, -0.7, -0.1, 0.5, 1.2]) + 1.0
            v[rng.random(n) < miss] = np.nan
            cols[it] = v
    d = pd.DataFrame(cols)
    d.insert(0, "respondent_id", [f"R{i:04d}" for i in range(n)])
    return d


def run_check(tmp: Path, scales_dir: Path, data: pd.DataFrame, config: dict) -> tuple[dict, dict]:
    """The stage's CFA step, then the ordinal check's, as the rules run them."""
    tmp.mkdir(parents=True, exist_ok=True)
    data.to_csv(tmp / "analysis.csv", index=False)
    (tmp / "ingest.json").write_text(json.dumps({"synthetic": True}))
    paths = {"cfa_fit": tmp / "cfa_fit.json", "loadings": tmp / "loadings.csv", "validity": tmp / "validity.csv",
             "fornell_larcker": tmp / "fl.csv", "cmv": tmp / "cmv.json", "scale_scores": tmp / "scores.csv",
             "cfa_modindices": tmp / "mi.csv", "ordinal_check": tmp / "ordinal_check.json"}
    inputs = {"analysis": tmp / "analysis.csv", "ingest": tmp / "ingest.json", "scales": instrument_files(scales_dir)}
    M.cfa(inputs, paths, config)
    M.ordinal({**inputs, **paths}, {"ordinal_check": paths["ordinal_check"]}, config)
    return json.loads(paths["ordinal_check"].read_text()), paths


@pytest.fixture(scope="module")
def scales(scales_dir):
    return T.construct_scales(load_instrument(scales_dir))


@pytest.fixture(scope="module")
def checked(tmp_path_factory, scales_dir, scales):
    data = simulate(scales)
    config = kit.measurement_config(ordinal_check=True, cmv={"clf_loadings": "free"})
    record, paths = run_check(tmp_path_factory.mktemp("ordinal"), scales_dir, data, config)
    return record, paths, data


def test_the_file_has_its_registered_keys(checked, scales):
    record, _, _ = checked
    assert list(record) == list(FILES["ordinal_check"].columns)  # in file order (write_json sorts keys)
    assert record["synthetic"] is True and record["converged"] is True
    assert [r["construct"] for r in record["scales"]] == list(scales)
    assert record["missing"] == "pairwise" and "FIML is not available" in record["missing_note"]


def test_the_record_is_the_wlsmv_fit_of_the_data(checked, scales):
    """The same numbers as fit_model(..., estimator="WLSMV", ordered=True) and ordinal_omegas."""
    from surveysem.sem import fit_model
    from surveysem.sem.muthen1984 import ordinal_sample_statistics

    record, _, data = checked
    items = [i for its in scales.values() for i in its]
    res = fit_model(T.cfa_syntax(scales), data[items], estimator="WLSMV", ordered=True, missing="pairwise")
    assert record["syntax"] == T.cfa_syntax(scales)
    for key in ("chisq_scaled", "df", "cfi_scaled", "tli_scaled", "rmsea_scaled", "srmr"):
        assert record["fit_wlsmv"][key] == pytest.approx(res.fit[key], rel=1e-9), key
    g = ordinal_sample_statistics(data[items], items, missing="pairwise").groups[0]
    observed = ordinal_omegas(res.estimates, total_cov=pd.DataFrame(g.cor, index=g.items, columns=g.items))
    model = ordinal_omegas(res.estimates)
    for row in record["scales"]:
        assert row["omega_ordinal"] == pytest.approx(observed[row["construct"]], rel=1e-9)
        assert row["omega_ordinal_model"] == pytest.approx(model[row["construct"]], rel=1e-9)
        assert 0 < row["omega_ordinal"] < 1
    std = res.estimates[res.estimates["op"] == "=~"].set_index(["lhs", "rhs"])["std_all"]
    for r in record["loadings"]:
        assert r["std_wlsmv"] == pytest.approx(std[(r["construct"], r["item"])], rel=1e-9)


def test_ml_columns_come_from_the_stage_cfa(checked):
    record, paths, _ = checked
    validity = pd.read_csv(paths["validity"]).set_index("construct")["cr"]
    loadings = pd.read_csv(paths["loadings"]).set_index(["construct", "item"])["std_all"]
    assert {r["construct"]: r["omega_ml"] for r in record["scales"]} == pytest.approx(validity.to_dict())
    for r in record["loadings"]:
        assert r["std_ml"] == pytest.approx(loadings[(r["construct"], r["item"])])
    assert record["fit_ml"] == json.loads(paths["cfa_fit"].read_text())["fit"]
    assert record["estimator_ml"] == "ML"


def test_listwise_data_stay_listwise(tmp_path, scales_dir, scales):
    config = kit.measurement_config(missing="listwise", ordinal_check=True, cmv={"clf_loadings": "free"})
    record, _ = run_check(tmp_path, scales_dir, simulate(scales, seed=8), config)
    assert record["missing"] == "listwise"
    assert record["fit_wlsmv"]["nobs"] < 220


def test_parcels_leave_their_scale_out_and_degenerate_items_themselves(scales):
    X = simulate(scales).drop(columns="respondent_id")
    first = list(scales)
    constant = scales[first[1]][0]
    X[constant] = 4.0
    usable, left_out, warnings = ordinal_scales(X, scales, parcels={scales[first[0]][0]: object()})
    assert list(left_out) == [first[0]] and "parcels" in left_out[first[0]]
    assert list(usable) == first[1:] and usable[first[1]] == scales[first[1]][1:]
    assert any(constant in w for w in warnings)


def test_the_bundled_runs_check_matches_lavaan_and_semtools():
    """The check's fit and omegas on the bundled run's 79 items (262 firms, pairwise) against lavaan's
    cfa(..., ordered = TRUE, estimator = "WLSMV", missing = "pairwise") and semTools (ordinal_omega.R)."""
    from surveysem.measurement.ordinal_check import (
        fit_wlsmv,
        sample_polychorics,
        scale_omegas,
    )

    R = Path(__file__).parents[1] / "r"
    case = json.loads((R / "results" / "ordinal_omega.json").read_text())["cases"]["bundled"]
    data = pd.read_csv(R / "data" / "cfa_small_n_bundled.csv")
    res, reason = fit_wlsmv(data, case["model"], "pairwise", 500)
    assert reason is None and res.converged
    for key in ("chisq", "chisq_scaled", "df_scaled", "cfi_scaled", "tli_scaled", "rmsea_scaled", "srmr"):
        assert res.fit[key] == pytest.approx(case["fit"][key.replace("_", ".")], abs=1e-3), key
    omegas = scale_omegas(res.estimates, sample_polychorics(data, list(data.columns), "pairwise"))
    block = case["groups"][0]
    assert {f: o["omega_ordinal"] for f, o in omegas.items()} == pytest.approx(block["compRelSEM"], abs=1e-3)
    assert {f: o["omega_ordinal_model"] for f, o in omegas.items()} == pytest.approx(block["reliability"]["omega"],
                                                                                    abs=1e-3)
