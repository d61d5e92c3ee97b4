"""Starting values (lavaan's ``lav_start``, which starts loadings with FABIN 3; here the first
principal component of each factor's indicators).

Loadings: the first principal component of the factor's indicators, scaled to the marker; latent
variances: the marker's share of it (half of it for endogenous factors, whose variance is a
residual variance); residual variances: the observed variance minus what the factors explain
(half the observed variance when that is not above 10 % of it); paths and covariances 0;
intercepts the sample means.
"""

from __future__ import annotations

import math

import numpy as np


def _exo_lv(spec):
    endo = {r.rhs for r in spec.rows if r.op == "=~"} | {r.lhs for r in spec.rows if r.op == "~"}
    return [v for v in spec.lv_names if v not in endo]


def _lv_indicator_var(spec, lv, lvvar):
    vals = [lvvar.get(v) for v in spec.lv_indicators.get(lv, []) if lvvar.get(v)]
    return 0.5 * float(np.mean(vals)) if vals else 0.05


def _later_loadings(rows):
    """(factor, indicator) of every loading of an indicator after its first one."""
    seen_ind, later = set(), set()
    for r in rows:
        if r.op == "=~":
            if r.rhs in seen_ind:
                later.add((r.lhs, r.rhs))
            seen_ind.add(r.rhs)
    return later


def _factor_starts(spec, rows, S, oidx):
    """(loading by (factor, indicator), latent variance by factor) from the first principal
    component of each factor's observed indicators."""
    lam = {}
    lvvar = {}
    for lv, inds in spec.lv_indicators.items():
        obs = [v for v in inds if v in oidx]
        load_rows = [r for r in rows if r.op == "=~" and r.lhs == lv]
        if not obs:
            lvvar[lv] = None
            continue
        ii = [oidx[v] for v in obs]
        C = S[np.ix_(ii, ii)]
        if len(ii) == 1:
            l = np.array([math.sqrt(max(C[0, 0], 1e-6))])
        else:
            ev, evec = np.linalg.eigh(C)
            l = evec[:, -1] * math.sqrt(max(ev[-1], 1e-6))
            if l.sum() < 0:
                l = -l
        lmap = dict(zip(obs, l))
        marker = next((r for r in load_rows if not r.free and r.value not in (None, 0.0)), None)
        if marker is not None and marker.rhs in lmap and abs(lmap[marker.rhs]) > 1e-8:
            s = lmap[marker.rhs] / marker.value
        else:
            s = 1.0
        for v in obs:
            lam[(lv, v)] = lmap[v] / s
        lvvar[lv] = s * s
    return lam, lvvar


def _variance_start(spec, r, S, oidx, lam, lvvar):
    if r.lhs in oidx:
        k = oidx[r.lhs]
        explained = sum(lam.get((lv, r.lhs), 0.0) ** 2 * (lvvar.get(lv) or 0.0) for lv in spec.lv_names)
        v = S[k, k] - explained
        if not v > 0.1 * S[k, k]:
            v = 0.5 * S[k, k]
        if not v > 0:
            v = 1.0
        return v
    vv = lvvar.get(r.lhs)
    if vv is None:
        vv = _lv_indicator_var(spec, r.lhs, lvvar)
    v = vv if r.lhs in _exo_lv(spec) else 0.5 * vv
    if not v > 0:
        v = 0.05
    return v


def start_values(spec, gdata, small_cross=False):
    """Simple, robust starting values (lavaan-like: marker-scaled first principal
    component per factor, half the observed variance for residuals, zero paths).
    ``small_cross``: loadings of an indicator on its second and later factors start at
    0.1 (second attempt for models with method factors / cross-loadings)."""
    theta = np.full(spec.npar, np.nan)
    oidx = {v: k for k, v in enumerate(spec.ov_names)}
    for g in range(1, spec.ngroups + 1):
        gd = gdata[g - 1]
        S = gd.cov
        rows = [r for r in spec.rows if r.group == g]
        later_loadings = _later_loadings(rows)
        lam, lvvar = _factor_starts(spec, rows, S, oidx)
        for r in rows:
            if not r.free or not np.isnan(theta[r.par]):
                continue
            v = np.nan
            if r.start is not None:
                v = r.start
            elif r.op == "=~":
                v = lam.get((r.lhs, r.rhs), 1.0)
                if small_cross and (r.lhs, r.rhs) in later_loadings:
                    v = 0.1
            elif r.op == "~":
                v = 0.0
            elif r.op == "~~":
                v = _variance_start(spec, r, S, oidx, lam, lvvar) if r.lhs == r.rhs else 0.0
            elif r.op == "~1":
                v = gd.mean[oidx[r.lhs]] if r.lhs in oidx else 0.0
            theta[r.par] = v
    theta[np.isnan(theta)] = 0.0
    return theta
