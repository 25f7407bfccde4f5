"""Importing real exports through a mapping: quirks handled, broken files explained."""

import csv
import io
import json
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cxlab.cli import main
from cxlab.data.imports import ImportError_, check_file, load_mapping
from cxlab.data.validate import validate

MAPPING = """\
table: customer_responses
source: {header_rows: 2}
columns: {response_id: ResponseId, responded_on: RecordedDate, nps: Q1, csat: Q2,
          comment: Comment}
constants: {client: acme, customer_id: unknown, channel: web, journey_stage: usage,
            department: Support}
missing: [-99]
values:
  nps: {shift: -1}
  csat: {recode: {Very satisfied: 5, Satisfied: 4, Neutral: 3, Dissatisfied: 2,
                  Very dissatisfied: 1}}
dates: {responded_on: "%d/%m/%Y"}
"""
# A survey-tool export: byte-order mark, semicolons, question text and import ids under the
# header, 1-11 recommend scale, -99 and blank cells for no answer, labelled satisfaction.
EXPORT = (
    "\ufeffResponseId;RecordedDate;Q1;Q2;Comment\n"
    '"Response ID";"Recorded date";"How likely...";"How satisfied...";"Why?"\n'
    '"{ImportId:_recordId}";"{ImportId:recordedDate}";"{ImportId:QID1}";"{ImportId:QID2}";'
    '"{ImportId:QID3}"\n'
    "R1;03/07/2026;11;Very satisfied;Great\n"
    "R2;04/07/2026;-99;satisfied;\n"
    "R3;05/07/2026;;Neutral;ok\n"
    "R4;31/02/2026;12;Dissatisfied;bad date\n"
    "R1;06/07/2026;1;Very dissatisfied;dup id\n"
)


@pytest.fixture
def files(tmp_path):
    (tmp_path / "map.yml").write_text(MAPPING)
    (tmp_path / "export.csv").write_text(EXPORT, encoding="utf-8")
    return tmp_path


def test_survey_export_quirks_are_handled(files):
    result = check_file(files / "export.csv", files / "map.yml", as_of="2026-09-30")
    ok = result.accepted.set_index("response_id")
    assert ok.loc["R1", "nps"] == 10 and ok.loc["R1", "csat"] == 5  # 11 -> 10; label -> 5
    assert pd.isna(ok.loc["R2", "nps"]) and ok.loc["R2", "csat"] == 4  # -99 is no answer
    assert pd.isna(ok.loc["R3", "nps"])  # blank cell is no answer
    assert str(ok.loc["R1", "responded_on"].date()) == "2026-07-03"
    reasons = dict(zip(result.rejected["row"], result.rejected["reason"], strict=True))
    assert "row 7" in reasons[7] and "'31/02/2026 (not a date in the mapping format %d/%m/%Y)'" \
        in reasons[7] and "'11'" in reasons[7]
    assert "repeats" in reasons[8]
    assert result.rows_read == 5 == len(result.accepted) + len(result.rejected)


def test_other_encodings_and_delimiters(files):
    text = "id\tdate\tQ1\nR1\t03/07/2026\t10\nR2\t04/07/2026\t9\n"
    (files / "tabs.tsv").write_bytes(text.replace("R2", "Ré2").encode("cp1252"))
    (files / "m.yml").write_text(
        "table: customer_responses\ncolumns: {response_id: id, responded_on: date, nps: Q1}\n"
        "constants: {client: acme, customer_id: c, channel: web, journey_stage: usage, "
        "department: Support}\ndates: {responded_on: '%d/%m/%Y'}\n")
    result = check_file(files / "tabs.tsv", files / "m.yml")
    assert list(result.accepted["response_id"]) == ["R1", "Ré2"]
    assert any("Windows-1252" in n for n in result.notes)


def test_excel_sheet_and_parquet(files):
    lines = [line.split(";") for line in EXPORT.lstrip("\ufeff").splitlines()]
    frame = pd.DataFrame(lines[1:], columns=lines[0])
    dates = pd.to_datetime(frame["RecordedDate"].iloc[2:], format="%d/%m/%Y", errors="coerce")
    sheet = frame.astype({"RecordedDate": object})
    sheet.loc[dates.index[:2], "RecordedDate"] = dates.iloc[:2]  # real date cells, as Excel keeps
    with pd.ExcelWriter(files / "export.xlsx") as writer:
        pd.DataFrame({"note": ["cover sheet"]}).to_excel(writer, sheet_name="About", index=False)
        sheet.to_excel(writer, sheet_name="Responses", index=False)
    (files / "xl.yml").write_text(MAPPING.replace("header_rows: 2}", "header_rows: 2, "
                                                  "sheet: Responses}"))
    result = check_file(files / "export.xlsx", files / "xl.yml")
    assert sorted(result.accepted["response_id"]) == ["R1", "R2", "R3"]
    assert sorted(result.accepted["responded_on"].dt.day) == [3, 4, 5]
    assert set(result.rejected["row"]) == {7, 8}  # spreadsheet row numbers, as in the CSV
    frame.iloc[2:].to_parquet(files / "export.parquet")
    (files / "pq.yml").write_text(MAPPING.replace("header_rows: 2", "header_rows: 0"))
    assert len(check_file(files / "export.parquet", files / "pq.yml").accepted) == 3


@pytest.mark.parametrize("content, message", [
    ("", "the file is empty"),
    ("ResponseId;RecordedDate;Q1;Q2;Comment\n", "no data rows"),
])
def test_empty_and_header_only_files(files, content, message):
    (files / "bad.csv").write_text(content)
    (files / "flat.yml").write_text(MAPPING.replace("header_rows: 2", "header_rows: 0"))
    with pytest.raises(ImportError_, match=message):
        check_file(files / "bad.csv", files / "flat.yml")


@pytest.mark.parametrize("mapping, message", [
    ("table: nope\n", "table 'nope' unknown"),
    ("table: customer_responses\ncolumn: {}\n", "unknown key"),
    ("table: customer_responses\ncolumns: {score: Q1}\n", "not columns of customer_responses"),
    ("table: customer_responses\nvalues: {nps: {scale: 2}}\n", "values.nps.scale: unknown key"),
])
def test_mapping_errors_name_the_problem(files, mapping, message):
    (files / "m.yml").write_text(mapping)
    with pytest.raises(ImportError_, match=message):
        load_mapping(files / "m.yml")


def test_mapping_naming_a_missing_column(files):
    (files / "m.yml").write_text(MAPPING.replace("Comment}", "Remarks}"))
    with pytest.raises(ImportError_, match=r"\['Remarks'\] named in m.yml are not in the file"):
        check_file(files / "export.csv", files / "m.yml")


def test_check_command_reports_and_exits_by_usability(files, capsys):
    assert main(["data", "check", str(files / "export.csv"), "--mapping",
                 str(files / "map.yml"), "--as-of", "2026-09-30"]) == 0
    out = capsys.readouterr().out
    assert "5 rows read, 3 accepted, 2 rejected" in out and "usable: yes" in out
    (files / "future.csv").write_text(EXPORT.replace("/2026", "/2031"))
    assert main(["data", "check", str(files / "future.csv"), "--mapping",
                 str(files / "map.yml"), "--as-of", "2026-09-30"]) == 1
    assert "after the data's as-of date" in capsys.readouterr().out
    assert main(["data", "check", str(files / "nope.csv"), "--mapping",
                 str(files / "map.yml")]) == 2


CELLS = st.one_of(st.none(), st.text(max_size=8), st.integers(-200, 200).map(str),
                  st.sampled_from(["2026-07-01", "31/02/2026", "web", "usage", "=cmd|' /C calc'!A0"]))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.fixed_dictionaries({c: CELLS for c in (
    "response_id", "client", "responded_on", "customer_id", "channel", "journey_stage",
    "department", "nps", "csat", "comment")}), max_size=30))
def test_every_row_is_accepted_or_rejected(rows):
    frame = pd.DataFrame(rows, columns=["response_id", "client", "responded_on", "customer_id",
                                        "channel", "journey_stage", "department", "nps", "csat",
                                        "comment"])
    result = validate(frame, "customer_responses", "generated")
    assert len(result.accepted) + len(result.rejected) == len(frame)
    assert result.rejected["reason"].str.len().gt(0).all() if len(result.rejected) else True


REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata"
DOCS = Path(__file__).resolve().parents[1] / "docs" / "mappings"


def _real(name: str, **read_csv) -> pd.DataFrame:
    return pd.read_csv(REALDATA / name, **read_csv)


def _airline(result):
    raw = _real("oddjob_airlinesat.csv")
    # The export's 1-11 scale arrives as 0-10, answer for answer.
    assert result.accepted["nps"].dropna().astype(int).tolist() == \
        (raw["nps"] - 1).dropna().astype(int).tolist()
    return raw


def _ibm(result):
    raw = _real("ibm_hr_employee_attrition.csv", encoding="utf-8-sig")
    assert result.accepted["employee_id"].tolist() == raw["EmployeeNumber"].astype(str).tolist()
    assert set(result.accepted["department"]) == set(raw["Department"])
    return raw


def _bank(result):
    raw = _real("plspm_bank_satisfaction.csv")
    assert result.accepted["nps"].astype(int).tolist() == raw["loy3"].tolist()
    return raw


def _corp_rep(result):
    raw = _real("seminr_corp_rep_data.csv")
    answered = raw.loc[raw["cusa"] != -99, "cusa"]
    assert result.accepted["csat"].isna().sum() == (raw["cusa"] == -99).sum() == 1
    # The CSAT top-2 share is the 7-point top-two share (6 or 7), by hand.
    assert (result.accepted["csat"].dropna() >= 4).mean() == answered.isin([6, 7]).mean()
    return raw


def _glassdoor(result):
    raw = _real("glassdoor_reviews_sample.csv")
    from cxlab.metrics import nps

    yes, no = (raw["recommend"] == "v").sum(), (raw["recommend"] == "x").sum()
    assert nps(result.accepted["enps"].dropna(), metric="enps").value == \
        pytest.approx(100 * (yes - no) / (yes + no))
    return raw


def _skytrax(result):
    raw = _real("skytrax_seat_reviews.csv")
    dated = raw[raw["date"] >= "2000-01-01"]  # the 26 placeholder dates are filtered out
    assert len(raw) - len(dated) == 26
    assert result.accepted["comment"].tolist() == dated["content"].str.strip().tolist()
    ratings = pd.to_numeric(dated["viewing_tv_rating"], errors="coerce")
    assert result.accepted["rating_tv"].isna().sum() == (ratings.isna() | (ratings == 0)).sum()
    return raw


@pytest.mark.skipif(not REALDATA.is_dir(), reason="../shared/realdata is not beside the project")
@pytest.mark.parametrize("data, mapping, check", [
    ("oddjob_airlinesat.csv", "oddjob_airlinesat.yml", _airline),
    ("ibm_hr_employee_attrition.csv", "ibm_hr_employees.yml", _ibm),
    ("plspm_bank_satisfaction.csv", "plspm_bank_satisfaction.yml", _bank),
    ("seminr_corp_rep_data.csv", "seminr_corp_rep.yml", _corp_rep),
    ("glassdoor_reviews_sample.csv", "glassdoor_reviews.yml", _glassdoor),
    ("skytrax_seat_reviews.csv", "skytrax_seat_reviews.yml", _skytrax),
], ids=lambda v: v if isinstance(v, str) and v.endswith(".yml") else "")
def test_documented_mappings_import_the_real_files(data, mapping, check):
    """Each example mapping in docs/mappings takes every row of its real file (or filters it)."""
    result = check_file(REALDATA / data, DOCS / mapping, as_of="2026-11-22")
    raw = check(result)
    assert result.rows_read == len(raw) == len(result.accepted) + result.rows_filtered
    ids = [c for c in result.accepted if c.endswith("_id") and c in ("response_id", "employee_id")]
    assert result.accepted[ids[0]].is_unique


def test_import_merges_once_keeps_rejects_and_defuses_formulas(files, capsys):
    from cxlab.data.imports import import_file

    (files / "evil.csv").write_text(EXPORT.replace("bad date", "=cmd|' /C calc'!A0"))
    first, folder = import_file(files / "evil.csv", files / "map.yml", "acme-exports", "acme",
                                as_of="2026-09-30", root=files / "data")
    table = pd.read_parquet(folder / "customer_responses.parquet")
    assert sorted(table["response_id"]) == ["R1", "R2", "R3"]
    again, _ = import_file(files / "evil.csv", files / "map.yml", "acme-exports", "acme",
                           as_of="2026-09-30", root=files / "data")
    assert len(pd.read_parquet(folder / "customer_responses.parquet")) == 3
    assert any("3 accepted row(s) were already in" in n for n in again.notes)
    rejected_csv = (folder / "rejected" / "customer_responses.csv").read_text()
    assert "'=cmd|" in rejected_csv and ",=cmd|" not in rejected_csv
    assert len(pd.read_parquet(folder / "rejected" / "customer_responses.parquet")) == 2
    quality = json.loads((folder / "quality.json").read_text())
    assert [q["table"] for q in quality] == ["customer_responses"]
    assert quality[0]["rows_read"] == 5
    # A second export for the same table: its rejections join the first file's, each record
    # stays, and the counts still add up to every row read.
    (files / "july.csv").write_text(EXPORT.replace("\nR", "\nJ"))
    import_file(files / "july.csv", files / "map.yml", "acme-exports", "acme",
                as_of="2026-09-30", root=files / "data")
    rejected = pd.read_parquet(folder / "rejected" / "customer_responses.parquet")
    assert sorted(rejected["file"]) == ["evil.csv"] * 2 + ["july.csv"] * 2
    quality = json.loads((folder / "quality.json").read_text())
    assert sorted(Path(q["source"]).name for q in quality) == ["evil.csv", "july.csv"]
    table = pd.read_parquet(folder / "customer_responses.parquet")
    assert len(table) + len(rejected) == sum(q["rows_read"] for q in quality) == 10
    assert not list(folder.rglob("*.partial"))


def test_import_refuses_a_mapping_for_another_client(files, capsys, monkeypatch):
    monkeypatch.setenv("CXLAB_HOME", str(files))
    assert main(["data", "import", str(files / "export.csv"), "--mapping",
                 str(files / "map.yml"), "--dataset", "x", "--client", "other"]) == 2
    assert "sets client 'acme'" in capsys.readouterr().err
    assert main(["data", "import", str(files / "export.csv"), "--mapping",
                 str(files / "map.yml"), "--dataset", "x", "--client", "acme",
                 "--as-of", "2026-09-30"]) == 0
    assert (files / "data" / "x" / "acme" / "customer_responses.parquet").is_file()


@pytest.mark.slow
def test_report_runs_on_a_client_with_only_an_imported_survey(sandbox, tmp_path, monkeypatch,
                                                              capsys):
    """An analyst imports one survey export and runs the quarterly report on it, end to end."""
    from cxlab.data import read_table
    from cxlab.run.executor import run_study
    from cxlab.run.matrix import StudySpec

    monkeypatch.setenv("CXLAB_HOME", str(sandbox))
    # The export: a year of real-looking answers, as a survey tool writes them (1-11 scale,
    # labelled satisfaction, day-first dates, -99 for no answer, a byte-order mark).
    source = read_table("sample", "cedar", "customer_responses")
    source = source[source["responded_on"] >= "2025-10-01"]
    labels = {5: "Very satisfied", 4: "Satisfied", 3: "Neutral", 2: "Dissatisfied",
              1: "Very dissatisfied"}
    export = pd.DataFrame({
        "ResponseId": source["response_id"],
        "RecordedDate": source["responded_on"].dt.strftime("%d/%m/%Y"),
        "Q1": (source["nps"] + 1).astype("Float64").fillna(-99).astype(int),
        "Q2": source["csat"].map(labels).fillna(""),
        "Comment": source["comment"].fillna(""),
    })
    broken = {"ResponseId": "X1", "RecordedDate": "01/08/2026", "Q1": 13, "Q2": "", "Comment": ""}
    export = pd.concat([export, pd.DataFrame([broken])], ignore_index=True)
    export.to_csv(tmp_path / "acme.csv", sep=";", index=False, encoding="utf-8-sig")
    (tmp_path / "map.yml").write_text(MAPPING.replace("header_rows: 2", "header_rows: 0"))
    assert main(["data", "import", str(tmp_path / "acme.csv"), "--mapping",
                 str(tmp_path / "map.yml"), "--dataset", "acme-exports", "--client", "acme",
                 "--as-of", "2026-09-30"]) == 0

    spec = StudySpec("acme", "2026Q3", "quarterly_report", "acme-exports", "Acme Insurance")
    result = run_study(spec, tmp_path / "reports", tmp_path / "failed")
    assert result.status == "ok", result.error
    cells = json.loads(spec.output_path(tmp_path / "reports").read_text())["cells"]
    outputs = [o for c in cells if c["cell_type"] == "code" for o in c["outputs"]]
    assert not [o for o in outputs if o["output_type"] in ("error", "stream")
                and o.get("name") != "stdout"]
    text = "\n".join("".join(o.get("data", {}).get("text/markdown", "")) for o in outputs)
    in_quarter = source[source["responded_on"] >= "2026-07-01"]
    assert f"This quarter: {len(in_quarter):,} customer survey responses (dataset" in text
    assert "Not in this dataset: interactions, accounts, employees" in text
    assert "needs the tables `employees` and `incentive_plan`" in text  # departments
    html = "\n".join("".join(o.get("data", {}).get("text/html", "")) for o in outputs)
    answers = in_quarter["nps"].dropna()
    nps = 100 * ((answers >= 9).mean() - (answers <= 6).mean())  # by hand
    assert f'<td class="cx-num">{nps:+.1f}</td>' in html  # the scorecard's NPS, via 1-11
    # The data-quality section counts every row of the file, the rejected one included.
    assert (f'<td>acme.csv</td><td class="cx-num">{len(export):,}</td><td class="cx-num">'
            f'{len(export) - 1:,}</td><td class="cx-num">1</td>') in html
    # Described, not quoted: the column, the kind of value and what was expected.
    assert "column &#39;nps&#39;: a whole number; expected a whole number from 0 to 10" in html
    assert "'12'" not in html and str(tmp_path) not in html
    # The maturity evidence would read absent tables as practices not in place: refused.
    capsys.readouterr()
    assert main(["assess", "acme", "--dataset", "acme-exports"]) == 2
    assert "lacks the table(s) ['interactions', 'employees'" in capsys.readouterr().err


FLAT = ("table: customer_responses\n"
        "columns: {response_id: id, responded_on: date, nps: nps, comment: comment, "
        "employee_id: emp}\n"
        "constants: {client: acme, customer_id: c, channel: web, journey_stage: usage, "
        "department: Support}\n")
HEAD = "id,date,nps,comment,emp\n"

# The corpus of broken files: (name, file bytes, {row: expected reason} or the error expected).
CORPUS = [
    ("mixed types", (HEAD + "R1,2026-07-01,seven,a,E1\nR2,2026-07-01,7.5,b,E1\n"
                     "R3,2026-07-01,7.0,c,E1\nR4,2026-07-01, 8 ,d,E1\n").encode(),
     {2: "column 'nps': value 'seven': expected a whole number from 0 to 10",
      3: "value '7.5': expected a whole number"}),
    ("a stray delimiter", (HEAD + "R1,2026-07-01,9,ok,E1,extra\nR2,2026-07-01,8,x,E1,,\n"
                           "R3,2026-07-01,8\n").encode(),
     {2: "6 cells where the header has 5 (a stray delimiter or quote?): ['R1', '2026-07-01', "
         "'9', 'ok', 'E1', 'extra']",
      4: "3 cells where the header has 5"}),
    ("a comment over lines", (HEAD + 'R1,2026-07-01,9,"two\nlines",E1\nR2,2026-07-01,11,x,E1\n'
                              "\n\nR3,2026-07-01,12,x,E1\n").encode(),
     {4: "row 4, column 'nps': value '11'", 7: "row 7, column 'nps': value '12'"}),
    ("a very long comment", (HEAD + "R1,2026-07-01,9," + "x" * 40_000 + ",E1\n"
                             "R2,2026-07-01,9," + "y" * 32_767 + ",E1\n").encode(),
     {2: "text of 40,000 characters: expected at most 32,767"}),
    ("UTF-16 text from a spreadsheet", (HEAD + "R1,2026-07-01,9,café,E1\n").replace(",", "\t")
     .encode("utf-16"), {}),
    ("Windows-1252 text", (HEAD + "R1,2026-07-01,9,très bien,E1\n").encode("cp1252"), {}),
    ("a quote never closed", (HEAD + 'R1,2026-07-01,9,ok,E1\nR2,2026-07-01,8,"open,E1\n'
                              "R3,2026-07-01,7,fine,E1\n").encode(),
     "row 3: unexpected end of data; a quoted cell that is never closed"),
    ("a mapped column twice", b"id,date,nps,comment,emp,nps\nR1,2026-07-01,9,ok,E1,8\n",
     r"column\(s\) \['nps'\] appear more than once in the header"),
]


@pytest.mark.parametrize("name, content, expected", CORPUS, ids=[c[0] for c in CORPUS])
def test_broken_file_corpus(tmp_path, name, content, expected):
    (tmp_path / "m.yml").write_text(FLAT)
    (tmp_path / "f.csv").write_bytes(content)
    if isinstance(expected, str):
        with pytest.raises(ImportError_, match=expected):
            check_file(tmp_path / "f.csv", tmp_path / "m.yml")
        return
    result = check_file(tmp_path / "f.csv", tmp_path / "m.yml")
    reasons = dict(zip(result.rejected["row"], result.rejected["reason"], strict=True))
    assert set(reasons) == set(expected)
    for row, message in expected.items():
        assert message in reasons[row]
    assert result.rows_read == len(result.accepted) + len(result.rejected)
    assert len(result.accepted) >= 1  # the good rows still arrive
    assert all(not str(c).startswith(("ÿþ", "\ufeff")) for c in result.accepted["response_id"])


def test_check_against_the_roster_names_unknown_employees(tmp_path, capsys, monkeypatch):
    roster = ("employee_id,name,dept,team,role,hired\n"
              "E1,Ana Lima,Support,Support A,agent,2024-01-02\n")
    (tmp_path / "roster.csv").write_text(roster)
    (tmp_path / "roster.yml").write_text(
        "table: employees\ncolumns: {employee_id: employee_id, display_name: name, "
        "department: dept, team: team, role: role, hired_on: hired}\n")
    (tmp_path / "m.yml").write_text(FLAT)
    (tmp_path / "f.csv").write_text(HEAD + "R1,2026-07-01,9,ok,E1\nR2,2026-07-01,9,ok,E9\n")
    home = ["--dataset", "acme-exports", "--client", "acme"]
    monkeypatch.setenv("CXLAB_HOME", str(tmp_path))
    assert main(["data", "import", str(tmp_path / "roster.csv"), "--mapping",
                 str(tmp_path / "roster.yml"), *home]) == 0
    assert main(["data", "check", str(tmp_path / "f.csv"), "--mapping",
                 str(tmp_path / "m.yml"), *home]) == 0
    out = capsys.readouterr().out
    assert "1 accepted, 1 rejected" in out
    assert "row 3, column 'employee_id': value 'E9' is not in employees.employee_id" in out
    assert main(["data", "check", str(tmp_path / "f.csv"), "--mapping",
                 str(tmp_path / "m.yml"), "--client", "acme"]) == 2
    assert "give --dataset and --client together" in capsys.readouterr().err


def test_follow_ups_of_unknown_happy_or_later_answers_are_rejected_saying_why(tmp_path):
    """Planted: a follow-up of a promoter, of an id never answered, and one dated the day
    before the customer answered; the good ones (same day, CSAT 2) are stored."""
    from cxlab.data.imports import import_file

    (tmp_path / "m.yml").write_text(FLAT.replace("nps: nps,", "nps: nps, csat: csat,"))
    (tmp_path / "answers.csv").write_text(
        "id,date,nps,csat,comment,emp\nR1,2026-07-10,3,,bad,E1\nR2,2026-07-10,10,5,great,E1\n"
        "R3,2026-07-10,8,2,slow,E1\nR4,2026-07-10,0,1,awful,E1\n")
    (tmp_path / "fu.yml").write_text(
        "table: follow_ups\ncolumns: {response_id: answer, followed_up_on: contacted}\n"
        "constants: {client: acme}\n")
    (tmp_path / "fu.csv").write_text(
        "answer,contacted\nR1,2026-07-10 16:00\nR2,2026-07-11\nR9,2026-07-11\n"
        "R3,2026-07-12\nR4,2026-07-09 09:00\n")
    home = dict(dataset="acme-exports", client="acme", as_of="2026-09-30", root=tmp_path)
    import_file(tmp_path / "answers.csv", tmp_path / "m.yml", **home)
    result, folder = import_file(tmp_path / "fu.csv", tmp_path / "fu.yml", **home)
    stored = pd.read_parquet(folder / "follow_ups.parquet")
    assert sorted(stored["response_id"]) == ["R1", "R3"]
    rejected = pd.read_parquet(folder / "rejected" / "follow_ups.parquet").set_index("row")
    assert "answer 'R2' is not unhappy (NPS 10, CSAT 5)" in rejected.loc["3", "reason"]
    assert "'R9' is not in customer_responses.response_id" in rejected.loc["4", "reason"]
    assert ("followed_up_on is before answer 'R4' was given (on 2026-07-10)"
            in rejected.loc["6", "reason"])
    assert result.summary()["reasons"] == {
        "response_id: not an unhappy answer": 1, "response_id: not in customer_responses": 1,
        "response_id: followed up before the answer": 1}


TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)


@settings(max_examples=120, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.lists(TEXT, min_size=5, max_size=5), max_size=20),
       ragged=st.sets(st.integers(0, 19), max_size=3),
       delimiter=st.sampled_from(list(",;\t|")),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]))
def test_every_row_of_any_csv_file_is_accepted_or_rejected(tmp_path, rows, ragged, delimiter,
                                                           encoding):
    """Any cells (quotes, delimiters, line breaks inside), in any supported encoding: each
    record written is either accepted or rejected, and each rejection says why."""
    records = [r + ["extra"] if i in ragged else r for i, r in enumerate(rows)]
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(["id", "date", "nps", "comment", "emp"])
    writer.writerows(records)
    (tmp_path / "p.csv").write_bytes(buffer.getvalue().encode(encoding))
    (tmp_path / "p.yml").write_text(FLAT + f"source: {{delimiter: {delimiter!r}}}\n"
                                    .replace("'\\t'", '"\\t"'))
    written = [r for r in records if any(c.strip() for c in r)]  # all-blank records: skipped
    if not written:
        with pytest.raises(ImportError_, match="no data rows"):
            check_file(tmp_path / "p.csv", tmp_path / "p.yml")
        return
    result = check_file(tmp_path / "p.csv", tmp_path / "p.yml")
    assert result.rows_read == len(written)
    assert len(result.accepted) + len(result.rejected) == len(written)
    assert result.rejected["reason"].str.len().gt(0).all()
    n_ragged = sum(len(r) != 5 for r in written)
    assert (result.rejected["reason_code"] == "file: wrong number of cells").sum() == n_ragged


def test_data_quality_section_publishes_counts_and_descriptions_never_rows_or_paths(files):
    """Rejected rows carry emails, cards and names; the report shows none of it."""
    from cxlab.data.imports import import_file
    from cxlab.data.store import read_quality
    from cxlab.report.tables import data_quality, reason_words, rejected_examples
    from cxlab.study import Study

    secrets = ["jane.doe@example.com", "4111 1111 1111 1111", "Jane Doe", "+44 20 7946 0958",
               "R7", "R8", "R9", "R10"]
    export = EXPORT + (
        "R7;07/07/2026;9;Satisfied;ok;jane.doe@example.com;4111 1111 1111 1111\n"  # extra cells
        "R8;08/07/2026;99;Satisfied;Jane Doe called +44 20 7946 0958\n"  # out of range
        "R9;09/07/2026;abc;Satisfied;Jane Doe\n"  # wrong type
        "R10;10/07/2026;5;Happy-ish;x\n"  # not a known label
    )
    (files / "export.csv").write_text(export, encoding="utf-8")
    result, _ = import_file(files / "export.csv", files / "map.yml", "acme-exports", "acme",
                            as_of="2026-09-30", root=files / "data")
    assert result.rows_rejected >= 6
    quality = read_quality("acme-exports", "acme", files / "data")
    study = Study("acme", "2026Q3", "acme-exports", "Acme", {}, quality)
    shown = data_quality(study).to_html() + rejected_examples(study).to_html()
    for secret in [*secrets, str(files), "/tmp"]:
        assert secret not in shown
    examples = rejected_examples(study)
    assert set(examples["Reason"]) == {reason_words(code) for code in quality[0]["reasons"]}
    described = dict(zip(examples["Reason"], examples["Example"], strict=True))
    assert described["file: wrong number of cells"] == "a row of 7 cells; expected 5, as in the header"
    assert described["NPS: outside its allowed range"].startswith("column 'nps': a whole number; expected")
    assert described["NPS: not readable as the expected type"].startswith(
        "column 'nps': text of 3 characters; expected")
    # The analyst still has everything, beside the dataset.
    kept = pd.read_parquet(files / "data" / "acme-exports" / "acme" / "rejected"
                           / "customer_responses.parquet")
    assert kept["reason"].str.contains("jane.doe@example.com").any()


def test_quality_records_from_before_published_examples_show_no_example():
    from cxlab.report.tables import UNDESCRIBED, rejected_examples
    from cxlab.study import Study

    old = [{"table": "customer_responses", "source": "/home/me/export.csv", "rows_read": 3,
            "rows_accepted": 2, "rows_rejected": 1, "reasons": {"nps: out of range": 1},
            "examples": {"nps: out of range": ["/home/me/export.csv, row 2: value 12 ..."]}}]
    table = rejected_examples(Study("a", "2026Q3", "d", "A", {}, old))
    assert table["Example"].tolist() == [UNDESCRIBED]
    assert "/home/me" not in table.to_html()
