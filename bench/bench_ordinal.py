"""Benchmark of stage one of WLSMV (issue 14 item 4): thresholds, polychoric correlations, Gamma, W.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python bench/bench_ordinal.py [--repeat 3] [--no-lavaan]

Data sets: ``bundled`` (tests/r/data/cfa_small_n_bundled.csv: the 79 items of the bundled run,
262 firms, missing answers, ``missing = "pairwise"``) and ``simulated 82`` (82 seven-point items,
N = 260, complete: one factor plus noise cut at fixed points, seed 14; 3,321 pairs). Prints one
table: the best of ``--repeat`` runs of ``ordinal_sample_statistics`` (one core), and lavaan's
``lavCor`` and WLSMV sample statistics (``do.fit = FALSE``) on the same CSV where ``Rscript`` with
lavaan is installed. Target (printed, never asserted): stage one well under 10 s on one core.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
from surveysem.sem.muthen1984 import ordinal_sample_statistics

ENV = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def simulated(n_items: int = 82, n: int = 260, seed: int = 14) -> pd.DataFrame:
    """Seven-point items: loading 0.7 on one factor, cut at skewed fixed points."""
    rng = np.random.default_rng(seed)
    z = 0.7 * rng.normal(size=(n, 1)) + np.sqrt(1 - 0.49) * rng.normal(size=(n, n_items))
    codes = np.digitize(z, [-1.8, -1.1, -0.5, 0.0, 0.6, 1.3]) + 1
    return pd.DataFrame(codes, columns=[f"i{j + 1}" for j in range(n_items)])


def best_seconds(data: pd.DataFrame, missing: str, repeat: int) -> tuple[float, int]:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        st = ordinal_sample_statistics(data, list(data.columns), missing=missing)
        times.append(time.perf_counter() - t)
    return min(times), st.groups[0].gamma.shape[0]


def lavaan_seconds(path: Path, missing: str) -> dict | None:
    if shutil.which("Rscript") is None:
        return None
    out = subprocess.run(["Rscript", str(ROOT / "bench/lavaan_ordinal.R"), str(path), missing],
                         capture_output=True, text=True, env=ENV, check=False)
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
    return json.loads(lines[-1]) if out.returncode == 0 and lines else None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-lavaan", action="store_true")
    args = ap.parse_args()
    sets = {"bundled (79 items, N 262, pairwise)": (pd.read_csv(ROOT / "tests/r/data/cfa_small_n_bundled.csv"), "pairwise"),
            "simulated 82 (N 260, complete)": (simulated(), "listwise")}
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, (data, missing) in sets.items():
            secs, size = best_seconds(data, missing, args.repeat)
            path = Path(tmp) / "items.csv"
            data.to_csv(path, index=False)  # a scratch file for R, not a result
            lav = None if args.no_lavaan else lavaan_seconds(path, missing)
            p = data.shape[1]
            rows.append((name, p * (p - 1) // 2, size, secs,
                         lav["lavcor"] if lav else float("nan"), lav["wlsmv_stage_one"] if lav else float("nan")))
    head = f"{'data':38} {'pairs':>6} {'stats':>6} {'surveysem s':>12} {'lavCor s':>9} {'lavaan WLSMV stage one s':>25}  target"
    print(head)
    print("-" * len(head))
    for name, pairs, size, secs, lc, lw in rows:
        print(f"{name:38} {pairs:6d} {size:6d} {secs:12.2f} {lc:9.2f} {lw:25.2f}  < 10 s (1 core)")


if __name__ == "__main__":
    main()
