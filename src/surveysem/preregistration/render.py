"""The blocks of the pre-registration and their two renderings: Markdown (``results/preregistration.md``,
for the registry's text fields) and HTML (``reports/preregistration.html``, in the report's page frame).

Text from the config or the instrument is escaped in both: in HTML by :func:`surveysem.report.html.esc`
(through ``tag``), in Markdown by :func:`md_text` (``&``, ``<``, ``>`` as entities, so a renderer that
passes HTML through shows ``<script>`` as text; ``|`` escaped in table cells). A fenced code
block (the frozen config) is literal in Markdown, so it is left as it is, but no text can close
its fence (three backticks become three apostrophes).
"""

from __future__ import annotations

import html as _html
from dataclasses import dataclass, field
from typing import NamedTuple

from surveysem.report.html import Safe, bullet_list, join, link, paragraph, section, tag
from surveysem.report.tables import Table


class Link(NamedTuple):
    """A link inside a paragraph or list item."""

    href: str
    text: str


class Code(NamedTuple):
    """A command or a path, shown in a monospace font."""

    text: str


Part = str | Link | Code


@dataclass
class Para:
    parts: list[Part]


@dataclass
class Bullets:
    items: list[list[Part]]


@dataclass
class Pre:
    text: str


@dataclass
class DocTable:
    title: str
    columns: list[str]
    rows: list[list[str]]
    note: str = ""
    text_columns: set[int] | None = None  # left-aligned columns; None: all (numbers are right-aligned)


Block = Para | Bullets | Pre | DocTable


@dataclass
class DocSection:
    """A numbered section: its id, title, the template questions it answers, and its blocks."""

    sid: str
    title: str
    answers: str
    blocks: list[Block] = field(default_factory=list)


# ------------------------------------------------------------------ Markdown


def md_text(text, cell: bool = False) -> str:
    """``text`` for Markdown: HTML special characters as entities; in a table cell ``|`` escaped
    and line breaks as spaces."""
    out = _html.escape(str(text), quote=False)
    return out.replace("|", "\\|").replace("\n", " ") if cell else out


def _md_parts(parts: list[Part], cell: bool = False) -> str:
    out = []
    for p in parts:
        if isinstance(p, Link):
            out.append(f"[{md_text(p.text, cell)}]({p.href})")
        elif isinstance(p, Code):
            out.append(f"`{p.text.replace('`', '')}`")
        else:
            out.append(md_text(p, cell))
    return "".join(out)


def _md_block(block: Block) -> str:
    if isinstance(block, Para):
        return _md_parts(block.parts)
    if isinstance(block, Bullets):
        return "\n".join(f"- {_md_parts(item)}" for item in block.items)
    if isinstance(block, Pre):
        return "```\n" + block.text.replace("```", "'''") + "\n```"
    lines = [f"*{md_text(block.title)}*", "", "| " + " | ".join(md_text(c, True) for c in block.columns) + " |",
             "|" + "---|" * len(block.columns)]
    lines += ["| " + " | ".join(md_text(c, True) for c in row) + " |" for row in block.rows]
    if block.note:
        lines += ["", f"*Note.* {md_text(block.note)}"]
    return "\n".join(lines)


def to_markdown(title: str, study_title: str, intro: list[Block], sections: list[DocSection]) -> str:
    out = [f"# {md_text(title)}: {md_text(study_title)}", ""]
    out += [_md_block(b) + "\n" for b in intro]
    for n, s in enumerate(sections, 1):
        out += [f"## {n}. {md_text(s.title)}", "", f"*{md_text(s.answers)}*", ""]
        out += [_md_block(b) + "\n" for b in s.blocks]
    return "\n".join(out).rstrip("\n") + "\n"


# ------------------------------------------------------------------ HTML


def _html_parts(parts: list[Part]) -> Safe:
    out = []
    for p in parts:
        if isinstance(p, Link):
            out.append(link(p.href, p.text))
        elif isinstance(p, Code):
            out.append(tag("code", p.text))
        else:
            out.append(p)
    return join(out)


def _html_block(block: Block, number: int) -> Safe:
    if isinstance(block, Para):
        return paragraph(_html_parts(block.parts))
    if isinstance(block, Bullets):
        return bullet_list(_html_parts(item) for item in block.items)
    if isinstance(block, Pre):
        return tag("pre", block.text)
    table = Table(block.title, block.columns, block.rows, note=block.note, number=number,
                  text_columns=set(range(len(block.columns))) if block.text_columns is None else block.text_columns)
    return table.to_html()


def to_html_body(intro: list[Block], sections: list[DocSection]) -> Safe:
    """The page body: the intro, then every section numbered as in the Markdown, tables numbered."""
    counter = iter(range(1, 10_000))

    def render(block: Block) -> Safe:
        return _html_block(block, next(counter) if isinstance(block, DocTable) else 0)

    parts = [render(b) for b in intro]
    for n, s in enumerate(sections, 1):
        parts.append(section(s.sid, f"{n}. {s.title}", paragraph(s.answers, class_="lead"),
                             *[render(b) for b in s.blocks]))
    return join(parts)
