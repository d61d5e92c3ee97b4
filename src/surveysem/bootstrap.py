"""Nonparametric bootstrap of the P4 model: percentile CIs for paths, indirect and total effects.

Resample ``b`` (0 <= b < B) draws firms with replacement from its own generator,
``numpy.random.default_rng(numpy.random.SeedSequence(seed, spawn_key=(b,)))``, and every refit
starts from the full-sample estimates (not from the previous resample), so a resample's result
depends only on (seed, b): the merged output is identical however the B resamples are split
into chunks (Snakemake jobs). Refits use the engine's fast path
(:meth:`surveysem.sem.PreparedModel.refit_estimates`). Non-converged or failed resamples are
kept as rows with ``status`` and counted in the summary, never silently dropped; the percentile
CIs use the converged ones.
"""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from surveysem.errors import SurveySemError

log = logging.getLogger("surveysem.bootstrap")


def resample_rng(seed: int, b: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=(int(b),)))


def chunk_range(B: int, chunks: int, chunk: int) -> range:
    """Resamples of chunk ``chunk`` (0-based) when B resamples are split into ``chunks`` parts."""
    if not 0 <= chunk < chunks:
        raise SurveySemError(f"bootstrap chunk {chunk} is outside 0..{chunks - 1}")
    return range(chunk * B // chunks, (chunk + 1) * B // chunks)


def targets(res) -> list[tuple[str, str, int]]:
    """Bootstrap targets of a fitted model: (name, kind, position in the refit vector) for the
    unstandardized and standardized estimates of every regression (~) and defined (:=) row."""
    e = res.estimates.reset_index(drop=True)
    n_free = len(res.free_params)
    free_rows = list(e.index[e.free.to_numpy(bool)])
    def_rows = list(e.index[(e.op == ":=").to_numpy()])
    out = []
    for i, r in e.iterrows():
        if r.op not in ("~", ":="):
            continue
        name = f"{r.lhs}~{r.rhs}" if r.op == "~" else str(r.lhs)
        if r.op == "~":
            if i not in free_rows:
                continue
            pos = free_rows.index(i)
        else:
            pos = n_free + def_rows.index(i)
        out.append((name, "est", pos, float(r.est)))
        out.append((name, "std_all", n_free + len(def_rows) + i, float(r.std_all)))
    return out


def run_chunk(pm, data: pd.DataFrame, start, tgt, *, seed: int, B: int, chunks: int, chunk: int,
              max_iter: int = 100, transform=None) -> pd.DataFrame:
    """Refit the resamples of one chunk; one row per resample with ``b``, ``status`` and targets.

    ``transform(sample) -> data`` is applied to each resample before the refit (two-stage ML:
    EM moments of the resample, warm-started from the full-sample moments)."""
    idx_range = chunk_range(B, chunks, chunk)
    n = len(data)
    cols = [f"{kind}:{name}" for name, kind, _, _ in tgt]
    rows = []
    total = len(idx_range)
    step = max(1, total // 10)
    for k, b in enumerate(idx_range):
        rng = resample_rng(seed, b)
        sample = data.iloc[rng.integers(0, n, n)].reset_index(drop=True)
        status = "ok"
        try:
            if transform is not None:
                sample = transform(sample)
            vec = pm.refit_estimates(sample, start=start, max_iter=max_iter)
            vals = [float(vec[pos]) for _, _, pos, _ in tgt]
            if not np.all(np.isfinite(vals)):
                status = "not converged"
                vals = [np.nan] * len(tgt)
        except (SurveySemError, np.linalg.LinAlgError, ValueError, FloatingPointError) as err:
            status = f"failed: {str(err).splitlines()[0] if str(err) else type(err).__name__}"
            vals = [np.nan] * len(tgt)
        rows.append([b, status, *vals])
        if (k + 1) % step == 0 or k + 1 == total:
            log.info("bootstrap chunk %d/%d: %d/%d resamples (%d%%)", chunk + 1, chunks, k + 1, total,
                     round(100 * (k + 1) / total))
    return pd.DataFrame(rows, columns=["b", "status", *cols])


def merge(frames: list[pd.DataFrame], tgt, *, B: int, level: float = 0.95) -> pd.DataFrame:
    """Percentile CIs from the chunk tables (any split) -> one summary row per target."""
    draws = pd.concat(frames, ignore_index=True).sort_values("b", kind="stable").reset_index(drop=True)
    got = draws["b"].to_numpy()
    if len(got) != B or np.any(got != np.arange(B)):
        raise SurveySemError(f"bootstrap chunks hold {len(got)} resamples, expected b = 0..{B - 1} once each")
    ok = draws["status"] == "ok"
    n_ok = int(ok.sum())
    n_nc = int((draws["status"] == "not converged").sum())
    n_fail = int(len(draws) - n_ok - n_nc)
    lo_q, hi_q = (1 - level) / 2, 1 - (1 - level) / 2
    out = []
    for name, kind, _, est in tgt:
        v = draws.loc[ok, f"{kind}:{name}"].to_numpy(float)
        if len(v):
            lo, hi = np.quantile(v, [lo_q, hi_q])
            mean, se = float(v.mean()), float(v.std(ddof=1)) if len(v) > 1 else np.nan
        else:
            lo = hi = mean = se = np.nan
        out.append({"parameter": name, "kind": kind, "est": est, "boot_mean": mean, "boot_se": se,
                    "ci_lower": lo, "ci_upper": hi, "level": level, "B": B, "n_ok": n_ok,
                    "n_not_converged": n_nc, "n_failed": n_fail})
    return pd.DataFrame(out)
