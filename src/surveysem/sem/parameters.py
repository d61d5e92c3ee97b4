"""Values of the parameter-table rows and of the defined (``:=``) parameters
(lavaan's ``lav_model_get_parameters`` and ``lav_partable_constraints_def``), and the
delta-method covariance of the defined parameters (lavaan's ``lav_model_vcov_se``:
``J V J'`` with the numerical Jacobian ``J`` of the definitions).

A definition is a Python expression over labels (checked by the parser: arithmetic and
``sqrt``, ``exp``, ``log``, ``abs`` only); each one may use those defined before it.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from surveysem.sem.numdiff import central_jacobian

# a delta-method variance below 0 by less than this share of its |J| |vcov| |J|' bound is rounding
ROUNDING_VARIANCE = 1e-8
FUNCTIONS = {"sqrt": np.sqrt, "exp": np.exp, "log": np.log, "abs": np.abs}


def label_values(spec, values_by_row):
    """label -> value of the first row carrying it."""
    env = {}
    for k, r in enumerate(spec.rows):
        if r.label and r.label not in env:
            env[r.label] = values_by_row[k]
    return env


def evaluate_definitions(spec, env):
    """Values of the defined parameters, in syntax order, given label values ``env``
    (NaN where a definition is undefined, e.g. a division by zero)."""
    out = []
    env = dict(env)
    for d in spec.definitions:
        try:
            with np.errstate(all="ignore"):
                v = float(eval(_compiled(d.expr), {"__builtins__": {}, **FUNCTIONS}, env))
        except (ZeroDivisionError, ValueError, OverflowError):
            v = float("nan")
        env[d.name] = v
        out.append(v)
    return np.array(out, float)


@lru_cache(maxsize=512)
def _compiled(expr: str):
    return compile(expr, "<def>", "eval")  # once: a definition is evaluated 2q + 1 times by the delta method


def row_values(spec, theta, eng=None):
    """Value of every parameter-table row: free ones from ``theta``, fixed ones their value;
    with the engine, fixed-x rows hold the covariates' sample moments."""
    out = np.array([theta[r.par] if r.free else (r.value if r.value is not None else np.nan) for r in spec.rows])
    if eng is not None:
        for k, r in enumerate(spec.rows):
            if r.exo and not r.free:
                gs = eng.groups[r.group - 1]
                out[k] = gs.S0[r.i, r.j] if r.mat == "S" else gs.m0[r.i]
    return out


def label_sources(spec) -> dict:
    """label -> (index in theta or None, value when fixed) of the first row carrying it: the
    labels of :func:`label_values` without building every row's value; cached on the spec (the
    delta method evaluates the definitions 2q + 1 times, a bootstrap once per resample)."""
    out = getattr(spec, "_label_sources", None)
    if out is None:
        out = {}
        for r in spec.rows:
            if r.label and r.label not in out:
                out[r.label] = (r.par, None) if r.free else (None, r.value if r.value is not None else np.nan)
        spec._label_sources = out
    return out


def defined_values(spec, theta):
    if not spec.definitions:
        return np.zeros(0)
    env = {lab: (theta[i] if i is not None else v) for lab, (i, v) in label_sources(spec).items()}
    return evaluate_definitions(spec, env)


def defined_vcov(spec, theta, vcov):
    """(values, delta-method covariance matrix) of the defined parameters."""
    dv = defined_values(spec, theta)
    J = central_jacobian(lambda t: defined_values(spec, t), theta, step=1e-6, nrow=len(dv))
    V = J @ vcov @ J.T
    # a definition held fixed by an active constraint (d := l5 - l6 with d > 0.5 at its bound) has
    # variance 0, which rounding may give as -1e-24: zero it (lavaan's SE is 0) while a negative
    # variance beyond rounding (relative to |J| |vcov| |J|', the central differences' 1e-10 included)
    # still gives a NaN SE
    scale = np.einsum("ij,jk,ik->i", np.abs(J), np.abs(vcov), np.abs(J))
    rounding = np.flatnonzero((np.diag(V) < 0) & (np.diag(V) > -ROUNDING_VARIANCE * scale))
    V[rounding, rounding] = 0.0
    return dv, V
