"""The outcomes page (outcomes.html): descriptive statistics and distributions of speed of
spread, diversification and sales intensity (with the formulas used), the firms in each
typology group, and the audit of Table 1 of Yang & Stoian (2024) recomputed from the paper's data."""

from __future__ import annotations

import numpy as np
import pandas as pd

from surveysem.report.descriptives import OUTCOME_VARIABLES, outcome_descriptive_statistics
from surveysem.report.figures import figure, histogram
from surveysem.report.html import Safe, definition_list, join, paragraph, tag
from surveysem.report.pages.context import Context
from surveysem.report.pages.sections import (
    Content, Page, PageTables, Sections, build_page, is_true, missing, synthetic_note, warnings_block
)
from surveysem.report.tables import DASH, Table, fmt_bounded, fmt_int, fmt_num, fmt_percent, frame_table

# (outcome, x-axis label, one bar per whole number)
HISTOGRAMS = (("spread", "countries entered per year abroad", False), ("diversification", "regions entered (of 12)", True),
              ("intensity", "foreign sales / total sales", False))
GROUP_EMPHASIS = {
    1: "low-tech, standardised products: spread",
    2: "high-tech / knowledge-intensive, individual customers: diversification",
    3: "high-tech, corporate customers: sales intensity",
}
AUDIT_COLUMNS = ("firm", "spread_reported", "spread_computed", "diversification_reported", "diversification_computed",
                 "intensity_reported", "intensity_computed", "agrees", "note")


SECTIONS = Sections()


def outcomes_page(ctx: Context) -> Page:
    return build_page(ctx, "outcomes.html", "Outcomes", SECTIONS)


def _descriptives_table(ctx: Context, firms: pd.DataFrame) -> Table:
    # No stage writes these statistics yet: report.descriptives computes them, apart from the page.
    rows = []
    for variable, s in outcome_descriptive_statistics(firms).iterrows():
        f = fmt_bounded if variable == "intensity" else fmt_num
        extreme = fmt_int if s["whole_numbers"] else f
        rows.append([variable, fmt_int(s["n"]), f(s["mean"]), f(s["sd"]), f(s["median"]), extreme(s["min"]), extreme(s["max"])])
    note = synthetic_note(ctx) + (
        "Spread = countries entered / years since first foreign entry; diversification = regions entered (of 12); "
        "intensity = foreign sales / total sales. SD with n − 1."
    )
    return Table("Descriptive statistics of the outcomes", ["Variable", "n", "M", "SD", "Mdn", "Min", "Max"], rows, note=note)


def _histograms(firms: pd.DataFrame) -> Safe:
    figs = []
    for variable, xlabel, integer in HISTOGRAMS:
        x = pd.to_numeric(firms[variable], errors="coerce").dropna()
        svg = histogram(x.tolist(), f"Distribution of {variable}", xlabel, integer=integer)
        figs.append(figure(svg, f"Figure. Distribution of {variable} (n = {len(x)}).", f"hist-{variable}"))
    return tag("div", *figs, class_="figure-grid small")


@SECTIONS.add("descriptives", "Outcome descriptives")
def _descriptives_section(ctx: Context, t: PageTables) -> Content:
    firms = ctx.columns("firm_outcomes", *OUTCOME_VARIABLES)
    if firms is None:
        return missing(ctx, "Outcomes", "firm_outcomes")
    conventions = ctx.field("firm_outcomes_json", "conventions")
    definitions = Safe("")
    if isinstance(conventions, dict):
        definitions = join([tag("h3", "Definitions used"), definition_list(sorted(conventions.items()))])
    warnings = warnings_block(ctx.field("firm_outcomes_json", "warnings"))
    return [t.add(_descriptives_table(ctx, firms), "descriptives"), _histograms(firms), definitions, warnings]


def _group_row(group, count: int, n: int) -> list[str]:
    whole = isinstance(group, (int, float, np.integer, np.floating)) and not pd.isna(group) and float(group).is_integer()
    label = "unclassified" if pd.isna(group) else GROUP_EMPHASIS.get(int(group), "") if whole else ""
    shown = DASH if pd.isna(group) else fmt_int(group) if whole else str(group)
    return [shown, label, fmt_int(count), fmt_percent(count / n)]


@SECTIONS.add("groups", "Typology groups")
def _groups_section(ctx: Context, t: PageTables) -> Content:
    groups = ctx.column("firm_outcomes", "group")
    if groups is None:
        return missing(ctx, "Typology groups", "firm_outcomes")
    counts = groups.value_counts(dropna=False)  # counting rows of firm_outcomes.csv
    rows = [_group_row(g, counts[g], len(groups)) for g in sorted(counts.index, key=lambda v: (pd.isna(v), v))]
    table = Table("Firms by typology group (Yang & Stoian 2024, Section 4)", ["Group", "Emphasis", "n", "%"], rows, text_columns={0, 1})
    return t.add(table, "groups")


@SECTIONS.add("table1-audit", "Table 1 audit")
def _audit_section(ctx: Context, t: PageTables) -> Content:
    audit = ctx.columns("table1_audit", *AUDIT_COLUMNS)
    if audit is None:
        return missing(ctx, "Table 1 audit", "table1_audit")
    audit = audit.copy()
    agrees = audit["agrees"].map(is_true)
    audit["agrees"] = np.where(agrees, "yes", "no")
    formats = {c: fmt_bounded for c in ("intensity_reported", "intensity_computed")}
    formats.update({c: fmt_int for c in ("firm", "diversification_reported", "diversification_computed")})
    note = (f"agrees: {int(agrees.sum())} of {len(audit)} rows. Reported: the paper's value; computed: recomputed from the "
            "firm's market-entry history with the region table in scales/regions.csv.")
    intro = paragraph("Recomputation of the outcome values in Table 1 of Yang & Stoian (2024) from the firms' market-entry "
                      "histories, beside the paper's own numbers.")
    table = frame_table(audit, "Table 1 of Yang & Stoian (2024) recomputed", formatters=formats, note=note)
    return [intro, t.add(table, "table1-audit")]
