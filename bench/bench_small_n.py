"""Benchmark of the P4 bootstrap at about 128 firms (issue 17 item 3): `.test/config_fiml`, B resamples.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python bench/bench_small_n.py [--resamples 2000] [--chunks 2]
        [--missing fiml two_stage] [--pipeline]

For each P4 missing-data method (``p4.missing``) it runs ``snakemake --cores 2`` in a temporary copy
of the workflow (Snakefile, workflow/, .test/) on `.test/config_fiml` (150 synthetic firms with
missing answers, about 128 retained) with ``bootstrap.B`` and ``bootstrap.chunks`` set, up to the
merged bootstrap (``--pipeline``: the whole pipeline), and prints one table: wall and CPU seconds
of each chunk job (first to last line of its log; CPU from its last progress line), resamples per
second, failed and non-converged resamples, and the wall seconds of the snakemake call. On a shared
machine compare CPU seconds: the bootstrap fits in the target when the slowest chunk's CPU does. Targets (2 cores) are printed beside the
numbers, never asserted: the bootstrap within 180 s, the whole pipeline within 300 s. Timings on a
shared machine vary; the status counts do not (resamples are seeded).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
SNAKEMAKE = str(Path(sys.executable).parent / "snakemake")
CONFIG = ".test/config_fiml/config.yaml"
BOOTSTRAP = "results/propositions/p4_bootstrap.csv"
ENV = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
STAMP = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3})", re.MULTILINE)
CPU = re.compile(r"resamples \(\d+%\) in [\d.]+ s \(([\d.]+) s CPU\)")


def workflow_copy(where: Path) -> Path:
    """Snakefile, workflow/ and .test/ in ``where`` (as tests/conftest.py ``workflow_copy``)."""
    for name in ("Snakefile", "workflow", ".test"):
        src = ROOT / name
        (shutil.copytree if src.is_dir() else shutil.copy2)(src, where / name)
    return where


def with_settings(text: str, B: int, chunks: int, missing: str) -> str:
    """The config text with bootstrap.B, bootstrap.chunks and p4.missing replaced."""
    text = re.sub(r"(?m)^(bootstrap:\n(?:  .*\n|#.*\n)*?)  B: \d+", rf"\g<1>  B: {B}", text)
    text = re.sub(r"(?m)^(bootstrap:\n(?:  .*\n|#.*\n)*?)  chunks: \d+", rf"\g<1>  chunks: {chunks}", text)
    return re.sub(r"(?m)^(p4:\n(?:  .*\n|#.*\n)*?)  missing: .*", rf"\g<1>  missing: {missing}", text)


def log_seconds(path: Path) -> float:
    """Seconds from the first to the last timestamped line of a step's log."""
    stamps = [datetime.strptime(s, "%Y-%m-%d %H:%M:%S,%f") for s in STAMP.findall(path.read_text(encoding="utf-8"))]
    return (stamps[-1] - stamps[0]).total_seconds() if stamps else float("nan")


def log_cpu_seconds(path: Path) -> float:
    """CPU seconds of a chunk's resamples (its last progress line; NaN when the log has none)."""
    found = CPU.findall(path.read_text(encoding="utf-8"))
    return float(found[-1]) if found else float("nan")


def chunk_rows(work: Path, missing: str, chunks: int) -> list[dict]:
    rows = []
    for c in range(chunks):
        frame = pd.read_csv(work / "results" / "propositions" / "bootstrap" / f"chunk_{c}.csv")
        log = work / "logs" / "propositions" / f"bootstrap_chunk_{c}.log"
        seconds, cpu = log_seconds(log), log_cpu_seconds(log)
        status = frame["status"].astype(str)
        rows.append({"p4.missing": missing, "what": f"chunk {c + 1}/{chunks}", "resamples": len(frame),
                     "wall s": round(seconds, 1), "CPU s": round(cpu, 1), "resamples/s": round(len(frame) / seconds, 2),
                     "resamples/CPU s": round(len(frame) / cpu, 2),
                     "failed": int(status.str.startswith("failed").sum()),
                     "not converged": int((status == "not converged").sum()), "target": ""})
    return rows


def run(missing: str, B: int, chunks: int, pipeline: bool) -> list[dict]:
    with tempfile.TemporaryDirectory(prefix="bench_small_n_") as tmp:
        work = workflow_copy(Path(tmp))
        config = work / CONFIG
        config.write_text(with_settings(config.read_text(encoding="utf-8"), B, chunks, missing), encoding="utf-8")
        # the target before --configfile, which takes every argument after it
        cmd = [SNAKEMAKE, *([] if pipeline else [BOOTSTRAP]), "--cores", "2", "--configfile", CONFIG]
        t = time.perf_counter()
        proc = subprocess.run(cmd, cwd=work, capture_output=True, text=True, env=ENV, check=False)
        wall = time.perf_counter() - t
        if proc.returncode:
            raise SystemExit(f"snakemake failed ({missing}):\n{proc.stderr[-3000:]}")
        rows = chunk_rows(work, missing, chunks)
        boot, cpu = max(r["wall s"] for r in rows), max(r["CPU s"] for r in rows)
        rows.append({"p4.missing": missing, "what": "bootstrap (slowest chunk)", "resamples": B, "wall s": boot,
                     "CPU s": cpu, "resamples/s": round(B / boot, 2), "resamples/CPU s": round(B / sum(r["CPU s"] for r in rows), 2),
                     "failed": sum(r["failed"] for r in rows),
                     "not converged": sum(r["not converged"] for r in rows), "target": "<= 180 s"})
        rows.append({"p4.missing": missing, "what": "whole pipeline" if pipeline else "snakemake to the bootstrap",
                     "resamples": B, "wall s": round(wall, 1), "CPU s": "", "resamples/s": "", "resamples/CPU s": "",
                     "failed": "", "not converged": "",
                     "target": "<= 300 s" if pipeline else ""})
        return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--resamples", type=int, default=2000)
    ap.add_argument("--chunks", type=int, default=2)
    ap.add_argument("--missing", nargs="+", default=["fiml", "two_stage"], choices=["fiml", "two_stage"])
    ap.add_argument("--pipeline", action="store_true", help="time the whole pipeline, not only up to the bootstrap")
    args = ap.parse_args(argv)
    rows = []
    for missing in args.missing:  # the table so far after each method: a two-stage run takes minutes
        rows += run(missing, args.resamples, args.chunks, args.pipeline)
        print(pd.DataFrame(rows).to_string(index=False), end="\n\n", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
