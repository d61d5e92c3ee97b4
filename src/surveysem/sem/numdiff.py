"""Numerical derivatives: central differences with a step relative to each parameter's size
(lavaan's numerical derivatives are in ``lav_func_deriv.R``)."""

from __future__ import annotations

import numpy as np


def central_jacobian(fun, theta, step=1e-5, nrow=None):
    """Central-difference Jacobian (``nrow`` x len(theta); ``nrow`` defaults to len(theta)) of
    ``fun`` at ``theta``, step ``step * max(1, |theta_k|)`` for parameter ``k``."""
    q = len(theta)
    J = np.zeros((q if nrow is None else nrow, q))
    for k in range(q):
        h = step * max(1.0, abs(theta[k]))
        e = np.zeros(q)
        e[k] = h
        J[:, k] = (fun(theta + e) - fun(theta - e)) / (2 * h)
    return J
