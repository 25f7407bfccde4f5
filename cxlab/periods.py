"""Reporting periods: quarters (``2026Q3``), and months (``2026-07``) and years (``2026``).

Reports and studies run by quarter; a researcher can take the same steps by month or year
(label dates, count periods, list a range, find a period's dates), for a trend over months,
say (:func:`cxlab.stats.linear_trend`). Each kind is written as pandas writes its periods.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pandas only where dates are involved: the runner's skip path needs none
    import pandas as pd

from cxlab.errors import CxlabError

QUARTER = re.compile(r"(\d{4})Q([1-4])")
MONTH = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")
YEAR = re.compile(r"(\d{4})")
#: Kinds of period: pandas' frequency, the pattern, periods per year, and an example.
KINDS = {"Q": (QUARTER, 4, "2026Q3"), "M": (MONTH, 12, "2026-07"), "Y": (YEAR, 1, "2026")}


class PeriodError(CxlabError, ValueError):
    """A period not written as a quarter, month or year, or a range that runs backwards."""


def check_quarter(value: str) -> str:
    """Return ``value`` if it reads like ``2026Q3``; raise a clear error otherwise.

    Examples:
        >>> check_quarter("2026Q3")
        '2026Q3'
        >>> check_quarter("2026-Q3")
        Traceback (most recent call last):
        ...
        cxlab.periods.PeriodError: quarter '2026-Q3' is not valid: expected YYYYQn, e.g. '2026Q3'
    """
    if not isinstance(value, str) or not QUARTER.fullmatch(value):
        raise PeriodError(f"quarter {value!r} is not valid: expected YYYYQn, e.g. '2026Q3'")
    return value


def quarter_index(quarter: str) -> int:
    """The quarter's number counted from year 0 (consecutive quarters differ by 1).

    Examples:
        >>> quarter_index("2027Q1") - quarter_index("2026Q3")
        2
    """
    match = QUARTER.fullmatch(check_quarter(quarter))
    assert match is not None  # check_quarter raised otherwise
    year, q = (int(x) for x in match.groups())
    return year * 4 + (q - 1)


def kind(period: str) -> str:
    """``"Q"``, ``"M"`` or ``"Y"``: whether ``period`` is a quarter, a month or a year.

    Examples:
        >>> kind("2026Q3"), kind("2026-07"), kind("2026")
        ('Q', 'M', 'Y')
    """
    for name, (pattern, _, _) in KINDS.items():
        if isinstance(period, str) and pattern.fullmatch(period):
            return name
    raise PeriodError(f"period {period!r} is not valid: expected a quarter (e.g. '2026Q3'), a "
                      "month ('2026-07') or a year ('2026')")


def index(period: str) -> int:
    """The period's number counted from year 0 (consecutive periods of a kind differ by 1).

    For a trend's positions over months with a gap (see :func:`cxlab.stats.linear_trend`).

    Examples:
        >>> [index(m) - index("2026-01") for m in ["2026-01", "2026-02", "2026-05"]]
        [0, 1, 4]
        >>> index("2026Q3") == quarter_index("2026Q3")
        True
    """
    pattern, per_year, _ = KINDS[kind(period)]
    match = pattern.fullmatch(period)
    assert match is not None  # kind() matched it
    year, part = int(match.group(1)), int(match.group(2)) if per_year > 1 else 1
    return year * per_year + (part - 1)


def _from_index(number: int, of: str) -> str:
    year, part = divmod(number, KINDS[of][1])
    return {"Q": f"{year}Q{part + 1}", "M": f"{year}-{part + 1:02d}", "Y": f"{year}"}[of]


def shift(period: str, by: int) -> str:
    """The period ``by`` periods of its kind after ``period`` (negative: before).

    Examples:
        >>> shift("2026Q4", 1), shift("2026-01", -1), shift("2026", 2)
        ('2027Q1', '2025-12', '2028')
    """
    return _from_index(index(period) + by, kind(period))


def period_range(first: str, last: str) -> list[str]:
    """All periods from ``first`` to ``last`` inclusive, both of one kind.

    Examples:
        >>> period_range("2026-11", "2027-02")
        ['2026-11', '2026-12', '2027-01', '2027-02']
    """
    if kind(first) != kind(last):
        raise PeriodError(f"periods from {first} to {last}: give two quarters, two months or "
                          "two years")
    if index(first) > index(last):
        raise PeriodError(f"periods from {first} to {last}: the first comes after the last")
    return [_from_index(i, kind(first)) for i in range(index(first), index(last) + 1)]


def quarter_range(first: str, last: str) -> list[str]:
    """All quarters from ``first`` to ``last`` inclusive.

    Examples:
        >>> quarter_range("2025Q4", "2026Q2")
        ['2025Q4', '2026Q1', '2026Q2']
    """
    if check_quarter(first) > check_quarter(last):
        raise PeriodError(f"quarters from {first} to {last}: the first comes after the last")
    return period_range(first, last)


def bounds(period: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First day of the period and first day of the next one (half-open interval).

    Examples:
        >>> [str(day.date()) for day in bounds("2026-02")]
        ['2026-02-01', '2026-03-01']
    """
    import pandas as pd

    start = pd.Period(period, freq=kind(period))
    return start.start_time.normalize(), (start + 1).start_time.normalize()


def label(dates: pd.Series, of: str = "Q") -> pd.Series:
    """The period of each date: its quarter (``2026Q3``), or month or year with ``of="M"``/``"Y"``.

    Examples:
        >>> import pandas as pd
        >>> days = pd.Series(pd.to_datetime(["2026-07-31", "2026-08-01"]))
        >>> label(days).tolist(), label(days, "M").tolist(), label(days, "Y").tolist()
        (['2026Q3', '2026Q3'], ['2026-07', '2026-08'], ['2026', '2026'])
    """
    if of not in KINDS:
        raise PeriodError(f"periods of {of!r}: expected 'Q' (quarters), 'M' (months) or 'Y' "
                          "(years)")
    return dates.dt.to_period(of).astype(str)
