"""One function per report page.

Each page function takes a :class:`Context` (where the result files are, the config, the
instrument) and returns a :class:`Page` (HTML text and the APA tables it shows, which are also
written as CSV under ``results/tables/``). A section whose input file does not exist says
"not computed" and prints no number: every number on a page comes from a result file or is
computed here from one (e.g. the share of missing answers from ``validated.csv``).

:func:`build_report` writes all pages and tables.
"""

from __future__ import annotations

import json
import logging
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
import yaml

from surveysem.io import write_csv, write_json, write_text
from surveysem.report import provenance
from surveysem.report.figures import figure, forest_plot, heatmap, histogram, likert_bars, line_plot
from surveysem.report.html import (
    NOT_COMPUTED,
    PAGES,
    Safe,
    bullet_list,
    definition_list,
    join,
    link,
    not_computed,
    page,
    paragraph,
    section,
    slug,
    tag,
    verdict_badge,
)
from surveysem.report.pathdiagram import fit_caption, path_diagram
from surveysem.stage_files import REPORT_FILES
from surveysem.stage_files import path as stage_path
from surveysem.report.tables import (
    DASH,
    SIG_NOTE,
    Table,
    fmt_bounded,
    fmt_ci,
    fmt_int,
    fmt_num,
    fmt_p,
    fmt_percent,
    fmt_text_blank,
    frame_table,
    stars,
)

log = logging.getLogger("surveysem.report")


PROCESS_LABEL = {"sensing": "Sensing", "seizing": "Seizing", "reconfiguring": "Reconfiguring"}
PROPOSITION_TEXT = {
    "P1": "Post-entry speed of international spread is accelerated by PDC, SOE, ECP and CUS.",
    "P2": "Post-entry international market diversification is accelerated by CCA, ODV and TOC.",
    "P3": "Post-entry international sales intensity is accelerated by EFT, TEC, BMM and ICO.",
    "P4": "Post-entry international growth is accelerated by interrelated capabilities underpinning sensing, "
    "seizing and reconfiguration.",
}


# ------------------------------------------------------------------ context


@dataclass
class Context:
    """Where things are, plus cached loaders. Missing files load as None."""

    files: dict[str, str] = field(default_factory=lambda: {k: stage_path(k) for k in REPORT_FILES})
    config: dict = field(default_factory=dict)
    config_path: str | None = "config/config.yaml"
    instrument: object | None = None
    root: str = "."
    env: dict | None = None
    _cache: dict = field(default_factory=dict, repr=False)

    def path(self, key: str) -> Path:
        p = Path(self.files.get(key) or stage_path(key))
        return p if p.is_absolute() else Path(self.root) / p

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def csv(self, key: str) -> pd.DataFrame | None:
        if key not in self._cache:
            p = self.path(key)
            if not p.is_file():
                self._cache[key] = None
            else:
                try:
                    self._cache[key] = pd.read_csv(p)
                except pd.errors.EmptyDataError:  # a stage wrote an empty table (e.g. a test it could not run)
                    self._cache[key] = pd.DataFrame()
        return self._cache[key]

    def json(self, key: str):
        if key not in self._cache:
            p = self.path(key)
            self._cache[key] = json.loads(p.read_text(encoding="utf-8")) if p.is_file() else None
        return self._cache[key]

    @property
    def synthetic(self) -> bool | None:
        ingest = self.json("ingest")
        if ingest is None:
            return None
        return bool(ingest.get("synthetic", False))

    @property
    def study_title(self) -> str:
        return str(self.config.get("study", {}).get("title", "")) if self.config else ""

    def date(self) -> tuple[str, str]:
        files = []
        survey = (self.config.get("data") or {}).get("survey") if self.config else None
        if survey:
            files.append(Path(self.root) / survey)
        if self.config_path:
            files.append(Path(self.root) / self.config_path)
        return provenance.report_date(files, env=self.env)

    def label(self, construct_id: str) -> str:
        inst = self.instrument
        if inst is not None and construct_id in getattr(inst, "constructs", {}):
            return inst.constructs[construct_id].label
        return str(construct_id)


@dataclass
class Page:
    filename: str
    title: str
    html: str
    tables: list[tuple[str, Table]]


class _Tables:
    """Numbers the tables of one page and remembers them for the CSV copies."""

    def __init__(self, page_slug: str):
        self.page_slug = page_slug
        self.items: list[tuple[str, Table]] = []

    def add(self, table: Table, name: str) -> Safe:
        table.number = len(self.items) + 1
        table.table_id = table.table_id or f"table-{slug(name)}"
        self.items.append((f"{self.page_slug}_{slug(name)}", table))
        return table.to_html()


def _guard(t: "_Tables", sid: str, title: str, build: Callable[[], Safe]) -> Safe:
    """Build one section; if its input has an unexpected shape, the section says so (and the log
    has the traceback) instead of the whole report failing. Tables of a failed section are dropped."""
    n_tables = len(t.items)
    try:
        return build()
    except Exception as exc:  # noqa: BLE001 - a report section must not take the whole report down
        del t.items[n_tables:]
        log.warning("section %s (%s) could not be built: %s: %s", sid, title, type(exc).__name__, exc, exc_info=True)
        return section(sid, title, not_computed(title, f"the report could not read its input: {type(exc).__name__}: {exc}"))


def _missing_text(ctx: Context, key: str) -> str:
    return f"{ctx.files.get(key) or stage_path(key)} does not exist yet"


def _warnings_block(warnings) -> Safe:
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


def _col(frame: pd.DataFrame, *candidates: str) -> str | None:
    """The first column of ``frame`` whose lower-case name is among the candidates."""
    exact = set(frame.columns)
    lower: dict[str, str] = {}
    for c in frame.columns:
        lower.setdefault(str(c).lower(), c)
    for cand in candidates:
        if cand in exact:
            return cand
        if cand.lower() in lower:
            return lower[cand.lower()]
    return None


def _val(record: dict, *candidates: str):
    lower: dict[str, object] = {}
    for k in record:
        lower.setdefault(str(k).lower(), k)
    for cand in candidates:
        key = cand if cand in record else lower.get(cand.lower())
        if key is not None:
            v = record[key]
            if v is None or (isinstance(v, float) and math.isnan(v)):
                continue
            return v
    return None


def _json_table(obj: dict, title: str, note: str = "", skip: set[str] = frozenset()) -> Table:
    """Flatten the scalar entries of a JSON object into a two-column table (key, value)."""
    from surveysem.report.tables import formatter_for

    rows = []

    def walk(prefix: str, value):
        if isinstance(value, dict):
            for k in sorted(value):
                if k in skip:
                    continue
                walk(f"{prefix}.{k}" if prefix else str(k), value[k])
        elif isinstance(value, list):
            if all(not isinstance(v, (dict, list)) for v in value):
                rows.append([prefix, ", ".join(str(v) for v in value) if value else "none"])
        elif isinstance(value, bool):
            rows.append([prefix, "yes" if value else "no"])
        elif isinstance(value, int) and formatter_for(prefix.split(".")[-1]) is not fmt_p:
            rows.append([prefix, fmt_int(value)])
        elif isinstance(value, (int, float)):
            rows.append([prefix, formatter_for(prefix.split(".")[-1])(value)])
        elif value is None:
            rows.append([prefix, DASH])
        else:
            rows.append([prefix, str(value)])

    walk("", obj)
    for row in rows:
        row[0] = " › ".join(part.replace("_", " ") for part in row[0].split("."))
    return Table(title=title, columns=["Quantity", "Value"], rows=rows, note=note, text_columns={0, 1})


def _synthetic_note(ctx: Context) -> str:
    return "Computed from synthetic data. " if ctx.synthetic else ""


# ------------------------------------------------------------------ verdicts (shared by index and propositions)


def proposition_verdicts(ctx: Context) -> list[dict]:
    """Per proposition: id, verdict, sub-hypotheses [(id, verdict)], from results/propositions/verdicts.csv."""
    frame = ctx.csv("verdicts")
    if frame is None:
        return []
    pcol = _col(frame, "proposition")
    hcol = _col(frame, "hypothesis", "sub_hypothesis", "id")
    vcol = _col(frame, "verdict")
    tcol = _col(frame, "term")
    lcol = _col(frame, "level")
    if vcol is None or (pcol is None and hcol is None):
        return []
    out: dict[str, dict] = {}
    for rec in frame.to_dict(orient="records"):
        prop = str(rec[pcol]) if pcol else re.match(r"P\d+", str(rec[hcol])).group(0) if re.match(r"P\d+", str(rec[hcol])) else str(rec[hcol])
        hyp = str(rec[hcol]) if hcol and not pd.isna(rec[hcol]) else prop
        entry = out.setdefault(prop, {"id": prop, "verdict": None, "subs": []})
        level = str(rec[lcol]).lower() if lcol and not pd.isna(rec[lcol]) else ""
        verdict = None if pd.isna(rec[vcol]) else str(rec[vcol])
        if hyp == prop or level == "proposition":
            entry["verdict"] = verdict
        else:
            entry["subs"].append((hyp, verdict))
            term = rec.get(tcol) if tcol else None
            entry.setdefault("terms", {})[hyp] = "" if term is None or pd.isna(term) else str(term)
    return list(out.values())


def verdict_dashboard(ctx: Context) -> Safe:
    verdicts = proposition_verdicts(ctx)
    by_id = {v["id"]: v for v in verdicts}
    ids = ["P1", "P2", "P3", "P4"] + [v["id"] for v in verdicts if v["id"] not in ("P1", "P2", "P3", "P4")]
    cards = []
    for pid in ids:
        v = by_id.get(pid)
        text = PROPOSITION_TEXT.get(pid, "")
        if v is None:
            body = [verdict_badge(None)]
        else:
            subs = v["subs"]
            n_sup = sum(1 for _, s in subs if s and s.lower() == "supported")
            detail = f"{n_sup} of {len(subs)} sub-hypotheses supported" if subs else ""
            terms = v.get("terms", {})
            sub_list = tag("ul", *[tag("li", h, f" ({terms[h]})" if terms.get(h) else "", ": ", verdict_badge(sv)) for h, sv in subs], class_="subs") if subs else Safe("")
            body = [verdict_badge(v["verdict"]), tag("div", detail) if detail else Safe(""), sub_list]
        href = "p4.html" if pid in _sem_propositions(ctx) else f"propositions.html#{slug(pid)}"
        cards.append(
            tag(
                "div",
                tag("h3", tag("a", pid, href=href)),
                *body,
                tag("div", text, class_="lead") if text else Safe(""),
                class_="card",
            )
        )
    rule = ""
    vj = ctx.json("verdicts_json")
    if isinstance(vj, dict) and vj.get("rule"):
        rule = str(vj["rule"]) if not isinstance(vj["rule"], dict) else "; ".join(f"{k}: {v}" for k, v in sorted(vj["rule"].items()))
    parts = [tag("div", *cards, class_="dashboard", id="verdict-dashboard")]
    if not verdicts:
        parts.append(not_computed("Proposition verdicts", _missing_text(ctx, "verdicts")))
    if rule:
        parts.append(paragraph(tag("strong", "Verdict rule: "), rule))
    return join(parts)


# ------------------------------------------------------------------ pages


def index_page(ctx: Context) -> Page:
    t = _Tables("index")
    parts = [
        _guard(t, "summary", "Summary", lambda: _summary_section(ctx)),
        _guard(t, "verdicts", "Verdicts on the propositions", lambda: section("verdicts", "Verdicts on the propositions", verdict_dashboard(ctx))),
        _guard(t, "measurement-summary", "Measurement at a glance", lambda: _measurement_summary(ctx, t)),
        _guard(t, "warnings", "Warnings from all stages", lambda: _all_warnings_section(ctx)),
        _guard(t, "pages", "Pages", lambda: _pages_section(ctx)),
    ]
    return Page("index.html", "Overview", _frame(ctx, "Overview", join(parts), "index.html"), t.items)


def _summary_section(ctx: Context) -> Safe:
    analysis = ctx.csv("analysis")
    n_text = f"{len(analysis)} firms retained for analysis" if analysis is not None else "number of firms analysed: not computed"
    return section(
        "summary",
        "Summary",
        paragraph(
            "These pages report the measurement and hypothesis tests of the study. ",
            n_text,
            ". Tables follow APA style; each is also in results/tables/ as CSV (titles and notes in results/tables/tables.json).",
        ),
    )


def _measurement_summary(ctx: Context, t: _Tables) -> Safe:
    mv = ctx.csv("measurement_verdicts")
    if mv is not None and _col(mv, "verdict"):
        vc = _col(mv, "verdict")
        counts = mv[vc].astype(str).str.lower().value_counts()
        rows = [[k, fmt_int(counts.get(k, 0))] for k in ("pass", "warn", "fail")]
        meas = t.add(Table("Scale verdicts (measurement)", ["Verdict", "Scales"], rows, note="See measurement.html for the reasons."), "scale-verdicts")
    else:
        meas = not_computed("Scale verdicts", _missing_text(ctx, "measurement_verdicts"))
    fit = ctx.json("cfa_fit")
    fit_line = paragraph("Measurement model (CFA): ", fit_caption(fit.get("fit", fit) if isinstance(fit, dict) else None))
    return section("measurement-summary", "Measurement at a glance", meas, fit_line)


# (result key, stage, page with the details)
WARNING_SOURCES = [
    ("firm_outcomes_json", "Outcomes", "outcomes.html"),
    ("measurement_warnings", "Measurement", "measurement.html"),
    ("typology_json", "Propositions: typology", "propositions.html#typology"),
    ("p4_models", "Propositions: P4", "p4.html"),
]


def _all_warnings_section(ctx: Context) -> Safe:
    """Statistical problems the stages recorded (non-convergence, Heywood cases, skipped tests ...)."""
    rows = []
    for key, stage, href in WARNING_SOURCES:
        obj = ctx.json(key)
        if obj is None:
            rows.append(join([link(href, stage), f": {NOT_COMPUTED}"]))
            continue
        ws = obj.get("warnings", []) if isinstance(obj, dict) else []
        n = len(ws) if isinstance(ws, list) else 0
        rows.append(join([link(href, stage), f": {n} warning{'s' if n != 1 else ''}"]))
    return section("warnings", "Warnings from all stages", paragraph("Statistical problems are recorded, not hidden; each page lists its own."), bullet_list(rows))


def _pages_section(ctx: Context) -> Safe:
    page_rows = [
        ("data.html", "Data and screening", "source file, exclusion flow, sample profile, missing data"),
        ("outcomes.html", "Outcomes", "spread, diversification, intensity; typology groups; Table 1 audit"),
        ("measurement.html", "Measurement", "reliability, EFA, CFA, validity, common-method variance, invariance, item responses"),
        ("propositions.html", "Propositions", "P1–P3 regressions, verdicts, typology"),
        ("p4.html", "P4 model", "second-order SEM, path diagrams, indirect effects"),
        ("provenance.html", "Provenance", "file hashes, config, versions, commit"),
    ]
    items = [join([link(href, name), " – ", desc]) for href, name, desc in page_rows]
    for key, href, name in (("codebook_html", "codebook.html", "Codebook"), ("questionnaire_html", "questionnaire.html", "Questionnaire")):
        if ctx.exists(key):
            items.append(join([link(href, name), " – from the instrument stage"]))
        else:
            items.append(join([name, f" – {NOT_COMPUTED} ({_missing_text(ctx, key)})"]))
    return section("pages", "Pages", bullet_list(items))


def data_page(ctx: Context) -> Page:
    t = _Tables("data")
    parts = [
        _guard(t, "source", "Source", lambda: _source_section(ctx, t)),
        _guard(t, "exclusion-flow", "Exclusion flow", lambda: _flow_section(ctx, t)),
        _guard(t, "exclusions", "Exclusions by rule", lambda: _exclusions_section(ctx, t)),
        _guard(t, "sample", "Sample profile", lambda: _sample_profile_section(ctx, t)),
        _guard(t, "missingness", "Missing data", lambda: _missingness_section(ctx, t)),
    ]
    return Page("data.html", "Data and screening", _frame(ctx, "Data and screening", join(parts), "data.html"), t.items)


def _source_section(ctx: Context, t: _Tables) -> Safe:
    ingest = ctx.json("ingest")
    if ingest is None:
        return section("source", "Source", not_computed("Ingest summary", _missing_text(ctx, "ingest")))
    note = "Personally identifying columns are dropped at ingest; only their names are listed."
    return section("source", "Source", t.add(_json_table(ingest, "Data ingest", note=note, skip={"dropped_pii_reasons"}), "ingest"))


def _flow_section(ctx: Context, t: _Tables) -> Safe:
    flow = ctx.csv("flow")
    if flow is None:
        return section("exclusion-flow", "Exclusion flow", not_computed("Exclusion flow", _missing_text(ctx, "flow")))
    flow = flow.copy()
    screening = ctx.json("screening")
    rc = _col(flow, "rule")
    if isinstance(screening, dict) and rc:
        desc = {str(r.get("rule")): r.get("description", "") for r in screening.get("rules", []) if isinstance(r, dict)}
        flow["description"] = [desc.get(str(r), "") or "" for r in flow[rc]]
    cols = {"step": "Step", "rule": "Rule", "description": "Description", "n_before": "n before", "n_excluded": "Excluded", "n_after": "n after"}
    cols.update({c: c.replace("_", " ").capitalize() for c in flow.columns if c not in cols})
    table = frame_table(flow, "Screening steps", columns=cols, text_columns=[c for c in ("rule", "description") if c in flow.columns],
                        note="Rules are applied in order; a respondent is counted once, at the first rule that excludes them.")
    return section("exclusion-flow", "Exclusion flow", t.add(table, "flow"), _flow_figure(flow))


def _exclusions_section(ctx: Context, t: _Tables) -> Safe:
    exc = ctx.csv("exclusions")
    if exc is None or not _col(exc, "rule"):
        return section("exclusions", "Exclusions by rule", not_computed("Exclusions", _missing_text(ctx, "exclusions")))
    flow = ctx.csv("flow")
    rc = _col(exc, "rule")
    counts = exc.groupby(rc, sort=False).size().reset_index(name="n_failed")
    if flow is not None and _col(flow, "rule"):
        order = {str(r): i for i, r in enumerate(flow[_col(flow, "rule")])}
        counts = counts.sort_values(rc, key=lambda col: col.astype(str).map(lambda r: order.get(r, len(order))), kind="stable")
    xc = _col(exc, "excluded")
    note = "A respondent can fail several rules; each failure is counted."
    if xc:
        excluded = exc[exc[xc].astype(str).str.lower().isin(["1", "true", "yes"])].groupby(rc, sort=False).size()
        counts["n_excluded"] = [int(excluded.get(r, 0)) for r in counts[rc]]
        note = "Failed: respondents failing the rule; excluded: those excluded by it (not by an earlier rule)."
    table = frame_table(counts, "Respondents failing each screening rule", columns={rc: "Rule", "n_failed": "Failed", "n_excluded": "Excluded"}, note=note)
    return section("exclusions", "Exclusions by rule", t.add(table, "exclusions"))


def _flow_figure(flow: pd.DataFrame) -> Safe:
    """A vertical flow diagram: N before each step, the excluded count to the side."""
    from surveysem.report.figures import _line, _rect, _svg, _text

    step_c = _col(flow, "rule") or _col(flow, "step")
    nb, ne, na = _col(flow, "n_before"), _col(flow, "n_excluded"), _col(flow, "n_after")
    if not (step_c and nb and ne and na) or flow.empty:
        return Safe("")
    body = []
    box_w, box_h, gap = 230, 28, 24
    y = 10
    rows = flow.to_dict(orient="records")
    body.append(_rect(20, y, box_w, box_h, "#eef3f9", stroke="#1f4e79"))
    body.append(_text(20 + box_w / 2, y + box_h / 2, f"Responses: n = {fmt_int(rows[0][nb])}", size=12, anchor="middle"))
    for rec in rows:
        y0 = y + box_h
        y = y0 + gap
        body.append(_line(20 + box_w / 2, y0, 20 + box_w / 2, y))
        body.append(_line(20 + box_w / 2, y0 + gap / 2, 20 + box_w + 30, y0 + gap / 2))
        body.append(_rect(20 + box_w + 30, y0 + gap / 2 - 13, 330, 26, "#fff", stroke="#999"))
        body.append(_text(20 + box_w + 38, y0 + gap / 2, f"{str(rec[step_c])[:40]}: excluded n = {fmt_int(rec[ne])}", size=11))
        body.append(_rect(20, y, box_w, box_h, "#eef3f9", stroke="#1f4e79"))
        body.append(_text(20 + box_w / 2, y + box_h / 2, f"Remaining: n = {fmt_int(rec[na])}", size=12, anchor="middle"))
    svg = _svg(20 + box_w + 370, y + box_h + 10, body, "Exclusion flow")
    return figure(svg, "Figure. Exclusion flow: respondents before and after each screening step.", "figure-flow")


PROFILE_COLUMNS = (("size", "SIZE", "Size"), ("tech_intensity", "TECH", "Technology intensity"),
                   ("customer_type", "CUSTOMER", "Customer type"), ("sector", "SECTOR", "Sector"))


def _sample_profile_section(ctx: Context, t: _Tables) -> Safe:
    fo = ctx.csv("firm_outcomes")
    if fo is None:
        return section("sample", "Sample profile", not_computed("Sample profile", _missing_text(ctx, "firm_outcomes")))
    options = {}
    if ctx.instrument is not None:
        options = {p.id: dict(p.options) for p in getattr(ctx.instrument, "profile", []) if getattr(p, "options", None)}
    rows = []
    n = len(fo)
    for col, pid, name in PROFILE_COLUMNS:
        if col not in fo.columns:
            continue
        counts = fo[col].value_counts(dropna=False)
        first = True
        for value in sorted(counts.index, key=lambda v: (pd.isna(v), v)):
            if pd.isna(value):
                label = "not answered"
            else:
                key = int(value) if float(value).is_integer() else value
                label = f"{options.get(pid, {}).get(key, key)}"
            rows.append([name if first else "", label, fmt_int(counts[value]), fmt_percent(counts[value] / n if n else None)])
            first = False
    if "age" in fo.columns:
        age = pd.to_numeric(fo["age"], errors="coerce").dropna()
        rows.append(["Firm age (years)", f"M = {fmt_num(age.mean())}, SD = {fmt_num(age.std(ddof=1))}", fmt_int(len(age)), ""])
    note = _synthetic_note(ctx) + f"Retained firms (N = {n}). Categories as in the questionnaire (scales/profile.yaml)."
    return section("sample", "Sample profile", t.add(Table("Characteristics of the firms analysed", ["Characteristic", "Category", "n", "%"], rows, note=note, text_columns={0, 1}), "sample"))


def _item_ids(ctx: Context, frame: pd.DataFrame) -> list[str]:
    inst = ctx.instrument
    if inst is not None:
        return [i for i in inst.item_ids if i in frame.columns]
    return [c for c in frame.columns if re.fullmatch(r"[A-Z_]+\d+", str(c))]


def _missingness_section(ctx: Context, t: _Tables) -> Safe:
    frame = ctx.csv("validated")
    if frame is None:
        return section("missingness", "Missing data", not_computed("Missing data", _missing_text(ctx, "validated")))
    items = _item_ids(ctx, frame)
    if not items:
        return section("missingness", "Missing data", not_computed("Missing data", "no item columns found in validated.csv"))
    analysis = ctx.csv("analysis")
    idcol = _col(frame, "respondent_id")
    if analysis is not None and idcol and _col(analysis, "respondent_id"):
        kept = set(analysis[_col(analysis, "respondent_id")].astype(str))
        frame = frame[frame[idcol].astype(str).isin(kept)]
        scope = f"the {len(frame)} respondents retained after screening"
    else:
        scope = f"all {len(frame)} validated respondents"
    miss = frame[items].isna()
    by_construct: dict[str, list[str]] = {}
    inst = ctx.instrument
    item_construct = {it.id: it.construct for it in inst.items} if inst is not None else {}
    for i in items:
        cid = item_construct.get(i) or re.sub(r"\d+$", "", i)
        by_construct.setdefault(cid, []).append(i)
    rows = []
    for cid, its in by_construct.items():
        shares = miss[its].mean()
        rows.append([cid, ctx.label(cid), str(len(its)), fmt_percent(shares.mean()), fmt_percent(shares.max()), f"{shares.idxmax()}"])
    n_any = int(miss.any(axis=1).sum())
    method = (ctx.json("ingest") or {}).get("missing_method") or (ctx.config.get("data") or {}).get("missing") or NOT_COMPUTED
    note = (
        f"Shares of {scope} with no answer (missing codes already set to missing). "
        f"Respondents with at least one missing item: {n_any} of {len(frame)} ({fmt_percent(n_any / len(frame)) if len(frame) else DASH}). "
        f"Missing-data method used downstream: {method}."
    )
    table = Table("Missing item responses by construct", ["Construct", "Label", "Items", "Mean % missing", "Max % missing", "Item with max"], rows, note=note, text_columns={0, 1, 5})
    return section("missingness", "Missing data", t.add(table, "missingness"))


def outcomes_page(ctx: Context) -> Page:
    t = _Tables("outcomes")
    parts = [
        _guard(t, "descriptives", "Outcome descriptives", lambda: _descriptives_section(ctx, t)),
        _guard(t, "groups", "Typology groups", lambda: _groups_section(ctx, t)),
        _guard(t, "table1-audit", "Table 1 audit", lambda: _audit_section(ctx, t)),
    ]
    return Page("outcomes.html", "Outcomes", _frame(ctx, "Outcomes", join(parts), "outcomes.html"), t.items)


def _descriptives_section(ctx: Context, t: _Tables) -> Safe:
    fo = ctx.csv("firm_outcomes")
    if fo is None:
        return section("descriptives", "Outcome descriptives", not_computed("Outcomes", _missing_text(ctx, "firm_outcomes")))
    variables = [c for c in ("n_countries", "spread", "diversification", "intensity", "age") if c in fo.columns]
    rows = []
    for v in variables:
        x = pd.to_numeric(fo[v], errors="coerce").dropna()
        f = fmt_bounded if v == "intensity" else fmt_num
        whole = bool(len(x)) and bool((x == x.round()).all())
        fm = fmt_int if whole else f
        rows.append([v, fmt_int(len(x)), f(x.mean()), f(x.std(ddof=1)) if len(x) > 1 else DASH, f(x.median()), fm(x.min()), fm(x.max())])
    note = _synthetic_note(ctx) + (
        "Spread = countries entered / years since first foreign entry; diversification = regions entered (of 12); "
        "intensity = foreign sales / total sales. SD with n − 1."
    )
    fj = ctx.json("firm_outcomes_json")
    conv = Safe("")
    if isinstance(fj, dict) and isinstance(fj.get("conventions"), dict):
        conv = join([tag("h3", "Definitions used"), definition_list(sorted(fj["conventions"].items()))])
    table = Table("Descriptive statistics of the outcomes", ["Variable", "n", "M", "SD", "Mdn", "Min", "Max"], rows, note=note)
    figs = []
    for v, xl, integer in (("spread", "countries entered per year abroad", False), ("diversification", "regions entered (of 12)", True),
                           ("intensity", "foreign sales / total sales", False)):
        if v in fo.columns:
            x = pd.to_numeric(fo[v], errors="coerce").dropna()
            figs.append(figure(histogram(x.tolist(), f"Distribution of {v}", xl, integer=integer), f"Figure. Distribution of {v} (n = {len(x)}).", f"hist-{v}"))
    grid = tag("div", *figs, class_="figure-grid small") if figs else Safe("")
    return section("descriptives", "Outcome descriptives", t.add(table, "descriptives"), grid, conv, _warnings_block(fj.get("warnings") if isinstance(fj, dict) else None))


GROUP_EMPHASIS = {
    1: "low-tech, standardised products: spread",
    2: "high-tech / knowledge-intensive, individual customers: diversification",
    3: "high-tech, corporate customers: sales intensity",
}


def _groups_section(ctx: Context, t: _Tables) -> Safe:
    fo = ctx.csv("firm_outcomes")
    if fo is None:
        return section("groups", "Typology groups", not_computed("Typology groups", _missing_text(ctx, "firm_outcomes")))
    gcol = _col(fo, "group")
    if not gcol:
        return section("groups", "Typology groups", not_computed("Typology groups", "no group column in firm_outcomes.csv"))
    counts = fo[gcol].value_counts(dropna=False)
    rows = []
    for g in sorted(counts.index, key=lambda v: (pd.isna(v), v)):
        whole = isinstance(g, (int, float, np.integer, np.floating)) and not pd.isna(g) and float(g).is_integer()
        label = "unclassified" if pd.isna(g) else GROUP_EMPHASIS.get(int(g), "") if whole else ""
        shown = DASH if pd.isna(g) else fmt_int(g) if whole else str(g)
        rows.append([shown, label, fmt_int(counts[g]), fmt_percent(counts[g] / len(fo))])
    table = Table("Firms by typology group (Yang & Stoian 2024, Section 4)", ["Group", "Emphasis", "n", "%"], rows, text_columns={0, 1})
    return section("groups", "Typology groups", t.add(table, "groups"))


def _audit_section(ctx: Context, t: _Tables) -> Safe:
    audit = ctx.csv("table1_audit")
    if audit is None:
        return section("table1-audit", "Table 1 audit", not_computed("Table 1 audit", _missing_text(ctx, "table1_audit")))
    flags = [c for c in audit.columns if audit[c].dtype == bool or str(c).lower() in ("agrees", "match", "matches", "agree", "differs", "disagrees")]
    summary = ""
    audit = audit.copy()
    for c in flags:
        vals = audit[c].astype(str).str.lower().isin(["true", "1", "yes"])
        summary += f"{c}: {int(vals.sum())} of {len(audit)} rows. "
        audit[c] = np.where(vals, "yes", "no")
    fmts = {c: fmt_bounded for c in audit.columns if str(c).startswith("intensity")}
    fmts.update({c: fmt_int for c in audit.columns if str(c).startswith("diversification") or str(c) == "firm"})
    note = (summary + "Reported: the paper's value; computed: recomputed from the firm's market-entry history with the region table in scales/regions.csv.").strip()
    return section(
        "table1-audit",
        "Table 1 audit",
        paragraph("Recomputation of the outcome values in Table 1 of Yang & Stoian (2024) from the firms' market-entry histories, beside the paper's own numbers."),
        t.add(frame_table(audit, "Table 1 of Yang & Stoian (2024) recomputed", formatters=fmts, note=note), "table1-audit"),
    )


def measurement_page(ctx: Context) -> Page:
    t = _Tables("measurement")
    fl_note = ("Diagonal: square root of AVE; below: latent correlations. Discriminant validity holds when each diagonal value "
               "exceeds the correlations in its row and column.")
    parts = [
        _guard(t, "scales", "Scales: reliability, validity and verdicts", lambda: _scale_table_section(ctx, t)),
        _guard(t, "item-statistics", "Item statistics", lambda: _item_stats_section(ctx, t)),
        _guard(t, "efa", "Item pool: exploratory factor analysis", lambda: _efa_section(ctx, t)),
        _guard(t, "cfa-fit", "Confirmatory factor analysis: fit", lambda: _cfa_fit_section(ctx, t)),
        _guard(t, "loadings", "Standardized loadings", lambda: _loadings_section(ctx, t)),
        _guard(t, "fornell-larcker", "Fornell–Larcker criterion",
               lambda: _matrix_section(ctx, t, "fornell_larcker", "fornell-larcker", "Fornell–Larcker criterion", "Fornell–Larcker criterion", fl_note, bounded=True)),
        _guard(t, "htmt", "Heterotrait–monotrait ratio (HTMT)", lambda: _htmt_section(ctx, t)),
        _guard(t, "score-correlations", "Correlations of scale scores", lambda: _scores_heatmap_section(ctx)),
        _guard(t, "cmv", "Common-method variance", lambda: _cmv_section(ctx, t)),
        _guard(t, "invariance", "Measurement invariance", lambda: _invariance_section(ctx, t)),
        _guard(t, "measurement-warnings", "Warnings", lambda: _measurement_warnings_section(ctx)),
        _guard(t, "item-responses", "Item responses", lambda: _likert_section(ctx)),
    ]
    return Page("measurement.html", "Measurement", _frame(ctx, "Measurement", join(parts), "measurement.html"), t.items)


def _cfa_fit_section(ctx: Context, t: _Tables) -> Safe:
    title = "Confirmatory factor analysis: fit"
    fit = ctx.json("cfa_fit")
    if not isinstance(fit, dict):
        return section("cfa-fit", title, not_computed("CFA fit", _missing_text(ctx, "cfa_fit")))
    how = []
    if fit.get("estimator"):
        how.append(f"estimator {fit['estimator']}")
    if fit.get("missing_note") or fit.get("missing"):
        how.append(f"missing data: {fit.get('missing_note') or fit.get('missing')}")
    if fit.get("n_constructs") is not None:
        how.append(f"{fmt_int(fit['n_constructs'])} correlated factors")
    if "converged" in fit:
        how.append("converged" if fit["converged"] else "DID NOT CONVERGE")
    note = _synthetic_note(ctx) + ("Model: " + "; ".join(how) + ". " if how else "") + "Criteria from Hu & Bentler (1999); χ² is sensitive to sample size."
    syntax = tag("details", tag("summary", "Model syntax (lavaan)"), tag("pre", fit["syntax"])) if fit.get("syntax") else Safe("")
    table = Table("Fit of the measurement model", ["Index", "Value", "Criterion"], _fit_rows(fit), note=note)
    return section("cfa-fit", title, t.add(table, "cfa-fit"), syntax, _warnings_block(fit.get("warnings")))


def _measurement_warnings_section(ctx: Context) -> Safe:
    warnings = ctx.json("measurement_warnings")
    if warnings is None:
        return section("measurement-warnings", "Warnings", not_computed("Warnings", _missing_text(ctx, "measurement_warnings")))
    items = warnings.get("warnings", []) if isinstance(warnings, dict) else warnings
    return section("measurement-warnings", "Warnings", _warnings_block(items) if items else paragraph("No warnings."))


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


def _fit_value(key: str, value) -> str:
    if key in ("df", "npar", "nobs"):
        return fmt_int(value)
    if key.startswith("pvalue"):
        return fmt_p(value)
    if key in ("chisq", "chisq_scaled", "aic", "bic", "logl"):
        return fmt_num(value)
    return fmt_bounded(value, 3)


def _fit_rows(fit: dict) -> list[list[str]]:
    src = fit.get("fit", fit) if isinstance(fit.get("fit"), dict) else fit
    rows = []
    for key, name in FIT_NAMES:
        if key in src:
            rows.append([name, _fit_value(key, src[key]), FIT_CRITERIA.get(key, "")])
    return rows


def _by_construct(frame: pd.DataFrame | None) -> dict[str, dict]:
    if frame is None:
        return {}
    key = _col(frame, "construct", "scale")
    return {str(r[key]): r for r in frame.to_dict(orient="records")} if key else {}


def _scale_table_section(ctx: Context, t: _Tables) -> Safe:
    rel, val, ver = (_by_construct(ctx.csv(k)) for k in ("reliability", "validity", "measurement_verdicts"))
    if not (rel or val or ver):
        return section("scales", "Scales: reliability, validity and verdicts", not_computed("Scale table", _missing_text(ctx, "reliability")))
    ids = list(dict.fromkeys(list(rel) + list(val) + list(ver)))
    if ctx.instrument is not None:
        order = {c: i for i, c in enumerate(ctx.instrument.constructs)}
        ids.sort(key=lambda c: order.get(c, len(order)))
    rows, suggestions = [], []
    for cid in ids:
        r, v, d = rel.get(cid, {}), val.get(cid, {}), ver.get(cid, {})
        merged = {**d, **v, **r}
        lo, hi = _val(r, "alpha_ci_lower", "alpha_lower"), _val(r, "alpha_ci_upper", "alpha_upper")
        reasons = _val(d, "reasons", "reason")
        sug = _val(d, "suggestions", "suggestion")
        if sug:
            suggestions.append(f"{cid}: {sug}")
        fl = _val(v, "fornell_larcker_pass")
        if fl is None:
            fl = _val(d, "fornell_larcker")
        rows.append(
            [
                cid,
                ctx.label(cid),
                fmt_int(_val(merged, "k", "n_items")),
                fmt_int(_val(r, "n")),
                fmt_bounded(_val(r, "alpha")),
                fmt_ci(lo, hi, bounded=True),
                fmt_bounded(_val(r, "omega", "omega_total")),
                fmt_bounded(_val(merged, "cr", "composite_reliability")),
                fmt_bounded(_val(merged, "ave")),
                DASH if fl is None else ("yes" if str(fl).lower() in ("true", "1", "yes") else "no"),
                fmt_num(_val(d, "max_htmt")),
                fmt_num(_val(d, "min_loading")),
                verdict_badge(_val(d, "verdict")) if d else verdict_badge(None),
                fmt_text_blank(reasons),
            ]
        )
    note = _synthetic_note(ctx) + (
        "k = items; n = respondents with at least one answer; α = Cronbach's alpha with 95% CI (Feldt); ω = McDonald's "
        "omega total (one-factor model); CR = composite reliability (semTools compRelSEM) and AVE = average variance "
        "extracted, from the CFA; FL = Fornell–Larcker criterion met; max HTMT = largest HTMT with another construct; "
        "min λ = smallest standardized loading. Thresholds: α, ω, CR ≥ .70; AVE ≥ .50; HTMT < .85 (warn to .90); "
        "λ ≥ .50. The pipeline never drops an item: it suggests, and the scales/ files decide."
    )
    table = Table(
        "Reliability, convergent and discriminant validity, and verdict per scale",
        ["Scale", "Label", "k", "n", "α", "95% CI", "ω", "CR", "AVE", "FL", "max HTMT", "min λ", "Verdict", "Reasons"],
        rows,
        note=note,
        text_columns={0, 1, 9, 12, 13},
    )
    extra = join([tag("h3", "Suggestions"), bullet_list(suggestions)]) if suggestions else Safe("")
    return section("scales", "Scales: reliability, validity and verdicts", t.add(table, "scales"), extra)


def _item_stats_section(ctx: Context, t: _Tables) -> Safe:
    frame = ctx.csv("item_stats")
    title = "Item statistics"
    if frame is None:
        return section("item-statistics", title, not_computed(title, _missing_text(ctx, "item_stats")))
    cols = {"construct": "Scale", "item": "Item", "n": "n", "share_missing": "% missing", "mean": "M", "sd": "SD",
            "skew": "Skew", "kurtosis": "Kurtosis", "r_drop": "r (item–rest)", "alpha_if_deleted": "α if deleted",
            "loading_one_factor": "λ (one factor)"}
    fmts = {"share_missing": fmt_percent, "loading_one_factor": fmt_num}
    note = _synthetic_note(ctx) + ("Items as analysed (reverse-keyed items already reversed). Skew and kurtosis as psych::describe "
                                   "(type 3); r (item–rest) = corrected item–total correlation; α if deleted = Cronbach's alpha "
                                   "of the scale without the item; λ = standardized loading in a one-factor model of the scale.")
    return section("item-statistics", title, t.add(frame_table(frame, "Item statistics", columns=cols, formatters=fmts, note=note, text_columns=["construct", "item"]), "item-statistics"))


def _efa_section(ctx: Context, t: _Tables) -> Safe:
    title = "Item pool: exploratory factor analysis"
    efa = ctx.json("efa")
    kmo = ctx.csv("kmo")
    if not isinstance(efa, dict) and kmo is None:
        return section("efa", title, not_computed("EFA", _missing_text(ctx, "efa")))
    parts = []
    if isinstance(efa, dict):
        b = efa.get("bartlett") or {}
        par = efa.get("parallel") or {}
        fa = efa.get("efa") or {}
        k = efa.get("kmo") or {}
        rows = []
        if k.get("overall") is not None:
            rows.append(["Kaiser–Meyer–Olkin (overall MSA)", fmt_bounded(k["overall"])])
        if k.get("items"):
            low = sorted(i for i, v in k["items"].items() if v is not None and v < 0.6)
            rows.append(["Item MSA, range", f"{fmt_bounded(min(k['items'].values()))} to {fmt_bounded(max(k['items'].values()))}"])
            rows.append(["Items with MSA < .60", ", ".join(low) if low else "none"])
        if b:
            p = fmt_p(b.get("p_value", b.get("pvalue")))
            rows.append(["Bartlett's test of sphericity", f"χ²({fmt_int(b.get('df'))}) = {fmt_num(b.get('chisq'))}, p {p if p.startswith('<') else '= ' + p}"])
        if par:
            rows.append(["Factors suggested by parallel analysis", f"{fmt_int(par.get('n_factors'))} (factors), {fmt_int(par.get('n_components'))} (components)"])
        if fa:
            rows.append(["Factors extracted", f"{fmt_int(fa.get('n_factors'))} ({fa.get('method', '')}, {fa.get('rotation', '')} rotation)"])
        if efa.get("n") is not None:
            rows.append(["N", fmt_int(efa.get("n"))])
        note = _synthetic_note(ctx) + f"Item pool: {efa.get('item_pool', 'items')}. Parallel analysis: {fmt_int(par.get('n_iter'))} simulated data sets, {fmt_bounded(par.get('quantile'))} quantile (seed {par.get('seed', DASH)})." if par else ""
        parts.append(t.add(Table("Sampling adequacy and number of factors", ["Quantity", "Value"], rows, note=note, text_columns={0, 1}), "efa-summary"))
        if par.get("pc_values"):
            series = [("eigenvalues (PC)", par.get("pc_values")), ("simulated (PC)", par.get("pc_sim_quantile") or par.get("pc_sim_mean") or [])]
            if par.get("fa_values"):
                series += [("eigenvalues (FA)", par.get("fa_values")), ("simulated (FA)", par.get("fa_sim_quantile") or par.get("fa_sim_mean") or [])]
            parts.append(figure(line_plot(series, "Scree plot and parallel analysis", "Factor / component", "Eigenvalue", hline=1.0),
                                "Figure. Scree plot: observed eigenvalues against those of random data (parallel analysis); factors above the simulated line are retained. Dotted line: eigenvalue 1.", "figure-scree"))
        loadings = fa.get("loadings")
        if isinstance(loadings, dict) and loadings:
            factors = sorted({f for v in loadings.values() for f in v}, key=lambda f: (len(f), f))
            items = list(loadings)
            if ctx.instrument is not None:
                order = {i: n for n, i in enumerate(ctx.instrument.item_ids)}
                items.sort(key=lambda i: order.get(i, len(order)))
            rows = []
            for item in items:
                vals = loadings[item]
                best = max(factors, key=lambda f: abs(vals.get(f) or 0))
                cells = []
                for f in factors:
                    v = vals.get(f)
                    if v is None or abs(v) < 0.30:
                        cells.append("")
                    else:
                        text = fmt_num(v)
                        cells.append(tag("strong", text) if f == best else text)
                h2 = (fa.get("communalities") or {}).get(item)
                rows.append([item] + cells + [fmt_bounded(h2)])
            parts.append(t.add(Table(f"Pattern matrix ({fa.get('method', '')}, {fa.get('rotation', '')})", ["Item"] + factors + ["h²"], rows,
                                     note=_synthetic_note(ctx) + "Loadings below .30 in absolute value are not shown; the largest loading of each item is in bold. h² = communality."), "efa-loadings"))
        parts.append(_warnings_block(efa.get("warnings")))
    elif kmo is not None:
        parts.append(t.add(frame_table(kmo, "Kaiser–Meyer–Olkin measure of sampling adequacy"), "kmo"))
    return section("efa", title, *parts)


def _likert_section(ctx: Context) -> Safe:
    frame = ctx.csv("validated")
    inst = ctx.instrument
    if frame is None or inst is None:
        why = _missing_text(ctx, "validated") if frame is None else "the instrument (scales/) could not be loaded"
        return section("item-responses", "Item responses", not_computed("Item response distributions", why))
    analysis = ctx.csv("analysis")
    idcol = _col(frame, "respondent_id")
    if analysis is not None and idcol and _col(analysis, "respondent_id"):
        frame = frame[frame[idcol].astype(str).isin(set(analysis[_col(analysis, "respondent_id")].astype(str)))]
    figs = []
    for cid, con in inst.constructs.items():
        if con.kind == "attention":
            continue
        items = [(it.id, it.wording + (" (R)" if it.reverse else ""), frame[it.id]) for it in con.items if it.id in frame.columns]
        if not items:
            continue
        rs = con.response_scale
        svg = likert_bars(items, int(rs.min), int(rs.max), rs.anchors, title=f"Responses to the {con.label} items")
        figs.append(figure(svg, f"Figure. {cid} – {con.label}: distribution of answers (as answered, before reverse-keying; (R) = reverse-keyed item). Bars are centred on the scale midpoint.", f"likert-{slug(cid)}"))
    if not figs:
        return section("item-responses", "Item responses", not_computed("Item response distributions", "no item columns in validated.csv"))
    return section("item-responses", "Item responses", paragraph("Distribution of the answers to every item, by construct."), tag("div", *figs, class_="figure-grid"))


def _loadings_section(ctx: Context, t: _Tables) -> Safe:
    frame = ctx.csv("loadings")
    if frame is None:
        return section("loadings", "Standardized loadings", not_computed("Loadings", _missing_text(ctx, "loadings")))
    lv = _col(frame, "construct", "factor", "lhs", "scale")
    item = _col(frame, "item", "rhs", "indicator")
    std = _col(frame, "std_all", "std", "loading", "std_loading")
    se = _col(frame, "std_se", "se")
    p = _col(frame, "std_pvalue", "pvalue", "p")
    est = _col(frame, "est")
    if not (lv and item and std):
        return section("loadings", "Standardized loadings", t.add(frame_table(frame, "Standardized loadings"), "loadings"))
    rows = []
    for rec in frame.to_dict(orient="records"):
        value = rec[std]
        rows.append([str(rec[lv]), str(rec[item]), fmt_num(rec.get(est)) if est else DASH, fmt_num(value) + stars(rec.get(p) if p else None), fmt_num(rec[se]) if se else DASH, fmt_p(rec[p]) if p else DASH])
    note = _synthetic_note(ctx) + ("b = unstandardized loading (the first item of each factor fixed to 1); λ = completely standardized "
                                   "loading (lavaan std.all) with its standard error and p. " + SIG_NOTE + " Loadings below .50 are flagged in the scale verdicts.")
    return section("loadings", "Standardized loadings", t.add(Table("Factor loadings of the measurement model", ["Construct", "Item", "b", "λ", "SE(λ)", "p"], rows, note=note, text_columns={0, 1}), "loadings"))


def _cmv_section(ctx: Context, t: _Tables) -> Safe:
    title = "Common-method variance"
    cmv = ctx.json("cmv")
    if not isinstance(cmv, dict):
        return section("cmv", title, not_computed("Common-method variance", _missing_text(ctx, "cmv")))
    rows = []
    h = cmv.get("harman")
    if isinstance(h, dict):
        rows.append(["Harman: first unrotated component (PCA)", fmt_percent(h.get("first_component_share")), "< 50%"])
        rows.append([f"Harman: first factor ({h.get('first_factor_method', '')})", fmt_percent(h.get("first_factor_share")), "< 50%"])
    else:
        rows.append(["Harman's single-factor test", NOT_COMPUTED, "< 50%"])
    clf = cmv.get("common_latent_factor")
    if isinstance(clf, dict) and clf.get("delta_chisq") is not None:
        p = fmt_p(clf.get("delta_p"))
        flag = "" if clf.get("converged", True) else " (model not converged: unreliable)"
        rows.append(["Common latent factor: Δχ²", f"Δχ²({fmt_int(clf.get('delta_df'))}) = {fmt_num(clf.get('delta_chisq'))}, p {p if p.startswith('<') else '= ' + p}{flag}", ""])
        rows.append(["Common latent factor: ΔCFI", fmt_bounded(clf.get("delta_cfi"), 3) + flag, "< .01"])
        rows.append(["Common latent factor: share of item variance", fmt_percent(clf.get("method_variance_share")) + flag, "< 25%"])
        rows.append(["Common latent factor model converged", "yes" if clf.get("converged") else "no", ""])
        if clf.get("method"):
            rows.append(["Common latent factor: estimation", str(clf["method"]), ""])
    else:
        rows.append(["Common latent factor model", NOT_COMPUTED, ""])
    mk = cmv.get("marker")
    if isinstance(mk, dict):
        rows.append([f"Marker variable ({mk.get('marker')}): r_M", fmt_bounded(mk.get("r_m")), ""])
        rows.append(["Correlations no longer significant after the adjustment", f"{fmt_int(mk.get('n_significance_lost'))} of {fmt_int(mk.get('n_pairs'))}", "few"])
    fc = cmv.get("full_collinearity")
    vif_rows = []
    if isinstance(fc, dict) and fc.get("table"):
        thr = fc.get("threshold", 3.3)
        vifs = [r.get("vif") for r in fc["table"] if r.get("vif") is not None]
        rows.append([f"Full-collinearity VIF, largest ({fc.get('scores', '')})", fmt_num(max(vifs)) if vifs else DASH, f"≤ {fmt_num(thr, 1)}"])
        vif_rows = [[str(r.get("construct")), fmt_bounded(r.get("r_squared")), fmt_num(r.get("vif")), "yes" if r.get("above_threshold") else "no"] for r in fc["table"]]
    note = _synthetic_note(ctx) + ("Harman's single-factor test (Podsakoff et al. 2003): share of variance of the first unrotated component/factor of "
                                   "all items; common latent factor: CFA with and without an orthogonal method factor loading on all items; "
                                   "marker variable: Lindell & Whitney (2001) adjustment r_adj = (r − r_M)/(1 − r_M); full-collinearity VIF: "
                                   "Kock (2015), each scale score regressed on all others.")
    parts = [t.add(Table("Common-method variance diagnostics", ["Diagnostic", "Value", "Rule of thumb"], rows, note=note, text_columns={0}), "cmv")]
    if vif_rows:
        parts.append(t.add(Table("Full-collinearity VIFs", ["Construct", "R²", "VIF", "Above threshold"], vif_rows, note=_synthetic_note(ctx) + "R² of each scale score regressed on all other substantive scale scores; VIF = 1/(1 − R²).", text_columns={0, 3}), "cmv-vif"))
    if isinstance(mk, dict) and isinstance(mk.get("table"), list):
        changed = [r for r in mk["table"] if bool(r.get("significant")) != bool(r.get("significant_adj"))]
        if changed:
            crow = [[f"{r.get('a')} – {r.get('b')}", fmt_bounded(r.get("r")), fmt_p(r.get("p")), fmt_bounded(r.get("r_adj")), fmt_p(r.get("p_adj"))] for r in changed]
            parts.append(t.add(Table("Correlations whose significance changes after the marker adjustment", ["Pair", "r", "p", "r (adjusted)", "p (adjusted)"], crow, note=_synthetic_note(ctx) + f"r_M = {fmt_bounded(mk.get('r_m'))} ({mk.get('r_m_from', '')}).", text_columns={0}), "cmv-marker"))
    parts.append(_warnings_block(cmv.get("warnings")))
    return section("cmv", title, *parts)


def _invariance_section(ctx: Context, t: _Tables) -> Safe:
    title = "Measurement invariance"
    frame = ctx.csv("invariance")
    info = ctx.json("invariance_json")
    if frame is None and info is None:
        return section("invariance", title, not_computed("Measurement invariance", _missing_text(ctx, "invariance")))
    parts = []
    if isinstance(info, dict):
        bits = []
        if info.get("group"):
            bits.append(f"Grouping variable: {info['group']}")
        if isinstance(info.get("group_sizes"), dict):
            bits.append("group sizes: " + ", ".join(f"{_group_label(k)}: {v}" for k, v in info["group_sizes"].items()))
        if info.get("free_parameters_per_group") is not None:
            bits.append(f"free parameters per group: {fmt_int(info['free_parameters_per_group'])}")
        if info.get("estimator"):
            bits.append(f"estimator {info['estimator']}")
        if bits:
            parts.append(paragraph("; ".join(bits) + "."))
    if frame is not None and len(frame):
        per_scale = isinstance(info, dict) and info.get("scope") == "per_scale"
        how = ("Each scale's one-factor model fitted across the groups (scope = scale); configural, metric and "
               "scalar models are joint multi-group fits" if per_scale else
               "Configural, metric and scalar models fitted jointly")
        parts.append(t.add(frame_table(frame, "Measurement invariance across groups", text_columns=[c for c in frame.columns if frame[c].dtype == object],
                                       note=_synthetic_note(ctx) + how + "; ΔCFI ≥ −.01 and ΔRMSEA ≤ .015 support invariance (Chen 2007)."), "invariance"))
    else:
        parts.append(not_computed("Invariance tests", "the stage could not fit them; see the warnings"))
    if isinstance(info, dict):
        parts.append(_warnings_block(info.get("warnings")))
    return section("invariance", title, *parts)


def _group_label(key) -> str:
    text = str(key)
    return text[:-2] if text.endswith(".0") else text


def _square(frame: pd.DataFrame) -> pd.DataFrame | None:
    """A square matrix from a CSV whose first column holds the row names; None if not square."""
    first = frame.columns[0]
    if frame[first].dtype == object or not pd.api.types.is_numeric_dtype(frame[first]):
        m = frame.set_index(first)
        m.index = m.index.astype(str)
        if list(m.index) == [str(c) for c in m.columns]:
            return m.apply(pd.to_numeric, errors="coerce")
    return None


def _matrix_section(ctx: Context, t: _Tables, key: str, sid: str, title: str, table_title: str, note: str, bounded: bool) -> Safe:
    frame = ctx.csv(key)
    if frame is None:
        return section(sid, title, not_computed(table_title, _missing_text(ctx, key)))
    m = _square(frame)
    if m is None:
        return section(sid, title, t.add(frame_table(frame, table_title, note=note), sid))
    f = fmt_bounded if bounded else fmt_num
    labels = list(m.columns)
    rows = []
    for i, r in enumerate(labels):
        rows.append([r] + [f(m.iloc[i, j]) if j <= i else "" for j in range(len(labels))])
    return section(sid, title, t.add(Table(table_title, [""] + labels, rows, note=_synthetic_note(ctx) + note), sid))


def _htmt_section(ctx: Context, t: _Tables) -> Safe:
    frame = ctx.csv("htmt")
    title = "Heterotrait–monotrait ratio (HTMT)"
    note = "HTMT (Henseler et al. 2015) and HTMT2 (Roemer et al. 2021) with bootstrap percentile 95% CIs. Discriminant validity: HTMT < .85 (strict), < .90 (liberal)."
    if frame is None:
        return section("htmt", title, not_computed("HTMT", _missing_text(ctx, "htmt")))
    m = _square(frame)
    if m is not None:
        labels = list(m.columns)
        rows = [[r] + [fmt_num(m.iloc[i, j]) if j < i else "" for j in range(len(labels))] for i, r in enumerate(labels)]
        table = Table(title, [""] + labels, rows, note=_synthetic_note(ctx) + note)
        return section("htmt", title, t.add(table, "htmt"), figure(heatmap(m, "HTMT heatmap", bounded=False), "Figure. HTMT ratios between constructs.", "figure-htmt"))
    a, b = _col(frame, "construct_a", "scale_a", "a", "lhs", "row"), _col(frame, "construct_b", "scale_b", "b", "rhs", "col")
    rows = []
    if a and b:
        for rec in frame.to_dict(orient="records"):
            h = _val(rec, "htmt")
            lo, hi = _val(rec, "htmt_ci_lower", "ci_lower", "htmt_lower", "lower"), _val(rec, "htmt_ci_upper", "ci_upper", "htmt_upper", "upper")
            h2 = _val(rec, "htmt2")
            lo2, hi2 = _val(rec, "htmt2_ci_lower", "htmt2_lower"), _val(rec, "htmt2_ci_upper", "htmt2_upper")
            rows.append([str(rec[a]), str(rec[b]), fmt_num(h), fmt_ci(lo, hi), fmt_num(h2), fmt_ci(lo2, hi2), verdict_badge(_val(rec, "verdict")) if _val(rec, "verdict") else ""])
        info = ctx.json("htmt_json")
        if isinstance(info, dict):
            extra = []
            if info.get("ci"):
                extra.append(f"CIs: {info['ci']}")
            if info.get("B") is not None:
                extra.append(f"B = {fmt_int(info['B'])}")
            if info.get("seed") is not None:
                extra.append(f"seed {info['seed']}")
            if info.get("n") is not None:
                extra.append(f"n = {fmt_int(info['n'])}")
            if info.get("missing"):
                extra.append(f"missing data: {info['missing']}")
            note += " " + "; ".join(extra) + "."
        table = Table(title, ["Construct", "Construct", "HTMT", "95% CI", "HTMT2", "95% CI", "Verdict"], rows, note=_synthetic_note(ctx) + note, text_columns={0, 1, 6})
        names = list(dict.fromkeys([str(x) for x in frame[a]] + [str(x) for x in frame[b]]))
        if ctx.instrument is not None:
            order = {c: i for i, c in enumerate(ctx.instrument.constructs)}
            names.sort(key=lambda c: order.get(c, len(order)))
        m = pd.DataFrame(np.nan, index=names, columns=names)
        for rec in frame.to_dict(orient="records"):
            h = _float(_val(rec, "htmt"))
            if h is not None:
                m.loc[str(rec[a]), str(rec[b])] = h
                m.loc[str(rec[b]), str(rec[a])] = h
        for n_ in names:
            m.loc[n_, n_] = 1.0
        fig = figure(heatmap(m, "HTMT heatmap", bounded=False), "Figure. HTMT ratios between constructs (diagonal set to 1); values of .85 and above question discriminant validity.", "figure-htmt")
        return section("htmt", title, t.add(table, "htmt"), fig, _warnings_block(info.get("warnings") if isinstance(info, dict) else None))
    return section("htmt", title, t.add(frame_table(frame, title, note=note), "htmt"))


def _scores_heatmap_section(ctx: Context) -> Safe:
    scores = ctx.csv("scale_scores")
    title = "Correlations of scale scores"
    if scores is None:
        return section("score-correlations", title, not_computed("Scale-score correlations", _missing_text(ctx, "scale_scores")))
    cols = [c for c in scores.columns if c != "respondent_id" and pd.api.types.is_numeric_dtype(scores[c])]
    if len(cols) < 2:
        return section("score-correlations", title, not_computed("Scale-score correlations", "fewer than two score columns"))
    corr = scores[cols].corr(method="pearson", min_periods=3)
    n = int(scores[cols].notna().all(axis=1).sum())
    cap = f"Figure. Pearson correlations of the scale scores (pairwise complete observations; {n} firms with all scores). "
    return section("score-correlations", title, figure(heatmap(corr, title), cap + ("Synthetic data." if ctx.synthetic else ""), "figure-score-heatmap"))


def propositions_page(ctx: Context) -> Page:
    t = _Tables("propositions")
    parts = [_guard(t, "verdicts", "Verdicts", lambda: section("verdicts", "Verdicts", verdict_dashboard(ctx)))]
    verdicts = {v["id"]: v for v in proposition_verdicts(ctx)}
    props = ["P1", "P2", "P3"]
    for key in ("verdicts", "subhypotheses", "coefficients"):
        frame = ctx.csv(key)
        if frame is not None and _col(frame, "proposition"):
            props += [p for p in dict.fromkeys(frame[_col(frame, "proposition")].astype(str)) if p not in props and p != "P4"]
    p4_ids = _sem_propositions(ctx)
    for pid in props:
        if pid in p4_ids:
            continue
        parts.append(_guard(t, slug(pid), pid, lambda pid=pid: _proposition_section(ctx, t, pid, verdicts.get(pid))))
    parts.append(_guard(t, "typology", "Typology", lambda: _typology_section(ctx, t)))
    parts.append(section("p4-link", "P4", paragraph("Proposition 4 is tested with structural equation models: see ", link("p4.html", "the P4 page"), ".")))
    return Page("propositions.html", "Propositions", _frame(ctx, "Propositions", join(parts), "propositions.html"), t.items)


def _sem_propositions(ctx: Context) -> set[str]:
    ids = {"P4"}
    models = ctx.json("p4_models")
    if isinstance(models, dict) and models.get("proposition"):
        ids.add(str(models["proposition"]))
    return ids


def _statement(ctx: Context, pid: str) -> str:
    frame = ctx.csv("verdicts")
    if frame is not None and {"proposition", "level", "statement"} <= set(frame.columns):
        row = frame[(frame["proposition"].astype(str) == pid) & (frame["level"] == "proposition")]
        if len(row) and isinstance(row["statement"].iloc[0], str) and row["statement"].iloc[0].strip():
            return row["statement"].iloc[0]
    return PROPOSITION_TEXT.get(pid, "")


def _proposition_section(ctx: Context, t: _Tables, pid: str, verdict: dict | None) -> Safe:
    sid = slug(pid)
    statement = _statement(ctx, pid)
    title = f"{pid}: {statement}" if statement else pid
    head = [paragraph("Verdict: ", verdict_badge(verdict["verdict"] if verdict else None))]
    body: list = []
    subs = ctx.csv("subhypotheses")
    if subs is None:
        body.append(not_computed(f"Sub-hypothesis tests of {pid}", _missing_text(ctx, "subhypotheses")))
    else:
        sub = subs[subs["proposition"].astype(str) == pid] if "proposition" in subs.columns else subs.iloc[0:0]
        if sub.empty:
            body.append(not_computed(f"Sub-hypothesis tests of {pid}", "no rows for it in subhypotheses.csv"))
        else:
            prim = sub["primary"].astype(str).str.lower().isin(["true", "1"]) if "primary" in sub.columns else pd.Series(True, index=sub.index)
            sub = pd.concat([sub[prim], sub[~prim]])
            rows, forest = [], []
            for rec, is_primary in zip(sub.to_dict(orient="records"), list(prim[sub.index])):
                fam = str(rec.get("family_used") or rec.get("family") or "")
                model = fam + ("" if is_primary else " (check)")
                rows.append([
                    str(rec.get("id", "")), str(rec.get("term", "")), str(rec.get("expected", "")), model,
                    fmt_num(rec.get("est")) + stars(rec.get("p_adjusted")) if is_primary else fmt_num(rec.get("est")),
                    fmt_num(rec.get("se")), fmt_ci(rec.get("ci_lower"), rec.get("ci_upper")),
                    fmt_p(rec.get("p_one_sided")), fmt_p(rec.get("p_adjusted")), verdict_badge(rec.get("verdict")),
                ])
                forest.append({"label": f"{rec.get('id', '')} {rec.get('term', '')}", "est": _float(rec.get("est")), "lo": _float(rec.get("ci_lower")),
                               "hi": _float(rec.get("ci_upper")), "mark": stars(rec.get("p_adjusted")), "group": model})
            note = _synthetic_note(ctx) + (
                "b = coefficient of the z-scored capability in the model of the outcome (link scale of the model family); robust "
                "(sandwich) standard errors; p = one-sided in the predicted direction; p (adj.) = Holm-adjusted within the "
                "proposition and model family. The verdict uses the primary model; checks re-estimate it with another family. "
                "Marks on b use p (adj.): " + SIG_NOTE
            )
            body.append(t.add(Table(f"Tests of the sub-hypotheses of {pid}", ["Hypothesis", "Capability", "Sign", "Model", "b", "SE", "95% CI", "p", "p (adj.)", "Verdict"], rows, note=note, text_columns={0, 1, 2, 3, 9}), f"{sid}-subhypotheses"))
            body.append(figure(forest_plot(forest, title=f"{pid} coefficients", xlabel="Coefficient (95% CI)"), f"Figure. {pid}: coefficients of the capabilities (z-scored) with 95% confidence intervals; dashed line: no effect.", f"forest-{sid}"))
    coef = ctx.csv("coefficients")
    fits = ctx.csv("fits")
    if coef is not None and {"proposition", "model", "term"} <= set(coef.columns):
        pc = coef[coef["proposition"].astype(str) == pid]
        main_models = [m for m in dict.fromkeys(pc["model"].astype(str)) if m.endswith(":main") or m.endswith(":interaction")]
        primary_family = None
        if fits is not None and {"proposition", "primary", "family"} <= set(fits.columns):
            fp = fits[(fits["proposition"].astype(str) == pid) & fits["primary"].astype(str).str.lower().isin(["true", "1"])]
            if len(fp):
                primary_family = str(fp["family"].iloc[0])
        if primary_family:
            main_models = [m for m in main_models if m.split(":")[1:2] == [primary_family]]
        for model in main_models:
            body.append(_model_table(ctx, t, pid, model, pc[pc["model"].astype(str) == model], fits))
    elif coef is None:
        body.append(not_computed(f"Full model of {pid}", _missing_text(ctx, "coefficients")))
    vif = ctx.csv("vif")
    if vif is not None and {"proposition", "term", "vif"} <= set(vif.columns):
        v = vif[(vif["proposition"].astype(str) == pid) & (vif["term"] != "Intercept")]
        if "family" in v.columns and len(v):
            v = v[v["family"] == v["family"].iloc[0]]
        if len(v):
            worst = v.loc[v["vif"].idxmax()]
            body.append(paragraph(f"Collinearity: largest VIF {fmt_num(worst['vif'])} ({worst['term']}); values above 5 would call for caution."))
    return section(sid, title, *head, *body)


def _model_table(ctx: Context, t: _Tables, pid: str, model: str, rows_frame: pd.DataFrame, fits: pd.DataFrame | None) -> Safe:
    fam = model.split(":")[1] if ":" in model else ""
    kind = model.split(":")[-1]
    rows = []
    for rec in rows_frame.to_dict(orient="records"):
        rows.append([
            str(rec.get("term", "")), str(rec.get("role", "")), fmt_num(rec.get("est")) + stars(rec.get("p_two_sided")),
            fmt_num(rec.get("se")), fmt_ci(rec.get("ci_lower"), rec.get("ci_upper")), fmt_p(rec.get("p_two_sided")),
            fmt_num(rec.get("exp_est")), fmt_num(rec.get("ame"), 3) if _float(rec.get("ame")) is not None else "",
        ])
    stats_text = ""
    if fits is not None and "model" in fits.columns:
        f = fits[fits["model"].astype(str) == model]
        if len(f):
            r = f.iloc[0].to_dict()
            bits = [f"N = {fmt_int(r.get('n'))}"]
            if _float(r.get("r2")) is not None:
                bits.append(f"{r.get('r2_kind', 'R²')} = {fmt_bounded(r.get('r2'), 3)}")
            if _float(r.get("r2_mcfadden")) is not None:
                bits.append(f"McFadden R² = {fmt_bounded(r.get('r2_mcfadden'), 3)}")
            if _float(r.get("wald_chi2")) is not None:
                p = fmt_p(r.get("wald_p"))
                bits.append(f"joint Wald test of {r.get('wald_terms', 'the capabilities')}: χ²({fmt_int(r.get('wald_df'))}) = {fmt_num(r.get('wald_chi2'))}, p {p if p.startswith('<') else '= ' + p}")
            if _float(r.get("f2_capabilities")) is not None:
                bits.append(f"Cohen's f² = {fmt_num(r.get('f2_capabilities'), 3)}")
            if _float(r.get("dispersion")) is not None:
                bits.append(f"dispersion = {fmt_num(r.get('dispersion'))}")
            if _float(r.get("aic")) is not None:
                bits.append(f"AIC = {fmt_num(r.get('aic'))}")
            if str(r.get("converged")).lower() in ("false", "0"):
                bits.append("the model did NOT converge")
            stats_text = "; ".join(bits) + ". "
    se_type = str(rows_frame["se_type"].iloc[0]) if "se_type" in rows_frame.columns and len(rows_frame) else "robust"
    outcome = str(rows_frame["outcome"].iloc[0]) if "outcome" in rows_frame.columns and len(rows_frame) else ""
    note = _synthetic_note(ctx) + stats_text + (
        f"Family {fam}; {se_type} standard errors; p two-sided; exp(b) = multiplicative effect for log/logit links; "
        "AME = average marginal effect of a capability on the outcome's scale. " + SIG_NOTE
    )
    title = f"{pid}: {'interaction' if kind == 'interaction' else 'full'} model of {outcome or 'the outcome'} ({fam})"
    return t.add(Table(title, ["Term", "Role", "b", "SE", "95% CI", "p", "exp(b)", "AME"], rows, note=note, text_columns={0, 1}), f"{slug(pid)}-{kind}-model")


def _typology_section(ctx: Context, t: _Tables) -> Safe:
    title = "Typology: do the capabilities matter more in their group?"
    frame = ctx.csv("typology_csv")
    info = ctx.json("typology_json")
    if frame is None and info is None:
        return section("typology", title, not_computed("Typology test", _missing_text(ctx, "typology_csv")))
    parts = []
    if isinstance(info, dict):
        if info.get("method"):
            parts.append(paragraph("Method: ", info["method"], "."))
        if info.get("group_sizes"):
            parts.append(paragraph("Firms per group: ", ", ".join(f"group {k}: {v}" for k, v in info["group_sizes"].items()), "."))
        summ = info.get("summary") or []
        if summ and isinstance(summ[0], dict):
            cols = {"proposition": "Proposition", "target_group": "Target group", "family_used": "Model", "status": "Status", "n_target": "n (target)",
                    "n_other": "n (other)", "n_steeper_in_target": "Steeper in target", "n_capabilities": "Capabilities", "wald_chi2": "Wald χ²",
                    "wald_df": "df", "wald_p": "p", "reason": "Reason"}
            parts.append(t.add(frame_table(pd.DataFrame(summ), "Joint tests of the capability × target-group interactions", columns=cols,
                                           text_columns=["proposition", "family_used", "status", "reason"],
                                           note=_synthetic_note(ctx) + "Steeper in target: capabilities whose slope is larger in the target group than elsewhere; Wald test: all interactions jointly zero."), "typology-summary"))
        parts.append(_warnings_block(info.get("warnings")))
    if frame is not None and len(frame):
        cols = {"proposition": "Proposition", "target_group": "Group", "capability": "Capability", "est": "b (interaction)", "se": "SE",
                "p_two_sided": "p", "p_one_sided": "p (one-sided)", "slope_target_group": "Slope in group", "slope_other_groups": "Slope elsewhere"}
        parts.append(t.add(frame_table(frame, "Capability × target-group interactions", columns=cols, text_columns=["proposition", "capability"],
                                       note=_synthetic_note(ctx) + "b (interaction) > 0: the capability's slope is steeper in its target group than in the others."), "typology"))
    return section("typology", title, *parts)


def _float(x) -> float | None:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


P4_LABELS = {"g_spread": "spread", "g_div": "diversification", "g_int": "intensity"}


def _p4_models(ctx: Context) -> tuple[dict | None, dict[str, dict]]:
    models = ctx.json("p4_models")
    models = models if isinstance(models, dict) else None
    mdict: dict[str, dict] = {}
    if models:
        raw = models.get("models", {})
        mdict = {str(k): v for k, v in raw.items()} if isinstance(raw, dict) else {str(m.get("model", i)): m for i, m in enumerate(raw)}
    return models, mdict


def p4_page(ctx: Context) -> Page:
    t = _Tables("p4")
    models, _ = _p4_models(ctx)
    pid = str(models.get("proposition", "P4")) if models else "P4"
    parts = [
        _guard(t, "p4-verdict", "Verdict", lambda: _p4_verdict_section(ctx, t, pid, models)),
        _guard(t, "model-comparison", "Model comparison", lambda: _model_comparison_section(ctx, t, pid)),
        _guard(t, "path-diagram", "Path diagrams", lambda: _path_diagram_section(ctx, t, pid)),
        _guard(t, "indirect-effects", "Indirect and total effects (bootstrap)", lambda: _bootstrap_section(ctx, t)),
    ]
    return Page("p4.html", "P4 model", _frame(ctx, f"{pid}: capabilities and international growth", join(parts), "p4.html"), t.items)


def _model_comparison_section(ctx: Context, t: _Tables, pid: str) -> Safe:
    models, mdict = _p4_models(ctx)
    if not models:
        return section("model-comparison", "Model comparison", not_computed(f"{pid} model fit", _missing_text(ctx, "p4_models")))
    rows = []
    for name, m in mdict.items():
        fit = m.get("fit") or {}
        rmsea = _fit_value("rmsea", fit.get("rmsea"))
        if fit.get("rmsea_ci_lower") is not None and fit.get("rmsea_ci_upper") is not None:
            rmsea += f" [{fmt_bounded(fit.get('rmsea_ci_lower'), 3)}, {fmt_bounded(fit.get('rmsea_ci_upper'), 3)}]"
        rows.append([
            f"({name}) {m.get('description', '')}".strip(), "yes" if m.get("converged") else "no",
            _fit_value("chisq", fit.get("chisq")), _fit_value("df", fit.get("df")), _fit_value("pvalue", fit.get("pvalue")),
            _fit_value("cfi", fit.get("cfi")), _fit_value("tli", fit.get("tli")), rmsea,
            _fit_value("srmr", fit.get("srmr")), _fit_value("aic", fit.get("aic")), _fit_value("bic", fit.get("bic")),
            fmt_bounded(m.get("r2_growth")),
        ])
    how = f"N = {fmt_int(models.get('n_firms'))}; estimator {models.get('estimator', DASH)}; missing data: {models.get('missing', DASH)}. "
    gi = models.get("growth_indicators") or {}
    gi_text = ("Growth indicators: " + "; ".join(f"{P4_LABELS.get(k, k)} = {v}" for k, v in gi.items()) + ". ") if gi else ""
    table = Table(f"Fit of the {pid} structural models", ["Model", "Converged", "χ²", "df", "p", "CFI", "TLI", "RMSEA [90% CI]", "SRMR", "AIC", "BIC", "R² growth"], rows,
                  note=_synthetic_note(ctx) + how + gi_text + "Criteria CFI/TLI ≥ .95, RMSEA ≤ .06, SRMR ≤ .08; lower AIC/BIC is better.", text_columns={0, 1})
    return section("model-comparison", "Model comparison", t.add(table, "model-comparison"), _comparisons_table(ctx, t, models), _multigroup_block(models),
                   _warnings_block(models.get("warnings")))


def _path_diagram_section(ctx: Context, t: _Tables, pid: str) -> Safe:
    models, mdict = _p4_models(ctx)
    paths = ctx.csv("p4_paths")
    if paths is None or not {"lhs", "op", "rhs"} <= set(paths.columns):
        return section("path-diagram", "Path diagrams", not_computed(f"{pid} path diagram", _missing_text(ctx, "p4_paths")))
    latent = set()
    if models and isinstance(models.get("processes"), dict):
        for proc, caps in models["processes"].items():
            latent.add(str(proc))
            latent.update(map(str, caps))
    if ctx.instrument is not None:
        latent.update(ctx.instrument.constructs)
    mcol = _col(paths, "model")
    groups = [(str(m), g) for m, g in paths.groupby(mcol, sort=False)] if mcol else [("", paths)]
    figs, tables = [], []
    for name, g in groups:
        m = mdict.get(name, {})
        r2 = m.get("r_squared") or ({"growth": m.get("r2_growth")} if m.get("r2_growth") is not None else {})
        svg = path_diagram(g, title=f"{pid} model ({name})", labels=P4_LABELS, latent_names=latent, r2=r2)
        desc = m.get("description", "")
        cap = (f"Figure. {pid} model ({name}){': ' + desc if desc else ''}. Standardized estimates (std.all) on the arrows; {SIG_NOTE} "
               f"Item indicators of the capability factors are omitted. {fit_caption(m.get('fit'))}")
        figs.append(figure(svg, cap, f"path-diagram-{slug(name) or 'model'}"))
        struct = g[g["op"].isin(["~", ":="])]
        rows = []
        for r in struct.to_dict(orient="records"):
            path = f"{r['lhs']} ← {r['rhs']}" if r["op"] == "~" else f"{r['lhs']} = {r['rhs']}"
            rows.append([path, fmt_num(r.get("est")), fmt_num(r.get("se")), fmt_ci(r.get("ci_lower"), r.get("ci_upper")),
                         fmt_num(r.get("std_all")) + stars(r.get("pvalue")), fmt_p(r.get("pvalue"))])
        if rows:
            note = (_synthetic_note(ctx) + "β = completely standardized estimate; p two-sided (Wald). Defined effects (:=) are products/sums "
                    "of paths; see the bootstrap table for their percentile CIs. " + SIG_NOTE)
            tables.append(t.add(Table(f"Structural paths and defined effects, model ({name})", ["Path", "b", "SE", "95% CI (Wald)", "β", "p"], rows,
                                      note=note, text_columns={0}), f"paths-{name}"))
    return section("path-diagram", "Path diagrams", *figs, *tables)


def _p4_verdict_section(ctx: Context, t: _Tables, pid: str, models: dict | None) -> Safe:
    statement = (models or {}).get("statement") or PROPOSITION_TEXT.get(pid, "")
    v = next((x for x in proposition_verdicts(ctx) if x["id"] == pid), None)
    parts = [paragraph(statement), paragraph("Verdict: ", verdict_badge(v["verdict"] if v else None))]
    frame = ctx.csv("verdicts")
    if frame is not None and {"proposition", "level"} <= set(frame.columns):
        sub = frame[(frame["proposition"].astype(str) == pid) & (frame["level"] != "proposition")]
        rows = [[str(r.get("id", "")), str(r.get("term", "")), str(r.get("expected", "")), str(r.get("parameter", "")),
                 fmt_num(r.get("est")), fmt_ci(r.get("ci_lower"), r.get("ci_upper")), fmt_text_blank(r.get("evidence")), verdict_badge(r.get("verdict"))]
                for r in sub.to_dict(orient="records")]
        if rows:
            parts.append(t.add(Table(f"Sub-hypotheses of {pid}", ["Hypothesis", "Process", "Sign", "Effect", "Estimate", "95% CI", "Evidence", "Verdict"], rows,
                                     note=_synthetic_note(ctx) + "Unstandardized effect on latent growth; supported when the sign is as predicted and the CI excludes 0.", text_columns={0, 1, 2, 3, 6, 7}), "subhypotheses"))
    return section("p4-verdict", "Verdict", *parts)


def _comparisons_table(ctx: Context, t: _Tables, models: dict) -> Safe:
    comps = models.get("comparisons") or []
    if not comps:
        return Safe("")
    rows = [[f"({c.get('restricted')}) within ({c.get('general')})", fmt_num(c.get("delta_chisq")), fmt_int(c.get("delta_df")), fmt_p(c.get("pvalue")),
             fmt_num(c.get("delta_aic")), fmt_num(c.get("delta_bic")), str(c.get("method", ""))] for c in comps]
    return t.add(Table("Nested model comparisons", ["Comparison", "Δχ²", "Δdf", "p", "ΔAIC", "ΔBIC", "Method"], rows,
                       note=_synthetic_note(ctx) + "Δ = restricted minus general model; a significant Δχ² means the restrictions worsen fit.", text_columns={0, 6}), "comparisons")


def _multigroup_block(models: dict) -> Safe:
    mg = models.get("multigroup")
    if not isinstance(mg, dict):
        return Safe("")
    text = f"Multi-group check by typology group: {mg.get('status', DASH)}"
    if mg.get("reason"):
        text += f" ({mg['reason']})"
    return paragraph(text + ".")


def _bootstrap_section(ctx: Context, t: _Tables) -> Safe:
    title = "Indirect and total effects (bootstrap)"
    boot = ctx.csv("p4_bootstrap")
    if boot is None:
        return section("indirect-effects", title, not_computed("Bootstrap CIs", _missing_text(ctx, "p4_bootstrap")))
    if not {"parameter", "est", "ci_lower", "ci_upper"} <= set(boot.columns):
        return section("indirect-effects", title, t.add(frame_table(boot, "Bootstrap percentile confidence intervals"), "bootstrap"))
    rows = []
    for r in boot.to_dict(orient="records"):
        kind = str(r.get("kind", "est"))
        rows.append([str(r.get("model", "")), str(r["parameter"]).replace("~", " ← "), "standardized" if kind == "std_all" else "unstandardized",
                     fmt_num(r.get("est")), fmt_num(r.get("boot_se")), fmt_ci(r.get("ci_lower"), r.get("ci_upper"))])
    first = boot.iloc[0].to_dict()
    level = _float(first.get("level"))
    note = _synthetic_note(ctx) + (
        f"Percentile bootstrap, B = {fmt_int(first.get('B'))} resamples ({fmt_int(first.get('n_ok'))} converged, "
        f"{fmt_int(first.get('n_not_converged'))} not converged, {fmt_int(first.get('n_failed'))} failed; CIs from the converged ones)"
        + (f", {fmt_percent(level, 0)} level" if level else "") + ". Each resample has its own seed, so results do not depend on how the work is split."
    )
    return section("indirect-effects", title, t.add(Table("Bootstrap confidence intervals of paths, indirect and total effects", ["Model", "Effect", "Scale", "Estimate", "Boot SE", "CI"], rows, note=note, text_columns={0, 1, 2}), "bootstrap"))


def provenance_page(ctx: Context) -> Page:
    t = _Tables("provenance")
    day, how = ctx.date()
    commit = provenance.git_commit(ctx.root)
    parts = [
        section(
            "run",
            "Run",
            definition_list(
                [
                    ("Report date", f"{day} ({how})"),
                    ("Git commit", commit),
                    ("Synthetic data", {True: "yes", False: "no", None: NOT_COMPUTED}[ctx.synthetic]),
                ]
            ),
            paragraph("The report date is never the wall-clock time, so that reruns give byte-identical pages: it is SOURCE_DATE_EPOCH if set, else the latest modification date of the data and config files."),
        )
    ]
    files = []
    survey = (ctx.config.get("data") or {}).get("survey") if ctx.config else None
    if survey:
        files.append(survey)
    if ctx.config_path:
        files.append(ctx.config_path)
    scales_dir = (ctx.config.get("instrument") or {}).get("scales_dir") if ctx.config else None
    if scales_dir and Path(ctx.root, scales_dir).is_dir():
        files += sorted(str(p.relative_to(ctx.root)) if not Path(scales_dir).is_absolute() else str(p) for p in Path(ctx.root, scales_dir).rglob("*") if p.is_file())
    files += [v for k, v in ctx.files.items() if not k.endswith("_html")]
    hashes = []
    for f in dict.fromkeys(files):
        full = Path(f) if Path(f).is_absolute() else Path(ctx.root) / f
        path, digest, size = provenance.file_hashes([full])[0]
        hashes.append([f, digest, size or DASH])
    parts.append(section("files", "Input files", t.add(Table("SHA-256 of the data, config, instrument and result files", ["File", "SHA-256", "Bytes"], hashes, text_columns={0, 1}), "files")))
    cfg_text = yaml.safe_dump(ctx.config, sort_keys=False, allow_unicode=True) if ctx.config else NOT_COMPUTED
    parts.append(section("config", "Configuration used", tag("pre", cfg_text)))
    parts.append(section("versions", "Software", t.add(Table("Package versions", ["Package", "Version"], [list(r) for r in provenance.package_versions()], text_columns={0, 1}), "versions")))
    return Page("provenance.html", "Provenance", _frame(ctx, "Provenance", join(parts), "provenance.html"), t.items)


def _number_figures(body: str) -> Safe:
    """'Figure.' captions become 'Figure 1.', 'Figure 2.' ... in page order (APA numbering)."""
    counter = iter(range(1, 10_000))
    return Safe(re.sub(r"<figcaption>Figure\. ", lambda m: f"<figcaption><em>Figure {next(counter)}.</em> ", str(body)))


def _frame(ctx: Context, title: str, body, current: str) -> str:
    body = _number_figures(body)
    day, _ = ctx.date()
    return page(title, body, current=current, study_title=ctx.study_title, synthetic=ctx.synthetic, date=day, pages=PAGES)


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
    for fn in PAGE_FUNCTIONS:
        pg = fn(ctx)
        path = out_dir / pg.filename
        write_text(path, pg.html)
        log.info("wrote %s (%d tables)", path, len(pg.tables))
        written.append(path)
        all_tables.extend(pg.tables)
    if tables_dir is not None:
        tables_dir = Path(tables_dir)
        tables_dir.mkdir(parents=True, exist_ok=True)
        manifest = []
        for name, table in all_tables:
            path = tables_dir / f"{name}.csv"
            write_csv(path, table.to_csv_frame())
            written.append(path)
            page_name = name.split("_", 1)[0]
            manifest.append({"file": path.name, "page": f"{page_name}.html", "number": table.number, "title": table.title,
                             "note": table.note.replace("\u2212", "-")})
        # Titles and notes of the CSV tables (APA puts them above and below the table), and the synthetic flag.
        write_json(tables_dir / "tables.json", {"synthetic": ctx.synthetic, "tables": manifest})
        written.append(tables_dir / "tables.json")
        log.info("wrote %d tables (CSV) and tables.json to %s", len(all_tables), tables_dir)
    return written
