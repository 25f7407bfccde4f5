"""Headline customer measures by segment: any survey column a client's mapping declared.

A mapping's ``segments`` names survey columns to group customers by (class of travel, type
of traveller); they are stored as columns of ``customer_responses``. Each segment's groups get
the headline customer-survey measures with 95% intervals, n and a flag where a group differs
from the rest (as the team tables do: Benjamini-Hochberg over the groups compared). No
employees table or incentive plan is needed, and ``min_group_size`` does not apply: it
protects employees, and these are customers' answers.
"""

from __future__ import annotations

import pandas as pd
from IPython.display import Markdown

from cxlab.markup import escape
from cxlab.report.availability import collected, needs
from cxlab.report.html_tables import SMALL_N
from cxlab.report.tables import fmt_value, group_frame, headline
from cxlab.study import Study


def segment_columns(study: Study) -> dict[str, str]:
    """The client's declared segments present in its survey answers: column to label."""
    held = study.columns("customer_responses")
    return {name: spec.get("label", name) for name, spec in study.segments.items()
            if name in held and study.has("customer_responses", name)}


def segments_frame(study: Study) -> pd.DataFrame:
    """Tidy: one row per segment, group and headline customer measure in the study's quarter.

    Columns ``segment`` (the column), ``segment_label``, ``group``, ``measure``, ``kind``,
    ``value``, ``ci_low``, ``ci_high``, ``n``, ``n_effective``, ``weighted`` and ``flag``.
    """
    out = []
    measured = [m for m in headline(study)
                if m.table == "customer_responses" and collected(study, m)]
    for column, label in segment_columns(study).items():
        for m in measured:
            frame = group_frame(study, column, m)
            for _, r in frame.iterrows():
                out.append({"segment": column, "segment_label": label, "group": r[column],
                            "measure": m.name, "label": m.label, "kind": m.estimate_kind,
                            "value": r["value"], "ci_low": r["ci_low"], "ci_high": r["ci_high"],
                            "n": int(r["n"]), "n_effective": r["n_effective"],
                            "weighted": "weighted" in str(r["method"]), "flag": r["flag"]})
    return pd.DataFrame(out, columns=["segment", "segment_label", "group", "measure", "label",
                                      "kind", "value", "ci_low", "ci_high", "n", "n_effective",
                                      "weighted", "flag"])


@needs("customer_responses")
def segment_table(study: Study) -> pd.DataFrame | Markdown:
    """Headline customer measures by each declared segment, with intervals, n and flags.

    Examples:
        On the sample data, with ``study = cxlab.open_study("cedar", "2026Q3")`` (whose survey
        mapping declares no segments):

        >>> print(report.segment_table(study).data)
        *No segments for Cedar Health: a survey mapping's `segments` names the columns to group
        customers by (class of travel, type of traveller, say).*
    """
    if not segment_columns(study):
        return Markdown(f"*No segments for {escape(study.client_name)}: a survey mapping's "
                        "`segments` names the columns to group customers by (class of "
                        "travel, type of traveller, say).*")
    frame = segments_frame(study)
    if frame.empty:
        answers = study.count_rows("customer_responses")
        if not answers:
            return Markdown(f"*No customer answers in {study.quarter} to group by segment.*")
        return Markdown(f"*None of the {answers:,} customer answers in {study.quarter} carries "
                        "an NPS, CSAT or CES answer, the measures shown by segment.*")
    frame["cell"] = [
        f"{fmt_value(v, k)} ({fmt_value(lo, k)} to {fmt_value(hi, k)}; "
        + (f"n={n:,}, n_eff={e:,.0f}" if w else f"n={n:,}") + ")" + (f" {f}" if f else "")
        for v, lo, hi, k, n, e, w, f in zip(
            frame["value"], frame["ci_low"], frame["ci_high"], frame["kind"], frame["n"],
            frame["n_effective"], frame["weighted"], frame["flag"], strict=True)]
    table = frame.pivot_table(index=["segment_label", "group"], columns="label", values="cell",
                              aggfunc="first", sort=False)
    order = list(dict.fromkeys(frame["label"]))
    table = table.reindex(columns=order).fillna("no answers")
    table.index.names = ["Segment", "Group"]
    table.columns.name = None
    table.attrs["caption"] = (f"Headline customer measures by segment in {study.quarter}: value "
                              "(95% interval; n) and a flag where a group differs from the rest")
    table.attrs["small_n"] = SMALL_N
    return table
