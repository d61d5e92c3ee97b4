"""One exception type for every user-facing problem.

The command line and the workflow scripts catch :class:`SurveySemError` and print
its one-line message (file, row, column, value, what is wrong) with a non-zero exit,
never a traceback.
"""

from __future__ import annotations


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
        text = " ".join(text.split())  # guarantee a single line
        return f"{head}: {text}" if head else text


def exit_with(err: SurveySemError) -> None:
    """For code that runs when the workflow is parsed (no caller to catch the error): print the
    one line and stop with exit status 1."""
    import sys

    print(f"surveysem: error: {err.one_line()}", file=sys.stderr)
    raise SystemExit(1) from None
