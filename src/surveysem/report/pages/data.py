"""The data page (data.html): the survey file as ingested, the screening flow and the
respondents each rule excluded, the profile of the firms analysed, and the share of missing
answers per construct (``results/clean/missingness.csv``)."""

from __future__ import annotations

import pandas as pd

from surveysem.report.descriptives import OUTCOME_VARIABLES, outcome_descriptive_statistics
from surveysem.report.figures import figure, flow_diagram
from surveysem.report.html import NOT_COMPUTED, Safe, not_computed
from surveysem.report.pages.context import Context
from surveysem.report.pages.sections import (
    Content, Page, PageTables, Sections, build_page, is_true, json_table, missing, synthetic_note
)
from surveysem.report.tables import DASH, Table, fmt_int, fmt_num, fmt_percent, frame_table

FLOW_COLUMNS = {"step": "Step", "rule": "Rule", "description": "Description", "n_before": "n before",
                "n_excluded": "Excluded", "n_after": "n after"}
# (column of firm_outcomes.csv, profile question, name on the page)
PROFILE_COLUMNS = (("size", "SIZE", "Size"), ("tech_intensity", "TECH", "Technology intensity"),
                   ("customer_type", "CUSTOMER", "Customer type"), ("sector", "SECTOR", "Sector"))


SECTIONS = Sections()


def data_page(ctx: Context) -> Page:
    return build_page(ctx, "data.html", "Data and screening", SECTIONS)


@SECTIONS.add("source", "Source")
def _source_section(ctx: Context, t: PageTables) -> Content:
    ingest = ctx.json("ingest")
    if ingest is None:
        return missing(ctx, "Ingest summary", "ingest")
    note = "Personally identifying columns are dropped at ingest; only their names are listed."
    return t.add(json_table(ingest, "Data ingest", note=note, skip={"dropped_pii_reasons"}), "ingest")


# ------------------------------------------------------------------ screening


@SECTIONS.add("exclusion-flow", "Exclusion flow")
def _flow_section(ctx: Context, t: PageTables) -> Content:
    flow = ctx.columns("flow", "step", "rule", "n_before", "n_excluded", "n_after")
    if flow is None:
        return missing(ctx, "Exclusion flow", "flow")
    flow = flow.copy()
    if ctx.json("screening") is not None:  # the rules' descriptions, where screening.json has them
        rules = [r for r in ctx.field("screening", "rules", []) if isinstance(r, dict)]
        described = {str(r.get("rule")): r.get("description", "") for r in rules}
        flow["description"] = [described.get(str(r), "") or "" for r in flow["rule"]]
    table = frame_table(flow, "Screening steps", columns=FLOW_COLUMNS,
                        text_columns=[c for c in ("rule", "description") if c in flow.columns],
                        note="Rules are applied in order; a respondent is counted once, at the first rule that excludes them.")
    return [t.add(table, "flow"), _flow_figure(flow)]


def _flow_figure(flow: pd.DataFrame) -> Safe:
    if flow.empty:
        return Safe("")
    steps = list(zip(flow["rule"], flow["n_excluded"], flow["n_after"]))
    svg = flow_diagram(flow["n_before"].iloc[0], steps, "Exclusion flow")
    return figure(svg, "Figure. Exclusion flow: respondents before and after each screening step.", "figure-flow")


@SECTIONS.add("exclusions", "Exclusions by rule")
def _exclusions_section(ctx: Context, t: PageTables) -> Content:
    exclusions = ctx.columns("exclusions", "rule", "excluded")
    if exclusions is None:
        return missing(ctx, "Exclusions", "exclusions")
    # counting rows of exclusions.csv: respondents failing each rule, and those it excluded
    counts = exclusions.groupby("rule", sort=False).size().reset_index(name="n_failed")
    order = ctx.column("flow", "rule")
    if order is not None:  # rules in the order they were applied
        position = {str(r): i for i, r in enumerate(order)}
        counts = counts.sort_values("rule", key=lambda col: col.astype(str).map(lambda r: position.get(r, len(position))),
                                    kind="stable")
    excluded = exclusions[exclusions["excluded"].map(is_true)].groupby("rule", sort=False).size()
    counts["n_excluded"] = [int(excluded.get(r, 0)) for r in counts["rule"]]
    note = "Failed: respondents failing the rule; excluded: those excluded by it (not by an earlier rule)."
    table = frame_table(counts, "Respondents failing each screening rule",
                        columns={"rule": "Rule", "n_failed": "Failed", "n_excluded": "Excluded"}, note=note)
    return t.add(table, "exclusions")


# ------------------------------------------------------------------ sample


def _profile_options(ctx: Context) -> dict:
    """Profile question -> {code: label} from the instrument."""
    if ctx.instrument is None:
        return {}
    return {p.id: dict(p.options) for p in getattr(ctx.instrument, "profile", []) if getattr(p, "options", None)}


def _category_rows(values: pd.Series, name: str, options: dict, n: int) -> list[list[str]]:
    """Counts of each category of one profile column (counting rows of firm_outcomes.csv)."""
    counts = values.value_counts(dropna=False)
    rows = []
    for i, value in enumerate(sorted(counts.index, key=lambda v: (pd.isna(v), v))):
        if pd.isna(value):
            label = "not answered"
        else:
            code = int(value) if float(value).is_integer() else value
            label = f"{options.get(code, code)}"
        rows.append([name if i == 0 else "", label, fmt_int(counts[value]), fmt_percent(counts[value] / n if n else None)])
    return rows


@SECTIONS.add("sample", "Sample profile")
def _sample_profile_section(ctx: Context, t: PageTables) -> Content:
    firms = ctx.columns("firm_outcomes", *(col for col, _, _ in PROFILE_COLUMNS))
    if firms is None:
        return missing(ctx, "Sample profile", "firm_outcomes")
    options = _profile_options(ctx)
    n = len(firms)
    rows = []
    for col, pid, name in PROFILE_COLUMNS:
        rows += _category_rows(firms[col], name, options.get(pid, {}), n)
    age = outcome_descriptive_statistics(ctx.columns("firm_outcomes", *OUTCOME_VARIABLES)).loc["age"]
    rows.append(["Firm age (years)", f"M = {fmt_num(age['mean'])}, SD = {fmt_num(age['sd'])}", fmt_int(age["n"]), ""])
    note = synthetic_note(ctx) + f"Retained firms (N = {n}). Categories as in the questionnaire (scales/profile.yaml)."
    table = Table("Characteristics of the firms analysed", ["Characteristic", "Category", "n", "%"], rows, note=note, text_columns={0, 1})
    return t.add(table, "sample")


# ------------------------------------------------------------------ missing data


def _construct_rows(ctx: Context, missingness: pd.DataFrame) -> list[list[str]]:
    """Per construct: its share of missing cells, and its item with the largest share (a row of missingness.csv)."""
    items = missingness[missingness["level"] == "item"]
    rows = []
    for rec in missingness[missingness["level"] == "construct"].to_dict(orient="records"):
        its = items[items["construct"] == rec["construct"]]
        worst = its.loc[its["share_missing"].idxmax()] if len(its) else None
        rows.append([str(rec["id"]), ctx.label(rec["id"]), fmt_int(rec["n_items"]), fmt_percent(rec["share_missing"]),
                     fmt_percent(None if worst is None else worst["share_missing"]), DASH if worst is None else str(worst["id"])])
    return rows


def _any_missing_sentence(ctx: Context) -> str:
    """Respondents with at least one missing item: the valid rows ingest.json counts, less those complete on all items."""
    n_valid = ctx.field("ingest", "n_rows_valid")
    complete = (ctx.field("ingest", "missingness") or {}).get("n_complete_on_all_items")
    if n_valid is None or complete is None:
        return f"Respondents with at least one missing item: {NOT_COMPUTED}. "
    n_any = n_valid - complete
    share = fmt_percent(n_any / n_valid) if n_valid else DASH
    return f"Respondents with at least one missing item: {n_any} of {n_valid} ({share}). "


@SECTIONS.add("missingness", "Missing data")
def _missingness_section(ctx: Context, t: PageTables) -> Content:
    missingness = ctx.columns("missingness", "level", "id", "construct", "n_items", "n_respondents", "share_missing")
    if missingness is None:
        return missing(ctx, "Missing data", "missingness")
    if missingness.empty:
        return not_computed("Missing data", "missingness.csv has no rows")
    n = int(missingness["n_respondents"].iloc[0])
    method = ctx.field("ingest", "missing_method") or (ctx.config.get("data") or {}).get("missing") or NOT_COMPUTED
    note = (
        f"Shares of all {n} validated respondents (before screening) with no answer (missing codes already set to missing). "
        + _any_missing_sentence(ctx) + f"Missing-data method used downstream: {method}."
    )
    table = Table("Missing item responses by construct", ["Construct", "Label", "Items", "Mean % missing", "Max % missing", "Item with max"],
                  _construct_rows(ctx, missingness), note=note, text_columns={0, 1, 5})
    return t.add(table, "missingness")
