"""Recognition in the report: shout-outs, the story of the week, the drawing, the leaderboard.

Comments are quoted only where the client allows it, redacted and with employees' names
replaced by their labels (see :mod:`cxlab.report.quotes`); employees appear by name only where
the client's settings allow it (otherwise by their keyed pseudonym).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from IPython.display import Markdown

from cxlab import config
from cxlab.markup import escape
from cxlab.recognition import collection_leaderboard, draw
from cxlab.report.availability import needs
from cxlab.report.employees import employee_labels, show_names
from cxlab.report.quotes import may_quote, publishable
from cxlab.study import Study
from cxlab.text import language, redact, sentiment
from cxlab.text.mentions import find_mentions

if TYPE_CHECKING:
    import ibis.expr.types as ir

MIN_OPPORTUNITIES = 20
#: The columns of the quarter's commented answers the mentions read.
MENTION_COLUMNS = ("response_id", "responded_on", "employee_id", "nps", "csat", "ces",
                   "comment")


def mentions_frame(study: Study) -> pd.DataFrame:
    """This quarter's comments naming an employee, with the sentiment of the naming sentence.

    Columns: response_id, employee_id, label, responded_on, week (its Monday), month, the redacted
    sentence, its sentiment score and label, the response's NPS, CSAT and CES, the match.
    Every comment is read, a part at a time (:meth:`Study.comments_in_parts`), and the
    mentions come in the table's order.
    """
    def compute():
        parts = [_mentions_in(rows, study.tables["employees"])
                 for rows in study.comments_in_parts("customer_responses", study.quarter,
                                                     list(MENTION_COLUMNS))]
        found = pd.concat([p for p in parts if len(p)] or parts[:1])
        found = found.sort_values("place", kind="stable").drop(columns="place")
        found["label"] = employee_labels(study, found["employee_id"]).to_numpy()
        return found.reset_index(drop=True)
    return study.cached(("mentions",), compute)


def _mentions_in(rows: pd.DataFrame, employees: pd.DataFrame) -> pd.DataFrame:
    """The mentions in some of the quarter's comments, with each row's ``place`` in the table."""
    place = pd.Series(rows.index, index=rows["response_id"])
    rows = rows.set_index("response_id")
    found = find_mentions(rows["comment"], employees, rows["employee_id"])
    # An empty match table has object columns, and a frame indexed by an object
    # Series selects columns, not rows: the mask is made boolean first.
    found = found[~found["ambiguous"].astype(bool)].copy()
    comments = rows.loc[found["response_id"], "comment"].to_numpy()
    # Redacted whole first: cut into sentences first, an address split by its dots
    # ("jo @ example . com") would leave a part that no longer looks like one.
    found["sentence"] = [sentiment.sentence_with(redact(c), w)
                         for c, w in zip(comments, found["written"], strict=True)]
    # The language is told from the whole comment (a sentence can be too short to tell);
    # a sentence the model does not cover gets no score, never a neutral one.
    codes = language.detect_all(pd.Series(comments, dtype=object))
    found["sentiment"] = [sentiment.score(s) if sentiment.covered(s, code) else np.nan
                          for s, code in zip(found["sentence"], codes, strict=True)]
    found["tone"] = found["sentiment"].map(sentiment.label)
    dates = pd.to_datetime(rows.loc[found["response_id"], "responded_on"].to_numpy())
    found["week"] = (dates - pd.to_timedelta(dates.day_of_week, unit="D")).normalize()
    found["month"] = dates.strftime("%Y-%m")
    found["responded_on"] = dates
    for col in ("nps", "csat", "ces"):
        found[col] = rows.loc[found["response_id"], col].to_numpy()
    found["served_by"] = rows.loc[found["response_id"], "employee_id"].to_numpy()
    found["place"] = place.loc[found["response_id"]].to_numpy()
    return found


def positive_mentions(study: Study) -> pd.DataFrame:
    """This quarter's mentions whose sentence about the employee is positive."""
    found = mentions_frame(study)
    return found[found["tone"] == "positive"]


def _per_employee(held: ir.Table) -> pd.Series:
    """Rows per employee (those without one left out), counted by the engine."""
    named = held.filter(held["employee_id"].notnull())
    counts = named.group_by("employee_id").aggregate(n=named.count()).execute()
    return counts.set_index("employee_id")["n"].sort_index().astype("int64")


@needs("customer_responses", "employees")
def recognition_summary(study: Study) -> Markdown:
    """How many comments named an employee, and how they read.

    Examples:
        On the sample data, with ``study = cxlab.open_study("cedar", "2026Q3")``:

        >>> print(report.recognition_summary(study).data)
        **24 customer comments named 15 employees** this quarter: 24 positive, 0 neutral and 0 negative
        (the tone of the sentence naming them). Comments are not quoted: the client's settings keep
        them unpublished.
    """
    found = mentions_frame(study)
    if found.empty:
        return Markdown("No customer comment named an employee this quarter.")
    tones = found["tone"].value_counts()
    if not may_quote(study):
        how = "Comments are not quoted: the client's settings keep them unpublished."
    elif show_names(study):
        how = "Comments are quoted with emails, phone, card and account numbers removed."
    else:
        how = ("Comments are quoted with emails, phone, card and account numbers removed and "
               "employees' names replaced by their labels.")
    return Markdown(
        f"**{len(found):,} customer comments named {found['employee_id'].nunique()} employees** "
        f"this quarter: {tones.get('positive', 0):,} positive, {tones.get('neutral', 0):,} "
        f"neutral and {tones.get('negative', 0):,} negative (the tone of the sentence naming "
        f"them){_not_scored(tones)}. {how}")


def _not_scored(tones: pd.Series) -> str:
    n = int(tones.get(sentiment.NOT_SCORED, 0))
    return f"; {n:,} in a language the sentiment model does not cover, not scored" if n else ""


@needs("customer_responses", "employees")
def shoutout_feed(study: Study, per_week: int = 3) -> pd.DataFrame | Markdown:
    """The weekly shout-out feed: up to ``per_week`` positive mentions per week, best first.

    Examples:
        On the sample data, with ``study = cxlab.open_study("cedar", "2026Q3")`` (employees shown by
        pseudonym, comments not quoted: the client's settings):

        >>> feed = report.shoutout_feed(study)
        >>> feed.columns.tolist()
        ['Employee', 'What the customer said']
        >>> feed.index[:3].tolist()
        ['06 Jul', '06 Jul', '13 Jul']
    """
    positive = positive_mentions(study)
    if positive.empty:
        return Markdown("*No positive mentions this quarter.*")
    top = (positive.sort_values(["week", "sentiment"], ascending=[True, False])
           .groupby("week").head(per_week))
    table = pd.DataFrame({"Week of": top["week"].dt.strftime("%d %b"), "Employee": top["label"],
                          "What the customer said": publishable(study, top["sentence"],
                                                                top["served_by"])}
                         ).set_index("Week of")
    table.attrs["caption"] = (f"Shout-outs: up to {per_week} employees a week named in the most "
                              "positive customer comments")
    return table


@needs("customer_responses", "employees")
def stories_of_the_week(study: Study) -> pd.DataFrame | Markdown:
    """Per week, the most positive comment naming an employee, with the customer's scores.

    Examples:
        On the sample data, with ``study = cxlab.open_study("cedar", "2026Q3")``:

        >>> report.stories_of_the_week(study).iloc[0, 1:].tolist()
        ["not quoted (the client's settings keep comments unpublished)", '10 / 5 / -']
    """
    positive = positive_mentions(study)
    if positive.empty:
        return Markdown("*No customer story this quarter: no positive mention.*")
    best = positive.sort_values("sentiment", ascending=False).groupby("week").head(1)
    best = best.sort_values("week")

    def score(v):
        return "-" if pd.isna(v) else f"{int(v)}"

    table = pd.DataFrame({
        "Week of": best["week"].dt.strftime("%d %b"), "Employee": best["label"],
        "Story": publishable(study, best["sentence"], best["served_by"]),
        "NPS / CSAT / CES": [f"{score(a)} / {score(b)} / {score(c)}" for a, b, c in
                             zip(best["nps"], best["csat"], best["ces"], strict=True)],
    }).set_index("Week of")
    table.attrs["caption"] = "The customer story of each week, with the customer's scores"
    return table


@needs("customer_responses", "employees")
def monthly_drawings(study: Study) -> pd.DataFrame | Markdown:
    """One drawing per month among employees named positively that month, with its record.

    Examples:
        On the sample data, with ``study = cxlab.open_study("cedar", "2026Q3")``:

        >>> report.monthly_drawings(study)[["Entrants", "Drawing label (fixes the draw)"]]
                 Entrants Drawing label (fixes the draw)
        Month
        2026-07         7                  cedar 2026-07
        2026-08         6                  cedar 2026-08
        2026-09         8                  cedar 2026-09
    """
    positive = positive_mentions(study)
    if positive.empty:
        return Markdown("*No drawing this quarter: no employee was named positively.*")
    labels = dict(zip(positive["employee_id"], positive["label"], strict=False))
    rows = []
    for month, group in positive.groupby("month"):
        result = draw(group["employee_id"].tolist(), f"{study.client} {month}")
        rows.append({"Month": month, "Entrants": len(result.entrants),
                     "Drawing label (fixes the draw)": result.label,
                     "Winner": labels[result.winner],
                     "Entrants (by label)": ", ".join(sorted(labels[e] for e in result.entrants))})
    table = pd.DataFrame(rows).set_index("Month")
    table.attrs["caption"] = ("Monthly drawings among the employees named positively, with the "
                              "label that fixes each draw, so anyone can redo it (the Methods "
                              "page says how)")
    return table


@needs("customer_responses", "interactions", "employees")
def review_leaderboard(study: Study, top: int = 3) -> pd.DataFrame | Markdown:
    """Reviews collected per interaction handled, shrunk and ranked within team (top ``top``).

    Examples:
        On the sample data, with ``study = cxlab.open_study("cedar", "2026Q3")``, where no employee
        stands out:

        >>> print(report.review_leaderboard(study).data)
        No leaderboard this quarter: employees collected reviews at rates that differ no more than
        chance would make them (about 18.0 reviews per 100 contacts for everyone), so a ranking would
        only reward luck.
    """
    opportunities = _per_employee(study.query("interactions", 1))
    responses = study.query("customer_responses", 1)
    reviews = _per_employee(responses.filter(responses["comment"].notnull()
                                             & responses["interaction_id"].notnull()))
    reviews = reviews.reindex(opportunities.index).fillna(0)
    teams = study.tables["employees"].set_index("employee_id")["team"].reindex(
        opportunities.index)
    min_n = max(MIN_OPPORTUNITIES, config.setting(study.settings, "min_n_rank"))
    try:
        board = collection_leaderboard(reviews, opportunities, teams, min_n)
    except ValueError as err:
        return Markdown(f"*No leaderboard: {escape(err)}.*")
    if board.attrs["pooled"]:
        return Markdown(
            f"No leaderboard this quarter: employees collected reviews at rates that differ no "
            f"more than chance would make them (about {100 * board.attrs['prior_mean']:.1f} "
            f"reviews per 100 contacts for everyone), so a ranking would only reward luck.")
    board = board[board["rank"] <= top]
    table = pd.DataFrame({
        "Team": board["team"], "Rank (by estimate)": [
            f"{int(r)}" + (f" (likely {int(lo)} to {int(hi)})" if lo != hi else "")
            for r, lo, hi in zip(board["rank"], board["rank_low"], board["rank_high"],
                                 strict=True)],
        "Employee": employee_labels(study, board.index.to_series()).to_numpy(),
        "Reviews / contacts": [f"{int(a)} / {int(b)}" for a, b in
                               zip(board["reviews"], board["opportunities"], strict=True)],
        "Per 100 contacts, as counted": [f"{100 * r:.1f}" for r in board["rate_raw"]],
        "Per 100 contacts, estimated (95% interval)": [
            f"{100 * r:.1f} ({100 * lo:.1f} to {100 * hi:.1f})" for r, lo, hi in
            zip(board["rate"], board["rate_ci_low"], board["rate_ci_high"], strict=True)],
    }).set_index(["Team", "Rank (by estimate)"])
    table.attrs["caption"] = (f"Reviews collected per 100 contacts handled: the top {top} of each "
                              "team, ranked by the shrunken estimate")
    return table
