"""The fast paths behind the pipeline's speed, each against a slow, obvious reference.

- EM saturated moments (Anderson-accelerated, row weights) against a textbook row-by-row EM
  written here (conditional regression of the missing block on the observed one);
- the FIML likelihood and gradient for all rows at once (E-step form, per-pattern factorisations;
  also without complete rows and with repeated rows) against a row-by-row likelihood written here
  and its central-difference gradient; the same gradients for a batch of parameter vectors
  (``fiml_batch``, the observed information's Jacobian) against the gradients one by one; the pattern-wise FIML observed information of a path model
  with fixed paths against second differences of the likelihood;
- the complete-data gradients (dense RAM form and LISREL form) against central differences of
  the likelihood, and BFGS refits against full Fisher-scoring fits;
- minres communalities with the analytic gradient against factor_analyzer (numeric gradient);
- the vectorised HTMT against the pair-by-pair definition (including undefined and zero r).

Agreement with lavaan / psych / semTools of the results built on these is tested in
test_sem_fixtures.py, test_efa.py and test_validity.py; these tests pin the algebra itself.
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from surveysem.errors import SurveySemError
from surveysem.sem import em_moments, prepare_model

ROOT = Path(__file__).resolve().parents[2]
HS = pd.read_csv(ROOT / "tests/r/data/hs.csv")
HS_MISSING = pd.read_csv(ROOT / "tests/r/data/hs_missing.csv")
ITEMS = [f"x{i}" for i in range(1, 10)]
SECOND_ORDER = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9\ng =~ visual + textual + speed\n"
WITH_RESIDUAL_COV = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9\nspeed ~ visual\nx1 ~~ x4\n"


def _holes(seed=3, share=0.08):
    rng = np.random.default_rng(seed)
    X = HS[ITEMS].to_numpy(float).copy()
    X[rng.random(X.shape) < share] = np.nan
    X[np.isnan(X).all(axis=1), 0] = 1.0
    return X


def textbook_em(X, tol=1e-13, max_iter=20000):
    """Plain EM, one row at a time: E[x_m | x_o] = mu_m + S_mo S_oo^-1 (x_o - mu_o),
    Cov[x_m | x_o] = S_mm - S_mo S_oo^-1 S_om."""
    n, p = X.shape
    mu = np.nanmean(X, axis=0)
    sig = np.diag(np.nanvar(X, axis=0))
    for _ in range(max_iter):
        T1, T2 = np.zeros(p), np.zeros((p, p))
        for x in X:
            m = np.isnan(x)
            o = ~m
            xh = x.copy()
            C = np.zeros((p, p))
            if m.any():
                Bc = sig[np.ix_(m, o)] @ np.linalg.inv(sig[np.ix_(o, o)])
                xh[m] = mu[m] + Bc @ (x[o] - mu[o])
                C[np.ix_(m, m)] = sig[np.ix_(m, m)] - Bc @ sig[np.ix_(o, m)]
            T1 += xh
            T2 += np.outer(xh, xh) + C
        mu_new = T1 / n
        sig_new = T2 / n - np.outer(mu_new, mu_new)
        done = max(np.abs(mu_new - mu).max(), np.abs(sig_new - sig).max()) < tol
        mu, sig = mu_new, sig_new
        if done:
            return mu, sig
    raise AssertionError("textbook EM did not converge")


def test_em_moments_equal_textbook_em():
    X = _holes()
    mu_ref, sig_ref = textbook_em(X)
    mu, sig, passes, ok = em_moments(X, tol=1e-12)
    assert ok
    np.testing.assert_allclose(mu, mu_ref, atol=1e-9)
    np.testing.assert_allclose(sig, sig_ref, atol=1e-9)
    # acceleration changes the path, not the fixed point, and saves passes
    mu_p, sig_p, passes_plain, ok_p = em_moments(X, tol=1e-12, accelerate=False, max_iter=20000)
    assert ok_p and passes < passes_plain
    np.testing.assert_allclose(sig_p, sig_ref, atol=1e-9)


def test_em_weights_equal_repeated_rows_and_complete_data_give_sample_moments():
    X = _holes(seed=4)
    rng = np.random.default_rng(0)
    idx = rng.integers(0, len(X), len(X))
    w = np.bincount(idx, minlength=len(X))
    a = em_moments(X[idx], tol=1e-12)
    b = em_moments(X, tol=1e-12, weights=w)
    np.testing.assert_allclose(a[0], b[0], atol=1e-10)
    np.testing.assert_allclose(a[1], b[1], atol=1e-10)
    full = HS[ITEMS].to_numpy(float)
    mu, sig, _, ok = em_moments(full)
    assert ok
    np.testing.assert_allclose(mu, full.mean(axis=0), atol=1e-12)
    np.testing.assert_allclose(sig, np.cov(full.T, bias=True), atol=1e-12)
    X[:, 2] = np.nan
    with pytest.raises(SurveySemError, match="variable 3 has no observed values"):
        em_moments(X)


def _rowwise_fiml_f(Sigma, mu, X):
    """-logl (casewise normal likelihood over the observed entries of each row)."""
    f = 0.0
    for x in X:
        o = ~np.isnan(x)
        S = Sigma[np.ix_(o, o)]
        d = x[o] - mu[o]
        f += 0.5 * (o.sum() * np.log(2 * np.pi) + np.linalg.slogdet(S)[1] + d @ np.linalg.solve(S, d))
    return f


def _engine_at(syntax, data, **kw):
    pm = prepare_model(syntax, list(data.columns), **kw)
    res = pm.fit(data)
    assert res.converged
    groups, _, _ = pm._split_data(data)
    pm.engine.set_data([pm._group_data(g) for g in groups])
    rng = np.random.default_rng(1)
    theta = res.free_params + 0.03 * rng.standard_normal(len(res.free_params))
    return pm, pm.engine, theta


def _central_gradient(eng, theta, h=1e-6):
    g = np.zeros(len(theta))
    for k in range(len(theta)):
        e = np.zeros(len(theta))
        e[k] = h
        g[k] = (eng.evaluate(theta + e, level=0)[0] - eng.evaluate(theta - e, level=0)[0]) / (2 * h)
    return g


def test_fiml_rows_likelihood_and_gradient():
    data = HS_MISSING[ITEMS]
    pm, eng, theta = _engine_at(SECOND_ORDER, data, missing="fiml")
    gs, gd = eng.groups[0], eng.data[0]
    assert len(gd.patterns) > eng.exact_info_max_patterns  # the rows path is the one used
    A, S, m, B, C, nu = gs.implied(theta)
    p = eng.p
    X = data.to_numpy(float)
    X = X[~np.isnan(X).all(axis=1)]
    f_rows, g_rows, _ = eng._group_eval_rows(gs, gd, theta, 1)
    assert f_rows == pytest.approx(_rowwise_fiml_f(C[:p, :p], nu[:p], X), rel=1e-12)
    g = np.zeros(eng.q)
    gs.add_vector(g, g_rows)
    np.testing.assert_allclose(g / eng.ntotal, _central_gradient(eng, theta), atol=1e-6)


def test_fiml_rows_without_complete_rows_and_with_repeated_rows():
    # no complete pattern (every row misses 1-4 values), rows repeated as in a bootstrap resample
    X = HS_MISSING[ITEMS].to_numpy(float)
    X = X[np.isnan(X).any(axis=1)]
    X = np.vstack([X, X[:40]])
    data = pd.DataFrame(X, columns=ITEMS)
    _pm, eng, theta = _engine_at(SECOND_ORDER, data, missing="fiml")
    gs, gd = eng.groups[0], eng.data[0]
    *_, C, nu = gs.implied(theta)
    p = eng.p
    f_rows, g_rows, _ = eng._group_eval_rows(gs, gd, theta, 1)
    assert not any(pt.complete for pt in gd.patterns) and len(gd._rows.by_count) == 4
    assert f_rows == pytest.approx(_rowwise_fiml_f(C[:p, :p], nu[:p], X), rel=1e-12)
    g = np.zeros(eng.q)
    gs.add_vector(g, g_rows)
    np.testing.assert_allclose(g / eng.ntotal, _central_gradient(eng, theta), atol=1e-6)


@pytest.mark.parametrize("syntax,kw,rows", [
    (SECOND_ORDER, {}, "all"),
    (WITH_RESIDUAL_COV, {}, "incomplete, repeated"),
    (WITH_RESIDUAL_COV, {"group": "school"}, "all"),
    ("x1 ~ x2 + x3\nx4 ~ x1\nx2 ~~ x2\nx3 ~~ x3\nx2 ~~ x3\n", {}, "all"),  # observed variables only
    ("x1 ~~ x2\nx1 ~~ x3\nx2 ~~ x3\n", {}, "all"),  # a saturated covariance model: unit directions
    ("visual =~ x1 + a*x2 + a*x3\ntextual =~ x4 + x5 + x6\n", {}, "all"),  # an equality constraint
])
def test_fiml_gradients_of_a_batch_equal_the_gradients_one_by_one(syntax, kw, rows, monkeypatch):
    from surveysem.sem import fiml_batch

    data = HS_MISSING if kw.get("group") else HS_MISSING[ITEMS]
    if rows != "all":
        X = data.to_numpy(float)
        X = X[np.isnan(X).any(axis=1)]
        data = pd.DataFrame(np.vstack([X, X[:40]]), columns=ITEMS)
    if kw.get("group"):
        kw = {**kw, "group_levels": list(pd.unique(HS_MISSING["school"].astype(str)))}
    _pm, eng, theta = _engine_at(syntax, data, missing="fiml", **kw)
    assert fiml_batch.batchable(eng)
    rng = np.random.default_rng(5)
    thetas = theta + 0.02 * rng.standard_normal((7, len(theta)))
    one_by_one = np.array([eng.gradient(t) for t in thetas])
    np.testing.assert_allclose(fiml_batch.gradients_at(eng, thetas), one_by_one, rtol=1e-9, atol=1e-12)
    monkeypatch.setattr(fiml_batch, "BATCH_FLOATS", 1)  # batches of one vector: the same numbers
    np.testing.assert_allclose(fiml_batch.gradients_at(eng, thetas), one_by_one, rtol=1e-9, atol=1e-12)
    bad = thetas.copy()
    bad[3] = -1e3  # every variance hugely negative: not positive definite
    assert fiml_batch.gradients_at(eng, bad) is None


def test_fiml_observed_information_from_batched_gradients_equals_the_one_by_one_jacobian(monkeypatch):
    from surveysem.sem import fiml_batch
    from surveysem.sem.numdiff import central_jacobian

    _pm, eng, theta = _engine_at(SECOND_ORDER, HS_MISSING[ITEMS], missing="fiml")
    H = central_jacobian(eng.gradient, theta)
    np.testing.assert_allclose(eng.observed_information(theta), 0.5 * (H + H.T), rtol=1e-7, atol=1e-10)
    monkeypatch.setattr(fiml_batch, "MAX_BATCHED_VARIABLES", 5)  # a model too large to batch: one by one
    assert not fiml_batch.batchable(eng)
    np.testing.assert_array_equal(eng.observed_information(theta), 0.5 * (H + H.T))


def test_fiml_observed_information_at_the_boundary_takes_one_sided_differences():
    # x1's residual variance set so that a step down leaves Sigma not positive definite (its
    # conditional variance given the other items is then -h/2): the gradient does not exist there
    from surveysem.sem.numdiff import NotEvaluable, central_jacobian

    _pm, eng, theta = _engine_at(SECOND_ORDER, HS_MISSING[ITEMS], missing="fiml")
    gs = eng.groups[0]
    k = int(gs.sp[(gs.si == 0) & (gs.sj == 0)][0])
    theta = theta.copy()
    theta[k] = 0.0
    Sigma = gs.implied(theta)[4][:9, :9]
    schur = Sigma[0, 0] - Sigma[0, 1:] @ np.linalg.solve(Sigma[1:, 1:], Sigma[1:, 0])
    h = 1e-5 * max(1.0, schur)
    theta[k] = -schur + h / 2
    down = theta.copy()
    down[k] -= h
    assert eng.gradient(theta) is not None and eng.gradient(down) is None
    notes = []
    H = eng.observed_information(theta, notes)
    up = theta.copy()
    up[k] += h
    forward = (eng.gradient(up) - eng.gradient(theta)) / h
    assert np.all(np.isfinite(H)) and len(notes) == 1 and "one-sided differences for 1 parameter" in notes[0]
    cols = []
    J = central_jacobian(eng.gradient, theta, one_sided=cols)
    assert cols == [k]
    np.testing.assert_allclose(J[:, k], forward, rtol=1e-12)
    np.testing.assert_allclose(H, 0.5 * (J + J.T), rtol=1e-12)
    with pytest.raises(NotEvaluable, match="either side of parameter 2"):
        central_jacobian(lambda t: None if t[1] != 0.5 else t, np.array([0.1, 0.5]), one_sided=[])


def test_fiml_observed_information_of_a_path_model_with_fixed_paths():
    # observed variables only, no free path but fixed ones: B = (I - A)^-1 is not I, so the
    # derivative directions are not unit vectors; few patterns, so the pattern-wise exact path
    rng = np.random.default_rng(3)
    data = HS[["x1", "x2", "x3"]].mask(rng.random((len(HS), 3)) < 0.1)
    data = data[~data.isna().all(axis=1)]
    _pm, eng, theta = _engine_at("x1 ~ 0.5*x2\nx3 ~ 0.3*x1\n", data, missing="fiml")
    assert len(eng.data[0].patterns) <= eng.exact_info_max_patterns and not eng.groups[0].unit
    q, h = eng.q, 1e-4
    hessian = np.zeros((q, q))

    def f(t):
        return eng.evaluate(t, level=0)[0]

    for k in range(q):
        for m in range(q):
            ek, em = np.eye(q)[k] * h, np.eye(q)[m] * h
            hessian[k, m] = (f(theta + ek + em) - f(theta + ek - em) - f(theta - ek + em) + f(theta - ek - em)) / (4 * h * h)
    np.testing.assert_allclose(eng.observed_information(theta), hessian, atol=1e-5)


@pytest.mark.parametrize("syntax,kw", [(SECOND_ORDER, {}), (WITH_RESIDUAL_COV, {}),
                                       (WITH_RESIDUAL_COV, {"group": "school"})])
def test_complete_data_gradients_against_central_differences(syntax, kw):
    data = HS if kw else HS[ITEMS]
    if kw:
        kw = {**kw, "group_levels": list(pd.unique(HS["school"].astype(str)))}
    pm, eng, theta = _engine_at(syntax, data, **kw)
    numeric = _central_gradient(eng, theta)
    np.testing.assert_allclose(eng.evaluate(theta, level=1)[1], numeric, atol=1e-6)
    for gs, gd in zip(eng.groups, eng.data):
        f2, g2, _ = eng._group_eval(gs, gd, theta, 2)  # generic pattern path (level 2)
        f1, g1 = eng._group_eval_complete(gs, gd, theta)
        assert f1 == pytest.approx(f2, rel=1e-13)
        np.testing.assert_allclose(g1, g2, atol=1e-9)
        if gs.lisrel and not eng.meanstructure:
            fl, gl = eng._group_eval_lisrel(gs, gd, theta)
            assert fl == pytest.approx(f2, rel=1e-12)
            np.testing.assert_allclose(gl, g2, atol=1e-9)
    assert eng.groups[0].lisrel  # all three models are LISREL-shaped


def test_refit_to_moments_equals_a_full_fit():
    """BFGS refit to a resample's moments (from the full-sample estimates) = Fisher-scoring fit
    of the resampled rows from default starts."""
    pm = prepare_model(SECOND_ORDER, ITEMS)
    full = pm.fit(HS[ITEMS])
    X = HS[ITEMS].to_numpy(float)
    idx = np.random.default_rng(7).integers(0, len(X), len(X))
    Xb = X[idx]
    mean, cov = Xb.mean(axis=0), np.cov(Xb.T, bias=True)
    hessian = pm.engine.evaluate(full.free_params, level=2)[2]
    vec = pm.refit_moments(mean, cov, len(Xb), full.free_params, hessian, tol=1e-9)
    ref = prepare_model(SECOND_ORDER, ITEMS).fit(pd.DataFrame(Xb, columns=ITEMS))
    assert ref.converged
    np.testing.assert_allclose(vec[: len(ref.free_params)], ref.free_params, atol=1e-6)


def test_minres_communalities_match_factor_analyzer():
    import warnings

    from surveysem.compat import factor_analyzer
    from surveysem.measurement.efa import minres_communalities

    FactorAnalyzer = factor_analyzer().FactorAnalyzer

    rng = np.random.default_rng(5)
    Z = rng.standard_normal((200, 12)) + rng.standard_normal((200, 1)) * np.linspace(0.3, 1.2, 12)
    R = np.corrcoef(Z.T)
    for k in (1, 2):
        fa = FactorAnalyzer(n_factors=k, method="minres", rotation=None, is_corr_matrix=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fa.fit(R)
        np.testing.assert_allclose(minres_communalities(R, k), (fa.loadings_**2).sum(axis=1), atol=1e-5)


def _htmt_pairwise_definition(R, blocks, geometric):
    def mean(v):
        return float(np.exp(np.mean(np.log(v)))) if geometric else float(np.mean(v))

    within = [mean(R[np.ix_(b, b)][~np.eye(len(b), dtype=bool)]) for b in blocks]
    out = np.ones((len(blocks), len(blocks)))
    for i in range(len(blocks)):
        for j in range(i + 1, len(blocks)):
            out[i, j] = out[j, i] = mean(R[np.ix_(blocks[i], blocks[j])].ravel()) / np.sqrt(within[i] * within[j])
    return out


def test_vectorised_htmt_equals_the_pair_by_pair_definition():
    from surveysem.measurement.validity import _abs_cor, _htmt_from_r

    X = _holes(seed=6, share=0.05)
    blocks = [np.arange(0, 3), np.arange(3, 6), np.arange(6, 9)]
    R = _abs_cor(X, "pairwise")
    R_nan = R.copy()
    R_nan[0, 4] = R_nan[4, 0] = np.nan  # an undefined r: only its pair is undefined
    R_zero = R.copy()
    R_zero[1, 7] = R_zero[7, 1] = 0.0  # a zero r: the geometric mean is 0
    with np.errstate(divide="ignore", invalid="ignore"):
        for M in (R, R_nan, R_zero):
            for geometric in (False, True):
                np.testing.assert_allclose(_htmt_from_r(M, blocks, geometric),
                                           _htmt_pairwise_definition(M, blocks, geometric), atol=1e-13)
    assert np.isnan(_htmt_from_r(R_nan, blocks, False)[0, 1])
    assert np.isfinite(_htmt_from_r(R_nan, blocks, False)[0, 2])
