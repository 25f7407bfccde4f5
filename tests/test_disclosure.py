"""Small-group suppression: primary below the threshold, complementary beside a lone one."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cxlab.stats.disclosure import pulse_suppression, respondents, suppressed


def test_primary_and_complementary_suppression_by_hand():
    counts = pd.Series({"a": 3, "b": 12, "c": 7, "d": 0})
    # a is below 5; alone it could be recovered from the total, so c (the smallest shown) goes.
    assert suppressed(counts, 5).to_dict() == {"a": True, "b": False, "c": True, "d": False}
    # Two small groups of 3 and 4 together hold 7, enough: nothing more is hidden.
    assert suppressed(pd.Series({"a": 3, "b": 4, "c": 9}), 5).tolist() == [True, True, False]
    # But 1 and 2 together are 3 people, recoverable from the total: the next one goes too.
    assert suppressed(pd.Series({"a": 1, "b": 2, "c": 9, "d": 12}), 5).tolist() == [
        True, True, True, False]
    assert not suppressed(pd.Series({"a": 5, "b": 6}), 5).any()


def test_complementary_suppression_stays_within_each_parent():
    counts = pd.Series({"t1": 2, "t2": 20, "t3": 9, "t4": 6, "t5": 8})
    parent = pd.Series({"t1": "D1", "t2": "D1", "t3": "D1", "t4": "D2", "t5": "D2"})
    assert suppressed(counts, 5, parent).to_dict() == {
        "t1": True, "t2": False, "t3": True, "t4": False, "t5": False}


@given(st.lists(st.integers(0, 30), min_size=1, max_size=12), st.integers(1, 10),
       st.lists(st.integers(0, 3), min_size=12, max_size=12))
def test_no_parent_ever_has_exactly_one_hidden_group(sizes, min_n, parents):
    counts = pd.Series(sizes, index=[f"g{i}" for i in range(len(sizes))])
    parent = pd.Series(parents[:len(sizes)], index=counts.index)
    hidden = suppressed(counts, min_n, parent)
    assert hidden[(counts > 0) & (counts < min_n)].all()  # every small group is hidden
    assert not hidden[counts == 0].any()
    for _, members in hidden.groupby(parent):
        mine = counts[members.index]
        n_hidden, n_groups = int(members.sum()), int((mine > 0).sum())
        if n_hidden and n_hidden < n_groups:
            # What subtraction gives back is the hidden groups together: two or more groups,
            # with at least min_n respondents between them.
            assert n_hidden >= 2 and mine[members].sum() >= min_n


def test_respondents_count_people_once_and_anonymous_answers_each():
    rows = pd.DataFrame({"team": ["A", "A", "A", "A", "B"],
                         "employee_id": ["E1", "E1", "E2", None, None]})
    assert respondents(rows, "team").to_dict() == {"A": 3, "B": 1}


def test_a_department_hidden_for_another_hides_its_teams():
    department_of = pd.Series({"t1": "D1", "t2": "D2", "t3": "D2", "t4": "D3"})
    rows = pd.DataFrame({"team": ["t1"] * 3 + ["t2"] * 6 + ["t3"] * 6 + ["t4"] * 20,
                         "employee_id": [f"E{i}" for i in range(35)]})
    departments, teams = pulse_suppression(rows, department_of, 5)
    # D1 (3) is small; D2 (12) is the smallest other department, so it is hidden as well, and
    # its teams with it: t2 + t3 would otherwise give D2 back, and then D1 from the total.
    assert departments.to_dict() == {"D1": True, "D2": True, "D3": False}
    assert teams.to_dict() == {"t1": True, "t2": True, "t3": True, "t4": False}


def test_grouped_min_n_hides_small_groups_with_the_same_rule():
    import cxlab

    rng = np.random.default_rng(1)
    data = pd.DataFrame({"team": ["A"] * 3 + ["B"] * 40 + ["C"] * 8,
                         "enps": rng.integers(0, 11, 51)})
    out = cxlab.grouped(data, "enps", by="team", min_n=5).set_index("team")
    assert out["suppressed"].to_dict() == {"A": True, "B": False, "C": True}
    assert out.loc[["A", "C"], ["value", "se", "ci_low", "ci_high"]].isna().all().all()
    assert np.isfinite(out.loc["B", "value"])
    assert "suppressed" not in cxlab.grouped(data, "enps", by="team").columns
    with pytest.raises(ValueError, match="at least 1"):
        cxlab.grouped(data, "enps", by="team", min_n=0)


def test_a_client_threshold_above_the_pulse_hides_every_employee_result(sample_study):
    from cxlab.report import scorecard
    from cxlab.report.voice import themes_table, topics_table, voice_by_group

    study = sample_study("evergreen", "2026Q3", settings={"min_group_size": 100_000})
    card = scorecard(study)
    assert card.loc["eNPS (points)", "2026Q3"].startswith("hidden")
    assert card.loc["eNPS (points)"].iloc[-2:].tolist() == ["no comparison"] * 2
    assert card.loc["NPS (points)", "2026Q3"] != "hidden (too few respondents)"
    for by in ("team", "department"):
        table = voice_by_group(study, by)
        assert table.map(lambda v: v.startswith("hidden")).all().all()
    for table in (themes_table(study), topics_table(study)):
        assert "Hidden for confidentiality" in table.data
    from cxlab.maturity.assessment import facts

    assert not any("Lowest eNPS" in f for f in facts(study, []))
    default = sample_study("evergreen", "2026Q3")
    assert any("Lowest eNPS" in f for f in facts(default, []))


def test_settings_reject_a_threshold_below_one():
    from cxlab import config

    with pytest.raises(ValueError, match="min_group_size.*at least 1"):
        config.check_settings({"min_group_size": 0}, "studies.yml: clients.acme.settings")
    with pytest.raises(ValueError, match="must be int"):
        config.check_settings({"min_group_size": "5"}, "here")


def test_grouped_min_n_can_count_people_rather_than_answers():
    import cxlab

    data = pd.DataFrame({"team": ["A"] * 6 + ["B"] * 12 + ["C"] * 7,
                         "employee_id": ["E1"] * 6 + [f"B{i}" for i in range(12)]
                         + [f"C{i}" for i in range(5)] + [None, None],
                         "enps": [9] * 25})
    by_answers = cxlab.grouped(data, "enps", by="team", min_n=5).set_index("team")
    assert not by_answers["suppressed"].any()  # six answers... from one person
    by_people = cxlab.grouped(data, "enps", by="team", min_n=5, respondent="employee_id")
    assert by_people.set_index("team")["suppressed"].to_dict() == {"A": True, "B": False,
                                                                   "C": True}
    with pytest.raises(KeyError, match="respondent='who'"):
        cxlab.grouped(data, "enps", by="team", min_n=5, respondent="who")


def test_group_results_of_the_pulse_follow_the_threshold(sample_study):
    from cxlab.report import group_frame

    study = sample_study("evergreen", "2026Q3", settings={"min_group_size": 6})
    rows = study.rows("employee_responses")
    people = rows.groupby("team")["employee_id"].agg(lambda e: e.nunique() + e.isna().sum())
    shown = group_frame(study, "team", "enps")
    assert len(shown) and (people[shown["team"]] >= 6).all()
    assert not set(shown["team"]) & set(people[people < 6].index)
    assert group_frame(sample_study("evergreen", "2026Q3", settings={"min_group_size": 10_000}),
                       "team", "enps").empty


def test_pulse_groups_by_department_count_anonymous_answers_like_the_voice_table(sample_study):
    from cxlab.report import group_frame
    from cxlab.report.voice import voice_by_group

    study = sample_study("cedar", "2026Q3")
    shown = group_frame(study, "department", "enps").set_index("department")
    table = voice_by_group(study, "department")
    assert len(shown) >= 2
    for department, row in shown.iterrows():
        answers = table.loc[department, "Answers"]
        assert not answers.startswith("hidden") and int(answers) == row["n"] + row["n_missing"]
