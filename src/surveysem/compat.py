"""semopy 2.3.11 and factor_analyzer 0.5.1 on numpy >= 2.4 and scikit-learn >= 1.8.

Both packages are pinned at their last releases, which call two APIs that newer numpy and
scikit-learn removed (what breaks was checked in a scratch environment with numpy 2.4.6, scipy
1.17.1 and scikit-learn 1.9.1):

* factor_analyzer calls ``sklearn.utils.check_array(X, force_all_finite=...)`` in
  ``FactorAnalyzer.fit`` / ``transform`` and ``ConfirmatoryFactorAnalyzer.fit`` / ``transform``:
  scikit-learn 1.6 renamed the argument ``ensure_all_finite`` and 1.8 removed the old name
  (``TypeError``). Our EFA, parallel analysis and Harman's test go through ``FactorAnalyzer.fit``.
* semopy's ``utils.cor`` (behind ``semopy.efa`` and the polychoric set-up) calls
  ``np.ma.corrcoef(x, bias=True)``: ``bias`` has had no effect since numpy 1.10 and numpy 2.4
  removed it (``TypeError``).

:func:`factor_analyzer` and :func:`semopy` return the packages with exactly those call sites
replaced by the same call under the new spelling, inside the two packages only (numpy and
scikit-learn themselves are not touched). The replacements compute the same numbers on the old
versions too (``ensure_all_finite`` exists since scikit-learn 1.6, and ``corrcoef`` ignored
``bias``), so they are applied whatever the installed versions. Always import the two packages
through this module.

Not repaired (it is broken on the older pins as well): semopy's polychoric / polyserial
correlations call ``scipy.stats.mvn.mvnun``, which scipy removed in 1.16; the pipeline does not
use them.

Example
-------
>>> import numpy as np
>>> FactorAnalyzer = factor_analyzer().FactorAnalyzer
>>> R = np.array([[1.0, 0.5, 0.4], [0.5, 1.0, 0.3], [0.4, 0.3, 1.0]])
>>> fa = FactorAnalyzer(n_factors=1, rotation=None, is_corr_matrix=True).fit(R)
>>> fa.loadings_.shape
(3, 1)
"""

from __future__ import annotations

import functools
import importlib
import inspect
from types import ModuleType

__all__ = ["check_array_new_spelling", "factor_analyzer", "masked_corrcoef", "semopy"]

# the modules of each package that bound the removed call under their own name
_FACTOR_ANALYZER_MODULES = ("factor_analyzer.factor_analyzer", "factor_analyzer.confirmatory_factor_analyzer")
_SEMOPY_COR_MODULES = ("semopy.utils", "semopy.efa", "semopy.polycorr")


def check_array_new_spelling(*args, force_all_finite=None, **kwargs):
    """``sklearn.utils.check_array`` accepting the pre-1.6 ``force_all_finite`` as ``ensure_all_finite``."""
    from sklearn.utils import check_array

    if force_all_finite is not None:
        if "ensure_all_finite" in kwargs:
            raise TypeError("check_array: both force_all_finite and ensure_all_finite given")
        kwargs["ensure_all_finite"] = force_all_finite
    return check_array(*args, **kwargs)


def masked_corrcoef(x):
    """semopy's ``utils.cor``: the correlation matrix of ``x`` (columns), NaNs masked pairwise,
    a 1 x 1 array for one column; without the ``bias`` argument numpy 2.4 removed."""
    import numpy as np

    masked = np.ma.array(x, mask=np.isnan(x))
    cor = np.ma.corrcoef(masked, rowvar=False).data
    return cor.reshape((1, 1)) if cor.size == 1 else cor


def _replace(module_names, attribute, replacement):
    for name in module_names:
        setattr(importlib.import_module(name), attribute, replacement)


@functools.cache
def factor_analyzer() -> ModuleType:
    """The ``factor_analyzer`` package with its ``check_array`` calls in the new spelling (patched once
    per process: the cache makes later calls return the same module)."""
    from sklearn.utils import check_array

    if "ensure_all_finite" not in inspect.signature(check_array).parameters:
        raise ImportError("surveysem needs scikit-learn >= 1.6 (check_array(ensure_all_finite=))")
    _replace(_FACTOR_ANALYZER_MODULES, "check_array", check_array_new_spelling)
    return importlib.import_module("factor_analyzer")


@functools.cache
def semopy() -> ModuleType:
    """The ``semopy`` package with ``utils.cor`` (and its imports by name) without ``bias`` (patched
    once per process)."""
    package = importlib.import_module("semopy")
    _replace(_SEMOPY_COR_MODULES, "cor", masked_corrcoef)
    return package
