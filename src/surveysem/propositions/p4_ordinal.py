"""The P4 sensitivity model's table (``p4_ordinal.csv``, rule ``propositions_p4_ordinal``): the P4
models of :func:`surveysem.propositions.p4.fit_p4` fitted with the capability items ordered (WLSMV),
one row per path with its model's status (estimated, not converged, inadmissible, not estimable)
and fit, and the sub-hypothesis the verdict rule judges on the path."""

from __future__ import annotations

import numpy as np
import pandas as pd

from surveysem.propositions.verdict_rows import tested_parameter

ORDINAL_FIT = ("chisq_scaled", "df", "pvalue_scaled", "scaling_factor", "shift_parameter", "cfi_scaled", "tli_scaled",
               "rmsea_scaled", "srmr")
ORDINAL_COLUMNS = ["model", "status", "lhs", "op", "rhs", "label", "tested", "est", "se", "z", "pvalue", "std_all",
                   *ORDINAL_FIT, "n_firms"]


def model_status(m: dict) -> str:
    """How one of :func:`fit_p4`'s models came out: ``estimated``, ``did not converge``,
    ``inadmissible: <Heywood cases>`` or ``not estimable: <why>``."""
    if not m.get("fit"):
        return "not estimable: " + "; ".join(m["warnings"])
    if not m["converged"]:
        return "did not converge"
    prefix = f"model ({m['model']}): "
    bad = [w.removeprefix(prefix) for w in m["warnings"] if "Heywood case" in w or "singular" in w]
    return "inadmissible: " + "; ".join(bad) if bad else "estimated"


def ordinal_table(res: dict, rule: dict, sub_ids: dict[str, str], n_firms: int) -> pd.DataFrame:
    """The rows of ``p4_ordinal.csv`` from :func:`fit_p4` run with ordered items: every path of
    every model with its model's status and fit (a model without paths: one row with its status);
    ``tested`` is the sub-hypothesis (``sub_ids``: process -> id) judged on the row's parameter
    in the verdict model ``verdict_rule.p4_model``."""
    tested = {tested_parameter(rule, proc): sid for proc, sid in sub_ids.items()}
    paths = res["paths"]
    rows = []
    for name, m in res["models"].items():
        head = {"model": name, "status": model_status(m), **{k: m["fit"].get(k, np.nan) for k in ORDINAL_FIT},
                "n_firms": n_firms}
        mine = paths[paths.model == name]
        if mine.empty:
            rows.append(head)
        for r in mine.itertuples():
            key = r.lhs if r.op == ":=" else f"{r.lhs}{r.op}{r.rhs}"
            rows.append({**head, "lhs": r.lhs, "op": r.op, "rhs": r.rhs, "label": r.label,
                         "tested": tested.get(key, "") if name == rule["p4_model"] else "", "est": r.est,
                         "se": r.se, "z": r.z, "pvalue": r.pvalue, "std_all": r.std_all})
    return pd.DataFrame(rows, columns=ORDINAL_COLUMNS)
