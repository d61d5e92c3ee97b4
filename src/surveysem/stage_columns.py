"""Columns of the files passed between stages (see surveysem.stage_files)."""

COLUMNS: dict[str, dict[str, str]] = {}
