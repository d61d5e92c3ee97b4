"""Descriptive statistics the report shows although no stage writes them yet.

A page reads results and computes no statistic; these are the exception, kept here, apart from
the pages, until the stage that owns them writes them:

* :func:`outcome_descriptive_statistics` – n, M, SD, Mdn, min and max of the outcomes and of
  firm age, from ``results/outcomes/firm_outcomes.csv``. The outcomes stage should write them
  (e.g. as ``results/outcomes/descriptives.csv``); the outcomes page ("Descriptive statistics
  of the outcomes") and the data page (firm age in the sample profile) would then read that file.
"""

from __future__ import annotations

import pandas as pd

OUTCOME_VARIABLES = ("n_countries", "spread", "diversification", "intensity", "age")
DESCRIPTIVE_COLUMNS = ["n", "mean", "sd", "median", "min", "max", "whole_numbers"]


def outcome_descriptive_statistics(firm_outcomes: pd.DataFrame) -> pd.DataFrame:
    """One row per variable of :data:`OUTCOME_VARIABLES` (index ``variable``): n answered, mean,
    SD (n − 1; NaN below two values), median, min, max, and ``whole_numbers`` (every value is a
    whole number, so min and max print without decimals)."""
    rows = {}
    for variable in OUTCOME_VARIABLES:
        x = pd.to_numeric(firm_outcomes[variable], errors="coerce").dropna()
        rows[variable] = [len(x), x.mean(), x.std(ddof=1), x.median(), x.min(), x.max(),
                          bool(len(x)) and bool((x == x.round()).all())]
    return pd.DataFrame.from_dict(rows, orient="index", columns=DESCRIPTIVE_COLUMNS).rename_axis("variable")
