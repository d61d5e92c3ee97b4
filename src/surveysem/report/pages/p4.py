"""The P4 page (p4.html): the proposition's statement, verdict and sub-hypotheses; the fit of
the structural models (a) correlated processes, (b) process chain and (c) first-order
capabilities with their nested comparisons; a path diagram and the structural paths of each
model; the sensitivity model with the capability items ordered (WLSMV, ``p4.ordinal_check``) beside
them; and the bootstrap confidence intervals of its indirect and total effects."""

from __future__ import annotations

import pandas as pd

from surveysem.propositions.p4_ordinal import ORDINAL_FIT
from surveysem.report.figures import figure
from surveysem.report.html import Safe, not_computed, paragraph, slug, verdict_badge
from surveysem.report.pages.context import Context, UnreadableResult
from surveysem.report.pages.sections import (
    Content, Page, PageTables, Sections, as_float, build_page, fit_value, missing, missing_text, synthetic_note, warnings_block
)
from surveysem.report.pages.verdicts import fit_gate_paragraph, proposition_verdicts, shown_verdict, statement
from surveysem.report.pathdiagram import fit_caption, path_diagram
from surveysem.report.tables import (
    DASH, SIG_NOTE, Table, fmt_bounded, fmt_ci, fmt_int, fmt_num, fmt_p, fmt_percent, fmt_r2, fmt_text_blank, stars, with_inadmissible_note
)

P4_LABELS = {"g_spread": "spread", "g_div": "diversification", "g_int": "intensity"}
PATH_COLUMNS = ("model", "lhs", "op", "rhs", "label", "est", "se", "pvalue", "ci_lower", "ci_upper", "std_all")
BOOTSTRAP_COLUMNS = ("model", "parameter", "kind", "est", "boot_se", "ci_lower", "ci_upper", "level", "B", "n_ok",
                     "n_not_converged", "n_failed")
ORDINAL_COLUMNS = ("model", "status", "lhs", "op", "rhs", "tested", "est", "se", "z", "pvalue", "std_all")
VERDICT_COLUMNS = ("proposition", "level", "id", "term", "expected", "parameter", "est", "ci_lower", "ci_upper", "evidence",
                   "fit_gate", "verdict")


def _models(ctx: Context) -> dict[str, dict]:
    """Model id -> its entry in p4_models.json."""
    models = ctx.field("p4_models", "models", {})
    return {str(k): v for k, v in models.items()} if isinstance(models, dict) else {}


def _proposition_id(ctx: Context) -> str:
    """The id of the SEM proposition (P4 unless p4_models.json names another)."""
    try:
        return str(ctx.field("p4_models", "proposition", "P4"))
    except UnreadableResult:  # the sections say what could not be read
        return "P4"


SECTIONS = Sections()


def p4_page(ctx: Context) -> Page:
    heading = f"{_proposition_id(ctx)}: capabilities and international growth"
    return build_page(ctx, "p4.html", "P4 model", SECTIONS, heading=heading)


# ------------------------------------------------------------------ verdict


@SECTIONS.add("p4-verdict", "Verdict")
def _verdict_section(ctx: Context, t: PageTables) -> Content:
    pid = _proposition_id(ctx)
    verdict = next((v for v in proposition_verdicts(ctx) if v["id"] == pid), None)
    parts = [paragraph(statement(ctx, pid)), paragraph("Verdict: ", verdict_badge(verdict["verdict"] if verdict else None)),
             fit_gate_paragraph(verdict)]
    records = ctx.records("verdicts", *VERDICT_COLUMNS)
    subs = [r for r in records or [] if str(r["proposition"]) == pid and r["level"] != "proposition"]
    if subs:
        rows = [[fmt_text_blank(r["id"]), fmt_text_blank(r["term"]), fmt_text_blank(r["expected"]), fmt_text_blank(r["parameter"]),
                 fmt_num(r["est"]), fmt_ci(r["ci_lower"], r["ci_upper"]), fmt_text_blank(r["evidence"]), verdict_badge(shown_verdict(r["verdict"], r["fit_gate"]))]
                for r in subs]
        note = synthetic_note(ctx) + "Unstandardized effect on latent growth; supported when the sign is as predicted and the CI excludes 0."
        table = Table(f"Sub-hypotheses of {pid}", ["Hypothesis", "Process", "Sign", "Effect", "Estimate", "95% CI", "Evidence", "Verdict"],
                      rows, note=note, text_columns={0, 1, 2, 3, 6, 7})
        parts.append(t.add(table, "subhypotheses"))
    return parts


# ------------------------------------------------------------------ model comparison


def _fit_row(name: str, model: dict) -> list[str]:
    fit = model.get("fit") or {}
    rmsea = fit_value("rmsea", fit.get("rmsea"))
    if fit.get("rmsea_ci_lower") is not None and fit.get("rmsea_ci_upper") is not None:
        rmsea += f" [{fmt_bounded(fit.get('rmsea_ci_lower'), 3)}, {fmt_bounded(fit.get('rmsea_ci_upper'), 3)}]"
    return [f"({name}) {model.get('description', '')}".strip(), "yes" if model.get("converged") else "no",
            *(fit_value(key, fit.get(key)) for key in ("chisq", "df", "pvalue", "cfi", "tli")), rmsea,
            *(fit_value(key, fit.get(key)) for key in ("srmr", "aic", "bic")), fmt_r2(model.get("r2_growth"))]


def _comparisons_table(ctx: Context, t: PageTables) -> Safe:
    comparisons = ctx.field("p4_models", "comparisons") or []
    if not comparisons:
        return Safe("")
    rows = [[f"({c.get('restricted')}) within ({c.get('general')})", fmt_num(c.get("delta_chisq")), fmt_int(c.get("delta_df")),
             fmt_p(c.get("pvalue")), fmt_num(c.get("delta_aic")), fmt_num(c.get("delta_bic")), str(c.get("method", ""))]
            for c in comparisons]
    note = synthetic_note(ctx) + "Δ = restricted minus general model; a significant Δχ² means the restrictions worsen fit."
    table = Table("Nested model comparisons", ["Comparison", "Δχ²", "Δdf", "p", "ΔAIC", "ΔBIC", "Method"], rows, note=note,
                  text_columns={0, 6})
    return t.add(table, "comparisons")


def _multigroup_block(ctx: Context) -> Safe:
    multigroup = ctx.field("p4_models", "multigroup")
    if not isinstance(multigroup, dict):
        return Safe("")
    text = f"Multi-group check by typology group: {multigroup.get('status', DASH)}"
    if multigroup.get("reason"):
        text += f" ({multigroup['reason']})"
    return paragraph(text + ".")


@SECTIONS.add("model-comparison", "Model comparison")
def _model_comparison_section(ctx: Context, t: PageTables) -> Content:
    pid = _proposition_id(ctx)
    if ctx.json("p4_models") is None:
        return not_computed(f"{pid} model fit", missing_text(ctx, "p4_models"))
    rows = [_fit_row(name, m) for name, m in _models(ctx).items()]
    how = (f"N = {fmt_int(ctx.field('p4_models', 'n_firms'))}; estimator {ctx.field('p4_models', 'estimator', DASH)}; "
           f"missing data: {ctx.field('p4_models', 'missing', DASH)}. ")
    indicators = ctx.field("p4_models", "growth_indicators") or {}
    indicators_text = ("Growth indicators: " + "; ".join(f"{P4_LABELS.get(k, k)} = {v}" for k, v in indicators.items()) + ". "
                       if indicators else "")
    note = (synthetic_note(ctx) + how + indicators_text
            + "Criteria CFI/TLI ≥ .95, RMSEA ≤ .06, SRMR ≤ .08; lower AIC/BIC is better.")
    table = Table(f"Fit of the {pid} structural models", ["Model", "Converged", "χ²", "df", "p", "CFI", "TLI", "RMSEA [90% CI]", "SRMR",
                                                          "AIC", "BIC", "R² growth"], rows, note=note, text_columns={0, 1})
    return [t.add(table, "model-comparison"), _comparisons_table(ctx, t), _multigroup_block(ctx), warnings_block(ctx.field("p4_models", "warnings"))]


# ------------------------------------------------------------------ path diagrams


def _latent_names(ctx: Context) -> set[str]:
    """Variables drawn as latent: the processes, their capabilities and the instrument's constructs."""
    latent = set()
    processes = ctx.field("p4_models", "processes")
    if isinstance(processes, dict):
        for process, capabilities in processes.items():
            latent.add(str(process))
            latent.update(map(str, capabilities))
    if ctx.instrument is not None:
        latent.update(ctx.instrument.constructs)
    return latent


def _path_figure(pid: str, name: str, paths: pd.DataFrame, model: dict, latent: set[str]) -> Safe:
    r2 = model.get("r_squared") or ({"growth": model.get("r2_growth")} if model.get("r2_growth") is not None else {})
    svg = path_diagram(paths, title=f"{pid} model ({name})", labels=P4_LABELS, latent_names=latent, r2=r2)
    desc = model.get("description", "")
    caption = (f"Figure. {pid} model ({name}){': ' + desc if desc else ''}. Standardized estimates (std.all) on the arrows; {SIG_NOTE} "
               f"Item indicators of the capability factors are omitted. {fit_caption(model.get('fit'))}")
    caption = with_inadmissible_note(caption, [svg])
    return figure(svg, caption, f"path-diagram-{slug(name) or 'model'}")


def _paths_table(ctx: Context, t: PageTables, name: str, paths: pd.DataFrame) -> Safe:
    """Structural paths (~) and defined effects (:=) of one model."""
    rows = []
    for r in paths[paths["op"].isin(["~", ":="])].to_dict(orient="records"):
        path = f"{r['lhs']} ← {r['rhs']}" if r["op"] == "~" else f"{r['lhs']} = {r['rhs']}"
        rows.append([path, fmt_num(r["est"]), fmt_num(r["se"]), fmt_ci(r["ci_lower"], r["ci_upper"]),
                     fmt_num(r["std_all"]) + stars(r["pvalue"]), fmt_p(r["pvalue"])])
    if not rows:
        return Safe("")
    note = (synthetic_note(ctx) + "β = completely standardized estimate; p two-sided (Wald). Defined effects (:=) are products/sums "
            "of paths; see the bootstrap table for their percentile CIs. " + SIG_NOTE)
    table = Table(f"Structural paths and defined effects, model ({name})", ["Path", "b", "SE", "95% CI (Wald)", "β", "p"], rows,
                  note=note, text_columns={0})
    return t.add(table, f"paths-{name}")


@SECTIONS.add("path-diagram", "Path diagrams")
def _path_diagram_section(ctx: Context, t: PageTables) -> Content:
    pid = _proposition_id(ctx)
    paths = ctx.columns("p4_paths", *PATH_COLUMNS)
    if paths is None:
        return not_computed(f"{pid} path diagram", missing_text(ctx, "p4_paths"))
    models, latent = _models(ctx), _latent_names(ctx)
    groups = [(str(name), g) for name, g in paths.groupby("model", sort=False)]
    figures = [_path_figure(pid, name, g, models.get(name, {}), latent) for name, g in groups]
    tables = [_paths_table(ctx, t, name, g) for name, g in groups]
    return [*figures, *tables]


# ------------------------------------------------------------------ ordinal sensitivity model

ORDINAL_NOTE = ("The capability items declared ordered (thresholds and polychoric correlations; growth's indicators "
                "continuous, polyserial), estimator WLSMV (DWLS, robust SEs, scaled-shifted χ²); missing values "
                "pairwise-present, not FIML (FIML is not available for ordinal indicators); firms without all three growth "
                "indicators are left out. P4 has no observed controls (a covariate would enter with conditional.x = "
                "FALSE). ")


def _ml_estimates(ctx: Context) -> dict[tuple, tuple]:
    """(model, lhs, op, rhs) -> (b, β) of the ML/MLR fit, for the columns beside the WLSMV ones."""
    paths = ctx.columns("p4_paths", *PATH_COLUMNS)
    if paths is None:
        return {}
    return {(str(r["model"]), r["lhs"], r["op"], r["rhs"]): (r["est"], r["std_all"]) for r in paths.to_dict(orient="records")}


def _ordinal_paths_table(ctx: Context, t: PageTables, rows: list[dict]) -> Safe:
    ml = _ml_estimates(ctx)
    ml_name = ctx.field("p4_models", "estimator", "ML") if ctx.json("p4_models") is not None else "ML"
    body = []
    for r in rows:
        if r["op"] not in ("~", ":="):
            continue
        b_ml, beta_ml = ml.get((str(r["model"]), r["lhs"], r["op"], r["rhs"]), (None, None))
        path = f"{r['lhs']} ← {r['rhs']}" if r["op"] == "~" else f"{r['lhs']} = {r['rhs']}"
        body.append([fmt_text_blank(r["model"]), path, fmt_text_blank(r["tested"]), fmt_num(b_ml), fmt_num(beta_ml),
                     fmt_num(r["est"]), fmt_num(r["se"]), fmt_num(r["z"]), fmt_p(r["pvalue"]),
                     fmt_num(r["std_all"]) + stars(r["pvalue"])])
    if not body:
        return Safe("")
    note = (synthetic_note(ctx) + ORDINAL_NOTE + f"b and β (ML) from the {ml_name} fit above; Tested: the sub-hypothesis "
            "judged on the parameter (the verdict stands on the ML fit). p two-sided (Wald). " + SIG_NOTE)
    table = Table("P4 sensitivity: ordinal items (WLSMV)", ["Model", "Path", "Tested", f"b ({ml_name})", f"β ({ml_name})",
                                                          "b (WLSMV)", "Robust SE", "z", "p", "β (WLSMV)"],
                  body, note=note, text_columns={0, 1, 2})
    return t.add(table, "ordinal-sensitivity")


def _ordinal_fit_table(ctx: Context, t: PageTables, table: pd.DataFrame) -> Safe:
    rows = []
    for name, g in table.groupby("model", sort=False):
        r = g.iloc[0]
        rows.append([f"({name})", fmt_text_blank(r["status"]), *(fit_value(k, r[k]) for k in ORDINAL_FIT)])
    note = (synthetic_note(ctx) + f"N = {fmt_int(table['n_firms'].iloc[0])} firms. χ² scaled-shifted (mean- and variance-adjusted, WLSMV) with its scaling factor and "
            "shift; CFI, TLI and RMSEA from the scaled test; SRMR on the correlation residuals. Inadmissible: a Heywood "
            "case (a negative residual variance of a latent response or a standardized loading above 1).")
    fit = Table("P4 sensitivity: fit of the ordinal models (WLSMV)", ["Model", "Status", "χ²", "df", "p", "Scaling", "Shift",
                                                                     "CFI", "TLI", "RMSEA", "SRMR"],
                rows, note=note, text_columns={0, 1})
    return t.add(fit, "ordinal-sensitivity-fit")


@SECTIONS.add("ordinal-sensitivity", "Sensitivity: ordinal items (WLSMV)")
def _ordinal_section(ctx: Context, t: PageTables) -> Content:
    # the switch, not the file alone: a file left from a run with the switch on is not shown
    if not (ctx.config.get("p4") or {}).get("ordinal_check"):
        return paragraph("Not fitted: the P4 models with the capability items ordered (WLSMV) are fitted when "
                         "p4.ordinal_check is true.")
    table = ctx.columns("p4_ordinal", *ORDINAL_COLUMNS, *ORDINAL_FIT, "n_firms")
    if table is None:
        return missing(ctx, "P4 sensitivity model", "p4_ordinal")
    if table.empty:
        return not_computed("P4 sensitivity model", f"{ctx.shown_path('p4_ordinal')} has no rows")
    return [_ordinal_fit_table(ctx, t, table), _ordinal_paths_table(ctx, t, table.to_dict(orient="records"))]


# ------------------------------------------------------------------ bootstrap


def _bootstrap_note(ctx: Context, first: dict) -> str:
    level = as_float(first["level"])
    return synthetic_note(ctx) + (
        f"Percentile bootstrap, B = {fmt_int(first['B'])} resamples ({fmt_int(first['n_ok'])} converged, "
        f"{fmt_int(first['n_not_converged'])} not converged, {fmt_int(first['n_failed'])} failed; CIs from the converged ones)"
        + (f", {fmt_percent(level, 0)} level" if level else "")
        + ". Each resample has its own seed, so results do not depend on how the work is split."
    )


@SECTIONS.add("indirect-effects", "Indirect and total effects (bootstrap)")
def _bootstrap_section(ctx: Context, t: PageTables) -> Content:
    records = ctx.records("p4_bootstrap", *BOOTSTRAP_COLUMNS)
    if records is None:
        return missing(ctx, "Bootstrap CIs", "p4_bootstrap")
    if not records:
        return not_computed("Bootstrap CIs", f"{ctx.shown_path('p4_bootstrap')} has no rows")
    rows = [[fmt_text_blank(r["model"]), str(r["parameter"]).replace("~", " ← "),
             "standardized" if r["kind"] == "std_all" else "unstandardized",
             fmt_num(r["est"]), fmt_num(r["boot_se"]), fmt_ci(r["ci_lower"], r["ci_upper"])] for r in records]
    table = Table("Bootstrap confidence intervals of paths, indirect and total effects", ["Model", "Effect", "Scale", "Estimate",
                                                                                        "Boot SE", "CI"],
                  rows, note=_bootstrap_note(ctx, records[0]), text_columns={0, 1, 2})
    return t.add(table, "bootstrap")
