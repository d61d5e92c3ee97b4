"""One exception type for every user-facing problem.

The command line and the workflow scripts catch :class:`SurveySemError` and print
its one-line message (file, row, column, value, what is wrong) with a non-zero exit,
never a traceback.
"""

from __future__ import annotations

import logging
import re

# Values that identify people, wherever a value is printed (error lines, logs, invalid-value
# reports): an e-mail address, an IPv4 / IPv6 address, a phone number (7 or more digits with a
# leading +, spaces, dots, dashes or parentheses, or 9 or more bare digits; dates, times, decimals
# and ranges such as 1900..2026 are not phone numbers).
PII_PATTERNS = {
    "e-mail address": re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"),
    "IP address": re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?!\w|\.\d)"
                             r"|(?<![\w:])(?:[0-9A-Fa-f]{1,4}:){3,7}[0-9A-Fa-f]{1,4}(?![\w:])"
                             r"|(?<![\w:])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4})*::(?:[0-9A-Fa-f]{1,4}:?)+(?![\w:])"),
    "phone number": re.compile(r"(?<![\w+])(?<!\d\.)\+?\(?\d[\d ().-]{5,}\d(?!\w|\.\d)"),
}
_NOT_PHONE = re.compile(r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}(?: \d{1,2})?|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}(?: \d{1,2})?"
                        r"|\d+\.\d+|.*\.\..*")


def _is_phone(candidate: str, bare_digits: bool = True) -> bool:
    text = candidate.strip()
    if text.isdigit() and not bare_digits:
        return False
    digits = sum(ch.isdigit() for ch in text)
    return digits >= (9 if text.isdigit() else 7) and not _NOT_PHONE.fullmatch(text)


def _scan(text, bare_digits: bool = True) -> tuple[str, list[str]]:
    """``text`` with every identifying value replaced by ``[redacted: <kind>]``, and the kinds found."""
    out, kinds = str(text), []
    for kind, pattern in PII_PATTERNS.items():
        def replace(m, kind=kind):
            if kind == "phone number" and not _is_phone(m.group(), bare_digits):
                return m.group()
            kinds.append(kind)
            return f"[redacted: {kind}]"
        out = pattern.sub(replace, out)
    return out, list(dict.fromkeys(kinds))


def pii_kinds(text, bare_digits: bool = True) -> list[str]:
    """The kinds of identifying value (:data:`PII_PATTERNS`) found in ``text``, in that order;
    ``bare_digits=False``: a run of digits alone is no phone number (a numeric respondent id)."""
    return _scan(text, bare_digits)[1]


def redact_pii(text) -> str:
    """``text`` with every e-mail address, IP address and phone number replaced by
    ``[redacted: <kind>]``: the one redaction of every error line and log record."""
    return _scan(text)[0]


class RedactingFilter(logging.Filter):
    """A log filter that passes every record through :func:`redact_pii` (the workflow's handlers)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact_pii(message)
        if clean != message:
            record.msg, record.args = clean, None
        return True


class SurveySemError(Exception):
    """A problem with user input (data, scales, config) described in one line."""

    def __init__(self, message: str, *, file=None, row=None, column=None, value=None):
        self.message = message
        self.file = None if file is None else str(file)
        self.row = row
        self.column = column
        self.value = value
        super().__init__(self.one_line())

    def one_line(self) -> str:
        where = []
        if self.file is not None:
            where.append(self.file)
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column!s}")
        head = ", ".join(where)
        text = self.message
        if self.value is not None:
            text = f"{text} (value {self.value!r})"
        text = redact_pii(" ".join(text.split()))  # a single line that identifies nobody
        return f"{head}: {text}" if head else text


def exit_with(err: SurveySemError) -> None:
    """For code that runs when the workflow is parsed (no caller to catch the error): print the
    one line and stop with exit status 1."""
    import sys

    print(f"surveysem: error: {err.one_line()}", file=sys.stderr)
    raise SystemExit(1) from None
