"""``surveysem check``: read and validate any survey export against the instrument; print every
problem; exit 0 only if the file is usable."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from surveysem.data.ingest import read_and_validate, usable
from surveysem.instrument.scales import load_instrument


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", help="survey export to check (.csv, Qualtrics .csv, .xlsx, .sav, .dta)")
    parser.add_argument("--config", default="config/config.yaml", help="config file (default: config/config.yaml)")
    parser.add_argument("--format", default=None, choices=["auto", "csv", "qualtrics", "xlsx", "sav", "dta"],
                        help="file format (default: auto, or data.format when FILE is data.survey)")
    parser.add_argument("--encoding", default=None, help="text encoding (default: auto)")
    parser.add_argument("--delimiter", default=None, help="CSV delimiter (default: auto)")
    parser.add_argument("--max-problems", type=int, default=20, help="problems to print (default: 20)")


def run(args) -> int:
    from surveysem.config import load_config

    config = load_config(args.config)
    data_cfg = config.get("data", {})
    path = Path(args.file)
    is_configured = Path(data_cfg["survey"]).resolve() == path.resolve()
    fmt = args.format or (data_cfg["format"] if is_configured else "auto")
    encoding = args.encoding or (data_cfg["encoding"] if is_configured else "auto")
    delimiter = args.delimiter or (data_cfg["delimiter"] if is_configured else "auto")
    inst = load_instrument(config["instrument"]["scales_dir"])
    checked = read_and_validate(path, config, inst, fmt=fmt, encoding=encoding, delimiter=delimiter)
    problems = checked.validation.problems
    on_invalid = data_cfg["on_invalid"]
    ok, dropped = usable(checked, on_invalid)
    limit = max(0, int(args.max_problems))
    for p in problems[:limit]:
        print(p.one_line())
    if len(problems) > limit:
        print(f"... and {len(problems) - limit} more (total {len(problems)})")
    table = checked.table
    where = f"{path}: {table.format}"
    if table.encoding:
        where += f", encoding {table.encoding}"
    if table.delimiter:
        where += f", delimiter {table.delimiter!r}"
    n = len(checked.frame)
    if ok and not problems:
        print(f"{where}: usable: {n} rows, no problems")
    elif ok:
        print(f"{where}: usable with data.on_invalid: drop: {len(dropped)} of {n} rows would be dropped "
              f"({len(problems)} problems)")
    else:
        print(f"{where}: NOT usable: {len(problems)} problem(s) in {n} rows", file=sys.stderr)
    if checked.privacy.dropped:
        print(f"identifying columns that ingest drops: {', '.join(checked.privacy.dropped)}")
    return 0 if ok else 1
