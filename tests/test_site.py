"""The site builder without a kernel: page lists, the reports index, one client's site."""

import json
import os
from pathlib import Path

import nbformat
import pytest
from report_harness import copy_site_sources

from cxlab.site import build_site, failed_studies, load_site_config, page_sources, write_reports_index

ROOT = Path(__file__).resolve().parent.parent
CLIENTS = {
    "quokka": {"name": "Quokka Airways", "employees": ["Felix Novak", "QU00017"]},
    "wombat": {"name": 'Wombat <img src=x onerror="alert(1)"> Bank',
             "employees": ["Ysolde Haverkamp", "WO00042"]},
}


def _report(client: str, quarter: str) -> nbformat.NotebookNode:
    """An executed report as the runner writes it, with the client's data in its outputs."""
    info = CLIENTS[client]
    nb = nbformat.v4.new_notebook()
    nb.metadata["cxlab"] = {"client": client, "quarter": quarter, "client_name": info["name"]}
    nb.cells = [
        nbformat.v4.new_raw_cell(f'---\ntitle: "{client}: {quarter}"\n---'),
        nbformat.v4.new_markdown_cell("## Scorecard\n\nHow customers rated the quarter."),
        nbformat.v4.new_code_cell("report.overview(study)", outputs=[nbformat.v4.new_output(
            "display_data", data={"text/markdown": f"**{client}** served by "
                                                   f"{info['employees'][0]}"})]),
        nbformat.v4.new_code_cell("report.table(study)", outputs=[nbformat.v4.new_output(
            "execute_result", data={"text/html": f"<table><tr><td>{info['employees'][1]}</td>"
                                                 "</tr></table>"}, execution_count=1)]),
        nbformat.v4.new_markdown_cell("## Data quality"),
    ]
    return nb


@pytest.fixture
def project(tmp_path):
    copy_site_sources(ROOT, tmp_path)
    for client in CLIENTS:
        for quarter in ("2026Q2", "2026Q3"):
            path = tmp_path / "reports" / client / quarter / "quarterly_report.ipynb"
            path.parent.mkdir(parents=True)
            nbformat.write(_report(client, quarter), path)
    record = {"n_failed": 1, "studies": [
        {"client": "wombat", "quarter": "2026Q1", "template": "quarterly_report", "status": "failed"},
        {"client": "quokka", "quarter": "2026Q3", "template": "quarterly_report", "status": "ok"}]}
    (tmp_path / "reports" / "build-record.json").write_text(json.dumps(record))
    return tmp_path


def _site_text(out: Path) -> str:
    return "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in out.rglob("*")
                     if p.is_file())


def test_a_client_site_holds_nothing_of_another_client(project):
    out = build_site(project, use_quarto=False, client="quokka")
    assert out == project / "_sites" / "quokka"
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.html"))
    # The researchers' pages (notebooks/) stay out: they show the sample clients.
    assert files == ["index.html", "methods.html", "reports/index.html",
                     "reports/maturity-model.html", "reports/quokka/2026Q2/quarterly_report.html",
                     "reports/quokka/2026Q3/quarterly_report.html", "reports/quokka/index.html",
                     "validation.html"]
    text = _site_text(out)
    assert "Quokka Airways" in text and "Felix Novak" in text
    for secret in ["wombat", "Wombat", "Haverkamp", "WO00042", "Ysolde"]:
        assert secret not in text, secret
    # The shared pages (home, methods, maturity model) name no client either, sample or not.
    from cxlab.data.sample import CLIENTS

    for client in CLIENTS:
        assert client.slug not in text.lower() and client.name.split()[0] not in text
    assert "failed" not in (out / "reports" / "index.html").read_text()
    # Nothing was left behind in the project, and the all-clients site is untouched.
    assert not list(project.glob(".cxlab-site-*")) and not (project / "_site").exists()


def test_the_all_clients_site_holds_both_and_names_failures_escaped(project):
    out = build_site(project, use_quarto=False, out=project / "public")
    index = (out / "reports" / "index.html").read_text()
    assert "Quokka Airways" in index and "<img" not in index
    assert "Wombat &lt;img" in index or "Wombat &#60;img" in index
    assert "1 study failed when last run" in index and "wombat 2026Q1" in index
    assert (out / "reports" / "wombat" / "2026Q3" / "quarterly_report.html").is_file()
    # The researchers' page, linked from the home page, with its code shown.
    home = (out / "index.html").read_text()
    assert 'href="notebooks/getting_started.html"' in home
    started = (out / "notebooks" / "getting_started.html").read_text()
    assert "import cxlab" in started and "open_study" in started
    # The other client's site is built beside it, separately, on demand.
    wombat = build_site(project, use_quarto=False, client="wombat", out=project / "wombat-site")
    assert "Quokka" not in _site_text(wombat) and "getting_started" not in _site_text(wombat)
    assert "wombat 2026Q1" in (wombat / "reports" / "index.html").read_text()


def test_a_client_without_reports_or_with_a_bad_name_is_a_clear_error(project):
    with pytest.raises(FileNotFoundError, match="no reports for client 'gamma'"):
        build_site(project, use_quarto=False, client="gamma")
    with pytest.raises(ValueError, match="not a valid name"):
        build_site(project, use_quarto=False, client="../quokka")


def test_reports_index_and_failures_by_client(project):
    from cxlab.site import write_maturity_page

    write_reports_index(project, "quokka")
    write_maturity_page(project)
    text = (project / "reports" / "index.qmd").read_text()
    assert "Quokka Airways" in text and "wombat" not in text.lower()
    assert failed_studies(project / "reports") == ["wombat 2026Q1"]
    assert failed_studies(project / "reports", "quokka") == []
    pages = page_sources(project, load_site_config(project))
    assert len([p for p in pages if p.suffix == ".ipynb"]) == 5  # 4 reports, getting started


def test_preview_titles_show_escaped_front_matter_as_plain_text(project):
    from cxlab.markup import escape

    path = project / "reports" / "quokka" / "2026Q3" / "quarterly_report.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells[0].source = f'---\ntitle: "{escape("A&B <b>bold</b>")}"\n---'
    nbformat.write(nb, path)
    out = build_site(project, use_quarto=False, client="quokka")
    page = (out / "reports" / "quokka" / "2026Q3" / "quarterly_report.html").read_text()
    assert "<title>A&amp;B &lt;b&gt;bold&lt;/b&gt;" in page
    assert "<b>bold</b>" not in page


def test_a_damaged_report_is_named_by_the_site_builder(project):
    path = project / "reports" / "quokka" / "2026Q3" / "quarterly_report.ipynb"
    path.write_text(path.read_text()[:200])
    with pytest.raises(ValueError, match=r"quokka/2026Q3/quarterly_report.ipynb: not a readable"):
        build_site(project, use_quarto=False)
    assert not (project / "_site").exists()


def test_a_client_site_keeps_only_that_clients_part_of_the_build_record(project):
    record = json.loads((project / "reports" / "build-record.json").read_text())
    record["failed"] = ["wombat 2026Q1 quarterly_report: Wombat's qwzx error"]
    (project / "reports" / "build-record.json").write_text(json.dumps(record))
    out = build_site(project, use_quarto=False, client="quokka")
    assert "qwzx" not in _site_text(out) and "Wombat" not in _site_text(out)


def test_the_site_never_replaces_a_folder_it_did_not_build(project, tmp_path):
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "important.txt").write_text("keep me")
    for client in ("quokka", None):
        with pytest.raises(ValueError, match="will not build the site into .*precious"):
            build_site(project, use_quarto=False, client=client, out=precious)
    assert (precious / "important.txt").read_text() == "keep me"
    (tmp_path / "a-file").write_text("x")
    with pytest.raises(ValueError, match="it is a file"):
        build_site(project, use_quarto=False, out=tmp_path / "a-file")
    # A new or empty folder, or a site built before, may be (re)built.
    empty = tmp_path / "empty"
    empty.mkdir()
    out = build_site(project, use_quarto=False, client="quokka", out=empty)
    assert (out / ".cxlab-site").is_file()
    assert build_site(project, use_quarto=False, client="quokka", out=empty) == empty
    # The project's own _site, from a version without the marker, is still replaced.
    (project / "_site").mkdir()
    (project / "_site" / "old.html").write_text("old")
    assert not (build_site(project, use_quarto=False) / "old.html").exists()


def test_cli_site_reports_an_unwritable_folder_in_plain_words(project, monkeypatch, capsys):
    import errno

    from cxlab.cli import main

    monkeypatch.setenv("CXLAB_HOME", str(project))
    real = Path.write_text

    def read_only(self, *args, **kwargs):
        if self.name == "index.qmd":
            raise OSError(errno.EROFS, "Read-only file system", str(self))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", read_only)
    assert main(["site"]) == 2
    err = capsys.readouterr().err
    assert "reports/index.qmd: the file system is read-only" in err and "Traceback" not in err
    monkeypatch.setattr(Path, "write_text", real)
    assert main(["site", "--client", "quokka"]) == 0
    assert "for quokka alone" in capsys.readouterr().out


def test_a_damaged_report_is_named_by_its_place_in_the_project(project):
    path = project / "reports" / "quokka" / "2026Q3" / "quarterly_report.ipynb"
    path.write_text(path.read_text()[:100])
    with pytest.raises(ValueError) as caught:
        build_site(project, use_quarto=False, client="quokka")
    assert str(caught.value).startswith("reports/quokka/2026Q3/quarterly_report.ipynb: not")


def test_staging_folders_of_killed_builds_are_removed(project):
    import subprocess
    import sys

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    stale = project / f".cxlab-site-{dead}-quokka-abc"
    (stale / "reports").mkdir(parents=True)
    live = project / f".cxlab-site-{os.getpid()}-quokka-def"
    live.mkdir()
    build_site(project, use_quarto=False, client="quokka")
    assert not stale.exists() and live.exists()


def test_one_clients_site_is_never_built_over_anothers(project, tmp_path):
    out = build_site(project, use_quarto=False, client="quokka", out=tmp_path / "delivery")
    with pytest.raises(ValueError, match="holds the site for quokka, and this one is for wombat"):
        build_site(project, use_quarto=False, client="wombat", out=out)
    with pytest.raises(ValueError, match="holds the site for quokka, and this one is for all"):
        build_site(project, use_quarto=False, out=out)
    assert (out / "reports" / "quokka").is_dir()


def _set_report(project, client, quarter, data=None, failure=None):
    """Give a report the data origin the runner records and, if any, a failed section."""
    path = project / "reports" / client / quarter / "quarterly_report.ipynb"
    nb = nbformat.read(path, as_version=4)
    if data is not None:
        nb.metadata["cxlab"]["data"] = data
    if failure is not None:
        nb.cells.append(nbformat.v4.new_markdown_cell("## Recognition"))
        nb.cells.append(nbformat.v4.new_code_cell("report.recognition_summary(study)", outputs=[
            nbformat.v4.new_output("display_data", data={"text/markdown": "box"},
                                   metadata={"cxlab": {"failed_section": failure}})]))
    nbformat.write(nb, path)


SAMPLE = {"dataset": "sample", "synthetic": True, "seed": 20261122, "scale": 1.0}
IMPORTED = {"dataset": "exports-2026", "synthetic": False}
BUG = {"call": "recognition_summary()", "kind": "bug", "error": "KeyError: 'response_id'",
       "where": "cxlab/report/recognition.py:36 in compute"}


def test_the_home_page_says_fictional_only_for_sample_data_and_names_each_dataset(project):
    for client in CLIENTS:
        for quarter in ("2026Q2", "2026Q3"):
            _set_report(project, client, quarter, SAMPLE)
    home = (build_site(project, use_quarto=False) / "index.html").read_text()
    assert "All 4 reports are built from cxlab" in home and "fictional" in home
    assert "20261122" in home and "could not be computed" not in home
    _set_report(project, "quokka", "2026Q3", IMPORTED)
    _set_report(project, "wombat", "2026Q3", {"dataset": "legacyq", "synthetic": None})
    out = build_site(project, use_quarto=False)
    home = (out / "index.html").read_text()
    assert "All 4 reports" not in home
    assert "exports-2026" in home and "imported from the client" in home and "1 report for" \
        in home and "Quokka Airways" in home
    assert "origin not recorded" in home  # a report that does not say is not called fictional
    # One client's site: only its own data is described.
    quokka = (build_site(project, use_quarto=False, client="quokka") / "index.html").read_text()
    assert "exports-2026" in quokka and "Wombat" not in quokka and "legacyq" not in quokka
    assert "{{&lt;" not in quokka and "include" not in quokka  # the shortcode was expanded


def test_the_home_page_and_the_reports_index_name_failed_studies_and_sections(project):
    _set_report(project, "quokka", "2026Q3", SAMPLE, failure={**BUG, "section": "Recognition"})
    out = build_site(project, use_quarto=False)
    for page in (out / "index.html", out / "reports" / "index.html"):
        text = page.read_text()
        assert "1 study failed when last run" in text and "wombat 2026Q1" in text, page
        assert "1 report section could not be computed" in text, page
        assert "Quokka Airways 2026Q3: Recognition (recognition_summary)" in text, page
        assert "KeyError" not in text and "response_id" not in text  # details stay in the record
    index = (out / "reports" / "index.html").read_text()
    # Quokka's table has the column (with "none" in its other quarter); Wombat's, where every
    # section was computed, has no column of dashes but a line saying so.
    assert index.count("Sections not computed") == 1 and "<td>none</td>" in index
    assert index.count("Every section of these reports was computed.") == 1
    quokka = build_site(project, use_quarto=False, client="quokka")
    text = (quokka / "index.html").read_text()
    assert "Recognition (recognition_summary)" in text and "wombat" not in text.lower()


def _served_text(out: Path, page: str) -> str:
    """A built page with its white space collapsed (Pandoc wraps long lines)."""
    return " ".join((out / page).read_text(encoding="utf-8").split())


def test_the_home_page_lists_each_client_and_each_has_a_landing_page(project):
    out = build_site(project, use_quarto=False)
    home = _served_text(out, "index.html")
    assert 'href="reports/quokka/index.html"' in home and "Quokka Airways" in home
    assert 'href="reports/wombat/index.html"' in home
    assert "<img src=x" not in home  # the client's name is data: escaped
    landing = _served_text(out, "reports/quokka/index.html")
    assert "<h1 class=\"title\">Quokka Airways</h1>" in landing
    assert landing.index("2026Q3/quarterly_report.html") < landing.index(
        "2026Q2/quarterly_report.html")  # newest first
    wombat = _served_text(out, "reports/wombat/index.html")
    assert "<img src=x" not in wombat and "Wombat &lt;img" in wombat
    index = _served_text(out, "reports/index.html")
    assert ">Quokka Airways, 2026Q3</a>" in index  # named by client and quarter
    assert "Quarterly report</a>" not in index


def test_a_report_page_has_contents_a_breadcrumb_and_its_neighbouring_quarters(project):
    out = build_site(project, use_quarto=False)
    late = _served_text(out, "reports/quokka/2026Q3/quarterly_report.html")
    early = _served_text(out, "reports/quokka/2026Q2/quarterly_report.html")
    assert 'rel="prev" href="../2026Q2/quarterly_report.html"' in late
    assert 'rel="next"' not in late
    assert 'rel="next" href="../2026Q3/quarterly_report.html"' in early
    assert 'rel="prev"' not in early
    assert '<a href="../index.html">Quokka Airways</a>' in late
    assert '<nav class="toc" aria-label="On this page">' in late
    assert '<a href="#Scorecard">Scorecard</a>' in late and ">Data quality</a>" in late


def test_contents_list_the_sections_as_plain_text():
    from cxlab.site import page_toc

    body = ('<h2 id="Key-drivers">Key <em>drivers</em><a class="anchor-link" href="#Key-drivers">'
            '¶</a></h2><p>x</p><h3 id="a&amp;b">Tom &amp; Jerry</h3><h4 id="deep">Deep</h4>'
            '<h2>No id</h2>')
    assert page_toc(body) == [{"level": 2, "id": "Key-drivers", "text": "Key drivers"},
                              {"level": 3, "id": "a&b", "text": "Tom & Jerry"}]


def test_search_covers_every_page_and_a_client_site_holds_only_its_own(project):
    out = build_site(project, use_quarto=False, client="quokka")
    script = _served_text(out, "search-index.js")
    assert script.startswith("window.CXLAB_SEARCH = ") and script.rstrip().endswith(";")
    index = json.loads(script[len("window.CXLAB_SEARCH = "):].rstrip().rstrip(";"))
    pages = {entry["href"] for entry in index}
    assert pages == {p.relative_to(out).as_posix() for p in out.rglob("*.html")}
    report = next(e for e in index if e["href"] == "reports/quokka/2026Q3/quarterly_report.html")
    assert {"id": "Scorecard", "text": "Scorecard", "at": 0} in report["sections"]
    # Where each section's heading starts in the page's text: a result quotes its section.
    assert all(report["text"][s["at"]:].startswith(s["text"]) for s in report["sections"])
    assert "How customers rated the quarter" in report["text"] and report["quarter"] == "2026Q3"
    assert "wombat" not in script.lower() and "Ysolde" not in script
    assert (out / "cxlab.js").is_file()


def test_pdf_without_chromium_is_a_clear_error(project, monkeypatch, capsys):
    from cxlab import cli

    monkeypatch.setattr("shutil.which", lambda name: None)
    monkeypatch.setenv("CXLAB_HOME", str(project))
    assert cli.main(["site", "--preview", "--pdf"]) == 2
    err = capsys.readouterr().err
    assert "prints the reports with Chromium, which is not installed" in err
    assert not (project / "_site").exists()  # nothing half built


def _scorecard_workbook(folder: Path, nps: tuple, csat: tuple) -> None:
    """A report's workbook with a Scorecard sheet: NPS and CSAT as (value, low, high)."""
    import pandas as pd

    from cxlab.report import exports

    card = pd.DataFrame({"Measure": ["NPS (points)", "CSAT, share 4-5", "CES, mean of 1-7"],
                         "Status": ["measured", "measured", "not measured"],
                         "Value": [nps[0], csat[0], None], "95% CI low": [nps[1], csat[1], None],
                         "95% CI high": [nps[2], csat[2], None]})
    sheet = exports.Sheet("Scorecard", card, kind_by="Measure",
                          kinds={"NPS (points)": "nps", "CSAT, share 4-5": "proportion",
                                 "CES, mean of 1-7": "mean"})
    exports.save_workbook(exports.Workbook([sheet], {}), ["Client"],
                          folder / "quarterly_report.xlsx")


def test_a_clients_page_shows_its_headline_by_quarter_and_exports_are_published(project):
    """The page reads each report's workbook (its scorecard as numbers); the workbook and
    the deck are published beside the report's page."""
    folder = project / "reports" / "quokka" / "2026Q3"
    _scorecard_workbook(folder, (12.34, 1.0, 20.0), (0.613, 0.593, 0.633))
    (folder / "quarterly_report.pptx").write_bytes(b"deck")
    out = build_site(project, use_quarto=False)
    page = _served_text(out, "reports/quokka/index.html")
    assert "Headline measures by quarter" in page
    assert "<td>+12.3 (+1.0 to +20.0)</td>" in page and "<td>61.3% (59.3% to 63.3%)</td>" in page
    assert "CES" not in page  # not measured in any quarter: no column
    assert "cx-trend" not in page  # one quarter: no chart of a trend
    published = out / "reports" / "quokka" / "2026Q3"
    assert (published / "quarterly_report.xlsx").is_file()
    assert (published / "quarterly_report.pptx").read_bytes() == b"deck"


def test_tables_scroll_in_one_box_each():
    import pandas as pd

    from cxlab.report.html_tables import table_html
    from cxlab.site import scrolling_tables

    report_table = table_html(pd.DataFrame({"a": [1]}))
    body = scrolling_tables("<p>x</p><table><tr><td>1</td></tr></table>" + report_table)
    assert body.count('class="table-scroll"') == 1  # the plain table; the report's has a box
    assert body.count('tabindex="0"') == 2


def test_wide_tables_print_on_landscape_pages_with_their_section_heading():
    import pandas as pd

    from cxlab.report.html_tables import table_html
    from cxlab.site import PRINT_PORTRAIT_PX, print_layout, print_size

    hidden = "hidden (confidentiality: groups under 5)"
    wide = table_html(pd.DataFrame({f"Item {i}": [hidden] * 3 for i in range(8)}))
    narrow = table_html(pd.DataFrame({"Measure": ["NPS"], "Value": ["+35.2 (28.0 to 41.9)"]}))
    long = table_html(pd.DataFrame({"Week": range(20), "Note": ["fine"] * 20}))
    size = print_size(wide)
    # Eight columns, each at least as wide as "(confidentiality:" and padding; header + 3 rows.
    assert size.columns == 8 and size.rows == 4
    assert size.narrowest > 8 * 90 > PRINT_PORTRAIT_PX and size.one_line > 2 * size.narrowest
    assert print_size(narrow).narrowest < 200

    def cell(html: str) -> str:
        return f'<div class="cell border-box-sizing code_cell rendered">{html}</div>\n'

    body = (cell("<h2 id='a'>Before</h2>") + cell(narrow)
            + cell("<h2 id='b'>Voice</h2><p>Intro</p>") + cell("<p>More text</p>") + cell(wide)
            + cell(long))
    out = print_layout(body)
    assert out.count("cx-print-wide") == 1 and out.count("cx-print-long") == 1
    assert out.count("cx-print-squeeze") == 0  # fits a landscape page without breaking words
    # The section's heading and text go to the wide table's page; the earlier section stays.
    leads = [c for c in out.split('<div class="cell') if "cx-print-lead" in c]
    assert len(leads) == 2 and "Voice" in leads[0] and "More text" in leads[1]


def test_print_size_counts_columns_through_row_spans():
    from cxlab.site import print_size

    table = ("<table><tr><th>Team</th><th>Name</th><th>Score</th></tr>"
             "<tr><th rowspan='2'>Sales</th><td>Ann</td><td>1</td></tr>"
             "<tr><td>Bo</td><td>Extraordinarily-long-word</td></tr>"
             "<tr><td colspan='3'>a note across the whole table that is left out</td></tr>"
             "</table>")
    size = print_size(table)
    assert size.columns == 3 and size.rows == 4
    # The long word sits in the third column (after the row span), not the second.
    assert size.narrowest > 25 * 5 and size.narrowest < 25 * 5 + 2 * 50 + 200


def test_a_clients_page_charts_its_headline_measures_with_the_numbers_in_words(project):
    """A small chart per measure measured in two quarters or more, its alt text giving
    every quarter's value and interval; the client's name is escaped there too."""
    import base64
    import xml.etree.ElementTree as ET
    from html.parser import HTMLParser

    from cxlab.site.trend import PANEL_INCHES

    _scorecard_workbook(project / "reports" / "wombat" / "2026Q2", (10.0, 2.0, 18.0),
                        (0.70, 0.65, 0.75))
    _scorecard_workbook(project / "reports" / "wombat" / "2026Q3", (-5.5, -12.0, 1.5),
                        (0.801, 0.76, 0.84))
    out = build_site(project, use_quarto=False)
    page = (out / "reports" / "wombat" / "index.html").read_text(encoding="utf-8")

    class Images(HTMLParser):
        def __init__(self):
            super().__init__()
            self.found: list[dict] = []

        def handle_starttag(self, tag, attrs):
            if tag == "img" and "cx-trend" in (dict(attrs).get("class") or ""):
                self.found.append(dict(attrs))

    parser = Images()
    parser.feed(page)
    charts = parser.found
    assert len(charts) == 2  # NPS and CSAT; CES was not measured
    assert charts[0]["alt"] == ('NPS (points) for Wombat <img src=x onerror="alert(1)"> Bank '
                                "by quarter, with 95% intervals: 2026Q2 +10.0 (+2.0 to +18.0); "
                                "2026Q3 -5.5 (-12.0 to +1.5).")
    assert "2026Q2 70.0% (65.0% to 75.0%); 2026Q3 80.1% (76.0% to 84.0%)" in charts[1]["alt"]
    assert '<img src=x onerror' not in page  # the name reaches the page only escaped
    for chart in charts:
        head, _, data = chart["src"].partition(",")
        assert head == "data:image/svg+xml;base64"  # no file to lose: works offline
        svg = ET.fromstring(base64.b64decode(data))
        assert svg.tag.endswith("svg") and svg.get("width") == f"{PANEL_INCHES[0] * 72:g}pt"
        assert (int(chart["width"]), int(chart["height"])) == tuple(
            round(inches * 96) for inches in PANEL_INCHES)
    # The table of every value stays, below the charts.
    assert page.index("cx-trend") < page.index("<td>-5.5 (-12.0 to +1.5)</td>")


def test_a_clients_page_charts_every_headline_measure_and_names_a_quarter_not_measured(
        project):
    """Seven headline measures: each measured in two quarters gets its chart (not only the
    first four), and a quarter that did not measure one says so rather than a dash."""
    import pandas as pd

    from cxlab.report import exports

    labels = [f"Measure {i}, mean of 1-7" for i in range(7)]
    for quarter, measured in (("2026Q2", labels[:6]), ("2026Q3", labels)):
        card = pd.DataFrame({
            "Measure": labels,
            "Status": ["measured" if m in measured else "not measured" for m in labels],
            "Value": [4.0 + i / 10 if m in measured else None for i, m in enumerate(labels)],
            "95% CI low": [3.5 if m in measured else None for m in labels],
            "95% CI high": [4.9 if m in measured else None for m in labels]})
        sheet = exports.Sheet("Scorecard", card, kind_by="Measure",
                              kinds=dict.fromkeys(labels, "mean"))
        exports.save_workbook(exports.Workbook([sheet], {}), ["Client"],
                              project / "reports" / "quokka" / quarter / "quarterly_report.xlsx")
    page = (build_site(project, use_quarto=False) / "reports" / "quokka" / "index.html").read_text(
        encoding="utf-8")
    assert page.count('class="cx-trend"') == 6  # the seventh has one quarter: no trend
    assert all(f"<th>{label}</th>" in page for label in labels)
    assert page.count("<td>not measured</td>") == 1 and "<td>-</td>" not in page


def test_search_text_leaves_out_what_screen_readers_skip():
    from cxlab.site import page_text

    tile = ('<p class="cx-kpi-change cx-better"><span aria-hidden="true">▲</span> +4.9, '
            '<strong>better</strong></p>')
    assert page_text(tile) == "+4.9, better"


def test_the_site_merges_a_sharded_runs_records(project):
    """Two shards ran on two machines; their records were copied beside the reports: the
    site merges them, and a failure recorded by one shard is on the home page."""
    reports = project / "reports"
    base = json.loads((reports / "build-record.json").read_text())
    (reports / "build-record.json").unlink()
    for i, studies in enumerate(([base["studies"][0]], [base["studies"][1]]), start=1):
        (reports / f"build-record.shard-{i}-of-2.json").write_text(json.dumps({
            "finished_at": f"2026-11-27T0{i}:00:00+00:00", "shard": f"shard-{i}-of-2",
            "last_run": {"n_studies": 1}, "studies": [{**s, "run_at": "2026-11-27"}
                                                      for s in studies]}))
    out = build_site(project, use_quarto=False)
    merged = json.loads((reports / "build-record.json").read_text())
    assert merged["n_studies"] == 2 and merged["n_failed"] == 1 and merged["shards"] == 2
    assert not list(reports.glob("build-record.shard-*"))
    assert "1 study failed when last run" in (out / "index.html").read_text()
