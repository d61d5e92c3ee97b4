"""Numerical derivatives: central differences with a step relative to each parameter's size
(lavaan's numerical derivatives are in ``lav_func_deriv.R``)."""

from __future__ import annotations

import numpy as np


def _steps(theta, step):
    return step * np.maximum(1.0, np.abs(np.asarray(theta, dtype=float)))


class NotEvaluable(ValueError):
    """The function cannot be evaluated on either side of a parameter."""


def central_jacobian(fun, theta, step=1e-5, nrow=None, one_sided=None):
    """Central-difference Jacobian (``nrow`` x len(theta); ``nrow`` defaults to len(theta)) of
    ``fun`` at ``theta``, step ``step * max(1, |theta_k|)`` for parameter ``k``.

    ``one_sided``: a list. Where ``fun`` returns None one step to one side of a parameter (it
    cannot be evaluated there, e.g. a covariance matrix that is no longer positive definite), the
    one-sided difference from the other side is taken and the parameter's index appended to the
    list; None on both sides raises :class:`NotEvaluable`."""
    q = len(theta)
    J = np.zeros((q if nrow is None else nrow, q))
    at = None
    for k, h in enumerate(_steps(theta, step)):
        e = np.zeros(q)
        e[k] = h
        up, down = fun(theta + e), fun(theta - e)
        if one_sided is None or (up is not None and down is not None):
            J[:, k] = (up - down) / (2 * h)
            continue
        if up is None and down is None:
            raise NotEvaluable(f"not evaluable a step of {h:.3g} to either side of parameter {k + 1}")
        at = fun(theta) if at is None else at
        J[:, k] = (up - at) / h if up is not None else (at - down) / h
        one_sided.append(k)
    return J


def central_jacobian_at(fun_at, theta, step=1e-5):
    """:func:`central_jacobian` of a function evaluated at many points at once: ``fun_at(P)``
    returns one row of values per row of ``P`` (the 2 x len(theta) shifted parameter sets), or
    None when it cannot evaluate them; then so does this."""
    theta = np.asarray(theta, dtype=float)
    h = _steps(theta, step)
    shift = np.diag(h)
    values = fun_at(np.concatenate([theta + shift, theta - shift]))
    if values is None:
        return None
    q = len(theta)
    return ((values[:q] - values[q:]) / (2 * h)[:, None]).T
