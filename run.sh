#!/usr/bin/env bash
# The two entry points of the README.
#   ./run.sh pipeline [snakemake options]   set up .venv if needed, run the whole workflow
#   ./run.sh test [pytest options]          set up .venv if needed, run the test suite
set -euo pipefail
cd "$(dirname "$0")"

# One BLAS/OpenMP thread per process: concurrent fits on 2 cores otherwise run ~100x slower.
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 NUMEXPR_NUM_THREADS=1

setup() {
    local python="${PYTHON:-}"
    if [ -z "$python" ]; then
        python="$(command -v python3.11 || command -v python3 || true)"
    fi
    if [ ! -x .venv/bin/python ]; then
        [ -n "$python" ] || { echo "run.sh: Python 3.11 not found (set PYTHON=/path/to/python3.11)" >&2; exit 1; }
        echo "run.sh: creating .venv with $python" >&2
        "$python" -m venv .venv
    fi
    # Reinstall only when the dependency declarations changed since the last install.
    local stamp=.venv/.surveysem-installed
    if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] || [ constraints.txt -nt "$stamp" ]; then
        echo "run.sh: installing surveysem and its pinned dependencies into .venv" >&2
        .venv/bin/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[test]"
        touch "$stamp"
    fi
}

# A lock that no running snakemake of this folder holds was left by an interrupted run.
stale_lock() {
    [ -n "$(ls -A .snakemake/locks 2>/dev/null)" ] || return 1
    local pid
    for pid in $(pgrep -f snakemake 2>/dev/null); do
        [ "$pid" != "$$" ] && [ "$(readlink "/proc/$pid/cwd" 2>/dev/null)" = "$(pwd -P)" ] && return 1
    done
    return 0
}

command="${1:-}"
[ $# -gt 0 ] && shift
case "$command" in
    pipeline)
        setup
        # the cheap check first: a config with duplicate keys or nested-alias bombs stops here in one line
        .venv/bin/python -m surveysem.safe_yaml config/config.yaml
        # after an interrupted run: remove its stale lock, and rerun the jobs it left incomplete
        if stale_lock; then
            echo "run.sh: removing the lock left by an interrupted run" >&2
            .venv/bin/snakemake --unlock "$@" >/dev/null
        fi
        .venv/bin/snakemake --cores "${CORES:-2}" --rerun-incomplete "$@"
        echo "Main report: $(pwd)/reports/index.html"
        ;;
    test)
        setup
        exec .venv/bin/python -m pytest "$@"
        ;;
    *)
        echo "usage: ./run.sh pipeline [snakemake options] | ./run.sh test [pytest options]" >&2
        exit 2
        ;;
esac
