"""The mapping format: typed checks with plain messages, and the shapes real exports take."""

import pandas as pd
import pytest

from cxlab.data.imports import ImportError_, check_file, load_mapping

CALLS = """\
table: interactions
columns: {interaction_id: CallId, customer_id: Caller, employee_id: Agent, team: Team,
          handle_seconds: TalkTime, wait_seconds: Wait, is_resolved_first_contact: Resolved,
          is_repeat_within_7d: Repeat}
constants: {client: acme, channel: phone}
datetimes:
  started_at: {date: Date, time: Time, format: "%d/%m/%Y %H:%M:%S"}
values:
  handle_seconds: {duration: "hh:mm:ss"}
  wait_seconds: {duration: "mm:ss"}
  is_resolved_first_contact: {recode: {Y: true, N: false}}
  is_repeat_within_7d: {recode: {Y: true, N: false}}
"""
CALLS_CSV = (
    "CallId,Date,Time,Caller,Agent,Team,TalkTime,Wait,Resolved,Repeat\n"
    "C1,03/07/2026,09:15:30,K1,E1,North,00:04:05,01:30,Y,N\n"
    "C2,03/07/2026,17:02:00,K2,E1,North,1:00:00,00:05,N,Y\n"
    "C3,04/07/2026,08:00:00,K3,E2,North,4 minutes,00:10,Y,N\n"
)


@pytest.fixture
def calls(tmp_path):
    (tmp_path / "calls.yml").write_text(CALLS)
    (tmp_path / "calls.csv").write_text(CALLS_CSV)
    return tmp_path


def test_a_date_and_a_time_column_make_one_timestamp_and_durations_become_seconds(calls):
    result = check_file(calls / "calls.csv", calls / "calls.yml", as_of="2026-09-30")
    ok = result.accepted.set_index("interaction_id")
    assert ok.loc["C1", "started_at"] == pd.Timestamp("2026-07-03 09:15:30")
    assert ok.loc["C2", "started_at"] == pd.Timestamp("2026-07-03 17:02:00")
    assert ok.loc["C1", "handle_seconds"] == 245 and ok.loc["C2", "handle_seconds"] == 3600
    assert ok.loc["C1", "wait_seconds"] == 90 and ok.loc["C2", "wait_seconds"] == 5
    # "4 minutes" is not hh:mm:ss: its row is rejected, named, not guessed at
    assert list(result.rejected["row"]) == [4]
    assert "handle_seconds" in result.rejected["reason"].iloc[0]


def test_dates_with_a_time_of_day_keep_it(calls):
    (calls / "calls.yml").write_text(CALLS.replace(
        'datetimes:\n  started_at: {date: Date, time: Time, format: "%d/%m/%Y %H:%M:%S"}\n',
        'columns_extra: 0\n').replace("columns_extra: 0\n", "")
        .replace("team: Team,", "team: Team, started_at: When,")
        + 'dates: {started_at: "%d/%m/%Y %H:%M"}\n')
    (calls / "calls.csv").write_text("CallId,When,Caller,Agent,Team,TalkTime,Wait,Resolved,Repeat\n"
                                     "C1,03/07/2026 09:15,K1,E1,North,00:04:05,01:30,Y,N\n")
    result = check_file(calls / "calls.csv", calls / "calls.yml", as_of="2026-09-30")
    assert result.accepted["started_at"].iloc[0] == pd.Timestamp("2026-07-03 09:15")


SURVEY = """\
table: customer_responses
columns: {response_id: Id, responded_on: Date, nps: Recommend, rating_speed: Speed}
constants: {client: acme, customer_id: unknown, channel: web, journey_stage: usage,
            department: Support}
"""
SURVEY_CSV = ("Id,Date,Recommend,Speed\n"
              "R1,2011-05-01,0,0\n"
              "R2,2012-03-01,0,4\n"
              "R3,2013-03-01,N/A,5\n"
              "R4,2013-04-01,10,0\n")


@pytest.fixture
def survey(tmp_path):
    (tmp_path / "s.csv").write_text(SURVEY_CSV)
    return tmp_path


def _check(folder, mapping):
    (folder / "s.yml").write_text(mapping)
    return check_file(folder / "s.csv", folder / "s.yml", as_of="2026-09-30")


def test_missing_codes_can_apply_to_one_column_only(survey):
    result = _check(survey, SURVEY + 'missing: {rating_speed: [0], "*": [N/A]}\n')
    ok = result.accepted.set_index("response_id")
    assert ok.loc["R1", "nps"] == 0 and ok.loc["R2", "nps"] == 0  # "not recommended" kept
    assert pd.isna(ok.loc["R1", "rating_speed"]) and ok.loc["R2", "rating_speed"] == 4
    assert pd.isna(ok.loc["R3", "nps"])  # N/A, a code for every column
    notes = " ".join(result.notes)
    assert "rating_speed: 2 cell(s) read as no answer" in notes
    assert "nps: 1 cell(s) read as no answer" in notes


def test_a_missing_code_for_every_column_says_what_it_blanked(survey):
    result = _check(survey, SURVEY + "missing: [0]\n")
    notes = " ".join(result.notes)
    # the trap the issue describes: 0 meant for ratings also blanks "not recommended"
    assert "nps: 2 cell(s) read as no answer (missing codes ['0'])" in notes


def test_filters_leave_rows_out_and_count_them(survey):
    result = _check(survey, SURVEY + "filters:\n  - {column: responded_on, on_or_after: "
                                     "2012-01-01}\n  - {column: nps, present: true}\n"
                                     'missing: {"*": [N/A], rating_speed: [0]}\n')
    assert sorted(result.accepted["response_id"]) == ["R2", "R4"]
    assert result.rejected.empty  # filtered rows are not rejections
    notes = " ".join(result.notes)
    assert "1 row(s) filtered out by the mapping (responded_on on or after 2012-01-01)" in notes
    assert "1 row(s) filtered out by the mapping (nps has a value: True)" in notes


#: Calls with one column for the time they started (the header CallId,When,Caller,...).
WHEN_CALLS = ("table: interactions\ncolumns: {interaction_id: CallId, started_at: When, "
              "customer_id: Caller, employee_id: Agent, team: Team, handle_seconds: Talk, "
              "wait_seconds: Wait, is_resolved_first_contact: R, is_repeat_within_7d: P}\n"
              "constants: {client: acme, channel: phone}\n")


def test_a_shift_keeps_every_digit(tmp_path):
    (tmp_path / "w.csv").write_text("CallId,When,Caller,Agent,Team,Talk,Wait,R,P\n"
                                    "C1,2026-07-03,K1,E1,North,1234567.25,0,true,false\n")
    (tmp_path / "w.yml").write_text(WHEN_CALLS + "values: {handle_seconds: {shift: 1}}\n")
    result = check_file(tmp_path / "w.csv", tmp_path / "w.yml", as_of="2026-09-30")
    assert result.accepted["handle_seconds"].iloc[0] == 1234568.25


@pytest.mark.parametrize(("mapping", "message"), [
    ("table: customer_responses\nsource: {header_rows: two}\n",
     "source.header_rows: 'two' is not allowed; expected a whole number"),
    ("table: customer_responses\nsource: {header_rows: -1}\n",
     "source.header_rows: -1 is not allowed; expected a whole number of at least 0"),
    ("table: customer_responses\ncolumns: [a, b]\n",
     r"columns: \['a', 'b'\] is not allowed; expected a mapping"),
    ("table: customer_responses\nsource: {sheet: [1]}\n",
     "source.sheet: .* expected text or a whole number"),
    ("table: customer_responses\nvalues: {nps: {duration: hours}}\n",
     "values.nps.duration: 'hours' is not allowed; expected one of 'hh:mm:ss'"),
    ("table: customer_responses\nfilters: [{column: responded_on}]\n",
     "a filter needs a condition"),
    ("table: customer_responses\nmissing: {nps: [0], score: [1]}\n",
     r"missing: \['score'\] are not columns"),
    ("table: customer_responses\ncolumns: {nps: A}\ndatetimes: {nps: {date: A, time: B}}\n",
     "both under columns and under datetimes"),
    ("- a list\n", "found a list"),
    ("table: customer_responses\nsource: &s {header_rows: 1}\nconstants: *s\n",
     "YAML aliases"),
])
def test_mapping_mistakes_name_the_key_the_value_and_what_was_expected(tmp_path, mapping,
                                                                        message):
    (tmp_path / "m.yml").write_text(mapping)
    with pytest.raises(ImportError_, match=message):
        load_mapping(tmp_path / "m.yml")


def test_a_yaml_alias_bomb_is_refused_at_once(tmp_path):
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    (tmp_path / "bomb.yml").write_text("\n".join(lines) + "\ntable: customer_responses\n")
    with pytest.raises(ImportError_, match="aliases"):
        load_mapping(tmp_path / "bomb.yml")


def test_a_roster_read_from_a_call_export_keeps_each_agent_once(tmp_path):
    (tmp_path / "calls.csv").write_text("Agent,Team\nE1,North\nE2,North\nE1,North\nE1,North\n"
                                        "E2,South\n")
    (tmp_path / "roster.yml").write_text(
        "table: employees\ncolumns: {employee_id: Agent, display_name: Agent, team: Team}\n"
        "constants: {client: acme, department: Support, role: Agent}\n"
        "one_row_per: [employee_id]\n")
    result = check_file(tmp_path / "calls.csv", tmp_path / "roster.yml", as_of="2026-09-30")
    assert sorted(result.accepted["employee_id"]) == ["E1", "E2"]
    # E2 in two teams is a conflict, named by validation rather than decided silently
    assert list(result.rejected["row"]) == [6]
    assert any("2 row(s) repeated an earlier row's employee_id" in n for n in result.notes)


def test_dates_mixing_utc_offsets_are_read_each_on_its_own(tmp_path):
    (tmp_path / "w.csv").write_text(
        "CallId,When,Caller,Agent,Team,Talk,Wait,R,P\n"
        "C1,03/07/2026 09:15 +0200,K1,E1,North,10,0,true,false\n"
        "C2,03/01/2026 09:15 +0100,K1,E1,North,10,0,true,false\n"
        "C3,04/07/2026 09:15 +0000,K1,E1,North,10,0,true,false\n")
    (tmp_path / "w.yml").write_text(WHEN_CALLS + "dates: {started_at: '%d/%m/%Y %H:%M %z'}\n")
    result = check_file(tmp_path / "w.csv", tmp_path / "w.yml", as_of="2026-09-30")
    times = result.accepted.set_index("interaction_id")["started_at"]
    assert times["C1"] == pd.Timestamp("2026-07-03 07:15")  # in UTC
    assert times["C2"] == pd.Timestamp("2026-01-03 08:15")
    assert times["C3"] == pd.Timestamp("2026-07-04 09:15")
    assert any("UTC offset" in n for n in result.notes)


def test_header_rows_say_what_they_skipped_and_stop_when_too_many(survey):
    mapping = SURVEY + "source: {header_rows: 1}\nmissing: [N/A]\n"
    result = _check(survey, mapping.replace("rating_speed: Speed", "rating_speed: Speed"))
    assert "1 row(s) under the header skipped as source.header_rows" in " ".join(result.notes)
    with pytest.raises(ImportError_, match="source.header_rows is 9, but the file has 4"):
        _check(survey, SURVEY + "source: {header_rows: 9}\n")


def test_every_mapping_in_the_how_to_is_valid(tmp_path):
    import re
    from pathlib import Path

    guide = (Path(__file__).resolve().parent.parent / "docs" / "real-exports.md").read_text()
    blocks = re.findall(r"```yaml\n(.*?)```", guide, flags=re.S)
    assert len(blocks) >= 4
    for i, block in enumerate(blocks):
        (tmp_path / f"m{i}.yml").write_text(block)
        load_mapping(tmp_path / f"m{i}.yml")


def test_a_missing_code_matches_the_same_number_however_written(survey):
    (survey / "s.csv").write_text("Id,Date,Recommend,Speed\nR1,2013-05-01,9,0.0\n"
                                  "R2,2013-05-02,7,0\nR3,2013-05-03,8,4.0\n")
    result = _check(survey, SURVEY + "missing: {rating_speed: [0]}\n")
    ok = result.accepted.set_index("response_id")
    assert pd.isna(ok.loc["R1", "rating_speed"]) and pd.isna(ok.loc["R2", "rating_speed"])
    assert ok.loc["R3", "rating_speed"] == 4
    assert "rating_speed: 2 cell(s) read as no answer" in " ".join(result.notes)


def test_the_date_that_places_rows_in_a_quarter_cannot_be_not_collected(tmp_path):
    (tmp_path / "m.yml").write_text("table: customer_responses\nnot_collected: [responded_on]\n")
    with pytest.raises(ImportError_, match="places each row of customer_responses in a quarter"):
        load_mapping(tmp_path / "m.yml")


def test_filtered_rows_count_as_read(survey):
    result = _check(survey, SURVEY + "filters:\n  - {column: responded_on, on_or_after: "
                                     '2012-01-01}\nmissing: {"*": [N/A], rating_speed: [0]}\n')
    assert result.rows_filtered == 1 and result.rows_read == 4
    assert result.summary()["rows_filtered"] == 1


def test_every_mistake_of_a_mapping_is_named_in_one_run(tmp_path):
    """Three unrelated mistakes: all three in one message, not one per attempt."""
    from cxlab.data.imports import ImportError_, check_file

    (tmp_path / "f.csv").write_text("id,date\nR1,2026-07-01\n")
    (tmp_path / "m.yml").write_text(
        "table: customer_responses\ncolumns: {response_id: id, responded_on: date}\n"
        "constants: {client: acme, channel: web}\nrow_ids: [customer_ref]\n"
        "not_collected: [channel]\nsegments: {Class: {column: C, label: Class}}\n")
    with pytest.raises(ImportError_) as err:
        check_file(tmp_path / "f.csv", tmp_path / "m.yml")
    message = str(err.value)
    assert "segments: ['Class'] are not allowed names" in message
    assert "row_ids: ['customer_ref'] are not columns of customer_responses" in message
    assert "not_collected: ['channel'] are also given under constants" in message
