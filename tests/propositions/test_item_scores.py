"""Linearised category scores (surveysem.propositions.item_scores).

References:

* the graded-response model against lavaan 0.6-14 ``cfa(..., ordered = TRUE, estimator = "MML",
  std.lv = TRUE)`` (``tests/r/graded_mml.R``), with lavaan's 21 Gauss-Hermite nodes; tolerance
  1e-3 (lavaan's own optimiser stops at about 5e-4 from the optimum on this fixture);
* the analytic gradient of the marginal log-likelihood against central differences;
* the fit's end point against the maximum found by BFGS at machine precision (5e-4);
* the scores' purpose, by hand: their expected value given the latent variable is closer to
  linear than the answer codes' and Snell's normal scores'; and with them the ECP x SOE-like
  latent interaction is recovered from skewed 7-point items where the codes attenuate it.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import survey_kit as kit
from scipy import optimize

from surveysem.propositions import item_scores as S

R_DIR = Path(__file__).resolve().parents[1] / "r"


def _ordinal(rng, latent, loading):
    ystar = loading * latent + np.sqrt(1 - loading ** 2) * rng.standard_normal(len(latent))
    return kit.skewed_answers(ystar)


def test_graded_model_matches_lavaan_mml():
    ref = json.loads((R_DIR / "results" / "graded_mml.json").read_text())
    data = pd.read_csv(R_DIR / "data" / "graded_block.csv")
    fit = S.fit_graded_block(data, list(data.columns), nodes=ref["meta"]["ngh"])
    for gi in fit:
        assert gi.slope == pytest.approx(ref["loadings"][gi.item], abs=1e-3)
        np.testing.assert_allclose(gi.thresholds, ref["thresholds"][gi.item], atol=1e-3)


def test_loglikelihood_gradient_is_exact_with_missing_answers():
    rng = np.random.default_rng(3)
    xi = rng.standard_normal(300)
    data = pd.DataFrame({f"i{j}": _ordinal(rng, xi, lam) for j, lam in enumerate((0.8, 0.7, 0.6))})
    data = data.mask(rng.random(data.shape) < 0.1)
    _, _, ncat, args = S.block_likelihood(data, list(data.columns), nodes=21)
    theta = np.r_[np.full(3, 1.1), rng.normal(0, 0.3, sum(m - 1 for m in ncat))]
    grad = S._loglik_and_grad(theta, *args)[1]
    numeric = optimize.approx_fprime(theta, lambda t: S._loglik_and_grad(t, *args)[0], 1e-6)
    np.testing.assert_allclose(grad, numeric, rtol=1e-4, atol=1e-3)


def test_graded_fit_stops_close_to_the_optimum():
    """Within 5e-4 of the maximum found with tolerances at machine precision (scipy's default
    relative tolerance stopped up to 3e-3 away on blocks like this one: 300 firms, 5 skewed items)."""
    rng = np.random.default_rng(11)
    xi = rng.standard_normal(300)
    data = pd.DataFrame({f"i{j}": _ordinal(rng, xi, lam) for j, lam in enumerate((0.8, 0.75, 0.7, 0.65, 0.6))})
    fit = S.fit_graded_block(data, list(data.columns))
    _, _, ncat, args = S.block_likelihood(data, list(data.columns))
    start = np.r_[[gi.slope for gi in fit], np.concatenate([np.r_[gi.thresholds[0], np.log(np.diff(gi.thresholds))]
                                                             for gi in fit])]
    best = optimize.minimize(S._loglik_and_grad, start, args=args, jac=True, method="BFGS",
                             options={"gtol": 1e-9, "maxiter": 5000})
    slopes, taus = S._unpack(best.x, ncat)
    assert np.max(np.abs(best.jac)) < 1e-4  # on a log-likelihood of 300 firms: about 1e-6 from the optimum
    for gi, a, t in zip(fit, slopes, taus):
        assert gi.slope == pytest.approx(a, abs=5e-4)
        np.testing.assert_allclose(gi.thresholds, t, atol=5e-4)


def _nonlinearity(item: S.GradedItem, scores: np.ndarray) -> float:
    """Largest gap between E[score | xi] and its best straight line over xi in [-2, 2]."""
    xi = np.linspace(-2, 2, 81)
    mean = item.category_probabilities(xi) @ scores
    line = np.polyval(np.polyfit(xi, mean, 1), xi)
    return float(np.max(np.abs(mean - line)) / np.ptp(line))


def test_linearised_scores_are_monotone_and_closer_to_linear_than_codes_or_normal_scores():
    item = S.GradedItem("x", np.arange(1.0, 8.0), 1.3, np.array([-3.4, -2.5, -1.5, -0.5, 0.6, 1.9]))
    u = S.linearised_scores(item)
    assert np.all(np.diff(u) > 0)
    gaps = {name: _nonlinearity(item, sc) for name, sc in
            (("codes", item.categories), ("normal", S.normal_scores(item)), ("linearised", u))}
    assert gaps["linearised"] < 0.5 * gaps["normal"] < 0.5 * gaps["codes"]


def test_an_item_with_one_observed_category_is_named():
    data = pd.DataFrame({"a": [1.0, 2, 3, 4], "b": [5.0, 5, 5, 5]})
    with pytest.raises(Exception, match="item b: fewer than two answer categories"):
        S.fit_graded_block(data, ["a", "b"])


def test_linearised_scores_recover_a_latent_interaction_the_codes_attenuate():
    from surveysem.propositions.latent_sam import latent_regression

    rng = np.random.default_rng(11)
    n = 6000
    cov = np.array([[1.0, 0.45], [0.45, 1.0]])
    eta = rng.multivariate_normal([0, 0], cov, n)
    prod = (eta[:, 0] - eta[:, 0].mean()) * (eta[:, 1] - eta[:, 1].mean())
    y = 0.25 * eta[:, 0] + 0.2 * eta[:, 1] - 0.15 * prod + 0.75 * rng.standard_normal(n)
    items = {"E": [f"E{k}" for k in range(5)], "S": [f"S{k}" for k in range(5)]}
    loadings = (0.85, 0.8, 0.75, 0.7, 0.65)
    data = pd.DataFrame({"y": y, **{it: _ordinal(rng, eta[:, c], lam) for c, its in enumerate(items.values())
                                    for it, lam in zip(its, loadings)}})
    truth = np.linalg.lstsq(np.column_stack([np.ones(n), eta, prod]), y, rcond=None)[0][3]
    codes = latent_regression(data, "y", items, ["E:S"], [])
    scored = S.rescore_items(data, items)
    linear = latent_regression(scored, "y", items, ["E:S"], [])
    j = codes.terms.index("E:S")
    # the codes lose about a seventh of the interaction; the linearised scores keep it (ratios 0.86 and 1.03 here, SE about 0.011)
    assert codes.params[j] / truth < 0.9
    assert linear.params[j] == pytest.approx(truth, abs=2.5 * linear.se[j])


def test_answer_slopes_by_hand():
    raw = pd.DataFrame({"a": [1.0, 2, 3, 4, np.nan], "b": [1.0, 1, 2, 3, 5]})
    scored = pd.DataFrame({"a": [0.5, 2.5, 4.5, 6.5, 9.0], "b": [-1.0, -1.0, 0.0, 2.0, np.nan]})
    slopes = S.answer_slopes(raw, scored, ["a", "b"])
    assert slopes["a"] == pytest.approx(2.0, abs=1e-12)  # a straight line: its slope; the missing answer left out
    x, u = np.array([1.0, 1, 2, 3]), np.array([-1.0, -1, 0, 2])  # b: least squares over the rows with both
    assert slopes["b"] == pytest.approx(np.polyfit(x, u, 1)[0], abs=1e-12)


def test_answer_slopes_name_an_item_whose_answers_do_not_vary():
    raw = pd.DataFrame({"a": [1.0, 2, 3], "b": [4.0, 4, 4]})
    with pytest.raises(Exception, match="item b: its answers do not vary"):
        S.answer_slopes(raw, raw, ["a", "b"])


def test_answer_slopes_are_about_the_inverse_loading_in_latent_units():
    # rescoring puts each item on its construct's latent scale, so an item that loads more is
    # stretched less: the slope of score on answer falls with the loading
    rng = np.random.default_rng(5)
    xi = rng.standard_normal(20000)
    loadings = (0.85, 0.7, 0.55)
    raw = pd.DataFrame({f"x{k}": _ordinal(rng, xi, lam) for k, lam in enumerate(loadings)})
    scored = S.rescore_items(raw, {"X": list(raw.columns)})
    slopes = S.answer_slopes(raw, scored, list(raw.columns))
    s = np.array([slopes[c] for c in raw.columns])
    assert np.all(np.diff(s) > 0)
    ratio = s * np.array(loadings)  # about constant when slope ~ 1 / loading
    assert np.ptp(ratio) / ratio.mean() < 0.03  # 0.008 here


def test_the_pruned_quadrature_rule_gives_the_full_rule_likelihood():
    """Nodes of the 61-point rule whose weight is below 1e-16 are left out (39 kept): the
    log-likelihood and its gradient agree with the full rule's to 1e-10 (relative), here on a
    block with a ceiling (skewed answers) and missing answers."""
    rng = np.random.default_rng(5)
    xi = rng.standard_normal(400)
    data = pd.DataFrame({f"i{j}": _ordinal(rng, xi, lam) for j, lam in enumerate((0.9, 0.85, 0.8, 0.7))})
    data = data.mask(rng.random(data.shape) < 0.05)
    _, _, ncat, args = S.block_likelihood(data, list(data.columns))
    lay, nodes, _ = args
    x, w = np.polynomial.hermite_e.hermegauss(S.QUADRATURE_NODES)
    w = w / w.sum()
    assert len(nodes) == int(np.sum(w >= S.MIN_NODE_WEIGHT)) < S.QUADRATURE_NODES
    theta = np.r_[np.full(4, 1.6), rng.normal(0, 0.3, sum(m - 1 for m in ncat))]
    pruned = S._loglik_and_grad(theta, *args)
    full = S._loglik_and_grad(theta, lay, x, np.log(w))
    assert pruned[0] == pytest.approx(full[0], rel=1e-10)
    np.testing.assert_allclose(pruned[1], full[1], rtol=1e-8, atol=1e-8)


def test_a_block_fitted_again_to_the_same_answers_is_not_refitted(monkeypatch):
    """P1-P3 share the marker scale on the same firms: its graded model is fitted once (cached
    by the answers), and any changed answer refits it."""
    rng = np.random.default_rng(8)
    xi = rng.standard_normal(200)
    data = pd.DataFrame({f"i{j}": _ordinal(rng, xi, lam) for j, lam in enumerate((0.8, 0.7, 0.6))})
    calls = []
    real = S._fit_graded_block
    monkeypatch.setattr(S, "_fit_graded_block", lambda *a: calls.append(1) or real(*a))
    monkeypatch.setattr(S, "_BLOCK_CACHE", type(S._BLOCK_CACHE)())
    first = S.fit_graded_block(data, list(data.columns))
    again = S.fit_graded_block(data.copy(), list(data.columns))
    assert len(calls) == 1 and [g.slope for g in again] == [g.slope for g in first]
    with pytest.raises(ValueError):  # what the cache holds cannot be changed by a caller
        first[0].thresholds[0] = 0.0
    changed = data.copy()
    changed.iloc[0, 0] = np.nan
    S.fit_graded_block(changed, list(data.columns))
    assert len(calls) == 2
