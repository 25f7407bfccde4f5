"""Client-ready exports of a report: an Excel workbook of its tables and a PowerPoint deck.

The workbook holds numbers, not the formatted strings of the page: shares as fractions with
a percent format, NPS in points, intervals as two columns, so a reader can sort, chart and
compute in a spreadsheet. The deck holds the headline measures, what needs action and the
headline charts, for a board pack. Both are built from the same tables and charts as the
page, through the same privacy rules (pseudonyms, group-size thresholds, the client's
settings): no employee-level table, comment or raw row goes into either.

A table the data cannot give is left out, and the workbook's first sheet says which and why;
an export never fails the report (see :func:`downloads`).
"""

from __future__ import annotations

import functools
import html
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, SupportsFloat

import numpy as np
import pandas as pd
from IPython.display import Markdown

from cxlab import config, measures
from cxlab.markup import escape
from cxlab.measures import Measure
from cxlab.study import Study

if TYPE_CHECKING:  # the libraries are imported when a deck is written
    from openpyxl.cell.cell import Cell
    from PIL.ImageFont import FreeTypeFont
    from pptx.presentation import Presentation
    from pptx.shapes.base import BaseShape
    from pptx.slide import Slide
    from pptx.text.text import TextFrame

    from cxlab.report.theme import Chart

#: Excel number formats by the kind of estimate (shares are stored as fractions).
NUMBER_FORMATS = {"nps": "+0.0;-0.0;0.0", "proportion": "0.0%", "mean": "0.00"}
#: Excel number formats of a change between quarters (percentage points for shares).
CHANGE_FORMATS = {"nps": "+0.0;-0.0;0.0", "proportion": '+0.0" pp";-0.0" pp";0.0" pp"',
                  "mean": "+0.00;-0.00;0.00"}
#: p-values: three decimals, and "< 0.001" below 0.001 (a conditional format), as the page
#: says it, so a p of 3e-9 never reads 0.000 nor 3.00E-09. The cell holds the exact float
#: either way (the formula bar shows it).
P_FORMAT = '[<0.001]"< 0.001";0.000'
SHARE_FORMAT, POINTS_FORMAT, COUNT_FORMAT = "0.0%", "+0.0;-0.0;0.0", "#,##0"


@dataclass
class Sheet:
    """One table of the workbook: a frame of values and how its numbers are formatted.

    ``formats`` gives a column's Excel format; a column of estimates of several measures
    (values, intervals, changes) is formatted per row, by the kind of the row's measure:
    ``kinds`` maps the text in column ``kind_by`` to ``nps``, ``proportion`` or ``mean``.
    ``holds`` says in one line what the sheet holds, ``note`` how to read it.
    """

    name: str
    frame: pd.DataFrame
    formats: dict[str, str] = field(default_factory=dict)
    note: str = ""
    kind_by: str | None = None
    kinds: dict[str, str] = field(default_factory=dict)
    #: One line on what the sheet holds, for the 'About' sheet.
    holds: str = ""


@dataclass
class Workbook:
    """The sheets of a report's workbook, and the tables left out with the reason."""

    sheets: list[Sheet]
    left_out: dict[str, str]


# ------------------------------------------------------------------------------------------
# The tables, as numbers


def scorecard_sheet(study: Study) -> Sheet:
    """The scorecard: each headline measure this quarter with its interval, n and changes.

    Computed once per study (the workbook and the deck both read it).
    """
    return study.cached(("exports", "scorecard"), lambda: _scorecard_sheet(study))


def _scorecard_sheet(study: Study) -> Sheet:
    from cxlab.report.tables import HIDDEN, UNCOLLECTED, headline, scorecard_frame

    shown = {m.name: m for m in headline(study)}
    rows, kinds = [], {}
    for _, r in scorecard_frame(study).iterrows():
        m: Measure = shown[r["key"]]
        est = r["current"] if r["current"] not in (HIDDEN, UNCOLLECTED, None) else None
        status = ("hidden (too few respondents)" if r["hidden"] else
                  "not collected in this export" if r["not_collected"] else
                  "measured" if est is not None else "not measured")
        row = {"Measure": m.label, "Status": status,
               "Value": est.value if est else None,
               "95% CI low": est.ci[0] if est else None,
               "95% CI high": est.ci[1] if est else None, "n": est.n if est else None,
               "n effective": round(est.n_effective, 1) if est and est.weighted else None}
        for tag, label in (("prev", study.previous_quarter), ("yago", study.year_ago_quarter)):
            change = r[f"{tag}_change"]
            # Shares are fractions, their changes percentage points (Excel cannot scale a
            # number by 100 in a format without calling it a percent).
            scale = 100 if m.estimate_kind == "proportion" else 1
            row[f"Change vs {label}"] = None if _number(change) is None else scale * change
            row[f"Adjusted p vs {label}"] = _number(r[f"{tag}_p_adj"])  # exact, however small
        rows.append(row)
        kinds[m.label] = m.estimate_kind
    return Sheet("Scorecard", pd.DataFrame(rows),
                 note="p-values are Holm-adjusted over all the scorecard's comparisons; a "
                      "change is significant when its adjusted p is below 0.05.",
                 kind_by="Measure", kinds=kinds,
                 holds=f"The headline measures in {study.quarter}: value, 95% interval, n, "
                       "and the change against last quarter and a year earlier.")


def trends_sheet(study: Study) -> Sheet:
    """Each headline customer measure per quarter, with its interval and n."""
    from cxlab.report.availability import collected
    from cxlab.report.tables import headline, trend_frame

    parts, kinds = [], {}
    for m in headline(study):
        if m.table == "employee_responses" or not collected(study, m):
            continue  # the pulse has its own small-group rules: not by quarter here
        frame = trend_frame(study, m.name if measures.find(m.name) else m)
        if frame.empty:
            continue
        parts.append(pd.DataFrame({
            "Measure": m.label, "Quarter": frame["quarter"].astype(str),
            "Value": frame["value"], "95% CI low": frame["ci_low"],
            "95% CI high": frame["ci_high"], "n": frame["n"].astype(int),
            "Coverage break": frame["coverage_break"].map({True: "yes", False: ""})}))
        kinds[m.label] = m.estimate_kind
    if not parts:
        raise LookupError("no headline customer measure has answers up to this quarter")
    return Sheet("Trends", pd.concat(parts, ignore_index=True),
                 note="A coverage break marks a quarter where the share of rows carrying the "
                      "measure jumped: not a change in the measure.",
                 kind_by="Measure", kinds=kinds,
                 holds="Each headline customer measure quarter by quarter, with its 95% "
                       "interval and n.")


def groups_sheet(study: Study, by: str) -> Sheet:
    """NPS and CSAT (share 4-5) per department or team, with intervals, n and flags."""
    from cxlab.report.tables import group_frame

    parts, kinds = [], {}
    for key in ("nps", "csat_top2"):
        m = measures.get(key)
        frame = group_frame(study, by, key)
        if frame.empty:
            continue
        parts.append(pd.DataFrame({
            by.title(): frame[by].astype(str), "Measure": m.label,
            "Value": frame["value"], "95% CI low": frame["ci_low"],
            "95% CI high": frame["ci_high"], "n": frame["n"].astype(int),
            "Flag": frame["flag"].fillna("")}))
        kinds[m.label] = m.estimate_kind
    if not parts:
        raise LookupError(f"no {by} has customer answers this quarter")
    return Sheet(f"{by.title()}s", pd.concat(parts, ignore_index=True),
                 note=f"Flag: the {by} differs from the rest of the client after a "
                      "Benjamini-Hochberg adjustment over all groups compared.",
                 kind_by="Measure", kinds=kinds,
                 holds=f"NPS and CSAT (share 4-5) per {by} in {study.quarter}, with 95% "
                       "intervals, n and a flag where it differs from the rest.")


def segments_sheet(study: Study) -> Sheet:
    """The headline customer measures per group of each declared segment."""
    from cxlab.report.segments import segments_frame
    from cxlab.report.tables import headline

    frame = segments_frame(study)
    if frame.empty:
        raise LookupError("no segment declared, or no answer carries a headline measure")
    shown = {m.name: m for m in headline(study)}
    out = pd.DataFrame({
        "Segment": frame["segment_label"], "Group": frame["group"].astype(str),
        "Measure": frame["label"], "Value": frame["value"], "95% CI low": frame["ci_low"],
        "95% CI high": frame["ci_high"], "n": frame["n"].astype(int),
        "Flag": frame["flag"].fillna("")})
    kinds = {shown[k].label: shown[k].estimate_kind for k in frame["measure"].unique()}
    return Sheet("Segments", out, kind_by="Measure", kinds=kinds,
                 holds="The headline customer measures per group of each segment the "
                       "client's mapping declares, with 95% intervals and n.")


def drivers_sheet(study: Study, outcome: str | None = None) -> Sheet:
    """The key drivers of ``outcome`` (default: the report's headline outcome), as numbers."""
    from cxlab.report.drivers import (
        driver_label,
        headline_outcome,
        key_drivers_result,
        outcome_name,
    )

    _require(study, "customer_responses")
    outcome = outcome or headline_outcome(study)
    result = key_drivers_result(study, outcome)
    t = result.table
    frame = pd.DataFrame({
        "Driver": [driver_label(study, d) for d in t["driver"]],
        "Share of explained variance": t["weight"] / result.r2,
        "Share 95% CI low": t["share_ci_low"], "Share 95% CI high": t["share_ci_high"],
        "Beats a random variable": t["is_important"].map({True: "yes", False: "no"}),
        "Coefficient": t["coef"], "Coefficient 95% CI low": t["coef_ci_low"],
        "Coefficient 95% CI high": t["coef_ci_high"], "p": t["p_value"].astype(float),
        "Mean rating": t["performance"]})
    formats = {c: "0%" for c in frame if c.startswith("Share")}
    formats.update({c: "+0.00;-0.00;0.00" for c in frame if c.startswith("Coefficient")})
    formats.update({"p": P_FORMAT, "Mean rating": "0.00"})
    name = html.unescape(outcome_name(study, outcome))
    return Sheet(f"Key drivers of {name}"[:31] if outcome != headline_outcome(study)
                 else "Key drivers", frame, formats,
                 f"Drivers of {name}: the ratings together explain {100 * result.r2:.0f}% of "
                 f"its variance (n={result.n:,} complete answers). "
                 + "".join(f"{html.unescape(note)} " for note in result.notes)
                 + "p is the regression coefficient's, unadjusted.",
                 holds=f"Key drivers of {name}: each rating's share of the explained variance "
                       "with its interval, its regression coefficient and p, and its mean.")


def plan_sheet(study: Study) -> Sheet:
    """Per department: its headcount, the metrics its incentive plan rewards, any CX one."""
    from cxlab.report.tables import department_frame, metric_words

    _require(study, "employees", "incentive_plan")
    f = department_frame(study)
    frame = pd.DataFrame({
        "Department": f["department"].astype(str), "Employees": f["n_employees"].astype(int),
        "Rewarded metrics": [", ".join(map(metric_words, m)) or "none"
                             for m in f["rewarded_metrics"]],
        "CX measure in plan": f["has_cx_kpi"].map({True: "yes", False: "no"})})
    return Sheet("Incentive plan", frame, {"Employees": COUNT_FORMAT},
                 "Their customers' NPS is on the 'Departments' sheet.",
                 holds="Each department's headcount, the metrics its incentive plan rewards, "
                       "and whether one of them is a CX measure.")


def incentive_sheet(study: Study) -> Sheet:
    """The incentive audit: each rewarded metric's verdict and every association tested."""
    from cxlab.report.availability import collected
    from cxlab.report.tables import metric_words
    from cxlab.stats.employees import incentive_audit_frame
    from cxlab.stats.incentives import OUTCOMES

    _require(study, "employees", "incentive_plan")
    verdicts, tests = incentive_audit_frame(study)
    rows = []
    for _, v in verdicts.iterrows():
        m = measures.find(v["metric"])
        uncollected = m is not None and not collected(study, m)
        base = {"Rewarded metric": metric_words(v["metric"]),
                "Paid in": ", ".join(v["departments"]),
                "Kind": "CX measure" if v["kind"] == "cx" else "activity",
                "Verdict": v["verdict"]}
        mine = tests[tests["metric"] == v["metric"]].sort_values("p_adj")
        if uncollected or mine.empty:
            rows.append(base | {"Customer outcome": "not collected in this export"
                                if uncollected else "none tested"})
            continue
        for _, t in mine.iterrows():
            outcome = measures.get(t["outcome"])
            scale = 1 if outcome.kind == "nps" else 100  # NPS in points, shares in pp
            rows.append(base | {
                "Customer outcome": outcome.short,
                "Unit": "NPS points" if outcome.kind == "nps" else "percentage points",
                "Change with one standard deviation more of the metric": scale * t["effect"],
                "95% CI low": scale * t["ci_low"], "95% CI high": scale * t["ci_high"],
                "p (BH-adjusted)": float(t["p_adj"]), "One standard deviation of the metric": t["metric_sd"],
                "Employees": int(t["n"]), "Teams": int(t["n_teams"])})
    frame = pd.DataFrame(rows)
    untested = [measures.get(o).short for o in OUTCOMES if not collected(study, o)]
    note = ("Associations within teams over the last four quarters; p-values are "
            "Benjamini-Hochberg-adjusted over all the tests.")
    if untested:
        note += f" Not tested (not collected in this export): {', '.join(untested)}."
    formats = {c: POINTS_FORMAT for c in frame if c.startswith(("Change", "95% CI"))}
    formats.update({"p (BH-adjusted)": P_FORMAT, "One standard deviation of the metric": "0.000",
                    "Employees": COUNT_FORMAT, "Teams": COUNT_FORMAT})
    return Sheet("Incentive audit", frame, formats, note,
                 holds="Each metric the incentive plan pays for, its verdict, and how a "
                       "customer outcome changes with more of it (one row per outcome tested).")


def linkage_sheet(study: Study) -> Sheet:
    """EX -> CX linkage: every link's effect with its interval, Holm-adjusted p and sizes."""
    from cxlab.report.linkage import PREDICTOR_UNITS, linkage_frame

    _require(study, "customer_responses", "employees", "employee_responses")
    f = linkage_frame(study)
    number = (lambda c: f[c].astype(float) if c in f else np.nan)  # noqa: E731
    frame = pd.DataFrame({
        "Employee measure": [("Engagement" if p == "engagement" else "eNPS")
                             + f", {PREDICTOR_UNITS[p]}" for p in f["predictor"]],
        "Customer outcome": [measures.get(o).short for o in f["outcome"]],
        "When": ["next quarter" if lag else "same quarter" for lag in f["lag"]],
        "Status": f["status"],
        "Effect (points)": number("effect"), "95% CI low": number("ci_low"),
        "95% CI high": number("ci_high"), "p (Holm-adjusted)": number("p_adj"),
        "Reliability of a team mean": number("reliability"),
        "Effect corrected for measurement error": number("effect_corrected"),
        "Teams": number("n_teams"), "Team-quarters": number("n_team_quarters"),
        "Customer answers": number("n_responses")})
    formats = {c: POINTS_FORMAT for c in ("Effect (points)", "95% CI low", "95% CI high",
                                          "Effect corrected for measurement error")}
    formats.update({"p (Holm-adjusted)": P_FORMAT, "Reliability of a team mean": "0.00",
                    "Teams": COUNT_FORMAT, "Team-quarters": COUNT_FORMAT,
                    "Customer answers": COUNT_FORMAT})
    return Sheet("EX-CX linkage", frame, formats,
                 "Change in a team's customer outcome (NPS points; CSAT in percentage points) "
                 "per unit of its employees' measure, from a mixed model over team-quarters.",
                 holds="Whether teams with more engaged employees serve happier customers, "
                       "the same and the next quarter: effect, interval, adjusted p, sizes.")


def statements_sheet(study: Study) -> Sheet:
    """The three statements: each one's share of comments per quarter, and the latest change."""
    from cxlab import config, metrics
    from cxlab.report import comments
    from cxlab.report.statements import statements_frame

    _require(study, "customer_responses")
    f = statements_frame(study)
    if f.empty:
        raise LookupError("no customer comments up to this quarter")
    phrases = {s["label"]: ", ".join(s["phrases"])
               for s in config.setting(study.settings, "three_statements")}
    frame = pd.DataFrame({
        "Statement": f["statement"], "Quarter": f["quarter"].astype(str),
        "Share of comments": f["share"], "95% CI low": f["ci_low"],
        "95% CI high": f["ci_high"], "Comments saying it": f["k"].astype(int),
        "Comments": f["n"].astype(int)})
    change_col, p_col = f"Change vs {study.previous_quarter} (pp)", "p (unadjusted)"
    frame[change_col], frame[p_col] = np.nan, np.nan
    before = f[f["quarter"] == study.previous_quarter].set_index("statement")
    for i, r in f[f["quarter"] == study.quarter].iterrows():
        if r["statement"] in before.index:  # the page's comparison, as numbers
            b = before.loc[r["statement"]]
            test = metrics.compare(metrics.proportion(int(r["k"]), int(r["n"])),
                                   metrics.proportion(int(b["k"]), int(b["n"])))
            frame.loc[i, [change_col, p_col]] = [100 * test.difference, test.p_value]
    frame["Phrases"] = frame["Statement"].map(phrases).fillna("")
    formats = {c: SHARE_FORMAT for c in ("Share of comments", "95% CI low", "95% CI high")}
    formats.update({change_col: '+0.0" pp";-0.0" pp";0.0" pp"', p_col: P_FORMAT,
                    "Comments saying it": COUNT_FORMAT, "Comments": COUNT_FORMAT})
    return Sheet("Statements", frame, formats,
                 "Shares of each quarter's comments, with Wilson 95% intervals."
                 + comments.sample_sentence(f.attrs["sampled"]),
                 holds="How often customers' comments say each of the three statements, "
                       "quarter by quarter, and this quarter's change.")


def loop_sheet(study: Study) -> Sheet:
    """Closing the loop: how the quarter's unhappy customers were followed up, as numbers."""
    from cxlab.report.followups import loop_result
    from cxlab.stats.followups import LATER_DAYS

    _require(study, "customer_responses", "follow_ups")
    r = loop_result(study)
    rows: list[dict[str, object]] = []
    kinds: dict[str, str] = {}

    def add(label: str, kind: str, value: SupportsFloat | None = None,
            ci: tuple[SupportsFloat | None, SupportsFloat | None] = (None, None),
            n: int | None = None, p: SupportsFloat | None = None) -> None:
        rows.append({"Measure": label, "Value": _number(value), "Low": _number(ci[0]),
                     "High": _number(ci[1]), "n": n, "p (unadjusted)": _number(p)})
        kinds[label] = kind

    add("Unhappy answers (NPS 0-6 or CSAT 1-2)", "count", r.detractors)
    for label, est in (("Followed up", r.followed), ("Followed up within 48 hours", r.within),
                       ("Resolved, of the closed cases", r.resolved)):
        add(label, "proportion", *((est.value, est.ci, est.n) if est else ()))
    low, median, high = r.days_to_close
    add("Days from the answer to closing the case (median; quartiles)", "days", median,
        (low, high), r.closed)
    for label, est in ((f"NPS of the next answer (within {LATER_DAYS} days), followed up",
                        r.later_followed), ("NPS of the next answer, not followed up",
                                            r.later_not)):
        add(label, "nps", *((est.value, est.ci, est.n) if est else ()))
    c = r.later_comparison
    add("NPS difference (followed up minus not)", "nps",
        *((c.difference, c.ci, None, c.p_value) if c else ()))
    frame = pd.DataFrame(rows)
    return Sheet("Closing the loop", frame, {"p (unadjusted)": P_FORMAT}, kind_by="Measure",
                 kinds={k: v for k, v in kinds.items() if v in NUMBER_FORMATS},
                 note="Low and High: the 95% interval; for days to close, the quartiles. An "
                      "empty value: nothing to measure (no case closed, too few customers "
                      "answered again). The difference is an association, not an effect.",
                 holds=f"Customers who answered unhappily in {study.quarter}: how many were "
                       "followed up, how fast, closed and resolved, and their next NPS.")


def _tone_columns(n_scored: pd.Series, n_positive: pd.Series, n_negative: pd.Series
                  ) -> dict[str, list]:
    """Positive and negative shares of the scored comments, with Wilson 95% intervals."""
    from cxlab import metrics

    out: dict[str, list] = {"Scored": [int(n) for n in n_scored]}
    for tone, ks in (("Positive", n_positive), ("Negative", n_negative)):
        cells = [metrics.wilson_interval(int(k), int(n)) if n else (np.nan,) * 4
                 for k, n in zip(ks, n_scored, strict=True)]
        out[f"{tone} (of scored)"] = [float(c[0]) for c in cells]
        out[f"{tone} 95% CI low"] = [float(c[2]) for c in cells]
        out[f"{tone} 95% CI high"] = [float(c[3]) for c in cells]
    return out


def _tone_formats(frame: pd.DataFrame) -> dict[str, str]:
    formats = {c: SHARE_FORMAT for c in frame if c.startswith(("Positive", "Negative", "Share"))}
    formats.update({c: COUNT_FORMAT for c in ("Comments", "Comments on it", "Scored",
                                              "Not scored (language)")})
    formats["Mean sentiment"] = "+0.00;-0.00;0.00"
    return formats


def comment_themes_sheet(study: Study) -> Sheet:
    """This quarter's themes of customer comments: how often and in what tone (no text)."""
    from cxlab.report import comments
    from cxlab.text.themes import theme_summary

    _require(study, "customer_responses")
    frame = comments._this_quarter(study)
    if frame.empty:
        raise LookupError(f"no customer comments in {study.quarter}")
    t = theme_summary(frame["comment"], comments._themes(study),
                      frame[["language", "score", "tone"]])
    out = pd.DataFrame({"Theme": t["theme"], "Comments on it": t["k"].astype(int),
                        "Comments": t["n"].astype(int), "Share": t["share"],
                        "Share 95% CI low": t["ci_low"], "Share 95% CI high": t["ci_high"],
                        **_tone_columns(t["n_scored"], t["n_positive"], t["n_negative"]),
                        "Mean sentiment": t["mean_sentiment"],
                        "Not scored (language)": t["n_not_scored"].astype(int)})
    sampled = comments.comments_frame(study).attrs["sampled"]
    return Sheet("Comment themes", out, _tone_formats(out),
                 "Sentiment is scored for English comments only; the others count in the "
                 "themes, not in the tone. No comment is quoted in the workbook."
                 + comments.sample_sentence({q: sampled[q] for q in sampled
                                             if q == study.quarter}),
                 holds=f"Themes of customers' comments in {study.quarter}: share of comments "
                       "with its interval, and the tone of those comments.")


def comment_tone_sheet(study: Study) -> Sheet:
    """Tone of customer comments by quarter (the last four), channel and department."""
    from cxlab.report import comments

    _require(study, "customer_responses")
    parts = []
    for by in ("quarter", "channel", "department"):
        frame = comments.comments_frame(study) if by == "quarter" else comments._this_quarter(
            study)
        if frame.empty or by not in frame:
            continue
        groups = frame.groupby(by, sort=True)
        scored = frame["score"].notna()
        n_scored = scored.groupby(frame[by]).sum()
        tone = frame["tone"].where(scored)
        parts.append(pd.DataFrame({
            "By": by.title(), "Group": [str(g) for g in n_scored.index],
            "Comments": groups.size().astype(int).to_numpy(),
            **_tone_columns(n_scored, (tone == "positive").groupby(frame[by]).sum(),
                            (tone == "negative").groupby(frame[by]).sum()),
            "Not scored (language)": (~scored).groupby(frame[by]).sum().astype(int)
            .to_numpy()}))
    if not parts:
        raise LookupError("no customer comments in the last quarters")
    out = pd.concat(parts, ignore_index=True)
    return Sheet("Comment tone", out, _tone_formats(out),
                 "Channels and departments are this quarter's; quarters the last four."
                 + comments.sample_sentence(comments.comments_frame(study).attrs["sampled"]),
                 holds="The tone of customers' comments by quarter, channel and department: "
                       "positive and negative shares of the comments scored, with intervals.")


def pulse_sheet(study: Study, by: str) -> Sheet:
    """Employee NPS and the engagement items per team or department in the latest pulse.

    Groups the page hides for confidentiality (fewer respondents than the client's
    ``min_group_size``, with complementary suppression) are hidden here too: their row says
    so and holds no number, not even the count of answers.
    """
    from cxlab import metrics
    from cxlab.data.schema import EX_ITEMS
    from cxlab.report.voice import min_group, pulse_enps

    _require(study, "employee_responses", "employees")
    pulse = pulse_enps(study, by)
    if pulse is None:
        raise LookupError("no employee pulse answers yet")
    rows, quarter, enps, small, flags = (pulse.rows, pulse.quarter, pulse.enps, pulse.hidden,
                                         pulse.flags)
    frame = pd.DataFrame({
        by.title(): enps.index.astype(str),
        "Status": np.where(small, f"hidden (confidentiality: groups under {min_group(study)})",
                           "shown"),
        "Answers": rows.groupby(by).size().reindex(enps.index).to_numpy(),
        "eNPS": enps["value"].to_numpy(), "eNPS 95% CI low": enps["ci_low"].to_numpy(),
        "eNPS 95% CI high": enps["ci_high"].to_numpy(),
        "eNPS against the rest": flags.to_numpy()})
    for item, text in EX_ITEMS.items():
        values = pd.to_numeric(rows[item], errors="coerce")
        g = values.groupby(rows[by])
        mean, _, _, _ = metrics.mean_interval(g.count(), g.sum(), (values**2).groupby(
            rows[by]).sum(), scale=(1, 5))
        frame[text] = pd.Series(mean, index=g.count().index).reindex(enps.index).to_numpy()
    frame.loc[small.to_numpy(), frame.columns[2:]] = np.nan  # hidden: no number at all
    frame.loc[small.to_numpy(), "eNPS against the rest"] = ""
    formats = {c: POINTS_FORMAT for c in frame if c.startswith("eNPS") and "rest" not in c}
    formats.update({t: "0.00" for t in EX_ITEMS.values()})
    formats["Answers"] = COUNT_FORMAT
    return Sheet(f"Pulse by {by}", frame, formats,
                 f"The {quarter} pulse. Items are the mean agreement on 1-5. Groups under "
                 f"{min_group(study)} respondents are hidden, and so is the next smallest "
                 "beside a lone hidden one, as on the page.",
                 holds=f"Voice of the employee: eNPS (points, 95% interval) and the five "
                       f"engagement items by {by} in the latest pulse.")


def employee_themes_sheet(study: Study) -> Sheet:
    """Themes of employees' comments (last four quarters), unless too few people wrote them."""
    from cxlab import config
    from cxlab.report import voice
    from cxlab.text.themes import EMPLOYEE_THEMES, theme_summary

    _require(study, "employee_responses")
    comments = voice._comments(study)
    if comments.empty:
        raise LookupError("no employee comments in the last four quarters")
    if (note := voice._too_few_commenters(study)) is not None:
        raise LookupError(_plain(note.data))
    themes = config.setting(study.settings, "employee_themes") or EMPLOYEE_THEMES
    t = theme_summary(comments, themes)
    out = pd.DataFrame({"Theme": t["theme"], "Comments on it": t["k"].astype(int),
                        "Comments": t["n"].astype(int), "Share": t["share"],
                        "Share 95% CI low": t["ci_low"], "Share 95% CI high": t["ci_high"],
                        "Mean sentiment": t["mean_sentiment"]})
    return Sheet("Employee comment themes", out, _tone_formats(out),
                 "No comment is quoted in the workbook.",
                 holds=f"Themes of employees' 'why' comments in the last {voice.THEME_QUARTERS}"
                       " quarters: how often, with the interval, and the mean tone.")


def maturity_sheet(study: Study) -> Sheet:
    """The maturity evidence: each indicator, its level, whether it holds and its numbers."""
    from cxlab.maturity.assessment import EVIDENCE_TABLES
    from cxlab.report.maturity import maturity_result

    _require(study, *EVIDENCE_TABLES)
    a = maturity_result(study)
    shown = {True: "yes", False: "no", None: "not measurable yet"}
    frame = pd.DataFrame({"Level": [i.level for i in a.indicators],
                          "Indicator": [i.statement for i in a.indicators],
                          "In place": [shown[i.met] for i in a.indicators],
                          "The numbers": [i.numbers for i in a.indicators]})
    self_level = "no self-assessment yet" if a.self_level is None else str(a.self_level)
    return Sheet("Maturity evidence", frame, {"Level": "0"},
                 f"Evidenced level {a.evidence_level}; self-assessed level {self_level}.",
                 holds="Employee-experience maturity: the indicators of each level in the "
                       "client's own data, whether each holds, and the numbers behind it.")


def maturity_elements_sheet(study: Study) -> Sheet:
    """The nine elements as self-assessed: level, continuous score and the change."""
    from cxlab.report.maturity import maturity_result

    a = maturity_result(study)
    if a.elements is None:
        raise LookupError("no self-assessment answers yet")
    latest = a.elements.set_index("element")
    frame = pd.DataFrame({
        "Element": latest["name"].to_numpy(),
        "Wording": np.where(latest["ours"], "cxlab's own", "the model's"),
        "Level (staged)": latest["level"].astype(int).to_numpy(),
        "Score (continuous)": latest["score"].astype(float).to_numpy()})
    if a.previous is not None:
        before = a.previous.set_index("element")["level"].reindex(latest.index)
        frame["Previous level"] = before.to_numpy(dtype=float)
        frame["Change"] = latest["level"].to_numpy() - before.to_numpy(dtype=float)
    return Sheet("Maturity elements", frame,
                 {"Score (continuous)": "0.0", "Change": "+0;-0;0"},
                 "'Wording' says whose level descriptors the element uses.",
                 holds="The nine elements of the maturity model as self-assessed: staged "
                       "level, continuous score, and the change since the last assessment.")


def quality_sheet(study: Study) -> Sheet:
    """Rows read, accepted, rejected and filtered per imported file."""
    if not study.quality:
        raise LookupError("the tables were placed in the dataset directly, not imported")
    from cxlab.report.tables import quality_frame

    counts = ("Rows read", "Accepted", "Rejected", "Filtered by the mapping")
    return Sheet("Data quality", quality_frame(study), dict.fromkeys(counts, COUNT_FORMAT),
                 holds="Rows of each imported file as read, accepted, rejected and filtered, "
                       "with the reasons for rejection.")


def _shown_on_page(study: Study, outcome: str) -> bool:
    """Whether the page shows a second key-driver table for ``outcome`` (CSAT, say)."""
    from cxlab.report.drivers import headline_outcome

    return outcome != headline_outcome(study)


def csat_drivers_sheet(study: Study) -> Sheet:
    """The key drivers of CSAT, which the page shows beside the headline outcome's."""
    if not _shown_on_page(study, "csat"):
        raise LookupError("CSAT is the headline outcome: its drivers are on 'Key drivers'")
    return drivers_sheet(study, "csat")


#: The workbook's tables in the page's order: each builder raises to say why its table is
#: left out. Employee-level tables (scorecards, recognition, the employees behind the
#: statements) and comment text are never in the workbook.
SHEETS: tuple[tuple[str, Callable[[Study], Sheet]], ...] = (
    ("Scorecard", lambda s: scorecard_sheet(s)),
    ("Trends", trends_sheet),
    ("Departments", lambda s: groups_sheet(s, "department")),
    ("Teams", lambda s: groups_sheet(s, "team")),
    ("Incentive plan", plan_sheet),
    ("Incentive audit", incentive_sheet),
    ("Key drivers", drivers_sheet),
    ("Key drivers of CSAT", csat_drivers_sheet),
    ("Segments", segments_sheet),
    ("EX-CX linkage", linkage_sheet),
    ("Closing the loop", loop_sheet),
    ("Statements", statements_sheet),
    ("Comment themes", comment_themes_sheet),
    ("Comment tone", comment_tone_sheet),
    ("Pulse by department", lambda s: pulse_sheet(s, "department")),
    ("Pulse by team", lambda s: pulse_sheet(s, "team")),
    ("Employee comment themes", employee_themes_sheet),
    ("Maturity evidence", maturity_sheet),
    ("Maturity elements", maturity_elements_sheet),
    ("Data quality", quality_sheet),
)
#: What the About sheet says is never exported, and why.
NOT_EXPORTED = ("Not in the workbook: employee-level tables (scorecards, recognition, the "
                "employees behind the statements) and comment text. They stay on the page, "
                "under the client's privacy settings.")


def workbook(study: Study) -> Workbook:
    """Every table of the workbook that this study's data can give, and why others cannot."""
    sheets, left_out = [], {}
    for name, build in SHEETS:
        try:
            sheets.append(build(study))
        except Exception as err:  # noqa: BLE001 - said in the workbook, never a lost report
            left_out[name] = _plain(str(err)) or type(err).__name__
    return Workbook(sheets, left_out)


def _require(study: Study, *tables: str) -> None:
    """Raise, with the page's words, when the study lacks one of ``tables``."""
    from cxlab.report.availability import unavailable

    if (note := unavailable(study, list(tables))) is not None:
        raise LookupError(_plain(note.data))


def _number(value: SupportsFloat | None) -> float | None:
    """A cell's number, or None (an empty cell) for a missing one."""
    return None if value is None or pd.isna(value) else float(value)


# ------------------------------------------------------------------------------------------
# Writing


def write_workbook(study: Study, path: Path) -> Path:
    """Write the report's workbook (``.xlsx``): an 'About' sheet, then one sheet per table."""
    heading = [f"{study.client_name}: {study.quarter}", "Quarterly CX report, as numbers.",
               f"Dataset: {study.dataset}"]
    return save_workbook(workbook(study), heading, path)


def save_workbook(content: Workbook, heading: list[str], path: Path) -> Path:
    """Save ``content`` as an ``.xlsx`` file: an 'About' sheet, then one sheet per table.

    'About' opens with ``heading``, says what each sheet holds and which tables were left
    out and why. Text cells are written as text, never as formulas: a team named
    ``=HYPERLINK(...)`` stays a name in Excel.
    """
    from openpyxl import Workbook as Book
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    book = Book()
    about = book.active
    about.title = "About"
    lines = [(line,) for line in heading] + [(), ("Sheet", "What it holds")]
    lines += [(s.name[:31], " ".join(filter(None, (s.holds, s.note))) or "-")
              for s in content.sheets]
    if content.left_out:
        lines += [(), ("Left out: the data cannot give these tables",)]
        lines += [(name, why) for name, why in content.left_out.items()]
    lines += [(), (NOT_EXPORTED,)]
    for row in lines:
        about.append([_text(v) for v in row])
    about["A1"].font = Font(bold=True, size=14)
    for cell in about[len(heading) + 2]:
        cell.font = Font(bold=True)
    for row in about.iter_rows(min_col=2, max_col=2):
        row[0].alignment = Alignment(wrap_text=True, vertical="top")
    about.column_dimensions["A"].width = 28
    about.column_dimensions["B"].width = 110
    for sheet in content.sheets:
        ws = book.create_sheet(sheet.name[:31])
        frame = sheet.frame
        ws.append([_text(c) for c in frame.columns])
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for values in frame.itertuples(index=False):
            by_column = dict(zip(frame.columns, values, strict=True))
            ws.append([_cell(v) for v in values])
            kind = sheet.kinds.get(by_column[sheet.kind_by]) if sheet.kind_by else None
            for j, column in enumerate(frame.columns, start=1):
                number_format = _format_of(column, kind, sheet.formats)
                if number_format:
                    ws.cell(ws.max_row, j).number_format = number_format
        ws.freeze_panes = "B2"
        for j, column in enumerate(frame.columns, start=1):
            longest = max([len(str(column))] + [len(str(v)) for v in frame[column].head(200)])
            ws.column_dimensions[get_column_letter(j)].width = min(max(10, longest + 2), 60)
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    cell.data_type = "s"  # text, even when it starts with '='
    book.properties.creator = "cxlab"
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    return path


def _cell(value: object) -> object:
    """A cell's value: text as text, a number as a plain Python number, a missing one empty."""
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return value.item() if isinstance(value, np.generic) else value


def _format_of(column: str, kind: str | None, formats: dict[str, str]) -> str | None:
    """The Excel number format of one cell: by its column, else by its row's kind."""
    if column in formats:
        return formats[column]
    if column == "n" or column == "n effective":
        return "#,##0"
    if column.startswith("Adjusted p") or column == "p" or column.startswith("p ("):
        return P_FORMAT
    if kind is None:
        return None
    if column.startswith("Change vs"):
        return CHANGE_FORMATS[kind]
    if column == "Value" or column.startswith("95% CI"):
        return NUMBER_FORMATS[kind]
    return None


def _text(value: object) -> str:
    """A text cell: control characters out (Excel refuses them), at most 32,767 characters."""
    text = "" if value is None else re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", "", str(value))
    return text[:32_767]


def _plain(markdown: str) -> str:
    """Markdown as plain text: links to their text, emphasis and character references out."""
    text = re.sub(r"\[([^\]]*)\](\([^)]*\))?", r"\1", markdown)  # inline or reference links
    text = re.sub(r"<[^>]+>", "", text)
    return html.unescape(text.replace("**", "").replace("*", "")).strip()


# ------------------------------------------------------------------------------------------
# The deck

#: The deck's slide, 16:9, and the area under a slide's title that content may fill.
SLIDE_WIDTH_IN, SLIDE_HEIGHT_IN = 13.333, 7.5
MARGIN_IN, TITLE_TOP_IN, TITLE_HEIGHT_IN = 0.5, 0.3, 0.9
BODY_TOP_IN, BODY_BOTTOM_IN = 1.35, SLIDE_HEIGHT_IN - 0.4
#: Font sizes (points): the largest text is tried first, down to the smallest readable one.
TEXT_SIZES, TABLE_SIZES, TITLE_SIZES = (20, 18, 16, 14, 12), (14, 12, 11), (30, 26, 22)
#: Charts are drawn for the deck at this resolution (the page's at the theme's DPI): a
#: 7.5-inch chart is then 1,650 pixels wide, sharp across a full-HD projector's width (a
#: chart fills about 12 of the slide's 13.3 inches: some 135 pixels an inch).
DECK_DPI = 220
#: A long table goes over at most this many slides; rows beyond are left to the workbook.
MAX_TABLE_SLIDES = 3
LINE_SPACING = 1.2
#: Cell margins of a pptx table (python-pptx's defaults), in points.
CELL_MARGIN_X_PT, CELL_MARGIN_Y_PT = 7.2, 3.6


@dataclass(frozen=True)
class Box:
    """A rectangle on a slide, in inches."""

    left: float
    top: float
    width: float
    height: float


#: Below the title, inside the margins.
BODY = Box(MARGIN_IN, BODY_TOP_IN, SLIDE_WIDTH_IN - 2 * MARGIN_IN, BODY_BOTTOM_IN - BODY_TOP_IN)


@functools.cache
def _font(size: float) -> FreeTypeFont:
    """A font to measure text with at ``size`` points: DejaVu Sans.

    It ships with matplotlib, and is wider than the Calibri a slide shows, so text measured
    to fit in it fits on the slide too.
    """
    from matplotlib import font_manager
    from PIL import ImageFont

    return ImageFont.truetype(font_manager.findfont("DejaVu Sans"), size)


def text_lines(text: str, width_pt: float, size: float) -> int:
    """How many lines ``text`` takes at ``size`` points in a box ``width_pt`` wide.

    Each paragraph (a line of ``text``) is wrapped at spaces; a word longer than the line
    takes a line of its own and is counted as the lines it would fill.
    """
    font, total = _font(size), 0
    for paragraph in text.split("\n"):
        lines, current = 1, 0.0
        space = font.getlength(" ")
        for word in paragraph.split():
            length = font.getlength(word)
            if current and current + space + length > width_pt:
                lines, current = lines + 1, 0.0
            if length > width_pt:
                lines += int(length // width_pt)
                length %= width_pt
            current += (space if current else 0.0) + length
        total += lines
    return total


def text_height(paragraphs: list[str], width_pt: float, size: float,
                space_after: float = 0.0) -> float:
    """Height in points of ``paragraphs`` wrapped at ``width_pt``, ``space_after`` each."""
    lines = sum(text_lines(p, width_pt, size) for p in paragraphs)
    return lines * size * LINE_SPACING + space_after * len(paragraphs)


def _new_deck() -> Presentation:
    """An empty 16:9 deck."""
    from pptx import Presentation
    from pptx.util import Inches

    deck = Presentation()
    deck.slide_width, deck.slide_height = Inches(SLIDE_WIDTH_IN), Inches(SLIDE_HEIGHT_IN)
    return deck


def _place(shape: BaseShape, box: Box) -> None:
    """Put ``shape`` at ``box`` (a placeholder keeps its layout's place otherwise)."""
    from pptx.util import Inches

    shape.left, shape.top = Inches(box.left), Inches(box.top)
    shape.width, shape.height = Inches(box.width), Inches(box.height)


def _fit_frame(frame: TextFrame, size: float) -> None:
    """Every run of a text frame at ``size`` points, wrapped, shrunk by the viewer if need be."""
    from pptx.enum.text import MSO_AUTO_SIZE
    from pptx.util import Pt

    frame.word_wrap = True
    frame.auto_size = MSO_AUTO_SIZE.TEXT_TO_FIT_SHAPE  # a viewer's own fallback
    for paragraph in frame.paragraphs:
        paragraph.font.size = Pt(size)
        for run in paragraph.runs:
            run.font.size = Pt(size)


def _slide(deck: Presentation, title: str, layout: int = 5) -> Slide:
    """A slide with its title placed and sized to fit on the 16:9 slide."""
    slide = deck.slides.add_slide(deck.slide_layouts[layout])
    box = Box(MARGIN_IN, TITLE_TOP_IN, BODY.width, TITLE_HEIGHT_IN)
    _place(slide.shapes.title, box)
    slide.shapes.title.text = title
    width = 72 * box.width - 2 * CELL_MARGIN_X_PT
    size = next((s for s in TITLE_SIZES
                 if text_height([title], width, s) <= 72 * box.height - 2 * CELL_MARGIN_Y_PT),
                TITLE_SIZES[-1])
    _fit_frame(slide.shapes.title.text_frame, size)
    return slide


def _text_fits(paragraphs: list[str], box: Box) -> float | None:
    """The largest of :data:`TEXT_SIZES` at which ``paragraphs`` fit in ``box``, or None."""
    width, height = 72 * box.width - 2 * CELL_MARGIN_X_PT, 72 * box.height - 2 * CELL_MARGIN_Y_PT
    return next((s for s in TEXT_SIZES
                 if text_height(paragraphs, width, s, space_after=s / 2) <= height), None)


def text_slides(deck: Presentation, title: str, paragraphs: list[str], bullets: bool = True) -> int:
    """Slides of ``paragraphs`` under ``title``, each paragraph wrapped within the body.

    The text takes the largest size at which it fits; when it does not fit at the smallest,
    it goes on over further slides ('continued'), a paragraph never split. Returns how many
    slides were added.
    """
    from pptx.util import Emu, Pt

    pages: list[list[str]] = []
    page: list[str] = []
    for paragraph in paragraphs:
        if page and _text_fits(page + [paragraph], BODY) is None:
            pages.append(page)
            page = []
        page.append(paragraph)
    pages.append(page)
    for k, page in enumerate(pages):
        heading = title if k == 0 else f"{title} (continued)"
        slide = _slide(deck, heading, layout=1 if bullets else 5)
        if bullets:
            body = slide.placeholders[1]
            _place(body, BODY)
        else:
            body = slide.shapes.add_textbox(Emu(0), Emu(0), Emu(0), Emu(0))
            _place(body, BODY)
        frame = body.text_frame
        frame.text = page[0]
        for line in page[1:]:
            frame.add_paragraph().text = line
        size = _text_fits(page, BODY) or TEXT_SIZES[-1]
        _fit_frame(frame, size)
        for paragraph in frame.paragraphs:
            paragraph.space_after = Pt(size / 2)
    return len(pages)


def table_slides(deck: Presentation, title: str, header: list[str], rows: list[list[str]],
                 widths: list[float] | None = None, note: str = "") -> int:
    """Slides of a table under ``title``: every row's height measured from its text.

    The text takes the largest of :data:`TABLE_SIZES` at which the table fits one slide,
    else the smallest, and the rows go on over up to :data:`MAX_TABLE_SLIDES` slides; rows
    beyond those are left off, and a note under the table says how many (the workbook has
    them all). ``widths`` are the columns' shares of the body's width (default: equal).
    Returns the number of rows shown.
    """
    from pptx.util import Inches, Pt

    if widths is None or len(widths) != len(header):
        widths = [1.0] * len(header)
    scale = BODY.width / sum(widths)
    columns = [w * scale for w in widths]

    def heights(size: float) -> list[float]:  # inches, the header's first
        return [max(text_height([str(c)], 72 * w - 2 * CELL_MARGIN_X_PT, size)
                    for c, w in zip(row, columns, strict=True)) / 72
                + 2 * CELL_MARGIN_Y_PT / 72 for row in [header, *rows]]

    note_room = 0.5
    room = BODY.height - note_room
    size = next((s for s in TABLE_SIZES if sum(heights(s)) <= room), TABLE_SIZES[-1])
    tall = heights(size)
    pages: list[list[int]] = []
    page: list[int] = []
    used = tall[0]
    for i in range(len(rows)):
        if page and used + tall[i + 1] > room:
            pages.append(page)
            page, used = [], tall[0]
        if used + tall[i + 1] > room:
            break  # a single row taller than a slide: left off with the rest
        page.append(i)
        used += tall[i + 1]
    if page:
        pages.append(page)
    pages = pages[:MAX_TABLE_SLIDES] or [[]]
    shown = sum(map(len, pages))
    for k, page in enumerate(pages):
        heading = title if k == 0 else f"{title} (continued, {k + 1} of {len(pages)})"
        slide = _slide(deck, heading)
        height = tall[0] + sum(tall[i + 1] for i in page)
        shape = slide.shapes.add_table(len(page) + 1, len(header), Inches(BODY.left),
                                       Inches(BODY.top), Inches(BODY.width), Inches(height))
        table = shape.table
        for j, w in enumerate(columns):
            table.columns[j].width = Inches(w)
        for r, cells in enumerate([header, *(rows[i] for i in page)]):
            table.rows[r].height = Inches(tall[0] if r == 0 else tall[page[r - 1] + 1])
            for j, text in enumerate(cells):
                cell = table.cell(r, j)
                cell.text = str(text)
                cell.text_frame.word_wrap = True
                for run in (r for p in cell.text_frame.paragraphs for r in p.runs):
                    run.font.size, run.font.bold = Pt(size), r == 0  # runs: viewers read these
        lines = [note] if note else []
        if k == len(pages) - 1 and shown < len(rows):
            lines.append(f"{len(rows) - shown} more row{'s' if len(rows) - shown != 1 else ''}"
                         " left off this deck: the workbook has them all.")
        if lines:
            top = BODY.top + height + 0.1
            box = slide.shapes.add_textbox(Inches(BODY.left), Inches(top), Inches(BODY.width),
                                           Inches(min(note_room, BODY_BOTTOM_IN - top)))
            box.text_frame.text = " ".join(lines)
            _fit_frame(box.text_frame, 11)
    return shown


def chart_slide(deck: Presentation, chart: Chart) -> None:
    """A slide with ``chart`` drawn for the deck, as large as fits under its title.

    The picture keeps its aspect ratio (a tall chart is fitted by its height); the chart's
    description is the picture's alternative text and the slide's notes.
    """
    import io

    from PIL import Image
    from pptx.util import Inches

    # The slide's heading is the chart's title, so the picture goes without it.
    slide = _slide(deck, chart.figure.axes[0].get_title() or chart.alt)
    buffer = io.BytesIO(chart.png(dpi=DECK_DPI, title=False))
    width_px, height_px = Image.open(buffer).size
    scale = min(BODY.width / width_px, BODY.height / height_px)
    width, height = width_px * scale, height_px * scale
    buffer.seek(0)
    picture = slide.shapes.add_picture(
        buffer, Inches(BODY.left + (BODY.width - width) / 2), Inches(BODY.top),
        Inches(width), Inches(height))
    # alternative text; python-pptx types nvPicPr as its descriptor, not the element it gives
    picture._element.nvPicPr.cNvPr.set("descr", chart.alt)  # type: ignore[union-attr]
    notes = slide.notes_slide.notes_text_frame
    assert notes is not None  # the default template's notes slide has a body
    notes.text = chart.alt


def write_deck(study: Study, path: Path) -> Path:
    """Write the report's PowerPoint deck (``.pptx``, 16:9).

    A title slide naming the client and the quarter; the headline measures; what needs
    action; the headline charts; employee NPS by department; the maturity level. Each is the
    page's own (the shared sections: computed once per study), fitted to the slide: text
    sized to fit and wrapped, a long table over several slides, a chart as large as fits
    keeping its proportions.
    A slide the data cannot fill is left out.
    """
    from cxlab import report
    from cxlab.report.theme import Chart

    deck = _new_deck()
    title = deck.slides.add_slide(deck.slide_layouts[0])
    _place(title.shapes.title, Box(MARGIN_IN, 2.2, BODY.width, 1.5))
    title.shapes.title.text = f"{study.client_name}: {study.quarter}"
    width, height = 72 * BODY.width - 2 * CELL_MARGIN_X_PT, 72 * 1.5 - 2 * CELL_MARGIN_Y_PT
    _fit_frame(title.shapes.title.text_frame, next(
        (s for s in (40, 34, 28) if text_height([title.shapes.title.text], width, s) <= height),
        28))  # a long client name takes a smaller size, not a third line
    _place(title.placeholders[1], Box(MARGIN_IN, 3.9, BODY.width, 1.2))
    title.placeholders[1].text = (f"Quarterly customer-experience report for "
                                  f"{study.client_name}, {study.quarter}")
    _fit_frame(title.placeholders[1].text_frame, 20)

    scorecard = report.scorecard(study)
    if isinstance(scorecard, pd.DataFrame):
        card = scorecard_sheet(study).frame
        measured = set(card.loc[card["Status"] == "measured", "Measure"])
        rows = [[name, *(_plain(str(row.iloc[k])) for k in range(len(row)))]
                for name, row in scorecard.iterrows() if name in measured]
        if rows:
            table_slides(deck, "Headline measures", ["Measure", *map(str, scorecard.columns)],
                         rows, [2.2, 1.0, 1.6, 1.3, 2.4, 2.4],
                         note="Changes are tested with a Holm adjustment over the scorecard; "
                              "better or worse where significant, otherwise no clear change.")

    findings = _findings(study)
    if findings:
        text_slides(deck, "What needs action", findings)

    charts = [report.trend_chart(study, "nps"), report.trend_chart(study, "csat_top2"),
              report.group_chart(study, "team", "nps"), report.importance_chart(study)]
    for chart in charts:
        if isinstance(chart, Chart):  # else not available for this client: the page says why
            chart_slide(deck, chart)

    pulse = report.voice_by_group(study, "department")
    if isinstance(pulse, pd.DataFrame):  # groups hidden for confidentiality stay hidden
        table_slides(deck, f"Employee NPS by department, {pulse.attrs['quarter']} pulse",
                     ["Department", "Answers", "eNPS (95% interval)", "Against the rest"],
                     [[str(name), *(_plain(str(row[c])) for c in
                                    ("Answers", "eNPS", "eNPS against the rest"))]
                      for name, row in pulse.iterrows()],
                     [3.0, 1.5, 3.0, 2.0],
                     note="Above or below: differs from the rest after allowing for the number "
                          "of departments compared.")

    maturity = report.maturity_summary(study)
    if isinstance(maturity, Markdown) and maturity.data:
        text_slides(deck, "Employee-experience maturity", [_plain(maturity.data)],
                    bullets=False)
    deck.core_properties.author = "cxlab"
    deck.core_properties.title = f"{study.client_name}: {study.quarter}"
    path.parent.mkdir(parents=True, exist_ok=True)
    deck.save(str(path))
    return path


def _findings(study: Study) -> list[str]:
    """The summary's findings as plain sentences, when the report has a findings section."""
    from cxlab.report import key_findings  # the section: a failure comes back as a box

    shown = key_findings(study)
    text = getattr(shown, "data", "") or ""
    # A finding's "See <section>." points into the page: a slide has no sections.
    return [re.sub(r"\s*See [^.]*\.$", "", _plain(line.lstrip("-* ").strip()))
            for line in text.splitlines() if line.lstrip().startswith(("-", "* "))]


def downloads(study: Study, stem: str = "quarterly_report") -> Markdown:
    """Write the workbook and the deck for ``cxlab run`` and link them from the report.

    The files go to ``$CXLAB_EXPORT_ROOT/<client>/<quarter>/``, from where the run moves
    them beside the report's page (as ``<stem>.xlsx`` and ``<stem>.pptx``). In a notebook
    opened by hand nothing is written, and the cell says how to make them.

    Examples:
        In a notebook opened by hand, on the sample data (``study = cxlab.open_study("cedar",
        "2026Q3")``), nothing is written:

        >>> print(report.downloads(study).data)
        *The Excel workbook and the PowerPoint deck of this report are made when `cxlab run` executes
        it; by hand: `cxlab.report.exports.write_workbook(study, path)` and `write_deck(study, path)`.*
    """
    root = os.environ.get(config.EXPORT_ROOT_ENV)
    if not root:
        return Markdown("*The Excel workbook and the PowerPoint deck of this report are made "
                        "when `cxlab run` executes it; by hand: "
                        "`cxlab.report.exports.write_workbook(study, path)` and "
                        "`write_deck(study, path)`.*")
    folder = Path(root) / study.client / study.quarter
    write_workbook(study, folder / f"{stem}.xlsx")
    write_deck(study, folder / f"{stem}.pptx")
    return Markdown(f"**Take this report away:** [Excel workbook]({stem}.xlsx) (every table as "
                    f"numbers) · [PowerPoint deck]({stem}.pptx) (headline measures, what needs "
                    f"action and the charts) of {escape(study.client_name)}, {study.quarter}.")


def headline_from_workbook(path: Path) -> dict[str, str]:
    """A report's headline measures as its workbook records them: label to 'value (interval)'.

    The site's client pages read them to show each quarter's headline without opening the
    data again. Only measures measured that quarter; each formatted by its cell's format.
    """
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True)
    try:
        rows = book["Scorecard"].iter_rows(values_only=False)
        header = [c.value for c in next(rows)]
        at = {name: header.index(name) for name in ("Measure", "Status", "Value", "95% CI low",
                                                     "95% CI high")}
        out = {}
        for row in rows:
            if row[at["Status"]].value != "measured":
                continue
            value, low, high = (row[at[k]] for k in ("Value", "95% CI low", "95% CI high"))
            shown = _formatted(value)
            if low.value is not None and high.value is not None:
                shown += f" ({_formatted(low)} to {_formatted(high)})"
            out[str(row[at["Measure"]].value)] = shown
        return out
    finally:
        book.close()


def _formatted(cell: Cell) -> str:
    """A workbook cell's number as the workbook shows it (percent, signed points, decimals)."""
    value, number_format = cell.value, cell.number_format or ""
    if value is None:
        return "-"
    if number_format.endswith("%"):
        return f"{100 * value:.{1 if '.0' in number_format else 0}f}%"
    if number_format.startswith("+"):
        return f"{value:+.{len(number_format.split(';')[0].split('.')[-1])}f}"
    if "." in number_format:
        return f"{value:.{len(number_format.split('.')[-1])}f}"
    return f"{value:g}"
