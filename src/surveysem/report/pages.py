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

from surveysem.io import write_csv, write_text
from surveysem.report import provenance
from surveysem.report.figures import figure, forest_plot, heatmap, likert_bars
from surveysem.report.html import (
    NOT_COMPUTED,
    PAGES,
    Safe,
    bullet_list,
    definition_list,
    esc,
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
    fmt_text,
    frame_table,
    stars,
)

log = logging.getLogger("surveysem.report")

# Result files the pages read (key -> default path). The report rule's inputs are these.
RESULT_FILES: dict[str, str] = {
    "ingest": "results/clean/ingest.json",
    "validated": "results/clean/validated.csv",
    "analysis": "results/clean/analysis.csv",
    "missingness": "results/clean/missingness.csv",
    "invalid_rows": "results/clean/invalid_rows.csv",
    "exclusions": "results/screening/exclusions.csv",
    "flow": "results/screening/flow.csv",
    "screening": "results/screening/screening.json",
    "codebook_csv": "results/codebook.csv",
    "firm_outcomes": "results/outcomes/firm_outcomes.csv",
    "firm_outcomes_json": "results/outcomes/firm_outcomes.json",
    "table1_audit": "results/outcomes/table1_audit.csv",
    "table1_regions": "results/outcomes/table1_regions.csv",
    "reliability": "results/measurement/reliability.csv",
    "item_stats": "results/measurement/item_stats.csv",
    "efa": "results/measurement/efa.json",
    "kmo": "results/measurement/kmo.csv",
    "cfa_fit": "results/measurement/cfa_fit.json",
    "loadings": "results/measurement/loadings.csv",
    "fornell_larcker": "results/measurement/fornell_larcker.csv",
    "htmt": "results/measurement/htmt.csv",
    "cmv": "results/measurement/cmv.json",
    "invariance": "results/measurement/invariance.csv",
    "measurement_verdicts": "results/measurement/verdicts.csv",
    "measurement_warnings": "results/measurement/warnings.json",
    "scale_scores": "results/scores/scale_scores.csv",
    "coefficients": "results/propositions/coefficients.csv",
    "verdicts": "results/propositions/verdicts.csv",
    "verdicts_json": "results/propositions/verdicts.json",
    "p4_models": "results/propositions/p4_models.json",
    "p4_paths": "results/propositions/p4_paths.csv",
    "p4_bootstrap": "results/propositions/p4_bootstrap.csv",
    "codebook_html": "reports/codebook.html",
    "questionnaire_html": "reports/questionnaire.html",
}

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

    files: dict[str, str] = field(default_factory=lambda: dict(RESULT_FILES))
    config: dict = field(default_factory=dict)
    config_path: str | None = "config/config.yaml"
    instrument: object | None = None
    root: str = "."
    env: dict | None = None
    _cache: dict = field(default_factory=dict, repr=False)

    def path(self, key: str) -> Path:
        p = Path(self.files.get(key, RESULT_FILES.get(key, key)))
        return p if p.is_absolute() else Path(self.root) / p

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def csv(self, key: str) -> pd.DataFrame | None:
        if key not in self._cache:
            p = self.path(key)
            self._cache[key] = pd.read_csv(p, comment=None) if p.is_file() else None
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


def _missing_text(ctx: Context, key: str) -> str:
    return f"{ctx.files.get(key, RESULT_FILES.get(key, key))} does not exist yet"


def _warnings_block(warnings) -> Safe:
    if not warnings:
        return Safe("")
    items = []
    for w in warnings:
        if isinstance(w, dict):
            items.append("; ".join(f"{k}: {v}" for k, v in sorted(w.items())))
        else:
            items.append(str(w))
    return tag("div", tag("strong", f"Warnings ({len(items)})"), bullet_list(items), class_="warnings")


def _col(frame: pd.DataFrame, *candidates: str) -> str | None:
    """The first column of ``frame`` whose lower-case name is among the candidates."""
    lower = {c.lower(): c for c in frame.columns}
    for cand in candidates:
        if cand.lower() in lower:
            return lower[cand.lower()]
    return None


def _val(record: dict, *candidates: str):
    lower = {str(k).lower(): k for k in record}
    for cand in candidates:
        if cand.lower() in lower:
            v = record[lower[cand.lower()]]
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


def _csv_section(ctx: Context, tables: _Tables, key: str, sid: str, title: str, table_title: str, note: str = "", **kw) -> Safe:
    frame = ctx.csv(key)
    if frame is None:
        return section(sid, title, not_computed(table_title, _missing_text(ctx, key)))
    return section(sid, title, tables.add(frame_table(frame, table_title, note=note, **kw), sid))


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
            body = [verdict_badge(v["verdict"]), tag("div", detail) if detail else Safe("")]
        cards.append(
            tag(
                "div",
                tag("h3", tag("a", pid, href=f"propositions.html#{slug(pid)}")),
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
    parts = []
    analysis = ctx.csv("analysis")
    n_text = f"{len(analysis)} firms retained for analysis" if analysis is not None else "number of firms analysed: not computed"
    parts.append(
        section(
            "summary",
            "Summary",
            paragraph(
                "These pages report the measurement and hypothesis tests of the study. ",
                n_text,
                ". ",
                "Tables follow APA style; each is also in results/tables/ as CSV.",
            ),
        )
    )
    parts.append(section("verdicts", "Verdicts on the propositions", verdict_dashboard(ctx)))
    # measurement verdict summary
    mv = ctx.csv("measurement_verdicts")
    if mv is not None and _col(mv, "verdict"):
        vc = _col(mv, "verdict")
        counts = mv[vc].astype(str).str.lower().value_counts()
        rows = [[k, fmt_int(counts.get(k, 0))] for k in ("pass", "warn", "fail")]
        meas = t.add(Table("Scale verdicts (measurement)", ["Verdict", "Scales"], rows, note="See measurement.html for the reasons."), "scale-verdicts")
    else:
        meas = not_computed("Scale verdicts", _missing_text(ctx, "measurement_verdicts"))
    parts.append(section("measurement-summary", "Measurement at a glance", meas))
    page_rows = [
        ("data.html", "Data and screening", "source file, exclusion flow, missing data"),
        ("outcomes.html", "Outcomes", "spread, diversification, intensity; typology groups; Table 1 audit"),
        ("measurement.html", "Measurement", "reliability, CFA, validity, common-method variance, invariance"),
        ("propositions.html", "Propositions", "P1–P3 regressions, verdicts"),
        ("p4.html", "P4 model", "second-order SEM, path diagram, indirect effects"),
        ("provenance.html", "Provenance", "file hashes, config, versions, commit"),
    ]
    items = [join([link(href, name), " – ", desc]) for href, name, desc in page_rows]
    for key, href, name in (("codebook_html", "codebook.html", "Codebook"), ("questionnaire_html", "questionnaire.html", "Questionnaire")):
        if ctx.exists(key):
            items.append(join([link(href, name), " – from the instrument stage"]))
        else:
            items.append(join([name, f" – {NOT_COMPUTED} ({_missing_text(ctx, key)})"]))
    parts.append(section("pages", "Pages", bullet_list(items)))
    return Page("index.html", "Overview", _frame(ctx, "Overview", join(parts), "index.html"), t.items)


def data_page(ctx: Context) -> Page:
    t = _Tables("data")
    parts = []
    ingest = ctx.json("ingest")
    if ingest is None:
        parts.append(section("source", "Source", not_computed("Ingest summary", _missing_text(ctx, "ingest"))))
    else:
        parts.append(
            section(
                "source",
                "Source",
                t.add(_json_table(ingest, "Data ingest", note="Personally identifying columns are dropped at ingest; only their names are listed.", skip={"dropped_pii_reasons"}), "ingest"),
            )
        )
    # exclusion flow
    flow = ctx.csv("flow")
    if flow is None:
        parts.append(section("exclusion-flow", "Exclusion flow", not_computed("Exclusion flow", _missing_text(ctx, "flow"))))
    else:
        flow = flow.copy()
        screening = ctx.json("screening")
        rc = _col(flow, "rule")
        if isinstance(screening, dict) and rc:
            desc = {str(r.get("rule")): r.get("description", "") for r in screening.get("rules", []) if isinstance(r, dict)}
            flow["description"] = [desc.get(str(r), "") or "" for r in flow[rc]]
        cols = {"step": "Step", "rule": "Rule", "description": "Description", "n_before": "n before", "n_excluded": "Excluded", "n_after": "n after"}
        cols.update({c: c.replace("_", " ").capitalize() for c in flow.columns if c not in cols})
        fig = _flow_figure(flow)
        parts.append(
            section(
                "exclusion-flow",
                "Exclusion flow",
                t.add(frame_table(flow, "Screening steps", columns=cols, text_columns=[c for c in ("rule", "description") if c in flow.columns],
                                  note="Rules are applied in order; a respondent is counted once, at the first rule that excludes them."), "flow"),
                fig,
            )
        )
    exc = ctx.csv("exclusions")
    if exc is not None and _col(exc, "rule"):
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
        parts.append(section("exclusions", "Exclusions by rule", t.add(frame_table(counts, "Respondents failing each screening rule", columns={rc: "Rule", "n_failed": "Failed", "n_excluded": "Excluded"}, note=note), "exclusions")))
    else:
        parts.append(section("exclusions", "Exclusions by rule", not_computed("Exclusions", _missing_text(ctx, "exclusions"))))
    parts.append(_sample_profile_section(ctx, t))
    parts.append(_missingness_section(ctx, t))
    return Page("data.html", "Data and screening", _frame(ctx, "Data and screening", join(parts), "data.html"), t.items)


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
    parts = []
    fo = ctx.csv("firm_outcomes")
    if fo is None:
        parts.append(section("descriptives", "Outcome descriptives", not_computed("Outcomes", _missing_text(ctx, "firm_outcomes"))))
        parts.append(section("groups", "Typology groups", not_computed("Typology groups", _missing_text(ctx, "firm_outcomes"))))
    else:
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
        parts.append(section("descriptives", "Outcome descriptives", t.add(Table("Descriptive statistics of the outcomes", ["Variable", "n", "M", "SD", "Mdn", "Min", "Max"], rows, note=note), "descriptives"), conv,
                             _warnings_block(fj.get("warnings") if isinstance(fj, dict) else None)))
        gcol = _col(fo, "group")
        if gcol:
            desc = {
                1: "low-tech, standardised products: spread",
                2: "high-tech / knowledge-intensive, individual customers: diversification",
                3: "high-tech, corporate customers: sales intensity",
            }
            counts = fo[gcol].value_counts(dropna=False)
            rows = []
            for g in sorted(counts.index, key=lambda v: (pd.isna(v), v)):
                label = "unclassified" if pd.isna(g) else desc.get(int(g), "") if str(g).lstrip("-").isdigit() or isinstance(g, (int, float, np.integer)) else ""
                shown = DASH if pd.isna(g) else fmt_int(g) if isinstance(g, (int, float, np.integer, np.floating)) and float(g).is_integer() else str(g)
                rows.append([shown, label, fmt_int(counts[g]), fmt_percent(counts[g] / len(fo))])
            parts.append(section("groups", "Typology groups", t.add(Table("Firms by typology group (Yang & Stoian 2024, Section 4)", ["Group", "Emphasis", "n", "%"], rows, text_columns={0, 1}), "groups")))
        else:
            parts.append(section("groups", "Typology groups", not_computed("Typology groups", "no group column in firm_outcomes.csv")))
    audit = ctx.csv("table1_audit")
    if audit is None:
        parts.append(section("table1-audit", "Table 1 audit", not_computed("Table 1 audit", _missing_text(ctx, "table1_audit"))))
    else:
        flags = [c for c in audit.columns if audit[c].dtype == bool or str(c).lower() in ("agrees", "match", "matches", "agree", "differs", "disagrees")]
        summary = ""
        audit = audit.copy()
        for c in flags:
            vals = audit[c].astype(str).str.lower().isin(["true", "1", "yes"])
            summary += f"{c}: {int(vals.sum())} of {len(audit)} rows. "
            audit[c] = np.where(vals, "yes", "no")
        fmts = {c: fmt_bounded for c in audit.columns if str(c).startswith("intensity")}
        fmts.update({c: fmt_int for c in audit.columns if str(c).startswith("diversification") or str(c) == "firm"})
        parts.append(
            section(
                "table1-audit",
                "Table 1 audit",
                paragraph("Recomputation of the outcome values in Table 1 of Yang & Stoian (2024) from the firms' market-entry histories, beside the paper's own numbers."),
                t.add(frame_table(audit, "Table 1 of Yang & Stoian (2024) recomputed", formatters=fmts, note=(summary + "Reported: the paper's value; computed: recomputed from the firm's market-entry history with the region table in scales/regions.csv.").strip()), "table1-audit"),
            )
        )
    return Page("outcomes.html", "Outcomes", _frame(ctx, "Outcomes", join(parts), "outcomes.html"), t.items)


def measurement_page(ctx: Context) -> Page:
    t = _Tables("measurement")
    parts = [_scale_table_section(ctx, t)]
    parts.append(_likert_section(ctx))
    parts.append(_csv_section(ctx, t, "item_stats", "item-statistics", "Item statistics", "Item statistics", note="Skew and kurtosis as psych::describe (type 3); r.drop is the corrected item–total correlation."))
    # EFA
    efa_parts = []
    kmo = ctx.csv("kmo")
    efa = ctx.json("efa")
    if kmo is not None:
        efa_parts.append(t.add(frame_table(kmo, "Kaiser–Meyer–Olkin measure of sampling adequacy"), "kmo"))
    if isinstance(efa, dict):
        efa_parts.append(t.add(_json_table(efa, "Exploratory factor analysis of the capability items"), "efa"))
        for k, v in sorted(efa.items()):
            if isinstance(v, list) and v and isinstance(v[0], dict):
                efa_parts.append(t.add(frame_table(pd.DataFrame(v), f"EFA: {k}"), f"efa-{k}"))
    if not efa_parts:
        efa_parts.append(not_computed("EFA", _missing_text(ctx, "efa")))
    parts.append(section("efa", "Item pool: exploratory factor analysis", *efa_parts))
    # CFA fit
    fit = ctx.json("cfa_fit")
    if isinstance(fit, dict):
        fit_rows = _fit_rows(fit)
        parts.append(section("cfa-fit", "Confirmatory factor analysis: fit", t.add(Table("Fit of the measurement model", ["Index", "Value", "Criterion"], fit_rows, note=_synthetic_note(ctx) + "Criteria from Hu & Bentler (1999)."), "cfa-fit"), _warnings_block(fit.get("warnings"))))
    else:
        parts.append(section("cfa-fit", "Confirmatory factor analysis: fit", not_computed("CFA fit", _missing_text(ctx, "cfa_fit"))))
    parts.append(_loadings_section(ctx, t))
    parts.append(_matrix_section(ctx, t, "fornell_larcker", "fornell-larcker", "Fornell–Larcker criterion", "Fornell–Larcker criterion", "Diagonal: square root of AVE; below: latent correlations. Discriminant validity holds when each diagonal value exceeds the correlations in its row and column.", bounded=True))
    parts.append(_htmt_section(ctx, t))
    parts.append(_scores_heatmap_section(ctx))
    cmv = ctx.json("cmv")
    if isinstance(cmv, dict):
        sub = [t.add(_json_table(cmv, "Common-method variance", note="Harman's single factor (share of variance of the first unrotated factor/component), marker-variable adjustment (Lindell & Whitney 2001), common latent factor, full-collinearity VIF (Kock 2015, threshold 3.3)."), "cmv")]
        for k, v in sorted(cmv.items()):
            if isinstance(v, list) and v and isinstance(v[0], dict):
                sub.append(t.add(frame_table(pd.DataFrame(v), f"Common-method variance: {k.replace('_', ' ')}"), f"cmv-{k}"))
        parts.append(section("cmv", "Common-method variance", *sub, _warnings_block(cmv.get("warnings"))))
    else:
        parts.append(section("cmv", "Common-method variance", not_computed("Common-method variance", _missing_text(ctx, "cmv"))))
    parts.append(_csv_section(ctx, t, "invariance", "invariance", "Measurement invariance", "Measurement invariance across groups", note="Configural, metric and scalar models fitted jointly; ΔCFI ≤ .01 and ΔRMSEA ≤ .015 support invariance (Chen 2007)."))
    warnings = ctx.json("measurement_warnings")
    if warnings is None:
        parts.append(section("measurement-warnings", "Warnings", not_computed("Warnings", _missing_text(ctx, "measurement_warnings"))))
    else:
        items = warnings.get("warnings", warnings) if isinstance(warnings, dict) else warnings
        parts.append(section("measurement-warnings", "Warnings", _warnings_block(items) if items else paragraph("No warnings.")))
    return Page("measurement.html", "Measurement", _frame(ctx, "Measurement", join(parts), "measurement.html"), t.items)


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


def _scale_table_section(ctx: Context, t: _Tables) -> Safe:
    rel = ctx.csv("reliability")
    ver = ctx.csv("measurement_verdicts")
    if rel is None and ver is None:
        return section("scales", "Scales: reliability, validity and verdicts", not_computed("Scale table", _missing_text(ctx, "reliability")))
    rows = []
    base = rel if rel is not None else ver
    scol = _col(base, "scale", "construct")
    vmap: dict[str, dict] = {}
    if ver is not None and _col(ver, "scale", "construct"):
        vs = _col(ver, "scale", "construct")
        vmap = {str(r[vs]): r for r in ver.to_dict(orient="records")}
    suggestions = []
    for rec in base.to_dict(orient="records"):
        sid = str(rec[scol]) if scol else ""
        v = vmap.get(sid, {})
        merged = {**rec, **{k: val for k, val in v.items() if k not in rec}}
        lo, hi = _val(merged, "alpha_ci_lower", "alpha_lower", "alpha_ci_lo"), _val(merged, "alpha_ci_upper", "alpha_upper", "alpha_ci_hi")
        reasons = _val(v, "reasons", "reason") if v else None
        sug = _val(v, "suggestions", "suggestion") if v else None
        if sug:
            suggestions.append(f"{sid}: {sug}")
        rows.append(
            [
                sid,
                ctx.label(sid),
                fmt_int(_val(merged, "n_items", "k", "items")),
                fmt_bounded(_val(merged, "alpha")),
                fmt_ci(lo, hi, bounded=True),
                fmt_bounded(_val(merged, "omega", "omega_total")),
                fmt_bounded(_val(merged, "cr", "composite_reliability")),
                fmt_bounded(_val(merged, "ave")),
                verdict_badge(_val(v, "verdict") if v else None),
                fmt_text(reasons) if reasons else "",
            ]
        )
    note = _synthetic_note(ctx) + (
        "α = Cronbach's alpha with 95% CI (Feldt); ω = McDonald's omega total (one-factor model); CR = composite reliability "
        "(semTools compRelSEM); AVE = average variance extracted. Thresholds: α, ω, CR ≥ .70; AVE ≥ .50; HTMT < .85 "
        "(warn to .90); standardized loadings ≥ .50. The pipeline never drops an item; it suggests, and the scales/ files decide."
    )
    table = Table("Reliability, convergent validity and verdict per scale", ["Scale", "Label", "k", "α", "95% CI", "ω", "CR", "AVE", "Verdict", "Reasons"], rows, note=note, text_columns={0, 1, 8, 9})
    extra = bullet_list(suggestions) if suggestions else Safe("")
    return section("scales", "Scales: reliability, validity and verdicts", t.add(table, "scales"), tag("h3", "Suggestions") if suggestions else Safe(""), extra)


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
    return section("item-responses", "Item responses", *figs)


def _loadings_section(ctx: Context, t: _Tables) -> Safe:
    frame = ctx.csv("loadings")
    if frame is None:
        return section("loadings", "Standardized loadings", not_computed("Loadings", _missing_text(ctx, "loadings")))
    lv = _col(frame, "construct", "factor", "lhs", "scale")
    item = _col(frame, "item", "rhs", "indicator")
    std = _col(frame, "std_all", "std", "loading", "std_loading")
    se = _col(frame, "se", "std_se")
    p = _col(frame, "pvalue", "p")
    if not (lv and item and std):
        return section("loadings", "Standardized loadings", _Tables_add_generic(t, frame, "Standardized loadings", "loadings"))
    rows = []
    for rec in frame.to_dict(orient="records"):
        value = rec[std]
        rows.append([str(rec[lv]), str(rec[item]), fmt_num(value) + stars(rec.get(p) if p else None), fmt_num(rec[se]) if se else DASH, fmt_p(rec[p]) if p else DASH])
    note = _synthetic_note(ctx) + "Completely standardized loadings (lavaan std.all) with standard errors. " + SIG_NOTE + " Loadings below .50 are flagged in the scale verdicts."
    return section("loadings", "Standardized loadings", t.add(Table("Standardized factor loadings of the measurement model", ["Construct", "Item", "λ", "SE", "p"], rows, note=note, text_columns={0, 1}), "loadings"))


def _Tables_add_generic(t: _Tables, frame: pd.DataFrame, title: str, name: str) -> Safe:
    return t.add(frame_table(frame, title), name)


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
        return section("htmt", title, t.add(table, "htmt"), figure(heatmap(m, "HTMT heatmap"), "Figure. HTMT ratios between constructs.", "figure-htmt"))
    a, b = _col(frame, "construct_a", "scale_a", "a", "lhs", "row"), _col(frame, "construct_b", "scale_b", "b", "rhs", "col")
    rows = []
    if a and b:
        for rec in frame.to_dict(orient="records"):
            h = _val(rec, "htmt")
            lo, hi = _val(rec, "htmt_ci_lower", "ci_lower", "htmt_lower", "lower"), _val(rec, "htmt_ci_upper", "ci_upper", "htmt_upper", "upper")
            h2 = _val(rec, "htmt2")
            lo2, hi2 = _val(rec, "htmt2_ci_lower", "htmt2_lower"), _val(rec, "htmt2_ci_upper", "htmt2_upper")
            rows.append([str(rec[a]), str(rec[b]), fmt_num(h), fmt_ci(lo, hi), fmt_num(h2), fmt_ci(lo2, hi2), verdict_badge(_val(rec, "verdict")) if _val(rec, "verdict") else ""])
        table = Table(title, ["Construct", "Construct", "HTMT", "95% CI", "HTMT2", "95% CI", "Verdict"], rows, note=_synthetic_note(ctx) + note, text_columns={0, 1, 6})
        return section("htmt", title, t.add(table, "htmt"))
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
    parts = [section("verdicts", "Verdicts", verdict_dashboard(ctx))]
    coef = ctx.csv("coefficients")
    verdicts = {v["id"]: v for v in proposition_verdicts(ctx)}
    props = ["P1", "P2", "P3"]
    if coef is not None and _col(coef, "proposition"):
        props += [p for p in dict.fromkeys(coef[_col(coef, "proposition")].astype(str)) if p not in props and p != "P4"]
    for pid in props:
        parts.append(_proposition_section(ctx, t, pid, coef, verdicts.get(pid)))
    parts.append(section("p4-link", "P4", paragraph("Proposition 4 is tested with a structural equation model: see ", link("p4.html", "the P4 page"), ".")))
    return Page("propositions.html", "Propositions", _frame(ctx, "Propositions", join(parts), "propositions.html"), t.items)


def _proposition_section(ctx: Context, t: _Tables, pid: str, coef: pd.DataFrame | None, verdict: dict | None) -> Safe:
    sid = slug(pid)
    title = f"{pid}: {PROPOSITION_TEXT.get(pid, '')}".rstrip(": ")
    head = [paragraph("Verdict: ", verdict_badge(verdict["verdict"] if verdict else None))]
    if verdict and verdict["subs"]:
        head.append(bullet_list([join([h, ": ", verdict_badge(v)]) for h, v in verdict["subs"]]))
    if coef is None:
        return section(sid, title, *head, not_computed("Coefficients", _missing_text(ctx, "coefficients")))
    pc = _col(coef, "proposition")
    sub = coef[coef[pc].astype(str) == pid] if pc else coef.iloc[0:0]
    if sub.empty:
        return section(sid, title, *head, not_computed(f"Coefficients of {pid}", "no rows for it in coefficients.csv"))
    term = _col(sub, "term", "predictor", "variable")
    model = _col(sub, "model", "family", "outcome")
    est = _col(sub, "std_estimate", "estimate", "coef", "b", "est")
    se = _col(sub, "se", "std_se")
    lo, hi = _col(sub, "ci_lower", "ci_low", "lower", "conf_low"), _col(sub, "ci_upper", "ci_high", "upper", "conf_high")
    p = _col(sub, "p_one_sided", "p_onesided", "pvalue", "p")
    padj = _col(sub, "p_holm", "p_adj", "p_adjusted")
    hyp = _col(sub, "hypothesis", "sub_hypothesis")
    if not (term and est):
        return section(sid, title, *head, t.add(frame_table(sub, f"Coefficients of {pid}"), f"{sid}-coefficients"))
    rows, forest = [], []
    for rec in sub.to_dict(orient="records"):
        pv = rec.get(padj) if padj else rec.get(p) if p else None
        rows.append(
            [
                fmt_text(rec.get(model)) if model else "",
                fmt_text(rec.get(hyp)) if hyp else "",
                str(rec[term]),
                fmt_num(rec[est]) + stars(pv),
                fmt_num(rec.get(se)) if se else DASH,
                fmt_ci(rec.get(lo), rec.get(hi)) if lo and hi else DASH,
                fmt_p(rec.get(p)) if p else DASH,
                fmt_p(rec.get(padj)) if padj else DASH,
            ]
        )
        forest.append({"label": str(rec[term]), "est": _float(rec[est]), "lo": _float(rec.get(lo)) if lo else None, "hi": _float(rec.get(hi)) if hi else None, "mark": stars(pv), "group": rec.get(model) if model else None})
    note = _synthetic_note(ctx) + (
        f"Estimates from results/propositions/coefficients.csv (column {est}); robust (sandwich) standard errors; "
        "p is one-sided in the predicted direction for directional hypotheses; p (Holm) adjusted within the proposition. "
        "Significance marks use the Holm-adjusted p where available. " + SIG_NOTE
    )
    table = Table(f"Coefficients for {pid}", ["Model", "Hypothesis", "Term", "b", "SE", "95% CI", "p", "p (Holm)"], rows, note=note, text_columns={0, 1, 2})
    fig = figure(forest_plot(forest, title=f"{pid} coefficients"), f"Figure. {pid}: estimates with 95% confidence intervals (dashed line: no effect).", f"forest-{sid}")
    return section(sid, title, *head, t.add(table, f"{sid}-coefficients"), fig)


def _float(x) -> float | None:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def p4_page(ctx: Context) -> Page:
    t = _Tables("p4")
    parts = [section("p4-verdict", "Verdict", paragraph(PROPOSITION_TEXT["P4"]), paragraph("Verdict: ", verdict_badge(next((v["verdict"] for v in proposition_verdicts(ctx) if v["id"] == "P4"), None))))]
    models = ctx.json("p4_models")
    fits: dict[str, dict] = {}
    if isinstance(models, dict):
        mlist = models.get("models", models)
        if isinstance(mlist, dict):
            for name, m in mlist.items():
                if isinstance(m, dict):
                    fits[str(name)] = m.get("fit", m) if isinstance(m.get("fit", m), dict) else {}
        elif isinstance(mlist, list):
            for m in mlist:
                if isinstance(m, dict):
                    name = str(m.get("model", m.get("name", len(fits) + 1)))
                    fits[name] = m.get("fit", m)
        rows = []
        for name, fit in fits.items():
            rows.append([name] + [_fit_value(k, fit.get(k)) for k in ("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr", "aic", "bic")])
        parts.append(section("model-comparison", "Model comparison", t.add(Table("Fit of the P4 structural models", ["Model", "χ²", "df", "p", "CFI", "TLI", "RMSEA", "SRMR", "AIC", "BIC"], rows, note=_synthetic_note(ctx) + "Lower AIC/BIC is better; criteria CFI/TLI ≥ .95, RMSEA ≤ .06, SRMR ≤ .08.", text_columns={0}), "model-comparison"), _warnings_block(models.get("warnings"))))
    else:
        parts.append(section("model-comparison", "Model comparison", not_computed("P4 model fit", _missing_text(ctx, "p4_models"))))
    paths = ctx.csv("p4_paths")
    if paths is None or not {"lhs", "op", "rhs"} <= set(paths.columns):
        parts.append(section("path-diagram", "Path diagram", not_computed("P4 path diagram", _missing_text(ctx, "p4_paths"))))
    else:
        mcol = _col(paths, "model")
        groups = [(str(m), g) for m, g in paths.groupby(mcol, sort=False)] if mcol else [("", paths)]
        figs = []
        for name, g in groups:
            labels = {c: c for c in g["lhs"].tolist() + g["rhs"].tolist()}
            svg = path_diagram(g, title=f"P4 path diagram {name}".strip(), labels=labels)
            cap = f"Figure. P4 model {name}: standardized estimates (std.all) on the arrows; {SIG_NOTE} Item indicators of the first-order factors omitted. {fit_caption(fits.get(name) or (next(iter(fits.values())) if len(fits) == 1 else None))}"
            figs.append(figure(svg, cap, f"path-diagram-{slug(name) or 'model'}"))
        std = _col(paths, "std_all")
        pv = _col(paths, "pvalue", "p")
        struct = paths[paths["op"].isin(["~", ":="])]
        rows = [[fmt_text(r.get(mcol)) if mcol else "", f"{r['lhs']} {r['op']} {r['rhs']}" if r["op"] != ":=" else str(r["lhs"]), fmt_num(r.get("est")), fmt_num(r.get(std)) + stars(r.get(pv)) if std else DASH, fmt_num(r.get("se")), fmt_p(r.get(pv)) if pv else DASH] for r in struct.to_dict(orient="records")]
        table = t.add(Table("Structural paths of the P4 models", ["Model", "Path", "b", "β", "SE", "p"], rows, note=_synthetic_note(ctx) + "β = completely standardized estimate. " + SIG_NOTE, text_columns={0, 1}), "paths")
        parts.append(section("path-diagram", "Path diagram", *figs, table))
    boot = ctx.csv("p4_bootstrap")
    if boot is None:
        parts.append(section("indirect-effects", "Indirect and total effects (bootstrap)", not_computed("Bootstrap CIs", _missing_text(ctx, "p4_bootstrap"))))
    else:
        parts.append(section("indirect-effects", "Indirect and total effects (bootstrap)", t.add(frame_table(boot, "Bootstrap percentile confidence intervals of indirect and total effects", note=_synthetic_note(ctx) + "Percentile CIs; failed or non-converged resamples are counted, not dropped silently."), "bootstrap")))
    return Page("p4.html", "P4 model", _frame(ctx, "P4: capabilities and international growth", join(parts), "p4.html"), t.items)


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


def _frame(ctx: Context, title: str, body, current: str) -> str:
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
        for name, table in all_tables:
            path = tables_dir / f"{name}.csv"
            write_csv(path, table.to_csv_frame())
            written.append(path)
        log.info("wrote %d tables to %s", len(all_tables), tables_dir)
    return written
