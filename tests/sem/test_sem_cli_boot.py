"""`surveysem fit` command and the bootstrap fast path of surveysem.sem."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from surveysem.cli import main
from surveysem.sem import fit_model, prepare_model

ROOT = Path(__file__).resolve().parents[1]
HS = ROOT / "r" / "data" / "hs.csv"
M = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9\n"


@pytest.fixture()
def model_file(tmp_path):
    p = tmp_path / "hs.lav"
    p.write_text(M)
    return p


def test_cli_json_matches_lavaan(model_file, capsys):
    assert main(["fit", str(model_file), str(HS), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"fit", "estimates", "converged", "warnings"}
    assert set(out["fit"]) == {
        "chisq",
        "df",
        "pvalue",
        "cfi",
        "tli",
        "rmsea",
        "rmsea_ci_lower",
        "rmsea_ci_upper",
        "srmr",
        "aic",
        "bic",
        "npar",
        "nobs",
    }
    ref = json.loads((ROOT / "r" / "results" / "hs_cfa_ml.json").read_text())
    assert out["fit"]["chisq"] == pytest.approx(ref["fit"]["chisq"], abs=1e-3)
    assert len(out["estimates"]) == len(ref["estimates"])
    assert set(out["estimates"][0]) == {"lhs", "op", "rhs", "est", "se", "pvalue", "std_all"}
    assert out["converged"] is True


def test_cli_mlr_group_json(model_file, capsys):
    assert (
        main(
            [
                "fit",
                str(model_file),
                str(HS),
                "--estimator",
                "MLR",
                "--group",
                "school",
                "--invariance",
                "metric",
                "--json",
            ]
        )
        == 0
    )
    out = json.loads(capsys.readouterr().out)
    assert "chisq_scaled" in out["fit"] and "cfi_robust" in out["fit"]
    assert {e["group"] for e in out["estimates"]} == {1, 2}
    ref = json.loads((ROOT / "r" / "results" / "hs_invariance_school.json").read_text())["models"]["metric"]
    assert out["fit"]["chisq"] == pytest.approx(ref["fit"]["chisq"], abs=1e-3)


def test_cli_text_summary(model_file, capsys):
    assert main(["fit", str(model_file), str(HS)]) == 0
    text = capsys.readouterr().out
    assert "CFI" in text and "visual" in text and "std.all" in text


@pytest.mark.parametrize(
    "args,needle",
    [
        (["missing.lav", str(HS)], "model file not found"),
        (["MODEL", "nowhere.csv"], "data file not found"),
        (["BAD"], "line 1"),
        (["UNKNOWN"], "'x99'"),
        (["MODEL", "--invariance", "metric"], "--invariance needs --group"),
    ],
)
def test_cli_errors_are_one_line(tmp_path, capsys, args, needle):
    good = tmp_path / "m.lav"
    good.write_text(M)
    bad = tmp_path / "bad.lav"
    bad.write_text("visual =~ x1 + 2x\n")
    unk = tmp_path / "unk.lav"
    unk.write_text("visual =~ x1 + x2 + x99\n")
    subst = {"MODEL": str(good), "BAD": str(bad), "UNKNOWN": str(unk)}
    argv = [subst.get(a, a) for a in args]
    if len(argv) == 1 or argv[1].startswith("--"):
        argv.insert(1, str(HS))
    assert main(["fit", *argv]) == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and needle in err and "Traceback" not in err


def test_cli_non_numeric_column(tmp_path, model_file, capsys):
    data = pd.read_csv(HS)
    data["x5"] = data["x5"].astype(object)
    data.loc[2, "x5"] = "n/a?"
    p = tmp_path / "d.csv"
    data.to_csv(p, index=False)
    assert main(["fit", str(model_file), str(p)]) == 1
    err = capsys.readouterr().err
    assert "x5" in err and "not numeric" in err and "row 4" in err


def test_refit_estimates_reproduces_fit_and_is_deterministic():
    data = pd.read_csv(HS)
    syntax = M + "visual ~~ a*textual\ntextual ~~ b*speed\nab := a*b\n"
    pm = prepare_model(syntax, list(data.columns))
    res = pm.fit(data)
    q = len(res.free_params)
    vec = pm.refit_estimates(data, start=res.free_params)
    assert np.allclose(vec[:q], res.free_params, atol=1e-6)
    # defined parameter, then std_all of every estimates row
    assert vec[q] == pytest.approx(res.estimates.loc[res.estimates.op == ":=", "est"].iloc[0], abs=1e-6)
    assert np.allclose(vec[q + 1 :], res.estimates.std_all.to_numpy(), atol=1e-6, equal_nan=True)
    # array input (columns in pm.spec.ov_names order) gives the same numbers
    X = data[pm.spec.ov_names].to_numpy()
    rng = np.random.default_rng(7)
    idx = rng.integers(0, len(X), len(X))
    a = pm.refit_estimates(X[idx], start=res.free_params)
    b = pm.refit_estimates(data.iloc[idx], start=res.free_params)
    assert np.array_equal(a, b)
    full = fit_model(syntax, data.iloc[idx].reset_index(drop=True))
    assert np.allclose(a[:q], full.free_params, atol=1e-5)


def test_refit_estimates_fiml_matches_full_fit():
    data = pd.read_csv(ROOT / "r" / "data" / "hs_missing.csv")
    pm = prepare_model(M, list(data.columns), missing="fiml")
    res = pm.fit(data)
    q = len(res.free_params)
    vec = pm.refit_estimates(data, start=res.free_params)
    assert np.allclose(vec[:q], res.free_params, atol=1e-6)
    assert np.allclose(vec[q:], res.estimates.std_all.to_numpy(), atol=1e-6, equal_nan=True)
    assert (res.estimates.par[res.estimates.free] >= 0).all()


def test_cli_modindices_are_lavaans_largest(model_file, capsys):
    """``--modindices 3``: the three largest rows of lavaan's ``modindices(fit, sort. = TRUE)``
    (fixture tests/r/results/sem_diagnostics.json, HS 3-factor CFA), text and JSON."""
    ref = json.loads((ROOT / "r" / "results" / "sem_diagnostics.json").read_text())
    model = ref["hs"]
    rows = sorted(model["modindices"], key=lambda r: -r["mi"])[:3]
    assert main(["fit", str(model_file), str(HS), "--modindices", "3", "--json"]) == 0
    got = json.loads(capsys.readouterr().out)["modindices"]
    assert [(r["lhs"], r["op"], r["rhs"]) for r in got] == [(r["lhs"], r["op"], r["rhs"]) for r in rows]
    for g, r in zip(got, rows):
        assert g["mi"] == pytest.approx(r["mi"], abs=1e-3) and g["epc"] == pytest.approx(r["epc"], abs=1e-3)
    assert main(["fit", str(model_file), str(HS), "--modindices"]) == 0
    text = capsys.readouterr().out
    assert "Largest modification indices" in text and "visual       =~  x9" in text and text.count(" =~ ") + text.count(" ~~ ") >= 10


@pytest.mark.parametrize("key,data,flags", [("mlr", HS, ["--estimator", "MLR"]),
                                             ("fiml", ROOT / "r" / "data" / "hs_missing.csv", ["--missing", "fiml"])])
def test_cli_modindices_of_mlr_and_fiml(model_file, capsys, key, data, flags):
    """MLR and FIML fits: lavaan's largest modification indices too (tests/r/sem_diagnostics_fiml.R)."""
    ref = json.loads((ROOT / "r" / "results" / "sem_diagnostics_fiml.json").read_text())[key]
    rows = sorted(ref["modindices"], key=lambda r: -r["mi"])[:3]
    assert main(["fit", str(model_file), str(data), *flags, "--modindices", "3", "--json"]) == 0
    got = json.loads(capsys.readouterr().out)["modindices"]
    assert [(r["lhs"], r["op"], r["rhs"]) for r in got] == [(r["lhs"], r["op"], r["rhs"]) for r in rows]
    for g, r in zip(got, rows):
        assert g["mi"] == pytest.approx(r["mi"], abs=1e-3) and g["sepc_all"] == pytest.approx(r["sepc_all"], abs=1e-3)