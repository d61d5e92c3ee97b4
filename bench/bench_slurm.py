"""Wall and CPU time of a chunked job set on SLURM with 1, 2 and 4 job slots (issue 13, Performance).

    OPENBLAS_NUM_THREADS=1 .venv/bin/python bench/bench_slurm.py [--slots 1 2 4] [--resamples 1200]
        [--chunks 4] [--config .test/config_small/config.yaml]

Needs a SLURM cluster that takes jobs (``workflow/cluster/slurm_local.sh start``) and the executor
plugin (installed with surveysem). For each slot count it copies the workflow (Snakefile, workflow/,
.test/) to a temporary folder, sets ``bootstrap.B`` and ``bootstrap.chunks`` in the config, runs the
prerequisites of the bootstrap locally (not timed), then times
``snakemake results/propositions/p4_bootstrap.csv --profile workflow/profiles/slurm --jobs SLOTS``:
the chunk jobs and their merge, every job an sbatch job. It prints one table: wall seconds, the CPU
seconds of all Python processes inside the SLURM jobs (each writes its own at exit:
bench/cpu_probe/sitecustomize.py; slurmd's jobs are not our children, so rusage does not see them),
the CPU seconds of the controlling snakemake, the speed-up over 1 slot and the bootstrap's
``p4_bootstrap.csv`` checksum (the same for every slot count: results do not depend on the split).
A local ``--cores 2`` run of the same job set is printed for comparison. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_small_n import with_settings, workflow_copy

SNAKEMAKE = str(Path(sys.executable).parent / "snakemake")
TARGET = "results/propositions/p4_bootstrap.csv"
PREREQUISITE = "results/outcomes/firm_outcomes.csv"
PROBE = Path(__file__).resolve().parent / "cpu_probe"
ENV = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def prepared_copy(where: Path, config: str, resamples: int, chunks: int) -> tuple[Path, str]:
    """A workflow copy with the bench config written beside the given one, its prerequisites run."""
    where.mkdir(parents=True)
    work = workflow_copy(where)
    source = work / config
    bench_config = source.with_name("config_bench_slurm.yaml")
    bench_config.write_text(with_settings(source.read_text(encoding="utf-8"), resamples, chunks, "auto"),
                            encoding="utf-8")
    configfile = str(bench_config.relative_to(work))
    setup = subprocess.run([SNAKEMAKE, PREREQUISITE, "--cores", "2", "--configfile", configfile], cwd=work, check=False,
                           env=ENV, capture_output=True, text=True)
    if setup.returncode != 0:
        sys.exit(f"bench_slurm: the local set-up run failed:\n{setup.stderr[-3000:]}")
    return work, configfile


def timed_run(work: Path, configfile: str, executor_args: list[str]) -> dict:
    """Wall seconds, CPU seconds inside SLURM jobs and of the controller, and the result's checksum."""
    cpu_dir = work / "cpu"
    cpu_dir.mkdir()
    env = {**ENV, "SURVEYSEM_BENCH_CPU_DIR": str(cpu_dir),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(PROBE), ENV.get("PYTHONPATH")]))}
    start = time.perf_counter()
    proc = subprocess.Popen([SNAKEMAKE, TARGET, "--configfile", configfile, *executor_args], cwd=work, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, stderr = proc.communicate()
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"bench_slurm: {' '.join(executor_args)} failed:\n{stderr[-3000:]}")
    in_jobs = controller = 0.0
    for path in cpu_dir.glob("*.cpu"):
        seconds = float(path.read_text(encoding="utf-8").split("\t", 1)[0])
        if path.name.startswith(f"{proc.pid}."):
            controller += seconds
        else:  # a job's processes (SLURM: the job's two snakemake levels and the step's script)
            in_jobs += seconds
    return {"wall": wall, "in_jobs": in_jobs, "controller": controller,
            "sha256": hashlib.sha256((work / TARGET).read_bytes()).hexdigest()[:12],
            "jobs": stderr.count("has been submitted with SLURM jobid")}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slots", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--resamples", type=int, default=1200, help="bootstrap.B")
    parser.add_argument("--chunks", type=int, default=4, help="bootstrap.chunks: one SLURM job each")
    parser.add_argument("--config", default=".test/config_small/config.yaml")
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench_slurm_") as tmp:
        for slots in args.slots:
            work, configfile = prepared_copy(Path(tmp) / f"slots{slots}", args.config, args.resamples, args.chunks)
            row = timed_run(work, configfile, ["--profile", "workflow/profiles/slurm", "--jobs", str(slots),
                                               "--slurm-init-seconds-before-status-checks", "1"])
            rows.append((f"SLURM, {slots} job slot{'s' if slots > 1 else ''}", row))
            print(f"bench_slurm: {rows[-1][0]}: {row['wall']:.1f} s", file=sys.stderr)
        work, configfile = prepared_copy(Path(tmp) / "local", args.config, args.resamples, args.chunks)
        rows.append(("local, --cores 2", timed_run(work, configfile, ["--cores", "2"])))
    one_slot = rows[0][1]["wall"] if args.slots[0] == 1 else float("nan")
    print(f"{args.chunks} chunk jobs + merge, B = {args.resamples} on {args.config}; {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f}")
    print("| run | SLURM jobs | wall s | CPU s in jobs | CPU s controller | speed-up vs 1 slot | result sha256 |")
    print("|---|---|---|---|---|---|---|")
    for name, row in rows:
        print(f"| {name} | {row['jobs']} | {row['wall']:.1f} | {row['in_jobs']:.1f} | {row['controller']:.1f} | "
              f"{one_slot / row['wall']:.2f} | {row['sha256']} |")


if __name__ == "__main__":
    main()
