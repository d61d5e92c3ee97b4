"""Hypotheses are data: the config key ``hypotheses`` parsed into :class:`Hypothesis` objects.

Each entry of the list ``hypotheses:`` in ``config/config.yaml`` is one proposition::

    - id: P1
      statement: "Post-entry speed of international spread is accelerated by PDC, SOE, ECP, CUS"
      outcome: spread                 # spread | diversification | intensity | growth
      family: gamma_log               # the model the verdict uses (see FAMILIES_BY_OUTCOME)
      checks: [ols_log]               # robustness models, reported beside it
      predictors: [PDC, SOE, ECP, CUS, "ECP:SOE"]   # construct ids; "A:B" is an interaction
      expected: ["+", "+", "+", "+", "-"]           # one sign per predictor (or one for all)
      sub_ids: [P1a, P1b, P1c, P1d, P1e]            # optional; default P1a, P1b, ...
      controls: [{variable: age, transform: log}, {variable: size}, {variable: tech_intensity, categorical: true}]
      typology_group: 1               # the firm group in which these capabilities should matter more

P4 (``outcome: growth``, ``family: sem``) names ``processes`` (sensing / seizing / reconfiguring ->
construct ids) instead of ``predictors``; its sub-hypotheses P4a..P4c are the three processes.

A user adds a hypothesis (e.g. on the OIE constructs) by adding an entry; nothing in the code
changes. Every problem is one line naming the key, e.g.
``config/config.yaml: hypotheses[2].predictors[1]: unknown construct 'XYZ'``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from surveysem.errors import SurveySemError
from surveysem.resampling import TOO_FEW_RESAMPLES

NOT_ASSESSABLE = "not assessable"

FAMILIES_BY_OUTCOME = {
    "spread": ("gamma_log", "ols_log"),
    "diversification": ("binomial", "quasibinomial", "poisson"),
    "intensity": ("fractional_logit",),
    "growth": ("sem",),
}

# Used when no instrument is at hand (tests, a config check without scales/).
# The process grouping of the bundled instrument (its capabilities' process:), for parsing
# without an instrument at hand.
DEFAULT_PROCESSES = {
    "sensing": ["PDC", "CCA", "EFT"],
    "seizing": ["SOE", "ECP", "ODV", "TEC", "BMM"],
    "reconfiguring": ["CUS", "TOC", "ICO"],
}
DEFAULT_CONSTRUCTS = (
    "PDC", "CCA", "EFT", "SOE", "ECP", "ODV", "TEC", "BMM", "CUS", "TOC", "ICO",
    "OIE_RSP", "OIE_IEM", "OIE_IOC", "OIE_CEN", "MARKER",
)


@dataclass(frozen=True)
class Control:
    variable: str
    transform: str = "none"
    categorical: bool = False
    construct: bool = False  # a construct held constant (its score / latent factor), not an observed control

    @property
    def name(self) -> str:
        return f"log_{self.variable}" if self.transform == "log" else self.variable


@dataclass(frozen=True)
class SubHypothesis:
    id: str
    proposition: str
    term: str  # construct id, "A:B" for an interaction, or a process name for P4
    expected: str  # "+" or "-"

    @property
    def is_interaction(self) -> bool:
        return ":" in self.term


@dataclass
class Hypothesis:
    id: str
    statement: str
    outcome: str
    family: str
    checks: list[str]
    predictors: list[str]
    subs: list[SubHypothesis]
    controls: list[Control]
    typology_group: int | None = None
    se: str = "HC1"
    overdispersion: float = 1.2
    processes: dict[str, list[str]] = field(default_factory=dict)
    estimator: str = "sam"
    item_scores: str = "linearised"  # linearised | raw: how latent estimators read ordinal answers
    model: str = ""  # a structural model in lavaan syntax over the constructs (latent_paths)
    model_constructs: list[str] = field(default_factory=list)
    # common-method factor of the latent measurement model: auto | marker | none (latent_method)
    method_factor: str = "none"

    @property
    def observed_controls(self) -> list[Control]:
        return [c for c in self.controls if not c.construct]

    @property
    def control_constructs(self) -> list[str]:
        return [c.variable for c in self.controls if c.construct]

    @property
    def main_terms(self) -> list[str]:
        return [p for p in self.predictors if ":" not in p]

    @property
    def interactions(self) -> list[str]:
        return [p for p in self.predictors if ":" in p]

    @property
    def is_paths(self) -> bool:
        """A structural-model hypothesis (``model:``), tested on labelled parameters."""
        return bool(self.model)

    @property
    def constructs(self) -> list[str]:
        """Constructs of the predictors (tested) or of the model, in order; construct controls are apart."""
        if self.model:
            return list(self.model_constructs)
        seen: list[str] = []
        for p in self.predictors:
            for part in p.split(":"):
                if part not in seen:
                    seen.append(part)
        return seen

    @property
    def is_sem(self) -> bool:
        return self.family == "sem"


def _letters(i: int) -> str:
    out = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        out = chr(ord("a") + r) + out
    return out


class _Path:
    def __init__(self, file: str, prefix: str):
        self.file = file
        self.prefix = prefix

    def fail(self, key: str, problem: str):
        raise SurveySemError(f"{self.prefix}{key}: {problem}", file=self.file)


def entry_constructs(entry: dict) -> set[str]:
    """Every construct a config entry of ``hypotheses`` names (predictors, construct controls,
    model variables but the outcome); a growth entry names none (its processes come from the scales)."""
    from surveysem.propositions.model_syntax import model_variables

    names: set[str] = set()
    for p in entry.get("predictors") or []:
        names.update(str(p).split(":"))
    for c in entry.get("controls") or []:
        if isinstance(c, dict) and c.get("construct"):
            names.add(str(c["construct"]))
    if entry.get("model"):
        try:
            names |= model_variables(str(entry["model"]))[0] - {entry.get("outcome")}
        except SurveySemError:
            pass  # reported by parse_hypotheses
    return names


def parse_hypotheses(entries, known_constructs=None, config_name: str = "config/config.yaml",
                     processes: dict[str, list[str]] | None = None) -> list[Hypothesis]:
    """Check the validated config list ``hypotheses`` and return :class:`Hypothesis` objects.

    ``entries`` have passed the config schema (types, allowed values and keys, defaults filled in);
    this adds what a schema cannot say: unique ids, families that fit the outcome, predictors and
    process members that are constructs (``known_constructs``: instrument or score columns;
    default :data:`DEFAULT_CONSTRUCTS`), interactions of main effects, one sign and one sub-id per
    predictor. A problem is one line naming the key. ``processes`` (process -> capabilities, the
    analysed scales' grouping, :func:`surveysem.instrument.analysed.capability_processes`; default
    :data:`DEFAULT_PROCESSES`) are the predictors of a growth (SEM) hypothesis.
    """
    known = set(DEFAULT_CONSTRUCTS if known_constructs is None else known_constructs)
    processes = DEFAULT_PROCESSES if processes is None else processes
    if not isinstance(entries, list) or not entries:
        raise SurveySemError("hypotheses: must be a non-empty list of propositions", file=config_name)
    out: list[Hypothesis] = []
    ids: set[str] = set()
    sub_seen: set[str] = set()
    for i, entry in enumerate(entries):
        out.append(_parse_hypothesis(entry, _Path(config_name, f"hypotheses[{i}]."), known, ids, sub_seen,
                                     processes))
    return out


def _parse_hypothesis(entry: dict, at: _Path, known: set, ids: set, sub_seen: set,
                      processes: dict[str, list[str]]) -> Hypothesis:
    hid = entry["id"]
    if hid in ids:
        at.fail("id", f"duplicate hypothesis id {hid!r}")
    ids.add(hid)
    outcome = entry["outcome"]
    family = _family(entry, at, outcome)
    model, model_constructs = "", []
    if family == "sem":
        processes = _processes(processes, at)
        predictors = list(processes)
    elif entry.get("model"):
        processes, (model, model_constructs, predictors) = {}, _paths_model(entry, at, known, outcome)
    else:
        processes, predictors = {}, _predictors(entry, at, known)
    expected = _signs(entry, at, predictors)
    sub_ids = _sub_ids(entry, at, hid, predictors, sub_seen)
    controls = _controls(entry, at, known, predictors)
    subs = [SubHypothesis(sub_ids[j], hid, predictors[j], expected[j]) for j in range(len(predictors))]
    return Hypothesis(
        id=hid, statement=str(entry["statement"]), outcome=outcome, family=family, checks=list(entry["checks"]),
        predictors=list(predictors), subs=subs, controls=controls, typology_group=entry.get("typology_group"),
        se=entry["se"], overdispersion=float(entry["overdispersion"]), processes=processes,
        estimator="sem" if family == "sem" else entry["estimator"], item_scores=entry["item_scores"], model=model,
        model_constructs=model_constructs, method_factor=_method_factor(entry, at, family, model),
    )


def _method_factor(entry: dict, at: _Path, family: str, model: str) -> str:
    """``method_factor`` of the entry: the marker-based method factor exists for the SAM
    regressions only (not the full SEM, model hypotheses or composites), so ``auto`` is ``none``
    there and an explicit ``marker`` is an error."""
    value = entry.get("method_factor", "auto")
    supported = family != "sem" and not model and entry.get("estimator", "sam") == "sam"
    if supported or value == "none":
        return value
    if value == "marker":
        at.fail("method_factor", "marker is available for estimator sam with predictors (not sem, composite_glm "
                                 "or a model hypothesis); use none or auto")
    return "none"


def _paths_model(entry: dict, at: _Path, known: set, outcome: str) -> tuple[str, list[str], list[str]]:
    """(syntax, its constructs in order of appearance, tested parameter names) of a ``model:`` entry."""
    from surveysem.propositions.model_syntax import model_variables

    if entry.get("predictors"):
        at.fail("predictors", "a hypothesis has either predictors or a model, not both")
    if entry["estimator"] == "composite_glm":
        at.fail("estimator", "a model hypothesis is estimated with latent constructs: sam or sem")
    if outcome not in ("spread", "diversification", "intensity"):
        at.fail("outcome", "a model hypothesis explains spread, diversification or intensity")
    syntax = str(entry["model"])
    try:
        variables, labels, defined = model_variables(syntax)
    except SurveySemError as err:
        at.fail("model", err.one_line())
    unknown = sorted(v for v in variables if v != outcome and v not in known)
    if unknown:
        at.fail("model", f"unknown construct(s) {', '.join(unknown)} (use construct ids and the outcome {outcome!r})")
    if outcome not in variables:
        at.fail("model", f"the outcome {outcome!r} does not appear in the model")
    expected = entry["expected"]
    if not isinstance(expected, dict) or not expected:
        at.fail("expected", "a model hypothesis names its tested parameters: {label: '+' or '-', ...}")
    for name in expected:
        if name not in labels and name not in defined:
            at.fail(f"expected.{name}", f"{name!r} is neither a label nor a := definition of the model")
    order = [v for v in dict.fromkeys(re.findall(r"[A-Za-z_][A-Za-z0-9_.]*", syntax)) if v in variables and v != outcome]
    return syntax, order, list(expected)


def _controls(entry: dict, at: _Path, known: set, predictors: list[str]) -> list[Control]:
    out = []
    for j, c in enumerate(entry["controls"]):
        if "construct" in c:
            name = c["construct"]
            if name not in known:
                at.fail(f"controls[{j}].construct", f"unknown construct {name!r}")
            if any(name in p.split(":") for p in predictors):
                at.fail(f"controls[{j}].construct", f"{name!r} is a predictor; a construct cannot also be a control")
            if any(o.construct and o.variable == name for o in out):
                at.fail(f"controls[{j}].construct", f"{name!r} is listed twice")
            out.append(Control(name, construct=True))
        else:
            out.append(Control(c["variable"], c.get("transform", "none"), bool(c.get("categorical", False))))
    return out


def _family(entry: dict, at: _Path, outcome: str) -> str:
    """The model family (by default the first that fits the outcome); checks must fit it too."""
    fitting = FAMILIES_BY_OUTCOME[outcome]
    family = entry.get("family") or fitting[0]
    if family not in fitting:
        at.fail("family", f"family {family!r} does not fit outcome {outcome!r} (use one of {', '.join(fitting)})")
    for j, fam in enumerate(entry["checks"]):
        if fam not in fitting:
            at.fail(f"checks[{j}]", f"family {fam!r} does not fit outcome {outcome!r}")
    return family


def _processes(processes: dict[str, list[str]], at: _Path) -> dict[str, list[str]]:
    if len(processes) < 2:
        at.fail("outcome", f"a growth (SEM) hypothesis needs capabilities in at least two processes; the analysed "
                           f"scales have {', '.join(processes) or 'none'} (process: in scales/ or config scales:)")
    return {name: list(members) for name, members in processes.items()}


def _predictors(entry: dict, at: _Path, known: set) -> list[str]:
    predictors = entry.get("predictors")
    if not predictors:
        at.fail("predictors", "must be a non-empty list of construct ids")
    for j, p in enumerate(predictors):
        parts = p.split(":")
        if len(parts) > 2:
            at.fail(f"predictors[{j}]", f"only two-way interactions are supported: {p!r}")
        for part in parts:
            if part not in known:
                at.fail(f"predictors[{j}]", f"unknown construct {part!r}")
        if len(parts) == 2:
            if parts[0] == parts[1]:
                at.fail(f"predictors[{j}]", f"interaction of {parts[0]!r} with itself: write a quadratic term as "
                                            "a construct of its own")
            for part in parts:
                if part not in predictors:
                    at.fail(f"predictors[{j}]", f"interaction {p!r} needs {part!r} as a main effect too")
    if len(set(predictors)) != len(predictors):
        at.fail("predictors", "a construct is listed twice")
    return list(predictors)


def _signs(entry: dict, at: _Path, predictors: list[str]) -> list[str]:
    expected = entry["expected"]
    if isinstance(expected, dict):
        if not entry.get("model"):
            at.fail("expected", "a mapping of signs is for model hypotheses; give one sign or a list")
        return [expected[p] for p in predictors]
    if isinstance(expected, str):
        expected = [expected] * len(predictors)
    if len(expected) != len(predictors):
        at.fail("expected", f"needs one sign per predictor ({len(predictors)}), or one sign for all")
    return list(expected)


def _sub_ids(entry: dict, at: _Path, hid: str, predictors: list[str], sub_seen: set) -> list[str]:
    sub_ids = entry.get("sub_ids") or [f"{hid}{_letters(j)}" for j in range(len(predictors))]
    if len(sub_ids) != len(predictors):
        at.fail("sub_ids", f"needs one id per predictor ({len(predictors)})")
    for j, s in enumerate(sub_ids):
        if s in sub_seen:
            at.fail(f"sub_ids[{j}]", f"duplicate sub-hypothesis id {s!r}")
        sub_seen.add(s)
    return list(sub_ids)


# --------------------------------------------------------------------------- verdict rule


def rule_text(rule: dict, level: float = 0.95) -> str:
    """The verdict rule in words; written beside every verdict table."""
    from surveysem.propositions.fit_gate import gate_text
    from surveysem.propositions.model_choice import choice_text

    adj = "Holm-adjusted (within the proposition) " if rule["adjust"] == "holm" else "unadjusted "
    model = {"a": "model (a), correlated processes -> growth",
             "b": "model (b), the process chain sensing -> seizing -> reconfiguration -> growth",
             "c": "model (c)"}.get(rule["p4_model"], rule["p4_model"])
    eff = "total effect" if rule["p4_effects"] == "total" else "direct path"
    ci = ("bootstrap percentile" if rule["p4_ci"] == "bootstrap" else "Wald (delta-method)")
    return (
        f"P1-P3 sub-hypothesis: supported when the coefficient of its estimator (by default the latent-capability "
        f"SAM model with robust two-step SEs; the estimator of each verdict is named beside it) has the "
        f"predicted sign and its {adj}one-sided p < {rule['alpha']}; not supported otherwise. "
        f"Proposition: supported when all its sub-hypotheses are supported, partially supported when some are, "
        f"not supported when none are. "
        f"P4 sub-hypotheses P4a-P4c (sensing, seizing, reconfiguration): supported when the {eff} of the process on "
        f"latent growth in {model} is positive and its {round(level * 100)}% {ci} CI excludes 0; "
        f"P4 supported when all three are, partially when one or two are, not supported when none are; a bootstrap "
        f"verdict is flagged when more than {rule.get('bootstrap_max_failed', 0.05):.0%} of its resamples failed. "
        f"Non-converged or non-estimable models give 'not estimable'; a bootstrap CI from fewer converged "
        f"resamples than a percentile CI at its level needs (5 beyond each bound: B >= 10 / (1 - level), 200 at "
        f"95%) gives '{TOO_FEW_RESAMPLES}', and so does its proposition. "
        f"{gate_text(rule['fit_gate'])} {choice_text(rule['p4_model_choice'], rule['p4_model'])}"
    )


def proposition_verdict(sub_verdicts: list[str]) -> str:
    ok = [v == "supported" for v in sub_verdicts]
    if not sub_verdicts or any(v == "not estimable" for v in sub_verdicts) and not any(ok):
        return "not estimable"
    undecided = [v for v in sub_verdicts if v.startswith(NOT_ASSESSABLE)]
    if undecided:
        # a sub-hypothesis that cannot be judged (too few resamples, model fit, model choice) leaves
        # the proposition undecided
        return undecided[0]
    if all(ok):
        return "supported"
    if any(ok):
        return "partially supported"
    return "not supported"
