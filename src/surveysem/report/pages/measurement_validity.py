"""The discriminant-validity and method sections of the measurement page: the Fornell–Larcker
criterion, HTMT ratios, the correlations of the scale scores, common-method variance
diagnostics and measurement invariance across typology groups."""

from __future__ import annotations

import numpy as np
import pandas as pd

from surveysem.report.figures import figure, heatmap
from surveysem.report.html import NOT_COMPUTED, Safe, bullet_list, not_computed, paragraph
from surveysem.report.pages.context import Context
from surveysem.report.pages.sections import (
    Content, PageTables, Sections, as_float, in_construct_order, missing, p_phrase, synthetic_note, warnings_block
)
from surveysem.report.tables import (
    DASH, Table, fmt_bounded, fmt_ci, fmt_correlation, fmt_int, fmt_num, fmt_p, fmt_percent, fmt_r2, frame_table, INADMISSIBLE, outside_range
)

# The sections of the measurement page defined here, in page order.
VALIDITY_SECTIONS = Sections()

FL_NOTE = ("Diagonal: square root of AVE; below: latent correlations. Discriminant validity holds when each diagonal value "
           "exceeds the correlations in its row and column.")
HTMT_NOTE = ("HTMT (Henseler et al. 2015) and HTMT2 (Roemer et al. 2021) with 95% bootstrap CIs: standard intervals on the "
             "log scale, HTMT × exp(±1.96 SE*) with SE* the SD of the log resamples (Efron & Tibshirani 1993, sect. 13.6). "
             "They contain the estimate, which percentile and bias-corrected (BC) intervals do not for ratios near 0: "
             "mean absolute correlations are biased upwards, the resamples more than the estimate. Discriminant "
             "validity: HTMT < .85 (strict), < .90 (liberal).")
CMV_NOTE = ("Harman's single-factor test (Podsakoff et al. 2003): share of variance of the first unrotated component/factor of "
            "all items; common latent factor: CFA with and without an orthogonal method factor loading on all items; "
            "marker variable: Lindell & Whitney (2001) adjustment r_adj = (r − r_M)/(1 − r_M); full-collinearity VIF: "
            "Kock (2015), each scale score regressed on all others.")


# ------------------------------------------------------------------ Fornell-Larcker


@VALIDITY_SECTIONS.add("fornell-larcker", "Fornell–Larcker criterion")
def _fornell_larcker_section(ctx: Context, t: PageTables) -> Content:
    sid, title = "fornell-larcker", "Fornell–Larcker criterion"
    names = ctx.column("fornell_larcker", "construct")
    if names is None:
        return missing(ctx, title, "fornell_larcker")
    matrix = ctx.varying_columns("fornell_larcker")
    labels = [str(c) for c in matrix.columns]
    if [str(n) for n in names] != labels:  # not the square matrix the CFA step writes: shown as it is
        return t.add(frame_table(ctx.csv("fornell_larcker"), title, note=FL_NOTE), sid)
    values = matrix.apply(pd.to_numeric, errors="coerce")
    rows = [[r] + [_fl_cell(values.iloc[i, j]) if j <= i else "" for j in range(len(labels))] for i, r in enumerate(labels)]
    return t.add(Table(title, [""] + labels, rows, note=synthetic_note(ctx) + FL_NOTE + _fl_comparable_note(values, labels)), sid)


NOT_COMPARABLE = "n/c"  # a latent correlation across two models of the CFA cascade


def _fl_cell(value) -> str:
    return NOT_COMPARABLE if pd.isna(value) else fmt_correlation(value)


def _fl_comparable_note(values: pd.DataFrame, names: list[str]) -> str:
    """Which pairs are not comparable (empty cells: the scales' latent correlations come from different
    models of the CFA cascade); "" when one model gives them all."""
    pairs = [f"{names[i]}–{names[j]}" for i in range(len(names)) for j in range(i) if pd.isna(values.iloc[i, j])]
    if not pairs:
        return ""
    return (f" {NOT_COMPARABLE} = not comparable: the two scales come from different models of the CFA cascade (the joint "
            f"CFA could not be estimated), which estimate no correlation between them ({', '.join(pairs)}); the criterion "
            "of such a scale compares only the scales of its own model, and a scale alone in its model has none.")


# ------------------------------------------------------------------ HTMT


HTMT_COLUMNS = ("a", "b", "htmt", "htmt_lower", "htmt_upper", "htmt2", "htmt2_lower", "htmt2_upper")


def _htmt_settings(ctx: Context) -> str:
    """How the HTMT CIs were computed (htmt.json), for the note."""
    if ctx.json("htmt_json") is None:
        return ""
    extra = []
    if ctx.field("htmt_json", "ci"):
        extra.append(f"CIs: {ctx.field('htmt_json', 'ci')}")
    if ctx.field("htmt_json", "B") is not None:
        extra.append(f"B = {fmt_int(ctx.field('htmt_json', 'B'))}")
    if ctx.field("htmt_json", "seed") is not None:
        extra.append(f"seed {ctx.field('htmt_json', 'seed')}")
    if ctx.field("htmt_json", "n") is not None:
        extra.append(f"n = {fmt_int(ctx.field('htmt_json', 'n'))}")
    if ctx.field("htmt_json", "missing"):
        extra.append(f"missing data: {ctx.field('htmt_json', 'missing')}")
    return " " + "; ".join(extra) + "."


def _pairs_matrix(ctx: Context, pairs: list[tuple[str, str, object]]) -> pd.DataFrame:
    """Values of pairs of constructs (a, b, value) as a symmetric matrix in construct order with 1 on
    the diagonal, for a heatmap (a reshaping: nothing is computed)."""
    names = in_construct_order(ctx, list(dict.fromkeys([a for a, _, _ in pairs] + [b for _, b, _ in pairs])))
    m = pd.DataFrame(np.nan, index=names, columns=names)
    for a, b, value in pairs:
        if as_float(value) is not None:
            m.loc[a, b] = m.loc[b, a] = as_float(value)
    for name in names:
        m.loc[name, name] = 1.0
    return m


@VALIDITY_SECTIONS.add("htmt", "Heterotrait–monotrait ratio (HTMT)")
def _htmt_section(ctx: Context, t: PageTables) -> Content:
    title = "Heterotrait–monotrait ratio (HTMT)"
    records = ctx.records("htmt", *HTMT_COLUMNS)
    if records is None:
        return missing(ctx, "HTMT", "htmt")
    rows = [[str(r["a"]), str(r["b"]), fmt_num(r["htmt"]), fmt_ci(r["htmt_lower"], r["htmt_upper"]), fmt_num(r["htmt2"]),
             fmt_ci(r["htmt2_lower"], r["htmt2_upper"])] for r in records]
    table = Table(title, ["Construct", "Construct", "HTMT", "95% CI", "HTMT2", "95% CI"], rows,
                  note=synthetic_note(ctx) + HTMT_NOTE + _htmt_settings(ctx), text_columns={0, 1})
    matrix = _pairs_matrix(ctx, [(str(r["a"]), str(r["b"]), r["htmt"]) for r in records])
    fig = figure(heatmap(matrix, "HTMT heatmap", bounded=False),
                 "Figure. HTMT ratios between constructs (diagonal set to 1); values of .85 and above question discriminant validity.",
                 "figure-htmt")
    return [t.add(table, "htmt"), fig, warnings_block(ctx.field("htmt_json", "warnings"))]


# ------------------------------------------------------------------ correlations of scale scores


def _score_correlations(ctx: Context, marker: dict) -> pd.DataFrame:
    """The correlation matrix of the scale scores that cmv.json's marker analysis holds: every
    pair of substantive scales (``table``) and each with the marker (``marker_correlations``)."""
    pairs = [(str(r["a"]), str(r["b"]), r["r"]) for r in marker.get("table") or []]
    pairs += [(str(name), str(marker["marker"]), r) for name, r in (marker.get("marker_correlations") or {}).items()]
    return _pairs_matrix(ctx, pairs)


@VALIDITY_SECTIONS.add("score-correlations", "Correlations of scale scores")
def _score_correlations_section(ctx: Context, t: PageTables) -> Content:
    if ctx.json("cmv") is None:
        return missing(ctx, "Scale-score correlations", "cmv")
    marker = ctx.field("cmv", "marker")
    if not isinstance(marker, dict) or not marker.get("table"):
        why = f"{ctx.shown_path('cmv')} has them only from the marker-variable analysis, which was not run"
        return not_computed("Scale-score correlations", why)
    cap = (f"Figure. Pearson correlations of the scale scores ({fmt_int(marker.get('n'))} firms with all scores; from the "
           f"marker-variable analysis in {ctx.shown_path('cmv')}). ")
    return figure(heatmap(_score_correlations(ctx, marker), "Correlations of scale scores"),
                  cap + ("Synthetic data." if ctx.synthetic else ""), "figure-score-heatmap")


# ------------------------------------------------------------------ common-method variance


def _harman_rows(harman) -> list[list[str]]:
    if not isinstance(harman, dict):
        return [["Harman's single-factor test", NOT_COMPUTED, "< 50%"]]
    return [["Harman: first unrotated component (PCA)", fmt_percent(harman.get("first_component_share")), "< 50%"],
            [f"Harman: first factor ({harman.get('first_factor_method', '')})", fmt_percent(harman.get("first_factor_share")), "< 50%"]]


def _share_percent(x) -> str:
    """A share of variance as a percentage, marked when outside [0, 1] (an improper CLF solution)."""
    return fmt_percent(x) + (f" {INADMISSIBLE}" if outside_range(x, 0.0, 1.0) else "")


def _clf_rows(clf) -> list[list[str]]:
    """The common latent factor test; every value flagged when its model did not converge."""
    if not (isinstance(clf, dict) and clf.get("delta_chisq") is not None):
        return [["Common latent factor model", NOT_COMPUTED, ""]]
    flag = "" if clf.get("converged", True) else " (model not converged: unreliable)"
    rows = [
        ["Common latent factor: Δχ²", f"Δχ²({fmt_int(clf.get('delta_df'))}) = {fmt_num(clf.get('delta_chisq'))}, "
                                      f"{p_phrase(clf.get('delta_p'))}{flag}", ""],
        ["Common latent factor: ΔCFI", fmt_bounded(clf.get("delta_cfi"), 3) + flag, "< .01"],
        ["Common latent factor: share of item variance", _share_percent(clf.get("method_variance_share")) + flag, "< 25%"],
        ["Common latent factor model converged", "yes" if clf.get("converged") else "no", ""],
    ]
    if clf.get("method"):
        rows.append(["Common latent factor: estimation", str(clf["method"]), ""])
    return rows


def _marker_rows(marker) -> list[list[str]]:
    if not isinstance(marker, dict):
        return []
    return [[f"Marker variable ({marker.get('marker')}): r_M", fmt_bounded(marker.get("r_m")), ""],
            ["Correlations no longer significant after the adjustment",
             f"{fmt_int(marker.get('n_significance_lost'))} of {fmt_int(marker.get('n_pairs'))}", "few"]]


def _vif_rows(full_collinearity) -> tuple[list[list[str]], list[list[str]]]:
    """(the largest VIF for the diagnostics table, the table of all VIFs)."""
    if not (isinstance(full_collinearity, dict) and full_collinearity.get("table")):
        return [], []
    table = full_collinearity["table"]
    vifs = [r.get("vif") for r in table if r.get("vif") is not None]
    largest = [f"Full-collinearity VIF, largest ({full_collinearity.get('scores', '')})", fmt_num(max(vifs)) if vifs else DASH,
               f"≤ {fmt_num(full_collinearity.get('threshold', 3.3), 1)}"]
    rows = [[str(r.get("construct")), fmt_r2(r.get("r_squared")), fmt_num(r.get("vif")), "yes" if r.get("above_threshold") else "no"]
            for r in table]
    return [largest], rows


def _marker_changes_table(ctx: Context, t: PageTables, marker) -> Safe:
    """The correlations whose significance the marker adjustment changes."""
    if not (isinstance(marker, dict) and isinstance(marker.get("table"), list)):
        return Safe("")
    changed = [r for r in marker["table"] if bool(r.get("significant")) != bool(r.get("significant_adj"))]
    if not changed:
        return Safe("")
    rows = [[f"{r.get('a')} – {r.get('b')}", fmt_bounded(r.get("r")), fmt_p(r.get("p")), fmt_bounded(r.get("r_adj")),
             fmt_p(r.get("p_adj"))] for r in changed]
    table = Table("Correlations whose significance changes after the marker adjustment", ["Pair", "r", "p", "r (adjusted)", "p (adjusted)"],
                  rows, note=synthetic_note(ctx) + f"r_M = {fmt_bounded(marker.get('r_m'))} ({marker.get('r_m_from', '')}).",
                  text_columns={0})
    return t.add(table, "cmv-marker")


@VALIDITY_SECTIONS.add("cmv", "Common-method variance")
def _cmv_section(ctx: Context, t: PageTables) -> Content:
    if ctx.json("cmv") is None:
        return missing(ctx, "Common-method variance", "cmv")
    marker = ctx.field("cmv", "marker")
    largest_vif, vif_rows = _vif_rows(ctx.field("cmv", "full_collinearity"))
    rows = (_harman_rows(ctx.field("cmv", "harman")) + _clf_rows(ctx.field("cmv", "common_latent_factor"))
            + _marker_rows(marker) + largest_vif)
    parts = [t.add(Table("Common-method variance diagnostics", ["Diagnostic", "Value", "Rule of thumb"], rows,
                         note=synthetic_note(ctx) + CMV_NOTE, text_columns={0}), "cmv")]
    if vif_rows:
        note = synthetic_note(ctx) + "R² of each scale score regressed on all other substantive scale scores; VIF = 1/(1 − R²)."
        parts.append(t.add(Table("Full-collinearity VIFs", ["Construct", "R²", "VIF", "Above threshold"], vif_rows, note=note,
                                 text_columns={0, 3}), "cmv-vif"))
    parts.append(_marker_changes_table(ctx, t, marker))
    parts.append(warnings_block(ctx.field("cmv", "warnings")))
    return parts


# ------------------------------------------------------------------ invariance


def _group_label(key) -> str:
    text = str(key)
    return text[:-2] if text.endswith(".0") else text


def _invariance_settings(ctx: Context) -> Safe:
    bits = []
    if ctx.field("invariance_json", "group"):
        bits.append(f"Grouping variable: {ctx.field('invariance_json', 'group')}")
    sizes = ctx.field("invariance_json", "group_sizes")
    if isinstance(sizes, dict):
        bits.append("group sizes: " + ", ".join(f"{_group_label(k)}: {v}" for k, v in sizes.items()))
    if ctx.field("invariance_json", "free_parameters_per_group") is not None:
        bits.append(f"free parameters per group: {fmt_int(ctx.field('invariance_json', 'free_parameters_per_group'))}")
    if ctx.field("invariance_json", "estimator"):
        bits.append(f"estimator {ctx.field('invariance_json', 'estimator')}")
    return paragraph("; ".join(bits) + ".") if bits else Safe("")


def _invariance_table(ctx: Context, t: PageTables, frame: pd.DataFrame) -> Safe:
    if ctx.field("invariance_json", "scope") == "per_scale":
        how = ("Each scale's one-factor model fitted across the groups (scope = scale); configural, metric and "
               "scalar models are joint multi-group fits")
    else:
        how = "Configural, metric and scalar models fitted jointly"
    text = [c for c in frame.columns if frame[c].dtype == object]
    table = frame_table(frame, "Measurement invariance across groups", text_columns=text,
                        note=synthetic_note(ctx) + how + "; ΔCFI ≥ −.01 and ΔRMSEA ≤ .015 support invariance (Chen 2007).")
    return t.add(table, "invariance")


@VALIDITY_SECTIONS.add("invariance", "Measurement invariance")
def _invariance_section(ctx: Context, t: PageTables) -> Content:
    frame = ctx.csv("invariance")
    has_info = ctx.json("invariance_json") is not None
    if frame is None and not has_info:
        return missing(ctx, "Measurement invariance", "invariance")
    parts = [_invariance_settings(ctx)]
    if frame is not None and len(frame):
        parts.append(_invariance_table(ctx, t, frame))
    else:
        parts.append(not_computed("Invariance tests", "the stage could not fit them; see the warnings"))
    if has_info:
        parts.append(warnings_block(ctx.field("invariance_json", "warnings")))
    return parts


# ------------------------------------------------------------------ partial invariance

PARTIAL_FIELDS = ("scope", "level", "step", "freed", "construct", "item", "score_chisq", "score_df", "score_p",
                  "alpha_step", "chisq", "df", "cfi", "rmsea", "delta_cfi", "delta_rmsea", "fails", "stop")
PARTIAL_COLUMNS = ["Scale", "Level", "Step", "Parameter freed", "Score test χ² (df)", "p", "α", "χ² (df) after",
                   "CFI", "RMSEA", "ΔCFI", "ΔRMSEA", "Fails", "Stop"]
LEVEL_PARAMETER = {"metric": "loading", "scalar": "intercept"}


def partial_rule_text(rule: dict) -> str:
    """The search's failing and stopping rules in words, from invariance.json's settings."""
    if rule.get("criterion") == "chisq":
        fail = f"the χ² difference test with the reference model has p < {rule.get('alpha')}"
    else:
        fail = f"ΔCFI < {rule.get('delta_cfi')} or ΔRMSEA > {rule.get('delta_rmsea')} against the reference model"
    alpha = f"α = {rule.get('alpha')}" + (" divided by the number of eligible parameters (Bonferroni)"
                                          if rule.get("adjust") == "bonferroni" else "")
    return (f"A level fails when {fail} (configural for metric, the accepted metric model for scalar). Where it "
            "fails, the search frees one parameter at a time (loadings for metric, intercepts for scalar) — the one "
            "with the largest score test of its equality across the groups (lavaan lavTestScore; with more than "
            "two groups its constraints are released together, df = groups − 1) — and refits. It stops when the "
            f"partial model no longer fails, when the largest score test is not significant at {alpha}, or when no "
            f"parameter may be freed: at most {rule.get('max_free_share')} of the level's constrained parameters, and "
            f"every factor keeps at least {rule.get('min_invariant_items')} invariant indicators (the marker counts "
            "for loadings). The scalar search runs only where metric invariance holds, fully or partially. The "
            "freed parameters' items are the non-invariant ones; the marker's loading cannot be tested.")


def _partial_row(r: dict) -> list:
    freed = r["freed"] or "— (all constraints)"
    score = f"{fmt_num(r['score_chisq'])} ({fmt_int(r['score_df'])})" if r["score_chisq"] is not None else DASH
    return [r["scope"], r["level"], fmt_int(r["step"]), freed, score, fmt_p(r["score_p"]),
            fmt_bounded(r["alpha_step"], 4) if r["alpha_step"] is not None else DASH,
            f"{fmt_num(r['chisq'])} ({fmt_int(r['df'])})", fmt_bounded(r["cfi"], 3), fmt_bounded(r["rmsea"], 3),
            fmt_num(r["delta_cfi"], 3), fmt_num(r["delta_rmsea"], 3), "yes" if r["fails"] else "no", r["stop"] or ""]


def _partial_outcomes(records: list[dict]) -> list[str]:
    """One line per scale and level searched: the non-invariant items and whether the level holds."""
    lines = []
    for key in dict.fromkeys((r["scope"], r["level"]) for r in records):
        rows = [r for r in records if (r["scope"], r["level"]) == key]
        if not rows[0]["fails"]:
            continue
        items = [f"{r['item']} ({LEVEL_PARAMETER[r['level']]})" for r in rows[1:]]
        holds = "holds partially" if not rows[-1]["fails"] else "does not hold"
        lines.append(f"{key[0]}, {key[1]}: {holds}; non-invariant: {', '.join(items) if items else 'none identified'}"
                     f" ({rows[-1]['stop']})")
    return lines


@VALIDITY_SECTIONS.add("partial-invariance", "Partial invariance")
def _partial_invariance_section(ctx: Context, t: PageTables) -> Content:
    records = ctx.records("partial_invariance", *PARTIAL_FIELDS)
    if records is None:
        return missing(ctx, "Partial-invariance search", "partial_invariance")
    rule = ctx.field("invariance_json", "partial_invariance") or {}
    parts = [paragraph(partial_rule_text(rule))] if rule else []
    if rule and not rule.get("enabled", True):
        return [paragraph("Partial-invariance search not run: measurement.partial_invariance.enabled is false.")]
    if not records:
        return parts + [paragraph("No search: full metric and scalar invariance hold wherever they were tested "
                                  "(or invariance was not tested; see above).")]
    lines = _partial_outcomes(records)
    parts.append(paragraph("Where full invariance fails:"))
    parts.append(bullet_list(lines))
    note = synthetic_note(ctx) + ("One line per model fitted: step 0 is the level's model with every constraint, "
                                  "each later step frees the parameter named (its score test computed in the model "
                                  "of the step before), with the fit after freeing it; Δ against the reference model.")
    table = Table("Partial-invariance search", PARTIAL_COLUMNS, [_partial_row(r) for r in records], note=note,
                  text_columns={0, 1, 3, 12, 13})
    parts.append(t.add(table, "partial-invariance"))
    return parts
