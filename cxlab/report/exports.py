"""Client-ready exports of a report: an Excel workbook of its tables and a PowerPoint deck.

The workbook holds numbers, not the formatted strings of the page: shares as fractions with
a percent format, NPS in points, intervals as two columns, so a reader can sort, chart and
compute in a spreadsheet. The deck holds the headline measures, what needs action and the
headline charts, for a board pack. Both are built from the same tables and charts as the
page, through the same privacy rules (pseudonyms, group-size thresholds, the client's
settings): no employee-level table, comment or raw row goes into either.

A table the data cannot give is left out, and the workbook's first sheet says which and why;
an export never fails the report (see :func:`downloads`).
"""

from __future__ import annotations

import html
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from IPython.display import Markdown

from cxlab import config, measures
from cxlab.markup import escape
from cxlab.measures import Measure
from cxlab.study import Study

#: Excel number formats by the kind of estimate (shares are stored as fractions).
NUMBER_FORMATS = {"nps": "+0.0;-0.0;0.0", "proportion": "0.0%", "mean": "0.00"}
#: Excel number formats of a change between quarters (percentage points for shares).
CHANGE_FORMATS = {"nps": "+0.0;-0.0;0.0", "proportion": '+0.0" pp";-0.0" pp";0.0" pp"',
                  "mean": "+0.00;-0.00;0.00"}


@dataclass
class Sheet:
    """One table of the workbook: a frame of values and how its numbers are formatted.

    ``formats`` gives a column's Excel format; a column of estimates of several measures
    (values, intervals, changes) is formatted per row, by the kind of the row's measure:
    ``kinds`` maps the text in column ``kind_by`` to ``nps``, ``proportion`` or ``mean``.
    """

    name: str
    frame: pd.DataFrame
    formats: dict[str, str] = field(default_factory=dict)
    note: str = ""
    kind_by: str | None = None
    kinds: dict[str, str] = field(default_factory=dict)


@dataclass
class Workbook:
    """The sheets of a report's workbook, and the tables left out with the reason."""

    sheets: list[Sheet]
    left_out: dict[str, str]


# ------------------------------------------------------------------------------------------
# The tables, as numbers


def scorecard_sheet(study: Study) -> Sheet:
    """The scorecard: each headline measure this quarter with its interval, n and changes."""
    from cxlab.report.tables import HIDDEN, UNCOLLECTED, headline, scorecard_frame

    shown = {m.name: m for m in headline(study)}
    rows, kinds = [], {}
    for _, r in scorecard_frame(study).iterrows():
        m: Measure = shown[r["key"]]
        est = r["current"] if r["current"] not in (HIDDEN, UNCOLLECTED, None) else None
        status = ("hidden (too few respondents)" if r["hidden"] else
                  "not collected in this export" if r["not_collected"] else
                  "measured" if est is not None else "not measured")
        row = {"Measure": m.label, "Status": status,
               "Value": est.value if est else None,
               "95% CI low": est.ci[0] if est else None,
               "95% CI high": est.ci[1] if est else None, "n": est.n if est else None,
               "n effective": round(est.n_effective, 1) if est and est.weighted else None}
        for tag, label in (("prev", study.previous_quarter), ("yago", study.year_ago_quarter)):
            change = r[f"{tag}_change"]
            # Shares are fractions, their changes percentage points (Excel cannot scale a
            # number by 100 in a format without calling it a percent).
            scale = 100 if m.estimate_kind == "proportion" else 1
            row[f"Change vs {label}"] = None if _number(change) is None else scale * change
            row[f"Adjusted p vs {label}"] = _number(r[f"{tag}_p_adj"])
        rows.append(row)
        kinds[m.label] = m.estimate_kind
    return Sheet("Scorecard", pd.DataFrame(rows),
                 note="p-values are Holm-adjusted over all the scorecard's comparisons; a "
                      "change is significant when its adjusted p is below 0.05.",
                 kind_by="Measure", kinds=kinds)


def trends_sheet(study: Study) -> Sheet:
    """Each headline customer measure per quarter, with its interval and n."""
    from cxlab.report.availability import collected
    from cxlab.report.tables import headline, trend_frame

    parts, kinds = [], {}
    for m in headline(study):
        if m.table == "employee_responses" or not collected(study, m):
            continue  # the pulse has its own small-group rules: not by quarter here
        frame = trend_frame(study, m.name if measures.find(m.name) else m)
        if frame.empty:
            continue
        parts.append(pd.DataFrame({
            "Measure": m.label, "Quarter": frame["quarter"].astype(str),
            "Value": frame["value"], "95% CI low": frame["ci_low"],
            "95% CI high": frame["ci_high"], "n": frame["n"].astype(int),
            "Coverage break": frame["coverage_break"].map({True: "yes", False: ""})}))
        kinds[m.label] = m.estimate_kind
    if not parts:
        raise LookupError("no headline customer measure has answers up to this quarter")
    return Sheet("Trends", pd.concat(parts, ignore_index=True),
                 note="A coverage break marks a quarter where the share of rows carrying the "
                      "measure jumped: not a change in the measure.",
                 kind_by="Measure", kinds=kinds)


def groups_sheet(study: Study, by: str) -> Sheet:
    """NPS and CSAT (share 4-5) per department or team, with intervals, n and flags."""
    from cxlab.report.tables import group_frame

    parts, kinds = [], {}
    for key in ("nps", "csat_top2"):
        m = measures.get(key)
        frame = group_frame(study, by, key)
        if frame.empty:
            continue
        parts.append(pd.DataFrame({
            by.title(): frame[by].astype(str), "Measure": m.label,
            "Value": frame["value"], "95% CI low": frame["ci_low"],
            "95% CI high": frame["ci_high"], "n": frame["n"].astype(int),
            "Flag": frame["flag"].fillna("")}))
        kinds[m.label] = m.estimate_kind
    if not parts:
        raise LookupError(f"no {by} has customer answers this quarter")
    return Sheet(f"{by.title()}s", pd.concat(parts, ignore_index=True),
                 note=f"Flag: the {by} differs from the rest of the client after a "
                      "Benjamini-Hochberg adjustment over all groups compared.",
                 kind_by="Measure", kinds=kinds)


def segments_sheet(study: Study) -> Sheet:
    """The headline customer measures per group of each declared segment."""
    from cxlab.report.segments import segments_frame
    from cxlab.report.tables import headline

    frame = segments_frame(study)
    if frame.empty:
        raise LookupError("no segment declared, or no answer carries a headline measure")
    shown = {m.name: m for m in headline(study)}
    out = pd.DataFrame({
        "Segment": frame["segment_label"], "Group": frame["group"].astype(str),
        "Measure": frame["label"], "Value": frame["value"], "95% CI low": frame["ci_low"],
        "95% CI high": frame["ci_high"], "n": frame["n"].astype(int),
        "Flag": frame["flag"].fillna("")})
    kinds = {shown[k].label: shown[k].estimate_kind for k in frame["measure"].unique()}
    return Sheet("Segments", out, kind_by="Measure", kinds=kinds)


def drivers_sheet(study: Study) -> Sheet:
    """The key drivers of the report's headline outcome, as numbers."""
    from cxlab.report.drivers import (
        driver_label,
        headline_outcome,
        key_drivers_result,
        outcome_name,
    )

    result = key_drivers_result(study)
    t = result.table
    frame = pd.DataFrame({
        "Driver": [driver_label(study, d) for d in t["driver"]],
        "Share of explained variance": t["weight"] / result.r2,
        "Share 95% CI low": t["share_ci_low"], "Share 95% CI high": t["share_ci_high"],
        "Beats a random variable": t["is_important"].map({True: "yes", False: "no"}),
        "Coefficient": t["coef"], "Coefficient 95% CI low": t["coef_ci_low"],
        "Coefficient 95% CI high": t["coef_ci_high"], "p": t["p_value"],
        "Mean rating": t["performance"]})
    formats = {c: "0%" for c in frame if c.startswith("Share")}
    formats.update({c: "+0.00;-0.00;0.00" for c in frame if c.startswith("Coefficient")})
    formats.update({"p": "0.000", "Mean rating": "0.00"})
    name = html.unescape(outcome_name(study, headline_outcome(study)))
    return Sheet("Key drivers", frame, formats,
                 f"Drivers of {name}: the ratings together explain {100 * result.r2:.0f}% of "
                 f"its variance (n={result.n:,} complete answers).")


def quality_sheet(study: Study) -> Sheet:
    """Rows read, accepted, rejected and filtered per imported file."""
    if not study.quality:
        raise LookupError("the tables were placed in the dataset directly, not imported")
    from cxlab.report.tables import quality_frame

    return Sheet("Data quality", quality_frame(study), {c: "#,##0" for c in ("Rows read", "Accepted",
                                                               "Rejected",
                                                               "Filtered by the mapping")})


#: The workbook's tables in order: each builder raises to say why its table is left out.
SHEETS: tuple[tuple[str, Callable[[Study], Sheet]], ...] = (
    ("Scorecard", scorecard_sheet),
    ("Trends", trends_sheet),
    ("Departments", lambda s: groups_sheet(s, "department")),
    ("Teams", lambda s: groups_sheet(s, "team")),
    ("Segments", segments_sheet),
    ("Key drivers", drivers_sheet),
    ("Data quality", quality_sheet),
)


def workbook(study: Study) -> Workbook:
    """Every table of the workbook that this study's data can give, and why others cannot."""
    sheets, left_out = [], {}
    for name, build in SHEETS:
        try:
            sheets.append(build(study))
        except Exception as err:  # noqa: BLE001 - said in the workbook, never a lost report
            left_out[name] = _plain(str(err)) or type(err).__name__
    return Workbook(sheets, left_out)


def _number(value) -> float | None:
    """A cell's number, or None (an empty cell) for a missing one."""
    return None if value is None or pd.isna(value) else float(value)


# ------------------------------------------------------------------------------------------
# Writing


def write_workbook(study: Study, path: Path) -> Path:
    """Write the report's workbook (``.xlsx``): an 'About' sheet, then one sheet per table."""
    heading = [f"{study.client_name}: {study.quarter}", "Quarterly CX report, as numbers.",
               f"Dataset: {study.dataset}"]
    return save_workbook(workbook(study), heading, path)


def save_workbook(content: Workbook, heading: list[str], path: Path) -> Path:
    """Save ``content`` as an ``.xlsx`` file: an 'About' sheet, then one sheet per table.

    'About' opens with ``heading``, says what each sheet holds and which tables were left
    out and why. Text cells are written as text, never as formulas: a team named
    ``=HYPERLINK(...)`` stays a name in Excel.
    """
    from openpyxl import Workbook as Book
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Book()
    about = book.active
    about.title = "About"
    lines = [(line,) for line in heading] + [()]
    lines += [(f"Sheet '{s.name}'", s.note) for s in content.sheets]
    if content.left_out:
        lines += [(), ("Left out: the data cannot give these tables",)]
        lines += [(name, why) for name, why in content.left_out.items()]
    for row in lines:
        about.append([_text(v) for v in row])
    about["A1"].font = Font(bold=True, size=14)
    about.column_dimensions["A"].width = 28
    about.column_dimensions["B"].width = 110
    for sheet in content.sheets:
        ws = book.create_sheet(sheet.name[:31])
        frame = sheet.frame
        ws.append([_text(c) for c in frame.columns])
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for values in frame.itertuples(index=False):
            row = dict(zip(frame.columns, values, strict=True))
            ws.append([_text(v) if isinstance(v, str) else (None if pd.isna(v) else v)
                       for v in values])
            kind = sheet.kinds.get(row[sheet.kind_by]) if sheet.kind_by else None
            for j, column in enumerate(frame.columns, start=1):
                number_format = _format_of(column, kind, sheet.formats)
                if number_format:
                    ws.cell(ws.max_row, j).number_format = number_format
        ws.freeze_panes = "B2"
        for j, column in enumerate(frame.columns, start=1):
            longest = max([len(str(column))] + [len(str(v)) for v in frame[column].head(200)])
            ws.column_dimensions[get_column_letter(j)].width = min(max(10, longest + 2), 60)
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # text, even when it starts with '='
    book.properties.creator = "cxlab"
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def _format_of(column: str, kind: str | None, formats: dict[str, str]) -> str | None:
    """The Excel number format of one cell: by its column, else by its row's kind."""
    if column in formats:
        return formats[column]
    if column == "n" or column == "n effective":
        return "#,##0"
    if column.startswith("Adjusted p"):
        return "0.000"
    if kind is None:
        return None
    if column.startswith("Change vs"):
        return CHANGE_FORMATS[kind]
    if column == "Value" or column.startswith("95% CI"):
        return NUMBER_FORMATS[kind]
    return None


def _text(value) -> str:
    """A text cell: control characters out (Excel refuses them), at most 32,767 characters."""
    text = "" if value is None else re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", "", str(value))
    return text[:32_767]


def _plain(markdown: str) -> str:
    """Markdown as plain text: links to their text, emphasis and character references out."""
    text = re.sub(r"\[([^\]]*)\](\([^)]*\))?", r"\1", markdown)  # inline or reference links
    text = re.sub(r"<[^>]+>", "", text)
    return html.unescape(text.replace("**", "").replace("*", "")).strip()


def write_deck(study: Study, path: Path) -> Path:
    """Write the report's PowerPoint deck (``.pptx``).

    One slide each: the title, the headline measures, what needs action, the headline
    charts and the maturity level; a slide the data cannot fill is left out.
    """
    from pptx import Presentation
    from pptx.util import Inches, Pt

    from cxlab import report
    from cxlab.report.theme import Chart

    deck = Presentation()
    title = deck.slides.add_slide(deck.slide_layouts[0])
    title.shapes.title.text = f"{study.client_name}: {study.quarter}"
    title.placeholders[1].text = "Quarterly CX report"

    card = scorecard_sheet(study).frame
    measured = card[card["Status"] == "measured"]
    if len(measured):
        slide = deck.slides.add_slide(deck.slide_layouts[5])
        slide.shapes.title.text = "Headline measures"
        columns = ["Measure", "Value", "95% CI", f"vs {study.previous_quarter}",
                   f"vs {study.year_ago_quarter}"]
        shape = slide.shapes.add_table(len(measured) + 1, len(columns), Inches(0.4),
                                       Inches(1.5), Inches(9.2), Inches(0.4))
        table = shape.table
        for j, name in enumerate(columns):
            table.cell(0, j).text = name
        scorecard = report.scorecard(study)
        for i, (_, row) in enumerate(measured.iterrows(), start=1):
            shown = scorecard.loc[row["Measure"]] if isinstance(scorecard, pd.DataFrame) else None
            cells = [row["Measure"]] + ([_plain(str(shown.iloc[k])) for k in (0, 1, 3, 4)]
                                        if shown is not None else ["", "", "", ""])
            for j, text in enumerate(cells):
                table.cell(i, j).text = text
                table.cell(i, j).text_frame.paragraphs[0].font.size = Pt(12)

    findings = _findings(study)
    if findings:
        slide = deck.slides.add_slide(deck.slide_layouts[1])
        slide.shapes.title.text = "What needs action"
        body = slide.placeholders[1].text_frame
        body.text = findings[0]
        for line in findings[1:]:
            body.add_paragraph().text = line

    charts = [report.trend_chart(study, "nps"), report.trend_chart(study, "csat_top2"),
              report.group_chart(study, "team", "nps"), report.importance_chart(study)]
    for chart in charts:
        if not isinstance(chart, Chart):
            continue  # not available for this client: the page says why
        slide = deck.slides.add_slide(deck.slide_layouts[5])
        slide.shapes.title.text = chart.figure.axes[0].get_title() or chart.alt
        image = path.with_suffix(".chart.png")
        image.write_bytes(chart.png())
        try:
            slide.shapes.add_picture(str(image), Inches(0.5), Inches(1.5), width=Inches(9))
        finally:
            image.unlink(missing_ok=True)
        slide.notes_slide.notes_text_frame.text = chart.alt

    maturity = report.maturity_summary(study)
    if isinstance(maturity, Markdown) and maturity.data:
        slide = deck.slides.add_slide(deck.slide_layouts[1])
        slide.shapes.title.text = "Employee-experience maturity"
        slide.placeholders[1].text_frame.text = _plain(maturity.data)[:1200]
    deck.core_properties.author = "cxlab"
    deck.core_properties.title = f"{study.client_name}: {study.quarter}"
    path.parent.mkdir(parents=True, exist_ok=True)
    deck.save(path)
    return path


def _findings(study: Study) -> list[str]:
    """The summary's findings as plain sentences, when the report has a findings section."""
    from cxlab.report import key_findings  # the section: a failure comes back as a box

    shown = key_findings(study)
    text = getattr(shown, "data", "") or ""
    # A finding's "See <section>." points into the page: a slide has no sections.
    return [re.sub(r"\s*See [^.]*\.$", "", _plain(line.lstrip("-* ").strip()))
            for line in text.splitlines() if line.lstrip().startswith(("-", "* "))]


def downloads(study: Study, stem: str = "quarterly_report") -> Markdown:
    """Write the workbook and the deck for ``cxlab run`` and link them from the report.

    The files go to ``$CXLAB_EXPORT_ROOT/<client>/<quarter>/``, from where the run moves
    them beside the report's page (as ``<stem>.xlsx`` and ``<stem>.pptx``). In a notebook
    opened by hand nothing is written, and the cell says how to make them.
    """
    root = os.environ.get(config.EXPORT_ROOT_ENV)
    if not root:
        return Markdown("*The Excel workbook and the PowerPoint deck of this report are made "
                        "when `cxlab run` executes it; by hand: "
                        "`cxlab.report.exports.write_workbook(study, path)` and "
                        "`write_deck(study, path)`.*")
    folder = Path(root) / study.client / study.quarter
    write_workbook(study, folder / f"{stem}.xlsx")
    write_deck(study, folder / f"{stem}.pptx")
    return Markdown(f"**Take this report away:** [Excel workbook]({stem}.xlsx) (every table as "
                    f"numbers) · [PowerPoint deck]({stem}.pptx) (headline measures, what needs "
                    f"action and the charts) of {escape(study.client_name)}, {study.quarter}.")


def headline_from_workbook(path: Path) -> dict[str, str]:
    """A report's headline measures as its workbook records them: label to 'value (interval)'.

    The site's client pages read them to show each quarter's headline without opening the
    data again. Only measures measured that quarter; each formatted by its cell's format.
    """
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True)
    try:
        rows = book["Scorecard"].iter_rows(values_only=False)
        header = [c.value for c in next(rows)]
        at = {name: header.index(name) for name in ("Measure", "Status", "Value", "95% CI low",
                                                     "95% CI high")}
        out = {}
        for row in rows:
            if row[at["Status"]].value != "measured":
                continue
            value, low, high = (row[at[k]] for k in ("Value", "95% CI low", "95% CI high"))
            shown = _formatted(value)
            if low.value is not None and high.value is not None:
                shown += f" ({_formatted(low)} to {_formatted(high)})"
            out[str(row[at["Measure"]].value)] = shown
        return out
    finally:
        book.close()


def _formatted(cell) -> str:
    """A workbook cell's number as the workbook shows it (percent, signed points, decimals)."""
    value, number_format = cell.value, cell.number_format or ""
    if value is None:
        return "-"
    if number_format.endswith("%"):
        return f"{100 * value:.{1 if '.0' in number_format else 0}f}%"
    if number_format.startswith("+"):
        return f"{value:+.{len(number_format.split(';')[0].split('.')[-1])}f}"
    if "." in number_format:
        return f"{value:.{len(number_format.split('.')[-1])}f}"
    return f"{value:g}"
