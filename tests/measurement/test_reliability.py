"""Reliability against psych::alpha / psych::describe / semTools::compRelSEM (tests/r/results/reliability_bfi.json)."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from surveysem.measurement import reliability as rel
from surveysem.cli import main
from surveysem.errors import SurveySemError

HERE = Path(__file__).resolve().parents[1]  # tests/
TOL = 1e-3  # the project-wide tolerance; observed max differences are ~1e-6 (optimizer tolerance of omega)
FX = json.loads((HERE / "r" / "results" / "reliability_bfi.json").read_text())
BFI = pd.read_csv(HERE / "r" / "data" / "bfi.csv")


def _rev(d):
    r = d["reverse"]
    return [r] if isinstance(r, str) else list(r)


def _keyed(d):
    X = BFI[d["items"]].copy()
    for v in _rev(d):
        X[v] = 7 - X[v]  # psych: max + min - x over the observed 1..6
    return X


@pytest.fixture(scope="module")
def results():
    return {s: rel.scale_reliability(_keyed(d), d["items"], s, omega_engine="own") for s, d in FX["scales"].items()}


@pytest.mark.parametrize("scale", list(FX["scales"]))
def test_scale_summary_matches_psych(results, scale):
    d = FX["scales"][scale]
    s = results[scale].summary
    pairs = {
        "alpha": d["raw_alpha"], "std_alpha": d["std_alpha"], "average_r": d["average_r"], "median_r": d["median_r"],
        "g6_smc": d["G6_smc"], "ase": d["ase"], "s_n": d["S_N"], "scale_mean": d["scale_mean"], "scale_sd": d["scale_sd"],
        "ci_lower": d["feldt_psych"]["lower"], "ci_upper": d["feldt_psych"]["upper"],
    }
    for key, ref in pairs.items():
        assert s[key] == pytest.approx(ref, abs=TOL), key
    assert s["n"] == d["feldt_psych"]["n_used"]
    assert s["n_complete"] == d["n_listwise"]


@pytest.mark.parametrize("scale", list(FX["scales"]))
def test_item_statistics_match_psych(results, scale):
    d = FX["scales"][scale]
    t = results[scale].item_stats.set_index("item")
    for it in d["item_stats"]:
        r = t.loc[it["item"]]
        for ours, theirs in [("raw_r", "raw_r"), ("std_r", "std_r"), ("r_cor", "r_cor"), ("r_drop", "r_drop"),
                             ("mean", "mean"), ("sd", "sd"), ("alpha_if_deleted", "alpha_drop_raw_alpha"),
                             ("std_alpha_if_deleted", "alpha_drop_std_alpha"), ("share_missing", "share_missing")]:
            assert r[ours] == pytest.approx(it[theirs], abs=TOL), (it["item"], ours)
        assert r["n"] == it["n"]
        assert r["skew"] == pytest.approx(it["describe_reversed"]["skew"], abs=TOL)
        assert r["kurtosis"] == pytest.approx(it["describe_reversed"]["kurtosis"], abs=TOL)


def test_describe_type3_on_raw_items():
    for d in FX["scales"].values():
        for it in d["item_stats"]:
            got = rel.describe(BFI[it["item"]])
            ref = it["describe_raw"]
            for k in ("n", "mean", "sd", "median", "min", "max", "skew", "kurtosis", "se"):
                assert got[k] == pytest.approx(ref[k], abs=TOL), (it["item"], k)


@pytest.mark.parametrize("engine", ["own", "sem"])
@pytest.mark.parametrize("scale", list(FX["scales"]))
def test_omega_matches_compRelSEM_one_factor(scale, engine):
    d = FX["scales"][scale]
    om = rel.omega_one_factor(_keyed(d), engine=engine)
    assert om["n"] == d["omega_lavaan"]["n"]
    assert om["omega"] == pytest.approx(d["omega_lavaan"]["compRelSEM"], abs=TOL)
    for item, ref in d["omega_lavaan"]["loadings_std"].items():
        assert om["std_loadings"][item] == pytest.approx(ref, abs=TOL)


def test_feldt_formula_by_hand_complete_cases():
    d = FX["scales"]["C"]
    lo, hi = rel.feldt_ci(d["raw_alpha"], d["feldt_n"], 5)
    assert lo == pytest.approx(d["feldt_lower"], abs=1e-10)
    assert hi == pytest.approx(d["feldt_upper"], abs=1e-10)


def test_alpha_hand_computation():
    # k/(k-1) (1 - sum var / var(sum)) on a tiny complete table, computed by hand
    df = pd.DataFrame({"a": [1, 2, 3, 4, 5], "b": [2, 2, 3, 5, 5], "c": [1, 3, 3, 4, 4]})
    C = np.cov(df.to_numpy().T)
    expected = 3 / 2 * (1 - np.trace(C) / C.sum())
    assert rel.cronbach_alpha(df)["alpha"] == pytest.approx(expected, abs=1e-12)


def test_zero_variance_item_is_a_warning_not_a_crash():
    d = FX["scales"]["C"]
    X = _keyed(d).iloc[:300].copy()
    X["C3"] = 4.0
    r = rel.scale_reliability(X, d["items"], "C", omega_engine="own")
    assert any("C3" in w and "zero variance" in w for w in r.warnings)
    assert r.summary["k_used"] == 4
    ref = rel.cronbach_alpha(X[["C1", "C2", "C4", "C5"]])["alpha"]
    assert r.summary["alpha"] == pytest.approx(ref, abs=1e-12)
    assert np.isnan(r.item_stats.set_index("item").loc["C3", "r_drop"])


def test_cli_reverses_items_and_prints_json(tmp_path, capsys):
    path = tmp_path / "bfi.csv"
    BFI.iloc[:, 2:27].to_csv(path, index=False)
    code = main(["reliability", str(path), "--scale", "C=C1,C2,C3,-C4,-C5", "--scale", "A=-A1,A2,A3,A4,A5",
                 "--range", "1", "6", "--json"])
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    c = out["scales"]["C"]
    assert c["alpha"] == pytest.approx(FX["scales"]["C"]["raw_alpha"], abs=TOL)
    assert c["omega"] == pytest.approx(FX["scales"]["C"]["omega_lavaan"]["compRelSEM"], abs=TOL)
    assert out["scales"]["A"]["alpha"] == pytest.approx(FX["scales"]["A"]["raw_alpha"], abs=TOL)
    # HTMT between the two given scales: semTools' definition with pairwise correlations (validity.htmt,
    # itself checked against semTools::htmt(missing = "pairwise") in test_validity.py)
    from surveysem.measurement import validity

    keyed = pd.concat([_keyed(FX["scales"]["C"]), _keyed(FX["scales"]["A"])], axis=1)
    h = validity.htmt(keyed, {"C": FX["scales"]["C"]["items"], "A": FX["scales"]["A"]["items"]}, missing="pairwise")
    assert out["htmt"]["C"]["A"] == pytest.approx(h.loc["C", "A"], abs=1e-9)
    assert out["reversed"] == ["A1", "C4", "C5"]
    # CR = (sum l)^2 / ((sum l)^2 + sum(1 - l^2)) from lavaan's standardized one-factor loadings
    # (= compRelSEM(obs.var = FALSE) of the one-factor model); AVE as semTools::AVE =
    # sum(l_i^2 var_i) / sum(var_i) with the observed (listwise, N-denominator) variances
    ls = np.array(list(FX["scales"]["C"]["omega_lavaan"]["loadings_std"].values()))
    assert c["cr"] == pytest.approx(ls.sum() ** 2 / (ls.sum() ** 2 + (1 - ls**2).sum()), abs=TOL)
    var = _keyed(FX["scales"]["C"]).dropna().var(ddof=0).to_numpy()
    assert c["ave"] == pytest.approx(np.sum(ls**2 * var) / var.sum(), abs=TOL)


def test_cli_errors_are_one_line(tmp_path, capsys):
    path = tmp_path / "d.csv"
    pd.DataFrame({"a": [1, 2, 3], "b": [2, 3, "x"], "c": [1, 1, 2]}).to_csv(path, index=False)
    assert main(["reliability", str(path), "--scale", "S=a,-c"]) == 1
    err = capsys.readouterr().err.strip()
    assert "--range" in err and "\n" not in err
    assert main(["reliability", str(path), "--scale", "S=a,b"]) == 1
    err = capsys.readouterr().err.strip()
    assert "row 4" in err and "column b" in err and "\n" not in err
    assert main(["reliability", str(path), "--scale", "S=a,zz"]) == 1
    assert "zz" in capsys.readouterr().err


def test_parse_scale_rejects_bad_spec():
    with pytest.raises(SurveySemError):
        from surveysem.cli.reliability import _parse_scales

        _parse_scales(["nonsense"])


@pytest.mark.parametrize("scale", list(FX["scales"]))
def test_omega_t_matches_psych_omega(results, scale):
    """psych::omega(x, nfactors = 1)$omega.tot (minres on pairwise correlations) beside semTools' omega."""
    d = FX["scales"][scale]
    assert results[scale].summary["omega_t"] == pytest.approx(d["omega_psych"]["omega_tot"], abs=TOL)
    # the two definitions differ (.714 vs .723 on A): both are reported, neither replaces the other
    assert results[scale].summary["omega"] == pytest.approx(d["omega_lavaan"]["compRelSEM"], abs=TOL)
