"""Nonparametric bootstrap of the P4 model: percentile CIs for paths, indirect and total effects.

Resample ``b`` (0 <= b < B) draws firms with replacement from its own generator,
``numpy.random.default_rng(numpy.random.SeedSequence(seed, spawn_key=(b,)))``, and every refit
starts from the full-sample estimates (not from the previous resample), so a resample's result
depends only on (seed, b): the merged output is identical however the B resamples are split
into chunks (Snakemake jobs). Non-converged or failed resamples are kept as rows with ``status``
and counted in the summary, never silently dropped; the percentile CIs use the converged ones.

How a resample is refitted (:class:`ResampleRefitter`): a resample is the original rows with
frequency weights (how often each was drawn). For complete-data ML (listwise) and two-stage ML
the fit depends on the rows only through their moments, so the refit takes the weighted moments
(two-stage: the weighted EM moments, warm-started from the full-sample EM moments) and runs a
quasi-Newton refit from the full-sample estimates with the full-sample information as initial
curvature (:meth:`surveysem.sem.PreparedModel.refit_moments`); the model is parsed and its
matrices are built once per chunk, not per resample. FIML and multi-group models refit the
resampled rows (:meth:`surveysem.sem.PreparedModel.refit_estimates`).

Small samples and two-stage ML: a resample holds about 63 % of the distinct firms, so with 130 firms
and 58 model variables (most rows incomplete) a resample's saturated EM covariance drifts to singular
in nearly every resample (the saturated likelihood has no interior maximum); EM then crawls along the
boundary, 18 % of the resamples reach the EM pass cap and fail, and where the others stop is set by
the EM tolerance, not by an optimum. The refitter counts these resamples (``n_boundary``) so the chunk
can say so; FIML (``p4.missing: fiml``) needs no saturated moments and is well-posed there.

FIML refits run the engine's whole fallback chain (:func:`surveysem.sem.optimizer.optimize`: Fisher
scoring, quasi-Newton, a trust-region restart). About 4 % of the resamples of ~128 firms have no finite
optimum (the growth factor's loadings run off to infinity as its variance goes to zero) and run every
stage to its cap, about 2 s each, half to three quarters of a chunk's CPU time. The chain stays: its last stage
converges resamples the others do not (3 of 2,000 of `.test/config_fiml`, all in the lower tail of the
growth effects, which a percentile CI must keep), and no rule measured on these resamples (distance
from the start after Fisher scoring, the objective's progress) told the hopeless from the slow.
"""

from __future__ import annotations

import logging
import time

import numpy as np
import pandas as pd

from surveysem.errors import SurveySemError

log = logging.getLogger("surveysem.propositions.bootstrap")


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


class ResampleRefitter:
    """Refit of one model to bootstrap resamples, given as the drawn row indices.

    ``pm``: the prepared model; ``data``: the full sample (DataFrame with the model's variables);
    ``start``: the full-sample free parameters; ``missing``: how the model treats missing values
    (``listwise``, ``two_stage`` or ``fiml``); ``em_tol``: EM tolerance of a two-stage resample;
    ``tol``: refit tolerance (largest parameter change 10 * tol, as the engine's optimizer);
    ``em_start``: the full-sample EM moments (mean, covariance) when the caller has them already
    (two-stage ML), else they are computed here.
    """

    def __init__(self, pm, data: pd.DataFrame, start, *, missing: str = "listwise", em_tol: float = 1e-5,
                 max_iter: int = 100, tol: float = 1e-7, em_start=None):
        from surveysem.sem import GroupData, em_moments

        self.pm, self.data, self.start = pm, data, np.asarray(start, float)
        self.max_iter, self.tol, self.em_tol = int(max_iter), float(tol), float(em_tol)
        self.missing = missing
        self.n = len(data)
        self.n_boundary = 0  # two-stage resamples whose EM covariance ended singular
        self.moments = pm.spec.ngroups == 1 and not pm.spec.meanstructure and missing in ("listwise", "two_stage")
        if not self.moments:
            return
        X = data[pm.spec.ov_names].to_numpy(dtype=float, na_value=np.nan)
        if missing == "two_stage" and np.isnan(X).any():
            self.X = X
            self.em_start = em_start if em_start is not None else em_moments(X, tol=1e-7)[:2]
        else:
            self.em_start = None
            self.complete = ~np.isnan(X).any(axis=1)
            self.X = np.where(self.complete[:, None], X, 0.0)
        mean, cov = self._moments(np.ones(self.n))
        n_full = int(self.complete.sum()) if self.em_start is None else self.n
        pm.engine.set_data([GroupData.from_moments(mean, cov, n_full)])
        with np.errstate(all="ignore"):
            self.hessian = pm.engine.evaluate(self.start, level=2)[2]

    def _moments(self, counts):
        if self.em_start is not None:
            from surveysem.sem import em_moments, near_singular

            mu, sig, _, ok = em_moments(self.X, start=self.em_start, tol=self.em_tol, weights=counts)
            singular = near_singular(sig)
            self.n_boundary += singular
            if not ok:
                raise SurveySemError("two-stage ML: EM did not converge"
                                     + (" (its covariance became singular)" if singular else ""))
            return mu, sig
        w = counts * self.complete
        n = w.sum()
        if n < 2:
            raise SurveySemError(f"too few complete cases ({int(n)}) to fit the model")
        mu = w @ self.X / n
        E = self.X - mu
        return mu, (E * w[:, None]).T @ E / n

    def refit(self, idx: np.ndarray) -> np.ndarray:
        """Free parameters, defined parameters and std_all of resample ``idx`` (NaN: not converged)."""
        if not self.moments:
            sample = self.data.iloc[idx].reset_index(drop=True)
            return self.pm.refit_estimates(sample, start=self.start, max_iter=self.max_iter, tol=self.tol)
        counts = np.bincount(idx, minlength=self.n).astype(float)
        mean, cov = self._moments(counts)
        n = counts.sum() if self.em_start is not None else (counts * self.complete).sum()
        return self.pm.refit_moments(mean, cov, int(n), self.start, self.hessian, max_iter=self.max_iter, tol=self.tol)


# What a refit may raise on a degenerate resample (a singular matrix, a division by a zero count or
# variance, a log of a non-positive determinant): the resample failed, the bootstrap goes on.
RESAMPLE_ERRORS = (SurveySemError, np.linalg.LinAlgError, ValueError, ArithmeticError)


def failure_text(err: BaseException) -> str:
    """The first line of an error, or its type when it has no message."""
    return str(err).splitlines()[0] if str(err) else type(err).__name__


def failed_chunk(status: str, tgt, *, B: int, chunks: int, chunk: int) -> pd.DataFrame:
    """The chunk table when no resample can be refitted: every resample of the chunk with
    ``status`` and no estimates (merged and counted as failed like any other)."""
    cols = [f"{kind}:{name}" for name, kind, _, _ in tgt]
    rows = [[b, status, *([np.nan] * len(cols))] for b in chunk_range(B, chunks, chunk)]
    return pd.DataFrame(rows, columns=["b", "status", *cols])


def run_chunk(refitter, tgt, *, seed: int, B: int, chunks: int, chunk: int) -> pd.DataFrame:
    """Refit the resamples of one chunk; one row per resample with ``b``, ``status`` and targets.

    ``refitter.n`` is the number of rows resampled and ``refitter.refit(idx)`` the refit of the
    rows ``idx`` (see :class:`ResampleRefitter`)."""
    idx_range = chunk_range(B, chunks, chunk)
    n = refitter.n
    cols = [f"{kind}:{name}" for name, kind, _, _ in tgt]
    rows = []
    total = len(idx_range)
    step = max(1, total // 10)
    started = time.perf_counter(), time.process_time()
    for k, b in enumerate(idx_range):
        idx = resample_rng(seed, b).integers(0, n, n)
        status = "ok"
        try:
            vec = refitter.refit(idx)
            vals = [float(vec[pos]) for _, _, pos, _ in tgt]
            if not np.all(np.isfinite(vals)):
                status = "not converged"
                vals = [np.nan] * len(tgt)
        except RESAMPLE_ERRORS as err:
            status = f"failed: {failure_text(err)}"
            vals = [np.nan] * len(tgt)
        rows.append([b, status, *vals])
        if (k + 1) % step == 0 or k + 1 == total:
            # CPU seconds beside wall seconds: on a shared machine only the former compare between runs
            log.info("bootstrap chunk %d/%d: %d/%d resamples (%d%%) in %.1f s (%.1f s CPU)", chunk + 1, chunks,
                     k + 1, total, round(100 * (k + 1) / total), time.perf_counter() - started[0],
                     time.process_time() - started[1])
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
    return pd.DataFrame(out, columns=SUMMARY_COLUMNS)


SUMMARY_COLUMNS = ["parameter", "kind", "est", "boot_mean", "boot_se", "ci_lower", "ci_upper", "level", "B", "n_ok",
                   "n_not_converged", "n_failed"]
