import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import cxlab
from cxlab import metrics

REF_SCORES = [10] * 291 + [7] * 476 + [0] * 395  # SPEC.md reference: P=291, A=476, D=395


# ---------------------------------------------------------------- NPS

def test_nps_reference_values_wald():
    est = cxlab.nps(REF_SCORES, method="wald")
    assert est.value == pytest.approx(-8.950, abs=5e-4)
    assert est.se == pytest.approx(2.239, abs=5e-4)
    assert est.ci == pytest.approx((-13.34, -4.56), abs=5e-3)
    assert est.n == 1162 and est.kind == "nps"


def test_nps_adjusted_wald_by_hand():
    # Adjusted shares: (291.75/1165, 395.75/1165); centre and half-width computed by hand.
    p, d, n = 291.75 / 1165, 395.75 / 1165, 1165
    centre = 100 * (p - d)
    half = stats.norm.ppf(0.975) * 100 * math.sqrt((p + d - (p - d) ** 2) / n)
    est = cxlab.nps(REF_SCORES)
    assert est.method == "adjusted-wald"
    assert est.value == pytest.approx(-8.950, abs=5e-4)  # the point estimate is not adjusted
    assert est.ci == pytest.approx((centre - half, centre + half), abs=1e-9)


def test_nps_bootstrap_is_seeded_and_close_to_wald():
    a = cxlab.nps(REF_SCORES, method="bootstrap", seed=7)
    b = cxlab.nps(REF_SCORES, method="bootstrap", seed=7)
    assert a.ci == b.ci
    assert a.ci == pytest.approx((-13.34, -4.56), abs=0.6)


def test_nps_all_promoters_and_all_detractors():
    top = cxlab.nps([9, 10, 10], method="wald")
    assert top.value == 100 and top.se == 0 and top.ci == (100, 100)
    adjusted = cxlab.nps([9, 10, 10])
    assert adjusted.ci[1] == 100 and adjusted.ci[0] < 100  # never zero width
    bottom = cxlab.nps([0] * 5)
    assert bottom.value == -100 and -100 <= bottom.ci[0] < bottom.ci[1] <= 100


def test_nps_one_response_and_missing_values():
    one = cxlab.nps([8])
    assert one.value == 0 and one.n == 1
    est = cxlab.nps([10, None, np.nan, 3, pd.NA])
    assert est.n == 2 and est.n_missing == 3 and est.value == 0


@pytest.mark.parametrize("bad", [[11], [-1], [7.5], ["ten"]])
def test_nps_rejects_values_off_the_scale(bad):
    with pytest.raises(ValueError, match="expected|not a number"):
        cxlab.nps(bad)


def test_empty_input_is_a_clear_error():
    with pytest.raises(ValueError, match="no valid"):
        cxlab.nps([])
    with pytest.raises(ValueError, match="no valid"):
        cxlab.csat([None, None])


def test_nps_unknown_method():
    with pytest.raises(ValueError, match="unknown"):
        cxlab.nps([9], method="exact")


# ---------------------------------------------------------------- proportions and means

def test_wilson_reference_values():
    est = cxlab.proportion(81, 263)
    assert est.ci == pytest.approx((0.2553, 0.3662), abs=5e-5)


def test_wilson_interval_always_contains_the_estimate():
    """At k = n the upper bound is exactly 1 (13 of 13 once gave 0.9999999999999999 < 1, and
    a chart's error bar went negative); at k = 0 the lower bound is exactly 0."""
    from cxlab.metrics import wilson_interval

    n = np.repeat(np.arange(1, 400), 3)
    k = np.concatenate([[0, m // 2, m] for m in range(1, 400)])
    p, _, low, high = wilson_interval(k, n)
    assert (low <= p).all() and (p <= high).all()
    assert (high[k == n] == 1.0).all() and (low[k == 0] == 0.0).all()


def test_csat_top2_and_mean():
    scores = [5, 4, 3, 2, 1, 5, None]
    top = cxlab.csat(scores)
    assert top.value == pytest.approx(3 / 6) and top.n == 6 and top.n_missing == 1
    avg = cxlab.csat(scores, statistic="mean")
    sample = np.array([5, 4, 3, 2, 1, 5], dtype=float)
    half = stats.t.ppf(0.975, 5) * sample.std(ddof=1) / math.sqrt(6)
    assert avg.value == pytest.approx(sample.mean())
    assert avg.ci == pytest.approx((sample.mean() - half, sample.mean() + half))


def test_ces_mean_and_easy_share():
    assert cxlab.ces([7, 6, 5, 1]).value == pytest.approx(4.75)
    assert cxlab.ces([7, 6, 5, 1], statistic="easy").value == pytest.approx(0.75)
    with pytest.raises(ValueError, match="from 1 to 7"):
        cxlab.ces([8])


def test_rate_accepts_booleans_and_counts_missing():
    est = cxlab.rate([True, False, True, None])
    assert est.value == pytest.approx(2 / 3) and est.n == 3 and est.n_missing == 1
    with pytest.raises(ValueError):
        cxlab.rate([2, 0])


def test_confidence_level_is_checked_and_used():
    narrow = cxlab.proportion(50, 100, confidence=0.8)
    wide = cxlab.proportion(50, 100, confidence=0.99)
    assert wide.ci[0] < narrow.ci[0] and narrow.ci[1] < wide.ci[1]
    with pytest.raises(ValueError, match="confidence"):
        cxlab.proportion(1, 2, confidence=95)


# ---------------------------------------------------------------- compare

def test_compare_proportions_matches_pooled_z_by_hand():
    a, b = cxlab.proportion(60, 100), cxlab.proportion(45, 100)
    pooled = 105 / 200
    z = 0.15 / math.sqrt(pooled * (1 - pooled) * (1 / 100 + 1 / 100))
    res = cxlab.compare(a, b)
    assert res.statistic == pytest.approx(z)
    assert res.p_value == pytest.approx(2 * stats.norm.sf(z))


def test_a_comparison_prints_as_one_readable_line():
    res = cxlab.compare(cxlab.proportion(60, 100), cxlab.proportion(45, 100))
    low, high = res.ci
    text = str(res)
    assert text.startswith("rate: difference +0.15 (95% CI ")
    assert f"{low:.4g} to {high:.4g}), p = {res.p_value:.3g}" in text
    assert "0.6 (n=100) against 0.45 (n=100)" in text and res.test in text


def test_compare_means_matches_scipy_welch():
    rng = np.random.default_rng(1)
    x, y = rng.integers(1, 8, 40), rng.integers(2, 8, 25)
    res = cxlab.compare(cxlab.ces(x), cxlab.ces(y))
    ref = stats.ttest_ind(x, y, equal_var=False)
    assert res.p_value == pytest.approx(ref.pvalue, rel=1e-9)
    assert res.statistic == pytest.approx(ref.statistic, rel=1e-9)


def test_compare_nps_detects_a_real_change_and_not_a_null_one():
    before = cxlab.nps([10] * 300 + [7] * 400 + [2] * 300)
    after = cxlab.nps([10] * 400 + [7] * 400 + [2] * 200)
    res = cxlab.compare(after, before)
    assert res.difference == pytest.approx(20) and res.p_value < 1e-6
    assert res.ci[0] < 20 < res.ci[1]
    same = cxlab.compare(before, before)
    assert same.p_value == pytest.approx(1.0)


def test_compare_degenerate_samples_do_not_crash():
    top = cxlab.nps([10, 10])
    res = cxlab.compare(top, top)
    assert res.p_value == 1.0 and res.difference == 0


def test_compare_refuses_different_metrics():
    with pytest.raises(ValueError, match="cannot compare"):
        cxlab.compare(cxlab.nps([9]), cxlab.csat([5]))


# ---------------------------------------------------------------- grouped

def test_grouped_agrees_with_scalar_functions():
    rng = np.random.default_rng(3)
    df = pd.DataFrame({
        "team": rng.choice(["a", "b", "c"], 500),
        "nps": pd.array(rng.integers(0, 11, 500), dtype="Int64"),
        "csat": pd.array(rng.integers(1, 6, 500), dtype="Int64"),
        "flag": rng.random(500) < 0.3,
    })
    df.loc[::17, "nps"] = pd.NA
    for metric, scalar in [("nps", lambda s: cxlab.nps(s)),
                           ("csat_top2", lambda s: cxlab.csat(s)),
                           ("csat_mean", lambda s: cxlab.csat(s, statistic="mean"))]:
        out = cxlab.grouped(df, metric, "team").set_index("team")
        col = metrics.METRICS[metric][0]
        for team, part in df.groupby("team"):
            est = scalar(part[col])
            row = out.loc[team]
            assert row["value"] == pytest.approx(est.value)
            assert (row["ci_low"], row["ci_high"]) == pytest.approx(est.ci)
            assert row["n"] == est.n and row["n_missing"] == est.n_missing
    rates = cxlab.grouped(df, "rate", "team", column="flag").set_index("team")
    for team, part in df.groupby("team"):
        assert rates.at[team, "value"] == pytest.approx(cxlab.rate(part["flag"]).value)


def test_grouped_errors_name_the_problem():
    df = pd.DataFrame({"team": ["a"], "nps": [12]})
    with pytest.raises(ValueError, match="from 0 to 10"):
        cxlab.grouped(df, "nps", "team")
    with pytest.raises(KeyError, match="not in the table"):
        cxlab.grouped(df, "nps", "department")
    with pytest.raises(ValueError, match="column="):
        cxlab.grouped(df, "rate", "team")


def test_compare_means_without_spread():
    same = cxlab.compare(cxlab.ces([5, 5]), cxlab.ces([5, 5, 5]))
    assert same.p_value == 1.0
    apart = cxlab.compare(cxlab.ces([6, 6]), cxlab.ces([5, 5]))
    assert apart.p_value == 0.0 and apart.difference == 1


@pytest.mark.parametrize("metric, column", [
    ("nps", None), ("csat_top2", None), ("csat_mean", None), ("ces_mean", None),
    ("ces_easy", None), ("rate", "is_resolved_first_contact")])
def test_duckdb_aggregation_gives_the_pandas_results(metric, column):
    """Same groups, counts, values and intervals from either engine, missing keys and
    missing answers included."""
    rng = np.random.default_rng(3)
    n = 5_000
    frame = pd.DataFrame({
        "team": pd.Series(rng.choice(["a", "b", "c", None], n), dtype="str"),
        "wave": rng.integers(1, 4, n),
        "nps": pd.array(rng.integers(0, 11, n), dtype="Int64"),
        "csat": pd.array(rng.integers(1, 6, n), dtype="Int64"),
        "ces": pd.array(rng.integers(1, 8, n), dtype="Int64"),
        "is_resolved_first_contact": pd.array(rng.random(n) < 0.7, dtype="boolean"),
    })
    for col in ("nps", "csat", "ces", "is_resolved_first_contact"):
        frame.loc[rng.random(n) < 0.1, col] = pd.NA
    frame.loc[frame["team"] == "c", "nps"] = pd.NA  # a group with no answers at all
    both = [cxlab.grouped(frame, metric, ["team", "wave"], column=column, engine=engine)
            for engine in ("pandas", "duckdb")]
    for out in both:
        out["team"] = out["team"].astype(str)
        out["wave"] = out["wave"].astype(int)
    pd.testing.assert_frame_equal(both[0], both[1], check_dtype=False, rtol=1e-12)
    assert len(both[0]) == 9  # rows with no team are left out, as pandas does
    if metric == "nps":  # team c has no answer: no estimate and no interval
        empty = both[1][both[1]["team"] == "c"]
        assert (empty["n"] == 0).all()
        assert empty[["value", "se", "ci_low", "ci_high"]].isna().all().all()


def test_duckdb_aggregation_names_an_off_scale_value():
    frame = pd.DataFrame({"team": ["a", "a", "b"], "nps": [9, 11, 3]})
    with pytest.raises(ValueError, match=r"nps: value 11 \(position 1 among"):
        cxlab.grouped(frame, "nps", "team", engine="duckdb")


def test_several_metrics_in_one_pass_equal_one_call_each(sample_study):
    responses = sample_study("cedar").tables["customer_responses"]
    together = cxlab.grouped(responses, ["nps", "csat_top2", "ces_mean"], "department",
                             engine="duckdb")
    apart = pd.concat([cxlab.grouped(responses, m, "department", engine="pandas")
                       for m in ("nps", "csat_top2", "ces_mean")], ignore_index=True)
    pd.testing.assert_frame_equal(together, apart, check_dtype=False, rtol=1e-12)


def test_duckdb_aggregation_names_an_off_scale_value_in_a_row_without_a_group():
    frame = pd.DataFrame({"team": ["a", None, "b"], "nps": [9.0, 10.5, 3.0]})
    with pytest.raises(ValueError, match=r"nps: value 10.5 \(position 1 among"):
        cxlab.grouped(frame, "nps", "team", engine="duckdb")
    with pytest.raises(ValueError, match=r"nps: value 10.5 \(position 1 among"):
        cxlab.grouped(frame, "nps", "team", engine="pandas")
