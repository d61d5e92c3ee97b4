"""Settings of the propositions stage, read when the workflow is parsed.

Kept apart from :mod:`surveysem.propositions.stage` (the steps, which need numpy, pandas and the
estimators) so that parsing the workflow, which happens on every ``snakemake`` call, imports
nothing heavy.
"""

from __future__ import annotations

from surveysem.errors import SurveySemError
from surveysem.propositions.hypotheses import parse_hypotheses, verdict_rule

P4_DEFAULTS = {"estimator": "ML", "missing": "auto", "models": ["a", "b", "c"], "diversification_correction": 0.5,
               "intensity_clip": 0.01, "regions": 12, "multigroup_min_n": 100, "typology_min_group_n": 30,
               "level": 0.95}
BOOT_DEFAULTS = {"B": 2000, "chunks": 2, "seed": None, "model": "b", "max_iter": 500, "level": 0.95, "em_tol": 1e-4,
                 "tol": 1e-6}


def p4_config(config: dict) -> dict:
    return {**P4_DEFAULTS, **(config.get("p4") or {})}


def boot_config(config: dict) -> dict:
    cfg = {**BOOT_DEFAULTS, **(config.get("bootstrap") or {})}
    if cfg["seed"] is None:
        cfg["seed"] = int(config.get("study", {}).get("seed", 0))
    return cfg


def stage_config(config: dict) -> dict:
    """The config sections this stage reads (passed to rules as params so edits trigger reruns)."""
    return {
        "hypotheses": config.get("hypotheses"),
        "verdict_rule": verdict_rule(config),
        "p4": p4_config(config),
        "bootstrap": boot_config(config),
        "data": {"missing": config.get("data", {}).get("missing"), "synthetic": config.get("data", {}).get("synthetic")},
    }


def check_settings(config: dict, config_name: str = "config/config.yaml") -> None:
    """Cross-section consistency of verdict_rule, bootstrap and p4."""
    rule, bc, p4c = verdict_rule(config), boot_config(config), p4_config(config)
    if rule["p4_ci"] == "bootstrap" and bc["model"] != rule["p4_model"]:
        raise SurveySemError(f"bootstrap.model: {bc['model']!r} but verdict_rule.p4_model is {rule['p4_model']!r}; "
                             f"they must agree when verdict_rule.p4_ci is bootstrap", file=config_name)
    if rule["p4_model"] not in p4c["models"]:
        raise SurveySemError(f"verdict_rule.p4_model: model {rule['p4_model']!r} is not fitted (p4.models: "
                             f"{p4c['models']})", file=config_name)


def workflow_hypotheses(config: dict, scales_dir=None) -> tuple[list[str], bool]:
    """For the rules file at parse time: validate ``hypotheses`` (one line and exit 1 on a problem)
    and return (ids of the regression hypotheses, whether a SEM hypothesis exists)."""
    import sys

    try:
        known = None
        if scales_dir is not None:
            try:
                from surveysem.instrument.scales import load_instrument

                known = list(load_instrument(scales_dir, regions=False).constructs)
            except SurveySemError:
                known = None  # the instrument rules report their own problems
        hyps = parse_hypotheses(config.get("hypotheses"), known)
        check_settings(config)
    except SurveySemError as err:
        print(f"surveysem: error: {err.one_line()}", file=sys.stderr)
        raise SystemExit(1) from None
    return [h.id for h in hyps if not h.is_sem], any(h.is_sem for h in hyps)


def verdict_inputs(ids, has_sem: bool, cfg: dict) -> dict:
    """Inputs of the verdicts rule (regression results, and the P4 files when there is a SEM hypothesis)."""
    inputs = {
        "regressions": [f"results/propositions/regression/{h}.json" for h in ids],
        "ingest": "results/clean/ingest.json",
    }
    if has_sem:
        inputs["p4"] = "results/propositions/p4_models.json"
        inputs["p4_paths"] = "results/propositions/p4_paths.csv"
        if cfg["verdict_rule"]["p4_ci"] == "bootstrap":
            inputs["bootstrap"] = "results/propositions/p4_bootstrap.csv"
    return inputs
