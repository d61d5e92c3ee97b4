"""Benchmark of the propositions stage and the whole pipeline, against lavaan where installed.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python bench/bench.py [--resamples 500] [--skip-pipeline]

Rows (all on 2 cores, measured now; the targets are printed beside the numbers, never asserted):

1. one fit of the P4 model (a) (second-order capabilities -> latent growth) on the bundled data;
2. a bootstrap of the process-chain model (b) with ``--resamples`` resamples, split over 2 processes;
3. the whole pipeline from clean (``snakemake --cores 2`` in a temporary copy of the repository);
4. a second ``snakemake --cores 2`` with nothing changed.

For rows 1-2 lavaan (``bench/lavaan_bench.R``) runs on the same CSV and the same syntax with the
same missing-data method (two-stage ML when the items have missing values) if ``Rscript`` with
lavaan is installed; the table shows the ratio surveysem / lavaan. Peak memory is the maximum
resident set size of the measured child processes (``resource.getrusage(RUSAGE_CHILDREN)``).
Each measurement runs in its own child process so that the peaks are separate.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
ENV = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
COPY = ["Snakefile", "config", "scales", "workflow", "data", "src", "pyproject.toml"]


def run_measured(cmd, cwd=None) -> dict:
    """Run ``cmd`` in a fresh wrapper process; return wall seconds, exit code and peak RSS (MB)."""
    wrapper = (
        "import json, resource, subprocess, sys, time\n"
        "t = time.perf_counter()\n"
        f"p = subprocess.run({cmd!r}, cwd={str(cwd) if cwd else None!r}, capture_output=True, text=True)\n"
        "dt = time.perf_counter() - t\n"
        "rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024\n"
        "print(json.dumps({'seconds': dt, 'rc': p.returncode, 'peak_mb': rss, 'stdout': p.stdout[-4000:], "
        "'stderr': p.stderr[-4000:]}))\n"
    )
    out = subprocess.run([PY, "-c", wrapper], capture_output=True, text=True, env=ENV)
    return json.loads(out.stdout.strip().splitlines()[-1])


CHILD = r'''
import json, sys, time
import pandas as pd
from surveysem.sem import prepare_model
task, data_path, syntax_path = sys.argv[1], sys.argv[2], sys.argv[3]
d = pd.read_csv(data_path)
syntax = open(syntax_path).read()
if task == "fit":
    from surveysem.propositions.p4 import TwoStage
    t = time.perf_counter()
    x = TwoStage(d)(d) if d.isna().any().any() else d
    pm = prepare_model(syntax, list(d.columns))
    res = pm.fit(x)
    dt = time.perf_counter() - t
    print(json.dumps({"seconds": dt, "converged": bool(res.converged), "chisq": float(res.fit["chisq"]),
                      "df": int(res.fit["df"])}))
else:
    from surveysem.propositions.bootstrap import ResampleRefitter, run_chunk, targets
    from surveysem.propositions.p4 import TwoStage
    B, chunks, chunk = int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
    t = time.perf_counter()
    two_stage = bool(d.isna().any().any())
    x = TwoStage(d)(d) if two_stage else d
    pm = prepare_model(syntax, list(d.columns))
    pm.standard_errors = False
    full = pm.fit(x)
    # the pipeline's refit settings (config/config.yaml, bootstrap: em_tol, tol)
    refitter = ResampleRefitter(pm, d, full.free_params, missing="two_stage" if two_stage else "listwise",
                                em_tol=1e-4, tol=1e-6)
    frame = run_chunk(refitter, targets(full), seed=20261122, B=B, chunks=chunks, chunk=chunk)
    dt = time.perf_counter() - t
    print(json.dumps({"seconds": dt, "ok": int((frame.status == "ok").sum()), "n": len(frame)}))
'''


def ours_fit(data, syn_a) -> dict:
    r = run_measured([PY, "-c", CHILD, "fit", str(data), str(syn_a)])
    info = json.loads(r["stdout"].strip().splitlines()[-1]) if r["rc"] == 0 else {}
    return {**r, **info, "wall": r["seconds"]}


def ours_boot(data, syn_b, B) -> dict:
    script = (
        "import subprocess, sys, json\n"
        f"procs = [subprocess.Popen([{PY!r}, '-c', {CHILD!r}, 'boot', {str(data)!r}, {str(syn_b)!r}, '{B}', '2', str(k)],"
        " stdout=subprocess.PIPE, text=True) for k in range(2)]\n"
        "outs = [json.loads(p.communicate()[0].strip().splitlines()[-1]) for p in procs]\n"
        "print(json.dumps({'ok': sum(o['ok'] for o in outs), 'n': sum(o['n'] for o in outs),"
        " 'seconds': max(o['seconds'] for o in outs)}))\n"
    )
    r = run_measured([PY, "-c", script])
    info = json.loads(r["stdout"].strip().splitlines()[-1]) if r["rc"] == 0 else {}
    # seconds: the slower of the two processes from data in to last resample (interpreter start-up
    # excluded, as R's start-up is excluded on the lavaan side); wall: including start-up
    return {**r, "wall": r["seconds"], **info}


def lavaan(data, syn_a, syn_b, B) -> dict | None:
    if shutil.which("Rscript") is None:
        return None
    chk = subprocess.run(["Rscript", "-e", "quit(status = !requireNamespace('lavaan', quietly = TRUE))"],
                         capture_output=True)
    if chk.returncode != 0:
        return None
    r = run_measured(["Rscript", str(ROOT / "bench/lavaan_bench.R"), str(data), str(syn_a), str(syn_b), str(B), "2"])
    if r["rc"] != 0:
        return {"error": r["stderr"][-500:], **r}
    return {**r, **json.loads(r["stdout"].strip().splitlines()[-1])}


def p4_inputs(repo: Path, out_dir: Path):
    """The P4 data (items + growth indicators) and the syntax of models (a), (b) from a pipeline run
    (or from the repository's results when the run did not get that far)."""
    sys.path.insert(0, str(ROOT / "src"))
    from surveysem.config import load_config
    from surveysem.propositions.p4 import p4_syntax
    from surveysem.instrument.scales import instrument_files
    from surveysem.propositions.steps import _p4_setup

    for base in (repo, ROOT):
        a = base / "results/clean/analysis.csv"
        o = base / "results/outcomes/firm_outcomes.csv"
        if a.exists() and o.exists():
            cfg = load_config(base / "config/config.yaml")
            inputs = {"analysis": a, "outcomes": o, "ingest": base / "results/clean/ingest.json",
                      "scales": instrument_files(base / "scales")}
            data, hyp, procs, items, *_ = _p4_setup(inputs, cfg)
            data = data.drop(columns=["respondent_id"])
            dpath = out_dir / "p4_data.csv"
            data.to_csv(dpath, index=False)
            paths = []
            for m in ("a", "b"):
                p = out_dir / f"model_{m}.lav"
                p.write_text(p4_syntax(procs, items, m))
                paths.append(p)
            return dpath, paths[0], paths[1], len(data), data.shape[1], int(data.isna().sum().sum())
    return None


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--resamples", type=int, default=500)
    ap.add_argument("--skip-pipeline", action="store_true", help="rows 1-2 only (needs results/, see --results)")
    ap.add_argument("--results", type=Path, default=None,
                    help="with --skip-pipeline: a directory holding results/ and config/ of a finished run")
    args = ap.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory(prefix="surveysem-bench-") as tmp:
        tmp = Path(tmp)
        repo = tmp / "repo"
        repo.mkdir()
        if not args.skip_pipeline:
            for name in COPY:
                src = ROOT / name
                if src.is_dir():
                    shutil.copytree(src, repo / name, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
                elif src.exists():
                    shutil.copy2(src, repo / name)
            snk = [str(Path(PY).with_name("snakemake")), "--cores", "2"]
            r1 = run_measured(snk, cwd=repo)
            rows.append(("whole pipeline from clean (snakemake --cores 2)", r1["seconds"], None, r1["peak_mb"], "<= 60 s",
                         "ok" if r1["rc"] == 0 else "FAILED: " + (r1["stderr"].strip().splitlines() or ["?"])[-1][:120]))
            r2 = run_measured(snk, cwd=repo)
            rows.append(("second snakemake, nothing changed", r2["seconds"], None, r2["peak_mb"], "<= 3 s",
                         "ok" if r2["rc"] == 0 else "FAILED"))
        inputs = p4_inputs(args.results if args.results else repo, tmp)
        if inputs is None:
            print("no results/clean/analysis.csv and results/outcomes/firm_outcomes.csv: P4 rows skipped")
        else:
            data, syn_a, syn_b, n, p, n_missing = inputs
            print(f"P4 data: {n} firms, {p} observed variables, {n_missing} missing cells "
                  f"({'two-stage ML' if n_missing else 'complete-data ML'}, both programs)")
            fit = ours_fit(data, syn_a)
            boot = ours_boot(data, syn_b, args.resamples)
            lav = lavaan(data, syn_a, syn_b, args.resamples)
            lav_ok = lav is not None and "fit_seconds" in lav
            rows.insert(0, ("P4 model (a): one fit", fit.get("seconds", float("nan")),
                            lav["fit_seconds"] if lav_ok else None, fit["peak_mb"], "<= 0.5 x lavaan",
                            f"chisq {fit.get('chisq', float('nan')):.2f}, df {fit.get('df')}"
                            + (f"; lavaan chisq {lav['chisq_a']:.2f}" if lav_ok else "")))
            rows.insert(1, (f"P4 model (b): bootstrap, {args.resamples} resamples, 2 processes", boot["seconds"],
                            lav["boot_seconds"] if lav_ok else None, boot["peak_mb"], "<= 0.5 x lavaan",
                            f"{boot.get('ok', '?')}/{boot.get('n', '?')} converged"
                            + (f"; lavaan {lav['boot_ok']}/{lav['B']}" if lav_ok else "")))
            if lav is not None and not lav_ok:
                print("lavaan run failed:", lav.get("error", "")[:300])
            if lav_ok:
                print(f"lavaan peak memory (whole R process, fit + bootstrap): {lav['peak_mb']:.0f} MB")
    w = max(len(r[0]) for r in rows)
    print(f"{'measurement':<{w}}  {'surveysem s':>11}  {'lavaan s':>9}  {'ratio':>6}  {'peak MB':>8}  {'target':<16}  note")
    for name, ours, lav, mb, target, note in rows:
        lav_s = f"{lav:9.2f}" if lav is not None else f"{'-':>9}"
        ratio = f"{ours / lav:6.2f}" if lav else f"{'-':>6}"
        print(f"{name:<{w}}  {ours:11.2f}  {lav_s}  {ratio}  {mb:8.0f}  {target:<16}  {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
