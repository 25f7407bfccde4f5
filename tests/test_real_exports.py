"""Mapping keys for real exports (issue 17, part 2): columns not collected, contact outcomes,
attribute ratings and segments. Hand-made small files; the dev test on the real exports of
/work/shared/realdata skips when they are absent."""

from pathlib import Path

import pandas as pd
import pytest

from cxlab.data.imports import ImportError_, check_file, import_file

CALLS = ("CallId,When,Caller,Agent,Team,Talk,Wait,Resolved\n"
         "C1,2026-07-03 09:15,K1,E1,North,120,30,true\n"
         "C2,2026-07-04 10:15,K2,E1,North,300,60,false\n"
         "C3,2026-08-05 11:00,K3,E2,South,200,10,true\n")
CALLS_MAP = ("table: interactions\ncolumns: {interaction_id: CallId, started_at: When, "
             "customer_id: Caller, employee_id: Agent, team: Team, handle_seconds: Talk, "
             "wait_seconds: Wait, is_resolved_first_contact: Resolved}\n"
             "constants: {channel: phone, client: acme}\n")


def test_a_required_column_declared_not_collected_is_stored_empty(tmp_path):
    (tmp_path / "calls.csv").write_text(CALLS)
    (tmp_path / "calls.yml").write_text(CALLS_MAP + "not_collected: [is_repeat_within_7d]\n")
    result = check_file(tmp_path / "calls.csv", tmp_path / "calls.yml", as_of="2026-09-30")
    assert result.rows_rejected == 0 and result.rows_accepted == 3
    assert result.accepted["is_repeat_within_7d"].isna().all()
    assert result.summary()["not_collected"] == ["is_repeat_within_7d"]
    # without the declaration the export lacks a required column: an error, as before
    (tmp_path / "bare.yml").write_text(CALLS_MAP)
    with pytest.raises(ValueError, match="is_repeat_within_7d"):
        check_file(tmp_path / "calls.csv", tmp_path / "bare.yml", as_of="2026-09-30")


@pytest.mark.parametrize("extra, message", [
    ("not_collected: [repeat]\n", r"not_collected: \['repeat'\] are not columns of interactions"),
    ("not_collected: [team]\n", r"not_collected: \['team'\] are also given under columns"),
    ("not_collected: [interaction_id]\n", "identify the rows"),
])
def test_not_collected_mistakes_are_named(tmp_path, extra, message):
    (tmp_path / "calls.csv").write_text(CALLS)
    (tmp_path / "m.yml").write_text(CALLS_MAP.replace("interaction_id: CallId, ", "") + extra)
    with pytest.raises(ImportError_, match=message):
        check_file(tmp_path / "calls.csv", tmp_path / "m.yml")


def test_a_required_column_is_still_required_elsewhere(tmp_path):
    """Declaring one column not collected excuses no other: a blank FCR is still rejected."""
    (tmp_path / "calls.csv").write_text(CALLS.replace("120,30,true", "120,30,"))
    (tmp_path / "calls.yml").write_text(CALLS_MAP + "not_collected: [is_repeat_within_7d]\n")
    result = check_file(tmp_path / "calls.csv", tmp_path / "calls.yml", as_of="2026-09-30")
    assert list(result.rejected["row"]) == [2]


@pytest.fixture
def contact_centre(tmp_path, monkeypatch):
    """A client with a contact-centre export lacking a repeat-contact column, imported."""
    monkeypatch.setenv("CXLAB_HOME", str(tmp_path))
    (tmp_path / "roster.csv").write_text("id,name,team,dept\nE1,Ana,North,Support\n"
                                         "E2,Bo,South,Support\n")
    (tmp_path / "roster.yml").write_text(
        "table: employees\ncolumns: {employee_id: id, display_name: name, team: team, "
        "department: dept}\nconstants: {role: agent}\n")
    (tmp_path / "plan.csv").write_text("dept,metric,weight\nSupport,repeat_contact_rate,0.5\n"
                                       "Support,calls_per_day,0.5\n")
    (tmp_path / "plan.yml").write_text(
        "table: incentive_plan\ncolumns: {department: dept, metric: metric, weight: weight}\n")
    for name in ("roster", "plan"):
        import_file(tmp_path / f"{name}.csv", tmp_path / f"{name}.yml", "cc", "acme")
    (tmp_path / "calls.csv").write_text(CALLS)
    (tmp_path / "calls.yml").write_text(CALLS_MAP + "not_collected: [is_repeat_within_7d]\n")
    for _ in range(2):  # a re-import keeps the record
        import_file(tmp_path / "calls.csv", tmp_path / "calls.yml", "cc", "acme",
                    as_of="2026-09-30")
    from cxlab.study import open_study
    return open_study("acme", "2026Q3", dataset="cc")


def test_the_report_says_not_collected_never_zero(contact_centre):
    from cxlab import report

    study = contact_centre
    assert study.not_collected == {"interactions": ("is_repeat_within_7d",)}
    assert not study.collected("interactions", "is_repeat_within_7d")
    card = report.scorecard(study)
    row = card.loc["Repeat contact within 7 days"]
    assert row[study.quarter] == "not collected in this export"
    assert "0.0%" not in row.to_string()
    assert card.loc["First-contact resolution (answered contacts)", study.quarter] == "66.7%"
    assert "Not collected in this client's exports: `interactions.is_repeat_within_7d`" in \
        report.overview(study).data
    note = report.trend_chart(study, "repeat_contact_rate")
    assert "not collected in this export" in note.data
    assert "not collected in this export" in report.group_chart(study, "team",
                                                                "repeat_contact_rate").data


def test_employee_scorecards_and_the_audit_say_not_collected(contact_centre):
    from cxlab import report

    study = contact_centre
    cards = report.employee_scorecards(study)
    assert set(cards["Repeat contact within 7 days"]) == {"not collected in this export"}
    audit = report.incentive_audit(study)
    assert audit.loc["repeat contact rate", "Evidence"] == "not collected in this export"
    assert "repeat contacts: not collected in this export, not tested" in \
        audit.loc["calls per day", "Evidence"]


OUTCOMES = ("CallId,When,Caller,Agent,Team,Talk,Wait,Resolved,Repeat,Status\n"
            "C1,2026-07-03 09:15,K1,E1,North,120,30,true,false,Answered\n"
            "C2,2026-07-04 10:15,K2,E1,North,300,90,false,true,Answered\n"
            "C3,2026-08-05 11:00,K3,E2,South,200,60,true,false,Answered\n"
            "C4,2026-08-06 11:00,K4,,North,,240,,true,Abandoned\n"
            "C5,2026-08-07 12:00,K5,,South,,,,false,Missed\n"
            "C6,2026-08-07 12:30,K6,E2,South,,,,false,Answered\n")
OUTCOMES_MAP = ("table: interactions\ncolumns: {interaction_id: CallId, started_at: When, "
                "customer_id: Caller, employee_id: Agent, team: Team, handle_seconds: Talk, "
                "wait_seconds: Wait, is_resolved_first_contact: Resolved, "
                "is_repeat_within_7d: Repeat, outcome: Status}\n"
                "constants: {channel: phone}\n"
                "values: {outcome: {recode: {Answered: answered, Abandoned: abandoned, "
                "Missed: missed}}}\n")


def test_unanswered_contacts_may_lack_what_only_an_answer_gives(tmp_path):
    (tmp_path / "calls.csv").write_text(OUTCOMES)
    (tmp_path / "calls.yml").write_text(OUTCOMES_MAP.replace("phone}", "phone, client: acme}"))
    result = check_file(tmp_path / "calls.csv", tmp_path / "calls.yml", as_of="2026-09-30")
    # C4 and C5 were not answered: no agent, handle time or resolution needed (C5 has no
    # wait either, which is not required to be missing); C6 was answered, so it needs them
    assert list(result.accepted["interaction_id"]) == ["C1", "C2", "C3", "C4", "C5"]
    assert list(result.rejected["row"]) == [7]
    assert "handle_seconds: missing value" in result.rejected["reason_code"].iloc[0] or \
        "is_resolved_first_contact" in result.rejected["reason"].iloc[0]


def test_resolution_and_wait_over_answered_and_over_all_contacts(tmp_path, monkeypatch):
    from cxlab import measures, report
    from cxlab.study import open_study

    monkeypatch.setenv("CXLAB_HOME", str(tmp_path))
    (tmp_path / "calls.csv").write_text(OUTCOMES)
    (tmp_path / "calls.yml").write_text(OUTCOMES_MAP)
    import_file(tmp_path / "calls.csv", tmp_path / "calls.yml", "cc", "acme", as_of="2026-09-30")
    study = open_study("acme", "2026Q3", dataset="cc")
    rows = study.rows("interactions")
    assert measures.values("fcr", rows).mean() == pytest.approx(2 / 3)  # answered
    assert measures.values("fcr_all", rows).astype(float).mean() == pytest.approx(2 / 5)
    wait = report.tables.estimate(measures.get("wait_minutes"), rows)
    wait_all = report.tables.estimate(measures.get("wait_minutes_all"), rows)
    assert wait.value == pytest.approx(1.0) and wait.n == 3  # 30, 90, 60 s
    assert wait_all.value == pytest.approx(420 / 60 / 4) and wait_all.n == 4  # C5: no wait
    card = report.scorecard(study)
    assert card.loc["First-contact resolution (answered contacts)", "2026Q3"] == "66.7%"
    assert card.loc["First-contact resolution (all contacts)", "2026Q3"] == "40.0%"


def test_without_outcomes_the_all_contacts_row_is_not_shown(contact_centre):
    from cxlab import report

    assert "First-contact resolution (all contacts)" not in report.scorecard(contact_centre).index


RATED = {"Online boarding": "rating_online_boarding", "Seat comfort": "rating_seat_comfort",
         "Inflight wifi": "rating_wifi", "Baggage handling": "rating_baggage",
         "Cleanliness": "rating_cleanliness", "Food and drink": "rating_food"}


def _airline(tmp_path, n=240, seed=7):
    """A survey export with six 0-5 ratings (0 = not rated), one of which drives NPS."""
    import numpy as np

    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"id": [f"A{i}" for i in range(n)],
                          "date": pd.date_range("2026-07-01", periods=n, freq="6h")
                          .strftime("%Y-%m-%d"),
                          "Class": rng.choice(["Business", "Eco", "Eco Plus"], n),
                          **{col: rng.integers(1, 6, n) for col in RATED}})
    frame.loc[:9, "Inflight wifi"] = 0
    latent = 1.6 * frame["Online boarding"] + 0.4 * frame["Seat comfort"] + rng.normal(0, 1, n)
    frame["Recommend"] = np.clip(np.round(latent - 1), 0, 10).astype(int)
    frame.to_csv(tmp_path / "airline.csv", index=False)
    ratings = "".join(f"  {ours}: {{column: {col!r}, label: {col!r}, scale: [0, 5]}}\n"
                      for col, ours in RATED.items())
    (tmp_path / "airline.yml").write_text(
        "table: customer_responses\ncolumns: {response_id: id, responded_on: date, nps: "
        "Recommend}\nconstants: {channel: web, customer_id: anonymous}\nratings:\n" + ratings
        + "missing: {rating_wifi: [0]}\nnot_collected: [journey_stage, department]\n"
        "segments:\n  segment_travel_class: {column: Class, label: Class of travel}\n")


def test_any_number_of_ratings_are_key_drivers_with_their_own_labels(tmp_path, monkeypatch):
    from cxlab import report
    from cxlab.study import open_study

    monkeypatch.setenv("CXLAB_HOME", str(tmp_path))
    _airline(tmp_path)
    result, _ = import_file(tmp_path / "airline.csv", tmp_path / "airline.yml", "air", "jet",
                            as_of="2026-12-31")
    assert result.rows_rejected == 0
    assert any("rating_wifi: 10 cell(s) read as no answer" in n for n in result.notes)
    study = open_study("jet", "2026Q3", dataset="air")
    assert study.ratings["rating_online_boarding"] == {"label": "Online boarding",
                                                       "scale": [0, 5]}
    table = report.key_drivers_table(study)
    assert set(table.index) == set(RATED)
    assert table.index[0] == "Online boarding"  # the top driver, under its own wording
    assert "`customer_responses.department` not collected in this export" in \
        report.group_chart(study, "department", "nps").data
    assert table["Mean rating"].str.endswith("(of 0-5)").all()
    chart = report.importance_chart(study)
    texts = {t.get_text() for t in chart.figure.axes[0].texts}
    assert "Online boarding" in texts


@pytest.mark.parametrize("ratings, message", [
    ("{Boarding: {column: B, label: B}}", "expected rating_ followed by lower-case"),
    ("{rating_b: {column: B, label: B, scale: [5, 1]}}", "the lowest first"),
    ("{rating_b: {column: B}}", "ratings.rating_b.label: required and not given"),
])
def test_rating_mistakes_are_named(tmp_path, ratings, message):
    (tmp_path / "f.csv").write_text("id,date,B\nR1,2026-07-01,3\n")
    (tmp_path / "m.yml").write_text(
        "table: customer_responses\ncolumns: {response_id: id, responded_on: date}\n"
        f"constants: {{client: acme, channel: web, customer_id: x}}\nratings: {ratings}\n")
    with pytest.raises(ImportError_, match=message):
        check_file(tmp_path / "f.csv", tmp_path / "m.yml")


def test_a_survey_column_declared_a_segment_groups_the_headline(tmp_path, monkeypatch):
    """No roster, no incentive plan: results by class of travel, with intervals, n, flags."""
    from cxlab import report
    from cxlab.report.segments import segments_frame
    from cxlab.study import open_study

    monkeypatch.setenv("CXLAB_HOME", str(tmp_path))
    _airline(tmp_path)
    import_file(tmp_path / "airline.csv", tmp_path / "airline.yml", "air", "jet",
                as_of="2026-12-31")
    study = open_study("jet", "2026Q3", dataset="air")
    assert study.absent and "employees" in study.absent
    assert study.segments == {"segment_travel_class": {"label": "Class of travel"}}
    frame = segments_frame(study)
    nps = frame[frame["measure"] == "nps"].set_index("group")
    assert set(nps.index) == {"Business", "Eco", "Eco Plus"}
    assert nps["n"].sum() == 240
    assert (nps["ci_low"] <= nps["value"]).all() and (nps["value"] <= nps["ci_high"]).all()
    table = report.segment_table(study)
    assert table.index.names == ["Segment", "Group"]
    assert set(table.index.get_level_values("Group")) == {"Business", "Eco", "Eco Plus"}
    assert table.loc[("Class of travel", "Eco"), "NPS (points)"].count("n=") == 1
    assert "NPS (points)" in table.columns


def test_without_segments_the_section_says_how_to_declare_one(sample_study):
    from cxlab import report

    assert "`segments` names the columns" in report.segment_table(sample_study("northwind")).data


REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata"
DOCS = Path(__file__).resolve().parents[1] / "docs" / "mappings"


@pytest.mark.skipif(not (REALDATA / "oddjob_airlinesat.csv").is_file(),
                    reason="../shared/realdata is not beside the project")
def test_the_real_airline_survey_by_class_of_travel(tmp_path, monkeypatch):
    """Dev check on the real export: NPS by class of travel, no roster needed."""
    from cxlab import report
    from cxlab.report.segments import segments_frame
    from cxlab.study import open_study

    monkeypatch.setenv("CXLAB_HOME", str(tmp_path))
    raw = pd.read_csv(REALDATA / "oddjob_airlinesat.csv")
    import_file(REALDATA / "oddjob_airlinesat.csv", DOCS / "oddjob_airlinesat.yml", "real",
                "oddjob", as_of="2026-11-22")
    study = open_study("oddjob", "2009Q2", dataset="real")
    frame = segments_frame(study)
    by_class = frame[(frame["segment"] == "segment_flight_class") & (frame["measure"] == "nps")]
    counts = raw.dropna(subset=["nps"]).groupby("flight_class").size()
    assert by_class.set_index("group")["n"].to_dict() == counts.to_dict()
    table = report.segment_table(study)
    assert {"Class of travel", "Purpose of travel", "Type of flight", "Loyalty status"} == \
        set(table.index.get_level_values("Segment"))
