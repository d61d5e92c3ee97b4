"""The synthetic survey: determinism, Qualtrics shape, data problems at their configured rates,
consistency of the outcomes with the market histories, and recovery of the population truth.

References: the config's population model (``simulate:``) and :func:`population_truth`;
OLS by statsmodels for the recovery checks (tolerances are sampling-based and stated beside them).
"""

from __future__ import annotations

import copy
import csv
import io
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from surveysem.cli import main
from surveysem.config import load_config
from surveysem.errors import SurveySemError
from surveysem.instrument.scales import load_instrument
from surveysem.data.markets import parse_market_history
from surveysem.outcomes.firms import firm_outcomes
from surveysem.outcomes.measures import country_key
from surveysem.simulate import (
    METADATA_COLUMNS,
    PII_COLUMNS,
    build_model,
    population_truth,
    simulate,
)

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / ".test" / "config_fiml" / "config.yaml"  # the shipped population model, n = 150
PROFILE_NUMERIC = ["FOUNDED", "FIRSTSALE", "FSHARE", "SIZE", "SECTOR", "TECH", "CUSTOMER"]


@pytest.fixture(scope="module")
def config():
    return load_config(CONFIG)


@pytest.fixture(scope="module")
def inst(config):
    return load_instrument(ROOT / config["instrument"]["scales_dir"])


@pytest.fixture(scope="module")
def small(config, inst):
    return simulate(config, n=60, seed=7, inst=inst)


@pytest.fixture(scope="module")
def medium(config, inst):
    return simulate(config, n=800, seed=11, inst=inst)


@pytest.fixture(scope="module")
def large(config, inst):
    return simulate(config, n=3000, seed=2026, inst=inst)


def _profile(frame: pd.DataFrame) -> pd.DataFrame:
    prof = frame[["ResponseId", "MARKETS"] + PROFILE_NUMERIC].replace("", np.nan).rename(
        columns={"ResponseId": "respondent_id"})
    for col in PROFILE_NUMERIC:
        prof[col] = pd.to_numeric(prof[col])
    return prof


def _items(frame: pd.DataFrame, inst) -> pd.DataFrame:
    return frame[inst.item_ids].replace("", np.nan).apply(pd.to_numeric)


# --------------------------------------------------------------------------- determinism and shape


def test_same_seed_same_bytes_via_cli(tmp_path, capsys):
    a, b, c = tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "c.csv"
    assert main(["simulate", "--config", str(CONFIG), "--out", str(a), "--n", "60", "--seed", "5"]) == 0
    assert main(["simulate", "--config", str(CONFIG), "--out", str(b), "--n", "60", "--seed", "5"]) == 0
    assert main(["simulate", "--config", str(CONFIG), "--out", str(c), "--n", "60", "--seed", "6"]) == 0
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() != c.read_bytes()
    assert "60 synthetic firms" in capsys.readouterr().out


def test_fast_draws_are_numpys_draws():
    """The simulator's own categorical draws consume the random stream exactly as the numpy calls
    they replace (the seed's meaning, and so the bundled file, must not change): the same values,
    and the generator left in the same state."""
    from surveysem.simulate.draw import _cdf, _pick_cdf, _picks, _sample_without_replacement

    gen = np.random.default_rng(3)
    for t in range(3000):
        k = int(gen.integers(1, 30))
        w = gen.random(k) ** 3
        if t % 3 == 0:
            w[gen.random(k) < 0.3] = 0.0
        if not w.any():
            continue
        p = w / w.sum()
        size = int(gen.integers(1, np.count_nonzero(p) + 1))
        seed = int(gen.integers(2 ** 31))
        ours, theirs = np.random.default_rng(seed), np.random.default_rng(seed)
        assert _pick_cdf(ours, _cdf(p)) == theirs.choice(k, p=p)
        np.testing.assert_array_equal(_sample_without_replacement(ours, p, size),
                                      theirs.choice(k, size=size, replace=False, p=p))
        keys = list(range(10, 10 + k))
        np.testing.assert_array_equal(_picks(ours, keys, p, 7), [keys[theirs.choice(k, p=p)] for _ in range(7)])
        assert ours.random() == theirs.random()


def test_clean_respondents_reads_cells_as_pandas_does(small, inst):
    """known_truth's one-pass decoding of the item cells gives pandas' column-by-column
    ``to_numeric`` values and integer dtypes, and other texts fall back to pandas."""
    from surveysem.simulate.known_truth import _decoded

    frame = small.frame()
    ids = [it.id for it in inst.items]
    frame.loc[3, ids[0]] = "-99"
    for f in (frame, frame.assign(**{ids[1]: "2.5"}), frame.assign(**{ids[2]: " 3"})):
        x, integer = _decoded(f, ids)
        raw = f[ids].apply(pd.to_numeric, errors="coerce")
        np.testing.assert_array_equal(x, raw.to_numpy(dtype=float))
        assert list(integer) == [raw[c].dtype.kind == "i" for c in ids]
    assert not _decoded(frame, ids)[1].all() and _decoded(frame, ids)[1].any()


def test_cli_bad_input_is_one_line(tmp_path, capsys):
    assert main(["simulate", "--config", str(CONFIG), "--out", str(tmp_path / "x.csv"), "--n", "3"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("surveysem simulate: error:") and "\n" not in err
    assert main(["simulate", "--config", str(tmp_path / "none.yaml"), "--out", str(tmp_path / "x.csv")]) == 1
    assert "config file not found" in capsys.readouterr().err


def test_config_errors_name_the_key(config, inst):
    bad = copy.deepcopy(config)
    bad["simulate"]["effects"]["spread"]["XYZ"] = 0.1
    with pytest.raises(SurveySemError, match=r"simulate\.effects\.spread\.XYZ"):
        build_model(bad, inst)
    bad = copy.deepcopy(config)
    bad["simulate"]["outcomes"]["countries"]["Atlantis"] = 1
    with pytest.raises(SurveySemError, match="Atlantis"):
        build_model(bad, inst)
    bad = copy.deepcopy(config)
    bad["simulate"]["oie"]["correlation_with_processes"] = 0.99
    with pytest.raises(SurveySemError, match="positive definite"):
        build_model(bad, inst)


def test_three_header_rows_and_columns(small, inst):
    rows = list(csv.reader(io.StringIO(small.to_csv())))
    header, wording, import_ids = rows[0], rows[1], rows[2]
    assert header[: len(METADATA_COLUMNS)] == METADATA_COLUMNS
    assert header[:17] == ["StartDate", "EndDate", "Status", "IPAddress", "Progress", "Duration (in seconds)",
                           "Finished", "RecordedDate", "ResponseId", "RecipientLastName", "RecipientFirstName",
                           "RecipientEmail", "ExternalReference", "LocationLatitude", "LocationLongitude",
                           "DistributionChannel", "UserLanguage"]
    assert set(inst.declared_columns) <= set(header)
    assert len(header) == len(set(header)) == len(wording) == len(import_ids)
    for cell in import_ids:
        assert "ImportId" in json.loads(cell)
    assert json.loads(import_ids[header.index("PDC1")])["ImportId"].startswith("QID")
    pdc1 = inst.item("PDC1")
    assert wording[header.index("PDC1")].endswith(pdc1.wording)
    assert len(rows) == 3 + 60 + 2  # 60 firms + 2 duplicate submissions (config)


def test_pii_columns_present_and_obviously_fake(small):
    frame = small.frame()
    for col in PII_COLUMNS:
        assert col in frame.columns
    emails = frame.RecipientEmail[frame.RecipientEmail != ""]
    assert len(emails) > 0 and emails.str.endswith("@example.com").all()
    assert frame.IPAddress.str.match(r"^(192\.0\.2|198\.51\.100|203\.0\.113)\.\d+$").all()
    assert pd.to_numeric(frame.LocationLatitude).between(18, 45).all()


def test_reads_back_as_qualtrics_and_validates(tmp_path, small, inst, config):
    from surveysem.data.readers import read_survey
    from surveysem.data.validation import validate

    path = tmp_path / "survey_synthetic.csv"
    path.write_text(small.to_csv(), encoding="utf-8")
    table = read_survey(path, "qualtrics")
    assert table.frame.shape[0] == 62
    result = validate(table, inst, config["data"], study_cfg=config["study"], screening_cfg=config["screening"])
    assert result.problems == []


# --------------------------------------------------------------------------- data problems at their rates


def test_careless_counts_and_signatures(medium, inst, config):
    n = medium.n
    care = config["simulate"]["careless"]
    firms = medium.firms[~medium.firms.duplicate]
    kinds = firms.careless.value_counts().to_dict()
    for kind, key in (("straightliner", "straightliners"), ("random", "random"),
                      ("attention_failure", "attention_failures"), ("speeder", "speeders")):
        assert kinds.get(kind, 0) == round(care[key] * n)
    frame = medium.frame()
    items = _items(frame, inst).where(lambda x: x > 0)
    attn = [it for it in inst.items if it.expected is not None][0]
    is_kind = medium.firms.careless.values
    straight = items[is_kind == "straightliner"].drop(columns=attn.id)
    assert (straight.nunique(axis=1) == 1).all()
    assert (items.loc[is_kind == "attention_failure", attn.id] != attn.expected).all()
    attentive = (is_kind == "") & ~medium.firms.unfinished.values
    assert (items.loc[attentive, attn.id] == attn.expected).all()
    duration = pd.to_numeric(frame["Duration (in seconds)"])
    assert (duration[is_kind == "speeder"] <= 200).all()
    assert duration[attentive].median() == pytest.approx(config["simulate"]["fieldwork"]["duration_median"], rel=0.1)


def test_missingness_near_target(medium, inst, config):
    miss = config["simulate"]["missing"]
    frame = medium.frame()
    done = ~medium.firms.unfinished.values
    attn = {it.id for it in inst.items if it.expected is not None}
    cells = frame.loc[done, [i for i in inst.item_ids if i not in attn]]
    missing = (cells == "") | (cells == str(miss["code"]))
    size = pd.to_numeric(frame.loc[done, "SIZE"]).to_numpy()
    p = 1 - (1 - miss["mcar"]) * (1 - np.array([miss["mar_by_size"][int(s)] for s in size]))
    expected = p.mean()
    se = np.sqrt(expected * (1 - expected) / missing.size)
    assert abs(missing.to_numpy().mean() - expected) < 4 * se  # binomial SE, 4 SE
    # MAR: micro firms skip more items than medium-sized ones
    by_size = missing.mean(axis=1).groupby(size).mean()
    assert by_size[1] > by_size[3]
    coded = (cells == str(miss["code"])).to_numpy().sum() / missing.to_numpy().sum()
    assert abs(coded - miss["code_share"]) < 0.05  # about 300 missing cells: SE about 0.017
    unfinished = frame.loc[~done]
    assert len(unfinished) == round(miss["unfinished"] * medium.n)
    assert (unfinished.Finished == "0").all() and (pd.to_numeric(unfinished.Progress) < 100).all()


def test_duplicates_repeat_a_submission(medium, inst):
    frame = medium.frame()
    firms = medium.firms
    dup = firms[firms.duplicate]
    assert len(dup) == 2
    answers = inst.item_ids + ["FOUNDED", "MARKETS", "FSHARE"]
    for _, d in dup.iterrows():
        same = firms.index[(firms.firm == d.firm)]
        a, b = frame.loc[same[0]], frame.loc[same[1]]
        assert (a[answers] == b[answers]).all() and a.IPAddress == b.IPAddress
        assert a.ResponseId != b.ResponseId
    assert frame.ResponseId.is_unique


def test_eligibility_violations_as_configured(medium, inst, config):
    year = config["study"]["survey_year"]
    frame = medium.frame()
    keep = ~medium.firms.duplicate.values
    prof = _profile(frame)[keep]
    continent = dict(zip(inst.regions["country"].map(country_key), inst.regions["continent"]))
    continents = [len({continent[country_key(c)] for c, _ in parse_market_history(t)}) for t in prof.MARKETS]
    rules = pd.DataFrame({
        "late_first_sale": prof.FIRSTSALE - prof.FOUNDED > 3,
        "low_foreign_share": prof.FSHARE < 25,
        "one_continent": np.array(continents) < 2,
        "short_experience": year - prof.FIRSTSALE < 2,
    })
    truth = medium.firms.ineligible[keep].to_numpy()
    assert (rules.any(axis=1).to_numpy() == (truth != "")).all()
    for kind in rules.columns:
        assert (rules[kind].to_numpy() == (truth == kind)).all()
    assert (truth != "").sum() == round(config["simulate"]["ineligible"]["share"] * medium.n)


# --------------------------------------------------------------------------- outcomes


def test_outcomes_consistent_with_markets_and_table1_ranges(medium, inst, config):
    year = config["study"]["survey_year"]
    frame = medium.frame()
    prof = _profile(frame)
    out = firm_outcomes(prof, inst, year, "China")
    assert (out.n_countries.to_numpy() == medium.firms.n_countries.to_numpy()).all()
    assert (out.diversification.to_numpy() == medium.firms.n_regions.to_numpy()).all()
    for text, first in zip(prof.MARKETS, prof.FIRSTSALE):
        entry_years = [y for _, y in parse_market_history(text)]
        assert min(entry_years) == first and max(entry_years) <= year
    eligible = (medium.firms.ineligible == "").to_numpy()
    q = out[eligible].quantile([0.05, 0.95], numeric_only=True)
    assert 0.3 <= q.loc[0.05, "spread"] and q.loc[0.95, "spread"] <= 3.3  # Table 1: 0.3-3.3
    assert 2 <= q.loc[0.05, "diversification"] and q.loc[0.95, "diversification"] <= 6  # Table 1: 2-6
    assert out.intensity[eligible].dropna().between(0.25, 1.0).all()  # Table 1: 25%-100%
    assert set(out.group.dropna().unique()) == {1, 2, 3}


# --------------------------------------------------------------------------- population truth and recovery


def test_population_truth(config, inst):
    truth = population_truth(config, inst)
    assert truth["null_effects"] == [{"outcome": "spread", "predictor": "CUS"}]
    assert truth["effects"]["spread"]["CUS"] == 0.0
    assert truth["interaction"]["spread"]["ECP:SOE"] < 0
    for o in ("spread", "diversification", "intensity"):  # multipliers average 1 over the population
        mean = sum(truth["group_shares"][g] * truth["group_multipliers"][g][o] for g in (1, 2, 3))
        assert mean == pytest.approx(1.0, abs=1e-12)
    assert truth["group_multipliers"][1]["spread"] > truth["group_multipliers"][2]["spread"]
    assert truth["group_multipliers"][3]["intensity"] > truth["group_multipliers"][1]["intensity"]
    for p in ("sensing", "seizing", "reconfiguring"):  # P4: every process relates to every outcome
        assert all(v > 0 for v in truth["process_outcome_correlations"][p].values())
    # standardized effect = raw effect / analytic SD
    raw = config["simulate"]["effects"]["spread"]["PDC"]
    assert truth["effects"]["spread"]["PDC"] == pytest.approx(raw / truth["outcome_sd"]["spread"], abs=1e-12)


def test_latent_recovery(large, config, inst):
    """OLS on the drawn latent scores recovers the analytic truth (n = 3000: SE about 0.02)."""
    truth = population_truth(config, inst)
    f = large.firms[~large.firms.duplicate]
    for o in ("spread", "diversification", "intensity"):
        assert f[f"z_{o}"].var() == pytest.approx(1.0, abs=0.1)  # analytic SD standardizes
    caps = inst.constructs_of_kind("capability")
    X = pd.DataFrame({c.id: f[f"eta_{c.id}"] for c in caps})
    X["ECP:SOE"] = X.ECP * X.SOE
    fit = sm.OLS(f.z_spread.to_numpy(), sm.add_constant(X)).fit()
    for c in ("PDC", "SOE", "ECP", "CUS"):
        assert fit.params[c] == pytest.approx(truth["effects"]["spread"][c], abs=0.07)  # ~3 SE
    assert fit.params["ECP:SOE"] == pytest.approx(truth["interaction"]["spread"]["ECP:SOE"], abs=0.07)
    fit = sm.OLS(f.z_intensity.to_numpy(), sm.add_constant(X.drop(columns="ECP:SOE"))).fit()
    for c in ("EFT", "TEC", "BMM", "ICO", "PDC", "CUS"):
        assert fit.params[c] == pytest.approx(truth["effects"]["intensity"][c], abs=0.07)
    # P4: correlations of the process factors with the outcome propensities (SE about 0.017)
    for p, row in truth["process_outcome_correlations"].items():
        for o, r in row.items():
            assert f[f"eta_{p}"].corr(f[f"z_{o}"]) == pytest.approx(r, abs=0.06)
    # second-order loadings: corr(capability, its process factor) = loading
    for c in caps:
        proc = c.process
        assert f[f"eta_{c.id}"].corr(f[f"eta_{proc}"]) == pytest.approx(truth["second_order_loadings"][c.id], abs=0.05)


def test_observed_recovery(large, config, inst):
    """From the exported items and market histories: the hypothesized signs come back."""
    frame = large.frame()
    f = large.firms
    keep = ((f.careless == "") & ~f.duplicate & ~f.unfinished).to_numpy()
    items = _items(frame, inst).where(lambda x: x > 0)
    raw = items.copy()
    for it in inst.reverse_keyed:
        sc = inst.scale_of_item(it)
        items[it] = sc.min + sc.max - items[it]
    # reverse-keyed items are generated as reversed responses
    assert raw[keep].PDC1.corr(raw[keep].PDC5) < 0 < items[keep].PDC1.corr(items[keep].PDC5)
    scores = pd.DataFrame({c.id: items[[i.id for i in c.items]].mean(axis=1) for c in inst.constructs.values()
                           if c.kind != "attention"})
    scores = (scores - scores.mean()) / scores.std()
    out = firm_outcomes(_profile(frame), inst, config["study"]["survey_year"], "China")
    d = pd.concat([scores, out[["spread", "diversification", "intensity", "age"]]], axis=1)[keep].dropna()
    X = d[["PDC", "SOE", "ECP", "CUS"]].assign(**{"ECP:SOE": d.ECP * d.SOE,
                                                   "log_age": np.log(d.age.astype(float) + 1)})
    fit = sm.OLS(np.log(d.spread), sm.add_constant(X)).fit()
    assert min(fit.params[["PDC", "SOE", "ECP"]]) > 0 and fit.params["ECP:SOE"] < 0
    # CUS: true zero; composites carry measurement error, so a small proxy effect remains
    assert abs(fit.params["CUS"]) < 0.4 * min(fit.params[["PDC", "SOE", "ECP"]])
    fit = sm.OLS(d.diversification.astype(float), sm.add_constant(d[["CCA", "ODV", "TOC"]])).fit()
    assert (fit.params[["CCA", "ODV", "TOC"]] > 0).all()
    fit = sm.OLS(d.intensity, sm.add_constant(d[["EFT", "TEC", "BMM", "ICO"]])).fit()
    assert (fit.params[["EFT", "TEC", "BMM", "ICO"]] > 0).all()
    # marker unrelated to capabilities except through the small method factor; OIE moderately related
    caps = [c.id for c in inst.constructs_of_kind("capability")]
    cap_mean = d[caps].mean(axis=1)
    assert abs(d.MARKER.corr(cap_mean)) < 0.15
    assert d.OIE_RSP.corr(cap_mean) > 0.15


@pytest.mark.parametrize("name", ["config_small", "config_fiml"])
def test_test_surveys_are_their_configured_draws(name, inst):
    """.test/data/*.csv are exactly what their config's simulate: section draws.

    If this fails after a change to the simulator or to scales/, regenerate the file with
    ``surveysem simulate --config .test/<name>/config.yaml --out .test/data/<survey>`` (the
    bundled data/survey_synthetic.csv likewise from config/config.yaml: README.md, "The surveysem command").
    """
    config = load_config(ROOT / ".test" / name / "config.yaml")
    test_survey = ROOT / config["data"]["survey"]
    assert "synthetic" in test_survey.name and config["data"]["synthetic"] is True
    expected = simulate(config, inst=inst).to_csv().encode("utf-8")
    assert test_survey.read_bytes() == expected, f"{test_survey} is stale: regenerate it (see the docstring)"
