"""Checks of the propositions stage's settings, run when the workflow is parsed.

Kept apart from :mod:`surveysem.propositions.steps` (which needs numpy, pandas and the
estimators) so that parsing the workflow, which happens on every ``snakemake`` call, imports
nothing heavy.
"""

from __future__ import annotations


from surveysem.errors import SurveySemError, exit_with
from surveysem.propositions.hypotheses import parse_hypotheses
from surveysem.propositions.model_choice import LESS_RESTRICTED


def check_settings(config: dict, config_name: str = "config/config.yaml") -> None:
    """Cross-section consistency of ``verdict_rule``, ``bootstrap`` and ``p4`` (validated config)."""
    rule, bc, p4c = config["verdict_rule"], config["bootstrap"], config["p4"]
    if rule["p4_ci"] == "bootstrap" and bc["model"] != rule["p4_model"]:
        raise SurveySemError(f"bootstrap.model: {bc['model']!r} but verdict_rule.p4_model is {rule['p4_model']!r}; "
                             f"they must agree when verdict_rule.p4_ci is bootstrap", file=config_name)
    if rule["p4_model"] not in p4c["models"]:
        raise SurveySemError(f"verdict_rule.p4_model: model {rule['p4_model']!r} is not fitted (p4.models: "
                             f"{p4c['models']})", file=config_name)
    # the model-choice rule compares the theory model with the model it is nested in: both fitted
    general = LESS_RESTRICTED.get(rule["p4_model"])
    if rule["p4_model_choice"]["rule"] == "theory_unless_worse" and general not in p4c["models"]:
        raise SurveySemError(f"verdict_rule.p4_model_choice.rule: theory_unless_worse compares model "
                             f"({rule['p4_model']}) with ({general}), which p4.models ({p4c['models']}) does not "
                             f"fit; add it or use fixed", file=config_name)


def workflow_hypotheses(config: dict, scales_dir=None) -> tuple[list[str], str | None, list[str]]:
    """For the rules file at parse time: validate ``scales`` and ``hypotheses`` (one line and exit 1 on a problem)
    and return (ids of the hypotheses with composite GLMs, id of the SEM hypothesis or None, ids
    of the P1-P3 style hypotheses with a latent estimator, model hypotheses included)."""
    try:
        known, processes = None, None
        if scales_dir is not None:
            from surveysem.instrument.analysed import analysed_instrument, capability_processes
            from surveysem.instrument.scales import load_instrument

            try:
                fielded = load_instrument(scales_dir, regions=False)
            except SurveySemError:
                fielded = None  # the instrument rules report their own problems
            if fielded is not None:
                inst = analysed_instrument(fielded, config.get("scales"))
                known, processes = list(inst.constructs), capability_processes(inst)
        hyps = parse_hypotheses(config["hypotheses"], known, processes=processes)
        check_settings(config)
    except SurveySemError as err:
        exit_with(err)
    sem = [h.id for h in hyps if h.is_sem]
    regression = [h for h in hyps if not h.is_sem]
    # composite GLMs for predictor lists only; a model hypothesis has latent estimates alone
    return ([h.id for h in regression if not h.is_paths], (sem[0] if sem else None),
            [h.id for h in regression if h.estimator != "composite_glm"])
