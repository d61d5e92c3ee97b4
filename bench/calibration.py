"""Calibration of the P1-P3 verdicts: known truth by simulation from the config's population.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python bench/calibration.py [--draws 500] [--sizes 300 1000]
        [--processes 2] [--truth-n 100000] [--truth-draws 1] [--seed 20261201] [--out draws.csv]
    OPENBLAS_NUM_THREADS=1 .venv/bin/python bench/calibration.py --summarise draws.csv --truth-draws 26

Each draw is one study of N firms from the ``simulate:`` section of ``config/config.yaml`` (the
instrument of ``scales/``), the clean respondents kept by their truth flags (screening is not
under test: :func:`surveysem.simulate.known_truth.clean_respondents`). On every draw the
pipeline's own code estimates and judges P1-P3 (:func:`surveysem.propositions.latent.analyse_latent`
for the latent estimators, :func:`surveysem.propositions.regression.analyse_hypothesis` for the
composite GLMs) with the config's verdict rule (alpha, Holm).

Population values (``truth``) are on the latent estimators' scale: the least-squares
coefficients of the transformed outcome on the true unit-variance capabilities and the
controls in one draw of ``--truth-n`` firms (:func:`surveysem.simulate.known_truth.latent_estimands`;
its own sampling error is about 0.3/sqrt(truth-n)), or their mean over ``--truth-draws`` such
draws (the first with ``--seed``; its Monte Carlo SE is printed and written to
``<out>.truth.json``). ``--summarise`` prints the table of the draws an earlier ``--out`` wrote,
against the truth computed now, without drawing studies again. The composite GLMs estimate other
quantities (per SD of an item mean, on a log or logit link), so their bias and coverage are
shown only for the true null, whose value is 0 on every scale.

Printed per N, estimator and sub-hypothesis: truth, mean estimate, bias, empirical SD, mean SE,
95 % CI coverage, share declared supported, each with its Monte Carlo standard error, and the
draws that failed. Draws run in ``--processes`` worker processes (seeded per draw, so the
results do not depend on the split).
"""

from __future__ import annotations

import argparse
import json
import os
from dataclasses import replace
import sys
import time
from multiprocessing import Pool
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

ESTIMATORS = ("sam", "sem", "composite_glm")
_STATE: dict = {}


def _setup(config_path: str, scales: str, only: tuple = ()):
    from surveysem.config import load_config
    from surveysem.instrument.scales import load_instrument
    from surveysem.propositions.hypotheses import parse_hypotheses

    config = load_config(config_path)
    inst = load_instrument(Path(scales))
    hyps = [h for h in parse_hypotheses(config["hypotheses"], list(inst.constructs))
            if not h.is_sem and (not only or h.id in only)]
    items = {c: [i.id for i in k.items] for c, k in inst.constructs.items()}
    _STATE.update(config=config, inst=inst, hyps=hyps, items=items)


def _study(n: int, seed: int):
    from surveysem.outcomes.firms import firm_outcomes
    from surveysem.simulate import simulate
    from surveysem.simulate.known_truth import clean_respondents

    cfg, inst = _STATE["config"], _STATE["inst"]
    sim = simulate(cfg, n=n, seed=seed, inst=inst)
    clean = clean_respondents(sim, inst)
    out = firm_outcomes(clean, inst, cfg["study"]["survey_year"], cfg["outcomes"]["home_country"])
    return sim, clean, out


def _method(hyp):
    """The method factor the pipeline gives ``hyp`` (``method_factor`` and ``measurement.cmv.marker``)."""
    from surveysem.propositions.latent import method_factor_of

    items = [i for c in hyp.constructs for i in _STATE["items"][c]]
    return method_factor_of(hyp, _STATE["inst"], _STATE["config"]["measurement"]["cmv"]["marker"], items)


def _frame(hyp, clean, out, with_marker: bool = False):
    from surveysem.propositions.latent import latent_frame

    p4 = _STATE["config"]["p4"]
    items = {c: _STATE["items"][c] for c in hyp.constructs}
    marker = _STATE["config"]["measurement"]["cmv"]["marker"]
    if with_marker and marker in _STATE["items"]:  # the marker items, for the method factor
        items[marker] = _STATE["items"][marker]
    return latent_frame(clean, out, hyp, items, trials=int(p4["regions"]),
                        correction=float(p4["diversification_correction"]), clip=float(p4["intensity_clip"]))


def population_values(truth_n: int, seed: int) -> dict[str, float]:
    from surveysem.simulate.known_truth import latent_estimands, true_scores

    sim, clean, out = _study(truth_n, seed)
    eta = true_scores(sim, clean)
    truth = {}
    for h in _STATE["hyps"]:
        d, ctrl, _ = _frame(h, clean, out)
        truth.update(latent_estimands(d, eta, h, ctrl))
    return truth


def truth_seeds(seed: int, k: int) -> list[int]:
    """Seeds of the ``k`` truth draws: the first is ``seed`` (as with one draw), then apart from
    every study's seed (those are ``seed + 1 + 100000 i + d``)."""
    return [seed] + [seed + 10_000_000 + j for j in range(1, k)]


def _truth_task(task) -> dict[str, float]:
    return population_values(*task)


def pooled_truth(values: list[dict]) -> tuple[dict[str, float], dict[str, float]]:
    """(mean over the truth draws, its Monte Carlo SE; NaN with one draw) per sub-hypothesis."""
    keys = values[0].keys()
    mean = {k: float(np.mean([v[k] for v in values])) for k in keys}
    mcse = {k: float(np.std([v[k] for v in values], ddof=1) / np.sqrt(len(values))) if len(values) > 1 else np.nan
            for k in keys}
    return mean, mcse


def one_draw(task) -> list[dict]:
    """Every estimator on one drawn study: one row per estimator and sub-hypothesis."""
    from surveysem.propositions.latent import analyse_latent
    from surveysem.propositions.regression import analyse_hypothesis, analysis_frame

    n, draw, seed, estimators, method_factors = task
    cfg = _STATE["config"]
    rule, p4 = cfg["verdict_rule"], cfg["p4"]
    _, clean, out = _study(n, seed)
    rows = []
    runs = [(e, mf) for e in estimators for mf in (method_factors if e == "sam" else (None,))]
    for h in _STATE["hyps"]:
        d, ctrl, _ = _frame(h, clean, out, with_marker=True)
        for est, mf in runs:
            label = est if mf is None else f"{est}[{mf}]"
            t0 = time.perf_counter()
            if est == "composite_glm":
                scores = pd.DataFrame({"respondent_id": clean.respondent_id,
                                       **{c: clean[_STATE["items"][c]].mean(axis=1) for c in h.constructs}})
                res = analyse_hypothesis(analysis_frame(scores, out), h, trials=int(p4["regions"]),
                                         adjust=rule["adjust"], alpha=float(rule["alpha"]))
                subs = [s for s in res["subhypotheses"] if s["primary"]]
            else:
                hyp = replace(h, estimator=est, method_factor=mf or h.method_factor)
                method = _method(hyp)  # the SAM method factor (none for sem)
                res = analyse_latent(d, ctrl, hyp, _STATE["items"], estimator=est, adjust=rule["adjust"],
                                     alpha=float(rule["alpha"]), method=method)
                subs = res["subhypotheses"]
            dt = time.perf_counter() - t0
            for j, s in enumerate(subs):
                rows.append({"n": n, "draw": draw, "estimator": label, "id": s["id"], "est": s["est"], "se": s["se"],
                             "ci_lower": s["ci_lower"], "ci_upper": s["ci_upper"],
                             "supported": bool(s["supported"]), "failed": s["verdict"] == "not estimable",
                             "seconds": dt if j == 0 else 0.0})
    return rows


def summarise(draws: pd.DataFrame, truth: dict[str, float]) -> pd.DataFrame:
    out = []
    for (n, est, sid), g in draws.groupby(["n", "estimator", "id"], sort=False):
        ok = g[~g.failed]
        t = truth.get(sid, np.nan)
        comparable = est != "composite_glm" or t == 0.0
        cover = ((ok.ci_lower <= t) & (t <= ok.ci_upper)).mean() if comparable else np.nan
        m = len(ok)
        sup = g.supported.mean()
        out.append({"N": n, "estimator": est, "sub": sid, "truth": t if comparable else np.nan,
                    "mean_est": ok.est.mean(), "bias": ok.est.mean() - t if comparable else np.nan,
                    "mcse_bias": ok.est.std() / np.sqrt(m) if m else np.nan, "emp_sd": ok.est.std(),
                    "mean_se": ok.se.mean(), "coverage": cover,
                    "mcse_cov": np.sqrt(cover * (1 - cover) / m) if m and comparable else np.nan,
                    "supported": sup, "mcse_sup": np.sqrt(sup * (1 - sup) / len(g)), "failed": int(g.failed.sum()),
                    "draws": len(g)})
    return pd.DataFrame(out)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--draws", type=int, default=500)
    ap.add_argument("--sizes", type=int, nargs="+", default=[300, 1000])
    ap.add_argument("--estimators", nargs="+", default=["sam", "composite_glm"], choices=ESTIMATORS)
    ap.add_argument("--processes", type=int, default=2)
    ap.add_argument("--truth-n", type=int, default=100000)
    ap.add_argument("--truth-draws", type=int, default=1,
                    help="population values averaged over this many draws of --truth-n firms (their SE falls as 1/sqrt)")
    ap.add_argument("--summarise", default=None, metavar="DRAWS_CSV",
                    help="no new draws: the table of the draws an earlier --out wrote, against the truth computed now")
    ap.add_argument("--seed", type=int, default=20261201)
    ap.add_argument("--config", default=str(ROOT / "config" / "config.yaml"))
    ap.add_argument("--scales", default=str(ROOT / "scales"))
    ap.add_argument("--out", default=None, help="also write every draw's rows to this CSV")
    ap.add_argument("--method-factors", nargs="+", default=None, choices=["auto", "marker", "none"],
                    help="sam with each of these method_factor values on the same draws, rows labelled sam[<value>] "
                         "(default: each hypothesis' own)")
    ap.add_argument("--hypotheses", nargs="+", default=(), help="only these hypothesis ids (default: every P1-P3)")
    a = ap.parse_args(argv)
    t0 = time.perf_counter()
    only = tuple(a.hypotheses)
    _setup(a.config, a.scales, only)
    with Pool(a.processes, initializer=_setup, initargs=(a.config, a.scales, only)) as pool:
        values = pool.map(_truth_task, [(a.truth_n, s) for s in truth_seeds(a.seed, a.truth_draws)], chunksize=1)
        truth, truth_mcse = pooled_truth(values)
        if a.out:  # the truth first, then every draw's rows as it finishes (a long run can be read early)
            Path(a.out + ".truth.json").write_text(json.dumps({**truth, "mcse": truth_mcse, "draws": values}, indent=1))
        if a.summarise:
            draws = pd.read_csv(a.summarise)
        else:
            tasks = [(n, d, a.seed + 1 + 100_000 * i + d, tuple(a.estimators), tuple(a.method_factors or (None,)))
                     for i, n in enumerate(a.sizes) for d in range(a.draws)]
            rows = []
            for chunk in pool.imap(one_draw, tasks, chunksize=1 if a.out else 4):
                rows.extend(chunk)
                if a.out:
                    pd.DataFrame(chunk).to_csv(a.out, mode="a", index=False, header=len(rows) == len(chunk))
            draws = pd.DataFrame(rows)
    table = summarise(draws, truth)
    pd.set_option("display.width", 200, "display.max_rows", 500, "display.max_columns", 30)
    per_n = draws.groupby("n").draw.nunique().to_dict()
    print(f"# calibration: draws per N {per_n}{' (from ' + a.summarise + ')' if a.summarise else ''}, "
          f"truth from {a.truth_draws} x {a.truth_n} firms (largest MCSE "
          f"{np.nanmax(list(truth_mcse.values())) if a.truth_draws > 1 else float('nan'):.4f}), seed {a.seed}; "
          f"alpha {_STATE['config']['verdict_rule']['alpha']} one-sided, {_STATE['config']['verdict_rule']['adjust']}; "
          f"method factor {' / '.join(a.method_factors) if a.method_factors else 'as configured'}; "
          f"{time.perf_counter() - t0:.0f} s on {a.processes} processes")
    print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    secs = draws.groupby(["n", "estimator"]).seconds.sum() / draws.groupby(["n", "estimator"]).draw.nunique()
    print("\n# seconds per draw (all hypotheses):")
    print(secs.to_string(float_format=lambda v: f"{v:.2f}"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
