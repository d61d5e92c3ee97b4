"""The refinement record: what the items the analysis drops weighed in the scales as fielded.

For every item that ``scales:`` in the config leaves out, this gives its standardized loading and
its construct's CR and AVE in a CFA of the scales *as fielded* (every item of the instrument,
otherwise the same model and estimator as the stage's CFA). The scales' values after the drop are
those of the stage's CFA (``validity.csv``); the report shows both, with the reason the config
gives.

Example
-------
>>> import pandas as pd
>>> from surveysem.instrument.analysed import DroppedItem
>>> loadings = pd.DataFrame({"construct": ["A", "A", "A", "A"], "item": ["A1", "A2", "A3", "A4"],
...                          "std_all": [0.8, 0.7, 0.75, 0.3]})
>>> validity = pd.DataFrame({"construct": ["A"], "cr": [0.74], "ave": [0.43]})
>>> dropped_table([DroppedItem("A4", "A", "loading .30")], {"A": ["A"]}, loadings, validity).iloc[0].to_dict()
{'item': 'A4', 'construct': 'A', 'analysed_scale': 'A', 'loading_before': 0.3, 'cr_before': 0.74, 'ave_before': 0.43}
"""

from __future__ import annotations

import pandas as pd

__all__ = ["DROPPED_COLUMNS", "dropped_table", "analysed_homes"]

DROPPED_COLUMNS = ["item", "construct", "analysed_scale", "loading_before", "cr_before", "ave_before"]


def analysed_homes(inst) -> dict[str, list[str]]:
    """Fielded construct -> the analysed scales holding its items (itself, or those built from it)."""
    from surveysem.instrument.analysed import fielded_items_of

    out: dict[str, list[str]] = {}
    for construct in inst.constructs.values():
        for item in fielded_items_of(inst, construct):
            homes = out.setdefault(item.construct, [])
            if construct.id not in homes:
                homes.append(construct.id)
    return out


def dropped_table(dropped, homes: dict[str, list[str]], loadings: pd.DataFrame, validity: pd.DataFrame) -> pd.DataFrame:
    """One row per dropped item: its loading and its construct's CR / AVE in the CFA as fielded
    (``loadings``, ``validity`` of that CFA; NaN when it could not be fitted)."""
    lam = {(r.construct, r.item): float(r.std_all) for r in loadings.itertuples(index=False)}
    val = {r.construct: (float(r.cr), float(r.ave)) for r in validity.itertuples(index=False)}
    rows = []
    for d in dropped:
        cr, ave = val.get(d.construct, (float("nan"), float("nan")))
        rows.append({"item": d.item, "construct": d.construct, "analysed_scale": ", ".join(homes.get(d.construct, [])),
                     "loading_before": lam.get((d.construct, d.item), float("nan")), "cr_before": cr,
                     "ave_before": ave})
    return pd.DataFrame(rows, columns=DROPPED_COLUMNS)
