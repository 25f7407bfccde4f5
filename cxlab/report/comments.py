"""What customers' comments say: themes and sentiment of customer comments.

The themes (the client's ``customer_themes``, or :data:`cxlab.text.themes.CUSTOMER_THEMES`)
and the sentiment are computed as for employee comments (:func:`cxlab.text.themes.
theme_summary`, :func:`cxlab.text.sentiment.assess`). Sentiment is the share of scored
comments that are positive and negative, each with its Wilson 95% interval and n; a comment
in a language the sentiment model does not cover is "not scored (language)", counted by
language, never neutral. Examples are quoted only where the client's ``quote_comments``
allows, redacted (:mod:`cxlab.report.quotes`). Comments are not weighted.
"""

from __future__ import annotations

import pandas as pd
from IPython.display import Markdown

from cxlab import config, metrics, periods
from cxlab.markup import escape
from cxlab.report.availability import needs
from cxlab.report.html_tables import SMALL_N
from cxlab.report.quotes import may_quote, publishable
from cxlab.report.voice import mean_tone
from cxlab.study import Study
from cxlab.text import language, sentiment
from cxlab.text.themes import CUSTOMER_THEMES, theme_flags, theme_summary

#: Quarters of comments the sentiment trend shows.
TREND_QUARTERS = 4
#: The columns of a commented answer the themes, sentiment and examples read (those the
#: client's answers have).
COMMENT_COLUMNS = ("response_id", "responded_on", "channel", "department", "employee_id",
                   "comment")
#: Comments of a quarter the themes and sentiment read, at most: beyond, a systematic sample
#: (a share of 50,000 comments has a 95% interval at most 0.44 points either side; the text
#: models read each comment in Python, about 25 microseconds apiece).
MAX_COMMENTS = 50_000
_BY = {"quarter": "Quarter", "channel": "Channel", "department": "Department"}


def _themes(study: Study) -> dict[str, list[str]]:
    return config.setting(study.settings, "customer_themes") or CUSTOMER_THEMES


def comments_frame(study: Study) -> pd.DataFrame:
    """Customer comments of the last quarters, with their language, score and tone.

    A quarter with more than :data:`MAX_COMMENTS` comments is read as a systematic sample
    of them (:meth:`cxlab.study.Study.comments`); ``attrs["sampled"]`` holds, per such
    quarter, the comments read and the quarter's comments in all.
    """
    def compute():
        parts, sampled = [], {}
        for quarter in periods.quarter_range(periods.shift(study.quarter, 1 - TREND_QUARTERS),
                                             study.quarter):
            part = study.comments("customer_responses", quarter, list(COMMENT_COLUMNS),
                                  at_most=MAX_COMMENTS)
            if part.attrs["every"] > 1:
                sampled[quarter] = (len(part), part.attrs["comments"])
            parts.append(part.assign(quarter=quarter))
        rows = pd.concat(parts).sort_index()  # as the table holds them
        text = rows["comment"].astype(object)
        # A boolean mask even when empty (an empty object Series would select columns).
        rows = rows[text.map(lambda t: isinstance(t, str) and bool(t.strip())).astype(bool)]
        rows = pd.concat([rows, sentiment.assess(rows["comment"].astype(object))], axis=1)
        rows.attrs = {"sampled": sampled}
        return rows
    return study.cached(("customer_comments",), compute)


def sample_caption(sampled: dict[str, tuple[int, int]]) -> str:
    """A caption's words for quarters read as a systematic sample (quarter: read, in all)."""
    return "".join(f"; in {quarter}, of a systematic sample of {read:,} of its {total:,} "
                   "comments" for quarter, (read, total) in sampled.items())


def sample_sentence(sampled: dict[str, tuple[int, int]]) -> str:
    """The same as a sentence for a note (a leading space; empty when nothing was sampled)."""
    if not sampled:
        return ""
    return (" Read from a systematic sample of the comments: "
            + "; ".join(f"{read:,} of {total:,} in {quarter}"
                        for quarter, (read, total) in sampled.items()) + ".")


def _this_quarter(study: Study) -> pd.DataFrame:
    frame = comments_frame(study)
    return frame[frame["quarter"] == study.quarter]


def _not_scored(frame: pd.DataFrame) -> str:
    """``12 Spanish, 3 undetermined (...)``: the comments not scored, by language."""
    left = frame[frame["score"].isna()]
    counts = left["language"].value_counts()
    return ", ".join(f"{n:,} {escape(language.name(code))}" for code, n in counts.items())


@needs("customer_responses")
def customer_comments_note(study: Study) -> Markdown:
    """How many comments this quarter, how many the sentiment model scored, and quoting.

    Examples:
        On the sample data, with ``study = cxlab.open_study("cedar", "2026Q3")``:

        >>> print(report.customer_comments_note(study).data)
        217 customer comments in 2026Q3; the sentiment model (a word list for English, VADER) scored
        196. ...
    """
    frame = _this_quarter(study)
    if frame.empty:
        return Markdown(f"*No customer comments in {study.quarter}: there is nothing to say "
                        "about themes or sentiment.*")
    n, scored = len(frame), int(frame["score"].notna().sum())
    note = (f"{n:,} customer comments in {study.quarter}; the sentiment model (a word list "
            f"for English, VADER) scored {scored:,}.")
    _, total = comments_frame(study).attrs["sampled"].get(study.quarter, (n, n))
    if n < total:
        note = (f"{total:,} customer comments in {study.quarter}; the themes and sentiment "
                f"are read from a systematic sample of {n:,} of them, so their counts and "
                "intervals are the sample's. The sentiment model (a word list for English, "
                f"VADER) scored {scored:,} of the sample.")
    if scored < n:
        note += (f" Not scored (language): {_not_scored(frame)}. They count in the themes "
                 "but not in the sentiment shares, and are never counted as neutral.")
    if scored == 0:
        note += " No comment this quarter is in a language the model covers."
    if not may_quote(study):
        note += (" Examples are not quoted: the client's settings keep comments unpublished "
                 "(`quote_comments`), so the themes show counts only.")
    return Markdown(note)


@needs("customer_responses")
def customer_themes_table(study: Study) -> pd.DataFrame | Markdown:
    """This quarter's themes of customer comments: how often, in what tone, an example.

    Examples:
        On the sample data, with ``study = cxlab.open_study("cedar", "2026Q3")``:

        >>> report.customer_themes_table(study)["Comments"]
        Theme
        wait and speed                  57 of 217
        resolution                      51 of 217
        staff courtesy and knowledge    69 of 217
        price and billing                2 of 217
        product quality                  0 of 217
        ease and digital                59 of 217
        Name: Comments, dtype: str
    """
    frame = _this_quarter(study)
    if frame.empty:
        return Markdown(f"*No customer comments in {study.quarter}.*")
    summary = theme_summary(frame["comment"], _themes(study), frame[["language", "score",
                                                                     "tone"]])
    table = pd.DataFrame({
        "Theme": summary["theme"],
        "Comments": [f"{k:,} of {n:,}" for k, n in zip(summary["k"], summary["n"], strict=True)],
        "Share": [_share(v, lo, hi) for v, lo, hi in
                  zip(summary["share"], summary["ci_low"], summary["ci_high"], strict=True)],
        "Positive (of scored)": [_of(k, n) for k, n in
                                 zip(summary["n_positive"], summary["n_scored"], strict=True)],
        "Negative (of scored)": [_of(k, n) for k, n in
                                 zip(summary["n_negative"], summary["n_scored"], strict=True)],
        "Mean sentiment": [mean_tone(m, k, u) for m, k, u in zip(
            summary["mean_sentiment"], summary["k"], summary["n_not_scored"], strict=True)],
    }).set_index("Theme")
    if may_quote(study):
        tones = ["positive" if p >= q else "negative"
                 for p, q in zip(summary["n_positive"], summary["n_negative"], strict=True)]
        table["Example (its more common tone)"] = _examples(
            study, frame, list(summary["theme"]), tones).fillna("-").tolist()
    table.attrs["caption"] = (f"Themes of customers' comments in {study.quarter}: how often "
                              "(share, 95% interval) and in what tone (shares of the comments "
                              "scored, 95% intervals)")
    table.attrs["small_n"] = SMALL_N
    return table


def _examples(study: Study, frame: pd.DataFrame, themes: list[str],
              tones: list[str] | list[str | None] | None = None) -> pd.Series:
    """The latest comment on each theme, as a report may quote it.

    With ``tones``, the latest of that tone (the theme's more common one, so the example
    does not contradict the shares beside it), else the latest of any tone.
    """
    flags = theme_flags(frame["comment"], _themes(study))
    latest = frame.sort_values("responded_on", ascending=False).index
    wanted: list[str | None] = list(tones) if tones else [None] * len(themes)
    picks = [next((i for i in latest if flags.at[i, t] and tone in (None, frame.at[i, "tone"])),
                  next((i for i in latest if flags.at[i, t]), None))
             for t, tone in zip(themes, wanted, strict=True)]
    texts = pd.Series([frame.at[i, "comment"] if i is not None else None for i in picks],
                      dtype=object)
    served = pd.Series([frame.at[i, "employee_id"] if i is not None else None for i in picks],
                       dtype=object)
    return publishable(study, texts, served)


def _share(value: float, low: float, high: float) -> str:
    return f"{100 * value:.0f}% ({100 * low:.0f}% to {100 * high:.0f}%)"


def _of(k: int, n: int) -> str:
    """``62% (55% to 69%), n=180``: a share of the scored comments, or ``-`` with none."""
    if not n:
        return "- (none scored)"
    value, _, low, high = metrics.wilson_interval(k, n)
    return f"{_share(value, low, high)}, n={n:,}"


@needs("customer_responses")
def customer_sentiment_table(study: Study, by: str = "quarter") -> pd.DataFrame | Markdown:
    """Sentiment of customer comments by quarter (the last four), channel or department.

    Positive and negative are shares of the comments the model scored, with their Wilson
    95% intervals; comments it could not score are counted by language in their own column.
    Channels and departments are this quarter's.

    Examples:
        On the sample data, with ``study = cxlab.open_study("cedar", "2026Q3")``:

        >>> report.customer_sentiment_table(study).columns.tolist()
        ['Comments', 'Positive (of scored)', 'Negative (of scored)', 'Not scored (language)']
        >>> report.customer_sentiment_table(study, by="channel").index.tolist()
        ['app', 'chat', 'email', 'phone', 'store', 'web']
    """
    if by not in _BY:
        raise ValueError(f"customer_sentiment_table: by {by!r} unknown; expected one of "
                         f"{list(_BY)}")
    frame = comments_frame(study) if by == "quarter" else _this_quarter(study)
    if frame.empty:
        where = f"the last {TREND_QUARTERS} quarters" if by == "quarter" else study.quarter
        return Markdown(f"*No customer comments in {where}.*")
    rows = []
    for group, part in frame.groupby(by, sort=True):
        scored = part["tone"][part["score"].notna()]
        rows.append({_BY[by]: group, "Comments": f"{len(part):,}",
                     "Positive (of scored)": _of(int((scored == "positive").sum()), len(scored)),
                     "Negative (of scored)": _of(int((scored == "negative").sum()), len(scored)),
                     "Not scored (language)": _not_scored(part) or "-"})
    table = pd.DataFrame(rows).set_index(_BY[by])
    sampled = comments_frame(study).attrs["sampled"]
    table.attrs["caption"] = (f"Tone of customers' comments by {by}: shares of the comments "
                              "scored, with 95% intervals and n" + sample_caption(
                                  {q: sampled[q] for q in sorted(set(sampled)
                                                                 & set(frame["quarter"]))}))
    table.attrs["small_n"] = SMALL_N
    return table
