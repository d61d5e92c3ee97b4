"""Latent regressions of P1-P3 by one full-information SEM (the alternative to local SAM).

The same question as :mod:`surveysem.propositions.latent_sam` (observed outcome on latent
capabilities, their interactions and observed controls), estimated jointly by ML/MLR in lavaan
syntax with :func:`surveysem.sem.api.fit_model`; the result is the same
:class:`~surveysem.propositions.latent_sam.LatentRegression` with the same ``terms``, so callers
can switch estimators.

Model (``std_lv=True``: every factor has variance 1, so capability coefficients are per latent SD):

* ``C =~ items`` for every construct;
* a latent interaction ``A:B`` by **double-mean-centred product indicators** (Lin, Wen, Marsh &
  Lin 2010), matched pairs: the k-th item of A with the k-th item of B (the longer construct's
  extra items are unused), each item centred at its mean over the analysed rows, the products
  centred again; ``AxB =~ a1xb1 + a2xb2 + ...``. Matched pairs share no item, so no correlated
  residuals are needed. This is ``semTools::indProd(match = TRUE, meanC = TRUE,
  residualC = FALSE, doubleMC = TRUE)``, whose centring uses available-case means (a product of
  a missing item is missing);
* ``y ~ constructs + product factors + controls``;
* every covariance among the exogenous variables stated explicitly (latent ~~ control,
  control ~~ control). lavaan's defaults (which the engine follows) would fix the
  latent-control covariances at zero, and once a control appears in a ``~~`` row also the
  covariances among the controls: a misspecification whenever capabilities correlate with age or
  size. With them free the exogenous part is saturated, as in SAM's VETA.

**Scale of an interaction.** With ``std_lv`` the product factor ``AxB`` has variance 1, but the
latent product of two unit-variance factors ``xi_a xi_b`` (the regressor of latent_sam) has, under
joint normality, ``Var(xi_a xi_b) = Var(xi_a) Var(xi_b) + Cov(xi_a, xi_b)^2 = 1 + phi^2`` with
``phi`` the factor correlation. The product factor stands for the standardised product,
``AxB = xi_a xi_b / sqrt(1 + phi^2)``, so the coefficient per unit of ``xi_a xi_b`` (per SD of
each factor, latent_sam's scale) is ``beta_AxB / sqrt(1 + phi^2)``; its covariance with the other
coefficients comes from ``res.vcov`` by the delta method (``phi`` is a free parameter). The raw
SEM rows stay available in ``blocks["sem"]``.

**Intercept.** ``y ~ 1`` is latent_sam's intercept (the outcome at latent means and zero
controls) when the fit has a mean structure (FIML) and no interaction. With an interaction
latent_sam's product of centred scores has mean ``phi`` while the product factor has mean 0, and
complete-data ML has no mean structure: the Intercept is then NaN.

**Missing data.** FIML (``missing="fiml"``) over every row with observed ``y`` and controls;
``missing="listwise"`` uses complete rows of all model columns. Products are formed after the
rows are chosen, so the centring means are those of the analysed rows.

Inadmissible solutions (non-convergence, a Heywood case reported by the engine, a latent
covariance matrix that is not positive definite, missing SEs) give ``admissible=False`` with a
warning; the estimates are returned as they are, never replaced.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from surveysem.errors import SurveySemError
from surveysem.propositions.latent_sam import MIN_ITEMS, LatentRegression, make_design


def product_name(a: str, b: str) -> str:
    """Name of the product factor (or product indicator) of ``a`` and ``b``."""
    return f"{a}x{b}"


def matched_pairs(items_a: list[str], items_b: list[str]) -> list[tuple[str, str]]:
    """Matched-pair strategy: items paired in order; the longer list's extra items unused."""
    return list(zip(items_a, items_b))


def dmc_products(data: pd.DataFrame, pairs: list[tuple[str, str]]) -> pd.DataFrame:
    """Double-mean-centred products: centre each item, multiply, centre the product (means over
    the available values, as ``scale(x, scale = FALSE)`` in semTools::indProd)."""
    def ctr(s: pd.Series) -> pd.Series:
        return s - s.mean(skipna=True)
    cols = {product_name(a, b): ctr(ctr(data[a].astype(float)) * ctr(data[b].astype(float))) for a, b in pairs}
    return pd.DataFrame(cols, index=data.index)


def interaction_pairs(constructs: dict[str, list[str]], interactions: list[str]) -> dict[str, list[tuple[str, str]]]:
    """Product factor name -> matched item pairs, one per "A:B" interaction."""
    out = {}
    for t in interactions:
        parts = t.split(":")
        if len(parts) != 2 or any(p not in constructs for p in parts):
            raise SurveySemError(f"interaction {t!r}: expected 'A:B' of two constructs")
        a, b = parts
        pairs = matched_pairs(constructs[a], constructs[b])
        if len(pairs) < MIN_ITEMS:
            raise SurveySemError(f"interaction {t!r}: {len(pairs)} product indicator(s); a factor needs >= {MIN_ITEMS}")
        out[product_name(a, b)] = pairs
    return out


def latent_sem_syntax(y: str, constructs: dict[str, list[str]], products: dict[str, list[tuple[str, str]]],
                      controls: list[str]) -> str:
    """lavaan syntax of the model in the module docstring."""
    lines = [f"{c} =~ " + " + ".join(its) for c, its in constructs.items()]
    lines += [f"{f} =~ " + " + ".join(product_name(a, b) for a, b in pairs) for f, pairs in products.items()]
    lines.append(f"{y} ~ " + " + ".join(list(constructs) + list(products) + list(controls)))
    latents = list(constructs) + list(products)
    lines += [f"{f} ~~ {x}" for f in latents for x in controls]
    lines += [f"{a} ~~ {b}" for i, a in enumerate(controls) for b in controls[i + 1:]]
    return "\n".join(lines)


def _analysis_rows(data: pd.DataFrame, y: str, constructs: dict, controls: list[str], missing: str) -> pd.Series:
    """Rows used: observed y and controls (FIML), or complete on every model column (listwise)."""
    cols = [y] + list(controls)
    if missing == "listwise":
        cols += [i for its in constructs.values() for i in its]
    return data[cols].notna().all(axis=1)


def _check_columns(data: pd.DataFrame, y: str, constructs: dict, controls: list[str]) -> None:
    for c, its in constructs.items():
        if len(its) < MIN_ITEMS:
            raise SurveySemError(f"construct {c!r} has {len(its)} item column(s); a latent factor needs >= {MIN_ITEMS}")
    need = [y] + list(controls) + [i for its in constructs.values() for i in its]
    absent = [v for v in need if v not in data.columns]
    if absent:
        raise SurveySemError(f"column(s) {', '.join(absent)} not in the data")


def _row_index(est: pd.DataFrame) -> dict:
    return {(a, o, b): k for k, (a, o, b) in enumerate(zip(est.lhs, est.op, est.rhs))}


def _lv_cov_row(idx: dict, a: str, b: str) -> int:
    k = idx.get((a, "~~", b), idx.get((b, "~~", a)))
    if k is None:
        raise SurveySemError(f"no covariance row {a} ~~ {b} in the fitted model")
    return k


def _coefficients(res, y: str, design, products: dict, interactions: list[str]):
    """(params, Jacobian wrt the free parameters) of the design terms from the SEM rows."""
    est = res.estimates
    idx = _row_index(est)
    npar = len(res.free_params)
    params = np.full(len(design.terms), np.nan)
    J = np.zeros((len(design.terms), npar))
    inter = {t: product_name(*t.split(":")) for t in interactions}
    for t, term in enumerate(design.terms):
        if term == "Intercept":
            k = idx.get((y, "~1", ""))
            if k is None or interactions:
                continue
            params[t] = est.est.iloc[k]
            J[t, int(est.par.iloc[k])] = 1.0
            continue
        k = idx[(y, "~", inter.get(term, term))]
        b, pb = float(est.est.iloc[k]), int(est.par.iloc[k])
        if term not in inter:
            params[t], J[t, pb] = b, 1.0
            continue
        a_, b_ = term.split(":")
        kp = _lv_cov_row(idx, a_, b_)
        phi, pp = float(est.est.iloc[kp]), int(est.par.iloc[kp])
        s = np.sqrt(1.0 + phi ** 2)
        params[t] = b / s
        J[t, pb] = 1.0 / s
        J[t, pp] = -b * phi / s ** 3
    return params, J


def _latent_cov(res, latents: list[str]) -> np.ndarray:
    est = res.estimates
    idx = _row_index(est)
    P = np.empty((len(latents), len(latents)))
    for i, a in enumerate(latents):
        for j, b in enumerate(latents):
            P[i, j] = est.est.iloc[_lv_cov_row(idx, a, b)]
    return P


def _admissibility(res, latents: list[str], V: np.ndarray) -> list[str]:
    """Reasons the solution is inadmissible (empty when it is admissible)."""
    why = []
    if not res.converged:
        why.append("the SEM did not converge")
    if any("Heywood" in str(w) for w in res.warnings):
        why.append("Heywood case in the SEM (see the engine's warnings)")
    if np.linalg.eigvalsh(_latent_cov(res, latents))[0] <= 0:
        why.append("the latent covariance matrix is not positive definite")
    if not np.all(np.isfinite(np.diag(V))) or np.any(np.diag(V) < 0):
        why.append("standard errors of the coefficients are not available")
    return why


def fit_latent_sem(data: pd.DataFrame, y: str, constructs: dict[str, list[str]], interactions: list[str],
                   controls: list[str], *, estimator: str = "MLR", missing: str = "fiml",
                   max_iter: int = 500) -> LatentRegression:
    """Regress observed ``y`` on latent ``constructs`` (construct -> item columns), their
    ``interactions`` ("A:B", by DMC product indicators) and observed ``controls`` in one SEM
    (see the module docstring). ``blocks["sem"]`` holds the engine's result, ``blocks["syntax"]``
    the model."""
    from surveysem.sem.api import fit_model

    if missing not in ("fiml", "listwise"):
        raise SurveySemError(f"missing must be 'fiml' or 'listwise', not {missing!r}")
    _check_columns(data, y, constructs, controls)
    products = interaction_pairs(constructs, interactions)
    clash = [p for pairs in products.values() for p in (product_name(a, b) for a, b in pairs) if p in data.columns]
    if clash or any(f in data.columns for f in products):
        raise SurveySemError(f"product names already used by data columns: {', '.join(clash or list(products))}")
    keep = _analysis_rows(data, y, constructs, controls, missing)
    cols = [y] + list(controls) + [i for its in constructs.values() for i in its]
    d = data.loc[keep, list(dict.fromkeys(cols))].reset_index(drop=True)
    for pairs in products.values():
        d = pd.concat([d, dmc_products(d, pairs)], axis=1)
    design = make_design(list(constructs), list(interactions), list(controls))
    if len(d) <= len(design.terms) + 1:
        raise SurveySemError(f"{len(d)} firms for {len(design.terms)} coefficients")
    syntax = latent_sem_syntax(y, constructs, products, list(controls))
    res = fit_model(syntax, d, estimator=estimator, missing=missing, std_lv=True, max_iter=max_iter)
    params, J = _coefficients(res, y, design, products, list(interactions))
    Vp = np.asarray(res.vcov, dtype=float) if res.vcov is not None else np.full((J.shape[1],) * 2, np.nan)
    V = J @ Vp @ J.T
    V[np.isnan(params), :] = np.nan
    V[:, np.isnan(params)] = np.nan
    latents = list(constructs) + list(products)
    why = _admissibility(res, latents, V[np.ix_(~np.isnan(params), ~np.isnan(params))])
    warnings = list(res.warnings) + [f"inadmissible solution: {w}" for w in why]
    yv = d[y].to_numpy(dtype=float)
    nobs = len(d) - int(getattr(res, "n_dropped", 0) or 0)
    return LatentRegression(
        terms=design.terms, params=params, vcov=V, vcov_structural=V.copy(), vcov_twostep=V.copy(), nobs=nobs,
        n_dropped=int((~keep).sum()) + int(getattr(res, "n_dropped", 0) or 0), outcome_sd=float(np.std(yv)),
        latent_sd={c: 1.0 for c in constructs}, r2=float(res.r_squared.get(y, np.nan)) if res.r_squared else np.nan,
        admissible=not why, converged=bool(res.converged), blocks={"sem": res, "syntax": syntax},
        warnings=warnings,
    )
