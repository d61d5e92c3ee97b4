"""A pass / warn / fail verdict per scale, with reasons and item suggestions.

Rules (thresholds from ``config.measurement.thresholds``; the schema's defaults in brackets):

* fail: alpha, omega or composite reliability below ``reliability_min`` [.70];
  HTMT with another construct at or above ``htmt_warn`` [.90];
  AVE below ``ave_min`` [.50] while CR is also below ``reliability_min``.
* warn: AVE below ``ave_min`` with CR >= ``reliability_min`` (Fornell & Larcker 1981 accept this);
  HTMT in [``htmt_max``, ``htmt_warn``) [.85, .90]; Fornell–Larcker criterion violated;
  a standardized loading below ``loading_min`` [.50]; any statistical warning about the scale
  (zero-variance item, Heywood case, non-convergence).
* pass otherwise.

The pipeline never drops an item. The suggestions are those of the refinement assistant
(:mod:`surveysem.measurement.refinement`), e.g. ``consider removing ODV3: AVE without it .53 (now
.49 < .50)``; the researcher drops an item with the ``scales:`` section of ``config/config.yaml``.

Example
-------
>>> thresholds = {"reliability_min": 0.70, "ave_min": 0.50, "htmt_max": 0.85, "htmt_warn": 0.90,
...               "loading_min": 0.50}
>>> v = scale_verdict("PDC", {"alpha": 0.79, "omega": 0.8, "cr": 0.8, "ave": 0.55},
...                   items=[{"item": "PDC3", "loading": 0.41}], thresholds=thresholds,
...                   suggestions=["consider removing PDC3: standardized loading .41 < .50"])
>>> v["verdict"], v["reasons"], v["suggestions"]
('warn', 'PDC3 loading .41 < .50', 'consider removing PDC3: standardized loading .41 < .50')
"""

from __future__ import annotations

import math

import pandas as pd

__all__ = ["scale_verdict", "verdict_table"]


def _num(x) -> float:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return float("nan")
    return v


def _f(x: float) -> str:
    """APA-style two decimals without the leading zero for |x| < 1: .41, -.12, 1.02."""
    s = f"{x:.2f}"
    return s.replace("0.", ".", 1) if abs(x) < 1 else s


def scale_verdict(name: str, stats: dict, items: list[dict] | None = None, htmt: dict[str, float] | None = None,
                  fornell_larcker_ok: bool | None = None, warnings: list[str] | None = None, *,
                  thresholds: dict, suggestions: list[str] | None = None) -> dict:
    """Verdict of one scale.

    ``stats``: alpha, omega, cr, ave (NaN/None = not available, reported as a warning);
    ``items``: dicts with item and loading (standardized CFA loading);
    ``suggestions``: the refinement assistant's lines for this scale (kept as given);
    ``htmt``: other construct -> HTMT; ``warnings``: statistical warnings about this scale.
    ``thresholds``: ``measurement.thresholds`` of the config.
    Returns dict(construct, verdict, reasons, suggestions, + the inputs).
    """
    t = thresholds
    fails: list[str] = []
    warns: list[str] = []
    rmin = t["reliability_min"]
    for key, label in (("alpha", "alpha"), ("omega", "omega"), ("cr", "CR")):
        v = _num(stats.get(key))
        if math.isnan(v):
            warns.append(f"{label} not available")
        elif v < rmin:
            fails.append(f"{label} {_f(v)} < {_f(rmin)}")
    ave = _num(stats.get("ave"))
    cr = _num(stats.get("cr"))
    if math.isnan(ave):
        warns.append("AVE not available")
    elif ave < t["ave_min"]:
        if not math.isnan(cr) and cr >= rmin:
            warns.append(f"AVE {_f(ave)} < {_f(t['ave_min'])} (CR {_f(cr)} >= {_f(rmin)})")
        else:
            fails.append(f"AVE {_f(ave)} < {_f(t['ave_min'])}")
    for other, h in sorted((htmt or {}).items()):
        h = _num(h)
        if math.isnan(h):
            continue
        if h >= t["htmt_warn"]:
            fails.append(f"HTMT with {other} {_f(h)} >= {_f(t['htmt_warn'])}")
        elif h >= t["htmt_max"]:
            warns.append(f"HTMT with {other} {_f(h)} >= {_f(t['htmt_max'])}")
    if fornell_larcker_ok is False:
        warns.append("Fornell-Larcker criterion not met (sqrt(AVE) <= a latent correlation)")
    alpha = _num(stats.get("alpha"))
    for it in items or []:
        lo = _num(it.get("loading"))
        if not math.isnan(lo) and abs(lo) < t["loading_min"]:
            warns.append(f"{it['item']} loading {_f(lo)} < {_f(t['loading_min'])}")
    warns.extend(warnings or [])
    verdict = "fail" if fails else "warn" if warns else "pass"
    return {
        "construct": name,
        "verdict": verdict,
        "reasons": "; ".join(fails + warns),
        "suggestions": "; ".join(suggestions or []),
        "alpha": alpha, "omega": _num(stats.get("omega")), "cr": cr, "ave": ave,
        "max_htmt": max((_num(v) for v in (htmt or {}).values()), default=float("nan")),
        "min_loading": min((_num(i.get("loading")) for i in items or []), default=float("nan")),
        "fornell_larcker": fornell_larcker_ok,
    }


def verdict_table(rows: list[dict]) -> pd.DataFrame:
    cols = ["construct", "verdict", "alpha", "omega", "cr", "ave", "max_htmt", "min_loading", "fornell_larcker",
            "reasons", "suggestions"]
    return pd.DataFrame(rows).reindex(columns=cols)
