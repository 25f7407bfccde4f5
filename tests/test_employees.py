"""Employee scorecards, the incentive audit and group flags: rules, hand checks, planted truth."""

import warnings

import numpy as np
import pandas as pd
import pytest

from cxlab import config
from cxlab.report import employees
from cxlab.report.tables import group_frame
from cxlab.run.matrix import MatrixError, load_matrix
from cxlab.stats import employees as employee_stats
from cxlab.stats import flag_groups, incentives

# ------------------------------------------------------------------------------------------
# Incentive audit


@pytest.mark.parametrize("client", ["bluebird", "driftwood"])
def test_audit_flags_the_planted_misaligned_incentives(sample_study, client):
    verdicts, tests = employee_stats.incentive_audit_frame(sample_study(client, "2026Q3"))
    verdict = verdicts.set_index("metric")["verdict"]
    assert verdict["calls_per_day"] == incentives.WRONG
    assert verdict["new_accounts"] == incentives.WRONG
    bad = tests[(tests["p_adj"] < 0.05) & ~tests["favourable"]]
    assert {("calls_per_day", "repeat_contact_rate"), ("new_accounts", "renewal_rate")} <= set(
        zip(bad["metric"], bad["outcome"], strict=True))


def test_audit_does_not_flag_a_plan_that_also_pays_for_renewals(sample_study):
    verdicts, _ = employee_stats.incentive_audit_frame(sample_study("northwind", "2026Q3"))
    verdict = verdicts.set_index("metric")["verdict"]
    assert verdict["new_accounts"] == incentives.NEUTRAL
    assert verdict["first_contact_resolution"] == incentives.ALIGNED
    assert incentives.WRONG not in set(verdict)


def test_association_is_the_within_team_slope_by_hand():
    frame = pd.DataFrame({
        "employee_id": list("abcdefgh"), "team": ["A"] * 4 + ["B"] * 4,
        "department": "Support",
        "calls_per_day": [1.0, 2.0, 3.0, 4.0, 2.0, 3.0, 4.0, 5.0],
        "repeat_contact_rate": [0.10, 0.14, 0.16, 0.22, 0.30, 0.31, 0.37, 0.40],
    })
    plan = pd.DataFrame({"department": ["Support"], "metric": ["calls_per_day"]})
    tests = incentives.associations(frame, plan)
    row = tests.iloc[0]
    z = (frame["calls_per_day"] - frame["calls_per_day"].mean()) / frame["calls_per_day"].std()
    zt = z - z.groupby(frame["team"]).transform("mean")
    yt = frame["repeat_contact_rate"] - frame["repeat_contact_rate"].groupby(
        frame["team"]).transform("mean")
    assert row["effect"] == pytest.approx((zt * yt).sum() / (zt**2).sum())
    assert not row["favourable"]  # more calls per day, more repeats: bad for customers


def test_classification_rules():
    plan = pd.DataFrame({"department": ["S", "S", "S", "S"],
                         "metric": ["calls_per_day", "csat", "tickets_closed", "orders_shipped"]})
    tests = pd.DataFrame({
        "metric": ["calls_per_day", "calls_per_day", "csat", "tickets_closed"],
        "outcome": ["repeat_contact_rate", "nps", "nps", "nps"],
        "favourable": [False, True, True, True], "p_adj": [0.01, 0.01, 0.30, 0.40]})
    verdict = incentives.classify(plan, tests).set_index("metric")["verdict"]
    assert verdict.to_dict() == {"calls_per_day": incentives.WRONG, "csat": incentives.ALIGNED,
                                 "tickets_closed": incentives.NEUTRAL,
                                 "orders_shipped": incentives.NOT_ASSESSED}


def test_employees_alone_in_their_team_are_left_out_without_warnings():
    frame = pd.DataFrame({
        "employee_id": list("abcdefg"), "team": ["A"] * 3 + ["B"] * 3 + ["C"],
        "department": "Support", "calls_per_day": [1.0, 2.0, 3.0, 2.0, 3.0, 4.0, 9.0],
        "repeat_contact_rate": [0.1, 0.2, 0.25, 0.2, 0.3, 0.33, 0.9]})
    plan = pd.DataFrame({"department": ["Support"], "metric": ["calls_per_day"]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tests = incentives.associations(frame, plan)
    assert tests.iloc[0]["n"] == 6 and tests.iloc[0]["n_teams"] == 2


def _support_team(seed: int, measure: str, values) -> pd.DataFrame:
    """Thirty support employees in three teams with one measure and a repeat-contact rate."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "employee_id": range(30), "team": rng.choice(["A", "B", "C"], 30),
        "department": "Support", measure: values(rng),
        "repeat_contact_rate": rng.uniform(0.1, 0.4, 30)})


def test_employees_without_a_team_or_a_value_are_left_out_of_the_audit():
    frame = _support_team(5, "calls_per_day", lambda rng: rng.normal(20, 3, 30))
    plan = pd.DataFrame({"department": ["Support"], "metric": ["calls_per_day"]})
    gaps = frame.copy()
    gaps.loc[[0, 1], "team"] = None
    gaps.loc[[2], "calls_per_day"] = np.nan
    gaps.loc[[3], "repeat_contact_rate"] = np.nan
    expected = incentives.associations(frame.drop(index=[0, 1, 2, 3]), plan)
    pd.testing.assert_frame_equal(incentives.associations(gaps, plan), expected)
    assert expected.iloc[0]["n"] == 26
    assert incentives.associations(frame.assign(team=None), plan).empty  # no team at all


def test_a_team_of_one_or_a_constant_metric_is_skipped_not_crashed():
    frame = pd.DataFrame({"employee_id": ["a", "b"], "team": ["A", "B"], "department": "Sales",
                          "new_accounts": [3.0, 3.0], "renewal_rate": [0.8, 0.7]})
    plan = pd.DataFrame({"department": ["Sales"], "metric": ["new_accounts"]})
    tests = incentives.associations(frame, plan)
    assert tests.empty
    assert incentives.classify(plan, tests)["verdict"].tolist() == [incentives.NOT_ASSESSED]


def test_formatted_audit_gives_evidence_for_every_metric(sample_study):
    table = employees.incentive_audit(sample_study("bluebird", "2026Q3"))
    assert "BH-adjusted" in table.loc["calls per day", "Evidence"]
    assert table["Evidence"].str.len().min() > 10


# ------------------------------------------------------------------------------------------
# Group flags (many groups, one truth)


def test_flags_find_a_real_outlier_and_few_false_alarms():
    rng = np.random.default_rng(5)
    n = np.full(60, 200)
    value = rng.normal(0.7, np.sqrt(0.21 / 200), 60)  # 60 groups with one true rate of 0.7
    value[0] = 0.85
    frame = pd.DataFrame({"value": value, "se": np.sqrt(value * (1 - value) / n), "n": n})
    flags = flag_groups(frame)
    assert flags.iloc[0] == "above"
    assert (flags.iloc[1:] != "").sum() <= 1


def test_team_chart_data_carries_bh_flags(sample_study):
    frame = group_frame(sample_study("northwind", "2026Q3"), "team", "nps")
    assert set(frame["flag"]) <= {"", "above", "below"}


# ------------------------------------------------------------------------------------------
# Scorecards: fairness rules


def test_names_are_hidden_unless_the_settings_allow_them(sample_study):
    hidden = employees.employee_scorecards(sample_study("cedar", "2026Q3"))
    shown = employees.employee_scorecards(
        sample_study("cedar", "2026Q3", settings={"show_employee_names": True}))
    roster = set(sample_study("cedar").tables["employees"]["display_name"])
    hidden_labels = set(hidden.index.get_level_values("Employee"))
    assert not hidden_labels & roster
    assert all(label.startswith("Employee ") for label in hidden_labels)
    assert set(shown.index.get_level_values("Employee")) <= roster


def test_employee_metrics_carry_no_names_unless_the_settings_allow_them(sample_study):
    study = sample_study("cedar", "2026Q3")
    roster = study.tables["employees"]
    frame = employee_stats.employee_metrics(study)
    assert "display_name" not in frame
    cells = set(frame.astype(str).to_numpy().ravel())
    assert not cells & set(roster["display_name"])
    assert frame["label"].str.startswith("Employee ").all()
    named = sample_study("cedar", "2026Q3", settings={"show_employee_names": True})
    shown = employee_stats.employee_metrics(named).set_index("employee_id")["label"]
    assert shown.to_dict() == roster.set_index("employee_id")["display_name"].to_dict()
    # The scorecards label employees as employee_metrics does.
    cards = employee_stats.scorecard_frame(named).set_index("employee_id")["label"]
    assert cards.to_dict() == shown[cards.index].to_dict()


def test_employee_frames_name_measures_as_the_registry_does(sample_study):
    from cxlab import measures

    study = sample_study("northwind", "2026Q3")
    data = employee_stats.employee_metrics(study)
    for name in (*config.SCORECARD_MEASURES, "renewal_rate"):
        assert measures.get(name).name == name and {name, f"{name}_n"} <= set(data), name
    assert {"csat_top2_k", "csat_top2_n"} <= set(data)
    assert not {"csat", "csat_k", "csat_n"} & set(data)
    frame = employee_stats.scorecard_frame(study)
    assert {f"csat_top2{s}" for s in ("_n", "_raw", "", "_low", "_high", "_goal")} <= set(frame)
    assert frame.attrs["rank_by"] == "csat_top2"
    verdicts, tests = employee_stats.incentive_audit_frame(study)
    assert set(tests["outcome"]) <= set(incentives.OUTCOMES)
    assert "csat_top2" in set(tests["outcome"])


def test_a_plan_paying_for_csat_is_audited_on_the_registrys_column():
    """A plan names CSAT by its column (client data): it is the column csat_top2."""
    frame = _support_team(3, "csat_top2", lambda rng: rng.uniform(0.5, 0.9, 30))
    plan = pd.DataFrame({"department": ["Support"], "metric": ["csat"]})
    tests = incentives.associations(frame, plan)
    assert tests[["metric", "outcome"]].values.tolist() == [["csat", "repeat_contact_rate"]]
    assert tests.iloc[0]["effect"] == pytest.approx(incentives.associations(
        frame, plan.assign(metric="csat_top2")).iloc[0]["effect"])
    # A frame of the old column names still has its CSAT tested as the outcome csat_top2.
    old = frame.rename(columns={"csat_top2": "csat"}).assign(
        calls_per_day=np.random.default_rng(4).normal(20, 3, 30))
    calls = pd.DataFrame({"department": ["Support"], "metric": ["calls_per_day"]})
    assert set(incentives.associations(old, calls)["outcome"]) == {
        "csat_top2", "repeat_contact_rate"}


def test_ranks_need_the_minimum_n_and_stay_within_the_team(sample_study):
    study = sample_study("northwind", "2026Q3", settings={"min_n_rank": 12})
    frame = employee_stats.scorecard_frame(study)
    ranked = frame.dropna(subset=["rank"])
    assert (ranked["csat_top2_n"] >= 12).all()
    assert frame.loc[frame["csat_top2_n"] < 12, "rank"].isna().all()
    for _, team in ranked.groupby("team"):
        assert team["rank"].min() == 1 and team["rank"].max() <= len(team)
        best = team.loc[team["rank"] == 1, "csat_top2"].iloc[0]
        assert best == pytest.approx(team["csat_top2"].max())


def test_a_few_lucky_answers_do_not_top_the_ranking(sample_study):
    frame = employee_stats.scorecard_frame(sample_study("northwind", "2026Q3"), min_n=1)
    perfect_but_few = frame[(frame["csat_top2_raw"] == 1) & (frame["csat_top2_n"] <= 3)]
    assert len(perfect_but_few) > 0
    assert (perfect_but_few["csat_top2"] < 0.9).all()
    assert (perfect_but_few["rank"] > 1).any()


def test_goals_lie_between_today_and_the_team_target(sample_study):
    frame = employee_stats.scorecard_frame(sample_study("northwind", "2026Q3"))
    for m in employee_stats.SCORECARD_METRICS:
        have = frame.dropna(subset=[m.key])
        gain = (have[f"{m.key}_goal"] - have[m.key]) * m.direction
        assert (gain >= -1e-12).all()
        team_best = have.groupby("team")[m.key].transform("max" if m.direction > 0 else "min")
        assert ((team_best - have[f"{m.key}_goal"]) * m.direction >= -1e-12).all()


def test_employee_without_answers_shows_a_dash_not_nan(sample_study):
    study = sample_study("cedar", "2026Q3")
    agent = study.rows("interactions")["employee_id"].iloc[0]
    responses = study.tables["customer_responses"]
    study.tables["customer_responses"] = responses[responses["employee_id"] != agent]
    frame = employee_stats.scorecard_frame(study).set_index("employee_id")
    assert frame.loc[agent, "csat_top2_n"] == 0 and np.isnan(frame.loc[agent, "csat_top2"])
    assert frame.loc[agent, "first_contact_resolution_n"] > 0
    assert np.isnan(frame.loc[agent, "rank"])
    shown = employees.employee_scorecards(study)
    assert not shown.apply(lambda col: col.astype(str).str.contains("nan")).any().any()


# ------------------------------------------------------------------------------------------
# Settings


def test_settings_are_checked_and_reach_the_notebook_parameters(tmp_path):
    path = tmp_path / "studies.yml"
    path.write_text("quarters: [2026Q3]\nclients:\n  cedar:\n    settings:\n"
                    "      show_employee_names: true\n      min_n_rank: 15\n")
    spec = load_matrix(path).studies[0]
    assert spec.parameters["settings"] == {"show_employee_names": True, "min_n_rank": 15}
    path.write_text("quarters: [2026Q3]\nclients:\n  cedar:\n    settings: {min_n: 5}\n")
    with pytest.raises(MatrixError, match="unknown setting 'min_n'"):
        load_matrix(path)
    path.write_text("quarters: [2026Q3]\nclients:\n  cedar:\n    settings: {min_n_rank: ten}\n")
    with pytest.raises(MatrixError, match="must be int"):
        load_matrix(path)
    assert config.setting({}, "show_employee_names") is False


def test_intervals_stay_on_the_scale(sample_study):
    frame = employee_stats.scorecard_frame(sample_study("cedar", "2026Q3"))
    for m in employee_stats.SCORECARD_METRICS:
        low, high = m.bounds
        assert (frame[f"{m.key}_low"].dropna() >= low).all()
        assert (frame[f"{m.key}_high"].dropna() <= high).all()


def test_within_team_slope_matches_statsmodels_ols_with_team_dummies_and_hc3():
    smf = pytest.importorskip("statsmodels.formula.api")
    rng = np.random.default_rng(11)
    team = pd.Series(rng.choice(list("ABCDE"), 60))
    x = pd.Series(rng.normal(size=60))
    y = 0.4 * x + team.map({"A": 0, "B": 1, "C": -1, "D": 2, "E": 0.5}) + rng.normal(
        scale=np.where(x > 0, 2.0, 0.5))  # heteroscedastic on purpose
    fit = smf.ols("y ~ x + C(team)", pd.DataFrame({"y": y, "x": x, "team": team})).fit(
        cov_type="HC3")
    slope, se = incentives.within_team_slope(team, x, y)
    assert slope == pytest.approx(fit.params["x"], rel=1e-10)
    assert se == pytest.approx(fit.bse["x"], rel=1e-10)
    frame = pd.DataFrame({"employee_id": range(60), "team": team, "department": "Support",
                          "calls_per_day": x, "repeat_contact_rate": y})
    row = incentives.associations(frame, pd.DataFrame(
        {"department": ["Support"], "metric": ["calls_per_day"]})).iloc[0]
    # The audit reports the change per SD of the metric: the slope and interval times the SD.
    assert row["effect"] == pytest.approx(fit.params["x"] * x.std(), rel=1e-10)
    assert row["p_value"] == pytest.approx(fit.pvalues["x"], rel=1e-8)
    low, high = fit.conf_int().loc["x"] * x.std()
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((low, high), rel=1e-8)


def test_rank_by_takes_registry_names_and_names_the_choices(sample_study):
    study = sample_study("northwind", "2026Q3")
    with pytest.warns(DeprecationWarning, match="'fcr' is deprecated"):
        by_alias = employee_stats.scorecard_frame(study, rank_by="fcr")
    by_key = employee_stats.scorecard_frame(study, rank_by="first_contact_resolution")
    assert by_alias.attrs["rank_by"] == "first_contact_resolution"
    pd.testing.assert_frame_equal(by_alias, by_key)
    by_name = employee_stats.scorecard_frame(study, rank_by="csat_top2")
    assert by_name.attrs["rank_by"] == "csat_top2"
    # The column stands for its headline measure, as everywhere in the registry: no warning.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        by_column = employee_stats.scorecard_frame(study, rank_by="csat")
    pd.testing.assert_frame_equal(by_column, by_name)
    with pytest.raises(ValueError, match=r"'renewal_rate' is not a measure .*\['csat_top2', 'nps'"):
        employee_stats.scorecard_frame(study, rank_by="renewal_rate")
    with pytest.warns(DeprecationWarning, match="'repeat_7d' is deprecated"):
        table = employees.employee_scorecards(
            sample_study("northwind", "2026Q3", settings={"rank_by": "repeat_7d"}))
    assert "Goal: Repeat contact within 7 days" in table.columns


def test_report_employees_only_formats():
    """The per-employee statistics live in cxlab.stats.employees; the report re-uses them."""
    import cxlab.report
    from cxlab.report import employees as report_employees

    for name in ("employee_metrics", "_add_measure", "goals", "_scorecard_frame"):
        assert not hasattr(report_employees, name), name
    assert cxlab.report.employee_scorecard_frame is employee_stats.scorecard_frame
    assert cxlab.report.incentive_audit_frame is employee_stats.incentive_audit_frame
    assert cxlab.report.employee_metrics is employee_stats.employee_metrics
