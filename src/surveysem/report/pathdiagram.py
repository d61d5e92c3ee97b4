"""The P4 path diagram, drawn as SVG by hand (no graphviz).

The diagram is built from a lavaan-style estimates table (columns ``lhs``, ``op``, ``rhs``,
``std_all`` and ``pvalue``; extra columns are ignored), so whatever model was fitted is what
is drawn:

* second-order factors (latents measured by latents, e.g. sensing, seizing, reconfiguring)
  in the middle column, their first-order factors (capabilities) to the left;
* latent outcomes (growth) to the right, with their observed indicators (rectangles);
* ``=~`` loadings and ``~`` regressions as single-headed arrows, ``~~`` covariances between
  distinct variables as curved double-headed arrows;
* on every arrow the standardized estimate (two decimals) with significance marks
  (* p < .05, ** p < .01, *** p < .001). Item indicators of first-order factors are omitted
  (the measurement page has them).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from surveysem.report.html import Safe
from surveysem.report.svg import coord, svg_document, svg_text, text_width
from surveysem.report.tables import fmt_bounded, fmt_num, fmt_r2, fmt_standardized, stars

PROCESS_ORDER = ["sensing", "seizing", "reconfiguring", "reconfiguration"]
NODE_TEXT_SIZE = 11
ROW_H, GROUP_GAP, TOP = 38, 18, 40  # first-order rows, gap between process groups, top margin


@dataclass
class Node:
    name: str
    kind: str  # 'latent' | 'observed'
    x: float
    y: float
    rx: float
    ry: float


def _order_key(name: str, first_seen: dict[str, int]) -> tuple:
    low = name.lower()
    for i, p in enumerate(PROCESS_ORDER):
        if low.startswith(p[:6]):
            return (0, i, first_seen.get(name, 0))
    return (1, 0, first_seen.get(name, 0))


def structure(estimates: pd.DataFrame, latent_names=()) -> dict:
    """Classify the variables of a fitted model: second-order, first-order, outcomes, their indicators.

    ``latent_names`` are variables to treat as latent even when the table has no ``=~`` rows for
    them (e.g. first-order capability factors when only the structural part is given)."""
    est = estimates.copy()
    est["lhs"] = est["lhs"].astype(str)
    est["rhs"] = est["rhs"].astype(str)
    first_seen: dict[str, int] = {}
    for i, (a, b) in enumerate(zip(est["lhs"], est["rhs"])):
        first_seen.setdefault(a, 2 * i)
        first_seen.setdefault(b, 2 * i + 1)
    loads = est[est["op"] == "=~"]
    hinted = set(map(str, latent_names))
    appearing = list(dict.fromkeys(list(est["lhs"]) + list(est["rhs"])))
    latents = list(dict.fromkeys(list(loads["lhs"]) + [v for v in appearing if v in hinted]))
    latent_set = set(latents)
    indicators = {lv: list(dict.fromkeys(loads.loc[loads["lhs"] == lv, "rhs"])) for lv in latents}
    regs = est[est["op"] == "~"]
    indicators.update({lv: [] for lv in latents if lv not in indicators})
    second = [lv for lv in latents if indicators[lv] and all(i in latent_set for i in indicators[lv])]
    second_set = set(second)
    under = {i for s in second for i in indicators[s]}
    # outcomes: endogenous in regressions that are not second-order processes and not first-order under a process
    outcomes = [v for v in dict.fromkeys(regs["lhs"]) if v not in second_set and v not in under]
    first = [lv for lv in latents if lv not in second_set and lv not in outcomes]
    second.sort(key=lambda n: _order_key(n, first_seen))
    return {
        "second": second,
        "first": first,
        "outcomes": outcomes,
        "indicators": indicators,
        "latents": latent_set,
    }


def _boundary(node: Node, dx: float, dy: float) -> tuple[float, float]:
    """Point on the node outline in direction (dx, dy) from its centre."""
    if dx == 0 and dy == 0:
        return node.x, node.y
    if node.kind == "latent":
        t = 1.0 / math.sqrt((dx / node.rx) ** 2 + (dy / node.ry) ** 2)
    else:
        tx = node.rx / abs(dx) if dx else math.inf
        ty = node.ry / abs(dy) if dy else math.inf
        t = min(tx, ty)
    return node.x + dx * t, node.y + dy * t


def _arrowhead(x: float, y: float, ux: float, uy: float, size: float = 7) -> str:
    """Filled triangle with its tip at (x, y) pointing along unit vector (ux, uy)."""
    bx, by = x - ux * size, y - uy * size
    px, py = -uy * size * 0.45, ux * size * 0.45
    return f'<polygon points="{coord(x)},{coord(y)} {coord(bx + px)},{coord(by + py)} {coord(bx - px)},{coord(by - py)}" fill="#1a1a1a"/>'


def _label(x: float, y: float, text: str, size: float = 10) -> str:
    w = text_width(text, size) + 6
    return (
        f'<rect x="{coord(x - w / 2)}" y="{coord(y - size * 0.75)}" width="{coord(w)}" height="{coord(size * 1.5)}" fill="#fff" opacity="0.9"/>'
        + svg_text(x, y, text, size=size, anchor="middle")
    )


def _edge_text(row) -> str:
    """The standardized estimate with its stars; a loading or correlation beyond ±1 is marked
    (fmt_standardized), a regression weight is not (with correlated predictors it may exceed 1)."""
    value = row.get("std_all")
    if value is None or (isinstance(value, float) and not math.isfinite(value)) or pd.isna(value):
        return "n.c."
    fmt = fmt_standardized if row.get("op") in ("=~", "~~") else fmt_num
    return f"{fmt(value)}{stars(row.get('pvalue'))}"


def path_diagram(
    estimates: pd.DataFrame,
    title: str = "Path diagram",
    labels: dict[str, str] | None = None,
    latent_names=(),
    r2: dict[str, float] | None = None,
) -> Safe:
    """Draw the model of ``estimates`` (see module docstring). ``labels`` maps variable → display name;
    ``latent_names`` as in :func:`structure`; ``r2`` prints R² under endogenous latents."""
    # Steps:
    #   1. classify:  second-order, first-order, outcomes and their indicators (structure)
    #   2. columns:   x and half-width of each column, from its longest label
    #   3. place:     first-order factors grouped under their process, outcomes right of them
    #   4. draw:      edges first, nodes on top, R² under endogenous latents
    labels = labels or {}
    s = structure(estimates, latent_names)  # 1
    est = estimates.copy()
    est["lhs"] = est["lhs"].astype(str)
    est["rhs"] = est["rhs"].astype(str)

    def disp(name: str) -> str:
        return labels.get(name, name)

    cols = _columns(s, disp)  # 2
    nodes, bottom = _place_factors(s, cols)  # 3
    _place_outcomes(s, cols, nodes, bottom)
    height = max(bottom + 40, max(n.y + n.ry for n in nodes.values()) + 40) if nodes else 120
    bold = set(s["second"]) | set(s["outcomes"])
    body = _edges(est, nodes) + _node_shapes(nodes, disp, bold) + _r2_labels(nodes, r2 or {})  # 4
    desc = f"{len(s['first'])} first-order factors, {len(s['second'])} second-order factors, outcomes: {', '.join(s['outcomes'])}"
    return svg_document(cols["width"], height, body, title, desc)


def _outcome_indicators(s: dict, outcome: str) -> list[str]:
    """Observed indicators of an outcome (latent indicators are drawn as factors)."""
    return [i for i in s["indicators"].get(outcome, []) if i not in s["latents"]]


def _columns(s: dict, disp) -> dict[str, float]:
    """Centre x and half-width of the four columns (first-order, second-order, outcome, indicator)
    and the total width; each column is as wide as its longest label."""
    size = NODE_TEXT_SIZE
    first_w = max([text_width(disp(n), size) for n in s["first"]] + [50]) / 2 + 18
    second_w = max([text_width(disp(n), size) for n in s["second"]] + [60]) / 2 + 20
    out_w = max([text_width(disp(n), size) for n in s["outcomes"]] + [50]) / 2 + 20
    out_ind = [i for o in s["outcomes"] for i in _outcome_indicators(s, o)]
    ind_w = max([text_width(disp(n), size) for n in out_ind] + [40]) / 2 + 10
    x_first = 16 + first_w
    x_second = x_first + first_w + 150 + second_w
    x_out = x_second + second_w + 170 + out_w
    x_ind = x_out + out_w + 120 + ind_w
    return {"x_first": x_first, "first_w": first_w, "x_second": x_second, "second_w": second_w,
            "x_out": x_out, "out_w": out_w, "x_ind": x_ind, "ind_w": ind_w, "width": x_ind + ind_w + 16}


def _place_factors(s: dict, cols: dict) -> tuple[dict[str, Node], float]:
    """First-order factors one per row, grouped under their second-order process (which sits at
    the middle of its group); factors under no process form a last group. Returns (nodes, bottom)."""
    nodes: dict[str, Node] = {}
    groups = [(sec, [m for m in s["indicators"][sec] if m in s["first"] or m in s["latents"]]) for sec in s["second"]]
    free_first = [f for f in s["first"] if all(f not in m for _, m in groups)]
    if free_first:
        groups.append((None, free_first))
    y = TOP
    assigned = set()
    for sec, members in groups:
        ys = []
        for m in members:
            if m in assigned:  # a factor under two processes is drawn once, in its first group
                continue
            nodes[m] = Node(m, "latent", cols["x_first"], y, cols["first_w"], 15)
            ys.append(y)
            assigned.add(m)
            y += ROW_H
        if sec is not None:
            cy = sum(ys) / len(ys) if ys else y
            nodes[sec] = Node(sec, "latent", cols["x_second"], cy, cols["second_w"], 22)
        y += GROUP_GAP
    return nodes, max(y - GROUP_GAP, TOP + 2 * ROW_H)


def _place_outcomes(s: dict, cols: dict, nodes: dict[str, Node], bottom: float) -> None:
    """Outcomes 120 apart, centred on the processes; their indicators 44 apart beside each."""
    mids = [nodes[sec].y for sec in s["second"]] or [(TOP + bottom) / 2]
    out_y0 = sum(mids) / len(mids)
    for k, o in enumerate(s["outcomes"]):
        oy = out_y0 + (k - (len(s["outcomes"]) - 1) / 2) * 120
        nodes[o] = Node(o, "latent", cols["x_out"], oy, cols["out_w"], 24)
        inds = _outcome_indicators(s, o)
        for j, ind in enumerate(inds):
            iy = oy + (j - (len(inds) - 1) / 2) * 44
            nodes[ind] = Node(ind, "observed", cols["x_ind"], iy, cols["ind_w"], 13)


def _edges(est: pd.DataFrame, nodes: dict[str, Node]) -> list[str]:
    """SVG of every drawn estimate: loadings and regressions as arrows, covariances as double-headed curves."""
    body: list[str] = []
    drawn_pairs = set()
    for row in est.to_dict(orient="records"):
        op, lhs, rhs = row["op"], row["lhs"], row["rhs"]
        if lhs not in nodes or rhs not in nodes:
            continue
        if op == "=~":
            body.extend(_arrow(nodes[lhs], nodes[rhs], _edge_text(row), 0.68))
        elif op == "~":
            body.extend(_arrow(nodes[rhs], nodes[lhs], _edge_text(row), 0.5))
        elif op == "~~" and lhs != rhs:
            key = tuple(sorted((lhs, rhs)))
            if key not in drawn_pairs:  # lavaan may list a covariance both ways
                drawn_pairs.add(key)
                body.append(_curve(nodes[lhs], nodes[rhs], _edge_text(row), double=True))
    return body


def _arrow(a: Node, b: Node, text: str, t: float) -> list[str]:
    """Arrow from ``a`` to ``b`` labelled at fraction ``t`` of its length (a curve within one column)."""
    if abs(a.x - b.x) < 1:  # same column: curve to the right
        return [_curve(a, b, text, double=False)]
    dx, dy = b.x - a.x, b.y - a.y
    x1, y1 = _boundary(a, dx, dy)
    x2, y2 = _boundary(b, -dx, -dy)
    length = math.hypot(x2 - x1, y2 - y1) or 1
    ux, uy = (x2 - x1) / length, (y2 - y1) / length
    return [
        f'<line x1="{coord(x1)}" y1="{coord(y1)}" x2="{coord(x2 - ux * 6)}" y2="{coord(y2 - uy * 6)}" stroke="#1a1a1a" stroke-width="1.2"/>',
        _arrowhead(x2, y2, ux, uy),
        _label(x1 + (x2 - x1) * t, y1 + (y2 - y1) * t, text),
    ]


def _node_shapes(nodes: dict[str, Node], disp, bold: set[str]) -> list[str]:
    """Ellipses for latents, rectangles for observed variables, each with its name."""
    body: list[str] = []
    for node in nodes.values():
        if node.kind == "latent":
            body.append(
                f'<ellipse cx="{coord(node.x)}" cy="{coord(node.y)}" rx="{coord(node.rx)}" ry="{coord(node.ry)}" fill="#eef3f9" stroke="#1f4e79" stroke-width="1.4"/>'
            )
        else:
            body.append(
                f'<rect x="{coord(node.x - node.rx)}" y="{coord(node.y - node.ry)}" width="{coord(2 * node.rx)}" height="{coord(2 * node.ry)}" fill="#fff" stroke="#1a1a1a"/>'
            )
        body.append(svg_text(node.x, node.y, disp(node.name), size=NODE_TEXT_SIZE, anchor="middle",
                          weight="bold" if node.name in bold else None))
    return body


def _r2_labels(nodes: dict[str, Node], r2: dict[str, float]) -> list[str]:
    """'R² = …' under every drawn variable with a value."""
    body: list[str] = []
    for name, value in sorted(r2.items()):
        if name in nodes and value is not None:
            n = nodes[name]
            body.append(svg_text(n.x, n.y + n.ry + 11, f"R\u00b2 = {fmt_r2(value)}", size=10, anchor="middle"))
    return body


def _curve(a: Node, b: Node, text: str, double: bool) -> str:
    """Quadratic curve between two nodes bulging to the right (same column) or upward."""
    mx, my = (a.x + b.x) / 2, (a.y + b.y) / 2
    dist = math.hypot(b.x - a.x, b.y - a.y) or 1
    if abs(a.x - b.x) < 1:
        cx, cy = mx + max(a.rx, b.rx) + 0.35 * dist, my
    else:
        cx, cy = mx, my - 0.3 * dist
    x1, y1 = _boundary(a, cx - a.x, cy - a.y)
    x2, y2 = _boundary(b, cx - b.x, cy - b.y)
    parts = []

    def unit(px, py, qx, qy):
        length = math.hypot(qx - px, qy - py) or 1
        return (qx - px) / length, (qy - py) / length

    u2 = unit(cx, cy, x2, y2)
    u1 = unit(cx, cy, x1, y1)
    sx1, sy1 = (x1 - u1[0] * 6, y1 - u1[1] * 6) if double else (x1, y1)
    parts.append(
        f'<path d="M {coord(sx1)} {coord(sy1)} Q {coord(cx)} {coord(cy)} {coord(x2 - u2[0] * 6)} {coord(y2 - u2[1] * 6)}" fill="none" stroke="#1a1a1a" stroke-width="1.1"/>'
    )
    parts.append(_arrowhead(x2, y2, *u2))
    if double:
        parts.append(_arrowhead(x1, y1, *u1))
    # label at t = .35 of the quadratic Bezier (off the midpoint, where arrows from the column start)
    tt = 0.35
    lx = (1 - tt) ** 2 * x1 + 2 * (1 - tt) * tt * cx + tt**2 * x2
    ly = (1 - tt) ** 2 * y1 + 2 * (1 - tt) * tt * cy + tt**2 * y2
    parts.append(_label(lx, ly, text))
    return "\n".join(parts)


def fit_caption(fit: dict | None) -> str:
    """'χ²(df) = …, p …; CFI = …; TLI = …; RMSEA = … [90% CI …]; SRMR = …' from a fit dict; what's absent says not computed."""
    from surveysem.report.tables import fmt_int, fmt_p

    if not fit:
        return "Fit indices: not computed."
    parts = []
    if fit.get("chisq") is not None:
        p = fmt_p(fit.get("pvalue"))
        p_text = f"p {p}" if p.startswith("<") else f"p = {p}"
        parts.append(f"\u03c7\u00b2({fmt_int(fit.get('df'))}) = {fmt_num(fit.get('chisq'))}, {p_text}")
    for key, name in (("cfi", "CFI"), ("tli", "TLI")):
        if fit.get(key) is not None:
            parts.append(f"{name} = {fmt_bounded(fit[key], 3)}")
    if fit.get("rmsea") is not None:
        ci = ""
        if fit.get("rmsea_ci_lower") is not None and fit.get("rmsea_ci_upper") is not None:
            ci = f" [90% CI {fmt_bounded(fit['rmsea_ci_lower'], 3)}, {fmt_bounded(fit['rmsea_ci_upper'], 3)}]"
        parts.append(f"RMSEA = {fmt_bounded(fit['rmsea'], 3)}{ci}")
    if fit.get("srmr") is not None:
        parts.append(f"SRMR = {fmt_bounded(fit['srmr'], 3)}")
    if fit.get("nobs") is not None:
        parts.append(f"N = {fmt_int(fit['nobs'])}")
    return ("; ".join(parts) + ".") if parts else "Fit indices: not computed."
