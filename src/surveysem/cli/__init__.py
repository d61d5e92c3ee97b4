"""The ``surveysem`` command.

Each subcommand lives in the module of its concern, which provides
``configure_parser(parser)`` and ``run(args) -> int``; this file only lists them, so
that ``surveysem --help`` stays fast (modules are imported when their command runs).
A :class:`~surveysem.errors.SurveySemError` ends as one line on stderr and exit 1.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from surveysem.errors import SurveySemError

# name -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "instrument": ("surveysem.cli.instrument", "validate the scales/ folder and summarise it"),
    "codebook": ("surveysem.cli.codebook", "write the codebook (CSV, HTML) and printable questionnaire"),
    "fit": ("surveysem.cli.fit", "fit a lavaan-syntax model to a CSV and print results"),
    "reliability": ("surveysem.cli.reliability", "alpha, omega, CR, AVE, item statistics and HTMT for scales in a CSV"),
    "check": ("surveysem.cli.check", "read and validate a survey file against the instrument"),
    "simulate": ("surveysem.cli.simulate", "draw a synthetic survey from the population model in the config"),
    "power": ("surveysem.cli.power", "Monte Carlo power and sample size of the hypotheses (snakemake power)"),
    "preregister": ("surveysem.cli.preregister", "freeze the analysis config and the instrument into the "
                                                 "pre-registration lock"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="surveysem",
        description="Survey measurement and SEM pipeline for born-global research (Yang & Stoian 2024).",
    )
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module, help_text) in COMMANDS.items():
        sub.add_parser(name, help=help_text, add_help=False)
    return parser


def _version() -> str:
    from surveysem import __version__

    return f"surveysem {__version__}"


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    top = build_parser()
    if not argv or argv[0] not in COMMANDS:
        top.parse_args(argv or ["--help"])
        return 2
    name, rest = argv[0], argv[1:]
    module_name, help_text = COMMANDS[name]
    parser = argparse.ArgumentParser(prog=f"surveysem {name}", description=help_text)
    try:
        module = importlib.import_module(module_name)
        module.configure_parser(parser)
        args = parser.parse_args(rest)
        return int(module.run(args) or 0)
    except SurveySemError as err:
        print(f"surveysem {name}: error: {err.one_line()}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
