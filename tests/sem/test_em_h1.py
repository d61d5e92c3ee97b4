"""EM h1 moments: the regular path is the accelerated EM unchanged; a near-singular saturated
covariance (N small against p) switches to lavaan's ridged EM with a note, and the accelerated EM gives
up as soon as Sigma drifts singular (lavaan's numbers:
tests/measurement/test_cfa_small_fiml.py)."""

from pathlib import Path

import numpy as np
import pandas as pd

from surveysem.sem.em import (
    LAVAAN_H1_ITER_MAX,
    SINGULAR_ABORT,
    em_h1_moments,
    em_moments,
    em_ridged,
)
from surveysem.sem.samplestats import missing_patterns

DATA = Path(__file__).resolve().parents[1] / "r" / "data"


def _patterns(X):
    return missing_patterns(X, np.isnan(X))


def test_regular_data_keep_the_accelerated_em():
    X = pd.read_csv(DATA / "hs_missing.csv")[[f"x{i}" for i in range(1, 10)]].to_numpy(float)
    mu, sig, note = em_h1_moments(_patterns(X), 9)
    # the patterns hold the rows grouped by pattern; the estimate does not depend on the row order
    mu0, sig0, _, ok = em_moments(np.vstack(list(_rows(X))), tol=1e-10, max_iter=10000)
    assert ok and note is None
    np.testing.assert_array_equal(mu, mu0)
    np.testing.assert_array_equal(sig, sig0)


def _rows(X):
    for pt in _patterns(X):
        R = np.full((pt.n, X.shape[1]), np.nan)
        R[:, pt.obs] = pt.X
        yield R


def test_near_singular_covariance_uses_the_ridged_em_with_a_note():
    X = pd.read_csv(DATA / "cfa_small_fiml.csv").to_numpy(float)
    mu, sig, note = em_h1_moments(_patterns(X), X.shape[1])
    assert note.startswith("the EM saturated (h1) covariance is near-singular") and "127" in note
    assert np.all(np.isfinite(sig)) and np.linalg.eigvalsh(sig).min() > 0
    mu2, sig2, passes, converged = em_ridged(X)
    assert passes == LAVAAN_H1_ITER_MAX and not converged
    np.testing.assert_allclose(sig, sig2, atol=1e-10)


def test_accelerated_em_gives_up_early_when_sigma_drifts_singular():
    # 126 simulated firms, p = 79 (tests/r/data/cfa_small_n_seed777.csv): Sigma drifts singular within
    # 100 passes; em_h1_moments then hands over to the ridged EM instead of running 10000 passes
    X = pd.read_csv(DATA / "cfa_small_n_seed777.csv").to_numpy(float)
    with np.errstate(all="ignore"):
        _, sig, passes, ok = em_moments(X, tol=1e-10, max_iter=10000, singular_below=SINGULAR_ABORT)
    assert not ok and passes <= 200
    assert not (np.all(np.isfinite(sig)) and np.linalg.eigvalsh(sig).min() >= SINGULAR_ABORT)


def test_regular_data_never_give_up():
    X = pd.read_csv(DATA / "hs_missing.csv")[[f"x{i}" for i in range(1, 10)]].to_numpy(float)
    a = em_moments(X, tol=1e-10, max_iter=10000)
    b = em_moments(X, tol=1e-10, max_iter=10000, singular_below=SINGULAR_ABORT)
    assert a[2:] == b[2:] and a[3]
    np.testing.assert_array_equal(a[1], b[1])


def test_the_h1_moments_of_one_data_set_are_computed_once(monkeypatch):
    import surveysem.sem.em as em

    X = pd.read_csv(DATA / "hs_missing.csv")[[f"x{i}" for i in range(1, 10)]].to_numpy(float)
    calls = []
    real = em._em_h1_moments
    monkeypatch.setattr(em, "_em_h1_moments", lambda *a: calls.append(1) or real(*a))
    monkeypatch.setattr(em, "_H1_CACHE", type(em._H1_CACHE)())
    mu, sig, _ = em_h1_moments(_patterns(X), 9)
    mu[:] = sig[:] = 0.0  # a caller changing its copy leaves the stored moments alone
    again, sig_again, _ = em_h1_moments(_patterns(X.copy()), 9)
    assert len(calls) == 1 and np.all(again != 0) and np.all(np.diag(sig_again) > 0)
    X[0, 0] += 1.0  # other data: computed anew
    em_h1_moments(_patterns(X), 9)
    assert len(calls) == 2
