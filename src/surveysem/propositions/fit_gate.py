"""The fit gate of the verdict rule: a verdict is only as good as the model it is read from.

``verdict_rule.fit_gate`` sets the least CFI and TLI and the largest RMSEA and SRMR a verdict's
model may have (default Hu & Bentler 1999: CFI >= .95, TLI >= .95, RMSEA <= .08, SRMR <= .08) and
what a failing model does to its sub-hypotheses (``action``):

``flag``            the verdict stands, flagged: "supported, but the model fits poorly";
``not_assessable``  the verdict becomes "not assessable (model fit)".

Which fit the gate reads, per estimator of the verdict:

* **P4 and latent SEM** (full information): the model's own CFI, TLI, RMSEA and SRMR; the robust
  (MLR) versions of CFI, TLI and RMSEA when the fit has them.
* **Local SAM**: its structural step is a regression on the corrected latent moments, a saturated
  model with no fit test, so the gate reads the measurement blocks (one one-factor model per
  construct, ML): the worst value of each index over the blocks with df > 0. A block of three
  items is just identified (df = 0) and tests nothing; when no block has df > 0 the outcome is
  "no fit indices" (saturated structural model, just-identified blocks) and the verdict stands.
* **Composite-score GLMs**: regressions of observed scores, no latent model and no fit indices:
  "not applicable".

Small-sample corrections: the pipeline's corrections (:mod:`surveysem.sem.small_sample`, as
semTools ``chisqSmallN``) correct the chi-square only and yield no corrected CFI, TLI or RMSEA, so
the gate uses the uncorrected indices and says so (:data:`INDICES_USED`).

Pure functions of plain dicts; the verdicts step and the report call them.
"""

from __future__ import annotations

import math

PASS, FAIL, NO_INDICES, NOT_APPLICABLE = "pass", "fail", "no fit indices", "not applicable"
NOT_ASSESSABLE_FIT = "not assessable (model fit)"
POOR_FIT_FLAG = "but the model fits poorly"

# index -> (config key, True when larger is better)
CRITERIA = {"cfi": True, "tli": True, "rmsea": False, "srmr": False}
LABELS = {"cfi": "CFI", "tli": "TLI", "rmsea": "RMSEA", "srmr": "SRMR"}
# an MLR fit is judged by its robust indices where the engine computes them (SRMR has none)
ROBUST = {"cfi": "cfi_robust", "tli": "tli_robust", "rmsea": "rmsea_robust"}
INDICES_USED = ("ML (normal-theory) CFI, TLI, RMSEA and SRMR; the robust CFI, TLI and RMSEA of MLR fits. "
                "No small-sample corrected indices: the small-sample corrections (Swain, Yuan, Bartlett) "
                "correct the chi-square only")
COMPOSITE_NOTE = "composite-score GLM: a regression of observed scores has no fit indices"


def _finite(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def gate_indices(fit: dict) -> dict[str, float]:
    """The indices the gate judges from one fit dict (robust ones first), finite values only."""
    out = {}
    for index in CRITERIA:
        value = fit.get(ROBUST.get(index, ""), fit.get(index))
        if not _finite(value):
            value = fit.get(index)
        if _finite(value):
            out[index] = float(value)
    return out


def is_saturated(fit: dict) -> bool:
    """A fit with df = 0 tests nothing (its CFI is 1 and its RMSEA 0 by construction)."""
    return _finite(fit.get("df")) and fit["df"] == 0


def worst_indices(fits: dict[str, dict]) -> dict[str, float]:
    """The worst value of each index over the fits with df > 0 (the SAM measurement blocks)."""
    out: dict[str, float] = {}
    for fit in fits.values():
        if is_saturated(fit):
            continue
        for index, value in gate_indices(fit).items():
            worse = min if CRITERIA[index] else max
            out[index] = worse(out.get(index, value), value)
    return out


def _fmt(x: float) -> str:
    return f"{x:.3f}".replace("0.", ".", 1) if abs(x) < 1 else f"{x:.3f}"


def failures(values: dict[str, float], gate: dict) -> list[str]:
    """The indices beyond their cut-offs, in words ("CFI .800 < .95")."""
    out = []
    for index, larger_better in CRITERIA.items():
        if index not in values:
            continue
        cut, value = float(gate[index]), values[index]
        if larger_better and value < cut:
            out.append(f"{LABELS[index]} {_fmt(value)} < {_fmt(cut)}")
        elif not larger_better and value > cut:
            out.append(f"{LABELS[index]} {_fmt(value)} > {_fmt(cut)}")
    return out


def judge_fit(values: dict[str, float], gate: dict) -> tuple[str, str]:
    """(outcome, words) of the gate on ``values`` (index -> value): pass, fail or no fit indices."""
    if not values:
        return NO_INDICES, "no fit indices"
    shown = ", ".join(f"{LABELS[k]} {_fmt(v)}" for k, v in values.items())
    failed = failures(values, gate)
    missing = [LABELS[k] for k in CRITERIA if k not in values]
    tail = f"; {', '.join(missing)} not available" if missing else ""
    if failed:
        return FAIL, f"fails the fit gate: {'; '.join(failed)} ({shown}{tail})"
    return PASS, f"passes the fit gate ({shown}{tail})"


def sem_gate(fit: dict | None, gate: dict, what: str) -> tuple[str, str]:
    """The gate of a full SEM (P4, latent SEM): its own indices; ``what`` names the model."""
    fit = fit or {}
    if is_saturated(fit):
        return NO_INDICES, f"{what}: no fit indices (saturated model, df = 0)"
    outcome, words = judge_fit(gate_indices(fit), gate)
    return outcome, f"{what}: {words}"


def sam_gate(block_fits: dict[str, dict], gate: dict,
             structural: str = "the structural model is saturated") -> tuple[str, str]:
    """The gate of a local SAM model: the worst index over its measurement blocks with df > 0."""
    tested = sorted(c for c, f in block_fits.items() if not is_saturated(f) and gate_indices(f))
    if not tested:
        return NO_INDICES, (f"local SAM: no fit indices ({structural}; every measurement block just "
                            f"identified, df = 0)")
    outcome, words = judge_fit(worst_indices(block_fits), gate)
    just = sorted(set(block_fits) - set(tested))
    tail = f"; {', '.join(just)} just identified" if just else ""
    return outcome, (f"local SAM, measurement blocks {', '.join(tested)} (worst value of each index; "
                     f"{structural}{tail}): {words}")


def latent_gate(fit_indices: dict | None, gate: dict) -> tuple[str, str]:
    """The gate of a P1-P3 latent model from the ``fit_indices`` of its row of latent_fits
    (:func:`surveysem.propositions.latent.model_fit_indices`)."""
    fit_indices = fit_indices or {}
    basis, fits = fit_indices.get("basis"), fit_indices.get("fits") or {}
    if basis == "sem":
        return sem_gate(fits.get("model"), gate, "latent SEM")
    if basis == "sam_paths":
        return sam_gate(fits, gate, "the structural model's fit is not tested")
    if basis == "sam_blocks":
        return sam_gate(fits, gate)
    if basis == "sam_joint":
        return sem_gate(fits.get("measurement"), gate, "SAM joint measurement model with the method factor "
                                                      "(the structural model is saturated)")
    return NO_INDICES, "no fit indices recorded for this model"


def gated_verdict(verdict: str, outcome: str, action: str) -> str:
    """The verdict after the gate: unchanged unless the model fails and ``action`` is not_assessable
    (a not-estimable verdict stays what it is: there is nothing to assess)."""
    if outcome == FAIL and action == "not_assessable" and verdict in ("supported", "not supported"):
        return NOT_ASSESSABLE_FIT
    return verdict


def flagged_text(verdict: str, outcome: str) -> str:
    """A verdict as a page shows it: "supported, but the model fits poorly" when its model failed."""
    if outcome == FAIL and verdict in ("supported", "not supported", "partially supported"):
        return f"{verdict}, {POOR_FIT_FLAG}"
    return verdict


def proposition_gate(outcomes: list[str]) -> str:
    """A proposition's gate outcome from its sub-hypotheses': fail when any model failed."""
    if FAIL in outcomes:
        return FAIL
    if outcomes and all(o == PASS for o in outcomes):
        return PASS
    if outcomes and all(o == NOT_APPLICABLE for o in outcomes):
        return NOT_APPLICABLE
    return NO_INDICES if outcomes else ""


def gate_text(gate: dict) -> str:
    """The gate in words, for the verdict rule."""
    action = ("the verdict stands, flagged 'but the model fits poorly'" if gate["action"] == "flag"
              else f"the sub-hypothesis is '{NOT_ASSESSABLE_FIT}', and so is its proposition")
    return (f"Fit gate: a verdict's model must have CFI >= {gate['cfi']}, TLI >= {gate['tli']}, RMSEA <= "
            f"{gate['rmsea']} and SRMR <= {gate['srmr']}; when it fails, {action}. Indices: {INDICES_USED}. "
            f"Local SAM is judged by its measurement blocks with df > 0 (its structural model is saturated); "
            f"composite-score GLMs have no fit indices.")
