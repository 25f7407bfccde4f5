"""Closing the loop in the report: how the quarter's unhappy customers were followed up.

The numbers are :func:`cxlab.stats.followups.loop_closure`'s; this module words them.
"""

from __future__ import annotations

import math

import pandas as pd

from cxlab import periods
from cxlab.data.schema import PERIOD_COLUMN
from cxlab.engine import within
from cxlab.metrics import Estimate
from cxlab.report.availability import needs
from cxlab.report.html_tables import SMALL_N
from cxlab.report.tables import fmt_change, fmt_p, fmt_value
from cxlab.stats.followups import (
    ANSWER_COLUMNS,
    LATER_DAYS,
    LoopClosure,
    closure_cases,
    is_detractor,
    summarize,
)
from cxlab.study import Study


def _share(est: Estimate | None) -> str:
    if est is None:
        return "-"
    k = est.stats["successes"]
    return (f"{fmt_value(est.value, 'proportion')} ({fmt_value(est.ci[0], 'proportion')} to "
            f"{fmt_value(est.ci[1], 'proportion')}; {k:,} of {est.n:,})")


def _nps(est: Estimate | None) -> str:
    if est is None:
        return "fewer than 2 customers answered again"
    return (f"{fmt_value(est.value, 'nps')} ({fmt_value(est.ci[0], 'nps')} to "
            f"{fmt_value(est.ci[1], 'nps')}; n={est.n:,})")


#: Unhappy answers of a quarter measured at once, at most about: beyond, in parts by customer.
BATCH = 100_000


def loop_result(study: Study) -> LoopClosure:
    """The study's :func:`~cxlab.stats.followups.loop_closure`, computed once.

    The page's table and the workbook's sheet both read it.
    """
    def compute() -> LoopClosure:
        # The quarter's answers and the year after it, where each customer's next answer is:
        # of the customers unhappy this quarter, and only the columns the measures read.
        start, end = periods.bounds(study.quarter)
        span = study.query("customer_responses", start=start,
                           end=end + pd.Timedelta(days=LATER_DAYS + 1))
        span = span.select(*ANSWER_COLUMNS)
        now = span.filter(within(span[PERIOD_COLUMN["customer_responses"]], start, end))
        unhappy = now.filter(is_detractor(now))
        # Customers in parts of at most about BATCH unhappy answers (each customer in one
        # part, by a hash of the id), so memory holds one part's answers at a time.
        parts = max(1, math.ceil(int(unhappy.count().execute()) / BATCH))
        held = study.query("follow_ups")
        cases = []
        for part in range(parts):
            mine = unhappy
            if parts > 1:
                mine = unhappy.filter((unhappy["customer_id"].hash() % parts + parts) % parts
                                      == part)
            answers = span.filter(span["customer_id"].isin(mine["customer_id"]))
            follow_ups = held.filter(held["response_id"].isin(mine["response_id"]))
            cases.append(closure_cases(answers.execute(), follow_ups.execute(), study.quarter))
        return summarize(study.quarter, pd.concat(cases, ignore_index=True))
    return study.cached(("loop_closure",), compute)


@needs("customer_responses", "follow_ups")
def closing_the_loop(study: Study) -> pd.DataFrame:
    """The quarter's detractor answers: followed up, how fast, closed, and what came next.

    Examples:
        On the sample data, with ``study = cxlab.open_study("cedar", "2026Q3")``:

        >>> report.closing_the_loop(study).loc["Followed up within 48 hours"].iloc[0]
        '72.0% (61.4% to 80.5%; 59 of 82)'
    """
    result = loop_result(study)
    low, median, high = result.days_to_close
    comparison = result.later_comparison
    rows = {
        "Unhappy answers (NPS 0-6 or CSAT 1-2)": f"{result.detractors:,}",
        "Followed up": _share(result.followed),
        "Followed up within 48 hours": _share(result.within),
        "Days from the answer to closing the case": (
            f"{median:.0f} (half between {low:.0f} and {high:.0f}; {result.closed:,} closed)"
            if result.closed else "no case closed"),
        "Resolved, of the closed cases": _share(result.resolved),
        f"NPS of their next answer (within {LATER_DAYS} days), followed up":
            _nps(result.later_followed),
        "... not followed up": _nps(result.later_not),
        "Difference (followed up minus not)": (
            f"{fmt_change(comparison.difference, 'nps')} ({fmt_change(comparison.ci[0], 'nps')} "
            f"to {fmt_change(comparison.ci[1], 'nps')}; {fmt_p(comparison.p_value, False)})"
            if comparison else "cannot be compared: too few customers answered again"),
    }
    if result.excluded:
        rows["Follow-ups left out: dated before the customer's answer"] = (
            f"{result.excluded:,} (not counted as followed up; check their dates)")
    table = pd.DataFrame({"Closing the loop": list(rows.values())},
                         index=pd.Index(list(rows), name=f"Unhappy customers, {study.quarter}"))
    table.attrs["caption"] = (f"Customers who answered unhappily in {study.quarter}: followed up, "
                              "how fast, closed and resolved (95% intervals), and how their next "
                              "answer compares")
    table.attrs["small_n"] = SMALL_N
    return table
