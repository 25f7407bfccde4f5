"""Voice of the employee in the report: listening to employees as to customers.

eNPS and the engagement items by group, themes of the "why" comments with their sentiment,
topics found in the text, and the log of actions taken ("you said, we did").
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from IPython.display import Markdown

from cxlab import config, metrics
from cxlab.data.schema import EX_ITEMS
from cxlab.markup import escape
from cxlab.report.availability import needs
from cxlab.report.html_tables import SMALL_N
from cxlab.report.quotes import cleaned, publishable
from cxlab.report.tables import FLAG_CAPTION, fmt_value, hidden_pulse_groups
from cxlab.stats import disclosure, flag_groups
from cxlab.study import Study
from cxlab.text import sentiment
from cxlab.text.themes import EMPLOYEE_THEMES, discover_topics, theme_summary

#: Quarters of employee comments the themes and topics read.
THEME_QUARTERS = 4
def min_group(study: Study) -> int:
    """The client's confidentiality threshold: fewest respondents a shown result stands on."""
    return config.setting(study.settings, "min_group_size")


def pulse_rows(study: Study) -> tuple[pd.DataFrame, str | None]:
    """The latest pulse's answers up to the study's quarter, and that quarter's label."""
    history = study.history("employee_responses")
    if history.empty:
        return history, None
    quarter = history["quarter"].max()
    return history[history["quarter"] == quarter], quarter


@dataclass(frozen=True)
class PulseEnps:
    """The latest pulse's eNPS by team or department, as the page, workbook and summary show it.

    Attributes:
        rows: The pulse's answers (with a ``department`` column when grouped by department).
        quarter: The pulse's quarter.
        enps: :func:`cxlab.metrics.grouped` eNPS per group, indexed by group.
        hidden: Per group, whether confidentiality hides it (see
            :func:`cxlab.report.tables.hidden_pulse_groups`).
        flags: Per group, ``above``/``below`` where its eNPS differs from the rest after a
            Benjamini-Hochberg adjustment over the groups shown; empty for hidden groups.
    """

    rows: pd.DataFrame
    quarter: str
    enps: pd.DataFrame
    hidden: pd.Series
    flags: pd.Series


def pulse_enps(study: Study, by: str) -> PulseEnps | None:
    """The latest pulse's eNPS by ``by`` (team or department), or None before any pulse."""
    rows, quarter = pulse_rows(study)
    if quarter is None:
        return None
    hidden = hidden_pulse_groups(study, rows, by)
    if by == "department":
        rows = rows.assign(department=rows["team"].map(study.department_of_team))
    enps = metrics.grouped(rows, "enps", by).set_index(by)
    hidden = hidden.reindex(enps.index, fill_value=False)
    shown = enps[~hidden]
    flags = (flag_groups(shown) if shown["n"].gt(0).any()
             else pd.Series("", index=shown.index)).reindex(enps.index, fill_value="")
    return PulseEnps(rows, quarter, enps, hidden, flags)


@needs("employee_responses", "employees")
def voice_by_group(study: Study, by: str = "team") -> pd.DataFrame | Markdown:
    """Employee NPS and the five items per team or department in the latest pulse.

    Every value has its 95% interval (item intervals clipped to the 1-5 scale). Groups with
    fewer respondents than the client's ``min_group_size`` are hidden, and so is the next
    smallest group beside a lone hidden one, so no one can be singled out by subtraction.

    Groups marked above/below differ from the rest in eNPS after a Benjamini-Hochberg
    adjustment over all the groups shown.

    Examples:
        On the sample data, with ``study = cxlab.open_study("cedar", "2026Q3")``:

        >>> report.voice_by_group(study)["eNPS"]
        Team
        HR            hidden (confidentiality: groups under 5)
        Marketing     hidden (confidentiality: groups under 5)
        Operations    hidden (confidentiality: groups under 5)
        Sales                           +28.6 (-24.3 to +64.3)
        Success                         +14.3 (-31.1 to +51.1)
        Support 1                       +11.1 (-39.1 to +55.7)
        Support 2                       -83.3 (-97.6 to -13.5)
        Name: eNPS, dtype: str
    """
    if by not in ("team", "department"):
        raise ValueError(f"voice_by_group: by {by!r} unknown; expected 'team' or 'department'")
    pulse = pulse_enps(study, by)
    if pulse is None:
        return Markdown("*No employee pulse answers yet.*")
    rows, enps = pulse.rows, pulse.enps
    table = pd.DataFrame(index=enps.index)
    table["Answers"] = rows.groupby(by).size().astype(str)
    table["eNPS"] = [f"{fmt_value(v, 'nps')} ({fmt_value(lo, 'nps')} to {fmt_value(hi, 'nps')})"
                     if n else "not asked" for v, lo, hi, n in
                     zip(enps["value"], enps["ci_low"], enps["ci_high"], enps["n"], strict=True)]
    table["eNPS against the rest"] = pulse.flags.replace("", "-").to_numpy()
    for item, text in EX_ITEMS.items():
        values = pd.to_numeric(rows[item], errors="coerce")
        g = values.groupby(rows[by])
        squares = (values**2).groupby(rows[by]).sum()
        mean, _, low, high = metrics.mean_interval(g.count(), g.sum(), squares, scale=(1, 5))
        table[text] = [f"{m:.2f} ({lo:.2f} to {hi:.2f})" if np.isfinite(lo) else f"{m:.2f}"
                       for m, lo, hi in zip(mean, low, high, strict=True)]
    table.loc[pulse.hidden.to_numpy(), :] = f"hidden (confidentiality: groups under {min_group(study)})"
    table.index.name = by.capitalize()
    table.attrs["quarter"] = pulse.quarter
    table.attrs["caption"] = (f"eNPS (points) and the engagement items (mean agreement, 1-5) by "
                              f"{by} in the {pulse.quarter} pulse, with 95% intervals; eNPS "
                              f"{FLAG_CAPTION}")
    table.attrs.update(small_n=SMALL_N, n_of={"Answers": ["eNPS", *EX_ITEMS.values()]})
    return table


@needs("employee_responses")
def voice_note(study: Study) -> Markdown:
    """Which pulse the tables show.

    Examples:
        On the sample data, with ``study = cxlab.open_study("cedar", "2026Q3")``:

        >>> print(report.voice_note(study).data)
        From the latest pulse up to 2026Q3: **2026Q3**. Items are the mean agreement on 1-5 with a t
        interval.
    """
    _, quarter = pulse_rows(study)
    if quarter is None:
        return Markdown("No employee pulse has been run yet.")
    note = f"From the latest pulse up to {study.quarter}: **{quarter}**."
    if quarter != study.quarter:
        note += " There was no pulse this quarter."
    return Markdown(note + " Items are the mean agreement on 1-5 with a t interval.")


def _comments(study: Study) -> pd.Series:
    rows = study.window("employee_responses", THEME_QUARTERS)
    return rows["comment"].dropna()


def _too_few_commenters(study: Study) -> Markdown | None:
    """A note when the comments come from fewer people than the confidentiality threshold."""
    rows = study.window("employee_responses", THEME_QUARTERS)
    rows = rows[rows["comment"].notna()]
    n = disclosure.count_respondents(rows)
    if 0 < n < min_group(study):
        return Markdown(f"*Hidden for confidentiality: comments from fewer than "
                        f"{min_group(study)} employees in the last {THEME_QUARTERS} quarters.*")
    return None


@needs("employee_responses")
def themes_table(study: Study) -> pd.DataFrame | Markdown:
    """Themes of the last four quarters' "why" comments: how often, and in what tone.

    Examples:
        On the sample data, with ``study = cxlab.open_study("cedar", "2026Q3")``:

        >>> report.themes_table(study)["Share"]
        Theme
        tools and systems       25% (18% to 34%)
        targets and workload    22% (15% to 30%)
        being heard             27% (20% to 35%)
        customer connection     45% (37% to 54%)
        training                  6% (3% to 12%)
        Name: Share, dtype: str
    """
    comments = _comments(study)
    if comments.empty:
        return Markdown("*No employee comments in the last four quarters.*")
    if (note := _too_few_commenters(study)) is not None:
        return note
    themes = config.setting(study.settings, "employee_themes") or EMPLOYEE_THEMES
    summary = theme_summary(comments, themes)
    table = pd.DataFrame({
        "Theme": summary["theme"],
        "Comments": [f"{k} of {n}" for k, n in zip(summary["k"], summary["n"], strict=True)],
        "Share": [f"{100 * v:.0f}% ({100 * lo:.0f}% to {100 * hi:.0f}%)" for v, lo, hi in
                  zip(summary["share"], summary["ci_low"], summary["ci_high"], strict=True)],
        "Mean sentiment": [mean_tone(m, k, u) for m, k, u in zip(
            summary["mean_sentiment"], summary["k"], summary["n_not_scored"], strict=True)],
    }).set_index("Theme")
    table.attrs["caption"] = (f"Themes of employees' comments in the last {THEME_QUARTERS} "
                              "quarters: how often (share, 95% interval) and in what tone")
    return table


def mean_tone(mean: float, k: int, n_not_scored: int) -> str:
    """A theme's mean sentiment for a table, saying how many comments were not scored."""
    if not k:
        return "-"
    text = f"{mean:+.2f}" if mean == mean else sentiment.NOT_SCORED
    if n_not_scored and mean == mean:
        text += f" ({n_not_scored} not scored: language)"
    return text


@needs("employee_responses")
def topics_table(study: Study) -> pd.DataFrame | Markdown:
    """Topics discovered in the comments (NMF), with size, tone and an example.

    Examples:
        On the sample data, with ``study = cxlab.open_study("cedar", "2026Q3")``:

        >>> report.topics_table(study)["Comments"]
        Topic (top words)
        gets, acted, feedback, manager, week          27
        feel, customers, work, matters, hear          33
        workload, slow, manageable, tools, quarter    25
        week, manager, shares, customer, feedback     34
        Name: Comments, dtype: int64
    """
    comments = _comments(study)
    if (note := _too_few_commenters(study)) is not None:
        return note
    try:  # from the cleaned text: no name, id or contact detail can become a topic's word
        topics, assignment = discover_topics(cleaned(study, comments))
    except ValueError as err:
        return Markdown(f"*No topics: {escape(err)}.*")
    tone = sentiment.scores(comments)
    firsts = pd.Series([comments[assignment == t].iloc[0] if (assignment == t).any() else None
                        for t in topics["topic"]], dtype=object)
    examples = publishable(study, firsts).fillna("-").tolist()
    table = pd.DataFrame({
        "Topic (top words)": topics["top_words"], "Comments": topics["n"],
        "Mean sentiment": [mean_tone(tone[assignment == t].mean(), int((assignment == t).sum()),
                                     int(tone[assignment == t].isna().sum()))
                           for t in topics["topic"]],
        "Example": examples,
    }).set_index("Topic (top words)")
    table.attrs["caption"] = "Topics found in employees' comments: size, tone and an example"
    return table


def actions_log(study: Study) -> pd.DataFrame | Markdown:
    """You said, we did: actions taken on employee feedback up to the study's quarter.

    Examples:
        On the sample data, with ``study = cxlab.open_study("cedar", "2026Q3")``:

        >>> report.actions_log(study).iloc[0].tolist()
        ['customer connection', 'I never hear how customers feel.',
         'Team leads share three customer comments in every weekly meeting.', 'in progress']
    """
    log = study.history("feedback_actions")
    if log.empty:
        return Markdown("*No actions on employee feedback have been logged.*")
    log = log.sort_values("logged_on", ascending=False)
    table = pd.DataFrame({"Logged": log["logged_on"].dt.strftime("%d %b %Y"),
                         "Theme": cleaned(study, log["theme"]), "You said": cleaned(study, log["you_said"]),
                         "We did": cleaned(study, log["we_did"]),
                         "Status": cleaned(study, log["status"])}).set_index("Logged")
    table.attrs["caption"] = "Actions taken on employee feedback, latest first"
    return table
