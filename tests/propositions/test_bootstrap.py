"""Chunked percentile bootstrap of the P4 model: split-invariance, seeding, CIs, failure counts.

References: numpy.quantile (percentile CI, R type 7), hand-made draws; the split test compares
the byte content of the merged CSV for chunks=1 and chunks=3 (must be identical).
"""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from surveysem.propositions.bootstrap import (
    SUMMARY_COLUMNS,
    ResampleRefitter,
    chunk_range,
    failed_chunk,
    merge,
    resample_rng,
    run_chunk,
    targets,
)
from surveysem.errors import SurveySemError
from surveysem.io import write_csv
from surveysem.propositions.p4 import p4_syntax
from surveysem.sem import prepare_model

ROOT = Path(__file__).resolve().parents[2]
DATA = pd.read_csv(ROOT / "tests/r/data/second_order_sem.csv").rename(columns={"g1": "g_spread", "g2": "g_div", "g3": "g_int"})
PROCESSES = {"sensing": ["F1", "F2"], "seizing": ["F3", "F4"], "reconfiguring": ["F5", "F6"]}
ITEMS = {f"F{k}": [f"f{k}_{i}" for i in (1, 2, 3)] for k in range(1, 7)}


@pytest.mark.parametrize("B,chunks", [(10, 1), (10, 3), (2000, 8), (7, 7), (5, 8)])
def test_chunks_partition_the_resamples(B, chunks):
    seen = [b for k in range(chunks) for b in chunk_range(B, chunks, k)]
    assert seen == list(range(B))
    with pytest.raises(SurveySemError):
        chunk_range(B, chunks, chunks)


def test_resample_seed_depends_only_on_seed_and_b():
    a = resample_rng(42, 7).integers(0, 100, 20)
    b = resample_rng(42, 7).integers(0, 100, 20)
    c = resample_rng(42, 8).integers(0, 100, 20)
    d = resample_rng(43, 7).integers(0, 100, 20)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c) and not np.array_equal(a, d)
    # documented derivation: SeedSequence(seed, spawn_key=(b,))
    ref = np.random.default_rng(np.random.SeedSequence(42, spawn_key=(7,))).integers(0, 100, 20)
    np.testing.assert_array_equal(a, ref)


@pytest.fixture(scope="module")
def chain():
    syntax = p4_syntax(PROCESSES, ITEMS, "b")
    pm = prepare_model(syntax, list(DATA.columns))
    full = pm.fit(DATA)
    assert full.converged
    return pm, full


def test_split_gives_identical_merged_output(chain, tmp_path):
    pm, full = chain
    tgt = targets(full)
    B = 12
    outs = []
    for chunks in (1, 3):
        refitter = ResampleRefitter(pm, DATA, full.free_params)
        frames = [run_chunk(refitter, tgt, seed=2026, B=B, chunks=chunks, chunk=k) for k in range(chunks)]
        # round-trip through the chunk files as the workflow does
        paths = []
        for k, f in enumerate(frames):
            p = tmp_path / f"c{chunks}_{k}.csv"
            write_csv(p, f)
            paths.append(p)
        summary = merge([pd.read_csv(p) for p in paths], tgt, B=B)
        out = tmp_path / f"merged_{chunks}.csv"
        write_csv(out, summary)
        outs.append(out.read_bytes())
    assert outs[0] == outs[1]
    s = pd.read_csv(tmp_path / "merged_1.csv")
    assert set(s.parameter) >= {"total_sensing", "total_seizing", "total_reconfiguring", "growth~reconfiguring"}
    assert (s.n_ok + s.n_not_converged + s.n_failed == B).all()


def test_resample_equals_a_direct_refit(chain):
    """Row b of a chunk is the refit of the rows drawn by resample_rng(seed, b): the moment-based
    quasi-Newton refit agrees with a full fit of the resampled rows (engine's Fisher scoring and
    fallbacks, tol 1e-10) to the refit tolerance (largest parameter change 1e-6; 1e-5 allowed)."""
    pm, full = chain
    tgt = targets(full)
    frame = run_chunk(ResampleRefitter(pm, DATA, full.free_params), tgt, seed=5, B=4, chunks=2, chunk=1)
    assert list(frame.b) == [2, 3]
    idx = resample_rng(5, 3).integers(0, len(DATA), len(DATA))
    ref = pm.fit(DATA.iloc[idx].reset_index(drop=True))
    assert ref.converged
    e = ref.estimates
    total = e.loc[e.lhs == "total_sensing"].iloc[0]
    assert frame.loc[frame.b == 3, "est:total_sensing"].item() == pytest.approx(total.est, abs=1e-5)
    assert frame.loc[frame.b == 3, "std_all:total_sensing"].item() == pytest.approx(total.std_all, abs=1e-5)
    # the := value equals the product of the chain paths in the same resample
    a = frame.loc[frame.b == 3, "est:seizing~sensing"].item()
    b = frame.loc[frame.b == 3, "est:reconfiguring~seizing"].item()
    c = frame.loc[frame.b == 3, "est:growth~reconfiguring"].item()
    assert frame.loc[frame.b == 3, "est:total_sensing"].item() == pytest.approx(a * b * c, rel=1e-10)


def test_two_stage_resample_equals_em_then_full_fit(chain):
    """Two-stage ML refit of a resample with missing values = ML fit to the resample's EM
    moments (weighted EM on the distinct rows equals EM on the resampled rows)."""
    from surveysem.propositions.p4 import TwoStage

    pm, full = chain
    rng = np.random.default_rng(11)
    holes = DATA.copy()
    holes = holes.mask(rng.random(holes.shape) < 0.04)
    ts = TwoStage(holes)
    pm2 = prepare_model(pm.syntax, list(holes.columns))
    full2 = pm2.fit(ts(holes))
    tgt = targets(full2)
    refitter = ResampleRefitter(pm2, holes, full2.free_params, missing="two_stage", em_tol=1e-9)
    frame = run_chunk(refitter, tgt, seed=8, B=2, chunks=1, chunk=0)
    assert (frame.status == "ok").all()
    idx = resample_rng(8, 1).integers(0, len(holes), len(holes))
    sample = holes.iloc[idx].reset_index(drop=True)
    ts.tol = 1e-11
    ref = pm2.fit(ts(sample))
    assert ref.converged
    e = ref.estimates
    for name, kind, _, _ in tgt:
        if kind != "est":
            continue
        row = e.loc[e.lhs == name] if "~" not in name else e.loc[(e.lhs == name.split("~")[0]) & (e.op == "~")
                                                              & (e.rhs == name.split("~")[1])]
        assert frame.loc[frame.b == 1, f"est:{name}"].item() == pytest.approx(row.est.iloc[0], abs=1e-5), name


def test_two_stage_resamples_of_a_small_sample_are_counted_on_the_boundary():
    """40 firms and 21 variables with holes: a resample's ~25 distinct rows leave the saturated EM
    covariance singular although the full sample's is not; the refitter counts those resamples (the
    chunk step warns about them) and a resample whose EM fails says why (issue 17 item 3)."""
    from surveysem.propositions.p4 import TwoStage
    from surveysem.sem import near_singular

    rng = np.random.default_rng(11)
    small = DATA.iloc[:40].mask(rng.random((40, DATA.shape[1])) < 0.05).reset_index(drop=True)
    ts = TwoStage(small)
    assert not near_singular(ts.start[1])
    pm = prepare_model(p4_syntax(PROCESSES, ITEMS, "b"), list(small.columns))
    full = pm.fit(ts(small))
    refitter = ResampleRefitter(pm, small, full.free_params, missing="two_stage", em_tol=1e-4, max_iter=100,
                                tol=1e-6, em_start=ts.start)
    frame = run_chunk(refitter, targets(full), seed=3, B=4, chunks=1, chunk=0)
    assert refitter.n_boundary >= 2
    assert any(s.endswith("EM did not converge (its covariance became singular)") for s in frame.status)


def test_percentile_ci_and_failure_counts_by_hand():
    tgt = [("x", "est", 0, 0.3)]
    rng = np.random.default_rng(1)
    v = rng.normal(0.3, 0.1, 50)
    status = ["ok"] * 50
    v[[3, 17]] = np.nan
    status[3] = "not converged"
    status[17] = "failed: singular"
    frames = [pd.DataFrame({"b": range(0, 20), "status": status[:20], "est:x": v[:20]}),
              pd.DataFrame({"b": range(20, 50), "status": status[20:], "est:x": v[20:]})]
    s = merge(frames[::-1], tgt, B=50, level=0.9).iloc[0]
    ok = np.delete(v, [3, 17])
    assert s.n_ok == 48 and s.n_not_converged == 1 and s.n_failed == 1
    assert s.ci_lower == pytest.approx(np.quantile(ok, 0.05), rel=1e-12)
    assert s.ci_upper == pytest.approx(np.quantile(ok, 0.95), rel=1e-12)
    assert s.boot_se == pytest.approx(ok.std(ddof=1), rel=1e-12)
    with pytest.raises(SurveySemError, match="expected b = 0..50"):
        merge(frames[:1], tgt, B=51)


def test_failed_refits_are_counted_not_dropped():
    class Flaky:
        n = 6
        x = np.array([0.0, 1.0] * 3)

        def refit(self, idx):
            m = float(self.x[idx].mean())
            if m > 0.6:
                raise np.linalg.LinAlgError("singular matrix")
            if m < 0.4:
                return np.array([np.nan])
            return np.array([m])

    frame = run_chunk(Flaky(), [("m", "est", 0, 0.5)], seed=3, B=40, chunks=1, chunk=0)
    assert len(frame) == 40
    assert set(frame.status) <= {"ok", "not converged", "failed: singular matrix"}
    assert (frame.status != "ok").any()
    s = merge([frame], [("m", "est", 0, 0.5)], B=40).iloc[0]
    assert s.n_ok + s.n_not_converged + s.n_failed == 40
    assert s.n_ok == (frame.status == "ok").sum()


@pytest.mark.parametrize("error", [ZeroDivisionError("float division by zero"), OverflowError(),
                                   FloatingPointError("overflow"), np.linalg.LinAlgError("Singular matrix")])
def test_every_arithmetic_or_linear_algebra_failure_is_a_failed_resample(error):
    """A degenerate resample (a singular EM covariance, a zero count) fails that resample only."""
    class Breaks:
        n = 5

        def refit(self, idx):
            if idx[0] % 2:
                raise error
            return np.array([1.0])

    tgt = [("m", "est", 0, 1.0)]
    frame = run_chunk(Breaks(), tgt, seed=11, B=30, chunks=1, chunk=0)
    failed = frame.status.str.startswith("failed: ")
    assert failed.any() and (frame.status[~failed] == "ok").all()
    assert set(frame.status[failed]) == {f"failed: {str(error) or type(error).__name__}"}
    s = merge([frame], tgt, B=30).iloc[0]
    assert s.n_failed == failed.sum() and s.n_ok == 30 - failed.sum()


def test_a_chunk_that_cannot_start_counts_every_resample_as_failed():
    tgt = [("m", "est", 0, 1.0)]
    frames = [failed_chunk("failed: the refit cannot start: Singular matrix", tgt, B=7, chunks=2, chunk=k)
              for k in range(2)]
    assert [len(f) for f in frames] == [3, 4]
    s = merge(frames, tgt, B=7).iloc[0]
    assert (s.n_ok, s.n_failed) == (0, 7) and np.isnan(s.ci_lower)
    assert list(merge(frames, [], B=7).columns) == SUMMARY_COLUMNS  # no model: an empty summary, its columns


def test_listwise_resample_uses_the_complete_rows_it_drew(chain):
    """Listwise deletion: the moment refit of a resample equals the fit of its complete rows
    (rows with a hole drop out with all their copies)."""
    pm, full = chain
    rng = np.random.default_rng(12)
    holes = DATA.mask(rng.random(DATA.shape) < 0.02)
    pm2 = prepare_model(pm.syntax, list(holes.columns))
    full2 = pm2.fit(holes)
    tgt = targets(full2)
    frame = run_chunk(ResampleRefitter(pm2, holes, full2.free_params, tol=1e-9), tgt, seed=4, B=1, chunks=1, chunk=0)
    idx = resample_rng(4, 0).integers(0, len(holes), len(holes))
    ref = pm2.fit(holes.iloc[idx].reset_index(drop=True))
    e = ref.estimates
    row = e.loc[(e.lhs == "growth") & (e.op == "~")].iloc[0]
    assert frame["est:growth~reconfiguring"].item() == pytest.approx(row.est, abs=1e-6)
    assert ref.fit["nobs"] < len(holes)
