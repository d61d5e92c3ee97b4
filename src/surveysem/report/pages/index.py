"""The overview page (index.html): how many firms were analysed, the verdict on every
proposition, the deviations from the pre-registration, the measurement at a glance (scale
verdicts, CFA fit), how many warnings each stage recorded, and links to the other pages."""

from __future__ import annotations

from typing import NamedTuple

from surveysem.report.html import (
    NOT_COMPUTED,
    bullet_list,
    join,
    link,
    not_computed,
    paragraph,
)
from surveysem.report.pages.context import Context
from surveysem.report.pages.index_preregistration import preregistration_section
from surveysem.report.pages.measurement_cascade import cascade_used, model_sentences
from surveysem.report.pages.sections import (
    Content,
    Page,
    PageTables,
    Sections,
    build_page,
    missing_text,
)
from surveysem.report.pages.verdicts import verdict_dashboard
from surveysem.report.pathdiagram import fit_caption
from surveysem.report.tables import Table, fmt_int

# (result key, stage, page with the details)
WARNING_SOURCES = [
    ("firm_outcomes_json", "Outcomes", "outcomes.html"),
    ("measurement_warnings", "Measurement", "measurement.html"),
    ("typology_json", "Propositions: typology", "propositions.html#typology"),
    ("p4_models", "Propositions: P4", "p4.html"),
]

class PageLink(NamedTuple):
    """A link of the overview to another page, with what that page shows."""

    href: str
    name: str
    shows: str


PAGE_LINKS = [
    PageLink("data.html", "Data and screening", "source file, exclusion flow, sample profile, missing data"),
    PageLink("outcomes.html", "Outcomes", "spread, diversification, intensity; typology groups; Table 1 audit"),
    PageLink("measurement.html", "Measurement", "reliability, EFA, CFA, validity, common-method variance, invariance, item responses"),
    PageLink("propositions.html", "Propositions", "P1–P3 regressions, verdicts, typology"),
    PageLink("p4.html", "P4 model", "second-order SEM, path diagrams, indirect effects"),
    PageLink("provenance.html", "Provenance", "file hashes, config, versions, commit"),
]
INSTRUMENT_PAGES = [("codebook_html", "codebook.html", "Codebook"), ("questionnaire_html", "questionnaire.html", "Questionnaire")]


SECTIONS = Sections()


def index_page(ctx: Context) -> Page:
    return build_page(ctx, "index.html", "Overview", SECTIONS)


@SECTIONS.add("summary", "Summary")
def _summary_section(ctx: Context, t: PageTables) -> Content:
    retained = ctx.field("screening", "n_retained")
    n_text = f"{retained} firms retained for analysis" if retained is not None else "number of firms analysed: not computed"
    return paragraph(
            "These pages report the measurement and hypothesis tests of the study. ",
            n_text,
            ". Tables follow APA style; each is also in results/tables/ as CSV (titles and notes in results/tables/tables.json).",
        )


@SECTIONS.add("verdicts", "Verdicts on the propositions")
def _verdicts_section(ctx: Context, t: PageTables) -> Content:
    return verdict_dashboard(ctx)


@SECTIONS.add("preregistration", "Deviations from the pre-registration")
def _preregistration_section(ctx: Context, t: PageTables) -> Content:
    return preregistration_section(ctx, t)


@SECTIONS.add("measurement-summary", "Measurement at a glance")
def _measurement_summary(ctx: Context, t: PageTables) -> Content:
    verdicts = ctx.column("measurement_verdicts", "verdict")
    if verdicts is not None:
        counts = verdicts.astype(str).str.lower().value_counts()  # counting rows of verdicts.csv
        rows = [[k, fmt_int(counts.get(k, 0))] for k in ("pass", "warn", "fail")]
        meas = t.add(Table("Scale verdicts (measurement)", ["Verdict", "Scales"], rows, note="See measurement.html for the reasons."),
                     "scale-verdicts")
    else:
        meas = not_computed("Scale verdicts", missing_text(ctx, "measurement_verdicts"))
    cascade = (" The joint CFA could not be estimated: " + " ".join(model_sentences(ctx)) + " (see measurement.html)"
               if cascade_used(ctx) else "")
    fit_line = paragraph("Measurement model (CFA): ", fit_caption(ctx.field("cfa_fit", "fit")), cascade)
    return [meas, fit_line]


@SECTIONS.add("warnings", "Warnings from all stages")
def _all_warnings_section(ctx: Context, t: PageTables) -> Content:
    """Statistical problems the stages recorded (non-convergence, Heywood cases, skipped tests ...)."""
    rows = []
    for key, stage, href in WARNING_SOURCES:
        if ctx.json(key) is None:
            rows.append(join([link(href, stage), f": {NOT_COMPUTED}"]))
            continue
        warnings = ctx.field(key, "warnings", [])
        n = len(warnings) if isinstance(warnings, list) else 0
        rows.append(join([link(href, stage), f": {n} warning{'s' if n != 1 else ''}"]))
    intro = paragraph("Statistical problems are recorded, not hidden; each page lists its own.")
    return [intro, bullet_list(rows)]


@SECTIONS.add("pages", "Pages")
def _pages_section(ctx: Context, t: PageTables) -> Content:
    items = [join([link(href, name), " – ", desc]) for href, name, desc in PAGE_LINKS]
    for key, href, name in INSTRUMENT_PAGES:
        if ctx.exists(key):
            items.append(join([link(href, name), " – from the instrument stage"]))
        else:
            items.append(join([name, f" – {NOT_COMPUTED} ({missing_text(ctx, key)})"]))
    # written by `snakemake power`, outside the default target: linked when it exists (the rule
    # report_pages has its existence as a param, so the index is rebuilt once it appears)
    if ctx.exists("power_html"):
        items.append(join([link("power.html", "Power study"), " – Monte Carlo power and sample size of the "
                           "hypotheses (simulated studies, `snakemake power`)"]))
    else:
        items.append("Power study – not run (`snakemake power` estimates the power and sample size of the hypotheses)")
    return bullet_list(items)
