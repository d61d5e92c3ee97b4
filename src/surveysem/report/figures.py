"""Figures as hand-written, deterministic SVG (no matplotlib state, no fonts, no timestamps).

* :func:`flow_diagram` – respondents before and after each screening step;
* :func:`likert_bars` – diverging stacked bars of item responses (one figure per construct);
* :func:`heatmap` – correlation heatmap (e.g. of scale scores);
* :func:`forest_plot` – coefficients with confidence intervals;
* :func:`line_plot` – lines over 1..n (scree plot and parallel analysis);
* :func:`histogram` – counts in equal-width bins.

The SVG primitives they share with the path diagram are in :mod:`surveysem.report.svg`.

Each returns :class:`~surveysem.report.html.Safe` markup for inline use. All labels are escaped.
Coordinates are printed with at most two decimals so the output is byte-identical across runs.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import pandas as pd

from surveysem.report.html import Safe, esc, tag
from surveysem.report.svg import CHAR_W, coord, svg_document, svg_line, svg_rect, svg_text, text_width, truncate
from surveysem.report.tables import fmt_bounded, fmt_int, fmt_num


def figure(svg: Safe, caption, fid: str | None = None) -> Safe:
    """Wrap an SVG in ``<figure>`` with an escaped caption."""
    return tag("figure", svg, tag("figcaption", caption), id=fid)


# ---------------------------------------------------------------- exclusion flow

def flow_diagram(n_start, steps: Sequence[tuple[str, object, object]], title: str = "Exclusion flow") -> Safe:
    """A vertical flow diagram: ``n_start`` responses, then per step (label, excluded, remaining)
    the excluded count in a box to the side and the remaining count below."""
    box_w, box_h, gap = 230, 28, 24
    centre = 20 + box_w / 2
    y = 10
    body = [svg_rect(20, y, box_w, box_h, "#eef3f9", stroke="#1f4e79"),
            svg_text(centre, y + box_h / 2, f"Responses: n = {fmt_int(n_start)}", size=12, anchor="middle")]
    for label, n_excluded, n_after in steps:
        y0 = y + box_h
        y = y0 + gap
        side = y0 + gap / 2  # the height of the arrow to the excluded box
        body += [
            svg_line(centre, y0, centre, y),
            svg_line(centre, side, 20 + box_w + 30, side),
            svg_rect(20 + box_w + 30, side - 13, 330, 26, "#fff", stroke="#999"),
            svg_text(20 + box_w + 38, side, f"{str(label)[:40]}: excluded n = {fmt_int(n_excluded)}", size=11),
            svg_rect(20, y, box_w, box_h, "#eef3f9", stroke="#1f4e79"),
            svg_text(centre, y + box_h / 2, f"Remaining: n = {fmt_int(n_after)}", size=12, anchor="middle"),
        ]
    return svg_document(20 + box_w + 370, y + box_h + 10, body, title)


# ---------------------------------------------------------------- Likert bars

def diverging_palette(k: int) -> list[str]:
    """k colours from brown (disagree) through grey (neutral) to teal (agree); colour-blind safe (BrBG)."""
    anchors = [(140, 81, 10), (216, 179, 101), (246, 232, 195), (220, 220, 220), (199, 234, 229), (90, 180, 172), (1, 102, 94)]
    if k == 1:
        return ["#dcdcdc"]
    out = []
    for i in range(k):
        pos = i / (k - 1) * (len(anchors) - 1)
        lo = int(math.floor(pos))
        hi = min(lo + 1, len(anchors) - 1)
        t = pos - lo
        rgb = [round(a + (b - a) * t) for a, b in zip(anchors[lo], anchors[hi])]
        out.append("#%02x%02x%02x" % tuple(rgb))
    return out


def response_shares(values: pd.Series, low: int, high: int) -> tuple[np.ndarray, int]:
    """Shares of each category low..high among answered values, and the number answered."""
    answered = pd.to_numeric(values, errors="coerce").dropna()
    cats = np.arange(low, high + 1)
    counts = np.array([(answered == c).sum() for c in cats], dtype=float)
    n = int(counts.sum())
    return (counts / n if n else counts), n


REVERSE_MARK = "(R)"


def item_label(iid: str, wording: str, max_chars: int, reverse: bool = False) -> str:
    """``PDC5 (R)  Our managers …``: the id and the reverse-keying mark, then the wording cut to
    fit ``max_chars`` – the wording is cut, never the mark, which tells how to read the bar.

    >>> item_label("PDC5", "We rarely look at what competitors abroad are doing", 24, reverse=True)
    'PDC5 (R)  We rarely loo…'
    """
    head = f"{iid} {REVERSE_MARK}" if reverse else str(iid)
    return f"{head}  " + truncate(wording, max(1, max_chars - len(head) - 2))


def likert_bars(
    items: Sequence[tuple[str, str, pd.Series]],
    low: int,
    high: int,
    anchors: dict[int, str] | None = None,
    title: str = "Item responses",
    reverse_keyed: frozenset[str] | set[str] = frozenset(),
) -> Safe:
    """Diverging stacked bars: one bar per item, categories below the midpoint to the left of 0,
    above it to the right, the midpoint split half and half across 0.

    ``items`` are (item id, label, responses); the ids in ``reverse_keyed`` get the mark
    :data:`REVERSE_MARK` after the id (:func:`item_label`). Shares are of answered responses; n is
    printed beside each bar.
    """
    k = high - low + 1
    colours = diverging_palette(k)
    mid = (low + high) / 2
    size = 11
    label_chars = 58
    labels = [item_label(iid, label, label_chars, iid in reverse_keyed) for iid, label, _ in items]
    left = max([text_width(t, size) for t in labels] + [80]) + 12
    plot_w = 420
    right_pad = 56
    bar_h = 16
    gap = 8
    top = 30
    rows_h = len(items) * (bar_h + gap)
    legend_h = 24 + 16 * math.ceil(k / 4)
    height = top + rows_h + 28 + legend_h
    width = left + plot_w + right_pad
    x0 = left + plot_w / 2
    scale = plot_w / 2  # 100 % each side
    body: list[str] = []
    # grid
    for pct in (-100, -50, 0, 50, 100):
        x = x0 + scale * pct / 100
        body.append(svg_line(x, top - 6, x, top + rows_h, stroke="#999" if pct else "#1a1a1a", width=0.6 if pct else 1, dash="3 3" if pct else None))
        body.append(svg_text(x, top - 14, f"{abs(pct)}%", size=10, anchor="middle", fill="#555"))
    for r, ((iid, label, values), shown) in enumerate(zip(items, labels)):
        y = top + r * (bar_h + gap)
        shares, n = response_shares(values, low, high)
        body.append(svg_text(left - 8, y + bar_h / 2, shown, size=size, anchor="end"))
        if n == 0:
            body.append(svg_text(x0, y + bar_h / 2, "no answers", size=10, anchor="middle", fill="#6b6b6b"))
            continue
        neg = sum(s for c, s in zip(range(low, high + 1), shares) if c < mid) + sum(
            s / 2 for c, s in zip(range(low, high + 1), shares) if c == mid
        )
        x = x0 - neg * scale
        for c, s, colour in zip(range(low, high + 1), shares, colours):
            w = s * scale
            if w > 0:
                body.append(svg_rect(x, y, w, bar_h, colour, extra=f' data-cat="{c}"'))
            x += w
        body.append(svg_text(left + plot_w + 6, y + bar_h / 2, f"n = {n}", size=10, fill="#555"))
    # legend
    ly = top + rows_h + 24
    per_row = 4
    col_w = (width - 20) / per_row
    for i, (c, colour) in enumerate(zip(range(low, high + 1), colours)):
        lx = 10 + (i % per_row) * col_w
        yy = ly + (i // per_row) * 16
        name = f"{c}"
        if anchors and c in anchors:
            name = f"{c} {anchors[c]}"
        body.append(svg_rect(lx, yy - 5, 10, 10, colour, stroke="#888"))
        body.append(svg_text(lx + 14, yy, truncate(name, int(col_w / (10 * CHAR_W)) - 2), size=10))
    desc = "; ".join(f"{iid}: n={response_shares(v, low, high)[1]}" for iid, _, v in items)
    return svg_document(width, height, body, title, desc)


# ---------------------------------------------------------------- heatmap

def _diverging_colour(r: float) -> str:
    """Blue (negative) – white – red (positive) for r in [-1, 1]."""
    r = max(-1.0, min(1.0, r))
    if r >= 0:
        target = (178, 24, 43)
    else:
        target = (33, 102, 172)
    t = abs(r)
    rgb = [round(255 + (c - 255) * t) for c in target]
    return "#%02x%02x%02x" % tuple(rgb)


def heatmap(matrix: pd.DataFrame, title: str = "Correlations", lower_only: bool = True, bounded: bool = True) -> Safe:
    """A correlation heatmap with the value in each cell (two decimals; no leading zero when
    ``bounded``, i.e. for correlations; HTMT can exceed 1, so it keeps the zero)."""
    labels = [str(c) for c in matrix.columns]
    k = len(labels)
    cell = 38 if k <= 16 else 28
    size = 10
    left = max([text_width(t, 11) for t in labels] + [30]) + 10
    top = max([text_width(t, 11) for t in labels] + [30]) * 0.75 + 16
    width = left + k * cell + 70
    height = top + k * cell + 20
    body: list[str] = []
    values = matrix.to_numpy(dtype=float)
    for i in range(k):
        body.append(svg_text(left - 6, top + i * cell + cell / 2, labels[i], size=11, anchor="end"))
        cx = left + i * cell + cell / 2
        body.append(
            f'<text x="{coord(cx)}" y="{coord(top - 6)}" font-size="11" text-anchor="start" '
            f'transform="rotate(-45 {coord(cx)} {coord(top - 6)})" fill="#1a1a1a">{esc(labels[i])}</text>'
        )
        for j in range(k):
            if lower_only and j > i:
                continue
            v = values[i, j]
            x, y = left + j * cell, top + i * cell
            if not math.isfinite(v):
                body.append(svg_rect(x, y, cell, cell, "#f3f3f3", stroke="#fff"))
                body.append(svg_text(x + cell / 2, y + cell / 2, "\u2014", size=size, anchor="middle", fill="#6b6b6b"))
                continue
            body.append(svg_rect(x, y, cell, cell, _diverging_colour(v), stroke="#fff"))
            body.append(
                svg_text(x + cell / 2, y + cell / 2, (fmt_bounded if bounded else fmt_num)(v), size=size, anchor="middle", fill="#fff" if abs(v) > 0.6 else "#1a1a1a")
            )
    # colour key
    kx = left + k * cell + 22
    for step in range(21):
        r = 1 - step / 10
        body.append(svg_rect(kx, top + step * (k * cell / 21), 14, k * cell / 21 + 0.5, _diverging_colour(r)))
    body.append(svg_text(kx + 18, top + 4, "1", size=10))
    body.append(svg_text(kx + 18, top + k * cell / 2, "0", size=10))
    body.append(svg_text(kx + 18, top + k * cell - 4, "\u22121", size=10))
    return svg_document(width, height, body, title)


# ---------------------------------------------------------------- forest plot

def _nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [lo]
    raw = (hi - lo) / max(n - 1, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = min((m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw), default=raw)
    start = math.ceil(lo / step) * step
    ticks = []
    t = start
    while t <= hi + 1e-12:
        ticks.append(round(t, 10))
        t += step
    return ticks


def forest_plot(
    rows: Sequence[dict],
    title: str = "Coefficients",
    xlabel: str = "Estimate (95% CI)",
    null_value: float = 0.0,
) -> Safe:
    """Point estimates with CI whiskers.

    ``rows``: dicts with ``label``, ``est``, ``lo``, ``hi`` and optional ``mark`` (significance
    marks printed after the value) and ``group`` (a header row is drawn when it changes).
    Rows without an estimate are listed with "not computed".
    """
    size = 11
    labels = [truncate(r["label"], 48) for r in rows]
    left = max([text_width(t, size) for t in labels] + [80]) + 14
    plot_w = 360
    right = 150
    row_h = 22
    top = 24
    lines: list[tuple[str, dict | None]] = []
    last_group = object()
    for r, shown in zip(rows, labels):
        g = r.get("group")
        if g is not None and g != last_group:
            lines.append((str(g), None))
            last_group = g
        lines.append((shown, r))
    height = top + len(lines) * row_h + 44
    width = left + plot_w + right
    finite = [v for r in rows for v in (r.get("lo"), r.get("hi"), r.get("est")) if v is not None and math.isfinite(float(v))]
    lo = min(finite + [null_value])
    hi = max(finite + [null_value])
    pad = (hi - lo) * 0.06 or 0.5
    lo, hi = lo - pad, hi + pad

    def sx(v: float) -> float:
        return left + (v - lo) / (hi - lo) * plot_w

    body: list[str] = []
    axis_y = top + len(lines) * row_h + 6
    body.append(svg_line(sx(null_value), top - 8, sx(null_value), axis_y, stroke="#777", dash="4 3"))
    body.append(svg_line(left, axis_y, left + plot_w, axis_y))
    for t in _nice_ticks(lo, hi):
        body.append(svg_line(sx(t), axis_y, sx(t), axis_y + 4))
        body.append(svg_text(sx(t), axis_y + 14, fmt_num(t), size=10, anchor="middle"))
    body.append(svg_text(left + plot_w / 2, axis_y + 32, xlabel, size=11, anchor="middle"))
    body.append(svg_text(left + plot_w + 10, top - 12, "b [95% CI]", size=10, fill="#555"))
    for i, (shown, r) in enumerate(lines):
        y = top + i * row_h + row_h / 2
        if r is None:
            body.append(svg_text(8, y, shown, size=size, weight="bold"))
            continue
        body.append(svg_text(left - 8, y, shown, size=size, anchor="end"))
        est, l, h = (r.get(k) for k in ("est", "lo", "hi"))
        if est is None or not math.isfinite(float(est)):
            body.append(svg_text(left + 4, y, "not computed", size=10, fill="#6b6b6b"))
            continue
        if l is not None and h is not None and math.isfinite(float(l)) and math.isfinite(float(h)):
            body.append(svg_line(sx(float(l)), y, sx(float(h)), y, width=1.4))
            body.append(svg_line(sx(float(l)), y - 4, sx(float(l)), y + 4, width=1.2))
            body.append(svg_line(sx(float(h)), y - 4, sx(float(h)), y + 4, width=1.2))
            ci = f" [{fmt_num(l)}, {fmt_num(h)}]"
        else:
            ci = ""
        body.append(f'<circle cx="{coord(sx(float(est)))}" cy="{coord(y)}" r="4" fill="#1f4e79"/>')
        body.append(svg_text(left + plot_w + 10, y, f"{fmt_num(est)}{r.get('mark', '')}{ci}", size=10))
    return svg_document(width, height, body, title)


# ---------------------------------------------------------------- scree / parallel analysis

SERIES_STYLE = [("#1f4e79", None, "circle"), ("#b00020", "5 4", "square"), ("#1b7a3a", "2 3", "circle"), ("#a86400", "6 2 2 2", "square")]


def line_plot(
    series: Sequence[tuple[str, Sequence[float]]],
    title: str = "Line plot",
    xlabel: str = "",
    ylabel: str = "",
    hline: float | None = None,
    x_values: Sequence[float] | None = None,
) -> Safe:
    """Lines over x = 1..n (e.g. eigenvalues against parallel-analysis thresholds), with a legend;
    ``x_values``: the x values of the points instead (spaced in proportion, each one a tick)."""
    width, height = 560, 320
    left, right, top, bottom = 56, 150, 20, 46
    pw, ph = width - left - right, height - top - bottom
    finite = [float(v) for _, ys in series for v in ys if v is not None and math.isfinite(float(v))]
    n = max([len(ys) for _, ys in series] + [1])
    ymax = max(finite + [hline or 0, 1e-9])
    ymin = min(finite + [hline if hline is not None else 0, 0])
    ticks = _nice_ticks(ymin, ymax, 6)
    ymax = max(ymax, ticks[-1])

    def sx(i: int) -> float:
        if x_values is not None:
            span = (max(x_values) - min(x_values)) or 1
            return left + (float(x_values[i - 1]) - min(x_values)) / span * pw
        return left + (i - 1) / max(n - 1, 1) * pw

    def sy(v: float) -> float:
        return top + (ymax - v) / ((ymax - ymin) or 1) * ph

    body: list[str] = [svg_line(left, top, left, top + ph), svg_line(left, top + ph, left + pw, top + ph)]
    for t in ticks:
        body.append(svg_line(left - 4, sy(t), left, sy(t)))
        body.append(svg_text(left - 7, sy(t), fmt_num(t, 1), size=10, anchor="end"))
    step = 1 if x_values is not None else max(1, math.ceil(n / 15))
    for i in range(1, n + 1, step):
        body.append(svg_line(sx(i), top + ph, sx(i), top + ph + 4))
        body.append(svg_text(sx(i), top + ph + 14, fmt_num(x_values[i - 1], 0) if x_values is not None else str(i), size=10,
                             anchor="middle"))
    if hline is not None:
        body.append(svg_line(left, sy(hline), left + pw, sy(hline), stroke="#999", dash="2 2"))
    for k, (name, ys) in enumerate(series):
        colour, dash, marker = SERIES_STYLE[k % len(SERIES_STYLE)]
        pts = [(sx(i + 1), sy(float(v))) for i, v in enumerate(ys) if v is not None and math.isfinite(float(v))]
        if len(pts) > 1:
            d = " ".join(f"{'M' if j == 0 else 'L'} {coord(x)} {coord(y)}" for j, (x, y) in enumerate(pts))
            extra = f' stroke-dasharray="{dash}"' if dash else ""
            body.append(f'<path d="{d}" fill="none" stroke="{colour}" stroke-width="1.5"{extra}/>')
        for x, y in pts:
            if marker == "circle":
                body.append(f'<circle cx="{coord(x)}" cy="{coord(y)}" r="2.6" fill="{colour}"/>')
            else:
                body.append(svg_rect(x - 2.4, y - 2.4, 4.8, 4.8, colour))
        ly = top + 10 + k * 18
        body.append(svg_line(left + pw + 12, ly, left + pw + 34, ly, stroke=colour, width=1.5, dash=dash))
        body.append(svg_text(left + pw + 40, ly, truncate(name, 18), size=10))
    body.append(svg_text(left + pw / 2, height - 8, xlabel, size=11, anchor="middle"))
    body.append(
        f'<text x="14" y="{coord(top + ph / 2)}" font-size="11" text-anchor="middle" transform="rotate(-90 14 {coord(top + ph / 2)})" fill="#1a1a1a">{esc(ylabel)}</text>'
    )
    return svg_document(width, height, body, title)


# ---------------------------------------------------------------- histogram

def histogram(values: Sequence[float], title: str = "Histogram", xlabel: str = "", bins: int | None = None, integer: bool = False) -> Safe:
    """Counts of ``values`` in equal-width bins (Sturges' rule unless ``bins``); ``integer``: one bar per whole number."""
    x = np.asarray([float(v) for v in values if v is not None and math.isfinite(float(v))])
    width, height = 300, 190
    left, right, top, bottom = 40, 12, 14, 40
    pw, ph = width - left - right, height - top - bottom
    body: list[str] = []
    if x.size == 0:
        body.append(svg_text(width / 2, height / 2, "no values", size=11, anchor="middle", fill="#6b6b6b"))
        return svg_document(width, height, body, title)
    if integer:
        lo, hi = math.floor(x.min()) - 0.5, math.ceil(x.max()) + 0.5
        edges = np.arange(lo, hi + 1e-9, 1.0)
    else:
        k = bins or max(1, int(math.ceil(math.log2(x.size) + 1)))
        lo, hi = float(x.min()), float(x.max())
        if hi == lo:
            lo, hi = lo - 0.5, hi + 0.5
        edges = np.linspace(lo, hi, k + 1)
    counts, _ = np.histogram(x, bins=edges)
    cmax = max(int(counts.max()), 1)
    ticks = _nice_ticks(0, cmax, 4)
    if len(ticks) > 1 and ticks[-1] < cmax:
        ticks.append(ticks[-1] + (ticks[1] - ticks[0]))

    def sx(v: float) -> float:
        return left + (v - edges[0]) / (edges[-1] - edges[0]) * pw

    def sy(c: float) -> float:
        return top + ph - c / max(ticks[-1], cmax) * ph

    for c, a, b in zip(counts, edges[:-1], edges[1:]):
        if c:
            body.append(svg_rect(sx(a) + 0.5, sy(c), sx(b) - sx(a) - 1, top + ph - sy(c), "#5a8bb8", extra=f' data-count="{int(c)}"'))
    body.append(svg_line(left, top + ph, left + pw, top + ph))
    body.append(svg_line(left, top, left, top + ph))
    for tk in ticks:
        body.append(svg_line(left - 3, sy(tk), left, sy(tk)))
        body.append(svg_text(left - 5, sy(tk), fmt_num(tk, 0), size=9, anchor="end"))
    xticks = [v for v in _nice_ticks(float(x.min()), float(x.max()), 5)] if x.max() > x.min() else [float(x.min())]
    whole_ticks = integer or all(float(tk).is_integer() for tk in xticks)
    for tk in xticks:
        if edges[0] <= tk <= edges[-1]:
            body.append(svg_line(sx(tk), top + ph, sx(tk), top + ph + 3))
            body.append(svg_text(sx(tk), top + ph + 12, fmt_num(tk, 0 if whole_ticks else 2), size=9, anchor="middle"))
    body.append(svg_text(left + pw / 2, height - 8, xlabel, size=10, anchor="middle"))
    return svg_document(width, height, body, title, f"n = {x.size}")
