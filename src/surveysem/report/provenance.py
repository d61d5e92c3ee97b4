"""Provenance: what went into the report (file hashes, config, versions, commit, date).

**Report date.** To keep reports byte-identical across reruns, the date printed is never the
wall-clock time. It is, in this order:

1. ``SOURCE_DATE_EPOCH`` (seconds since 1970, the reproducible-builds convention) if set;
2. otherwise the latest modification date (UTC) of the survey data file and the config file —
   "the date of the data/config";
3. otherwise "date unknown".

Only the day (``YYYY-MM-DD``, UTC) is printed.
"""

from __future__ import annotations

import datetime as _dt
import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path

from surveysem.io import sha256_file

PACKAGES = (
    "surveysem", "numpy", "scipy", "pandas", "statsmodels", "semopy", "pingouin", "scikit-learn",
    "factor-analyzer", "snakemake", "pyreadstat", "openpyxl", "jsonschema", "PyYAML",
)


def report_date(files=(), env=None) -> tuple[str, str]:
    """(YYYY-MM-DD, how it was chosen). See the module docstring."""
    env = os.environ if env is None else env
    epoch = env.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch:
        try:
            day = _dt.datetime.fromtimestamp(int(epoch), tz=_dt.timezone.utc).date().isoformat()
            return day, "SOURCE_DATE_EPOCH"
        except (ValueError, OverflowError, OSError):
            pass
    times = []
    for f in files:
        try:
            times.append(Path(f).stat().st_mtime)
        except OSError:
            continue
    if times:
        day = _dt.datetime.fromtimestamp(max(times), tz=_dt.timezone.utc).date().isoformat()
        return day, "latest modification date of the input files (the survey)"
    return "date unknown", "no data or config file found and SOURCE_DATE_EPOCH not set"


def package_versions(names=PACKAGES) -> list[tuple[str, str]]:
    out = [("python", platform.python_version())]
    for name in names:
        try:
            out.append((name, metadata.version(name)))
        except metadata.PackageNotFoundError:
            out.append((name, "not installed"))
    return out


def git_commit(cwd=".") -> str:
    """``git rev-parse HEAD``, or "not a git checkout" (also when git is missing or there is no commit yet)."""
    try:
        proc = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return "not a git checkout"
    head = proc.stdout.strip()
    if proc.returncode != 0 or len(head) < 7:
        return "not a git checkout"
    dirty = ""
    try:
        status = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=cwd, capture_output=True, text=True, timeout=10
        )
        if status.returncode == 0 and status.stdout.strip():
            dirty = " (with uncommitted changes)"
    except (OSError, subprocess.SubprocessError):
        pass
    return head + dirty


def file_hashes(paths) -> list[tuple[str, str, str]]:
    """(path, sha256 or 'not computed', size in bytes or '') for each path, in the given order."""
    rows = []
    for p in paths:
        path = Path(p)
        if path.is_file():
            rows.append((str(p), sha256_file(path), str(path.stat().st_size)))
        else:
            rows.append((str(p), "not computed (file absent)", ""))
    return rows
