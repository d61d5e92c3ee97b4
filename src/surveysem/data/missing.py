"""Item and construct missingness (``results/clean/missingness.csv``).

One row per rated item (``level = item``) and per construct (``level = construct``):

- ``n_respondents`` – respondents in the validated table;
- ``n_missing`` – missing cells (item) or missing cells over all items of the construct;
- ``share_missing`` – ``n_missing`` divided by the number of cells;
- ``n_complete`` – respondents who answered the item / every item of the construct.

How missing item values are handled in the analysis is the config's ``data.missing``
(``listwise`` | ``pairwise`` | ``fiml``); it is recorded in ``ingest.json`` and applied by
the measurement and SEM stages (FIML is done by the SEM engine).
"""

from __future__ import annotations

import pandas as pd

COLUMNS = ["level", "id", "construct", "n_items", "n_respondents", "n_missing", "share_missing", "n_complete"]


def missingness_table(frame: pd.DataFrame, inst) -> pd.DataFrame:
    """Missingness of every rated item and construct present in ``frame``."""
    n = len(frame)
    rows = []
    for construct in inst.constructs.values():
        for item in construct.items:
            if item.id not in frame.columns:
                continue
            miss = int(frame[item.id].isna().sum())
            rows.append(["item", item.id, construct.id, 1, n, miss, miss / n if n else float("nan"), n - miss])
    for construct in inst.constructs.values():
        cols = [i.id for i in construct.items if i.id in frame.columns]
        if not cols:
            continue
        block = frame[cols].isna()
        miss = int(block.to_numpy().sum())
        cells = n * len(cols)
        complete = int((~block.any(axis=1)).sum())
        rows.append(["construct", construct.id, construct.id, len(cols), n, miss,
                     miss / cells if cells else float("nan"), complete])
    return pd.DataFrame(rows, columns=COLUMNS)


def summary(frame: pd.DataFrame, inst) -> dict:
    """Counts for ingest.json: cells missing and respondents complete on all rated items."""
    cols = [c for c in inst.item_ids if c in frame.columns]
    block = frame[cols].isna() if cols else pd.DataFrame(index=frame.index)
    return {
        "n_item_cells_missing": int(block.to_numpy().sum()) if cols else 0,
        "share_item_cells_missing": float(block.to_numpy().mean()) if cols and len(frame) else 0.0,
        "n_complete_on_all_items": int((~block.any(axis=1)).sum()) if cols else int(len(frame)),
    }
