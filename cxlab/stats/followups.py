"""Closing the loop with unhappy customers: who was followed up, how fast, and what came next.

A *detractor answer* is a customer response with NPS 0-6 or CSAT 1-2. The follow-ups table
(``follow_ups``: one row per response followed up) says when someone contacted the customer,
when the case closed and whether it was resolved. :func:`loop_closure` measures, for one
quarter's detractor answers:

* the share followed up at all, and within 48 hours: the answer has a date and no time, so
  "within 48 hours" is counted as contacted by the end of the second day after the answer's
  date (generous by up to a day); Wilson intervals;
* days from the answer to the case's close (median and quartiles), and the share resolved;
* the NPS of the same customer's *next* answer (within :data:`LATER_DAYS`), followed up
  against not, with the difference's interval and test (:func:`cxlab.metrics.compare`).
  This comparison is observational: who gets followed up is not random (the angriest, the
  most reachable), so a difference is an association, not the effect of following up.

A follow-up dated before the answer it follows up (a typo, or a contact about something
else) is not counted as following it up, nor within 48 hours: it is left out and counted in
``LoopClosure.excluded``, so the report can say so. The import rejects such rows already
(:func:`cxlab.data.validate.validate`); this guard covers tables read otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from cxlab import metrics, periods

#: A later answer counts as "next" within this many days of the detractor answer.
LATER_DAYS = 365
#: The highest NPS answer (0-10) and CSAT answer (1-5) that count as unhappy.
DETRACTOR_NPS, UNHAPPY_CSAT = 6, 2
#: "Within 48 hours", in whole days after the answer's date (see the module's notes).
WITHIN_DAYS = 2
#: The columns of the customer responses :func:`loop_closure` reads.
ANSWER_COLUMNS = ("response_id", "customer_id", "responded_on", "nps", "csat")


def is_detractor(responses: Any) -> Any:
    """Whether each answer is unhappy: NPS 0-6 or CSAT 1-2.

    ``responses`` is a pandas frame, or an engine's table (the same rule as its expression).
    """
    def answered_so(low: Any) -> Any:  # missing answers are not unhappy
        return low.fill_null(False) if hasattr(low, "fill_null") else low.fillna(False)
    return (answered_so(responses["nps"] <= DETRACTOR_NPS)
            | answered_so(responses["csat"] <= UNHAPPY_CSAT))


@dataclass(frozen=True)
class LoopClosure:
    """One quarter's detractor answers and what happened to them.

    Attributes:
        detractors: Detractor answers in the quarter.
        followed: Share followed up at all (an Estimate, Wilson interval).
        within: Share followed up within 48 hours (see the module's notes).
        days_to_close: Median and quartiles of days from answer to close, among closed cases
            (NaN when none closed), and how many closed.
        resolved: Share resolved among the closed cases (None when none closed).
        later: NPS of the customers' next answer, followed up and not (Estimates or None
            where no customer answered again), and their comparison (or None).
        excluded: Follow-ups of the quarter's detractor answers left out because they are
            dated before the answer (contacted or closed before the customer answered).
    """

    quarter: str
    detractors: int
    followed: metrics.Estimate | None
    within: metrics.Estimate | None
    days_to_close: tuple[float, float, float]
    closed: int
    resolved: metrics.Estimate | None
    later_followed: metrics.Estimate | None
    later_not: metrics.Estimate | None
    later_comparison: metrics.Comparison | None
    excluded: int = 0


def loop_closure(responses: pd.DataFrame, follow_ups: pd.DataFrame, quarter: str) -> LoopClosure:
    """Measure how one quarter's detractor answers were followed up (see the module's notes).

    ``responses`` holds every quarter's answers (the next answer may fall in a later one);
    ``follow_ups`` the follow-up rows, matched by ``response_id``.
    """
    return summarize(quarter, closure_cases(responses, follow_ups, quarter))


def closure_cases(responses: pd.DataFrame, follow_ups: pd.DataFrame, quarter: str
                  ) -> pd.DataFrame:
    """One row per detractor answer of ``quarter``: what :func:`summarize` counts.

    Columns: ``followed`` and ``in_time`` (followed up within 48 hours), ``early`` (a
    follow-up dated before the answer, left out), ``days`` to close (NaN when not closed),
    ``resolved`` (1 or 0 for a closed case that says, else NaN) and ``later``, the NPS of
    the customer's next answer (NaN without one). The answers of different customers may be
    measured apart and their cases put together: each customer's answers must be all in one
    part.
    """
    answers = responses.assign(day=pd.to_datetime(responses["responded_on"]).dt.normalize())
    now = answers[is_detractor(answers) & (periods.label(answers["day"]) == quarter)]
    done = follow_ups.drop_duplicates("response_id").set_index("response_id")
    # Looked up by reindexing (a map from an empty table would not keep the dates' type).
    when = pd.Series(pd.to_datetime(done["followed_up_on"].reindex(now["response_id"])
                                    .to_numpy()), index=now.index)
    closed_on = pd.Series(pd.to_datetime(done["closed_on"].reindex(now["response_id"])
                                         .to_numpy()), index=now.index)
    # A contact or close dated before the answer is no follow-up of it (see the notes).
    early = ((when.dt.normalize() < now["day"]) | (closed_on < now["day"])).to_numpy()
    when, closed_on = when.mask(early), closed_on.mask(early)
    said = pd.Series(done["resolved"].reindex(now["response_id"]).to_numpy(), index=now.index)
    return pd.DataFrame({
        "followed": when.notna().to_numpy(),
        "in_time": ((when.dt.normalize() - now["day"]).dt.days <= WITHIN_DAYS).to_numpy(),
        "early": early,
        "days": (closed_on - now["day"]).dt.days.to_numpy(dtype=float),
        "resolved": said.where(closed_on.notna() & said.notna()).astype(float).to_numpy(),
        "later": _next_nps(answers, now).to_numpy(dtype=float)})


def summarize(quarter: str, cases: pd.DataFrame) -> LoopClosure:
    """The quarter's :class:`LoopClosure` from its detractor answers' cases."""
    n = len(cases)
    followed = cases["followed"].to_numpy(dtype=bool)
    days = cases["days"].dropna()
    resolved = cases["resolved"].dropna()
    later_yes = _nps(cases["later"][followed])
    later_no = _nps(cases["later"][~followed])
    return LoopClosure(
        quarter, n,
        metrics.proportion(int(followed.sum()), n) if n else None,
        metrics.proportion(int((followed & cases["in_time"].to_numpy(dtype=bool)).sum()), n)
        if n else None,
        tuple(np.percentile(days, [25, 50, 75])) if len(days) else (np.nan,) * 3,
        len(days),
        metrics.proportion(int(resolved.sum()), len(resolved)) if len(resolved) else None,
        later_yes, later_no,
        metrics.compare(later_yes, later_no) if later_yes and later_no else None,
        int(cases["early"].sum()))


def _next_nps(answers: pd.DataFrame, now: pd.DataFrame) -> pd.Series:
    """Per detractor answer, the NPS of the same customer's next answer within LATER_DAYS.

    Of two next answers on the same day, the one with the smaller response id: the same
    whatever order the answers were read in.
    """
    later = answers.dropna(subset=["nps"])[["customer_id", "day", "nps", "response_id"]]
    pairs = now[["response_id", "customer_id", "day"]].merge(later, on="customer_id",
                                                             suffixes=("", "_next"))
    gap = (pairs["day_next"] - pairs["day"]).dt.days
    pairs = pairs[(gap > 0) & (gap <= LATER_DAYS)].sort_values(
        ["day_next", "response_id_next"], kind="stable")
    first = pairs.drop_duplicates("response_id").set_index("response_id")["nps"]
    return now["response_id"].map(first).reset_index(drop=True)


def _nps(scores: pd.Series) -> metrics.Estimate | None:
    scores = scores.dropna()
    return metrics.nps(scores) if len(scores) >= 2 else None
