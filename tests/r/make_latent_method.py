"""Write tests/r/data/latent_method.csv: one simulated study for the method-factor fixtures.

As ``make_latent_p1.py`` (``survey_kit.test_config()``, ``.test/scales``, clean respondents,
reverse-keyed items reversed, item missingness kept), with N = 600 firms simulated and the four
MARKER items added: the latent P1 regression with the marker-based method factor
(``surveysem.propositions.latent_method``). PDC5 and CUS5 are reverse-keyed.

Run from the repository root:
    PYTHONPATH=src:tests python tests/r/make_latent_method.py
"""

from pathlib import Path
import sys

import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "r"))

from make_latent_p1 import latent_p1_frame  # noqa: E402

SEED, N = 2024, 600
MARKER = ("MARKER1", "MARKER2", "MARKER3", "MARKER4")
OUT = ROOT / "tests" / "r" / "data" / "latent_method.csv"


def latent_method_frame(seed: int = SEED, n: int = N) -> pd.DataFrame:
    """The latent P1 frame of ``make_latent_p1`` with the marker items."""
    return latent_p1_frame(seed, n, extra_items=MARKER)


if __name__ == "__main__":
    d = latent_method_frame()
    d.to_csv(OUT, index=False, na_rep="", float_format="%.17g")
    print(f"wrote {OUT}: {len(d)} firms, {int(d.notna().all(axis=1).sum())} complete")
