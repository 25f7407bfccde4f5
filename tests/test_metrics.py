import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import cxlab
from cxlab import measures

REF_SCORES = [10] * 291 + [7] * 476 + [0] * 395  # SPEC.md reference: P=291, A=476, D=395

# Published reference values, each beside its source.
#: Newcombe RG (1998), "Interval estimation for the difference between independent
#: proportions: comparison of eleven methods", Statistics in Medicine 17:873-890, Table II:
#: method 5 (Mee) and method 6 (Miettinen-Nurminen), 95%, for examples (a) and (b).
NEWCOMBE_1998 = {
    (56, 70, 48, 80): {"mee": (0.0533, 0.3377), "mn": (0.0528, 0.3382)},
    (9, 10, 3, 10): {"mee": (0.1821, 0.8370), "mn": (0.1700, 0.8406)},
}
#: The same Mee interval for 56/70 - 48/80 and its score statistic at no difference, 2.65,
#: as printed by GSK-Biostatistics/cicalc (tests/testthat/_snaps/prop_ci_diff.md).
CICALC_MEE_Z_AT_0 = 2.65


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
    # The standard error reported is the adjusted one the interval is built from.
    assert est.se == pytest.approx(half / stats.norm.ppf(0.975), abs=1e-12)
    assert est.se == pytest.approx(2.235, abs=5e-4)  # the Wald one is 2.239


def test_one_promoter_or_one_detractor_interval_contains_the_estimate():
    """nps([10]) reported 100 with an interval of -48.5 to 98.5, excluding it, and a single
    detractor's interval gave a trend chart a negative error bar. The adjusted interval's
    end is moved out to the observed value; the standard error is still the adjusted one."""
    top, bottom = cxlab.nps([10]), cxlab.nps([0])
    assert top.value == 100 and top.ci == pytest.approx((-48.4986, 100), abs=1e-4)
    assert bottom.value == -100 and bottom.ci == pytest.approx((-100, 48.4986), abs=1e-4)
    assert top.se == pytest.approx(37.5) and bottom.se == pytest.approx(37.5)  # never 0
    five = cxlab.nps([10] * 5)
    assert five.se > 0 and five.ci[1] == 100


def test_every_nps_interval_contains_its_estimate():
    from cxlab.metrics import nps_interval

    for method in ("adjusted-wald", "wald"):
        for n in range(1, 41):
            p, d = (a.ravel() for a in np.meshgrid(np.arange(n + 1), np.arange(n + 1)))
            ok = p + d <= n
            value, se, low, high = nps_interval(p[ok], n - p[ok] - d[ok], d[ok], method,
                                                confidence=0.8)
            assert (low <= value).all() and (value <= high).all() and (se >= 0).all()
            assert (-100 <= low).all() and (high <= 100).all()
            if method == "adjusted-wald":
                assert (se > 0).all()


def test_bootstrap_standard_error_is_the_spread_of_its_draws():
    est = cxlab.nps(REF_SCORES, method="bootstrap", seed=3)
    assert est.se == pytest.approx(2.239, abs=0.15)  # close to the Wald one at this n
    assert cxlab.nps([10, 10], method="bootstrap").ci == (100, 100)


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
    # The interval is centre +- z * se with the standard error reported.
    z = stats.norm.ppf(0.975)
    assert est.ci[1] - est.ci[0] == pytest.approx(2 * z * est.se)
    assert est.se == pytest.approx(math.sqrt(81 / 263 * 182 / 263 / 263), rel=0.02)
    assert cxlab.proportion(0, 10).se > 0 and cxlab.proportion(10, 10).se > 0


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
    assert avg.value == pytest.approx(sample.mean())
    # On a known scale the interval adds 0.75 answers at 1, 1.5 at 3 and 0.75 at 5, by hand:
    weights, points = np.array([0.75, 1.5, 0.75]), np.array([1.0, 3.0, 5.0])
    centre = (sample.sum() + weights @ points) / 9  # 29 / 9
    m2 = ((sample - centre) ** 2).sum() + weights @ (points - centre) ** 2
    se = math.sqrt(m2 / 8 / 9)
    half = stats.t.ppf(0.975, 8) * se
    assert avg.ci == pytest.approx((centre - half, centre + half))
    assert avg.se == pytest.approx(se) and avg.method == "adjusted t"
    plain = cxlab.mean(sample)  # no scale: Student's t as it was
    half = stats.t.ppf(0.975, 5) * sample.std(ddof=1) / math.sqrt(6)
    assert plain.ci == pytest.approx((sample.mean() - half, sample.mean() + half))


def test_mean_keeps_its_precision_far_from_zero():
    """1e9 plus small values: the sum-of-squares formula lost the variance entirely."""
    small = np.array([4.0, 7.0, 13.0, 16.0])
    est = cxlab.mean(1e9 + small)
    assert est.value == 1e9 + 10
    assert est.se == pytest.approx(small.std(ddof=1) / 2, rel=1e-12)
    ref = cxlab.mean(small)
    # Bounds near 1e9 are only known to a ulp there (1.2e-7).
    assert est.ci[1] - est.ci[0] == pytest.approx(ref.ci[1] - ref.ci[0], abs=1e-6)
    assert est.stats["sum_sq_dev"] == pytest.approx(90.0, rel=1e-12)


def test_mean_interval_from_grouped_sums_in_each_form():
    """Report tables pass count, sum and sum of squares per group; a data engine can pass
    the sum of squared deviations instead, or shifted sums; all agree where the plain form
    is exact, and the stable forms stay right far from zero."""
    from cxlab.metrics import mean_interval

    x = np.array([1.0, 2, 2, 3, 5])
    plain = mean_interval(5, x.sum(), (x**2).sum())
    centred = mean_interval(5, x.sum(), sum_sq_dev=((x - x.mean()) ** 2).sum())
    shifted = mean_interval(5, (x - 3).sum(), ((x - 3) ** 2).sum(), shift=3)
    for other in (centred, shifted):
        assert np.allclose(plain, other, rtol=1e-12)
    far = 1e9 + x
    stable = mean_interval(5, (far - 1e9).sum(), sum_sq_dev=((x - x.mean()) ** 2).sum(),
                           shift=1e9)
    assert stable[0] == pytest.approx(far.mean(), rel=1e-15)
    assert np.allclose(stable[1:], np.array(plain[1:]) + np.array([0, 1e9, 1e9]), rtol=1e-12)
    one = mean_interval([1, 2], [4.0, 6.0], [16.0, 20.0])
    assert np.isnan(one[1][0]) and np.isnan(one[2][0])  # one answer: no interval
    assert one[1][1] == pytest.approx(1.0)  # 2 and 4: sd sqrt(2), se 1


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

def test_compare_proportions_is_the_miettinen_nurminen_score_test():
    a, b = cxlab.proportion(60, 100), cxlab.proportion(45, 100)
    pooled = 105 / 200
    z = 0.15 / math.sqrt(pooled * (1 - pooled) * (1 / 100 + 1 / 100))
    res = cxlab.compare(a, b)
    assert res.statistic == pytest.approx(z * math.sqrt(199 / 200))  # pooled z, n/(n-1)
    assert res.p_value == pytest.approx(2 * stats.norm.sf(res.statistic))
    assert "Miettinen-Nurminen" in res.test


@pytest.mark.parametrize("table", sorted(NEWCOMBE_1998))
def test_score_interval_of_a_difference_matches_newcombe(table):
    from cxlab.metrics import score_difference_interval

    ref = NEWCOMBE_1998[table]
    mn = score_difference_interval(*table)
    mee = score_difference_interval(*table, correction=False)
    assert [float(x) for x in mn] == pytest.approx(ref["mn"], abs=5e-5)
    assert [float(x) for x in mee] == pytest.approx(ref["mee"], abs=5e-5)
    k1, n1, k2, n2 = table
    res = cxlab.compare(cxlab.proportion(k1, n1), cxlab.proportion(k2, n2))
    assert res.ci == pytest.approx(ref["mn"], abs=5e-5)


def test_mee_statistic_at_no_difference_matches_cicalc():
    res = cxlab.compare(cxlab.proportion(56, 70), cxlab.proportion(48, 80))
    assert res.statistic / math.sqrt(149 / 150) == pytest.approx(CICALC_MEE_Z_AT_0, abs=5e-3)


def test_restricted_maximum_likelihood_matches_a_numerical_one():
    from scipy import optimize

    from cxlab.metrics import _restricted_p1

    rng = np.random.default_rng(0)
    for _ in range(200):
        n1, n2 = (int(x) for x in rng.integers(1, 40, 2))
        k1, k2 = int(rng.integers(0, n1 + 1)), int(rng.integers(0, n2 + 1))
        delta = float(rng.uniform(-0.99, 0.99))

        def loglik(p1, k1=k1, n1=n1, k2=k2, n2=n2, delta=delta):
            with np.errstate(divide="ignore", invalid="ignore"):
                terms = [stats.binom.logpmf(k1, n1, p1), stats.binom.logpmf(k2, n2, p1 - delta)]
            return sum(terms)

        found = float(_restricted_p1(k1, n1, k2, n2, delta))
        best = optimize.minimize_scalar(lambda p: -loglik(p), method="bounded",
                                        bounds=(max(0, delta), min(1, 1 + delta)),
                                        options={"xatol": 1e-12})
        assert loglik(found) >= -best.fun - 1e-7


def test_a_comparison_prints_as_one_readable_line():
    res = cxlab.compare(cxlab.proportion(60, 100), cxlab.proportion(45, 100))
    low, high = res.ci
    text = str(res)
    assert text.startswith("rate: difference +0.15 (95% CI ")
    assert f"{low:.4g} to {high:.4g}), p = {res.p_value:.3g}" in text
    assert "0.6 (n=100) against 0.45 (n=100)" in text and res.test in text


def test_compare_means_without_a_scale_matches_scipy_welch():
    rng = np.random.default_rng(1)
    x, y = rng.integers(1, 8, 40), rng.integers(2, 8, 25)
    res = cxlab.compare(cxlab.mean(x), cxlab.mean(y))
    ref = stats.ttest_ind(x, y, equal_var=False)
    assert res.p_value == pytest.approx(ref.pvalue, rel=1e-9)
    assert res.statistic == pytest.approx(ref.statistic, rel=1e-9)
    assert res.test == "Welch t test"


def test_compare_means_on_a_scale_is_welch_with_pseudo_answers():
    """CES on 1-7: 0.375 answers of 1, 0.75 of 4 and 0.375 of 7 join each sample, then
    Welch's t on the weighted answers (by hand, from the weights)."""
    x, y = np.array([7, 7, 7, 6, 7]), np.array([5, 6, 4, 7, 3, 5, 6, 6])

    def adjusted(sample):
        values = np.concatenate([sample, [1, 4, 7]])
        weights = np.concatenate([np.ones(len(sample)), [0.375, 0.75, 0.375]])
        n = weights.sum()
        centre = np.average(values, weights=weights)
        var = np.sum(weights * (values - centre) ** 2) / (n - 1) / n
        return centre, var, n - 1

    (ca, va, fa), (cb, vb, fb) = adjusted(x), adjusted(y)
    t = (ca - cb) / math.sqrt(va + vb)
    dof = (va + vb) ** 2 / (va**2 / fa + vb**2 / fb)
    res = cxlab.compare(cxlab.ces(x), cxlab.ces(y))
    assert res.statistic == pytest.approx(t, rel=1e-12)
    assert res.p_value == pytest.approx(2 * stats.t.sf(abs(t), dof), rel=1e-12)
    half = stats.t.ppf(0.975, dof) * math.sqrt(va + vb)
    assert res.ci == pytest.approx((ca - cb - half, ca - cb + half), rel=1e-12)
    assert res.difference == pytest.approx(x.mean() - y.mean())


def test_compare_nps_detects_a_real_change_and_not_a_null_one():
    before = cxlab.nps([10] * 300 + [7] * 400 + [2] * 300)
    after = cxlab.nps([10] * 400 + [7] * 400 + [2] * 200)
    res = cxlab.compare(after, before)
    assert res.difference == pytest.approx(20) and res.p_value < 1e-6
    assert res.ci[0] < 20 < res.ci[1]
    same = cxlab.compare(before, before)
    assert same.p_value == pytest.approx(1.0)


def test_compare_nps_by_hand():
    """Each sample gains 0.375 promoters, 0.75 passives, 0.375 detractors; Welch's t on
    the adjusted shares with the adjusted-Wald variance, dof from n + 1.5 - 1."""
    a, b = cxlab.nps([10] * 8 + [8] * 1 + [3] * 1), cxlab.nps([10] * 4 + [8] * 3 + [3] * 5)

    def adjusted(p, d, n):
        m = n + 1.5
        ps, ds = (p + 0.375) / m, (d + 0.375) / m
        return 100 * (ps - ds), 1e4 * (ps + ds - (ps - ds) ** 2) / m, m - 1

    (ca, va, fa), (cb, vb, fb) = adjusted(8, 1, 10), adjusted(4, 5, 12)
    t = (ca - cb) / math.sqrt(va + vb)
    dof = (va + vb) ** 2 / (va**2 / fa + vb**2 / fb)
    res = cxlab.compare(a, b)
    assert res.difference == pytest.approx(70 - (-1 / 12) * 100)
    assert res.statistic == pytest.approx(t, rel=1e-12)
    assert res.p_value == pytest.approx(2 * stats.t.sf(abs(t), dof), rel=1e-12)


def test_compare_degenerate_samples_do_not_crash():
    top = cxlab.nps([10, 10])
    res = cxlab.compare(top, top)
    assert res.p_value == 1.0 and res.difference == 0
    assert res.ci[0] < 0 < res.ci[1]  # two unanimous pairs: an honest, wide interval
    rates = cxlab.compare(cxlab.proportion(0, 5), cxlab.proportion(0, 8))
    assert rates.p_value == 1.0 and rates.ci[0] < 0 < rates.ci[1]


def _random_pairs(rng, size):
    """Counts of two small samples on 0-10 (the second shifted up by 0-4 points)."""
    sizes = rng.integers(1, 25, (size, 2))
    answers = [np.minimum(rng.integers(0, 11, (size, 30)) + rng.integers(0, 5, (size, 1)), 10),
               rng.integers(0, 11, (size, 30))]
    used = [np.arange(30) < sizes[:, [i]] for i in (0, 1)]
    return sizes, answers, used


@pytest.mark.parametrize("level", [0.8, 0.9, 0.95, 0.99])
def test_the_test_never_contradicts_the_interval(level):
    """p < 1 - confidence exactly when 0 is outside the interval, for every kind, on many
    small random pairs of samples (sizes 1 to 24); and from 95% the interval contains the
    observed difference (guaranteed above 93.2%: the adjusted centre is within 1.83 standard
    errors of it; below, rarely, it may not)."""
    from cxlab.metrics import mean_difference, nps_difference, proportion_difference

    rng = np.random.default_rng(11)
    sizes, answers, used = _random_pairs(rng, 4000)

    def count(i, low, high):
        return ((answers[i] >= low) & (answers[i] <= high) & used[i]).sum(1)

    nps = nps_difference(count(0, 9, 10), count(0, 7, 8), count(0, 0, 6),
                         count(1, 9, 10), count(1, 7, 8), count(1, 0, 6), level)
    shares = proportion_difference(count(0, 6, 10), sizes[:, 0], count(1, 6, 10), sizes[:, 1],
                                   level)
    sums = []
    for i in (0, 1):
        values = np.where(used[i], answers[i], np.nan)
        sums += [sizes[:, i], np.nanmean(values, 1),
                 np.nansum((values - np.nanmean(values, 1)[:, None]) ** 2, 1)]
    on_scale = mean_difference(*sums, scale=(0, 10), confidence=level)
    plain = mean_difference(*sums, confidence=level)
    for name, (diff, _, p, low, high) in {"nps": nps, "proportion": shares,
                                          "mean on a scale": on_scale, "mean": plain}.items():
        ok = ~np.isnan(p)
        assert ok.mean() > 0.9, name
        outside = (low > 0) | (high < 0)
        assert ((p < 1 - level) == outside)[ok].all(), name
        contains = ((low <= diff) & (diff <= high))[ok]
        assert contains.all() if level >= 0.95 else contains.mean() > 0.99, name
    one = cxlab.compare(cxlab.proportion(3, 9), cxlab.proportion(8, 10), confidence=level)
    assert (one.p_value < 1 - level) == (one.ci[1] < 0)


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
        col = measures.get(metric).column
        for team, part in df.groupby("team"):
            est = scalar(part[col])
            row = out.loc[team]
            assert row["value"] == pytest.approx(est.value)
            assert (row["ci_low"], row["ci_high"]) == pytest.approx(est.ci)
            assert row["n"] == est.n and row["n_missing"] == est.n_missing
            assert row["se"] == pytest.approx(est.se)
    rates = cxlab.grouped(df, "rate", "team", column="flag").set_index("team")
    for team, part in df.groupby("team"):
        assert rates.at[team, "value"] == pytest.approx(cxlab.rate(part["flag"]).value)


def test_grouped_spread_of_one_answer():
    df = pd.DataFrame({"team": list("aaaabbbbbc"), "nps": [10, 10, 8, 0, 9, 9, 9, 9, 9, 4],
                       "csat": [5, 4, 3, 1, 5, 5, 5, 5, 5, 2]})
    nps = cxlab.grouped(df, "nps", "team").set_index("team")
    p, d = 0.5, 0.25
    assert nps.at["a", "sd"] == pytest.approx(100 * math.sqrt(p + d - (p - d) ** 2))
    assert nps.at["b", "sd"] == 0 and nps.at["b", "se"] > 0  # unanimous: se is never 0
    share = cxlab.grouped(df, "csat_top2", "team").set_index("team")
    assert share.at["a", "sd"] == pytest.approx(0.5)
    avg = cxlab.grouped(df, "csat_mean", "team").set_index("team")
    assert avg.at["a", "sd"] == pytest.approx(np.std([5, 4, 3, 1], ddof=1))
    # One answer: no spread of its own, but on a known scale an honest, wide interval.
    assert np.isnan(avg.at["c", "sd"])
    assert 1 <= avg.at["c", "ci_low"] <= 2 <= avg.at["c", "ci_high"] <= 5
    assert avg.at["c", "ci_high"] - avg.at["c", "ci_low"] > 2
    hidden = cxlab.grouped(df, "nps", "team", min_n=2)
    assert hidden.loc[hidden["suppressed"], ["sd", "se"]].isna().all().all()


def test_grouped_intervals_contain_their_values_even_for_one_answer():
    """A trend chart draws value - low and high - value: neither may be negative."""
    df = pd.DataFrame({"quarter": ["q1", "q2", "q3", "q4", "q4"], "nps": [10, 0, 8, 9, 9],
                       "csat": [5, 1, 3, 5, 5]})
    for metric in ("nps", "csat_top2", "csat_mean"):
        out = cxlab.grouped(df, metric, "quarter").dropna(subset=["ci_low"])
        assert (out["ci_low"] <= out["value"]).all() and (out["value"] <= out["ci_high"]).all()


def test_grouped_errors_name_the_problem():
    df = pd.DataFrame({"team": ["a"], "nps": [12]})
    with pytest.raises(ValueError, match="from 0 to 10"):
        cxlab.grouped(df, "nps", "team")
    with pytest.raises(KeyError, match="not in the table"):
        cxlab.grouped(df, "nps", "department")
    with pytest.raises(ValueError, match="column="):
        cxlab.grouped(df, "rate", "team")


def test_compare_means_without_spread():
    same = cxlab.compare(cxlab.mean([5, 5]), cxlab.mean([5, 5, 5]))
    assert same.p_value == 1.0 and same.ci == (0, 0)
    apart = cxlab.compare(cxlab.mean([6, 6]), cxlab.mean([5, 5]))
    assert apart.p_value == 0.0 and apart.difference == 1 and apart.ci == (1, 1)
    # On a known scale, unanimous small samples are not an exact difference.
    scaled = cxlab.compare(cxlab.ces([6, 6]), cxlab.ces([5, 5]))
    assert 0.05 < scaled.p_value < 1 and scaled.ci[0] < 0 < 1 < scaled.ci[1] <= 6
    one = cxlab.compare(cxlab.mean([5]), cxlab.mean([1, 2, 3]))
    assert np.isnan(one.p_value) and np.isnan(one.ci[0])
    assert not np.isnan(cxlab.compare(cxlab.ces([5]), cxlab.ces([1, 2, 3])).p_value)


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
    with pytest.raises(ValueError, match=r"nps \(column 'nps'\): value 11 \(position 1 among"):
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
    for engine in ("duckdb", "pandas"):
        with pytest.raises(ValueError, match=r"nps \(column 'nps'\): value 10.5 \(position 1 "):
            cxlab.grouped(frame, "nps", "team", engine=engine)


def test_a_mean_near_the_end_of_its_scale_keeps_an_honest_interval():
    """Three answers of 5: the plain t interval had zero width and covered nothing."""
    est = cxlab.csat([5, 5, 5], statistic="mean")
    assert est.value == 5 and est.ci[1] == 5 and est.ci[0] < 4.5 and est.se > 0
    rng = np.random.default_rng(3)
    p = [0.0, 0.01, 0.02, 0.07, 0.90]  # a team that almost always answers 5
    truth = float(np.dot(p, np.arange(1, 6)))
    hits = [lo <= truth <= hi for lo, hi in (
        cxlab.csat(rng.choice(np.arange(1, 6), size=5, p=p), statistic="mean").ci
        for _ in range(400))]
    assert np.mean(hits) >= 0.93


BAD_CALLS = [  # (call, what the message must say)
    (lambda f: cxlab.grouped(f, "nps", "g", method="bootstrap"),
     r"grouped\(nps\): NPS interval method 'bootstrap' not available for groups; expected "
     r"one of \['adjusted-wald', 'wald'\] \(the bootstrap is for a single estimate"),
    (lambda f: cxlab.grouped(f, "nps", "g", column="channel", engine="pandas"),
     r"nps \(column 'channel'\): value 'x' at position 0 is not a number; expected whole "
     r"numbers from 0 to 10"),
    (lambda f: cxlab.grouped(f, "nps", "g", column="channel", engine="duckdb"),
     r"nps \(column 'channel'\): value 'x' .* expected whole numbers from 0 to 10"),
    (lambda f: cxlab.grouped(f, "nps", "team"),
     r"grouped\(nps\): column\(s\) \['team'\] not in the table; it has \['g', 'nps'"),
    (lambda f: cxlab.grouped(f, "nsp", "g"), r"grouped\(\): measure 'nsp' unknown; expected "
                                            r"one of \['nps', 'csat_top2'.*or 'rate'"),
    (lambda f: cxlab.grouped(f, "nps", "g", engine="polars"),
     r"grouped\(nps\): engine 'polars' unknown; expected 'auto', 'pandas', 'duckdb' or 'spark'"),
    (lambda f: cxlab.grouped(f["nps"], "nps", "g"),
     r"grouped\(nps\): data is a Series; expected a table"),
    (lambda f: cxlab.nps(f), r"nps: expected one column of answers, got a table with columns "
                             r"\['g', 'nps', 'channel'\]; pass one, e.g. data\['nps'\]"),
    (lambda f: cxlab.nps(None), r"nps: expected the answers \(a column, a list or an array\), "
                                r"got NoneType"),
    (lambda f: cxlab.nps("9"), r"nps: expected the answers .*got str '9'"),
    (lambda f: cxlab.nps([9, 10], method="exact"),
     r"nps: interval method 'exact' unknown; expected one of \['adjusted-wald', 'wald', "
     r"'bootstrap'\]"),
    (lambda f: cxlab.rate(["yes", "no"]), r"rate: value 'yes' at position 0 is not a number; "
                                          r"expected true/false flags \(booleans, or 0 and 1\)"),
    (lambda f: cxlab.ces(["easy"]), r"ces_mean: value 'easy' .* expected whole numbers from 1 "
                                    r"to 7"),
    (lambda f: cxlab.metrics.estimate("wait_minutes", ["long"]),
     r"wait_minutes: value 'long' .* expected numbers from 0 up"),
    (lambda f: cxlab.metrics.estimate(f["nps"], "nps"),
     r"estimate\(\): a Series is not a measure's name; expected one of \['nps'"),
    (lambda f: cxlab.nps([9, 10], confidence="95%"),
     r"confidence must be a number between 0 and 1 \(exclusive\), e.g. 0.95, got '95%'"),
    (lambda f: cxlab.compare(cxlab.nps([9, 10]), f), r"compare\(\): b is a DataFrame; expected "
                                                     r"an Estimate"),
    (lambda f: cxlab.compare(cxlab.nps([9, 10]), cxlab.csat([4, 5])),
     r"cannot compare nps \(nps\) with csat_top2 \(proportion\); expected two estimates of "
     r"the same metric"),
]


@pytest.mark.parametrize("call, message", BAD_CALLS)
def test_input_errors_name_the_metric_and_what_to_pass(call, message):
    """Each bad call of the issue (21, part 3) is cxlab's own error, naming the metric, the
    column and what was expected; none leaks from pandas, NumPy or DuckDB."""
    from cxlab.errors import CxlabError

    frame = pd.DataFrame({"g": ["a", "b"], "nps": [1, 2], "channel": ["x", "y"]})
    with pytest.raises(CxlabError, match=message) as err:
        call(frame)
    assert type(err.value).__module__.startswith("cxlab")
    assert isinstance(err.value, ValueError)  # `except ValueError` code keeps working


def test_a_missing_column_is_still_a_key_error_with_a_readable_message():
    from cxlab.metrics import ColumnError

    with pytest.raises(KeyError) as err:
        cxlab.grouped(pd.DataFrame({"nps": [9]}), "nps", "team")
    assert isinstance(err.value, ColumnError)
    assert str(err.value).startswith("grouped(nps): column(s) ['team']")  # not quoted


def test_a_column_on_a_narrower_scale_is_refused_not_scored(sample_study):
    """nps() of a 1-5 satisfaction column would read -100 with a tight interval (issue 21)."""
    from cxlab.metrics import ScaleError, ces, estimate, grouped, mean, nps

    rows = sample_study("northwind").rows("customer_responses")
    with pytest.raises(ScaleError, match=r"nps: all [\d,]+ answers in column 'csat' lie within "
                                         r"1-5 \(values seen: 1, 2, 3, 4, 5\).*check_scale=False"):
        nps(rows["csat"])
    with pytest.raises(ScaleError, match="column 'csat' lie within 1-5"):
        grouped(rows, "nps", "channel", column="csat")
    with pytest.raises(ScaleError, match="ces_mean: .* lie within 1-5"):
        ces(rows["csat"])
    with pytest.raises(ScaleError, match="lie within 1-7"):
        estimate("nps", pd.Series([1, 2, 3, 6, 7] * 10, name="q1"))
    with pytest.raises(ScaleError):
        mean([1, 2, 3, 4, 5] * 10, (0, 10))
    # what really is 0-10 passes: the NPS column itself, a few answers, or the override
    assert nps(rows["nps"]).n > 1000
    assert nps([1, 2, 3, 4, 5] * 5).value == -100  # 25 answers: too few to tell
    assert nps(rows["csat"], check_scale=False).value == -100
    assert grouped(rows, "nps", "channel", column="csat", check_scale=False)["value"].eq(-100).all()
    assert nps(pd.Series([0, 3, 5] * 20)).value == -100  # a 0: not a 1-5 or 1-7 scale


def test_results_display_as_results_and_export_as_tables():
    """A notebook shows an estimate or a comparison in one line or a small table (issue 21)."""
    from cxlab.metrics import compare, nps

    a, b = nps([10] * 30 + [3] * 20), nps([10] * 10 + [3] * 20)
    assert repr(a) == "<Estimate nps = 20 (95% CI -7.18 to 44.92; n=50, adjusted-wald)>"
    html = a._repr_html_()
    assert "<caption" in html and "-7.18 to 44.92" in html and "n = 50" in html
    row = a.to_dict()
    assert (row["value"], row["n"], row["ci_low"]) == (20.0, 50, a.ci[0])
    both = pd.concat([a.to_frame(), b.to_frame()], ignore_index=True)
    assert both["n"].tolist() == [50, 30]
    c = compare(a, b)
    assert repr(c).startswith("<Comparison nps: difference +53.33")
    assert c.to_dict()["p_value"] == c.p_value and c.to_frame()["n_b"].item() == 30
    assert "p-value" in c._repr_html_()
    assert "&lt;b&gt;" in nps([10] * 5, metric="<b>")._repr_html_()  # a name is escaped


def test_grouped_by_a_series_says_to_name_the_column_in_one_line():
    import pandas as pd

    from cxlab import grouped
    from cxlab.metrics import MetricError

    data = pd.DataFrame({"team": list("aabb") * 50, "nps": [10, 3, 9, 7] * 50})
    with pytest.raises(MetricError) as err:
        grouped(data, "nps", by=data["team"])
    assert str(err.value) == ("grouped(): by= takes column names of data, not a Series of "
                              "values; use by='team'")
    with pytest.raises(MetricError, match=r"data.assign\(group=values\)") as err:
        grouped(data, "nps", by=data["team"].rename(None).to_numpy())
    assert len(str(err.value)) < 200


def test_another_measures_column_is_refused_whatever_the_number_of_answers(sample_study):
    """20 CSAT answers given to NPS read -100 with confidence (issue 21, researcher's notes):
    a column the registry knows, on another scale, is refused by its name, not its count."""
    from cxlab.metrics import ScaleError, ces, estimate, grouped, mean, nps

    rows = sample_study("northwind").rows("customer_responses").head(20)
    message = (r"nps: column 'csat' holds the answers of csat_top2 \(CSAT, share 4-5\), on "
               r"1-5, but nps is measured on 0-10; .*check_scale=False")
    with pytest.raises(ScaleError, match=message):
        nps(rows["csat"])
    with pytest.raises(ScaleError, match=message):
        grouped(rows, "nps", by="channel", column="csat")
    with pytest.raises(ScaleError, match="column 'ces' holds the answers of ces_mean"):
        estimate("nps", rows["ces"])
    with pytest.raises(ScaleError, match="column 'nps' holds the answers of nps .* on 0-10"):
        mean(pd.Series([1, 2, 3], name="nps"), scale=(1, 5))
    with pytest.raises(ScaleError, match="ces_mean: column 'csat'"):
        ces(rows["csat"])
    # the override, the measure's own column, and unknown columns below 30 answers still pass
    assert nps(rows["csat"], check_scale=False).n == rows["csat"].notna().sum()
    assert nps(rows["nps"]).n == rows["nps"].notna().sum()
    assert nps(pd.Series([1, 2, 3, 4, 5] * 4, name="q7")).value == -100
    assert nps(pd.Series([9, 10, 3], name="enps")).n == 3  # eNPS is on 0-10 too


def test_errors_name_the_column_a_named_series_came_from(sample_study):
    from cxlab.metrics import MetricError, csat, grouped, rate

    study = sample_study("northwind")
    responses, interactions = study.rows("customer_responses"), study.rows("interactions")
    with pytest.raises(MetricError, match=r"^csat_top2 \(column 'nps'\): value \d+ "):
        csat(responses["nps"])
    with pytest.raises(MetricError, match=r"^rate \(column 'channel'\): value '\w+' at "):
        rate(interactions["channel"])
    with pytest.raises(MetricError, match="^csat: value 9"):  # a list has no column to name
        csat([9, 1])
    empty = responses.assign(weight=np.nan)
    with pytest.raises(MetricError, match=r"the weight column 'weight' is empty"):
        grouped(empty, "nps", by="channel", weights="weight")


def test_an_old_measure_name_as_a_label_warns_and_gives_the_registry_name():
    from cxlab.metrics import nps, rate

    with pytest.warns(DeprecationWarning, match="'fcr' is deprecated.*first_contact_resolution"):
        est = rate([True, False, True], metric="fcr")
    assert est.metric == "first_contact_resolution"
    assert rate([True, False], metric="is_resolved_first_contact").metric == (
        "first_contact_resolution")
    assert rate([True, False], metric="my flag").metric == "my flag"  # a free label stays
    assert nps([9, 10, 3], metric="enps").metric == "enps"
    assert nps([9, 10, 3], metric="csat").metric == "csat"  # not an NPS measure: a label
