"""Scorecard intervals that carry the prior's uncertainty: coverage against a planted truth."""

import numpy as np
import pytest

from cxlab import metrics
from cxlab.stats import hierarchical, shrinkage


def _coverage(truth_of, k, lo, hi, reps, seed):
    rng = np.random.default_rng(seed)
    hits, narrowest = [], np.inf
    for rep in range(reps):
        truth = truth_of(rng, k)
        n = rng.integers(lo, hi + 1, k)
        x = rng.binomial(n, truth)
        s = hierarchical.rates(x, n, n_draws=1000, seed=rep).summary
        hits.append(np.mean((s["ci_low"] <= truth) & (truth <= s["ci_high"])))
        # Relative to the client's own level (Wilson on all answers): pooling everyone can
        # make nobody surer than that.
        _, _, plo, phi = metrics.wilson_interval(int(x.sum()), int(n.sum()))
        narrowest = min(narrowest, float((s["ci_high"] - s["ci_low"]).min() / (phi - plo)))
    return float(np.mean(hits)), narrowest


@pytest.mark.parametrize(("name", "truth_of"), [
    ("no spread", lambda rng, k: np.full(k, 0.7)),
    ("wide spread", lambda rng, k: rng.beta(2.1, 0.9, k)),
    ("two clusters", lambda rng, k: np.where(rng.random(k) < 0.5, 0.55, 0.85)),
])
def test_rate_intervals_cover_the_truth_where_plug_in_ones_did_not(name, truth_of):
    coverage, narrowest = _coverage(truth_of, 8, 3, 30, reps=30, seed=7)
    assert coverage >= 0.85, (name, coverage)
    if name == "no spread":  # everyone alike: no interval narrower than the client's level
        assert narrowest >= 0.95, narrowest


def test_the_plug_in_prior_at_its_cap_was_overconfident_and_is_no_longer():
    """Eight agents, thousands of answers and no real difference (the issue's contact centre)."""
    rng = np.random.default_rng(3)
    n = rng.integers(400, 600, 8)
    x = rng.binomial(n, 0.5)
    plug = shrinkage.shrink_rates(x, n)
    assert (plug["ci_high"] - plug["ci_low"]).max() < 0.01  # everyone "49.9% (49.8-50.0)"
    post = hierarchical.rates(x, n, seed=1)
    widths = post.summary["ci_high"] - post.summary["ci_low"]
    _, _, lo, hi = metrics.wilson_interval(int(x.sum()), int(n.sum()))
    assert (widths >= (hi - lo)).all()
    ranks = post.rank_intervals()
    # Nobody is told apart: every rank could be almost anything.
    assert ((ranks["rank_high"] - ranks["rank_low"] + 1) >= 6).all()


def test_real_differences_are_ranked_with_narrow_rank_intervals():
    n = np.full(6, 400)
    x = (n * np.array([0.2, 0.35, 0.5, 0.65, 0.8, 0.95])).astype(int)
    ranks = hierarchical.rates(x, n, seed=2).rank_intervals()
    assert ranks["rank"].tolist() == [6, 5, 4, 3, 2, 1]
    assert (ranks["rank_low"] == ranks["rank_high"]).all()
    lower_better = hierarchical.rates(x, n, seed=2).rank_intervals(higher_is_better=False)
    assert lower_better["rank"].tolist() == [1, 2, 3, 4, 5, 6]


def test_means_follow_the_same_rule_and_handle_units_without_data():
    rng = np.random.default_rng(5)
    hits = []
    for rep in range(30):
        truth = rng.normal(10, 15, 10)
        se = 80 / np.sqrt(rng.integers(3, 30, 10))
        y = rng.normal(truth, se)
        s = hierarchical.means(y, se, n_draws=1000, seed=rep).summary
        hits.append(np.mean((s["ci_low"] <= truth) & (truth <= s["ci_high"])))
    assert np.mean(hits) >= 0.88
    s = hierarchical.means([1.0, 2.0, np.nan, 3.0, 4.0], [1.0, 1.0, 1.0, 1.0, 1.0]).summary
    assert np.isnan(s["raw"][2]) and np.isfinite(s["shrunk"][2])
    assert (s["ci_high"] - s["ci_low"])[2] > (s["ci_high"] - s["ci_low"])[0]


def test_results_are_reproducible_and_bad_input_is_named():
    a = hierarchical.rates([3, 5, 7, 9], [10, 10, 10, 10]).summary
    b = hierarchical.rates([3, 5, 7, 9], [10, 10, 10, 10]).summary
    assert a.equals(b)
    with pytest.raises(shrinkage.ShrinkageError, match="at least 4 units"):
        hierarchical.rates([1, 2, 0], [5, 5, 0])
    with pytest.raises(shrinkage.ShrinkageError, match="between 0 and trials"):
        hierarchical.rates([6, 1, 1, 1], [5, 5, 5, 5])
    with pytest.raises(shrinkage.ShrinkageError, match="positive"):
        hierarchical.means([1.0, 2.0, 3.0, 4.0], [1.0, 0.0, 1.0, 1.0])


def test_the_leaderboard_shows_one_quantity_labelled_and_ranks_only_real_differences():
    import pandas as pd

    from cxlab.recognition import collection_leaderboard

    rng = np.random.default_rng(11)
    ids = [f"E{i}" for i in range(12)]
    n = pd.Series(rng.integers(60, 200, 12), index=ids)
    true = np.where(np.arange(12) < 6, 0.05, 0.30)
    board = collection_leaderboard(pd.Series(rng.binomial(n, true), index=ids), n,
                                   pd.Series("A", index=ids), min_n=20)
    ranked = board.dropna(subset=["rank"])
    assert len(ranked) and not board.attrs["pooled"]
    # The rank follows the estimated rate shown beside it, and the raw rate is the counts'.
    assert ranked.sort_values("rank")["rate"].is_monotonic_decreasing
    assert np.allclose(board["rate_raw"], board["reviews"] / board["opportunities"])
    assert set(ranked.index[ranked["rank"] <= 3]) <= set(ids[6:])  # the true 30% collectors


def test_units_computed_a_few_at_a_time_give_the_results_of_all_at_once(monkeypatch):
    """Memory stays a few units' worth (5,700 employees x a 12,690-point grid once took
    gigabytes); the draws come in the same order, so every number is the same."""
    rng = np.random.default_rng(8)
    n = rng.integers(0, 60, 150).astype(float)
    x = np.floor(n * rng.uniform(0.4, 1, 150))
    y, se = rng.normal(50, 10, 150), rng.uniform(1, 8, 150)
    y[::13] = np.nan

    def fit():
        return hierarchical.rates(x, n), hierarchical.means(y, se)

    monkeypatch.setattr(hierarchical, "UNITS_AT_ONCE", 10**6)
    whole = fit()
    monkeypatch.setattr(hierarchical, "UNITS_AT_ONCE", 7)
    parts = fit()
    for one, other in zip(whole, parts, strict=True):
        assert one.summary.equals(other.summary)
        assert np.array_equal(one.draws, other.draws) and one.pooled == other.pooled
