"""The CFA cascade in words for the measurement page: which model each scale's loadings, CR and
AVE come from, why the levels above it failed, and the models tried (cfa_fit.json ``cascade``)."""

from __future__ import annotations

from surveysem.report.html import Safe, bullet_list, join, paragraph
from surveysem.report.pages.context import Context
from surveysem.report.pages.sections import fit_value
from surveysem.report.tables import DASH, Table

JOINT_MODEL = "joint CFA"  # surveysem.measurement.cfa_cascade.JOINT_MODEL (the page imports no stage code)
CASCADE_FIT = (("cfi", "CFI"), ("tli", "TLI"), ("rmsea", "RMSEA"), ("srmr", "SRMR"))


def scale_records(ctx: Context) -> dict[str, dict]:
    """construct -> its cascade record (model, level, converged, levels_above_failed ...); {} for results
    written before the cascade."""
    return (ctx.field("cfa_fit", "cascade", {}) or {}).get("scales") or {}


def cascade_used(ctx: Context) -> bool:
    """Whether some scale's numbers come from a model other than the joint CFA."""
    return any(r.get("model") != JOINT_MODEL for r in scale_records(ctx).values())


def _by_model(records: dict[str, dict]) -> dict[tuple, list[str]]:
    """(model, converged, why the levels above failed, not estimated) -> the scales, in order."""
    out: dict[tuple, list[str]] = {}
    for scale, r in records.items():
        key = (r.get("model", "none"), bool(r.get("converged")), r.get("levels_above_failed", ""), r.get("not_estimated", ""))
        out.setdefault(key, []).append(scale)
    return out


def _model_sentence(key: tuple, scales: list[str]) -> str:
    model, converged, above, not_estimated = key
    who = ", ".join(scales)
    if not_estimated:
        return f"{who}: no loadings, CR or AVE ({not_estimated})."
    state = "" if converged else " (it did not converge either: its estimates are unreliable)"
    because = f", because {above}" if above else ""
    return f"{who}: from the {model}{state}{because}."


def model_sentences(ctx: Context) -> list[str]:
    """One sentence per model used: its scales and why the models above them failed."""
    return [_model_sentence(key, scales) for key, scales in _by_model(scale_records(ctx)).items()]


def model_note(ctx: Context) -> str:
    """The note sentence naming the model(s) loadings, CR and AVE come from."""
    records = scale_records(ctx)
    if not records:
        return ""
    if not cascade_used(ctx):
        return "Model: the joint CFA of all scales. "
    return "Models (the joint CFA could not be estimated): " + " ".join(model_sentences(ctx)) + " "


def cascade_block(ctx: Context, t) -> Safe:
    """What the fit section shows when the joint CFA failed: the sentence per model and the table of
    every model tried with its result and fit."""
    if not cascade_used(ctx):
        return Safe("")
    models = (ctx.field("cfa_fit", "cascade", {}) or {}).get("models") or []
    rows = [[m.get("model", ""), ", ".join(m.get("scales") or []), m.get("result", "")]
            + [fit_value(key, (m.get("fit") or {}).get(key)) if (m.get("fit") or {}).get(key) is not None else DASH
               for key, _ in CASCADE_FIT] for m in models]
    note = ("The joint CFA of all scales could not be estimated, so the cascade tried the next level for its scales: one CFA per "
            "process of capabilities (sensing, seizing, reconfiguring) and one for the OIE roles and the marker each, then a "
            "one-factor CFA per scale, each level only for the scales whose model above failed. Each scale's loadings, CR and "
            "AVE come from the first of its models that converged; latent correlations (Fornell–Larcker) compare only scales "
            "of one model.")
    table = Table("Models of the CFA cascade", ["Model", "Scales", "Result"] + [name for _, name in CASCADE_FIT], rows,
                  note=note, text_columns={0, 1, 2})
    return join([paragraph("The joint CFA could not be estimated; loadings, CR and AVE come from these models:"),
                 bullet_list(model_sentences(ctx)), t.add(table, "cfa-cascade")])


def model_of_scale(ctx: Context) -> dict[str, str]:
    """construct -> the model its numbers come from ("" before the cascade)."""
    return {s: str(r.get("model", "")) for s, r in scale_records(ctx).items()}
