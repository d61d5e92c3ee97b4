"""Provenance: reproducible date, file hashes, git commit, versions."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess

import pytest

from surveysem.report.provenance import file_hashes, git_commit, package_versions, report_date


def test_source_date_epoch_wins(tmp_path):
    f = tmp_path / "data.csv"
    f.write_text("x\n")
    # 1700000000 s = 2023-11-14T22:13:20Z (hand conversion: 19675 days after 1970-01-01)
    assert report_date([f], env={"SOURCE_DATE_EPOCH": "1700000000"}) == ("2023-11-14", "SOURCE_DATE_EPOCH")


def test_date_of_data_and_config_otherwise(tmp_path):
    a, b = tmp_path / "data.csv", tmp_path / "config.yaml"
    a.write_text("x\n")
    b.write_text("y\n")
    os.utime(a, (0, 86400 * 365))  # 1971-01-01
    os.utime(b, (0, 86400 * 366 + 3600))  # 1971-01-02 01:00 UTC
    day, how = report_date([a, b, tmp_path / "missing"], env={})
    assert day == "1971-01-02" and "modification" in how
    assert report_date([], env={})[0] == "date unknown"
    assert report_date([a], env={"SOURCE_DATE_EPOCH": "not a number"})[0] == "1971-01-01"


def test_file_hashes_match_hashlib(tmp_path):
    f = tmp_path / "x.bin"
    payload = os.urandom(3 << 20)  # larger than one read block
    f.write_bytes(payload)
    (path, digest, size), (path2, digest2, size2) = file_hashes([f, tmp_path / "absent.csv"])
    assert digest == hashlib.sha256(payload).hexdigest() and size == str(len(payload))
    assert digest2.startswith("not computed") and size2 == ""


def test_git_commit(tmp_path):
    assert git_commit(tmp_path) == "not a git checkout"
    if shutil.which("git") is None:
        pytest.skip("git not installed")
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t"}
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True, env=env)
    assert git_commit(tmp_path) == "not a git checkout"  # no commit yet
    (tmp_path / "a.txt").write_text("a\n")
    subprocess.run(["git", "-C", str(tmp_path), "add", "a.txt"], check=True, env=env)
    subprocess.run(["git", "-C", str(tmp_path), "commit", "-q", "-m", "x"], check=True, env=env)
    head = subprocess.run(["git", "-C", str(tmp_path), "rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
    assert git_commit(tmp_path) == head
    (tmp_path / "a.txt").write_text("b\n")
    assert git_commit(tmp_path) == head + " (with uncommitted changes)"


def test_package_versions():
    versions = dict(package_versions())
    import numpy
    import pandas

    assert versions["numpy"] == numpy.__version__ and versions["pandas"] == pandas.__version__
    assert versions["python"].count(".") == 2
