"""Known-truth studies: draws of the synthetic population analysed as the pipeline analyses them.

Used by ``tests/propositions/test_known_truth.py`` (a few draws) and ``bench/calibration.py``
(hundreds): :func:`clean_respondents` keeps the respondents the screening stage is meant to keep
(by the draw's own truth flags, so screening is not under test) with items decoded and
reverse-keyed items reversed, and :func:`latent_estimands` computes, on a large draw, the
values a consistent latent estimator of P1-P3 converges to.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

PROFILE_NUMBERS = ("FOUNDED", "SIZE", "SECTOR", "TECH", "CUSTOMER", "FIRSTSALE", "FSHARE")


def clean_respondents(sim, inst) -> pd.DataFrame:
    """Rows of ``sim`` that are neither duplicates, ineligible, careless nor unfinished; rated
    items as numbers 1..k (reverse-keyed reversed, out-of-range codes missing); ``respondent_id``."""
    f, fm = sim.frame(), sim.firms
    keep = ((~fm.duplicate.astype(bool)) & (fm.ineligible.fillna("") == "") & (fm.careless.fillna("") == "")
            & (~fm.unfinished.astype(bool))).to_numpy()
    f = f.loc[keep].reset_index(drop=True).rename(columns={"ResponseId": "respondent_id"})
    ids = [it.id for it in inst.items]
    # all items as one array (column by column, the frame's updates were most of the draw's screening)
    x, integer = _decoded(f, ids)
    with np.errstate(invalid="ignore"):
        x[~((x >= 1) & (x <= 7))] = np.nan
    reverse = np.array([it.reverse for it in inst.items], dtype=bool)
    x[:, reverse] = 8 - x[:, reverse]
    items = pd.DataFrame(x, columns=ids)
    # an integer column with no code out of range stays integer (as pandas' where kept it)
    items = items.astype({c: np.int64 for c, is_int in zip(ids, integer) if is_int and not items[c].isna().any()})
    numbers = f[list(PROFILE_NUMBERS)].apply(pd.to_numeric, errors="coerce")
    out = pd.concat([f.drop(columns=ids + list(PROFILE_NUMBERS)), items, numbers], axis=1)
    return out[f.columns]


# an answer code as the simulator writes it: pd.to_numeric reads it as an int64
_INTEGER_TEXT = re.compile(r"-?[0-9]{1,18}\Z")


def _decoded(f: pd.DataFrame, ids: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(the ``ids`` columns of text as numbers, n x items floats; whether each column would be an
    integer column) as ``f[ids].apply(pd.to_numeric, errors="coerce")`` gives them. A draw's cells are
    a handful of distinct texts ("" and the answer codes): each is read once (ten times faster than
    column by column); any other text falls back to pandas."""
    cells = f[ids].to_numpy(dtype=object)
    codes, texts = pd.factorize(cells.ravel())
    if len(cells) and (codes >= 0).all() and all(isinstance(t, str) and (t == "" or _INTEGER_TEXT.match(t))
                                                 for t in texts):
        x = np.array([float(t) if t else np.nan for t in texts])[codes].reshape(cells.shape)
        return x, ~np.isnan(x).any(axis=0)
    raw = f[ids].apply(pd.to_numeric, errors="coerce")
    return raw.to_numpy(dtype=float), np.array([raw[c].dtype.kind in "iu" for c in ids], dtype=bool)


def true_scores(sim, clean: pd.DataFrame) -> pd.DataFrame:
    """The latent construct values (``eta_<construct>``) of the clean respondents."""
    fm = sim.firms.rename(columns={"ResponseId": "respondent_id"})
    cols = ["respondent_id"] + [c for c in fm.columns if c.startswith("eta_")]
    return clean[["respondent_id"]].merge(fm[cols], on="respondent_id", how="left")


def latent_estimands(data: pd.DataFrame, eta: pd.DataFrame, hyp, controls: list[str]) -> dict[str, float]:
    """Population values of ``hyp``'s sub-hypotheses on the latent estimators' scale: the least
    squares coefficients of the transformed outcome ``y`` on the true (unit-variance) latent
    capabilities and the controls, main effects from the model without interactions and each
    interaction (a product of centred latents) from the model with them. ``data`` as from
    :func:`surveysem.propositions.latent.latent_frame` on a large draw."""
    d = data[["respondent_id", "y"] + controls].merge(eta, on="respondent_id", how="inner").dropna()
    lat = {c: d[f"eta_{c}"].to_numpy() for c in hyp.constructs}
    out = {}
    for with_inter in (False, True):
        cols = [np.ones(len(d))] + [lat[c] for c in hyp.main_terms]
        names = list(hyp.main_terms)
        if with_inter:
            for t in hyp.interactions:
                a, b = t.split(":")
                cols.append((lat[a] - lat[a].mean()) * (lat[b] - lat[b].mean()))
                names.append(t)
        X = np.column_stack(cols + [d[c].to_numpy(dtype=float) for c in controls])
        beta = np.linalg.lstsq(X, d["y"].to_numpy(dtype=float), rcond=None)[0]
        for s in hyp.subs:
            if s.is_interaction == with_inter and s.term in names:
                out[s.id] = float(beta[1 + names.index(s.term)])
    return out
