"""Partial-invariance search of the measurement stage (``measurement.partial_invariance``).

When a level of the invariance sequence fails (metric against configural, scalar against the
accepted metric model), the search frees one equality-constrained parameter at a time (lavaan's
``group.partial``) and refits:

* the level's parameters: loadings (``f=~item``) for metric, intercepts (``item~1``) for scalar;
  the scalar models keep the loadings freed at the metric level free;
* the parameter freed is the one with the largest score test of its equality across the groups
  (lavaan's ``lavTestScore(fit, release = <its constraints>)``; with two groups that is the
  univariate test of lavTestScore, with G groups it releases the G - 1 constraints together,
  df = G - 1); FIML and MLR fits get lavaan's ordinary test (expected information);
* a parameter is eligible only if freeing it leaves at least ``min_invariant_items`` invariant
  indicators of its factor (for loadings the marker, fixed at 1 in every group, counts: Byrne,
  Shavelson & Muthén 1989; Steenkamp & Baumgartner 1998) and the level's freed parameters stay
  within ``max_free_share`` of its constrained parameters.

A level fails by ``criterion``: ``delta_fit`` (ΔCFI < ``delta_cfi`` or ΔRMSEA > ``delta_rmsea``,
robust indices for MLR; Chen 2007) or ``chisq`` (the difference test's p < ``alpha``). The search
stops at the first of: the partial model no longer fails; the largest eligible score test is
not significant at ``alpha`` (divided by the number of eligible parameters with ``adjust:
bonferroni``); no eligible parameter is left; a refit fails or does not converge. The scalar
search runs only when metric invariance holds, fully or partially.

:func:`partial_search` returns one row per model fitted (``PARTIAL_COLUMNS``); the freed
parameters' items are the non-invariant ones.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from surveysem.errors import SurveySemError

LEVEL_OPS = {"metric": "=~", "scalar": "~1"}
LEVEL_EQUAL = {"configural": (), "metric": ("loadings",), "scalar": ("loadings", "intercepts")}
PARTIAL_COLUMNS = ["scope", "level", "step", "freed", "construct", "item", "score_chisq", "score_df", "score_p",
                   "alpha_step", "chisq", "df", "cfi", "rmsea", "delta_cfi", "delta_rmsea", "delta_chisq", "delta_df",
                   "delta_p", "fails", "converged", "stop"]
FIT_ERRORS = (SurveySemError, np.linalg.LinAlgError, ValueError, FloatingPointError)


def parameter_name(row) -> str:
    """lavaan's ``group.partial`` name of a parameter-table row: ``f=~x3``, ``x3~1``."""
    return f"{row.lhs}~1" if row.op == "~1" else f"{row.lhs}{row.op}{row.rhs}"


def parameter_tests(res, op: str) -> pd.DataFrame:
    """Per equality-constrained parameter with operator ``op``: the score test of releasing all
    its constraints (``parameter``, ``X2``, ``df``, ``p_value``), largest first."""
    from surveysem.sem.score_tests import constraints

    spec = res.context[0]
    sets: dict[str, list[int]] = {}
    for n, (_, _, k1, _) in enumerate(constraints(spec)):
        if spec.rows[k1].op == op:
            sets.setdefault(parameter_name(spec.rows[k1]), []).append(n)
    if not sets:
        return pd.DataFrame(columns=["parameter", "X2", "df", "p_value"])
    tests = res.released_score_tests(list(sets.values()))
    out = pd.DataFrame([{"parameter": k, "X2": x2, "df": df, "p_value": p} for k, (x2, df, p) in zip(sets, tests)])
    return out.sort_values("X2", ascending=False, kind="stable").reset_index(drop=True)


def fails(delta: dict, rule: dict) -> bool:
    """Whether a level fails against its reference by ``rule["criterion"]`` (module docstring)."""
    if rule["criterion"] == "chisq":
        return bool(delta["delta_p"] < rule["alpha"])
    cfi, rmsea = delta["delta_cfi"], delta["delta_rmsea"]
    return bool(cfi < rule["delta_cfi"] or rmsea > rule["delta_rmsea"])


def _item_factor(scales: dict[str, list[str]]) -> dict[str, str]:
    return {i: f for f, items in scales.items() for i in items}


def _invariant_left(name: str, op: str, scales, freed: list[str]) -> int:
    """Invariant indicators of ``name``'s factor after freeing it too (the marker counts for loadings)."""
    factor = name.split("=~")[0] if op == "=~" else _item_factor(scales)[name[:-2]]
    items = scales[factor]
    if op == "=~":  # the marker (items[0]) plus the constrained loadings other than this one
        return len([i for i in items[1:] if f"{factor}=~{i}" not in freed])
    return len([i for i in items if f"{i}~1" not in freed]) - 1


def _eligible(tests: pd.DataFrame, op, scales, freed, n_level, rule) -> pd.DataFrame:
    if len(freed) + 1 > math.floor(rule["max_free_share"] * n_level + 1e-9):
        return tests.iloc[0:0]
    ok = [_invariant_left(p, op, scales, freed) >= rule["min_invariant_items"] for p in tests["parameter"]]
    return tests[ok]


def _row(scope, level, step, res, delta, failing, **extra) -> dict:
    f = res.fit
    key = "_robust" if res.estimator == "MLR" else ""
    return dict(scope=scope, level=level, step=step, chisq=f["chisq"], df=f["df"], cfi=f["cfi" + key],
                rmsea=f["rmsea" + key], delta_cfi=delta["delta_cfi"], delta_rmsea=delta["delta_rmsea"],
                delta_chisq=delta["delta_chisq"], delta_df=delta["delta_df"], delta_p=delta["delta_p"],
                fails=failing, converged=res.converged, **extra)


def _describe(name: str, op: str, scales) -> tuple[str, str]:
    """(construct, item) of a freed parameter."""
    if op == "=~":
        factor, item = name.split("=~")
        return factor, item
    return _item_factor(scales)[name[:-2]], name[:-2]


def search_level(fit, scope, level, reference, scales, base_partial, rule):
    """The search at ``level`` (``fit(level, group_partial)`` fits a model) against the fitted
    ``reference``: (rows, parameters freed, whether the level holds at the end, the last model)."""
    from surveysem.sem.invariance import compare

    op = LEVEL_OPS[level]
    freed: list[str] = []
    res = fit(level, tuple(base_partial))
    delta = compare(reference, res)
    failing = fails(delta, rule)
    rows = [_row(scope, level, 0, res, delta, failing, freed="", construct="", item="")]
    n_level = None  # the level's constrained parameters, counted in its full model
    while failing:
        tests = parameter_tests(res, op)
        n_level = len(tests) if n_level is None else n_level
        tests = _eligible(tests, op, scales, freed, n_level, rule)
        if not len(tests):
            rows[-1]["stop"] = (f"no parameter left to free (at most {rule['max_free_share']:g} of {n_level} and "
                                f"{rule['min_invariant_items']} invariant items per factor)")
            break
        best = tests.iloc[0]
        alpha = rule["alpha"] / len(tests) if rule["adjust"] == "bonferroni" else rule["alpha"]
        if not best["p_value"] < alpha:
            rows[-1]["stop"] = (f"largest score test not significant ({best['parameter']}: p = {best['p_value']:.3g}"
                                f" ≥ α = {alpha:.3g})")
            break
        freed.append(best["parameter"])
        try:
            res = fit(level, tuple(base_partial) + tuple(freed))
        except FIT_ERRORS as exc:
            rows[-1]["stop"] = f"refit freeing {best['parameter']} failed: {exc}"
            freed.pop()
            break
        delta = compare(reference, res)
        failing = fails(delta, rule)
        construct, item = _describe(best["parameter"], op, scales)
        rows.append(_row(scope, level, len(freed), res, delta, failing, freed=best["parameter"], construct=construct,
                         item=item, score_chisq=best["X2"], score_df=best["df"], score_p=best["p_value"],
                         alpha_step=alpha))
        if not res.converged:
            rows[-1]["stop"] = "the partial model did not converge"
            break
    if not failing and "stop" not in rows[-1]:
        rows[-1]["stop"] = "holds" if len(rows) == 1 else "the partial model no longer fails"
    return rows, freed, (not failing) and bool(res.converged), res


def partial_search(syntax, data, group, scales, scope, rule, *, estimator="ML", missing="listwise") -> pd.DataFrame:
    """The metric and (when metric holds) scalar searches of one invariance scope (one row per
    model fitted, ``PARTIAL_COLUMNS``)."""
    from surveysem.sem.invariance import fit_level

    def fit(level, partial):
        return fit_level(syntax, data, group, LEVEL_EQUAL[level], estimator=estimator, missing=missing,
                         group_partial=partial)

    configural = fit("configural", ())
    rows, freed, holds, metric = search_level(fit, scope, "metric", configural, scales, (), rule)
    if holds:
        rows += search_level(fit, scope, "scalar", metric, scales, freed, rule)[0]
    else:
        rows[-1]["stop"] = rows[-1].get("stop", "") + "; scalar search not run: metric invariance does not hold"
    return pd.DataFrame(rows).reindex(columns=PARTIAL_COLUMNS)
