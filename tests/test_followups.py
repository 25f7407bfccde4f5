"""Closing the loop: follow-ups of unhappy customers, checked by hand and by simulation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from cxlab.stats.followups import is_detractor, loop_closure


def _answers(rows):
    return pd.DataFrame(rows, columns=["response_id", "customer_id", "responded_on", "nps",
                                       "csat"])


def test_a_small_quarter_counted_by_hand():
    responses = _answers([
        ("R1", "C1", "2026-07-01", 3, 4),     # detractor, followed up next day, closed day 4
        ("R2", "C2", "2026-07-10", 9, 1),     # CSAT 1: unhappy, followed up on day 5
        ("R3", "C3", "2026-08-01", 6, None),  # detractor, never followed up
        ("R4", "C4", "2026-08-02", None, 2),  # CSAT 2: unhappy, followed up same day, open
        ("R5", "C5", "2026-08-03", 7, 4),     # passive, not unhappy
        ("R6", "C1", "2026-10-05", 10, 5),    # C1 answers again: promoter
        ("R7", "C3", "2026-11-01", 0, 1),     # C3 answers again: detractor
        ("R8", "C3", "2026-12-01", 10, 5),    # C3 again, later: not the *next* answer
        ("R9", "C2", "2024-01-01", 10, 5),    # C2, before: not a *later* answer
    ])
    follow_ups = pd.DataFrame({
        "response_id": ["R1", "R2", "R4"],
        "followed_up_on": pd.to_datetime(["2026-07-02 10:00", "2026-07-15 09:00",
                                          "2026-08-02 17:30"]),
        "closed_on": pd.to_datetime(["2026-07-05", "2026-07-20", None]),
        "resolved": [True, False, None]})
    assert is_detractor(responses).tolist() == [True, True, True, True, False, False, True,
                                                False, False]
    result = loop_closure(responses, follow_ups, "2026Q3")
    assert result.detractors == 4
    assert (result.followed.stats["successes"], result.followed.n) == (3, 4)
    assert result.within.stats["successes"] == 2  # R1 (1 day) and R4 (same day); not R2 (5)
    assert result.closed == 2
    assert result.days_to_close == pytest.approx((4 + 0.25 * 6, 4 + 0.5 * 6, 4 + 0.75 * 6))
    assert (result.resolved.stats["successes"], result.resolved.n) == (1, 2)
    # Next answers: followed up C1 (10); not followed up C3 (0, its next, not the later 10).
    assert result.later_followed is None and result.later_not is None  # one answer each
    assert result.later_comparison is None


def _simulated(rng, n: int, effect: float):
    """n detractor answers; half followed up; every customer answers again, promoters with
    probability 0.3 (+ ``effect`` when followed up), detractors 0.4 (- ``effect``)."""
    followed = rng.random(n) < 0.5
    p_promoter = 0.3 + effect * followed
    p_detractor = 0.4 - effect * followed
    u = rng.random(n)
    later = np.where(u < p_promoter, 10, np.where(u < p_promoter + p_detractor, 3, 8))
    ids = [f"R{i}" for i in range(n)]
    responses = pd.concat([
        _answers({"response_id": ids, "customer_id": [f"C{i}" for i in range(n)],
                  "responded_on": "2026-08-01", "nps": 2, "csat": 3}),
        _answers({"response_id": [f"L{i}" for i in range(n)],
                  "customer_id": [f"C{i}" for i in range(n)],
                  "responded_on": "2026-11-01", "nps": later, "csat": 3})], ignore_index=True)
    follow_ups = pd.DataFrame({"response_id": np.array(ids)[followed],
                               "followed_up_on": pd.Timestamp("2026-08-02"),
                               "closed_on": pd.NaT, "resolved": None})
    return responses, follow_ups


def test_a_planted_difference_in_the_next_answer_is_found_and_covered():
    """+0.15 promoters and -0.15 detractors when followed up: 30 NPS points, planted."""
    rng = np.random.default_rng(4)
    responses, follow_ups = _simulated(rng, 1200, 0.15)
    comparison = loop_closure(responses, follow_ups, "2026Q3").later_comparison
    assert comparison.p_value < 0.001
    assert comparison.ci[0] < 30 < comparison.ci[1]


def test_without_an_effect_the_comparison_errs_at_its_level():
    """200 simulated quarters with no planted effect: about 5% read significant."""
    rng = np.random.default_rng(8)
    hits = [loop_closure(*_simulated(rng, 300, 0.0), "2026Q3").later_comparison.p_value < 0.05
            for _ in range(200)]
    # The binomial standard error at 0.05 over 200 runs is 0.015.
    assert np.mean(hits) <= 0.09


def test_the_report_section_reads_the_sample_and_says_when_there_is_no_table(sample_study):
    from cxlab import report

    study = sample_study("northwind")
    table = report.closing_the_loop(study)
    assert table.attrs["caption"].startswith("Customers who answered unhappily in 2026Q3")
    cells = table.iloc[:, 0]
    assert cells.iloc[0] == f"{int(is_detractor(study.rows('customer_responses')).sum()):,}"
    assert "of" in cells["Followed up"] and "%" in cells["Followed up within 48 hours"]
    study.tables["follow_ups"] = study.tables["follow_ups"].iloc[0:0]
    study.absent = (*study.absent, "follow_ups")
    note = report.closing_the_loop(study)
    assert "follow" in str(getattr(note, "data", note)).lower()


def test_a_follow_up_dated_before_the_answer_is_left_out_and_counted():
    """Planted: R1 contacted two days before the customer answered (a negative delay, which
    would read as within 48 hours), R3 closed before it; only R2 counts as followed up."""
    responses = _answers([("R1", "C1", "2026-07-10", 2, None), ("R2", "C2", "2026-07-10", 3, None),
                          ("R3", "C3", "2026-07-10", 4, None)])
    follow_ups = pd.DataFrame({
        "response_id": ["R1", "R2", "R3"],
        "followed_up_on": pd.to_datetime(["2026-07-08 10:00", "2026-07-11 09:00", "2026-07-10 12:00"]),
        "closed_on": pd.to_datetime([None, "2026-07-12", "2026-07-01"]), "resolved": None})
    result = loop_closure(responses, follow_ups, "2026Q3")
    assert result.excluded == 2
    assert result.followed.stats["successes"] == result.within.stats["successes"] == 1
    assert (result.closed, result.days_to_close[1]) == (1, 2)


def test_the_report_says_how_many_follow_ups_it_left_out(sample_study):
    from cxlab import report

    study = sample_study("northwind")
    answers = study.tables["customer_responses"]
    unhappy = answers[is_detractor(answers)
                      & (pd.to_datetime(answers["responded_on"]).dt.quarter == 3)
                      & (pd.to_datetime(answers["responded_on"]).dt.year == 2026)]
    early = pd.DataFrame({"response_id": unhappy["response_id"].iloc[:3],
                          "followed_up_on": pd.to_datetime(unhappy["responded_on"].iloc[:3])
                          - pd.Timedelta(days=5), "closed_on": pd.NaT, "resolved": None})
    follow_ups = study.tables["follow_ups"]
    study.tables["follow_ups"] = pd.concat(
        [early, follow_ups[~follow_ups["response_id"].isin(early["response_id"])]],
        ignore_index=True)
    table = report.closing_the_loop(study)
    assert table.iloc[:, 0]["Follow-ups left out: dated before the customer's answer"] \
        .startswith("3 (")


def test_no_unhappy_answer_is_explained():
    """The run says why it found none: no score collected (a Skytrax-style export rates
    stars, not NPS or CSAT), none scored in the window, none unhappy in it."""
    from cxlab.send.followup import why_none
    from cxlab.send.recognize import Outcome

    start = pd.Timestamp("2026-07-08").date()
    stars = _answers([("R1", "C1", "2026-07-10", None, None)])
    assert why_none(stars.iloc[0:0], start) == "the data has no customer answers"
    assert why_none(stars, start).startswith("no answer has an NPS or CSAT score")
    early = _answers([("R1", "C1", "2026-07-01", 2, None), ("R2", "C2", "2026-07-10", None, None)])
    assert why_none(early, start) == "no answer since 2026-07-08 has an NPS or CSAT score"
    happy = _answers([("R1", "C1", "2026-07-01", 2, None), ("R2", "C2", "2026-07-10", 9, 5),
                      ("R3", "C3", "2026-07-11", 8, 3)])
    assert why_none(happy, start) == ("none of the 2 scored answers since 2026-07-08 has NPS 0-6 "
                                      "or CSAT 1-2 (1 earlier one does: --since DATE starts "
                                      "earlier)")
    outcome = Outcome(start=start, what="unhappy answer", why_none=why_none(stars, start))
    assert outcome.summary().startswith("0 unhappy answers found since 2026-07-08: no answer "
                                        "has an NPS or CSAT score")


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_a_quarter_measured_in_parts_by_customer_gives_the_same_closure(sandbox, monkeypatch,
                                                                         engine):
    """Beyond BATCH unhappy answers the quarter is measured in parts (customers split by a
    hash of their id, each customer's answers in one part): every number is the same."""
    import dataclasses

    from report_harness import cxlab_home

    import cxlab
    from cxlab.report import followups as report_followups

    with cxlab_home(sandbox):
        whole = report_followups.loop_result(cxlab.open_study("northwind", "2026Q2",
                                                              engine=engine))
        monkeypatch.setattr(report_followups, "BATCH", 40)
        parts = report_followups.loop_result(cxlab.open_study("northwind", "2026Q2",
                                                              engine=engine))
    assert whole.detractors > 5 * 40  # so the quarter really was measured in parts
    assert repr(dataclasses.astuple(parts)) == repr(dataclasses.astuple(whole))
