"""Codebook and printable questionnaire, built from the instrument in ``scales/``.

The codebook has one row per variable: ``variable, construct, wording, response_scale,
keying, type`` (plus construct label, first-order code, section and source, which
reviewers ask for, and ``used_in_analysis``: whether the analysed scales of the config's
``scales:`` use the item, and the reason given when not). Both always show every item fielded.
The questionnaire lists the sections in questionnaire order with the response anchors, ready to
print or to paste into a survey tool.
"""

from __future__ import annotations

import html

import pandas as pd

from surveysem.instrument.scales import Instrument, load_instrument
from surveysem.io import write_csv, write_text
from surveysem.report.html import Safe, page

CODEBOOK_COLUMNS = [
    "variable",
    "construct",
    "wording",
    "response_scale",
    "keying",
    "type",
    "construct_label",
    "construct_kind",
    "code",
    "section",
    "source",
    "used_in_analysis",
]


def codebook_table(inst: Instrument) -> pd.DataFrame:
    """One row per survey variable, in questionnaire order."""
    rows = []
    for item in inst.profile:
        if item.type == "categorical":
            scale = "; ".join(f"{code} = {label}" for code, label in item.options.items())
        elif item.min is not None or item.max is not None:
            scale = f"{item.min if item.min is not None else ''}..{item.max if item.max is not None else ''}"
        else:
            scale = ""
        rows.append(
            dict(
                variable=item.id,
                construct="PROFILE",
                wording=item.wording,
                response_scale=scale,
                keying="",
                type=item.type,
                construct_label="Firm profile",
                construct_kind="profile",
                code="",
                section=inst.profile_section,
                source="",
                used_in_analysis="",
                _order=inst.profile_order,
            )
        )
    use = analysis_use(inst)
    for construct in inst.fielded_constructs.values():
        scale = construct.response_scale
        for item in construct.items:
            rows.append(
                dict(
                    variable=item.id,
                    construct=construct.id,
                    wording=item.wording,
                    response_scale=f"{scale.id} ({scale.min}-{scale.max})",
                    keying="reverse" if item.reverse else "forward",
                    type="attention check" if construct.kind == "attention" else "likert",
                    construct_label=construct.label,
                    construct_kind=construct.kind,
                    code=item.code,
                    section=construct.section,
                    source=construct.source,
                    used_in_analysis=use.get(item.id, ""),
                    _order=construct.order,
                )
            )
    table = pd.DataFrame(rows)
    table = table.sort_values("_order", kind="stable").drop(columns="_order").reset_index(drop=True)
    return table[CODEBOOK_COLUMNS]


def analysis_use(inst: Instrument) -> dict[str, str]:
    """Item id -> how the analysed scales use it: ``yes``, ``yes, in SOE_A``, ``yes, in parcel
    TOC_P1``, ``no: <reason>``, or ``screening`` (attention checks)."""
    out: dict[str, str] = {}
    for construct in inst.fielded_constructs.values():
        if construct.kind == "attention":
            out.update((item.id, "screening") for item in construct.items)
    home = {item.id: c.id for c in inst.constructs.values() for item in c.items}
    in_parcel = {i: p.id for p in inst.parcels.values() for i in p.items}
    for item in (i for c in inst.fielded_constructs.values() for i in c.items):
        if item.id in in_parcel:
            out[item.id] = f"yes, in parcel {in_parcel[item.id]}"
        elif item.id in home:
            out[item.id] = "yes" if home[item.id] == item.construct else f"yes, in {home[item.id]}"
    for dropped in inst.dropped:
        out[dropped.item] = f"no: {dropped.reason}"
    return out


def _sections(inst: Instrument):
    """Sections in questionnaire order: (title, [(order, construct or 'profile')])."""
    entries = [(inst.profile_order, inst.profile_section, "profile")]
    entries += [(c.order, c.section, c) for c in inst.fielded_constructs.values()]
    sections: dict[str, list] = {}
    first: dict[str, float] = {}
    for order, title, what in sorted(entries, key=lambda e: e[0]):
        sections.setdefault(title, []).append(what)
        first.setdefault(title, order)
    return sorted(sections.items(), key=lambda kv: first[kv[0]])


def codebook_html(inst: Instrument, table: pd.DataFrame, study_title: str = "") -> str:
    e = html.escape
    shown = CODEBOOK_COLUMNS[:7] + ["used_in_analysis"]
    head = "".join(f"<th>{e(c.replace('_', ' '))}</th>" for c in shown)
    rows = []
    for r in table.itertuples(index=False):
        cells = [r.variable, r.construct, r.wording, r.response_scale, r.keying, r.type, r.construct_label,
                 r.used_in_analysis]
        rows.append("<tr>" + "".join(f"<td>{e(str(c))}</td>" for c in cells) + "</tr>")
    n_cap = int((table["construct_kind"] == "capability").sum())
    counts = table.groupby("construct_kind", sort=False).size()
    summary = ", ".join(f"{e(str(k))}: {int(v)}" for k, v in counts.items())
    constructs = []
    for c in inst.fielded_constructs.values():
        meta = [f"kind: {c.kind}"]
        if c.process:
            meta.append(f"process: {c.process}")
        if c.level:
            meta.append(f"level: {c.level}")
        if c.propositions:
            meta.append("propositions: " + ", ".join(c.propositions))
        constructs.append(
            f"<tr><td>{e(c.id)}</td><td>{e(c.label)}</td><td>{e(c.definition)}</td>"
            f"<td>{e('; '.join(meta))}</td><td>{e(c.source)}</td></tr>"
        )
    body = f"""<p>{len(table)} variables ({summary}); {n_cap} capability items over {sum(c.kind == 'capability' for c in inst.fielded_constructs.values())} capabilities.
Machine-readable: <code>results/codebook.csv</code>. Printable questionnaire: <a href="questionnaire.html">questionnaire.html</a>.</p>
<h2>Constructs</h2>
<table class="plain"><thead><tr><th>id</th><th>construct</th><th>definition</th><th>role</th><th>source</th></tr></thead>
<tbody>{''.join(constructs)}</tbody></table>
<h2>Variables</h2>
<table class="plain"><thead><tr>{head}</tr></thead><tbody>
{chr(10).join(rows)}
</tbody></table>
<p class="note">keying: reverse-keyed items are reversed (min + max &minus; x) before scoring.
used in analysis: whether the analysed scales (<code>scales:</code> in the config) use the item; every item
fielded is listed.</p>"""
    return page("Codebook", Safe(body), current="codebook.html", study_title=study_title)


def questionnaire_html(inst: Instrument, title: str) -> str:
    e = html.escape
    parts = ["<p class=\"note\">Survey questionnaire generated from <code>scales/</code>.</p>"]
    for number, (section, members) in enumerate(_sections(inst), start=1):
        parts.append(f"<h2>Section {number}. {e(section)}</h2>")
        for member in members:
            if member == "profile":
                parts.append("<ol class=\"profile\">")
                for item in inst.profile:
                    if item.type == "categorical":
                        answer = " &nbsp; ".join(f"&#9744; {e(label)}" for label in item.options.values())
                    else:
                        answer = "__________________________"
                    parts.append(f"<li>{e(item.wording)}<br>{answer}</li>")
                parts.append("</ol>")
                continue
            scale = member.response_scale
            points = range(scale.min, scale.max + 1)
            if member.stem:
                parts.append(f"<p class=\"stem\">{e(member.stem)}</p>")
            header = "".join(f"<th>{p}<br><span class=\"note\">{e(scale.anchors.get(p, ''))}</span></th>" for p in points)
            rows = "".join(
                f"<tr><td>{e(item.wording)}</td>" + "".join("<td class=\"box\">&#9675;</td>" for _ in points) + "</tr>"
                for item in member.items
            )
            parts.append(f"<table class=\"plain\"><thead><tr><th></th>{header}</tr></thead><tbody>{rows}</tbody></table>")
    return page("Questionnaire", Safe("\n".join(parts)), current="questionnaire.html", study_title=title)


def write_codebook(inst, csv_path, codebook_path, questionnaire_path, title: str) -> pd.DataFrame:
    """Write the codebook (CSV, HTML) and the questionnaire of ``inst``: an :class:`Instrument`
    (analysed or as fielded) or a scales folder."""
    if not isinstance(inst, Instrument):
        inst = load_instrument(inst)
    table = codebook_table(inst)
    write_csv(csv_path, table)
    write_text(codebook_path, codebook_html(inst, table, title))
    write_text(questionnaire_path, questionnaire_html(inst, title))
    return table
