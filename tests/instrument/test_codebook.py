"""Codebook CSV/HTML and questionnaire from the instrument."""

import shutil
from pathlib import Path

import pandas as pd
import yaml

from surveysem.instrument.codebook import CODEBOOK_COLUMNS, codebook_table, write_codebook
from surveysem.instrument.scales import load_instrument

ROOT = Path(__file__).resolve().parents[2]


def test_codebook_lists_all_variables(tmp_path):
    table = write_codebook(
        ROOT / ".test" / "scales", tmp_path / "codebook.csv", tmp_path / "cb.html", tmp_path / "q.html", "Test survey"
    )
    on_disk = pd.read_csv(tmp_path / "codebook.csv", keep_default_na=False)
    assert list(on_disk.columns) == CODEBOOK_COLUMNS
    assert len(on_disk) == len(table)
    kinds = on_disk["construct_kind"].value_counts()
    assert kinds["capability"] >= 44
    assert on_disk.loc[on_disk["construct_kind"] == "capability", "construct"].nunique() == 11
    for kind in ("oie", "marker", "attention", "profile"):
        assert kinds.get(kind, 0) >= 1, kind
    assert set(on_disk["keying"]) == {"", "forward", "reverse"}
    assert on_disk["variable"].is_unique
    # questionnaire: every item's wording and every anchor appear, sections in order
    inst = load_instrument(ROOT / ".test" / "scales")
    text = (tmp_path / "q.html").read_text(encoding="utf-8")
    import html

    for item in inst.items:
        assert html.escape(item.wording) in text
    for label in inst.response_scales["agree7"].anchors.values():
        assert html.escape(label) in text
    assert text.index("Sensing capabilities") < text.index("Seizing capabilities") < text.index("Reconfiguring")


def test_wording_is_escaped(tmp_path):
    scales = tmp_path / "scales"
    shutil.copytree(ROOT / ".test" / "scales", scales)
    f = scales / "capabilities" / "PDC.yaml"
    data = yaml.safe_load(f.read_text(encoding="utf-8"))
    data["items"][0]["wording"] = "<script>alert(1)</script> & more"
    f.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    write_codebook(scales, tmp_path / "c.csv", tmp_path / "c.html", tmp_path / "q.html", "<b>T</b>")
    for page in ("c.html", "q.html"):
        text = (tmp_path / page).read_text(encoding="utf-8")
        assert "<script>" not in text
        assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in text
    assert "<b>T</b>" not in (tmp_path / "q.html").read_text(encoding="utf-8")


def test_codebook_is_deterministic(tmp_path):
    a = tmp_path / "a"
    b = tmp_path / "b"
    for d in (a, b):
        write_codebook(ROOT / ".test" / "scales", d / "c.csv", d / "c.html", d / "q.html", "T")
    for name in ("c.csv", "c.html", "q.html"):
        assert (a / name).read_bytes() == (b / name).read_bytes()


def test_codebook_table_order_profile_first():
    table = codebook_table(load_instrument(ROOT / ".test" / "scales"))
    assert table["construct"].iloc[0] == "PROFILE"
    assert table.index.is_monotonic_increasing
