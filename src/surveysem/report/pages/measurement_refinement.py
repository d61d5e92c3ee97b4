"""The refinement record of the measurement page: the analysed scales against the instrument.

"Items dropped from the analysis" lists each item that ``scales:`` in the config leaves out:
its wording, construct, the reason given, its loading and its construct's CR / AVE in the CFA
of the scales as fielded (``dropped_items.csv``) beside the analysed scale's CR / AVE in the
stage's CFA (``validity.csv``). Parcels and constructs the analysis merges or splits are listed
below it. Nothing here is decided by the pipeline: the config's ``scales:`` is.
"""

from __future__ import annotations

from surveysem.report.html import bullet_list, join, paragraph
from surveysem.report.pages.context import Context
from surveysem.report.pages.sections import Content, PageTables, Sections, missing, synthetic_note
from surveysem.report.tables import DASH, Table, fmt_bounded, fmt_num

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
    return {} if inst is None else {d.item: d.reason for d in inst.dropped}


def _after(validity: list[dict], scales: str, name: str) -> str:
    by_id = {str(r["construct"]): r for r in validity}
    values = [fmt_bounded(by_id[s][name]) for s in scales.split(", ") if s in by_id and by_id[s][name] is not None]
    return "; ".join(values) or DASH


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
             fmt_num(r["loading_before"]), fmt_bounded(r["cr_before"]), _after(validity, r["analysed_scale"] or "", "cr"),
             fmt_bounded(r["ave_before"]), _after(validity, r["analysed_scale"] or "", "ave"), r["analysed_scale"] or DASH]
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
                         f"{', '.join(dict.fromkeys(i.construct for i in _source_items(inst, construct)))}")
    return [join([paragraph("Other refinements of the analysed scales:"), bullet_list(lines)])] if lines else []


def _source_items(inst, construct):
    """The fielded items behind ``construct``'s indicators (parcels expanded)."""
    fielded = {i.id: i for c in inst.fielded_constructs.values() for i in c.items}
    for indicator in construct.items:
        parcel = inst.parcels.get(indicator.id)
        yield from (fielded[i] for i in (parcel.items if parcel else (indicator.id,)) if i in fielded)
