"""The paper's typology: do P1's capabilities matter more in Group 1, P2's in Group 2, P3's in Group 3?

For a hypothesis with ``typology_group: g`` the primary model is refitted with a dummy
``G = 1[group == g]`` and the products capability x G::

    outcome ~ capabilities + G + capabilities:G + controls

(capabilities z-scored as in :mod:`surveysem.propositions.regression`; the controls that define the groups,
``tech_intensity`` and ``customer_type``, are left out because they are collinear with G).
A joint robust Wald test of the product terms asks whether the capability slopes differ in
group g; each product is also tested one-sided in the direction of the capability's expected
sign (a steeper slope in group g). Firms without a group are left out. The test is skipped,
with the reason written, when group g or the other firms number fewer than ``min_group_n``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from surveysem.errors import SurveySemError
from surveysem.propositions.regression import design, fit_model

GROUP_DEFINING = ("tech_intensity", "customer_type")


def analyse_typology(frame: pd.DataFrame, hyp, *, trials: int = 12, min_group_n: int = 30,
                     level: float = 0.95, not_estimable: str | None = None) -> dict:
    """Capability x group interaction model for one hypothesis; returns dict(summary, terms, warnings).
    ``not_estimable``: why the model cannot be fitted (the pre-check of degenerate data)."""
    g = hyp.typology_group
    base = {"proposition": hyp.id, "target_group": g, "family": hyp.family}
    if g is None:
        return {"summary": None, "terms": [], "warnings": []}
    if "group" not in frame.columns:
        return {"summary": {**base, "status": "skipped", "reason": "no group column in the firm outcomes"},
                "terms": [], "warnings": []}
    group = pd.to_numeric(frame["group"], errors="coerce")
    sub = frame.loc[group.notna()].copy()
    gd = (pd.to_numeric(sub["group"]) == g).astype(float)
    n_in, n_out = int(gd.sum()), int((1 - gd).sum())
    base.update(n_target=n_in, n_other=n_out)
    if min(n_in, n_out) < min_group_n:
        reason = (f"group {g} has {n_in} firms and the other groups {n_out}; "
                  f"at least {min_group_n} each are needed (p4.typology_min_group_n)")
        return {"summary": {**base, "status": "skipped", "reason": reason}, "terms": [], "warnings": [f"{hyp.id} typology: skipped: {reason}"]}
    try:
        if not_estimable:
            raise SurveySemError(not_estimable)
        y, X, caps, ctrls, warn = design(sub, hyp, with_interactions=False, extra={"G": gd},
                                         drop_controls=GROUP_DEFINING)
        prods = []
        for c in caps:
            X[f"{c}:G"] = X[c] * X["G"]
            prods.append(f"{c}:G")
        fit = fit_model(y, X, hyp.family, hyp.se, trials, hyp.overdispersion)
    except SurveySemError as err:
        reason = f"not estimable: {err.one_line()}"
        return {"summary": {**base, "status": "skipped", "reason": reason}, "terms": [], "warnings": [f"{hyp.id} typology: {reason}"]}
    wd = fit.wald(prods)
    ci = fit.conf_int(level)
    terms = []
    expected = {s.term: s.expected for s in hyp.subs}
    for c, pcol in zip(caps, prods):
        j = fit.terms.index(pcol)
        s_in, se_in = fit.lincom({c: 1.0, pcol: 1.0})
        s_out, se_out = fit.lincom({c: 1.0})
        terms.append({
            "proposition": hyp.id, "target_group": g, "capability": c, "term": pcol,
            "est": fit.params[j], "se": fit.se[j], "ci_lower": ci[j, 0], "ci_upper": ci[j, 1],
            "p_two_sided": fit.pvalues[j], "expected": expected.get(c, "+"),
            "p_one_sided": fit.p_one_sided(pcol, expected.get(c, "+")),
            "slope_target_group": s_in, "slope_target_group_se": se_in,
            "slope_other_groups": s_out, "slope_other_groups_se": se_out,
        })
    n_more = sum(1 for t in terms if np.sign(t["est"]) == (1 if t["expected"] == "+" else -1))
    summary = {**base, "status": "estimated", "reason": "", "n": fit.nobs, "family_used": fit.family_used,
               "wald_chi2": wd["chi2"], "wald_df": wd["df"], "wald_p": wd["pvalue"],
               "n_steeper_in_target": n_more, "n_capabilities": len(terms),
               "controls": " ".join(ctrls)}
    return {"summary": summary, "terms": terms, "warnings": [f"{hyp.id} typology: {w}" for w in warn + fit.warnings]}
