"""Table builders for the quarterly report: tidy numbers first, display formatting second.

Each ``*_frame`` function returns tidy numbers (for tests and researchers); each public
display function returns a small formatted DataFrame for the notebook.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from IPython.display import Markdown

from cxlab import config, engine, measures, metrics, periods
from cxlab.data.schema import PERIOD_COLUMN, cx_metrics
from cxlab.markup import escape, escape_all
from cxlab.measures import Measure
from cxlab.report.availability import NOT_COLLECTED, collected, needs
from cxlab.report.html_tables import SMALL_N
from cxlab.stats import adjust_pvalues, disclosure, flag_groups
from cxlab.stats.continuity import coverage_breaks
from cxlab.study import ONE_ANSWER_PER_PERSON, Study

if TYPE_CHECKING:  # imported when a trend is computed (quarter_trend)
    import ibis.expr.types as ir

    from cxlab.stats.trend import Trend

SIGNIFICANCE = 0.05
#: The column a weighted answer carries its survey weight in while rows are joined.
WEIGHT = "_weight"


#: The report's headline measures, by their names in the registry (:mod:`cxlab.measures`).
HEADLINE = ("nps", "csat_top2", "ces_mean", "first_contact_resolution",
            "first_contact_resolution_all", "repeat_contact_rate", "renewal_rate", "enps")
MEASURES = tuple(measures.get(name) for name in HEADLINE)


def headline(study: Study) -> tuple[Measure, ...]:
    """The headline measures for ``study``, with the survey's overall rating if declared.

    The overall rating (``Study.overall_rating``) comes first, as its mean on its scale.
    A measure over all contacts (``contacts="all"``) equals its answered-contacts twin unless
    some contact's outcome is recorded as unanswered; it is shown only then.
    """
    from cxlab.data.schema import UNANSWERED

    recorded = ("outcome" in study.columns("interactions")
                and study.has("interactions", "outcome", list(UNANSWERED)))
    shown = tuple(m for m in MEASURES if m.contacts != "all" or recorded)
    overall = study.overall_rating
    if overall is None:
        return shown
    declared = study.ratings[overall]
    return (measures.rating(overall, declared["label"], tuple(declared["scale"])), *shown)


def measure(key: str | Measure) -> Measure:
    """The registry's measure called ``key``, as :func:`cxlab.measures.get` finds it.

    Its name, or a column for its headline measure (``csat`` for ``csat_top2``); an old name
    such as ``fcr`` still works, with a DeprecationWarning.
    """
    return measures.get(key)


def estimate(m: Measure, rows: pd.DataFrame, weights: pd.Series | None = None
             ) -> metrics.Estimate | None:
    """The measure on ``rows``, or None when nothing was measured (e.g. no pulse)."""
    values = measures.values(m, rows)
    if values.notna().sum() == 0:
        return None
    # A study's columns were checked against their declared scales when imported.
    return metrics.estimate(m, values, weights, check_scale=False)


def quarter_sums(study: Study, m: Measure) -> pd.DataFrame | None:
    """Per quarter up to the study's: counts and sums of ``m`` and its table's headlines.

    Asked of the engine once (:func:`cxlab.engine.measure_sums`); None when no engine holds
    the table (pandas then reads the quarter's rows).
    """
    held = study.history_query(m.table)
    if held is None:
        return None
    asked = tuple(dict.fromkeys(x for x in (*headline(study), m) if x.table == m.table))
    return study.cached(("quarter_sums", m.table, asked),
                        lambda: engine.measure_sums(held, "quarter", asked))


def weights_for_table(study: Study, table: str) -> bool:
    """Whether the study weighs the answers of ``table``.

    Customer responses are weighted when the client's settings ask for ``weighting``.
    """
    return table == "customer_responses" and bool(study.settings.get("weighting"))


def weights_for(study: Study, m: Measure, rows: pd.DataFrame) -> pd.Series | None:
    """Survey weights of ``rows`` for a customer-survey measure of a weighting client, or None.

    A client weights its answers with the ``weighting`` setting (see ``Study.response_weights``).
    """
    return study.response_weights(rows) if m.table == "customer_responses" else None


def fmt_value(value: float, kind: str) -> str:
    """Display a value in its unit: points, percent or scale mean."""
    if value is None or not np.isfinite(value):
        return "-"
    if kind == "nps":
        return f"{value:+.1f}"
    if kind == "proportion":
        return f"{100 * value:.1f}%"
    return f"{value:.2f}"


def fmt_change(value: float, kind: str) -> str:
    """Display a difference: points for NPS, percentage points for shares."""
    if kind == "proportion":
        return f"{100 * value:+.1f} pp"
    return f"{value:+.1f}" if kind == "nps" else f"{value:+.2f}"


def fmt_p(p: float, adjusted: bool | str = True) -> str:
    """A p-value as a reader needs it: ``p < 0.001``, ``p = 0.012`` or ``not significant``.

    Significance is at :data:`SIGNIFICANCE`. ``adjusted`` says in the text that the value is
    adjusted for multiple comparisons, so nobody reads it as the raw one; a string names the
    method (``"Holm"``, ``"BH"``). A value just above the threshold keeps three decimals, so
    0.0526 never reads as "not significant, p = 0.05".

    >>> fmt_p(0.0526, "Holm")
    'not significant, Holm-adjusted p = 0.053'
    >>> fmt_p(2e-9, adjusted=False)
    'p < 0.001'
    """
    if p is None or not np.isfinite(p):
        return "no test possible"
    tag = (f"{adjusted}-adjusted" if isinstance(adjusted, str) else
           "adjusted" if adjusted else "")
    if p >= SIGNIFICANCE:
        digits = 3 if p < 0.1 else 2
        return f"not significant, {tag + ' ' if tag else ''}p = {p:.{digits}f}"
    shown = ("p < 0.001" if p < 0.001 else f"p = {p:.3f}" if round(p, 3) < SIGNIFICANCE
             else f"p < {SIGNIFICANCE:g}")  # 0.0499 would round to the threshold itself
    return f"{shown}, {tag}" if tag else shown


# ------------------------------------------------------------------------------------------
# Scorecard


def scorecard_frame(study: Study, adjust: str = "holm") -> pd.DataFrame:
    """Headline measures this quarter against last quarter and the same quarter a year ago.

    All comparisons in the scorecard form one family; their p-values are adjusted together
    (Holm by default) so the chance of any false 'significant change' stays at 5%.

    Examples:
        On the sample data, with ``study = cxlab.open_study("cedar", "2026Q3")``:

        >>> frame = report.scorecard_frame(study)
        >>> frame["key"].tolist()
        ['nps', 'csat_top2', 'ces_mean', 'first_contact_resolution', 'repeat_contact_rate',
         'renewal_rate', 'enps']
        >>> frame.loc[0, ["measure", "prev_change", "prev_p_adj"]]
        measure        NPS (points)
        prev_change         1.56543
        prev_p_adj              1.0
        Name: 0, dtype: object
    """
    rows = []
    for m in headline(study):
        shown = _confidential_estimate(study, m, study.quarter)
        row: dict[str, object] = {
            "key": m.name, "measure": m.label, "kind": m.estimate_kind, "current": shown,
            "hidden": shown is HIDDEN, "not_collected": shown is UNCOLLECTED}
        current = _estimate(shown)
        for tag, quarter in (("prev", study.previous_quarter), ("yago", study.year_ago_quarter)):
            other = _estimate(_confidential_estimate(study, m, quarter))
            pair, row[f"{tag}_basis"] = (current, other), ""
            if current and other and current.weighted != other.weighted:
                # One quarter could not be weighted: the change compares like with like.
                pair = (_estimate(_confidential_estimate(study, m, study.quarter, weighted=False)),
                        _estimate(_confidential_estimate(study, m, quarter, weighted=False)))
                row[f"{tag}_basis"] = "unweighted"
            first, second = pair
            test = metrics.compare(first, second) if first and second else None
            row[f"{tag}_estimate"] = other
            row[f"{tag}_change"] = test.difference if test else np.nan
            row[f"{tag}_p"] = test.p_value if test else np.nan
        rows.append(row)
    frame = pd.DataFrame(rows)
    adjusted = adjust_pvalues(frame[["prev_p", "yago_p"]].to_numpy().ravel(), adjust)
    frame["prev_p_adj"], frame["yago_p_adj"] = adjusted[0::2], adjusted[1::2]
    frame["adjustment"] = adjust
    return frame


#: Stands for an estimate withheld because too few employees stand behind it.
HIDDEN = "hidden"
#: Stands for a measure whose column the client's exports did not collect.
UNCOLLECTED = "not collected"


def _confidential_estimate(study: Study, m: Measure, quarter: str, weighted: bool = True
                           ) -> metrics.Estimate | str | None:
    """The measure in ``quarter``, ``HIDDEN``, or ``UNCOLLECTED``.

    An employee-survey measure is hidden when fewer employees answered than the client's
    ``min_group_size``; a measure whose column the export did not collect is
    ``UNCOLLECTED``. Customer-survey measures are weighted when the client weights its
    answers, unless ``weighted`` is false.
    """
    if not collected(study, m):
        return UNCOLLECTED
    if m.table == "employee_responses":
        rows = study.rows(m.table, quarter)
        if len(rows) and disclosure.count_respondents(rows) < config.setting(
                study.settings, "min_group_size"):
            return HIDDEN
    return quarter_estimate(study, m, quarter, weighted)


def quarter_estimate(study: Study, m: Measure, quarter: str, weighted: bool = True
                     ) -> metrics.Estimate | None:
    """The measure in ``quarter`` (weighted as the client weighs), None when not measured.

    From the engine's per-quarter sums where it holds the table and no weights apply; else
    from the quarter's rows.
    """
    weighs = weighted and weights_for_table(study, m.table)
    sums = None if weighs or m.table == "employee_responses" else quarter_sums(study, m)
    if sums is not None:  # the engine counted each quarter's answers where they are
        if quarter not in sums.index or not sums.at[quarter, f"{m.name}_n"]:
            return None
        row = sums.loc[quarter]
        parts = {c.removeprefix(f"{m.name}_"): row[c] for c in sums if c.startswith(f"{m.name}_")}
        return metrics.estimate_from_sums(m, parts, n_missing=int(row["rows"] - parts["n"]))
    if m.table in ONE_ANSWER_PER_PERSON:  # each person's latest answer of the quarter
        rows = study.rows(m.table, quarter)
    else:  # the measure's columns only
        rows = study.between(m.table, *periods.bounds(quarter), [
            c for c in study.columns(m.table) if c in (m.column, "outcome", PERIOD_COLUMN[m.table])])
    return estimate(m, rows, weights_for(study, m, rows) if weighted else None)


def scorecard(study: Study) -> pd.DataFrame:
    """The formatted scorecard for display.

    Examples:
        On the sample data, with ``study = cxlab.open_study("cedar", "2026Q3")``:

        >>> table = report.scorecard(study)
        >>> table.columns.tolist()
        ['2026Q3', '95% CI', 'n', 'vs 2026Q2', 'vs 2025Q3']
        >>> table.loc["NPS (points)"].tolist()
        ['+35.2', '+28.0 to +41.9', '446', '+1.6, no clear change', '+1.5, no clear change']
    """
    frame = scorecard_frame(study)
    out = []
    for _, r in frame.iterrows():
        est = _estimate(r["current"])
        out.append({
            "Measure": r["measure"],
            study.quarter: (fmt_value(est.value, r["kind"]) if est else
                            "hidden (too few respondents)" if r["hidden"] else
                            NOT_COLLECTED if r["not_collected"] else "not measured"),
            "95% CI": (f"{fmt_value(est.ci[0], r['kind'])} to {fmt_value(est.ci[1], r['kind'])}"
                       if est else ""),
            "n": (f"{est.n:,} (n_eff {est.n_effective:,.0f})" if est and est.weighted
                  else f"{est.n:,}" if est else "-"),
            f"vs {study.previous_quarter}": _change_cell(r, "prev"),
            f"vs {study.year_ago_quarter}": _change_cell(r, "yago"),
        })
    table = pd.DataFrame(out).set_index("Measure")
    table.attrs["caption"] = (f"Headline measures in {study.quarter}: value, 95% interval, n and "
                              "change against the two quarters compared, better or worse where "
                              "the change is significant (p-values Holm-adjusted over the "
                              "scorecard's comparisons), otherwise no clear change")
    table.attrs.update(small_n=SMALL_N, n_of={"n": [study.quarter]})
    return table


def _estimate(cell: object) -> metrics.Estimate | None:
    """The estimate in a frame cell; pandas may have turned a missing one into NaN."""
    return cell if isinstance(cell, metrics.Estimate) else None


def _change_cell(row: pd.Series, tag: str) -> str:
    """The change against an earlier quarter, better or worse or "no clear change".

    Better or worse (for that measure) with the adjusted p where the change is significant;
    the caption says the p-values are adjusted, so the cells need not repeat it.
    """
    if _estimate(row[f"{tag}_estimate"]) is None or _estimate(row["current"]) is None:
        return "no comparison"
    p, change = row[f"{tag}_p_adj"], row[f"{tag}_change"]
    if p < SIGNIFICANCE and change != 0:
        better = change * measure(row["key"]).direction > 0
        verdict = f"{'better' if better else 'worse'} ({fmt_p(p, adjusted=False)})"
    else:
        verdict = "no clear change"
    basis = " (both quarters unweighted)" if row.get(f"{tag}_basis") else ""
    return f"{fmt_change(change, row['kind'])}, {verdict}{basis}"


# ------------------------------------------------------------------------------------------
# Trends and groups


def trend_frame(study: Study, key: str | Measure) -> pd.DataFrame:
    """One row per quarter up to the study's, with the measure and its interval.

    ``coverage`` is the share of the quarter's rows that carry the measure; ``coverage_break``
    marks a quarter whose coverage jumped from the quarter before (see
    :func:`cxlab.stats.continuity.coverage_breaks`): the trend is not a change there.

    Examples:
        On the sample data, with ``study = cxlab.open_study("cedar", "2026Q3")``:

        >>> report.trend_frame(study, "nps")[["quarter", "value", "n"]].tail(3)
          quarter      value    n
        5  2026Q1  33.932136  501
        6  2026Q2  33.636364  440
        7  2026Q3  35.201794  446
    """
    m = measure(key)
    weighted = weights_for_table(study, m.table)
    held = None if weighted else study.history_query(m.table)
    if held is not None:  # the engine aggregates every quarter's rows where they are
        weights = None
        out = metrics.grouped(engine.measure_values(m, held), m, "quarter", check_scale=False)
    else:
        rows = measures.with_values(m, study.history(m.table, [m.column, "outcome"]))
        weights = weights_for(study, m, rows)
        out = metrics.grouped(rows, m, "quarter", weights=weights, check_scale=False)
    out = out[out["n"] > 0].reset_index(drop=True)
    # A quarter that could not be weighted weighs each answer 1: its estimate is unweighted.
    out["weighted"] = weights is not None and ~out["quarter"].isin(list(study.weighting_notes))
    out["coverage"] = out["n"] / (out["n"] + out["n_missing"])
    out["coverage_break"] = coverage_breaks(out["coverage"])
    return out


def quarter_trend(study: Study, key: str | Measure, frame: pd.DataFrame | None = None
                  ) -> Trend | str:
    """The measure's trend across the quarters up to the study's, or why there is none.

    A :class:`cxlab.stats.trend.Trend` (change per quarter, with its interval and test) over
    the quarters since the last coverage break (before it, other people answered), or a
    sentence saying why not (too few quarters, a quarter with one answer).
    """
    from cxlab.stats.trend import MIN_PERIODS, TrendError, linear_trend

    frame = trend_frame(study, key) if frame is None else frame
    breaks = frame.index[frame["coverage_break"].to_numpy()]
    since = frame.loc[breaks[-1]:] if len(breaks) else frame
    if len(since) < MIN_PERIODS:
        return (f"{len(since)} comparable quarter{'s' if len(since) != 1 else ''}: a trend "
                f"needs at least {MIN_PERIODS}")
    positions = [periods.quarter_index(q) for q in since["quarter"]]
    try:
        return linear_trend(since["value"], since["se"],
                            [p - positions[0] for p in positions])
    except TrendError as err:
        return str(err).removeprefix("trend: ")


def trend_span(trend: Trend, kind: str) -> str:
    """A trend's slope per quarter with its interval and the quarters it spans, in words."""
    low, high = trend.ci
    unit = " points" if kind == "nps" else ""
    return (f"{fmt_change(trend.slope, kind)}{unit} a quarter (95% CI {fmt_change(low, kind)} "
            f"to {fmt_change(high, kind)}), over {trend.k} quarters")


def trend_words(trend: Trend | str, kind: str) -> str:
    """A trend in words for a chart or a reader: its slope per quarter, or 'no clear trend'."""
    if isinstance(trend, str):
        return f"No trend test: {trend}."
    span = trend_span(trend, kind)
    test = fmt_p(trend.p_value, adjusted=False)
    if trend.is_clear:
        return f"{'Rising' if trend.slope > 0 else 'Falling'}: {span}, {test}."
    return f"No clear trend: {span}, {test}."


def group_frame(study: Study, by: str, key: str | Measure = "nps") -> pd.DataFrame:
    """The measure per department or team in the study's quarter, with intervals.

    ``flag`` is ``above`` or ``below`` where a group differs from the rest of the client after
    a Benjamini-Hochberg adjustment over all the groups compared (see ``flag_groups``).

    Examples:
        On the sample data, with ``study = cxlab.open_study("cedar", "2026Q3")``:

        >>> report.group_frame(study, "department")[["department", "value", "n", "flag"]]
           department      value    n   flag
        0     Success   3.448276   29  below
        1     Support  25.769231  260  below
        2       Sales  43.859649   57
        3   Marketing  46.808511   47
        4  Operations  79.245283   53  above
    """
    m = measure(key)
    held = None if weights_for_table(study, m.table) else quarter_query(study, m.table)
    if held is not None:  # the engine aggregates the quarter's rows where they are
        out = metrics.grouped(_with_group(study, engine.measure_values(m, held), by, m), m,
                              by, check_scale=False)
        out = out[out["n"] > 0].sort_values("value").reset_index(drop=True)
        out["flag"] = flag_groups(out)
        return out
    rows = measures.with_values(m, study.rows(m.table))
    weights = weights_for(study, m, rows)
    if weights is not None:  # kept beside each answer through the join below
        rows = rows.assign(**{WEIGHT: weights})
    if by == "department" and by not in rows and "team" in rows:
        # Through the team, as the pulse tables do: anonymous answers keep their department
        # (a join on the employee would drop them, and differ from the other tables by them).
        rows = rows.assign(department=rows["team"].map(study.department_of_team))
    if by not in rows:
        if by not in study.columns("employees"):
            raise ValueError(f"cannot group {m.name} by {by!r}: it is a column of neither "
                             f"{m.table} nor employees (try 'team' or 'department')")
        roster = study.tables["employees"][["employee_id", by]]
        rows = rows.merge(roster, on="employee_id", how="inner")
    out = metrics.grouped(rows, m, by, weights=WEIGHT if weights is not None else None,
                          check_scale=False)
    if m.table == "employee_responses":  # too few respondents: not shown at all
        out = out[~hidden_pulse_groups(study, rows, by).reindex(out[by], fill_value=False)
                  .to_numpy()]
    out = out[out["n"] > 0].sort_values("value").reset_index(drop=True)
    out["flag"] = flag_groups(out)
    return out


def quarter_query(study: Study, table: str) -> ir.Table | None:
    """The study's quarter of ``table`` for the engine to aggregate; None to use pandas.

    None where :meth:`Study.history_query` is (no engine, or a person's latest answer only).
    """
    held = study.history_query(table)
    if held is None:
        return None
    return held.filter(engine.within(held[PERIOD_COLUMN[table]], *periods.bounds(study.quarter)))


def _with_group(study: Study, held: ir.Table, by: str, m: Measure) -> ir.Table:
    """``held`` with a column ``by``: its own, the team's department, or the employee's.

    As :func:`group_frame` joins frames: answers without a known team or employee are left
    out of the groups.
    """
    import ibis

    if by in held.columns:
        return held
    if by == "department" and "team" in held.columns:
        teams = study.department_of_team.rename_axis("team").reset_index()
        return held.left_join(ibis.memtable(teams), "team")
    if by not in study.columns("employees"):
        raise ValueError(f"cannot group {m.name} by {by!r}: it is a column of neither "
                         f"{m.table} nor employees (try 'team' or 'department')")
    roster = study.tables["employees"][["employee_id", by]]
    return held.join(ibis.memtable(roster), "employee_id")


def hidden_pulse_groups(study: Study, rows: pd.DataFrame, by: str) -> pd.Series:
    """Which groups of employee answers ``rows`` to hide, by the client's ``min_group_size``.

    By team or department, with complementary suppression across both (see
    ``disclosure.pulse_suppression``); by any other column, among that column's groups.
    """
    min_n = config.setting(study.settings, "min_group_size")
    if by in ("team", "department"):
        departments, teams = disclosure.pulse_suppression(rows, study.department_of_team, min_n)
        return departments if by == "department" else teams
    return disclosure.suppressed(disclosure.respondents(rows, by), min_n)


# ------------------------------------------------------------------------------------------
# Departments


def department_frame(study: Study) -> pd.DataFrame:
    """Per department: headcount, rewarded metrics, whether any is a CX measure, and NPS.

    Examples:
        On the sample data, with ``study = cxlab.open_study("cedar", "2026Q3")``:

        >>> frame = report.department_frame(study)
        >>> frame[["department", "n_employees", "has_cx_kpi", "flag"]]
           department  n_employees  has_cx_kpi   flag
        0          HR            2        True
        1   Marketing            3        True
        2  Operations            5        True  above
        3       Sales            6        True
        4     Success            6        True  below
        5     Support           17        True  below
    """
    employees = study.tables["employees"]
    plan = study.tables["incentive_plan"]
    nps = group_frame(study, "department", "nps").set_index("department")
    flags = nps["flag"]
    rows = []
    for dept, staff in employees.groupby("department", sort=True):
        rewarded = plan.loc[plan["department"] == dept, "metric"].tolist()
        cx = cx_metrics(rewarded)
        has_nps = dept in nps.index
        rows.append({
            "department": dept, "n_employees": len(staff), "rewarded_metrics": rewarded,
            "cx_metrics": cx, "has_cx_kpi": bool(cx),
            "nps": nps.at[dept, "value"] if has_nps else np.nan,
            "nps_ci_low": nps.at[dept, "ci_low"] if has_nps else np.nan,
            "nps_ci_high": nps.at[dept, "ci_high"] if has_nps else np.nan,
            "n_responses": int(nps.at[dept, "n"]) if has_nps else 0,
            "n_effective": nps.at[dept, "n_effective"] if has_nps else 0.0,
            "weighted": has_nps and "weighted" in nps.at[dept, "method"],
            "flag": flags.get(dept, ""),
        })
    return pd.DataFrame(rows)


@needs("employees", "incentive_plan")
def departments(study: Study) -> pd.DataFrame:
    """Formatted department table: CX measure in the incentive plan and customer NPS.

    Examples:
        On the sample data, with ``study = cxlab.open_study("cedar", "2026Q3")``:

        >>> report.departments(study)["NPS against the rest"]
        Department
        HR                -
        Marketing         -
        Operations    above
        Sales             -
        Success       below
        Support       below
        Name: NPS against the rest, dtype: str
    """
    frame = department_frame(study)
    table = pd.DataFrame({
        "Department": frame["department"],
        "Employees": frame["n_employees"],
        "Rewarded metrics": frame["rewarded_metrics"].map(
            lambda m: ", ".join(map(metric_words, m)) or "none"),
        "CX measure in plan": frame["has_cx_kpi"].map({True: "yes", False: "no"}),
        "NPS of its touchpoints": [
            f"{fmt_value(v, 'nps')} ({fmt_value(lo, 'nps')} to {fmt_value(hi, 'nps')})"
            if n else "no responses"
            for v, lo, hi, n in zip(frame["nps"], frame["nps_ci_low"], frame["nps_ci_high"],
                                    frame["n_responses"], strict=True)
        ],
        "n": [f"{n:,} (n_eff {e:,.0f})" if w else f"{n:,}" for n, e, w in zip(
            frame["n_responses"], frame["n_effective"], frame["weighted"], strict=True)],
        "NPS against the rest": frame["flag"].replace("", "-"),
    }).set_index("Department")
    table.attrs["caption"] = (f"Departments in {study.quarter}: the metrics their incentive plan "
                              "rewards, and customer NPS (points, 95% interval) of their "
                              f"touchpoints; {FLAG_CAPTION}")
    table.attrs.update(small_n=SMALL_N, n_of={"n": ["NPS of its touchpoints"]})
    return table


#: What a table's above/below flag means, said in its caption.
FLAG_CAPTION = ("above or below: differs from the rest of the client after allowing for the "
                "number of groups compared (Benjamini-Hochberg)")


#: An incentive plan's metric as words (``time_to_hire``: time to hire, ``csat``: CSAT).
metric_words = measures.words


@needs("employees", "incentive_plan")
def department_summary(study: Study) -> Markdown:
    """One sentence: how many departments have a CX measure, and which lack one.

    Examples:
        On the sample data, with ``study = cxlab.open_study("cedar", "2026Q3")``:

        >>> report.department_summary(study).data
        '**6 of 6 departments** have a CX measure among the metrics their incentive plan rewards.'
    """
    frame = department_frame(study)
    lacking = frame.loc[~frame["has_cx_kpi"], "department"].tolist()
    text = (f"**{int(frame['has_cx_kpi'].sum())} of {len(frame)} departments** have a CX "
            "measure among the metrics their incentive plan rewards.")
    if lacking:
        text += f" Without one: {escape_all(lacking)}."
    return Markdown(text)


# ------------------------------------------------------------------------------------------
# Overview and data quality


def overview(study: Study) -> Markdown:
    """The report's opening lines: who, when, and how much data stands behind it.

    Examples:
        On the sample data, with ``study = cxlab.open_study("cedar", "2026Q3")``:

        >>> print(report.overview(study).data)
        **Cedar Health**, quarter 2026Q3 (01 Jul 2026 to 30 Sep 2026). This quarter: 481 customer
        survey responses, 765 service interactions, 31 customer accounts due for renewal and 36
        employee survey responses (dataset `sample`).
    """
    start, end = periods.bounds(study.quarter)
    counted = {"customer_responses": "customer survey responses",
               "interactions": "service interactions",
               "accounts": "customer accounts due for renewal",
               "employee_responses": "employee survey responses"}
    counts = [f"{study.count_rows(t):,} {label}" for t, label in counted.items()
              if t not in study.absent]
    last_day = (end - pd.Timedelta(days=1)).strftime("%d %b %Y")
    text = (f"**{escape(study.client_name)}**, quarter {study.quarter} ({start:%d %b %Y} to {last_day}). "
            f"This quarter: {_and(counts) or 'no survey or interaction data'} "
            f"(dataset `{study.dataset}`).")
    if study.absent:
        text += (f" Not in this dataset: {', '.join(study.absent)}; the sections that need "
                 "them say so.")
    # Names of the schema's columns (a mapping may name no other), shown as code.
    uncollected = [f"`{table}.{column}`" for table, columns in study.not_collected.items()
                   for column in columns]
    if uncollected:
        text += (f" Not collected in this client's exports: {', '.join(uncollected)}; the "
                 "measures that need them say so.")
    text += undated_note(study) + filter_note(study)
    note = weighting_note(study)
    return Markdown(f"{text} {note}" if note else text)


def filter_note(study: Study) -> str:
    """The filters a researcher applied (``Study.filter``), and which tables each cut."""
    parts = [f"{escape(column)} = {escape(', '.join(map(str, spec['values'])))} (in "
             f"{escape(', '.join(TABLE_LABELS.get(t, t) for t in spec['tables']))})"
             for column, spec in study.filters.items()]
    return f" **Filtered:** {'; '.join(parts)}; other tables are whole." if parts else ""


def undated_note(study: Study) -> str:
    """Stored rows without the date that places them in a quarter, which no quarter shows.

    Only a table whose date is optional can have them (accounts without a renewal date);
    a report must not pass over thousands of stored rows without a word.
    """
    notes = []
    for table, column in PERIOD_COLUMN.items():
        if table in study.absent or table not in study.tables:
            continue
        undated = study.count(table, missing=column)
        if undated:
            notes.append(f"{undated:,} of the {study.count(table):,} stored rows of `{table}` have no "
                         f"`{column}`, so they fall in no quarter and no quarter's measures "
                         "count them")
    return "".join(f" {n[0].upper()}{n[1:]}." for n in notes)


def weighting_note(study: Study) -> str:
    """How the customer-survey results are weighted, in words; empty when they are not."""
    spec = study.settings.get("weighting")
    if not spec:
        return ""
    how = []
    if spec.get("column"):
        how.append(f"by the survey's own weights (column `{escape(spec['column'])}`)")
    if spec.get("margins"):
        how.append("raked each quarter to the population shares of "
                   f"{escape_all(list(spec['margins']))}")
    failed = study.weighting_notes
    date = PERIOD_COLUMN["customer_responses"]
    rows = study.between("customer_responses", *periods.bounds(study.quarter),
                         [c for c in study.columns("customer_responses") if c in (date, "nps")])
    if study.quarter in failed:
        return (f"Customer-survey results are **not weighted** in {study.quarter}: "
                f"{escape(failed[study.quarter])}")
    text = f"Customer-survey results are **weighted** ({' and '.join(how)})"
    weights = study.response_weights(rows)
    if weights is not None and len(rows):
        w = weights[rows["nps"].notna().to_numpy()] if "nps" in rows else weights
        text += (f": this quarter's {int((w > 0).sum()):,} NPS answers count as "
                 f"{metrics.kish_n(w[w > 0]) if (w > 0).any() else 0:,.0f} in the intervals "
                 "(Kish's effective sample size; see Methods: Survey weights)")
    text += "."
    if failed:
        text += (" Quarters that could not be weighted, and so trends through them, are shown "
                 "unweighted: " + "; ".join(f"{q}: {escape(reason)}"
                                             for q, reason in sorted(failed.items())) + ".")
    return text


def _and(items: list[str]) -> str:
    return ", ".join(items[:-1]) + " and " + items[-1] if len(items) > 1 else "".join(items)


#: Each table as the report names it (the data-quality tables show these, not the names
#: stored in the dataset); a table not listed shows its name in words.
TABLE_LABELS = {
    "customer_responses": "customer survey responses",
    "interactions": "service interactions",
    "accounts": "customer accounts",
    "employees": "employees (the roster)",
    "employee_responses": "employee survey responses",
    "incentive_plan": "incentive plan",
    "feedback_actions": "actions on employee feedback",
    "follow_ups": "follow-ups of unhappy customers",
    "maturity_answers": "maturity self-assessment answers",
}


def table_label(table: str) -> str:
    """The table as the report names it (see :data:`TABLE_LABELS`)."""
    return TABLE_LABELS.get(table, table.replace("_", " "))


#: Rejection reasons (the code after the column's name) as the report says them.
REASON_WORDS = {
    "out of range": "outside its allowed range",
    "duplicate id": "repeats an earlier row's id",
    "missing value": "missing",
    "wrong type": "not readable as the expected type",
    "text too long": "text too long",
    "NUL character": "holds a NUL character",
    "date in the future": "dated after the data's as-of date",
}


def reason_words(reason: str) -> str:
    """An import's rejection reason in words, for the data-quality tables.

    ``nps: out of range`` reads "NPS: outside its allowed range", ``employee_id: not in
    employees`` "employee id: not on the roster". A reason without a known code is shown as
    recorded.

    >>> reason_words("nps: out of range")
    'NPS: outside its allowed range'
    >>> reason_words("employee_id: not in employees")
    'employee id: not on the roster'
    """
    column, sep, code = reason.partition(": ")
    if not sep:
        return reason
    if code == "not in employees":
        said = "not on the roster"
    elif code.startswith("not in "):
        said = f"not found in the {table_label(code.removeprefix('not in '))}"
    else:
        said = REASON_WORDS.get(code, code)
    return f"{measures.words(column)}: {said}"


def source_label(source: str) -> str:
    """Where an imported table came from: its file's name, or "generated sample data"."""
    return "generated sample data" if source.startswith("sample:") else Path(source).name


def quality_frame(study: Study) -> pd.DataFrame:
    """One row per imported file: its table in words, rows read, accepted, rejected, filtered.

    With the source and the reasons for rejection; the page's table and the workbook's sheet.
    """
    return pd.DataFrame([{
        "Table": table_label(rec["table"]), "Source": source_label(rec["source"]),
        "Rows read": rec["rows_read"], "Accepted": rec["rows_accepted"],
        "Rejected": rec["rows_rejected"], "Filtered by the mapping": rec.get("rows_filtered", 0),
        "Reasons": "; ".join(f"{reason_words(code)} ({n:,} row{'s' * (n != 1)})"
                             for code, n in rec["reasons"].items()) or "-",
    } for rec in study.quality])


def data_quality(study: Study) -> pd.DataFrame | Markdown:
    """Rows read, accepted and rejected per table, with the reasons for rejection.

    Examples:
        On the sample data, with ``study = cxlab.open_study("cedar", "2026Q3")``:

        >>> report.data_quality(study).loc["customer survey responses", ["Rows read", "Rejected"]]
        Rows read    4063
        Rejected       22
        Name: customer survey responses, dtype: int64
    """
    if not study.quality:
        return Markdown(f"*No import record for {escape(study.client_name)}: its tables were placed "
                        "in the dataset directly, not read through `cxlab data import`.*")
    table = quality_frame(study).set_index("Table")
    table.attrs["caption"] = "Rows per table, all quarters, as read, accepted and rejected at import"
    return table


def rejected_examples(study: Study) -> pd.DataFrame | Markdown:
    """One example per table and rejection reason, described without quoting the row.

    The example names the column, the kind of value found and what was expected: never the
    value, the row's other cells or a path on the analyst's machine (those stay in the
    rejected rows kept beside the dataset, for the analyst).

    Examples:
        On the sample data, with ``study = cxlab.open_study("cedar", "2026Q3")``:

        >>> report.rejected_examples(study).iloc[0].tolist()
        ['customer survey responses', 'NPS: outside its allowed range',
         "column 'nps': a whole number; expected a whole number from 0 to 10"]
    """
    rows = [{"Table": table_label(rec["table"]), "Reason": reason_words(code),
             "Example": rec.get("published_examples", {}).get(code, UNDESCRIBED)}
            for rec in study.quality for code in rec["reasons"]]
    if not rows:
        return Markdown("*No row was rejected.*" if study.quality else
                        "*No rejected rows to describe: there is no import record.*")
    table = pd.DataFrame(rows, columns=["Table", "Reason", "Example"])
    table.attrs["caption"] = "One example per table and reason for rejection, without the row's values"
    return table


#: The example shown for a rejection recorded before examples were described for publication.
UNDESCRIBED = "not described (imported with an earlier cxlab; import the file again)"
