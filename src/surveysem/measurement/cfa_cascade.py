"""The CFA cascade: the measurement model each scale's loadings, CR and AVE come from.

The measurement stage fits one joint CFA of all scales. When that model cannot be estimated (the
fit raises, or it does not converge) the numbers of a scale come from the next level down, tried
only for the scales whose model above failed:

1. the joint CFA of all scales;
2. one CFA per group (:func:`cfa_groups`): the capabilities of each process (sensing, seizing,
   reconfiguring), the OIE roles, the marker;
3. one one-factor CFA per scale.

A scale takes the first model on its path that converged. When none did, it keeps the first one
that was fitted at all (estimates unreliable, as before the cascade: loadings are shown, the
verdict says why they are not to be trusted); when none could be fitted it has no loadings, and
the record says why for every level. Latent correlations, and so Fornell–Larcker, are comparable
only between scales of one model (:func:`comparable_groups`).

Everything here is pure bookkeeping over a ``fit`` function (scales -> fit, raising on failure);
the statistics stay in :mod:`surveysem.measurement.tables`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

JOINT_MODEL = "joint CFA"
ONE_FACTOR_MODEL = "one-factor CFA"
LEVELS = ("joint", "group", "one-factor")
GROUP_LABELS = {"oie": "OIE roles", "marker": "marker"}  # the non-capability kinds, each one group


@dataclass(frozen=True)
class Model:
    """One model of the cascade: its level, its name as reports show it, its scales (id -> items)."""

    level: str
    name: str
    scales: dict


@dataclass
class Attempt:
    """A model tried: the fit (None when it raised), whether it converged, and why it failed."""

    model: Model
    fit: object = None
    converged: bool = False
    failure: str = ""

    @property
    def fitted(self) -> bool:
        return self.fit is not None

    def result_text(self) -> str:
        """The outcome in words: converged / did not converge / could not be fitted: reason."""
        if self.converged:
            return "converged"
        return self.failure


@dataclass
class Cascade:
    """The attempts in order and the attempt each scale's numbers come from (absent: none fitted)."""

    attempts: list = field(default_factory=list)
    source: dict = field(default_factory=dict)

    def used(self) -> list:
        """The attempts some scale's numbers come from, in the order they were tried."""
        ids = {id(a) for a in self.source.values()}
        return [a for a in self.attempts if id(a) in ids]

    def path_of(self, scale: str) -> list:
        """The attempts of models holding ``scale``, top level first."""
        return [a for a in self.attempts if scale in a.model.scales]


def group_model_name(group: str, kind: str) -> str:
    """The name of a level-2 model: "process CFA (sensing)" for a process, "group CFA (OIE roles)" else."""
    return f"process CFA ({group})" if kind == "capability" else f"group CFA ({group})"


def cfa_groups(constructs, scales: dict) -> list[tuple[str, str, list[str]]]:
    """The level-2 groups of the analysed ``scales``: (group, kind, scale ids), capabilities by
    process in the order of first appearance, then each other kind as one group. ``constructs``:
    the instrument's constructs (id, kind, process)."""
    groups: dict[tuple[str, str], list[str]] = {}
    for c in constructs:
        if c.id not in scales:
            continue
        if c.kind == "capability":
            key = (str(c.process), "capability")
        else:
            key = (GROUP_LABELS.get(c.kind, c.kind), c.kind)
        groups.setdefault(key, []).append(c.id)
    return [(g, kind, ids) for (g, kind), ids in groups.items()]


def _subset(scales: dict, ids) -> dict:
    return {s: scales[s] for s in scales if s in set(ids)}


def try_model(model: Model, fit_fn: Callable, errors: tuple) -> Attempt:
    """Fit ``model``; an exception of ``errors`` becomes the failure reason ("could not be fitted: ...")."""
    try:
        fit = fit_fn(model.scales)
    except errors as exc:
        text = exc.one_line() if hasattr(exc, "one_line") else f"{type(exc).__name__}: {exc}"
        return Attempt(model, None, False, f"could not be fitted: {text}")
    converged = bool(fit["result"].converged)
    return Attempt(model, fit, converged, "" if converged else "did not converge")


def _level_models(level: str, scales: dict, pending: list[str], groups) -> list[Model]:
    """The models of ``level`` for the ``pending`` scales (those without a converged model yet)."""
    if level == "joint":
        return [Model("joint", JOINT_MODEL, dict(scales))]
    if level == "group":
        return [Model("group", group_model_name(g, kind), _subset(scales, ids))
                for g, kind, ids in groups if any(s in pending for s in ids)]
    return [Model("one-factor", ONE_FACTOR_MODEL, _subset(scales, [s])) for s in scales if s in pending]


def run_cascade(scales: dict, groups, fit_fn: Callable, errors: tuple) -> Cascade:
    """Walk the levels until every scale has a converged model (or the levels are used up).

    A group of the same scales as the level above (one group holding everything, or a one-scale
    group before its one-factor model) is not fitted twice: the next level is the same model."""
    out = Cascade()
    pending = list(scales)
    tried: set = set()
    for level in LEVELS:
        if not pending:
            break
        for model in _level_models(level, scales, pending, groups):
            key = tuple(model.scales)
            if key in tried:
                continue
            tried.add(key)
            attempt = try_model(model, fit_fn, errors)
            out.attempts.append(attempt)
            if attempt.converged:
                for s in model.scales:
                    if s in pending:
                        out.source[s] = attempt
                pending = [s for s in pending if s not in model.scales]
    for s in pending:  # nothing converged: the first model that was fitted at all, if any
        fitted = next((a for a in out.path_of(s) if a.fitted), None)
        if fitted is not None:
            out.source[s] = fitted
    return out


def why_not_above(cascade: Cascade, scale: str) -> str:
    """Why the models above the one a scale's numbers come from failed ("" for the first on its path)."""
    path = cascade.path_of(scale)
    used = cascade.source.get(scale)
    above = path[: path.index(used)] if used in path else path
    return "; ".join(f"the {a.model.name} {a.failure}" for a in above)


def scale_record(cascade: Cascade, scale: str) -> dict:
    """cfa_fit.json's entry of one scale: the model used, whether it converged, why the ones above failed."""
    used = cascade.source.get(scale)
    record = {"model": used.model.name if used else "none", "level": used.model.level if used else "none",
              "converged": bool(used and used.converged)}
    reason = why_not_above(cascade, scale)
    if reason:
        record["levels_above_failed"] = reason
    if used is None:
        record["not_estimated"] = "no model of the cascade could be fitted: " + reason
    elif not used.converged:
        record["not_converged"] = (f"no model of the cascade converged; the numbers are the {used.model.name}'s "
                                   "and unreliable")
    return record


def attempt_record(attempt: Attempt, fit_summary: Callable) -> dict:
    """cfa_fit.json's entry of one model tried: level, name, scales, result, fit indices when fitted."""
    rec = {"level": attempt.model.level, "model": attempt.model.name, "scales": list(attempt.model.scales),
           "result": attempt.result_text()}
    if attempt.fitted:
        rec["fit"] = fit_summary(attempt.fit["result"])
    return rec


def cascade_record(cascade: Cascade, fit_summary: Callable) -> dict:
    """The cascade as cfa_fit.json records it: every model tried and each scale's model."""
    return {"levels": list(LEVELS),
            "models": [attempt_record(a, fit_summary) for a in cascade.attempts],
            "scales": {s: scale_record(cascade, s) for s in dict.fromkeys(
                s for a in cascade.attempts for s in a.model.scales)}}


def comparable_groups(cascade: Cascade) -> list[tuple[str, list[str]]]:
    """(model name, scales) of each model some scales' numbers come from: latent correlations, and
    so Fornell–Larcker, compare only scales within one of these."""
    return [(a.model.name, [s for s in a.model.scales if cascade.source.get(s) is a]) for a in cascade.used()]
