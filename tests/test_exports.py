"""Client-ready exports of a report: the Excel workbook holds numbers, the deck the headline."""

from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from cxlab import report
from cxlab.report import exports


@pytest.fixture(scope="module")
def northwind(sample_study):
    return sample_study("northwind")


def _sheet(path: Path, name: str) -> pd.DataFrame:
    return pd.read_excel(path, sheet_name=name)


def test_the_workbook_holds_the_scorecard_as_numbers_with_formats(northwind, tmp_path):
    from cxlab.report.tables import scorecard_frame

    path = exports.write_workbook(northwind, tmp_path / "r.xlsx")
    card = _sheet(path, "Scorecard").set_index("Measure")
    frame = scorecard_frame(northwind).set_index("measure")
    nps = frame.loc["NPS (points)", "current"]
    assert card.loc["NPS (points)", "Value"] == pytest.approx(nps.value)
    assert card.loc["NPS (points)", "95% CI low"] == pytest.approx(nps.ci[0])
    assert card.loc["NPS (points)", "n"] == nps.n
    csat = frame.loc["CSAT, share 4-5", "current"]
    assert card.loc["CSAT, share 4-5", "Value"] == pytest.approx(csat.value)
    assert 0 < csat.value < 1
    p = frame.loc["NPS (points)", "prev_p_adj"]
    assert card.loc["NPS (points)", f"Adjusted p vs {northwind.previous_quarter}"] == \
        pytest.approx(p)
    ws = openpyxl.load_workbook(path)["Scorecard"]
    formats = {ws.cell(i, 1).value: ws.cell(i, 3).number_format for i in range(2, ws.max_row + 1)}
    assert formats["CSAT, share 4-5"] == "0.0%"  # a share shows as a percent, stays a fraction
    assert formats["NPS (points)"].startswith("+0.0")
    assert isinstance(ws.cell(2, 3).value, float)
    change = card.loc["CSAT, share 4-5", f"Change vs {northwind.previous_quarter}"]
    assert change == pytest.approx(100 * frame.loc["CSAT, share 4-5", "prev_change"])  # pp


def test_the_workbook_has_every_table_the_data_can_give(northwind, tmp_path):
    path = exports.write_workbook(northwind, tmp_path / "r.xlsx")
    names = openpyxl.load_workbook(path).sheetnames
    assert names == ["About", "Scorecard", "Trends", "Departments", "Teams", "Incentive plan",
                     "Incentive audit", "Key drivers", "Key drivers of CSAT", "EX-CX linkage",
                     "Closing the loop", "Statements", "Comment themes", "Comment tone",
                     "Pulse by department", "Pulse by team", "Employee comment themes",
                     "Maturity evidence", "Maturity elements"]
    about = _sheet(path, "About").to_string()
    assert "no segment declared" in about  # left out, with the reason
    assert "placed in the dataset directly, not imported" in about  # no import record
    teams = _sheet(path, "Teams")
    assert set(teams["Measure"]) == {"NPS (points)", "CSAT, share 4-5"}
    trends = _sheet(path, "Trends")
    assert northwind.quarter in set(trends["Quarter"])
    assert not {"employee_id", "display_name", "Employee"} & set(
        c for n in names[1:] for c in _sheet(path, n).columns)  # no employee-level table


def test_text_that_looks_like_a_formula_stays_text(tmp_path):
    frame = pd.DataFrame({"Team": ['=HYPERLINK("http://x.example","click")', "@SUM(1+1)"],
                          "Value": [0.5, 0.25]})
    content = exports.Workbook([exports.Sheet("Teams", frame, {"Value": "0.0%"})], {})
    path = exports.save_workbook(content, ["=cmd|' /C calc'!A0"], tmp_path / "w.xlsx")
    book = openpyxl.load_workbook(path)
    cell = book["Teams"]["A2"]
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")
    assert book["About"]["A1"].data_type == "s"
    assert book["Teams"]["B2"].number_format == "0.0%" and book["Teams"]["B2"].value == 0.5


def test_the_deck_has_the_headline_and_the_charts(northwind, tmp_path):
    from pptx import Presentation
    from pptx.enum.shapes import MSO_SHAPE_TYPE

    deck = Presentation(exports.write_deck(northwind, tmp_path / "r.pptx"))
    titles = [s.shapes.title.text for s in deck.slides]
    assert titles[0] == f"{northwind.client_name}: {northwind.quarter}"
    assert "Headline measures" in titles
    pictures = [s for s in deck.slides
                if any(sh.shape_type == MSO_SHAPE_TYPE.PICTURE for sh in s.shapes)]
    assert len(pictures) == 4  # two trends, NPS by team, key drivers
    table = next(sh for s in deck.slides for sh in s.shapes if sh.has_table).table
    assert table.cell(1, 0).text == "NPS (points)"
    assert not list(tmp_path.glob("*.png"))  # chart images are not left behind
    # Drawn for a projector, without the title the slide's heading already gives.
    for slide in pictures:
        picture = next(sh for sh in slide.shapes if sh.shape_type == MSO_SHAPE_TYPE.PICTURE)
        width_px, _ = picture.image.size
        assert width_px / (picture.width / 914400) >= 130  # pixels per inch on the slide
    chart = report.trend_chart(northwind, "nps")
    with_title, without = chart.png(dpi=exports.DECK_DPI), chart.png(dpi=exports.DECK_DPI,
                                                                      title=False)
    assert with_title != without and chart.figure.axes[0].get_title()  # the page's keeps it
    picture = next(sh for sh in pictures[0].shapes if sh.shape_type == MSO_SHAPE_TYPE.PICTURE)
    assert picture.image.blob == without


def test_the_deck_shows_employee_nps_by_department_hiding_what_the_page_hides(sample_study,
                                                                              tmp_path):
    from pptx import Presentation

    study = sample_study("cedar")  # three small departments hidden at the default 5
    page = report.voice_by_group(study, "department")
    hidden = [str(d) for d in page.index if page.at[d, "eNPS"].startswith("hidden")]
    shown = [str(d) for d in page.index if str(d) not in hidden]
    assert hidden and shown
    deck = Presentation(exports.write_deck(study, tmp_path / "r.pptx"))
    slide = next(s for s in deck.slides if s.shapes.title.text.startswith("Employee NPS by "
                                                                          "department"))
    table = next(sh for sh in slide.shapes if sh.has_table).table
    rows = {table.cell(i, 0).text: [table.cell(i, j).text for j in range(1, 4)]
            for i in range(1, len(table.rows))}
    assert set(rows) == set(map(str, page.index))
    for dept in hidden:  # no count, no eNPS: only the page's "hidden" note
        assert all(cell.startswith("hidden") for cell in rows[dept]), rows[dept]
    for dept in shown:
        assert rows[dept][1] == page.at[dept, "eNPS"]


def test_downloads_write_where_the_run_says_and_link_them(northwind, tmp_path, monkeypatch):
    from cxlab import config

    monkeypatch.delenv(config.EXPORT_ROOT_ENV, raising=False)
    assert "made when `cxlab run` executes it" in exports.downloads(northwind).data
    monkeypatch.setenv(config.EXPORT_ROOT_ENV, str(tmp_path))
    text = exports.downloads(northwind).data
    folder = tmp_path / northwind.client / northwind.quarter
    assert sorted(p.name for p in folder.iterdir()) == ["quarterly_report.pptx",
                                                        "quarterly_report.xlsx"]
    assert "[Excel workbook](quarterly_report.xlsx)" in text
    assert "[PowerPoint deck](quarterly_report.pptx)" in text


# ------------------------------------------------------------------------------------------
# The workbook: the page's tables as numbers, under the page's privacy rules


def _rows(path: Path, name: str) -> list[dict]:
    ws = openpyxl.load_workbook(path)[name]
    rows = list(ws.iter_rows(values_only=True))
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def test_the_about_sheet_says_what_every_sheet_holds(northwind, tmp_path):
    path = exports.write_workbook(northwind, tmp_path / "r.xlsx")
    book = openpyxl.load_workbook(path)
    about = {r[0]: r[1] for r in book["About"].iter_rows(values_only=True) if r and r[0]}
    for name in book.sheetnames[1:]:
        assert name in about, name
        assert about[name] and len(about[name]) > 30, name  # a line, not a bare name
    assert any(str(k).startswith("Not in the workbook: employee-level") for k in about)


def test_tiny_p_values_are_stored_exactly_and_shown_as_such(northwind, tmp_path):
    from cxlab.report.drivers import key_drivers_result

    path = exports.write_workbook(northwind, tmp_path / "r.xlsx")
    ws = openpyxl.load_workbook(path)["Key drivers"]
    header = [c.value for c in ws[1]]
    cells = [ws.cell(i, header.index("p") + 1) for i in range(2, ws.max_row + 1)]
    expected = key_drivers_result(northwind).table["p_value"].to_numpy()
    assert min(expected) < 1e-9  # the sample has a driver far beyond any doubt
    assert [c.value for c in cells] == pytest.approx(list(expected), rel=1e-12, abs=0)
    assert all(c.value > 0 and c.number_format == exports.P_FORMAT for c in cells)
    # Every p column of every sheet: a stored 0.0 would be a rounded tiny p.
    book = openpyxl.load_workbook(path)
    for ws in book.worksheets[1:]:
        header = [c.value for c in ws[1]]
        for j, name in enumerate(header, start=1):
            if name == "p" or str(name).startswith(("p (", "Adjusted p")):
                values = [ws.cell(i, j).value for i in range(2, ws.max_row + 1)]
                assert all(v is None or (isinstance(v, int | float) and v > 0) for v in values), \
                    (ws.title, name)
                assert ws.cell(2, j).number_format == exports.P_FORMAT


def test_the_new_sheets_hold_the_frames_the_page_is_built_from(northwind, tmp_path):
    from cxlab.report.linkage import linkage_frame
    from cxlab.report.statements import statements_frame
    from cxlab.stats.employees import incentive_audit_frame

    path = exports.write_workbook(northwind, tmp_path / "r.xlsx")
    link = linkage_frame(northwind).iloc[0]
    row = _rows(path, "EX-CX linkage")[0]
    assert row["Effect (points)"] == pytest.approx(link["effect"])
    assert row["p (Holm-adjusted)"] == pytest.approx(link["p_adj"])
    _, tests = incentive_audit_frame(northwind)
    audit = [r for r in _rows(path, "Incentive audit") if r["p (BH-adjusted)"] is not None]
    assert len(audit) == len(tests)
    assert sorted(r["p (BH-adjusted)"] for r in audit) == pytest.approx(
        sorted(tests["p_adj"]), rel=1e-12)
    statements = _rows(path, "Statements")
    now = statements_frame(northwind).query("quarter == @northwind.quarter")
    shares = {r["Statement"]: r["Share of comments"] for r in statements
              if r["Quarter"] == northwind.quarter}
    assert shares == pytest.approx(dict(zip(now["statement"], now["share"], strict=True)))
    assert all(r[f"Change vs {northwind.previous_quarter} (pp)"] is not None
               for r in statements if r["Quarter"] == northwind.quarter)
    themes = _rows(path, "Comment themes")
    assert themes and all(0 <= r["Share"] <= 1 for r in themes)
    assert "Example" not in themes[0]  # no comment text in the workbook
    plan = {r["Department"]: r for r in _rows(path, "Incentive plan")}
    roster = northwind.tables["employees"]["department"].value_counts()
    assert {d: r["Employees"] for d, r in plan.items()} == roster.to_dict()
    evidence = _rows(path, "Maturity evidence")
    assert {r["In place"] for r in evidence} <= {"yes", "no", "not measurable yet"}


@pytest.mark.parametrize("client", ["northwind", "cedar"])
def test_no_employee_name_or_id_reaches_the_workbook(sample_study, client, tmp_path):
    study = sample_study(client, settings={"show_employee_names": client == "cedar"})
    path = exports.write_workbook(study, tmp_path / "r.xlsx")
    roster = study.tables["employees"]
    people = set(roster["display_name"]) | set(roster["employee_id"]) | set(roster["email"])
    seen = {str(v) for ws in openpyxl.load_workbook(path).worksheets
            for row in ws.iter_rows(values_only=True) for v in row if v is not None}
    assert not {p for p in people if any(p in text for text in seen)}


def test_groups_the_page_hides_are_hidden_in_the_workbook(sample_study, tmp_path):
    from cxlab.report.voice import voice_by_group

    study = sample_study("northwind", settings={"min_group_size": 8})
    page = voice_by_group(study, "team")
    hidden = {str(t) for t, r in page.iterrows() if str(r["Answers"]).startswith("hidden")}
    shown = {str(t): int(r["Answers"]) for t, r in page.iterrows() if str(t) not in hidden}
    assert hidden and shown  # the threshold hides some teams, not all
    rows = {r["Team"]: r for r in _rows(exports.write_workbook(study, tmp_path / "r.xlsx"),
                                        "Pulse by team")}
    assert set(rows) == hidden | set(shown)
    for team in hidden:
        assert rows[team]["Status"].startswith("hidden")
        assert all(v in (None, "") for k, v in rows[team].items() if k not in ("Team", "Status"))
    assert {t: rows[t]["Answers"] for t in shown} == shown


def test_a_pulse_too_small_to_show_leaves_no_number(sample_study, tmp_path):
    study = sample_study("northwind", "2026Q2", settings={"min_group_size": 10_000})
    path = exports.write_workbook(study, tmp_path / "r.xlsx")
    card = {r["Measure"]: r for r in _rows(path, "Scorecard")}
    enps = next(r for m, r in card.items() if "eNPS" in m)
    assert enps["Status"].startswith("hidden") and enps["Value"] is None
    for by in ("department", "team"):
        assert all(r["Answers"] is None and r["eNPS"] is None
                   for r in _rows(path, f"Pulse by {by}"))
    assert "Employee comment themes" not in openpyxl.load_workbook(path).sheetnames


# ------------------------------------------------------------------------------------------
# The deck: 16:9, everything on the slide, text sized to fit


def _inside(deck) -> list[str]:
    """Shapes reaching past a slide's edge, as 'slide i: name'."""
    w, h = deck.slide_width, deck.slide_height
    return [f"slide {i}: {sh.name}" for i, s in enumerate(deck.slides, start=1)
            for sh in s.shapes
            if sh.left < 0 or sh.top < 0 or sh.left + sh.width > w or sh.top + sh.height > h]


def _sizes(deck) -> list:
    """The font size of every run of text on the slides (None where a run has none)."""
    sizes = []
    for s in deck.slides:
        for sh in s.shapes:
            frames = ([c.text_frame for row in sh.table.rows for c in row.cells]
                      if sh.has_table else [sh.text_frame] if sh.has_text_frame else [])
            sizes += [r.font.size for f in frames for p in f.paragraphs for r in p.runs]
    return sizes


@pytest.mark.parametrize("client", ["northwind", "cedar", "driftwood"])
def test_every_shape_of_the_deck_is_on_its_16_9_slide(sample_study, client, tmp_path):
    from pptx import Presentation
    from pptx.util import Inches, Pt

    study = sample_study(client)
    deck = Presentation(exports.write_deck(study, tmp_path / "r.pptx"))
    assert (deck.slide_width, deck.slide_height) == (Inches(13.333), Inches(7.5))
    assert not _inside(deck)
    sizes = _sizes(deck)
    assert sizes and all(s is not None and s >= Pt(11) for s in sizes)
    first = deck.slides[0]
    assert study.client_name in first.shapes.title.text and study.quarter in first.shapes.title.text
    for s in deck.slides:
        for sh in s.shapes:
            if sh.has_table:  # the stored height is the rows' measured heights
                assert sum(r.height for r in sh.table.rows) == sh.height
            if sh.shape_type == 13:  # a picture: alternative text
                assert sh._element.nvPicPr.cNvPr.get("descr")


def test_a_tall_chart_is_fitted_by_its_height_keeping_its_proportions(tmp_path):
    from matplotlib.figure import Figure
    from pptx import Presentation

    from cxlab.report.theme import Chart

    figure = Figure(figsize=(7.5, 12))
    figure.add_subplot().set_title("Thirty teams")
    deck = exports._new_deck()
    exports.chart_slide(deck, Chart(figure, "a tall chart"))
    deck.save(tmp_path / "d.pptx")
    deck = Presentation(tmp_path / "d.pptx")
    picture = next(sh for sh in deck.slides[0].shapes if sh.shape_type == 13)
    assert not _inside(deck)
    assert picture.top + picture.height <= exports.BODY_BOTTOM_IN * 914400 + 1
    assert picture.width / picture.height == pytest.approx(7.5 / 12, rel=0.01)


def test_a_long_table_goes_over_slides_and_says_what_it_left_off(tmp_path):
    from pptx import Presentation

    rows = [[f"Team {i}", "a long cell that wraps onto a second line " * 2, f"{i}"]
            for i in range(200)]
    deck = exports._new_deck()
    shown = exports.table_slides(deck, "Teams", ["Team", "Note", "n"], rows, [1, 4, 1])
    deck.save(tmp_path / "d.pptx")
    deck = Presentation(tmp_path / "d.pptx")
    assert len(deck.slides) == exports.MAX_TABLE_SLIDES and 10 < shown < 200
    assert not _inside(deck)
    assert "(continued, 2 of 3)" in deck.slides[1].shapes.title.text
    notes = [sh.text_frame.text for sh in deck.slides[-1].shapes if sh.shape_type == 17]
    assert any(f"{200 - shown} more rows left off" in n for n in notes)
    tables = [sh.table for s in deck.slides for sh in s.shapes if sh.has_table]
    assert sum(len(t.rows) - 1 for t in tables) == shown  # every shown row once, in order
    assert tables[1].cell(1, 0).text == rows[len(tables[0].rows) - 1][0]


def test_long_findings_wrap_inside_their_box_and_go_on_over_slides(tmp_path):
    from pptx import Presentation
    from pptx.util import Pt

    findings = [f"Finding {i}: " + "a long sentence about what needs action " * 6
                for i in range(14)]
    deck = exports._new_deck()
    n = exports.text_slides(deck, "What needs action", findings)
    deck.save(tmp_path / "d.pptx")
    deck = Presentation(tmp_path / "d.pptx")
    assert n == len(deck.slides) > 1
    assert not _inside(deck)
    bodies = [s.placeholders[1].text_frame for s in deck.slides]
    assert all(b.word_wrap for b in bodies)
    assert [p.text for b in bodies for p in b.paragraphs] == findings  # none lost or split
    for b in bodies:  # the text measured at its size fits its box
        size = b.paragraphs[0].runs[0].font.size.pt
        assert size >= min(exports.TEXT_SIZES) and all(
            r.font.size == Pt(size) for p in b.paragraphs for r in p.runs)
        height = exports.text_height([p.text for p in b.paragraphs],
                                     72 * exports.BODY.width - 14.4, size, size / 2)
        assert height <= 72 * exports.BODY.height


def test_the_deck_reuses_the_pages_charts_and_tables(northwind, tmp_path):
    from cxlab import report

    exports.write_deck(northwind, tmp_path / "r.pptx")
    memo = {key for key in northwind._memo if key[0] == "section"}
    assert ("section", "cxlab.report.charts", "trend_chart('nps')") in memo
    assert ("section", "cxlab.report.tables", "scorecard()") in memo
    chart = report.trend_chart(northwind, "nps")
    assert chart is report.trend_chart(northwind, "nps")  # the page's cell: no second drawing
    filtered = northwind.filter(channel="phone")
    assert report.trend_chart(filtered, "nps") is not chart


def test_closing_the_loop_is_stored_as_the_statistics_give_it(northwind, tmp_path):
    from cxlab.stats.followups import loop_closure

    result = loop_closure(northwind.tables["customer_responses"],
                          northwind.tables["follow_ups"], northwind.quarter)
    path = exports.write_workbook(northwind, tmp_path / "r.xlsx")
    rows = {r["Measure"]: r for r in _rows(path, "Closing the loop")}
    assert rows["Unhappy answers (NPS 0-6 or CSAT 1-2)"]["Value"] == result.detractors > 0
    followed = rows["Followed up"]
    assert followed["Value"] == pytest.approx(result.followed.value)
    assert followed["Low"] == pytest.approx(result.followed.ci[0])
    days = rows["Days from the answer to closing the case (median; quartiles)"]
    assert (days["Low"], days["High"]) == pytest.approx((result.days_to_close[0],
                                                         result.days_to_close[2]))
    ws = openpyxl.load_workbook(path)["Closing the loop"]
    formats = {ws.cell(i, 1).value: ws.cell(i, 2).number_format for i in range(2, ws.max_row + 1)}
    assert formats["Followed up"] == "0.0%"
