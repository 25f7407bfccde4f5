"""Every report chart: drawn inside its figure, with the title clear of everything else."""

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.text import Text

from cxlab.report import charts
from cxlab.report.theme import NARROW_WIDTH, POINT_LABEL, Chart, _narrow, place_point_labels

CHARTS = {
    "trend": lambda s: charts.trend_chart(s, "nps"),
    "group": lambda s: charts.group_chart(s, "team", "nps"),
    "importance": lambda s: charts.importance_chart(s, "nps"),
    "linkage": charts.linkage_chart,
    "radar": charts.maturity_radar,
    "statements": charts.statements_chart,
}


@pytest.mark.parametrize("width", [None, NARROW_WIDTH], ids=["wide", "phone"])
@pytest.mark.parametrize("client", ["northwind", "driftwood"])
@pytest.mark.parametrize("name", CHARTS)
def test_chart_fits_its_figure_and_its_title_overlaps_nothing(sample_study, name, client, width):
    """Both layouts: the wide one and the phone's (folded titles, captions and labels)."""
    chart = CHARTS[name](sample_study(client))
    assert isinstance(chart, Chart), chart
    fig = chart.figure if width is None else _narrow(chart.figure, width)
    place_point_labels(fig)  # as saving the PNG does
    renderer = FigureCanvasAgg(fig).get_renderer()
    fig.draw(renderer)  # runs the constrained layout, as saving the PNG does
    # Saved without bbox_inches="tight", so nothing may stand outside the figure.
    drawn = fig.get_tightbbox(renderer)
    box = fig.bbox_inches
    assert drawn.x0 >= box.x0 - 0.01 and drawn.y0 >= box.y0 - 0.01, (drawn, box)
    assert drawn.x1 <= box.x1 + 0.01 and drawn.y1 <= box.y1 + 0.01, (drawn, box)
    # Notes and point labels never cover one another (in the narrow layout neither).
    for axes in fig.axes:
        boxes = [Text.get_window_extent(t, renderer) for t in axes.texts if t.get_text()]
        for i, a in enumerate(boxes):
            for b in boxes[i + 1:]:
                assert not a.padded(3).overlaps(b), (a, b)  # 3 px apart at least
    # Titles sit at a fixed height (no automatic dodging): clear of the axes' decorations.
    ax = fig.axes[0]
    title = ax.title.get_window_extent(renderer)
    ax.title.set_visible(False)
    rest = ax.get_tightbbox(renderer)
    assert title.y0 >= rest.y1 - 0.5, f"title bottom {title.y0:.1f} px, labels reach {rest.y1:.1f}"


@pytest.mark.parametrize("name", ["group", "radar"])
def test_a_chart_looks_the_same_whatever_the_callers_settings_and_leaves_them(sample_study,
                                                                               name):
    import matplotlib
    import pandas as pd

    study = sample_study("northwind")
    expected = CHARTS[name](study).png()
    mine = {"axes.facecolor": "black", "lines.linewidth": 6.0, "font.size": 20.0}
    with matplotlib.rc_context(mine):
        settings, rows = dict(matplotlib.rcParams), pd.get_option("display.max_rows")
        png = CHARTS[name](study).png()
        assert dict(matplotlib.rcParams) == settings
        assert pd.get_option("display.max_rows") == rows
    assert png == expected


def test_importing_the_reports_keeps_the_sessions_matplotlib_backend():
    """A researcher's own plots keep showing in JupyterLab after ``from cxlab import report``."""
    import os
    import subprocess
    import sys

    code = "import matplotlib.pyplot, cxlab.report; print(matplotlib.get_backend())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, "MPLBACKEND": "svg"}, check=True)
    assert out.stdout.strip() == "svg"


def test_an_unknown_measure_or_grouping_is_a_clear_error(sample_study):
    study = sample_study("northwind")
    with pytest.raises(ValueError, match=r"measure 'bogus' unknown; expected one of \['nps'"):
        charts.trend_chart(study, "bogus")
    with pytest.raises(ValueError, match="measure 'bogus' unknown"):
        charts.group_chart(study, "team", "bogus")
    with pytest.raises(ValueError, match="cannot group nps by 'bogus'.*try 'team'"):
        charts.group_chart(study, "bogus", "nps")


def test_charts_take_the_registrys_names_and_aliases(sample_study):
    from cxlab.report.theme import Chart

    study = sample_study("northwind")
    by_alias, by_name = charts.trend_chart(study, "csat"), charts.trend_chart(study, "csat_top2")
    assert isinstance(by_alias, Chart) and isinstance(by_name, Chart)
    assert by_alias.figure.axes[0].get_title() == by_name.figure.axes[0].get_title() == (
        "CSAT, share 4-5 by quarter, with 95% intervals")
    with pytest.warns(DeprecationWarning, match="use 'first_contact_resolution'"):
        fcr = charts.group_chart(study, "team", "fcr")
    assert fcr.figure.axes[0].get_title().startswith(
        "First-contact resolution (answered contacts) by team")
    assert fcr.figure.axes[0].get_xlabel() == "percent"


#: The rated aspects of a real airline-review export (Skytrax), as a chart labels them.
AIRLINE_DRIVERS = ["Seat comfort", "Cabin staff service", "Food and beverages",
                   "Inflight entertainment", "Ground service", "Wifi and connectivity",
                   "Value for money", "Boarding", "Cleanliness", "Legroom", "Check-in",
                   "Baggage handling", "Punctuality", "Lounge"]


def _label_boxes(fig, renderer) -> list:
    """The text box of every point label (without its leader line)."""
    return [Text.get_window_extent(t, renderer) for ax in fig.axes for t in ax.texts
            if t.get_gid() == POINT_LABEL]


@pytest.mark.parametrize("width", [None, NARROW_WIDTH], ids=["wide", "phone"])
@pytest.mark.parametrize("drivers", [4, 14])
def test_point_labels_clear_each_other_the_points_and_the_axes_edges(width, drivers):
    """Drivers bunched together (14, as in an airline survey): after placement, in both
    layouts, no label covers another, a point or an error bar's middle, and all stay in the
    axes. Placement is repeatable: the same PNG twice."""
    import numpy as np

    from cxlab.report.theme import new_figure, point_label, themed

    rng = np.random.default_rng(3)
    xs, ys = rng.uniform(2.5, 3.5, drivers), rng.uniform(5, 9, drivers)

    @themed
    def build():
        fig, ax = new_figure(height=4.2)
        ax.scatter(xs, ys, s=80, zorder=3)
        ax.errorbar(xs, ys, yerr=0.3, fmt="none")
        for name, x, y in zip(AIRLINE_DRIVERS[:drivers], xs, ys, strict=True):
            point_label(ax, name, (x, y))
        return Chart(fig, "bunched drivers")

    chart = build()
    fig = chart.figure if width is None else _narrow(chart.figure, width)
    assert Chart(fig, "").png() == Chart(fig, "").png()
    renderer = FigureCanvasAgg(fig).get_renderer()
    fig.draw(renderer)
    boxes, ax = _label_boxes(fig, renderer), fig.axes[0]
    assert len(boxes) == drivers
    for i, a in enumerate(boxes):
        assert ax.bbox.x0 - 1 <= a.x0 and a.x1 <= ax.bbox.x1 + 1, (a, ax.bbox)
        assert ax.bbox.y0 - 1 <= a.y0 and a.y1 <= ax.bbox.y1 + 1, (a, ax.bbox)
        for b in boxes[i + 1:]:
            assert not a.overlaps(b), (a, b)
    points = ax.transData.transform(np.column_stack([xs, ys]))
    for a in boxes:
        assert not any(a.contains(px, py) for px, py in points), a


def test_a_phone_gets_the_chart_laid_out_at_its_width(sample_study):
    """The narrow chart is drawn at phone width with the same font sizes (not the wide one
    scaled down to a few pixels of text); the wide one is left as it was."""
    import base64
    import io
    import re
    import warnings

    from PIL import Image

    from cxlab import report
    from cxlab.report.theme import NARROW_SCREEN

    chart = report.statements_chart(sample_study("northwind"))
    size, ncols = chart.figure.get_size_inches().copy(), chart.figure.axes[0].get_legend()._ncols
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a collapsed layout warns: it must not
        html = chart._repr_mimebundle_()["text/html"]
    narrow, wide = (Image.open(io.BytesIO(base64.b64decode(b))) for b in
                    re.findall(r"base64,([A-Za-z0-9+/=]+)", html))
    assert f'<source media="(max-width: {NARROW_SCREEN}px)"' in html and 'alt="' in html
    assert narrow.width < 0.6 * wide.width and narrow.width >= 400
    assert (chart.figure.get_size_inches() == size).all()
    assert chart.figure.axes[0].get_legend()._ncols == ncols


@pytest.mark.parametrize("client", ["northwind", "cedar"])  # a clear trend; no clear trend
@pytest.mark.parametrize("name", CHARTS)
def test_every_text_of_a_chart_reads_at_aa_contrast(sample_study, name, client):
    """Captions and notes too (a grey trend caption read 2.2:1): at least 4.5:1 on white."""
    from matplotlib.colors import to_rgb

    def luminance(color) -> float:
        channels = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
                    for c in to_rgb(color)]
        return 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]

    fig = CHARTS[name](sample_study(client)).figure
    texts = [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]
    assert texts
    for text in texts:
        contrast = 1.05 / (luminance(text.get_color()) + 0.05)
        assert contrast >= 4.5, (text.get_text(), text.get_color(), round(contrast, 2))
