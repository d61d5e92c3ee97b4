"""The propositions page (propositions.html): the verdict dashboard, then per regression
proposition (P1-P3) its statement and verdict, the test of every sub-hypothesis with a forest
plot, the full models with their fit, collinearity, and the typology test (do the capabilities
matter more in their target group?). P4 has its own page."""

from __future__ import annotations

from functools import partial

import pandas as pd

from surveysem.report.figures import figure, forest_plot
from surveysem.report.html import Safe, link, not_computed, paragraph, slug, verdict_badge
from surveysem.report.pages.context import Context, UnreadableResult
from surveysem.report.pages.sections import (
    Content, Page, PageTables, as_float, build_page, is_true, missing, missing_text, p_phrase, synthetic_note, warnings_block
)
from surveysem.report.pages.verdicts import proposition_verdicts, sem_propositions, statement, verdict_dashboard
from surveysem.report.tables import (
    SIG_NOTE, Table, fmt_bounded, fmt_ci, fmt_int, fmt_num, fmt_p, fmt_text_blank, frame_table, stars
)

SUB_COLUMNS = ("proposition", "primary", "id", "term", "expected", "family", "family_used", "est", "se", "ci_lower", "ci_upper",
               "p_one_sided", "p_adjusted", "verdict")
SUB_NOTE = (
    "b = coefficient of the z-scored capability in the model of the outcome (link scale of the model family); robust "
    "(sandwich) standard errors; p = one-sided in the predicted direction; p (adj.) = Holm-adjusted within the "
    "proposition and model family. The verdict uses the primary model; checks re-estimate it with another family. "
    "Marks on b use p (adj.): " + SIG_NOTE
)
COEFFICIENT_COLUMNS = ("proposition", "model", "term", "role", "est", "se", "ci_lower", "ci_upper", "p_two_sided", "exp_est", "ame",
                       "se_type", "outcome")
FIT_COLUMNS = ("model", "n", "r2", "r2_kind", "r2_mcfadden", "wald_terms", "wald_chi2", "wald_df", "wald_p", "f2_capabilities",
               "dispersion", "aic", "converged")
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
    head = paragraph("Verdict: ", verdict_badge(verdict["verdict"] if verdict else None))
    return [head, *_subhypotheses_blocks(ctx, t, pid), *_model_tables(ctx, t, pid), _collinearity_sentence(ctx, pid)]


def _primary_first(rows: list[dict]) -> list[dict]:
    return [r for r in rows if is_true(r["primary"])] + [r for r in rows if not is_true(r["primary"])]


def _subhypothesis_row(rec: dict) -> tuple[list, dict]:
    """The table row and the forest-plot entry of one sub-hypothesis test (the primary model or a check)."""
    primary = is_true(rec["primary"])
    model = str(rec["family_used"] or rec["family"] or "") + ("" if primary else " (check)")
    est = fmt_num(rec["est"]) + stars(rec["p_adjusted"]) if primary else fmt_num(rec["est"])
    row = [fmt_text_blank(rec["id"]), fmt_text_blank(rec["term"]), fmt_text_blank(rec["expected"]), model, est, fmt_num(rec["se"]),
           fmt_ci(rec["ci_lower"], rec["ci_upper"]), fmt_p(rec["p_one_sided"]), fmt_p(rec["p_adjusted"]), verdict_badge(rec["verdict"])]
    point = {"label": f"{fmt_text_blank(rec['id'])} {fmt_text_blank(rec['term'])}", "est": as_float(rec["est"]),
             "lo": as_float(rec["ci_lower"]), "hi": as_float(rec["ci_upper"]), "mark": stars(rec["p_adjusted"]), "group": model}
    return row, point


def _subhypotheses_blocks(ctx: Context, t: PageTables, pid: str) -> list[Safe]:
    records = ctx.records("subhypotheses", *SUB_COLUMNS)
    if records is None:
        return [not_computed(f"Sub-hypothesis tests of {pid}", missing_text(ctx, "subhypotheses"))]
    records = _primary_first([r for r in records if str(r["proposition"]) == pid])
    if not records:
        return [not_computed(f"Sub-hypothesis tests of {pid}", "no rows for it in subhypotheses.csv")]
    rows, points = zip(*[_subhypothesis_row(r) for r in records])
    sid = slug(pid)
    table = Table(f"Tests of the sub-hypotheses of {pid}", ["Hypothesis", "Capability", "Sign", "Model", "b", "SE", "95% CI", "p",
                                                            "p (adj.)", "Verdict"],
                  list(rows), note=synthetic_note(ctx) + SUB_NOTE, text_columns={0, 1, 2, 3, 9})
    plot = forest_plot(list(points), title=f"{pid} coefficients", xlabel="Coefficient (95% CI)")
    caption = f"Figure. {pid}: coefficients of the capabilities (z-scored) with 95% confidence intervals; dashed line: no effect."
    return [t.add(table, f"{sid}-subhypotheses"), figure(plot, caption, f"forest-{sid}")]


def _primary_family(ctx: Context, pid: str) -> str | None:
    fits = ctx.columns("fits", "proposition", "primary", "family")
    if fits is None:
        return None
    primary = fits[(fits["proposition"].astype(str) == pid) & fits["primary"].map(is_true)]
    return str(primary["family"].iloc[0]) if len(primary) else None


def _model_tables(ctx: Context, t: PageTables, pid: str) -> list[Safe]:
    """The main (and interaction) model of the primary family, every coefficient."""
    coefficients = ctx.columns("coefficients", *COEFFICIENT_COLUMNS)
    if coefficients is None:
        return [not_computed(f"Full model of {pid}", missing_text(ctx, "coefficients"))]
    own = coefficients[coefficients["proposition"].astype(str) == pid]
    models = [m for m in dict.fromkeys(own["model"].astype(str)) if m.endswith(":main") or m.endswith(":interaction")]
    family = _primary_family(ctx, pid)
    if family:
        models = [m for m in models if m.split(":")[1:2] == [family]]
    return [_model_table(ctx, t, pid, model, own[own["model"].astype(str) == model]) for model in models]


def _fit_sentence(ctx: Context, model: str) -> str:
    """The fit of ``model`` from fits.csv, for the note of its table."""
    fits = ctx.records("fits", *FIT_COLUMNS)
    r = next((f for f in fits or [] if str(f["model"]) == model), None)
    if r is None:
        return ""
    bits = [f"N = {fmt_int(r['n'])}"]
    if as_float(r["r2"]) is not None:
        bits.append(f"{r['r2_kind'] or 'R²'} = {fmt_bounded(r['r2'], 3)}")
    if as_float(r["r2_mcfadden"]) is not None:
        bits.append(f"McFadden R² = {fmt_bounded(r['r2_mcfadden'], 3)}")
    if as_float(r["wald_chi2"]) is not None:
        bits.append(f"joint Wald test of {r['wald_terms'] or 'the capabilities'}: χ²({fmt_int(r['wald_df'])}) = "
                    f"{fmt_num(r['wald_chi2'])}, {p_phrase(r['wald_p'])}")
    if as_float(r["f2_capabilities"]) is not None:
        bits.append(f"Cohen's f² = {fmt_num(r['f2_capabilities'], 3)}")
    if as_float(r["dispersion"]) is not None:
        bits.append(f"dispersion = {fmt_num(r['dispersion'])}")
    if as_float(r["aic"]) is not None:
        bits.append(f"AIC = {fmt_num(r['aic'])}")
    if str(r["converged"]).lower() in ("false", "0"):
        bits.append("the model did NOT converge")
    return "; ".join(bits) + ". "


def _model_table(ctx: Context, t: PageTables, pid: str, model: str, coefficients: pd.DataFrame) -> Safe:
    family = model.split(":")[1] if ":" in model else ""
    kind = model.split(":")[-1]
    rows = [[fmt_text_blank(r["term"]), fmt_text_blank(r["role"]), fmt_num(r["est"]) + stars(r["p_two_sided"]), fmt_num(r["se"]),
             fmt_ci(r["ci_lower"], r["ci_upper"]), fmt_p(r["p_two_sided"]), fmt_num(r["exp_est"]),
             fmt_num(r["ame"], 3) if as_float(r["ame"]) is not None else ""]
            for r in coefficients.to_dict(orient="records")]
    first = coefficients.iloc[0]
    se_type = fmt_text_blank(first["se_type"]) or "robust"
    outcome = fmt_text_blank(first["outcome"])
    note = synthetic_note(ctx) + _fit_sentence(ctx, model) + (
        f"Family {family}; {se_type} standard errors; p two-sided; exp(b) = multiplicative effect for log/logit links; "
        "AME = average marginal effect of a capability on the outcome's scale. " + SIG_NOTE
    )
    title = f"{pid}: {'interaction' if kind == 'interaction' else 'full'} model of {outcome or 'the outcome'} ({family})"
    table = Table(title, ["Term", "Role", "b", "SE", "95% CI", "p", "exp(b)", "AME"], rows, note=note, text_columns={0, 1})
    return t.add(table, f"{slug(pid)}-{kind}-model")


def _collinearity_sentence(ctx: Context, pid: str) -> Safe:
    vif = ctx.columns("vif", "proposition", "family", "term", "vif")
    if vif is None:
        return Safe("")
    own = vif[(vif["proposition"].astype(str) == pid) & (vif["term"] != "Intercept")]
    if len(own):  # the VIFs of the first family listed (the primary one)
        own = own[own["family"] == own["family"].iloc[0]]
    if not len(own):
        return Safe("")
    worst = own.loc[own["vif"].idxmax()]
    return paragraph(f"Collinearity: largest VIF {fmt_num(worst['vif'])} ({worst['term']}); values above 5 would call for caution.")


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
