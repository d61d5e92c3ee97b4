"""The two latent-regression estimators of P1-P3 against lavaan 0.6-14 (no R needed).

References (fixtures written by ``tests/r/latent_p1.R`` from ``tests/r/data/latent_p1.csv``,
one simulated study of 262 clean firms, 112 complete cases; see tests/r/README.md):

* ``latent_regression`` (surveysem.propositions.latent_sam, local SAM by corrected scores) on
  complete cases against ``sam()`` (Rosseel & Loh 2022). lavaan 0.6-14's ``sam(std.lv = TRUE)``
  standardises the whole VETA (cov2cor), y and controls included, so the reference is the marker
  fit with each latent coefficient times ``sqrt(VETA_jj)`` (``per_latent_sd``: per latent SD, y
  and controls raw); the ``std.lv = TRUE`` call is checked as ``b / sd(y)``.
* ``fit_latent_sem`` (surveysem.propositions.latent_sem) against ``sem(std.lv = TRUE)`` with
  every latent ~~ control and control ~~ control covariance free: ML on complete cases, MLR with
  FIML (``missing = "ml"``) on all rows, and MLR FIML with the ECP x SOE interaction by
  double-mean-centred matched-pair product indicators (Lin, Wen, Marsh & Lin 2010;
  ``semTools::indProd``).
* The corrected-score algebra of latent_sam (Nakamura 1990) by hand on a three-firm dataset, and
  its unbiasedness on a large simulated one.

Tolerances and why:

* point estimates and SEs against lavaan: 1e-3 absolute (the brief's default; the measured
  differences are below 1e-5, the optimisers' convergence tolerances);
* SAM SEs are not compared for equality: ours are the HC1 sandwich of both steps' estimating
  equations (case influences, with the covariance of the two steps; checked against the
  delete-one jackknife within 10 %), lavaan's ``se = "twostep"`` uses the
  normal-theory (homoskedastic) information of the structural regression. They estimate the same
  sampling variance, so they must be within 30 % of each other (measured: 1-15 %);
* the interaction's SE against lavaan's ``se(beta_AxB) / sqrt(1 + phi^2)``: 5 % relative (ours also
  carries the uncertainty of phi by the delta method);
* the hand checks: 1e-12 (the same arithmetic); the Monte Carlo check at n = 200 000: 0.02 for
  second and third moments, 0.05 for the fourth moment (simulation SEs about 0.005 and 0.015).
"""

import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from surveysem.propositions.latent_sam import Block, bartlett_scores, corrected_rows, latent_regression, make_design
from surveysem.propositions.latent_sem import _admissibility, dmc_products, fit_latent_sem, matched_pairs

R_DIR = Path(__file__).resolve().parents[1] / "r"
CONSTRUCTS = {c: [f"{c}{k}" for k in range(1, 6)] for c in ("PDC", "SOE", "ECP", "CUS")}
CONTROLS = ["log_age", "size", "tech2", "tech3"]
TOL = 1e-3


@pytest.fixture(scope="module")
def ref():
    return json.loads((R_DIR / "results" / "latent_p1.json").read_text())


@pytest.fixture(scope="module")
def data():
    return pd.read_csv(R_DIR / "data" / "latent_p1.csv")


@pytest.fixture(scope="module")
def complete(data):
    return data.dropna().reset_index(drop=True)  # R's na.omit


def _structural(rows):
    return {r["rhs"]: r for r in rows if r["op"] == "~" and r["lhs"] == "y"}


def _sem_terms(ref_rows, terms):
    return {t: ref_rows[t.replace(":", "x")] for t in terms if t != "Intercept"}


# --------------------------------------------------------------------------- local SAM
@pytest.fixture(scope="module")
def sam_fit(complete):
    return latent_regression(complete, "y", CONSTRUCTS, [], CONTROLS)


def test_fixture_shape(ref, data, complete):
    assert ref["meta"]["lavaan"] == "0.6.14"
    assert len(data) == ref["meta"]["nobs_all"] == 262
    assert len(complete) == ref["meta"]["nobs_complete"] == ref["sam_complete"]["nobs"] == 112
    assert not data[["y"] + CONTROLS].isna().any().any()  # FIML needs no missing.x handling


def test_sam_point_estimates_equal_lavaan(ref, sam_fit):
    want = {r["rhs"]: r["est"] for r in ref["sam_complete_marker"]["per_latent_sd"]}
    assert sam_fit.admissible and sam_fit.nobs == 112
    for t, b in zip(sam_fit.terms[1:], sam_fit.params[1:]):
        assert b == pytest.approx(want[t], abs=TOL), t


def test_sam_std_lv_call_is_fully_standardised(ref, sam_fit):
    """lavaan 0.6-14 sam(std.lv = TRUE): every coefficient is b * sd(x) / sd(y), latent sd = 1."""
    std = _structural(ref["sam_complete"]["estimates"])
    sd_y = ref["sam_complete"]["sd_y"]
    assert sam_fit.outcome_sd == pytest.approx(sd_y, rel=1e-9)
    for t, b in zip(sam_fit.terms[1:], sam_fit.params[1:]):
        if t in CONSTRUCTS:
            assert b / sd_y == pytest.approx(std[t]["est"], abs=TOL), t


def test_sam_corrected_moments_equal_veta(ref, sam_fit, complete):
    """mean(f f') - mean(omega) of the centred Bartlett scores is lavaan's VETA (latent block)."""
    names = list(CONSTRUCTS)
    F = np.column_stack([bartlett_scores(sam_fit.blocks[c], complete)[0] for c in names])
    Om = np.column_stack([bartlett_scores(sam_fit.blocks[c], complete)[1] for c in names])
    F = F - F.mean(axis=0)
    veta = F.T @ F / len(F) - np.diag(Om.mean(axis=0))
    R = {r["row"]: r for r in ref["sam_complete"]["veta"]}  # std.lv: latent variances 1
    for i, a in enumerate(names):
        for j, b in enumerate(names):
            assert veta[i, j] == pytest.approx(R[a][b], abs=TOL), (a, b)


def test_sam_standard_errors_within_30_percent_of_twostep(ref, sam_fit):
    want = {r["rhs"]: r["se"] for r in ref["sam_complete_marker"]["per_latent_sd"]}
    for t, se in zip(sam_fit.terms[1:], sam_fit.se[1:]):
        assert abs(se / want[t] - 1) < 0.30, (t, se, want[t])


def test_sam_standard_errors_equal_the_jackknife(complete):
    """The SEs of both steps (case influences, with their covariance) against the delete-one
    jackknife, which refits the measurement blocks too: an independent estimate of the same
    sampling variance. Within 10 % (measured 3-5 %: the jackknife is HC3-like, larger than HC1)."""
    constructs = {c: CONSTRUCTS[c] for c in ("PDC", "SOE")}
    args = ("y", constructs, ["PDC:SOE"], ["log_age", "size"])
    fit = latent_regression(complete, *args)
    n = len(complete)
    est = np.array([latent_regression(complete.drop(index=i).reset_index(drop=True), *args).params
                    for i in range(n)])
    jackknife = np.sqrt((n - 1) / n * ((est - est.mean(axis=0)) ** 2).sum(axis=0))
    assert np.all(np.abs(fit.se / jackknife - 1) < 0.10), fit.se / jackknife
    # the covariance of the two steps is there: not lavaan's two-step sum (which leaves it out)
    assert np.abs(fit.se / np.sqrt(np.diag(fit.vcov_twostep)) - 1).max() > 0.01


# --------------------------------------------------------------------------- SEM
CASES = {
    "sem_complete_ml": dict(estimator="ML", missing="listwise", interactions=[]),
    "sem_fiml_mlr": dict(estimator="MLR", missing="fiml", interactions=[]),
    "sem_interaction_fiml_mlr": dict(estimator="MLR", missing="fiml", interactions=["ECP:SOE"]),
}


@pytest.fixture(scope="module")
def sem_fits(data, complete):
    out = {}
    for key, kw in CASES.items():
        d = complete if kw["missing"] == "listwise" else data
        out[key] = fit_latent_sem(d, "y", CONSTRUCTS, kw["interactions"], CONTROLS,
                                  estimator=kw["estimator"], missing=kw["missing"])
    return out


def test_sem_terms_are_latent_sam_terms(sem_fits):
    for key, kw in CASES.items():
        assert sem_fits[key].terms == make_design(list(CONSTRUCTS), kw["interactions"], CONTROLS).terms


@pytest.mark.parametrize("key", list(CASES))
def test_sem_every_row_equals_lavaan(ref, sem_fits, key):
    r = sem_fits[key]
    res = r.blocks["sem"]
    assert r.admissible and r.converged and res.converged
    assert r.nobs == ref[key]["nobs"][0]
    e = res.estimates.set_index(["lhs", "op", "rhs"])
    assert len(e) == len(ref[key]["estimates"])
    for row in ref[key]["estimates"]:
        k = (row["lhs"], row["op"], row["rhs"])
        assert e.loc[k, "est"] == pytest.approx(row["est"], abs=TOL), k
        assert e.loc[k, "se"] == pytest.approx(row["se"], abs=TOL), k


@pytest.mark.parametrize("key", ["sem_complete_ml", "sem_fiml_mlr"])
def test_sem_coefficients_equal_lavaan(ref, sem_fits, key):
    r = sem_fits[key]
    want = _sem_terms(_structural(ref[key]["estimates"]), r.terms)
    for t, b, se in zip(r.terms, r.params, r.se):
        if t == "Intercept":
            continue
        assert b == pytest.approx(want[t]["est"], abs=TOL), t
        assert se == pytest.approx(want[t]["se"], abs=TOL), t


def test_sem_intercept(ref, sem_fits):
    """y ~ 1 with FIML (mean structure); NaN for complete-data ML (none) and with an interaction."""
    fiml = {(e["lhs"], e["op"]): e for e in ref["sem_fiml_mlr"]["estimates"] if e["rhs"] == ""}
    assert sem_fits["sem_fiml_mlr"].params[0] == pytest.approx(fiml[("y", "~1")]["est"], abs=TOL)
    assert np.isnan(sem_fits["sem_complete_ml"].params[0])
    assert np.isnan(sem_fits["sem_interaction_fiml_mlr"].params[0])


def test_dmc_products_equal_semtools_indprod(data):
    want = pd.read_csv(R_DIR / "data" / "latent_p1_products.csv")
    got = dmc_products(data, matched_pairs(CONSTRUCTS["ECP"], CONSTRUCTS["SOE"]))
    assert list(got.columns) == list(want.columns)
    np.testing.assert_allclose(got.to_numpy(), want.to_numpy(), atol=1e-12)  # NaN in the same cells


def test_matched_pairs_drop_the_longer_constructs_extra_items():
    assert matched_pairs(["a1", "a2", "a3"], ["b1", "b2"]) == [("a1", "b1"), ("a2", "b2")]


def test_sem_interaction_on_latent_sam_scale(ref, sem_fits):
    """beta(ECP:SOE) = beta(y ~ ECPxSOE) / sqrt(1 + phi^2), phi = ECP ~~ SOE (std.lv); the other
    coefficients are lavaan's."""
    key = "sem_interaction_fiml_mlr"
    r = sem_fits[key]
    rows = ref[key]["estimates"]
    want = _sem_terms(_structural(rows), r.terms)
    phi = next(e["est"] for e in rows if e["op"] == "~~" and {e["lhs"], e["rhs"]} == {"ECP", "SOE"})
    for t, b, se in zip(r.terms, r.params, r.se):
        if t == "ECP:SOE":
            assert b == pytest.approx(want[t]["est"] / np.sqrt(1 + phi ** 2), abs=TOL)
            # delta method: the SE is that of beta_AxB / sqrt(1 + phi^2) up to phi's uncertainty
            assert se == pytest.approx(want[t]["se"] / np.sqrt(1 + phi ** 2), rel=0.05)
        elif t != "Intercept":
            assert b == pytest.approx(want[t]["est"], abs=TOL), t
            assert se == pytest.approx(want[t]["se"], abs=TOL), t


def test_sem_inadmissible_is_reported_not_hidden():
    est = pd.DataFrame({"lhs": ["A", "A", "B"], "op": ["~~"] * 3, "rhs": ["A", "B", "B"],
                        "est": [1.0, 1.3, 1.0], "par": [-1, 0, -1]})
    bad = SimpleNamespace(converged=False, warnings=["Heywood case: negative residual variance for x1 (-0.1)"],
                          estimates=est)
    why = _admissibility(bad, ["A", "B"], np.array([[np.nan]]))
    assert len(why) == 4  # non-convergence, Heywood, latent covariance not PD, no SEs
    est.loc[1, "est"] = 0.3
    ok = SimpleNamespace(converged=True, warnings=[], estimates=est)
    assert _admissibility(ok, ["A", "B"], np.eye(1)) == []


# --------------------------------------------------------------------------- corrected-score algebra by hand
def test_bartlett_scores_by_hand():
    """f = sum_j w_j (x_j - nu_j) / sum_j w_j lambda_j over answered items, w = lambda / theta."""
    bl = Block("A", ["a1", "a2"], np.array([1.0, 2.0]), np.array([0.5, 2.0]), np.array([3.0, 4.0]),
               np.eye(6), True)
    x = pd.DataFrame({"a1": [4.0, np.nan, np.nan], "a2": [6.0, 5.0, np.nan]})
    f, om = bartlett_scores(bl, x)
    # firm 1: w = (2, 1); num = 2*1 + 1*2 = 4; den = 2*1 + 1*2 = 4  -> f = 1, omega = 1/4
    # firm 2: a2 only: num = 1*1 = 1, den = 2 -> f = 0.5, omega = 0.5; firm 3: nothing answered
    np.testing.assert_allclose(f[:2], [1.0, 0.5], atol=1e-12)
    np.testing.assert_allclose(om[:2], [0.25, 0.5], atol=1e-12)
    assert np.isnan(f[2]) and np.isnan(om[2])


def test_corrected_cross_products_by_hand():
    """Each f^2 in a cross-product is replaced by f^2 - omega; products of different scores stay."""
    design = make_design(["A", "B"], ["A:B"], ["z"])  # Intercept, A, B, A:B, z
    F = np.array([[1.0, 2.0], [-0.5, 0.3], [-0.5, -2.3]])
    Om = np.array([[0.2, 0.1], [0.3, 0.4], [0.2, 0.5]])
    Z = np.array([[1.5], [-1.0], [0.0]])
    W, A = corrected_rows(design, F, Om, Z)
    for i in range(3):
        fa, fb, wa, wb, z = F[i, 0], F[i, 1], Om[i, 0], Om[i, 1], Z[i, 0]
        want = np.array([
            [1, fa, fb, fa * fb, z],
            [fa, fa ** 2 - wa, fa * fb, (fa ** 2 - wa) * fb, fa * z],
            [fb, fa * fb, fb ** 2 - wb, fa * (fb ** 2 - wb), fb * z],
            [fa * fb, (fa ** 2 - wa) * fb, fa * (fb ** 2 - wb), (fa ** 2 - wa) * (fb ** 2 - wb), fa * fb * z],
            [z, fa * z, fb * z, fa * fb * z, z ** 2],
        ])
        np.testing.assert_allclose(A[i], want, atol=1e-12)
        np.testing.assert_allclose(W[i], want[0], atol=1e-12)
    # firm 1 in numbers: (fa^2 - wa)(fb^2 - wb) = (1 - 0.2)(4 - 0.1) = 3.12
    assert A[0, 3, 3] == pytest.approx(3.12, abs=1e-12)


def test_corrected_cross_products_are_unbiased():
    """With f = xi + e, Var(e) = omega: the mean corrected cross-products estimate the latent ones
    (E[xi_a^2 xi_b^2] = 1 + 2 rho^2 for unit-variance normal factors with correlation rho)."""
    rng = np.random.default_rng(7)
    n, rho = 200_000, 0.5
    xi = rng.multivariate_normal([0, 0], [[1, rho], [rho, 1]], size=n)
    Om = np.column_stack([np.full(n, 0.3), rng.uniform(0.2, 0.6, n)])  # per-firm error variances
    F = xi + rng.standard_normal((n, 2)) * np.sqrt(Om)
    design = make_design(["A", "B"], ["A:B"], [])
    _, A = corrected_rows(design, F, Om, np.zeros((n, 0)))
    M = A.mean(axis=0)
    assert M[1, 1] == pytest.approx(1.0, abs=0.02) and M[2, 2] == pytest.approx(1.0, abs=0.02)
    assert M[1, 2] == pytest.approx(rho, abs=0.02) and M[0, 3] == pytest.approx(rho, abs=0.02)
    assert M[3, 3] == pytest.approx(1 + 2 * rho ** 2, abs=0.05)
    assert M[1, 3] == pytest.approx(0.0, abs=0.02)  # E[xi_a^2 xi_b] = 0
