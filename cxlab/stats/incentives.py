"""Incentive alignment audit: does what a plan pays for go with better customer outcomes?

For every rewarded metric with employee-level data, and every CX outcome measured for the same
employees, an ordinary least-squares regression across employees of the outcome on the metric
(standardized) with one intercept per team,

    outcome_i = a_team(i) + b * z(metric)_i + e_i,

gives ``b``: the outcome's change per standard deviation of the metric *within teams*, so that
a team's circumstances (queue, product, manager) do not pass for the metric's effect.
Standard errors are heteroscedasticity-robust (HC3). All p-values in one audit are adjusted
together (Benjamini-Hochberg by default). A metric is then classified:

* **rewards the wrong behaviour**: more of what is paid goes with a significantly worse outcome;
* **aligned**: it is a CX outcome itself, or goes with a significantly better outcome;
* **neutral**: an activity measure with no detectable association either way.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from cxlab import measures
from cxlab.data.schema import INCENTIVE_METRICS
from cxlab.metrics import normal_inference
from cxlab.stats.multiple import adjust_pvalues

#: The CX outcomes measured per employee (columns of ``employee_metrics``, each named by the
#: registry's name of its measure), in the order they are tested.
OUTCOMES = ("csat_top2", "nps", "first_contact_resolution", "repeat_contact_rate",
            "renewal_rate")
#: +1 when higher is better for customers, -1 when lower is: the registry's direction.
OUTCOME_DIRECTION = {outcome: measures.get(outcome).direction for outcome in OUTCOMES}
#: +1 when a plan pays for more of a metric that is not a measure, -1 when it pays for less
#: (shorter, fewer). A plan pays for a measure in the measure's direction.
PAID_DIRECTION = {"average_handle_time": -1, "time_to_hire": -1, "order_error_rate": -1}
#: Fewest employees beyond the number of teams for an association to be estimated.
MIN_EXTRA_EMPLOYEES = 3

ALIGNED, NEUTRAL, WRONG, NOT_ASSESSED = ("aligned", "neutral", "rewards the wrong behaviour",
                                         "not assessed")


def associations(employees: pd.DataFrame, plan: pd.DataFrame, adjust: str = "bh"
                 ) -> pd.DataFrame:
    """Association of each rewarded metric with each CX outcome, within teams.

    Args:
        employees: One row per employee: ``employee_id``, ``team``, ``department`` and one
            column per metric and outcome (NaN where not measured for that employee). An
            outcome's column is named by the registry's name (``csat_top2``); its column's
            name (``csat``) is read too, as the registry reads it.
        plan: Rewarded metrics: ``department`` and ``metric`` columns. A metric that is a
            measure is found as the registry finds it: a plan's ``csat`` is the column
            ``csat_top2``.
        adjust: Multiple-comparison adjustment over all pairs (``"bh"`` or ``"holm"``).

    Returns:
        One row per (metric, outcome) pair tested: ``metric`` as the plan names it,
        ``outcome`` by the registry's name, ``effect`` (outcome units per SD of the
        metric), ``ci_low``, ``ci_high``, ``p_value``, ``p_adj``, ``metric_sd``, ``n``,
        ``n_teams``, and ``favourable`` (True when paying for more of the metric goes with
        better outcomes).

    Examples:
        >>> staff = pd.DataFrame({"employee_id": range(12), "team": ["a"] * 6 + ["b"] * 6,
        ...                       "department": "support", "average_handle_time": [5, 6, 7, 8, 9, 10] * 2,
        ...                       "csat_top2": [.9, .85, .8, .7, .65, .6, .8, .8, .7, .7, .6, .55]})
        >>> plan = pd.DataFrame({"department": ["support"], "metric": ["average_handle_time"]})
        >>> associations(staff, plan)[["metric", "outcome", "effect", "favourable"]].round(3)
                        metric    outcome  effect  favourable
        0  average_handle_time  csat_top2  -0.103        True
    """
    rows = []
    outcomes = {o: _column(employees, o) for o in OUTCOMES}
    for metric, depts in plan.groupby("metric")["department"]:
        column = _column(employees, metric)
        if column is None:
            continue
        paid = employees[employees["department"].isin(set(depts))]
        team, teams = pd.factorize(paid["team"])  # -1 where the team is missing
        if not len(teams):
            continue
        x_all = paid[column].to_numpy(float, na_value=np.nan)
        for outcome, good in OUTCOME_DIRECTION.items():
            if outcomes[outcome] in (None, column):  # not measured, or the metric itself
                continue
            y_all = paid[outcomes[outcome]].to_numpy(float, na_value=np.nan)
            keep = (team >= 0) & ~np.isnan(x_all) & ~np.isnan(y_all)
            # An employee alone in a team says nothing about differences within teams (and
            # would have leverage 1, breaking HC3): such teams are left out.
            sizes = np.bincount(team[keep], minlength=len(teams))
            keep &= sizes[np.maximum(team, 0)] >= 2  # (rows without a team are out already)
            x, y, codes = x_all[keep], y_all[keep], team[keep]
            n_teams = int(np.count_nonzero(sizes >= 2))
            sd = float(x.std(ddof=1)) if len(x) > 1 else np.nan
            if len(x) < n_teams + MIN_EXTRA_EMPLOYEES or not sd > 0:
                continue
            if y.min() == y.max():
                continue
            effect, se = _within_team_slope(codes, (x - x.mean()) / sd, y)
            # HC3 inference is asymptotic (normal), as in statsmodels.
            low, high, p_value = normal_inference(effect, se)
            paid_sign = paid_direction(metric)
            rows.append({
                "metric": metric, "outcome": outcome, "effect": effect,
                "ci_low": low, "ci_high": high, "p_value": p_value, "metric_sd": sd,
                "n": len(x), "n_teams": n_teams,
                "favourable": bool(paid_sign * good * effect > 0),
            })
    out = pd.DataFrame(rows, columns=["metric", "outcome", "effect", "ci_low", "ci_high",
                                      "p_value", "metric_sd", "n", "n_teams", "favourable"])
    out["p_adj"] = adjust_pvalues(out["p_value"].to_numpy(), adjust) if len(out) else []
    out["adjustment"] = adjust
    return out


def _column(employees: pd.DataFrame, name: str) -> str | None:
    """The column of ``employees`` holding the metric or measure ``name``, or None.

    ``name`` itself if it is a column; else, for a measure, the column named by its
    registry name (a plan's ``csat``: ``csat_top2``) or by the column it is the headline
    measure of (an outcome ``csat_top2`` in a frame with ``csat``).
    """
    if name in employees:
        return name
    m = measures.find(name)
    if m is None:
        return None
    for column in (m.name, m.column):
        if column in employees and measures.find(column) is m:
            return column
    return None


def paid_direction(metric: str) -> int:
    """+1 when a plan pays for more of ``metric``, -1 when it pays for less.

    A measure's direction comes from the registry; other metrics from ``PAID_DIRECTION``
    (default +1).
    """
    measure = measures.find(metric)
    return measure.direction if measure else PAID_DIRECTION.get(metric, 1)


def within_team_slope(team: pd.Series, x: pd.Series, y: pd.Series) -> tuple[float, float]:
    """Slope of ``y`` on ``x`` with one intercept per team, and its HC3 standard error.

    The same as an OLS fit of ``y ~ x + C(team)`` with ``cov_type="HC3"``, from team-demeaned
    values: the slope is ``sum(x~ y~) / sum(x~^2)``, the residuals are ``y~ - b x~`` and
    observation i's leverage is ``1/n_team + x~_i^2 / sum(x~^2)``. Teams need two members.
    """
    codes, _ = pd.factorize(team)
    return _within_team_slope(codes, np.asarray(x, float), np.asarray(y, float))


def _within_team_slope(team: np.ndarray, x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """:func:`within_team_slope` on arrays, teams as codes 0..k-1 (the audit's inner loop)."""
    sizes = np.bincount(team)[team]  # per observation: its team's size
    xt = x - np.bincount(team, weights=x)[team] / sizes
    yt = y - np.bincount(team, weights=y)[team] / sizes
    sxx = float(xt @ xt)
    slope = float(xt @ yt) / sxx
    residual = yt - slope * xt
    leverage = 1 / sizes + xt**2 / sxx
    variance = float(np.sum((xt * residual / (1 - leverage)) ** 2)) / sxx**2
    return slope, variance**0.5


def classify(plan: pd.DataFrame, tests: pd.DataFrame, alpha: float = 0.05) -> pd.DataFrame:
    """One verdict per rewarded metric from its association tests.

    Returns ``metric``, ``departments``, ``kind`` (cx or activity), ``verdict`` and the
    number of significant favourable and adverse associations behind it.

    Examples:
        >>> staff = pd.DataFrame({"employee_id": range(12), "team": ["a"] * 6 + ["b"] * 6,
        ...                       "department": "support", "average_handle_time": [5, 6, 7, 8, 9, 10] * 2,
        ...                       "csat_top2": [.9, .85, .8, .7, .65, .6, .8, .8, .7, .7, .6, .55]})
        >>> plan = pd.DataFrame({"department": ["support"], "metric": ["average_handle_time"]})
        >>> classify(plan, associations(staff, plan))[["metric", "verdict", "n_favourable"]]
                        metric  verdict  n_favourable
        0  average_handle_time  aligned             1
    """
    out = []
    for metric, depts in plan.groupby("metric", sort=True)["department"]:
        kind = INCENTIVE_METRICS.get(metric, "activity")
        mine = tests[tests["metric"] == metric]
        significant = mine[mine["p_adj"] < alpha]
        n_bad = int((~significant["favourable"]).sum())
        n_good = int(significant["favourable"].sum())
        if n_bad:
            verdict = WRONG
        elif kind == "cx" or n_good:
            verdict = ALIGNED
        elif len(mine):
            verdict = NEUTRAL
        else:
            verdict = NOT_ASSESSED
        out.append({"metric": metric, "departments": sorted(set(depts)), "kind": kind,
                    "verdict": verdict, "n_tests": len(mine), "n_favourable": n_good,
                    "n_adverse": n_bad})
    return pd.DataFrame(out)

