"""Client-ready exports of a report: the Excel workbook holds numbers, the deck the headline."""

from pathlib import Path

import openpyxl
import pandas as pd
import pytest

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
    assert names == ["About", "Scorecard", "Trends", "Departments", "Teams", "Key drivers"]
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
