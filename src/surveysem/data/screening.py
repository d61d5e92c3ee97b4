"""Screening respondents: data-quality rules and born-global eligibility.

Every rule can be switched off and tuned in the ``screening:`` section of the config.
Rules are applied in ``screening.order`` (default below); a respondent is excluded at the
first rule failed. Each rule is nevertheless evaluated for *every* respondent, so
``results/screening/exclusions.csv`` lists every (respondent, rule) failure, with
``excluded = 1`` on the rule that excluded the respondent. ``flow.csv`` has one row per
applied rule: step, rule, n_before, n_excluded, n_after.

Rules (defaults in the config schema, ``surveysem/schemas/config.yaml``):

``duplicates``
    Two submissions are duplicates when their respondent ids are equal after
    normalisation (case-folded, all whitespace removed) or when their item response
    vectors over all rated items are identical (missing equals missing; vectors with fewer
    than two different answers outside attention checks are not compared: two
    straight-liners are not one person submitting twice). The first submission is kept, "first" by
    ``duplicates.order_column`` (RecordedDate) when it parses as dates, else file order.
``eligibility``
    The born-global sampling criteria of ``scales/eligibility.yaml`` (Yang & Stoian 2024,
    Section 3.3), one step per criterion (``eligibility:<id>``). Derived variables:
    ``years_to_first_foreign_sale = FIRSTSALE - FOUNDED``, ``n_continents`` = distinct
    continents (``scales/regions.csv``) of the MARKETS countries (the home country,
    config ``outcomes.home_country``, is not counted),
    ``years_of_international_experience = study.survey_year - FIRSTSALE``; any other
    variable name is a profile column. A respondent whose value is missing cannot be
    shown to be eligible and fails the criterion (value ``NA``).
``attention``
    Every attention-check item (construct kind ``attention``, e.g. ATTN1) must equal its
    ``expected`` answer; a missing answer fails.
``speeders``
    Completion time (``speeders.duration_column``, Qualtrics' "Duration (in seconds)")
    below the threshold fails. With ``relative_to_median: true`` (default) the threshold is
    ``threshold`` x the median completion time of the respondents entering the step
    (default 1/3 of the median); otherwise ``threshold`` is in seconds. Missing times do
    not fail.
``straightlining``
    Long-string index: the longest run of identical consecutive answers over the rated
    items (all constructs except attention checks) in questionnaire order; missing
    answers are skipped (the run continues across them). Fails when the index is
    >= ``threshold`` (default 20 of the 79 rated items: with reverse-keyed items
    interspersed, an attentive respondent rarely gives one answer 20 times in a row).
``outliers``
    Multivariate outliers on the capability items: squared Mahalanobis distance from the
    mean, with mean and covariance estimated on the respondents entering the step from
    *pairwise-available* data (each item mean over the answers given, each covariance over
    the respondents answering both items; complete cases alone would be too few: with 55
    items and 5% missing answers only about 1 in 15 respondents is complete). Each
    respondent's distance uses the items they answered (the matching sub-vector and
    sub-matrix) and is referred to a chi-square distribution with df = number of items
    answered; p < ``threshold`` (default .001) fails. When the covariance cannot be
    estimated or is not positive definite (e.g. n <= items + 1) the rule is skipped with a
    warning (no exclusions).
"""

from __future__ import annotations

import logging
import math
import operator as op
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from surveysem.errors import SurveySemError
from surveysem.data.markets import parse_market_history
from surveysem.data.validation import ID_OUT, ROW_OUT

log = logging.getLogger(__name__)

_OPS = {"<": op.lt, "<=": op.le, ">": op.gt, ">=": op.ge, "==": op.eq, "!=": op.ne}


@dataclass
class RuleOutcome:
    rule: str
    failed: pd.Series  # bool, index = frame index
    value: pd.Series  # what was measured, for exclusions.csv
    info: dict = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


@dataclass
class ScreeningResult:
    retained: pd.DataFrame
    exclusions: pd.DataFrame
    flow: pd.DataFrame
    report: dict


# --------------------------------------------------------------------------- rules


def _values(x) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "NA"
    if isinstance(x, (float, np.floating)) and float(x).is_integer():
        return str(int(x))
    if isinstance(x, (float, np.floating)):
        return f"{float(x):.6g}"
    return str(x)


def rated_items(inst) -> list[str]:
    """Rated items in questionnaire order, without attention checks (for the long-string index)."""
    return [i.id for c in inst.constructs.values() if c.kind != "attention" for i in c.items]


def capability_items(inst) -> list[str]:
    return [i.id for c in inst.constructs_of_kind("capability") for i in c.items]


def longest_run(values) -> int:
    """Longest run of identical consecutive answers, skipping missing ones."""
    best = run = 0
    last = None
    for v in values:
        if v is None or (isinstance(v, float) and math.isnan(v)):
            continue
        if last is not None and v == last:
            run += 1
        else:
            run = 1
        last = v
        best = max(best, run)
    return best


def rule_duplicates(frame: pd.DataFrame, active: pd.Index, inst, cfg: dict) -> RuleOutcome:
    items = [c for c in inst.item_ids if c in frame.columns]
    rated = set(rated_items(inst))
    is_rated = [c in rated for c in items]
    order_col = cfg["order_column"]
    warnings = []
    order = frame[ROW_OUT].astype(float)
    sort_keys = [order]
    if order_col and order_col in frame.columns:
        stamps = pd.to_datetime(frame[order_col], errors="coerce", format="mixed")
        if stamps.notna().all():
            sort_keys = [stamps, order]
        elif stamps.notna().any():
            warnings.append(f"duplicates: {order_col} does not parse as a date in every row; file order used")
    ranked = pd.DataFrame({f"k{i}": k for i, k in enumerate(sort_keys)}).sort_values(
        [f"k{i}" for i in range(len(sort_keys))], kind="stable").index
    failed = pd.Series(False, index=frame.index)
    value = pd.Series("", index=frame.index, dtype=object)
    seen_id: dict[str, object] = {}
    seen_vec: dict[tuple, object] = {}
    for pos in ranked:
        rid = frame.at[pos, ID_OUT]
        key = "".join(str(rid).split()).casefold() if rid is not None and rid == rid else None
        vec = tuple("NA" if pd.isna(v) else float(v) for v in frame.loc[pos, items]) if items else ()
        # a vector with one answer repeated is straight-lining, not evidence of a resubmission
        answered = len({v for v, rated in zip(vec, is_rated) if rated and v != "NA"}) >= 2
        if key is not None and key in seen_id:
            first = seen_id[key]
            failed[pos] = True
            value[pos] = f"same id as {frame.at[first, ID_OUT]} (row {frame.at[first, ROW_OUT]})"
        elif answered and vec in seen_vec:
            first = seen_vec[vec]
            failed[pos] = True
            value[pos] = f"same responses as {frame.at[first, ID_OUT]} (row {frame.at[first, ROW_OUT]})"
        if key is not None:
            seen_id.setdefault(key, pos)
        if answered:
            seen_vec.setdefault(vec, pos)
    return RuleOutcome("duplicates", failed, value, {"order_column": order_col}, warnings)


def eligibility_values(frame: pd.DataFrame, inst, survey_year: int | None,
                       home_country: str | None = None) -> dict[str, pd.Series]:
    """Derived variables of the eligibility rules, one Series each.

    ``home_country`` (config ``outcomes.home_country``) is not a foreign market: it does
    not count towards ``n_continents``.
    """
    home = None if not home_country else " ".join(str(home_country).split()).casefold()
    derived: dict[str, pd.Series] = {}
    if {"FIRSTSALE", "FOUNDED"} <= set(frame.columns):
        derived["years_to_first_foreign_sale"] = frame["FIRSTSALE"] - frame["FOUNDED"]
    if "FIRSTSALE" in frame.columns and survey_year is not None:
        derived["years_of_international_experience"] = survey_year - frame["FIRSTSALE"]
    if "MARKETS" in frame.columns:
        counts = []
        for text in frame["MARKETS"]:
            if text is None or (isinstance(text, float) and math.isnan(text)) or not str(text).strip():
                counts.append(np.nan)
                continue
            continents = {inst.continent_of(country) for country, _ in parse_market_history(str(text))
                          if " ".join(country.split()).casefold() != home}
            counts.append(float(len(continents)))
        derived["n_continents"] = pd.Series(counts, index=frame.index)
    return derived


def rule_eligibility(frame, active, inst, cfg, survey_year, home_country=None) -> list[RuleOutcome]:
    derived = eligibility_values(frame, inst, survey_year, home_country)
    outcomes = []
    source = str(inst.directory / "eligibility.yaml")
    for rule in inst.eligibility:
        if rule.variable in derived:
            values = derived[rule.variable]
        elif rule.variable in frame.columns:
            values = pd.to_numeric(frame[rule.variable], errors="coerce")
        else:
            raise SurveySemError(
                f"rule {rule.id}: variable {rule.variable!r} is neither a derived variable "
                f"({', '.join(sorted(derived))}) nor a profile column of the validated data", file=source)
        compare = _OPS[rule.operator]
        passed = values.map(lambda x: (not pd.isna(x)) and bool(compare(x, rule.threshold)))
        outcomes.append(RuleOutcome(
            f"eligibility:{rule.id}", ~passed.astype(bool), values.map(_values),
            {"variable": rule.variable, "operator": rule.operator, "threshold": rule.threshold,
             "description": rule.description}))
    return outcomes


def rule_unfinished(frame, active, inst, cfg) -> RuleOutcome:
    """Responses the survey tool marks as not finished (column value 0)."""
    column = cfg["column"]
    failed = pd.Series(False, index=frame.index)
    value = pd.Series("", index=frame.index, dtype=object)
    if column not in frame.columns:
        return RuleOutcome("unfinished", failed, value, {"column": column},
                           [f"unfinished: column {column!r} not in the data; rule skipped"])
    flags = frame[column]
    failed = flags.eq(0).fillna(False).astype(bool)
    value[failed] = f"{column}=0"
    return RuleOutcome("unfinished", failed, value, {"column": column})


def rule_attention(frame, active, inst, cfg) -> RuleOutcome:
    checks = [(i.id, i.expected) for c in inst.constructs_of_kind("attention") for i in c.items
              if i.expected is not None]
    failed = pd.Series(False, index=frame.index)
    value = pd.Series("", index=frame.index, dtype=object)
    warnings = []
    for item_id, expected in checks:
        if item_id not in frame.columns:
            warnings.append(f"attention: item {item_id} not in the data; check skipped")
            continue
        col = frame[item_id]
        bad = col.isna() | (col != expected)
        for pos in frame.index[bad.to_numpy()]:
            failed[pos] = True
            part = f"{item_id}={_values(col[pos])} (expected {expected})"
            value[pos] = f"{value[pos]}; {part}" if value[pos] else part
    return RuleOutcome("attention", failed, value, {"items": {k: v for k, v in checks}}, warnings)


def rule_speeders(frame, active, inst, cfg) -> RuleOutcome:
    col = cfg["duration_column"]
    if col not in frame.columns:
        raise SurveySemError(f"screening.speeders: column {col!r} is not in the validated data "
                             "(set duration_column or enabled: false)")
    durations = pd.to_numeric(frame[col], errors="coerce")
    threshold = float(cfg["threshold"])
    info = {"duration_column": col, "relative_to_median": bool(cfg["relative_to_median"])}
    warnings = []
    if info["relative_to_median"]:
        median = float(durations.loc[active].median()) if len(active) else float("nan")
        info["median_seconds"] = median
        info["fraction_of_median"] = threshold
        seconds = threshold * median
    else:
        seconds = threshold
    info["threshold_seconds"] = seconds
    n_missing = int(durations.loc[active].isna().sum())
    if n_missing:
        warnings.append(f"speeders: {n_missing} respondent(s) without a completion time were not screened")
    failed = (durations < seconds).fillna(False) if not math.isnan(seconds) else pd.Series(False, index=frame.index)
    return RuleOutcome("speeders", failed.astype(bool), durations.map(_values), info, warnings)


def rule_straightlining(frame, active, inst, cfg) -> RuleOutcome:
    items = [c for c in rated_items(inst) if c in frame.columns]
    threshold = int(cfg["threshold"])
    lsi = pd.Series([longest_run(list(row)) for row in frame[items].itertuples(index=False)],
                    index=frame.index, dtype=float)
    return RuleOutcome("straightlining", lsi >= threshold, lsi.map(_values),
                       {"threshold": threshold, "n_items": len(items), "index": "longest run of identical answers"})


def mahalanobis_squared(frame: pd.DataFrame, items: list[str], fit_index) -> tuple[pd.Series, pd.Series, dict]:
    """Squared distances and their df (items answered).

    Mean and covariance are estimated on the rows ``fit_index`` with pairwise-available data
    (item means over the answers given; each covariance over the respondents answering both
    items, ddof = 1). Raises :class:`numpy.linalg.LinAlgError` when they cannot be estimated
    or the covariance matrix is not positive definite.
    """
    data = frame[items].to_numpy(dtype=float)
    fit = frame.loc[fit_index, items].astype(float)
    answered = fit.notna()
    n_rows = int(answered.any(axis=1).sum())
    pair_n = answered.astype(int).T @ answered.astype(int)
    info = {"n_items": len(items), "n_fit": n_rows, "n_complete_cases": int(answered.all(axis=1).sum()),
            "min_pairwise_n": int(pair_n.to_numpy().min()) if len(items) else 0,
            "estimation": "pairwise-available mean and covariance"}
    if n_rows <= len(items) + 1:
        raise np.linalg.LinAlgError(f"{n_rows} respondents for {len(items)} items")
    mean = fit.mean(axis=0, skipna=True).to_numpy()
    cov = fit.cov(min_periods=2).to_numpy()
    if np.isnan(cov).any():
        raise np.linalg.LinAlgError("some item pairs have fewer than two common answers")
    try:
        np.linalg.cholesky(cov)
    except np.linalg.LinAlgError:
        raise np.linalg.LinAlgError("the item covariance matrix is not positive definite") from None
    d2 = np.full(len(frame), np.nan)
    df = np.zeros(len(frame), dtype=int)
    full_inverse = np.linalg.inv(cov)
    for k in range(len(frame)):
        obs = ~np.isnan(data[k])
        if not obs.any():
            continue
        diff = data[k, obs] - mean[obs]
        inverse = full_inverse if obs.all() else np.linalg.inv(cov[np.ix_(obs, obs)])
        d2[k] = float(diff @ inverse @ diff)
        df[k] = int(obs.sum())
    return pd.Series(d2, index=frame.index), pd.Series(df, index=frame.index), info


def rule_outliers(frame, active, inst, cfg) -> RuleOutcome:
    from scipy.special import chdtrc  # chi2.sf without scipy.stats' import cost (about 1 s)

    items = [c for c in capability_items(inst) if c in frame.columns]
    alpha = float(cfg["threshold"])
    info = {"alpha": alpha, "n_items": len(items), "distribution": "chi-square, df = items answered"}
    try:
        d2, df, fit_info = mahalanobis_squared(frame, items, active)
    except np.linalg.LinAlgError as exc:
        message = f"outliers: Mahalanobis distance not computed ({exc}); rule skipped"
        none = pd.Series(False, index=frame.index)
        return RuleOutcome("outliers", none, pd.Series("NA", index=frame.index), info, [message])
    info.update(fit_info)
    p = pd.Series(np.where(df > 0, chdtrc(np.maximum(df, 1), d2.fillna(0)), np.nan), index=frame.index)
    failed = (p < alpha).fillna(False)
    value = pd.Series([f"D2={_values(a)}, df={b}, p={_values(c)}" if b else "NA" for a, b, c in zip(d2, df, p)],
                      index=frame.index)
    return RuleOutcome("outliers", failed.astype(bool), value, info)


# --------------------------------------------------------------------------- screen


def screen(frame: pd.DataFrame, inst, cfg: dict, survey_year: int | None = None,
           home_country: str | None = None) -> ScreeningResult:
    """Apply the enabled rules in order; return retained rows, exclusions, flow and a report.

    ``cfg`` is the validated ``screening`` section (every rule's settings present:
    :func:`surveysem.config.section_with_defaults` completes a partial one)."""
    frame = frame.copy()
    remaining = frame.index
    excluded_at: dict[object, str] = {}
    exclusion_rows = []
    flow_rows = []
    report = {"rules": [], "warnings": [], "order": cfg["order"]}
    step = 0
    for name in cfg["order"]:
        rule_cfg = cfg[name]
        if not rule_cfg["enabled"]:
            report["rules"].append({"rule": name, "enabled": False})
            continue
        if name == "unfinished":
            outcomes = [rule_unfinished(frame, remaining, inst, rule_cfg)]
        elif name == "duplicates":
            outcomes = [rule_duplicates(frame, remaining, inst, rule_cfg)]
        elif name == "eligibility":
            outcomes = rule_eligibility(frame, remaining, inst, rule_cfg, survey_year, home_country)
        elif name == "attention":
            outcomes = [rule_attention(frame, remaining, inst, rule_cfg)]
        elif name == "speeders":
            outcomes = [rule_speeders(frame, remaining, inst, rule_cfg)]
        elif name == "straightlining":
            outcomes = [rule_straightlining(frame, remaining, inst, rule_cfg)]
        else:
            outcomes = [rule_outliers(frame, remaining, inst, rule_cfg)]
        for outcome in outcomes:
            step += 1
            failed = outcome.failed.reindex(frame.index).fillna(False).astype(bool)
            n_before = len(remaining)
            out_now = [pos for pos in remaining if failed[pos]]
            for pos in frame.index[failed.to_numpy()]:
                first = pos not in excluded_at and pos in remaining
                exclusion_rows.append({
                    ID_OUT: frame.at[pos, ID_OUT],
                    "rule": outcome.rule,
                    "value": outcome.value[pos],
                    "step": step,
                    "excluded": int(first),
                    "_row": frame.at[pos, ROW_OUT],
                })
            for pos in out_now:
                excluded_at[pos] = outcome.rule
            remaining = remaining.difference(pd.Index(out_now), sort=False)
            flow_rows.append({"step": step, "rule": outcome.rule, "n_before": n_before,
                              "n_excluded": len(out_now), "n_after": len(remaining)})
            report["rules"].append({"rule": outcome.rule, "enabled": True, "step": step,
                                    "n_failed_all": int(failed.sum()), "n_excluded": len(out_now),
                                    **outcome.info})
            report["warnings"].extend(outcome.warnings)
            log.info("screening step %d %s: %d excluded, %d remain", step, outcome.rule, len(out_now), len(remaining))
    exclusions = pd.DataFrame(exclusion_rows, columns=[ID_OUT, "rule", "value", "step", "excluded", "_row"])
    if len(exclusions):
        exclusions = exclusions.sort_values(["_row", "step"], kind="stable")
    exclusions = exclusions.drop(columns="_row").reset_index(drop=True)
    flow = pd.DataFrame(flow_rows, columns=["step", "rule", "n_before", "n_excluded", "n_after"])
    keep = set(remaining)
    retained = frame.loc[[pos for pos in frame.index if pos in keep]]
    report.update({"n_screened": int(len(frame)), "n_retained": int(len(retained)),
                   "n_excluded": int(len(frame) - len(retained))})
    if len(retained) == 0 and len(frame):
        report["warnings"].append(f"screening excluded all {len(frame)} respondents; see flow.csv")
        log.warning("screening excluded all %d respondents", len(frame))
    return ScreeningResult(retained=retained, exclusions=exclusions, flow=flow, report=report)
