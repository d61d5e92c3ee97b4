"""WLSMV stage two at the size of the bundled instrument (issue 14, item 4): the CFA of 82 ordered
items on 16 factors (7 categories: 6 thresholds each, 3,321 polychoric correlations; N = 262) fitted
from stage-one statistics by :func:`surveysem.sem.wlsmv.fit_ordinal_moments`. Stage one is not part
of this benchmark (it is built separately); its statistics here are synthetic: thresholds and
correlations of a population model with small perturbations and a positive definite gamma of the
right size (the work of stage two does not depend on their values).

    OPENBLAS_NUM_THREADS=1 .venv/bin/python bench/bench_wlsmv.py [--repeat 3]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from surveysem.sem.ordinal_moments import OrdinalMoments
from surveysem.sem.wlsmv import fit_ordinal_moments

FACTORS, ITEMS, CATEGORIES, N = 16, 82, 7, 262


def synthetic_moments(seed=1):
    """Stage-one statistics of the bundled CFA's shape (module docstring) and its syntax."""
    rng = np.random.default_rng(seed)
    items = [f"i{k}" for k in range(ITEMS)]
    factor_of = np.minimum(np.arange(ITEMS) // (ITEMS // FACTORS), FACTORS - 1)
    lam = np.zeros((ITEMS, FACTORS))
    lam[np.arange(ITEMS), factor_of] = rng.uniform(0.5, 0.8, ITEMS)
    R = lam @ (0.3 + 0.7 * np.eye(FACTORS)) @ lam.T
    R += rng.normal(0, 0.02, R.shape)
    R = (R + R.T) / 2
    np.fill_diagonal(R, 1.0)
    pairs = [(i, j) for j in range(ITEMS) for i in range(j + 1, ITEMS)]
    tau = np.concatenate([np.sort(rng.normal(0, 1, CATEGORIES - 1)) for _ in items])
    s = np.concatenate([tau, [R[i, j] for i, j in pairs]])
    A = rng.normal(size=(len(s), 40))
    gamma = A @ A.T / 40 * 0.3 + np.diag(rng.uniform(0.5, 1.5, len(s)))
    thresholds = {v: [f"t{k}" for k in range(1, CATEGORIES)] for v in items}
    mom = OrdinalMoments(items, thresholds, s, gamma, 1 / np.diag(gamma), N)
    syntax = "\n".join(f"F{f} =~ " + " + ".join(v for v, fo in zip(items, factor_of) if fo == f) for f in range(FACTORS))
    return syntax, mom


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    syntax, mom = synthetic_moments()
    times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        res = fit_ordinal_moments(syntax, mom)
        times.append(time.perf_counter() - t0)
    print("| what | value |\n|---|---|")
    print(f"| statistics (thresholds + correlations) | {len(mom.wls_obs)} |")
    print(f"| free parameters | {res.fit['npar']} |")
    print(f"| converged, iterations | {res.converged}, {res.iterations} |")
    print(f"| stage two, seconds (best of {args.repeat}; target: stage one + two <= 10 s on one core) | "
          f"{min(times):.2f} |")


if __name__ == "__main__":
    main()
