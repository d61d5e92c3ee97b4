"""SVG primitives shared by the figures (``figures``) and the P4 path diagram (``pathdiagram``).

Deterministic text: coordinates are printed with at most two decimals and every label is
escaped, so a figure is byte-identical across runs and safe with any text from a config or data.
"""

from __future__ import annotations

from surveysem.report.html import Safe, esc

FONT = 'font-family="Helvetica, Arial, sans-serif"'
CHAR_W = 0.58  # average glyph width as a share of the font size (for layout only)


def coord(x: float) -> str:
    """Coordinate with at most 2 decimals, no trailing zeros, no '-0'."""
    text = f"{x:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def text_width(text: str, size: float) -> float:
    """Approximate width of ``text`` in pixels at font ``size`` (for layout only)."""
    return len(str(text)) * size * CHAR_W


def truncate(text: str, max_chars: int) -> str:
    """``text`` cut to ``max_chars`` characters with an ellipsis."""
    text = str(text)
    return text if len(text) <= max_chars else text[: max(1, max_chars - 1)].rstrip() + "\u2026"


def svg_document(width: float, height: float, body: list[str], title: str, desc: str = "") -> Safe:
    """A complete ``<svg>`` element around ``body`` with an accessible (escaped) title and description."""
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {coord(width)} {coord(height)}" '
        f'width="{coord(width)}" height="{coord(height)}" role="img" {FONT}>'
    )
    parts = [head, f"<title>{esc(title)}</title>"]
    if desc:
        parts.append(f"<desc>{esc(desc)}</desc>")
    parts.extend(body)
    parts.append("</svg>")
    return Safe("\n".join(parts))


def svg_text(x, y, text, size=12, anchor="start", weight=None, fill="#1a1a1a", baseline="middle", extra="") -> str:
    """A ``<text>`` element; ``text`` is escaped."""
    w = f' font-weight="{weight}"' if weight else ""
    return (
        f'<text x="{coord(x)}" y="{coord(y)}" font-size="{coord(size)}" text-anchor="{anchor}" '
        f'dominant-baseline="{baseline}" fill="{fill}"{w}{extra}>{esc(text)}</text>'
    )


def svg_rect(x, y, w, h, fill, stroke=None, extra="") -> str:
    s = f' stroke="{stroke}"' if stroke else ""
    return f'<rect x="{coord(x)}" y="{coord(y)}" width="{coord(max(w, 0))}" height="{coord(max(h, 0))}" fill="{fill}"{s}{extra}/>'


def svg_line(x1, y1, x2, y2, stroke="#1a1a1a", width=1, dash=None) -> str:
    d = f' stroke-dasharray="{dash}"' if dash else ""
    return f'<line x1="{coord(x1)}" y1="{coord(y1)}" x2="{coord(x2)}" y2="{coord(y2)}" stroke="{stroke}" stroke-width="{coord(width)}"{d}/>'
