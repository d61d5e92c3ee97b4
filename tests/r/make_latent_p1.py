"""Write tests/r/data/latent_p1.csv: one simulated study for the latent P1 regression fixtures.

One draw of the package's own synthetic study (``survey_kit.test_config()``, the shipped
population model; the instrument in ``.test/scales``), N = 300 firms simulated, clean
respondents only (screening is not under test; the same ``clean_respondents`` as
``tests/propositions/test_known_truth.py``: duplicates, ineligible, careless and unfinished
dropped, out-of-range answers set missing, reverse-keyed items reversed). The item missingness
of the simulation is kept (FIML fixtures use it; complete-case fixtures drop NA rows).

Columns: the items of PDC, SOE, ECP and CUS; ``y = log(spread)``; ``log_age = log(age)``;
``size`` (the profile code, numeric as in P1's controls); ``tech2``, ``tech3`` (dummies of
tech_intensity 2 and 3; level 1 is the reference, as in ``control_columns``).

Run from the repository root:
    PYTHONPATH=src:tests python tests/r/make_latent_p1.py
"""

from pathlib import Path
import sys

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "tests" / "propositions"))

import survey_kit as kit  # noqa: E402
from surveysem.instrument.scales import load_instrument  # noqa: E402
from surveysem.outcomes.firms import firm_outcomes  # noqa: E402
from surveysem.simulate import simulate  # noqa: E402
from surveysem.simulate.known_truth import clean_respondents  # noqa: E402

SEED, N = 2024, 300
CONSTRUCTS = ("PDC", "SOE", "ECP", "CUS")
OUT = ROOT / "tests" / "r" / "data" / "latent_p1.csv"


def latent_p1_frame(seed: int = SEED, n: int = N, extra_items=()) -> pd.DataFrame:
    """Items, outcome and controls of one clean simulated study (see the module docstring);
    ``extra_items``: further item columns after the constructs' (the marker's, make_latent_method.py)."""
    config = kit.test_config()
    inst = load_instrument(ROOT / ".test" / "scales")
    sim = simulate(config, n=n, seed=seed, inst=inst)
    f = clean_respondents(sim, inst)
    out = firm_outcomes(f, inst, config["study"]["survey_year"], config["outcomes"]["home_country"])
    f = f.merge(out, on="respondent_id", how="inner", validate="one_to_one")
    items = [i.id for c in CONSTRUCTS for i in inst.constructs[c].items] + list(extra_items)
    d = f[items].astype(float)
    d["y"] = np.log(f["spread"].astype(float))
    d["log_age"] = np.log(f["age"].astype(float))
    d["size"] = f["size"].astype(float)
    tech = f["tech_intensity"].astype(float)
    d["tech2"] = (tech == 2).astype(float).where(tech.notna())
    d["tech3"] = (tech == 3).astype(float).where(tech.notna())
    return d


if __name__ == "__main__":
    d = latent_p1_frame()
    d.to_csv(OUT, index=False, na_rep="", float_format="%.17g")
    print(f"wrote {OUT}: {len(d)} firms, {int(d.notna().all(axis=1).sum())} complete")
