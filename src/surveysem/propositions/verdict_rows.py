"""The verdict rows of the propositions stage: every sub-hypothesis judged by the verdict rule.

Used by ``propositions_verdicts`` (:func:`surveysem.propositions.steps.verdicts`) on the fitted
results, and by the power study (:mod:`surveysem.power.replicate`) on every replication, so both
judge with the same code: P1-P3 style hypotheses from their latent estimator or composite GLM
with the fit gate (:func:`regression_verdict_rows`), P4 from its SEM with the bootstrap or Wald
CI, the fit gate and the model-choice rule (:func:`p4_verdict_rows`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from surveysem import resampling
from surveysem.propositions.hypotheses import Hypothesis


def _failed_warning(B: int, n_ok: int, rule: dict) -> str:
    """The warning a bootstrap verdict carries when too many resamples failed: the CI comes from
    the survivors, which can be a selected subset (the hard resamples are the ones that fail)."""
    share = (B - n_ok) / B if B else 0.0
    limit = float(rule.get("bootstrap_max_failed", 0.05))
    if share <= limit:
        return ""
    return (f"; warning: {B - n_ok} of {B} resamples ({share:.1%}) failed or did not converge, more than "
            f"{limit:.0%} (verdict_rule.bootstrap_max_failed): the CI rests on the others")


def _p4_gate(rule: dict, p4: dict) -> tuple[str, str, bool, str]:
    """(fit gate outcome, its words, assessable by the model-choice rule, why) of the P4 verdict model."""
    from surveysem.propositions.fit_gate import sem_gate
    from surveysem.propositions.model_choice import choose_p4_model

    model = rule["p4_model"]
    fit = p4.get("models", {}).get(model, {}).get("fit")
    outcome, note = sem_gate(fit, rule["fit_gate"], f"P4 model ({model})")
    assessable, why = choose_p4_model(rule["p4_model_choice"], model, p4.get("comparisons") or [])
    return outcome, note, assessable, why


def _p4_final_verdict(verdict: str, outcome: str, assessable: bool, action: str) -> str:
    """The rule's verdict after the fit gate and the model-choice rule (which comes first: a model
    the data reject against its nesting model is not judged, however it fits in absolute terms)."""
    from surveysem.propositions.fit_gate import gated_verdict
    from surveysem.propositions.model_choice import NOT_ASSESSABLE_CHOICE

    if not assessable and verdict in ("supported", "not supported"):
        return NOT_ASSESSABLE_CHOICE
    return gated_verdict(verdict, outcome, action)


def tested_parameter(rule: dict, process: str) -> str:
    """The parameter a P4 sub-hypothesis on ``process`` is judged on (``verdict_rule``): the
    total effect ``total_<process>`` of model (b) with ``p4_effects: total``, else ``growth~<process>``."""
    return f"total_{process}" if rule["p4_model"] == "b" and rule["p4_effects"] == "total" else f"growth~{process}"


def p4_verdict_rows(hyp: Hypothesis, rule: dict, p4: dict, boot: pd.DataFrame | None, paths: pd.DataFrame | None,
                 level: float) -> list[dict]:
    model = rule["p4_model"]
    fit_outcome, fit_note, assessable, why = _p4_gate(rule, p4)
    rows = []
    for s in hyp.subs:
        proc = s.term
        name = tested_parameter(rule, proc)
        est = lo = hi = np.nan
        source = ""
        too_few = False
        if rule["p4_ci"] == "bootstrap" and boot is not None and len(boot):
            r = boot[(boot["model"] == model) & (boot["parameter"] == name) & (boot["kind"] == "est")]
            if len(r):
                est, lo, hi = float(r.est.iloc[0]), float(r.ci_lower.iloc[0]), float(r.ci_upper.iloc[0])
                n_ok, ci_level, B = int(r.n_ok.iloc[0]), float(r.level.iloc[0]), int(r.B.iloc[0])
                source = f"bootstrap percentile CI (B = {B}, {n_ok} converged)"
                if not resampling.enough_resamples(n_ok, ci_level):
                    too_few = True
                    source += f": {resampling.too_few_text(n_ok, ci_level)}"
                source += _failed_warning(B, n_ok, rule)
        elif paths is not None and len(paths):
            if name.startswith("total_"):
                r = paths[(paths.model == model) & (paths.op == ":=") & (paths.lhs == name)]
            else:
                r = paths[(paths.model == model) & (paths.op == "~") & (paths.lhs == "growth") & (paths.rhs == proc)]
            if len(r):
                est, lo, hi = float(r.est.iloc[0]), float(r.ci_lower.iloc[0]), float(r.ci_upper.iloc[0])
                source = "Wald CI"
        if not source and p4.get("not_estimable"):
            source = f"not estimable: {p4['not_estimable']}"
        converged = bool(p4.get("models", {}).get(model, {}).get("converged", False))
        if not np.isfinite(est) or not converged:
            verdict = "not estimable"
        elif too_few:
            verdict = resampling.TOO_FEW_RESAMPLES
        else:
            sign_ok = est > 0 if s.expected == "+" else est < 0
            excl = (lo > 0 or hi < 0) if np.isfinite(lo) and np.isfinite(hi) else False
            verdict = "supported" if sign_ok and excl else "not supported"
        verdict = _p4_final_verdict(verdict, fit_outcome, assessable, rule["fit_gate"]["action"])
        rows.append({"proposition": hyp.id, "level": "sub-hypothesis", "id": s.id, "term": proc, "expected": s.expected,
                     "model": f"P4 model ({model})", "family": "sem", "parameter": name,
                     "estimate_type": "total effect" if name.startswith("total_") else "direct path", "est": est, "ci_lower": lo,
                     "ci_upper": hi, "p_one_sided": np.nan, "p_adjusted": np.nan, "evidence": source,
                     "fit_gate": fit_outcome, "fit_note": fit_note, "model_choice": why, "verdict": verdict})
    return rows


def regression_verdict_rows(h: Hypothesis, rule: dict, subs: list[dict], fit: dict | None) -> list[dict]:
    """Verdict rows of a P1-P3 style hypothesis: from its latent estimator, or from the primary
    composite GLM when ``estimator: composite_glm``."""
    rows = []
    if fit is not None:
        for s in fit["subhypotheses"]:
            problem = f" ({s['problem']})" if s.get("problem") else ""
            rows.append({"proposition": h.id, "level": "sub-hypothesis", "id": s["id"], "term": s["term"],
                         "expected": s["expected"], "model": s["model"], "family": s["family"],
                         "estimator": fit["estimator"], "parameter": s["term"],
                         "estimate_type": (f"parameter of the structural model (latent variances 1), outcome on "
                                           f"{fit['outcome_scale']}" if "model" in fit else
                                           f"latent coefficient per SD of the capability, on {fit['outcome_scale']}"),
                         "est": s["est"], "std_all": s["std_all"], "ci_lower": s["ci_lower"],
                         "ci_upper": s["ci_upper"], "one_sided_bound": s.get("one_sided_bound", np.nan), "p_one_sided": s["p_one_sided"], "p_adjusted": s["p_adjusted"],
                         "evidence": f"{fit['estimator_label']}: robust two-step SE, one-sided z test, "
                                     f"{rule['adjust']} adjustment{problem}",
                         "verdict": s["verdict"]})
        return gated_rows(rows, rule["fit_gate"], fit)
    for s in subs:
        if s["proposition"] == h.id and s["primary"]:
            rows.append({"proposition": h.id, "level": "sub-hypothesis", "id": s["id"], "term": s["term"],
                         "expected": s["expected"], "model": s.get("model"), "family": s.get("family_used", s["family"]),
                         "estimator": "composite_glm", "parameter": s["term"],
                         "estimate_type": "coefficient (z-scored capabilities)", "est": s["est"], "std_all": np.nan,
                         "ci_lower": s["ci_lower"], "ci_upper": s["ci_upper"],
                         "p_one_sided": s["p_one_sided"], "p_adjusted": s["p_adjusted"],
                         "evidence": f"composite-score GLM, robust {h.se} SE, one-sided p, {rule['adjust']} adjustment",
                         "verdict": s["verdict"]})
    return gated_rows(rows, rule["fit_gate"], None)


def gated_rows(rows: list[dict], gate: dict, fit: dict | None) -> list[dict]:
    """The sub-hypothesis rows with the fit gate of each one's model (``fit``: the latent result,
    None for composite GLMs, which have no fit indices), the verdict changed as its action says."""
    from surveysem.propositions.fit_gate import (
        COMPOSITE_NOTE,
        NOT_APPLICABLE,
        gated_verdict,
        latent_gate,
    )

    by_model = {f["model"]: f for f in (fit or {}).get("fits", [])}
    for r in rows:
        if fit is None:
            outcome, note = NOT_APPLICABLE, COMPOSITE_NOTE
        else:
            outcome, note = latent_gate(by_model.get(r["model"], {}).get("fit_indices"), gate)
        r.update(fit_gate=outcome, fit_note=note, verdict=gated_verdict(r["verdict"], outcome, gate["action"]))
    return rows
