"""Breaks in coverage: flagged, and trends not drawn through them as a change."""

import numpy as np
import pandas as pd

from cxlab.stats.continuity import coverage_breaks


def test_a_jump_in_coverage_is_a_break_and_drift_is_not():
    share = pd.Series([0.02, 0.03, 0.95, 0.96, 0.90, 0.80, 0.30])
    assert coverage_breaks(share).tolist() == [False, False, True, False, False, False, True]
    # small shares that double are not breaks unless the change is large too
    assert not coverage_breaks(pd.Series([0.05, 0.1, 0.2])).any()
    assert not coverage_breaks(pd.Series([1.0])).any()


def test_a_measure_collected_from_a_later_quarter_breaks_the_trend(sample_study):
    import matplotlib

    matplotlib.use("Agg")
    from cxlab.report import charts, tables

    study = sample_study("cedar", "2026Q3")
    frame = study.tables["customer_responses"].copy()
    quarter = pd.PeriodIndex(frame["responded_on"], freq="Q").astype(str)
    early = quarter.isin(["2024Q4", "2025Q1", "2025Q2"])
    # In the early quarters only one answer in twenty carried NPS (the question was new).
    keep = np.arange(len(frame)) % 20 == 0
    frame.loc[early & ~keep, "nps"] = np.nan
    study.tables["customer_responses"] = frame
    trend = tables.trend_frame(study, "nps").set_index("quarter")
    assert trend.loc["2025Q2", "coverage"] < 0.1 < 0.9 < trend.loc["2025Q3", "coverage"]
    assert trend["coverage_break"].tolist().count(True) == 1
    assert trend.loc["2025Q3", "coverage_break"]
    chart = charts.trend_chart(study, "nps")
    ax = chart.figure.axes[0]
    lines = [line for line in ax.get_lines() if len(line.get_xdata()) > 1 and
             line.get_linestyle() == "-"]
    assert len(lines) == 2  # the trend line is drawn in two parts
    assert any("coverage" in t.get_text() for t in ax.texts)
    assert "changed sharply before 2025Q3" in chart.alt
