"""EX -> CX linkage: does a team's employee experience predict its customers' experience?

Each customer response served by a team is paired with that team's employee measure in the
same quarter (lag 0) or the quarter before (lag 1: engagement now, customers next quarter).
The customer outcome is coded per response so that its mean is the reported metric:
NPS as +100 / 0 / -100 for promoters / passives / detractors, CSAT as 100 for a 4-5 and 0
otherwise. The employee measure is one number per team-quarter, so the model is one of
team-quarters: a linear mixed model with a random intercept per team and one per team-quarter,

    outcome_ijq = b0 + b1 * (team measure_j,q - mean) + u_j + v_jq + e_ijq,

gives the effect ``b1`` in outcome points per unit of the employee measure, with a Wald
interval. The team-quarter term ``v`` matters: customers' scores move from quarter to quarter
for reasons shared by all of a team's customers, and without it the standard error would
come from the thousands of responses instead of the few dozen team-quarters that carry the
predictor (in simulation the type-I error was then 0.12-0.26 at a nominal 0.05).

Because the predictor is constant within a team-quarter, the model reduces exactly to the
team-quarter means ``ybar_jq`` with known sampling variance ``s2 / n_jq`` (``s2`` the pooled
within-team-quarter variance of the codes), regressed on the predictor with a team random
intercept and a residual team-quarter variance, both fitted by REML
(:func:`team_quarter_reml`). Everything it needs comes from per team-quarter counts, sums and
sums of squares of the outcome codes (:func:`outcome_sums`), so no response is paired one by
one. The interval and p-value use Student's t with the smaller of (team-quarters - 2) and
(teams + 2) degrees of freedom, a calibration that holds the type-I error near the nominal
level from 4 teams on (``benchmarks/validate_linkage.py``).

Team means of the predictor are themselves measured with error (a few respondents each),
which pulls the slope towards zero by the reliability of those means. :func:`icc1` gives the
predictor's ICC(1) from a random-intercept model without a predictor, and
:func:`mean_reliability` the Spearman-Brown reliability of a mean of ``k`` respondents; the
corrected slope is the raw one divided by that reliability.

:func:`random_intercept_reml` (one random intercept, response-level data, REML from per-group
sums) is the earlier model; it stays for the published-reference tests and as a building block.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cxlab import measures, periods
from cxlab.errors import CxlabError
from cxlab.metrics import _OneRow

#: Fewest teams, and team-quarters, for a team-level effect to be estimated at all.
MIN_TEAMS = 4
MIN_TEAM_QUARTERS = 6


class LinkageError(CxlabError, ValueError):
    """The data cannot support the linkage model; the message says what was found."""


@dataclass(frozen=True)
class Linkage(_OneRow):
    """One fitted EX -> CX link.

    Attributes:
        predictor: Team-level employee measure (``engagement`` or ``enps``).
        outcome: Customer outcome (``nps`` or ``csat_top2``), in points.
        lag: 0 for the same quarter, 1 for the next quarter's customers.
        effect: Outcome points per unit of the predictor.
        se, ci, p_value: Its standard error, Wald interval and two-sided p-value.
        n_responses, n_teams, n_team_quarters: Data behind it.
        team_sd: Standard deviation of the team random intercepts (outcome points).
        team_quarter_sd: Standard deviation of the team-quarter random intercepts.
        df: Degrees of freedom of the t interval and p-value: the smaller of
            team-quarters - 2 and teams + 2.
        confidence: Confidence level of ``ci``.
    """

    predictor: str
    outcome: str
    lag: int
    effect: float
    se: float
    ci: tuple[float, float]
    p_value: float
    n_responses: int
    n_teams: int
    n_team_quarters: int
    team_sd: float
    team_quarter_sd: float = float("nan")
    df: int = 0
    confidence: float = 0.95

    def _words(self) -> str:
        """``engagement -> NPS, next quarter``: the link as a reader names it."""
        when = "next quarter" if self.lag else "same quarter"
        return f"{words(self.predictor)} -> {words(self.outcome)}, {when}"

    def _effect(self) -> str:
        return (f"{self.effect:+.3g} {words(self.outcome)} points per point of "
                f"{words(self.predictor)}")

    def _data(self) -> str:
        return (f"{self.n_responses:,} customer answers, {self.n_teams} teams, "
                f"{self.n_team_quarters} team-quarters")

    def __str__(self) -> str:
        low, high = self.ci
        return (f"{self._words()}: {self._effect()} ({self.confidence:.0%} CI {low:+.3g} to "
                f"{high:+.3g}), p = {self.p_value:.3g}; {self._data()}")

    def __repr__(self) -> str:
        return f"<Linkage {self}>"

    def to_dict(self) -> dict:
        """The link as plain values, the interval as two numbers (for a table or JSON)."""
        return {"predictor": self.predictor, "outcome": self.outcome, "lag": self.lag,
                "effect": self.effect, "se": self.se, "ci_low": self.ci[0],
                "ci_high": self.ci[1], "p_value": self.p_value, "df": self.df,
                "confidence": self.confidence, "n_responses": self.n_responses,
                "n_teams": self.n_teams, "n_team_quarters": self.n_team_quarters,
                "team_sd": self.team_sd, "team_quarter_sd": self.team_quarter_sd}

    def _repr_html_(self) -> str:
        from cxlab.metrics import _result_html

        low, high = self.ci
        return _result_html(f"{self._words()}: {self._effect()}", [
            (f"{self.confidence:.0%} interval", f"{low:+.3g} to {high:+.3g}"),
            ("p-value", f"{self.p_value:.3g} (t, {self.df} degrees of freedom)"),
            ("data", self._data()),
            ("spread of teams", f"{self.team_sd:.3g} points between teams, "
                                f"{self.team_quarter_sd:.3g} between a team's quarters")])


def words(name: str) -> str:
    """A predictor or an outcome as a reader names it: eNPS, CSAT top-2, engagement.

    The registry's short label for a measure, any other name in words.
    """
    m = measures.find(name)
    return m.short if m is not None else measures.words(name)


#: Customer outcomes the linkage models (registry names): the share is coded in points.
OUTCOMES = ("nps", "csat_top2")


def code_outcome(values: pd.Series, outcome: str) -> pd.Series:
    """Per-response codes whose mean is the metric, in points: NPS -100/0/100, CSAT top-2 0/100.

    The codes are the registry's scores (:func:`cxlab.measures.scores`), a share's times 100.
    """
    return points(values, _outcome(outcome))


def points(values: pd.Series, measure: measures.Measure | str) -> pd.Series:
    """Per-answer scores in points whose mean is the measure: NPS -100/0/100, a share 0/100."""
    m = measures.get(measure) if isinstance(measure, str) else measure
    scores = measures.scores(pd.to_numeric(values, errors="coerce").astype(float), m)
    return pd.Series(scores * (1.0 if m.kind == "nps" else 100.0), index=values.index)


def _outcome(outcome: str) -> measures.Measure:
    """The registry's measure of a customer outcome (a name, or a column such as ``csat``)."""
    m = measures.find(outcome)
    if m is None or m.name not in OUTCOMES:
        raise LinkageError(f"unknown outcome {outcome!r}; expected one of {list(OUTCOMES)}")
    return m


def lagged_measure(team_ex: pd.DataFrame, predictor: str, lag: int) -> pd.DataFrame:
    """The team's measure ``x`` by the quarter of the customers it is paired with.

    That is ``lag`` quarters after the survey; ``team_ex`` has columns team, quarter and the
    predictor.
    """
    if lag not in (0, 1):
        raise LinkageError(f"lag must be 0 or 1, got {lag!r}")
    if predictor not in team_ex or team_ex[predictor].notna().sum() == 0:
        raise LinkageError(f"no {words(predictor)} answers in the employee surveys "
                           "to date")
    ex = team_ex[["team", "quarter", predictor]].dropna()
    return ex.assign(quarter=[periods.shift(q, lag) for q in ex["quarter"]]).rename(
        columns={predictor: "x"})


def pair(team_ex: pd.DataFrame, responses: pd.DataFrame, predictor: str, outcome: str,
         lag: int) -> pd.DataFrame:
    """The model's data, one row per response: team, quarter, outcome code ``y``.

    Each response comes with its team's measure ``x``, taken ``lag`` quarters earlier.
    """
    cx = responses[["team", "quarter"]].copy()
    cx["y"] = code_outcome(responses[outcome_column(outcome)], outcome)
    return cx.dropna(subset=["y"]).merge(lagged_measure(team_ex, predictor, lag),
                                         on=["team", "quarter"], how="inner")


def outcome_column(outcome: str) -> str:
    """The customer_responses column behind an outcome (the registry's)."""
    return _outcome(outcome).column


def outcome_sums(responses: pd.DataFrame, outcome: str) -> pd.DataFrame:
    """Per team and quarter: the coded answers' count ``n``, sum ``sy`` and sum of squares ``syy``.

    The codes are those of :func:`code_outcome`; rows are sorted by team and quarter.
    """
    y = code_outcome(responses[outcome_column(outcome)], outcome).to_numpy(float)
    team, teams = pd.factorize(responses["team"])
    quarter, quarters = pd.factorize(responses["quarter"])
    kept = ~np.isnan(y) & (team >= 0) & (quarter >= 0)
    cell, cell_of_row = np.unique(team[kept] * len(quarters) + quarter[kept],
                                  return_inverse=True)
    y = y[kept]
    return pd.DataFrame({
        "team": teams[cell // len(quarters)], "quarter": quarters[cell % len(quarters)],
        "n": np.bincount(cell_of_row), "sy": np.bincount(cell_of_row, y),
        "syy": np.bincount(cell_of_row, y * y)}).sort_values(["team", "quarter"],
                                                             ignore_index=True)


def sums_from_counts(counts: pd.DataFrame, outcome: str) -> pd.DataFrame:
    """:func:`outcome_sums` from the outcome's counts per team and quarter.

    ``counts`` are :func:`cxlab.engine.measure_sums` by team and quarter: NPS bands or a
    share's successes, so the codes' sums follow (a code is -100, 0 or 100 points).
    """
    m = _outcome(outcome)
    cells = counts.reset_index()
    if m.kind == "nps":
        up, down = cells[f"{m.name}_promoters"], cells[f"{m.name}_detractors"]
    else:
        up, down = cells[f"{m.name}_k"], 0
    out = pd.DataFrame({"team": cells["team"], "quarter": cells["quarter"],
                        "n": cells[f"{m.name}_n"].astype(int),
                        "sy": 100.0 * (up - down), "syy": 10_000.0 * (up + down)})
    return out[out["n"] > 0].reset_index(drop=True)


def pair_sums(team_ex: pd.DataFrame, sums: pd.DataFrame, predictor: str, lag: int
              ) -> pd.DataFrame:
    """:func:`pair`'s rows summed per team-quarter.

    The outcome sums of :func:`outcome_sums`, with the team's measure ``x`` taken ``lag``
    quarters earlier.
    """
    return sums.merge(lagged_measure(team_ex, predictor, lag), on=["team", "quarter"],
                      how="inner")


def fit(cells: pd.DataFrame, predictor: str, outcome: str, lag: int,
        confidence: float = 0.95) -> Linkage:
    """Fit the random-intercept model to team-quarters, as from :func:`pair_sums`.

    The columns are team, quarter, x, n, sy and syy. ``predictor``, ``outcome`` and ``lag``
    label the result and its messages.
    """
    cells = cells[cells["n"] > 0].dropna(subset=["x"])
    n_teams = cells["team"].nunique()
    n_tq = len(cells)
    if n_tq == 0:
        when = "followed by a quarter of" if lag else "in the same quarter as"
        raise LinkageError(f"no team yet has an employee survey with "
                           f"{words(predictor)} {when} customer answers")
    if n_teams < MIN_TEAMS or n_tq < MIN_TEAM_QUARTERS:
        raise LinkageError(
            f"{n_teams} team(s) in {n_tq} team-quarter(s) have both the employee measure and "
            f"customer responses; the model needs at least {MIN_TEAMS} teams and "
            f"{MIN_TEAM_QUARTERS} team-quarters")
    if cells["x"].nunique() < 2:
        raise LinkageError(f"the team {words(predictor)} is the same "
                           f"({cells['x'].iloc[0]:g}) for every team-quarter, so its effect "
                           "cannot be estimated")
    n, sy = cells["n"].to_numpy(float), cells["sy"].to_numpy(float)
    syy = cells["syy"].to_numpy(float)
    x = cells["x"].to_numpy(float)
    xc = x - (n @ x) / n.sum()  # centred over responses
    big_n = n.sum()
    if big_n <= n_tq:
        raise LinkageError("every team-quarter has a single customer answer, so the "
                           "answer-to-answer variation cannot be told from the team's")
    # Pooled variance of the codes within team-quarters: each mean's sampling variance.
    within = float(max((syy - sy**2 / n).sum(), 0.0) / (big_n - n_tq))
    if within <= 0:
        within = 1e-6  # identical answers within every team-quarter
    codes, _ = pd.factorize(cells["team"])
    fitted = team_quarter_reml(xc, sy / n, within / n, codes)
    effect, se = fitted.slope, fitted.slope_se
    if not (np.isfinite(effect) and np.isfinite(se)) or se <= 0:
        raise LinkageError("the mixed model did not converge to a usable estimate")
    # Few teams make the REML variances, and so the standard error, too small; t with at
    # most teams + 2 degrees of freedom holds the type-I error near 0.05 from 4 teams on
    # (chosen by simulation: benchmarks/validate_linkage.py).
    df = int(min(n_tq - 2, n_teams + 2))
    low, high, p_value = t_inference(effect, se, df, confidence)
    return Linkage(predictor, outcome, lag, effect, se, (low, high), p_value, int(big_n),
                   n_teams, n_tq, float(np.sqrt(fitted.team_variance)),
                   float(np.sqrt(fitted.residual_variance)), df, confidence)


def t_inference(effect: float, se: float, df: int, confidence: float = 0.95
                ) -> tuple[float, float, float]:
    """``(ci_low, ci_high, p_value)`` of an estimate with a t sampling distribution."""
    from scipy import stats

    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1 (exclusive), got {confidence!r}")
    t = float(stats.t.ppf(0.5 + confidence / 2, df))
    return effect - t * se, effect + t * se, float(2 * stats.t.sf(abs(effect / se), df))


def team_quarter_reml(x: np.ndarray, means: np.ndarray, sampling_var: np.ndarray,
                      groups: np.ndarray) -> RandomIntercept:
    """REML fit of cell means with known sampling variances, a group intercept and a residual.

    ``means_c = b0 + b1 x_c + u_group + v_c + error_c`` with ``u ~ N(0, su2)``,
    ``v ~ N(0, tau2)`` and ``error_c ~ N(0, sampling_var_c)`` known. Per group the covariance is
    ``D + su2 11'`` with ``D = diag(tau2 + sampling_var)``, whose inverse is
    ``D^-1 - c w w'`` (``w = 1/diag(D)``, ``c = su2 / (1 + su2 sum w)``), so the criterion

        log det V + log det(X'V^-1 X) + r'V^-1 r

    needs only per-group weighted sums. It is minimized (Nelder-Mead) over the two standard
    deviations, each of which may reach zero. ``team_variance`` is ``su2`` and
    ``residual_variance`` is ``tau2``; the slope's standard error is from ``(X'V^-1 X)^-1``.
    """
    from scipy import optimize

    x, y, v = (np.asarray(a, float) for a in (x, means, sampling_var))
    codes, _ = pd.factorize(np.asarray(groups))
    n_groups = codes.max() + 1

    def parts(su2: float, tau2: float) -> tuple:
        w = 1.0 / (tau2 + v)
        wx = w * x
        gw, gwx, gwy = (np.bincount(codes, a, n_groups) for a in (w, wx, w * y))
        c = su2 / (1.0 + su2 * gw)
        # X'V^-1 X = [[p, q], [q, r]] and X'V^-1 y = [f, g], written out (2 x 2).
        p = w.sum() - (c * gw * gw).sum()
        q = wx.sum() - (c * gw * gwx).sum()
        r = (wx * x).sum() - (c * gwx * gwx).sum()
        f = (w * y).sum() - (c * gw * gwy).sum()
        g = (wx * y).sum() - (c * gwx * gwy).sum()
        yvy = (w * y * y).sum() - (c * gwy * gwy).sum()
        det = p * r - q * q
        b0, b1 = (r * f - q * g) / det, (p * g - q * f) / det
        logdet_v = -np.log(w).sum() + np.log1p(su2 * gw).sum()
        return (b0, b1, p / det), logdet_v + np.log(det) + yvy - b0 * f - b1 * g

    scale = float(np.std(y)) or 1.0

    def criterion(sds: np.ndarray) -> float:
        # Standard deviations enter squared, so the search is unconstrained and zero is
        # reachable.
        return parts(sds[0] ** 2, sds[1] ** 2)[1]

    best = optimize.minimize(criterion, np.array([0.3, 0.3]) * scale, method="Nelder-Mead",
                             options={"xatol": 1e-4 * scale, "fatol": 1e-9})
    su2, tau2 = (float(s) ** 2 for s in best.x)
    (b0, b1, slope_var), _ = parts(su2, tau2)
    return RandomIntercept(float(b0), float(b1), float(np.sqrt(slope_var)), su2, tau2)


def icc1(values: np.ndarray, groups: np.ndarray) -> float:
    """ICC(1): share of a measure's variance between groups, from a model without a predictor.

    REML fit of ``value = b0 + u_group + e`` (the same profiled criterion as
    :func:`random_intercept_reml`, with the intercept alone); the result is
    ``var(u) / (var(u) + var(e))``, zero when the groups differ no more than chance allows.
    With equal group sizes and a positive estimate it equals the one-way ANOVA estimator
    ``(MSB - MSW) / (MSB + (k - 1) MSW)``.
    """
    from scipy import optimize

    y = np.asarray(values, float)
    keep = ~np.isnan(y)
    codes, _ = pd.factorize(np.asarray(groups)[keep])
    y = y[keep]
    if codes.size < 3 or codes.max() < 1:
        return float("nan")
    gn, gs = np.bincount(codes).astype(float), np.bincount(codes, y)
    big_n, total, yty = float(len(y)), y.sum(), (y * y).sum()

    def solve(lam: float) -> tuple:
        c = lam / (1 + gn * lam)
        xhx = big_n - (c * gn**2).sum()
        xhy = total - (c * gn * gs).sum()
        beta = xhy / xhx
        return beta, yty - (c * gs**2).sum() - beta * xhy, xhx

    def criterion(log_lam: float) -> float:
        lam = np.exp(log_lam)
        _, rss, xhx = solve(lam)
        return (big_n - 1) * np.log(rss / (big_n - 1)) + np.log1p(gn * lam).sum() + np.log(xhx)

    best = optimize.minimize_scalar(criterion, bounds=(-25.0, 12.0), method="bounded",
                                    options={"xatol": 1e-10})
    if criterion(-25.0) <= best.fun:
        return 0.0
    lam = float(np.exp(best.x))
    return lam / (1 + lam)


def mean_reliability(icc: float, k: float) -> float:
    """Spearman-Brown reliability of a mean of ``k`` respondents: ICC k / (1 + (k - 1) ICC)."""
    return float(icc * k / (1 + (k - 1) * icc)) if icc > 0 else 0.0


def respondent_scores(employee_responses: pd.DataFrame, items: list[str], predictor: str
                      ) -> pd.Series:
    """Each respondent's contribution to a team measure: mean item score, or eNPS code."""
    if predictor == "engagement":
        return employee_responses[items].apply(pd.to_numeric, errors="coerce").mean(axis=1)
    if predictor == "enps":
        return points(employee_responses["enps"], "enps")
    raise LinkageError(f"unknown predictor {predictor!r}; expected 'engagement' or 'enps'")


def predictor_reliability(employee_responses: pd.DataFrame, items: list[str], predictor: str
                          ) -> tuple[float, float, float]:
    """``(ICC(1), mean respondents per team-quarter, reliability of a team-quarter mean)``.

    The ICC is over team-quarters (the unit the measure is reported for).
    """
    scores = respondent_scores(employee_responses, items, predictor)
    cell = employee_responses["team"].astype(str) + "|" + employee_responses["quarter"].astype(str)
    kept = scores.notna().to_numpy()
    icc = icc1(scores.to_numpy(float)[kept], cell.to_numpy()[kept])
    k = float(pd.Series(cell.to_numpy()[kept]).value_counts().mean()) if kept.any() else np.nan
    return icc, k, mean_reliability(icc, k) if np.isfinite(icc) else float("nan")


@dataclass(frozen=True)
class RandomIntercept:
    """REML fit of ``y = b0 + b1 x + u_group + e``: estimates, and the slope's standard error."""

    intercept: float
    slope: float
    slope_se: float
    team_variance: float
    residual_variance: float


def random_intercept_reml(x: np.ndarray, y: np.ndarray, groups: np.ndarray) -> RandomIntercept:
    """Fit a random-intercept linear model by REML, from per-group sufficient statistics.

    With ``lam`` = team variance / residual variance, a group of ``n`` has covariance
    ``s2 (I + lam 11')``, whose inverse is ``(I - c 11') / s2`` with ``c = lam / (1 + n lam)``.
    So ``X'V^-1 X``, ``X'V^-1 y`` and ``y'V^-1 y`` are sums over groups of counts, sums and
    cross-products, and the REML criterion, profiled over ``s2``,

        (N - p) log(RSS / (N - p)) + sum log(1 + n lam) + log det(X'V^-1 X) * s2,

    is minimized over ``lam >= 0`` in one dimension. The slope's standard error is from
    ``s2 (X'V^-1 X)^-1``, as for any generalized least squares fit.
    """
    codes, _ = pd.factorize(groups)
    ones = np.ones(len(y))
    return _reml_from_sums(codes, ones, x, x * x, y, x * y, y * y)


def _reml_from_sums(codes: np.ndarray, n: np.ndarray, sx: np.ndarray, sxx: np.ndarray,
                    sy: np.ndarray, sxy: np.ndarray, syy: np.ndarray) -> RandomIntercept:
    """:func:`random_intercept_reml` from sums over cells, with each cell's group code.

    A cell is one response, or all responses of a team-quarter (they share x); its sums are
    the count and the sums of x, x^2, y, xy and y^2.
    """
    from scipy import optimize

    group_n, group_sx, group_sy = (np.bincount(codes, v) for v in (n, sx, sy))
    a = np.stack([group_n, group_sx], axis=1)  # X_j' 1 per group, X = [1, x]
    xtx = np.array([[n.sum(), sx.sum()], [sx.sum(), sxx.sum()]])
    xty = np.array([sy.sum(), sxy.sum()])
    yty, big_n, p = syy.sum(), n.sum(), 2

    def solve(lam: float) -> tuple:
        c = lam / (1 + group_n * lam)
        xhx = xtx - (a * c[:, None]).T @ a
        xhy = xty - (a * (c * group_sy)[:, None]).sum(axis=0)
        beta = np.linalg.solve(xhx, xhy)
        rss = yty - (c * group_sy**2).sum() - beta @ xhy
        return beta, rss, xhx

    def criterion(log_lam: float) -> float:
        lam = np.exp(log_lam)
        _, rss, xhx = solve(lam)
        return ((big_n - p) * np.log(rss / (big_n - p)) + np.log1p(group_n * lam).sum()
                + np.linalg.slogdet(xhx)[1])

    best = optimize.minimize_scalar(criterion, bounds=(-25.0, 12.0), method="bounded",
                                    options={"xatol": 1e-10})
    lam = float(np.exp(best.x))
    if criterion(-25.0) <= best.fun:  # the boundary: no team variance at all
        lam = float(np.exp(-25.0))
    beta, rss, xhx = solve(lam)
    s2 = rss / (big_n - p)
    cov = s2 * np.linalg.inv(xhx)
    return RandomIntercept(float(beta[0]), float(beta[1]), float(np.sqrt(cov[1, 1])),
                           lam * s2, float(s2))


def ex_cx_linkage(team_ex: pd.DataFrame, responses: pd.DataFrame, predictor: str = "engagement",
                  outcome: str = "nps", lag: int = 1) -> Linkage:
    """Effect of a team's employee measure on its customers' outcome ``lag`` quarters later.

    Args:
        team_ex: One row per team and quarter with the predictor (see
            :func:`team_experience`).
        responses: Customer responses with ``team`` and ``quarter`` columns.
        predictor: ``engagement`` (mean of the 1-5 items) or ``enps``.
        outcome: ``nps`` or ``csat_top2`` (``csat``, its column, names it too).
        lag: 0 (same quarter) or 1 (next quarter).

    Examples:
        >>> rng = np.random.default_rng(1)
        >>> teams = [f"t{i}" for i in range(12)]
        >>> team_ex = pd.DataFrame({"team": teams * 2, "quarter": ["2026Q1"] * 12 + ["2026Q2"] * 12,
        ...                         "engagement": rng.uniform(2.5, 4.5, 24)})
        >>> answers = team_ex.loc[team_ex.index.repeat(30), ["team", "quarter"]]
        >>> answers["nps"] = rng.integers(0, 11, len(answers))
        >>> ex_cx_linkage(team_ex, answers, lag=0)  # no real link in random data: p is large
        <Linkage engagement -> NPS, same quarter: ... 720 customer answers, 12 teams, 24 team-quarters>
    """
    outcome = _outcome(outcome).name
    return fit(pair_sums(team_ex, outcome_sums(responses, outcome), predictor, lag), predictor,
               outcome, lag)


def team_experience(employee_responses: pd.DataFrame, items: list[str]) -> pd.DataFrame:
    """Per team and quarter: engagement, eNPS and the number of respondents.

    Engagement is the mean over respondents of their mean item score; ``employee_responses``
    needs a ``quarter`` column.

    Examples:
        >>> pulse = pd.DataFrame({"team": ["a", "a", "b", "b"], "quarter": "2026Q1",
        ...                       "q1": [4, 5, 2, 3], "q2": [4, 4, 3, 2], "enps": [9, 10, 6, 7]})
        >>> team_experience(pulse, ["q1", "q2"])
          team quarter  engagement  n   enps
        0    a  2026Q1        4.25  2  100.0
        1    b  2026Q1        2.50  2  -50.0
    """
    from cxlab import metrics

    frame = employee_responses.copy()
    frame["engagement"] = frame[items].apply(pd.to_numeric, errors="coerce").mean(axis=1)
    grouped = frame.groupby(["team", "quarter"], sort=True)
    out = grouped.agg(engagement=("engagement", "mean"), n=("engagement", "count")).reset_index()
    enps = metrics.grouped(frame, "enps", ["team", "quarter"])
    enps = enps.loc[enps["n"] > 0, ["team", "quarter", "value"]].rename(columns={"value": "enps"})
    return out.merge(enps, on=["team", "quarter"], how="left")
