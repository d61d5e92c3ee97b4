"""The propositions page (propositions.html): the verdict dashboard, then per regression
proposition (P1-P3) its statement, verdict and the estimator the verdict used, the test of every
sub-hypothesis (the verdict's test, by default the latent SAM model, with the composite-score
GLMs below it as checks) with a forest plot, the full latent and composite models with their fit,
collinearity, and the typology test (do the capabilities matter more in their target group?).
P4 has its own page."""

from __future__ import annotations

from functools import partial

import pandas as pd

from surveysem.report.figures import figure, forest_plot
from surveysem.report.html import Safe, link, not_computed, paragraph, slug, tag, verdict_badge
from surveysem.report.pages.context import Context, UnreadableResult
from surveysem.report.pages.proposition_models import (
    collinearity_sentence, is_latent, latent_model_tables, latent_scale, model_tables
)
from surveysem.report.pages.sections import (
    Content, Page, PageTables, as_float, build_page, is_true, missing, missing_text, synthetic_note, warnings_block
)
from surveysem.report.pages.verdicts import (
    COMPOSITE_CHECK, estimator_label, fit_gate_paragraph, proposition_verdicts, sem_propositions, statement,
    verdict_dashboard
)
from surveysem.report.one_sided import matching_bound
from surveysem.report.tables import Table, fmt_ci, fmt_num, fmt_p, fmt_text_blank, frame_table

SUB_COLUMNS = ("proposition", "primary", "id", "term", "expected", "family", "family_used", "estimator", "est", "std_all", "se",
               "ci_lower", "ci_upper", "one_sided_bound", "p_one_sided", "p_adjusted", "verdict", "problem")
COMPOSITE_SUB_NOTE = (
    "Composite-score GLM rows: b = coefficient of the z-scored composite (scale) score of the capability on the link scale "
    "of the model family (log for gamma_log and poisson, log(spread) by OLS for ols_log, logit for binomial and "
    "fractional_logit); β is not estimated; robust (sandwich) standard errors; p = one-sided in the predicted direction, "
    "with its matching one-sided bound (from b, SE and the test's own distribution); "
    "p (adj.) = {adjustment} within the proposition and model family. "
)
BOUND_NOTE = ("One-sided bound = the (1 − α) confidence bound in the predicted direction, α = {alpha} (verdict_rule.alpha), "
              "the interval that matches the one-sided test (the end of the two-sided {level} interval): it lies beyond 0 "
              "exactly when p < α, so a supported test always has it beyond 0; the two-sided 95% CI is for reference and "
              "may include 0. ")
MARKS_NOTE = ("No significance marks in this table: its tests are one-sided, judged by p (adj.) and the one-sided bound; "
              "the marks of this page's model tables are of two-sided p. ")
CHECK_NOTE = ("Rows marked (check) re-estimate the sub-hypothesis another way; their verdict says what that model alone "
              "would conclude, and the proposition's verdict does not use it. ")
BOTH_SCALES_NOTE = ("The latent and composite b are on different scales (per SD of the latent capability vs of the observed "
                    "score, and outcome scales that differ by family): compare signs, intervals and verdicts, not sizes. ")
TYPOLOGY_SUMMARY_COLUMNS = {
    "proposition": "Proposition", "target_group": "Target group", "family_used": "Model", "status": "Status", "n_target": "n (target)",
    "n_other": "n (other)", "n_steeper_in_target": "Steeper in target", "n_capabilities": "Capabilities", "wald_chi2": "Wald χ²",
    "wald_df": "df", "wald_p": "p", "reason": "Reason"}
TYPOLOGY_TERM_COLUMNS = {
    "proposition": "Proposition", "target_group": "Group", "capability": "Capability", "est": "b (interaction)", "se": "SE",
    "p_two_sided": "p", "p_one_sided": "p (one-sided)", "slope_target_group": "Slope in group", "slope_other_groups": "Slope elsewhere"}


def propositions_page(ctx: Context) -> Page:
    """The verdicts, a section per regression proposition (its title: the proposition in words), the typology test."""
    verdicts = {v["id"]: v for v in _readable(ctx, proposition_verdicts, [])}
    sections = [("verdicts", "Verdicts", _verdicts_section)]
    for pid in _regression_propositions(ctx):
        text = _readable(ctx, lambda c, pid=pid: statement(c, pid), "")
        build = partial(_proposition_section, pid=pid, verdict=verdicts.get(pid))
        sections.append((slug(pid), f"{pid}: {text}" if text else pid, build))
    sections += [("typology", "Typology: do the capabilities matter more in their group?", _typology_section),
                 ("p4-link", "P4", _p4_link_section)]
    return build_page(ctx, "propositions.html", "Propositions", sections)


def _verdicts_section(ctx: Context, t: PageTables) -> Content:
    return verdict_dashboard(ctx)


def _p4_link_section(ctx: Context, t: PageTables) -> Content:
    return paragraph("Proposition 4 is tested with structural equation models: see ", link("p4.html", "the P4 page"), ".")


def _readable(ctx: Context, read, default):
    """``read(ctx)``, or ``default`` when a file it reads cannot be read (its own section says so)."""
    try:
        return read(ctx)
    except UnreadableResult:
        return default


def _regression_propositions(ctx: Context) -> list[str]:
    """P1-P3 and any other proposition with rows in verdicts.csv, subhypotheses.csv or coefficients.csv, but not the SEM ones."""
    props = ["P1", "P2", "P3"]
    for key in ("verdicts", "subhypotheses", "coefficients"):
        column = _readable(ctx, lambda c, key=key: c.column(key, "proposition"), None)
        if column is not None:
            props += [p for p in dict.fromkeys(column.astype(str)) if p not in props and p != "P4"]
    sem = _readable(ctx, sem_propositions, {"P4"})
    return [p for p in props if p not in sem]


# ------------------------------------------------------------------ one proposition


def _proposition_section(ctx: Context, t: PageTables, pid: str, verdict: dict | None) -> Content:
    latent = _uses_latent_estimator(verdict)
    return [*_verdict_head(ctx, pid, verdict), *_subhypotheses_blocks(ctx, t, pid),
            *latent_model_tables(ctx, t, pid, latent), *model_tables(ctx, t, pid, latent),
            collinearity_sentence(ctx, pid)]


def _uses_latent_estimator(verdict: dict | None) -> bool:
    """Whether the verdict comes from a latent estimator (then the composite GLMs are checks)."""
    estimator = fmt_text_blank(verdict["estimator"]) if verdict else ""
    return estimator not in ("", "composite_glm")


def _verdict_head(ctx: Context, pid: str, verdict: dict | None) -> list[Safe]:
    """The verdict, the estimator it used and how it was judged (verdicts.csv)."""
    head = [paragraph("Verdict: ", verdict_badge(verdict["verdict"] if verdict else None))]
    label = estimator_label(verdict["estimator"]) if verdict else ""
    if label:
        judged = _evidence_text(verdict["evidence"])
        head.append(paragraph(tag("strong", "Estimator: "), label, ". ", f"Evidence: {judged}." if judged else ""))
    head.append(fit_gate_paragraph(verdict))
    return head


def _evidence_text(evidence: dict[str, str]) -> str:
    """How the sub-hypotheses were judged: the text most of them share, then each one that differs
    (e.g. a test whose solution was inadmissible)."""
    if not evidence:
        return ""
    texts = list(evidence.values())
    common = max(dict.fromkeys(texts), key=texts.count)
    others = [f"{hyp}: {text}" for hyp, text in evidence.items() if text != common]
    return "; ".join([common, *others])


def _verdict_test_first(rows: list[dict]) -> list[dict]:
    """The rows of each sub-hypothesis together, the verdict's test first and its checks below it."""
    primary_first = [r for r in rows if is_true(r["primary"])] + [r for r in rows if not is_true(r["primary"])]
    order = list(dict.fromkeys(str(r["id"]) for r in primary_first))
    return sorted(primary_first, key=lambda r: order.index(str(r["id"])))  # stable: primary stays first


def _model_label(rec: dict) -> str:
    """Which model a test comes from: the latent estimator, or the composite GLM (a check unless it is the verdict's)."""
    if is_latent(rec):
        return estimator_label(rec["estimator"])
    family = fmt_text_blank(rec["family_used"]) or fmt_text_blank(rec["family"])
    return f"{'composite-score GLM' if is_true(rec['primary']) else COMPOSITE_CHECK}: {family}"


def _verdict_cell(rec: dict) -> Safe:
    """The verdict, with the reason when the test could not be made (never hidden; a model that
    could not be fitted at all says "not estimable" once)."""
    problem = fmt_text_blank(rec["problem"])
    shown = problem and problem != fmt_text_blank(rec["verdict"])
    return verdict_badge(rec["verdict"]) + (f" ({problem})" if shown else "")


def _one_sided_bound(rec: dict, alpha: float) -> float | None:
    """The (1 − α) one-sided bound of the row's test: the stage's (latent rows), else the one its
    estimate, SE and 95% CI give (composite-score GLM rows, :mod:`surveysem.report.one_sided`)."""
    bound = as_float(rec["one_sided_bound"])
    if bound is not None:
        return bound
    return matching_bound(as_float(rec["est"]), as_float(rec["se"]), as_float(rec["ci_lower"]), as_float(rec["ci_upper"]),
                          fmt_text_blank(rec["expected"]), alpha)


def _bound_cell(rec: dict, alpha: float) -> str:
    """The one-sided bound that matches the one-sided test: "≥ b" for a predicted "+", "≤ b" for "-"."""
    bound = _one_sided_bound(rec, alpha)
    if bound is None:
        return ""
    return ("≥ " if fmt_text_blank(rec["expected"]) == "+" else "≤ ") + fmt_num(bound)


def _subhypothesis_row(rec: dict, alpha: float) -> tuple[list, dict]:
    """The table row and the forest-plot entry of one sub-hypothesis test (the verdict's or a check).
    No significance marks: the test is one-sided, and the page's marks are of two-sided p (SIG_NOTE)."""
    primary = is_true(rec["primary"])
    model = _model_label(rec)
    row = [fmt_text_blank(rec["id"]), fmt_text_blank(rec["term"]), fmt_text_blank(rec["expected"]), model,
           fmt_num(rec["est"]), fmt_num(rec["std_all"]), fmt_num(rec["se"]), fmt_ci(rec["ci_lower"], rec["ci_upper"]),
           _bound_cell(rec, alpha), fmt_p(rec["p_one_sided"]), fmt_p(rec["p_adjusted"]), _verdict_cell(rec)]
    problem = fmt_text_blank(rec["problem"])
    label = f"{fmt_text_blank(rec['id'])} {fmt_text_blank(rec['term'])}" + (f" ({problem})" if problem else "")
    point = {"label": label, "est": as_float(rec["est"]), "lo": as_float(rec["ci_lower"]), "hi": as_float(rec["ci_upper"]),
             "group": model + (" (the verdict's test)" if primary else "")}
    return row, point


def _grouped(points: list[dict]) -> list[dict]:
    """Forest-plot entries by model, the verdict's test first (a group header is drawn per model)."""
    groups = list(dict.fromkeys(p["group"] for p in points))
    return sorted(points, key=lambda p: groups.index(p["group"]))


def _alpha(ctx: Context) -> float:
    """α of the verdict rule (verdict_rule.alpha as verdicts.json records it; .05 when it does not)."""
    settings = _readable(ctx, lambda c: c.field("verdicts_json", "rule_settings"), None)
    alpha = as_float(settings.get("alpha")) if isinstance(settings, dict) else None
    return alpha if alpha is not None and 0 < alpha < 0.5 else 0.05


LINEARISED_NOTE = ("Items enter the latent models as linearised category scores: each item's answer categories are "
                   "rescored by its scale's graded-response model so that the expected score is linear in the "
                   "capability, because the integer codes of a skewed 7-point scale are not, and that attenuates "
                   "latent interactions (hypotheses[*].item_scores). ")


def _items_linearised(ctx: Context, pid: str) -> bool:
    """Whether latent_fits.csv says the proposition's latent models read linearised item scores."""
    fits = _readable(ctx, lambda c: c.records("latent_fits", "proposition", "item_scores"), None) or []
    return any(f["proposition"] == pid and f["item_scores"] == "linearised" for f in fits)


def _adjustment(ctx: Context) -> str:
    """How p (adj.) was adjusted: the config's verdict_rule.adjust (holm, the default, or none), as verdicts.json records it."""
    settings = _readable(ctx, lambda c: c.field("verdicts_json", "rule_settings"), None)
    adjust = settings.get("adjust") if isinstance(settings, dict) else None
    return "Holm-adjusted" if adjust in (None, "holm") else "not adjusted (verdict_rule.adjust: none), so equal to p,"


def _sub_note(ctx: Context, pid: str, records: list[dict]) -> str:
    """The table note: what b, β, SE and p mean for each kind of row the table has."""
    latent = next((r for r in records if is_latent(r)), None)
    composite = any(not is_latent(r) for r in records)
    note = synthetic_note(ctx)
    if latent is not None:
        label = estimator_label(latent["estimator"])
        note += (f"{label[:1].upper() + label[1:]} rows (the verdict's test): b = {latent_scale(ctx, pid)}; "
                 "β = b per SD of the capability and of the outcome; robust standard errors (SAM: of both steps, the "
                 "measurement error included; SEM: MLR); p = one-sided z test "
                 f"in the predicted direction, with its matching one-sided bound; p (adj.) = {_adjustment(ctx)} within the proposition. A test whose model did "
                 "not converge or has an inadmissible solution is not estimable (the reason is beside its verdict) and "
                 "enters the adjustment with p = 1. ")
        if _items_linearised(ctx, pid):
            note += LINEARISED_NOTE
    if composite:
        note += COMPOSITE_SUB_NOTE.format(adjustment=_adjustment(ctx))
    if any(not is_true(r["primary"]) for r in records):
        note += CHECK_NOTE
    if latent is not None and composite:
        note += BOTH_SCALES_NOTE
    alpha = _alpha(ctx)
    return note + BOUND_NOTE.format(alpha=f"{alpha:g}".replace("0.", ".", 1), level=f"{100 * (1 - 2 * alpha):g}%") + MARKS_NOTE


def _forest_caption(ctx: Context, pid: str, records: list[dict]) -> str:
    caption = f"Figure. {pid}: b with 95% confidence intervals, one group per model; dashed line: no effect."
    if any(is_latent(r) for r in records):
        caption += f" The verdict's test comes first ({latent_scale(ctx, pid)})."
    if any(not is_latent(r) for r in records):
        caption += " The composite-score GLM groups are per SD of the composite score on their family's link scale"
        caption += (": another scale than the latent b, so compare signs and whether an interval excludes 0, not lengths."
                    if any(is_latent(r) for r in records) else ".")
    return caption


def _subhypotheses_blocks(ctx: Context, t: PageTables, pid: str) -> list[Safe]:
    records = ctx.records("subhypotheses", *SUB_COLUMNS)
    if records is None:
        return [not_computed(f"Sub-hypothesis tests of {pid}", missing_text(ctx, "subhypotheses"))]
    records = _verdict_test_first([r for r in records if str(r["proposition"]) == pid])
    if not records:
        return [not_computed(f"Sub-hypothesis tests of {pid}", "no rows for it in subhypotheses.csv")]
    rows, points = zip(*[_subhypothesis_row(r, _alpha(ctx)) for r in records])
    sid = slug(pid)
    table = Table(f"Tests of the sub-hypotheses of {pid}",
                  ["Hypothesis", "Capability", "Sign", "Model", "b", "β", "SE", "95% CI", "One-sided bound", "p", "p (adj.)",
                   "Verdict"],
                  list(rows), note=_sub_note(ctx, pid, records), text_columns={0, 1, 2, 3, 8, 11})
    plot = forest_plot(_grouped(list(points)), title=f"{pid} coefficients", xlabel="b (95% CI)")
    return [t.add(table, f"{sid}-subhypotheses"), figure(plot, _forest_caption(ctx, pid, records), f"forest-{sid}")]



# ------------------------------------------------------------------ typology


def _typology_info(ctx: Context, t: PageTables) -> list[Safe]:
    """Method, group sizes, the joint tests per proposition and the warnings (typology.json)."""
    parts = []
    if ctx.field("typology_json", "method"):
        parts.append(paragraph("Method: ", ctx.field("typology_json", "method"), "."))
    sizes = ctx.field("typology_json", "group_sizes")
    if sizes:
        parts.append(paragraph("Firms per group: ", ", ".join(f"group {k}: {v}" for k, v in sizes.items()), "."))
    summary = ctx.field("typology_json", "summary") or []
    if summary and isinstance(summary[0], dict):
        note = (synthetic_note(ctx) + "Steeper in target: capabilities whose slope is larger in the target group than elsewhere; "
                "Wald test: all interactions jointly zero.")
        table = frame_table(pd.DataFrame(summary), "Joint tests of the capability × target-group interactions",
                            columns=TYPOLOGY_SUMMARY_COLUMNS, text_columns=["proposition", "family_used", "status", "reason"], note=note)
        parts.append(t.add(table, "typology-summary"))
    parts.append(warnings_block(ctx.field("typology_json", "warnings")))
    return parts


def _typology_section(ctx: Context, t: PageTables) -> Content:
    terms = ctx.columns("typology_csv", *TYPOLOGY_TERM_COLUMNS)
    has_info = ctx.json("typology_json") is not None
    if terms is None and not has_info:
        return missing(ctx, "Typology test", "typology_csv")
    parts = _typology_info(ctx, t) if has_info else []
    if terms is not None and len(terms):
        note = synthetic_note(ctx) + "b (interaction) > 0: the capability's slope is steeper in its target group than in the others."
        table = frame_table(terms, "Capability × target-group interactions", columns=TYPOLOGY_TERM_COLUMNS,
                            text_columns=["proposition", "capability"], note=note)
        parts.append(t.add(table, "typology"))
    return parts
