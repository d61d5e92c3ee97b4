"""One replication: its own seed, the pipeline's verdict rows, and a model that fails is counted."""

import pandas as pd
import pytest
from survey_kit import test_config as fiml_test_config

from surveysem.errors import SurveySemError
from surveysem.power import replicate as rep
from surveysem.power.summarise import power_table


@pytest.fixture(scope="module")
def study():
    cfg = fiml_test_config()
    cfg["power"].update(propositions=["P1", "P4"])
    return rep.power_study(cfg)


def test_seeds_are_independent_of_the_split_and_distinct():
    seeds = {(n, r): rep.replication_seed(7, n, r) for n in (100, 150) for r in range(50)}
    assert len(set(seeds.values())) == 100
    assert rep.replication_seed(7, 100, 3) == seeds[(100, 3)]  # a pure function of (seed, n, r)


def test_a_study_has_n_clean_firms(study):
    analysis, outcomes = rep.draw_study(study, 60, rep.replication_seed(1, 60, 0))
    assert len(analysis) == 60 and analysis.respondent_id.is_unique
    assert set(outcomes.respondent_id) == set(analysis.respondent_id)


def test_a_failing_model_is_counted_not_fatal(study, monkeypatch):
    def fail(*args, **kwargs):
        raise SurveySemError("P4: the model cannot be estimated")

    monkeypatch.setattr(rep, "judge_p4", fail)
    rows = pd.DataFrame(rep.replicate(study, 60, 0))
    p4 = rows[rows.proposition == "P4"]
    assert list(p4.target) == ["P4", "P4a", "P4b", "P4c"]
    assert set(p4.verdict) == {"not estimable"} and set(p4.problem) == {"not estimable"}
    assert set(rows[rows.proposition == "P1"].target) == {"P1", "P1a", "P1b", "P1c", "P1d", "P1e"}
    power = power_table(rows, nulls=set()).set_index("target")
    assert power.loc["P4a", "converged"] == 0 and power.loc["P4a", "share_supported"] == 0.0
