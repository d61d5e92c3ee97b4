"""The provenance page (provenance.html): the reproducible report date, git commit and
synthetic flag; the SHA-256 of the survey, instrument and every result file read; the config the
pipeline ran with (with its SHA-256); and the versions of the packages that computed the results."""

from __future__ import annotations

from pathlib import Path

import yaml

from surveysem.io import canonical_json_sha256
from surveysem.report import provenance
from surveysem.report.html import NOT_COMPUTED, definition_list, paragraph, tag
from surveysem.report.pages.context import Context
from surveysem.report.pages.sections import Content, Page, PageTables, Sections, build_page
from surveysem.report.tables import DASH, Table


SECTIONS = Sections()


def provenance_page(ctx: Context) -> Page:
    return build_page(ctx, "provenance.html", "Provenance", SECTIONS)


@SECTIONS.add("run", "Run")
def _run_section(ctx: Context, t: PageTables) -> Content:
    day, how = ctx.date()
    facts = [
        ("Report date", f"{day} ({how})"),
        ("Git commit", provenance.git_commit(ctx.root)),
        ("Synthetic data", {True: "yes", False: "no", None: NOT_COMPUTED}[ctx.synthetic]),
    ]
    why = ("The report date is never the wall-clock time, so that reruns give byte-identical pages: it is SOURCE_DATE_EPOCH "
           "if set, else the latest modification date of the data file.")
    return [definition_list(facts), paragraph(why)]


def _input_files(ctx: Context) -> list[str]:
    """The survey, every file of the instrument and every result file the pages read (the config is
    shown in full below, with its own hash)."""
    files = []
    survey = (ctx.config.get("data") or {}).get("survey") if ctx.config else None
    if survey:
        files.append(survey)
    if ctx.config_path:
        files.append(ctx.config_path)
    scales_dir = (ctx.config.get("instrument") or {}).get("scales_dir") if ctx.config else None
    if scales_dir and Path(ctx.root, scales_dir).is_dir():
        found = (p for p in Path(ctx.root, scales_dir).rglob("*") if p.is_file())
        files += sorted(str(p) if Path(scales_dir).is_absolute() else str(p.relative_to(ctx.root)) for p in found)
    files += [v for k, v in ctx.files.items() if not k.endswith("_html")]
    return list(dict.fromkeys(files))


@SECTIONS.add("files", "Input files")
def _files_section(ctx: Context, t: PageTables) -> Content:
    rows = []
    for f in _input_files(ctx):
        full = Path(f) if Path(f).is_absolute() else Path(ctx.root) / f
        _, digest, size = provenance.file_hashes([full])[0]
        rows.append([f, digest, size or DASH])
    table = Table("SHA-256 of the data, instrument and result files", ["File", "SHA-256", "Bytes"], rows, text_columns={0, 1})
    return t.add(table, "files")


@SECTIONS.add("analysed-scales", "Analysed scales and instrument")
def _analysed_scales_section(ctx: Context, t: PageTables) -> Content:
    """The instrument as fielded (its hash) beside the config's scales: that the statistics used."""
    from surveysem.instrument.facets import instrument_digests

    inst = ctx.instrument
    scales_dir = (ctx.config.get("instrument") or {}).get("scales_dir") if ctx.config else None
    if inst is None or not scales_dir:
        return paragraph(NOT_COMPUTED)
    fielded = sum(len(c.items) for c in inst.fielded_constructs.values() if c.kind != "attention")
    analysed = sum(len(c.items) for c in inst.constructs.values() if c.kind != "attention")
    scales = (ctx.config or {}).get("scales") or {}
    facts = [
        ("Instrument (as fielded)", f"{scales_dir}: {len(inst.fielded_constructs)} constructs, {fielded} rated items; "
                                    f"SHA-256 of all its files {instrument_digests(Path(ctx.root, scales_dir))['text']}"),
        ("Analysed scales", f"{len(inst.constructs)} constructs, {analysed} indicators, {len(inst.dropped)} item(s) "
                            f"dropped, {len(inst.parcels)} parcel(s)"),
        ("config scales:", "empty: every construct as fielded" if not scales else
         f"SHA-256 of its canonical JSON {canonical_json_sha256(scales)}"),
    ]
    parts = [definition_list(facts)]
    if scales:
        parts.append(tag("pre", yaml.safe_dump({"scales": scales}, sort_keys=False, allow_unicode=True)))
    return parts


@SECTIONS.add("config", "Configuration used")
def _config_section(ctx: Context, t: PageTables) -> Content:
    if not ctx.config:
        return tag("pre", NOT_COMPUTED)
    text = yaml.safe_dump(ctx.config, sort_keys=False, allow_unicode=True)
    digest = canonical_json_sha256(ctx.config)
    note = (f"The configuration as validated, defaults filled in (SHA-256 of its canonical JSON: {digest}). "
            "Every section is shown but simulate:, the population model of surveysem simulate, which no step of "
            "the pipeline reads.")
    return [paragraph(note), tag("pre", text)]


@SECTIONS.add("versions", "Software")
def _versions_section(ctx: Context, t: PageTables) -> Content:
    rows = [list(r) for r in provenance.package_versions()]
    return t.add(Table("Package versions", ["Package", "Version"], rows, text_columns={0, 1}), "versions")
