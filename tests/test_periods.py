"""Periods: quarters as before, and months and years for researchers (issue 21, part 6)."""

import warnings

import pandas as pd
import pytest

from cxlab import periods
from cxlab.periods import PeriodError


@pytest.mark.parametrize("first, last, expected", [
    ("2025Q4", "2026Q2", ["2025Q4", "2026Q1", "2026Q2"]),
    ("2025-11", "2026-02", ["2025-11", "2025-12", "2026-01", "2026-02"]),
    ("2024", "2026", ["2024", "2025", "2026"]),
    ("2026-05", "2026-05", ["2026-05"]),
])
def test_ranges_and_shifts_cross_year_ends(first, last, expected):
    assert periods.period_range(first, last) == expected
    assert [periods.shift(first, k) for k in range(len(expected))] == expected
    assert periods.shift(last, -(len(expected) - 1)) == first
    assert [periods.index(p) for p in expected] == list(range(periods.index(first),
                                                              periods.index(last) + 1))


@pytest.mark.parametrize("period, start, end", [
    ("2026Q3", "2026-07-01", "2026-10-01"), ("2026-12", "2026-12-01", "2027-01-01"),
    ("2024-02", "2024-02-01", "2024-03-01"), ("2026", "2026-01-01", "2027-01-01")])
def test_bounds_are_half_open_and_agree_with_the_labels(period, start, end):
    low, high = periods.bounds(period)
    assert (low, high) == (pd.Timestamp(start), pd.Timestamp(end))
    days = pd.Series(pd.date_range(low - pd.Timedelta(days=1), high, freq="D"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no deprecated frequency alias
        inside = periods.label(days, periods.kind(period)) == period
    assert days[inside].min() == low and days[inside].max() == high - pd.Timedelta(days=1)


def test_quarters_behave_as_before():
    assert periods.quarter_range("2026Q1", "2026Q3") == ["2026Q1", "2026Q2", "2026Q3"]
    assert periods.shift("2026Q1", -1) == "2025Q4" and periods.quarter_index("2026Q1") == 8104
    assert periods.label(pd.Series(pd.to_datetime(["2026-03-31"]))).tolist() == ["2026Q1"]
    with pytest.raises(PeriodError, match="quarter '2026-03' is not valid"):
        periods.quarter_range("2026-03", "2026-05")  # a report's range stays in quarters


@pytest.mark.parametrize("call, message", [
    (lambda: periods.kind("2026-13"), "expected a quarter .* a month .* or a year"),
    (lambda: periods.kind("26Q1"), "period '26Q1' is not valid"),
    (lambda: periods.period_range("2026Q1", "2026-03"), "two quarters, two months or two years"),
    (lambda: periods.period_range("2026-03", "2026-01"), "the first comes after the last"),
    (lambda: periods.label(pd.Series(pd.to_datetime(["2026-01-01"])), "W"), "'W'"),
])
def test_wrong_periods_are_named(call, message):
    with pytest.raises(PeriodError, match=message):
        call()


def test_a_monthly_trend_from_labelled_answers():
    """What months are for: a measure per month, then the trend test across them."""
    import cxlab
    from cxlab.stats import linear_trend

    days = pd.to_datetime(["2026-01-15", "2026-02-15", "2026-03-15", "2026-04-15"]).repeat(50)
    scores = [10] * 20 + [0] * 30 + [10] * 25 + [0] * 25 + [10] * 30 + [0] * 20 + [10] * 35 + [0] * 15
    answers = pd.DataFrame({"day": days, "nps": scores})
    answers["month"] = periods.label(answers["day"], "M")
    by_month = cxlab.grouped(answers, "nps", by="month", check_scale=False)
    assert by_month["month"].tolist() == periods.period_range("2026-01", "2026-04")
    assert by_month["value"].tolist() == [-20.0, 0.0, 20.0, 40.0]
    trend = linear_trend(by_month["value"], by_month["se"])
    assert trend.slope > 0 and trend.p_value < 0.05
