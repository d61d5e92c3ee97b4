"""CPU probe of bench/bench_slurm.py: with SURVEYSEM_BENCH_CPU_DIR set, every Python process that
starts with this folder on PYTHONPATH writes its own user + system CPU seconds there when it exits
(one small file per process), so that the CPU time of jobs run by slurmd (not our children, so not
in our rusage) can be added up. Without the variable it does nothing."""

import os

if os.environ.get("SURVEYSEM_BENCH_CPU_DIR"):
    import atexit
    import resource
    import sys
    import time

    def _write_cpu_seconds():
        usage = resource.getrusage(resource.RUSAGE_SELF)
        job = os.environ.get("SLURM_JOB_ID", "")
        name = f"{os.getpid()}.{time.time_ns()}.cpu"  # pids may be reused within a run
        path = os.path.join(os.environ["SURVEYSEM_BENCH_CPU_DIR"], name)
        with open(path, "w", encoding="utf-8") as out:
            out.write(f"{usage.ru_utime + usage.ru_stime:.3f}\t{job}\t{' '.join(sys.argv[:2])}\n")

    atexit.register(_write_cpu_seconds)
