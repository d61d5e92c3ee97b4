"""``surveysem power``: the Monte Carlo power study, by Snakemake (the same rules as ``snakemake power``).

``surveysem power [--config config/config.yaml] [--cores 2] [--dry-run] [-- SNAKEMAKE OPTIONS]``

Runs ``snakemake power`` in the workflow folder (the one holding the ``Snakefile``) with the
given config, so chunks finished by an earlier or interrupted run are reused and the results
are the same files. The config is validated first (one line naming the key on a problem).
Listed in :mod:`surveysem.cli`; the statistics are in :mod:`surveysem.power`.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from surveysem.config import load_config
from surveysem.errors import SurveySemError


def configure_parser(parser) -> None:
    """Add the options of ``surveysem power`` to ``parser``."""
    parser.add_argument("--config", default="config/config.yaml", help="config file (default: %(default)s)")
    parser.add_argument("--cores", type=int, default=2, help="Snakemake job slots (default: %(default)s)")
    parser.add_argument("--directory", default=".", help="workflow folder with the Snakefile (default: %(default)s)")
    parser.add_argument("--dry-run", action="store_true", help="only list the jobs that would run")
    parser.add_argument("snakemake_options", nargs="*", help="further options for snakemake (after --)")


def snakemake_command(args) -> list[str]:
    """The ``snakemake`` command line of ``args``."""
    beside = Path(sys.executable).with_name("snakemake")
    exe = str(beside) if beside.exists() else shutil.which("snakemake")
    if exe is None:
        raise SurveySemError("snakemake not found beside the Python running surveysem nor on PATH")
    cmd = [exe, "--cores", str(args.cores), "--configfile", str(args.config)]
    if args.dry_run:
        cmd.append("--dry-run")
    return [*cmd, *args.snakemake_options, "--", "power"]


def run(args) -> int:
    """Validate the config, then run ``snakemake power``; returns Snakemake's exit status."""
    if args.cores < 1:
        raise SurveySemError("--cores must be at least 1", value=args.cores)
    directory = Path(args.directory)
    if not (directory / "Snakefile").is_file():
        raise SurveySemError("no Snakefile in the workflow folder", file=directory)
    load_config(directory / args.config)
    return subprocess.run(snakemake_command(args), cwd=directory, check=False).returncode
