"""Employee-level CX statistics: per-employee measures, fair scorecards, goals and the audit.

Fairness rules (stated on the methods page):

* every per-employee estimate is shrunk by empirical Bayes towards the client's distribution,
  so a handful of lucky or unlucky contacts neither tops nor sinks anyone;
* nobody is ranked on fewer than ``min_n`` answers (a per-client setting);
* ranks are within the team, among colleagues working under the same conditions;
* names appear only when the client's settings allow it; otherwise a keyed pseudonym
  (see :mod:`cxlab.privacy`).

Each measure's source column, kind, direction and label come from the registry
(:mod:`cxlab.measures`); :mod:`cxlab.report.employees` formats the results.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from cxlab import config, engine, measures, metrics, periods, privacy
from cxlab.stats import hierarchical, incentives, shrinkage

if TYPE_CHECKING:
    from cxlab.study import Study

#: Quarters of data behind the incentive audit (plans are usually annual).
AUDIT_QUARTERS = 4
#: Team size below which goals anchor on the client's distribution instead of the team's.
MIN_TEAM_FOR_GOALS = 4
#: Coverage of the rank intervals shown beside each rank.
RANK_COVERAGE = 0.8


@dataclass(frozen=True)
class EmployeeMetric:
    """A per-employee CX measure on the scorecard: a registry measure, its name the key.

    ``key`` is the measure's name in the registry and the stem of its columns
    (``csat_top2``, ``csat_top2_n``, ``csat_top2_low``, ...).
    """

    key: str
    measure: measures.Measure

    @property
    def label(self) -> str:
        """The measure's label (table headers, notes)."""
        return self.measure.label

    @property
    def direction(self) -> int:
        """+1 when higher is better for customers, -1 when lower is."""
        return self.measure.direction

    @property
    def kind(self) -> str:
        """Display format: ``proportion``, ``nps`` or ``mean``."""
        return self.measure.estimate_kind

    @property
    def model(self) -> str:
        """``rate`` (beta-binomial shrinkage) for a share, else ``mean`` (normal-normal)."""
        return "rate" if self.kind == "proportion" else "mean"

    @property
    def bounds(self) -> tuple[float, float]:
        """The scale: intervals never leave it."""
        return self.measure.bounds


SCORECARD_METRICS = tuple(EmployeeMetric(measures.get(name).name, measures.get(name))
                          for name in config.SCORECARD_MEASURES)
SCORECARD_METRIC = {m.key: m for m in SCORECARD_METRICS}


def show_names(study: Study) -> bool:
    """Whether the client's settings allow employee names in reports (default: no)."""
    return config.setting(study.settings, "show_employee_names")


def employee_labels(study: Study, employee_ids: pd.Series) -> pd.Series:
    """How each employee appears in the report: by name if allowed, else by pseudonym.

    An employee who opted out (``recognition.opt_out``) appears by pseudonym whatever the
    client's settings.
    """
    labels = employee_ids.map(privacy.pseudonyms(study.client, employee_ids.dropna().unique()))
    if show_names(study):
        names = study.tables["employees"].set_index("employee_id")["display_name"]
        named = employee_ids.map(names)
        return named.where(~employee_ids.isin(config.opted_out(study.settings)), labels)
    return labels


# ------------------------------------------------------------------------------------------
# Per-employee measures


#: Handle time per contact: a mean per employee like the registry's, though no CX measure.
HANDLE_TIME = measures.Measure("handle_seconds", "Handle time (seconds)", "handle time",
                               "interactions", "handle_seconds", "mean", (0, math.inf), -1,
                               "seconds", whole=False)
#: A sale that brought referrals (one or more): the share per seller is the referral rate.
REFERRED = measures.Measure("referral_rate", "Accounts with a referral", "referrals",
                            "accounts", "n_referrals", "top-box", (0, math.inf), 1, "share",
                            threshold=1)


def employee_metrics(study: Study, n_quarters: int = 1) -> pd.DataFrame:
    """Every per-employee measure the scorecards and the audit use.

    Interactions and responses come from the ``n_quarters`` quarters ending with the study's;
    account measures from all history up to it (renewals fall due a year after the sale).
    The CX measures (``csat_top2``, ``nps``, ``first_contact_resolution``,
    ``repeat_contact_rate``, ``wait_minutes``, ``renewal_rate``) are the registry's, each in
    a column named by the registry's name: rates come with ``<name>_k`` successes of
    ``<name>_n``; means and NPS with ``<name>_n`` and ``<name>_se``. Measures an employee
    has no data for are NaN (counts 0). The other columns (``calls_per_day``,
    ``new_accounts``, ...) are the activity metrics an incentive plan may pay for.

    Employees are identified by ``employee_id`` and ``label``, how a report shows them
    (:func:`employee_labels`): their name only when the client's settings allow names and
    they did not opt out, else a keyed pseudonym. The roster's ``display_name`` is not here.

    Computed from per-employee counts and sums asked of the engine that holds the rows
    (:func:`cxlab.engine.measure_sums`), so memory holds one row per employee, not the
    quarters' contacts.

    Examples:
        On the sample data, with ``study = cxlab.open_study("cedar", "2026Q3")``:

        >>> metrics = report.employee_metrics(study)
        >>> metrics[["employee_id", "team", "csat_top2_k", "csat_top2_n", "csat_top2"]].head(3)
          employee_id       team  csat_top2_k  csat_top2_n  csat_top2
        0     CE00001  Support 1            9           15   0.600000
        1     CE00002  Support 2           10           17   0.588235
        2     CE00003  Support 1           10           16   0.625000
    """
    roster = study.tables["employees"].set_index("employee_id")
    out = roster[["team", "department", "role"]].copy()
    # Names only where the settings allow them (privacy by default): the report's label.
    out.insert(0, "label", employee_labels(study, out.index.to_series()))
    inter = study.query("interactions", n_quarters)
    keys = ("first_contact_resolution", "repeat_contact_rate", "wait_minutes")
    sums = engine.measure_sums(inter, "employee_id", [HANDLE_TIME, *keys]).reindex(out.index)
    out["n_interactions"] = sums["rows"].fillna(0).astype(int)
    out["average_handle_time"] = sums["handle_seconds_sum"] / sums["handle_seconds_n"]
    for key in keys:
        _add_measure(out, key, sums)
    # Per day worked (days with at least one contact): robust to hires, leavers and leave.
    days = inter.group_by("employee_id").aggregate(
        days=inter["started_at"].truncate("D").nunique()).execute()
    days_worked = days.set_index("employee_id")["days"].reindex(out.index)
    out["calls_per_day"] = (out["n_interactions"] / days_worked).where(out["n_interactions"] > 0)
    out["tickets_closed"] = out["calls_per_day"]

    resp = study.query("customer_responses", n_quarters)
    sums = engine.measure_sums(resp, "employee_id", ["csat_top2", "nps"]).reindex(out.index)
    for key in ("csat_top2", "nps"):
        _add_measure(out, key, sums)

    # Renewals fall due a year after the sale, so the account measures use all history up to
    # the quarter: new accounts per quarter of tenure in the data, renewals of accounts due.
    end = periods.bounds(study.quarter)[1]
    acquired = study.query("accounts", column="acquired_on", end=end)
    n_acq_quarters = max(1, int(engine.quarter_of(acquired["acquired_on"]).nunique().execute()))
    sums = engine.measure_sums(acquired, "sales_owner_id", [REFERRED]).reindex(out.index)
    is_seller = out["department"] == "Sales"
    out["new_accounts"] = sums["rows"].fillna(0).where(is_seller) / n_acq_quarters
    renewals = engine.measure_sums(study.query("accounts", end=end), "sales_owner_id",
                                   ["renewal_rate"]).reindex(out.index)
    _add_measure(out, "renewal_rate", renewals)
    out["referral_rate"] = sums[f"{REFERRED.name}_k"] / sums[f"{REFERRED.name}_n"]
    return out.reset_index()


def _add_measure(out: pd.DataFrame, name: str, sums: pd.DataFrame) -> None:
    """Add the registry measure ``name`` per employee to ``out``, from per-employee sums.

    ``sums`` are :func:`cxlab.engine.measure_sums` on ``out``'s index; the columns are named
    by the registry's name (``<name>``, ``<name>_n``, ...).
    """
    m = measures.get(name)
    key = m.name
    n = sums[f"{m.name}_n"].fillna(0).astype(int)
    if m.kind == "nps":
        counts = [sums[f"{m.name}_{part}"].fillna(0)
                  for part in ("promoters", "passives", "detractors")]
        value, _, low, high = metrics.nps_interval(*counts)
        out[f"{key}_n"] = n
        out[key] = np.where(n > 0, value, np.nan)
        # Adjusted-Wald standard error: positive even when every answer is a promoter.
        out[f"{key}_se"] = np.where(n > 0, (high - low) / (2 * metrics.z_value(0.95)), np.nan)
    elif m.estimate_kind == "proportion":
        out[f"{key}_k"] = sums[f"{m.name}_k"].fillna(0).astype(int)
        out[f"{key}_n"] = n
        out[key] = (out[f"{key}_k"] / n).where(n > 0)
    else:
        out[key] = (sums[f"{m.name}_sum"] / n).where(n > 0)
        out[f"{key}_n"] = n
        sd = np.sqrt(sums[f"{m.name}_ss"] / (n - 1)).where(n > 1)
        out[f"{key}_se"] = sd / np.sqrt(n)


# ------------------------------------------------------------------------------------------
# Scorecards


def scorecard_frame(study: Study, min_n: int | None = None,
                    rank_by: str | None = None) -> pd.DataFrame:
    """Fair scorecards: per employee with data this quarter, each measure raw and shrunk.

    Each measure has its interval; the rank within team is on ``rank_by`` (the registry's
    name of a scorecard measure, or its column or old name, as :func:`cxlab.measures.get`
    takes them; an old name warns), only for employees with at least ``min_n`` answers; and
    each measure has a goal.

    Columns per measure ``m`` (the registry's name, e.g. ``csat_top2``): ``m_n``, ``m_raw``,
    ``m``, ``m_low``, ``m_high``, ``m_goal``; plus ``rank``, ``ranked_in_team`` and ``label``
    (name or pseudonym). ``attrs`` keep ``min_n``, ``rank_by`` (the registry's name),
    ``names_shown``, ``notes`` (measures that could not be shrunk) and ``not_collected`` (the
    names of measures whose column the client's exports did not collect: all NaN, never
    ranked on).

    Examples:
        On the sample data, with ``study = cxlab.open_study("cedar", "2026Q3")`` (as
        ``report.employee_scorecard_frame``):

        >>> frame = report.employee_scorecard_frame(study)
        >>> frame[["team", "csat_top2_n", "csat_top2_raw", "csat_top2", "rank"]].head(3)
            team  csat_top2_n  csat_top2_raw  csat_top2  rank
        0  Sales           11       0.909091   0.763115   1.0
        1  Sales           11       0.727273   0.727572   2.0
        2  Sales           10       0.600000   0.704213   3.0
        >>> frame.attrs["min_n"], frame.attrs["rank_by"]
        (10, 'csat_top2')
    """
    min_n = config.setting(study.settings, "min_n_rank") if min_n is None else int(min_n)
    rank_by = config.scorecard_key(rank_by or config.setting(study.settings, "rank_by"))
    if min_n < 1:
        raise ValueError(f"min_n must be at least 1, got {min_n}")
    return study.cached(("scorecards", min_n, rank_by),
                        lambda: _scorecard_frame(study, min_n, rank_by))


def _scorecard_frame(study: Study, min_n: int, rank_by: str) -> pd.DataFrame:
    data = employee_metrics(study)
    active = data[[f"{m.key}_n" for m in SCORECARD_METRICS]].sum(axis=1) > 0
    data = data[active].reset_index(drop=True)
    names = show_names(study)
    out = data[["employee_id", "team", "department", "role"]].copy()
    out["label"] = data["label"]  # employee_metrics labels as employee_labels does
    notes = []
    ranked = None  # the posterior of the measure ranked on: its draws give the ranks
    uncollected = [m.key for m in SCORECARD_METRICS
                   if not study.collected(m.measure.table, m.measure.column)]
    for m in SCORECARD_METRICS:
        out[f"{m.key}_n"] = data[f"{m.key}_n"]
        out[f"{m.key}_raw"] = data[m.key]
        if m.key in uncollected:  # the export has no column for it: nothing to shrink
            for suffix in ("", "_low", "_high", "_goal"):
                out[f"{m.key}{suffix}"] = np.nan
            continue
        try:
            posterior = (
                hierarchical.rates(data[f"{m.key}_k"], data[f"{m.key}_n"]) if m.model == "rate"
                else hierarchical.means(data[m.key], data[f"{m.key}_se"]))
            shrunk = posterior.summary
            # Only the ranked measure's draws are kept (employees x 4,000 numbers each).
            ranked = posterior if m.key == rank_by else ranked
            del posterior
        except shrinkage.ShrinkageError as err:
            notes.append(f"{m.label}: not shrunk ({err}).")
            shrunk = pd.DataFrame({"shrunk": data[m.key], "ci_low": np.nan, "ci_high": np.nan})
        has = (data[f"{m.key}_n"] > 0).to_numpy()
        out[m.key] = shrunk["shrunk"].where(has).to_numpy()
        # The scale bounds every interval (a mean's draws can reach past NPS 100).
        out[f"{m.key}_low"] = shrunk["ci_low"].clip(*m.bounds).where(has).to_numpy()
        out[f"{m.key}_high"] = shrunk["ci_high"].clip(*m.bounds).where(has).to_numpy()
        out[f"{m.key}_goal"] = goals(out, m)
    metric = SCORECARD_METRIC[rank_by]
    eligible = out[f"{rank_by}_n"] >= min_n
    out["ranked_in_team"] = out["team"].map(eligible.groupby(out["team"]).sum()).astype(int)
    if ranked is not None:
        ranks = ranked.rank_intervals(out["team"].where(eligible).to_numpy(object),
                                                   higher_is_better=metric.direction > 0,
                                                   coverage=RANK_COVERAGE)
        out["rank"], out["rank_low"], out["rank_high"] = (
            ranks["rank"], ranks["rank_low"], ranks["rank_high"])
    else:
        out["rank"] = out["rank_low"] = out["rank_high"] = np.nan
    # Separated: the rank's interval leaves out at least one position, so the data say
    # something about where this employee stands among the team's ranked colleagues.
    out["is_separated"] = (((out["rank_high"] - out["rank_low"] + 1) < out["ranked_in_team"])
                           & (ranked is not None and not ranked.pooled))
    out.attrs.update(min_n=min_n, rank_by=rank_by, notes=notes, names_shown=names,
                     not_collected=uncollected)
    return out.sort_values(["team", "rank", "label"], na_position="last", ignore_index=True)


def goals(frame: pd.DataFrame, metric: EmployeeMetric) -> pd.Series:
    """An achievable goal per employee, anchored on the shrunken estimate and the team.

    The goal is half-way from the shrunken estimate to the team's top quartile (bottom
    quartile where lower is better), or the current level if already there.
    The target is a level colleagues under the same conditions already reach; teams with
    fewer than ``MIN_TEAM_FOR_GOALS`` measured members use the client's distribution.
    """
    value = frame[metric.key]
    q = 0.75 if metric.direction > 0 else 0.25
    client_target = value.quantile(q)
    team_size = value.notna().groupby(frame["team"]).transform("sum")
    team_target = value.groupby(frame["team"]).transform("quantile", q)
    target = team_target.where(team_size >= MIN_TEAM_FOR_GOALS, client_target)
    behind = (target - value) * metric.direction > 0
    return (value + 0.5 * (target - value)).where(behind, value)


# ------------------------------------------------------------------------------------------
# Incentive alignment audit


def incentive_audit_frame(study: Study, n_quarters: int = AUDIT_QUARTERS, alpha: float = 0.05
                          ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(verdicts, tests)``: one verdict per rewarded metric and the associations behind it.

    Uses the ``n_quarters`` quarters ending with the study's; p-values are adjusted together
    (Benjamini-Hochberg).

    Examples:
        On the sample data, with ``study = cxlab.open_study("cedar", "2026Q3")``:

        >>> verdicts, tests = report.incentive_audit_frame(study)
        >>> verdicts.set_index("metric").loc[["csat", "new_accounts"], ["verdict", "n_tests"]]
                      verdict  n_tests
        metric
        csat          aligned        3
        new_accounts  neutral        3
    """
    def compute() -> tuple[pd.DataFrame, pd.DataFrame]:
        data = employee_metrics(study, n_quarters)
        plan = study.tables["incentive_plan"]
        tests = incentives.associations(data, plan)
        return incentives.classify(plan, tests, alpha), tests
    return study.cached(("incentive_audit", n_quarters, alpha), compute)
