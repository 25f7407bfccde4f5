"""Issue 17's fault injection: no value changes silently on the way in (reading and checks),
ids already stored follow --on-conflict, and user errors are told apart from bugs."""

import json

import numpy as np
import pandas as pd
import pytest

from cxlab.cli import main
from cxlab.data.imports import ImportError_, check_file, import_file, load_mapping, validate_file
from cxlab.errors import EXIT_INTERNAL_ERROR, EXIT_USER_ERROR, CxlabError

FLAT = ("table: customer_responses\n"
        "columns: {response_id: id, responded_on: date, nps: nps, comment: comment, "
        "employee_id: emp}\n"
        "constants: {client: acme, customer_id: c, channel: web, journey_stage: usage, "
        "department: Support}\n")
HEAD = "id,date,nps,comment,emp\n"


@pytest.fixture
def flat(tmp_path):
    (tmp_path / "m.yml").write_text(FLAT)
    return tmp_path


def _check(folder, content: bytes, name="f.csv"):
    (folder / name).write_bytes(content)
    return check_file(folder / name, folder / "m.yml")


def _reasons(result):
    return dict(zip(result.rejected["row"], result.rejected["reason"], strict=True))


def test_one_windows_1252_row_in_a_utf8_file_is_rejected_alone(flat):
    rows = [f"R{i},2026-07-01,9,café {i},E1\n".encode() for i in range(1, 5)]
    rows[2] = "R3,2026-07-01,9,crème brûlée,E1\n".encode("cp1252")  # line 4
    result = _check(flat, HEAD.encode() + b"".join(rows))
    assert result.accepted["comment"].tolist() == ["café 1", "café 2", "café 4"]  # untouched
    assert list(result.rejected["row"]) == [4]
    bad = result.rejected.iloc[0]
    assert bad["reason_code"] == "file: undecodable bytes"
    assert "row 4: bytes that are not UTF-8" in bad["reason"]
    assert bad["comment"] == "cr\\xe8me br\\xfbl\\xe9e"  # the bytes as they came, visible
    assert any("1 line(s) hold bytes that are not UTF-8 (line 4)" in n for n in result.notes)


def test_a_whole_windows_1252_file_is_decoded_and_noted(flat):
    result = _check(flat, (HEAD + "R1,2026-07-01,9,très bien,E1\n").encode("cp1252"))
    assert result.accepted["comment"].tolist() == ["très bien"]
    assert any("decoded as Windows-1252" in n for n in result.notes)


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_a_byte_order_mark_is_recognized(flat, encoding):
    text = (HEAD + "R1,2026-07-01,9,café,E1\nR2,2026-07-02,8,ok,E1\n").replace(",", "\t")
    result = _check(flat, text.encode(encoding))
    assert result.accepted["comment"].tolist() == ["café", "ok"]
    assert result.accepted["response_id"].tolist() == ["R1", "R2"]


def test_a_cell_over_the_csv_modules_limit_is_reported_as_too_long(flat):
    result = _check(flat, (HEAD + "R1,2026-07-01,9," + "x" * 140_000 + ",E1\n"
                           "R2,2026-07-01,9,ok,E1\n").encode())
    assert result.accepted["response_id"].tolist() == ["R2"]
    assert "text of 140,000 characters: expected at most 32,767" in _reasons(result)[2]
    assert "never closed" not in _reasons(result)[2]


@pytest.mark.parametrize("value", ["inf", "Infinity", "-inf", "1e400", "NaN"])
def test_non_finite_numbers_are_rejected(value):
    from cxlab.data.validate import validate

    frame = pd.DataFrame({
        "interaction_id": ["i1", "i2"], "client": "a", "started_at": "2026-07-01 10:00",
        "customer_id": "c", "employee_id": "e", "team": "t", "channel": "web",
        "wait_seconds": ["12.5", value], "handle_seconds": "60",
        "is_resolved_first_contact": "yes", "is_repeat_within_7d": "no"})
    result = validate(frame, "interactions", "x.csv")
    assert result.accepted["interaction_id"].tolist() == ["i1"]
    assert np.isfinite(result.accepted["wait_seconds"].astype(float)).all()
    assert f"column 'wait_seconds': value '{value}': expected a number of at least 0 (not a " \
        "finite number)" in result.rejected["reason"].iloc[0]


def test_nul_bytes_are_rejected_in_ids_and_text(flat):
    result = _check(flat, (HEAD + "R\x001,2026-07-01,9,ok,E1\nR2,2026-07-01,9,a\x00b,E1\n"
                           "R3,2026-07-01,9,ok,E1\n").encode())
    assert result.accepted["response_id"].tolist() == ["R3"]
    reasons = _reasons(result)
    assert "column 'response_id': value 'R<NUL>1' holds a NUL character" in reasons[2]
    assert "column 'comment'" in reasons[3] and "NUL" in reasons[3]
    assert set(result.rejected["reason_code"]) == {"response_id: NUL character",
                                                   "comment: NUL character"}


def test_times_with_an_offset_are_normalized_with_a_note(tmp_path):
    (tmp_path / "m.yml").write_text(
        "table: interactions\ncolumns: {interaction_id: id, started_at: at, "
        "wait_seconds: wait, handle_seconds: handle}\n"
        "constants: {client: acme, customer_id: c, employee_id: e, team: t, channel: web, "
        "is_resolved_first_contact: 'yes', is_repeat_within_7d: 'no'}\n")
    (tmp_path / "f.csv").write_text(
        "id,at,wait,handle\nI1,2026-07-01 10:00:00,1,2\nI2,2026-07-01T10:00:00+02:00,1,2\n"
        "I3,2026-01-15T09:30:00-05:00,1,2\nI4,2026-07-01T10:00:00Z,1,2\n")
    result = check_file(tmp_path / "f.csv", tmp_path / "m.yml", as_of="2026-11-26")
    at = result.accepted.set_index("interaction_id")["started_at"].astype(str).to_dict()
    assert at == {"I1": "2026-07-01 10:00:00", "I2": "2026-07-01 08:00:00",
                  "I3": "2026-01-15 14:30:00", "I4": "2026-07-01 10:00:00"}
    assert any("3 time(s) with a UTC offset (first: row 3, '2026-07-01T10:00:00+02:00') "
               "converted to UTC" in n for n in result.notes)


def test_excel_formulas_without_a_value_and_merged_cells_are_reported_by_cell(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["id", "date", "nps", "comment", "emp"])
    sheet.append(["R1", "2026-07-01", 9, "merged comment", "E1"])
    sheet.append(["R2", "2026-07-02", 8, None, "E1"])  # D3 is under the merged D2:D3
    sheet.append(["R3", "2026-07-03", "=C2-1", "formula never calculated", "E1"])
    sheet.append(["R4", "2026-07-04", 7, "fine", "E1"])
    sheet.merge_cells("D2:D3")
    book.save(tmp_path / "f.xlsx")
    (tmp_path / "m.yml").write_text(FLAT)
    result = check_file(tmp_path / "f.xlsx", tmp_path / "m.yml")
    assert result.accepted["response_id"].tolist() == ["R1", "R4"]
    reasons = _reasons(result)
    assert "cell D3 is covered by merged cells D2:D3" in reasons[3]
    assert "cell C4 holds a formula (=C2-1) with no saved value" in reasons[4]
    assert set(result.rejected["reason_code"]) == {"file: cell without its value"}
    assert result.rejected.set_index("row").loc[4, "comment"] == "formula never calculated"


@pytest.mark.parametrize("name", ["garbage.xlsx", "garbage.parquet"])
def test_a_garbage_workbook_or_parquet_is_a_user_error(flat, capsys, name):
    (flat / name).write_bytes(b"this is not what the name says\x00\x01" * 20)
    with pytest.raises(ImportError_, match=name):
        check_file(flat / name, flat / "m.yml")
    assert main(["data", "check", str(flat / name), "--mapping", str(flat / "m.yml")]) \
        == EXIT_USER_ERROR
    err = capsys.readouterr().err
    assert "Traceback" not in err and name in err


def test_a_bug_is_not_reported_as_a_user_error(flat, capsys, monkeypatch):
    (flat / "f.csv").write_text(HEAD + "R1,2026-07-01,9,ok,E1\n")

    def broken(*args, **kwargs):
        raise KeyError("a bug in a library")

    monkeypatch.setattr("cxlab.data.imports.validate", broken)
    code = main(["data", "check", str(flat / "f.csv"), "--mapping", str(flat / "m.yml")])
    assert code == EXIT_INTERNAL_ERROR not in (0, 1, 2)
    err = capsys.readouterr().err
    assert "Traceback" in err and "internal error" in err and "not a problem with your file" in err


def test_user_errors_share_one_base():
    from cxlab.data.validate import DataValidationError
    from cxlab.fsutil import LockBusy
    from cxlab.maturity.assessment import AnswersError
    from cxlab.privacy import PseudonymKeyError
    from cxlab.run.executor import RunLocked
    from cxlab.run.matrix import MatrixError
    from cxlab.stats.drivers import DriverError
    from cxlab.stats.linkage import LinkageError
    from cxlab.stats.shrinkage import ShrinkageError
    from cxlab.stats.weighting import RakingError

    for error in (ImportError_, DataValidationError, MatrixError, RakingError, DriverError,
                  LinkageError, ShrinkageError, PseudonymKeyError, AnswersError, RunLocked,
                  LockBusy):
        assert issubclass(error, CxlabError), error
    assert issubclass(ImportError_, ValueError)  # old `except ValueError` code still works


MAPPING = """\
table: customer_responses
source: {header_rows: 0}
columns: {response_id: ResponseId, responded_on: RecordedDate, nps: Q1, csat: Q2}
constants: {client: acme, customer_id: unknown, channel: web, journey_stage: usage,
            department: Support}
missing: [-99]
values:
  nps: {shift: -1}
  csat: {recode: {Very satisfied: 5, Satisfied: 4, Neutral: 3, Dissatisfied: 2,
                  Very dissatisfied: 1}}
dates: {responded_on: "%d/%m/%Y"}
"""


def test_rejected_rows_keep_the_values_as_they_came_in(tmp_path):
    (tmp_path / "m.yml").write_text(MAPPING)
    (tmp_path / "f.csv").write_text("ResponseId;RecordedDate;Q1;Q2\n"
                                    "R1;03/07/2026;12;Very satisfied\n"  # 12 - 1 = 11: too high
                                    "R2;31/02/2026;5; Happy-ish\n"
                                    "R3;03/07/2026;-99;Satisfied\n")
    result = check_file(tmp_path / "f.csv", tmp_path / "m.yml", as_of="2026-09-30")
    kept = result.rejected.set_index("response_id")
    assert kept.loc["R1", "nps"] == "12" and kept.loc["R1", "csat"] == "Very satisfied"
    assert "value '11'" in kept.loc["R1", "reason"]  # the reason quotes the value checked
    assert kept.loc["R2", "responded_on"] == "31/02/2026" and kept.loc["R2", "csat"] == " Happy-ish"
    assert kept.loc["R2", "client"] == "acme"  # constants as set by the mapping
    assert result.accepted["response_id"].tolist() == ["R3"]


def test_reading_in_chunks_gives_the_same_result_as_whole(tmp_path):
    (tmp_path / "m.yml").write_text(MAPPING)
    lines = ["ResponseId;RecordedDate;Q1;Q2"]
    for i in range(1, 41):
        lines.append(f"R{i % 37};03/07/2026;{(i % 13) or '-99'};Satisfied")  # 3 repeats, 11+
    (tmp_path / "f.csv").write_text("\n".join(lines) + "\n")
    mapping = load_mapping(tmp_path / "m.yml")
    whole = validate_file(tmp_path / "f.csv", mapping, as_of="2026-09-30", chunk_rows=1000)
    parts = validate_file(tmp_path / "f.csv", mapping, as_of="2026-09-30", chunk_rows=7)
    pd.testing.assert_frame_equal(whole.accepted, parts.accepted)
    pd.testing.assert_frame_equal(whole.rejected, parts.rejected)
    assert whole.notes == parts.notes
    assert (parts.rejected["reason_code"] == "response_id: duplicate id").sum() == 3
    assert any(n.startswith("nps: 3 cell(s) read as no answer") for n in parts.notes) or \
        not any("no answer" in n for n in whole.notes)


EXPORT = ("ResponseId;RecordedDate;Q1;Q2\n"
          "R1;03/07/2026;11;Very satisfied\n"
          "R2;04/07/2026;9;Satisfied\n"
          "R3;05/07/2026;7;Neutral\n")


def _import(tmp_path, content, **kwargs):
    (tmp_path / "f.csv").write_text(content)
    return import_file(tmp_path / "f.csv", tmp_path / "m.yml", "d", "acme", as_of="2026-09-30",
                       root=tmp_path / "data", **kwargs)


def test_ids_already_stored_with_other_values_follow_on_conflict(tmp_path):
    (tmp_path / "m.yml").write_text(MAPPING)
    _, folder = _import(tmp_path, EXPORT)
    table = folder / "customer_responses.parquet"
    before = pd.read_parquet(table)
    corrected = EXPORT.replace("R2;04/07/2026;9", "R2;04/07/2026;3") + "R4;06/07/2026;10;Neutral\n"
    with pytest.raises(ImportError_, match=r"1 of 4 accepted row\(s\) have an id already stored "
                       r"in customer_responses.parquet with other values \(e.g. 'R2'; first "
                       r"one's nps differ\); nothing was written. The others: 1 new, 2 already"):
        _import(tmp_path, corrected)
    pd.testing.assert_frame_equal(pd.read_parquet(table), before)
    assert not list(folder.glob(".*incoming*"))

    skipped, _ = _import(tmp_path, corrected, on_conflict="skip")
    stored = pd.read_parquet(table).set_index("response_id")
    assert stored.loc["R2", "nps"] == 8 and "R4" in stored.index
    assert skipped.rows_accepted == 3 and skipped.stored == {
        "added": 1, "updated": 0, "unchanged": 2, "skipped": 1}
    rejected = pd.read_parquet(folder / "rejected" / "customer_responses.parquet")
    row = rejected.iloc[0]
    assert row["row"] == "3" and row["response_id"] == "R2" and row["file"] == "f.csv"
    assert row["reason_code"] == "response_id: already stored with other values"
    assert skipped.rows_read == 4

    updated, _ = _import(tmp_path, corrected, on_conflict="update")
    stored = pd.read_parquet(table)
    assert stored["response_id"].tolist() == ["R1", "R2", "R3", "R4"]  # replaced in place
    assert stored.set_index("response_id").loc["R2", "nps"] == 2
    assert updated.stored == {"added": 0, "updated": 1, "unchanged": 3, "skipped": 0}
    assert updated.rows_accepted == 4 and updated.rows_rejected == 0
    quality = json.loads((folder / "quality.json").read_text())
    assert quality[-1]["stored"]["updated"] == 1


def test_on_conflict_on_the_command_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("CXLAB_HOME", str(tmp_path))
    (tmp_path / "m.yml").write_text(MAPPING)
    args = ["data", "import", str(tmp_path / "f.csv"), "--mapping", str(tmp_path / "m.yml"),
            "--dataset", "d", "--client", "acme", "--as-of", "2026-09-30"]
    (tmp_path / "f.csv").write_text(EXPORT)
    assert main(args) == 0
    assert "3 accepted" in capsys.readouterr().out
    (tmp_path / "f.csv").write_text(EXPORT.replace("R2;04/07/2026;9", "R2;04/07/2026;3"))
    assert main(args) == EXIT_USER_ERROR
    err = capsys.readouterr().err
    assert "1 of 3 accepted row(s)" in err and "--on-conflict skip" in err
    assert main([*args, "--on-conflict", "skip"]) == 0
    out = capsys.readouterr().out
    assert "3 rows read, 2 accepted, 1 rejected" in out
    assert "stored: 0 added, 0 updated, 2 already there unchanged; 1 skipped" in out
    assert main([*args, "--on-conflict", "update"]) == 0
    assert "3 rows read, 3 accepted, 0 rejected" in capsys.readouterr().out


def test_lines_ended_by_a_lone_carriage_return_are_read(flat):
    result = _check(flat, (HEAD + 'R1,2026-07-01,9,ok,E1\nR2,2026-07-01,8,"two\rlines",E1\n')
                    .replace("\n", "\r").encode())
    assert result.accepted["comment"].tolist() == ["ok", "two\rlines"]


def test_excel_date_time_cells_keep_their_time(tmp_path):
    import datetime

    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    book.active.append(["id", "at", "wait", "handle"])
    book.active.append(["I1", datetime.datetime(2026, 7, 1, 14, 5, 30), 1, 2])
    book.active.append(["I2", "2026-07-02 09:15", 3, 4])
    book.save(tmp_path / "t.xlsx")
    (tmp_path / "m.yml").write_text(
        "table: interactions\ncolumns: {interaction_id: id, started_at: at, "
        "wait_seconds: wait, handle_seconds: handle}\n"
        "constants: {client: acme, customer_id: c, employee_id: e, team: t, channel: web, "
        "is_resolved_first_contact: 'yes', is_repeat_within_7d: 'no'}\n")
    result = check_file(tmp_path / "t.xlsx", tmp_path / "m.yml", as_of="2026-11-26")
    assert result.accepted["started_at"].astype(str).tolist() == ["2026-07-01 14:05:30",
                                                                  "2026-07-02 09:15:00"]
