"""Report tables as HTML: one header row, scopes, captions, alignment, escaping, the formatter."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest
from test_markup import PAYLOADS
from test_publish_safety import LIVE_TAG, planted_outputs  # noqa: F401 (a fixture)

from cxlab.report.html_tables import table_html


class _Table(HTMLParser):
    """The parts of a rendered table the tests look at: header rows, cells, caption, text."""

    def __init__(self, markup: str):
        super().__init__()
        self.head_rows: list[list[dict]] = []
        self.body_rows: list[list[dict]] = []
        self.caption = None
        self.tags: list[str] = []
        self._section = self._cell = None
        self._in_caption = False
        self.feed(markup)

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        attrs = dict(attrs)
        if tag in ("thead", "tbody"):
            self._section = tag
        elif tag == "tr":
            (self.head_rows if self._section == "thead" else self.body_rows).append([])
        elif tag in ("th", "td"):
            self._cell = {"tag": tag, "text": "", **attrs}
            (self.head_rows if self._section == "thead" else self.body_rows)[-1].append(
                self._cell)
        elif tag == "caption":
            self._in_caption, self.caption = True, ""

    def handle_endtag(self, tag):
        if tag in ("th", "td"):
            self._cell = None
        elif tag == "caption":
            self._in_caption = False

    def handle_data(self, data):
        if self._cell is not None:
            self._cell["text"] += data
        elif self._in_caption:
            self.caption += data


def _segments() -> pd.DataFrame:
    """Shaped like the segment table: a two-level index, interval cells, a placeholder."""
    index = pd.MultiIndex.from_tuples(
        [("Class", "Business"), ("Class", "Economy"), ("Traveller", "Solo")],
        names=["Segment", "Group"])
    return pd.DataFrame({"NPS (points)": ["+31.2 (+25.0 to +37.4; n=1,234) above",
                                          "-4.0 (-9.1 to +1.2; n=880)", "no answers"],
                         "CSAT, share 4-5": ["82.4% (80.1% to 84.6%; n=1,200)",
                                             "61.0% (58.0% to 64.0%; n=850)",
                                             "70.0% (60.0% to 79.0%; n=60)"]}, index=index)


def _scorecard() -> pd.DataFrame:
    frame = pd.DataFrame({"Measure": ["NPS (points)", "CSAT, share 4-5"],
                          "2026Q3": ["+3.6", "61.3%"], "n": ["2,425", "2,249"],
                          "vs 2026Q2": ["+4.9 (p=0.348)", "+4.2 pp (p=0.003) *"]})
    return frame.set_index("Measure")


def _quality() -> pd.DataFrame:
    return pd.DataFrame({"Table": ["customer survey responses", "service interactions"],
                         "Rows read": [19672, 31472], "Share kept": [0.99558, 0.9978],
                         "Reasons": ["nps: out of range (61)", "-"]})


@pytest.mark.parametrize("frame", [_segments(), _scorecard(), _quality()],
                         ids=["multiindex", "named index", "range index"])
def test_one_header_row_with_a_scoped_non_empty_cell_per_column(frame):
    table = _Table(table_html(frame))
    assert len(table.head_rows) == 1
    header = table.head_rows[0]
    assert [c["text"] for c in header] == [n for n in frame.index.names if n] + list(frame.columns)
    assert all(c["tag"] == "th" and c.get("scope") == "col" and c["text"].strip()
               for c in header)
    assert len(table.body_rows) == len(frame)


def test_a_default_row_number_index_is_not_shown():
    table = _Table(table_html(_quality()))
    assert [row[0]["text"] for row in table.body_rows] == ["customer survey responses",
                                                             "service interactions"]
    assert all(row[0]["tag"] == "th" and row[0]["scope"] == "row" for row in table.body_rows)
    assert not any(c["text"] in ("0", "1") for row in table.body_rows for c in row)


def test_an_unnamed_index_has_an_empty_corner_cell_not_an_empty_header():
    frame = pd.DataFrame({"Share": ["12%", "30%"]}, index=["north", "south"])
    table = _Table(table_html(frame))
    assert [(c["tag"], c["text"]) for c in table.head_rows[0]] == [("td", ""), ("th", "Share")]
    assert [row[0]["text"] for row in table.body_rows] == ["north", "south"]


def test_a_named_index_starts_each_row_as_its_header():
    table = _Table(table_html(_scorecard()))
    assert [(r[0]["tag"], r[0]["scope"], r[0]["text"]) for r in table.body_rows] == [
        ("th", "row", "NPS (points)"), ("th", "row", "CSAT, share 4-5")]
    assert all(c["tag"] == "td" for row in table.body_rows for c in row[1:])


def test_an_outer_index_level_spans_its_rows_as_a_row_group():
    table = _Table(table_html(_segments()))
    first, second, third = table.body_rows
    assert (first[0]["text"], first[0]["scope"], first[0]["rowspan"]) == ("Class", "rowgroup", "2")
    assert (first[1]["text"], first[1]["scope"]) == ("Business", "row")
    assert (second[0]["text"], second[0]["scope"]) == ("Economy", "row")  # spanned over
    assert third[0]["text"] == "Traveller" and "rowspan" not in third[0]


def test_numbers_are_right_aligned_text_left_and_headers_follow_their_column():
    table = _Table(table_html(_scorecard()))
    aligned = [[("cx-num" in c.get("class", "")) for c in row] for row in table.body_rows]
    assert aligned == [[False, True, True, True]] * 2
    assert ["cx-num" in c.get("class", "") for c in table.head_rows[0]] == [False, True, True,
                                                                            True]
    segments = _Table(table_html(_segments()))
    placeholder = segments.body_rows[2][2]
    assert placeholder["text"] == "no answers" and "cx-num" not in placeholder.get("class", "")


@pytest.mark.parametrize("text, numeric", [
    ("+3.6", True), ("61.3%", True), ("19,672", True), ("+4.2 pp (p=0.003) *", True),
    ("12 of 1,127", True), ("+0.3 to +6.8", True), ("10 / - / 6", True),
    ("42% (30% to 54%), n=60", True),
    ("+31.2 (+25.0 to +37.4; n=1,234) above", True),
    ("-", False), ("no answers", False), ("1 SD more csat goes with +2.0 pts", False),
    ("29 Jun", False), ("2026Q3", False), ("not ranked (n<5)", False), ("- (none scored)", False),
])
def test_which_texts_read_as_numbers(text, numeric):
    cell = _Table(table_html(pd.DataFrame({"x": [text]}))).body_rows[0][0]
    assert ("cx-num" in cell.get("class", "")) is numeric
    assert cell["text"] == text


def test_an_interval_is_set_apart_from_its_value():
    markup = table_html(_scorecard())
    assert ('<span class="cx-value">+4.2 pp</span> <span class="cx-note">(p=0.003)</span> *'
            in markup)


def test_small_n_estimates_are_marked_where_the_table_asks():
    frame = _segments()
    assert "†" not in table_html(frame)
    frame.attrs["small_n"] = 60  # n=60 is not below it
    markup = table_html(frame)
    assert "†" not in markup and "<p " not in markup
    frame.attrs["small_n"] = 900
    table = _Table(table_html(frame))
    assert [c["text"] for c in table.body_rows[1]] == [
        "Economy", "-4.0† (-9.1 to +1.2; n=880)", "61.0%† (58.0% to 64.0%; n=850)"]
    assert table.body_rows[2][3]["text"] == "70.0%† (60.0% to 79.0%; n=60)"
    assert "<p class=\"cx-footnote\">† Fewer than 900 answers" in table_html(frame)
    assert "†" not in table.body_rows[0][2]["text"]  # n=1,234


def test_numeric_columns_get_thousands_separators_and_one_number_of_decimals():
    table = _Table(table_html(_quality()))
    assert [row[1]["text"] for row in table.body_rows] == ["19,672", "31,472"]
    assert [row[2]["text"] for row in table.body_rows] == ["0.996", "0.998"]
    frame = pd.DataFrame({"Level": [2.0, np.nan], "Done": [True, False]})
    cells = _Table(table_html(frame)).body_rows
    assert [[c["text"] for c in row] for row in cells] == [["2", "yes"], ["-", "no"]]


def test_the_caption_is_shown_when_set():
    frame = _scorecard()
    assert _Table(table_html(frame)).caption is None
    frame.attrs["caption"] = "Headline measures, 2026Q3 <against> 2026Q2"
    assert _Table(table_html(frame)).caption == "Headline measures, 2026Q3 <against> 2026Q2"


def test_a_long_table_is_folded_under_a_line_that_opens_it():
    """An employee per row (126 for a large client): folded, so the page and its PDF stay
    short; the rows are all there when opened, and a short table is not folded."""
    from cxlab.report.html_tables import FOLD_ROWS

    long = pd.DataFrame({"Employee": [f"E{i}" for i in range(FOLD_ROWS + 1)],
                         "CSAT": ["61.3%"] * (FOLD_ROWS + 1)}).set_index("Employee")
    long.attrs["caption"] = "Employees' CSAT"
    markup = table_html(long)
    assert markup.startswith('<details class="cx-more"><summary data-print=" (on the report\'s'
                             f' web page)">Show all {FOLD_ROWS + 1} rows: Employees&#39; CSAT'
                             "</summary>")
    assert markup.rstrip().endswith("</details>")
    assert len(_Table(markup).body_rows) == FOLD_ROWS + 1
    assert "<details" not in table_html(long.iloc[:FOLD_ROWS])
    # Printed, a folded table says where its rows are instead of adding pages of them.
    style = re.search(r"<style>(.*?)</style>", markup, re.S).group(1)
    assert ".cx-more:not([open])>summary::after{content:attr(data-print)}" in style
    assert "&" not in style  # the style sheet is the package's own: never entity-escaped


def test_the_table_scrolls_in_its_own_box_with_the_first_column_fixed():
    markup = table_html(_segments())
    assert markup.startswith('<div class="cx-table" tabindex="0">')  # reachable by keyboard
    style = re.search(r"<style>(.*?)</style>", markup, re.S).group(1)
    assert re.search(r"\.cx-table\{[^}]*overflow-x:auto", style)
    assert re.search(r"\.cx-table \.cx-stub\{[^}]*position:sticky;left:0", style)
    assert all(rule.startswith((".cx-table", ".cx-more", "@media print{.cx-table",
                                "@container (max-width:34rem){.cx-table"))
               for rule in style.splitlines())
    # Printed (under Quarto too), the table gives up its scroll box and wraps its cells.
    assert re.search(r"@media print\{\.cx-table\{overflow:visible\}", style)
    # Of a two-level index the inner level stays in view; the outer one, spanning its rows,
    # scrolls away (fixed, it would leave most rows without a name).
    table = _Table(markup)
    for row in table.body_rows:
        inner = next(c for c in row if c.get("scope") == "row")
        assert "cx-stub" in inner["class"]
        assert all("cx-stub" not in c.get("class", "") for c in row
                   if c.get("scope") == "rowgroup")
    assert "cx-stub" in table.head_rows[0][1]["class"]
    assert "cx-stub" not in table.head_rows[0][0].get("class", "")


@pytest.mark.parametrize("payload", PAYLOADS + ["<script>alert(1)</script>", "<b>bold</b>",
                                                "Tom & Jerry &amp; co"])
def test_data_cannot_put_markup_in_a_table_and_text_is_escaped_once(payload):
    frame = pd.DataFrame({f"col {payload}": [f"cell {payload}"]},
                         index=pd.Index([f"row {payload}"], name=f"name {payload}"))
    frame.attrs["caption"] = f"caption {payload}"
    markup = table_html(frame)
    table = _Table(markup)
    assert set(table.tags) <= {"div", "style", "table", "caption", "thead", "tbody", "tr", "th",
                               "td", "span", "sup", "p"}
    assert [c["text"] for c in table.head_rows[0]] == [f"name {payload}", f"col {payload}"]
    assert [c["text"] for c in table.body_rows[0]] == [f"row {payload}", f"cell {payload}"]
    assert table.caption == f"caption {payload}"


def test_apply_theme_registers_the_formatter_once_and_keeps_the_plain_text():
    from IPython.core.interactiveshell import InteractiveShell

    from cxlab.report import theme

    shell = InteractiveShell.instance()
    try:
        formatter = shell.display_formatter.formatters["text/html"]
        frame = _scorecard()
        assert "cx-table" not in (formatter(frame) or "")
        theme.apply_theme()
        theme.apply_theme()
        assert formatter(frame) == table_html(frame)
        assert sum(t is pd.DataFrame for t in formatter.type_printers) == 1
        data, _ = shell.display_formatter.format(frame)
        assert data["text/plain"] == repr(frame)
        assert data["text/html"].count("<table") == 1
    finally:
        InteractiveShell.clear_instance()


def test_outside_ipython_nothing_is_registered():
    from cxlab.report import theme

    assert theme.register_table_html() is False


def test_planted_markup_in_the_data_stays_text_in_every_report_table(planted_outputs):  # noqa: F811
    """The report's own tables, from data carrying markup, as the notebook displays them."""
    tables = [(source, value) for source, value in planted_outputs
              if isinstance(value, pd.DataFrame)]
    assert len(tables) >= 15
    for source, frame in tables:
        markup = table_html(frame)
        live = LIVE_TAG.search(markup)
        assert not live, (source, markup[max(0, live.start() - 100):live.end() + 100])


def test_internal_names_read_as_words():
    from cxlab.report.tables import metric_words, table_label

    assert [metric_words(m) for m in ("mentoring_hours", "csat", "first_contact_resolution",
                                      "enps")] == ["mentoring hours", "CSAT",
                                                   "first contact resolution", "eNPS"]
    assert table_label("customer_responses") == "customer survey responses"
    assert table_label("some_new_table") == "some new table"


def test_estimates_counted_by_an_n_column_of_their_own_are_marked():
    """The scorecard, departments and pulse tables give n in a column: the estimates it
    counts are marked when it is small (the effective n where weighting gives one); the n
    itself, counts and other columns are not."""
    frame = pd.DataFrame({"Measure": ["NPS", "Renewal", "CSAT"],
                          "2026Q3": ["+3.6", "87.5%", "61.3%"],
                          "Employees": [12, 12, 12],
                          "n": ["2,425", "8", "1,200 (n_eff 25)"]}).set_index("Measure")
    frame.attrs.update(small_n=30, n_of={"n": ["2026Q3"]})
    table = _Table(table_html(frame))
    assert [[c["text"] for c in row] for row in table.body_rows] == [
        ["NPS", "+3.6", "12", "2,425"], ["Renewal", "87.5%†", "12", "8"],
        ["CSAT", "61.3%†", "12", "1,200 (n_eff 25)"]]
    assert "† Fewer than 30 answers" in table_html(frame)
    frame.attrs["n_of"] = {"n": ["no such column"]}
    assert "†" not in table_html(frame)


def test_report_tables_mark_their_small_estimates(sample_study):
    from cxlab import periods
    from cxlab.report import employees, tables, voice

    study = sample_study("cedar")
    rows = study.tables["accounts"]
    now = periods.label(pd.to_datetime(rows["renewal_due_on"])) == study.quarter
    study.tables["accounts"] = pd.concat([rows[~now], rows[now].head(8)])
    card = _Table(table_html(tables.scorecard(study)))
    marked = {row[0]["text"]: row[1]["text"].endswith("†") for row in card.body_rows}
    assert marked["Renewal rate (accounts due)"] and not marked["NPS (points)"]
    pulse = _Table(table_html(voice.voice_by_group(study)))
    shown = [row for row in pulse.body_rows if row[1]["text"].isdigit()]
    assert any(int(row[1]["text"]) < 30 for row in shown)
    for row in shown:  # every estimate of a team under 30 answers, and none of the others
        estimates = [c["text"] for c in row[2:] if re.match(r"[+\-]?\d", c["text"])]
        assert estimates and all(("†" in e) == (int(row[1]["text"]) < 30) for e in estimates)
    people = employees.employee_scorecards(sample_study("northwind"))
    assert "†" in table_html(people)


@pytest.mark.parametrize("client", ["northwind", "driftwood"])
def test_every_report_table_has_a_caption(sample_study, client):
    """Each table section a report shows (the template's calls, every measure's key drivers
    included) says what it holds; no p-value in it is printed bare."""
    import json

    from report_harness import TEMPLATE

    from cxlab import report

    study = sample_study(client)
    calls = {"".join(c["source"]) for c in json.loads(TEMPLATE.read_text())["cells"]
             if c["cell_type"] == "code" and "".join(c["source"]).startswith("report.")}
    frames = 0
    for call in sorted(calls):
        shown = eval(call, {"report": report, "study": study})  # noqa: S307 - the template's own
        if isinstance(shown, pd.DataFrame):
            frames += 1
            assert shown.attrs.get("caption"), call
            assert not re.search(r"\bp=\d", shown.to_string()), call
    assert frames >= 15


def test_on_a_phone_a_value_and_its_interval_wrap_and_a_long_list_is_not_a_tall_column(
        chromium, sample_study, tmp_path):
    """At 390 px: in a two-column table the value and its interval stay in view (the
    interval wraps under the value), and the monthly drawings' list of 27 entrants wraps into
    a few wide lines instead of a narrow column (a new user's trial: rows of 470 px and more,
    the page's tallest table)."""
    from cxlab import report

    facts = pd.DataFrame({"Closing the loop": [
        "50.3% (46.9% to 53.8%; 404 of 803)", "46.2% (42.8% to 49.7%; 371 of 803)"]},
        index=pd.Index(["Followed up", "Followed up within 48 hours"],
                       name="Unhappy customers, 2026Q3"))
    draws = report.monthly_drawings(sample_study("northwind"))
    assert draws["Entrants"].max() >= 25
    page_file = tmp_path / "t.html"
    page_file.write_text('<!DOCTYPE html><html><head><meta name="viewport" '
                         'content="width=device-width"></head><body style="margin:16px">'
                         + table_html(facts) + table_html(draws) + "</body></html>")
    page = chromium.new_page(viewport={"width": 390, "height": 800})
    page.goto(page_file.as_uri())
    values = page.locator("table").nth(0).locator("tbody td")
    for i in range(values.count()):
        box = values.nth(i).bounding_box()
        assert box["x"] + box["width"] <= 390, box  # the whole value in view, no scrolling
    rows = page.locator("table").nth(1).locator("tbody tr")
    heights = [rows.nth(i).bounding_box()["height"] for i in range(rows.count())]
    assert max(heights) < 250, heights  # 471 px with the list in a 9rem column
    page.close()
