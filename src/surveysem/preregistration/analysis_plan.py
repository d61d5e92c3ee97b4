"""The analysis part of the pre-registration: screening and exclusions, missing data, the models
and the verdict rule, the other analyses reported, and the frozen configuration.

Settings are shown with the meaning the config schema gives them (``description:`` of
``src/surveysem/schemas/config.yaml``), so the document says what the pipeline does.
"""

from __future__ import annotations

from functools import lru_cache

import yaml

from surveysem.config_docs import load_schema, schema_keys
from surveysem.io import canonical_json_sha256
from surveysem.preregistration import LOCK_FILE_NAME
from surveysem.preregistration.deviations import value_text
from surveysem.preregistration.lock import frozen_config
from surveysem.preregistration.render import (
    Bullets,
    Code,
    DocSection,
    DocTable,
    Para,
    Pre,
)
from surveysem.propositions.hypotheses import rule_text

SCREENING_RULES = ("unfinished", "duplicates", "eligibility", "attention", "speeders", "straightlining", "outliers")


@lru_cache(maxsize=1)
def descriptions() -> dict[str, str]:
    """Dotted config key -> its description in the schema."""
    return {key.path: str(key.schema.get("description", "")) for key in schema_keys(load_schema())}


def _get(config: dict, key: str):
    node = config
    for part in key.split("."):
        node = node[part]
    return node


def settings_table(title: str, config: dict, keys: list[str], note: str = "") -> DocTable:
    """Setting, value and meaning of each of ``keys``."""
    rows = [[key, value_text(_get(config, key)), descriptions().get(key, "")] for key in keys]
    return DocTable(title, ["Setting", "Value", "Meaning"], rows, note=note)


def _leaf_keys(config: dict, section: str) -> list[str]:
    """The dotted keys of the leaves of ``section`` (a list is one leaf)."""
    out = []

    def walk(node, key):
        if isinstance(node, dict) and node:
            for k, v in node.items():
                walk(v, f"{key}.{k}")
        else:
            out.append(key)

    walk(_get(config, section), section)
    return out


def screening(plan) -> DocSection:
    cfg = plan.config["screening"]
    order = list(cfg["order"])
    applied = [[f"{step}. {name}", "applied" if cfg[name].get("enabled", True) else "switched off (enabled: false)",
                "; ".join(f"{k}: {value_text(v)}" for k, v in cfg[name].items() if k != "enabled"),
                descriptions().get(f"screening.{name}", "")]
               for step, name in enumerate(order, 1)]
    skipped = [name for name in SCREENING_RULES if name not in order]
    blocks = [Para([("Respondents are screened by the rules below in this order; a respondent is excluded at the first "
                     "rule failed, and every failure of every rule is listed (results/screening/exclusions.csv). "
                     "The analysis uses the respondents retained.")]),
              DocTable("Screening rules", ["Step", "Status", "Settings", "Rule"], applied)]
    if skipped:
        blocks.append(Para([f"Not applied (not in screening.order): {', '.join(skipped)}."]))
    if "eligibility" in order and plan.inst.eligibility:
        blocks.append(DocTable("Born-global eligibility criteria (scales/eligibility.yaml)",
                               ["Criterion", "Rule", "Description"],
                               [[r.id, f"{r.variable} {r.operator} {value_text(r.threshold)}", r.description]
                                for r in plan.inst.eligibility],
                               note="A respondent whose value is missing cannot be shown to be eligible and fails."))
    return DocSection("screening", "Screening and exclusion rules", "AsPredicted 6 · OSF Prereg: data exclusion, "
                      "outliers", blocks)


def missing_data(plan) -> DocSection:
    keys = ["data.missing_codes", "data.missing", "measurement.min_item_share", "p4.missing"]
    return DocSection("missing-data", "Missing data", "OSF Prereg: missing data", [
        settings_table("Missing-data settings", plan.config, keys),
        Bullets([
            ["Measurement models (CFA, invariance) use data.missing; with fiml every answered item counts."],
            [("P1–P3 latent models: each capability's measurement block by ML, FIML when its items have missing "
              "answers; a firm missing the outcome, a control or every item of a construct is left out and counted.")],
            [("Composite scores (the composite-score GLMs): the mean of the answered items of a construct when at "
              "least measurement.min_item_share of them are answered, else missing.")],
            ["P4 SEM: p4.missing."],
        ]),
    ])


def models(plan) -> DocSection:
    cfg = plan.config
    rule_keys = [k for k in _leaf_keys(cfg, "verdict_rule")]
    model_keys = ["measurement.estimator", "p4.estimator", "p4.models", "p4.level", "bootstrap.B", "bootstrap.level",
                  "bootstrap.seed"]
    return DocSection("models", "Models and the verdict rule", "AsPredicted 5 · OSF Prereg: statistical models, "
                      "inference criteria", [
        Para([("The estimator of each sub-hypothesis is named in section 2. The verdict rule, as the report words it "
               "beside every verdict:")]),
        Para([rule_text(cfg["verdict_rule"], cfg["p4"]["level"])]),
        settings_table("Settings of the verdict rule", cfg, rule_keys),
        settings_table("Settings of the models", cfg, model_keys),
    ])


def other_analyses(plan) -> DocSection:
    checks = [f"{h.id}: {', '.join([h.family, *h.checks])}" for h in plan.hyps if not h.is_sem and not h.is_paths]
    typology = [f"{h.id} in group {h.typology_group}" for h in plan.hyps if h.typology_group]
    group = plan.config["measurement"]["invariance_group"]
    items = [["Measurement: reliability (alpha, omega, CR), EFA, the CFA of all scales, AVE, Fornell–Larcker, HTMT, "
              "common-method variance (Harman, marker, common latent factor, full-collinearity VIF)"
              + (f", measurement invariance across {group}" if group else "") + "."]]
    if checks:
        items.append([(f"Composite-score GLMs of each proposition ({'; '.join(checks)}), reported beside the latent "
                       "verdicts.")])
    if typology:
        items.append([f"Capability × typology-group interaction tests ({', '.join(typology)})."])
    items.append(["P4: every model of p4.models and their comparisons."])
    return DocSection("other-analyses", "Other analyses reported", "AsPredicted 8 · OSF Prereg: exploratory analysis", [
        Para(["Reported beside the verdicts; the verdicts are decided by the rule of section 8 alone."]),
        Bullets(items),
    ])


def frozen(plan) -> DocSection:
    config = frozen_config(plan.config)
    return DocSection("frozen-config", "The configuration pre-registered", "OSF Prereg: analysis scripts and "
                      "settings", [
        Para([("The analysis sections of the configuration (every section but simulate:, the population model of "
               "surveysem simulate) have SHA-256 "), Code(canonical_json_sha256(config)), (" as canonical JSON (sorted "
                                                                                          "keys). "), Code("surveysem preregister"), " freezes them, with digests of the instrument, into ",
              Code(LOCK_FILE_NAME), (" beside the config file; commit that file. From then on the overview page of "
                                     "every report (reports/index.html) lists each difference between the configuration of the run and "
                                     "the frozen one, or says there is none.")]),
        Pre(yaml.safe_dump(config, sort_keys=False, allow_unicode=True).rstrip("\n")),
    ])
