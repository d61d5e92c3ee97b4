"""Ordinal omega: the reliability of a sum of ordered item scores (Green & Yang 2009).

The formula is semTools 0.5-6's ``omegaCat``: with the latent-response thresholds ``tau_jc``
(scaled by the item's scaling factor ``Delta_j``) and the true-score part ``R = Delta Lambda psi
Lambda' Delta`` of the latent-response correlations,

    omega = sum_jj' [sum_cc' Phi2(tau_jc, tau_j'c'; R_jj') - sum_c Phi(tau_jc) sum_c' Phi(tau_j'c')]
            / the same with the total correlations (cov2cor of the denominator) in place of R,

the variance of the observed sum score explained by the factor over its total variance, both
computed from the bivariate normal latent responses. The diagonal of ``R`` is the item's
explained variance and the denominator's diagonal is 1 (``Phi2(a, b; 1) = Phi(min(a, b))``).

Which total covariance is used is semTools' choice between two functions: ``reliability(fit)``'s
``omega`` (and ``compRelSEM(fit, obs.var = FALSE)``) take the model's, ``Lambda psi Lambda' +
Theta``; ``compRelSEM(fit)`` (``obs.var = TRUE``) and ``reliability``'s ``omega3`` take the sample
polychoric correlations. :func:`ordinal_omega` takes the model's unless ``total_cov`` is given.
Everything here is a function of estimates, not of a fitted object, so any WLSMV fit (ours,
lavaan's) can be fed in.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy.special import ndtr

from surveysem.sem.bivariate_normal import bvn_cdf


def omega_categorical(true_cov, total_cov, thresholds: Sequence, scales=None) -> float:
    """semTools' ``omegaCat(truevar, threshold, scales, denom)``.

    Parameters
    ----------
    true_cov : (k, k) array
        The true-score covariance of the items' latent responses (``Lambda_f psi_ff Lambda_f'``).
    total_cov : (k, k) array
        Their total covariance; only its correlations (``cov2cor``) are used.
    thresholds : sequence of k 1-D arrays
        Each item's thresholds, in increasing order.
    scales : (k,) array, optional
        The scaling factors ``Delta`` of the delta parameterization (lavaan's ``~*~``); 1 if omitted.

    Returns
    -------
    float
        The ordinal omega.
    """
    true_cov = np.asarray(true_cov, float)
    total_cov = np.asarray(total_cov, float)
    k = true_cov.shape[0]
    if total_cov.shape != (k, k) or len(thresholds) != k:
        raise ValueError(f"omega_categorical: {k} items but total_cov {total_cov.shape} and "
                         f"{len(thresholds)} threshold sets")
    scales = np.ones(k) if scales is None else np.asarray(scales, float)
    true_cor = true_cov * np.outer(scales, scales)
    sd = np.sqrt(np.diag(total_cov))
    total_cor = total_cov / np.outer(sd, sd)
    taus = [np.asarray(t, float) * s for t, s in zip(thresholds, scales)]
    marginal = np.array([ndtr(t).sum() for t in taus])
    expected = np.outer(marginal, marginal)
    return float((_joint_sums(taus, true_cor) - expected).sum()
                 / (_joint_sums(taus, total_cor) - expected).sum())


def _joint_sums(taus: list[np.ndarray], cor: np.ndarray) -> np.ndarray:
    """``S[j, j'] = sum_cc' Phi2(tau_jc, tau_j'c'; cor[j, j'])`` for all item pairs at once."""
    k = len(taus)
    width = max(len(t) for t in taus)
    # items with fewer thresholds padded with -40, whose Phi2 terms are 0
    padded = np.full((k, width), -40.0)
    for j, t in enumerate(taus):
        padded[j, :len(t)] = t
    h = padded[:, None, :, None]
    kk = padded[None, :, None, :]
    rho = np.clip(cor, -1.0, 1.0)[:, :, None, None]
    return bvn_cdf(h, kk, rho).sum(axis=(2, 3))


def ordinal_omega(loadings, latent_variance: float, residual_cov, thresholds: Sequence,
                  scales=None, total_cov=None) -> float:
    """Ordinal omega of one factor from its estimates.

    Parameters
    ----------
    loadings : (k,) array
        The factor's loadings on its k ordered items.
    latent_variance : float
        The factor's variance ``psi_ff``.
    residual_cov : (k, k) array
        The latent responses' residual covariances ``Theta`` (delta parameterization: the
        variances are ``1 / Delta^2`` minus the explained variance).
    thresholds, scales :
        As in :func:`omega_categorical`.
    total_cov : (k, k) array, optional
        The total covariance of the denominator; ``Lambda psi Lambda' + Theta`` if omitted
        (semTools' ``reliability()`` omega), the sample polychoric matrix for ``compRelSEM(fit)``.

    Returns
    -------
    float
    """
    lam = np.asarray(loadings, float).reshape(-1)
    true_cov = np.outer(lam, lam) * float(latent_variance)
    if total_cov is None:
        total_cov = true_cov + np.asarray(residual_cov, float)
    return omega_categorical(true_cov, total_cov, thresholds, scales)


def ordinal_omegas(estimates: pd.DataFrame, group: int = 1, total_cov: pd.DataFrame | None = None) -> dict[str, float]:
    """The ordinal omega of every factor of a WLSMV fit's parameter table (one group).

    Parameters
    ----------
    estimates : DataFrame
        ``SEMResult.estimates`` (lavaan's ``parameterEstimates`` layout): ``lhs``, ``op``, ``rhs``,
        ``group``, ``est``, with ``=~``, ``|``, ``~~`` and (optionally) ``~*~`` rows.
    group : int
        The group (1-based).
    total_cov : DataFrame, optional
        The items' total covariances (rows and columns named by item) for every factor's
        denominator, e.g. the sample polychoric correlations (``compRelSEM(fit)``); the model's
        if omitted (``reliability(fit)``).

    Returns
    -------
    dict
        Factor -> omega, for the factors measured by ordered items only and by two or more
        items (semTools' ``dropSingle``), in the order of the table.
    """
    est = estimates[estimates["group"] == group] if "group" in estimates else estimates
    value = {(r.lhs, r.op, r.rhs): r.est for r in est.itertuples(index=False)}
    thresholds: dict[str, list[float]] = {}
    for r in est[est["op"] == "|"].itertuples(index=False):
        thresholds.setdefault(r.lhs, []).append(r.est)
    loads = est[est["op"] == "=~"]
    out = {}
    for factor in dict.fromkeys(loads["lhs"]):
        rows = loads[(loads["lhs"] == factor) & (loads["est"] != 0)]
        items = list(rows["rhs"])
        if len(items) < 2 or not all(i in thresholds for i in items):
            continue
        theta = np.array([[_covariance(value, a, b) for b in items] for a in items])
        total = None if total_cov is None else total_cov.loc[items, items].to_numpy(float)
        out[factor] = ordinal_omega(rows["est"].to_numpy(), value[(factor, "~~", factor)], theta,
                                    [thresholds[i] for i in items],
                                    [value.get((i, "~*~", i), 1.0) for i in items], total_cov=total)
    return out


def _covariance(value: dict, a: str, b: str) -> float:
    """A ``~~`` entry of the table in either order; 0 when not in the model."""
    return value.get((a, "~~", b), value.get((b, "~~", a), 0.0))
