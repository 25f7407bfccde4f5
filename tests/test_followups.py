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
