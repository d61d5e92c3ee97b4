"""The power study's cost: CPU seconds per replication for P1-P4, and the 5 x 1000 target.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python bench/bench_power.py [--replications 5] [--config config/config.yaml]
    OPENBLAS_NUM_THREADS=1 .venv/bin/python bench/bench_power.py --full      # snakemake power --cores 2, 5 x 1000

Default: ``--replications`` replications at every size of ``power.sizes``, each timed by part
(draw of the study, each proposition's estimation and verdict) in CPU seconds of this process
(``time.process_time``: the machine is shared, wall time is not a measure of the code), the
same functions the ``power_chunk`` jobs run (:mod:`surveysem.power.replicate`). The table ends
with the extrapolation to ``power.replications`` per size on 2 cores (CPU seconds / 2: the
chunks are independent jobs). ``--full`` runs ``snakemake power --cores 2`` in a temporary copy of
the workflow with the config as it is and prints its wall and CPU time.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

TARGET_SECONDS = 600  # the target: 5 sizes x 1000 replications within 10 minutes on 2 cores


def _cpu(call):
    t0 = time.process_time()
    out = call()
    return out, time.process_time() - t0


def time_replications(config_path: str, replications: int) -> list[dict]:
    """One row per size, replication and part, in CPU seconds."""
    from surveysem.config import load_config
    from surveysem.power.replicate import draw_study, judge_p4, judge_regression_style, power_study, replication_seed

    cfg = load_config(config_path)
    study = power_study(cfg)
    rows = []
    for n in cfg["power"]["sizes"]:
        for r in range(replications):
            seed = replication_seed(cfg["power"]["seed"], n, r)
            (analysis, outcomes), dt = _cpu(lambda: draw_study(study, n, seed))
            rows.append({"n": n, "replication": r, "part": "draw", "cpu": dt})
            for h in study.hyps:
                judge = judge_p4 if h.is_sem else judge_regression_style
                args = (study, h, analysis, outcomes, seed) if h.is_sem else (study, h, analysis, outcomes)
                _, dt = _cpu(lambda judge=judge, args=args: judge(*args))
                rows.append({"n": n, "replication": r, "part": h.id, "cpu": dt})
    return rows


def report(rows: list[dict], sizes, planned: int) -> None:
    import pandas as pd

    frame = pd.DataFrame(rows)
    # the first replication of a process builds the parsed models: left out of the means
    steady = frame[~((frame.n == sizes[0]) & (frame.replication == 0))]
    table = steady.pivot_table(index="n", columns="part", values="cpu", aggfunc="mean")
    table["total"] = table.sum(axis=1)
    pd.set_option("display.width", 200)
    print("# CPU seconds per replication (mean), by size and part")
    print(table.to_string(float_format=lambda v: f"{v:.2f}"))
    cpu = float(table["total"].sum()) * planned
    print(f"\n# {len(sizes)} sizes x {planned} replications: {cpu:.0f} CPU s, {cpu / 2:.0f} s on 2 cores "
          f"(target {TARGET_SECONDS} s: {'met' if cpu / 2 <= TARGET_SECONDS else 'not met'})")


def full_run(config_path: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "wf"
        work.mkdir()
        for name in ("Snakefile", "workflow", "config", "scales"):
            (shutil.copytree if (ROOT / name).is_dir() else shutil.copy2)(ROOT / name, work / name)
        shutil.copy2(config_path, work / "power_config.yaml")
        env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
        t0 = time.perf_counter()
        proc = subprocess.run([str(Path(sys.executable).with_name("snakemake")), "--cores", "2", "--configfile",
                               "power_config.yaml", "--", "power"], cwd=work, env=env, check=False)
        wall = time.perf_counter() - t0
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        print(f"# snakemake power --cores 2: exit {proc.returncode}, wall {wall:.0f} s, "
              f"CPU {usage.ru_utime + usage.ru_stime:.0f} s (target {TARGET_SECONDS} s wall)")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--config", default=str(ROOT / "config" / "config.yaml"))
    ap.add_argument("--replications", type=int, default=5, help="timed replications per size (default 5)")
    ap.add_argument("--full", action="store_true", help="run snakemake power --cores 2 on the config instead")
    a = ap.parse_args(argv)
    if a.full:
        full_run(a.config)
        return 0
    from surveysem.config import load_config

    cfg = load_config(a.config)
    report(time_replications(a.config, a.replications), cfg["power"]["sizes"], int(cfg["power"]["replications"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
