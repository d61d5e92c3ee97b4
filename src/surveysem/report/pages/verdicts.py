"""The verdicts on the propositions, shared by the overview, propositions and P4 pages.

Verdicts come from ``results/propositions/verdicts.csv``; the proposition texts from the
config's ``hypotheses[*].statement`` (else the ``statement`` of the proposition's row in
verdicts.csv), so that every page words a proposition as the config does.
"""

from __future__ import annotations

from surveysem.report.html import Safe, join, not_computed, paragraph, slug, tag, verdict_badge
from surveysem.report.pages.context import Context
from surveysem.propositions.fit_gate import COMPOSITE_NOTE, INDICES_USED, flagged_text
from surveysem.report.pages.sections import missing_text

MAIN_PROPOSITIONS = ("P1", "P2", "P3", "P4")
# The estimators of verdicts.csv in words; the latent ones as surveysem.propositions.latent.ESTIMATORS
# words them (a test keeps the two in step; the report does not import the estimation code).
ESTIMATOR_LABELS = {"sam": "latent SAM (local, corrected scores)", "sem": "latent SEM (FIML, MLR)",
                    "composite_glm": "composite-score GLM"}
COMPOSITE_CHECK = "composite-score GLM (check)"


def estimator_label(estimator, sem_proposition: bool = False) -> str:
    """The estimator of a verdict in words ("" when verdicts.csv does not say). The P4-style
    propositions are judged on the P4 structural equation models, not on a latent regression."""
    if estimator is None or str(estimator).strip() == "":
        return ""
    if sem_proposition:
        return "structural equation models of the processes (P4 models)"
    return ESTIMATOR_LABELS.get(str(estimator), str(estimator))


def statement(ctx: Context, pid: str) -> str:
    """Proposition ``pid`` in words (empty when neither the config nor verdicts.csv has it)."""
    for hyp in ctx.config.get("hypotheses") or []:
        if isinstance(hyp, dict) and str(hyp.get("id")) == pid and hyp.get("statement"):
            return str(hyp["statement"])
    rows = ctx.records("verdicts", "proposition", "level", "statement") or []
    for rec in rows:
        if str(rec["proposition"]) == pid and rec["level"] == "proposition" and str(rec["statement"] or "").strip():
            return str(rec["statement"])
    return ""


def sem_propositions(ctx: Context) -> set[str]:
    """Propositions tested with the P4 structural equation models (shown on the P4 page)."""
    ids = {"P4"}
    proposition = ctx.field("p4_models", "proposition")
    if proposition:
        ids.add(str(proposition))
    return ids


def shown_verdict(verdict: str | None, fit_gate) -> str | None:
    """A verdict as the pages show it: flagged "..., but the model fits poorly" when its model
    failed the fit gate (verdict_rule.fit_gate, action flag); verdicts.csv keeps the rule's word."""
    if verdict is None:
        return None
    return flagged_text(verdict, str(fit_gate or ""))


def proposition_verdicts(ctx: Context) -> list[dict]:
    """Per proposition: id, verdict (as shown, flagged by the fit gate), estimator, sub-hypotheses
    [(id, verdict as shown)], their terms, evidence and fit-gate texts (sub-hypothesis id -> words)
    and why its model was used (P4), from verdicts.csv."""
    rows = ctx.records("verdicts", "proposition", "level", "id", "term", "estimator", "evidence", "fit_gate", "fit_note",
                       "model_choice", "verdict")
    out: dict[str, dict] = {}
    for rec in rows or []:
        prop = str(rec["proposition"])
        entry = out.setdefault(prop, {"id": prop, "verdict": None, "estimator": None, "subs": [], "terms": {}, "evidence": {},
                                      "fit_gate": None, "fit_notes": {}, "model_choice": ""})
        hyp = prop if rec["id"] is None else str(rec["id"])
        verdict = None if rec["verdict"] is None else str(rec["verdict"])
        if hyp == prop or str(rec["level"] or "").lower() == "proposition":
            entry["verdict"] = shown_verdict(verdict, rec["fit_gate"])
            entry["estimator"] = rec["estimator"]
            entry["fit_gate"] = rec["fit_gate"]
            entry["model_choice"] = str(rec["model_choice"] or "")
        else:
            entry["subs"].append((hyp, shown_verdict(verdict, rec["fit_gate"])))
            entry["terms"][hyp] = "" if rec["term"] is None else str(rec["term"])
            if rec["evidence"]:
                entry["evidence"][hyp] = str(rec["evidence"])
            if rec["fit_note"]:
                entry["fit_notes"][hyp] = str(rec["fit_note"])
    return list(out.values())


def fit_gate_text(verdict: dict | None) -> str:
    """The fit gate of a proposition's models in words: the note most sub-hypotheses share, then
    each that differs, and the indices the gate used."""
    notes = (verdict or {}).get("fit_notes") or {}
    if not notes:
        return ""
    texts = list(notes.values())
    common = max(dict.fromkeys(texts), key=texts.count)
    others = [f"{hyp}: {text}" for hyp, text in notes.items() if text != common]
    indices = "" if set(texts) == {COMPOSITE_NOTE} else f" Indices used: {INDICES_USED}."
    return "; ".join([common, *others]) + "." + indices


def fit_gate_paragraph(verdict: dict | None) -> Safe:
    """"Model fit: ..." and "Verdict model: ..." beside a proposition's verdict (empty when unknown)."""
    parts = []
    text = fit_gate_text(verdict)
    if text:
        parts.append(paragraph(tag("strong", "Model fit (verdict_rule.fit_gate): "), text))
    if verdict and verdict.get("model_choice"):
        parts.append(paragraph(tag("strong", "Verdict model (verdict_rule.p4_model_choice): "), verdict["model_choice"], "."))
    return join(parts)


def _card(ctx: Context, pid: str, verdict: dict | None) -> Safe:
    """One proposition: its verdict, how many sub-hypotheses are supported, its statement."""
    if verdict is None:
        body = [verdict_badge(None)]
    else:
        subs, terms = verdict["subs"], verdict["terms"]
        # counting rows of verdicts.csv; a verdict flagged by the fit gate still stands
        n_supported = sum(1 for _, s in subs if s and s.lower().split(",")[0] == "supported")
        detail = tag("div", f"{n_supported} of {len(subs)} sub-hypotheses supported") if subs else Safe("")
        items = [tag("li", h, f" ({terms[h]})" if terms.get(h) else "", ": ", verdict_badge(sv)) for h, sv in subs]
        label = estimator_label(verdict["estimator"], pid in sem_propositions(ctx))
        estimator = tag("div", "Estimator: ", label, class_="estimator") if label else Safe("")
        body = [verdict_badge(verdict["verdict"]), detail, tag("ul", *items, class_="subs") if subs else Safe(""), estimator]
    href = "p4.html" if pid in sem_propositions(ctx) else f"propositions.html#{slug(pid)}"
    text = statement(ctx, pid)
    return tag("div", tag("h3", tag("a", pid, href=href)), *body, tag("div", text, class_="lead") if text else Safe(""),
               class_="card")


def _rule_text(ctx: Context) -> str:
    rule = ctx.field("verdicts_json", "rule")
    if isinstance(rule, dict):
        return "; ".join(f"{k}: {v}" for k, v in sorted(rule.items()))
    return str(rule) if rule else ""


def verdict_dashboard(ctx: Context) -> Safe:
    """A card per proposition (P1-P4 always, then any other in verdicts.csv) and the verdict rule."""
    verdicts = proposition_verdicts(ctx)
    by_id = {v["id"]: v for v in verdicts}
    ids = list(MAIN_PROPOSITIONS) + [v["id"] for v in verdicts if v["id"] not in MAIN_PROPOSITIONS]
    parts = [tag("div", *[_card(ctx, pid, by_id.get(pid)) for pid in ids], class_="dashboard", id="verdict-dashboard")]
    if not verdicts:
        parts.append(not_computed("Proposition verdicts", missing_text(ctx, "verdicts")))
    rule = _rule_text(ctx)
    if rule:
        parts.append(paragraph(tag("strong", "Verdict rule: "), rule))
    return join(parts)
