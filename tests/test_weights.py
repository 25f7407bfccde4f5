"""Survey weights: weighted estimates against hand-derived values, raking, and coverage."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

import cxlab
from cxlab import metrics
from cxlab.stats.weighting import RakingError, margins_from_table, rake

Z = 1.959963984540054


def test_weighted_nps_matches_a_hand_derivation():
    # scores 10, 9, 5, 8 with weights 1, 3, 2, 2: sum 8; promoters 4/8, passives 2/8,
    # detractors 2/8, so NPS 25; Kish n_eff = 8^2 / (1 + 9 + 4 + 4) = 64/18.
    est = cxlab.nps([10, 9, 5, 8], weights=[1, 3, 2, 2])
    n_eff = 64 / 18
    assert est.value == pytest.approx(25.0)
    assert est.n == 4 and est.n_effective == pytest.approx(n_eff)
    # adjusted Wald on the effective counts: 0.5 n_eff + 0.75 promoters, 0.25 n_eff + 0.75
    # detractors, of n_eff + 3.
    n_adj = n_eff + 3
    p, d = (0.5 * n_eff + 0.75) / n_adj, (0.25 * n_eff + 0.75) / n_adj
    se = 100 * math.sqrt((p + d - (p - d) ** 2) / n_adj)
    centre = 100 * (p - d)
    assert est.se == pytest.approx(se)
    assert est.ci == pytest.approx((centre - Z * se, centre + Z * se))
    assert "weighted" in est.method and est.weighted
    assert "n_eff=3.6" in str(est)


def test_weighted_mean_matches_a_hand_derivation():
    x, w = np.array([1.0, 2, 3, 5]), np.array([1.0, 1, 2, 4])
    est = cxlab.mean(x, weights=w)
    m = 29 / 8
    var_pop = float(np.sum(w * (x - m) ** 2) / 8)
    n_eff = 64 / 22
    se = math.sqrt(var_pop * n_eff / (n_eff - 1) / n_eff)
    half = sps.t.ppf(0.975, n_eff - 1) * se
    assert est.value == pytest.approx(m)
    assert est.se == pytest.approx(se)
    assert est.ci == pytest.approx((m - half, m + half))


def test_weighted_share_matches_wilson_on_effective_counts():
    est = cxlab.rate([True, False, True, True], weights=[1, 3, 1, 1])
    n_eff = 36 / 12
    k = 0.5 * n_eff
    centre = (k + Z**2 / 2) / (n_eff + Z**2)
    half = Z * math.sqrt(n_eff * 0.25 + Z**2 / 4) / (n_eff + Z**2)
    assert est.value == pytest.approx(0.5)
    assert est.ci == pytest.approx((centre - half, centre + half))


@pytest.mark.parametrize("call", [
    lambda x, w: cxlab.nps(x, weights=w),
    lambda x, w: cxlab.csat(np.clip(np.asarray(x) // 2, 1, 5), weights=w),
    lambda x, w: cxlab.csat(np.clip(np.asarray(x) // 2, 1, 5), "mean", weights=w),
    lambda x, w: cxlab.ces(np.clip(np.asarray(x), 1, 7), weights=w),
    lambda x, w: cxlab.rate(np.asarray(x) > 6, weights=w),
])
def test_equal_weights_change_nothing(call):
    x = [10, 9, 9, 3, 7, 8, 10, 0, 6, 5, 9]
    plain, weighted = call(x, None), call(x, [2.5] * len(x))
    assert weighted.value == pytest.approx(plain.value)
    assert weighted.ci == pytest.approx(plain.ci)
    assert weighted.se == pytest.approx(plain.se)
    assert weighted.n_effective == pytest.approx(plain.n)


def test_zero_weights_leave_answers_out_and_bad_weights_are_named():
    assert cxlab.nps([10, 0, 9], weights=[1, 0, 1]).value == pytest.approx(100)
    assert cxlab.nps([10, 0, 9], weights=[1, 0, 1]).n == 2
    # a missing answer may have a missing weight
    assert cxlab.nps([10, None, 9], weights=[1, None, 1]).n_missing == 1
    with pytest.raises(ValueError, match=r"weight -1 at position 1"):
        cxlab.nps([10, 0, 9], weights=[1, -1, 1])
    with pytest.raises(ValueError, match=r"weight None at position 2"):
        cxlab.csat([5, 4, 3], weights=[1, 1, None])
    with pytest.raises(ValueError, match="2 weights for 3 answers"):
        cxlab.rate([True, False, True], weights=[1, 1])
    with pytest.raises(ValueError, match="every answer has weight 0"):
        cxlab.nps([10, 9], weights=[0, 0])
    with pytest.raises(ValueError, match="bootstrap interval takes no weights"):
        cxlab.nps([10, 9], method="bootstrap", weights=[1, 2])


def test_compare_uses_the_effective_sizes():
    a, b = [10] * 30 + [3] * 30, [10] * 20 + [3] * 40
    plain = cxlab.compare(cxlab.nps(a), cxlab.nps(b))
    even = cxlab.compare(cxlab.nps(a, weights=[3] * 60), cxlab.nps(b, weights=[3] * 60))
    assert even.p_value == pytest.approx(plain.p_value)
    # weights that spread unevenly keep the estimate but lose precision
    w = np.tile([0.5, 1.5], 30)
    uneven = cxlab.compare(cxlab.nps(a, weights=w), cxlab.nps(b, weights=w))
    assert uneven.difference == pytest.approx(plain.difference)
    assert uneven.p_value > plain.p_value
    assert uneven.ci[1] - uneven.ci[0] > plain.ci[1] - plain.ci[0]
    rates = cxlab.compare(cxlab.rate(np.array(a) > 6, weights=w), cxlab.rate(np.array(b) > 6))
    assert rates.a.n_effective == pytest.approx(60 / 1.25)


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_grouped_weights_agree_with_the_scalar_functions(engine):
    rng = np.random.default_rng(3)
    n = 600
    df = pd.DataFrame({"g": rng.choice(["a", "b", "c"], n),
                       "nps": rng.integers(0, 11, n).astype(float),
                       "csat": rng.integers(1, 6, n).astype(float),
                       "w": rng.gamma(2.0, 1.0, n)})
    df.loc[::11, "nps"] = np.nan
    df.loc[::23, "w"] = 0.0
    out = cxlab.grouped(df, ["nps", "csat_top2", "csat_mean"], "g", weights="w", engine=engine)
    scalar = {"nps": lambda s, w: cxlab.nps(s, weights=w),
              "csat_top2": lambda s, w: cxlab.csat(s, weights=w),
              "csat_mean": lambda s, w: cxlab.csat(s, "mean", weights=w)}
    for row in out.itertuples():
        part = df[df["g"] == row.g]
        column = "nps" if row.metric == "nps" else "csat"
        est = scalar[row.metric](part[column], part["w"])
        assert (row.value, row.ci_low, row.ci_high, row.se) == pytest.approx(
            (est.value, *est.ci, est.se), rel=1e-9, abs=1e-9)
        assert row.n == est.n and row.n_effective == pytest.approx(est.n_effective)
        assert "weighted" in row.method


def test_grouped_weights_as_an_array_and_errors():
    df = pd.DataFrame({"g": ["a", "a", "b", "b"], "nps": [10, 0, 9, 9]})
    out = cxlab.grouped(df, "nps", "g", weights=np.array([3.0, 1.0, 1.0, 1.0]))
    assert out.set_index("g").loc["a", "value"] == pytest.approx(50.0)
    with pytest.raises(KeyError, match="wt"):
        cxlab.grouped(df, "nps", "g", weights="wt")
    with pytest.raises(ValueError, match="3 weights for 4 answers"):
        cxlab.grouped(df, "nps", "g", weights=[1, 1, 1])
    with pytest.raises(ValueError, match="position 3"):
        cxlab.grouped(df, "nps", "g", weights=[1, 1, 1, np.inf])


def test_weighted_intervals_cover_the_population_nps():
    # Population: phone 60% (NPS about -10), chat 40% (about +50); the sample over-represents
    # chat 3:1, so the unweighted NPS is biased upwards and weighting to the population
    # shares removes the bias. The weighted 95% interval must cover the truth at least 93%
    # of the time (binomial sampling error of 400 replicates: about 1.1 points).
    rng = np.random.default_rng(11)
    probs = {"phone": [0.35, 0.2, 0.45], "chat": [0.6, 0.3, 0.1]}  # promoters, passive, detr.
    truth = 0.6 * (0.35 - 0.45) * 100 + 0.4 * (0.6 - 0.1) * 100
    hits_w = hits_u = 0
    for _ in range(400):
        n_phone, n_chat = 50, 150
        scores = np.concatenate([
            rng.choice([10, 8, 3], n_phone, p=probs["phone"]),
            rng.choice([10, 8, 3], n_chat, p=probs["chat"])])
        w = np.r_[np.full(n_phone, 0.6 / n_phone), np.full(n_chat, 0.4 / n_chat)]
        low, high = cxlab.nps(scores, weights=w).ci
        hits_w += low <= truth <= high
        low, high = cxlab.nps(scores).ci
        hits_u += low <= truth <= high
    assert hits_w / 400 >= 0.93
    assert hits_u / 400 < 0.6  # the bias the weights remove


# --------------------------------------------------------------------------------------------
# Raking


def _sample() -> pd.DataFrame:
    # 2 x 2 sample counts: phone/smb 40, phone/ent 10, chat/smb 30, chat/ent 20
    rows = ([("phone", "smb")] * 40 + [("phone", "ent")] * 10 + [("chat", "smb")] * 30
            + [("chat", "ent")] * 20)
    return pd.DataFrame(rows, columns=["channel", "segment"])


def test_raking_meets_the_margins_with_multiplicative_weights():
    data = _sample()
    result = rake(data, {"channel": {"phone": 0.7, "chat": 0.3},
                         "segment": {"smb": 0.5, "ent": 0.5}})
    w = result.weights
    share = w.groupby(data["channel"]).sum() / w.sum()
    assert share["phone"] == pytest.approx(0.7, abs=1e-6)
    assert (w.groupby(data["segment"]).sum() / w.sum())["ent"] == pytest.approx(0.5, abs=1e-6)
    # Raking weights are a row factor times a column factor: the cross-ratio of the cell
    # weights is 1.
    cell = w.groupby([data["channel"], data["segment"]]).first()
    ratio = (cell["phone", "smb"] * cell["chat", "ent"]) / (cell["phone", "ent"]
                                                             * cell["chat", "smb"])
    assert ratio == pytest.approx(1.0, abs=1e-6)
    assert w.sum() == pytest.approx(len(data))
    assert result.n_effective == pytest.approx(w.sum() ** 2 / (w**2).sum())
    # The same weights solved directly: with w = a_channel * b_segment and b_smb = 1, the
    # targets per 100 rows are phone 40 a1 + 10 a1 b = 70, chat 30 a2 + 20 a2 b = 30 and
    # smb 40 a1 + 30 a2 = 50, one equation in b once a1 and a2 are written in b.
    from scipy.optimize import brentq

    def a(b):
        return 70 / (40 + 10 * b), 30 / (30 + 20 * b)

    b = brentq(lambda b: 40 * a(b)[0] + 30 * a(b)[1] - 50, 0.01, 100)
    a1, a2 = a(b)
    assert cell["phone", "smb"] == pytest.approx(a1, rel=1e-5)
    assert cell["phone", "ent"] == pytest.approx(a1 * b, rel=1e-5)
    assert cell["chat", "smb"] == pytest.approx(a2, rel=1e-5)
    assert cell["chat", "ent"] == pytest.approx(a2 * b, rel=1e-5)


def test_one_margin_is_poststratification():
    data = _sample()
    w = rake(data, {"channel": {"phone": 0.5, "chat": 0.5}}).weights
    # each phone respondent stands for 0.5/50 of the population, each chat one 0.5/50
    assert w[data["channel"] == "phone"].unique() == pytest.approx([1.0])
    data2 = data.iloc[10:]  # 40 phone, 50 chat
    w2 = rake(data2, {"channel": {"phone": 0.5, "chat": 0.5}}).weights
    assert w2[data2["channel"] == "phone"].iloc[0] == pytest.approx(45 / 40)


def test_raking_from_counts_and_a_table():
    data = _sample()
    table = pd.DataFrame({"variable": ["channel", "channel", "segment", "segment"],
                          "level": ["phone", "chat", "smb", "ent"],
                          "count": [7000, 3000, 5000, 5000]})
    by_table = rake(data, margins_from_table(table)).weights
    by_share = rake(data, {"channel": {"phone": 0.7, "chat": 0.3},
                           "segment": {"smb": 0.5, "ent": 0.5}}).weights
    assert np.allclose(by_table, by_share)


def test_base_weights_are_kept_as_a_start():
    data = _sample().assign(base=np.r_[np.zeros(5), np.ones(95)])
    result = rake(data, {"channel": {"phone": 0.5, "chat": 0.5}}, base_weights="base")
    assert (result.weights.iloc[:5] == 0).all()
    assert result.weights.sum() == pytest.approx(95)


@pytest.mark.parametrize(("margins", "message"), [
    ({"region": {"north": 1.0}}, r"\['region'\] not in the data"),
    ({"region": {"north": 0.5}}, r"\['region'\] not in the data"),
    ({"channel": {"phone": 0.8, "chat": 0.3}}, "sum to 1.1000, not 1"),
    ({"channel": {"phone": 1.0}}, r"level\(s\) \['chat'\] \(50 respondent"),
    ({"channel": {"phone": 0.5, "chat": 0.3, "post": 0.2}}, r"no respondent in level\(s\) \['post'\]"),
    ({"channel": {"phone": 0.5, "chat": 0.4}}, "sum to 0.9000, not 1"),
    ({"channel": {"phone": -0.5, "chat": 1.5}}, "at least 0"),
    ({"channel": {"phone": "half", "chat": 0.5}}, "'half'"),
    ({}, "no margins"),
])
def test_raking_errors_name_the_problem(margins, message):
    with pytest.raises(RakingError, match=message):
        rake(_sample(), margins)


def test_impossible_margins_stop_with_a_clear_error():
    # ent customers are all on chat: an ent share of 80% needs chat at 80% or more.
    data = pd.DataFrame({"channel": ["phone"] * 5 + ["chat"] * 5,
                         "segment": ["smb"] * 5 + ["ent"] * 3 + ["smb"] * 2})
    with pytest.raises(RakingError, match="cannot all be met"):
        rake(data, {"channel": {"phone": 0.5, "chat": 0.5}, "segment": {"smb": 0.2, "ent": 0.8}})


def test_raking_that_is_still_moving_says_so():
    data = pd.DataFrame({"channel": ["phone"] * 6 + ["chat"] * 4,
                         "segment": ["smb"] * 5 + ["ent"] * 3 + ["smb"] * 2})
    with pytest.raises(RakingError, match="did not settle.*allow more rounds"):
        rake(data, {"channel": {"phone": 0.3, "chat": 0.7}, "segment": {"smb": 0.4, "ent": 0.6}},
             max_rounds=2, tolerance=1e-12)


def test_missing_values_in_a_margin_variable_are_an_error():
    data = _sample()
    data.loc[3, "channel"] = None
    with pytest.raises(RakingError, match="1 respondent"):
        rake(data, {"channel": {"phone": 0.5, "chat": 0.5}})


def test_raked_weights_feed_the_estimates():
    data = _sample().assign(nps=[10] * 50 + [0] * 50)  # phone promoters, chat detractors
    w = rake(data, {"channel": {"phone": 0.7, "chat": 0.3}}).weights
    assert cxlab.nps(data["nps"], weights=w).value == pytest.approx(40.0)
    assert metrics.kish_n(w) < len(data)


# --------------------------------------------------------------------------------------------
# Key drivers


def _driver_data(n=300, seed=5):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3))
    y = 1.0 * x[:, 0] + 0.5 * x[:, 1] + rng.normal(size=n)
    return pd.DataFrame({"y": y, "a": x[:, 0], "b": x[:, 1], "c": x[:, 2]})


def test_key_driver_weights_count_like_repeated_rows():
    from cxlab.stats.drivers import key_drivers

    data = _driver_data()
    w = np.where(np.arange(len(data)) % 3 == 0, 2.0, 1.0)
    weighted = key_drivers(data, "y", ["a", "b", "c"], n_boot=50, weights=w).table
    repeated = key_drivers(data.loc[data.index.repeat(w.astype(int))], "y", ["a", "b", "c"],
                           n_boot=50).table
    cols = ["weight", "share", "lmg", "coef", "performance"]
    assert np.allclose(weighted.set_index("driver")[cols],
                       repeated.set_index("driver")[cols])
    even = key_drivers(data, "y", ["a", "b", "c"], n_boot=50, weights=np.full(len(data), 4.0))
    plain = key_drivers(data, "y", ["a", "b", "c"], n_boot=50)
    assert np.allclose(even.table[["weight", "weight_ci_low", "share_ci_high", "coef"]],
                       plain.table[["weight", "weight_ci_low", "share_ci_high", "coef"]])
    assert even.n_effective == pytest.approx(300)
    result = key_drivers(data.assign(w=w), "y", ["a", "b", "c"], n_boot=50, weights="w")
    assert result.n_effective == pytest.approx(metrics.kish_n(w))
    assert any("Weighted" in note for note in result.notes)


# --------------------------------------------------------------------------------------------
# A client's weighting setting


def _channel_margins(study) -> dict:
    seen = sorted(study.tables["customer_responses"]["channel"].unique())
    return {"channel": {c: 1 / len(seen) for c in seen}}


def test_a_study_rakes_each_quarter_to_the_clients_margins(sample_study):
    probe = sample_study("cedar", "2026Q3")
    margins = _channel_margins(probe)
    study = sample_study("cedar", "2026Q3", {"weighting": {"margins": margins}})
    rows = study.rows("customer_responses")
    w = study.response_weights(rows)
    assert w is not None and w.index.equals(rows.index)
    shares = w.groupby(rows["channel"]).sum() / w.sum()
    assert np.allclose(shares, 1 / len(margins["channel"]), atol=1e-6)
    assert w.sum() == pytest.approx(len(rows))  # weights average 1 within the quarter
    previous = study.rows("customer_responses", study.previous_quarter)
    w_prev = study.response_weights(previous)
    assert (w_prev.groupby(previous["channel"]).sum() / w_prev.sum()).round(6).nunique() == 1
    assert study.weighting_notes == {}
    assert probe.response_weights(rows) is None  # unweighted clients stay unweighted


def _unreachable(sample_study, channel: str, share: float):
    """Cedar 2026Q3 weighted to every channel it has plus ``channel``, which it lacks."""
    margins = _channel_margins(sample_study("cedar", "2026Q3"))
    margins["channel"] = {c: s * (1 - share) for c, s in margins["channel"].items()}
    margins["channel"][channel] = share
    return sample_study("cedar", "2026Q3", {"weighting": {"margins": margins}})


def test_a_quarter_that_cannot_be_raked_is_left_unweighted_with_its_reason(sample_study):
    study = _unreachable(sample_study, "carrier pigeon", 0.1)
    assert study.response_weights(study.rows("customer_responses")) is None
    assert "carrier pigeon" in study.weighting_notes["2026Q3"]


def test_a_weight_column_is_used_as_is(sample_study):
    study = sample_study("cedar", "2026Q3", {"weighting": {"column": "weight"}})
    frame = study.tables["customer_responses"]
    study.tables["customer_responses"] = frame.assign(weight=np.linspace(0.5, 1.5, len(frame)))
    rows = study.rows("customer_responses")
    assert np.allclose(study.response_weights(rows), rows["weight"])
    wrong = sample_study("cedar", "2026Q3", {"weighting": {"column": "wt"}})
    with pytest.raises(ValueError, match="column 'wt' is not in customer_responses"):
        wrong.response_weights(wrong.rows("customer_responses"))


@pytest.mark.parametrize(("spec", "message"), [
    ({}, "expected 'column' and/or 'margins'"),
    ({"colum": "weight"}, "expected 'column' and/or 'margins'"),
    ({"margins": {"channel": {"phone": "most"}}}, "margins of 'channel'"),
    ({"margins": []}, "margins must be"),
])
def test_weighting_settings_are_checked_when_read(spec, message):
    from cxlab import config

    with pytest.raises(ValueError, match=message):
        config.check_settings({"weighting": spec}, "studies.yml: acme")


def test_the_report_shows_weighted_customer_results_and_says_so(sample_study):
    from cxlab.report import drivers, tables

    probe = sample_study("cedar", "2026Q3")
    margins = _channel_margins(probe)
    study = sample_study("cedar", "2026Q3", {"weighting": {"margins": margins}})
    rows = study.rows("customer_responses")
    expected = cxlab.nps(rows["nps"], weights=rake(rows, margins).weights)
    frame = tables.scorecard_frame(study).set_index("key")
    current = frame.at["nps", "current"]
    assert current.value == pytest.approx(expected.value)
    assert current.weighted and current.n_effective < current.n
    assert frame.at["first_contact_resolution", "current"].weighted is False  # interactions
    assert "n_eff" in tables.scorecard(study).loc["NPS (points)", "n"]
    trend = tables.trend_frame(study, "nps").set_index("quarter")
    assert trend.at["2026Q3", "value"] == pytest.approx(expected.value)
    assert trend["method"].str.contains("weighted").all()
    teams = tables.group_frame(study, "team", "nps")
    assert teams["method"].str.contains("weighted").all()
    assert (teams["n_effective"] <= teams["n"] + 1e-9).all()
    overview = tables.overview(study).data
    assert "**weighted**" in overview and "effective sample size" in overview
    plain = tables.scorecard_frame(probe).set_index("key").at["nps", "current"]
    assert not plain.weighted and "weighted" not in tables.overview(probe).data
    assert drivers.key_drivers_result(study).n_effective < drivers.key_drivers_result(study).n


def test_a_quarter_the_margins_cannot_reach_is_reported_unweighted(sample_study):
    from cxlab.report import tables

    study = _unreachable(sample_study, "<b>kiosk</b>", 0.2)
    current = tables.scorecard_frame(study).set_index("key").at["nps", "current"]
    assert not current.weighted
    text = tables.overview(study).data
    assert "**not weighted** in 2026Q3" in text and "<b>" not in text


def test_estimate_of_a_measure_follows_its_kind_and_scale():
    assert cxlab.metrics.estimate("csat_top2", [5, 4, 2, 1]).value == pytest.approx(0.5)
    fcr = cxlab.metrics.estimate("first_contact_resolution", [True, False])
    assert fcr.metric == "first_contact_resolution" and fcr.value == pytest.approx(0.5)
    wait = cxlab.metrics.estimate("wait_minutes", [60, 120, 180])
    assert wait.value == pytest.approx(2.0) and wait.method == "t"
    skewed = cxlab.metrics.estimate("wait_minutes", [60, 120, 6000])
    assert skewed.ci[0] == 0.0 and skewed.ci[1] > skewed.value  # not below 0 minutes
    frame = pd.DataFrame({"g": ["a"] * 3, "wait_seconds": [60.0, 120, 6000]})
    assert cxlab.grouped(frame, "wait_minutes", "g")["ci_low"].iloc[0] == 0.0
    assert cxlab.measures.get(cxlab.measures.get("nps")).name == "nps"
    assert cxlab.metrics.estimate("nps", [10, 0], weights=[3, 1]).value == pytest.approx(50)
    with pytest.raises(ValueError, match="outside the expected scale"):
        cxlab.metrics.estimate("csat_top2", [6, 4])


def test_a_change_against_an_unweighted_quarter_compares_like_with_like(sample_study):
    from cxlab.report import tables

    probe = sample_study("cedar", "2026Q3")
    margins = _channel_margins(probe)
    study = sample_study("cedar", "2026Q3", {"weighting": {"margins": margins}})
    frame = study.tables["customer_responses"]
    previous = periods_label(frame) == study.previous_quarter
    lost = frame["channel"] == sorted(margins["channel"])[0]
    study.tables["customer_responses"] = frame[~(previous & lost)]
    assert study.previous_quarter in study.weighting_notes
    row = tables.scorecard_frame(study).set_index("key").loc["nps"]
    assert row["current"].weighted and not row["prev_estimate"].weighted
    assert row["prev_basis"] == "unweighted"
    rows_now = study.rows("customer_responses")
    rows_then = study.rows("customer_responses", study.previous_quarter)
    plain = cxlab.compare(cxlab.nps(rows_now["nps"]), cxlab.nps(rows_then["nps"]))
    assert row["prev_change"] == pytest.approx(plain.difference)
    assert "both quarters unweighted" in tables.scorecard(study).loc["NPS (points)"].iloc[3]
    trend = tables.trend_frame(study, "nps").set_index("quarter")
    assert not trend.at[study.previous_quarter, "weighted"] and trend.at["2026Q3", "weighted"]
    assert trend.at[study.previous_quarter, "value"] == pytest.approx(
        cxlab.nps(rows_then["nps"]).value)
    assert trend.at["2026Q3", "value"] == pytest.approx(row["current"].value)


def periods_label(frame):
    from cxlab import periods

    return periods.label(frame["responded_on"])


def test_a_weight_column_with_gaps_leaves_its_quarter_unweighted(sample_study):
    study = sample_study("cedar", "2026Q3", {"weighting": {"column": "weight"}})
    frame = study.tables["customer_responses"]
    study.tables["customer_responses"] = frame.assign(weight=np.nan)
    assert study.response_weights(study.rows("customer_responses")) is None
    assert "no usable value in the weight column 'weight'" in study.weighting_notes["2026Q3"]


def test_weights_line_up_with_answers_by_their_index():
    answers = pd.Series([10, 0, 9, 3], index=[10, 11, 12, 13])
    weights = pd.Series([1.0, 4.0, 1.0, 1.0], index=[10, 11, 12, 13])
    shuffled = answers.sort_values()
    assert cxlab.nps(shuffled, weights=weights).value == pytest.approx(
        cxlab.nps(answers, weights=weights).value)
    frame = pd.DataFrame({"g": ["a"] * 4, "nps": answers}).sort_values("nps")
    assert cxlab.grouped(frame, "nps", "g", weights=weights)["value"].iloc[0] == pytest.approx(
        cxlab.nps(answers, weights=weights).value)
    with pytest.raises(ValueError, match="index does not hold"):
        cxlab.nps(answers, weights=weights.iloc[:3])
    with pytest.raises(ValueError, match="is a name"):
        cxlab.nps(answers, weights="w")
    with pytest.raises(ValueError, match="one number per answer"):
        cxlab.nps(answers, weights=2.0)
    tiny, huge = cxlab.nps(answers, weights=weights * 1e-300), cxlab.nps(answers, weights=weights * 1e200)
    plain = cxlab.nps(answers, weights=weights)
    assert tiny.ci == pytest.approx(plain.ci) and huge.ci == pytest.approx(plain.ci)


def test_weighting_margins_are_checked_when_the_matrix_loads():
    from cxlab import config

    with pytest.raises(ValueError, match="'region' is not a column of customer_responses"):
        config.check_settings({"weighting": {"margins": {"region": {"north": 1.0}}}}, "x")
    with pytest.raises(ValueError, match="sum to 1.1000"):
        config.check_settings({"weighting": {"margins": {"channel": {"phone": 0.8,
                                                                     "chat": 0.3}}}}, "x")
    counts = {"weighting": {"margins": {"channel": {"phone": 800, "chat": 300}}}}
    assert config.check_settings(counts, "x") == counts


def test_a_weighted_comparison_shows_the_effective_sizes():
    text = str(cxlab.compare(cxlab.nps([10, 9, 3], weights=[1, 2, 3]), cxlab.nps([10, 3])))
    assert "n_eff=" in text
