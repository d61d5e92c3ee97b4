"""The files passed between stages: one registry of path, writer, readers and columns.

The registry is data, ``stage_files.yaml`` beside this module. Rules take their inputs and
outputs from here (``workflow/rules/common.smk``: ``F(key)``), report pages read columns by the
names registered here (``surveysem.report.pages.context``), ``CONTRIBUTING.md``'s file table is
generated from it (``python -m surveysem.stage_files``; tests/workflow/test_docs.py compares),
and tests/workflow/test_stage_files.py checks that every CSV a workflow run writes has exactly
its registered columns and every JSON its registered top-level keys.

Light on purpose: parsing the workflow, on every ``snakemake`` call, reads this module (libyaml,
no pandas).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

REGISTRY_FILE = Path(__file__).with_name("stage_files.yaml")


@dataclass(frozen=True)
class StageFile:
    """One file passed between stages.

    ``columns``: for a CSV, its columns in order (name -> meaning); for a JSON object, its
    top-level keys; empty for HTML. A table whose columns depend on the instrument or the data
    registers its fixed columns, which come first, and says in ``columns_vary`` what follows."""

    key: str
    path: str
    writer: str
    readers: tuple[str, ...]
    description: str
    columns: dict[str, str] = field(default_factory=dict)
    columns_vary: str = ""

    @property
    def kind(self) -> str:
        return self.path.rsplit(".", 1)[-1]


def _load(path: Path = REGISTRY_FILE) -> dict[str, StageFile]:
    with open(path, encoding="utf-8") as fh:
        entries = yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    return {key: StageFile(key, e["path"], e["writer"], tuple(e["readers"]), e["description"],
                           dict(e.get("columns") or {}), e.get("columns_vary", ""))
            for key, e in entries.items()}


REPORT = "report_pages"
FILES: dict[str, StageFile] = _load()

REPORT_FILES = tuple(key for key, f in FILES.items() if REPORT in f.readers)


def columns(key: str) -> list[str]:
    """The registered (fixed) columns of CSV ``key``, in order: the header of an empty table."""
    return list(FILES[key].columns)


def path(key: str, **wildcards) -> str:
    """The path of file ``key`` (wildcards filled in when given)."""
    template = FILES[key].path
    return template.format(**wildcards) if wildcards else template


def markdown_table() -> str:
    """The file table of CONTRIBUTING.md."""
    lines = ["| file | written by | read by | content |", "|---|---|---|---|"]
    for f in FILES.values():
        readers = ", ".join(f"`{r}`" for r in f.readers)
        lines.append(f"| `{f.path}` | `{f.writer}` | {readers} | {f.description} |")
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    print(markdown_table())
