"""Results display as results (issue 21, part 2): key drivers, the EX-CX link, the maturity
assessment. One line for repr(), a short escaped HTML table in a notebook, and tables and
plain values that carry the same numbers."""

import numpy as np
import pandas as pd
import pytest

from cxlab.maturity import assessment as am
from cxlab.stats import drivers, linkage

PLANTED = "<script>alert(1)</script>"


def _drivers(names=("speed", "courtesy", "knowledge", "resolution"), n_boot=50):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(300, len(names)))
    frame = pd.DataFrame(x, columns=list(names))
    frame["nps"] = x @ np.arange(1, len(names) + 1) + rng.normal(size=300)
    frame.loc[:9, "speed" if "speed" in names else names[0]] = np.nan
    return drivers.key_drivers(frame, "nps", list(names), n_boot=n_boot)


def test_key_drivers_read_in_one_line_and_export_their_numbers():
    result = _drivers()
    line = repr(result)
    assert "\n" not in line and len(line) < 200
    assert line.startswith(f"<KeyDrivers of nps: R² = {result.r2:.3f}, n=290; share of R²: "
                           "resolution ")
    assert line.endswith(", 1 more>")
    pd.testing.assert_frame_equal(result.to_frame(), result.table)
    assert result.to_frame() is not result.table  # a copy: editing it leaves the result alone
    plain = result.to_dict()
    assert (plain["outcome"], plain["n"], plain["n_dropped"], plain["n_boot"]) == (
        "nps", 290, 10, 50)
    assert plain["r2"] == result.r2 and plain["notes"] == result.notes
    pd.testing.assert_frame_equal(pd.DataFrame(plain["drivers"]), result.table,
                                  check_dtype=False)


def test_key_drivers_summary_has_a_headline_a_table_and_the_notes():
    result = _drivers()
    text = result.summary()
    head, *rest = text.splitlines()
    assert head == (f"Key drivers of nps: R² = {result.r2:.3f} (n=290; intervals from 50 "
                    "bootstrap resamples)")
    assert rest[0].split() == ["driver", "share", "of", "R²", "beats", "noise", "coefficient",
                               "p-value", "mean"]
    assert rest[1].split()[0] == "resolution"
    assert rest[-1] == "Note: 10 of 300 rows lacked the outcome or a driver and were left out."
    frame = result.summary_frame()
    share = result.table["share"].iloc[0]
    assert frame["share of R²"].iloc[0].startswith(f"{share:.0%} (")
    assert "no bootstrap" in _drivers(n_boot=0).summary().splitlines()[0]


def test_key_drivers_html_escapes_a_planted_driver_name():
    result = _drivers(names=("speed", PLANTED))
    html = result._repr_html_()
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert html.count("<table") == 2  # the headline, then the drivers


def _link(**changes) -> linkage.Linkage:
    values = dict(predictor="engagement", outcome="nps", lag=1, effect=8.25, se=2.5,
                  ci=(2.9, 13.6), p_value=0.0061, n_responses=4321, n_teams=9,
                  n_team_quarters=27, team_sd=4.5, team_quarter_sd=2.25, df=11)
    return linkage.Linkage(**{**values, **changes})


def test_a_link_reads_in_one_line_with_the_registrys_labels():
    assert repr(_link()) == (
        "<Linkage engagement -> NPS, next quarter: +8.25 NPS points per point of engagement "
        "(95% CI +2.9 to +13.6), p = 0.0061; 4,321 customer answers, 9 teams, "
        "27 team-quarters>")
    line = repr(_link(predictor="enps", outcome="csat_top2", lag=0))
    assert line.startswith("<Linkage eNPS -> CSAT top-2, same quarter: +8.25 CSAT top-2 points "
                           "per point of eNPS")


def test_a_link_exports_its_numbers_and_escapes_its_html():
    link = _link()
    row = link.to_frame()
    assert len(row) == 1
    assert row.iloc[0].to_dict() == link.to_dict()
    assert (link.to_dict()["ci_low"], link.to_dict()["ci_high"]) == link.ci
    assert {k for k in link.to_dict()} >= {"effect", "se", "p_value", "df", "n_teams"}
    html = _link(predictor=PLANTED)._repr_html_()
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "0.0061 (t, 11 degrees of freedom)" in html


def test_the_fitted_link_carries_its_confidence_and_takes_a_column_as_outcome():
    rng = np.random.default_rng(0)
    teams, quarters = [f"T{i}" for i in range(6)], ("2025Q1", "2025Q2", "2025Q3")
    ex = pd.DataFrame([{"team": t, "quarter": q, "engagement": rng.normal(3.5, .4)}
                       for t in teams for q in quarters])
    responses = pd.DataFrame([{"team": t, "quarter": q, "csat": rng.integers(1, 6)}
                              for t in teams for q in quarters for _ in range(20)])
    by_column = linkage.ex_cx_linkage(ex, responses, "engagement", "csat", lag=0)
    by_name = linkage.ex_cx_linkage(ex, responses, "engagement", "csat_top2", lag=0)
    assert by_column == by_name and by_column.outcome == "csat_top2"
    assert by_column.confidence == 0.95


def test_linkage_errors_name_the_measure_as_a_reader_knows_it():
    ex = pd.DataFrame({"team": ["A"], "quarter": ["2025Q1"], "enps": [np.nan]})
    with pytest.raises(linkage.LinkageError, match="no eNPS answers in the employee surveys"):
        linkage.lagged_measure(ex, "enps", 1)
    assert linkage.words("engagement") == "engagement" and linkage.words("enps") == "eNPS"


def _assessment(**changes) -> am.Assessment:
    indicators = [am.Indicator("cx_tracked_per_team", 2, "A CX metric per team", True,
                               "6 of 6 teams"),
                  am.Indicator("named_praise_recognized", 5, "Praise is recognized", None,
                               "not measurable yet")]
    values = dict(client="driftwood", quarter="2026Q3", self_level=4, evidence_level=2,
                  elements=None, previous=None, dates=[], indicators=indicators,
                  facts=["a fact"])
    return am.Assessment(**{**values, **changes})


def test_an_assessment_reads_in_one_line_and_exports_its_evidence():
    result = _assessment()
    assert repr(result) == ("<Assessment driftwood 2026Q3: evidenced level 2, self-assessed 4 "
                            "(the self-assessment overstates the evidence by 2 level(s))>")
    frame = result.to_frame()
    assert frame.columns.tolist() == ["level", "indicator", "statement", "met", "numbers"]
    assert frame["met"].tolist() == [True, None]
    assert frame["numbers"].tolist() == [i.numbers for i in result.indicators]
    plain = result.to_dict()
    assert (plain["evidence_level"], plain["self_level"], plain["gap"], plain["next_level"]) == (
        2, 4, 2, 3)
    assert plain["indicators"] == frame.to_dict("records") and plain["facts"] == ["a fact"]
    assert "self-assessed -" in repr(_assessment(self_level=None))


def test_an_assessment_html_escapes_what_it_shows():
    indicator = am.Indicator("x", 2, PLANTED, False, PLANTED)
    html = _assessment(client=PLANTED, indicators=[indicator])._repr_html_()
    assert "<script>" not in html and html.count("&lt;script&gt;") == 3
    assert "<td>no</td>" in html
    assert "cannot tell yet" in _assessment()._repr_html_()


def test_maturity_evidence_names_plan_metrics_in_words(sample_study):
    """The evidence read 'retention_rate, nps' (issue 21): names as a client reads them."""
    result = am.assess_study(sample_study("driftwood", "2026Q3"))
    plans = next(i for i in result.indicators if i.key == "service_plans_reward_cx")
    assert "_" not in plans.numbers and "CSAT" in plans.numbers
    assert not any("_" in fact for fact in result.facts if fact.startswith("Incentives"))


def test_a_summary_prints_as_text_and_shows_as_a_table_in_a_notebook():
    """As statsmodels' summary(): one object, text when printed, HTML in a notebook."""
    from cxlab.metrics import Summary

    result = _drivers()
    summary = result.summary()
    assert isinstance(summary, Summary) and isinstance(summary, str)
    assert repr(summary) == str(summary) == summary.as_text()  # no quotes, no \n escapes
    assert summary.as_html() == summary._repr_html_() == result._repr_html_()
    assert "<table>" in summary._repr_html_()


def test_posterior_and_raking_display_in_one_line_and_as_a_table():
    from cxlab.stats import hierarchical, weighting

    post = hierarchical.rates([2, 45, 18, 9], [20, 60, 40, 20], seed=0)
    line = repr(post)
    shrunk = post.summary["shrunk"]
    assert line == (f"<Posterior of 4 units: estimates {shrunk.min():.3g} to "
                    f"{shrunk.max():.3g}, pooling {post.pooling:.0%}>")
    assert "<th>unit</th>" in post._repr_html_() and "<th>shrunk</th>" in post._repr_html_()
    pooled = hierarchical.rates([5] * 8, [10] * 8, seed=0)  # no differences to tell apart
    assert pooled.pooled and repr(pooled).endswith("; mostly pooled: do not rank>")

    data = pd.DataFrame({"channel": ["phone", "chat", "chat", "chat"]})
    raking = weighting.rake(data, {"channel": {"phone": 500, "chat": 500}})  # counts
    assert repr(raking) == ("<Raking: raked to 1 margin(s) (channel) in 1 round(s): weights "
                            "0.667 to 2, n_eff 3.0 of 4 (design effect 1.33)>")
    assert raking.to_frame().to_dict("list") == {
        "variable": ["channel", "channel"], "level": ["phone", "chat"], "target": [0.5, 0.5]}
    html = raking._repr_html_()
    assert "Weights raked to channel" in html and "design effect" in html and "phone" in html
