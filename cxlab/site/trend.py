"""A client's headline measures by quarter as small charts, for the client's landing page.

One small chart per measure (each has its own scale: NPS in points, CSAT as a share, CES
on its answer scale): the value each quarter with its 95% interval, the latest value
labelled. Each is an SVG drawn by matplotlib in the reports' theme and embedded in the page
as a data URI, so the page works offline, in the preview and under Quarto alike (a raw HTML
block, which both pass through). The alt text states every number the chart shows.
"""

from __future__ import annotations

import base64
import io
import textwrap
from dataclasses import dataclass
from pathlib import Path

#: The smallest type in a chart, in points at the chart's own size. A chart is drawn
#: ``PANEL_INCHES`` wide and shown no narrower than about 20 rem (a phone's column), so
#: its smallest text reads at about 11 CSS pixels there.
FONT_PT = 9
PANEL_INCHES = (3.4, 2.2)
#: The widest a chart is shown, and the narrowest a grid column is made for one.
SHOWN_MAX_REM, SHOWN_MIN_REM = 26, 20
#: A measure's name is folded after this many characters (two lines at most in the registry).
TITLE_CHARS = 38

CSS = (f".cx-trends{{display:grid;grid-template-columns:repeat(auto-fill,"
       f"minmax(min({SHOWN_MIN_REM}rem,100%),1fr));gap:.5rem 1.5rem;margin:1rem 0}}"
       f".cx-trends img{{display:block;width:100%;max-width:{SHOWN_MAX_REM}rem;height:auto}}")


@dataclass(frozen=True)
class Quarter:
    """One quarter of one headline measure, as the quarter's report recorded it."""

    quarter: str
    value: float
    low: float | None
    high: float | None
    shown: str
    """The value and interval as the report writes them: ``+35.2 (+28.0 to +41.9)``."""


def headline_numbers(workbook: Path) -> dict[str, tuple[float, float | None, float | None, bool]]:
    """A report's headline measures as numbers: label to ``(value, low, high, is_share)``.

    From the workbook's Scorecard sheet (see :mod:`cxlab.report.exports`), the measures
    measured that quarter. A share (formatted as a percentage) is a proportion, 0 to 1.
    """
    from openpyxl import load_workbook

    book = load_workbook(workbook, read_only=True)
    try:
        rows = book["Scorecard"].iter_rows()
        header = [c.value for c in next(rows)]
        at = {k: header.index(k) for k in ("Measure", "Status", "Value", "95% CI low",
                                           "95% CI high")}
        out = {}
        for row in rows:
            value = row[at["Value"]]
            if row[at["Status"]].value != "measured" or not isinstance(value.value, int | float):
                continue
            low, high = (row[at[k]].value for k in ("95% CI low", "95% CI high"))
            out[str(row[at["Measure"]].value)] = (
                float(value.value), _number(low), _number(high),
                (value.number_format or "").endswith("%"))
        return out
    finally:
        book.close()


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) else None


def alt_text(label: str, client: str, points: list[Quarter]) -> str:
    """What the chart shows, in words: every quarter's value and 95% interval."""
    each = "; ".join(f"{p.quarter} {p.shown}" for p in points)
    return f"{label} for {client} by quarter, with 95% intervals: {each}."


def panel_svg(label: str, points: list[Quarter], share: bool) -> bytes:
    """One measure's chart as SVG: its value by quarter with the interval, latest labelled."""
    import matplotlib
    from matplotlib.figure import Figure

    from cxlab.report.theme import HIGHLIGHT, MUTED, theme_rc

    scale = 100.0 if share else 1.0
    x = list(range(len(points)))
    values = [p.value * scale for p in points]
    with matplotlib.rc_context({**theme_rc(), "svg.fonttype": "path", "font.size": FONT_PT,
                                "axes.titlesize": FONT_PT + 1, "xtick.labelsize": FONT_PT,
                                "ytick.labelsize": FONT_PT}):
        fig = Figure(figsize=PANEL_INCHES)
        ax = fig.subplots()
        for i, p in enumerate(points):
            if p.low is not None and p.high is not None:
                ax.plot([i, i], [p.low * scale, p.high * scale], color=MUTED, lw=3,
                        solid_capstyle="butt")
        ax.plot(x, values, color=HIGHLIGHT, marker="o", ms=4, lw=1.6)
        ax.annotate(points[-1].shown.split(" (")[0], (x[-1], values[-1]),
                    xytext=(5, 0), textcoords="offset points", va="center",
                    fontsize=FONT_PT, fontweight="bold", color=HIGHLIGHT)
        ax.set_title(textwrap.fill(label, TITLE_CHARS), loc="left")
        ax.set_xticks(x, _tick_labels([p.quarter for p in points]))
        # Room right of the last point for its label: the label's share of the axes' width.
        label_pt = 0.65 * FONT_PT * len(points[-1].shown.split(" (")[0]) + 10
        share_of_axes = min(0.4, label_pt / (PANEL_INCHES[0] * 72 * 0.8))
        ax.set_xlim(-0.4, -0.4 + (x[-1] + 0.8) / (1 - share_of_axes))
        if share:
            ax.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(decimals=0))
        ax.yaxis.set_major_locator(matplotlib.ticker.MaxNLocator(4))
        ax.margins(y=0.15)
        ax.tick_params(length=0)
        ax.grid(axis="x", visible=False)
        fig.tight_layout(pad=0.4)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()


def _tick_labels(quarters: list[str]) -> list[str]:
    """Quarters as ``Q3``, with the year under each ``Q1`` and the first quarter shown.

    Eight quarters fit a phone's width so.
    """
    labels = []
    for i, q in enumerate(quarters):
        year, _, number = q.partition("Q")
        # The first quarter's year, unless a Q1 follows at once (the two years would touch).
        first = i == 0 and (len(quarters) == 1 or not quarters[1].endswith("Q1"))
        labels.append(f"Q{number}\n{year}" if first or number == "1" else f"Q{number}")
    return labels


def trend_html(client: str, series: dict[str, list[Quarter]], shares: dict[str, bool]) -> str:
    """The charts as one raw HTML block for a Markdown page (Pandoc and Quarto pass it on).

    ``client`` and the labels are data: escaped (:func:`cxlab.markup.escape`), also in the
    alt text. The block has no blank line, which would end it in Markdown.
    """
    from cxlab.markup import escape

    images = []
    for label, points in series.items():
        svg = base64.b64encode(panel_svg(label, points, shares[label])).decode("ascii")
        width, height = (round(inches * 96) for inches in PANEL_INCHES)
        images.append(f'<img class="cx-trend" width="{width}" height="{height}" '
                      f'alt="{escape(alt_text(label, client, points))}" '
                      f'src="data:image/svg+xml;base64,{svg}">')
    return ("```{=html}\n" f'<div class="cx-trends"><style>{CSS}</style>'
            + "".join(images) + "</div>\n```")
