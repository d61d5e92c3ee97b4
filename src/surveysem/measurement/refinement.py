"""The refinement assistant: per scale, the items a reviewer would question, with the numbers and
the ``scales:`` lines of ``config/config.yaml`` that would drop them. It proposes; it never applies.

Criteria (thresholds from ``config.measurement.thresholds``; the schema's defaults in brackets):

* ``loading``: standardized CFA loading below ``loading_min`` [.50];
* ``ave``: the scale's AVE is below ``ave_min`` [.50]: the item whose removal raises AVE the most
  is always named, with the AVE it would give, even when no loading is below ``loading_min``;
* ``alpha``: the item whose removal raises Cronbach's alpha the most (alpha if deleted > alpha);
* ``cross_loading``: an EFA pattern loading of at least ``cross_loading_max`` [.30] in absolute
  value on a factor other than the scale's own (the factor carrying most of the scale's squared
  loadings);
* ``modindex``: a modification index of at least ``modindex_min`` [10] for a loading of the item
  on another factor or a residual covariance with another item.

"AVE without item i" is the mean squared standardized loading of the scale's other items and "CR
without i" is ``(sum l)^2 / ((sum l)^2 + sum(1 - l^2))`` over them, both **from this CFA's loadings,
not refitted**: after dropping an item, refit and look again. ``ave_loadings`` and ``cr_loadings``
are the same formulas over all items, the like-for-like comparison; ``ave`` and ``cr`` are those
of ``validity.csv`` (semTools, observed variances), which the verdict uses.

Example
-------
>>> [round(v, 4) for v in ave_without([0.8, 0.7, 0.4])]
[0.325, 0.4, 0.565]
>>> print(scales_lines("ODV", "ODV3", "standardized loading .48 < .50; AVE without it .53"))
scales:
  ODV:
    drop:
      ODV3: "standardized loading .48 < .50; AVE without it .53"
"""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pandas as pd

__all__ = ["REFINEMENT_COLUMNS", "ave_without", "candidate_table", "composite_reliability", "cr_without",
           "cross_loadings", "largest_modindices", "scale_candidates", "scale_factors", "scales_block",
           "scales_lines", "suggestion"]

REFINEMENT_COLUMNS = ["construct", "item", "criterion", "loading", "ave", "ave_loadings", "ave_without", "cr",
                      "cr_loadings", "cr_without", "alpha", "alpha_without", "cross_loading", "cross_factor", "max_mi",
                      "max_mi_parameter", "reason", "scales_lines"]
CRITERIA = ("loading", "ave", "alpha", "cross_loading", "modindex")
NOT_REFITTED = "from this CFA's loadings, not refitted"


# ------------------------------------------------------------------ AVE and CR without an item


def composite_reliability(loadings) -> float:
    """``(sum l)^2 / ((sum l)^2 + sum(1 - l^2))`` of standardized loadings."""
    lam = np.asarray(loadings, float)
    num = lam.sum() ** 2
    return float(num / (num + (1 - lam**2).sum())) if lam.size else math.nan


def ave_without(loadings) -> list[float]:
    """Mean squared standardized loading of the other items, for each item in turn."""
    sq = np.asarray(loadings, float) ** 2
    if sq.size < 2:
        return [math.nan] * sq.size
    return [float((sq.sum() - s) / (sq.size - 1)) for s in sq]


def cr_without(loadings) -> list[float]:
    """Composite reliability of the other items, for each item in turn."""
    lam = list(np.asarray(loadings, float))
    return [composite_reliability(lam[:i] + lam[i + 1:]) if len(lam) > 1 else math.nan for i in range(len(lam))]


# ------------------------------------------------------------------ EFA cross-loadings, MIs


def scale_factors(pattern: dict[str, dict[str, float]], scales: dict[str, list[str]]) -> dict[str, str]:
    """construct -> the EFA factor carrying most of its items' squared loadings (constructs
    without EFA items are left out)."""
    out = {}
    for name, items in scales.items():
        rows = [pattern[i] for i in items if i in pattern]
        if rows:
            factors = sorted({f for r in rows for f in r})
            out[name] = max(factors, key=lambda f: sum((r.get(f) or 0.0) ** 2 for r in rows))
    return out


def cross_loadings(pattern: dict[str, dict[str, float]], scales: dict[str, list[str]]) -> dict[str, tuple[float, str]]:
    """item -> (its largest pattern loading in absolute value on a factor other than its scale's,
    that factor labelled with the scales it carries, e.g. "F3 (CUS)")."""
    own = scale_factors(pattern, scales)
    carried: dict[str, list[str]] = {}
    for name, f in own.items():
        carried.setdefault(f, []).append(name)
    out = {}
    for name, items in scales.items():
        for i in items:
            others = {f: v for f, v in pattern.get(i, {}).items() if f != own.get(name) and v is not None}
            if others:
                f = max(sorted(others), key=lambda k: abs(others[k]))
                out[i] = (float(others[f]), f"{f} ({', '.join(carried[f])})" if f in carried else f)
    return out


def largest_modindices(mi: pd.DataFrame, items: list[str]) -> dict[str, tuple[float, str]]:
    """item -> (its largest modification index, the parameter, e.g. "ODV3 =~ CUS" or
    "ODV3 ~~ ODV4"): a loading of the item on a factor (written item first) or a residual
    covariance with another item."""
    wanted = set(items)
    out: dict[str, tuple[float, str]] = {}
    for r in mi.itertuples():
        value = float(r.mi)
        if r.op == "=~" and r.rhs in wanted:
            hits = [(r.rhs, f"{r.rhs} =~ {r.lhs}")]
        elif r.op == "~~" and r.lhs != r.rhs and r.lhs in wanted and r.rhs in wanted:
            hits = [(r.lhs, f"{r.lhs} ~~ {r.rhs}"), (r.rhs, f"{r.rhs} ~~ {r.lhs}")]
        else:
            continue
        for item, param in hits:
            if math.isfinite(value) and (item not in out or value > out[item][0]):
                out[item] = (value, param)
    return out


# ------------------------------------------------------------------ texts


def _f(x: float) -> str:
    """APA two decimals without the leading zero for |x| < 1: .41, -.12, 1.02."""
    s = f"{x:.2f}"
    return s.replace("0.", ".", 1) if abs(x) < 1 else s


def _above(a: float, b: float) -> tuple[str, str]:
    """``a`` and ``b`` in two decimals, three when two would print them equal."""
    return (_f(a), _f(b)) if _f(a) != _f(b) else (f"{a:.3f}".replace("0.", ".", 1), f"{b:.3f}".replace("0.", ".", 1))


_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# words YAML (1.1 or 1.2) reads as a boolean or null when unquoted
_YAML_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null"}


def _yaml_key(key: str) -> str:
    plain = _PLAIN_KEY.fullmatch(key) and key.lower() not in _YAML_WORDS
    return key if plain else json.dumps(key)


def scales_block(construct: str, drops: list[tuple[str, str]]) -> str:
    """The ``scales:`` lines of config/config.yaml that would drop the ``(item, reason)`` pairs
    from ``construct`` (each reason a double-quoted string: JSON escapes are valid YAML ones)."""
    head = ["scales:", f"  {_yaml_key(construct)}:", "    drop:"]
    return "\n".join(head + [f"      {_yaml_key(i)}: {json.dumps(r, ensure_ascii=False)}" for i, r in drops])


def scales_lines(construct: str, item: str, reason: str) -> str:
    """:func:`scales_block` of one item."""
    return scales_block(construct, [(item, reason)])


def _evidence(row: dict, thresholds: dict) -> list[str]:
    """The numbers behind a candidate, one phrase per criterion, AVE without it last."""
    t, crit = thresholds, row["criterion"].split("; ")
    out = []
    if "loading" in crit:
        out.append(f"standardized loading {_f(row['loading'])} < {_f(t['loading_min'])}")
    if "alpha" in crit:
        a, b = _above(row["alpha_without"], row["alpha"])
        out.append(f"alpha if deleted {a} > {b}")
    if "cross_loading" in crit:
        out.append(f"EFA cross-loading {_f(row['cross_loading'])} on {row['cross_factor']}")
    if "modindex" in crit:
        out.append(f"modification index {row['max_mi']:.1f} ({row['max_mi_parameter']})")
    if math.isfinite(row["ave_without"]):
        now = row["ave"] if math.isfinite(row["ave"]) else row["ave_loadings"]
        below = f" < {_f(t['ave_min'])}" if "ave" in crit else ""
        out.append(f"AVE without it {_f(row['ave_without'])} (now {_f(now)}{below})")
    return out


def suggestion(row: dict, thresholds: dict) -> str:
    """One line of verdicts.csv's ``suggestions``, e.g.
    ``consider removing ODV3: AVE without it .53 (now .49)``."""
    return f"consider removing {row['item']}: " + ", ".join(_evidence(row, thresholds))


# ------------------------------------------------------------------ candidates


def _num(x) -> float:
    try:
        return float(x)
    except (TypeError, ValueError):
        return math.nan


def _criteria(i: int, item: str, lam: list[float], ave_wo: list[float], aid: dict, stats: dict, cross: dict,
              mis: dict, t: dict) -> list[str]:
    crit = []
    if math.isfinite(lam[i]) and abs(lam[i]) < t["loading_min"]:
        crit.append("loading")
    ave = stats["ave"] if math.isfinite(stats["ave"]) else stats["ave_loadings"]
    finite = [v for v in ave_wo if math.isfinite(v)]
    if math.isfinite(ave) and ave < t["ave_min"] and finite and ave_wo[i] == max(finite):
        crit.append("ave")
    raising = {k: v for k, v in aid.items() if math.isfinite(v) and math.isfinite(stats["alpha"]) and v > stats["alpha"]}
    if raising and item == max(sorted(raising), key=raising.get):
        crit.append("alpha")
    if item in cross and abs(cross[item][0]) >= t["cross_loading_max"]:
        crit.append("cross_loading")
    if item in mis and mis[item][0] >= t["modindex_min"]:
        crit.append("modindex")
    return crit


def scale_candidates(construct: str, loadings: dict[str, float], stats: dict, alpha_if_deleted: dict[str, float],
                     cross: dict[str, tuple[float, str]], modindices: dict[str, tuple[float, str]], *,
                     thresholds: dict) -> list[dict]:
    """The questioned items of one scale, in item order, each a row of :data:`REFINEMENT_COLUMNS`.

    ``loadings``: item -> standardized CFA loading (the scale's items in order); ``stats``: the
    scale's ``ave``, ``cr`` (validity.csv) and ``alpha`` (NaN when not available);
    ``alpha_if_deleted``: item -> alpha without it; ``cross`` (:func:`cross_loadings`) and
    ``modindices`` (:func:`largest_modindices`): item -> (value, factor or parameter)."""
    items = list(loadings)
    lam = [_num(loadings[i]) for i in items]
    stats = {k: _num(stats.get(k)) for k in ("ave", "cr", "alpha")}
    stats["ave_loadings"] = float(np.mean(np.square(lam))) if lam else math.nan
    stats["cr_loadings"] = composite_reliability(lam)
    ave_wo, cr_wo = ave_without(lam), cr_without(lam)
    aid = {i: _num(alpha_if_deleted.get(i)) for i in items}
    rows = []
    for k, item in enumerate(items):
        crit = _criteria(k, item, lam, ave_wo, aid, stats, cross, modindices, thresholds)
        if not crit:
            continue
        cl, mi = cross.get(item, (math.nan, "")), modindices.get(item, (math.nan, ""))
        row = {"construct": construct, "item": item, "criterion": "; ".join(crit), "loading": lam[k],
               "ave": stats["ave"], "ave_loadings": stats["ave_loadings"], "ave_without": ave_wo[k], "cr": stats["cr"],
               "cr_loadings": stats["cr_loadings"], "cr_without": cr_wo[k], "alpha": stats["alpha"],
               "alpha_without": aid[item], "cross_loading": cl[0], "cross_factor": cl[1], "max_mi": mi[0],
               "max_mi_parameter": mi[1]}
        row["reason"] = "; ".join(_evidence(row, thresholds))
        row["scales_lines"] = scales_lines(construct, item, row["reason"])
        rows.append(row)
    return rows


def _by(frame: pd.DataFrame, key: str) -> pd.DataFrame:
    return frame.set_index(key) if len(frame) and key in frame.columns else pd.DataFrame()


def candidate_table(scales: dict[str, list[str]], loadings: pd.DataFrame, validity: pd.DataFrame,
                    reliability: pd.DataFrame, item_stats: pd.DataFrame, efa_pattern: dict | None,
                    modindices: pd.DataFrame, *, thresholds: dict) -> pd.DataFrame:
    """:func:`scale_candidates` of every scale from the stage's tables (loadings.csv, validity.csv,
    reliability.csv, item_stats.csv, the ``efa.loadings`` of efa.json, cfa_modindices.csv)."""
    val, rel = _by(validity, "construct"), _by(reliability, "construct")
    cross = cross_loadings(efa_pattern or {}, scales)
    mis = largest_modindices(modindices, [i for its in scales.values() for i in its]) if len(modindices) else {}
    rows = []
    for name, items in scales.items():
        ld = loadings[loadings["construct"] == name].set_index("item") if len(loadings) else pd.DataFrame()
        lam = {i: ld.loc[i, "std_all"] for i in items if i in ld.index}
        if not lam:
            continue  # not in the CFA: nothing to compute from
        ist = item_stats[item_stats["construct"] == name].set_index("item") if len(item_stats) else pd.DataFrame()
        aid = {i: ist.loc[i, "alpha_if_deleted"] for i in items if i in ist.index}
        stats = {"ave": val.loc[name, "ave"] if name in val.index else None,
                 "cr": val.loc[name, "cr"] if name in val.index else None,
                 "alpha": rel.loc[name, "alpha"] if name in rel.index else None}
        rows += scale_candidates(name, lam, stats, aid, cross, mis, thresholds=thresholds)
    return pd.DataFrame(rows, columns=REFINEMENT_COLUMNS)
