"""The three statements in the report: how often customers say them, and whose customers.

The organization names three things customers should say about it; the report measures the
share of comments saying each, its trend by quarter, and the employees whose customers say
them (which feeds recognition).
"""

from __future__ import annotations

import pandas as pd
from IPython.display import Markdown

from cxlab import config, metrics
from cxlab.report import comments
from cxlab.report.availability import needs
from cxlab.report.employees import employee_labels
from cxlab.report.tables import fmt_p
from cxlab.study import Study
from cxlab.text.statements import statement_flags


def _statements(study: Study) -> list[dict]:
    return config.setting(study.settings, "three_statements")


def statements_frame(study: Study) -> pd.DataFrame:
    """Per quarter and statement: comments saying it, comments in all, share and Wilson CI.

    A quarter with more than :data:`~cxlab.report.comments.MAX_COMMENTS` comments is read as
    a systematic sample: ``n`` counts the sample's, and ``attrs["sampled"]`` holds, per such
    quarter, the comments read and the quarter's comments in all (as
    :func:`~cxlab.report.comments.comments_frame`'s).
    """
    def compute():
        rows, sampled = [], {}
        # Each quarter's comments (a systematic sample of a quarter with very many), one
        # quarter at a time: memory holds one quarter's, however long the history.
        for quarter in study.quarters("customer_responses"):
            part = study.comments("customer_responses", quarter, ["comment"],
                                  at_most=comments.MAX_COMMENTS)
            if not len(part):
                continue
            if part.attrs["every"] > 1:
                sampled[quarter] = (len(part), part.attrs["comments"])
            flags = statement_flags(part["comment"], _statements(study))
            n = len(part)
            for label in flags.columns:
                k = int(flags[label].sum())
                value, _, low, high = metrics.wilson_interval(k, n)
                rows.append({"quarter": quarter, "statement": label, "k": k, "n": n,
                             "share": float(value), "ci_low": float(low), "ci_high": float(high)})
        frame = pd.DataFrame(rows, columns=["quarter", "statement", "k", "n", "share",
                                            "ci_low", "ci_high"])
        frame.attrs["sampled"] = sampled
        return frame
    return study.cached(("statements",), compute)


@needs("customer_responses")
def statements_table(study: Study) -> pd.DataFrame | Markdown:
    """This quarter's share of comments saying each statement, against last quarter.

    Examples:
        On the sample data, with ``study = cxlab.open_study("cedar", "2026Q3")``:

        >>> report.statements_table(study)["Share of comments"]
        Customers should say
        They solved it first time     15.2% (11.0% to 20.6%)
        They know me                    6.0% (3.5% to 10.0%)
        They are easy to deal with    26.7% (21.3% to 33.0%)
        Name: Share of comments, dtype: str
    """
    frame = statements_frame(study)
    now = frame[frame["quarter"] == study.quarter].set_index("statement")
    if now.empty:
        return Markdown("*No customer comments this quarter.*")
    before = frame[frame["quarter"] == study.previous_quarter].set_index("statement")
    rows = []
    for label, r in now.iterrows():
        change = "no comparison"
        if label in before.index:
            b = before.loc[label]
            test = metrics.compare(metrics.proportion(int(r["k"]), int(r["n"])),
                                   metrics.proportion(int(b["k"]), int(b["n"])))
            change = f"{100 * test.difference:+.1f} pp ({fmt_p(test.p_value, adjusted=False)})"
        phrases = next(s["phrases"] for s in _statements(study) if s["label"] == label)
        rows.append({"Customers should say": label, "Phrases": ", ".join(phrases),
                     "Share of comments": f"{100 * r['share']:.1f}% ({100 * r['ci_low']:.1f}% to "
                                          f"{100 * r['ci_high']:.1f}%)",
                     "Comments": f"{r['k']:,} of {r['n']:,}",
                     f"vs {study.previous_quarter}": change})
    table = pd.DataFrame(rows).set_index("Customers should say")
    sampled = {q: frame.attrs["sampled"][q] for q in (study.quarter, study.previous_quarter)
               if q in frame.attrs["sampled"]}
    table.attrs["caption"] = (f"How often customers' comments in {study.quarter} say each "
                              "statement: share (95% interval), count, and change against "
                              f"{study.previous_quarter}" + comments.sample_caption(sampled))
    return table


@needs("customer_responses")
def statement_sources(study: Study, top: int = 3) -> pd.DataFrame | Markdown:
    """Whose customers say each statement this quarter: the employees behind most of them.

    Examples:
        On the sample data, with ``study = cxlab.open_study("cedar", "2026Q3")``:

        >>> report.statement_sources(study).loc["They know me", "Comments saying it"].tolist()
        ['3 of 10', '1 of 5', '1 of 6']
    """
    # Per employee, comments saying each statement and comments in all: counted a part of the
    # quarter's comments at a time (they add up), so memory holds one part.
    parts = []
    for rows in study.comments_in_parts("customer_responses", study.quarter,
                                        ["employee_id", "comment"]):
        commented = rows[rows["employee_id"].notna()]
        if len(commented):
            flags = statement_flags(commented["comment"], _statements(study))
            parts.append(flags.groupby(commented["employee_id"]).agg(["sum", "count"]))
    if not parts:
        return Markdown("*No attributed comments this quarter.*")
    per_employee = pd.concat(parts).groupby(level=0).sum()
    out = []
    for label in per_employee.columns.get_level_values(0).unique():
        counts = per_employee[label]
        counts = counts[counts["sum"] > 0].sort_values(["sum", "count"], ascending=[False, True])
        for emp, r in counts.head(top).iterrows():
            out.append({"Statement": label, "Employee": employee_labels(study, pd.Series([emp])).iloc[0],
                        "Comments saying it": f"{int(r['sum'])} of {int(r['count'])}"})
    if not out:
        return Markdown("*No attributed comment says any of the three statements this quarter.*")
    table = pd.DataFrame(out).set_index(["Statement", "Employee"])
    table.attrs["caption"] = (f"The employees whose customers said each statement most often "
                              f"in {study.quarter} (up to {top} per statement)")
    return table
