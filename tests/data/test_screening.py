"""Screening rules on tiny hand-made data sets; expected exclusions computed by hand."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.distance import mahalanobis
from scipy.stats import chi2

import survey_kit as kit
from surveysem.instrument.scales import load_instrument
from surveysem.config import section_with_defaults
from surveysem.data.screening import longest_run, mahalanobis_squared
from surveysem.data.screening import screen as screen_with


DUR = "Duration (in seconds)"


@pytest.fixture
def inst(tmp_path):
    return load_instrument(kit.write_scales(tmp_path / "scales"))


def person(rid, row, answers, attn=2, founded=2015, firstsale=2016, fshare=50.0,
           markets="Germany (2016); USA (2018)", duration=600.0, recorded=None):
    rec = {"respondent_id": rid, "source_row": row}
    rec.update(dict(zip(kit.RATED, [float(a) for a in answers])))
    rec.update({"ATTN1": float(attn), "FOUNDED": float(founded), "SIZE": 2.0, "FIRSTSALE": float(firstsale),
                "FSHARE": fshare, "MARKETS": markets, DUR: duration,
                "RecordedDate": recorded or f"2026-01-01 10:{row:02d}:00"})
    return rec


def frame_of(people):
    cols = ["respondent_id", "source_row"] + kit.ITEMS + ["FOUNDED", "SIZE", "FIRSTSALE", "FSHARE", "MARKETS", DUR,
                                                          "RecordedDate"]
    return pd.DataFrame(people)[cols]


# Hand-made respondents (answers are AAA1 AAA2 AAA3 BBB1 BBB2 BBB3; ATTN1 sits between AAA3 and BBB1)
PEOPLE = [
    person("R_A", 2, [1, 2, 3, 4, 5, 1]),                                   # 0 kept
    person(" r_a", 3, [2, 3, 4, 5, 1, 2]),                                  # 1 same id as R_A
    person("R_C", 4, [5, 4, 3, 2, 1, 2], recorded="2026-01-02 09:00:00"),   # 2 same answers as R_D, recorded later
    person("R_D", 5, [5, 4, 3, 2, 1, 2], recorded="2026-01-01 09:00:00"),   # 3 kept (first by RecordedDate)
    person("R_E", 6, [1, 3, 1, 3, 1, 3], founded=2010, firstsale=2015, fshare=10.0),  # 4 late + low share
    person("R_F", 7, [2, 4, 2, 4, 2, 4], attn=4),                           # 5 attention
    person("R_G", 8, [3, 1, 3, 1, 3, 1], duration=100.0),                   # 6 speeder
    person("R_H", 9, [3, 3, 3, 3, 3, 3]),                                   # 7 straight-liner (LSI 6)
    person("R_I", 10, [4, 1, 4, 1, 4, 1], markets="Germany (2016); UK (2017)"),       # 8 one continent
    person("R_J", 11, [1, 4, 1, 4, 1, 5], markets="China (2016); Germany (2017)"),    # 9 China is home
    person("R_K", 12, [2, 5, 2, 5, 2, 5], fshare=float("nan")),             # 10 share unknown
    person("R_L", 13, [5, 1, 5, 1, 5, 2], founded=2024, firstsale=2025),    # 11 one year abroad
]
CFG = {"straightlining": {"threshold": 5}, "outliers": {"enabled": True}}


def screen(frame, inst, cfg, **kwargs):
    """Screening with a partial ``screening`` section completed by the schema's defaults."""
    return screen_with(frame, inst, section_with_defaults("screening", cfg), **kwargs)


def test_longest_run_skips_missing():
    assert longest_run([1, 1, 2, 2, 2, float("nan"), 2, 3]) == 4
    assert longest_run([1, 2, 3]) == 1
    assert longest_run([float("nan")] * 3) == 0
    assert longest_run([]) == 0


def test_all_rules_in_order_hand_computed(inst):
    result = screen(frame_of(PEOPLE), inst, CFG, survey_year=2026, home_country="China")
    flow = result.flow
    # no Finished column here: the unfinished rule is a step that excludes nobody (and warns)
    assert flow["rule"].tolist() == [
        "unfinished", "duplicates", "eligibility:early_internationalisation", "eligibility:foreign_sales_share",
        "eligibility:continents", "eligibility:international_experience", "attention", "speeders",
        "straightlining", "outliers"]
    assert flow["n_before"].tolist() == [12, 12, 10, 9, 8, 6, 5, 4, 3, 2]
    assert flow["n_excluded"].tolist() == [0, 2, 1, 1, 2, 1, 1, 1, 1, 0]
    assert flow["n_after"].tolist() == [12, 10, 9, 8, 6, 5, 4, 3, 2, 2]
    assert flow["step"].tolist() == list(range(1, 11))
    assert result.retained["respondent_id"].tolist() == ["R_A", "R_D"]
    ex = result.exclusions
    got = {(r.respondent_id, r.rule, r.excluded): r.value for r in ex.itertuples()}
    assert got == {
        (" r_a", "duplicates", 1): "same id as R_A (row 2)",
        ("R_C", "duplicates", 1): "same responses as R_D (row 5)",
        ("R_E", "eligibility:early_internationalisation", 1): "5",
        ("R_E", "eligibility:foreign_sales_share", 0): "10",
        ("R_K", "eligibility:foreign_sales_share", 1): "NA",
        ("R_I", "eligibility:continents", 1): "1",
        ("R_J", "eligibility:continents", 1): "1",
        ("R_L", "eligibility:international_experience", 1): "1",
        ("R_F", "attention", 1): "ATTN1=4 (expected 2)",
        ("R_G", "speeders", 1): "100",
        ("R_H", "straightlining", 1): "6",
    }
    # one row per respondent x failed rule, in file order
    assert ex["respondent_id"].tolist() == [" r_a", "R_C", "R_E", "R_E", "R_F", "R_G", "R_H", "R_I", "R_J", "R_K",
                                            "R_L"]
    speed = next(r for r in result.report["rules"] if r["rule"] == "speeders")
    # entering the speeder step: R_A, R_D, R_G, R_H with 600, 600, 100, 600 s -> median 600, threshold 200
    assert speed["median_seconds"] == 600 and speed["threshold_seconds"] == pytest.approx(200)
    assert any("outliers" in w and "rule skipped" in w for w in result.report["warnings"])


def test_home_country_not_counted_only_when_configured(inst):
    result = screen(frame_of(PEOPLE), inst, CFG, survey_year=2026, home_country=None)
    failed = result.exclusions.query("rule == 'eligibility:continents'")["respondent_id"].tolist()
    assert failed == ["R_I"]


def test_disabled_rules_and_custom_order(inst):
    cfg = {"order": ["attention", "duplicates"], "attention": {"enabled": False},
           "straightlining": {"threshold": 5}}
    result = screen(frame_of(PEOPLE), inst, cfg, survey_year=2026)
    assert result.flow["rule"].tolist() == ["duplicates"]
    assert result.flow[["n_before", "n_excluded", "n_after"]].values.tolist() == [[12, 2, 10]]
    assert len(result.retained) == 10


def test_duplicates_fall_back_to_file_order_without_dates(inst):
    people = [dict(p) for p in PEOPLE[2:4]]
    for p in people:
        p["RecordedDate"] = None
    result = screen(frame_of(people), inst, {"order": ["duplicates"]}, survey_year=2026)
    assert result.exclusions["respondent_id"].tolist() == ["R_D"]
    assert result.exclusions["value"].tolist() == ["same responses as R_C (row 4)"]


def test_identical_straight_lines_are_not_duplicates(inst):
    people = [person("S1", 2, [3] * 6), person("S2", 3, [3] * 6), person("S3", 4, [1, 2, 3, 4, 5, 1])]
    people[1]["ATTN1"] = 2.0
    result = screen(frame_of(people), inst, {"order": ["duplicates"]}, survey_year=2026)
    assert result.exclusions.empty and len(result.retained) == 3


def test_attention_missing_answer_fails(inst):
    people = [dict(PEOPLE[0]), dict(PEOPLE[3])]
    people[1]["ATTN1"] = float("nan")
    result = screen(frame_of(people), inst, {"order": ["attention"]}, survey_year=2026)
    assert result.exclusions[["respondent_id", "value"]].values.tolist() == [["R_D", "ATTN1=NA (expected 2)"]]


def test_speeders_fixed_seconds(inst):
    people = [dict(p) for p in PEOPLE[:4]]
    people[0][DUR] = 119.0
    people[1][DUR] = 120.0
    cfg = {"order": ["speeders"], "speeders": {"threshold": 120, "relative_to_median": False}}
    result = screen(frame_of(people), inst, cfg, survey_year=2026)
    assert result.exclusions["respondent_id"].tolist() == ["R_A"]


def test_straightlining_threshold_is_inclusive(inst):
    people = [person("X1", 2, [3, 3, 3, 3, 1, 2]), person("X2", 3, [3, 3, 3, 1, 1, 2]),
              person("X3", 4, [1, 2, 3, 4, 5, 1])]
    # LSI: X1 = 4 (ATTN1 between AAA3 and BBB1 is not a rated item), X2 = 3, X3 = 1
    result = screen(frame_of(people), inst, {"order": ["straightlining"], "straightlining": {"threshold": 4}},
                    survey_year=2026)
    assert result.exclusions[["respondent_id", "value"]].values.tolist() == [["X1", "4"]]


def _outlier_data():
    rng = np.random.default_rng(7)
    base = rng.normal(0, 1, size=(60, 1))
    data = 4 + base + rng.normal(0, 0.6, size=(60, 6))
    data[5] = [4, 4, 4, 4, 4, 4] + np.array([3, -3, 3, -3, 3, -3]) * 0.9  # far off the common factor
    people = [person(f"M{i:02d}", i + 2, data[i]) for i in range(60)]
    return people, data


def _pairwise_reference(data):
    """Item means over available answers; covariances over rows answering both items (ddof 1)."""
    k = data.shape[1]
    mean = np.array([np.nanmean(data[:, j]) for j in range(k)])
    cov = np.empty((k, k))
    for a in range(k):
        for b in range(k):
            both = ~np.isnan(data[:, a]) & ~np.isnan(data[:, b])
            x, y = data[both, a], data[both, b]
            cov[a, b] = ((x - x.mean()) * (y - y.mean())).sum() / (both.sum() - 1)
    return mean, cov


def test_mahalanobis_against_scipy_complete_data(inst):
    people, data = _outlier_data()
    frame = frame_of(people)
    d2, df, info = mahalanobis_squared(frame, kit.RATED, frame.index)
    inv = np.linalg.inv(np.cov(data, rowvar=False))
    mean = data.mean(axis=0)
    for i in range(60):
        assert d2[i] == pytest.approx(mahalanobis(data[i], mean, inv) ** 2, rel=1e-9)
        assert df[i] == 6
    assert info["n_complete_cases"] == 60
    result = screen(frame, inst, {"order": ["outliers"], "outliers": {"threshold": 0.001}}, survey_year=2026)
    p = chi2.sf(d2.to_numpy(), df.to_numpy())
    expected_out = [f"M{i:02d}" for i in range(60) if p[i] < 0.001]
    assert expected_out == ["M05"]  # the planted outlier, and only it
    assert result.exclusions["respondent_id"].tolist() == expected_out
    value = result.exclusions["value"].iloc[0]
    assert value.startswith(f"D2={d2[5]:.6g}, df=6, p=")


def test_mahalanobis_with_missing_answers_pairwise(inst):
    people, data = _outlier_data()
    holes = [(10, 1), (11, 1), (12, 4), (20, 0), (20, 5), (33, 2)]
    for i, j in holes:
        people[i][kit.RATED[j]] = float("nan")
        data[i, j] = np.nan
    frame = frame_of(people)
    d2, df, info = mahalanobis_squared(frame, kit.RATED, frame.index)
    mean, cov = _pairwise_reference(data)
    for i in range(60):
        keep = np.flatnonzero(~np.isnan(data[i]))
        sub_inv = np.linalg.inv(cov[np.ix_(keep, keep)])
        assert d2[i] == pytest.approx(mahalanobis(data[i, keep], mean[keep], sub_inv) ** 2, rel=1e-9)
        assert df[i] == len(keep)
    assert df[20] == 4 and info["n_complete_cases"] == 55 and info["n_fit"] == 60
    assert info["min_pairwise_n"] == 57  # e.g. items 1 and 4: rows 10, 11 and 12 lack one of them


def test_outliers_skipped_with_warning_when_too_few_cases(inst):
    people, _ = _outlier_data()
    result = screen(frame_of(people[:7]), inst, {"order": ["outliers"]}, survey_year=2026)
    assert result.flow["n_excluded"].tolist() == [0]
    assert result.report["warnings"] == [
        "outliers: Mahalanobis distance not computed (7 respondents for 6 items); rule skipped"]


def test_pipeline_writes_screening_files(tmp_path):
    scales = kit.write_scales(tmp_path / "scales")
    records = kit.rows(6)
    records[2]["ATTN1"] = "1"
    records[4]["FSHARE"] = "20"
    path = kit.write_qualtrics(tmp_path / "s.csv", records)
    

    results = tmp_path / "results"
    kit.run_data_stage(kit.config_for(scales, path), results)
    flow = pd.read_csv(results / "screening" / "flow.csv")
    assert list(flow.columns) == ["step", "rule", "n_before", "n_excluded", "n_after"]
    assert flow.set_index("rule").loc["eligibility:foreign_sales_share", "n_excluded"] == 1
    assert flow.set_index("rule").loc["attention", "n_excluded"] == 1
    assert flow["n_after"].iloc[-1] == 4
    ex = pd.read_csv(results / "screening" / "exclusions.csv")
    assert ex[["respondent_id", "rule"]].values.tolist() == [["R_0002", "attention"],
                                                             ["R_0004", "eligibility:foreign_sales_share"]]
    analysis = pd.read_csv(results / "clean" / "analysis.csv")
    assert analysis["respondent_id"].tolist() == ["R_0000", "R_0001", "R_0003", "R_0005"]
    report = json.loads((results / "screening" / "screening.json").read_text())
    assert report["synthetic"] is False and report["n_retained"] == 4 and report["n_screened"] == 6
    assert not math.isnan(analysis["AAA3"].iloc[0])


def test_unfinished_responses_are_excluded(inst):
    people = [dict(p) for p in PEOPLE[:4]]
    frame = frame_of(people)
    frame["Finished"] = [1.0, 0.0, np.nan, 1.0]  # a missing flag is not evidence of an unfinished response
    result = screen(frame, inst, {"order": ["unfinished"]}, survey_year=2026)
    assert result.exclusions[["respondent_id", "value"]].values.tolist() == [[" r_a", "Finished=0"]]
    assert result.flow[["rule", "n_before", "n_excluded", "n_after"]].values.tolist() == [["unfinished", 4, 1, 3]]


def test_unfinished_rule_skipped_with_warning_without_the_column(inst):
    result = screen(frame_of([dict(PEOPLE[0])]), inst, {"order": ["unfinished"]}, survey_year=2026)
    assert result.report["warnings"] == ["unfinished: column 'Finished' not in the data; rule skipped"]
    assert len(result.retained) == 1
