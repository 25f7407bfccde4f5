"""One chart theme for every report, and the chart object notebooks display."""

from __future__ import annotations

import base64
import functools
import html
import io
import pickle
import textwrap
from collections.abc import Callable, Iterable, Iterator
from typing import ParamSpec, TypeVar

import matplotlib
import numpy as np
import pandas as pd
import seaborn as sns
from IPython import get_ipython
from matplotlib.axes import Axes
from matplotlib.backend_bases import RendererBase
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.rcsetup import cycler  # what matplotlib.cycler is (typed here)
from matplotlib.text import Annotation, Text
from matplotlib.transforms import Bbox

from cxlab.report.html_tables import table_html

_P = ParamSpec("_P")
_R = TypeVar("_R")

PALETTE = ["#1f4e79", "#c0504d", "#4f9d69", "#e0a526", "#7f6aa8", "#5b9bd5", "#8c8c8c"]
HIGHLIGHT, MUTED = PALETTE[0], "#9db3c8"
#: Colours for text in a chart: at least 4.5:1 contrast on white (WCAG AA), unlike MUTED and
#: the palette's green, which are for lines and marks.
TEXT_MUTED, TEXT_GOOD, TEXT_BAD = "#5f6b7a", "#2e7d4f", "#c0504d"
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

    Examples:
        >>> from cxlab import report
        >>> report.apply_theme()
        >>> pd.get_option("display.max_rows") is None  # long tables are shown whole
        True
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


def themed(build: Callable[_P, _R]) -> Callable[_P, _R]:
    """Make a chart builder draw in the cxlab theme, leaving the caller's settings alone."""
    @functools.wraps(build)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
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

    def png(self, width: float | None = None, dpi: float | None = None,
            title: bool = True) -> bytes:
        """The chart as PNG bytes (deterministic: no timestamps in the file).

        ``width`` (inches) lays the chart out again at that width first, with the same font
        sizes, then puts the figure back as it was: the narrow version for a phone. ``dpi``
        draws it at another resolution (a slide's), ``title=False`` without its titles (a
        slide's heading says it); the figure is left as it was.
        """
        if width is not None:
            return Chart(_narrow(self.figure, width), self.alt).png(dpi=dpi, title=title)
        if dpi is not None or not title:
            figure = pickle.loads(pickle.dumps(self.figure))
            if dpi is not None:
                figure.set_dpi(dpi)
            for ax in figure.axes if not title else ():
                ax.set_title("")
            return Chart(figure, self.alt).png()
        place_point_labels(self.figure)
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

    def _repr_mimebundle_(self, include: Iterable[str] | None = None,
                          exclude: Iterable[str] | None = None) -> dict[str, str]:
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


#: The gid of a point's label (an annotation whose ``xy`` is the point): placed at drawing time
#: by :func:`place_point_labels`, for the width the chart is drawn at.
POINT_LABEL = "cx-point-label"
#: Distances (points, 1/72 inch) from a point to the near edge of its label tried in turn,
#: and the room kept clear around a point's centre and around every label and note: in
#: points, so a chart drawn at a slide's resolution keeps its proportions.
LABEL_GAPS_PT = (5, 13, 26, 46, 72)
POINT_RADIUS_PT = 6
LABEL_PAD_PT = 2


def point_label(ax: Axes, text: str, xy: tuple[float, float], fontsize: float = 9
                ) -> Annotation:
    """Label the point ``xy``, joined to it by a line, placed when the chart is drawn.

    :func:`place_point_labels` puts it clear of the points, the other labels and the axes'
    edges. A white box behind the text keeps lines it lies over (a mean line, a grid) from
    striking through it. Labels stay out of the layout (they are kept inside the axes), so
    the axes do not move with them and a chart drawn twice is drawn the same.
    """
    label = ax.annotate(text, xy, xytext=xy, textcoords="data", fontsize=fontsize,
                       ha="center", va="center", gid=POINT_LABEL,
                       bbox={"boxstyle": "round,pad=0.2", "facecolor": "white",
                             "edgecolor": "none", "alpha": 0.85},
                       arrowprops={"arrowstyle": "-", "color": MUTED, "lw": 0.6,
                                   "shrinkA": 0, "shrinkB": 5})
    label.set_in_layout(False)
    return label


def place_point_labels(figure: Figure) -> None:
    """Place each axes' point labels clear of each other, the points, notes and error bars.

    Labels are placed one by one, each at the first of a list of positions around its point
    (beside it, then above or below, then further out; the side towards the axes' middle
    first) that lies inside the axes and covers no point, note or label already placed, nor
    an error bar if it can help it; where every position covers something, the one covering
    least. Greedy placement over candidate positions, as map labelling does: unlike a
    force-based layout (adjustText left labels over points in 8 of 80 of the sample's
    charts), it never covers a point when a free position exists, and the same chart is
    always placed the same way. Placed again at every drawing, for the width drawn at.
    """
    FigureCanvasAgg(figure)  # attaches itself to the figure: what the layout is measured with
    drawn = False
    for ax in figure.axes:
        labels = [t for t in ax.texts if isinstance(t, Annotation) and t.get_gid() == POINT_LABEL]
        if not labels:
            continue
        if not drawn:
            with matplotlib.rc_context(theme_rc()):
                figure.draw_without_rendering()  # the final layout, before measuring
            drawn = True
        _place(ax, labels)


def _place(ax: Axes, labels: list[Annotation]) -> None:
    px = ax.figure.dpi / 72  # pixels a point
    dot, pad = POINT_RADIUS_PT * px, LABEL_PAD_PT * px
    points = ax.transData.transform([label.xy for label in labels])
    hard = [Bbox.from_extents(x - dot, y - dot, x + dot, y + dot) for x, y in points]
    hard += [t.get_window_extent().padded(pad) for t in ax.texts
             if t.get_gid() != POINT_LABEL and t.get_text()]
    soft = [Bbox(ax.transData.transform(segment[[0, -1]])).padded(1)
            for collection in ax.collections
            for segment in map(np.asarray, getattr(collection, "get_segments", list)())
            if len(segment) >= 2]
    frame, middle = ax.bbox, sum(ax.bbox.intervalx) / 2
    to_data = ax.transData.inverted()
    for label, (x, y) in zip(labels, points, strict=True):
        label.set_horizontalalignment("center")
        label.set_verticalalignment("center")
        label.xyann = label.xy
        box = Text.get_window_extent(label)
        w, h = box.width / 2, box.height / 2
        best, best_cost = None, np.inf
        for cx, cy in _candidates(x, y, w, h, [g * px for g in LABEL_GAPS_PT], x <= middle):
            spot = Bbox.from_extents(cx - w, cy - h, cx + w, cy + h)
            if not (frame.x0 <= spot.x0 and spot.x1 <= frame.x1
                    and frame.y0 <= spot.y0 and spot.y1 <= frame.y1):
                continue
            cost = (1000 * sum(_overlap(spot, other) for other in hard)
                    + sum(_overlap(spot, bar) for bar in soft))
            if cost < best_cost:
                best, best_cost = (cx, cy), cost
            if cost == 0:
                break
        if best is not None:
            label.xyann = tuple(to_data.transform(best))
            hard.append(Bbox.from_extents(best[0] - w, best[1] - h, best[0] + w,
                                          best[1] + h).padded(pad))


def _candidates(x: float, y: float, w: float, h: float, gaps: list[float],
                towards_right: bool) -> Iterator[tuple[float, float]]:
    """Centres for a label of half-size ``w`` x ``h`` around the point (x, y), best first."""
    side = 1 if towards_right else -1
    for gap in gaps:
        across, up = w + gap, h + gap
        for dx, dy in ((side * across, 0), (-side * across, 0),
                       (side * w, up), (side * w, -up), (0, up), (0, -up),
                       (-side * w, up), (-side * w, -up),
                       (side * across, up), (side * across, -up),
                       (-side * across, up), (-side * across, -up)):
            yield x + dx, y + dy


def _overlap(a: Bbox, b: Bbox) -> float:
    """The area two boxes share, in square pixels (0 when apart)."""
    return (max(0.0, min(a.x1, b.x1) - max(a.x0, b.x0))
            * max(0.0, min(a.y1, b.y1) - max(a.y0, b.y0)))


def _narrow(figure: Figure, width: float) -> Figure:
    """A copy of the figure laid out for a phone; the figure itself is left as it was.

    ``width`` inches wide and a little taller, titles folded onto lines, legends below in one
    column, many category labels turned, long row labels folded; then any text still
    running off the figure (a caption, a legend entry, a point's label) is folded until it
    fits, and a title that the layout pushed into the labels below it is lifted clear.
    """
    narrow = pickle.loads(pickle.dumps(figure))
    for ax in narrow.axes:
        title = ax.title.get_text()
        if len(title) > NARROW_TITLE_CHARS:
            ax.title.set_text(textwrap.fill(title, NARROW_TITLE_CHARS))
        legend = ax.get_legend()
        if legend is not None:
            # Below the chart, one entry a line, with room made for it by the layout: inside
            # a phone-width chart a legend covers the points.
            handles, labels = ax.get_legend_handles_labels()
            fontsize = legend.get_texts()[0].get_fontsize()
            legend.remove()
            narrow.legend(handles, labels, loc="outside lower center", ncols=1, frameon=False,
                          fontsize=fontsize)
        labels = [t.get_text() for t in ax.get_xticklabels()]
        if len(labels) > 4 and max(map(len, labels), default=0) > 3:
            ax.tick_params(axis="x", labelrotation=45)
        rows = [t.get_text() for t in ax.get_yticklabels()]
        if max(map(len, rows), default=0) > NARROW_ROW_CHARS:
            ax.yaxis.set_ticklabels([fold(r, NARROW_ROW_CHARS) for r in rows])
    size = narrow.get_size_inches()
    # A round chart is as wide as it is tall: at a phone's width it needs no extra height,
    # only room for its labels and the legend below.
    round_chart = any(ax.name == "polar" for ax in narrow.axes)
    narrow.set_size_inches(width, width * NARROW_ROUND_RATIO if round_chart
                           else size[1] * NARROW_HEIGHT_FACTOR)
    _fit_texts(narrow)
    return narrow


def fold(text: str, chars: int) -> str:
    """The text on lines of at most ``chars`` characters (words are never split)."""
    return textwrap.fill(" ".join(text.split()), max(chars, 1), break_long_words=False)


def _fit_texts(figure: Figure, rounds: int = 4) -> None:
    """Fold every text that runs off the figure, and lift titles clear of the labels below.

    Each round draws the figure (so the constrained layout has run), measures, and folds;
    it stops when nothing moved. A text is folded in proportion to how much of it shows.
    """
    renderer = FigureCanvasAgg(figure).get_renderer()
    for _ in range(rounds):
        with matplotlib.rc_context(theme_rc()):
            figure.draw_without_rendering()  # the layout and text sizes, no pixels
        box, changed = figure.bbox, False
        for text in _texts(figure):
            extent = text.get_window_extent(renderer)
            shown = min(extent.x1, box.x1) - max(extent.x0, box.x0)
            if extent.width <= 0 or shown >= extent.width - 1:
                continue
            lines = text.get_text().split("\n")
            chars = int(max(map(len, lines)) * max(shown, 0) / extent.width * 0.95)
            folded = fold(text.get_text(), max(chars, NARROW_MIN_CHARS))
            if folded != text.get_text():
                text.set_text(folded)
                changed = True
        for ax in figure.axes:
            changed |= _lift_title(ax, renderer)
        if not changed:
            return


def _texts(figure: Figure) -> list[Text]:
    """The texts of a figure that may be folded: titles, axis captions, notes, legends."""
    texts: list[Text] = []
    for ax in figure.axes:
        texts += [ax.title, ax.xaxis.label, *ax.texts]
        legend = ax.get_legend()
        if legend is not None:
            texts += legend.get_texts()
    for legend in figure.legends:
        texts += legend.get_texts()
    # Point labels are kept inside the axes by their own placement (place_point_labels).
    return [t for t in texts if t.get_visible() and t.get_text() and t.get_gid() != POINT_LABEL]


def _lift_title(ax: Axes, renderer: RendererBase) -> bool:
    """Raise the axes' title above whatever of the axes reaches into it; whether it moved."""
    title = ax.title
    if not title.get_text():
        return False
    below = title.get_window_extent(renderer).y0
    title.set_visible(False)
    reach = ax.get_tightbbox(renderer)
    title.set_visible(True)
    if reach is None:  # a hidden axes: nothing of it reaches into the title
        return False
    overlap = reach.y1 - below
    if overlap <= 0.5:
        return False
    x, y = title.get_position()
    title.set_y(y + (overlap + 2) / ax.get_window_extent(renderer).height)
    return True


#: Screens up to this many CSS pixels wide are shown the narrow layout of each chart.
NARROW_SCREEN = 600
#: The narrow layout's width in inches (a phone's text column at the charts' DPI), and how
#: much taller it is than the wide one, so that labels folded by the narrow width still fit.
NARROW_WIDTH = 4.0
NARROW_HEIGHT_FACTOR = 1.25
NARROW_ROUND_RATIO = 1.35
#: Longer chart titles, and row labels, are folded onto lines in the narrow layout; no text is
#: folded narrower than NARROW_MIN_CHARS.
NARROW_TITLE_CHARS = 40
NARROW_ROW_CHARS = 24
NARROW_MIN_CHARS = 10


def new_figure(width: float = 7.5, height: float = 3.6) -> tuple[Figure, Axes]:
    """A figure with one axes, not registered with pyplot (so never shown twice).

    Call it inside a :func:`themed` chart builder, so that it takes the cxlab look.
    """
    fig = Figure(figsize=(width, height), layout="constrained")
    return fig, fig.add_subplot()
