"""Latent regressions of P1-P3 by structural-after-measurement with corrected scores.

The capabilities are latent factors measured by their items; the outcome (transformed as P4
transforms it: log spread, logit diversification, logit intensity) and the controls are
observed. The estimator is local SAM (Rosseel & Loh 2022) written as a corrected-score
regression (Nakamura 1990), which extends it to latent interactions:

1. **Measurement blocks.** Each construct's one-factor model is fitted on its own by ML
   (FIML when items are missing), latent variance fixed to 1 (``std.lv = TRUE``): loadings
   ``lambda``, residual variances ``theta`` and intercepts ``nu``.
2. **Bartlett scores** from the items each firm answered::

       f_i = (lambda_o' Theta_o^-1 lambda_o)^-1 lambda_o' Theta_o^-1 (x_io - nu_o),
       omega_i = (lambda_o' Theta_o^-1 lambda_o)^-1

   so ``f_i = xi_i + e_i`` with ``E[e_i | xi] = 0`` and ``Var(e_i) = omega_i``; errors of
   different blocks are independent (no residual covariances across blocks).
3. **Corrected moments.** A regressor is a monomial of centred scores (a main effect ``f_a``,
   an interaction ``f_a f_b``) or an observed control. In the cross-product of two regressors a
   score appears once or twice; ``E[f] = xi`` and ``E[f^2] = xi^2 + omega``, so replacing each
   ``f^2`` by ``f^2 - omega`` makes every firm's cross-product unbiased for the latent one.
   With the marker-based method factor (``method_factor: marker``,
   :mod:`surveysem.propositions.latent_method`) step 1 is one joint CFA of the constructs, the
   marker and a common-method factor; the scores' errors are then correlated across constructs
   (``Omega_i`` a full matrix) and every product of scores is corrected by the multivariate
   Hermite polynomial (each pair of factors in a product contributes ``-Omega_ab``), of which
   ``f^2 - omega`` is the independent-blocks case.
   With complete data and no interaction this is exactly lavaan's local SAM:
   ``mean(f f') - mean(omega) = M S M' - M Theta M' = VETA``, and the regression on VETA is
   lavaan's structural step (a saturated regression); the fixture
   ``tests/r/latent_p1.R`` checks it.
4. **Estimates** ``beta = A^-1 b`` with ``A = sum_i A_i`` (corrected cross-products) and
   ``b = sum_i w_i y_i``; coefficients of capabilities are per standard deviation of the latent
   capability (interactions per SD of each), on the outcome's transformed scale.
5. **Standard errors** from the estimating equations ``psi_i = A_i beta - w_i y_i``: the
   sandwich ``A^-1 (sum psi psi') A^-1`` (heteroskedasticity-robust, HC1 scaling), plus the
   uncertainty of the measurement estimates carried through by the delta method,
   ``G Sigma_meas G'`` with ``G = d beta / d (lambda, theta, nu)`` (central differences) and
   ``Sigma_meas`` the block-diagonal covariance of the block estimates (lavaan's two-step
   logic, ``se = "twostep"``), kept as ``vcov_twostep``. That sum leaves out the covariance
   between the two steps' errors (the same items drive the scores and the block estimates),
   which made the SEs up to 14 % too large or too small in the calibration (bench/README.md).
   ``vcov`` is therefore the variance of the summed first-order influences,
   ``sum_i d_i d_i'`` with ``d_i = -A^-1 psi_i + sum_c G_c IF_ci`` and ``IF_ci`` firm i's
   influence on block c's estimates (:mod:`surveysem.sem.influence`): the stacked
   estimating-equations sandwich of both steps.

An inadmissible solution (a block Heywood case, a corrected moment matrix that is not
positive definite) is reported in ``warnings`` and ``admissible``; it is never replaced.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from surveysem.errors import SurveySemError

MIN_ITEMS = 2
BLOCK_FIT_KEYS = ("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr")


@dataclass
class Block:
    """A construct's one-factor measurement model (``std.lv = TRUE``)."""

    construct: str
    items: list[str]
    loadings: np.ndarray
    theta: np.ndarray
    nu: np.ndarray
    vcov: np.ndarray  # covariance of (loadings, theta, nu), in that order
    converged: bool
    warnings: list = field(default_factory=list)
    fit: dict = field(default_factory=dict)  # chisq, df, CFI, TLI, RMSEA, SRMR of the block (the SAM fit gate)
    influence: np.ndarray | None = None  # n x params: each fitted row's influence on (loadings, theta, nu)

    @property
    def params(self) -> np.ndarray:
        return np.concatenate([self.loadings, self.theta, self.nu])

    def with_params(self, p: np.ndarray) -> "Block":
        k = len(self.items)
        return Block(self.construct, self.items, p[:k], p[k:2 * k], p[2 * k:], self.vcov, self.converged)

    @property
    def reliability(self) -> float:
        """Reliability of the Bartlett score with every item answered: 1 / (1 + omega)."""
        return float(1.0 / (1.0 + 1.0 / np.sum(self.loadings ** 2 / self.theta)))


def fit_block(construct: str, data: pd.DataFrame, items: list[str], max_iter: int = 500) -> Block:
    """One-factor model of ``items`` by ML (FIML with missing items), latent variance 1."""
    from surveysem.sem.api import fit_model

    x = data[items]
    missing = "fiml" if x.isna().to_numpy().any() else "listwise"
    res = fit_model(f"{construct} =~ " + " + ".join(items), x, missing=missing, std_lv=True, max_iter=max_iter)
    e = res.estimates.set_index(["lhs", "op", "rhs"])
    lam = np.array([e.loc[(construct, "=~", i), "est"] for i in items], dtype=float)
    th = np.array([e.loc[(i, "~~", i), "est"] for i in items], dtype=float)
    if missing == "fiml":
        nu = np.array([e.loc[(i, "~1", ""), "est"] for i in items], dtype=float)
    else:
        nu = x.mean().to_numpy(dtype=float)
    rows = [(construct, "=~", i) for i in items] + [(i, "~~", i) for i in items]
    V = _block_vcov(res, rows + ([(i, "~1", "") for i in items] if missing == "fiml" else []))
    if missing == "listwise":  # intercepts are the sample means: Var = S_jj / N, independent of the rest
        k = len(items)
        Vfull = np.zeros((3 * k, 3 * k))
        Vfull[:2 * k, :2 * k] = V
        Vfull[2 * k:, 2 * k:] = np.cov(x.to_numpy(dtype=float), rowvar=False, bias=True) / len(x)
        V = Vfull
    warns = list(res.warnings)
    if np.any(th <= 0):
        warns.append(f"{construct}: Heywood case (a residual variance <= 0) in its measurement model")
    fit = {k: res.fit[k] for k in BLOCK_FIT_KEYS if k in res.fit}
    if missing == "fiml":
        IF = block_influence(res, rows + [(i, "~1", "") for i in items])
    else:
        IF = block_influence(res, rows)
        IF = None if IF is None else np.column_stack([IF, mean_influence(x)])
    return Block(construct, list(items), lam, th, nu, V, bool(res.converged), warns, fit, IF)


def block_influence(res, rows) -> np.ndarray | None:
    """(n x len(rows)) each fitted row's influence on the listed free parameters of ``res``, or
    None when the fit has no finite covariance matrix."""
    from surveysem.sem.influence import case_influence

    if res.vcov is None or not np.all(np.isfinite(res.vcov)):
        return None
    return case_influence(res)[:, _parameter_index(res, rows)]


def mean_influence(x: pd.DataFrame) -> np.ndarray:
    """Each row's influence on the sample means (intercepts that are not model parameters)."""
    a = x.to_numpy(dtype=float)
    return (a - a.mean(axis=0)) / len(a)


def _block_vcov(res, rows) -> np.ndarray:
    """Covariance of the listed free parameters of a fit (rows of ``res.estimates``)."""
    if res.vcov is None:
        return np.full((len(rows), len(rows)), np.nan)
    idx = _parameter_index(res, rows)
    return np.asarray(res.vcov)[np.ix_(idx, idx)]


def _parameter_index(res, rows) -> list[int]:
    """Positions of the listed rows (lhs, op, rhs) of ``res.estimates`` among the free parameters."""
    e = res.estimates
    par = {(a, o, b): int(p) for a, o, b, p in zip(e.lhs, e.op, e.rhs, e.par)}
    return [par[r] for r in rows]


def bartlett_scores(block: Block, data: pd.DataFrame | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(scores, error variances) per firm from the items it answered; NaN when none. ``data``: a
    frame with the block's item columns, or those columns as an array already."""
    x = data if isinstance(data, np.ndarray) else data[block.items].to_numpy(dtype=float)
    obs = ~np.isnan(x)
    w = block.loadings / block.theta
    den = (obs * (w * block.loadings)).sum(axis=1)
    num = (np.where(obs, x - block.nu, 0.0) * w).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        f = np.where(den > 0, num / den, np.nan)
        omega = np.where(den > 0, 1.0 / den, np.nan)
    return f, omega


# --------------------------------------------------------------------------- corrected regression
@dataclass(frozen=True)
class Design:
    """Regressors: ``terms`` names, ``powers`` (term -> construct -> 1) of the latent ones."""

    terms: list[str]
    constructs: list[str]
    monomials: list[tuple[str, ...]]  # constructs multiplied in each term; () for observed columns


def make_design(constructs: list[str], interactions: list[str], controls: list[str]) -> Design:
    terms = ["Intercept"] + list(constructs) + list(interactions) + list(controls)
    mono = [()] + [(c,) for c in constructs] + [tuple(t.split(":")) for t in interactions] + [()] * len(controls)
    return Design(terms, list(constructs), mono)


def corrected_rows(design: Design, F: np.ndarray, Om: np.ndarray, Z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(W, A_i): corrected regressors per firm and the corrected cross-products per firm (n x k x k).

    ``F``: centred scores (n x constructs); ``Om``: their error variances (n x constructs,
    independent blocks) or covariances (n x constructs x constructs); ``Z``: intercept-free
    observed columns (n x controls), in design order. Every latent product is replaced by its
    unbiased estimator (:func:`~surveysem.propositions.latent_method.hermite_product`); with
    independent blocks that is ``f^2 -> f^2 - omega`` for a construct appearing twice."""
    from surveysem.propositions.latent_method import (
        diagonal_covariances,
        hermite_product,
    )

    rows = F.shape[:-1]  # (n,), or (B, n) for a batch of parameter sets
    Om = diagonal_covariances(Om) if Om.ndim == F.ndim else Om
    col = {c: j for j, c in enumerate(design.constructs)}
    idx = [tuple(col[c] for c in m) for m in design.monomials]
    observed, n_obs = [], 0
    for j, m in enumerate(design.monomials):
        if m or j == 0:
            observed.append(np.ones(rows[-1]))
        else:
            observed.append(Z[:, n_obs])
            n_obs += 1
    W = np.stack([observed[a] * hermite_product(F, Om, idx[a]) if idx[a] else np.broadcast_to(observed[a], rows)
                  for a in range(len(idx))], axis=-1)
    A = W[..., :, None] * W[..., None, :]
    for a in range(len(idx)):
        for b in range(a, len(idx)):
            if not idx[a] or not idx[b]:
                continue  # a product with an observed column (or the intercept) needs no correction
            A[..., a, b] = A[..., b, a] = observed[a] * observed[b] * hermite_product(F, Om, idx[a] + idx[b])
    return W, A


@dataclass
class LatentRegression:
    """Estimates of one latent regression (see the module docstring)."""

    terms: list[str]
    params: np.ndarray
    vcov: np.ndarray
    vcov_structural: np.ndarray  # the sandwich alone (measurement estimates taken as known)
    vcov_twostep: np.ndarray  # vcov_structural + G Sigma_meas G' (lavaan's se = "twostep" logic)
    nobs: int
    n_dropped: int
    outcome_sd: float
    latent_sd: dict
    r2: float
    admissible: bool
    converged: bool
    blocks: dict
    warnings: list

    @property
    def se(self) -> np.ndarray:
        return np.sqrt(np.clip(np.diag(self.vcov), 0, None))

    def std_all(self) -> np.ndarray:
        """Coefficients per latent SD (interactions per SD of each factor) and per outcome SD."""
        out = []
        for t, b in zip(self.terms, self.params):
            parts = t.split(":")
            s = np.prod([self.latent_sd[p] for p in parts]) if all(p in self.latent_sd for p in parts) else np.nan
            out.append(b * s / self.outcome_sd)
        return np.array(out)


def _scores(blocks: dict, items, constructs: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(scores n x K, error covariances n x K x K): from the joint model when ``blocks`` holds it
    (:mod:`~surveysem.propositions.latent_method`; ``items`` its columns as an array), else from independent
    one-factor blocks (``items``: construct -> its item columns as an array)."""
    from surveysem.propositions.latent_method import (
        JOINT,
        diagonal_covariances,
        joint_scores,
    )

    if JOINT in blocks:
        F, Om, _ = joint_scores(blocks[JOINT], items)
        return F, Om
    F, Om = [], []
    for c in constructs:
        f, om = bartlett_scores(blocks[c], items[c])
        F.append(f)
        Om.append(om)
    return np.column_stack(F), diagonal_covariances(np.column_stack(Om))


def _solve_at(design: Design, mm, items: np.ndarray, y: np.ndarray, Z: np.ndarray, params: np.ndarray) -> np.ndarray:
    """The estimates (B x k) of :func:`_solve` with the joint model ``mm`` at each row of ``params``."""
    from surveysem.propositions.latent_method import joint_scores_at

    # a bounded batch: the corrected cross-products take B x n x k x k floats
    size = max(1, int(4e6 // (len(y) * len(design.terms) ** 2)))
    out = []
    for lo in range(0, len(params), size):
        F, Om, _ = joint_scores_at(mm, items, params[lo:lo + size], check=False)  # rows identified at the fit
        F = F - F.mean(axis=-2, keepdims=True)
        W, Ai = corrected_rows(design, F, Om, Z)
        b = np.einsum("bik,i->bk", W, y)
        out.append(np.linalg.solve(Ai.sum(axis=1), b[..., None])[..., 0])
    return np.concatenate(out)


def _solve(design: Design, blocks: dict, items, y: np.ndarray, Z: np.ndarray):
    F, Om = _scores(blocks, items, design.constructs)
    F = F - F.mean(axis=0)
    W, Ai = corrected_rows(design, F, Om, Z)
    A = Ai.sum(axis=0)
    b = W.T @ y
    beta = np.linalg.solve(A, b)
    return beta, W, Ai, A, F, Om


def usable_rows(data: pd.DataFrame, y: str, constructs: dict[str, list[str]], controls) -> tuple[pd.DataFrame, int]:
    """(rows with ``y``, every control and at least one item of every construct; rows dropped)."""
    keep = data[[y] + list(controls)].notna().all(axis=1)
    for its in constructs.values():
        keep &= data[its].notna().any(axis=1)
    return data.loc[keep].reset_index(drop=True), int((~keep).sum())


def latent_regression(data: pd.DataFrame, y: str, constructs: dict[str, list[str]], interactions: list[str],
                      controls: list[str], *, max_iter: int = 500, blocks: dict | None = None,
                      method=None) -> LatentRegression:
    """Regress observed ``y`` on latent ``constructs`` (construct -> item columns), their
    ``interactions`` ("A:B") and observed ``controls`` (columns of ``data``). Rows missing ``y``
    or a control, or every item of a construct, are dropped (counted in ``n_dropped``).
    ``method``: a :class:`~surveysem.propositions.latent_method.MethodFactor` for one joint
    measurement model with the marker-based method factor; None for independent blocks."""
    for c, its in constructs.items():
        if len(its) < MIN_ITEMS:
            raise SurveySemError(f"construct {c!r} has {len(its)} item column(s); a latent factor needs >= {MIN_ITEMS}")
        missing = [i for i in its if i not in data.columns]
        if missing:
            raise SurveySemError(f"construct {c!r}: item column(s) {', '.join(missing)} not in the data")
    names = list(constructs)
    d, n_dropped = usable_rows(data, y, constructs, controls)
    design = make_design(names, interactions, controls)
    warnings: list[str] = []
    if len(d) <= len(design.terms) + 1:
        raise SurveySemError(f"{len(d)} complete firms for {len(design.terms)} coefficients")
    if blocks is None:
        blocks = _measurement(d, constructs, method, max_iter)
    d, kept = _identified_rows(blocks, d)
    n_unidentified = int((~kept).sum())
    if n_unidentified:
        n_dropped += n_unidentified
        warnings.append(f"{n_unidentified} firm(s) dropped: their answered items do not identify every capability "
                        "in the joint measurement model")
    if len(d) <= len(design.terms) + 1:
        raise SurveySemError(f"{len(d)} complete firms for {len(design.terms)} coefficients")
    for bl in blocks.values():
        warnings.extend(bl.warnings)
        if not bl.converged:
            warnings.append(f"{bl.construct}: its measurement model did not converge")
    yv = d[y].to_numpy(dtype=float)
    Z = d[list(controls)].to_numpy(dtype=float) if controls else np.zeros((len(d), 0))
    # each block's item columns as an array once: the Jacobian of measurement_vcov re-scores
    # hundreds of times (the power study's replications spent half their time selecting columns)
    from surveysem.propositions.latent_method import JOINT

    items = (d[blocks[JOINT].columns].to_numpy(dtype=float) if JOINT in blocks
             else {c: d[blocks[c].items].to_numpy(dtype=float) for c in design.constructs})
    beta, W, Ai, A, F, Om = _solve(design, blocks, items, yv, Z)
    n, k = W.shape
    # latent covariance (corrected) must be positive definite for an admissible solution
    lat = [j for j, m in enumerate(design.monomials) if len(m) == 1]
    veta = A[np.ix_(lat, lat)] / n - np.outer(A[0, lat], A[0, lat]) / n ** 2
    admissible = bool(np.linalg.eigvalsh(veta)[0] > 0) and all(np.all(bl.theta > 0) for bl in blocks.values())
    if not admissible:
        warnings.append("inadmissible solution: the corrected latent covariance matrix is not positive definite "
                        "or a residual variance is negative")
    psi = np.einsum("ijk,k->ij", Ai, beta) - W * yv[:, None]
    Ainv = np.linalg.inv(A)
    V_struct = Ainv @ (psi.T @ psi) @ Ainv * n / (n - k)
    G = measurement_jacobians(lambda bl: _solve(design, bl, items, yv, Z)[0], blocks,
                              at=lambda mm, P: _solve_at(design, mm, items, yv, Z, P))
    V_twostep = V_struct + measurement_vcov(G, blocks)
    # the structural step's influences (HC1-scaled, as V_struct), at the firms' rows of the blocks' fit
    d_struct = np.zeros((len(kept), k))
    d_struct[kept] = -psi @ Ainv.T * np.sqrt(n / (n - k))
    V, note = influence_vcov(d_struct, G, blocks)
    warnings.extend([note] if note else [])
    latent_sd = {c: float(np.sqrt(max(np.mean(F[:, j] ** 2 - Om[:, j, j]), 0.0))) for j, c in enumerate(names)}
    resid = yv - W @ beta
    r2 = 1.0 - float(np.mean(resid ** 2) - _error_part(design, beta, Om)) / float(np.var(yv))
    return LatentRegression(
        terms=design.terms, params=beta, vcov=V, vcov_structural=V_struct, vcov_twostep=V_twostep, nobs=n,
        n_dropped=n_dropped, outcome_sd=float(np.std(yv)), latent_sd=latent_sd, r2=r2, admissible=admissible,
        converged=all(bl.converged for bl in blocks.values()), blocks=blocks, warnings=warnings,
    )


def _measurement(d: pd.DataFrame, constructs: dict, method, max_iter: int) -> dict:
    """Step 1: independent one-factor blocks, or the joint model with the method factor."""
    if method is None:
        return {c: fit_block(c, d, its, max_iter) for c, its in constructs.items()}
    from surveysem.propositions.latent_method import JOINT, fit_joint_measurement

    return {JOINT: fit_joint_measurement(d, constructs, method, max_iter)}


def _identified_rows(blocks: dict, d: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """(rows whose answered items identify every factor of the joint model, which rows those are)."""
    from surveysem.propositions.latent_method import JOINT, joint_scores

    if JOINT not in blocks:
        return d, np.ones(len(d), dtype=bool)
    ok = joint_scores(blocks[JOINT], d)[2]
    return d.loc[ok].reset_index(drop=True), ok


def _error_part(design: Design, beta: np.ndarray, Om: np.ndarray) -> float:
    """Share of the residual mean square that is measurement error of the main-effect scores,
    ``beta' mean(Omega) beta`` (for a latent R2; interactions are left out, a small understatement)."""
    col = {c: j for j, c in enumerate(design.constructs)}
    main = [(t, col[m[0]]) for t, m in enumerate(design.monomials) if len(m) == 1]
    return float(sum(beta[s] * beta[t] * np.mean(Om[:, a, b]) for s, a in main for t, b in main))


def measurement_jacobians(estimate, blocks: dict, at=None) -> dict:
    """``{c: G_c}``: the central-difference Jacobian of ``estimate(blocks)`` (a vector) in block
    ``c``'s parameters, for the blocks with a finite covariance matrix. ``at(block, P)``: the
    estimates at every row of parameter sets ``P`` of the joint measurement model at once
    (the same differences, evaluated together)."""
    from surveysem.propositions.latent_method import JOINT
    from surveysem.sem.numdiff import central_jacobian, central_jacobian_at

    k = len(estimate(blocks))
    out = {}
    for c, bl in blocks.items():
        if not np.all(np.isfinite(bl.vcov)):
            continue
        if at is not None and c == JOINT:
            out[c] = central_jacobian_at(lambda P, bl=bl: at(bl, P), bl.params)
        else:
            out[c] = central_jacobian(lambda p, c=c, bl=bl: estimate({**blocks, c: bl.with_params(p)}), bl.params,
                                      nrow=k)
    return out


def measurement_vcov(jacobians: dict, blocks: dict) -> np.ndarray:
    """``sum_c G_c Sigma_c G_c'``: the uncertainty of every block's estimates carried into the
    second step with the two-step formula (``jacobians``: :func:`measurement_jacobians`)."""
    V = 0.0  # no block with a finite covariance: nothing to add
    for c, G in jacobians.items():
        V = V + G @ blocks[c].vcov @ G.T
    return V


def influence_vcov(d_struct: np.ndarray, jacobians: dict, blocks: dict) -> tuple[np.ndarray, str | None]:
    """(``sum_i d_i d_i'`` with ``d_i = d_struct_i + sum_c G_c IF_ci``, None): the second step's
    own influences (``d_struct``, n x k, rows those of the blocks' fit) plus each block's carried
    through its Jacobian. When a block lacks case influences for those rows: the two-step sum
    ``d_struct' d_struct + sum_c G_c Sigma_c G_c'`` and a note saying so."""
    D = d_struct.copy()
    for c, bl in blocks.items():
        if bl.influence is None or bl.influence.shape[0] != D.shape[0] or c not in jacobians:
            return d_struct.T @ d_struct + measurement_vcov(jacobians, blocks), (
                "SEs by the two-step formula (without the covariance of the two steps): "
                "a measurement model has no case influences")
        D += bl.influence @ jacobians[c].T
    return D.T @ D, None
