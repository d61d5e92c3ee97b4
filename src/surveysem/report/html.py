"""Page frame and escaping for the HTML reports.

Every piece of text that comes from a config, the instrument (``scales/``) or the data goes
through :func:`esc`; markup built by this package is wrapped in :class:`Safe` so it is not
escaped twice. A scale wording ``<script>alert(1)</script>`` therefore shows as text.

Pages are self-contained: inline CSS, inline SVG figures, no scripts, no fonts or images
from the network. A Content-Security-Policy ``<meta>`` forbids any network request, so a
page that tried to load something would show a console error (the browser test fails on it).
"""

from __future__ import annotations

import html as _html
from typing import Iterable

from surveysem.resampling import TOO_FEW_RESAMPLES

# Reports carry their own small stylesheet; no CDN, no web fonts.
CSS = """
:root { --ink: #1a1a1a; --muted: #555; --rule: #222; --light: #e6e6e6; --accent: #1f4e79;
        --pass: #1b7a3a; --warn: #a86400; --fail: #b00020; --na: #6b6b6b; }
* { box-sizing: border-box; }
html { font-size: 16px; }
body { margin: 0; color: var(--ink); background: #fff;
       font-family: "Segoe UI", "Helvetica Neue", Helvetica, Arial, "Liberation Sans", sans-serif;
       line-height: 1.45; }
header.site { background: var(--accent); color: #fff; padding: .6rem 1.5rem; }
header.site .study { font-size: .9rem; opacity: .9; }
header.site h1 { margin: .1rem 0 0 0; font-size: 1.5rem; }
nav.pages { background: #f3f5f8; border-bottom: 1px solid var(--light); padding: .4rem 1.5rem; }
nav.pages a { margin-right: 1.1rem; color: var(--accent); text-decoration: none; font-weight: 500; }
nav.pages a[aria-current="page"] { text-decoration: underline; }
.banner-synthetic { background: #fff3cd; border: 2px solid #c99a00; color: #5c4400; padding: .55rem 1.5rem;
                    font-weight: 600; }
main { max-width: 72rem; padding: 1rem 1.5rem 3rem 1.5rem; }
section { margin: 1.6rem 0; }
h2 { font-size: 1.3rem; border-bottom: 1px solid var(--light); padding-bottom: .2rem; }
h3 { font-size: 1.08rem; margin-bottom: .3rem; }
p.lead { color: var(--muted); }
.not-computed { color: var(--na); font-style: italic; border-left: 3px solid var(--light); padding-left: .6rem; }
.warnings { border-left: 3px solid var(--warn); padding-left: .6rem; }
.table-wrap { overflow-x: auto; margin: .6rem 0 1.2rem 0; }
table.apa { border-collapse: collapse; font-family: "Times New Roman", Times, "Liberation Serif", serif;
            font-size: .95rem; margin: 0; min-width: 26rem; }
table.apa caption { caption-side: top; text-align: left; padding-bottom: .35rem; }
table.apa caption .tnum { display: block; font-weight: bold; }
table.apa caption .ttitle { display: block; font-style: italic; }
table.apa thead tr:first-child th { border-top: 2px solid var(--rule); }
table.apa thead th { border-bottom: 1px solid var(--rule); padding: .25rem .6rem; text-align: center;
                     font-weight: normal; vertical-align: bottom; }
table.apa td { padding: .2rem .6rem; text-align: right; white-space: nowrap; }
table.apa td.text { text-align: left; white-space: normal; }
table.apa tbody tr:last-child td { border-bottom: 2px solid var(--rule); }
table.apa tfoot td { text-align: left; font-size: .88rem; padding-top: .35rem; white-space: normal; }
.verdict { font-weight: 600; }
.v-pass, .v-supported { color: var(--pass); }
.v-warn, .v-partially-supported, .v-partially { color: var(--warn); }
.v-fail, .v-not-supported { color: var(--fail); }
.v-not-computed { color: var(--na); }
.dashboard { display: flex; flex-wrap: wrap; gap: .8rem; margin: .6rem 0 1rem 0; }
.card { border: 1px solid var(--light); border-radius: 6px; padding: .6rem .8rem; min-width: 13rem; flex: 1 1 13rem; }
.card h3 { margin: 0 0 .2rem 0; }
.card .verdict { font-size: 1.05rem; }
.card ul.subs { margin: .3rem 0; padding-left: 1.1rem; font-size: .88rem; }
.card ul.subs .verdict { font-size: .88rem; font-weight: 500; }
.card .estimator { font-size: .85rem; color: var(--muted); }
.v-not-estimable { color: var(--na); }
figure { margin: 1rem 0 1.4rem 0; }
.figure-grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(34rem, 1fr)); gap: 0 1.5rem; }
.figure-grid figure { margin: .6rem 0; min-width: 0; }
.figure-grid figure svg { width: 100%; }
.figure-grid.small { grid-template-columns: repeat(auto-fill, minmax(18rem, 1fr)); }
figure svg { max-width: 100%; height: auto; }
figcaption { font-size: .9rem; color: var(--muted); margin-top: .3rem; max-width: 60rem; }
dl.kv { display: grid; grid-template-columns: max-content auto; gap: .15rem 1rem; }
dl.kv dt { font-weight: 600; }
dl.kv dd { margin: 0; overflow-wrap: anywhere; }
code, pre { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: .85rem; }
pre { background: #f6f6f6; padding: .6rem; overflow-x: auto; white-space: pre-wrap; }
footer.site { color: var(--muted); font-size: .85rem; border-top: 1px solid var(--light); padding: .6rem 1.5rem; }
/* codebook and questionnaire (surveysem.instrument.codebook) */
table.plain { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; font-size: .9rem; }
table.plain th, table.plain td { border-top: 1px solid #ccc; padding: .3rem .4rem; vertical-align: top; text-align: left; }
table.plain thead th { border-bottom: 2px solid #333; }
table.plain td.box { text-align: center; font-size: 1.1rem; }
.note { color: #555; font-size: .85rem; }
.stem { font-style: italic; }
@media print {
  nav.pages { display: none; }
  header.site { background: none; color: #000; border-bottom: 2px solid #000; padding: 0 0 .3rem 0; }
  .banner-synthetic { background: none; border: 2px solid #000; color: #000; }
  main { max-width: none; padding: 0; }
  body { font-size: 10.5pt; }
  a { color: #000; text-decoration: none; }
  .table-wrap { overflow: visible; }
  table.apa { font-size: 9.5pt; }
  table.apa td { white-space: normal; }
  table, figure { break-inside: avoid; page-break-inside: avoid; }
  h2, h3 { break-after: avoid; page-break-after: avoid; }
  section { break-before: auto; }
  .v-pass, .v-supported, .v-warn, .v-fail, .v-not-supported, .v-partially-supported { color: #000; }
}
"""

# No network, no scripts: inline styles and data: images only.
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"

NOT_COMPUTED = "not computed"


class Safe(str):
    """A string of markup built by this package (already escaped)."""

    __slots__ = ()

    def __add__(self, other):
        return Safe(str.__add__(self, esc(other)))


def esc(value) -> Safe:
    """Escape text for HTML (``&``, ``<``, ``>``, quotes); markup marked :class:`Safe` passes through.

    >>> esc("<script>alert(1)</script>")
    '&lt;script&gt;alert(1)&lt;/script&gt;'
    """
    if isinstance(value, Safe):
        return value
    if value is None:
        return Safe("")
    return Safe(_html.escape(str(value), quote=True))


def join(parts: Iterable, sep: str = "") -> Safe:
    """Concatenate escaped parts."""
    return Safe(sep.join(esc(p) for p in parts))


def tag(name: str, *children, **attrs) -> Safe:
    """``<name attr="...">children</name>``; children and attribute values are escaped.

    Attribute names use ``class_`` for ``class`` and underscores for hyphens (``aria_label``).
    ``None``/``False`` attributes are left out; ``True`` gives a bare attribute.
    """
    parts = [name]
    for key, value in attrs.items():
        if value is None or value is False:
            continue
        key = key.rstrip("_").replace("_", "-")
        parts.append(key if value is True else f'{key}="{esc(value)}"')
    opening = "<" + " ".join(parts) + ">"
    return Safe(opening + join(children) + f"</{name}>")


def slug(text: str) -> str:
    """A stable HTML id from text (letters, digits and hyphens)."""
    out = []
    for ch in str(text).lower():
        if ch.isascii() and ch.isalnum():
            out.append(ch)
        elif out and out[-1] != "-":
            out.append("-")
    return "".join(out).strip("-") or "section"


def not_computed(what: str, reason: str | None = None) -> Safe:
    """The sentence a section shows when its input does not exist: never a number."""
    text = f"{what}: {NOT_COMPUTED}"
    if reason:
        text += f" ({reason})"
    return tag("p", text + ".", class_="not-computed")


def section(sid: str, title: str, *content, level: int = 2) -> Safe:
    return tag("section", tag(f"h{level}", title), *content, id=sid)


def paragraph(*content, class_: str | None = None) -> Safe:
    return tag("p", *content, class_=class_)


def bullet_list(items: Iterable, class_: str | None = None) -> Safe:
    return tag("ul", *[tag("li", item) for item in items], class_=class_)


def definition_list(pairs: Iterable[tuple[str, object]]) -> Safe:
    body = []
    for key, value in pairs:
        body.append(tag("dt", key))
        body.append(tag("dd", value))
    return tag("dl", *body, class_="kv")


def link(href: str, text) -> Safe:
    return tag("a", text, href=href)


def verdict_badge(verdict) -> Safe:
    """A verdict word (pass / warn / fail / supported / ...), coloured by class."""
    text = NOT_COMPUTED if verdict is None or str(verdict).strip() == "" else str(verdict)
    return tag("span", text, class_=f"verdict v-{_verdict_class(text)}")


# verdicts coloured as another: an undecided verdict as "not estimable"
_VERDICT_CLASS = {TOO_FEW_RESAMPLES: "not-estimable"}


def _verdict_class(text: str) -> str:
    """The colour class of a verdict: an undecided one ("not assessable (...)") as "not estimable",
    a verdict flagged by the fit gate ("supported, but the model fits poorly") as a warning."""
    if text in _VERDICT_CLASS or text.startswith("not assessable"):
        return "not-estimable"
    if ", but " in text:
        return "warn"
    return slug(text)


SYNTHETIC_TEXT = (
    "Synthetic data: every number on this page was computed from simulated responses "
    "(results/clean/ingest.json says synthetic), not from a real survey."
)

# (file name, navigation label)
PAGES = [
    ("index.html", "Overview"),
    ("data.html", "Data and screening"),
    ("outcomes.html", "Outcomes"),
    ("measurement.html", "Measurement"),
    ("propositions.html", "Propositions"),
    ("p4.html", "P4 model"),
    ("provenance.html", "Provenance"),
    ("codebook.html", "Codebook"),
    ("questionnaire.html", "Questionnaire"),
]


def page(
    title: str,
    body,
    *,
    current: str,
    study_title: str = "",
    synthetic: bool | None = False,
    date: str = "",
    pages: list[tuple[str, str]] | None = None,
) -> str:
    """A complete, self-contained HTML page.

    ``synthetic`` True shows the synthetic-data banner; None (ingest not run) shows a note that
    the data source is unknown. ``date`` is the reproducible report date (see provenance).
    """
    nav = tag(
        "nav",
        *[
            tag("a", label, href=fname, aria_current="page" if fname == current else None)
            for fname, label in (pages or PAGES)
        ],
        class_="pages",
        aria_label="Report pages",
    )
    banner = Safe("")
    if synthetic:
        banner = tag("div", SYNTHETIC_TEXT, class_="banner-synthetic", role="note", id="synthetic-banner")
    elif synthetic is None:
        banner = tag(
            "div",
            "Data source unknown: results/clean/ingest.json was not computed, so these pages cannot say "
            "whether the data are real or synthetic.",
            class_="banner-synthetic",
            role="note",
            id="synthetic-banner",
        )
    footer = tag(
        "footer",
        f"surveysem report · {title}" + (f" · {date}" if date else "") + " · see provenance.html for inputs and versions",
        class_="site",
    )
    head = Safe(
        "<head>\n"
        '<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{esc(CSP)}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(title)}{' – ' + esc(study_title) if study_title else ''}</title>\n"
        f"<style>{CSS}</style>\n"
        "</head>\n"
    )
    header = tag(
        "header",
        tag("div", study_title, class_="study") if study_title else Safe(""),
        tag("h1", title),
        class_="site",
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n'
        + head
        + "<body>\n"
        + header
        + "\n"
        + nav
        + "\n"
        + banner
        + "\n"
        + tag("main", esc(body))
        + "\n"
        + footer
        + "\n</body>\n</html>\n"
    )
