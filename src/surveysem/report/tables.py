"""APA-style tables: number formatting, notes, HTML and CSV.

Formatting rules (APA 7th ed., section 6.36):

* coefficients, means, SDs, loadings and anything that can exceed 1 in absolute value: two
  decimals with a leading zero (``0.45``, ``−1.20``);
* values that cannot exceed 1 (p, r, alpha, omega, CR, AVE, R², CFI, TLI, RMSEA, SRMR,
  proportions): no leading zero (``.87``);
* p values: three decimals without a leading zero; below .001 as ``< .001``;
* negative numbers use the minus sign (U+2212) in HTML and ``-`` in the CSV copy;
* significance marks ``*`` p < .05, ``**`` p < .01, ``***`` p < .001, explained in the note;
* a value outside the range its quantity can take (R² or a share of variance outside [0, 1], a
  standardized loading or correlation beyond ±1, a negative variance: a Heywood case or improper
  solution) is marked ``†`` by the range-aware formatters (:func:`fmt_r2`, :func:`fmt_standardized`,
  :func:`fmt_correlation`, :func:`fmt_variance`) and every :class:`Table` showing one explains it
  in its note (:data:`INADMISSIBLE_NOTE`).

A missing value (None/NaN) prints as an em dash in the table and its meaning goes in the note;
the formatting functions never invent a number.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Sequence

import pandas as pd

from surveysem.report.html import Safe, tag

MINUS = "\u2212"
DASH = "\u2014"
SIG_LEVELS = ((0.001, "***"), (0.01, "**"), (0.05, "*"))
# The one convention of significance marks in the report: the two-sided p of the row's own test.
# Tables of one-sided verdict tests carry no marks (their p, p (adj.) and one-sided bound say it),
# so no page shows marks of two kinds.
SIG_NOTE = "* p < .05. ** p < .01. *** p < .001 (marks: the two-sided p of the row's own test)."


def _is_missing(x) -> bool:
    if x is None:
        return True
    try:
        return isinstance(x, str) and x.strip() == "" or (not isinstance(x, str) and bool(pd.isna(x)))
    except (TypeError, ValueError):
        return False


def _num(x) -> float | None:
    if _is_missing(x):
        return None
    try:
        value = float(x)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def _minus(text: str) -> str:
    return text.replace("-", MINUS) if text.startswith("-") else text


def fmt_num(x, decimals: int = 2) -> str:
    """A number with a leading zero: ``fmt_num(0.456) == '0.46'``, ``fmt_num(-1.2) == '−1.20'``."""
    value = _num(x)
    if value is None:
        return DASH
    text = f"{value:.{decimals}f}"
    if float(text) == 0:  # no "−0.00"
        text = text.lstrip("-")
    return _minus(text)


def fmt_bounded(x, decimals: int = 2) -> str:
    """A value bounded by 1 in absolute value, no leading zero: ``.87``, ``−.30``, ``1.00``."""
    value = _num(x)
    if value is None:
        return DASH
    text = fmt_num(value, decimals)
    if text.startswith("0."):
        text = text[1:]
    elif text.startswith(MINUS + "0."):
        text = MINUS + text[2:]
    return text


# ------------------------------------------------------------------ admissible ranges

INADMISSIBLE = "\u2020"  # dagger: the mark of a value outside its admissible range
INADMISSIBLE_NOTE = (f"{INADMISSIBLE} outside its admissible range (R² and shares of variance in [0, 1], standardized "
                     "loadings and correlations within ±1, variances ≥ 0): Heywood case / improper solution, not an "
                     "interpretable estimate.")
# Rounding noise of an estimator (e.g. a correlation of 1 + 1e-12) is not an improper solution.
ADMISSIBLE_TOLERANCE = 1e-9


def outside_range(x, lower: float, upper: float) -> bool:
    """Whether ``x`` is a number outside [lower, upper] (a missing value is not)."""
    value = _num(x)
    return value is not None and not (lower - ADMISSIBLE_TOLERANCE <= value <= upper + ADMISSIBLE_TOLERANCE)


def _flagged(text: str, x, lower: float, upper: float) -> str:
    return f"{text} {INADMISSIBLE}" if outside_range(x, lower, upper) else text


def fmt_r2(x, decimals: int = 2) -> str:
    """R² or another share of variance (AVE, CR, communality), admissible in [0, 1]: ``.45``, ``1.02 †``."""
    return _flagged(fmt_bounded(x, decimals), x, 0.0, 1.0)


def fmt_standardized(x, decimals: int = 2) -> str:
    """A standardized loading, admissible within ±1 (beyond: a negative residual variance), with a
    leading zero as the loading tables print it: ``0.85``, ``1.04 †``."""
    return _flagged(fmt_num(x, decimals), x, -1.0, 1.0)


def fmt_correlation(x, decimals: int = 2) -> str:
    """A correlation (latent or observed, or the square root of an AVE), admissible within ±1:
    ``.62``, ``−1.03 †``."""
    return _flagged(fmt_bounded(x, decimals), x, -1.0, 1.0)


def fmt_variance(x, decimals: int = 2) -> str:
    """A variance, admissible when not negative: ``0.31``, ``−0.05 †`` (a Heywood case)."""
    return _flagged(fmt_num(x, decimals), x, 0.0, math.inf)


def has_inadmissible(cells) -> bool:
    """Whether any cell (text or markup) carries the inadmissible-value mark."""
    return any(INADMISSIBLE in str(c) for c in cells)


def with_inadmissible_note(note: str, cells) -> str:
    """``note`` with :data:`INADMISSIBLE_NOTE` appended when a cell (or the note itself) carries the mark."""
    if INADMISSIBLE_NOTE in note or not (has_inadmissible(cells) or INADMISSIBLE in note):
        return note
    return f"{note} {INADMISSIBLE_NOTE}".strip()


def fmt_p(p) -> str:
    """p value in APA style: ``.032``, ``< .001``, ``.050``, ``1.000``."""
    value = _num(p)
    if value is None:
        return DASH
    if value < 0.001:
        return "< .001"
    return fmt_bounded(value, 3)


def fmt_int(x) -> str:
    value = _num(x)
    if value is None:
        return DASH
    return _minus(f"{int(round(value)):d}")


def fmt_percent(x, decimals: int = 1) -> str:
    """A share 0..1 as a percentage: ``fmt_percent(0.125) == '12.5%'``."""
    value = _num(x)
    if value is None:
        return DASH
    return _minus(f"{100 * value:.{decimals}f}%")


def stars(p) -> str:
    """Significance marks for a two-sided p value (SIG_NOTE)."""
    value = _num(p)
    if value is None:
        return ""
    for level, mark in SIG_LEVELS:
        if value < level:
            return mark
    return ""


def fmt_ci(lo, hi, decimals: int = 2, bounded: bool = False) -> str:
    """``[0.12, 0.56]``; an em dash when a bound was not computed."""
    f = fmt_bounded if bounded else fmt_num
    if _num(lo) is None or _num(hi) is None:
        return DASH
    return f"[{f(lo, decimals)}, {f(hi, decimals)}]"


def fmt_text_blank(x) -> str:
    """Text cell of a table: a missing value is left blank (e.g. an empty note)."""
    return "" if _is_missing(x) else str(x)


# Column-name based formatters, for tables built from result files with known column names.
BOUNDED_NAMES = {
    "p", "pvalue", "p_value", "p_adj", "p_holm", "p_one_sided", "p_onesided", "r", "alpha", "alpha_std", "std_alpha",
    "omega", "omega_total", "cr", "ave", "r2", "r_squared", "rsquared", "pseudo_r2", "cfi", "tli", "rmsea", "srmr",
    "rmsea_ci_lower", "rmsea_ci_upper", "share", "share_missing", "missing_share", "average_r", "mean_r",
    "item_total", "r_it", "r_drop", "corrected_item_total", "alpha_if_deleted", "alpha_drop", "kmo", "msa",
    "delta_cfi", "delta_rmsea", "cfi_robust", "tli_robust", "rmsea_robust", "f2",
}


# Fit indices are reported with three decimals (cut-offs such as .95 and .06 need them).
FIT_INDEX_NAMES = {
    "cfi", "tli", "rmsea", "srmr", "rmsea_ci_lower", "rmsea_ci_upper", "delta_cfi", "delta_rmsea", "delta_srmr", "delta_tli",
    "cfi_robust", "tli_robust", "rmsea_robust", "cfi_scaled", "tli_scaled", "rmsea_scaled",
}


def fmt_fit_index(x) -> str:
    """CFI, TLI, RMSEA, SRMR and their differences: three decimals, no leading zero (``.953``)."""
    return fmt_bounded(x, 3)


def formatter_for(column: str) -> Callable[[object], str]:
    """Pick a formatter from a column name (p values, bounded indices, counts, text)."""
    name = column.lower()
    if name in {"p", "pvalue", "p_value", "p.value", "pr(>|z|)"} or name.startswith("p_") or name.endswith("_p") or "pvalue" in name:
        return fmt_p
    if name in {"n", "df", "n_before", "n_after", "n_excluded", "npar", "nobs", "n_items", "count", "k"} or name.startswith(
        "n_"
    ):
        return lambda x: fmt_int(x) if _num(x) is not None and float(_num(x)).is_integer() else fmt_num(x)
    if name in FIT_INDEX_NAMES:
        return fmt_fit_index
    if name in BOUNDED_NAMES or "share" in name or "proportion" in name:
        return fmt_bounded
    return fmt_num


@dataclass
class Table:
    """An APA table: number, title, column headers, rows of already formatted cells, a note.

    ``rows`` hold strings (or :class:`Safe` markup for badges); ``text_columns`` are left
    aligned. ``to_csv_frame`` gives the same table as plain text for ``results/tables/``.
    """

    title: str
    columns: Sequence[str]
    rows: list[list]
    note: str = ""
    number: int | None = None
    text_columns: set[int] = field(default_factory=lambda: {0})
    table_id: str | None = None

    @property
    def full_note(self) -> str:
        """The note, explaining the inadmissible-value mark whenever a cell carries it."""
        return with_inadmissible_note(self.note, [c for row in self.rows for c in row])

    def to_html(self) -> Safe:
        caption_parts = []
        if self.number is not None:
            caption_parts.append(tag("span", f"Table {self.number}", class_="tnum"))
        caption_parts.append(tag("span", self.title, class_="ttitle"))
        head = tag("thead", tag("tr", *[tag("th", c, scope="col") for c in self.columns]))
        body_rows = []
        for row in self.rows:
            cells = []
            for j, cell in enumerate(row):
                cells.append(tag("td", cell, class_="text" if j in self.text_columns else None))
            body_rows.append(tag("tr", *cells))
        parts = [tag("caption", *caption_parts), head, tag("tbody", *body_rows)]
        note = self.full_note
        if note:
            parts.append(
                tag("tfoot", tag("tr", tag("td", tag("em", "Note."), " ", note, colspan=str(len(self.columns)))))
            )
        return tag("div", tag("table", *parts, class_="apa", id=self.table_id), class_="table-wrap")

    def to_csv_frame(self) -> pd.DataFrame:
        """The displayed table as text (ASCII minus), one CSV row per table row."""

        def plain(cell) -> str:
            text = _strip_tags(cell) if isinstance(cell, Safe) else str(cell)
            return text.replace(MINUS, "-")

        return pd.DataFrame([[plain(c) for c in row] for row in self.rows], columns=list(self.columns))


def _strip_tags(markup: str) -> str:
    import html as _html
    import re

    return _html.unescape(re.sub(r"<[^>]+>", "", markup))


# Headers for well-known result columns; others get underscores replaced by spaces.
HEADERS = {
    "mean": "M", "sd": "SD", "std": "SD", "median": "Mdn", "min": "Min", "max": "Max", "n": "n", "se": "SE",
    "pvalue": "p", "p_value": "p", "chisq": "χ²", "df": "df", "cfi": "CFI", "tli": "TLI", "rmsea": "RMSEA", "srmr": "SRMR",
    "aic": "AIC", "bic": "BIC", "delta_cfi": "ΔCFI", "delta_rmsea": "ΔRMSEA", "delta_chisq": "Δχ²", "delta_df": "Δdf",
    "alpha": "α", "omega": "ω", "cr": "CR", "ave": "AVE", "htmt": "HTMT", "htmt2": "HTMT2", "vif": "VIF", "kmo": "KMO",
    "msa": "MSA", "r_drop": "r (item–rest)", "std_all": "β", "est": "Estimate", "estimate": "Estimate", "skew": "Skew",
    "kurtosis": "Kurtosis", "ci_lower": "CI lower", "ci_upper": "CI upper", "r2": "R²", "r_squared": "R²",
}


def pretty_header(column: str) -> str:
    name = str(column)
    if name.lower() in HEADERS:
        return HEADERS[name.lower()]
    text = name.replace("_", " ")
    return text[:1].upper() + text[1:]


def frame_table(
    frame: pd.DataFrame,
    title: str,
    *,
    columns: dict[str, str] | None = None,
    formatters: dict[str, Callable[[object], str]] | None = None,
    note: str = "",
    text_columns: Sequence[str] = (),
    number: int | None = None,
    table_id: str | None = None,
) -> Table:
    """Build a :class:`Table` from a result frame.

    ``columns`` maps source column → header (and fixes the order; absent columns are skipped);
    formatters default to :func:`formatter_for` by column name; object (string) columns are text.
    """
    columns = columns or {c: pretty_header(c) for c in frame.columns}
    present = [c for c in columns if c in frame.columns]
    formatters = formatters or {}
    fmts = {}
    text_idx = set()
    for j, col in enumerate(present):
        if col in formatters:
            fmts[col] = formatters[col]
        elif col in text_columns or not pd.api.types.is_numeric_dtype(frame[col]) or pd.api.types.is_bool_dtype(frame[col]):
            fmts[col] = fmt_text_blank
        elif pd.api.types.is_integer_dtype(frame[col]) and formatter_for(col) is not fmt_p:
            fmts[col] = fmt_int
        else:
            fmts[col] = formatter_for(col)
        if fmts[col] is fmt_text_blank or col in text_columns:
            text_idx.add(j)
    rows = [[fmts[c](v) for c, v in zip(present, record)] for record in frame[present].itertuples(index=False, name=None)]
    return Table(
        title=title,
        columns=[columns[c] for c in present],
        rows=rows,
        note=note,
        number=number,
        text_columns=text_idx or {0},
        table_id=table_id,
    )
