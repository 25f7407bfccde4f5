"""Small-group suppression for employee-survey results: primary and complementary.

A statistic of fewer than ``min_n`` respondents could point at one person, so it is not
published (primary suppression). Hiding small groups is not enough when their parent's total
and their siblings are published: with a department's eNPS and all but one of its teams, the
hidden team follows by subtraction, and with all but two, the two hidden teams together. So
within every parent, while the hidden groups are a single group or together hold fewer than
``min_n`` respondents, the smallest of the still-shown siblings is hidden too (complementary
suppression). What subtraction can then give back is the hidden groups' combined result, of
at least ``min_n`` respondents, never one group's.

This is the common rule of statistical offices for tables with a threshold; it protects one
level of subtraction. It does not protect against a reader who combines several
differently-cut tables of the same respondents over time, which is why the reports cut the
pulse only by team and by department.
"""

from __future__ import annotations

import pandas as pd

#: Fewest respondents a published employee-survey statistic may stand on (client setting
#: ``min_group_size``).
DEFAULT_MIN_GROUP = 5


def suppressed(counts: pd.Series, min_n: int, parent: pd.Series | None = None) -> pd.Series:
    """Which groups to hide: True for each group not to publish.

    Args:
        counts: Respondents per group (indexed by group). Groups with 0 have nothing to hide
            and are never marked.
        min_n: Fewest respondents a shown group may have.
        parent: The parent of each group (same index), e.g. each team's department; None
            when all groups share one parent (say, the client).

    Returns:
        A boolean Series on ``counts``' index.
    """
    if min_n < 1:
        raise ValueError(f"min_n must be at least 1, got {min_n!r}")
    counts = pd.Series(counts).astype(float)
    parent = (pd.Series(0, index=counts.index) if parent is None
              else pd.Series(parent).reindex(counts.index))
    hidden = (counts > 0) & (counts < min_n)
    for _, members in counts.groupby(parent, dropna=False, sort=False):
        shown = members[(members > 0) & ~hidden[members.index]].sort_values(kind="stable")
        for group in shown.index:
            mine = hidden[members.index]
            if not mine.any() or (mine.sum() > 1 and members[mine].sum() >= min_n):
                break
            hidden[group] = True
    return hidden


def respondents(rows: pd.DataFrame, by: str | list[str], who: str = "employee_id"
                ) -> pd.Series:
    """Distinct respondents per group: people counted once however often they answered.

    Anonymous answers (no value in ``who``) cannot be told apart, so each counts as one.
    """
    by = [by] if isinstance(by, str) else list(by)
    named = rows[rows[who].notna()].groupby(by, dropna=False)[who].nunique()
    anonymous = rows[rows[who].isna()].groupby(by, dropna=False).size()
    return named.add(anonymous, fill_value=0).astype(int)


def count_respondents(rows: pd.DataFrame, who: str = "employee_id") -> int:
    """Distinct respondents among ``rows`` (as :func:`respondents`, for all rows at once)."""
    return int(rows[who].dropna().nunique() + rows[who].isna().sum())


def pulse_suppression(rows: pd.DataFrame, department_of: pd.Series, min_n: int
                      ) -> tuple[pd.Series, pd.Series]:
    """``(departments, teams)`` to hide for one pulse's answers, by team and by department.

    Departments are suppressed among the client's departments, teams among their
    department's teams; a department hidden to protect another hides its teams too, or
    adding them up would give it back. ``department_of`` maps each team to its department.
    """
    rows = rows.assign(department=rows["team"].map(department_of))
    by_department = respondents(rows, "department")
    departments = suppressed(by_department, min_n)
    by_team = respondents(rows, "team")
    parent = by_team.index.to_series().map(department_of)
    teams = suppressed(by_team, min_n, parent) | parent.map(departments).fillna(False).astype(bool)
    return departments, teams
