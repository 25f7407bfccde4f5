"""Employee scorecards and the incentive audit, formatted for the report.

The statistics behind them (per-employee measures, shrinkage, ranks, goals and the audit's
associations) are in :mod:`cxlab.stats.employees`; this module turns them into tables and
notes. ``show_names`` and ``employee_labels`` are re-exported for the report modules that
label employees.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from IPython.display import Markdown

from cxlab import measures
from cxlab.markup import escape
from cxlab.report.availability import NOT_COLLECTED, collected, needs
from cxlab.report.html_tables import SMALL_N
from cxlab.report.tables import fmt_p, fmt_value, metric_words
from cxlab.stats.employees import (
    RANK_COVERAGE,
    SCORECARD_METRIC,
    SCORECARD_METRICS,
    employee_labels,
    incentive_audit_frame,
    scorecard_frame,
    show_names,
)
from cxlab.stats.incentives import OUTCOMES
from cxlab.study import Study

__all__ = ["employee_labels", "employee_scorecards", "incentive_audit", "scorecard_note",
           "show_names"]


@needs("employees")
def employee_scorecards(study: Study) -> pd.DataFrame:
    """The formatted employee scorecards: one row per employee with data this quarter.

    Examples:
        On the sample data, with ``study = cxlab.open_study("cedar", "2026Q3")`` (employees shown by
        pseudonym: the client's settings):

        >>> cards = report.employee_scorecards(study)
        >>> cards.index.names
        FrozenList(['Team', 'Employee'])
        >>> cards.loc["Sales", "CSAT, share 4-5"].iloc[0]  # the team's first: shrunk, with n
        '76.3% (64.8% to 90.3%; n=11)'
    """
    frame = scorecard_frame(study)
    rank_by = frame.attrs["rank_by"]
    rank_metric = SCORECARD_METRIC[rank_by]
    table = pd.DataFrame({"Team": frame["team"], "Employee": frame["label"]})
    for m in SCORECARD_METRICS:
        if m.key in frame.attrs.get("not_collected", ()):
            table[m.label] = NOT_COLLECTED
            continue
        table[m.label] = [
            _cell(v, lo, hi, n, m.kind) for v, lo, hi, n in zip(
                frame[m.key], frame[f"{m.key}_low"], frame[f"{m.key}_high"], frame[f"{m.key}_n"],
                strict=True)]
    table["Rank in team"] = [
        _rank_cell(r, lo, hi, t, sep, frame.attrs["min_n"],
                   rank_metric.label if rank_by in frame.attrs.get("not_collected", ()) else "")
        for r, lo, hi, t, sep in zip(
            frame["rank"], frame["rank_low"], frame["rank_high"], frame["ranked_in_team"],
            frame["is_separated"], strict=True)]
    table[f"Goal: {rank_metric.label}"] = [
        fmt_value(g, rank_metric.kind) + (" (hold)" if np.isclose(g, v) else "")
        if pd.notna(g) else "-"
        for g, v in zip(frame[f"{rank_by}_goal"], frame[rank_by], strict=True)]
    table = table.set_index(["Team", "Employee"])
    table.attrs["caption"] = (f"Employees with customer answers or contacts in {study.quarter}: "
                              "shrunken estimates (95% interval; n), rank in team and goal")
    table.attrs["small_n"] = SMALL_N
    return table


def _rank_cell(rank: float, low: float, high: float, of: int, separated: bool, min_n: int,
               uncollected: str = "") -> str:
    if uncollected:
        return f"not ranked: {uncollected} {NOT_COLLECTED}"
    if pd.isna(rank):
        return f"not ranked (n<{min_n})"
    if not separated:
        return f"not told apart from colleagues (could be {int(low)} to {int(high)} of {of})"
    span = f"{int(low)}" if low == high else f"{int(low)} to {int(high)}"
    return f"{int(rank)} of {of} (likely {span})"


def _cell(value: float, low: float, high: float, n: int, kind: str) -> str:
    if not n or pd.isna(value):
        return "-"
    if pd.isna(low):
        return f"{fmt_value(value, kind)} (n={n})"
    return f"{fmt_value(value, kind)} ({fmt_value(low, kind)} to {fmt_value(high, kind)}; n={n})"


@needs("employees")
def scorecard_note(study: Study) -> Markdown:
    """How to read the scorecards, with this client's settings.

    Examples:
        On the sample data, with ``study = cxlab.open_study("cedar", "2026Q3")``:

        >>> print(report.scorecard_note(study).data)
        29 employees had customer answers or contacts in 2026Q3. Each value is a shrunken estimate ...
    """
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


@needs("employees", "incentive_plan")
def incentive_audit(study: Study) -> pd.DataFrame:
    """The formatted audit: each rewarded metric, its verdict and the strongest evidence.

    Examples:
        On the sample data, with ``study = cxlab.open_study("cedar", "2026Q3")``:

        >>> report.incentive_audit(study).loc[["CSAT", "new accounts", "time to hire"], "Verdict"]
        Rewarded metric
        CSAT                 aligned
        new accounts         neutral
        time to hire    not assessed
        Name: Verdict, dtype: str
    """
    verdicts, tests = incentive_audit_frame(study)
    untested = [measures.get(o).short for o in OUTCOMES if not collected(study, o)]
    rows = []
    for _, v in verdicts.iterrows():
        mine = tests[tests["metric"] == v["metric"]].sort_values("p_adj")
        m = measures.find(v["metric"])
        evidence = (NOT_COLLECTED if m is not None and not collected(study, m)
                    else _evidence(v, mine))
        if untested and evidence != NOT_COLLECTED:
            evidence += f" ({', '.join(untested)}: {NOT_COLLECTED}, not tested)"
        rows.append({"Rewarded metric": metric_words(v["metric"]),
                     "Paid in": ", ".join(v["departments"]),
                     "Kind": "CX measure" if v["kind"] == "cx" else "activity",
                     "Verdict": v["verdict"], "Evidence": evidence})
    table = pd.DataFrame(rows).set_index("Rewarded metric")
    table.attrs["caption"] = ("Each metric the incentive plan pays for: does more of it go with "
                              "better customer outcomes?")
    return table


def _evidence(verdict: pd.Series, tests: pd.DataFrame) -> str:
    if tests.empty:
        return ("no employee-level data for this metric" if verdict["kind"] == "activity"
                else "a CX measure itself; no employee-level data to test further")
    best = tests.iloc[0]
    outcome = measures.get(best["outcome"])
    # NPS in points; shares in percentage points.
    unit, scale = ("pts", 1) if outcome.kind == "nps" else ("pp", 100)
    teams, tested = best["n_teams"], len(tests)
    return (f"a typical difference in {metric_words(verdict['metric'])} (one standard deviation, "
            f"{best['metric_sd']:.3g}) goes with {scale * best['effect']:+.1f} {unit} "
            f"{outcome.short} (95% CI {scale * best['ci_low']:+.1f} to "
            f"{scale * best['ci_high']:+.1f}; {fmt_p(best['p_adj'], 'BH')}; {best['n']} "
            f"employees in {teams} team{'s' * bool(teams != 1)}); {tested} customer "
            f"outcome{'s' * (tested != 1)} tested")
