"""``surveysem fit MODEL.lav DATA.csv``: fit a lavaan-syntax model to a CSV file."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd

from surveysem.errors import SurveySemError

INVARIANCE = {"configural": (), "metric": ("loadings",), "scalar": ("loadings", "intercepts")}
# ordered indicators: scalar invariance equates the thresholds (lavaan's group.equal for WLSMV)
INVARIANCE_ORDERED = {"configural": (), "metric": ("loadings",), "scalar": ("thresholds", "loadings")}


def configure_parser(parser):
    parser.add_argument("model", help="model file in lavaan syntax")
    parser.add_argument("data", help="CSV file with one column per observed variable")
    parser.add_argument("--estimator", choices=["ML", "MLR", "MLM", "WLSMV", "WLSMVS"], default=None, type=str.upper,
                        help="ML (default); MLR (Huber-White SEs, Yuan-Bentler scaled test); MLM (Satorra-Bentler, "
                             "complete data); WLSMV / WLSMVS for --ordered items (the default with --ordered)")
    parser.add_argument("--ordered", default=None, metavar="ITEMS",
                        help="the ordered items, comma-separated, or 'all': WLSMV (polychoric correlations, DWLS)")
    parser.add_argument("--missing", choices=["listwise", "fiml", "pairwise"], default="listwise",
                        help="listwise; fiml (continuous items); pairwise (ordered items)")
    parser.add_argument("--group", default=None, help="grouping column for a multi-group fit")
    parser.add_argument(
        "--invariance",
        choices=list(INVARIANCE),
        default=None,
        help="equality constraints across groups (needs --group)",
    )
    parser.add_argument("--std-lv", action="store_true", help="fix latent variances to 1, free all loadings")
    parser.add_argument("--option", action="append", default=[], metavar="NAME=VALUE",
                        help="a lavaan option, dotted or snake_case (std.lv=TRUE, orthogonal=TRUE, meanstructure=TRUE, "
                             "auto_fix_first=FALSE, group.equal=loadings,intercepts, group.partial=f=~x3); repeatable")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--modindices", type=int, nargs="?", const=10, default=None, metavar="K",
                        help="also print the K largest modification indices (default 10; ML, MLR, FIML), "
                             "as lavaan's modindices(fit, sort. = TRUE, maximum.number = K)")


def _read(args):
    mpath, dpath = Path(args.model), Path(args.data)
    if not mpath.is_file():
        raise SurveySemError("model file not found", file=mpath)
    if not dpath.is_file():
        raise SurveySemError("data file not found", file=dpath)
    try:
        syntax = mpath.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise SurveySemError(f"cannot read model file: {err}", file=mpath) from None
    try:
        data = pd.read_csv(dpath)
    except (OSError, ValueError, pd.errors.ParserError) as err:
        raise SurveySemError(f"cannot read CSV: {err}", file=dpath) from None
    return syntax, data, mpath, dpath


def _options(args) -> dict:
    """The fit's options: the flags, then ``--option NAME=VALUE`` (lavaan's names, either spelling)."""
    from surveysem.sem.options import normalise_options, parse_option_strings

    if args.invariance and not args.group:
        raise SurveySemError("--invariance needs --group")
    ordered = getattr(args, "ordered", None)
    levels = INVARIANCE_ORDERED if ordered else INVARIANCE
    estimator = args.estimator or ("WLSMV" if ordered else "ML")
    options = {"estimator": estimator, "missing": args.missing, "group": args.group,
               "group_equal": levels[args.invariance] if args.invariance else (), "std_lv": args.std_lv}
    extra = parse_option_strings(args.option)
    parameterization = extra.pop("parameterization", None)
    options.update(normalise_options(extra))
    if ordered:
        options["ordered"] = True if ordered.strip().lower() == "all" else [v.strip() for v in ordered.split(",")
                                                                            if v.strip()]
        if parameterization is not None:
            options["parameterization"] = parameterization
    elif parameterization is not None:
        raise SurveySemError("--option parameterization needs --ordered (ordered indicators)")
    return options


def run(args) -> int:
    from surveysem.sem import fit_model

    syntax, data, mpath, dpath = _read(args)
    options = _options(args)
    try:
        res = fit_model(syntax, data, **options)
    except SurveySemError as err:
        if err.file is None:
            where = mpath if "syntax" in err.message else dpath
            raise SurveySemError(err.message, file=where, row=err.row, column=err.column, value=err.value) from None
        raise
    mi = _largest_modindices(res, args.modindices) if args.modindices is not None else None
    if args.json:
        out = res.to_json()
        if mi is not None:
            out["modindices"] = mi.to_dict(orient="records")
        print(json.dumps(out, sort_keys=True))
        return 0
    print(format_summary(res))
    if mi is not None:
        print(format_modindices(mi))
    return 0


def _largest_modindices(res, k: int) -> pd.DataFrame:
    """The ``k`` largest modification indices; one line naming why when they cannot be computed."""
    if k < 1:
        raise SurveySemError(f"--modindices needs a positive number of rows, got {k}")
    try:
        mi = res.modindices()
    except SurveySemError as err:
        raise SurveySemError(f"modification indices not computed: {err.message}") from None
    return mi.sort_values("mi", ascending=False, kind="stable").head(k).reset_index(drop=True)


def format_modindices(mi: pd.DataFrame) -> str:
    """The rows of :func:`_largest_modindices` as a text table (lavaan's column names)."""
    lines = ["", "Largest modification indices (expected chi-square drop if the parameter were freed):",
             f"{'lhs':<12} {'op':<3} {'rhs':<12} {'mi':>9} {'epc':>8} {'sepc.all':>9}"]
    for r in mi.to_dict(orient="records"):
        lines.append(f"{r['lhs']:<12} {r['op']:<3} {r['rhs']:<12} {_fmt(r['mi']):>9} {_fmt(r['epc']):>8} "
                     f"{_fmt(r['sepc_all']):>9}")
    return "\n".join(lines)


def _fmt(v, nd=3):
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return ""
    if isinstance(v, (int,)) and not isinstance(v, bool):
        return str(v)
    return f"{v:.{nd}f}"


def _constraint_lines(res) -> list[str]:
    """The general constraints (== between expressions, <, >), each marked active or not."""
    from surveysem.sem.constraints import Constraints

    if res.context is None or not res.context[0].general_constraints:
        return []
    cons = Constraints(res.context[0])
    active = cons.active(res.free_params)
    return ["  constraints: " + "; ".join(
        f"{c.expr} {c.op} {c.rhs_expr}" + ("" if c.op == "==" else (" (active)" if on else " (inactive)"))
        for c, on in zip(cons.items, active))]


def format_summary(res) -> str:
    f = res.fit
    lines = [
        f"surveysem SEM fit ({res.estimator}), converged: {'yes' if res.converged else 'NO'}",
        f"  N = {f['nobs']}, free parameters = {f['npar']}",
    ]
    lines.append(f"  chi-square = {_fmt(f['chisq'])}, df = {f['df']}, p = {_fmt(f['pvalue'])}")
    if res.estimator in ("MLR", "MLM"):
        lines.append(
            f"  scaled chi-square = {_fmt(f['chisq_scaled'])} (scaling factor {_fmt(f['scaling_factor'])}),"
            f" p = {_fmt(f['pvalue_scaled'])}"
        )
    if res.estimator in ("WLSMV", "WLSMVS"):
        shift = f", shift {_fmt(f['shift_parameter'])}" if res.estimator == "WLSMV" else ""
        lines.append(
            f"  scaled chi-square = {_fmt(f['chisq_scaled'])}, df = {_fmt(f['df_scaled'])} (scaling factor "
            f"{_fmt(f['scaling_factor'])}{shift}), p = {_fmt(f['pvalue_scaled'])}"
        )
    lines.append(
        f"  CFI = {_fmt(f['cfi'])}, TLI = {_fmt(f['tli'])}, RMSEA = {_fmt(f['rmsea'])}"
        f" [{_fmt(f['rmsea_ci_lower'])}, {_fmt(f['rmsea_ci_upper'])}], SRMR = {_fmt(f['srmr'])}"
    )
    if res.estimator in ("MLR", "MLM", "WLSMV"):
        lines.append(
            f"  robust: CFI = {_fmt(f['cfi_robust'])}, TLI = {_fmt(f['tli_robust'])},"
            f" RMSEA = {_fmt(f['rmsea_robust'])}"
        )
    if res.estimator in ("WLSMV", "WLSMVS"):
        lines.append(f"  scaled: CFI = {_fmt(f['cfi_scaled'])}, TLI = {_fmt(f['tli_scaled'])},"
                     f" RMSEA = {_fmt(f['rmsea_scaled'])}")
    else:
        lines.append(f"  AIC = {_fmt(f['aic'], 2)}, BIC = {_fmt(f['bic'], 2)}, logL = {_fmt(f['logl'], 2)}")
    lines += _constraint_lines(res)
    for w in res.warnings:
        lines.append(f"  warning: {w}")
    lines.append("")
    est = res.estimates
    head = (
        f"{'lhs':<12} {'op':<3} {'rhs':<12} "
        + ("grp " if res.ngroups > 1 else "")
        + f"{'est':>9} {'se':>8} {'z':>8} {'p':>7} {'std.all':>8}"
    )
    lines.append(head)
    for r in est.itertuples(index=False):
        g = f"{r.group:<3} " if res.ngroups > 1 else ""
        lines.append(
            f"{r.lhs:<12} {r.op:<3} {str(r.rhs)[:12]:<12} {g}{_fmt(r.est):>9} {_fmt(r.se):>8} "
            f"{_fmt(r.z, 2):>8} {_fmt(r.pvalue):>7} {_fmt(r.std_all):>8}"
        )
    if res.r_squared:
        lines.append("")
        lines.append(
            "R-squared: "
            + ", ".join(f"{k if isinstance(k, str) else f'{k[0]}[{k[1]}]'} {v:.3f}" for k, v in res.r_squared.items())
        )
    return "\n".join(lines)
