"""Minimisers of the objective ``f = -logl / N`` (lavaan's ``lav_model_estimate``).

Each takes ``evaluate(theta, level)`` -> (f, gradient, expected information) of
:meth:`surveysem.sem.objective.Engine.evaluate` (level 0: f only; 1: + gradient; 2: + information):

* :func:`fisher_scoring` – Fisher scoring with step halving (the expected information as the
  scoring matrix; lavaan's default for ML is a quasi-Newton method, nlminb, with the same optimum);
* :func:`quasi_newton` – BFGS with a given initial curvature (Nocedal & Wright 2006, alg. 6.1),
  Armijo backtracking;
* :func:`trust_region` – scipy's ``trust-exact`` (Conn, Gould & Toint 2000) with the expected
  information as Hessian, polished by Fisher scoring;
* :func:`optimize` – the three in turn (see its docstring).
"""

from __future__ import annotations

import numpy as np

# Fisher scoring iterations before the quasi-Newton fallback takes over: Fisher scoring
# converges in well under 100 iterations when it converges at all; beyond that it crawls
# (ridges, near-singular information) at the price of an information matrix per iteration.
FISHER_MAX_ITER = 100
# trust-exact factorises a q x q matrix several times per iteration: only for small models
TRUST_REGION_MAX_PAR = 200


def optimize(evaluate, q, theta0, max_iter=500, tol=1e-10, fallback=True):
    """Fisher scoring with step halving (at most ``FISHER_MAX_ITER`` iterations, half as many
    above 150 free parameters); if that
    does not converge, BFGS from its last iterate with the Fisher information there as the
    initial curvature (at most ``max_iter`` iterations, gradient only); if that does not
    converge either and the model is small, a trust-region Newton method (scipy
    ``trust-exact`` with the Fisher information as Hessian) from ``theta0``, keeping the
    better converged solution. Converged when the largest gradient element or the largest
    parameter change falls below ``tol``. ``q``: number of free parameters.
    Returns (theta, converged, iterations, message or None)."""
    # each Fisher iteration of a large model forms a q x q information matrix: hand over sooner
    fisher_cap = FISHER_MAX_ITER if q <= 150 else FISHER_MAX_ITER // 2
    theta, converged, it, msg = fisher_scoring(evaluate, q, theta0, min(max_iter, fisher_cap), tol)
    if converged or not fallback or msg or max_iter < 20:
        return theta, converged, it, msg
    info = evaluate(theta, level=2)[2]
    if info is not None and np.all(np.isfinite(info)):
        scale = max(1.0, float(np.max(np.abs(np.diag(info)))))
        alt, ok, it_qn = quasi_newton(evaluate, theta, info + 1e-8 * scale * np.eye(q), max_iter=max_iter, tol=tol)
        it += it_qn
        if ok or evaluate(alt, level=0)[0] <= evaluate(theta, level=0)[0]:
            theta, converged = alt, ok
        if ok:
            return theta, True, it, None
    if q > TRUST_REGION_MAX_PAR:
        return theta, converged, it, msg
    alt, ok, it2 = trust_region(evaluate, q, theta0, max_iter, tol)
    if ok:
        f1 = evaluate(theta, level=0)[0]
        f2 = evaluate(alt, level=0)[0]
        if not np.isfinite(f1) or f2 <= f1 + 1e-12:
            return alt, True, it + it2, None
    return theta, converged, it, msg


def _halved_step(evaluate, theta, f, step, g):
    """The first point that does not increase f, halving the scoring step (from half of it) and
    then the gradient step (from all of it); None when there is none above 1e-12 of a step."""
    for direction in (step, g):
        t = 0.5 if direction is step else 1.0
        while t > 1e-12:
            new = theta - t * direction
            fn, _, _ = evaluate(new, level=0)
            if np.isfinite(fn) and fn <= f + 1e-14 * max(1.0, abs(f)):
                return new
            t *= 0.5
    return None


def fisher_scoring(evaluate, q, theta0, max_iter=500, tol=1e-10):
    """Fisher scoring from ``theta0``; converged when the largest parameter change falls below
    ``10 * tol`` or the largest gradient element below ``tol``.
    Returns (theta, converged, iterations, message or None)."""
    theta = np.array(theta0, float)
    f, g, info = evaluate(theta)
    if not np.isfinite(f):
        return theta, False, 0, "start values give a non-positive-definite implied covariance matrix"
    it = 0
    converged = False
    eye = np.eye(q)
    for it in range(1, max_iter + 1):
        try:
            step = np.linalg.solve(info + 1e-12 * eye, g)
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(info, g, rcond=None)[0]
        new = theta - step
        fn, gn, In = evaluate(new)
        if not (np.isfinite(fn) and fn <= f + 1e-14 * max(1.0, abs(f))):
            new = _halved_step(evaluate, theta, f, step, g)
            if new is None:
                converged = np.max(np.abs(g)) < max(tol * 1e3, 1e-7)
                break
            fn, gn, In = evaluate(new)
        change = np.max(np.abs(theta - new))
        theta, f, g, info = new, fn, gn, In
        if change < tol * 10 or np.max(np.abs(g)) < tol:
            converged = True
            break
    return theta, converged, it, None


def trust_region(evaluate, q, theta0, max_iter, tol):
    """scipy ``trust-exact`` from ``theta0`` with the expected information as Hessian (at most
    ``max_iter`` Hessians), then Fisher scoring. Returns (theta, converged, iterations)."""
    from scipy import optimize as sopt

    big = 1e10

    def fun(t):
        f = evaluate(t, level=0)[0]
        return f if np.isfinite(f) else big

    budget = [0]

    class _Stop(Exception):
        pass

    def jac(t):
        g = evaluate(t, level=1)[1]
        return g if g is not None and np.all(np.isfinite(g)) else np.zeros(q)

    def hess(t):
        budget[0] += 1
        if budget[0] > max_iter:
            raise _Stop
        info = evaluate(t, level=2)[2]
        if info is None or not np.all(np.isfinite(info)):
            return np.eye(q)
        return info + 1e-10 * np.eye(q)

    f0 = evaluate(np.asarray(theta0, float), level=2)
    if not (np.isfinite(f0[0]) and np.all(np.isfinite(f0[2]))):
        return np.asarray(theta0, float), False, 0
    try:
        r = sopt.minimize(
            fun,
            np.asarray(theta0, float),
            jac=jac,
            hess=hess,
            method="trust-exact",
            options=dict(maxiter=max_iter, gtol=max(tol, 1e-9)),
        )
    except (ValueError, np.linalg.LinAlgError, _Stop):
        return np.asarray(theta0, float), False, 0
    # polish with Fisher scoring (quadratic-ish near the optimum)
    theta2, ok, it2, msg = fisher_scoring(evaluate, q, r.x, 100, tol)
    return (theta2, ok and not msg, r.nit + it2)


def quasi_newton(evaluate, theta0, hessian, max_iter=100, tol=1e-7):
    """BFGS from ``theta0`` with ``hessian`` (of f = -logl/N) as the initial curvature.

    For refits near a known solution (bootstrap resamples start at the full-sample
    estimates, with the full-sample observed information as ``hessian``): the first steps
    are nearly Newton steps, BFGS updates take over the remaining curvature, and each
    iteration needs only f and the gradient (no information matrix). Armijo backtracking;
    converged when the largest parameter change falls below ``10 * tol`` or the largest
    gradient element below ``tol`` (the criterion of :func:`fisher_scoring`).
    Returns (theta, converged, iterations)."""
    theta = np.array(theta0, float)
    f, g, _ = evaluate(theta, level=1)
    if not np.isfinite(f):
        return theta, False, 0
    try:
        Hinv = np.linalg.inv(hessian)
    except np.linalg.LinAlgError:
        return theta, False, 0
    slack = 1e-13 * max(1.0, abs(f))
    for it in range(1, max_iter + 1):
        step = -(Hinv @ g)
        slope = float(g @ step)
        if not slope < 0:  # lost positive definiteness: restart from the initial curvature
            Hinv = np.linalg.inv(hessian)
            step = -(Hinv @ g)
            slope = float(g @ step)
        t = 1.0
        while True:
            new = theta + t * step
            fn, gn, _ = evaluate(new, level=1)
            if np.isfinite(fn) and fn <= f + 1e-4 * t * slope + slack:
                break
            t *= 0.5
            if t < 1e-10:
                return theta, bool(np.max(np.abs(g)) < max(tol * 1e3, 1e-7)), it
        s_k, y_k = new - theta, gn - g
        sy = float(s_k @ y_k)
        if sy > 1e-12 * np.linalg.norm(s_k) * np.linalg.norm(y_k):
            rho = 1.0 / sy
            Hy = Hinv @ y_k
            # H - rho (Hy s' + s Hy') + (rho^2 y'Hy + rho) s s', as two rank-one updates
            c = rho * rho * float(y_k @ Hy) + rho
            Hinv = Hinv + np.outer(s_k, c * s_k - rho * Hy) - rho * np.outer(Hy, s_k)
        change = np.max(np.abs(s_k))
        theta, f, g = new, fn, gn
        # a tiny step after backtracking is no sign of convergence, a tiny full step is
        if (t == 1.0 and change < tol * 10) or np.max(np.abs(g)) < tol:
            return theta, True, it
    return theta, False, max_iter
