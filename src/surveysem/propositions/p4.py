"""Proposition 4 as a structural equation model (surveysem's own engine, :mod:`surveysem.sem`).

Measurement: every capability is a first-order factor of its items (``results/clean/analysis.csv``,
reverse-keyed items already reversed). Second-order factors ``sensing``, ``seizing`` and
``reconfiguring`` are indicated by the capabilities the P4 entry of ``hypotheses:`` assigns to
them. Growth is a latent outcome indicated by three transformed, standardized outcomes:

``g_spread``  log(spread)
``g_div``     logit((diversification + c) / (12 + 2c)), continuity correction ``c`` (config
              ``p4.diversification_correction``, default 0.5) so that 0 and 12 regions stay finite
``g_int``     logit(clip(intensity, e, 1 - e)), ``e`` = ``p4.intensity_clip`` (default 0.01), because
              "almost 100%" foreign sales occur and logit(1) is infinite

each z-scored (sample mean and SD) so the three indicators share a metric.

Structural models (all fitted, compared):

(a) ``correlated``: sensing, seizing, reconfiguring correlated, all three -> growth.
(b) ``chain``: sensing -> seizing -> reconfiguring -> growth, with ``:=`` indirect/total effects
    (total_sensing = a*b*c, total_seizing = b*c, total_reconfiguring = c). (b) is nested in (a)
    (it fixes three of (a)'s six structural parameters).
(c) ``direct``: the first-order capabilities (no second-order factors) -> growth. (a) is nested in
    (c): a second-order structure with growth regressed on the second-order factors restricts
    (c)'s free factor covariances and paths.

Nested pairs get a chi-square difference test (ML; with MLR the Satorra-Bentler 2001 scaled
difference when the engine reports scaling factors, else the naive difference, flagged);
all models get AIC and BIC. Heywood cases and non-convergence become warnings, never errors.
"""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
from scipy import special  # chdtrc, ndtr: scipy.stats' functions without its import cost

from surveysem.errors import SurveySemError
from surveysem.sem import em_moments  # two-stage ML's first stage (TwoStage)

PROCESS_ORDER = ("sensing", "seizing", "reconfiguring")
GROWTH = "growth"
GROWTH_INDICATORS = ("g_spread", "g_div", "g_int")
MODELS = {"a": "correlated processes -> growth", "b": "process chain sensing -> seizing -> reconfiguring -> growth",
          "c": "first-order capabilities -> growth"}
NESTED = (("b", "a"), ("a", "c"))  # (restricted, general)
# the scaled-shifted test of WLSMV and the indices from it (fit keys of the ordinal models only)
WLSMV_FIT = ("pvalue_scaled", "shift_parameter", "cfi_scaled", "tli_scaled", "rmsea_scaled")


def _z(s: pd.Series) -> pd.Series:
    sd = s.std(ddof=1)
    return (s - s.mean()) / sd if sd and np.isfinite(sd) else s * np.nan


def transformed_outcomes(outcomes: pd.DataFrame, trials: int = 12, correction: float = 0.5,
                         clip: float = 0.01) -> pd.DataFrame:
    """The three outcomes on the scales the latent models use (module docstring), not
    standardized: log(spread), logit of corrected diversification, logit of clipped intensity."""
    for c in ("respondent_id", "spread", "diversification", "intensity"):
        if c not in outcomes.columns:
            raise SurveySemError(f"firm outcomes have no column {c!r}")
    spread = pd.to_numeric(outcomes["spread"], errors="coerce")
    div = pd.to_numeric(outcomes["diversification"], errors="coerce")
    inten = pd.to_numeric(outcomes["intensity"], errors="coerce")
    p = (div + correction) / (trials + 2 * correction)
    q = inten.clip(clip, 1 - clip)
    return pd.DataFrame({"respondent_id": outcomes["respondent_id"].to_numpy(),
                         "spread": np.log(spread.where(spread > 0)).to_numpy(),
                         "diversification": np.log(p / (1 - p)).to_numpy(),
                         "intensity": np.log(q / (1 - q)).to_numpy()})


def growth_indicators(outcomes: pd.DataFrame, trials: int = 12, correction: float = 0.5,
                      clip: float = 0.01) -> pd.DataFrame:
    """The three transformed, z-scored growth indicators (see module docstring)."""
    t = transformed_outcomes(outcomes, trials, correction, clip)
    return pd.DataFrame({"respondent_id": t["respondent_id"].to_numpy(),
                         "g_spread": _z(t["spread"]).to_numpy(), "g_div": _z(t["diversification"]).to_numpy(),
                         "g_int": _z(t["intensity"]).to_numpy()})


def items_by_construct(columns, constructs, instrument=None) -> dict[str, list[str]]:
    """Item columns of each construct: from the instrument when given, else ``<ID><digits>``."""
    cols = list(columns)
    out = {}
    for c in constructs:
        if instrument is not None and c in instrument.constructs:
            items = [it.id for it in instrument.constructs[c].items if it.id in cols]
        else:
            pat = re.compile(rf"^{re.escape(c)}\d+$")
            items = [x for x in cols if pat.match(x)]
        if len(items) < 2:
            raise SurveySemError(f"P4: construct {c!r} has {len(items)} item column(s) in the analysis data; need >= 2")
        out[c] = items
    return out


def p4_syntax(processes: dict[str, list[str]], items: dict[str, list[str]], model: str) -> str:
    """lavaan syntax of model (a), (b) or (c)."""
    procs = [p for p in PROCESS_ORDER if p in processes]
    lines = [f"{c} =~ " + " + ".join(items[c]) for p in procs for c in processes[p]]
    lines.append(f"{GROWTH} =~ " + " + ".join(GROWTH_INDICATORS))
    if model in ("a", "b"):
        lines += [f"{p} =~ " + " + ".join(processes[p]) for p in procs]
    if model == "a":
        lines.append(f"{GROWTH} ~ " + " + ".join(procs))
    elif model == "b":
        labels = "abcdefgh"
        chain = procs + [GROWTH]
        for i in range(len(chain) - 1):
            lines.append(f"{chain[i + 1]} ~ {labels[i]}*{chain[i]}")
        n = len(chain) - 1
        for i, p in enumerate(procs):
            lines.append(f"total_{p} := " + "*".join(labels[i:n]))
        if len(procs) == 3:
            lines.append("ind_sensing_reconfiguring := a*b")
    elif model == "c":
        caps = [c for p in procs for c in processes[p]]
        lines.append(f"{GROWTH} ~ " + " + ".join(caps))
    else:
        raise SurveySemError(f"unknown P4 model {model!r} (use a, b or c)")
    return "\n".join(lines) + "\n"


def p4_data(analysis: pd.DataFrame, outcomes: pd.DataFrame, items: dict[str, list[str]], cfg: dict,
            trials: int = 12) -> pd.DataFrame:
    if "respondent_id" not in analysis.columns:
        raise SurveySemError("analysis data have no respondent_id column")
    g = growth_indicators(outcomes, trials, cfg["diversification_correction"], cfg["intensity_clip"])
    cols = ["respondent_id"] + [i for its in items.values() for i in its]
    data = analysis[cols].merge(g, on="respondent_id", how="inner")
    return data.sort_values("respondent_id", kind="stable").reset_index(drop=True)


def heywood_warnings(res, model: str) -> list[str]:
    e = res.estimates
    free = e["free"].astype(bool) if "free" in e.columns else True  # fixed: WLSMV's latent responses (engine warns)
    var = e[(e.op == "~~") & (e.lhs == e.rhs) & free & np.isfinite(e.est) & (e.est < 0)]
    out = [f"model ({model}): Heywood case: negative variance of {lhs} ({est:.3g})"
           for lhs, est in zip(var.lhs, var.est)]
    lo = e[(e.op == "=~") & np.isfinite(e.std_all) & (e.std_all.abs() > 1)]
    out += [f"model ({model}): Heywood case: standardized loading {lhs} =~ {rhs} = {std:.3g} > 1"
            for lhs, rhs, std in zip(lo.lhs, lo.rhs, lo.std_all)]
    return out


# A bootstrap resample holds about 1 - 1/e = 63.2 % distinct firms; two-stage ML needs the EM
# covariance of every resample, which goes singular when they are fewer than about twice the
# model variables (measured at 130 firms, 58 variables: 35 % of two-stage resamples failed, 3.8 %
# with FIML; bench/bench_small_n.py).
DISTINCT_SHARE = 1 - math.exp(-1)
TWO_STAGE_MIN_RATIO = 2.0


def resolve_missing(cfg: dict, data_missing: str | None, has_missing: bool = True, n: int | None = None,
                    p: int | None = None) -> str:
    """``p4.missing``: listwise | fiml | two_stage | auto. ``auto``: listwise when the model
    variables are complete or ``data.missing`` is listwise; else two-stage ML (EM moments, then ML;
    Savalei & Bentler 2009), consistent under MAR like FIML and fast to bootstrap, unless the ``n``
    firms are too few for the ``p`` model variables (a resample's distinct firms, 0.632 n, below
    2 p): then FIML, whose resamples stay estimable.

    >>> cfg = {"missing": "auto"}
    >>> resolve_missing(cfg, "fiml", n=262, p=58), resolve_missing(cfg, "fiml", n=130, p=58)
    ('two_stage', 'fiml')
    """
    m = cfg["missing"]
    if m == "auto":
        if not has_missing or data_missing == "listwise":
            return "listwise"
        if n is not None and p is not None and DISTINCT_SHARE * n < TWO_STAGE_MIN_RATIO * p:
            return "fiml"
        return "two_stage"
    return m


def fit_p4(data: pd.DataFrame, processes: dict[str, list[str]], items: dict[str, list[str]], *,
           models=("a", "b", "c"), estimator: str = "ML", missing: str = "listwise", level: float = 0.95,
           not_estimable: str | None = None, prepared: dict | None = None, ordered: list[str] | None = None,
           standard_errors_of=None) -> dict:
    """Fit the P4 models; returns dict(models=..., comparisons=..., paths=DataFrame, warnings=[...]).

    ``not_estimable``: why no model can be fitted (the pre-check of degenerate data): every model is
    then reported not estimable with it. ``prepared``: a dict in which the parsed models are kept and
    found again (the power study fits the same models to thousands of draws; set-up is a large share
    of one fit). ``ordered``: the items declared ordered, with ``estimator`` WLSMV (or WLSMVS) and
    ``missing`` pairwise or listwise; the other observed variables (growth's indicators, parcels)
    are continuous, an exogenous one would be a covariate with lavaan's ``conditional.x = FALSE``.
    No nested comparisons then (lavaan's DIFFTEST is not built). ``standard_errors_of``: with
    ML, the models whose standard errors are computed (None: all); the others' SEs are NaN (the
    power study needs the less restricted model's chi-square only)."""
    from surveysem.sem import fit_model, prepare_model

    results, out_models, paths, warn = {}, {}, [], []
    q = special.ndtri(0.5 + level / 2)
    model_data = data.drop(columns=["respondent_id"])
    engine_missing = missing
    if not_estimable:
        missing = "listwise"  # nothing is fitted: no EM moments
    if missing == "two_stage":
        ts = TwoStage(model_data)
        if not ts.converged:
            warn.append("two-stage ML: EM of the saturated moments did not converge")
        model_data = ts(model_data) if model_data.isna().any().any() else model_data
        engine_missing = "listwise"
        warn.append("two-stage ML (EM moments, then ML): chi-square, fit indices and SEs treat the EM moments as "
                    "complete data (no Savalei-Bentler correction); judge effects by the bootstrap CIs")
    structural = set(PROCESS_ORDER) | {GROWTH}
    for m in models:
        syntax = p4_syntax(processes, items, m)
        with_se = estimator != "ML" or standard_errors_of is None or m in standard_errors_of
        try:
            if not_estimable:
                raise SurveySemError(not_estimable)
            if ordered:
                res = fit_model(syntax, model_data, estimator=estimator, missing=engine_missing, ordered=ordered,
                                conditional_x=False)
            elif prepared is None:
                res = fit_model(syntax, model_data, estimator=estimator, missing=engine_missing,
                                standard_errors=with_se)
            else:
                key = (syntax, tuple(model_data.columns), estimator, engine_missing)
                if key not in prepared:
                    prepared[key] = prepare_model(syntax, list(model_data.columns), estimator=estimator,
                                                  missing=engine_missing)
                prepared[key].standard_errors = with_se
                res = prepared[key].fit(model_data)
        except SurveySemError as err:
            warn.append(f"model ({m}): not estimable: {err.one_line()}")
            out_models[m] = {"model": m, "description": MODELS[m], "syntax": syntax, "converged": False,
                             "warnings": [err.one_line()], "fit": {}, "r2_growth": None}
            continue
        results[m] = res
        w = [f"model ({m}): {x}" for x in res.warnings] + heywood_warnings(res, m)
        if not res.converged:
            w.append(f"model ({m}): did not converge")
        warn.extend(w)
        fit = {k: res.fit.get(k) for k in ("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "rmsea_ci_lower",
                                           "rmsea_ci_upper", "srmr", "aic", "bic", "logl", "npar", "nobs",
                                           "chisq_scaled", "scaling_factor", "chisq_scaling_factor", "cfi_robust",
                                           "tli_robust", "rmsea_robust", *(WLSMV_FIT if ordered else ()))
               if k in res.fit}
        out_models[m] = {"model": m, "description": MODELS[m], "syntax": syntax, "converged": bool(res.converged),
                         "warnings": w, "fit": fit, "r2_growth": res.r_squared.get(GROWTH),
                         "r_squared": {k: v for k, v in res.r_squared.items() if k in structural},
                         "estimator": estimator, "missing": missing}
        e = res.estimates
        sel = ((e.op.isin(["~", ":="])) | ((e.op == "=~") & e.lhs.isin(structural))
               | ((e.op == "~~") & e.lhs.isin(structural) & e.rhs.isin(structural) & (e.lhs != e.rhs)))
        rows = e.loc[sel, ["lhs", "op", "rhs", "label", "est", "se", "z", "pvalue", "std_all"]]
        paths.extend({"model": m, **r, "ci_lower": r["est"] - q * r["se"], "ci_upper": r["est"] + q * r["se"]}
                     for r in rows.to_dict("records"))
    comps = []
    for small, big in NESTED if not ordered else ():
        if small in results and big in results:
            comps.append(chisq_difference(results[small], results[big], small, big))
    cols = ["model", "lhs", "op", "rhs", "label", "est", "se", "z", "pvalue", "ci_lower", "ci_upper", "std_all"]
    return {"models": out_models, "comparisons": comps, "paths": pd.DataFrame(paths, columns=cols), "warnings": warn,
            "results": results}


def chisq_difference(r0, r1, name0: str, name1: str) -> dict:
    """Chi-square difference of nested models r0 (restricted) within r1 (general)."""
    f0, f1 = r0.fit, r1.fit
    ddf = int(f0["df"] - f1["df"])
    d = float(f0["chisq"] - f1["chisq"])
    method = "ML chi-square difference"
    c0 = f0.get("chisq_scaling_factor") or f0.get("scaling_factor")
    c1 = f1.get("chisq_scaling_factor") or f1.get("scaling_factor")
    if r0.estimator == "MLR":
        if c0 and c1 and ddf > 0:
            cd = (f0["df"] * c0 - f1["df"] * c1) / ddf
            d = d / cd if cd > 0 else np.nan
            method = "Satorra-Bentler (2001) scaled difference"
        else:
            method = "naive difference of unscaled chi-squares (no scaling factors)"
    p = float(special.chdtrc(ddf, d)) if ddf > 0 and np.isfinite(d) else np.nan
    return {"restricted": name0, "general": name1, "delta_chisq": d, "delta_df": ddf, "pvalue": p,
            "method": method, "delta_aic": float(f0["aic"] - f1["aic"]), "delta_bic": float(f0["bic"] - f1["bic"])}


def multigroup_check(data: pd.DataFrame, groups: pd.Series, processes, items, *, min_n: int,
                     estimator: str = "ML") -> dict:
    """Multi-group model (a) by typology group: loadings equal vs loadings + regressions equal.

    Skipped (with the reason) when a group has fewer than ``min_n`` firms."""
    counts = groups.astype(int).value_counts().sort_index()
    info = {"group_sizes": {str(k): int(v) for k, v in counts.items()}, "min_group_n": min_n}
    if len(counts) < 2 or counts.min() < min_n:
        info.update(status="skipped", reason=(f"multi-group SEM needs >= {min_n} firms in every group "
                                              f"(p4.multigroup_min_n); sizes {info['group_sizes']}"))
        return info
    from surveysem.sem import fit_model

    syntax = p4_syntax(processes, items, "a")
    d = data.drop(columns=["respondent_id"]).assign(group=groups.astype(int).astype(str).to_numpy())
    try:
        r_load = fit_model(syntax, d, estimator=estimator, group="group", group_equal=("loadings",))
        r_reg = fit_model(syntax, d, estimator=estimator, group="group", group_equal=("loadings", "regressions"))
    except SurveySemError as err:
        info.update(status="skipped", reason=f"not estimable: {err.one_line()}")
        return info
    comp = chisq_difference(r_reg, r_load, "loadings+regressions equal", "loadings equal")
    info.update(status="estimated", reason="", comparison=comp,
                warnings=[*r_load.warnings, *r_reg.warnings],
                converged=bool(r_load.converged and r_reg.converged))
    return info


# --------------------------------------------------------------------------- two-stage ML (missing data)


def pseudo_data(mu, sigma, n: int, columns) -> pd.DataFrame:
    """n rows whose mean is ``mu`` and N-divisor covariance is exactly ``sigma`` (deterministic).

    Fitting the SEM by complete-data ML to these rows is ML on the EM moments: the first stage
    of two-stage ML (Savalei & Bentler 2009; lavaan ``missing = "two.stage"``)."""
    p = len(mu)
    if n <= p:
        raise SurveySemError(f"two-stage ML needs more firms ({n}) than observed variables ({p})")
    Z = np.random.default_rng(0).standard_normal((n, p))
    Z -= Z.mean(axis=0)
    L = np.linalg.cholesky(Z.T @ Z / n)
    Z = np.linalg.solve(L, Z.T).T
    try:
        C = np.linalg.cholesky(sigma)
    except np.linalg.LinAlgError:
        w, V = np.linalg.eigh(sigma)
        C = V * np.sqrt(np.clip(w, 0, None))
    return pd.DataFrame(mu + Z @ C.T, columns=list(columns))


class TwoStage:
    """Turns a data frame with missing values into two-stage pseudo-data (EM, warm-startable)."""

    def __init__(self, data: pd.DataFrame, tol: float = 1e-7):
        self.columns = list(data.columns)
        self.tol = tol
        mu, sig, it, ok = em_moments(data.to_numpy(float), tol=tol)
        self.start = (mu, sig)
        self.iterations, self.converged = it, ok

    def __call__(self, data: pd.DataFrame) -> pd.DataFrame:
        X = data[self.columns].to_numpy(float)
        if not np.isnan(X).any():
            return data[self.columns]
        mu, sig, _, ok = em_moments(X, start=self.start, tol=self.tol)
        if not ok:
            raise SurveySemError("two-stage ML: EM did not converge")
        return pseudo_data(mu, sig, len(X), self.columns)
