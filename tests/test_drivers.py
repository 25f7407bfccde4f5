"""Key drivers: published relative weights, LMG by brute force and by hand, planted order."""

import html
import itertools
import math

import numpy as np
import pandas as pd
import pytest

from cxlab.data import sample
from cxlab.report.drivers import key_drivers_result, key_drivers_table
from cxlab.stats import drivers

# mtcars (Henderson and Velleman, 1981): mpg, cyl, disp, hp, wt of the 32 cars.
MTCARS = pd.DataFrame({
    "mpg": [21.0, 21.0, 22.8, 21.4, 18.7, 18.1, 14.3, 24.4, 22.8, 19.2, 17.8, 16.4, 17.3, 15.2,
            10.4, 10.4, 14.7, 32.4, 30.4, 33.9, 21.5, 15.5, 15.2, 13.3, 19.2, 27.3, 26.0, 30.4,
            15.8, 19.7, 15.0, 21.4],
    "cyl": [6, 6, 4, 6, 8, 6, 8, 4, 4, 6, 6, 8, 8, 8, 8, 8, 8, 4, 4, 4, 4, 8, 8, 8, 8, 4, 4, 4,
            8, 6, 8, 4],
    "disp": [160, 160, 108, 258, 360, 225, 360, 146.7, 140.8, 167.6, 167.6, 275.8, 275.8, 275.8,
             472, 460, 440, 78.7, 75.7, 71.1, 120.1, 318, 304, 350, 400, 79, 120.3, 95.1, 351,
             145, 301, 121],
    "hp": [110, 110, 93, 110, 175, 105, 245, 62, 95, 123, 123, 180, 180, 180, 205, 215, 230, 66,
           52, 65, 97, 150, 150, 245, 175, 66, 91, 113, 264, 175, 335, 109],
    "wt": [2.62, 2.875, 2.32, 3.215, 3.44, 3.46, 3.57, 3.19, 3.15, 3.44, 3.44, 4.07, 3.73, 3.78,
           5.25, 5.424, 5.345, 2.2, 1.615, 1.835, 2.465, 3.52, 3.435, 3.84, 3.845, 1.935, 2.14,
           1.513, 3.17, 2.77, 3.57, 2.78],
})
PREDICTORS = ["cyl", "disp", "hp", "wt"]
# Raw relative weights published in the rwa package's documentation (Chan, "Regression
# methods" vignette) for mpg ~ cyl + disp + hp + wt.
PUBLISHED_RW = {"cyl": 0.2096904, "disp": 0.1883043, "hp": 0.1799590, "wt": 0.2706812}


def _r2(frame, outcome, columns):
    if not columns:
        return 0.0
    x = np.column_stack([np.ones(len(frame)), frame[list(columns)].to_numpy(float)])
    y = frame[outcome].to_numpy(float)
    resid = y - x @ np.linalg.lstsq(x, y, rcond=None)[0]
    return 1 - resid @ resid / np.sum((y - y.mean()) ** 2)


def test_relative_weights_match_the_published_mtcars_example():
    weights = drivers.relative_weights(MTCARS, "mpg", PREDICTORS)
    for name, value in PUBLISHED_RW.items():
        assert weights[name] == pytest.approx(value, abs=5e-8)
    assert weights.sum() == pytest.approx(_r2(MTCARS, "mpg", PREDICTORS))


def test_lmg_equals_the_average_over_all_orders_of_entry():
    # An independent brute force: fit every ordering with least squares, average increments.
    increments = {p: [] for p in PREDICTORS}
    for order in itertools.permutations(PREDICTORS):
        for i, name in enumerate(order):
            increments[name].append(_r2(MTCARS, "mpg", order[:i + 1])
                                    - _r2(MTCARS, "mpg", order[:i]))
    shares = drivers.lmg(MTCARS, "mpg", PREDICTORS)
    for name in PREDICTORS:
        assert shares[name] == pytest.approx(np.mean(increments[name]), abs=1e-10)


def test_two_drivers_lmg_by_hand():
    rng = np.random.default_rng(2)
    x1 = rng.normal(size=300)
    x2 = 0.6 * x1 + rng.normal(size=300)
    frame = pd.DataFrame({"y": x1 + 0.5 * x2 + rng.normal(size=300), "x1": x1, "x2": x2})
    r1, r2 = (np.corrcoef(frame["y"], frame[c])[0, 1] ** 2 for c in ("x1", "x2"))
    full = _r2(frame, "y", ["x1", "x2"])
    shares = drivers.lmg(frame, "y", ["x1", "x2"])
    assert shares["x1"] == pytest.approx((r1 + full - r2) / 2)
    assert shares["x2"] == pytest.approx((r2 + full - r1) / 2)


def test_uncorrelated_drivers_get_their_squared_correlations():
    x = np.array([[1, 1], [1, -1], [-1, 1], [-1, -1]] * 5, dtype=float)
    y = 2 * x[:, 0] + x[:, 1] + np.tile([0.3, -0.3, -0.3, 0.3, 0.1, -0.1, -0.1, 0.1, 0, 0], 2)
    frame = pd.DataFrame({"y": y, "a": x[:, 0], "b": x[:, 1]})
    expected = [np.corrcoef(y, x[:, k])[0, 1] ** 2 for k in (0, 1)]
    np.testing.assert_allclose(drivers.relative_weights(frame, "y", ["a", "b"]), expected)
    np.testing.assert_allclose(drivers.lmg(frame, "y", ["a", "b"]), expected)


def test_each_bootstrap_resample_equals_the_weights_of_its_rows_refitted():
    data = MTCARS[["mpg", *PREDICTORS]].astype(float)
    x, y = drivers._standardized(data[PREDICTORS]), drivers._standardized(data[["mpg"]])[:, 0]
    boot = drivers._bootstrap_weights(x, y, 40, seed=3)
    draws = np.random.default_rng(3).integers(0, len(y), (40, len(y)))
    expected = [drivers.relative_weights(data.iloc[rows], "mpg", PREDICTORS) for rows in draws]
    np.testing.assert_allclose(boot, np.array(expected), rtol=1e-9)


def test_bootstrap_leaves_out_resamples_where_a_driver_is_constant():
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"y": rng.normal(size=60), "a": rng.normal(size=60),
                          "rare": [1.0] * 2 + [0.0] * 58})  # often absent from a resample
    x = drivers._standardized(frame[["a", "rare"]])
    y = drivers._standardized(frame[["y"]])[:, 0]
    boot = drivers._bootstrap_weights(x, y, 200, seed=1)
    draws = np.random.default_rng(1).integers(0, 60, (200, 60))
    varied = sum(frame["rare"].iloc[rows].nunique() > 1 for rows in draws)
    assert 0 < varied < 200 and len(boot) == varied
    assert np.isfinite(boot).all()


def test_key_drivers_result_is_complete_and_reproducible():
    result = drivers.key_drivers(MTCARS, "mpg", PREDICTORS, n_boot=200)
    again = drivers.key_drivers(MTCARS, "mpg", PREDICTORS, n_boot=200)
    pd.testing.assert_frame_equal(result.table, again.table)
    t = result.table
    assert result.order[0] == "wt"
    assert (t["weight_ci_low"] <= t["weight"]).all() and (t["weight"] <= t["weight_ci_high"]).all()
    assert t["share"].sum() == pytest.approx(1)
    assert t["lmg"].sum() == pytest.approx(result.r2)
    assert not t.isna().any().any()


@pytest.mark.parametrize("frame, drivers_, message", [
    (MTCARS.assign(k=1.0), ["cyl", "k"], "single value"),
    (MTCARS.assign(wt2=2 * MTCARS["wt"] + 1), ["wt", "wt2", "hp"], "perfectly collinear"),
    (MTCARS, ["cyl", "nope"], "not found"),
    (MTCARS.head(5), PREDICTORS, "complete rows"),
    (MTCARS, [], "no drivers"),
    (MTCARS, "cyl", r"drivers must be a list of columns, got the text 'cyl'; pass \['cyl', "),
])
def test_degenerate_input_gives_a_clear_error(frame, drivers_, message):
    with pytest.raises(drivers.DriverError, match=message):
        drivers.key_drivers(frame, "mpg", drivers_, n_boot=10)


def test_missing_answers_are_left_out_and_counted():
    frame = MTCARS.copy()
    frame.loc[:3, "hp"] = np.nan
    result = drivers.key_drivers(frame, "mpg", PREDICTORS, n_boot=10)
    assert (result.n, result.n_dropped) == (28, 4)
    assert "4 of 32 rows" in result.notes[0]


@pytest.mark.parametrize("client", [c.slug for c in sample.CLIENTS])
@pytest.mark.parametrize("outcome", ["nps", "csat"])
def test_the_planted_driver_order_is_recovered(sample_study, client, outcome):
    study = sample_study(client, "2026Q3")
    # A year and more of answers pins down the full order...
    history = study.history("customer_responses")
    pooled = drivers.key_drivers(history, outcome, list(sample.DRIVER_WEIGHTS), n_boot=50)
    assert pooled.order == list(sample.DRIVER_WEIGHTS)
    # ...and LMG, computed another way, agrees with the relative weights.
    shares = pooled.table.set_index("driver")
    assert (abs(shares["lmg"] - shares["weight"]) / pooled.r2).max() < 0.02


@pytest.mark.parametrize("outcome", ["nps", "csat"])
def test_one_quarter_of_the_largest_client_finds_the_planted_order(sample_study, outcome):
    # About 1,600 complete answers a quarter; a small client's quarter (Cedar: ~300) cannot
    # reliably separate neighbouring drivers, which its bootstrap intervals show.
    result = key_drivers_result(sample_study("northwind", "2026Q3"), outcome)
    assert result.order == list(sample.DRIVER_WEIGHTS)


def test_the_report_explains_a_missing_analysis_instead_of_failing(sample_study):
    study = sample_study("cedar", "2026Q3")
    study.tables["customer_responses"] = study.tables["customer_responses"].drop(
        columns=list(sample.DRIVER_WEIGHTS))
    shown = key_drivers_table(study, "nps")
    text = html.unescape(shown.data)  # as the reader sees it: the error text is escaped
    assert "not available" in text and "rating_" in text


def _planted(n, seed, rho=0.4):
    rng = np.random.default_rng(seed)
    cov = np.array([[1, rho, 0], [rho, 1, 0], [0, 0, 1.0]])
    x = rng.multivariate_normal(np.zeros(3), cov, n)
    frame = pd.DataFrame(x, columns=["strong", "weak", "none"])
    frame["y"] = 0.4 * x[:, 0] + 0.2 * x[:, 1] + rng.standard_normal(n)
    return frame


def test_a_driver_with_no_effect_is_rarely_called_important_and_real_ones_are_found():
    """Tonidandel, LeBreton and Johnson (2009): each weight against a random variable's."""
    calls, found = [], []
    for seed in range(40):
        table = drivers.key_drivers(_planted(400, seed), "y", ["strong", "weak", "none"],
                                    n_boot=200, seed=seed).table.set_index("driver")
        assert table.loc["none", "weight_ci_low"] > 0  # its own interval never holds zero
        calls.append(table.loc["none", "is_important"])
        found.append(table.loc["strong", "is_important"] and table.loc["weak", "is_important"])
    assert np.mean(calls) <= 0.06 and np.mean(found) >= 0.9


def test_share_intervals_come_from_the_shares_own_bootstrap():
    result = drivers.key_drivers(_planted(300, 1), "y", ["strong", "weak", "none"],
                                 n_boot=300, seed=3)
    t = result.table
    assert ((t["share_ci_low"] <= t["share"]) & (t["share"] <= t["share_ci_high"])).all()
    assert (t["share_ci_high"] <= 1).all() and (t["share_ci_low"] >= 0).all()
    # Not the weight's interval over the full-sample R^2 (which can pass 100% of it).
    scaled = t["weight_ci_high"] / result.r2
    assert not np.allclose(scaled, t["share_ci_high"])


def test_driver_intervals_contain_their_estimates():
    # Few answers and many weak drivers: the resampled weights of a driver near zero lie
    # mostly above its estimate, so the plain percentile interval would leave it out.
    for seed in range(3):
        rng = np.random.default_rng(seed)
        x = rng.normal(size=(20, 6))
        y = 0.3 * x[:, 0] + rng.normal(size=20)
        names = [f"x{i}" for i in range(6)]
        frame = pd.DataFrame(np.column_stack([y, x]), columns=["y", *names])
        t = drivers.key_drivers(frame, "y", names, n_boot=60, seed=seed).table
        assert ((t["weight_ci_low"] <= t["weight"]) & (t["weight"] <= t["weight_ci_high"])).all()
        assert ((t["share_ci_low"] <= t["share"]) & (t["share"] <= t["share_ci_high"])).all()


def test_a_capped_analysis_uses_a_systematic_sample_and_says_so():
    """max_rows: every k-th complete row, counted apart from the incomplete ones; the planted
    order holds on the sample, and the intervals are as wide as the sample's size makes them."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=(3000, 3))
    frame = pd.DataFrame(x, columns=["a", "b", "c"])
    frame["y"] = 3 * frame["a"] + 2 * frame["b"] + frame["c"] + rng.normal(size=3000) * 3
    frame.loc[frame.index[:100], "c"] = np.nan  # incomplete: left out before sampling
    whole = drivers.key_drivers(frame, "y", ["a", "b", "c"], n_boot=100)
    capped = drivers.key_drivers(frame, "y", ["a", "b", "c"], n_boot=100, max_rows=1000)
    assert (whole.n, whole.n_dropped) == (2900, 100)
    # 2,900 complete rows, at most 1,000: one in every 3, so 967 of them.
    assert (capped.n, capped.n_dropped) == (967, 100)
    assert (capped.sampled_from, whole.sampled_from) == (2900, None)
    assert "systematic sample of 967 of the 2,900 complete rows (one in every 3)" in " ".join(
        capped.notes)
    assert list(capped.table["driver"]) == ["a", "b", "c"] == list(whole.table["driver"])
    width = capped.table["weight_ci_high"] - capped.table["weight_ci_low"]
    assert (width > whole.table["weight_ci_high"] - whole.table["weight_ci_low"]).all()
    again = drivers.key_drivers(frame, "y", ["a", "b", "c"], n_boot=100, max_rows=1000)
    pd.testing.assert_frame_equal(capped.table, again.table)


def test_a_quarter_beyond_max_rows_is_sampled_where_the_answers_are_held(sandbox, monkeypatch):
    """Beyond MAX_ROWS answers the report reads every k-th response of the quarter (by its
    place in the data, so only the sample leaves the engine), the same rows on every engine,
    and says so; the analysis then runs on them."""
    import cxlab
    from cxlab.report import drivers as report_drivers

    monkeypatch.setattr(report_drivers, "MAX_ROWS", 400)
    results = {engine: key_drivers_result(cxlab.open_study("northwind", "2026Q3",
                                                           engine=engine), "nps")
               for engine in ("duckdb", "pandas")}
    rows = cxlab.open_study("northwind", "2026Q3", engine="pandas").tables["customer_responses"]
    quarter = (rows["responded_on"] >= "2026-07-01") & (rows["responded_on"] < "2026-10-01")
    answered = int((quarter & rows["nps"].notna()).sum())
    k = math.ceil(answered / 400)
    assert k > 2
    sampled = rows[quarter & (rows.index % k == 0)]
    complete = sampled[["nps", *sample.DRIVER_WEIGHTS]].dropna()
    for result in results.values():
        assert (result.n, result.n_dropped) == (len(complete), len(sampled) - len(complete))
        assert result.notes[0] == (
            f"Estimated on a systematic sample of the quarter's responses, one in every {k} by "
            f"its place in the data: {len(sampled):,} responses read, "
            f"{int(sampled['nps'].notna().sum()):,} of them with NPS answered, of the quarter's "
            f"{answered:,} NPS answers; the intervals are the sample's.")
        assert result.sampled_from == answered
    pd.testing.assert_frame_equal(results["duckdb"].table, results["pandas"].table)
    study = cxlab.open_study("northwind", "2026Q3")
    assert key_drivers_table(study, "nps").attrs["caption"].endswith(
        f"; {results['duckdb'].n:,} answers (complete ones, from a systematic sample of the "
        f"quarter's {answered:,})")
    note = report_drivers.key_drivers_note(study, "nps").data
    assert note.index("Estimated on a systematic sample") < note.index("Shares are Johnson")
    from cxlab.report.exports import drivers_sheet

    assert results["duckdb"].notes[0] in drivers_sheet(study).note
