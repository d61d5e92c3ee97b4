"""Benchmark of surveysem.sem: one full fit and bootstrap refits of a large model.

Model: 47 indicators, 9 first-order factors, 2 second-order factors, a latent outcome
chain (11 latent variables in all), N = 400 simulated cases (seeded).

    OPENBLAS_NUM_THREADS=1 .venv/bin/python bench/bench_sem.py [--resamples 200]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

import surveysem  # noqa: F401  (pins BLAS threads)
from surveysem.sem import fit_model, prepare_model

SIZES = [5, 5, 5, 5, 5, 5, 5, 6, 6]


def big_model():
    lines = []
    for f, k in enumerate(SIZES, start=1):
        lines.append(f"F{f} =~ " + " + ".join(f"v{f}_{i}" for i in range(1, k + 1)))
    lines += [
        "A =~ F1 + F2 + F3",
        "B =~ F4 + F5 + F6",
        "F7 ~ a*A + B",
        "F8 ~ b*F7",
        "F9 ~ F8",
        "ind := a*b",
    ]
    return "\n".join(lines)


def simulate(n=400, seed=20241122):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal(n)
    B = 0.4 * A + np.sqrt(1 - 0.16) * rng.standard_normal(n)
    F = {}
    for f in (1, 2, 3):
        F[f] = 0.75 * A + np.sqrt(1 - 0.5625) * rng.standard_normal(n)
    for f in (4, 5, 6):
        F[f] = 0.75 * B + np.sqrt(1 - 0.5625) * rng.standard_normal(n)
    F[7] = 0.35 * A + 0.25 * B + 0.8 * rng.standard_normal(n)
    F[8] = 0.5 * F[7] + 0.8 * rng.standard_normal(n)
    F[9] = 0.4 * F[8] + 0.9 * rng.standard_normal(n)
    cols = {}
    for f, k in enumerate(SIZES, start=1):
        for i in range(1, k + 1):
            lam = 0.6 + 0.05 * ((i + f) % 4)
            cols[f"v{f}_{i}"] = lam * F[f] + np.sqrt(1 - lam**2) * rng.standard_normal(n)
    return pd.DataFrame(cols)


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--resamples", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--fiml", action="store_true", help="also time FIML fits (3%% of values missing at random)")
    args = ap.parse_args(argv)
    syntax = big_model()
    data = simulate()
    rows = []
    fit_model(syntax, data.iloc[:200])  # warm-up: imports, caches

    def timed(name, fn):
        t0, c0 = time.perf_counter(), time.process_time()
        res = fn()
        rows.append((name, (time.perf_counter() - t0) * 1000, (time.process_time() - c0) * 1000, res.converged))
        return res

    timed("fit_model (ML, SEs + fit measures)", lambda: fit_model(syntax, data))
    timed("fit_model (MLR)", lambda: fit_model(syntax, data, estimator="MLR"))
    if args.fiml:
        rng0 = np.random.default_rng(5)
        dm = data.mask(rng0.random(data.shape) < 0.03)
        for est in ("ML", "MLR"):
            timed(f"fit_model (FIML, {est}), 3% missing", lambda: fit_model(syntax, dm, missing="fiml", estimator=est))
    pm = prepare_model(syntax, list(data.columns))
    base = timed("prepared fit", lambda: pm.fit(data))
    rng = np.random.default_rng(args.seed)
    X = data[pm.spec.ov_names].to_numpy()
    n = len(X)
    out = []
    t0 = time.perf_counter()
    c0 = time.process_time()
    for _ in range(args.resamples):
        idx = rng.integers(0, n, n)
        out.append(pm.refit_estimates(X[idx], start=base.free_params))
    t_boot = (time.perf_counter() - t0) / args.resamples
    c_boot = (time.process_time() - c0) / args.resamples
    ok = int(np.sum(~np.isnan(np.array(out)[:, 0])))
    rows.append(
        (f"bootstrap refit (warm start), per resample, {ok}/{args.resamples} ok", t_boot * 1000, c_boot * 1000, ok > 0)
    )
    print(
        f"model: {len(data.columns)} indicators, {len(pm.spec.lv_names)} latent variables, "
        f"{pm.spec.npar} free parameters, N = {n}"
    )
    print(f"{'step':<60} {'wall ms':>9} {'CPU ms':>9}  converged")
    for name, ms, cpu, okk in rows:
        print(f"{name:<60} {ms:9.1f} {cpu:9.1f}  {okk}")


if __name__ == "__main__":
    main()
