"""What each rule reads: config keys, instrument facets and code, as Snakemake params.

A step reads configuration only through its rule's params, so an edit of a key reruns exactly
the rules that read it (Snakemake compares params with those of the last run). Each read key
becomes one param per leaf whose value names itself, ``("screening.straightlining.threshold",
20)``: a dry run then says which keys changed instead of printing whole sections.

Key paths: ``"measurement.cmv"`` is a section (all its leaves), ``"hypotheses[P1]"`` the
hypothesis with id P1 (``hypotheses[*]`` every hypothesis), ``""`` the whole config.
``"scales[of:P1]"`` is what the statistics of P1 read of the analysed scales: the ``scales:``
entries of P1's constructs with the item ids of ``drop:`` but not the reasons (a reason is
printed, never computed with); ``"scales[of:*]"`` the same of every entry. The
``simulate:`` section is read by ``surveysem simulate`` and the power study only (rules
``power_chunk`` and ``power_summary``, outside the default target). A list is
one leaf. :func:`config_from_params` rebuilds the nested config a step receives; it holds
exactly the keys declared here (defaults were filled in at validation), so a step that looked
for another key would fail instead of silently using a default.
"""

from __future__ import annotations

import re

# Every section but simulate: (the population model of `surveysem simulate`, which no rule reads):
# what the analysis runs with, and what `surveysem preregister` freezes.
ANALYSIS_SECTIONS = ("study", "instrument", "data", "screening", "outcomes", "measurement", "scales", "hypotheses",
                     "verdict_rule", "p4", "bootstrap")
# Rule -> config keys its step reads. {hyp} stands for the rule's hypothesis wildcard.
P4_DATA = ("p4.estimator", "p4.missing", "p4.diversification_correction", "p4.intensity_clip", "p4.regions")
POWER_STUDY = ("power.seed", "power.replications", "power.chunks", "power.propositions", "power.p4_bootstrap", "simulate",
               "study.survey_year", "outcomes.home_country", "hypotheses[*]", "scales[of:*]", "verdict_rule", "p4",
               "measurement.min_item_share", "measurement.cmv.marker", "data.missing", "bootstrap")
CONFIG_READS: dict[str, tuple[str, ...]] = {
    "instrument_codebook": ("study.title", "scales"),
    "data_ingest": ("data", "study.survey_year", "screening.speeders.enabled", "screening.speeders.duration_column",
                    "screening.unfinished.column", "screening.duplicates.order_column"),
    "data_screen": ("screening", "study.survey_year", "outcomes.home_country"),
    "outcomes_table1_audit": ("outcomes.home_country", "outcomes.spread_decimals", "outcomes.table1",
                              "outcomes.table1_markets"),
    "outcomes_firm_outcomes": ("study.survey_year", "outcomes.home_country"),
    "measurement_reliability": ("scales[of:*]", "measurement.efa", "measurement.seed"),
    "measurement_cfa": ("scales[of:*]", "measurement.estimator", "measurement.max_iter", "measurement.min_item_share",
                        "measurement.factor_scores", "measurement.cmv", "data.missing"),
    "measurement_htmt": ("scales[of:*]", "measurement.htmt_bootstrap_B", "measurement.seed", "data.missing"),
    "measurement_invariance": ("scales[of:*]", "measurement.invariance_group", "measurement.invariance_scope",
                               "measurement.partial_invariance", "measurement.estimator", "data.missing"),
    "measurement_dropped": ("scales[of:*]", "measurement.estimator", "measurement.max_iter", "data.missing"),
    "measurement_verdicts": ("scales[of:*]", "measurement.thresholds"),
    # only in the pipeline with measurement.ordinal_check: true (workflow/rules/measurement.smk)
    "measurement_ordinal": ("scales[of:*]", "measurement.ordinal_check", "measurement.max_iter", "data.missing"),
    "propositions_regression": ("hypotheses[{hyp}]", "scales[of:{hyp}]", "measurement.min_item_share",
                                "verdict_rule.alpha", "verdict_rule.adjust", "p4.regions", "p4.level"),
    # the marker scale and its id: the method factor of the SAM measurement model (method_factor)
    "propositions_latent": ("hypotheses[{hyp}]", "scales[of:{hyp}]", "scales[of:marker]", "measurement.cmv.marker",
                            "verdict_rule.alpha", "verdict_rule.adjust", "p4.regions", "p4.level",
                            "p4.diversification_correction", "p4.intensity_clip"),
    "propositions_typology": ("hypotheses[*]", "scales[of:*]", "measurement.min_item_share", "p4.regions", "p4.level",
                              "p4.typology_min_group_n"),
    "propositions_p4_fit": ("hypotheses[{sem}]", "scales[of:*]", *P4_DATA, "p4.models", "p4.level",
                            "p4.multigroup_min_n"),
    # the sensitivity model (p4.ordinal_check): the P4 models with the items ordered, WLSMV; the
    # verdict rule names the tested parameters
    "propositions_p4_ordinal": ("hypotheses[{sem}]", "scales[of:*]", *P4_DATA, "p4.models", "p4.level",
                                "p4.ordinal_check", "verdict_rule.p4_model", "verdict_rule.p4_effects"),
    "propositions_bootstrap_chunk": ("hypotheses[{sem}]", "scales[of:*]", *P4_DATA, "bootstrap.B", "bootstrap.chunks",
                                     "bootstrap.seed", "bootstrap.model", "bootstrap.max_iter", "bootstrap.em_tol",
                                     "bootstrap.tol"),
    "propositions_bootstrap_merge": ("hypotheses[{sem}]", "scales[of:*]", *P4_DATA, "bootstrap.B", "bootstrap.model",
                                     "bootstrap.level"),
    "propositions_verdicts": ("hypotheses[*]", "verdict_rule", "p4.level"),
    # The power study: its replications judge every studied hypothesis as the pipeline does, on
    # studies drawn from the simulate: population (a chunk does not read power.sizes: adding a
    # size reruns no finished chunk).
    "power_chunk": POWER_STUDY,
    "power_summary": (*POWER_STUDY, "power.sizes", "power.truth_n"),
    "report_power": ("study.title", "power", "verdict_rule.alpha"),
    # The provenance page prints the config the pipeline ran with and the index page its deviations
    # from the pre-registered one: every analysis section.
    "report_pages": ANALYSIS_SECTIONS,
    # The pre-registration describes the planned analysis: the same sections.
    "preregistration_document": ANALYSIS_SECTIONS,
}

# Rule -> instrument facets (surveysem.instrument.facets) its step uses.
INSTRUMENT_READS: dict[str, tuple[str, ...]] = {
    "instrument_codebook": ("text",),
    "data_ingest": ("items", "decoding", "profile", "regions"),
    "data_screen": ("items", "profile", "eligibility", "regions"),
    "outcomes_firm_outcomes": ("profile", "regions"),
    "measurement_reliability": ("items",),
    "measurement_cfa": ("items",),
    "measurement_htmt": ("items",),
    "measurement_invariance": ("items",),
    "measurement_dropped": ("items",),
    "measurement_verdicts": ("items",),
    "measurement_ordinal": ("items",),
    "propositions_regression": ("items",),
    "propositions_latent": ("items",),
    "propositions_typology": ("items",),
    "propositions_p4_fit": ("items",),
    "propositions_p4_ordinal": ("items",),
    "propositions_bootstrap_chunk": ("items",),
    "propositions_bootstrap_merge": ("items",),
    "report_pages": ("text",),
    "power_chunk": ("items", "profile", "eligibility", "regions"),
    "power_summary": ("items", "profile", "eligibility", "regions"),
    "preregistration_document": ("text",),
}

_SELECTOR = re.compile(r"^(?P<list>\w+)\[(?P<id>[^\]]+)\]$")


def config_leaves(config: dict, paths, **wildcards) -> dict[str, object]:
    """``{dotted key: value}`` for every leaf under ``paths`` (in config order)."""
    out: dict[str, object] = {}
    for path in paths:
        path = path.format(**wildcards) if wildcards else path
        for key, value in _select(config, path):
            _flatten(key, value, out)
    return out


def _select(config: dict, path: str):
    """(dotted key, value) pairs that ``path`` names; a missing key is a programming error."""
    if path == "":
        return list(config.items())
    if path.startswith("scales[of:"):
        return _scales_read(config, path[len("scales[of:"):-1])
    node, key = config, ""
    parts = path.split(".")
    for i, part in enumerate(parts):
        match = _SELECTOR.match(part)
        if match:
            items = node[match["list"]] or []
            wanted = match["id"]
            chosen = [h for h in items if wanted == "*" or h.get("id") == wanted]
            prefix = f"{key}{'.' if key else ''}{match['list']}"
            rest = ".".join(parts[i + 1:])
            return [(f"{prefix}[{h['id']}]" + (f".{rest}" if rest else ""), _get(h, rest)) for h in chosen]
        node = node[part]
        key = f"{key}.{part}" if key else part
    return [(key, node)]


def _scales_read(config: dict, hyp: str) -> list[tuple[str, object]]:
    """The ``scales:`` entries the statistics of hypothesis ``hyp`` (``*``: all; ``marker``: the
    marker scale of ``measurement.cmv.marker``) use, reasons left out."""
    from surveysem.instrument.analysed import REASON_GIVEN
    from surveysem.propositions.hypotheses import entry_constructs

    scales = config.get("scales") or {}
    wanted = None
    if hyp == "marker":
        wanted = {config["measurement"]["cmv"]["marker"]}
    elif hyp != "*":
        entry = next(h for h in config["hypotheses"] if h.get("id") == hyp)
        wanted = entry_constructs(entry)
    out = []
    for cid, entry in scales.items():
        if wanted is not None and cid not in wanted:
            continue
        for key, value in entry.items():
            if key in ("drop", "reason"):  # the items that leave, not the reasons' text
                value = sorted(value) if key == "drop" else REASON_GIVEN
            out.append((f"scales.{cid}.{key}", value))
    return out


def _get(node, dotted: str):
    for part in filter(None, dotted.split(".")):
        node = node[part]
    return node


def _flatten(key: str, value, out: dict) -> None:
    if isinstance(value, dict) and value:
        for k, v in value.items():
            part = f"#{k}" if isinstance(k, int) else str(k)  # integer keys (probability tables) stay integers
            _flatten(f"{key}.{part}" if key else part, v, out)
    else:
        out[key] = value


def as_params(leaves: dict[str, object], prefix: str = "config") -> dict[str, tuple[str, object]]:
    """Snakemake params: one per leaf, named ``<prefix>_<n>``, valued ``(dotted key, value)``."""
    return {f"{prefix}_{n}": (key, value) for n, (key, value) in enumerate(leaves.items())}


def rule_config_params(config: dict, rule: str, wildcard: str | None = None, values=(), **fixed) -> dict:
    """The config params of ``rule``. With a ``wildcard`` (e.g. ``hyp``) and its ``values``, each
    param is a function of the job's wildcards (Snakemake needs the same names for every job;
    a job with fewer keys gets ``None`` for the rest)."""
    reads = CONFIG_READS[rule]
    if wildcard is None:
        return as_params(config_leaves(config, reads, **fixed))
    per_value = {v: list(config_leaves(config, reads, **{wildcard: v}, **fixed).items()) for v in values}
    width = max((len(leaves) for leaves in per_value.values()), default=0)

    def nth(n: int):
        return lambda wildcards: (per_value[wildcards[wildcard]][n]
                                  if n < len(per_value[wildcards[wildcard]]) else None)

    return {f"config_{n}": nth(n) for n in range(width)}


def config_from_params(params: dict, prefix: str = "config") -> dict:
    """The nested config of the ``<prefix>_<n>`` params (other params, and ``None`` values of
    rules whose jobs read fewer keys than others, are ignored).

    ``hypotheses[P1].x`` becomes an entry of the list ``hypotheses`` whose ``id`` is ``P1``.
    """
    out: dict = {}
    for name, value in params.items():
        if not name.startswith(f"{prefix}_") or value is None:
            continue
        key, leaf = value
        _assign(out, key.split("."), leaf)
    return _lists_of_selected(out)


def _assign(node: dict, parts: list[str], leaf) -> None:
    keys = [int(p[1:]) if p.startswith("#") and p[1:].lstrip("-").isdigit() else p for p in parts]
    for key in keys[:-1]:
        node = node.setdefault(key, {})
    node[keys[-1]] = leaf


def _lists_of_selected(node):
    """``{"hypotheses[P1]": {...}}`` -> ``{"hypotheses": [{"id": "P1", ...}]}`` (recursively)."""
    if not isinstance(node, dict):
        return node
    out: dict = {}
    for key, value in node.items():
        match = _SELECTOR.match(key) if isinstance(key, str) else None
        value = _lists_of_selected(value)
        if match:
            out.setdefault(match["list"], []).append(value)
        else:
            out[key] = value
    return out
