"""Report tables as clean HTML: how a DataFrame reads on the site and in notebooks.

The report's table builders return DataFrames (tests and researchers index them); this module
decides only how one looks when a notebook displays it (:func:`cxlab.report.theme.apply_theme`
registers :func:`table_html` for every DataFrame):

* one header row: the index levels become the first columns, under their names; a default
  row number index (0, 1, 2, ...) is not shown;
* ``<th scope="col">`` headers, a ``<th scope="row">`` first cell in every row (an outer level
  of a MultiIndex spans its rows as ``<th scope="rowgroup">``), a ``<caption>`` from
  ``frame.attrs["caption"]``;
* a cell whose text is a number (``+3.6``, ``61.3%``, ``1,234``, ``12 of 30``, ``+0.3 to
  +6.8``, with a unit, an interval or n in parentheses and a significance mark or flag after
  it) is right-aligned, its parenthesis set smaller; other text is left-aligned; a header is
  aligned as most of its column;
* where the frame sets ``frame.attrs["small_n"]``, an estimate whose ``n=`` is below it is
  marked with a dagger, explained under the table; a table that gives n in a column of its
  own maps it to the columns of estimates it counts, ``frame.attrs["n_of"] = {"n":
  ["2026Q3"]}``;
* the table scrolls sideways inside its own box (which takes the keyboard focus), its first
  column fixed, so a wide table never widens the page on a phone; while columns are hidden
  to the right, a shadow at the box's right edge says there is more (it goes once scrolled
  to the end: the shade is covered by a white band that scrolls with the table). The few CSS rules it needs
  travel with it (scoped by the ``cx-table`` class): the static preview and Quarto show the
  same table; printed (Quarto's pages too), it sets smaller type and lets cells wrap. The
  preview's own stylesheet goes further in print (landscape pages for the widest tables).

The HTML is written by a Jinja2 template with autoescaping, so every header, cell and caption
is escaped exactly once, whatever the data holds. Quarto's own table processing is turned off
for these tables (``data-quarto-disable-processing``): it would rebuild them without the scopes
and classes.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Hashable
from dataclasses import dataclass

import jinja2
import numpy as np
import pandas as pd

#: Shown for a missing value, as the report's own tables write it.
MISSING = "-"
#: Fewest answers behind an estimate a table shows unmarked, for the tables that ask for it
#: (``frame.attrs["small_n"] = SMALL_N``): with fewer, a share's 95% interval is wider than
#: +/-18 points.
SMALL_N = 30

_NUMBER = r"[+\-\u2212]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?%?"
#: A number as a report writes it: value (or a sequence of them), unit, note and mark.
_NUMERIC = re.compile(
    rf"(?P<value>(?:{_NUMBER}|-)(?:\s(?:of|to|/)\s(?:{_NUMBER}|-))*(?:\s(?:pp|pts|points))?)"
    rf"(?P<note>(?:\s\([^()]*\))?(?:,\sn={_NUMBER})?)"
    r"(?P<mark>\s(?:\*|above|below))?")
#: The n an estimate's note gives (``n=1,234``).
_N = re.compile(r"\bn=(\d[\d,]*)")

CSS = """\
.cx-table{overflow-x:auto;max-width:100%;margin:1rem 0;container-type:inline-size}
.cx-table{background:linear-gradient(to left,#fff 40%,rgba(255,255,255,0)) right/2.5rem 100% \
no-repeat local,radial-gradient(farthest-side at 100% 50%,rgba(29,39,51,.28),transparent) \
right/.9rem 100% no-repeat scroll}
.cx-table table{border-collapse:separate;border-spacing:0;margin:0;font-size:.9rem;\
font-variant-numeric:tabular-nums;display:table}
.cx-table caption{caption-side:top;text-align:left;font-weight:600;padding:0 0 .4rem;\
position:sticky;left:0;max-width:100cqi}
.cx-table th,.cx-table td{padding:.35rem .7rem;border-bottom:1px solid #dde3ea;\
text-align:left;vertical-align:top}
.cx-table thead th{border-bottom:2px solid #1d2733;vertical-align:bottom}
.cx-table tbody :is(td,th):not(.cx-num,.cx-stub,.cx-long){min-width:9rem}
.cx-table .cx-num{text-align:right}
.cx-table .cx-value,.cx-table .cx-note{white-space:nowrap}
.cx-table td.cx-long{min-width:24rem}
@container (max-width:34rem){.cx-table .cx-note{display:block;white-space:normal}}
.cx-table .cx-note{display:inline-block;font-size:.85em;color:#5f6b7a}
.cx-table .cx-stub{position:sticky;left:0;z-index:1;min-width:8rem;\
background:var(--bs-body-bg,#fff)}
.cx-table .cx-footnote{font-size:.85em;color:#5f6b7a;margin:.3rem 0 0}
.cx-more>summary{cursor:pointer;font-weight:600;color:#1f4e79;margin:1rem 0}
@media print{.cx-table{overflow:visible}.cx-table table{font-size:7.5pt;line-height:1.3}\
.cx-table :is(th,td){padding:2px 4px;overflow-wrap:break-word}\
.cx-table :is(.cx-value,.cx-note){white-space:normal}\
.cx-table tbody :is(td,th):not(.cx-num,.cx-stub){min-width:0}\
.cx-table .cx-stub{position:static;min-width:0}.cx-table caption{position:static;max-width:none}\
.cx-more>summary{color:inherit}.cx-more:not([open])>summary::after{content:attr(data-print)}}"""

_TEMPLATE = """\
{% if folded %}<details class="cx-more"><summary data-print=" (on the report's web page)">\
Show all {{ folded }} rows\
{% if caption %}: {{ caption }}{% endif %}</summary>
{% endif %}<div class="cx-table" tabindex="0">
<style>{{ css | safe }}</style>
<table data-quarto-disable-processing="true">
{% if caption %}<caption>{{ caption }}</caption>
{% endif %}<thead>
<tr>{% for h in headers %}{% set tag = "th" if h.text else "td" %}\
<{{ tag }}{% if h.text %} scope="col"{% endif %}{% if h.css %} class="{{ h.css }}"{% endif %}>\
{{ h.text }}</{{ tag }}>{% endfor %}</tr>
</thead>
<tbody>
{% for row in rows %}<tr>{% for c in row %}\
<{{ c.tag }}{% if c.scope %} scope="{{ c.scope }}"{% endif %}\
{% if c.span > 1 %} rowspan="{{ c.span }}"{% endif %}{% if c.css %} class="{{ c.css }}"{% endif %}>\
{% if c.note or c.mark %}<span class="cx-value">{{ c.text }}\
{% if c.small %}<sup>†</sup>{% endif %}</span>\
{% if c.note %} <span class="cx-note">{{ c.note }}</span>{% endif %}{{ c.mark }}\
{% else %}{{ c.text }}{% if c.small %}<sup>†</sup>{% endif %}{% endif %}</{{ c.tag }}>{% endfor %}</tr>
{% endfor %}</tbody>
</table>
{% if small_n %}<p class="cx-footnote">† Fewer than {{ small_n }} answers: the estimate can \
move a lot by chance.</p>
{% endif %}</div>{% if folded %}
</details>{% endif %}"""


@functools.cache
def _template() -> jinja2.Template:
    return jinja2.Environment(autoescape=True, keep_trailing_newline=False).from_string(_TEMPLATE)


@dataclass
class _Cell:
    """One body cell: its text split for display, its tag, scope, row span and classes."""

    text: str
    note: str = ""
    mark: str = ""
    numeric: bool = False
    tag: str = "td"
    scope: str = ""
    span: int = 1
    css: str = ""
    small: bool = False


#: A text cell longer than this many characters is set wider (a list of names, an
#: evidence sentence), so it wraps into a few lines rather than a narrow column of many.
LONG_TEXT = 120

#: A table of more rows than this is folded under a line that opens it (an employee per row:
#: 126 rows for a large client), so a reader scrolls past it, and a printed report leaves it
#: to the web page instead of adding pages of rows.
FOLD_ROWS = 30


def table_html(frame: pd.DataFrame) -> str:
    """The DataFrame as one accessible, phone-friendly HTML table (see the module's notes)."""
    levels = _levels(frame)
    headers = [_header(name) for name in levels] + [_header(c) for c in frame.columns]
    columns = [_column_texts(pd.Series(frame.index.get_level_values(i))) for i in range(len(levels))]
    columns += [_column_texts(frame.iloc[:, j]) for j in range(frame.shape[1])]
    grid = [[_Cell(*_split(text)) for text in row] for row in zip(*columns, strict=True)]
    numeric = [_mostly_numeric([row[j] for row in grid]) for j in range(len(headers))]
    small_n = frame.attrs.get("small_n")
    place = {name: len(levels) + j for j, name in enumerate(frame.columns)}
    counted_by = {place[c]: place[n] for n, of in frame.attrs.get("n_of", {}).items()
                  for c in of if c in place and n in place}
    for row in grid:
        for j, cell in enumerate(row):
            if cell.numeric or (cell.text == MISSING and numeric[j]):
                cell.css = "cx-num"
            elif len(cell.text) > LONG_TEXT:
                cell.css = "cx-long"
            if small_n and cell.numeric:
                found = _N.search(cell.note)
                n = (int(found[1].replace(",", "")) if found is not None else
                     _count(row[counted_by[j]]) if j in counted_by else None)
                cell.small = n is not None and n < small_n
    _row_headers(grid, len(levels))
    caption = str(frame.attrs.get("caption") or "")
    marked = any(cell.small for row in grid for cell in row)
    return _template().render(
        css=CSS, caption=caption, small_n=small_n if marked else None,
        folded=f"{len(frame):,}" if len(frame) > FOLD_ROWS else "",
        headers=[{"text": text, "css": _classes(j == max(len(levels) - 1, 0), numeric[j])}
                 for j, text in enumerate(headers)],
        rows=[[cell for cell in row if cell.span] for row in grid])


def _count(cell: _Cell) -> int | None:
    """A cell of n read as a count of answers, or None.

    ``1,234``; the effective n where the cell gives one: ``1,234 (n_eff 1,002)``.
    """
    effective = re.search(r"n_eff (\d[\d,]*)", cell.note)
    try:
        return int((effective[1] if effective else cell.text).replace(",", ""))
    except ValueError:
        return None


def _classes(stub: bool, number: bool) -> str:
    return " ".join(name for name, on in (("cx-stub", stub), ("cx-num", number)) if on)


def _levels(frame: pd.DataFrame) -> list[Hashable]:
    """The index levels shown as columns: none for a default row number index."""
    index = frame.index
    default = (isinstance(index, pd.RangeIndex) and index.name is None and index.start == 0
               and index.step == 1)
    return [] if default else list(index.names)


def _header(name: object) -> str:
    """A column's header text: the levels of a MultiIndex column joined in one line."""
    if isinstance(name, tuple):
        return " · ".join(str(part) for part in name if _present(part) and str(part))
    return "" if not _present(name) else str(name)


def _present(value: object) -> bool:
    try:
        return not pd.isna(value)
    except (TypeError, ValueError):  # a list or array in a cell is a value
        return True


def _column_texts(values: pd.Series) -> list[str]:
    """Each value as text; the numbers of a numeric column with one number of decimals."""
    if pd.api.types.is_bool_dtype(values):
        return [MISSING if not _present(v) else "yes" if v else "no" for v in values]
    if pd.api.types.is_numeric_dtype(values):
        finite = [float(v) for v in values if _present(v) and math.isfinite(v)]
        decimals = max((_decimals(v) for v in finite), default=0)
        return [f"{v:,.{decimals}f}" if _present(v) else MISSING for v in values]
    return [_text(v) for v in values]


def _decimals(value: float, most: int = 3) -> int:
    """The fewest decimals (up to ``most``) that show ``value`` as it is."""
    return next((d for d in range(most) if round(value, d) == round(value, most)), most)


def _text(value: object) -> str:
    """One value of a text or mixed column: yes or no, a date, or as Python writes it."""
    if not _present(value):
        return MISSING
    if isinstance(value, bool | np.bool_):
        return "yes" if value else "no"
    if isinstance(value, pd.Timestamp):
        return value.strftime("%d %b %Y") if value == value.normalize() else value.isoformat()
    return str(value)


def _split(text: str) -> tuple[str, str, str, bool]:
    """A cell's text as (value, note, mark, numeric): the note is the parenthesis after it."""
    match = _NUMERIC.fullmatch(text)
    if match is None or not re.search(r"\d", match["value"]):
        return text, "", "", False
    return match["value"], (match["note"] or "").strip(), match["mark"] or "", True


def _mostly_numeric(cells: list[_Cell]) -> bool:
    """Whether most of a column's shown values (missing ones aside) are numbers."""
    shown = [c for c in cells if c.text not in (MISSING, "")]
    return bool(shown) and 2 * sum(c.numeric for c in shown) > len(shown)


def _row_headers(grid: list[list[_Cell]], n_levels: int) -> None:
    """Make the first column(s) row headers; repeated outer index labels span their rows.

    The outer levels of a MultiIndex (all but the last) show a label once over the rows that
    share it and the labels before it, as ``scope="rowgroup"``; a spanned-over cell gets span
    0. The innermost level (or the first column) is ``scope="row"``, and it is the column
    that stays in view when the table scrolls sideways: the outer levels scroll away under
    it (a team's name spans its rows, so fixed it would leave most rows unnamed).
    """
    if not grid or not grid[0]:
        return
    outer = max(n_levels - 1, 0)
    for j in range(outer):
        start = 0
        for r in range(1, len(grid) + 1):
            if r < len(grid) and all(grid[r][k].text == grid[start][k].text
                                     for k in range(j + 1)):
                continue
            grid[start][j].span = r - start
            for k in range(start + 1, r):
                grid[k][j].span = 0
            start = r
    for row in grid:
        for j in range(outer + 1):
            row[j].tag, row[j].scope = "th", "rowgroup" if j < outer else "row"
        row[outer].css = _classes(True, row[outer].css == "cx-num")
