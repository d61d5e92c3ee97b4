"""Standard errors, fit measures (lavaan definitions), standardized solution, R²."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import optimize as sopt
from scipy import special  # chdtrc, ndtr: scipy.stats' functions without its import cost

from surveysem.sem.engine import LOG2PI, Engine
from surveysem.sem.model import ModelSpec, ParRow, baseline_spec


# ---------------------------------------------------------------- defined parameters
_FUNCS = {"sqrt": np.sqrt, "exp": np.exp, "log": np.log, "abs": np.abs}


def _label_values(spec: ModelSpec, values_by_row):
    env = {}
    for k, r in enumerate(spec.rows):
        if r.label and r.label not in env:
            env[r.label] = values_by_row[k]
    return env


def _eval_defs(spec, env):
    out = []
    env = dict(env)
    for d in spec.definitions:
        try:
            with np.errstate(all="ignore"):
                v = float(eval(compile(d.expr, "<def>", "eval"), {"__builtins__": {}, **_FUNCS}, env))
        except (ZeroDivisionError, ValueError, OverflowError):
            v = float("nan")
        env[d.name] = v
        out.append(v)
    return np.array(out, float)


def row_values(spec, theta, eng=None):
    out = np.array([theta[r.par] if r.free else (r.value if r.value is not None else np.nan) for r in spec.rows])
    if eng is not None:
        for k, r in enumerate(spec.rows):
            if r.exo and not r.free:
                gs = eng.groups[r.group - 1]
                out[k] = gs.S0[r.i, r.j] if r.mat == "S" else gs.m0[r.i]
    return out


def defined_values(spec, theta):
    if not spec.definitions:
        return np.zeros(0)
    return _eval_defs(spec, _label_values(spec, row_values(spec, theta)))


# ---------------------------------------------------------------- standardized solution
def _std_layout(spec: ModelSpec):
    """Row positions by kind, cached on the spec (the standardized solution is computed once
    per bootstrap resample)."""
    lay = getattr(spec, "_std_layout", None)
    if lay is None:
        kinds = {"A": [], "Sd": [], "So": [], "m": []}
        for k, r in enumerate(spec.rows):
            key = r.mat if r.mat in ("A", "m") else ("Sd" if r.i == r.j else "So")
            kinds[key].append((k, r.group, r.i, r.j))
        lay = {key: np.array(v, dtype=int).reshape(-1, 4) for key, v in kinds.items()}
        spec._std_layout = lay
    return lay


def standardized(spec: ModelSpec, eng: Engine, theta):
    """std.all for every partable row followed by every defined parameter."""
    out = np.full(len(spec.rows), np.nan)
    lay = _std_layout(spec)
    with np.errstate(all="ignore"):
        for g, gs in enumerate(eng.groups, start=1):
            A, S, m, B, C, nu = gs.implied(theta)
            sd = np.sqrt(np.where(np.diag(C) > 0, np.diag(C), np.nan))
            for key, rows in lay.items():
                rows = rows[rows[:, 1] == g]
                k, i, j = rows[:, 0], rows[:, 2], rows[:, 3]
                if key == "A":
                    out[k] = A[i, j] * sd[j] / sd[i]
                elif key == "Sd":
                    tv = np.diag(C)[i]
                    out[k] = np.where(tv != 0, S[i, i] / np.where(tv != 0, tv, 1.0), np.nan)
                elif key == "So":
                    den = S[i, i] * S[j, j]
                    out[k] = np.where(den > 0, S[i, j] / np.sqrt(np.where(den > 0, den, 1.0)), np.nan)
                else:
                    out[k] = m[i] / sd[i]
    if spec.definitions:
        defs = _eval_defs(spec, _label_values(spec, out))
        out = np.concatenate([out, defs])
    return out


def r_squared(spec, eng, theta):
    res = {}
    endo = set()
    for r in spec.rows:
        if r.op == "=~":
            endo.add(r.rhs)
        elif r.op == "~":
            endo.add(r.lhs)
    names = spec.var_names
    for g, gs in enumerate(eng.groups, start=1):
        A, S, m, B, C, nu = gs.implied(theta)
        tv = np.diag(C)
        for k, v in enumerate(names):
            if v in endo:
                val = 1.0 - S[k, k] / tv[k] if tv[k] != 0 else float("nan")
                res[v if spec.ngroups == 1 else (v, g)] = float(val)
    return res


# ---------------------------------------------------------------- fit measures helpers
def _ndat(spec: ModelSpec):
    p = len(spec.ov_names)
    nx = len(spec.ov_x)
    per = p * (p + 1) // 2 - nx * (nx + 1) // 2
    if spec.meanstructure:
        per += p - nx
    return per * spec.ngroups


def h1_logl(gdata, meanstructure):
    total = 0.0
    for gd in gdata:
        if len(gd.patterns) == 1 and gd.patterns[0].complete:
            pat = gd.patterns[0]
            p = len(pat.obs)
            sign, logdet = np.linalg.slogdet(pat.cov)
            total += -0.5 * pat.n * (p * LOG2PI + logdet + p)
        else:
            for pat in gd.patterns:
                o = pat.obs
                Sig = gd.cov[np.ix_(o, o)]
                d = pat.mean - gd.mean[o]
                P = np.linalg.inv(Sig)
                sign, logdet = np.linalg.slogdet(Sig)
                total += -0.5 * pat.n * (len(o) * LOG2PI + logdet + np.sum(P * (pat.cov + np.outer(d, d))))
    return total


def rmsea_value(X2, df, N, G):
    if not math.isfinite(X2):
        return float("nan")
    if df <= 0:
        return 0.0
    return math.sqrt(max(X2 / N / df - 1.0 / N, 0.0)) * math.sqrt(G)


def _ncp_solve(X2, df, target):
    # lambda such that pchisq(X2, df, lambda) = target
    f = lambda lam: special.chndtr(X2, df, lam) - target if lam > 0 else special.chdtr(df, X2) - target
    if f(0.0) < 0:
        return 0.0
    hi = max(X2, 1.0)
    while f(hi) > 0:
        hi *= 2
    return sopt.brentq(f, 0.0, hi, xtol=1e-12)


def rmsea_ci(X2, df, N, G, scale=1.0):
    if not (math.isfinite(X2) and math.isfinite(scale)) or scale <= 0:
        return float("nan"), float("nan")
    if df <= 0:
        return 0.0, 0.0
    lo = _ncp_solve(X2, df, 0.95)
    hi = _ncp_solve(X2, df, 0.05)
    return (math.sqrt(scale * lo / (N * df)) * math.sqrt(G), math.sqrt(scale * hi / (N * df)) * math.sqrt(G))


def srmr_bentler(spec, eng, theta, gdata):
    vals = []
    for gs, gd in zip(eng.groups, gdata):
        A, S, m, B, C, nu = gs.implied(theta)
        p = eng.p
        Sig = C[:p, :p]
        mu = nu[:p]
        sd = np.sqrt(np.diag(gd.cov))
        R = (gd.cov - Sig) / np.outer(sd, sd)
        il = np.tril_indices(p)
        ss = np.sum(R[il] ** 2)
        cnt = len(il[0])
        if spec.meanstructure:
            ss += np.sum(((gd.mean - mu) / sd) ** 2)
            cnt += p
        vals.append((gd.n, math.sqrt(ss / cnt)))
    N = sum(n for n, _ in vals)
    return sum(n * v for n, v in vals) / N


# ---------------------------------------------------------------- saturated model (h1) for robust tests
def saturated_spec(spec: ModelSpec) -> ModelSpec:
    ov = spec.ov_names
    p = len(ov)
    rows = []
    k = 0
    for g in range(1, spec.ngroups + 1):
        for j in range(p):
            for i in range(j, p):
                rows.append(ParRow(ov[i], "~~", ov[j], g, False, True, None, mat="S", i=i, j=j, par=k))
                k += 1
        if spec.meanstructure:
            for i in range(p):
                rows.append(ParRow(ov[i], "~1", "", g, False, True, None, mat="m", i=i, j=0, par=k))
                k += 1
    return ModelSpec(
        rows=rows,
        ov_names=list(ov),
        lv_names=[],
        ov_x=[],
        ngroups=spec.ngroups,
        meanstructure=spec.meanstructure,
        definitions=[],
        npar=k,
    )


def _saturated_blocks(spec, gdata, cache=None):
    """Per group: (sub spec, engine, moments, A1 = h1 information (observed; expected =
    observed for complete data), B1 = first-order h1 information, fixed-x keep mask).
    Cached in ``cache`` (a dict) because MLR and FIML-corrected indices share it."""
    if cache is not None and "sat" in cache:
        return cache["sat"]
    sat = saturated_spec(spec)
    out = []
    xs = set(spec.ov_names.index(v) for v in spec.ov_x)
    for g, gd in enumerate(gdata, start=1):
        sub, eng, theta = _sub_engine(sat, g, gd)
        complete = len(gd.patterns) == 1 and gd.patterns[0].complete
        A1 = eng.evaluate(theta, level=2)[2] if complete else eng.observed_information(theta)
        sc = eng.casewise_scores(theta)[0]
        B1 = sc.T @ sc / gd.n
        # fixed.x: lavaan zeroes the rows of the exogenous moments and drops them
        keep = np.array([not (r.i in xs and (r.mat == "m" or r.j in xs)) for r in sub.rows])
        out.append((sub, eng, theta, A1, B1, keep))
    if cache is not None:
        cache["sat"] = out
    return out


def _h1_traces(spec, gdata, cache=None):
    """Per group trace(A1^-1 B1) of the unstructured h1 model and its number of moments."""
    out = []
    for sub, eng, theta, A1, B1, keep in _saturated_blocks(spec, gdata, cache):
        A1k, B1k = A1[np.ix_(keep, keep)], B1[np.ix_(keep, keep)]
        out.append((float(np.trace(np.linalg.solve(A1k, B1k))), int(keep.sum())))
    return out


def _sub_engine(spec, g, gd):
    """Single-group saturated engine for group g (1-based) with its data."""
    sub = ModelSpec(
        rows=[r for r in spec.rows if r.group == g],
        ov_names=spec.ov_names,
        lv_names=[],
        ov_x=[],
        ngroups=1,
        meanstructure=spec.meanstructure,
        definitions=[],
        npar=0,
    )
    pars = sorted({r.par for r in sub.rows})
    remap = {pp: n for n, pp in enumerate(pars)}
    sub.rows = [ParRow(**{**r.__dict__, "group": 1, "par": remap[r.par]}) for r in sub.rows]
    sub.npar = len(pars)
    eng = Engine(sub)
    eng.set_data([gd])
    theta = np.array([gd.cov[r.i, r.j] if r.mat == "S" else gd.mean[r.i] for r in sub.rows])
    return sub, eng, theta


def _moments(eng, theta, sub_rows):
    """Model-implied moments of each group in the saturated ordering (vech Sigma, mu)."""
    out = []
    for gs in eng.groups:
        A, S, m, B, C, nu = gs.implied(theta)
        out.append(np.array([C[r.i, r.j] if r.mat == "S" else nu[r.i] for r in sub_rows]))
    return np.concatenate(out)


def fiml_corrected(spec, eng, theta, gdata, H, bspec, beng, btheta, version="V3", cache=None):
    """lavaan's FIML-C robust RMSEA/CFI ingredients (lav_fit_fiml_corrected): V3 for
    MLR, V6 for ML."""
    from surveysem.sem.engine import GroupData, Pattern

    N = eng.ntotal
    Wm, Wmi, Wc, Gam, sub_rows, keeps = [], [], [], [], None, []
    xx3 = 0.0
    xx3b = 0.0
    blocks = _saturated_blocks(spec, gdata, cache)
    for g, gd in enumerate(gdata, start=1):
        fg = gd.n / N
        sub, seng, sth, W, J, keep = blocks[g - 1]
        sub_rows = sub.rows
        cd = GroupData([Pattern(np.arange(len(gd.mean)), gd.n, gd.mean, gd.cov, None, True)], gd.n, gd.mean, gd.cov)
        ceng = Engine(sub)
        ceng.set_data([cd])
        Wcg = ceng.evaluate(sth, level=2)[2]
        # fixed.x: the exogenous moments drop out (lavaan zeroes their rows)
        keeps.append(keep)
        W, J, Wcg = (M[np.ix_(keep, keep)] for M in (W, J, Wcg))
        Wi = np.linalg.inv(W)
        Wm.append(fg * W)
        Wmi.append(Wi / fg)
        Wc.append(fg * Wcg)
        Gam.append(Wi @ J @ Wi / fg)
        # complete-data ML discrepancy of the FIML solution against the EM moments
        for e, th, acc in ((eng, theta, "m"), (beng, btheta, "b")):
            gs = e.groups[g - 1]
            A, S, m, B, C, nu = gs.implied(th)
            p = e.p
            Sig, mu = C[:p, :p], nu[:p]
            P = np.linalg.inv(Sig)
            d = gd.mean - mu
            val = gd.n * (np.linalg.slogdet(Sig)[1] + np.sum(P * gd.cov) - np.linalg.slogdet(gd.cov)[1] - p + d @ P @ d)
            if acc == "m":
                xx3 += val
            else:
                xx3b += val
    from scipy.linalg import block_diag

    Wm_all, Wmi_all, Wc_all, G_all = (block_diag(*x) for x in (Wm, Wmi, Wc, Gam))
    keep_all = np.concatenate(keeps)

    def delta(e, th):
        q = len(th)
        D = np.zeros((len(keep_all), q))
        for k in range(q):
            h = 1e-6 * max(1.0, abs(th[k]))
            ee = np.zeros(q)
            ee[k] = h
            D[:, k] = (_moments(e, th + ee, sub_rows) - _moments(e, th - ee, sub_rows)) / (2 * h)
        return D[keep_all]

    def kval(e, th, Hm):
        D = delta(e, th)
        # lavaan recomputes the information with observed.information = "h1",
        # h1.information = "unstructured": E = Delta' Wm Delta
        Hm = D.T @ Wm_all @ D
        U = Wm_all - Wm_all @ D @ np.linalg.solve(Hm, D.T) @ Wm_all
        if version == "V3":
            return float(np.trace(U @ Wmi_all @ Wc_all @ Wmi_all @ U @ G_all))
        return float(np.trace(Wc_all @ Wmi_all @ U @ Wmi_all))

    ndat = _ndat(spec)
    df3 = ndat - spec.npar
    dfb = ndat - bspec.npar
    c3 = kval(eng, theta, H) / df3
    cb = kval(beng, btheta, None) / dfb
    return dict(XX3=xx3, df3=df3, c3=c3, XX3b=xx3b, dfb=dfb, cb=cb)


def robust_quantities(spec, eng, theta, gdata):
    """Observed information, sandwich vcov, Yuan-Bentler-Mplus trace for one model."""
    N = eng.ntotal
    H = eng.observed_information(theta)  # per observation
    Hinv = np.linalg.inv(H)
    scores = eng.casewise_scores(theta)
    Btot = sum(s.T @ s for s in scores)
    vcov = Hinv @ Btot @ Hinv / (N * N)
    trace_h0 = 0.0
    for s, gd in zip(scores, gdata):
        fg = gd.n / N
        B0g = s.T @ s / gd.n
        trace_h0 += fg * float(np.sum(B0g * Hinv.T))
    return H, vcov, trace_h0


# ---------------------------------------------------------------- assembly
def _fit_baseline(spec, gdata):
    bspec = baseline_spec(spec)
    beng = Engine(bspec)
    beng.set_data(gdata)
    theta = np.zeros(bspec.npar)
    for r in bspec.rows:
        if r.free:
            gd = gdata[r.group - 1]
            theta[r.par] = gd.cov[r.i, r.i] if r.mat == "S" else gd.mean[r.i]
    theta, conv, _, _ = beng.optimize(theta, max_iter=200)
    return bspec, beng, theta


FIML_ROBUST_MAX_P = 30


def assemble_result(pm, gdata, theta, converged, iters, warnings, n_dropped):
    from surveysem.sem.api import SEMResult

    spec: ModelSpec = pm.spec
    eng: Engine = pm.engine
    N = eng.ntotal
    G = spec.ngroups
    fiml = pm.missing == "fiml"
    mlr = pm.estimator == "MLR"
    q = spec.npar
    cache = {}
    vcov = None
    H = None
    trace_h0 = None
    try:
        if not mlr and not getattr(pm, "standard_errors", True):
            vcov = np.full((q, q), np.nan)
        elif mlr:
            H, vcov, trace_h0 = robust_quantities(spec, eng, theta, gdata)
        elif fiml:
            H = eng.observed_information(theta)
            vcov = np.linalg.inv(H) / N
        else:
            info = eng.evaluate(theta, level=2)[2]
            vcov = np.linalg.inv(info) / N
    except np.linalg.LinAlgError:
        warnings.append("information matrix is singular: standard errors not available (model may not be identified)")
        vcov = np.full((q, q), np.nan)
    if vcov is not None:
        dg = np.diag(vcov)
        if np.any(dg < 0):
            warnings.append("some estimated variances of parameters are negative: standard errors unreliable")
    se_par = np.sqrt(np.where(np.diag(vcov) >= 0, np.diag(vcov), np.nan))

    # ---- estimates table
    vals = row_values(spec, theta, eng)
    std = standardized(spec, eng, theta)
    recs = []
    for k, r in enumerate(spec.rows):
        if r.free:
            se = se_par[r.par]
            z = vals[k] / se if se > 0 else np.nan
            pv = 2 * special.ndtr(-abs(z)) if np.isfinite(z) else np.nan
        else:
            se, z, pv = 0.0, np.nan, np.nan
        recs.append(
            dict(
                lhs=r.lhs,
                op=r.op,
                rhs=r.rhs,
                group=r.group,
                label=r.label,
                est=vals[k],
                se=se,
                z=z,
                pvalue=pv,
                std_all=std[k],
                free=bool(r.free),
                par=int(r.par),
            )
        )
    if spec.definitions:
        dv = defined_values(spec, theta)
        J = np.zeros((len(dv), q))
        for j in range(q):
            h = 1e-6 * max(1.0, abs(theta[j]))
            e = np.zeros(q)
            e[j] = h
            J[:, j] = (defined_values(spec, theta + e) - defined_values(spec, theta - e)) / (2 * h)
        dcov = J @ vcov @ J.T
        for n, d in enumerate(spec.definitions):
            se = math.sqrt(dcov[n, n]) if dcov[n, n] >= 0 else np.nan
            z = dv[n] / se if se > 0 else np.nan
            pv = 2 * special.ndtr(-abs(z)) if np.isfinite(z) else np.nan
            recs.append(
                dict(
                    lhs=d.name,
                    op=":=",
                    rhs=_r_expr(d.expr),
                    group=0 if G > 1 else 1,
                    label=d.name,
                    est=dv[n],
                    se=se,
                    z=z,
                    pvalue=pv,
                    std_all=std[len(spec.rows) + n],
                    free=False,
                    par=-1,
                )
            )
    # par: index of the row's parameter in free_params / refit vectors (-1: fixed or :=);
    # rows tied by equality constraints share one index
    est = pd.DataFrame.from_records(
        recs, columns=["lhs", "op", "rhs", "group", "label", "est", "se", "z", "pvalue", "std_all", "free", "par"]
    )

    # ---- Heywood
    for k, r in enumerate(spec.rows):
        if r.op == "~~" and r.lhs == r.rhs and r.free and vals[k] < -1e-10:
            what = "residual variance" if r.lhs in spec.ov_names or _is_endo(spec, r.lhs) else "variance"
            tag = f" in group {pm.group_levels[r.group - 1]}" if G > 1 else ""
            warnings.append(f"Heywood case: negative {what} for {r.lhs} ({vals[k]:.3g}){tag}")
    for k, r in enumerate(spec.rows):
        if r.op in ("=~", "~~") and r.lhs != r.rhs and np.isfinite(std[k]) and abs(std[k]) > 1 + 1e-8:
            tag = f" in group {pm.group_levels[r.group - 1]}" if G > 1 else ""
            warnings.append(f"Heywood case: standardized {r.lhs} {r.op} {r.rhs} is {std[k]:.3g} (|value| > 1){tag}")

    # ---- fit measures
    logl = eng.logl(theta)
    logl1 = h1_logl(gdata, spec.meanstructure)
    if spec.ov_x:
        # lavaan (fixed.x = TRUE) reports the likelihood conditional on the covariates
        lx = _x_logl(spec, gdata)
        logl -= lx
        logl1 -= lx
    chisq = max(2.0 * (logl1 - logl), 0.0) if True else 0.0
    ndat = _ndat(spec)
    df = ndat - q
    bspec, beng, btheta = _fit_baseline(spec, gdata)
    blogl = beng.logl(btheta) - (_x_logl(spec, gdata) if spec.ov_x else 0.0)
    bchisq = 2.0 * (logl1 - blogl)
    bdf = ndat - bspec.npar
    fit = {}
    fit["npar"] = q
    fit["nobs"] = N
    fit["chisq"] = chisq
    fit["df"] = df
    fit["pvalue"] = float(special.chdtrc(df, chisq)) if df > 0 else float("nan")
    fit["baseline_chisq"] = bchisq
    fit["baseline_df"] = bdf
    fit["baseline_pvalue"] = float(special.chdtrc(bdf, bchisq)) if bdf > 0 else float("nan")
    fit["cfi"] = _cfi(chisq, df, bchisq, bdf)
    fit["tli"] = _tli(chisq, df, bchisq, bdf)
    fit["rmsea"] = rmsea_value(chisq, df, N, G)
    lo, hi = rmsea_ci(chisq, df, N, G)
    fit["rmsea_ci_lower"], fit["rmsea_ci_upper"] = lo, hi
    fit["srmr"] = srmr_bentler(spec, eng, theta, gdata)
    fit["logl"] = logl
    fit["unrestricted_logl"] = logl1
    fit["aic"] = -2 * logl + 2 * q
    fit["bic"] = -2 * logl + math.log(N) * q
    fit["bic2"] = -2 * logl + math.log((N + 2) / 24) * q
    if mlr:
        h1tr = _h1_traces(spec, gdata, cache)
        trace_h1 = sum(t for t, _ in h1tr)
        c = (trace_h1 - trace_h0) / df if df > 0 else float("nan")
        _, _, btr0 = robust_quantities(bspec, beng, btheta, gdata)
        cb = (trace_h1 - btr0) / bdf
        fit["scaling_factor"] = c
        fit["chisq_scaled"] = chisq / c
        fit["df_scaled"] = df
        fit["pvalue_scaled"] = float(special.chdtrc(df, chisq / c))
        fit["baseline_chisq_scaled"] = bchisq / cb
        fit["baseline_scaling_factor"] = cb
        fit["cfi_scaled"] = _cfi(chisq / c, df, bchisq / cb, bdf)
        fit["tli_scaled"] = _tli(chisq / c, df, bchisq / cb, bdf)
        fit["rmsea_scaled"] = rmsea_value(chisq / c, df, N, G)
        # robust versions (Brosseau-Liard & Savalei; lavaan 0.6)
        if fiml:
            fc = fiml_corrected(spec, eng, theta, gdata, H, bspec, beng, btheta, "V3", cache)
            _robust_indices(fit, fc["XX3"], fc["c3"], fc["XX3b"], fc["cb"], df, bdf, N, G)
        else:
            _robust_indices(fit, chisq, c, bchisq, cb, df, bdf, N, G)
    elif fiml and df > 0 and len(spec.ov_names) <= FIML_ROBUST_MAX_P and getattr(pm, "fiml_robust_indices", True):
        # lavaan reports FIML-corrected (V6) robust indices for ML with missing data too
        # (skipped for large models: they need the saturated model's observed information)
        fc = fiml_corrected(spec, eng, theta, gdata, None, bspec, beng, btheta, "V6", cache)
        _robust_indices(fit, fc["XX3"], fc["c3"], fc["XX3b"], fc["cb"], df, bdf, N, G)
    res = SEMResult(
        converged=bool(converged),
        warnings=warnings,
        fit=fit,
        estimates=est,
        r_squared=r_squared(spec, eng, theta),
        free_params=np.array(theta),
        estimator=pm.estimator,
        ngroups=G,
        group_labels=list(pm.group_levels or []),
        vcov=vcov,
        iterations=iters,
        n_dropped=n_dropped,
    )
    return res


def _robust_indices(fit, x3, c3, xb, c3b, df, bdf, N, G):
    if df <= 0 or not all(math.isfinite(v) for v in (x3, c3, xb, c3b)):
        for k in ("cfi_robust", "tli_robust", "rmsea_robust", "rmsea_ci_lower_robust", "rmsea_ci_upper_robust"):
            fit[k] = float("nan")
        return
    num = max(x3 - c3 * df, 0.0)
    den = max(x3 - c3 * df, xb - c3b * bdf, 0.0)
    fit["cfi_robust"] = 1.0 - num / den if den > 0 else 1.0
    t1 = (x3 - c3 * df) / df
    t2 = (xb - c3b * bdf) / bdf
    fit["tli_robust"] = 1.0 - t1 / t2 if t2 != 0 else float("nan")
    fit["rmsea_robust"] = math.sqrt(max(x3 - c3 * df, 0.0) / (N * df)) * math.sqrt(G)
    lo, hi = rmsea_ci(x3 / c3, df, N, G, scale=c3)
    fit["rmsea_ci_lower_robust"], fit["rmsea_ci_upper_robust"] = lo, hi


def _x_logl(spec, gdata):
    idx = [spec.ov_names.index(v) for v in spec.ov_x]
    total = 0.0
    for gd in gdata:
        Sx = gd.cov[np.ix_(idx, idx)]
        total += -0.5 * gd.n * (len(idx) * LOG2PI + np.linalg.slogdet(Sx)[1] + len(idx))
    return total


def _is_endo(spec, v):
    return any((r.op == "=~" and r.rhs == v) or (r.op == "~" and r.lhs == v) for r in spec.rows)


def _r_expr(expr):
    return expr.replace("**", "^").replace(" ", "")


def _cfi(x, df, xb, dfb):
    if not (math.isfinite(x) and math.isfinite(xb)):
        return float("nan")
    num = max(x - df, 0.0)
    den = max(x - df, xb - dfb, 0.0)
    return 1.0 - num / den if den > 0 else 1.0


def _tli(x, df, xb, dfb):
    if not (math.isfinite(x) and math.isfinite(xb)):
        return float("nan")
    if df <= 0 or dfb <= 0:
        return 1.0
    t2 = xb / dfb - 1.0
    return (xb / dfb - x / df) / t2 if t2 != 0 else float("nan")
