"""The measurement stage end to end on a small instrument (4 capabilities, 1 OIE role, the marker):
files, synthetic flag, determinism, agreement of the stage tables with the module functions, and
the three statistical problems that must be warnings, not crashes (zero-variance item, Heywood
case, non-convergence)."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import survey_kit as kit
from surveysem.measurement import steps as M
from surveysem.measurement.intervals import LOG_NORMAL_CI_TEXT
from surveysem.measurement import tables as T
from surveysem.instrument.scales import instrument_files
from surveysem.measurement import reliability as rel
from surveysem.measurement import validity as val

ROOT = Path(__file__).resolve().parents[2]
KEEP = {"PDC", "CCA", "EFT", "SOE", "OIE_RSP", "MARKER", "ATTN"}
MEASUREMENT = {"htmt_bootstrap_B": 40, "efa": {"parallel_iter": 5}, "cmv": {"clf_loadings": "free"}}
CONFIG = kit.measurement_config(**MEASUREMENT)


@pytest.fixture(scope="module")
def scales_dir(tmp_path_factory):
    return kit.instrument_subset(tmp_path_factory.mktemp("inst") / "scales", KEEP)


def simulate(scales: dict, n=240, seed=3, miss=0.02):
    rng = np.random.default_rng(seed)
    names = list(scales)
    k = len(names)
    Phi = np.full((k, k), 0.35)
    np.fill_diagonal(Phi, 1)
    m = names.index("MARKER")
    Phi[m, :] = Phi[:, m] = 0.1
    Phi[m, m] = 1
    F = rng.multivariate_normal(np.zeros(k), Phi, size=n)
    cols = {}
    for j, (c, items) in enumerate(scales.items()):
        for i, it in enumerate(items):
            lam = 0.8 if i < len(items) - 1 else 0.6
            x = lam * F[:, j] + np.sqrt(1 - lam**2) * rng.standard_normal(n)
            v = np.clip(np.round(4 + 1.4 * x), 1, 7)
            v[rng.random(n) < miss] = np.nan
            cols[it] = v
    d = pd.DataFrame(cols)
    d.insert(0, "respondent_id", [f"R{i:04d}" for i in range(n)])
    return d


def write_inputs(tmp, data, synthetic=True):
    tmp.mkdir(parents=True, exist_ok=True)
    data.to_csv(tmp / "analysis.csv", index=False)
    (tmp / "ingest.json").write_text(json.dumps({"synthetic": synthetic}))
    g = pd.DataFrame({"respondent_id": data["respondent_id"], "group": np.tile([1, 2, 3], len(data))[: len(data)]})
    g.to_csv(tmp / "firm_outcomes.csv", index=False)
    return tmp


@pytest.fixture(scope="module")
def inst_scales(scales_dir):
    from surveysem.instrument.scales import load_instrument

    return T.construct_scales(load_instrument(scales_dir))


@pytest.fixture(scope="module")
def run(tmp_path_factory, scales_dir, inst_scales):
    tmp = write_inputs(tmp_path_factory.mktemp("run"), simulate(inst_scales))
    paths = kit.run_measurement_stage(tmp / "analysis.csv", tmp / "ingest.json", tmp / "firm_outcomes.csv", scales_dir, CONFIG,
                      tmp / "results")
    return tmp, paths


def test_all_outputs_written_and_flagged_synthetic(run):
    tmp, paths = run
    for p in paths.values():
        assert Path(p).exists(), p
    for key in ("efa", "cfa_fit", "cmv", "htmt_json", "invariance_json", "warnings"):
        assert json.loads(Path(paths[key]).read_text())["synthetic"] is True, key
    scores = pd.read_csv(paths["scale_scores"])
    assert list(scores.columns) == ["respondent_id", "PDC", "CCA", "EFT", "SOE", "OIE_RSP", "MARKER"]
    verdicts = pd.read_csv(paths["verdicts"])
    assert set(verdicts["verdict"]) <= {"pass", "warn", "fail"}
    assert len(verdicts) == 6


def test_stage_tables_equal_module_results(run, inst_scales):
    tmp, paths = run
    data = pd.read_csv(tmp / "analysis.csv")
    r = pd.read_csv(paths["reliability"]).set_index("construct")
    for c, items in inst_scales.items():
        a = rel.cronbach_alpha(data[items])
        assert r.loc[c, "alpha"] == pytest.approx(a["alpha"], abs=1e-9)
        assert r.loc[c, "alpha_ci_lower"] == pytest.approx(a["ci_lower"], abs=1e-9)
    h = pd.read_csv(paths["htmt"])
    ref = val.htmt(data, inst_scales, missing="pairwise")  # data.missing = fiml -> pairwise correlations
    for row in h.itertuples():
        assert row.htmt == pytest.approx(ref.loc[row.a, row.b], abs=1e-9)
        # every pair, the near-zero marker pairs too (log-scale standard intervals contain the estimate)
        assert row.htmt_lower <= row.htmt <= row.htmt_upper
    fit = json.loads(Path(paths["cfa_fit"]).read_text())
    assert fit["converged"] is True and fit["missing"] == "fiml"
    # FIML: the modification indices too (lavaan's structured expected information), largest first
    assert fit["modindices_note"] is None
    mi = pd.read_csv(paths["cfa_modindices"])
    assert list(mi.columns) == T.MODINDEX_COLUMNS and len(mi) == T.MODINDEX_TOP
    assert mi["mi"].is_monotonic_decreasing
    # FIML: 30 means + 465 covariances - (30 intercepts + 30 residuals + 24 loadings + 21 factor (co)variances)
    assert fit["fit"]["df"] == 30 * 31 / 2 + 30 - (30 + 30 + 24 + 21)
    loadings = pd.read_csv(paths["loadings"])
    assert len(loadings) == 30 and (loadings["std_all"] > 0.3).all()
    validity = pd.read_csv(paths["validity"]).set_index("construct")
    fl = pd.read_csv(paths["fornell_larcker"]).set_index("construct")
    for c in inst_scales:
        assert fl.loc[c, c] == pytest.approx(np.sqrt(validity.loc[c, "ave"]), abs=1e-9)
    # mean scores: complete rows equal the plain item mean
    sc = pd.read_csv(paths["scale_scores"])
    items = inst_scales["PDC"]
    full = data[items].notna().all(axis=1)
    assert np.allclose(sc.loc[full, "PDC"], data.loc[full, items].mean(axis=1))
    # invariance: 80 firms per group < free parameters of the joint model per group -> a warning,
    # and (scope auto) each scale's one-factor model is tested across the groups instead
    inv = json.loads(Path(paths["invariance_json"]).read_text())
    assert inv["scope"] == "per_scale"
    assert any("joint invariance model not fitted" in w and "scale by scale" in w for w in inv["warnings"])
    table = pd.read_csv(paths["invariance"])
    assert list(table["scope"].unique()) == list(inst_scales)
    assert table.groupby("scope")["model"].apply(list).map(tuple).unique().tolist() == [
        ("configural", "metric", "scalar")]
    from surveysem.sem import invariance_sequence

    groups = pd.read_csv(tmp / "firm_outcomes.csv")["group"].astype(str)
    one = data[inst_scales["PDC"]].assign(group_=groups.to_numpy())
    syntax = "PDC =~ " + " + ".join(inst_scales["PDC"])
    direct = invariance_sequence(syntax, one, "group_", estimator="ML", missing="fiml")
    mine = table[table["scope"] == "PDC"].reset_index(drop=True)
    for col in ("chisq", "df", "cfi", "rmsea", "delta_chisq"):
        assert np.allclose(mine[col].astype(float), direct[col].astype(float), equal_nan=True), col
    cmv = json.loads(Path(paths["cmv"]).read_text())
    assert cmv["marker"]["r_m_from"] in inst_scales and "common_latent_factor" in cmv


def test_rerun_is_byte_identical(run, scales_dir):
    tmp, paths = run
    out = {"htmt": tmp / "again_htmt.csv", "json": tmp / "again_htmt.json"}
    M.htmt({"analysis": tmp / "analysis.csv", "ingest": tmp / "ingest.json", "scales": instrument_files(scales_dir)},
           out, CONFIG)
    assert out["htmt"].read_bytes() == Path(paths["htmt"]).read_bytes()
    out = {k: tmp / f"again_{Path(v).name}" for k, v in paths.items()
           if k in ("reliability", "item_stats", "efa", "kmo")}
    M.reliability({"analysis": tmp / "analysis.csv", "ingest": tmp / "ingest.json",
                   "scales": instrument_files(scales_dir)}, out, CONFIG)
    for k, p in out.items():
        assert p.read_bytes() == Path(paths[k]).read_bytes(), k


def _warnings(paths):
    return [w["message"] for w in json.loads(Path(paths["warnings"]).read_text())["warnings"]]


def test_zero_variance_item_is_a_warning(tmp_path, scales_dir, inst_scales):
    data = simulate(inst_scales, seed=4)
    data["CCA2"] = 5.0
    tmp = write_inputs(tmp_path, data)
    paths = kit.run_measurement_stage(tmp / "analysis.csv", tmp / "ingest.json", None, scales_dir,
                      kit.measurement_config(missing="listwise", **{**MEASUREMENT, "htmt_bootstrap_B": 0,
                                                                    "invariance_group": None}),
                      tmp / "results")
    ws = _warnings(paths)
    assert any("CCA2" in w and "zero variance" in w for w in ws)
    v = pd.read_csv(paths["verdicts"]).set_index("construct")
    assert v.loc["CCA", "verdict"] in ("warn", "fail") and "CCA2" in v.loc["CCA", "reasons"]
    assert "CCA2" not in set(pd.read_csv(paths["loadings"])["item"])  # left out of the CFA, not crashed
    assert json.loads(Path(paths["cfa_fit"]).read_text())["converged"] is True


def test_heywood_case_is_a_warning(tmp_path, scales_dir, inst_scales):
    data = simulate(inst_scales, seed=5, miss=0.0)
    rng = np.random.default_rng(0)
    # EFT: two near-duplicate items and three unrelated ones -> a residual variance goes negative
    base = data["EFT1"].to_numpy()
    data["EFT2"] = np.clip(base + (rng.random(len(data)) < 0.03), 1, 7)
    for it in ("EFT3", "EFT4", "EFT5"):
        data[it] = rng.integers(1, 8, len(data)).astype(float)
    tmp = write_inputs(tmp_path, data)
    cfg = kit.measurement_config(missing="listwise", **{**MEASUREMENT, "htmt_bootstrap_B": 0, "invariance_group": None})
    paths = kit.run_measurement_stage(tmp / "analysis.csv", tmp / "ingest.json", None, scales_dir, cfg, tmp / "results")
    ws = _warnings(paths)
    assert any("Heywood" in w for w in ws), ws
    v = pd.read_csv(paths["verdicts"]).set_index("construct")
    assert "Heywood" in v.loc["EFT", "reasons"]
    assert v.loc["EFT", "verdict"] in ("warn", "fail")


def test_non_convergence_is_a_warning(tmp_path, scales_dir, inst_scales):
    tmp = write_inputs(tmp_path, simulate(inst_scales, seed=6, miss=0.0))
    cfg = kit.measurement_config(missing="listwise", **{**MEASUREMENT, "htmt_bootstrap_B": 0, "invariance_group": None,
                                                        "max_iter": 2})
    paths = kit.run_measurement_stage(tmp / "analysis.csv", tmp / "ingest.json", None, scales_dir, cfg, tmp / "results")
    fit = json.loads(Path(paths["cfa_fit"]).read_text())
    assert fit["converged"] is False
    ws = _warnings(paths)
    assert any("did not converge" in w for w in ws)
    v = pd.read_csv(paths["verdicts"])
    assert len(v) == 6  # the stage completed
    assert (v["verdict"] != "pass").all()
    assert v["reasons"].str.contains("CFA did not converge").all()


def test_bad_group_column_is_one_line_error(tmp_path, scales_dir, inst_scales):
    from surveysem.errors import SurveySemError

    tmp = write_inputs(tmp_path, simulate(inst_scales, n=60, seed=8))
    cfg = kit.measurement_config(invariance_group="NOPE")
    with pytest.raises(SurveySemError, match="invariance_group"):
        M.invariance({"analysis": tmp / "analysis.csv", "ingest": tmp / "ingest.json",
                      "outcomes": tmp / "firm_outcomes.csv", "scales": instrument_files(scales_dir)},
                     {"invariance": tmp / "i.csv", "json": tmp / "i.json", "partial_invariance": tmp / "p.csv"}, cfg)


def test_auxiliary_model_warnings_do_not_enter_verdicts():
    ws = ["CLF model: Heywood case: standardized PDC ~~ CCA is -7.4 (|value| > 1)",
          "CFA: Heywood case: negative residual variance for PDC3 (-0.1)", "zero variance: CCA2"]
    assert T._warnings_of("PDC", ws, ["PDC1", "PDC2", "PDC3"]) == [ws[1]]
    assert T._warnings_of("CCA", ws, ["CCA1", "CCA2"]) == [ws[2]]


@pytest.mark.parametrize("B, flagged", [(40, True), (200, False)])
def test_htmt_cis_from_too_few_resamples_are_flagged(run, scales_dir, B, flagged):
    """The HTMT CIs keep the floor of a 95% percentile CI, 200 usable resamples (surveysem.resampling): with fewer, htmt.json
    says the CIs are not assessable and the warning reaches the stage's warnings."""
    tmp, paths = run
    out = {"htmt": tmp / f"htmt_{B}.csv", "json": tmp / f"htmt_{B}.json"}
    M.htmt({"analysis": tmp / "analysis.csv", "ingest": tmp / "ingest.json", "scales": instrument_files(scales_dir)},
           out, kit.measurement_config(**{**MEASUREMENT, "htmt_bootstrap_B": B}))
    info = json.loads(out["json"].read_text())
    problem = [w for w in info["warnings"] if "too few resamples" in w]
    if flagged:
        assert problem == ["HTMT CIs not assessable (too few resamples): 40 usable resamples; a 95% percentile CI "
                           "needs at least 200 (5 beyond each bound) (measurement.htmt_bootstrap_B = 40)"]
        assert info["ci"].startswith(f"{LOG_NORMAL_CI_TEXT}, 95%, not assessable (too few resamples)")
    else:
        assert problem == [] and info["ci"] == f"{LOG_NORMAL_CI_TEXT}, 95%"
