"""``surveysem codebook``: write the codebook (CSV, HTML) and the printable questionnaire."""

from __future__ import annotations

from pathlib import Path

from surveysem.instrument.codebook import write_codebook


def configure_parser(parser) -> None:
    parser.add_argument("--scales", default="scales", help="scales folder (default: scales)")
    parser.add_argument("--out", default=".", help="folder that receives results/ and reports/ (default: .)")
    parser.add_argument("--title", default="Survey of born-global firms", help="questionnaire title")


def run(args) -> int:
    out = Path(args.out)
    table = write_codebook(
        args.scales,
        out / "results" / "codebook.csv",
        out / "reports" / "codebook.html",
        out / "reports" / "questionnaire.html",
        args.title,
    )
    print(f"{len(table)} variables written to {out / 'results' / 'codebook.csv'}")
    return 0
