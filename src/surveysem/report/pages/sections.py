"""What every page is made of: numbered tables, the section guard, "not computed" sentences,
warning blocks, the synthetic-data note, fit-index formatting and the page frame.

The guard is why one unreadable result file spoils only its own section: the section then
says in words which file could not be read (never an exception text), and the log has the
traceback.
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass
from typing import Callable

from surveysem.report.html import PAGES, Safe, bullet_list, join, not_computed, page, section, slug, tag
from surveysem.report.pages.context import ColumnNotRegistered, Context, UnreadableResult
from surveysem.report.tables import DASH, Table, fmt_bounded, fmt_int, fmt_num, fmt_p, formatter_for

log = logging.getLogger("surveysem.report")


@dataclass
class Page:
    """One page: its file name, title, HTML and the tables it shows (also written as CSV)."""

    filename: str
    title: str
    html: str
    tables: list[tuple[str, Table]]


class PageTables:
    """Numbers the tables of one page and remembers them for the CSV copies."""

    def __init__(self, page_slug: str):
        self.page_slug = page_slug
        self.items: list[tuple[str, Table]] = []

    def add(self, table: Table, name: str) -> Safe:
        table.number = len(self.items) + 1
        table.table_id = table.table_id or f"table-{slug(name)}"
        self.items.append((f"{self.page_slug}_{slug(name)}", table))
        return table.to_html()


# ------------------------------------------------------------------ guard and "not computed"


def guard(ctx: Context, tables: PageTables, sid: str, title: str, build: Callable[[], object]):
    """The content of one section; if one of its inputs cannot be read, a sentence saying which
    (the log has the traceback) instead of the whole report failing. Tables of a failed section
    are dropped. A column a page asks for that is not registered is a bug and stops the report."""
    n_tables = len(tables.items)
    ctx.reads.clear()
    try:
        return build()
    except ColumnNotRegistered:
        raise
    except Exception as exc:  # noqa: BLE001 - a report section must not take the whole report down
        del tables.items[n_tables:]
        reason = _unreadable_reason(ctx, exc)
        log.warning("section %s (%s) could not be built: %s", sid, title, reason, exc_info=True)
        return not_computed(title, reason)


def _unreadable_reason(ctx: Context, exc: Exception) -> str:
    """What could not be read, in words: the file the error names, else the files the section read."""
    if isinstance(exc, UnreadableResult):
        return f"{exc.path} could not be read: {exc.reason}"
    paths = list(dict.fromkeys(ctx.shown_path(key) for key in ctx.reads))
    if not paths:
        return "its input could not be read"
    return f"{' or '.join(paths)} could not be read"


def missing_text(ctx: Context, key: str) -> str:
    return f"{ctx.shown_path(key)} does not exist yet"


def missing(ctx: Context, what: str, key: str) -> Safe:
    """What a section says when its input file ``key`` does not exist."""
    return not_computed(what, missing_text(ctx, key))


def synthetic_note(ctx: Context) -> str:
    return "Computed from synthetic data. " if ctx.synthetic else ""


def warnings_block(warnings) -> Safe:
    """The warnings a stage recorded (strings, or dicts with a message and where it came from)."""
    if not warnings:
        return Safe("")
    items = []
    for w in warnings:
        if isinstance(w, dict) and "message" in w:
            where = w.get("step") or w.get("source") or w.get("where")
            items.append(f"{where}: {w['message']}" if where else str(w["message"]))
        elif isinstance(w, dict):
            items.append("; ".join(f"{k}: {v}" for k, v in sorted(w.items())))
        else:
            items.append(str(w))
    return tag("div", tag("strong", f"Warnings ({len(items)})"), bullet_list(items), class_="warnings")


# ------------------------------------------------------------------ values


def as_float(x) -> float | None:
    """``x`` as a finite float, else None."""
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def is_true(x) -> bool:
    """A flag read from a CSV cell (True, 1, "true", "yes")."""
    return str(x).lower() in ("true", "1", "yes")


def p_phrase(p) -> str:
    """``p < .001`` or ``p = .032``."""
    text = fmt_p(p)
    return f"p {text}" if text.startswith("<") else f"p = {text}"


def in_construct_order(ctx: Context, ids: list[str]) -> list[str]:
    """``ids`` in the instrument's construct order (unknown ones last, in their order)."""
    if ctx.instrument is None:
        return list(ids)
    order = {c: i for i, c in enumerate(ctx.instrument.constructs)}
    return sorted(ids, key=lambda c: order.get(c, len(order)))


def in_item_order(ctx: Context, ids: list[str]) -> list[str]:
    """``ids`` in the instrument's item order (unknown ones last, in their order)."""
    if ctx.instrument is None:
        return list(ids)
    order = {i: n for n, i in enumerate(ctx.instrument.item_ids)}
    return sorted(ids, key=lambda i: order.get(i, len(order)))


def json_table(obj: dict, title: str, note: str = "", skip: set[str] = frozenset()) -> Table:
    """The scalar entries of a JSON object as a two-column table (quantity, value)."""
    rows: list[list[str]] = []
    _flatten("", obj, skip, rows)
    for row in rows:
        row[0] = " › ".join(part.replace("_", " ") for part in row[0].split("."))
    return Table(title=title, columns=["Quantity", "Value"], rows=rows, note=note, text_columns={0, 1})


def _flatten(prefix: str, value, skip: set[str], rows: list[list[str]]) -> None:
    if isinstance(value, dict):
        for k in sorted(value):
            if k not in skip:
                _flatten(f"{prefix}.{k}" if prefix else str(k), value[k], skip, rows)
    elif isinstance(value, list):
        if all(not isinstance(v, (dict, list)) for v in value):  # lists of objects are not shown
            rows.append([prefix, ", ".join(str(v) for v in value) if value else "none"])
    else:
        rows.append([prefix, _scalar_text(prefix.split(".")[-1], value)])


def _scalar_text(name: str, value) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int) and formatter_for(name) is not fmt_p:
        return fmt_int(value)
    if isinstance(value, (int, float)):
        return formatter_for(name)(value)
    return DASH if value is None else str(value)


# ------------------------------------------------------------------ fit indices


FIT_CRITERIA = {
    "cfi": "≥ .95", "tli": "≥ .95", "rmsea": "≤ .06", "srmr": "≤ .08",
    "cfi_robust": "≥ .95", "tli_robust": "≥ .95", "rmsea_robust": "≤ .06",
}
FIT_NAMES = [
    ("chisq", "χ²"), ("df", "df"), ("pvalue", "p"), ("chisq_scaled", "χ² (scaled)"), ("pvalue_scaled", "p (scaled)"),
    ("cfi", "CFI"), ("tli", "TLI"), ("rmsea", "RMSEA"), ("rmsea_ci_lower", "RMSEA 90% CI lower"),
    ("rmsea_ci_upper", "RMSEA 90% CI upper"), ("srmr", "SRMR"), ("cfi_robust", "CFI (robust)"), ("tli_robust", "TLI (robust)"),
    ("rmsea_robust", "RMSEA (robust)"), ("aic", "AIC"), ("bic", "BIC"), ("npar", "Free parameters"), ("nobs", "N"),
]


def fit_value(key: str, value) -> str:
    """A fit index as APA prints it: counts whole, p values, chi-square and AIC two decimals,
    the bounded indices three decimals without a leading zero."""
    if key in ("df", "npar", "nobs"):
        return fmt_int(value)
    if key.startswith("pvalue"):
        return fmt_p(value)
    if key in ("chisq", "chisq_scaled", "aic", "bic", "logl"):
        return fmt_num(value)
    return fmt_bounded(value, 3)


# ------------------------------------------------------------------ page frame


def _as_list(content) -> list:
    return list(content) if isinstance(content, (list, tuple)) else [content]


def _number_figures(body: str) -> Safe:
    """'Figure.' captions become 'Figure 1.', 'Figure 2.' ... in page order (APA numbering)."""
    counter = iter(range(1, 10_000))
    return Safe(re.sub(r"<figcaption>Figure\. ", lambda m: f"<figcaption><em>Figure {next(counter)}.</em> ", str(body)))


Content = Safe | list  # what a section builder returns: markup, or a list of it, shown below the section's title


class Sections(list):
    """The sections of a page in order, as (id, title, builder); a builder takes the context and the
    page's tables and returns the section's content (markup, or a list of it) below its title.
    ``@sections.add(id, title)`` appends one."""

    def add(self, sid: str, title: str):
        def register(build: Callable[[Context, PageTables], Safe]):
            self.append((sid, title, build))
            return build
        return register


def build_page(ctx: Context, filename: str, title: str, sections: list, heading: str | None = None) -> Page:
    """The page ``filename``: every section built under the guard, in the page frame with its
    navigation, figures numbered in page order."""
    tables = PageTables(filename.removesuffix(".html"))
    parts = [section(sid, heading_of_section, *_as_list(guard(ctx, tables, sid, heading_of_section, lambda build=build: build(ctx, tables))))
             for sid, heading_of_section, build in sections]
    day, _ = ctx.date()
    html = page(heading or title, _number_figures(join(parts)), current=filename, study_title=ctx.study_title,
                synthetic=ctx.synthetic, date=day, pages=PAGES)
    return Page(filename, title, html, tables.items)
