"""``surveysem reliability``: alpha (Feldt CI), standardized alpha, omega (semTools) and omega_t (psych), CR, AVE, item statistics
and HTMT for scales given on the command line."""

from __future__ import annotations

import argparse
import json
import math

import numpy as np
import pandas as pd

from surveysem.errors import SurveySemError
from surveysem.measurement.reliability import reliability_report


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("data", help="CSV file with one column per item")
    parser.add_argument("--scale", action="append", required=True, metavar="NAME=item,item,-item",
                        help="a scale: its name and items; '-item' marks a reverse-keyed item (repeatable)")
    parser.add_argument("--range", nargs=2, type=float, metavar=("MIN", "MAX"),
                        help="response range, needed to reverse '-item's as MIN + MAX - x")
    parser.add_argument("--htmt-bootstrap", type=int, default=0, metavar="B",
                        help="bootstrap replicates for the HTMT CIs (log-scale standard intervals; 0 = none)")
    parser.add_argument("--seed", type=int, default=1, help="seed for the HTMT bootstrap")
    parser.add_argument("--json", action="store_true", help="print JSON (default: a text summary)")


def _parse_scales(specs: list[str]) -> dict[str, list[tuple[str, bool]]]:
    scales: dict[str, list[tuple[str, bool]]] = {}
    for spec in specs:
        if "=" not in spec:
            raise SurveySemError("--scale must look like NAME=item,item,-item", value=spec)
        name, _, rest = spec.partition("=")
        name = name.strip()
        items = [t.strip() for t in rest.split(",") if t.strip()]
        if not name or len(items) < 2:
            raise SurveySemError("--scale needs a name and at least 2 items", value=spec)
        if name in scales:
            raise SurveySemError("scale given twice", value=name)
        scales[name] = [(t[1:], True) if t.startswith("-") else (t, False) for t in items]
    return scales


def run(args) -> int:
    try:
        data = pd.read_csv(args.data)
    except FileNotFoundError:
        raise SurveySemError("data file not found", file=args.data) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise SurveySemError(f"cannot read CSV: {exc}", file=args.data) from None
    specs = _parse_scales(args.scale)
    any_rev = any(rev for items in specs.values() for _, rev in items)
    if any_rev and args.range is None:
        raise SurveySemError("--range MIN MAX is required when an item is reverse-keyed ('-item')")
    keyed = pd.DataFrame(index=data.index)
    scales: dict[str, list[str]] = {}
    for name, items in specs.items():
        scales[name] = []
        for item, rev in items:
            if item not in data.columns:
                raise SurveySemError(f"scale {name}: item not in the data", file=args.data, column=item)
            col = pd.to_numeric(data[item].replace("", np.nan), errors="coerce")
            bad = data[item].notna() & col.isna()
            if bad.any():
                row = int(np.flatnonzero(bad.to_numpy())[0]) + 2
                raise SurveySemError("not a number", file=args.data, row=row, column=item, value=data[item][bad].iloc[0])
            if rev:
                lo, hi = args.range
                out_of = col.notna() & ((col < lo) | (col > hi))
                if out_of.any():
                    row = int(np.flatnonzero(out_of.to_numpy())[0]) + 2
                    raise SurveySemError(f"value outside --range {lo:g}..{hi:g}", file=args.data, row=row, column=item,
                                         value=float(col[out_of].iloc[0]))
                col = lo + hi - col
            keyed[item] = col
            scales[name].append(item)
    result = reliability_report(keyed, scales, htmt_bootstrap=args.htmt_bootstrap, seed=args.seed)
    result["reversed"] = sorted(i for items in specs.values() for i, rev in items if rev)
    if args.json:
        from surveysem.io import to_jsonable

        print(json.dumps(to_jsonable(result), indent=2, sort_keys=True))
    else:
        for name, s in result["scales"].items():
            print(f"{name}: k={s['k']} alpha={s['alpha']:.3f} [{s.get('ci_lower', float('nan')):.3f}, "
                  f"{s.get('ci_upper', float('nan')):.3f}] std.alpha={s['std_alpha']:.3f} omega={s['omega']:.3f} "
                  f"omega_t={s.get('omega_t', float('nan')):.3f} "
                  f"CR={_fmt(s.get('cr'))} AVE={_fmt(s.get('ave'))}")
        if "htmt" in result:
            names = list(result["htmt"])
            ci = {(r["a"], r["b"]): r for r in result.get("htmt_ci", [])}
            print("HTMT (HTMT2) between scales" + (" with 95% bootstrap CIs (log-scale standard intervals):" if ci else ":"))
            for i, a in enumerate(names):
                for b in names[i + 1:]:
                    line = f"  {a}-{b}: {result['htmt'][a][b]:.3f} ({result['htmt2'][a][b]:.3f})"
                    if (a, b) in ci:
                        r = ci[(a, b)]
                        line += (f"  CI [{r['htmt_lower']:.3f}, {r['htmt_upper']:.3f}]"
                                 f" ([{r['htmt2_lower']:.3f}, {r['htmt2_upper']:.3f}])")
                    print(line)
        for w in result["warnings"]:
            print(f"warning: {w}")
    return 0


def _fmt(x) -> str:
    return "NA" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.3f}"
