"""The measurement page (measurement.html): per scale its reliability, validity and verdict;
item statistics; the exploratory factor analysis of the item pool; fit and loadings of the CFA;
discriminant validity, common-method variance and invariance (:mod:`.measurement_validity`);
the ordinal check, WLSMV beside ML (:mod:`.measurement_ordinal`);
the stage's warnings; and the distribution of the answers to every item."""

from __future__ import annotations

from surveysem.report.figures import figure, likert_bars, line_plot
from surveysem.report.html import Safe, bullet_list, join, link, not_computed, paragraph, slug, tag, verdict_badge
from surveysem.report.pages.context import Context
from surveysem.report.pages.measurement_cascade import cascade_block, cascade_used, model_note, model_of_scale
from surveysem.report.pages.measurement_ordinal import ORDINAL_SECTIONS
from surveysem.report.pages.measurement_refinement import REFINEMENT_SECTIONS
from surveysem.report.pages.measurement_validity import VALIDITY_SECTIONS
from surveysem.report.pages.sections import (
    Content, FIT_CRITERIA, FIT_NAMES, Page, PageTables, Sections, build_page, fit_value, in_construct_order, in_item_order, is_true,
    missing, p_phrase, synthetic_note, warnings_block
)
from surveysem.report.tables import (
    DASH, SIG_NOTE, Table, fmt_bounded, fmt_ci, fmt_int, fmt_num, fmt_p, fmt_percent, fmt_r2, fmt_standardized, fmt_text_blank,
    frame_table, stars
)

SCALE_NOTE = (
    "k = items; n = respondents with at least one answer; α = Cronbach's alpha with 95% CI (Feldt); ω = McDonald's "
    "omega total of a one-factor CFA on the raw metric with the observed variance (semTools compRelSEM); ω_t = omega "
    "total of the one-factor minres solution of the correlations (psych::omega omega.tot); CR = composite reliability (semTools compRelSEM) and AVE = average variance "
    "extracted, from the CFA; FL = Fornell–Larcker criterion met; max HTMT = largest HTMT with another construct; "
    "min λ = smallest standardized loading. Thresholds: α, ω, CR ≥ .70; AVE ≥ .50; HTMT < .85 (warn to .90); "
    "λ ≥ .50. The pipeline never drops an item: it suggests (Refinement assistant below), and the researcher drops one "
    "in the scales: section of config/config.yaml."
)
SCALE_COLUMNS = ["Scale", "Label", "k", "n", "α", "95% CI", "ω", "ω_t", "CR", "AVE", "FL", "max HTMT", "min λ", "Verdict", "Reasons"]
ITEM_STATS_COLUMNS = {"construct": "Scale", "item": "Item", "n": "n", "share_missing": "% missing", "mean": "M", "sd": "SD",
                      "skew": "Skew", "kurtosis": "Kurtosis", "r_drop": "r (item–rest)", "alpha_if_deleted": "α if deleted",
                      "loading_one_factor": "λ (one factor)"}


# The page's sections in order: these, the validity ones (measurement_validity), the closing ones.
RELIABILITY_SECTIONS, CLOSING_SECTIONS = Sections(), Sections()


def measurement_page(ctx: Context) -> Page:
    return build_page(ctx, "measurement.html", "Measurement", RELIABILITY_SECTIONS + REFINEMENT_SECTIONS + VALIDITY_SECTIONS +
                      ORDINAL_SECTIONS + CLOSING_SECTIONS)


# ------------------------------------------------------------------ scales


def _by_construct(records: list[dict] | None) -> dict[str, dict]:
    return {str(r["construct"]): r for r in records or []}


def _first(name: str, *records: dict):
    """The value of ``name`` in the first record that has one."""
    return next((r[name] for r in records if r.get(name) is not None), None)


def _scale_row(ctx: Context, cid: str, r: dict, v: dict, d: dict) -> list:
    """One scale: reliability (r), validity (v) and verdict (d) columns side by side."""
    fl = _first("fornell_larcker_pass", v)
    if fl is None:
        fl = _first("fornell_larcker", d)
    return [
        cid, ctx.label(cid), fmt_int(_first("k", r, v)), fmt_int(r.get("n")), fmt_bounded(r.get("alpha")),
        fmt_ci(r.get("alpha_ci_lower"), r.get("alpha_ci_upper"), bounded=True), fmt_bounded(r.get("omega")),
        fmt_bounded(r.get("omega_t")),
        fmt_r2(_first("cr", v, d)), fmt_r2(_first("ave", v, d)),
        DASH if fl is None else ("yes" if is_true(fl) else "no"),
        fmt_num(d.get("max_htmt")), fmt_standardized(d.get("min_loading")), verdict_badge(d.get("verdict") if d else None),
        fmt_text_blank(d.get("reasons")),
    ]


def _fl_notes(ids: list[str], val: dict[str, dict]) -> str:
    """Why a scale's FL is partial or absent (validity.csv fornell_larcker_note), for the table note."""
    notes = [f"{cid}: {val[cid]['fornell_larcker_note']}" for cid in ids if (val.get(cid) or {}).get("fornell_larcker_note")]
    return (" FL " + "; ".join(notes) + ".") if notes else ""


@RELIABILITY_SECTIONS.add("scales", "Scales: reliability, validity and verdicts")
def _scale_table_section(ctx: Context, t: PageTables) -> Content:
    rel = _by_construct(ctx.records("reliability", "construct", "k", "n", "alpha", "alpha_ci_lower", "alpha_ci_upper", "omega",
                                     "omega_t"))
    val = _by_construct(ctx.records("validity", "construct", "k", "cr", "ave", "fornell_larcker_pass", "fornell_larcker_note"))
    ver = _by_construct(ctx.records("measurement_verdicts", "construct", "verdict", "cr", "ave", "max_htmt", "min_loading",
                                    "fornell_larcker", "reasons", "suggestions"))
    if not (rel or val or ver):
        return missing(ctx, "Scale table", "reliability")
    ids = in_construct_order(ctx, list(dict.fromkeys(list(rel) + list(val) + list(ver))))
    rows = [_scale_row(ctx, cid, rel.get(cid, {}), val.get(cid, {}), ver.get(cid, {})) for cid in ids]
    suggestions = [f"{cid}: {ver[cid]['suggestions']}" for cid in ids if cid in ver and ver[cid]["suggestions"]]
    table = Table("Reliability, convergent and discriminant validity, and verdict per scale", SCALE_COLUMNS, rows,
                  note=synthetic_note(ctx) + SCALE_NOTE + (" " + model_note(ctx) if cascade_used(ctx) else "")
                  + _fl_notes(ids, val),
                  text_columns={0, 1, 10, 13, 14})
    extra = join([tag("h3", "Suggestions"), bullet_list(suggestions)]) if suggestions else Safe("")
    return [t.add(table, "scales"), extra]


# Why reversed items' means differ from their siblings': what the numbers are, then what the
# simulator does (its method factor has mean 0, so it is not the reason).
REVERSED_NOTE = ("(R) = reverse-keyed item, its statistics of the reversed answers ({low} + {high} − answer), so its mean is its "
                 "mean as answered reflected about the scale midpoint (as answered: {raw}). Answers leaning towards agreement with "
                 "every statement, worded either way (acquiescence), put reversed items' means below their siblings'. ")
SIMULATED_REVERSED_NOTE = ("The simulator cuts every item's latent response, reverse-keyed ones too, at the same thresholds "
                           "(simulate.measurement.thresholds, skewed towards agreement), so reversed items lean towards "
                           "disagreement; its acquiescence factor (method_loading) has mean 0: it changes covariances, "
                           "not means. ")


def _reverse_keyed(ctx: Context) -> set[str]:
    """Ids of the reverse-keyed items of the analysed scales (parcels are not items: never)."""
    return set() if ctx.instrument is None else {it.id for it in ctx.instrument.items if getattr(it, "reverse", False)}


def _reversed_note(ctx: Context, items: list[str]) -> str:
    """The (R) sentence of the item statistics, with each reversed item's mean as answered."""
    answers = _retained_answers(ctx)
    raw = ", ".join(f"{i} M = {fmt_num(answers[i].mean())}" for i in items if answers is not None and i in answers.columns)
    con = next((c for c in ctx.instrument.constructs.values() if any(it.id in items for it in c.items)), None)
    low, high = (fmt_int(con.response_scale.min), fmt_int(con.response_scale.max)) if con is not None else ("min", "max")
    note = REVERSED_NOTE.format(low=low, high=high, raw=raw or DASH)
    return note + (SIMULATED_REVERSED_NOTE if ctx.synthetic else "")


@RELIABILITY_SECTIONS.add("item-statistics", "Item statistics")
def _item_stats_section(ctx: Context, t: PageTables) -> Content:
    title = "Item statistics"
    frame = ctx.columns("item_stats", *ITEM_STATS_COLUMNS)
    if frame is None:
        return missing(ctx, title, "item_stats")
    reverse = [i for i in frame["item"].astype(str) if i in _reverse_keyed(ctx)]
    frame = frame.assign(item=[f"{i} (R)" if i in reverse else i for i in frame["item"].astype(str)])
    formats = {"share_missing": fmt_percent, "loading_one_factor": fmt_standardized}
    note = synthetic_note(ctx) + ("Items as analysed: reverse-keyed items reversed once, at ingest. "
                                  + (_reversed_note(ctx, reverse) if reverse else "")
                                  + "Skew and kurtosis as psych::describe "
                                  "(type 3); r (item–rest) = corrected item–total correlation; α if deleted = Cronbach's alpha "
                                  "of the scale without the item; λ = standardized loading in a one-factor model of the scale.")
    table = frame_table(frame, "Item statistics", columns=ITEM_STATS_COLUMNS, formatters=formats, note=note,
                        text_columns=["construct", "item"])
    return t.add(table, "item-statistics")


# ------------------------------------------------------------------ EFA


def _efa_rows(ctx: Context) -> list[list[str]]:
    """Sampling adequacy, Bartlett's test, parallel analysis and the factors extracted."""
    kmo, bartlett = ctx.field("efa", "kmo", {}), ctx.field("efa", "bartlett", {})
    parallel, fa = ctx.field("efa", "parallel", {}), ctx.field("efa", "efa", {})
    rows = []
    if kmo.get("overall") is not None:
        rows.append(["Kaiser–Meyer–Olkin (overall MSA)", fmt_bounded(kmo["overall"])])
    if kmo.get("items"):
        msa = kmo["items"]
        low = sorted(i for i, v in msa.items() if v is not None and v < 0.6)
        rows.append(["Item MSA, range", f"{fmt_bounded(min(msa.values()))} to {fmt_bounded(max(msa.values()))}"])
        rows.append(["Items with MSA < .60", ", ".join(low) if low else "none"])
    if bartlett:
        rows.append(["Bartlett's test of sphericity",
                     f"χ²({fmt_int(bartlett.get('df'))}) = {fmt_num(bartlett.get('chisq'))}, {p_phrase(bartlett.get('p_value'))}"])
    if parallel:
        rows.append(["Factors suggested by parallel analysis",
                     f"{fmt_int(parallel.get('n_factors'))} (factors), {fmt_int(parallel.get('n_components'))} (components)"])
    if fa:
        rows.append(["Factors extracted", f"{fmt_int(fa.get('n_factors'))} ({fa.get('method', '')}, {fa.get('rotation', '')} rotation)"])
    if ctx.field("efa", "n") is not None:
        rows.append(["N", fmt_int(ctx.field("efa", "n"))])
    return rows


def _efa_summary(ctx: Context, t: PageTables) -> Safe:
    parallel = ctx.field("efa", "parallel", {})
    note = ""
    if parallel:
        note = synthetic_note(ctx) + (
            f"Item pool: {ctx.field('efa', 'item_pool', 'items')}. Parallel analysis: {fmt_int(parallel.get('n_iter'))} simulated "
            f"data sets, {fmt_bounded(parallel.get('quantile'))} quantile (seed {parallel.get('seed', DASH)}).")
    table = Table("Sampling adequacy and number of factors", ["Quantity", "Value"], _efa_rows(ctx), note=note, text_columns={0, 1})
    return t.add(table, "efa-summary")


def _scree_figure(ctx: Context) -> Safe:
    parallel = ctx.field("efa", "parallel", {})
    if not parallel.get("pc_values"):
        return Safe("")
    series = [("eigenvalues (PC)", parallel["pc_values"]), ("simulated (PC)", parallel.get("pc_sim_quantile") or [])]
    if parallel.get("fa_values"):
        series += [("eigenvalues (FA)", parallel["fa_values"]), ("simulated (FA)", parallel.get("fa_sim_quantile") or [])]
    svg = line_plot(series, "Scree plot and parallel analysis", "Factor / component", "Eigenvalue", hline=1.0)
    return figure(svg, "Figure. Scree plot: observed eigenvalues against those of random data (parallel analysis); factors "
                       "above the simulated line are retained. Dotted line: eigenvalue 1.", "figure-scree")


def _pattern_row(item: str, loadings: dict, factors: list[str], communality) -> list:
    """Loadings of one item: below .30 left blank, the largest in bold."""
    best = max(factors, key=lambda f: abs(loadings.get(f) or 0))
    cells = []
    for f in factors:
        v = loadings.get(f)
        if v is None or abs(v) < 0.30:
            cells.append("")
        else:
            cells.append(tag("strong", fmt_num(v)) if f == best else fmt_num(v))
    return [item] + cells + [fmt_r2(communality)]


def _pattern_matrix(ctx: Context, t: PageTables) -> Safe:
    fa = ctx.field("efa", "efa", {})
    loadings = fa.get("loadings")
    if not (isinstance(loadings, dict) and loadings):
        return Safe("")
    factors = sorted({f for v in loadings.values() for f in v}, key=lambda f: (len(f), f))
    communalities = fa.get("communalities") or {}
    rows = [_pattern_row(item, loadings[item], factors, communalities.get(item)) for item in in_item_order(ctx, list(loadings))]
    note = synthetic_note(ctx) + "Loadings below .30 in absolute value are not shown; the largest loading of each item is in bold. h² = communality."
    table = Table(f"Pattern matrix ({fa.get('method', '')}, {fa.get('rotation', '')})", ["Item"] + factors + ["h²"], rows, note=note)
    return t.add(table, "efa-loadings")


@RELIABILITY_SECTIONS.add("efa", "Item pool: exploratory factor analysis")
def _efa_section(ctx: Context, t: PageTables) -> Content:
    if ctx.json("efa") is None:
        kmo = ctx.columns("kmo", "item", "msa")
        if kmo is None:
            return missing(ctx, "EFA", "efa")
        return t.add(frame_table(kmo, "Kaiser–Meyer–Olkin measure of sampling adequacy"), "kmo")
    parts = [_efa_summary(ctx, t), _scree_figure(ctx), _pattern_matrix(ctx, t), warnings_block(ctx.field("efa", "warnings"))]
    return parts


# ------------------------------------------------------------------ CFA


def _cfa_how(ctx: Context) -> list[str]:
    """How the CFA was estimated, in words."""
    how = []
    if ctx.field("cfa_fit", "estimator"):
        how.append(f"estimator {ctx.field('cfa_fit', 'estimator')}")
    missing_data = ctx.field("cfa_fit", "missing_note") or ctx.field("cfa_fit", "missing")
    if missing_data:
        how.append(f"missing data: {missing_data}")
    if ctx.field("cfa_fit", "n_constructs") is not None:
        how.append(f"{fmt_int(ctx.field('cfa_fit', 'n_constructs'))} correlated factors")
    converged = ctx.field("cfa_fit", "converged")
    how.append("converged" if converged else "COULD NOT BE FITTED" if converged is None else "DID NOT CONVERGE")
    return how


@RELIABILITY_SECTIONS.add("cfa-fit", "Confirmatory factor analysis: fit")
def _cfa_fit_section(ctx: Context, t: PageTables) -> Content:
    if ctx.json("cfa_fit") is None:
        return missing(ctx, "CFA fit", "cfa_fit")
    fit = ctx.field("cfa_fit", "fit", {})
    rows = [[name, fit_value(key, fit[key]), FIT_CRITERIA.get(key, "")] for key, name in FIT_NAMES if key in fit]
    small = ctx.field("cfa_fit", "small_sample_chisq") or {}
    rows += _small_sample_rows(small)
    note = (synthetic_note(ctx) + "Model: joint CFA of all scales; " + "; ".join(_cfa_how(ctx)) + ". "
            + "Criteria from Hu & Bentler (1999); χ² is sensitive to sample size." + (SMALL_SAMPLE_NOTE if small else ""))
    syntax = ctx.field("cfa_fit", "syntax")
    syntax_block = tag("details", tag("summary", "Model syntax (lavaan)"), tag("pre", syntax)) if syntax else Safe("")
    table = Table("Fit of the measurement model (joint CFA)", ["Index", "Value", "Criterion"], rows, note=note)
    return [t.add(table, "cfa-fit"), cascade_block(ctx, t), syntax_block, warnings_block(ctx.field("cfa_fit", "warnings"))]


SMALL_SAMPLE_NOTE = (
    " With many items per case the ML χ² is too large (Swain 1975; Yuan, Tian & Yanagihara 2015): the corrected "
    "statistics (semTools chisqSmallN) follow, and CFI, TLI and RMSEA recomputed from the Swain-corrected χ² of the "
    "model and of the baseline model (Herzog & Boomsma 2009). The scale verdicts do not use these indices; the "
    "verdict rule's fit gate reads the uncorrected ones above, the indices every reader can check against lavaan.")


def _small_sample_rows(small: dict) -> list[list[str]]:
    """Rows of the small-sample corrections: each corrected χ² with its p, then the Swain indices."""
    names = {"swain": "Swain", "yuan_2015": "Yuan–Tian–Yanagihara", "yuan_2005": "Yuan (2005)", "bartlett": "Bartlett"}
    rows = [[f"χ² ({label}-corrected; p)", f"{fit_value('chisq', small[m]['chisq'])}; {fit_value('pvalue', small[m]['pvalue'])}",
             ""] for m, label in names.items() if m in small]
    idx = small.get("swain_indices") or {}
    rows += [[f"{name} (Swain-corrected)", fit_value(key, idx[key]), FIT_CRITERIA.get(key, "")]
             for key, name in (("cfi", "CFI"), ("tli", "TLI"), ("rmsea", "RMSEA")) if key in idx]
    return rows


@RELIABILITY_SECTIONS.add("loadings", "Standardized loadings")
def _loadings_section(ctx: Context, t: PageTables) -> Content:
    records = ctx.records("loadings", "construct", "item", "est", "std_all", "std_se", "std_pvalue")
    if records is None:
        return missing(ctx, "Loadings", "loadings")
    rows = [[str(r["construct"]), str(r["item"]), fmt_num(r["est"]), fmt_standardized(r["std_all"]) + stars(r["std_pvalue"]),
             fmt_num(r["std_se"]), fmt_p(r["std_pvalue"])] for r in records]
    columns = ["Construct", "Item", "b", "λ", "SE(λ)", "p"]
    if cascade_used(ctx):  # the scales' loadings come from different models: each row names its own
        models = model_of_scale(ctx)
        rows = [row + [models.get(row[0], "")] for row in rows]
        columns.append("Model")
    note = synthetic_note(ctx) + model_note(ctx) + (
        "b = unstandardized loading (the first item of each factor fixed to 1); λ = completely standardized "
        "loading (lavaan std.all) with its standard error and p. " + SIG_NOTE
        + " Loadings below .50 are flagged in the scale verdicts.")
    table = Table("Factor loadings of the measurement model", columns, rows, note=note,
                  text_columns={0, 1, 6})
    return t.add(table, "loadings")


# ------------------------------------------------------------------ warnings and item responses


# The step of each warning in warnings.json -> the section of this page that lists that step's
# warnings (from its own file), so the closing section counts them instead of printing them twice.
WARNINGS_SHOWN_IN = {"reliability/EFA": ("efa", "Item pool: exploratory factor analysis"),
                     "CFA": ("cfa-fit", "Confirmatory factor analysis: fit"),
                     "CMV": ("cmv", "Common-method variance"),
                     "HTMT": ("htmt", "Heterotrait–monotrait ratio (HTMT)"),
                     "invariance": ("invariance", "Measurement invariance")}


def _warnings_by_step(warnings: list) -> dict[str, list]:
    """The warnings of warnings.json grouped by step, in their order; each message once per step."""
    steps: dict[str, list] = {}
    for w in warnings:
        step = str(w.get("step", "")) if isinstance(w, dict) else ""
        if w not in steps.setdefault(step, []):
            steps[step].append(w)
    return steps


@CLOSING_SECTIONS.add("measurement-warnings", "Warnings")
def _measurement_warnings_section(ctx: Context, t: PageTables) -> Content:
    if ctx.json("measurement_warnings") is None:
        return missing(ctx, "Warnings", "measurement_warnings")
    steps = _warnings_by_step(ctx.field("measurement_warnings", "warnings", []) or [])
    if not steps:
        return paragraph("No warnings.")
    counted = [join([f"{step}: {len(ws)} warning{'s' if len(ws) != 1 else ''}, listed under ",
                     link(f"#{WARNINGS_SHOWN_IN[step][0]}", WARNINGS_SHOWN_IN[step][1])])
               for step, ws in steps.items() if step in WARNINGS_SHOWN_IN]
    elsewhere = [w for step, ws in steps.items() if step not in WARNINGS_SHOWN_IN for w in ws]
    return [paragraph("Warnings of the stage, by step (each listed once, in its section):"), bullet_list(counted) if counted else Safe(""),
            warnings_block(elsewhere)]


def _retained_answers(ctx: Context):
    """The answers in validated.csv (as given, before reverse-keying) of the respondents kept after screening."""
    answers = ctx.varying_columns("validated")
    kept = ctx.column("analysis", "respondent_id")
    if answers is None or kept is None:
        return answers
    retained = ctx.column("validated", "respondent_id").astype(str).isin(set(kept.astype(str)))
    return answers[retained.to_numpy()]


def _likert_figure(cid: str, construct, answers) -> Safe:
    items = [(it.id, it.wording, answers[it.id]) for it in construct.items if it.id in answers.columns]
    if not items:
        return Safe("")
    rs = construct.response_scale
    reverse = {it.id for it in construct.items if it.reverse}
    svg = likert_bars(items, int(rs.min), int(rs.max), rs.anchors, title=f"Responses to the {construct.label} items",
                      reverse_keyed=reverse)
    return figure(svg, f"Figure. {cid} – {construct.label}: distribution of answers (as answered, before reverse-keying; "
                       "(R) = reverse-keyed item). Bars are centred on the scale midpoint.", f"likert-{slug(cid)}")


@CLOSING_SECTIONS.add("item-responses", "Item responses")
def _likert_section(ctx: Context, t: PageTables) -> Content:
    what = "Item response distributions"
    answers = _retained_answers(ctx)
    if answers is None:
        return missing(ctx, what, "validated")
    if ctx.instrument is None:
        return not_computed(what, "the instrument (scales/) could not be loaded")
    figs = [_likert_figure(cid, con, answers) for cid, con in ctx.instrument.fielded_constructs.items()
            if con.kind != "attention"]
    figs = [f for f in figs if f]
    if not figs:
        return not_computed(what, "no item columns in validated.csv")
    return [paragraph("Distribution of the answers to every item, by construct."), tag("div", *figs, class_="figure-grid")]
