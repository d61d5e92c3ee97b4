"""surveysem's own lavaan-compatible SEM engine (numpy/scipy).

Main entry point::

    from surveysem.sem import fit_model
    res = fit_model(syntax, data, estimator="ML"|"MLR", missing="listwise"|"fiml",
                    group=None, group_equal=(), std_lv=False)
    res.fit, res.estimates, res.r_squared, res.warnings, res.converged, res.to_json()

Estimates follow lavaan 0.6 (``sem()``/``cfa()`` defaults): N-divisor likelihood, ML
standard errors from the expected information (complete data) or the observed
information (FIML), MLR = Huber-White sandwich with observed information and the
Yuan-Bentler (Mplus variant) scaled test, robust CFI/TLI/RMSEA, SRMR (Bentler, with
means when there is a mean structure), ``:=`` parameters with delta-method SEs.

Bootstrap surface (fast refits that reuse the parsed model and its matrices)::

    from surveysem.sem import prepare_model
    pm = prepare_model(syntax, columns=list(df.columns), estimator="ML")
    res = pm.fit(df)                       # same as fit_model
    vec = pm.refit_estimates(df.iloc[idx], start=res.free_params)
    # vec = [free parameters (len res.free_params),
    #        defined (:=) parameters (in syntax order),
    #        std_all of every row of res.estimates (incl. := rows)]
    # all NaN when the refit does not converge.

Resampling itself is left to the caller (``numpy.random.default_rng(seed)``), so results
are deterministic for a given seed; ``refit_estimates`` itself is deterministic.
For multi-group models pass ``group=`` and ``group_levels=`` to ``prepare_model``.
"""

from surveysem.sem.api import PreparedModel, SEMResult, fit_model, prepare_model

__all__ = ["fit_model", "prepare_model", "PreparedModel", "SEMResult", "invariance_sequence"]


def __getattr__(name):
    if name == "invariance_sequence":
        from surveysem.sem.invariance import invariance_sequence

        return invariance_sequence
    raise AttributeError(name)
