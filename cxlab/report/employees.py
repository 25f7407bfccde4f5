"""Employee-level CX measures: fair scorecards, achievable goals and the incentive audit.

Fairness rules (stated on the methods page):

* every per-employee estimate is shrunk by empirical Bayes towards the client's distribution,
  so a handful of lucky or unlucky contacts neither tops nor sinks anyone;
* nobody is ranked on fewer than ``min_n`` answers (a per-client setting);
* ranks are within the team, among colleagues working under the same conditions;
* names appear only when the client's settings allow it; otherwise a keyed pseudonym
  (see :mod:`cxlab.privacy`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from IPython.display import Markdown

from cxlab import config, metrics, periods, privacy
from cxlab.markup import escape
from cxlab.report.availability import needs
from cxlab.report.tables import fmt_value
from cxlab.stats import hierarchical, incentives, shrinkage
from cxlab.study import Study

#: Quarters of data behind the incentive audit (plans are usually annual).
AUDIT_QUARTERS = 4
#: Team size below which goals anchor on the client's distribution instead of the team's.
MIN_TEAM_FOR_GOALS = 4
#: Coverage of the rank intervals shown beside each rank.
RANK_COVERAGE = 0.8


@dataclass(frozen=True)
class EmployeeMetric:
    """A per-employee CX measure on the scorecard."""

    key: str
    label: str
    model: str  # "rate" (beta-binomial) or "mean" (normal-normal)
    better: int  # +1 when higher is better for customers, -1 when lower is
    kind: str  # display format: "proportion", "nps" or "mean"
    bounds: tuple[float, float] = (0.0, 1.0)  # the scale: intervals never leave it


SCORECARD_METRICS = (
    EmployeeMetric("csat", "CSAT top-2", "rate", 1, "proportion"),
    EmployeeMetric("nps", "NPS", "mean", 1, "nps", (-100.0, 100.0)),
    EmployeeMetric("first_contact_resolution", "First-contact resolution", "rate", 1,
                   "proportion"),
    EmployeeMetric("repeat_contact_rate", "Repeat contact (7 days)", "rate", -1, "proportion"),
    EmployeeMetric("wait_minutes", "Wait (minutes)", "mean", -1, "mean", (0.0, np.inf)),
)
SCORECARD_METRIC = {m.key: m for m in SCORECARD_METRICS}


def show_names(study: Study) -> bool:
    """Whether the client's settings allow employee names in reports (default: no)."""
    return config.setting(study.settings, "show_employee_names")


def employee_labels(study: Study, employee_ids: pd.Series) -> pd.Series:
    """How each employee appears in the report: by name if allowed, else by pseudonym."""
    if show_names(study):
        names = study.tables["employees"].set_index("employee_id")["display_name"]
        return employee_ids.map(names)
    return employee_ids.map(privacy.pseudonyms(study.client, employee_ids.dropna().unique()))


# ------------------------------------------------------------------------------------------
# Per-employee measures


def employee_metrics(study: Study, n_quarters: int = 1) -> pd.DataFrame:
    """Every per-employee measure the scorecards and the audit use.

    Interactions and responses come from the ``n_quarters`` quarters ending with the study's;
    account measures from all history up to it (renewals fall due a year after the sale).
    Rates come with ``<key>_k`` successes of ``<key>_n``; means with ``<key>_n`` and
    ``<key>_se``. Measures an employee has no data for are NaN (counts 0).
    """
    roster = study.tables["employees"].set_index("employee_id")
    out = roster[["display_name", "team", "department", "role"]].copy()
    inter = study.window("interactions", n_quarters)
    by_emp = inter.groupby("employee_id")
    out["n_interactions"] = by_emp.size().reindex(out.index).fillna(0).astype(int)
    out["average_handle_time"] = by_emp["handle_seconds"].mean()
    _add_rate(out, "first_contact_resolution", by_emp["is_resolved_first_contact"])
    _add_rate(out, "repeat_contact_rate", by_emp["is_repeat_within_7d"])
    _add_mean(out, "wait_minutes", (inter["wait_seconds"] / 60).groupby(inter["employee_id"]))
    # Per day worked (days with at least one contact): robust to hires, leavers and leave.
    days_worked = inter["started_at"].dt.normalize().groupby(inter["employee_id"]).nunique()
    out["calls_per_day"] = (out["n_interactions"] / days_worked.reindex(out.index)).where(
        out["n_interactions"] > 0)
    out["tickets_closed"] = out["calls_per_day"]

    resp = study.window("customer_responses", n_quarters).dropna(subset=["employee_id"])
    csat = pd.to_numeric(resp["csat"], errors="coerce")
    _add_rate(out, "csat", (csat >= 4).where(csat.notna()).groupby(resp["employee_id"]))
    score = pd.to_numeric(resp["nps"], errors="coerce")
    counts = pd.DataFrame({"employee_id": resp["employee_id"], "p": score >= 9,
                           "a": score.between(7, 8), "d": score <= 6}).groupby("employee_id").sum()
    counts = counts.reindex(out.index).fillna(0)
    value, _, low, high = metrics.nps_interval(counts["p"], counts["a"], counts["d"])
    out["nps_n"] = (counts.sum(axis=1)).astype(int)
    out["nps"] = np.where(out["nps_n"] > 0, value, np.nan)
    # Adjusted-Wald standard error: positive even when every answer is a promoter.
    out["nps_se"] = np.where(out["nps_n"] > 0, (high - low) / (2 * metrics.z_value(0.95)), np.nan)

    # Renewals fall due a year after the sale, so the account measures use all history up to
    # the quarter: new accounts per quarter of tenure in the data, renewals of accounts due.
    accounts = study.history("accounts")
    acquired = study.tables["accounts"]
    acquired = acquired[acquired["acquired_on"] < periods.bounds(study.quarter)[1]]
    n_acq_quarters = max(1, periods.label(acquired["acquired_on"]).nunique())
    is_seller = out["department"] == "Sales"
    out["new_accounts"] = (acquired.groupby("sales_owner_id").size().reindex(out.index)
                           .fillna(0).where(is_seller) / n_acq_quarters)
    due = accounts.dropna(subset=["is_renewed"])
    _add_rate(out, "renewal_rate", due["is_renewed"].astype(float).groupby(due["sales_owner_id"]))
    out["referral_rate"] = ((acquired["n_referrals"] > 0).groupby(acquired["sales_owner_id"])
                            .mean().reindex(out.index))
    return out.reset_index()


def _add_rate(out: pd.DataFrame, key: str, grouped) -> None:
    out[f"{key}_k"] = grouped.sum().reindex(out.index).fillna(0).astype(int)
    out[f"{key}_n"] = grouped.count().reindex(out.index).fillna(0).astype(int)
    out[key] = (out[f"{key}_k"] / out[f"{key}_n"]).where(out[f"{key}_n"] > 0)


def _add_mean(out: pd.DataFrame, key: str, grouped) -> None:
    out[key] = grouped.mean().reindex(out.index)
    out[f"{key}_n"] = grouped.count().reindex(out.index).fillna(0).astype(int)
    out[f"{key}_se"] = (grouped.std() / np.sqrt(grouped.count())).reindex(out.index)


# ------------------------------------------------------------------------------------------
# Scorecards


def scorecard_frame(study: Study, min_n: int | None = None,
                    rank_by: str | None = None) -> pd.DataFrame:
    """Fair scorecards: per employee with data this quarter, each measure raw and shrunk.

    Each measure has its interval; the rank within team is on ``rank_by``, only for employees
    with at least ``min_n`` answers; and each measure has a goal.

    Columns per measure ``m``: ``m_n``, ``m_raw``, ``m``, ``m_low``, ``m_high``, ``m_goal``;
    plus ``rank``, ``ranked_in_team`` and ``label`` (name or pseudonym). ``attrs`` keep
    ``min_n``, ``rank_by``, ``names_shown`` and ``notes`` (measures that could not be shrunk).
    """
    min_n = config.setting(study.settings, "min_n_rank") if min_n is None else int(min_n)
    rank_by = rank_by or config.setting(study.settings, "rank_by")
    if rank_by not in SCORECARD_METRIC:
        raise ValueError(f"rank_by {rank_by!r} unknown; expected one of {list(SCORECARD_METRIC)}")
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
    out["label"] = employee_labels(study, data["employee_id"])
    notes = []
    posteriors = {}
    for m in SCORECARD_METRICS:
        out[f"{m.key}_n"] = data[f"{m.key}_n"]
        out[f"{m.key}_raw"] = data[m.key]
        try:
            posteriors[m.key] = (
                hierarchical.rates(data[f"{m.key}_k"], data[f"{m.key}_n"]) if m.model == "rate"
                else hierarchical.means(data[m.key], data[f"{m.key}_se"]))
            shrunk = posteriors[m.key].summary
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
    if rank_by in posteriors:
        ranks = posteriors[rank_by].rank_intervals(out["team"].where(eligible).to_numpy(object),
                                                   higher_is_better=metric.better > 0,
                                                   coverage=RANK_COVERAGE)
        out["rank"], out["rank_low"], out["rank_high"] = (
            ranks["rank"], ranks["rank_low"], ranks["rank_high"])
    else:
        out["rank"] = out["rank_low"] = out["rank_high"] = np.nan
    # Separated: the rank's interval leaves out at least one position, so the data say
    # something about where this employee stands among the team's ranked colleagues.
    out["is_separated"] = (((out["rank_high"] - out["rank_low"] + 1) < out["ranked_in_team"])
                           & (rank_by in posteriors and not posteriors[rank_by].pooled))
    out.attrs.update(min_n=min_n, rank_by=rank_by, notes=notes, names_shown=names)
    return out.sort_values(["team", "rank", "label"], na_position="last", ignore_index=True)


def goals(frame: pd.DataFrame, metric: EmployeeMetric) -> pd.Series:
    """An achievable goal per employee, anchored on the shrunken estimate and the team.

    The goal is half-way from the shrunken estimate to the team's top quartile (bottom
    quartile where lower is better), or the current level if already there.
    The target is a level colleagues under the same conditions already reach; teams with
    fewer than ``MIN_TEAM_FOR_GOALS`` measured members use the client's distribution.
    """
    value = frame[metric.key]
    q = 0.75 if metric.better > 0 else 0.25
    client_target = value.quantile(q)
    team_size = value.notna().groupby(frame["team"]).transform("sum")
    team_target = value.groupby(frame["team"]).transform("quantile", q)
    target = team_target.where(team_size >= MIN_TEAM_FOR_GOALS, client_target)
    behind = (target - value) * metric.better > 0
    return (value + 0.5 * (target - value)).where(behind, value)


@needs("employees")
def employee_scorecards(study: Study) -> pd.DataFrame:
    """The formatted employee scorecards: one row per employee with data this quarter."""
    frame = scorecard_frame(study)
    rank_by = frame.attrs["rank_by"]
    rank_metric = SCORECARD_METRIC[rank_by]
    table = pd.DataFrame({"Team": frame["team"], "Employee": frame["label"]})
    for m in SCORECARD_METRICS:
        table[m.label] = [
            _cell(v, lo, hi, n, m.kind) for v, lo, hi, n in zip(
                frame[m.key], frame[f"{m.key}_low"], frame[f"{m.key}_high"], frame[f"{m.key}_n"],
                strict=True)]
    table["Rank in team"] = [
        _rank_cell(r, lo, hi, t, sep, frame.attrs["min_n"]) for r, lo, hi, t, sep in zip(
            frame["rank"], frame["rank_low"], frame["rank_high"], frame["ranked_in_team"],
            frame["is_separated"], strict=True)]
    table[f"Goal: {rank_metric.label}"] = [
        fmt_value(g, rank_metric.kind) + (" (hold)" if np.isclose(g, v) else "")
        if pd.notna(g) else "-"
        for g, v in zip(frame[f"{rank_by}_goal"], frame[rank_by], strict=True)]
    return table.set_index(["Team", "Employee"])


def _rank_cell(rank, low, high, of, separated, min_n) -> str:
    if pd.isna(rank):
        return f"not ranked (n<{min_n})"
    if not separated:
        return f"not told apart from colleagues (could be {int(low)} to {int(high)} of {of})"
    span = f"{int(low)}" if low == high else f"{int(low)} to {int(high)}"
    return f"{int(rank)} of {of} (likely {span})"


def _cell(value, low, high, n, kind) -> str:
    if not n or pd.isna(value):
        return "-"
    if pd.isna(low):
        return f"{fmt_value(value, kind)} (n={n})"
    return f"{fmt_value(value, kind)} ({fmt_value(low, kind)} to {fmt_value(high, kind)}; n={n})"


@needs("employees")
def scorecard_note(study: Study) -> Markdown:
    """How to read the scorecards, with this client's settings."""
    frame = scorecard_frame(study)
    rank_by = SCORECARD_METRIC[frame.attrs["rank_by"]].label
    who = ("Employees are shown by name (the client's settings allow it)."
           if frame.attrs["names_shown"] else
           "Employees are shown by a keyed pseudonym; names are not published for this client.")
    ranked = frame["rank"].notna()
    apart = int((ranked & frame["is_separated"]).sum())
    text = (f"{len(frame)} employees had customer answers or contacts in {study.quarter}. "
            "Each value is a shrunken estimate (pulled towards the client's distribution the "
            "more, the less data stands behind it, with the uncertainty about that "
            f"distribution included) with its 95% interval and n. Ranks are within the team on "
            f"{rank_by}, only for employees with at least {frame.attrs['min_n']} answers, each "
            f"with the range it likely lies in ({RANK_COVERAGE:.0%} interval); "
            f"{apart} of {int(ranked.sum())} ranked employees are told apart from their "
            "colleagues by the data, the others are marked as not told apart rather than given "
            f"a rank that luck decided. The goal closes half the gap to the team's top quartile. "
            f"{who}")
    for note in frame.attrs["notes"]:
        text += f" {escape(note)}"
    return Markdown(text)


# ------------------------------------------------------------------------------------------
# Incentive alignment audit

OUTCOME_LABELS = {"csat": "CSAT top-2", "nps": "NPS", "first_contact_resolution": "FCR",
                  "repeat_contact_rate": "repeat contacts", "renewal_rate": "renewal rate"}


def incentive_audit_frame(study: Study, n_quarters: int = AUDIT_QUARTERS, alpha: float = 0.05
                          ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(verdicts, tests)``: one verdict per rewarded metric and the associations behind it.

    Uses the ``n_quarters`` quarters ending with the study's; p-values are adjusted together
    (Benjamini-Hochberg).
    """
    def compute():
        data = employee_metrics(study, n_quarters)
        plan = study.tables["incentive_plan"]
        tests = incentives.associations(data, plan)
        return incentives.classify(plan, tests, alpha), tests
    return study.cached(("incentive_audit", n_quarters, alpha), compute)


@needs("employees", "incentive_plan")
def incentive_audit(study: Study) -> pd.DataFrame:
    """The formatted audit: each rewarded metric, its verdict and the strongest evidence."""
    verdicts, tests = incentive_audit_frame(study)
    rows = []
    for _, v in verdicts.iterrows():
        mine = tests[tests["metric"] == v["metric"]].sort_values("p_adj")
        rows.append({"Rewarded metric": v["metric"].replace("_", " "),
                     "Paid in": ", ".join(v["departments"]),
                     "Kind": "CX outcome" if v["kind"] == "cx" else "activity",
                     "Verdict": v["verdict"], "Evidence": _evidence(v, mine)})
    return pd.DataFrame(rows).set_index("Rewarded metric")


def _evidence(verdict: pd.Series, tests: pd.DataFrame) -> str:
    if tests.empty:
        return ("no employee-level data for this metric" if verdict["kind"] == "activity"
                else "a CX outcome itself; no employee-level data to test further")
    best = tests.iloc[0]
    unit = "pts" if best["outcome"] == "nps" else "pp"
    scale = 1 if best["outcome"] == "nps" else 100
    return (f"1 SD more {verdict['metric'].replace('_', ' ')} ({best['metric_sd']:.3g}) goes with "
            f"{scale * best['effect']:+.1f} {unit} {OUTCOME_LABELS[best['outcome']]} "
            f"(95% CI {scale * best['ci_low']:+.1f} to {scale * best['ci_high']:+.1f}; "
            f"BH-adjusted p={best['p_adj']:.3f}; {best['n']} employees in {best['n_teams']} "
            f"team(s)); {len(tests)} outcome(s) tested")
