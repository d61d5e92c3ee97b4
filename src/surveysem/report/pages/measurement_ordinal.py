"""The measurement page's ordinal check (``measurement.ordinal_check``, ordinal_check.json): the CFA
of all scales by WLSMV with the items as ordered, its fit, loadings and ordinal omega beside the
stage's ML / MLR CFA."""

from __future__ import annotations

from surveysem.report.html import join, not_computed, paragraph, tag
from surveysem.report.pages.context import Context
from surveysem.report.pages.sections import (
    FIT_CRITERIA,
    Content,
    PageTables,
    Sections,
    fit_value,
    missing,
    synthetic_note,
    warnings_block,
)
from surveysem.report.tables import (
    DASH,
    Table,
    fmt_bounded,
    fmt_int,
    fmt_num,
    fmt_standardized,
)

ORDINAL_SECTIONS = Sections()
TITLE = "Ordinal check: WLSMV beside ML"

# (row, key in the ML fit, key in the WLSMV fit): WLSMV's CFI / TLI / RMSEA from its scaled test
FIT_ROWS = [("χ²", "chisq", "chisq"), ("χ² (scaled)", "chisq_scaled", "chisq_scaled"), ("df", "df", "df_scaled"),
            ("p (WLSMV: scaled)", "pvalue", "pvalue_scaled"), ("CFI (WLSMV: scaled)", "cfi", "cfi_scaled"),
            ("TLI (WLSMV: scaled)", "tli", "tli_scaled"), ("RMSEA (WLSMV: scaled)", "rmsea", "rmsea_scaled"),
            ("SRMR", "srmr", "srmr"), ("CFI (robust)", "cfi_robust", "cfi_robust"),
            ("TLI (robust)", "tli_robust", "tli_robust"), ("RMSEA (robust)", "rmsea_robust", "rmsea_robust"),
            ("N", "nobs", "nobs")]
CRITERIA_OF = {"cfi": "cfi", "tli": "tli", "rmsea": "rmsea", "srmr": "srmr", "cfi_robust": "cfi_robust",
               "tli_robust": "tli_robust", "rmsea_robust": "rmsea_robust"}
METHOD_TEXT = (
    "The CFA of all scales fitted a second time with the items as ordered categories: WLSMV (diagonally weighted "
    "least squares on the polychoric correlations and thresholds, robust standard errors, mean-and-variance adjusted "
    "χ²; delta parameterization), as lavaan's cfa(..., ordered = TRUE, estimator = \"WLSMV\"). FIML is not available "
    "for ordinal indicators: the WLSMV fit uses pairwise-present data (or the ML fit's complete cases under listwise "
    "deletion). With five or more roughly symmetric categories ML / MLR and WLSMV usually agree (Rhemtulla, "
    "Brosseau-Liard & Savalei 2012); where they differ, the skew of the items matters.")
OMEGA_NOTE = (
    "k = items; ω (ML) = composite reliability of the stage's CFA (semTools compRelSEM, observed variance); "
    "ω (ordinal) = ordinal omega of the WLSMV fit, the reliability of the sum of the item scores computed on the "
    "latent-response scale (Green & Yang 2009), with the sample polychoric correlations as semTools compRelSEM; "
    "ω (ordinal, model) = the same with the model's polychoric correlations (semTools reliability); mean / min λ = "
    "mean and smallest completely standardized loading of each fit.")


def ordinal_check_on(ctx: Context) -> bool:
    """Whether the config the report runs with asks for the check (a stale file is not shown)."""
    return (ctx.config.get("measurement") or {}).get("ordinal_check") is True


def _fit_table(ctx: Context) -> Table:
    ml, wl = ctx.field("ordinal_check", "fit_ml") or {}, ctx.field("ordinal_check", "fit_wlsmv") or {}
    # both columns formatted by the ML key (df_scaled is a count as df is)
    rows = [[name, fit_value(m, ml.get(m)) if m in ml else DASH, fit_value(m, wl.get(w)) if w in wl else DASH,
             FIT_CRITERIA.get(CRITERIA_OF.get(m, ""), "")] for name, m, w in FIT_ROWS]
    estimator = ctx.field("ordinal_check", "estimator_ml") or "ML"
    note = (synthetic_note(ctx) + f"{estimator}: the stage's CFA (robust rows with MLR). WLSMV: χ² the DWLS "
            "statistic, χ² (scaled) the scaled-shifted one with its df and p; CFI, TLI and RMSEA from the scaled test "
            "(lavaan's .scaled), the robust ones as lavaan 0.6-14 (Savalei 2021), who shows that the scaled ones "
            "do not estimate the population values of the indices (they tend to suggest better fit). "
            "Missing data of the WLSMV fit: "
            + str(ctx.field("ordinal_check", "missing_note") or ctx.field("ordinal_check", "missing") or DASH) + ".")
    return Table("Fit of the CFA by ML / MLR and by WLSMV (items as ordered)",
                 ["Index", estimator, "WLSMV", "Criterion"], rows, note=note)


def _scale_table(ctx: Context) -> Table:
    rows = [[str(r["construct"]), ctx.label(str(r["construct"])), fmt_int(r.get("k")),
             fmt_bounded(r.get("omega_ml")), fmt_bounded(r.get("omega_ordinal")),
             fmt_bounded(r.get("omega_ordinal_model")), fmt_standardized(r.get("mean_std_ml")),
             fmt_standardized(r.get("mean_std_wlsmv")), fmt_standardized(r.get("min_std_ml")),
             fmt_standardized(r.get("min_std_wlsmv"))] for r in ctx.field("ordinal_check", "scales") or []]
    left_out = ctx.field("ordinal_check", "left_out") or {}
    note = OMEGA_NOTE + ("" if not left_out else " Not in the WLSMV model: "
                         + "; ".join(f"{c} ({why})" for c, why in left_out.items()) + ".")
    return Table("Reliability and loadings per scale, ML / MLR and WLSMV",
                 ["Scale", "Label", "k", "ω (ML)", "ω (ordinal)", "ω (ordinal, model)", "mean λ (ML)", "mean λ (WLSMV)",
                  "min λ (ML)", "min λ (WLSMV)"], rows, note=synthetic_note(ctx) + note,
                 text_columns={0, 1})


def _loadings_table(ctx: Context) -> Table:
    rows = [[str(r["construct"]), str(r["item"]), fmt_standardized(r.get("std_ml")),
             fmt_standardized(r.get("std_wlsmv")), fmt_num(r.get("est_wlsmv")), fmt_num(r.get("se_wlsmv"))]
            for r in ctx.field("ordinal_check", "loadings") or []]
    note = ("λ = completely standardized loading (lavaan std.all) of each fit; b = the WLSMV loading on the "
            "latent-response scale (first item of each factor fixed to 1) with its robust SE.")
    return Table("Standardized loadings by ML / MLR and by WLSMV", ["Construct", "Item", "λ (ML)", "λ (WLSMV)",
                                                                    "b (WLSMV)", "SE(b)"], rows, note=note,
                 text_columns={0, 1})


@ORDINAL_SECTIONS.add("ordinal-check", TITLE)
def _ordinal_section(ctx: Context, t: PageTables) -> Content:
    if not ordinal_check_on(ctx):
        return not_computed(TITLE, "measurement.ordinal_check is false; set it to true to fit the CFA a second time "
                                   "by WLSMV with the items as ordered")
    if ctx.json("ordinal_check") is None:
        return missing(ctx, TITLE, "ordinal_check")
    parts = [paragraph(METHOD_TEXT)]
    reason = ctx.field("ordinal_check", "not_fitted")
    if reason:
        parts.append(paragraph(f"The WLSMV CFA was not fitted: {reason}."))
    else:
        if ctx.field("ordinal_check", "converged") is False:
            parts.append(paragraph("The WLSMV CFA did not converge: its numbers are not interpretable."))
        parts.append(t.add(_fit_table(ctx), "ordinal-fit"))
    parts.append(t.add(_scale_table(ctx), "ordinal-scales"))
    if not reason:
        parts.append(tag("details", tag("summary", "Item loadings, ML / MLR and WLSMV"),
                         t.add(_loadings_table(ctx), "ordinal-loadings")))
    parts.append(warnings_block(ctx.field("ordinal_check", "warnings")))
    return join(parts)
