"""The marker-based method factor of the SAM measurement model (surveysem.propositions.latent_method).

References:

* lavaan 0.6-14 (``tests/r/latent_method.R`` on ``tests/r/data/latent_method.csv``, 522 clean firms
  of one simulated study, 207 complete cases, P1's constructs and the four marker items; see
  tests/r/README.md): the joint CFA with the method factor by FIML and on complete cases
  (loadings, residual variances, intercepts, method variance), and on complete cases the latent
  regression from the capabilities' GLS scores computed in R from lavaan's estimates (marker trait
  and method factor in the error; checked there against the mixed-model form);
* the Hermite correction by hand (the Isserlis expansion) and by Monte Carlo;
* the joint scores by hand (GLS with ``Sigma_e = Theta + v m m' + l_M l_M'``, firm by firm).

Tolerances: 1e-3 against lavaan (convergence tolerances of the two optimisers); the hand checks
1e-12 (the same arithmetic); Monte Carlo at n = 400 000: 0.03 for moments up to the fourth
(simulation SEs below 0.01).
"""

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import survey_kit as kit

from surveysem.errors import SurveySemError
from surveysem.propositions.latent import analyse_latent, method_factor_of
from surveysem.propositions.latent_method import (
    JOINT,
    JointMeasurement,
    MethodFactor,
    fit_joint_measurement,
    hermite_product,
    joint_scores,
    keying_signs,
    method_syntax,
    partial_pairings,
)
from surveysem.propositions.latent_sam import (
    corrected_rows,
    latent_regression,
    make_design,
    usable_rows,
)

R_DIR = Path(__file__).resolve().parents[1] / "r"
CONSTRUCTS = {c: [f"{c}{k}" for k in range(1, 6)] for c in ("PDC", "SOE", "ECP", "CUS")}
MARKER = [f"MARKER{k}" for k in range(1, 5)]
CONTROLS = ["log_age", "size", "tech2", "tech3"]
TOL = 1e-3


@pytest.fixture(scope="module")
def ref():
    return json.loads((R_DIR / "results" / "latent_method.json").read_text())


@pytest.fixture(scope="module")
def data():
    return pd.read_csv(R_DIR / "data" / "latent_method.csv")


@pytest.fixture(scope="module")
def method(ref):
    cols = [i for its in CONSTRUCTS.values() for i in its] + MARKER
    return MethodFactor("MARKER", MARKER, {c: (-1.0 if c in ref["reversed"] else 1.0) for c in cols})


def _params(rows) -> dict:
    return {(r["lhs"], r["op"], r["rhs"]): r["est"] for r in rows}


def _check_against_lavaan(mm: JointMeasurement, want: dict, intercepts: bool) -> None:
    k = 0
    for f, its in mm.items.items():
        for i in its:
            assert mm.loadings[k] == pytest.approx(want[(f, "=~", i)], abs=TOL), (f, i)
            assert mm.theta[k] == pytest.approx(want[(i, "~~", i)], abs=TOL), i
            if intercepts:
                assert mm.nu[k] == pytest.approx(want[(i, "~1", "")], abs=TOL), i
            k += 1
    assert mm.method_variance == pytest.approx(want[("METHOD", "~~", "METHOD")], abs=TOL)


# --------------------------------------------------------------------------- against lavaan
def test_fixture_data_is_the_documented_study(ref, data):
    assert ref["meta"]["lavaan"] == "0.6.14"
    assert len(data) == ref["cfa_fiml"]["nobs"] == 522
    assert len(data.dropna()) == ref["cfa_complete"]["nobs"] == ref["regression_complete"]["nobs"] == 207
    assert ref["reversed"] == ["PDC5", "CUS5"]


def test_joint_cfa_by_fiml_equals_lavaan(ref, data, method):
    mm = fit_joint_measurement(data, CONSTRUCTS, method)
    assert mm.converged and not mm.warnings
    _check_against_lavaan(mm, _params(ref["cfa_fiml"]["params"]), intercepts=True)
    for key in ("chisq", "df", "cfi", "rmsea"):
        assert mm.fit[key] == pytest.approx(ref["cfa_fiml"]["fit"][key], abs=TOL), key


def test_joint_cfa_on_complete_cases_equals_lavaan(ref, data, method):
    mm = fit_joint_measurement(data.dropna().reset_index(drop=True), CONSTRUCTS, method)
    _check_against_lavaan(mm, _params(ref["cfa_complete"]["params"]), intercepts=False)


def test_method_syntax_has_keyed_equal_loadings(ref, method):
    syntax = method_syntax({**CONSTRUCTS, "MARKER": MARKER}, "MARKER", method.keying)
    assert "-1*PDC5" in syntax and "-1*CUS5" in syntax and "1*MARKER1" in syntax
    assert "METHOD ~~ NA*METHOD" in syntax and "MARKER ~~ 0*PDC" in syntax and "METHOD ~~ 0*MARKER" in syntax
    lines = set(ref["syntax"].splitlines())
    assert {ln for ln in syntax.splitlines() if ln} == lines


def test_latent_regression_with_method_factor_equals_the_r_gls_regression(ref, data, method):
    """Complete cases: the corrected-score regression is the regression on the VETA of the GLS scores."""
    complete = data.dropna().reset_index(drop=True)
    r = latent_regression(complete, "y", CONSTRUCTS, [], CONTROLS, method=method)
    want = ref["regression_complete"]
    assert r.admissible and r.nobs == want["nobs"] and list(r.blocks) == [JOINT]
    for t, b in zip(r.terms[1:], r.params[1:]):
        assert b == pytest.approx(want["coefficients"][t], abs=TOL), t
    for c in CONSTRUCTS:
        assert r.latent_sd[c] == pytest.approx(want["latent_sd"][c], abs=TOL), c
    F, Om, ok = joint_scores(r.blocks[JOINT], complete)
    assert ok.all()
    R = {row["row"]: row for row in want["omega"]}
    for i, a in enumerate(CONSTRUCTS):
        for j, b in enumerate(CONSTRUCTS):
            assert Om[0, i, j] == pytest.approx(R[a][b], abs=TOL), (a, b)
        for k, row in enumerate(want["scores_head"]):  # the GLS scores of the first five firms
            assert F[k, i] == pytest.approx(row[a], abs=TOL), (k, a)


def test_measurement_jacobian_evaluated_together_equals_the_one_by_one_differences(data, method, monkeypatch):
    """The joint model's Jacobian of SAM (the SEs' measurement part) with every shifted parameter
    set scored in one batch (``latent_method.joint_scores_at``) is the parameter-by-parameter
    central difference, here with missing answers (many patterns) and an interaction."""
    from surveysem.propositions import latent_sam

    real, seen = latent_sam.measurement_jacobians, {}

    def both(estimate, blocks, at=None):
        seen["together"], seen["one_by_one"] = real(estimate, blocks, at=at), real(estimate, blocks)
        return seen["together"]

    monkeypatch.setattr(latent_sam, "measurement_jacobians", both)
    latent_regression(data, "y", CONSTRUCTS, ["ECP:SOE"], CONTROLS, method=method)
    together, one_by_one = seen["together"][JOINT], seen["one_by_one"][JOINT]
    assert together.shape == one_by_one.shape and len(together) == 1 + len(CONSTRUCTS) + 1 + len(CONTROLS)
    assert np.abs(one_by_one).max() > 0.01
    np.testing.assert_allclose(together, one_by_one, rtol=1e-7, atol=1e-9)


def test_sam_one_block_reference_is_recorded(ref):
    """lavaan's sam() accepts the joint block (mm.list); its structural model is not saturated
    (METHOD fixed orthogonal in VETA) and standardised, so it is recorded, not matched."""
    assert ref["sam_one_block"]["ok"]
    assert {e["rhs"] for e in ref["sam_one_block"]["estimates"]} >= set(CONSTRUCTS)


# --------------------------------------------------------------------------- the Hermite correction
def test_partial_pairings_are_every_matching():
    assert [len(partial_pairings(m)) for m in range(6)] == [1, 1, 2, 4, 10, 26]  # telephone numbers


def test_hermite_product_by_hand():
    F = np.array([[1.0, 2.0], [-0.5, 0.3]])
    O = np.array([[[0.2, 0.05], [0.05, 0.1]], [[0.3, -0.1], [-0.1, 0.4]]])
    for i in range(2):
        fa, fb = F[i]
        oaa, oab, obb = O[i, 0, 0], O[i, 0, 1], O[i, 1, 1]
        got = {idx: hermite_product(F, O, idx)[i] for idx in [(), (0,), (0, 1), (0, 0), (0, 0, 1), (0, 1, 0, 1)]}
        assert got[()] == 1.0 and got[(0,)] == fa
        assert got[(0, 1)] == pytest.approx(fa * fb - oab, abs=1e-12)
        assert got[(0, 0)] == pytest.approx(fa ** 2 - oaa, abs=1e-12)
        assert got[(0, 0, 1)] == pytest.approx(fa ** 2 * fb - oaa * fb - 2 * oab * fa, abs=1e-12)
        want4 = (fa ** 2 * fb ** 2 - oaa * fb ** 2 - obb * fa ** 2 - 4 * oab * fa * fb + oaa * obb + 2 * oab ** 2)
        assert got[(0, 1, 0, 1)] == pytest.approx(want4, abs=1e-12)


def test_hermite_product_is_unbiased_with_correlated_errors():
    rng = np.random.default_rng(11)
    n = 400_000
    C = np.array([[1.0, 0.4, 0.2], [0.4, 1.0, 0.3], [0.2, 0.3, 1.0]])
    O = np.array([[0.3, 0.1, -0.05], [0.1, 0.4, 0.08], [-0.05, 0.08, 0.25]])
    xi = rng.multivariate_normal(np.zeros(3), C, size=n)
    F = xi + rng.multivariate_normal(np.zeros(3), O, size=n)
    Om = np.broadcast_to(O, (n, 3, 3))
    for idx in [(0, 1), (1, 1), (0, 1, 1), (0, 1, 0, 1), (0, 0, 1, 2), (2, 2, 2, 2)]:
        want = np.prod(xi[:, list(idx)], axis=1).mean()
        assert hermite_product(F, Om, idx).mean() == pytest.approx(want, abs=0.03), idx


def test_corrected_rows_with_diagonal_covariances_equal_the_independent_blocks():
    """The special case: block-diagonal Omega (no method factor) gives f^2 -> f^2 - omega exactly."""
    rng = np.random.default_rng(3)
    F, Om, Z = rng.normal(size=(6, 2)), rng.uniform(0.1, 0.5, (6, 2)), rng.normal(size=(6, 1))
    design = make_design(["A", "B"], ["A:B"], ["z"])
    W2, A2 = corrected_rows(design, F, Om, Z)
    full = np.zeros((6, 2, 2))
    full[:, 0, 0], full[:, 1, 1] = Om[:, 0], Om[:, 1]
    W3, A3 = corrected_rows(design, F, full, Z)
    np.testing.assert_allclose(A2, A3, atol=1e-14)
    np.testing.assert_allclose(W2, W3, atol=1e-14)
    fa, fb, wa, wb = F[0, 0], F[0, 1], Om[0, 0], Om[0, 1]
    assert A2[0, 3, 3] == pytest.approx((fa ** 2 - wa) * (fb ** 2 - wb), abs=1e-12)
    assert W2[0, 3] == pytest.approx(fa * fb, abs=1e-12)


def test_corrected_rows_with_correlated_errors_correct_the_interaction_regressor():
    F = np.array([[1.0, 2.0]])
    O = np.array([[[0.2, 0.05], [0.05, 0.1]]])
    W, A = corrected_rows(make_design(["A", "B"], ["A:B"], []), F, O, np.zeros((1, 0)))
    assert W[0, 3] == pytest.approx(2.0 - 0.05, abs=1e-12)  # f_a f_b - Omega_ab
    assert A[0, 1, 2] == pytest.approx(2.0 - 0.05, abs=1e-12)
    assert A[0, 1, 1] == pytest.approx(1.0 - 0.2, abs=1e-12)


# --------------------------------------------------------------------------- joint scores by hand
def _toy() -> tuple[JointMeasurement, pd.DataFrame]:
    items = {"A": ["a1", "a2", "a3"], "B": ["b1", "b2"], "MK": ["m1", "m2"]}
    mm = JointMeasurement(["A", "B"], items, "MK", np.array([1, -1, 1, 1, 1, 1, 1.0]),
                          np.array([0.8, 0.7, 0.6, 0.9, 0.5, 0.7, 0.6]), np.array([0.5, 0.6, 0.4, 0.3, 0.5, 0.6, 0.7]),
                          np.arange(7.0), 0.04, np.eye(22), True)
    x = pd.DataFrame(np.random.default_rng(0).normal(size=(4, 7)) + np.arange(7), columns=mm.columns)
    x.iloc[1, [5, 6]] = np.nan  # no marker item: the marker trait has no indicator
    x.iloc[2, [1, 2, 4, 5, 6]] = np.nan  # a1 and b1 only: 2 items for A, B and METHOD
    x.iloc[3, [4]] = np.nan
    return mm, x


def test_joint_scores_by_hand():
    """GLS of the capabilities with the marker trait and the method factor in the error covariance."""
    mm, x = _toy()
    F, Om, ok = joint_scores(mm, x)
    assert ok.all()  # one answered item per capability is enough: the nuisance factors have priors
    L = mm.matrix()
    for i in range(len(x)):
        o = ~np.isnan(x.iloc[i].to_numpy())
        Sigma = np.diag(mm.theta) + mm.method_variance * np.outer(L[:, -1], L[:, -1]) + np.outer(L[:, -2], L[:, -2])
        Si = np.linalg.inv(Sigma[np.ix_(o, o)])
        Lx = L[o][:, :2]
        Omega = np.linalg.inv(Lx.T @ Si @ Lx)
        f = Omega @ Lx.T @ Si @ (x.iloc[i].to_numpy()[o] - mm.nu[o])
        np.testing.assert_allclose(F[i], f, atol=1e-12)
        np.testing.assert_allclose(Om[i], Omega, atol=1e-12)


def test_a_capability_without_an_answered_item_is_not_identified():
    mm, x = _toy()
    x.iloc[0, [3, 4]] = np.nan  # firm 1 answers no B item
    F, Om, ok = joint_scores(mm, x)
    assert ok.tolist() == [False, True, True, True] and np.isnan(F[0]).all() and np.isnan(Om[0]).all()


def test_joint_scores_without_method_variance_leave_the_method_factor_out():
    mm, x = _toy()
    mm.method_variance = 0.0
    _, Om, _ = joint_scores(mm, x)
    L = mm.matrix()
    o = ~np.isnan(x.iloc[0].to_numpy())
    Si = np.linalg.inv(np.diag(mm.theta[o]) + np.outer(L[o, -2], L[o, -2]))
    Omega = np.linalg.inv(L[o][:, :2].T @ Si @ L[o][:, :2])
    np.testing.assert_allclose(Om[0], Omega, atol=1e-12)


def test_firms_with_one_item_per_capability_and_no_marker_item_are_kept(data, method):
    d = data.copy()
    d.loc[:4, [c for c in d.columns if c.endswith(("2", "3", "4", "5")) and not c.startswith(("MARKER", "tech"))]] = np.nan
    d.loc[:4, MARKER] = np.nan
    usable, n_dropped = usable_rows(d, "y", CONSTRUCTS, CONTROLS)
    r = latent_regression(d, "y", CONSTRUCTS, [], CONTROLS, method=method)
    assert r.nobs == len(usable) >= len(d) - 1 and r.n_dropped == n_dropped and r.admissible


# --------------------------------------------------------------------------- configuration
def _inst(marker=True):
    items = [SimpleNamespace(id=i, reverse=i in ("PDC5", "CUS5")) for its in CONSTRUCTS.values() for i in its]
    constructs = {c: SimpleNamespace(items=[SimpleNamespace(id=i) for i in its]) for c, its in CONSTRUCTS.items()}
    if marker:
        items += [SimpleNamespace(id=i, reverse=False) for i in MARKER]
        constructs["MARKER"] = SimpleNamespace(items=[SimpleNamespace(id=i) for i in MARKER])
    return SimpleNamespace(items=items, constructs=constructs, parcels={})


def _hyp(method_factor, estimator="sam"):
    return SimpleNamespace(id="P1", method_factor=method_factor, estimator=estimator, is_paths=False,
                           constructs=list(CONSTRUCTS), control_constructs=[])


def test_method_factor_of_follows_the_key_and_the_instrument():
    cols = [i for its in CONSTRUCTS.values() for i in its]
    m = method_factor_of(_hyp("auto"), _inst(), "MARKER", cols)
    assert m.marker == "MARKER" and m.marker_items == MARKER
    assert m.keying["PDC5"] == -1.0 and m.keying["PDC1"] == 1.0 and m.keying["MARKER1"] == 1.0
    assert method_factor_of(_hyp("none"), _inst(), "MARKER", cols) is None
    assert method_factor_of(_hyp("auto", "sem"), _inst(), "MARKER", cols) is None
    assert method_factor_of(_hyp("auto"), _inst(marker=False), "MARKER", cols) is None  # documented fallback
    with pytest.raises(SurveySemError, match="method_factor: marker, but the marker construct 'MARKER'"):
        method_factor_of(_hyp("marker"), _inst(marker=False), "MARKER", cols)


def test_keying_of_a_parcel_is_the_mean_of_its_items():
    inst = _inst()
    inst.parcels = {"PDCp": SimpleNamespace(items=["PDC4", "PDC5"])}
    assert keying_signs(inst, ["PDCp", "PDC1"]) == {"PDCp": 0.0, "PDC1": 1.0}
    with pytest.raises(SurveySemError, match="'nope' is neither an item nor a parcel"):
        keying_signs(inst, ["nope"])


def test_explicit_marker_with_the_full_sem_is_a_config_error():
    from surveysem.propositions.hypotheses import parse_hypotheses

    entry = {"id": "P1", "statement": "", "outcome": "spread", "family": "gamma_log", "checks": [],
             "predictors": ["PDC", "SOE"], "expected": "+", "estimator": "sem", "controls": [], "se": "HC1",
             "overdispersion": 1.2, "method_factor": "marker", "item_scores": "raw"}
    with pytest.raises(SurveySemError, match=r"hypotheses\[0\]\.method_factor: marker is available for estimator sam"):
        parse_hypotheses([entry], ["PDC", "SOE"])
    assert parse_hypotheses([{**entry, "method_factor": "auto"}], ["PDC", "SOE"])[0].method_factor == "none"
    assert parse_hypotheses([{**entry, "estimator": "sam"}], ["PDC", "SOE"])[0].method_factor == "marker"


def test_analyse_latent_reports_the_method_factor(data, method):
    hyp = SimpleNamespace(id="P1", constructs=list(CONSTRUCTS), control_constructs=[], is_paths=False,
                          interactions=[], outcome="spread", item_scores="raw",
                          subs=[SimpleNamespace(id=f"P1{c}", term=c, expected="+", is_interaction=False)
                                for c in CONSTRUCTS])
    res = analyse_latent(data, CONTROLS, hyp, {**CONSTRUCTS, "MARKER": MARKER}, estimator="sam", method=method)
    assert res["method_factor"]["marker"] == "MARKER" and res["method_factor"]["method_variance"] > 0
    fit = res["fits"][0]
    assert fit["fit_indices"]["basis"] == "sam_joint" and set(fit["reliability"]) == set(CONSTRUCTS)


# --------------------------------------------------------------------------- linearised item scores
def _acquiescent_study(seed: int, n: int, method_loading: float):
    """Two correlated capabilities, A with high and B with low loadings, a marker, and acquiescence
    adding ``method_loading * M`` to every latent response (as the simulator does); y = 0.3 A + e."""
    rng = np.random.default_rng(seed)
    eta = rng.multivariate_normal([0, 0, 0], [[1, .5, 0], [.5, 1, 0], [0, 0, 1]], n)
    acquiescence = rng.standard_normal(n)
    spec = {"A": (0, (0.85, 0.85, 0.8, 0.8)), "B": (1, (0.55, 0.55, 0.5, 0.5)), "MK": (2, (0.7,) * 4)}
    items, cols = {}, {}
    for c, (k, loadings) in spec.items():
        items[c] = [f"{c}{j}" for j in range(len(loadings))]
        for it, lam in zip(items[c], loadings):
            ystar = (lam * eta[:, k] + method_loading * acquiescence
                     + np.sqrt(1 - lam ** 2 - method_loading ** 2) * rng.standard_normal(n))
            cols[it] = kit.skewed_answers(ystar)
    y = 0.3 * eta[:, 0] + rng.standard_normal(n)
    oracle = np.linalg.lstsq(np.column_stack([np.ones(n), eta[:, :2]]), y, rcond=None)[0][1:]
    return pd.DataFrame({"respondent_id": np.arange(n), "y": y, **cols}), items, oracle


def test_on_linearised_scores_the_method_factor_loads_by_each_items_slope(monkeypatch):
    """Acquiescence is equal on the answers, so on the linearised scores the method factor loads
    sign x slope (score on answer). With those loadings the joint CFA fits (chi-square near its df)
    and B's null coefficient is recovered; equal loadings on the scores misfit and move method
    variance between A (high loadings) and B (low), shifting both coefficients."""
    import surveysem.propositions.latent as latent_module

    data, items, oracle = _acquiescent_study(seed=1, n=12000, method_loading=0.35)
    method = MethodFactor("MK", items["MK"], {i: 1.0 for its in items.values() for i in its})
    hyp = SimpleNamespace(id="H", constructs=["A", "B"], control_constructs=[], is_paths=False, interactions=[],
                          outcome="spread", item_scores="linearised",
                          subs=[SimpleNamespace(id=f"H{c}", term=c, expected="+", is_interaction=False) for c in "AB"])
    scaled = analyse_latent(data, [], hyp, items, estimator="sam", method=method)
    monkeypatch.setattr(latent_module, "method_on_scores", lambda m, raw, scored: (m, None))
    equal = analyse_latent(data, [], hyp, items, estimator="sam", method=method)

    def chisq(res):
        fit = res["fits"][0]["fit_indices"]["fits"][JOINT]
        return fit["chisq"], fit["df"]

    (c_scaled, df), (c_equal, _) = chisq(scaled), chisq(equal)
    assert c_scaled < df + 3 * np.sqrt(2 * df) < c_equal  # 67.8 and 103.5 on 52 df here
    est = {name: np.array([s["est"] for s in res["subhypotheses"]]) for name, res in (("scaled", scaled), ("equal", equal))}
    se = np.array([s["se"] for s in scaled["subhypotheses"]])
    assert np.all(np.abs(est["scaled"] - oracle) < 2 * se)  # the SEs include the outcome's own noise: a loose check
    # equal loadings: A too large and B too small by about 0.015 (+0.017 and -0.016 here)
    assert est["equal"][0] - est["scaled"][0] > 0.01 and est["equal"][1] - est["scaled"][1] < -0.01
