"""The full models of a P1-P3 proposition on the propositions page: every term of the latent
models (latent_coefficients.csv) with their fit (latent_fits.csv), and the composite-score GLMs
of the primary family (coefficients.csv, fits.csv), which are checks when the verdict uses a
latent estimator; the collinearity of the composite scores (vif.csv)."""

from __future__ import annotations

import json

import pandas as pd

from surveysem.report.html import Safe, not_computed, paragraph, slug
from surveysem.report.pages.context import Context, UnreadableResult
from surveysem.report.pages.sections import PageTables, as_float, is_true, missing_text, p_phrase, synthetic_note
from surveysem.report.pages.verdicts import COMPOSITE_CHECK, estimator_label
from surveysem.report.tables import SIG_NOTE, Table, fmt_ci, fmt_int, fmt_num, fmt_p, fmt_r2, fmt_text_blank, stars

COEFFICIENT_COLUMNS = ("proposition", "model", "term", "role", "est", "se", "ci_lower", "ci_upper", "p_two_sided", "exp_est", "ame",
                       "se_type", "outcome")
LATENT_COEFFICIENT_COLUMNS = ("proposition", "model", "estimator", "outcome", "term", "role", "est", "se", "ci_lower", "ci_upper",
                              "p_two_sided", "std_all")
LATENT_FIT_COLUMNS = ("model", "n", "n_dropped", "r2_latent", "converged", "admissible", "reliability", "fit_note",
                      "method_factor")
FIT_COLUMNS = ("model", "n", "r2", "r2_kind", "r2_mcfadden", "wald_terms", "wald_chi2", "wald_df", "wald_p", "f2_capabilities",
               "dispersion", "aic", "converged")
LATENT_SCALE_FALLBACK = "the outcome's transformed scale"


def is_latent(rec: dict) -> bool:
    """Whether a row of subhypotheses.csv or verdicts.csv comes from a latent estimator."""
    return fmt_text_blank(rec["estimator"]) not in ("", "composite_glm")


def latent_scale(ctx: Context, pid: str) -> str:
    """The scale of the latent b: the estimate_type of the proposition's latent verdict rows
    ("latent coefficient per SD of the capability, on log(spread)"), else a general phrase."""
    try:
        rows = ctx.records("verdicts", "proposition", "level", "estimator", "estimate_type") or []
    except UnreadableResult:  # the dashboard says verdicts.csv is unreadable; here the general phrase will do
        rows = []
    for rec in rows:
        if str(rec["proposition"]) == pid and rec["level"] != "proposition" and is_latent(rec) and rec["estimate_type"]:
            return str(rec["estimate_type"])
    return f"latent coefficient per SD of the capability, on {LATENT_SCALE_FALLBACK}"


def latent_model_tables(ctx: Context, t: PageTables, pid: str, expected: bool) -> list[Safe]:
    """Every latent model of ``pid`` (main effects, interactions): every term, with β and the fit.
    Their absence is said only when the verdict uses a latent estimator (``expected``)."""
    coefficients = ctx.columns("latent_coefficients", *LATENT_COEFFICIENT_COLUMNS)
    if coefficients is None:
        return [not_computed(f"Latent models of {pid}", missing_text(ctx, "latent_coefficients"))] if expected else []
    own = coefficients[coefficients["proposition"].astype(str) == pid]
    if not len(own):
        return [not_computed(f"Latent models of {pid}", "no rows for it in latent_coefficients.csv")] if expected else []
    models = dict.fromkeys(own["model"].astype(str))
    return [_latent_model_table(ctx, t, pid, model, own[own["model"].astype(str) == model]) for model in models]


def _reliability_text(cell) -> str:
    """The score reliabilities of latent_fits.csv (a JSON dict construct -> reliability) in words."""
    try:
        values = json.loads(cell) if isinstance(cell, str) else None
    except json.JSONDecodeError:
        values = None
    if not isinstance(values, dict):
        return "score reliabilities not readable" if fmt_text_blank(cell) else ""
    if not values:
        return ""
    return "score reliabilities: " + ", ".join(f"{k} {fmt_r2(v)}" for k, v in values.items())


def _method_factor_text(cell) -> str:
    """How the measurement model treats common-method variance, from latent_fits.csv's method_factor."""
    text = fmt_text_blank(cell)
    if not text or text == "none":
        return "measurement model without a method factor"
    return (f"measurement model: one joint CFA with a common-method (acquiescence) factor on every item, loadings "
            f"equal on the answers and signed by keying (on linearised scores, times the slope of score on answer of "
            f"each item), anchored by the {text}")


def _yes_no(flag) -> str:
    return "yes" if is_true(flag) else "NO"


def _latent_fit_sentence(ctx: Context, model: str) -> str:
    """The fit of latent model ``model`` from latent_fits.csv, for the note of its table."""
    fits = ctx.records("latent_fits", *LATENT_FIT_COLUMNS)
    if fits is None:
        return f"Fit not computed: {missing_text(ctx, 'latent_fits')}. "
    r = next((f for f in fits if str(f["model"]) == model), None)
    if r is None:
        return f"Fit not computed: {ctx.shown_path('latent_fits')} has no row for this model. "
    admissible = _yes_no(r["admissible"]) + ("" if is_true(r["admissible"]) else
                                             " (a Heywood case or a non-positive-definite latent covariance matrix)")
    bits = [f"N = {fmt_int(r['n'])} ({fmt_int(r['n_dropped'])} dropped)", _method_factor_text(r["method_factor"]),
            f"latent R² = {fmt_r2(r['r2_latent'], 3)}",
            f"converged: {_yes_no(r['converged'])}", f"admissible solution: {admissible}", _reliability_text(r["reliability"]),
            f"model fit (verdict_rule.fit_gate): {r['fit_note']}" if r["fit_note"] else ""]
    return "; ".join(b for b in bits if b) + ". "


def _latent_model_table(ctx: Context, t: PageTables, pid: str, model: str, coefficients: pd.DataFrame) -> Safe:
    kind = model.split(":")[-1]
    rows = [[fmt_text_blank(r["term"]), fmt_text_blank(r["role"]), fmt_num(r["est"]) + stars(r["p_two_sided"]), fmt_num(r["std_all"]),
             fmt_num(r["se"]), fmt_ci(r["ci_lower"], r["ci_upper"]), fmt_p(r["p_two_sided"])]
            for r in coefficients.to_dict(orient="records")]
    first = coefficients.iloc[0]
    label = estimator_label(first["estimator"])
    note = synthetic_note(ctx) + _latent_fit_sentence(ctx, model) + (
        f"b: capabilities and interactions as in the sub-hypothesis table ({latent_scale(ctx, pid)}), controls per unit of "
        "the control; β = b per SD of the capability and of the outcome (capabilities and interactions only); robust "
        "standard errors (SAM: of both steps, the measurement error included; SEM: MLR); p two-sided (normal). " + SIG_NOTE)
    title = (f"{pid}: {label}: {'interaction' if kind == 'interaction' else 'full'} model of "
             f"{fmt_text_blank(first['outcome']) or 'the outcome'}")
    table = Table(title, ["Term", "Role", "b", "β", "SE", "95% CI", "p"], rows, note=note, text_columns={0, 1})
    return t.add(table, f"{slug(pid)}-latent-{kind}-model")


def _primary_family(ctx: Context, pid: str) -> str | None:
    fits = ctx.columns("fits", "proposition", "primary", "family")
    if fits is None:
        return None
    primary = fits[(fits["proposition"].astype(str) == pid) & fits["primary"].map(is_true)]
    return str(primary["family"].iloc[0]) if len(primary) else None


def model_tables(ctx: Context, t: PageTables, pid: str, check: bool) -> list[Safe]:
    """The main (and interaction) composite-score GLM of the primary family, every coefficient
    (``check``: the verdict uses a latent estimator)."""
    coefficients = ctx.columns("coefficients", *COEFFICIENT_COLUMNS)
    if coefficients is None:
        return [not_computed(f"Full model of {pid}", missing_text(ctx, "coefficients"))]
    own = coefficients[coefficients["proposition"].astype(str) == pid]
    models = [m for m in dict.fromkeys(own["model"].astype(str)) if m.endswith(":main") or m.endswith(":interaction")]
    family = _primary_family(ctx, pid)
    if family:
        models = [m for m in models if m.split(":")[1:2] == [family]]
    return [_model_table(ctx, t, pid, model, own[own["model"].astype(str) == model], check) for model in models]


def _fit_sentence(ctx: Context, model: str) -> str:
    """The fit of ``model`` from fits.csv, for the note of its table."""
    fits = ctx.records("fits", *FIT_COLUMNS)
    r = next((f for f in fits or [] if str(f["model"]) == model), None)
    if r is None:
        return ""
    bits = [f"N = {fmt_int(r['n'])}"]
    if as_float(r["r2"]) is not None:
        bits.append(f"{r['r2_kind'] or 'R²'} = {fmt_r2(r['r2'], 3)}")
    if as_float(r["r2_mcfadden"]) is not None:
        bits.append(f"McFadden R² = {fmt_r2(r['r2_mcfadden'], 3)}")
    if as_float(r["wald_chi2"]) is not None:
        bits.append(f"joint Wald test of {r['wald_terms'] or 'the capabilities'}: χ²({fmt_int(r['wald_df'])}) = "
                    f"{fmt_num(r['wald_chi2'])}, {p_phrase(r['wald_p'])}")
    if as_float(r["f2_capabilities"]) is not None:
        bits.append(f"Cohen's f² = {fmt_num(r['f2_capabilities'], 3)}")
    if as_float(r["dispersion"]) is not None:
        bits.append(f"dispersion = {fmt_num(r['dispersion'])}")
    if as_float(r["aic"]) is not None:
        bits.append(f"AIC = {fmt_num(r['aic'])}")
    if str(r["converged"]).lower() in ("false", "0"):
        bits.append("the model did NOT converge")
    return "; ".join(bits) + ". "


def _model_table(ctx: Context, t: PageTables, pid: str, model: str, coefficients: pd.DataFrame, check: bool) -> Safe:
    family = model.split(":")[1] if ":" in model else ""
    kind = model.split(":")[-1]
    rows = [[fmt_text_blank(r["term"]), fmt_text_blank(r["role"]), fmt_num(r["est"]) + stars(r["p_two_sided"]), fmt_num(r["se"]),
             fmt_ci(r["ci_lower"], r["ci_upper"]), fmt_p(r["p_two_sided"]), fmt_num(r["exp_est"]),
             fmt_num(r["ame"], 3) if as_float(r["ame"]) is not None else ""]
            for r in coefficients.to_dict(orient="records")]
    first = coefficients.iloc[0]
    se_type = fmt_text_blank(first["se_type"]) or "robust"
    outcome = fmt_text_blank(first["outcome"])
    note = synthetic_note(ctx) + _fit_sentence(ctx, model) + (
        ("A check on the latent model: composite (scale) scores, z-scored, in place of the latent capabilities. " if check else "")
        + f"Family {family}; {se_type} standard errors; p two-sided; exp(b) = multiplicative effect for log/logit links; "
        "AME = average marginal effect of a capability on the outcome's scale. " + SIG_NOTE
    )
    title = (f"{pid}: {COMPOSITE_CHECK if check else 'composite-score GLM'}: {'interaction' if kind == 'interaction' else 'full'} "
             f"model of {outcome or 'the outcome'} ({family})")
    table = Table(title, ["Term", "Role", "b", "SE", "95% CI", "p", "exp(b)", "AME"], rows, note=note, text_columns={0, 1})
    return t.add(table, f"{slug(pid)}-{kind}-model")


def collinearity_sentence(ctx: Context, pid: str) -> Safe:
    vif = ctx.columns("vif", "proposition", "family", "term", "vif")
    if vif is None:
        return Safe("")
    own = vif[(vif["proposition"].astype(str) == pid) & (vif["term"] != "Intercept")]
    if len(own):  # the VIFs of the first family listed (the primary one)
        own = own[own["family"] == own["family"].iloc[0]]
    if not len(own):
        return Safe("")
    worst = own.loc[own["vif"].idxmax()]
    return paragraph(f"Collinearity of the composite scores: largest VIF {fmt_num(worst['vif'])} ({worst['term']}); "
                     "values above 5 would call for caution.")
