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
    assert measures.values("first_contact_resolution", rows).mean() == pytest.approx(2 / 3)  # answered
    assert measures.values("first_contact_resolution_all", rows).astype(float).mean() == pytest.approx(2 / 5)
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


def _reviews(tmp_path, n=300, seed=11, with_nps=False):
    """A review export: an overall 1-10 score driven by food (strongly) and service, on a
    1-5 scale, and by noise; optionally an NPS question too."""
    import numpy as np

    rng = np.random.default_rng(seed)
    food, service = rng.integers(1, 6, n), rng.integers(1, 6, n)
    overall = np.clip(np.round(1.5 * food + 0.5 * service + rng.normal(0, 1, n) - 1), 1, 10)
    frame = pd.DataFrame({"id": [f"R{i}" for i in range(n)],
                          "date": pd.date_range("2026-07-01", periods=n, freq="7h")
                          .strftime("%Y-%m-%d"),
                          "Overall": overall.astype(int), "Food": food, "Service": service,
                          "Visit": rng.choice(["Lunch", "Dinner"], n)})
    nps = ""
    if with_nps:
        frame["Recommend"] = np.clip(overall.astype(int), 0, 10)
        nps = ", nps: Recommend"
    frame.to_csv(tmp_path / "reviews.csv", index=False)
    (tmp_path / "reviews.yml").write_text(
        "table: customer_responses\ncolumns: {response_id: id, responded_on: date" + nps + "}\n"
        "constants: {channel: store, customer_id: anonymous, journey_stage: usage, "
        "department: Dining}\nratings:\n"
        "  rating_overall: {column: Overall, label: Overall score, scale: [1, 10], overall: true}\n"
        "  rating_food: {column: Food, label: Food}\n"
        "  rating_service: {column: Service, label: Service}\n"
        "segments:\n  segment_visit: {column: Visit, label: Visit}\n")
    return frame


def _reviews_study(tmp_path, monkeypatch, **kw):
    from cxlab.study import open_study

    monkeypatch.setenv("CXLAB_HOME", str(tmp_path))
    frame = _reviews(tmp_path, **kw)
    import_file(tmp_path / "reviews.csv", tmp_path / "reviews.yml", "rev", "diner",
                as_of="2026-12-31")
    return frame, open_study("diner", "2026Q3", dataset="rev")


def test_an_overall_rating_is_the_headline_and_its_attributes_its_drivers(tmp_path, monkeypatch):
    """A review survey without an NPS question: its overall score leads the scorecard, is what
    the attribute ratings explain, and is shown by segment; it is never a driver of itself."""
    from cxlab import report
    from cxlab.report.drivers import headline_outcome
    from cxlab.report.segments import segments_frame

    frame, study = _reviews_study(tmp_path, monkeypatch)
    assert study.overall_rating == "rating_overall"
    assert headline_outcome(study) == "overall"
    card = report.scorecard(study)
    in_quarter = frame[frame["date"] < "2026-10-01"]
    assert card.index[0] == "Overall score, mean of 1-10"
    assert card.loc["Overall score, mean of 1-10", "2026Q3"] == f"{in_quarter['Overall'].mean():.2f}"
    assert card.loc["NPS (points)", "2026Q3"] == "not measured"
    table = report.key_drivers_table(study)
    assert list(table.index) == ["Food", "Service"]  # the planted order; overall is no driver
    note = report.key_drivers_note(study).data
    assert "variance in the Overall score (1-10)" in note
    assert f"n={len(in_quarter):,} complete answers" in note
    chart = report.importance_chart(study)
    assert chart.figure.axes[0].get_title() == "Key drivers of Overall score, 2026Q3"
    by_visit = segments_frame(study)
    overall = by_visit[by_visit["measure"] == "rating_overall"].set_index("group")
    assert overall["value"].to_dict() == pytest.approx(
        in_quarter.groupby("Visit")["Overall"].mean().to_dict())
    assert "Key drivers of CSAT not available: no CSAT answers" in \
        report.key_drivers_table(study, "csat").data


def test_an_overall_rating_gets_its_trend_and_its_findings(tmp_path, monkeypatch):
    """The client's own headline measure (not in the registry) has a trend frame, and the key
    findings look at it rather than calling the trends not computable (a real review export
    showed 'could not be computed: Trends')."""
    from cxlab import report
    from cxlab.report.tables import headline, quarter_trend, trend_frame
    from cxlab.stats.trend import MIN_PERIODS

    frame, study = _reviews_study(tmp_path, monkeypatch)
    overall = headline(study)[0]
    trend = trend_frame(study, overall)
    in_quarter = frame[frame["date"] < "2026-10-01"]
    assert trend["value"].tolist() == pytest.approx([in_quarter["Overall"].mean()])
    assert quarter_trend(study, overall) == ("1 comparable quarter: a trend needs at least "
                                             f"{MIN_PERIODS}")
    assert "could not be computed" not in report.key_findings(study).data


def test_with_an_nps_question_nps_stays_the_headline_of_the_drivers(tmp_path, monkeypatch):
    from cxlab import report
    from cxlab.report.drivers import headline_outcome

    _, study = _reviews_study(tmp_path, monkeypatch, with_nps=True)
    assert headline_outcome(study) == "nps"
    assert list(report.key_drivers_table(study).index) == ["Food", "Service"]
    assert "NPS answer (0-10)" in report.key_drivers_note(study).data
    # the overall rating is still the survey's own score, in the scorecard
    assert "Overall score, mean of 1-10" in report.scorecard(study).index


def test_without_an_overall_rating_its_drivers_say_why(sample_study):
    from cxlab import report

    text = report.key_drivers_table(sample_study("northwind"), "overall").data
    assert text.startswith("*Key drivers of the overall rating not available: no rating is "
                           "marked overall")


def test_two_overall_ratings_are_a_named_mistake(tmp_path):
    (tmp_path / "f.csv").write_text("id,date,A,B\nR1,2026-07-01,3,4\n")
    (tmp_path / "m.yml").write_text(
        "table: customer_responses\ncolumns: {response_id: id, responded_on: date}\n"
        "constants: {client: acme, channel: web, customer_id: x, journey_stage: usage, "
        "department: D}\nratings: {rating_a: {column: A, label: A, overall: true}, "
        "rating_b: {column: B, label: B, overall: true}}\n")
    with pytest.raises(ImportError_, match=r"\['rating_a', 'rating_b'\] are each marked overall"):
        check_file(tmp_path / "f.csv", tmp_path / "m.yml")


def test_a_rating_with_decimals_has_a_mean_on_its_scale():
    """0-100 scores as an ECSI export gives them: a mean, not 'whole numbers expected'."""
    from cxlab import measures, metrics

    m = measures.rating("rating_sat", "Satisfaction", (0, 100))
    values = pd.Series([66.67, 100.0, 55.56, 88.89])
    est = metrics.estimate(m, values)
    assert est.value == pytest.approx(values.mean())
    assert 0 <= est.ci[0] < est.value < est.ci[1] <= 100
    with pytest.raises(ValueError, match="whole numbers"):
        metrics.mean(values, (0, 100))  # a registry mean still wants whole points
    groups = metrics.grouped(pd.DataFrame({"rating_sat": values, "g": list("aabb")}), m, "g")
    assert groups["value"].tolist() == pytest.approx([(66.67 + 100) / 2, (55.56 + 88.89) / 2])


def test_accounts_without_a_renewal_date_are_named_not_passed_over(tmp_path, monkeypatch):
    """A churn snapshot has no dates: its accounts fall in no quarter, and both the import
    and the report's opening lines say so."""
    from cxlab import report
    from cxlab.study import open_study

    monkeypatch.setenv("CXLAB_HOME", str(tmp_path))
    (tmp_path / "accounts.csv").write_text("id,Churn\nA1,Yes\nA2,No\nA3,No\n")
    (tmp_path / "accounts.yml").write_text(
        "table: accounts\ncolumns: {account_id: id, is_churned: Churn}\n"
        "values: {is_churned: {recode: {'Yes': true, 'No': false}}}\n"
        "not_collected: [segment, acquired_on, n_referrals]\n")
    result, _ = import_file(tmp_path / "accounts.csv", tmp_path / "accounts.yml", "snap", "tel")
    assert "renewal_due_on absent: it places each row in a quarter, so these rows fall in no " \
        "quarter's report" in result.notes
    text = report.overview(open_study("tel", "2026Q3", dataset="snap")).data
    assert "This quarter: 0 customer accounts due for renewal" in text
    assert "3 of the 3 stored rows of `accounts` have no `renewal_due_on`, so they fall in no " \
        "quarter" in text


def _report_text(path: Path) -> tuple[str, str]:
    """The markdown and the HTML a report notebook's outputs hold."""
    import json

    outputs = [o for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"
               for o in c["outputs"]]
    text = "\n".join("".join(o.get("data", {}).get(kind, ""))
                     for o in outputs for kind in ("text/markdown",))
    html = "\n".join("".join(o.get("data", {}).get("text/html", "")) for o in outputs)
    return text, html


WORKED = [  # the worked examples of docs/mappings, each through a full quarterly report
    ("uci_restaurant_rating_final.csv", "uci_restaurant_ratings.yml", "restaurants", "2011Q4"),
    ("plspm_mobile_ecsi.csv", "plspm_mobile_ecsi.yml", "mobile", "2012Q4"),
    ("ibm_telco_customer_churn.csv", "ibm_telco_accounts.yml", "telco", "2026Q3"),
]


@pytest.mark.slow
@pytest.mark.skipif(not (REALDATA / "plspm_mobile_ecsi.csv").is_file(),
                    reason="../shared/realdata is not beside the project")
def test_worked_mappings_run_through_a_full_report(tmp_path, monkeypatch):
    """Dev check: each worked mapping imports its real file and the quarterly report runs on
    it with no failed section, showing what the file can give and saying what it cannot."""
    import shutil

    from cxlab.run.executor import run_study
    from cxlab.run.matrix import StudySpec

    root = Path(__file__).resolve().parents[1]
    shutil.copytree(root / "notebooks", tmp_path / "notebooks")
    monkeypatch.setenv("CXLAB_HOME", str(tmp_path))
    texts = {}
    for data, mapping, client, quarter in WORKED:
        result, _ = import_file(REALDATA / data, DOCS / mapping, "worked", client,
                                as_of="2026-11-26")
        assert result.rows_rejected == 0 and result.rows_accepted == len(pd.read_csv(
            REALDATA / data))
        spec = StudySpec(client, quarter, "quarterly_report", "worked", client)
        run = run_study(spec, tmp_path / "reports", tmp_path / "failed")
        assert run.status == "ok" and run.failed_sections == [], (run.error, run.failed_sections)
        texts[client] = _report_text(spec.output_path(tmp_path / "reports"))

    restaurant = pd.read_csv(REALDATA / "uci_restaurant_rating_final.csv")
    text, html = texts["restaurants"]
    assert f'<td class="cx-num">{restaurant["rating"].mean():.2f}</td>' in html  # headline
    assert '<th scope="row" class="cx-stub">Food</th>' in html  # its key drivers
    assert '<th scope="row" class="cx-stub">Service</th>' in html
    assert f"variance in the Overall rating (0-2) (n={len(restaurant):,} complete" in text

    mobile = pd.read_csv(REALDATA / "plspm_mobile_ecsi.csv")
    text, html = texts["mobile"]
    assert f'<td class="cx-num">{mobile["sat1"].mean():.2f}</td>' in html
    for label in ("Network quality", "Customer service and advice", "Fees for the quality "
                  "received"):
        assert f'<th scope="row" class="cx-stub">{label}</th>' in html
    assert "variance in the Overall satisfaction (0-100) (n=250 complete answers)" in text

    text, _ = texts["telco"]
    assert "7,043 of the 7,043 stored rows of `accounts` have no `renewal_due_on`" in text
    assert "Not collected in this client's exports: `accounts.acquired_on`" in text
