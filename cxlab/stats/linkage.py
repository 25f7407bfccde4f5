"""EX -> CX linkage: does a team's employee experience predict its customers' experience?

Each customer response served by a team is paired with that team's employee measure in the
same quarter (lag 0) or the quarter before (lag 1: engagement now, customers next quarter).
The customer outcome is coded per response so that its mean is the reported metric:
NPS as +100 / 0 / -100 for promoters / passives / detractors, CSAT as 100 for a 4-5 and 0
otherwise. A linear mixed model with a random intercept per team,

    outcome_ij = b0 + b1 * (team measure_j,q - mean) + u_team + e_ij,

gives the effect ``b1`` in outcome points per unit of the employee measure, with a Wald
interval. The random intercept keeps a few large teams from passing for many independent
observations and separates stable team differences from the effect.

The model is fitted by REML from per-team sums (:func:`random_intercept_reml`), which gives
the same estimates as statsmodels' MixedLM (the tests compare them) about a hundred times
faster: the likelihood of a random-intercept model depends on the data only through each
team's counts, sums, sums of squares and cross-products. Since the team measure is the same
for every response of a team-quarter, those come from per team-quarter counts and sums of
the outcome codes (:func:`outcome_sums`), without pairing the responses one by one.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from cxlab import periods
from cxlab.metrics import normal_inference

#: Fewest teams, and team-quarters, for a team-level effect to be estimated at all.
MIN_TEAMS = 4
MIN_TEAM_QUARTERS = 6


class LinkageError(ValueError):
    """The data cannot support the linkage model; the message says what was found."""


@dataclass(frozen=True)
class Linkage:
    """One fitted EX -> CX link.

    Attributes:
        predictor: Team-level employee measure (``engagement`` or ``enps``).
        outcome: Customer outcome (``nps`` or ``csat_top2``), in points.
        lag: 0 for the same quarter, 1 for the next quarter's customers.
        effect: Outcome points per unit of the predictor.
        se, ci, p_value: Its standard error, Wald interval and two-sided p-value.
        n_responses, n_teams, n_team_quarters: Data behind it.
        team_sd: Standard deviation of the team random intercepts.
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


def code_outcome(values: pd.Series, outcome: str) -> pd.Series:
    """Per-response codes whose mean is the metric: NPS -100/0/100, CSAT top-2 0/100."""
    v = pd.to_numeric(values, errors="coerce")
    if outcome == "nps":
        return 100.0 * ((v >= 9).astype(float) - (v <= 6).astype(float)).where(v.notna())
    if outcome == "csat_top2":
        return 100.0 * (v >= 4).astype(float).where(v.notna())
    raise LinkageError(f"unknown outcome {outcome!r}; expected 'nps' or 'csat_top2'")


def lagged_measure(team_ex: pd.DataFrame, predictor: str, lag: int) -> pd.DataFrame:
    """The team's measure ``x`` by the quarter of the customers it is paired with.

    That is ``lag`` quarters after the survey; ``team_ex`` has columns team, quarter and the
    predictor.
    """
    if lag not in (0, 1):
        raise LinkageError(f"lag must be 0 or 1, got {lag!r}")
    if predictor not in team_ex or team_ex[predictor].notna().sum() == 0:
        raise LinkageError(f"no {predictor} answers in the employee surveys to date")
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
    """The customer_responses column behind an outcome."""
    return {"nps": "nps", "csat_top2": "csat"}[outcome]


def outcome_sums(responses: pd.DataFrame, outcome: str) -> pd.DataFrame:
    """Per team and quarter: the coded answers' count ``n``, sum ``sy`` and sum of squares ``syy``.

    The codes are those of :func:`code_outcome`.
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
        "syy": np.bincount(cell_of_row, y * y)})


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
        raise LinkageError(f"no team yet has an employee survey with {predictor} {when} "
                           "customer answers")
    if n_teams < MIN_TEAMS or n_tq < MIN_TEAM_QUARTERS:
        raise LinkageError(
            f"{n_teams} team(s) in {n_tq} team-quarter(s) have both the employee measure and "
            f"customer responses; the model needs at least {MIN_TEAMS} teams and "
            f"{MIN_TEAM_QUARTERS} team-quarters")
    if cells["x"].nunique() < 2:
        raise LinkageError(f"the team {predictor} is the same ({cells['x'].iloc[0]:g}) for "
                           "every team-quarter, so its effect cannot be estimated")
    n, sy = cells["n"].to_numpy(float), cells["sy"].to_numpy(float)
    x = cells["x"].to_numpy(float)
    xc = x - (n @ x) / n.sum()  # centred over responses, as the response-level model is
    codes, _ = pd.factorize(cells["team"])
    fitted = _reml_from_sums(codes, n, n * xc, n * xc**2, sy, xc * sy,
                             cells["syy"].to_numpy(float))
    effect, se = fitted.slope, fitted.slope_se
    if not (np.isfinite(effect) and np.isfinite(se)):
        raise LinkageError("the mixed model did not converge to a usable estimate")
    low, high, p_value = normal_inference(effect, se, confidence)
    return Linkage(predictor, outcome, lag, effect, se, (low, high), p_value, int(n.sum()),
                   n_teams, n_tq, float(np.sqrt(fitted.team_variance)))


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

    def solve(lam: float):
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
        outcome: ``nps`` or ``csat_top2``.
        lag: 0 (same quarter) or 1 (next quarter).
    """
    return fit(pair_sums(team_ex, outcome_sums(responses, outcome), predictor, lag), predictor,
               outcome, lag)


def team_experience(employee_responses: pd.DataFrame, items: list[str]) -> pd.DataFrame:
    """Per team and quarter: engagement, eNPS and the number of respondents.

    Engagement is the mean over respondents of their mean item score; ``employee_responses``
    needs a ``quarter`` column.
    """
    from cxlab import metrics

    frame = employee_responses.copy()
    frame["engagement"] = frame[items].apply(pd.to_numeric, errors="coerce").mean(axis=1)
    grouped = frame.groupby(["team", "quarter"], sort=True)
    out = grouped.agg(engagement=("engagement", "mean"), n=("engagement", "count")).reset_index()
    enps = metrics.grouped(frame, "enps", ["team", "quarter"])
    enps = enps.loc[enps["n"] > 0, ["team", "quarter", "value"]].rename(columns={"value": "enps"})
    return out.merge(enps, on=["team", "quarter"], how="left")
