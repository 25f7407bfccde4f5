"""Intervals and tests checked against a known truth, not only against a formula (issue 16).

Small, fixed versions of benchmarks/validate_intervals.py (which prints the full table):
coverage is computed exactly where the outcomes can be listed, and simulated with a fixed
seed otherwise. The thresholds leave room for simulation noise and nothing else.
"""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from cxlab import metrics
from cxlab.stats import flag_groups
from cxlab.stats.multiple import TOO_FEW

#: True (promoters, detractors) shares, from NPS -85 to +95, little and much spread.
NPS_TRUTHS = [(0.05, 0.9), (0.2, 0.4), (0.3, 0.3), (0.5, 0.1), (0.8, 0.05), (0.95, 0.0)]
#: True answer shares on 1-5, from the floor to the ceiling.
LIKERT = [[0.2] * 5, [0.5, 0.3, 0.1, 0.05, 0.05], [0.02, 0.05, 0.13, 0.4, 0.4],
          [0, 0, 0.02, 0.08, 0.9]]


def _trinomial(n):
    """All (promoters, detractors) counts of n answers."""
    p, d = np.meshgrid(np.arange(n + 1.0), np.arange(n + 1.0), indexing="ij")
    ok = p + d <= n
    return p[ok], d[ok]


def _pmf(p_cnt, d_cnt, n, p, d):
    return stats.multinomial.pmf(np.stack([p_cnt, n - p_cnt - d_cnt, d_cnt], 1), n,
                                 [p, max(1 - p - d, 0), d])


def test_nps_difference_covers_at_10_vs_10_exactly():
    """Every outcome of two samples of ten, weighted by its probability: coverage of the
    95% interval of the difference for every pair of true distributions."""
    p_cnt, d_cnt = _trinomial(10)
    grid = np.meshgrid(np.arange(len(p_cnt)), np.arange(len(p_cnt)), indexing="ij")
    a, b = (np.stack([p_cnt[g], 10 - p_cnt[g] - d_cnt[g], d_cnt[g]]) for g in grid)
    _, _, p_value, low, high = metrics.nps_difference(*a, *b)
    weights = {t: _pmf(p_cnt, d_cnt, 10, *t) for t in NPS_TRUTHS}
    assert all(w.sum() == pytest.approx(1) for w in weights.values())
    for t1 in NPS_TRUTHS:
        for t2 in NPS_TRUTHS:
            delta = 100 * (t1[0] - t1[1] - t2[0] + t2[1])
            inside = (low <= delta + 1e-9) & (delta - 1e-9 <= high)
            assert weights[t1] @ inside @ weights[t2] >= 0.94, (t1, t2)
    assert ((p_value < 0.05) == ((low > 0) | (high < 0))).all()


def test_nps_difference_covers_at_20_vs_200():
    rng = np.random.default_rng(1)
    for t1, t2 in [((0.3, 0.3), (0.3, 0.3)), ((0.8, 0.05), (0.5, 0.1)),
                   ((0.95, 0.0), (0.95, 0.0)), ((0.2, 0.4), (0.8, 0.05))]:
        a = rng.multinomial(20, [t1[0], 1 - sum(t1), t1[1]], 4000).T
        b = rng.multinomial(200, [t2[0], 1 - sum(t2), t2[1]], 4000).T
        _, _, _, low, high = metrics.nps_difference(*a, *b)
        delta = 100 * (t1[0] - t1[1] - t2[0] + t2[1])
        assert np.mean((low <= delta + 1e-9) & (delta - 1e-9 <= high)) >= 0.93, (t1, t2)


@pytest.mark.parametrize("n1, n2", [(10, 10), (20, 200)])
def test_difference_of_shares_covers_exactly(n1, n2):
    """Miettinen-Nurminen, exactly, for true shares 0.1 to 0.9 (at the corners 0.05 against
    0.95 it dips to 0.925 at 10 against 10; see the benchmark)."""
    k1, k2 = np.meshgrid(np.arange(n1 + 1.0), np.arange(n2 + 1.0), indexing="ij")
    _, _, p_value, low, high = metrics.proportion_difference(k1, n1, k2, n2)
    shares = np.round(np.arange(0.1, 0.91, 0.1), 2)
    covered = [stats.binom.pmf(np.arange(n1 + 1), n1, p1)
               @ ((low <= p1 - p2 + 1e-12) & (p1 - p2 - 1e-12 <= high))
               @ stats.binom.pmf(np.arange(n2 + 1), n2, p2)
               for p1 in shares for p2 in shares]
    assert min(covered) >= 0.93
    assert ((p_value < 0.05) == ((low > 0) | (high < 0))).all()


@pytest.mark.parametrize("n1, n2", [(10, 10), (20, 200)])
def test_difference_of_means_on_a_scale_covers(n1, n2):
    """Near a scale's end plain Welch covered 0.87 (and rejected 13% of true nulls) at 20
    against 200; the adjusted answers keep it at 0.93 or more."""
    rng = np.random.default_rng(2)
    values = np.arange(1, 6)

    def sums(probs, n):
        x = rng.choice(values, size=(3000, n), p=probs)
        return n, x.mean(1), ((x - x.mean(1, keepdims=True)) ** 2).sum(1)

    for pa in LIKERT:
        for pb in LIKERT:
            _, _, _, low, high = metrics.mean_difference(*sums(pa, n1), *sums(pb, n2),
                                                         scale=(1, 5))
            delta = values @ pa - values @ pb
            assert np.mean((low <= delta + 1e-12) & (delta - 1e-12 <= high)) >= 0.93


def _teams(rng, truth, sizes):
    counts = np.array([rng.multinomial(m, truth) for m in sizes])
    value, se, low, high = metrics.nps_interval(*counts.T)
    n = counts.sum(1)
    p, d = counts[:, 0] / n, counts[:, 2] / n
    return pd.DataFrame({"value": value, "se": se, "n": n, "method": "adjusted-wald",
                         "sd": 100 * np.sqrt(p + d - (p - d) ** 2)})


def test_no_team_is_flagged_more_than_five_percent_of_the_time_when_none_differs():
    """Teams of 3 to 200 answers, one true eNPS: before issue 16, teams of three or four
    at +75 were flagged about half of the time."""
    rng = np.random.default_rng(3)
    sizes = [3, 4, 5, 8, 10, 20, 50, 200]
    for truth in [(0.3, 0.4, 0.3), (0.8, 0.15, 0.05)]:
        flagged = np.zeros(len(sizes))
        for _ in range(150):
            flags = flag_groups(_teams(rng, truth, sizes))
            flagged += flags.isin(["above", "below"]).to_numpy()
            assert (flags.iloc[:2] == TOO_FEW).all()
        assert (flagged / 150 <= 0.05).all(), flagged


def test_a_planted_team_is_found():
    rng = np.random.default_rng(4)
    sizes = [5, 8, 10, 20, 30, 50, 100, 30]
    found = 0
    for _ in range(60):
        frame = _teams(rng, (0.3, 0.4, 0.3), sizes)
        frame.iloc[-1] = _teams(rng, (0.7, 0.2, 0.1), [30]).iloc[0]  # eNPS +60 against 0
        found += flag_groups(frame).iloc[-1] == "above"
    assert found / 60 >= 0.8
