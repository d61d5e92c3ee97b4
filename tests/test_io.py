"""surveysem.io: CSV formula neutralisation (OWASP) in write_csv and its inverse in read_csv."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from surveysem import io as sio

PAYLOADS = ['=HYPERLINK("http://evil.example","x")', "+cmd|'/C calc'!A0", "-2+3", "@SUM(A1:A9)", "\t=1", "\r=1",
            "\uff1d1+1", "-99, -98, don't know"]


@pytest.mark.parametrize("value", PAYLOADS)
def test_formula_cells_get_an_apostrophe(value):
    assert sio.neutralise_cell(value) == "'" + value
    assert sio.restore_cell(sio.neutralise_cell(value)) == value


@pytest.mark.parametrize("value", ["-0.5", "+3", "-.12", "-1e-05", "-0.70***", "12", "=~", "~~", ":=", "~", "+", "-",
                                   "Germany (2015)", "'s-Hertogenbosch", "", "a=b"])
def test_numbers_code_vocabulary_and_plain_text_stay(value):
    assert sio.neutralise_cell(value) == value
    assert sio.restore_cell(value) == value


@pytest.mark.parametrize("value", ["'=1", "''@x", "'-a"])
def test_an_apostrophe_of_the_data_survives_the_round_trip(value):
    assert sio.neutralise_cell(value) == "'" + value
    assert sio.restore_cell(sio.neutralise_cell(value)) == value


def test_write_csv_neutralises_text_only_and_read_csv_restores(tmp_path):
    frame = pd.DataFrame({
        "respondent_id": ["=HYPERLINK(\"x\")", "R_2", "-5"],
        "x": [-1.5, 2.0, np.nan],
        "n": [-3, 0, 7],
        "op": ["=~", "~~", ":="],
        "expected": ["+", "-", "+"],
        "=col": ["a", "b", "c"],
    })
    path = tmp_path / "t.csv"
    sio.write_csv(path, frame)
    text = path.read_text(encoding="utf-8")
    assert text.splitlines()[0] == "respondent_id,x,n,op,expected,'=col"
    assert text.splitlines()[1] == "\"'=HYPERLINK(\"\"x\"\")\",-1.5,-3,=~,+,a"
    assert "\n-5,,7,:=,+,c\n" in text
    back = sio.read_csv(path, dtype={"respondent_id": str})
    pd.testing.assert_frame_equal(back, frame)


def test_write_csv_leaves_the_frame_alone(tmp_path):
    frame = pd.DataFrame({"a": ["=1", "b"]})
    sio.write_csv(tmp_path / "t.csv", frame)
    assert frame["a"].tolist() == ["=1", "b"]


def test_a_full_disk_is_one_line_naming_the_file(tmp_path, monkeypatch):
    """ENOSPC in the atomic writer: one SurveySemError line naming the file, no partial file left."""
    import errno as errno_mod
    import os as os_mod

    from surveysem import io as sio
    from surveysem.errors import SurveySemError

    real_fdopen = os_mod.fdopen

    class FullDisk:
        def __init__(self, fd):
            self.fh = real_fdopen(fd, "wb")

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.fh.close()

        def write(self, data):
            raise OSError(errno_mod.ENOSPC, "No space left on device")

    monkeypatch.setattr(sio.os, "fdopen", lambda fd, mode: FullDisk(fd))
    target = tmp_path / "results" / "table.csv"
    with pytest.raises(SurveySemError) as err:
        sio.write_text(target, "a,b\n")
    line = err.value.one_line()
    assert "\n" not in line and str(target) in line and "disk is full" in line
    assert list((tmp_path / "results").iterdir()) == []  # no temporary or half-written file
