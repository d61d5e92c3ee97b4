"""surveysem.compat: factor_analyzer and semopy on numpy >= 2.4 / scikit-learn >= 1.8.

The code paths that raised TypeError there (FactorAnalyzer and ConfirmatoryFactorAnalyzer fit and
transform; semopy.utils.cor and semopy.efa) run, and give the numbers of independent references:
a hand computation of the masked correlation, the closed-form one-factor solution of a
correlation matrix with known loadings, and numpy's own corrcoef on complete data.
"""

import warnings

import numpy as np
import pandas as pd
import pytest

from surveysem import compat


def _one_factor_correlation(loadings):
    lam = np.asarray(loadings, dtype=float)
    R = np.outer(lam, lam)
    np.fill_diagonal(R, 1.0)
    return R


def test_check_array_takes_the_old_spelling():
    X = np.array([[1.0, np.nan], [2.0, 3.0]])
    assert np.isnan(compat.check_array_new_spelling(X, force_all_finite="allow-nan")).sum() == 1
    with pytest.raises(ValueError, match="NaN"):
        compat.check_array_new_spelling(X, force_all_finite=True)
    with pytest.raises(TypeError, match="both"):
        compat.check_array_new_spelling(X, force_all_finite=True, ensure_all_finite=True)


def test_factor_analyzer_recovers_known_loadings():
    # an exact one-factor correlation matrix: minres and ML both return the generating loadings
    loadings = [0.8, 0.7, 0.6, 0.5, 0.75]
    R = _one_factor_correlation(loadings)
    fa_module = compat.factor_analyzer()
    for method in ("minres", "ml"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fa = fa_module.FactorAnalyzer(n_factors=1, method=method, rotation=None, is_corr_matrix=True).fit(R)
        estimate = fa.loadings_[:, 0] * np.sign(fa.loadings_[:, 0].sum())
        np.testing.assert_allclose(estimate, loadings, atol=1e-3)


def test_factor_analyzer_transform_and_confirmatory_run():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((300, 1)) @ np.array([[0.8, 0.7, 0.6, 0.5]]) + rng.standard_normal((300, 4)) * 0.6
    fa_module = compat.factor_analyzer()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fa = fa_module.FactorAnalyzer(n_factors=1, rotation=None).fit(X)
        scores = fa.transform(X)
        spec = fa_module.ModelSpecificationParser.parse_model_specification_from_array(X, np.ones((4, 1)))
        cfa = fa_module.ConfirmatoryFactorAnalyzer(spec, disp=False).fit(X)
        cfa_scores = cfa.transform(X)
    assert scores.shape == cfa_scores.shape == (300, 1)
    # both score the same factor: their correlation is near 1 whatever the sign convention
    assert abs(np.corrcoef(scores[:, 0], cfa_scores[:, 0])[0, 1]) > 0.99


def test_semopy_cor_is_the_masked_correlation():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((50, 3)) + rng.standard_normal((50, 1))
    utils = compat.semopy().utils
    np.testing.assert_allclose(utils.cor(X), np.corrcoef(X, rowvar=False), atol=1e-12)
    assert utils.cor(X[:, :1]).shape == (1, 1)
    X[0, 1] = X[3, 2] = X[7, 0] = np.nan
    # by hand: each column centred at its own observed mean, cross-products over the rows where
    # both are observed / (n_ij - 1), divided by the columns' own standard deviations
    observed = ~np.isnan(X)
    centred = np.where(observed, X - np.nanmean(X, axis=0), 0.0)
    pairs = observed.T.astype(float) @ observed
    cov = centred.T @ centred / (pairs - 1)
    sd = np.sqrt(np.diag(cov))
    np.testing.assert_allclose(utils.cor(X), cov / np.outer(sd, sd), atol=1e-12)


def test_semopy_efa_runs():
    rng = np.random.default_rng(2)
    f = rng.standard_normal((300, 1))
    X = pd.DataFrame(f * 0.8 + rng.standard_normal((300, 4)) * 0.6, columns=list("abcd"))
    model = compat.semopy().efa.explore_cfa_model(X)
    assert model.startswith("eta1 =~") and set("abcd") <= set(model.replace("=~", " ").split())


def test_the_libraries_themselves_are_untouched():
    import sklearn.utils

    compat.factor_analyzer()
    compat.semopy()
    assert sklearn.utils.check_array.__module__ == "sklearn.utils.validation"
    assert compat.factor_analyzer() is compat.factor_analyzer()


def test_the_packages_are_imported_only_through_compat():
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    direct = re.compile(r"^\s*(?:from|import)\s+(?:factor_analyzer|semopy)\b", re.MULTILINE)
    offenders = [str(p.relative_to(root)) for folder in ("src", "tests", "workflow", "bench")
                 for p in (root / folder).rglob("*.py")
                 if p.name != "compat.py" and direct.search(p.read_text(encoding="utf-8"))]
    assert offenders == []
