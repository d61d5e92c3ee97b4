"""Measurement-invariance sequence (configural, metric, scalar) as lavaan + lavTestLRT.

``invariance_sequence(syntax, data, group, estimator="ML")`` fits the three nested
multi-group models (``group_equal`` = (), ("loadings",), ("loadings", "intercepts"))
and returns one row per model with its fit and the comparison with the previous model:

* ML: the standard chi-square difference test (``lavTestLRT`` default);
* MLR, MLM: the Satorra-Bentler (2001) scaled difference (``lavTestLRT`` default for
  scaled tests), computed from the unscaled statistics and scaling factors.

``rmsea_lrt`` is lavTestLRT's RMSEA of the difference test,
``sqrt(max(0, (dchisq - ddf) / (N ddf))) * sqrt(G)``; ``delta_cfi`` / ``delta_rmsea`` /
``delta_srmr`` are differences of the (robust, for MLR and MLM) indices with the previous model.
"""

from __future__ import annotations

import math

import pandas as pd
from scipy import special  # chdtrc, ndtr: scipy.stats' functions without its import cost

from surveysem.sem.api import fit_model

LEVELS = {
    "configural": (),
    "metric": ("loadings",),
    "scalar": ("loadings", "intercepts"),
}


def invariance_sequence(
    syntax, data, group, *, estimator="ML", missing="listwise", std_lv=False, levels=("configural", "metric", "scalar"),
    group_partial=(),
):
    """The nested models of ``levels`` (module docstring); ``group_partial`` (lavaan's
    ``group.partial``, e.g. ``("visual=~x3", "x3~1")``) frees those parameters in every model."""
    rows = []
    prev = None
    robust = str(estimator).upper() in ("MLR", "MLM")
    for name in levels:
        res = fit_model(
            syntax, data, estimator=estimator, missing=missing, group=group, group_equal=LEVELS[name], std_lv=std_lv,
            group_partial=group_partial,
            # the sequence reads chi-squares and the ordinary fit indices only
            fiml_robust_indices=False, standard_errors=robust,
        )
        f = res.fit
        row = {
            "model": name,
            "chisq": f["chisq"],
            "df": f["df"],
            "pvalue": f["pvalue"],
            "cfi": f["cfi"],
            "tli": f["tli"],
            "rmsea": f["rmsea"],
            "srmr": f["srmr"],
            "aic": f["aic"],
            "bic": f["bic"],
            "npar": f["npar"],
        }
        if robust:
            row.update(
                chisq_scaled=f["chisq_scaled"],
                scaling_factor=f["scaling_factor"],
                pvalue_scaled=f["pvalue_scaled"],
                cfi_robust=f["cfi_robust"],
                tli_robust=f["tli_robust"],
                rmsea_robust=f["rmsea_robust"],
            )
        d = dict(
            delta_chisq=float("nan"),
            delta_df=float("nan"),
            delta_p=float("nan"),
            rmsea_lrt=float("nan"),
            delta_cfi=float("nan"),
            delta_rmsea=float("nan"),
            delta_srmr=float("nan"),
        )
        if prev is not None:
            pf = prev.fit
            ddf = f["df"] - pf["df"]
            dchisq = f["chisq"] - pf["chisq"]
            if robust and ddf > 0:
                cd = (f["df"] * f["scaling_factor"] - pf["df"] * pf["scaling_factor"]) / ddf
                if cd <= 0:
                    cd = float("nan")
                dchisq = dchisq / cd
            d["delta_chisq"] = dchisq
            d["delta_df"] = ddf
            d["delta_p"] = float(special.chdtrc(ddf, dchisq)) if ddf > 0 else float("nan")
            N = f["nobs"]
            G = res.ngroups
            d["rmsea_lrt"] = math.sqrt(max(0.0, (dchisq - ddf) / (N * ddf))) * math.sqrt(G) if ddf > 0 else float("nan")
            key = "_robust" if robust else ""
            d["delta_cfi"] = f["cfi" + key] - pf["cfi" + key]
            d["delta_rmsea"] = f["rmsea" + key] - pf["rmsea" + key]
            d["delta_srmr"] = f["srmr"] - pf["srmr"]
        row.update(d)
        row["converged"] = res.converged
        row["warnings"] = "; ".join(res.warnings)
        rows.append(row)
        prev = res
    return pd.DataFrame(rows)
