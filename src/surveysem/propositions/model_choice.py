"""Which P4 model the verdict is read from, by a rule stated before the data are seen.

``verdict_rule.p4_model`` is the theory model (default (b), the process chain), and the bootstrap
runs for it (``bootstrap.model`` must agree when ``p4_ci: bootstrap``). The verdict never switches
to another model after fitting, since its bootstrap was not run; ``verdict_rule.p4_model_choice``
only decides whether the theory model may be judged at all:

``fixed``                 the theory model, whatever the comparisons say (the rule before issue 17);
``theory_unless_worse``   the theory model, unless it fits significantly worse than the less
                          restricted model it is nested in (the chi-square difference test of
                          ``p4_models.json`` ``comparisons`` at ``p4_model_choice.alpha``); then
                          P4a-c are "not assessable (the theory model fits significantly worse
                          than (a): ...)".
"""

from __future__ import annotations

import math

# the model each theory model is nested in (p4.NESTED: (b) within (a), (a) within (c))
LESS_RESTRICTED = {"b": "a", "a": "c"}
NOT_ASSESSABLE_CHOICE = "not assessable (model choice)"


def _p_text(p: float) -> str:
    return "p < .001" if p < 0.001 else f"p = {p:.3f}".replace("0.", ".", 1)


def comparison_text(comp: dict) -> str:
    """ "Δχ²(3) = 66.95, p < .001" of one row of ``comparisons``."""
    return f"Δχ²({int(comp['delta_df'])}) = {comp['delta_chisq']:.2f}, {_p_text(float(comp['pvalue']))}"


def find_comparison(comparisons: list[dict], theory: str) -> dict | None:
    general = LESS_RESTRICTED.get(theory)
    for comp in comparisons or []:
        if comp.get("restricted") == theory and comp.get("general") == general:
            return comp
    return None


def choose_p4_model(choice: dict, theory: str, comparisons: list[dict]) -> tuple[bool, str]:
    """(assessable, why in words) of the theory model under the rule ``choice`` ({rule, alpha})."""
    if choice["rule"] == "fixed":
        return True, f"model ({theory}) by verdict_rule.p4_model (p4_model_choice: fixed)"
    general = LESS_RESTRICTED.get(theory)
    comp = find_comparison(comparisons, theory)
    p = comp.get("pvalue") if comp else None
    if comp is None or not isinstance(p, (int, float)) or not math.isfinite(p):
        return True, (f"theory model ({theory}) used: no chi-square difference test against ({general}) "
                      f"(model not fitted or not estimable), so the rule could not be applied")
    alpha = float(choice["alpha"])
    if p < alpha:
        return False, (f"the theory model ({theory}) fits significantly worse than ({general}): "
                       f"{comparison_text(comp)} (alpha {alpha})")
    return True, (f"theory model ({theory}) used: not significantly worse than ({general}), "
                  f"{comparison_text(comp)} (alpha {alpha})")


def choice_text(choice: dict, theory: str) -> str:
    """The model-choice rule in words, for the verdict rule."""
    if choice["rule"] == "fixed":
        return f"P4 model: ({theory}) as set (verdict_rule.p4_model, p4_model_choice: fixed)."
    general = LESS_RESTRICTED.get(theory, "?")
    return (f"P4 model: the theory model ({theory}) unless it fits significantly worse than ({general}), "
            f"the model it is nested in (chi-square difference p < {choice['alpha']}); then P4a-c are "
            f"'{NOT_ASSESSABLE_CHOICE}' (the verdict never switches to a model whose bootstrap was not run).")
