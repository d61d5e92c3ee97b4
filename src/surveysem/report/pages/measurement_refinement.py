"""The refinement sections of the measurement page: what to refine, and what was refined.

"Refinement assistant" lists per scale the items a reviewer would question, with the numbers and
the ``scales:`` lines of the config that would drop them (``refinement.csv``); the pipeline never
applies them. "Modification indices of the CFA" shows the ten largest, the evidence the assistant's
modindex criterion reads, with the rule for reading them. "Items dropped from the analysis" lists each item that ``scales:`` in the config leaves out:
its wording, construct, the reason given, its loading and its construct's CR / AVE in the CFA
of the scales as fielded (``dropped_items.csv``) beside the analysed scale's CR / AVE in the
stage's CFA (``validity.csv``). Parcels and constructs the analysis merges or splits are listed
below it. Nothing here is decided by the pipeline: the config's ``scales:`` is.
"""

from __future__ import annotations

from surveysem.instrument.analysed import dropped_items, fielded_items_of
from surveysem.report.html import Safe, bullet_list, join, paragraph, tag
from surveysem.report.pages.context import Context
from surveysem.report.pages.sections import (
    Content,
    PageTables,
    Sections,
    in_construct_order,
    missing,
    synthetic_note,
)
from surveysem.report.tables import (
    DASH,
    Table,
    fmt_bounded,
    fmt_num,
    fmt_r2,
    fmt_standardized,
)

REFINEMENT_SECTIONS = Sections()
DROPPED_COLUMNS = ["Item", "Wording", "Construct", "Reason given", "λ before", "CR before", "CR after", "AVE before",
                   "AVE after", "Analysed as"]
DROPPED_NOTE = ("Before: CFA of the scales as fielded (every item of scales/, same model and estimator); after: the "
                "stage's CFA of the analysed scales (config scales:). λ = standardized loading of the dropped item.")


def _wordings(ctx: Context) -> dict[str, str]:
    inst = ctx.instrument
    return {} if inst is None else {i.id: i.wording for c in inst.fielded_constructs.values() for i in c.items}


def _reasons(ctx: Context) -> dict[str, str]:
    inst = ctx.instrument
    return {} if inst is None else {item: d.reason for item, d in dropped_items(inst).items()}


def _after(validity: list[dict], scales: str, name: str) -> str:
    by_id = {str(r["construct"]): r for r in validity}
    values = [fmt_r2(by_id[s][name]) for s in scales.split(", ") if s in by_id and by_id[s][name] is not None]
    return "; ".join(values) or DASH


# ------------------------------------------------------------------ refinement assistant

REFINEMENT_FIELDS = ("construct", "item", "criterion", "loading", "ave", "ave_loadings", "ave_without", "cr_loadings",
                     "cr_without", "alpha", "alpha_without", "cross_loading", "cross_factor", "max_mi",
                     "max_mi_parameter", "scales_lines")
REFINEMENT_COLUMNS = ["Scale", "Item", "Criterion", "λ", "AVE", "AVE from λ", "AVE without", "CR from λ", "CR without",
                      "α", "α without", "Cross-loading (EFA)", "Largest MI"]
REFINEMENT_NOTE = (
    "Criterion: loading = standardized loading below the threshold; ave = the scale's AVE is below the threshold and "
    "this item's removal raises it most; alpha = the item whose removal raises α most; cross_loading = an EFA pattern "
    "loading on another scale's factor at or above the threshold; modindex = a modification index (1 df) at or above "
    "the threshold for a loading on another factor or a residual covariance. AVE and CR without the item are from this "
    "CFA's loadings, not refitted (AVE: mean squared standardized loading; CR: (Σλ)² / ((Σλ)² + Σ(1 − λ²))); AVE and "
    "CR from λ are the same formulas over all the scale's items, the like-for-like comparison; AVE is that of the "
    "validity table (observed variances).")
NEVER_APPLIED = (
    "The pipeline never applies these lines: to drop an item, the researcher copies its line into the scales: section "
    "of config/config.yaml. Each line drops one item and its numbers assume the others stay, so drop one item at a "
    "time, rerun, and look again.")


def _with(value, what) -> str:
    """``0.35 on F3 (CUS)``: a value and where it is; a dash without a value."""
    return DASH if value is None else f"{fmt_num(value)} on {what}" if what else fmt_num(value)


def _refinement_row(r: dict) -> list:
    return [str(r["construct"]), str(r["item"]), str(r["criterion"]), fmt_standardized(r["loading"]), fmt_r2(r["ave"]),
            fmt_r2(r["ave_loadings"]), fmt_r2(r["ave_without"]), fmt_r2(r["cr_loadings"]),
            fmt_r2(r["cr_without"]), fmt_bounded(r["alpha"]), fmt_bounded(r["alpha_without"]),
            _with(r["cross_loading"], r["cross_factor"]),
            DASH if r["max_mi"] is None else f"{fmt_num(r['max_mi'], 1)} ({r['max_mi_parameter']})"]


def _scales_blocks(ctx: Context, records: list[dict]) -> list[Safe]:
    """Per scale: its heading and the scales: lines of refinement.csv in one <pre> block (the
    three heading lines once, then the item line of every candidate)."""
    out = []
    for cid in in_construct_order(ctx, list(dict.fromkeys(str(r["construct"]) for r in records))):
        blocks = [str(r["scales_lines"]).split("\n") for r in records if str(r["construct"]) == cid]
        lines = blocks[0][:3] + [line for b in blocks for line in b[3:]]
        out += [tag("h3", f"{cid} – {ctx.label(cid)}"), tag("pre", "\n".join(lines))]
    return out


@REFINEMENT_SECTIONS.add("refinement", "Refinement assistant")
def _refinement_section(ctx: Context, t: PageTables) -> Content:
    records = ctx.records("refinement", *REFINEMENT_FIELDS)
    if records is None:
        return missing(ctx, "Refinement assistant", "refinement")
    mi_note = ctx.field("cfa_fit", "modindices_note")
    mi_text = paragraph(f"Modification indices: {mi_note}.") if mi_note else Safe("")
    if not records:
        return [paragraph("No item is questioned by the criteria of measurement.thresholds."), mi_text]
    table = Table("Items a reviewer would question, with the numbers", REFINEMENT_COLUMNS,
                  [_refinement_row(r) for r in records], note=synthetic_note(ctx) + REFINEMENT_NOTE,
                  text_columns={0, 1, 2, 11, 12})
    return [paragraph("Per scale, the items a reviewer would question and the lines of config/config.yaml that would "
                      "drop them, with the reason built from the numbers."), t.add(table, "refinement"), mi_text,
            paragraph(NEVER_APPLIED), *_scales_blocks(ctx, records)]


# ------------------------------------------------------------------ modification indices

MODINDEX_COLUMNS = ["Parameter", "MI", "EPC", "SEPC (all)"]
MODINDEX_SHOWN = 10
MODINDEX_RULE = (
    "MI = the drop in χ² (1 df) expected if the parameter were freed (lavaan modindices(); 3.84 is p = .05); EPC = its "
    "expected value; SEPC = the EPC completely standardized. Reading them: a large MI with a small SEPC (|SEPC| < .20) "
    "is a trivial misspecification that the sample size makes visible; a large MI with a large SEPC points at a "
    "cross-loading or a shared residual worth a look (Saris, Satorra & van der Veld 2009). Freeing parameters one by "
    "one to improve fit capitalises on chance: free one only for a reason given before looking (e.g. two items with "
    "the same wording), and report it. Under FIML the indices use the expected information summed over the "
    "missing-data patterns, under MLR the ordinary (not robust) information, as lavaan's modindices().")


@REFINEMENT_SECTIONS.add("modification-indices", "Modification indices of the CFA")
def _modindices_section(ctx: Context, t: PageTables) -> Content:
    records = ctx.records("cfa_modindices", "lhs", "op", "rhs", "mi", "epc", "sepc_all")
    if records is None:
        return missing(ctx, "Modification indices", "cfa_modindices")
    note = ctx.field("cfa_fit", "modindices_note")
    if not records:
        return paragraph(f"Not computed: {note}." if note else "No modification index (the model has none to free).")
    rows = [[f"{r['lhs']} {r['op']} {r['rhs']}", fmt_num(r["mi"], 2), fmt_num(r["epc"]), fmt_num(r["sepc_all"])]
            for r in records[:MODINDEX_SHOWN]]
    table = Table(f"The {len(rows)} largest modification indices of the CFA", MODINDEX_COLUMNS, rows,
                  note=synthetic_note(ctx) + MODINDEX_RULE, text_columns={0})
    return t.add(table, "modification-indices")


# ------------------------------------------------------------------ items dropped


@REFINEMENT_SECTIONS.add("items-dropped", "Items dropped from the analysis")
def _dropped_section(ctx: Context, t: PageTables) -> Content:
    records = ctx.records("dropped_items", "item", "construct", "analysed_scale", "loading_before", "cr_before",
                          "ave_before")
    if records is None:
        return missing(ctx, "Items dropped from the analysis", "dropped_items")
    parts = _other_refinements(ctx)
    if not records:
        return [paragraph("No item is dropped: every item of the instrument is analysed (config scales: drops none)."),
                *parts]
    validity = ctx.records("validity", "construct", "cr", "ave") or []
    wordings, reasons = _wordings(ctx), _reasons(ctx)
    rows = [[r["item"], wordings.get(r["item"], DASH), r["construct"], reasons.get(r["item"], DASH),
             fmt_standardized(r["loading_before"]), fmt_r2(r["cr_before"]), _after(validity, r["analysed_scale"] or "", "cr"),
             fmt_r2(r["ave_before"]), _after(validity, r["analysed_scale"] or "", "ave"), r["analysed_scale"] or DASH]
            for r in records]
    table = Table("Items dropped from the analysis", DROPPED_COLUMNS, rows, note=synthetic_note(ctx) + DROPPED_NOTE,
                  text_columns={0, 1, 2, 3, 9})
    return [t.add(table, "items-dropped"), *parts]


def _other_refinements(ctx: Context) -> list:
    """Parcels and constructs built from instrument constructs, one line each."""
    inst = ctx.instrument
    if inst is None:
        return []
    lines = [f"{p.id} (in {p.construct}): parcel, the mean of {', '.join(p.items)}" for p in inst.parcels.values()]
    fielded = inst.fielded_constructs
    for cid, construct in inst.constructs.items():
        if cid not in fielded:
            lines.append(f"{cid} ({construct.label}): built from the instrument's "
                         f"{', '.join(dict.fromkeys(i.construct for i in fielded_items_of(inst, construct)))}")
    return [join([paragraph("Other refinements of the analysed scales:"), bullet_list(lines)])] if lines else []
