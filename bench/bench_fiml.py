"""Benchmark of FIML at survey scale against lavaan 0.6-14 (issue 12, item 5).

    OPENBLAS_NUM_THREADS=1 .venv/bin/python bench/bench_fiml.py

The model is the five-factor CFA of psych's ``bfi`` (tests/r/data/bfi.csv: 2,800 respondents,
25 items, A C E N O with five items each, 364 respondents with missing answers in 87 patterns),
fitted by FIML. Both programs produce the same outputs: estimates, standard errors (observed
information, lavaan's default for FIML), all fit indices with the baseline model, the EM
saturated (h1) model and lavaan's FIML-corrected robust indices, and the standardized solution.

One run measures, each in its own child process and one after the other:

1. surveysem's API (``pandas.read_csv`` + ``fit_model(..., missing="fiml")``), timed inside the
   child after its imports (start-up excluded);
2. the command ``surveysem fit MODEL DATA --missing fiml --json``, the whole process (start-up
   included);
3. lavaan via ``Rscript bench/lavaan_fiml.R`` (``read.csv`` + ``cfa(missing = "fiml")`` +
   ``fitMeasures()`` + ``parameterEstimates(standardized = TRUE)``), timed inside R (R start-up
   and ``library(lavaan)`` excluded) and as the whole Rscript process.

It prints one table (wall seconds, CPU seconds, ratio surveysem / lavaan, target <= 0.25, never
asserted) and the largest absolute differences between the two programs' estimates, standard
errors, standardized estimates and fit measures. CPU seconds are ``time.process_time()`` inside
the child (rows with start-up excluded) or ``resource.getrusage(RUSAGE_CHILDREN)`` of the whole
process; on a shared machine they are steadier than wall seconds.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
DATA = ROOT / "tests/r/data/bfi.csv"
MODEL = "".join(f"{f} =~ " + " + ".join(f"{f}{i}" for i in range(1, 6)) + "\n" for f in "ACENO")
TARGET = 0.25
ENV = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
       # this checkout's package first, whatever the venv has installed
       "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), *filter(None, [os.environ.get("PYTHONPATH")])])}


def api_child(data: str, model: str) -> None:
    """Child process of row 1: imports first, then the timed read + fit; prints one JSON line."""
    import pandas as pd

    import surveysem.sem.results  # noqa: F401  (start-up: the lazily imported result assembly)
    from surveysem.sem import fit_model

    syntax = Path(model).read_text()
    t, c = time.perf_counter(), time.process_time()
    res = fit_model(syntax, pd.read_csv(data), missing="fiml")
    seconds, cpu = time.perf_counter() - t, time.process_time() - c
    est = res.estimates[["lhs", "op", "rhs", "est", "se", "std_all"]].to_dict(orient="records")
    fit = {k: (float(v) if isinstance(v, (int, float)) else None) for k, v in res.fit.items()}
    print(json.dumps({"seconds": seconds, "cpu_seconds": cpu, "converged": bool(res.converged),
                      "estimates": est, "fit": fit}, allow_nan=True))


def run_child(cmd) -> dict:
    """Run ``cmd``; wall seconds, CPU seconds of the whole process (user + system), exit code,
    stdout and stderr."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True, env=ENV, check=False)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall": wall, "cpu": cpu, "rc": p.returncode, "stdout": p.stdout, "stderr": p.stderr}


def last_json(r: dict, what: str) -> dict:
    if r["rc"] != 0:
        raise SystemExit(f"{what} failed (exit {r['rc']}): {r['stderr'].strip()[-600:]}")
    return json.loads(r["stdout"].strip().splitlines()[-1])


def surveysem_command() -> list[str]:
    exe = Path(PY).with_name("surveysem")
    if exe.exists():
        return [PY, str(exe)]
    return [PY, "-c", "import sys; from surveysem.cli import main; sys.exit(main())"]


def lavaan_available() -> bool:
    if shutil.which("Rscript") is None:
        return False
    probe = "quit(status = !all(sapply(c('lavaan', 'jsonlite'), requireNamespace, quietly = TRUE)))"
    chk = subprocess.run(["Rscript", "-e", probe], capture_output=True, check=False)
    return chk.returncode == 0


def lav_value(lav, key):
    return lav[key] if lav else None


def _num(v):
    return float("nan") if v is None else float(v)


def max_differences(ours: list[dict], theirs: list[dict], std_key: str) -> tuple[dict, int, int]:
    """Largest absolute differences of est, se, std_all over the rows both tables have (matched by
    lhs, op, rhs); (differences, rows matched, lavaan rows without a match)."""
    mine = {(r["lhs"], r["op"], r["rhs"]): r for r in ours}
    worst = {"est": 0.0, "se": 0.0, "std_all": 0.0}
    matched = unmatched = 0
    for r in theirs:
        o = mine.get((r["lhs"], r["op"], r["rhs"]))
        if o is None:
            unmatched += 1
            continue
        matched += 1
        for ours_key, their_key in (("est", "est"), ("se", "se"), ("std_all", "std.all")):
            d = abs(_num(o[ours_key if ours_key != "std_all" else std_key]) - _num(r[their_key]))
            if math.isfinite(d):
                worst[ours_key] = max(worst[ours_key], d)
    return worst, matched, unmatched


def fit_differences(ours: dict, theirs: dict) -> tuple[int, float, str]:
    """(measures compared, largest difference relative to max(1, |lavaan|), its name)."""
    n, worst, name = 0, 0.0, "-"
    for key, v in theirs.items():
        o = ours.get(key.replace(".", "_"))
        if o is None or v is None or not math.isfinite(float(v)) or not math.isfinite(float(o)):
            continue
        n += 1
        d = abs(float(o) - float(v)) / max(1.0, abs(float(v)))
        if d > worst:
            worst, name = d, key
    return n, worst, name


def print_table(rows) -> None:
    head = ("measurement", "surveysem s", "lavaan s", "ratio", "ours CPU s", "lavaan CPU s", "CPU ratio", "target")
    w = max(len(r[0]) for r in rows)
    print(f"{head[0]:<{w}}  {head[1]:>11}  {head[2]:>9}  {head[3]:>6}  {head[4]:>10}  {head[5]:>12}  {head[6]:>9}  "
          f"{head[7]}")
    for name, ours, lav, cpu_o, cpu_l, target in rows:
        print(f"{name:<{w}}  {_cell(ours, 11)}  {_cell(lav, 9)}  {_ratio(ours, lav, 6)}  {_cell(cpu_o, 10)}  "
              f"{_cell(cpu_l, 12)}  {_ratio(cpu_o, cpu_l, 9)}  {target}")


def _cell(v, width):
    return f"{v:{width}.2f}" if v is not None else f"{'-':>{width}}"


def _ratio(ours, lav, width):
    return f"{ours / lav:{width}.3f}" if ours is not None and lav else f"{'-':>{width}}"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=DATA, help="CSV (default: tests/r/data/bfi.csv)")
    ap.add_argument("--child", nargs=2, metavar=("DATA", "MODEL"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        api_child(*args.child)
        return 0
    with tempfile.TemporaryDirectory(prefix="surveysem-bench-fiml-") as tmp:
        model = Path(tmp) / "bfi.lav"
        model.write_text(MODEL)
        data = str(args.data)
        api_run = run_child([PY, str(Path(__file__).resolve()), "--child", data, str(model)])
        api = last_json(api_run, "surveysem API")
        cli_run = run_child([*surveysem_command(), "fit", str(model), data, "--missing", "fiml", "--json"])
        cli = last_json(cli_run, "surveysem fit")
        lav = lav_run = None
        if lavaan_available():
            lav_run = run_child(["Rscript", str(ROOT / "bench/lavaan_fiml.R"), data, str(model)])
            lav = last_json(lav_run, "Rscript bench/lavaan_fiml.R")
    rows = [
        ("API fit_model(), start-up excluded  vs  lavaan inside R", api["seconds"], lav_value(lav, "outputs_seconds"),
         api["cpu_seconds"], lav_value(lav, "outputs_cpu_seconds"), f"<= {TARGET} x lavaan"),
        ("CLI `surveysem fit`, whole process  vs  whole Rscript", cli_run["wall"], lav_run["wall"] if lav else None,
         cli_run["cpu"], lav_run["cpu"] if lav else None, f"<= {TARGET} x lavaan"),
        ("CLI `surveysem fit`, whole process  vs  lavaan inside R", cli_run["wall"], lav_value(lav, "outputs_seconds"),
         cli_run["cpu"], lav_value(lav, "outputs_cpu_seconds"), f"<= {TARGET} x lavaan"),
        ("API fit_model()  vs  lavaan's bare cfa() inside R", api["seconds"], lav_value(lav, "fit_seconds"), None, None,
         "(reference)"),
    ]
    print(f"FIML CFA, 5 factors x 5 items, {args.data.name}; one run of each, one after the other")
    print_table(rows)
    if not lav:
        print("lavaan not run (Rscript with lavaan and jsonlite not found)")
        return 0
    print(f"lavaan {lav['lavaan_version']}: R start-up + library(lavaan) {lav['startup_seconds']:.2f} s, "
          f"converged {lav['converged']}; surveysem converged {api['converged']}")
    for name, est, std_key in (("API", api["estimates"], "std_all"), ("CLI JSON", cli["estimates"], "std_all")):
        worst, matched, unmatched = max_differences(est, lav["estimates"], std_key)
        verdict = "within 1e-3" if worst["est"] <= 1e-3 else "NOT within 1e-3"
        print(f"max |surveysem {name} - lavaan| over {matched} rows ({unmatched} lavaan rows unmatched): "
              f"est {worst['est']:.2e} ({verdict}), se {worst['se']:.2e}, std.all {worst['std_all']:.2e}")
    n, worst, key = fit_differences(api["fit"], lav["fit"])
    print(f"fit measures: {n} compared, largest |difference| / max(1, |lavaan|) {worst:.2e} ({key})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
