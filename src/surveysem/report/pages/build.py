"""Writes every page into ``reports/`` and every table it shows as CSV into ``results/tables/``
(with ``tables.json``: titles, notes and the synthetic flag of the CSV copies)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Callable

from surveysem.io import write_csv, write_json, write_text
from surveysem.report.pages.context import Context
from surveysem.report.pages.data import data_page
from surveysem.report.pages.index import index_page
from surveysem.report.pages.measurement import measurement_page
from surveysem.report.pages.outcomes import outcomes_page
from surveysem.report.pages.p4 import p4_page
from surveysem.report.pages.propositions import propositions_page
from surveysem.report.pages.provenance import provenance_page
from surveysem.report.pages.sections import Page
from surveysem.report.tables import Table

log = logging.getLogger("surveysem.report")

# In the order of the navigation bar (surveysem.report.html.PAGES).
PAGE_FUNCTIONS: list[Callable[[Context], Page]] = [
    index_page,
    data_page,
    outcomes_page,
    measurement_page,
    propositions_page,
    p4_page,
    provenance_page,
]


def build_report(ctx: Context, out_dir, tables_dir=None) -> list[Path]:
    """Write every page into ``out_dir`` and every table as CSV into ``tables_dir``; return the paths."""
    out_dir = Path(out_dir)
    written = []
    all_tables: list[tuple[str, Table]] = []
    for make_page in PAGE_FUNCTIONS:
        pg = make_page(ctx)
        path = out_dir / pg.filename
        write_text(path, pg.html)
        log.info("wrote %s (%d tables)", path, len(pg.tables))
        written.append(path)
        all_tables.extend(pg.tables)
    if tables_dir is not None:
        written += _write_tables(ctx, Path(tables_dir), all_tables)
    return written


def _write_tables(ctx: Context, tables_dir: Path, tables: list[tuple[str, Table]]) -> list[Path]:
    tables_dir.mkdir(parents=True, exist_ok=True)
    written, manifest = [], []
    for name, table in tables:
        path = tables_dir / f"{name}.csv"
        write_csv(path, table.to_csv_frame())
        written.append(path)
        page_name = name.split("_", 1)[0]
        manifest.append({"file": path.name, "page": f"{page_name}.html", "number": table.number, "title": table.title,
                         "note": table.full_note.replace("\u2212", "-")})
    # Titles and notes of the CSV tables (APA puts them above and below the table), and the synthetic flag.
    write_json(tables_dir / "tables.json", {"synthetic": ctx.synthetic, "tables": manifest})
    written.append(tables_dir / "tables.json")
    log.info("wrote %d tables (CSV) and tables.json to %s", len(tables), tables_dir)
    return written
