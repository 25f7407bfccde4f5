"""EX -> CX linkage: outcome coding by hand, planted effect recovered, degenerate input."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from cxlab import metrics, periods
from cxlab.data import sample
from cxlab.report.linkage import linkage_frame, linkage_inputs, linkage_summary
from cxlab.report.tables import fmt_p
from cxlab.stats import linkage


def _team_responses(study):
    """The study's customer answers to date with the team of the employee who served."""
    roster = study.tables["employees"][["employee_id", "team"]]
    return study.history("customer_responses").merge(roster, on="employee_id")


def test_outcome_codes_average_to_the_metric():
    scores = pd.Series([10, 9, 8, 7, 6, 0, None, 10])
    codes = linkage.code_outcome(scores, "nps")
    assert codes.mean() == pytest.approx(metrics.nps(scores).value)
    csat = pd.Series([5, 4, 3, 1, None])
    assert linkage.code_outcome(csat, "csat_top2").mean() == pytest.approx(50.0)


def _implied_effect(latent_mean: np.ndarray, outcome: str) -> float:
    """The planted latent effect on the outcome's per-response code, derived by hand.

    NPS = round(7 + 1.8 L) with L ~ N(m, 1): promoter when L > 0.8333, detractor when
    L <= -0.2778, so d E[code] / dm = 100 (phi(0.8333 - m) + phi(-0.2778 - m)). CSAT top-2 when
    L + N(0, 0.6) > -0.1, so d E[code] / dm = 100 phi((m + 0.1) / s) / s with s^2 = 1.36.
    """
    m = latent_mean
    if outcome == "nps":
        slope = 100 * (stats.norm.pdf(0.8333 - m) + stats.norm.pdf(-0.2778 - m))
    else:
        s = np.sqrt(1.36)
        slope = 100 * stats.norm.pdf((m + 0.1) / s) / s
    return float(sample.ENGAGEMENT_EFFECT * slope.mean())


@pytest.mark.parametrize("client", [c.slug for c in sample.CLIENTS])
@pytest.mark.parametrize("outcome", ["nps", "csat_top2"])
def test_planted_engagement_effect_lies_within_the_interval(sample_study, generated_sample,
                                                              client, outcome):
    _, truth = generated_sample
    study = sample_study(client, "2026Q3")
    team_ex, _ = linkage_inputs(study)
    responses = _team_responses(study)
    # With the true team engagement, the model's interval must cover the planted effect.
    true_ex = truth["team_engagement"].query("client == @client").merge(
        team_ex[["team", "quarter"]], on=["team", "quarter"])
    fit = linkage.ex_cx_linkage(true_ex, responses, "engagement", outcome, lag=1)
    paired = responses.merge(true_ex.assign(quarter=[periods.shift(q, 1) for q in
                                                     true_ex["quarter"]])[["team", "quarter"]],
                             on=["team", "quarter"])
    paired = paired[paired[linkage.outcome_column(outcome)].notna()]
    latent = paired.merge(truth["response_latent"], on=["client", "response_id"])["latent_mean"]
    assert fit.ci[0] < _implied_effect(latent.to_numpy(), outcome) < fit.ci[1]


@pytest.mark.parametrize("client", ["northwind", "bluebird", "evergreen"])
def test_measured_engagement_predicts_next_quarter_nps(sample_study, client):
    frame = linkage_frame(sample_study(client, "2026Q3")).set_index(
        ["predictor", "outcome", "lag"])
    head = frame.loc[("engagement", "nps", 1)]
    assert head["status"] == "estimated"
    assert head["ci_low"] > 0
    # The planted effect acts on the next quarter: the same-quarter link is weaker.
    assert frame.loc[("engagement", "nps", 0), "effect"] < head["effect"]


def _toy(n_teams: int, quarters=("2025Q1", "2025Q2", "2025Q3"), constant=False):
    rng = np.random.default_rng(0)
    teams = [f"T{i}" for i in range(n_teams)]
    ex = pd.DataFrame([{"team": t, "quarter": q, "engagement": 3.0 if constant else rng.normal(3.5, .4)}
                       for t in teams for q in quarters])
    responses = pd.DataFrame([{"team": t, "quarter": periods.shift(q, 1), "nps": rng.integers(0, 11)}
                              for t in teams for q in quarters for _ in range(30)])
    return ex, responses


def test_too_few_teams_a_constant_measure_or_no_measure_give_clear_errors():
    with pytest.raises(linkage.LinkageError, match="at least 4 teams"):
        linkage.ex_cx_linkage(*_toy(1), "engagement", "nps", 1)
    with pytest.raises(linkage.LinkageError, match="is the same"):
        linkage.ex_cx_linkage(*_toy(6, constant=True), "engagement", "nps", 1)
    ex, responses = _toy(6)
    with pytest.raises(linkage.LinkageError, match="no eNPS answers"):
        linkage.ex_cx_linkage(ex.assign(enps=np.nan), responses, "enps", "nps", 1)
    fit = linkage.ex_cx_linkage(ex, responses, "engagement", "nps", 1)
    assert np.isfinite(fit.effect) and fit.n_teams == 6


def test_first_quarter_report_says_why_there_is_no_link_yet(sample_study):
    study = sample_study("bluebird", "2024Q4")
    frame = linkage_frame(study)
    assert (frame["status"] != "estimated").any()
    assert "could not be estimated yet" in linkage_summary(study).data


def teams_with_variance(rng: np.random.Generator) -> pd.DataFrame:
    """12 teams of 20 to 120 with a clear team variance: y = 5 + 2.5 x + team + noise."""
    teams = np.repeat(np.arange(12), rng.integers(20, 120, 12))
    x = rng.normal(0, 1, len(teams)) + rng.normal(0, 1, 12)[teams]
    y = 5 + 2.5 * x + rng.normal(0, 3, 12)[teams] + rng.normal(0, 10, len(teams))
    return pd.DataFrame({"x": x, "y": y, "team": teams})


def test_fast_reml_matches_statsmodels_mixedlm():
    """On simulated teams with a clear team variance, the sufficient-statistics REML fit
    gives statsmodels' MixedLM estimates (the reference implementation)."""
    import warnings

    import statsmodels.formula.api as smf

    from cxlab.stats.linkage import random_intercept_reml

    data = teams_with_variance(np.random.default_rng(7))
    x, y, teams = data["x"].to_numpy(), data["y"].to_numpy(), data["team"].to_numpy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        reference = smf.mixedlm("y ~ x", data, groups=data["team"]).fit(reml=True)
    assert reference.converged
    fast = random_intercept_reml(x, y, teams)
    assert fast.slope == pytest.approx(reference.params["x"], rel=1e-5)
    assert fast.intercept == pytest.approx(reference.params["Intercept"], rel=1e-5)
    assert fast.team_variance == pytest.approx(reference.cov_re.iloc[0, 0], rel=1e-3)
    assert fast.residual_variance == pytest.approx(reference.scale, rel=1e-4)
    assert fast.slope_se == pytest.approx(reference.bse["x"], rel=0.01)


@pytest.mark.parametrize("client", ["bluebird", "evergreen"])
def test_fast_reml_reaches_at_least_statsmodels_likelihood(sample_study, client):
    """Where the two disagree on the sample (statsmodels then often reports no convergence),
    the fast fit is the better optimum by statsmodels' own REML likelihood."""
    import warnings

    import statsmodels.formula.api as smf
    from statsmodels.regression.mixed_linear_model import MixedLMParams

    from cxlab.report.linkage import linkage_inputs
    from cxlab.stats.linkage import pair, random_intercept_reml

    study = sample_study(client)
    team_ex, _ = linkage_inputs(study)
    responses = _team_responses(study)
    for outcome in ("nps", "csat_top2"):
        for lag in (0, 1):
            data = pair(team_ex, responses, "engagement", outcome, lag).dropna(subset=["x", "y"])
            data = data.assign(xc=data["x"] - data["x"].mean())
            model = smf.mixedlm("y ~ xc", data, groups=data["team"])
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                reference = model.fit(reml=True)
            fast = random_intercept_reml(data["xc"].to_numpy(float), data["y"].to_numpy(float),
                                         data["team"].to_numpy())

            def loglike(team_variance, scale, model=model):
                params = MixedLMParams.from_components(
                    fe_params=np.zeros(2), cov_re=np.array([[team_variance / scale]]))
                return model.loglike(params, profile_fe=True)

            ratios = (fast.team_variance / fast.residual_variance,
                      reference.cov_re.iloc[0, 0] / reference.scale)
            if min(ratios) < 1e-6:  # no team variance: statsmodels' likelihood is unstable there
                assert max(ratios) < 1e-6
                assert fast.slope == pytest.approx(reference.params["xc"], rel=1e-3)
                continue
            assert loglike(fast.team_variance, fast.residual_variance) >= \
                loglike(reference.cov_re.iloc[0, 0], reference.scale) - 1e-6


def test_outcome_sums_by_hand():
    responses = pd.DataFrame({"team": ["A", "A", "A", "B", "B"],
                              "quarter": ["2026Q1"] * 5, "nps": [10, 6, None, 8, 9]})
    sums = linkage.outcome_sums(responses, "nps").set_index("team")
    assert sums.loc["A", ["n", "sy", "syy"]].tolist() == [2, 0.0, 20000.0]  # +100 and -100
    assert sums.loc["B", ["n", "sy", "syy"]].tolist() == [2, 100.0, 10000.0]  # 0 and +100


def test_icc1_equals_the_anova_estimator_by_hand_and_statsmodels():
    """Equal groups: the REML ICC(1) is the one-way ANOVA (MSB - MSW) / (MSB + (k - 1) MSW),
    and statsmodels' MixedLM without a predictor gives the same variance share."""
    import warnings

    import statsmodels.formula.api as smf

    rng = np.random.default_rng(3)
    groups, k = 15, 6
    g = np.repeat(np.arange(groups), k)
    y = 3.5 + rng.normal(0, 0.4, groups)[g] + rng.normal(0, 0.8, groups * k)
    means = np.array([y[g == j].mean() for j in range(groups)])
    msb = k * ((means - y.mean()) ** 2).sum() / (groups - 1)
    msw = ((y - means[g]) ** 2).sum() / (groups * (k - 1))
    by_hand = (msb - msw) / (msb + (k - 1) * msw)
    assert by_hand > 0
    assert linkage.icc1(y, g) == pytest.approx(by_hand, rel=1e-5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = smf.mixedlm("y ~ 1", pd.DataFrame({"y": y, "g": g}), groups=g).fit(reml=True)
    tau = ref.cov_re.iloc[0, 0]
    assert linkage.icc1(y, g) == pytest.approx(tau / (tau + ref.scale), rel=1e-3)
    # No group differences beyond chance: zero, and a zero-reliability mean.
    flat = np.tile(np.arange(k, dtype=float), groups)
    assert linkage.icc1(flat, g) == pytest.approx(0.0, abs=1e-8)
    assert linkage.mean_reliability(0.0, k) == 0.0


def test_spearman_brown_reliability_by_hand():
    assert linkage.mean_reliability(0.2, 5) == pytest.approx(1.0 / 1.8)
    assert linkage.mean_reliability(1.0, 7) == pytest.approx(1.0)
    assert linkage.mean_reliability(0.1, 1) == pytest.approx(0.1)


def team_quarter_answers(rng: np.random.Generator, teams: int = 10, quarters: int = 4
                         ) -> pd.DataFrame:
    """Answers of teams x quarters with team and team-quarter intercepts: y = 2 x + ... ."""
    team = np.repeat(np.arange(teams), quarters)
    x = rng.normal(0, 0.4, teams)[team] + rng.normal(0, 0.3, teams * quarters)
    cell_mean = 2.0 * x + rng.normal(0, 1.0, teams)[team] + rng.normal(0, 0.8, len(x))
    n = rng.integers(15, 40, len(x))
    cell = np.repeat(np.arange(len(x)), n)
    y = cell_mean[cell] + rng.normal(0, 2.0, len(cell))
    return pd.DataFrame({"y": y, "x": x[cell], "team": team[cell], "tq": cell})


def test_team_quarter_model_matches_statsmodels_nested_mixedlm():
    """The precision-weighted team-quarter fit equals the response-level model with team and
    team-quarter random intercepts (statsmodels MixedLM with a variance component)."""
    import warnings

    import statsmodels.formula.api as smf

    data = team_quarter_answers(np.random.default_rng(11))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = smf.mixedlm("y ~ x", data, groups="team", re_formula="1",
                          vc_formula={"tq": "0 + C(tq)"}).fit(reml=True)
    assert ref.converged
    sums = data.groupby("tq").agg(team=("team", "first"), x=("x", "first"), n=("y", "size"),
                                  sy=("y", "sum"), syy=("y", lambda v: (v**2).sum()))
    fit = linkage.fit(sums.reset_index().rename(columns={"tq": "quarter"}), "engagement",
                      "nps", 1)
    assert fit.effect == pytest.approx(ref.params["x"], rel=1e-3)
    # statsmodels' standard error is from the observed information of all parameters; ours
    # is the GLS one, (X'V^-1 X)^-1 at the same variances (as lme4 and nlme report): close.
    assert fit.se == pytest.approx(ref.bse["x"], rel=0.1)
    assert fit.team_sd**2 == pytest.approx(ref.cov_re.iloc[0, 0], rel=0.02)
    assert fit.team_quarter_sd**2 == pytest.approx(ref.vcomp[0], rel=0.02)


def _null_cells(rng, teams, quarters, tq_sd):
    """Team-quarter sums of NPS answers with no engagement effect, but team-quarter shifts."""
    team = np.repeat(np.arange(teams), quarters)
    x = 3.6 + rng.normal(0, 0.3, teams)[team] + rng.normal(0, 0.2, len(team))
    nps = np.clip(20 + rng.normal(0, 10, teams)[team] + rng.normal(0, tq_sd, len(team)), -65, 65)
    promoter = (0.7 + nps / 100) / 2
    n = rng.poisson(60, len(team)) + 2
    counts = np.array([rng.multinomial(k, [p, 0.3, 0.7 - p])
                       for k, p in zip(n, promoter, strict=True)])
    return pd.DataFrame({"team": team, "quarter": np.tile(np.arange(quarters), teams), "x": x,
                         "n": n.astype(float), "sy": 100.0 * (counts[:, 0] - counts[:, 2]),
                         "syy": 10000.0 * (counts[:, 0] + counts[:, 2])})


def test_type_one_error_holds_with_team_quarter_variation():
    """A small, seeded version of benchmarks/validate_linkage.py: with customer NPS moving
    15 points from quarter to quarter and no engagement effect, the team-quarter model
    rejects about 5% of the time; the team-intercept-only model rejects far more often."""
    from cxlab.stats.linkage import _reml_from_sums

    rng = np.random.default_rng(2026)
    new, old = [], []
    for _ in range(200):
        cells = _null_cells(rng, 8, 4, 15.0)
        new.append(linkage.fit(cells, "engagement", "nps", 1).p_value < 0.05)
        n, x, sy = cells["n"].to_numpy(), cells["x"].to_numpy(), cells["sy"].to_numpy()
        xc = x - (n @ x) / n.sum()
        ri = _reml_from_sums(cells["team"].to_numpy(), n, n * xc, n * xc**2, sy, xc * sy,
                             cells["syy"].to_numpy())
        old.append(2 * stats.norm.sf(abs(ri.slope / ri.slope_se)) < 0.05)
    # 200 runs: the binomial standard error at 0.05 is 0.015.
    assert np.mean(new) <= 0.08
    assert np.mean(old) >= 0.12


def test_summary_follows_the_holm_adjusted_p_value(sample_study):
    study = sample_study("driftwood", "2026Q3")
    head = linkage_frame(study).set_index(["predictor", "outcome", "lag"]).loc[
        ("engagement", "nps", 1)]
    text = linkage_summary(study).data
    if head["p_adj"] < 0.05:
        assert "a clear link" in text
    else:
        assert "no clear link" in text
    assert f"({fmt_p(head['p_adj'], 'Holm')})" in text
    assert "Holm-adjusted" in text and "p=" not in text
    # The attenuation is measured on the client's own data and stated as a share.
    assert f"reliability {head['reliability']:.2f}" in text
    assert f"about {100 * (1 - head['reliability']):.0f}%" in text
    assert head["effect_corrected"] == pytest.approx(head["effect"] / head["reliability"])


def test_report_linkage_is_fast(sample_study):
    import time

    study = sample_study("northwind", "2026Q3")
    start = time.perf_counter()
    linkage_frame(study)
    assert time.perf_counter() - start < 1.5  # about 0.2 s; room for a shared machine


def test_team_quarter_sums_from_the_engines_counts_equal_the_answers_sums():
    """sums_from_counts (NPS bands, a share's successes) gives outcome_sums' n, sy and syy."""
    import ibis

    from cxlab import engine

    rng = np.random.default_rng(8)
    n = 600
    responses = pd.DataFrame({
        "team": rng.choice(["a", "b", "c"], n), "quarter": rng.choice(["2026Q1", "2026Q2"], n),
        "nps": pd.array(rng.integers(0, 11, n), dtype="Int64"),
        "csat": pd.array(rng.integers(1, 6, n), dtype="Int64")})
    responses.loc[::7, "nps"] = pd.NA
    responses.loc[::5, "csat"] = pd.NA
    counts = engine.measure_sums(ibis.memtable(responses), ["team", "quarter"],
                                 list(linkage.OUTCOMES))
    for outcome in linkage.OUTCOMES:
        want = linkage.outcome_sums(responses, outcome).sort_values(["team", "quarter"],
                                                                    ignore_index=True)
        got = linkage.sums_from_counts(counts, outcome)
        pd.testing.assert_frame_equal(got, want, check_dtype=False)
