"""The stage-one results that WLSMV's stage two (:mod:`surveysem.sem.wlsmv`) fits, one
:class:`OrdinalMoments` per group, in lavaan's WLS order (``lavInspect(fit, "wls.obs")``): the
thresholds item by item (``x1|t1``, ``x1|t2``, ``x2|t1``, ...), then the polychoric correlations of
the lower triangle column by column without the diagonal (``x1~~x2``, ``x1~~x3``, ..., ``x2~~x3``,
...); ``gamma`` is lavaan's NACOV (``lavInspect(fit, "gamma")``: N times the asymptotic covariance
of that vector) and ``wls_v`` the diagonal of the DWLS weight matrix (``lavInspect(fit, "wls.v")``,
1 / diag(gamma)).

:func:`stage_one_moments` is the hook to stage one (thresholds, polychoric correlations and gamma
from the data, ``surveysem.sem.muthen1984.ordinal_sample_statistics(data, ordered, group=None)``),
imported only when a WLSMV fit starts from data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from surveysem.errors import SurveySemError

# the stage-one module and function the hook imports (built on a separate branch, i14-polychoric)
STAGE_ONE_MODULE = "surveysem.sem.muthen1984"
STAGE_ONE_FUNCTION = "ordinal_sample_statistics"


@dataclass
class StageOne:
    """What the hook hands to stage two: one :class:`OrdinalMoments` per group (stage one's group
    order), the groups' labels (None where stage one gives none) and stage one's warnings."""

    moments: list
    labels: list
    warnings: list


@dataclass
class OrdinalMoments:
    """Stage-one statistics of one group.

    Parameters
    ----------
    variables : list of str
        The ordered items, in the order of the correlations.
    thresholds : dict
        Item -> its threshold names (``["t1", "t2", ...]``), in the order of ``wls_obs``.
    wls_obs : ndarray
        Thresholds, then the correlations (lavaan's WLS order, module docstring).
    gamma : ndarray
        N times the asymptotic covariance matrix of ``wls_obs``.
    wls_v : ndarray
        The diagonal of the DWLS weight matrix (a vector).
    nobs : int
        The group's number of observations (lavaan's ``nobs``).
    """

    variables: list
    thresholds: dict
    wls_obs: np.ndarray
    gamma: np.ndarray
    wls_v: np.ndarray
    nobs: int

    def __post_init__(self):
        self.variables = [str(v) for v in self.variables]
        self.thresholds = {str(k): [str(t) for t in v] for k, v in self.thresholds.items()}
        self.wls_obs = np.asarray(self.wls_obs, float)
        self.gamma = np.asarray(self.gamma, float)
        self.wls_v = np.asarray(self.wls_v, float)
        if self.wls_v.ndim == 2:  # a full diagonal matrix given: keep its diagonal
            self.wls_v = np.diag(self.wls_v).copy()
        self.nobs = int(self.nobs)
        self._check()

    def _check(self):
        missing = [v for v in self.variables if v not in self.thresholds]
        if missing:
            raise SurveySemError(f"ordinal moments: no thresholds for {', '.join(missing)}", value=missing[0])
        k = len(self.names())
        for what, size in (("wls_obs", self.wls_obs.size), ("wls_v", self.wls_v.size)):
            if size != k:
                raise SurveySemError(f"ordinal moments: {what} has {size} values, the thresholds and correlations "
                                     f"of {len(self.variables)} items are {k}", value=what)
        if self.gamma.shape != (k, k):
            raise SurveySemError(f"ordinal moments: gamma is {self.gamma.shape}, expected ({k}, {k})", value="gamma")
        if self.nobs < 2:
            raise SurveySemError(f"ordinal moments: nobs = {self.nobs}", value=self.nobs)
        names = self.names()
        for what, values in (("wls_obs", self.wls_obs), ("wls_v", self.wls_v), ("gamma", np.diag(self.gamma))):
            bad = np.flatnonzero(~np.isfinite(values) | ((values <= 0) if what != "wls_obs" else False))
            if bad.size:
                raise SurveySemError(f"ordinal moments: {what} is not finite{'' if what == 'wls_obs' else ' and positive'} "
                                     f"for {', '.join(names[k] for k in bad[:5])}", value=names[bad[0]])
        if not np.all(np.isfinite(self.gamma)):
            raise SurveySemError("ordinal moments: gamma has non-finite entries", value="gamma")

    @property
    def n_thresholds(self) -> int:
        return sum(len(self.thresholds[v]) for v in self.variables)

    def threshold_names(self) -> list:
        """``item|tk`` of every threshold, in ``wls_obs`` order."""
        return [f"{v}|{t}" for v in self.variables for t in self.thresholds[v]]

    def correlation_pairs(self) -> list:
        """(row, column) indices into ``variables`` of the correlations, in ``wls_obs`` order."""
        p = len(self.variables)
        return [(i, j) for j in range(p) for i in range(j + 1, p)]

    def names(self) -> list:
        """lavaan's names of ``wls_obs``: ``x1|t1`` ..., then ``x1~~x2`` ..."""
        v = self.variables
        return self.threshold_names() + [f"{v[j]}~~{v[i]}" for i, j in self.correlation_pairs()]

    def correlation_matrix(self) -> np.ndarray:
        """The polychoric correlation matrix (unit diagonal)."""
        p = len(self.variables)
        R = np.eye(p)
        r = self.wls_obs[self.n_thresholds:]
        for (i, j), v in zip(self.correlation_pairs(), r):
            R[i, j] = R[j, i] = v
        return R

    def subset(self, items) -> OrdinalMoments:
        """The statistics of ``items`` only (in this object's order); an item not here is an error."""
        missing = [v for v in items if v not in self.variables]
        if missing:
            raise SurveySemError(f"ordinal moments: no statistics for the model's variable(s) {', '.join(missing)} "
                                 "(declare them ordered)", value=missing[0])
        keep = [v for v in self.variables if v in set(items)]
        if keep == self.variables:
            return self
        pos = {v: k for k, v in enumerate(self.variables)}
        offsets = np.cumsum([0] + [len(self.thresholds[v]) for v in self.variables])
        idx = [offsets[pos[v]] + t for v in keep for t in range(len(self.thresholds[v]))]
        pair_index = {pair: k for k, pair in enumerate(self.correlation_pairs())}
        kp = [pos[v] for v in keep]
        idx += [self.n_thresholds + pair_index[(kp[i], kp[j])] for j in range(len(kp)) for i in range(j + 1, len(kp))]
        idx = np.array(idx, int)
        return OrdinalMoments(keep, {v: self.thresholds[v] for v in keep}, self.wls_obs[idx],
                              self.gamma[np.ix_(idx, idx)], self.wls_v[idx], self.nobs)

    @classmethod
    def from_lavaan(cls, names, wls_obs, gamma, wls_v, nobs):
        """From lavaan's named ``wls.obs`` (``x1|t1``, ..., ``x1~~x2``, ...): the items and their
        thresholds are read from the names."""
        thresholds: dict = {}
        for nm in names:
            if "|" in nm:
                item, t = nm.split("|", 1)
                thresholds.setdefault(item, []).append(t)
        return cls(list(thresholds), thresholds, wls_obs, gamma, wls_v, nobs)


def stage_one_moments(data, ordered, group=None) -> StageOne:
    """Stage one's statistics of the data by ``ordinal_sample_statistics(data, ordered, group=None)``
    as :class:`StageOne`. Stage one returns an object with ``groups`` (each with ``wls_obs``,
    ``gamma``, ``wls_v``, ``th_names`` = lavaan's ``x1|t1`` names, ``n`` or ``nobs``, ``items`` or
    ``variables``, ``label``) and ``warnings``; a list of such groups or a mapping label -> group
    is taken too."""
    import importlib

    try:
        module = importlib.import_module(STAGE_ONE_MODULE)
        stage_one = getattr(module, STAGE_ONE_FUNCTION)
    except (ImportError, AttributeError) as exc:
        raise SurveySemError(f"WLSMV from data needs stage one ({STAGE_ONE_MODULE}.{STAGE_ONE_FUNCTION}: thresholds, "
                             f"polychoric correlations, gamma), which is not available ({exc}); fit from stage-one "
                             "results with surveysem.sem.fit_ordinal_moments") from None
    out = stage_one(data, ordered, group=group)
    warnings = list(getattr(out, "warnings", None) or [])
    if hasattr(out, "groups"):
        out = out.groups
    if isinstance(out, dict) and not {"wls_obs", "gamma"} <= set(out):  # {group label: statistics}
        labels, groups = list(out), list(out.values())
    else:
        groups = out if isinstance(out, (list, tuple)) else [out]
        labels = [_field(g, "label", None) for g in groups]
    return StageOne([_as_moments(g, ordered) for g in groups], labels, warnings)


def _field(obj, name, default=KeyError):
    """A field of a mapping or an object; ``default`` when absent (an error unless given)."""
    value = obj.get(name, default) if isinstance(obj, dict) else getattr(obj, name, default)
    if value is KeyError:
        raise SurveySemError(f"stage one's statistics have no {name!r}", value=name)
    return value


def _as_moments(g, ordered) -> OrdinalMoments:
    """One group's stage-one result as :class:`OrdinalMoments`."""
    if isinstance(g, OrdinalMoments):
        return g
    th = _field(g, "th_names")
    if isinstance(th, dict):
        thresholds = th
    else:
        thresholds = {}
        for nm in th:
            item, t = str(nm).split("|", 1)
            thresholds.setdefault(item, []).append(t)
    variables = _field(g, "variables", None) or _field(g, "items", None) or [v for v in ordered if v in thresholds]
    nobs = _field(g, "nobs", None)
    return OrdinalMoments(list(variables), thresholds, _field(g, "wls_obs"), _field(g, "gamma"), _field(g, "wls_v"),
                          _field(g, "n") if nobs is None else nobs)
