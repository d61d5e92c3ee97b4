"""`surveysem fit --estimator WLSMV --ordered ...` end to end with the real stage one
(surveysem.sem.muthen1984) and stage two, against lavaan (tests/r/wlsmv_fit.R); bad --ordered
values are one line."""

import json
from pathlib import Path

import pytest

from surveysem.cli import main

R = Path(__file__).parents[1] / "r"
FIXTURE = json.loads((R / "results" / "wlsmv_fit.json").read_text())
HS_MODEL = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9\n"
ITEMS = ",".join(f"x{i}" for i in range(1, 10))


@pytest.fixture()
def model(tmp_path):
    path = tmp_path / "hs.lav"
    path.write_text(HS_MODEL)
    return path


@pytest.mark.parametrize("ordered", ["all", ITEMS, "ALL"])
def test_ordered_items_fit_as_lavaan(model, capsys, ordered):
    assert main(["fit", str(model), str(R / "data" / "hs_ordinal3.csv"), "--estimator", "WLSMV", "--ordered", ordered,
                 "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    ref = FIXTURE["fits"]["hs3"]["fit"]
    for key in ("chisq_scaled", "cfi_scaled", "tli_scaled", "rmsea_scaled", "srmr"):
        assert out["fit"][key] == pytest.approx(ref[key.replace("_", ".")], abs=1e-3), key
    thresholds = [r for r in out["estimates"] if r["op"] == "|"]
    assert len(thresholds) == 18 and thresholds[0]["lhs"] == "x1" and thresholds[0]["rhs"] == "t1"


def test_bfi_pairwise_text_summary(tmp_path, capsys):
    model = tmp_path / "bfi.lav"
    model.write_text("\n".join(f"{s} =~ " + " + ".join(f"{s}{i}" for i in range(1, 6)) for s in "ACENO"))
    assert main(["fit", str(model), str(R / "data" / "bfi.csv"), "--ordered", "all", "--missing", "pairwise"]) == 0
    text = capsys.readouterr().out
    ref = FIXTURE["fits"]["bfi"]["fit"]
    assert text.startswith("surveysem SEM fit (WLSMV), converged: yes")
    assert f"scaled chi-square = {ref['chisq.scaled']:.3f}" in text


@pytest.mark.parametrize(("ordered", "extra", "message"), [
    ("x1,x2,zz", [], "ordered item 'zz' is not a column of the data"),
    ("all", ["--missing", "fiml"], "FIML is not available for ordinal indicators"),
])
def test_bad_ordered_lists_are_one_line(model, capsys, ordered, extra, message):
    assert main(["fit", str(model), str(R / "data" / "hs_ordinal3.csv"), "--estimator", "WLSMV",
                 "--ordered", ordered, *extra]) == 1
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and message in err and "hs_ordinal3.csv" in err
