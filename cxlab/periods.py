"""Quarters as the reporting period: parsing, arithmetic and date bounds."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pandas only where dates are involved: the runner's skip path needs none
    import pandas as pd

from cxlab.errors import CxlabError

QUARTER = re.compile(r"(\d{4})Q([1-4])")


class PeriodError(CxlabError, ValueError):
    """A quarter that is not written YYYYQn, or a range that runs backwards."""


def check_quarter(value: str) -> str:
    """Return ``value`` if it reads like ``2026Q3``; raise a clear error otherwise."""
    if not isinstance(value, str) or not QUARTER.fullmatch(value):
        raise PeriodError(f"quarter {value!r} is not valid: expected YYYYQn, e.g. '2026Q3'")
    return value


def quarter_index(quarter: str) -> int:
    """The quarter's number counted from year 0 (consecutive quarters differ by 1)."""
    match = QUARTER.fullmatch(check_quarter(quarter))
    assert match is not None  # check_quarter raised otherwise
    year, q = (int(x) for x in match.groups())
    return year * 4 + (q - 1)


def shift(quarter: str, by: int) -> str:
    """The quarter ``by`` quarters after ``quarter`` (negative: before)."""
    index = quarter_index(quarter) + by
    return f"{index // 4}Q{index % 4 + 1}"


def quarter_range(first: str, last: str) -> list[str]:
    """All quarters from ``first`` to ``last`` inclusive."""
    if check_quarter(first) > check_quarter(last):
        raise PeriodError(f"quarters from {first} to {last}: the first comes after the last")
    out, current = [], first
    while current <= last:  # YYYYQn strings sort in time order
        out.append(current)
        current = shift(current, 1)
    return out


def bounds(quarter: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First day of the quarter and first day of the next one (half-open interval)."""
    import pandas as pd

    period = pd.Period(check_quarter(quarter), freq="Q")
    return period.start_time.normalize(), (period + 1).start_time.normalize()


def label(dates: pd.Series) -> pd.Series:
    """Quarter label (``2026Q3``) of each date."""
    return dates.dt.to_period("Q").astype(str)
