"""The power study's tables from the replications' rows (:mod:`surveysem.power.replicate`).

- Monte Carlo table (as Mplus prints it): per parameter and N, the population value, mean
  estimate, SD of the estimates, mean SE, MSE, 95 % coverage and share significant (the CI
  excludes 0), with the non-converged and inadmissible replications counted. Summaries use the
  replications without a problem.
- Power: per sub-hypothesis, proposition and true null, the share of all replications judged
  "supported" (a replication that failed counts as not supported) with its Monte Carlo SE
  sqrt(p (1 - p) / R). For a true null (population effect 0) that share is the type-I error.
- Sample size: the N at which power reaches 80 % and 90 %, linearly interpolated between the
  grid points around the first crossing; outside the grid the note says so.
- Interval calibration: per parameter and N, whether the CIs cover the population value at their
  nominal level within Monte Carlo error. Intervals that cover too rarely make a test too liberal,
  so the power (and a true null's type-I error) shown for it is overstated.

Population values are the estimands of the verdicts' estimators on one draw of ``power.truth_n``
firms: for latent P1-P3 estimators the least-squares coefficients on the true latent scores
(:func:`surveysem.simulate.known_truth.latent_estimands`), for P4 the SEM's estimate on that
draw; composite-score GLMs estimate other quantities, so only their true nulls have a value (0).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

MONTE_CARLO_COLUMNS = ["target", "proposition", "parameter", "n", "population_value", "mean_estimate", "sd_estimate",
                       "mean_se", "mse", "coverage", "share_significant", "replications", "not_converged",
                       "inadmissible"]
POWER_COLUMNS = ["target", "kind", "n", "replications", "converged", "share_supported", "mcse"]
SAMPLE_SIZE_COLUMNS = ["target", "power_level", "n_required", "note"]
CALIBRATION_COLUMNS = ["target", "parameter", "n", "coverage", "nominal", "band_lower", "band_upper", "sd_over_se",
                       "assessment"]
# each tail of the band of coverages a calibrated interval shows: with tens of parameter x N
# cells, 95 % bands would flag one cell in twenty by chance alone
CALIBRATION_TAIL = 0.005
VERDICT_COLUMNS = ["target", "n", "verdict", "replications", "share"]
POWER_LEVELS = (0.8, 0.9)
FAILED = ("not converged", "not estimable")


def true_nulls(config: dict, hyps, inst) -> set[str]:
    """Ids of the sub-hypotheses whose effect is zero in the population: a main effect of a
    capability with no effect on the outcome, or an interaction the population does not have."""
    from surveysem.simulate import population_truth

    truth = population_truth(config, inst)
    nulls = set()
    for h in hyps:
        if h.is_sem or h.is_paths or h.outcome not in truth["effects"]:
            continue
        effects = truth["effects"][h.outcome]
        interactions = truth["interaction"].get(h.outcome, {})
        for s in h.subs:
            if s.is_interaction:
                a, b = s.term.split(":")
                if interactions.get(s.term, interactions.get(f"{b}:{a}", 0.0)) == 0.0:
                    nulls.add(s.id)
            elif s.term in effects and effects[s.term] == 0.0:
                nulls.add(s.id)
    return nulls


def population_values(study, seed: int) -> dict[str, float]:
    """Sub-hypothesis id -> population value of its parameter (module docstring)."""
    from surveysem.instrument.analysed import with_parcels
    from surveysem.outcomes.firms import firm_outcomes
    from surveysem.power.replicate import construct_items, draw_clean, judge_p4
    from surveysem.propositions.latent import latent_frame
    from surveysem.simulate.known_truth import latent_estimands, true_scores

    cfg = study.config
    p4c = cfg["p4"]
    # the population's P4 values are estimates, not tests: no bootstrap of the large draw
    study = replace(study, rule={**study.rule, "p4_ci": "wald"})
    sim, clean = draw_clean(study, int(cfg["power"]["truth_n"]), seed)
    outcomes = firm_outcomes(clean, study.fielded, cfg["study"]["survey_year"], cfg["outcomes"]["home_country"])
    analysis = with_parcels(clean, study.inst)
    eta = true_scores(sim, clean)
    values: dict[str, float] = {}
    for h in study.hyps:
        if h.is_sem:
            values.update({r["id"]: float(r["est"]) for r in judge_p4(study, h, analysis, outcomes, seed)})
        elif h.estimator != "composite_glm" and not h.is_paths:
            items = construct_items(study, analysis, list(h.constructs) + h.control_constructs)
            data, controls, _ = latent_frame(analysis, outcomes, h, items, trials=int(p4c["regions"]),
                                             correction=float(p4c["diversification_correction"]),
                                             clip=float(p4c["intensity_clip"]))
            values.update(latent_estimands(data, eta, h, controls))
    return values


def _share(flags: pd.Series) -> float:
    return float(flags.mean()) if len(flags) else np.nan


def monte_carlo_table(rows: pd.DataFrame, truth: dict[str, float]) -> pd.DataFrame:
    """One row per sub-hypothesis parameter and N (module docstring)."""
    subs = rows[rows["level"] == "sub-hypothesis"]
    out = []
    for (target, n), g in subs.groupby(["target", "n"], sort=False):
        ok = g[g["problem"].fillna("") == ""]
        value = truth.get(target, np.nan)
        est = ok["est"].astype(float)
        cover = ((ok["ci_lower"] <= value) & (value <= ok["ci_upper"])) if np.isfinite(value) else pd.Series([], dtype=bool)
        out.append({"target": target, "proposition": g["proposition"].iloc[0], "parameter": g["parameter"].iloc[0],
                    "n": int(n), "population_value": value, "mean_estimate": _share(est),
                    "sd_estimate": float(est.std(ddof=1)) if len(est) > 1 else np.nan,
                    "mean_se": _share(ok["se"].astype(float)),
                    "mse": float(((est - value) ** 2).mean()) if np.isfinite(value) and len(est) else np.nan,
                    "coverage": _share(cover) if np.isfinite(value) else np.nan,
                    "share_significant": _share((ok["ci_lower"] > 0) | (ok["ci_upper"] < 0)),
                    "replications": int(len(g)),
                    "not_converged": int(g["problem"].isin(FAILED).sum()),
                    "inadmissible": int((g["problem"] == "inadmissible solution").sum())})
    return pd.DataFrame(out, columns=MONTE_CARLO_COLUMNS)


def interval_calibration(mc: pd.DataFrame, nominal: float) -> pd.DataFrame:
    """Coverage of every parameter at every N against the ``nominal`` level: the band of coverages
    a calibrated interval shows with 99 % probability over the R replications used (the 0.5 % and
    99.5 % quantiles of Binomial(R, nominal) over R, exact at any R), and the verdict "too narrow"
    (below it: the test is liberal, its power overstated), "too wide" (above: conservative) or
    "within Monte Carlo error". ``sd_over_se``: the SD of the estimates over their mean SE (above 1:
    the SEs are too small). Rows without a population value are left out."""
    from scipy.stats import binom

    out = []
    for r in mc.itertuples():
        used = int(r.replications - r.not_converged - r.inadmissible)
        if not (np.isfinite(r.coverage) and used > 0):
            continue
        covered = round(r.coverage * used)
        low, high = binom.ppf(CALIBRATION_TAIL, used, nominal), binom.isf(CALIBRATION_TAIL, used, nominal)
        assessment = ("too narrow" if covered < low else "too wide" if covered > high
                      else "within Monte Carlo error")
        ratio = r.sd_estimate / r.mean_se if np.isfinite(r.sd_estimate) and r.mean_se > 0 else np.nan
        out.append({"target": r.target, "parameter": r.parameter, "n": int(r.n), "coverage": float(r.coverage),
                    "nominal": nominal, "band_lower": float(low / used), "band_upper": float(high / used),
                    "sd_over_se": ratio, "assessment": assessment})
    return pd.DataFrame(out, columns=CALIBRATION_COLUMNS)


def power_table(rows: pd.DataFrame, nulls: set[str]) -> pd.DataFrame:
    """Share "supported" of every sub-hypothesis, true null and proposition at every N."""
    out = []
    for (target, n), g in rows.groupby(["target", "n"], sort=False):
        level = g["level"].iloc[0]
        kind = "proposition" if level == "proposition" else "true null" if target in nulls else "sub-hypothesis"
        share = float((g["verdict"] == "supported").mean())
        out.append({"target": target, "kind": kind, "n": int(n), "replications": int(len(g)),
                    "converged": int((~g["problem"].fillna("").isin(FAILED)).sum()), "share_supported": share,
                    "mcse": float(np.sqrt(share * (1 - share) / len(g)))})
    return pd.DataFrame(out, columns=POWER_COLUMNS)


def n_required(sizes, power, level: float) -> tuple[float, str]:
    """(N at which ``power`` first reaches ``level``, note): linear interpolation between the
    grid points around the crossing; the smallest N when it is reached there already (note
    "at or below the grid"), NaN when never (note "above the grid")."""
    pairs = sorted(zip(sizes, power))
    if pairs[0][1] >= level:
        return float(pairs[0][0]), f"at or below the grid: power {pairs[0][1]:.3f} already at N = {pairs[0][0]}"
    for (n0, p0), (n1, p1) in zip(pairs, pairs[1:]):
        if p1 >= level:
            return float(n0 + (level - p0) / (p1 - p0) * (n1 - n0)), f"interpolated between N = {n0} and {n1}"
    return np.nan, f"above the grid: power {pairs[-1][1]:.3f} at the largest N = {pairs[-1][0]}"


def sample_size_table(power: pd.DataFrame) -> pd.DataFrame:
    """N needed for 80 % and 90 % power of every sub-hypothesis and proposition (not true nulls)."""
    out = []
    for target, g in power[power["kind"] != "true null"].groupby("target", sort=False):
        for level in POWER_LEVELS:
            n, note = n_required(g["n"].tolist(), g["share_supported"].tolist(), level)
            out.append({"target": target, "power_level": level, "n_required": n, "note": note})
    return pd.DataFrame(out, columns=SAMPLE_SIZE_COLUMNS)


def verdict_table(rows: pd.DataFrame) -> pd.DataFrame:
    """Share of each verdict of every proposition at every N (why a proposition is not supported:
    not supported, partially supported, not estimable, not assessable ...)."""
    props = rows[rows["level"] == "proposition"]
    out = []
    for (target, n), g in props.groupby(["target", "n"], sort=False):
        counts = g["verdict"].value_counts()
        for verdict in sorted(counts.index):
            out.append({"target": target, "n": int(n), "verdict": verdict, "replications": int(len(g)),
                        "share": float(counts[verdict] / len(g))})
    return pd.DataFrame(out, columns=VERDICT_COLUMNS)
