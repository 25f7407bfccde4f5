"""The Study object: the quarter's rows, selected once and safe to change."""

import pandas as pd
import pytest

from cxlab import periods


def test_rows_are_the_quarters_rows_and_each_caller_gets_its_own(sample_study):
    study = sample_study("northwind", "2026Q3")
    start, end = periods.bounds("2026Q3")
    table = study.tables["customer_responses"]
    expected = table[(table["responded_on"] >= start) & (table["responded_on"] < end)]
    first = study.rows("customer_responses")
    pd.testing.assert_frame_equal(first, expected)
    first["extra"] = 1  # a caller adding a column to its rows...
    first.loc[first.index[0], "nps"] = -5  # ...or changing a value
    again = study.rows("customer_responses")
    pd.testing.assert_frame_equal(again, expected)  # ...changes nobody else's
    assert study.rows("customer_responses", "2026Q2")["responded_on"].max() < start


def test_rows_follow_a_replaced_table(sample_study):
    study = sample_study("northwind", "2026Q3")
    before = len(study.rows("customer_responses"))
    table = study.tables["customer_responses"]
    study.tables["customer_responses"] = table[table["nps"] != 10]
    after = study.rows("customer_responses")
    assert len(after) < before and (after["nps"] != 10).all()


def test_cached_analyses_follow_a_replaced_table(sample_study):
    from cxlab.report.drivers import key_drivers_result

    study = sample_study("northwind", "2026Q3")
    before = key_drivers_result(study, "nps")
    assert key_drivers_result(study, "nps") is before  # computed once
    table = study.tables["customer_responses"]
    study.tables["customer_responses"] = table[table["nps"] != 10]  # a filtered copy
    after = key_drivers_result(study, "nps")
    assert after.n + after.n_dropped == len(study.rows("customer_responses"))
    assert after.n < before.n


def test_a_manifest_without_clients_is_a_clear_error(tmp_path, monkeypatch):
    import json

    import pytest

    from cxlab.study import open_study

    monkeypatch.setenv("CXLAB_HOME", str(tmp_path))
    (tmp_path / "data" / "acme").mkdir(parents=True)
    (tmp_path / "data" / "acme" / "manifest.json").write_text(json.dumps({"generator": "x"}))
    with pytest.raises(ValueError, match="manifest.json lists no clients"):
        open_study("a", "2026Q3", "acme")
    (tmp_path / "data" / "acme" / "manifest.json").write_text("[1, 2]")
    with pytest.raises(ValueError, match="manifest.json lists no clients"):
        open_study("a", "2026Q3", "acme")


def test_groups_named_after_an_employee_do_not_name_them_when_names_are_hidden(
        tmp_path, monkeypatch):
    from cxlab.data import sample
    from cxlab.data.store import dataset_dir, validate_tables, write_dataset
    from cxlab.study import open_study

    monkeypatch.setenv("CXLAB_HOME", str(tmp_path))
    tables, _ = sample.generate()
    tables = {n: f[f["client"] == "cedar"].copy() for n, f in tables.items()}
    lead = tables["employees"].iloc[0]
    team = f"{lead['display_name']}'s team"
    for frame in tables.values():
        if "team" in frame:
            frame.loc[frame["team"] == lead["team"], "team"] = team
    write_dataset(validate_tables(tables, "t", sample.AS_OF), dataset_dir("t", tmp_path / "data"),
                  {})
    hidden = open_study("cedar", "2026Q3", "t")
    first, last = lead["display_name"].split()[:2]
    for name in ("employees", "interactions", "employee_responses"):
        teams = set(hidden.tables[name]["team"].dropna())
        assert not any(first in t or last in t for t in teams), teams
    masked = {t for t in hidden.tables["employees"]["team"] if t.endswith("'s team")}
    assert len(masked) == 1 and masked <= set(hidden.tables["interactions"]["team"])
    shown = open_study("cedar", "2026Q3", "t", settings={"show_employee_names": True})
    assert team in set(shown.tables["employees"]["team"])


def test_a_person_answering_a_monthly_pulse_counts_once_a_quarter(sample_study):
    study = sample_study("cedar", "2026Q3")  # cedar runs a monthly pulse
    every = study.tables["employee_responses"]
    every = every[(every["responded_on"] >= "2026-07-01") & (every["responded_on"] < "2026-10-01")]
    named = every[every["employee_id"].notna()]
    assert named["employee_id"].duplicated().any()  # the same people, several times
    rows = study.rows("employee_responses")
    assert not rows.loc[rows["employee_id"].notna(), "employee_id"].duplicated().any()
    assert len(rows) == named["employee_id"].nunique() + every["employee_id"].isna().sum()
    # It is each person's latest answer that counts.
    last = named.sort_values("responded_on").groupby("employee_id")["responded_on"].max()
    kept = rows.dropna(subset=["employee_id"]).set_index("employee_id")["responded_on"]
    assert (kept.sort_index() == last.sort_index()).all()
    history = study.history("employee_responses")
    assert not history.dropna(subset=["employee_id"]).duplicated(["employee_id", "quarter"]).any()


def test_a_study_displays_as_a_summary_not_as_its_tables(sample_study):
    study = sample_study("northwind")
    assert repr(study) == "<Study northwind 2026Q3 (dataset 'sample')>"
    frame = study.summary_frame()
    assert frame.loc["customer_responses", "2026Q3"] == len(study.rows("customer_responses"))
    assert frame.loc["customer_responses", "all quarters"] == len(
        study.tables["customer_responses"])
    text = study.summary()
    assert text.startswith("Study Northwind (northwind), 2026Q3") and "no import record" in text
    assert len(text.splitlines()) < 15 and len(study._repr_html_()) < 3000


def test_a_quarter_outside_the_clients_data_is_an_error_naming_the_span():
    from cxlab.study import StudyError, open_study

    with pytest.raises(StudyError, match=r"client 'northwind' has no data in 2030Q1: its data "
                                         r"cover 20\d\dQ\d to 2026Q3"):
        open_study("northwind", "2030Q1", "sample")
    assert open_study("northwind", "2026Q3", "sample").quarter == "2026Q3"


def test_a_filter_applies_to_every_table_that_has_the_column_and_is_said(sample_study):
    """Phone answers and phone contacts alike (issue 21): no measure stays all-channel."""
    from cxlab import report
    from cxlab.study import StudyError

    study = sample_study("northwind")
    phone = study.filter(channel="phone")
    for table in ("customer_responses", "interactions"):
        rows = phone.rows(table)
        assert len(rows) and set(rows["channel"]) == {"phone"}
        assert len(rows) == (study.rows(table)["channel"] == "phone").sum()
    assert len(phone.tables["employees"]) == len(study.tables["employees"])  # no channel
    assert phone.filters == {"channel": {"values": ["phone"],
                                         "tables": ["customer_responses", "interactions"]}}
    assert study.filters == {}  # the study itself is unchanged
    text = report.overview(phone).data
    said = "**Filtered:** channel = phone (in customer survey responses, service interactions)"
    assert said in text
    assert report.key_findings(phone).data.startswith(said)  # the findings say it too
    assert "Filtered" not in report.key_findings(study).data
    assert repr(phone) == ("<Study northwind 2026Q3 (dataset 'sample'), filtered: "
                           "channel = phone>")
    assert repr(study) == "<Study northwind 2026Q3 (dataset 'sample')>"
    assert "filtered: channel = phone" in phone.summary().splitlines()[0]
    assert "filtered: channel = phone" in phone._repr_html_()
    assert "filtered" not in study.summary().splitlines()[0]
    both = study.filter(channel=["phone", "chat"])
    assert set(both.rows("interactions")["channel"]) == {"phone", "chat"}
    with pytest.raises(StudyError, match=r"no row has that value; the values are \['app'"):
        study.filter(channel="fax")
    with pytest.raises(StudyError, match="no table of this study has a column 'colour'"):
        study.filter(colour="red")


@pytest.mark.parametrize("call, message", [
    (lambda cxlab: cxlab.load("customer_response", client="cedar"),
     r"unknown table 'customer_response'; expected one of \['accounts'"),
    (lambda cxlab: cxlab.load("customer_responses", client="cedr"),
     r"client 'cedr' is not in dataset 'sample'; it has \["),
    (lambda cxlab: cxlab.open_study("cedar", "2026q3"), "expected YYYYQn"),
])
def test_a_researchers_typos_are_cxlab_errors_naming_the_choices(call, message):
    import cxlab
    from cxlab.errors import CxlabError

    with pytest.raises(CxlabError, match=message):
        call(cxlab)


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_count_rows_counts_a_quarters_rows_with_a_number_or_a_text(sandbox, engine):
    """Study.count_rows: the quarter's rows, those with an answer, those with a comment."""
    from report_harness import cxlab_home

    import cxlab

    with cxlab_home(sandbox):
        study = cxlab.open_study("cedar", "2026Q3", engine=engine)
        rows = study.between("customer_responses", pd.Timestamp("2026-07-01"),
                             pd.Timestamp("2026-10-01"))
        assert study.count_rows("customer_responses") == len(rows)
        assert study.count_rows("customer_responses", "nps") == rows["nps"].notna().sum()
        assert study.count_rows("customer_responses", "comment") == rows["comment"].notna().sum()
        assert study.count_rows("customer_responses", "no_such_column") == 0
