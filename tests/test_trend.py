"""The trend across periods: reference values, errors, and its level and power by simulation."""

import numpy as np
import pytest

from cxlab.stats.trend import TrendError, linear_trend


def test_equal_errors_and_no_extra_variation_give_the_ordinary_slope():
    """With equal standard errors the slope is the least-squares slope (numpy's polyfit)."""
    y = np.array([3.0, 5.5, 4.0, 7.0, 8.5, 8.0])
    trend = linear_trend(y, np.full(6, 0.5))
    assert trend.slope == pytest.approx(np.polyfit(np.arange(6), y, 1)[0])
    assert trend.ci[0] < trend.slope < trend.ci[1] and trend.k == 6


def test_the_meta_regression_matches_statsmodels_wls_when_tau2_is_zero():
    """Precise estimates close to a line: tau^2 = 0, and the slope, its Knapp-Hartung
    standard error and p-value are statsmodels' WLS with weights 1/se^2 (scale estimated
    from the residuals, t with k - 2 degrees of freedom)."""
    import statsmodels.api as sm

    x = np.arange(7)
    y = 2 + 0.5 * x + np.array([0.1, -0.2, 0.05, 0.0, 0.15, -0.1, 0.05])
    se = np.array([0.3, 0.25, 0.4, 0.3, 0.35, 0.3, 0.2])
    trend = linear_trend(y, se)
    fit = sm.WLS(y, sm.add_constant(x), weights=1 / se**2).fit()
    assert trend.tau2 == 0
    assert trend.slope == pytest.approx(fit.params[1])
    assert trend.se == pytest.approx(fit.bse[1])
    assert trend.p_value == pytest.approx(fit.pvalues[1])
    assert trend.ci == pytest.approx(tuple(fit.conf_int()[1]))


@pytest.mark.parametrize("values, ses, message", [
    ([1, 2, 3], [1, 1, 1], "at least 4"),
    ([1, 2, 3, 4], [1, 1, 0, 1], "positive standard error"),
    ([1, 2, 3, np.nan], [1, 1, 1, 1], "positive standard error"),
    ([1, 2, 3, 4], [1, 1, 1], "one of each"),
])
def test_estimates_that_cannot_give_a_trend_say_why(values, ses, message):
    with pytest.raises(TrendError, match=message):
        linear_trend(values, ses)


def _rejections(slope: float, tau: float, k: int = 8, runs: int = 2000, seed: int = 1):
    rng = np.random.default_rng(seed)
    hits = 0
    for _ in range(runs):
        se = rng.uniform(1, 3, k)
        y = slope * np.arange(k) + rng.normal(0, tau, k) + rng.normal(0, se)
        hits += linear_trend(y, se).is_clear
    return hits / runs


@pytest.mark.parametrize("tau", [0.0, 2.0])
def test_without_a_trend_it_is_called_clear_about_five_times_in_a_hundred(tau):
    """The level, by simulation: 2,000 series of 8 periods with no trend, sampling error
    (se 1-3) and, in one case, variation between periods as large as that. The rejection
    rate stays near 5% (binomial sd 0.5 points); a test ignoring tau^2 would reject far more
    often with tau = 2."""
    rate = _rejections(0.0, tau)
    assert 0.035 <= rate <= 0.07, rate


def test_a_real_trend_is_found():
    """Power: one point per period against sampling error of 1-3, over 8 periods (about
    80% in a long run)."""
    assert _rejections(1.0, 0.0, runs=400) > 0.7


def _quarters(values, ses, breaks=()):
    import pandas as pd

    quarters = [f"{2024 + (i + 3) // 4}Q{(i + 3) % 4 + 1}" for i in range(len(values))]
    return pd.DataFrame({"quarter": quarters, "value": values, "se": ses,
                         "coverage_break": [i in breaks for i in range(len(values))]})


def test_a_reports_trend_starts_after_the_last_coverage_break():
    """Before a break other people answered: only the quarters since count, in words."""
    from cxlab.report.tables import quarter_trend, trend_words

    rising = _quarters([-30, -28, 10, 12, 14, 16, 18], [1.0] * 7, breaks=(2,))
    trend = quarter_trend(None, "nps", rising)
    assert trend.k == 5 and trend.slope == pytest.approx(2.0)
    assert trend_words(trend, "nps").startswith("Rising: +2.0 points a quarter (95% CI")
    flat = _quarters([0.50, 0.52, 0.49, 0.51, 0.50], [0.02] * 5)
    assert trend_words(quarter_trend(None, "csat_top2", flat), "proportion").startswith(
        "No clear trend: -0.1 pp a quarter")
    short = _quarters([1, 2, 3, 4, 5, 6], [1.0] * 6, breaks=(4,))
    assert trend_words(quarter_trend(None, "nps", short), "nps") == (
        "No trend test: 2 comparable quarters: a trend needs at least 4.")


def test_the_trend_chart_says_whether_the_measure_rises_or_falls(sample_study):
    from cxlab import report

    chart = report.trend_chart(sample_study("northwind"), "nps")
    words = chart.figure.axes[0].get_xlabel()
    assert words.startswith(("Rising", "Falling", "No clear trend")) and "8 quarters" in words
    assert words in chart.alt


def test_a_trend_chart_by_an_old_name_warns_once(sample_study):
    import warnings

    from cxlab import report

    study = sample_study("cedar")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        report.trend_chart(study, "fcr")
    deprecations = [w for w in caught if issubclass(w.category, DeprecationWarning)
                    and "'fcr' is deprecated" in str(w.message)]
    assert len(deprecations) == 1 and deprecations[0].filename == __file__
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        report.trend_frame(study, "fcr")  # a new call (another line) warns again
    assert sum("'fcr' is deprecated" in str(w.message) for w in caught) == 1


def test_a_trend_reads_in_one_line_and_exports_its_numbers():
    """Trend displays as Estimate does (issue 21): repr, a notebook table, dict and frame."""
    import pandas as pd

    from cxlab.stats import linear_trend

    rising = linear_trend([10, 12, 14, 16, 18], [1, 1, 1, 1, 1])
    line = repr(rising)
    assert line.startswith("<Trend rising: +2 per period (95% CI +2 to +2; p = ")
    assert "trend trend" not in line.lower() and line.endswith("; 5 periods)>")
    flat = linear_trend([10, 12, 11, 10, 12], [1, 1, 1, 1, 1])
    assert repr(flat).startswith("<Trend no clear trend: +0.2 per period")
    html = flat._repr_html_()
    assert "<caption" in html and "no clear trend" in html and "p-value" in html
    row = flat.to_dict()
    assert (row["slope"], row["k"], row["direction"]) == (flat.slope, 5, "no clear trend")
    both = pd.concat([rising.to_frame(), flat.to_frame()], ignore_index=True)
    assert both["direction"].tolist() == ["rising", "no clear trend"]
