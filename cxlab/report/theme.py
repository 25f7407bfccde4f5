"""One chart theme for every report, and the chart object notebooks display."""

from __future__ import annotations

import base64
import html
import io

import matplotlib
import pandas as pd

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import seaborn as sns  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

PALETTE = ["#1f4e79", "#c0504d", "#4f9d69", "#e0a526", "#7f6aa8", "#5b9bd5", "#8c8c8c"]
HIGHLIGHT, MUTED = PALETTE[0], "#9db3c8"
DPI = 110


def apply_theme() -> None:
    """Set the cxlab look for charts and tables (idempotent).

    Tables are shown whole: pandas would otherwise cut long cells (evidence, intervals) and
    hide the middle rows of long tables (an employee per row) behind an ellipsis.
    """
    pd.set_option("display.max_colwidth", None)
    pd.set_option("display.max_rows", None)
    sns.set_theme(style="whitegrid", palette=PALETTE, font_scale=0.95)
    plt.rcParams.update({
        "figure.dpi": DPI, "savefig.dpi": DPI, "axes.titleweight": "bold",
        "axes.titlesize": 12, "axes.spines.top": False, "axes.spines.right": False,
        "svg.hashsalt": "cxlab",
        # A fixed title height: matplotlib's automatic one measures every tick label again
        # to dodge labels above the axes, which no cxlab chart has (a quarter of a chart's
        # drawing time). The radar chart lifts its own title.
        "axes.titley": 1.0,
    })


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

    def png(self) -> bytes:
        """The chart as PNG bytes (deterministic: no timestamps in the file)."""
        buffer = io.BytesIO()
        # Straight to the Agg canvas rather than through savefig, which runs the constrained
        # layout once more in a dry-run draw before the real one (10-15% of a chart's time;
        # the PNG is byte for byte the same). No bbox_inches="tight" either: the layout
        # already fits everything inside the figure.
        FigureCanvasAgg(self.figure).print_png(buffer, metadata={"Software": None})
        return buffer.getvalue()

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        data = base64.b64encode(self.png()).decode("ascii")
        img = (f'<img src="data:image/png;base64,{data}" alt="{html.escape(self.alt)}" '
               'class="cxlab-chart">')
        return {"text/html": img, "text/plain": repr(self)}

    def __repr__(self) -> str:
        return f"<Chart: {self.alt}>"


def new_figure(width: float = 7.5, height: float = 3.6) -> tuple[Figure, object]:
    """A themed figure with one axes, not registered with pyplot (so never shown twice)."""
    apply_theme()
    fig = Figure(figsize=(width, height), layout="constrained")
    return fig, fig.add_subplot()
