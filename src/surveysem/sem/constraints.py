"""Equality constraints between expressions and inequality constraints on the free parameters
(lavaan's ``lav_constraints``, ``con.jac`` and ``nlminb.constr``).

``a == b`` between two free labels is a tie in the parameter table (one parameter,
:mod:`surveysem.sem.partable`). Every other constraint of the syntax (``l2 == 2*l3``,
``a + b == 1``, ``a*b == c``, ``a > 0``, ``a < b``, ``a > 2*b``; labels and ``:=`` parameters)
stays a function of the free parameter vector:

* :class:`Constraints` – the values ``h(theta)`` (``lhs - rhs`` of ``==``; ``lhs - rhs`` of ``>``
  and ``rhs - lhs`` of ``<``, so feasible means ``>= 0``) and their Jacobian (central differences,
  as lavaan's ``numDeriv`` Jacobian); an inequality is active when its value is at most
  :data:`SLACK` (lavaan's ``inactive.idx``: value above ``slack = 1e-5``);
* :func:`constrained_optimize` – the minimum of the objective under the constraints: the
  unconstrained optimum as start, scipy's SLSQP (Kraft 1988) with the analytic gradient, then
  Fisher-scoring steps on the KKT system of the active constraints (lavaan: ``nlminb.constr``,
  an augmented Lagrangian around ``nlminb``, or ``nlminb`` with bounds; same optimum);
* :meth:`Constraints.projected_inverse` – the inverse information under the active constraints,
  ``Z (Z' I Z)^-1 Z'`` with ``Z`` a basis of the null space of their Jacobian: the top-left block
  of the inverse of lavaan's augmented information (``lav_model_information_augment_invert``,
  whose extra ``H'H`` and multiplier blocks do not change that block). A parameter pinned by an
  active constraint (``a > 1`` at ``a = 1``) gets SE 0, as in lavaan.

lavaan's ``npar`` and ``df`` count one parameter less per equality and none for inequalities
(``ModelSpec.npar_net``).
"""

from __future__ import annotations

import numpy as np
from scipy import linalg as sla

from surveysem.sem.numdiff import central_jacobian
from surveysem.sem.parameters import (
    FUNCTIONS,
    evaluate_definitions,
    label_values,
    row_values,
)

# lavaan (nlminb.constr, lav_model_estimate): an inequality with a value above this is inactive
SLACK = 1e-5
# KKT polishing: Fisher-scoring steps on the active set, until the largest step is below STEP_TOL
POLISH_MAX_ITER = 50
STEP_TOL = 1e-10


class Constraints:
    """The general constraints of a :class:`~surveysem.sem.partable.ModelSpec`."""

    def __init__(self, spec):
        self.spec = spec
        self.items = list(spec.general_constraints)
        self.is_eq = np.array([c.op == "==" for c in self.items], bool)
        self._code = [
            (compile(c.expr, "<constraint>", "eval"), compile(c.rhs_expr, "<constraint>", "eval")) for c in self.items
        ]

    def __bool__(self):
        return bool(self.items)

    def _env(self, theta):
        env = label_values(self.spec, row_values(self.spec, theta))
        if self.spec.definitions:
            env.update(zip((d.name for d in self.spec.definitions), evaluate_definitions(self.spec, env)))
        return env

    def values(self, theta):
        """``h(theta)``: equalities are 0 and inequalities >= 0 at a feasible point."""
        env = self._env(theta)
        out = np.empty(len(self.items))
        for n, (c, (lhs, rhs)) in enumerate(zip(self.items, self._code)):
            with np.errstate(all="ignore"):
                a = float(eval(lhs, {"__builtins__": {}, **FUNCTIONS}, env))
                b = float(eval(rhs, {"__builtins__": {}, **FUNCTIONS}, env))
            out[n] = b - a if c.op == "<" else a - b
        return out

    def jacobian(self, theta):
        return central_jacobian(self.values, theta, step=1e-6, nrow=len(self.items))

    def active(self, theta):
        """Mask of the equalities and of the inequalities at their bound (value <= SLACK)."""
        return self.is_eq | (self.values(theta) <= SLACK)

    def null_basis(self, theta):
        """Orthonormal basis ``Z`` of the directions the active constraints leave free (the null
        space of their Jacobian); None when none is active."""
        J = self.jacobian(theta)[self.active(theta)]
        return sla.null_space(J) if len(J) else None

    def projected_inverse(self, info, theta):
        """``Z (Z' info Z)^-1 Z'`` for the null space ``Z`` of the active constraints' Jacobian."""
        Z = self.null_basis(theta)
        if Z is None:
            return np.linalg.inv(info)
        return Z @ np.linalg.inv(Z.T @ info @ Z) @ Z.T

    def describe(self):
        return ", ".join(f"{c.expr} {c.op} {c.rhs_expr}" for c in self.items)


def _slsqp(eng, cons, theta0, max_iter):
    """scipy SLSQP from ``theta0``; returns (theta, success, iterations, message)."""
    from scipy.optimize import minimize

    def fun(t):
        f, g, _ = eng.evaluate(t, level=1)
        if not np.isfinite(f):
            return 1e10, np.zeros_like(t)
        return f, g

    kinds = [
        {"type": "eq", "fun": lambda t: cons.values(t)[cons.is_eq], "jac": lambda t: cons.jacobian(t)[cons.is_eq]},
        {"type": "ineq", "fun": lambda t: cons.values(t)[~cons.is_eq], "jac": lambda t: cons.jacobian(t)[~cons.is_eq]},
    ]
    kinds = [k for k, present in zip(kinds, (cons.is_eq.any(), (~cons.is_eq).any())) if present]
    out = minimize(fun, theta0, jac=True, method="SLSQP", constraints=kinds,
                   options={"maxiter": max_iter, "ftol": 1e-14})
    return out.x, bool(out.success), int(out.nit), out.message


def _polish(eng, cons, theta):
    """Fisher scoring on the KKT system of the constraints active at ``theta``:
    ``[I J'; J 0] [d; lambda] = [-g; -h]``, step halving when the objective is not finite."""
    active = cons.active(theta)
    q = len(theta)
    for it in range(POLISH_MAX_ITER):
        _f, g, info = eng.evaluate(theta, level=2)
        J = cons.jacobian(theta)[active]
        h = cons.values(theta)[active]
        K = np.block([[info, J.T], [J, np.zeros((len(J), len(J)))]])
        step = np.linalg.lstsq(K, -np.concatenate([g, h]), rcond=None)[0][:q]
        t = 1.0
        while t > 1e-6 and not np.isfinite(eng.evaluate(theta + t * step, level=0)[0]):
            t /= 2
        theta = theta + t * step
        if np.max(np.abs(t * step)) < STEP_TOL:
            return theta, it + 1
    return theta, POLISH_MAX_ITER


def constrained_optimize(eng, cons, theta0, max_iter=500):
    """Minimum of ``eng``'s objective under ``cons`` from ``theta0`` (see the module docstring).
    Returns (theta, converged, iterations, message or None)."""
    theta, ok, it0, _ = eng.optimize(theta0, max_iter=max_iter)
    start = theta if ok else np.asarray(theta0, float)
    theta, ok, it1, message = _slsqp(eng, cons, start, max_iter)
    if not ok:
        return theta, False, it0 + it1, f"constrained optimisation ({cons.describe()}) failed: {message}"
    theta, it2 = _polish(eng, cons, theta)
    vals = cons.values(theta)
    feasible = np.all(np.abs(vals[cons.is_eq]) < 1e-8) and np.all(vals[~cons.is_eq] > -1e-8)
    if not feasible:
        return theta, False, it0 + it1 + it2, f"constraints not satisfied at the solution ({cons.describe()})"
    return theta, True, it0 + it1 + it2, None
