"""Snakemake dry runs for the tests, each forked from one process that has imported Snakemake and
its plugins already.

A dry run of our workflow takes about 2.5 s as a new ``snakemake`` process, of which about 1.8 s is
Snakemake's start-up: importing it and collecting its plugins (the SLURM executor plugin imports
pandas). The rerun tests make some 140 dry runs. Here one server process imports Snakemake once
and forks a child per dry run, which runs Snakemake's own command line, ``snakemake.cli.main``,
with the given arguments in the given folder; so each run sees the workflow, the config and the
package as a new process would (nothing of ours is imported before the fork, only Snakemake and
the third-party modules it imports lazily: :data:`LAZY_IMPORTS`), for about 0.7 s.

    python tests/dry_runs.py < jobs.json     # [{"cwd": ..., "argv": [...], "log": ...}, ...]

prints one exit code per job, in order; at most ``--parallel`` children run at once.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path


def dry_runs(jobs: list[tuple[Path, list[str]]], env: dict, parallel: int = 2,
             timeout: float = 900) -> list[tuple[int, str]]:
    """(exit code, output) of ``snakemake -n <argv>`` run in ``cwd`` for each (cwd, argv) job."""
    with tempfile.TemporaryDirectory(prefix="dry_runs_") as logs:
        requests = [{"cwd": str(cwd), "argv": ["-n", *map(str, argv)], "log": str(Path(logs) / f"{n}.log")}
                    for n, (cwd, argv) in enumerate(jobs)]
        proc = subprocess.run([sys.executable, __file__, "--parallel", str(parallel)], input=json.dumps(requests),
                              capture_output=True, text=True, timeout=timeout, env=env)
        assert proc.returncode == 0, proc.stderr[-3000:]
        codes = [int(line) for line in proc.stdout.split()]
        assert len(codes) == len(requests), proc.stdout + proc.stderr[-3000:]
        return [(code, Path(r["log"]).read_text(encoding="utf-8")) for code, r in zip(codes, requests)]


# Third-party modules a dry run of our workflow imports lazily (measured: the modules new in
# sys.modules after ``snakemake.cli.main``; Snakemake's own source cache, notebook and profile
# support, and the config schema validators): imported once here instead of in every child.
LAZY_IMPORTS = ("requests", "nbformat", "smart_open", "jsonschema", "fastjsonschema", "referencing",
                "platformdirs", "packaging.version", "charset_normalizer", "http.cookiejar", "snakemake.profiles",
                "snakemake.storage")


def _warm_up() -> None:
    """Import Snakemake's command line and collect its plugins, as every run would."""
    import importlib

    import snakemake.cli  # noqa: F401
    from snakemake_interface_executor_plugins.registry import ExecutorPluginRegistry
    from snakemake_interface_logger_plugins.registry import LoggerPluginRegistry
    from snakemake_interface_report_plugins.registry import ReportPluginRegistry
    from snakemake_interface_storage_plugins.registry import StoragePluginRegistry

    for registry in (ExecutorPluginRegistry, StoragePluginRegistry, ReportPluginRegistry, LoggerPluginRegistry):
        registry()
    for name in LAZY_IMPORTS:
        try:
            importlib.import_module(name)
        except ImportError:  # another Snakemake version may not use it: the child imports what it needs
            pass


def _child(request: dict) -> None:
    """Run one dry run in this forked process, its output to the request's log; never returns."""
    code = 1
    try:
        out = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(out, 1)
        os.dup2(out, 2)
        os.chdir(request["cwd"])
        import snakemake.cli

        snakemake.cli.main(request["argv"])
        code = 0
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else int(stop.code is not None)
    except BaseException:  # noqa: BLE001 - reported in the log, and as exit code 1
        import traceback

        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _serve(requests: list[dict], parallel: int) -> list[int]:
    codes: dict[int, int] = {}
    running: dict[int, int] = {}  # pid -> job number
    todo = list(enumerate(requests))
    while todo or running:
        while todo and len(running) < parallel:
            n, request = todo.pop(0)
            pid = os.fork()
            if pid == 0:
                _child(request)
            running[pid] = n
        pid, status = os.wait()
        codes[running.pop(pid)] = os.waitstatus_to_exitcode(status)
    return [codes[n] for n in range(len(requests))]


if __name__ == "__main__":
    sys.path.pop(0)  # this folder (tests/) is no part of a snakemake run's path
    parallel = int(sys.argv[sys.argv.index("--parallel") + 1]) if "--parallel" in sys.argv else 2
    jobs = json.loads(sys.stdin.read())
    _warm_up()
    print("\n".join(str(code) for code in _serve(jobs, parallel)))
