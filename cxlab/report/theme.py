"""One chart theme for every report, and the chart object notebooks display."""

from __future__ import annotations

import base64
import functools
import html
import io
import pickle
import textwrap

import matplotlib
import pandas as pd
import seaborn as sns
from IPython import get_ipython
from matplotlib import cycler
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from cxlab.report.html_tables import table_html

PALETTE = ["#1f4e79", "#c0504d", "#4f9d69", "#e0a526", "#7f6aa8", "#5b9bd5", "#8c8c8c"]
HIGHLIGHT, MUTED = PALETTE[0], "#9db3c8"
DPI = 110


@functools.cache
def theme_rc() -> dict:
    """The cxlab look as matplotlib settings (computed once: treat it as read-only).

    Seaborn's whitegrid style, its notebook context a little smaller, the cxlab palette,
    and a few settings of our own.
    """
    return {
        **sns.plotting_context("notebook", font_scale=0.95),
        **sns.axes_style("whitegrid"),
        "axes.prop_cycle": cycler(color=sns.color_palette(PALETTE)),
        "figure.dpi": DPI, "savefig.dpi": DPI, "axes.titleweight": "bold",
        "axes.titlesize": 12, "axes.spines.top": False, "axes.spines.right": False,
        "svg.hashsalt": "cxlab",
        # A fixed title height: matplotlib's automatic one measures every tick label again
        # to dodge labels above the axes, which no cxlab chart has (a quarter of a chart's
        # drawing time). The radar chart lifts its own title.
        "axes.titley": 1.0,
        # Labels are data (team names, the client's statements): a '$' in one must print as
        # a dollar sign, not start matplotlib's mathematics (or fail to parse and lose the
        # chart). See cxlab.markup for the same rule in Markdown.
        "text.parse_math": False,
    }


def apply_theme() -> None:
    """Set the cxlab look for all charts and tables of this session (idempotent).

    The report notebooks call it once. Tables are shown whole: pandas would otherwise cut
    long cells (evidence, intervals) and hide the middle rows of long tables (an employee
    per row) behind an ellipsis. In an IPython session (a notebook, the report's kernel)
    DataFrames are shown as cxlab's HTML tables (:mod:`cxlab.report.html_tables`); their
    plain-text form is pandas' own. cxlab's own charts do not need it: they are drawn in the
    theme whatever the session's settings.
    """
    pd.set_option("display.max_colwidth", None)
    pd.set_option("display.max_rows", None)
    matplotlib.rcParams.update(theme_rc())
    register_table_html()


def register_table_html() -> bool:
    """Show DataFrames as cxlab's HTML tables in this IPython session (idempotent).

    Returns whether there is a session to register in: outside IPython (a script, the test
    harness) nothing changes.
    """
    shell = get_ipython()
    if shell is None:
        return False
    shell.display_formatter.formatters["text/html"].for_type(pd.DataFrame, table_html)
    return True


def themed(build):
    """Make a chart builder draw in the cxlab theme, leaving the caller's settings alone."""
    @functools.wraps(build)
    def wrapper(*args, **kwargs):
        with matplotlib.rc_context(theme_rc()):
            return build(*args, **kwargs)
    return wrapper


class Chart:
    """A finished figure that displays itself in notebooks as a PNG with alternative text.

    It is shown as an HTML ``<img>`` (the PNG embedded once), because notebook converters
    cannot attach alt text to a bare ``image/png`` output.

    Attributes:
        figure: The matplotlib figure, for further styling or ``savefig``.
        alt: A one-line description of what the chart shows.
    """

    def __init__(self, figure: Figure, alt: str):
        self.figure = figure
        self.alt = alt

    def png(self, width: float | None = None) -> bytes:
        """The chart as PNG bytes (deterministic: no timestamps in the file).

        ``width`` (inches) lays the chart out again at that width first, with the same font
        sizes, then puts the figure back as it was: the narrow version for a phone.
        """
        if width is not None:
            return Chart(_narrow(self.figure, width), self.alt).png()
        buffer = io.BytesIO()
        # Straight to the Agg canvas rather than through savefig, which runs the constrained
        # layout once more in a dry-run draw before the real one (10-15% of a chart's time;
        # the PNG is byte for byte the same). No bbox_inches="tight" either: the layout
        # already fits everything inside the figure. zlib's fastest level: a chart's few flat
        # colours compress about as well (files 3% larger) in 40% less encoding time.
        with matplotlib.rc_context(theme_rc()):
            FigureCanvasAgg(self.figure).print_png(buffer, metadata={"Software": None},
                                                   pil_kwargs={"compress_level": 1})
        return buffer.getvalue()

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        wide, narrow = (base64.b64encode(png).decode("ascii")
                        for png in (self.png(), self.png(width=NARROW_WIDTH)))
        # A phone gets the chart laid out at its width, so its text stays the size it was
        # drawn at; scaling the wide chart down would shrink it to a few pixels.
        picture = (f'<picture class="cxlab-chart"><source media="(max-width: {NARROW_SCREEN}px)" '
                   f'srcset="data:image/png;base64,{narrow}">'
                   f'<img src="data:image/png;base64,{wide}" alt="{html.escape(self.alt)}" '
                   'class="cxlab-chart"></picture>')
        return {"text/html": picture, "text/plain": repr(self)}

    def __repr__(self) -> str:
        return f"<Chart: {self.alt}>"


def _narrow(figure: Figure, width: float) -> Figure:
    """A copy of the figure laid out for a phone; the figure itself is left as it was.

    ``width`` inches wide and a little taller, titles folded onto lines, legends in one
    column, many category labels turned.
    """
    narrow = pickle.loads(pickle.dumps(figure))
    for ax in narrow.axes:
        title = ax.title.get_text()
        if len(title) > NARROW_TITLE_CHARS:
            ax.title.set_text(textwrap.fill(title, NARROW_TITLE_CHARS))
        legend = ax.get_legend()
        if legend is not None and legend._ncols > 1:
            # Below the chart, one entry a line, with room made for it by the layout.
            handles, labels = ax.get_legend_handles_labels()
            fontsize = legend.get_texts()[0].get_fontsize()
            legend.remove()
            narrow.legend(handles, labels, loc="outside lower center", ncols=1, frameon=False,
                          fontsize=fontsize)
        labels = [t.get_text() for t in ax.get_xticklabels()]
        if len(labels) > 4 and max(map(len, labels), default=0) > 3:
            ax.tick_params(axis="x", labelrotation=45)
    size = narrow.get_size_inches()
    narrow.set_size_inches(width, size[1] * NARROW_HEIGHT_FACTOR)
    return narrow


#: Screens up to this many CSS pixels wide are shown the narrow layout of each chart.
NARROW_SCREEN = 600
#: The narrow layout's width in inches (a phone's text column at the charts' DPI), and how
#: much taller it is than the wide one, so that labels folded by the narrow width still fit.
NARROW_WIDTH = 4.0
NARROW_HEIGHT_FACTOR = 1.25
#: Longer chart titles are folded onto lines in the narrow layout.
NARROW_TITLE_CHARS = 40


def new_figure(width: float = 7.5, height: float = 3.6) -> tuple[Figure, object]:
    """A figure with one axes, not registered with pyplot (so never shown twice).

    Call it inside a :func:`themed` chart builder, so that it takes the cxlab look.
    """
    fig = Figure(figsize=(width, height), layout="constrained")
    return fig, fig.add_subplot()
