"""The CFA cascade (surveysem.measurement.cfa_cascade): when the joint CFA cannot be estimated, each
scale's loadings, CR and AVE come from its process / group CFA, or from its one-factor CFA, named
in the files and on the report page; on normal data nothing but the new columns changes."""

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import survey_kit as kit
from test_measurement_stage import (  # noqa: F401 (the module's fixtures, used here)
    MEASUREMENT,
    inst_scales,
    scales_dir,
    simulate,
    write_inputs,
)

from surveysem.errors import SurveySemError
from surveysem.io import write_csv
from surveysem.measurement import cfa_cascade as cc
from surveysem.measurement import tables as T
from surveysem.measurement import validity as val

SENSING = ["PDC", "CCA", "EFT"]
CONFIG = kit.measurement_config(missing="listwise", **{**MEASUREMENT, "htmt_bootstrap_B": 0, "invariance_group": None})


# ------------------------------------------------------------------ the cascade as bookkeeping


def _fake_fit(fails: dict):
    """A fit function: a model whose scales are a key of ``fails`` raises ("raise") or does not converge."""
    def fit(scales):
        how = fails.get(tuple(scales))
        if how == "raise":
            raise SurveySemError("model not identified")
        return {"result": SimpleNamespace(converged=how != "no")}
    return fit


SCALES = {"PDC": ["p1", "p2", "p3"], "CCA": ["c1", "c2", "c3"], "SOE": ["s1", "s2", "s3"], "MARKER": ["m1", "m2", "m3"]}
GROUPS = [("sensing", "capability", ["PDC", "CCA"]), ("seizing", "capability", ["SOE"]), ("marker", "marker", ["MARKER"])]


def test_each_level_only_for_the_scales_whose_model_above_failed():
    fit = _fake_fit({tuple(SCALES): "raise", ("PDC", "CCA"): "no"})
    cascade = cc.run_cascade(SCALES, GROUPS, fit, (SurveySemError,))
    tried = [(a.model.level, a.model.name, tuple(a.model.scales)) for a in cascade.attempts]
    # the one-scale groups are their scale's one-factor model: not fitted twice
    assert tried == [("joint", "joint CFA", tuple(SCALES)), ("group", "process CFA (sensing)", ("PDC", "CCA")),
                     ("group", "process CFA (seizing)", ("SOE",)), ("group", "group CFA (marker)", ("MARKER",)),
                     ("one-factor", "one-factor CFA", ("PDC",)), ("one-factor", "one-factor CFA", ("CCA",))]
    assert {s: a.model.name for s, a in cascade.source.items()} == {
        "PDC": "one-factor CFA", "CCA": "one-factor CFA", "SOE": "process CFA (seizing)", "MARKER": "group CFA (marker)"}
    assert cc.why_not_above(cascade, "PDC") == ("the joint CFA could not be fitted: model not identified; "
                                                "the process CFA (sensing) did not converge")
    rec = cc.cascade_record(cascade, lambda res: {})
    assert rec["models"][0]["result"] == "could not be fitted: model not identified" and "fit" not in rec["models"][0]
    assert rec["scales"]["SOE"] == {"model": "process CFA (seizing)", "level": "group", "converged": True,
                                    "levels_above_failed": "the joint CFA could not be fitted: model not identified"}
    assert cc.comparable_groups(cascade) == [("process CFA (seizing)", ["SOE"]), ("group CFA (marker)", ["MARKER"]),
                                             ("one-factor CFA", ["PDC"]), ("one-factor CFA", ["CCA"])]


def test_joint_model_that_converges_is_the_only_one_tried():
    cascade = cc.run_cascade(SCALES, GROUPS, _fake_fit({}), (SurveySemError,))
    assert [a.model.name for a in cascade.attempts] == ["joint CFA"]
    assert cc.cascade_record(cascade, lambda res: {})["scales"]["PDC"] == {"model": "joint CFA", "level": "joint",
                                                                            "converged": True}


def test_nothing_converges_keeps_the_first_fitted_model_and_says_so():
    fails = {tuple(SCALES): "no", **{(s,): "raise" for s in SCALES}, ("PDC", "CCA"): "raise"}
    cascade = cc.run_cascade(SCALES, GROUPS, _fake_fit(fails), (SurveySemError,))
    rec = cc.scale_record(cascade, "PDC")
    assert rec["model"] == "joint CFA" and rec["converged"] is False and "unreliable" in rec["not_converged"]
    # every level raised: no model at all, and the reason of every level
    fails[tuple(SCALES)] = "raise"
    cascade = cc.run_cascade(SCALES, GROUPS, _fake_fit(fails), (SurveySemError,))
    rec = cc.scale_record(cascade, "SOE")
    assert rec["model"] == "none" and rec["not_estimated"].count("could not be fitted") == 2


def test_groups_of_the_instrument():
    def c(i, kind, process=None):
        return SimpleNamespace(id=i, kind=kind, process=process)

    constructs = [c("PDC", "capability", "sensing"), c("SOE", "capability", "seizing"), c("CCA", "capability", "sensing"),
                  c("OIE_RSP", "oie"), c("OIE_X", "oie"), c("MARKER", "marker"), c("ATTN", "attention")]
    scales = {s: [] for s in ("PDC", "SOE", "CCA", "OIE_RSP", "OIE_X", "MARKER")}
    assert cc.cfa_groups(constructs, scales) == [("sensing", "capability", ["PDC", "CCA"]), ("seizing", "capability", ["SOE"]),
                                                 ("OIE roles", "oie", ["OIE_RSP", "OIE_X"]), ("marker", "marker", ["MARKER"])]


# ------------------------------------------------------------------ the stage with a joint fit that fails


@pytest.fixture(scope="module")
def failed_joint(tmp_path_factory, scales_dir, inst_scales):  # noqa: F811
    """The stage with the joint CFA raising and the sensing CFA not converging (max_iter 1)."""
    real = T.fit_cfa

    def fit_cfa(X, scales, **kw):
        if len(scales) == len(inst_scales):
            raise SurveySemError("the joint model is not identified")
        if list(scales) == SENSING:
            return real(X, scales, **{**kw, "max_iter": 1})
        return real(X, scales, **kw)

    mp = pytest.MonkeyPatch()
    mp.setattr(T, "fit_cfa", fit_cfa)
    try:
        tmp = write_inputs(tmp_path_factory.mktemp("cascade"), simulate(inst_scales, seed=11, miss=0.0))
        paths = kit.run_measurement_stage(tmp / "analysis.csv", tmp / "ingest.json", None, scales_dir, CONFIG, tmp / "results")
    finally:
        mp.undo()
    return tmp, paths


def test_each_scale_from_the_model_that_was_estimated(failed_joint, inst_scales):  # noqa: F811
    tmp, paths = failed_joint
    expected = {"PDC": "one-factor CFA", "CCA": "one-factor CFA", "EFT": "one-factor CFA", "SOE": "process CFA (seizing)",
                "OIE_RSP": "group CFA (OIE roles)", "MARKER": "group CFA (marker)"}
    loadings = pd.read_csv(paths["loadings"])
    assert dict(zip(loadings["construct"], loadings["model"])) == expected
    assert list(dict.fromkeys(loadings["construct"])) == list(inst_scales)
    validity = pd.read_csv(paths["validity"]).set_index("construct")
    assert validity["model"].to_dict() == expected
    # PDC's numbers are those of its own one-factor CFA
    data = pd.read_csv(tmp / "analysis.csv")
    one = T.fit_cfa(data, {"PDC": inst_scales["PDC"]}, estimator="ML", missing="listwise")
    ref = val.cr_ave_table(one["estimates"], one["sample_cov"])
    assert validity.loc["PDC", "cr"] == pytest.approx(ref["cr"].iloc[0], abs=1e-9)
    assert validity.loc["PDC", "ave"] == pytest.approx(ref["ave"].iloc[0], abs=1e-9)
    std = one["estimates"].query("op == '=~'")["std_all"].to_numpy()
    assert np.allclose(loadings.loc[loadings["construct"] == "PDC", "std_all"], std, atol=1e-9)
    # no latent correlation in a one-scale model: no Fornell-Larcker verdict, and the reason
    assert validity["fornell_larcker_pass"].isna().all()
    assert validity["fornell_larcker_note"].str.startswith("not assessable").all()
    fl = pd.read_csv(paths["fornell_larcker"]).set_index("construct")
    assert fl.loc["PDC", "PDC"] == pytest.approx(np.sqrt(validity.loc["PDC", "ave"]), abs=1e-9)
    assert pd.isna(fl.loc["PDC", "CCA"])


def test_cfa_fit_records_the_cascade(failed_joint):
    _, paths = failed_joint
    fit = json.loads(Path(paths["cfa_fit"]).read_text())
    assert fit["converged"] is None and fit["fit"] is None  # the joint model's keys: not fitted
    models = fit["cascade"]["models"]
    assert [(m["model"], m["result"]) for m in models[:2]] == [
        ("joint CFA", "could not be fitted: the joint model is not identified"), ("process CFA (sensing)", "did not converge")]
    assert all(m["result"] == "converged" and "cfi" in m["fit"] for m in models[2:])
    assert fit["cascade"]["scales"]["PDC"]["levels_above_failed"] == (
        "the joint CFA could not be fitted: the joint model is not identified; the process CFA (sensing) did not converge")
    assert fit["latent_correlations"]["PDC"] == {"PDC": 1.0}
    verdicts = pd.read_csv(paths["verdicts"]).set_index("construct")
    assert "from the one-factor CFA" in verdicts.loc["PDC", "reasons"]
    assert "from the group CFA (marker)" in verdicts.loc["MARKER", "reasons"]


def test_normal_data_unchanged_apart_from_the_new_columns(tmp_path, scales_dir, inst_scales):  # noqa: F811
    """The joint model converges: loadings.csv and validity.csv are, without their new columns, the
    bytes the joint CFA's tables made before the cascade (the tables straight from fit_cfa)."""
    tmp = write_inputs(tmp_path, simulate(inst_scales, seed=12, miss=0.0))
    paths = kit.run_measurement_stage(tmp / "analysis.csv", tmp / "ingest.json", None, scales_dir, CONFIG, tmp / "results")
    data = pd.read_csv(tmp / "analysis.csv")
    fit = T.fit_cfa(data, inst_scales, estimator="ML", missing="listwise", max_iter=CONFIG["measurement"]["max_iter"])
    cra, fl, _ = T._model_validity(fit)
    write_csv(tmp / "loadings_before.csv", T._loadings_of(fit["estimates"]))
    write_csv(tmp / "validity_before.csv", cra)
    write_csv(tmp / "fl_before.csv", fl.rename_axis("construct").reset_index())
    for key, extra in (("loadings", ["model"]), ("validity", ["model", "fornell_larcker_note"])):
        now = pd.read_csv(paths[key])
        assert set(now["model"]) == {"joint CFA"}
        write_csv(tmp / f"{key}_without.csv", now.drop(columns=extra))
        assert (tmp / f"{key}_without.csv").read_bytes() == (tmp / f"{key}_before.csv").read_bytes(), key
    assert Path(paths["fornell_larcker"]).read_bytes() == (tmp / "fl_before.csv").read_bytes()
    assert pd.read_csv(paths["validity"])["fornell_larcker_note"].isna().all()
