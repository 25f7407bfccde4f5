"""The maturity section of the report: levels, evidence, next steps (the radar is a chart)."""

from __future__ import annotations

import pandas as pd
from IPython.display import Markdown

from cxlab.markup import escape
from cxlab.maturity.assessment import EVIDENCE_TABLES, Assessment, assess_study
from cxlab.maturity.model import load_model
from cxlab.report.availability import needs
from cxlab.study import Study


def maturity_result(study: Study) -> Assessment:
    """The client's assessment as of the study's quarter (computed once per study).

    Examples:
        On the sample data, with ``study = cxlab.open_study("cedar", "2026Q3")``:

        >>> result = report.maturity_result(study)
        >>> result.evidence_level, result.self_level, result.verdict
        (5, 5, 'self-assessment and evidence agree')
    """
    return study.cached(("maturity",), lambda: assess_study(study))


@needs(*EVIDENCE_TABLES)
def maturity_summary(study: Study) -> Markdown:
    """The levels, whether the two sides agree, and the change since the last assessment.

    Examples:
        On the sample data, with ``study = cxlab.open_study("cedar", "2026Q3")``:

        >>> print(report.maturity_summary(study).data)
        **Evidenced level: 5 (Embedded everywhere)**, from indicators in Cedar Health's own data. ...
    """
    a = maturity_result(study)
    names = load_model()["levels"]
    text = (f"**Evidenced level: {a.evidence_level} ({names[a.evidence_level]})**, from "
            f"indicators in {escape(study.client_name)}'s own data. ")
    if a.self_level is None:
        text += "No self-assessment answers yet."
    else:
        when = a.dates[-1].strftime("%d %b %Y") if a.dates[-1] is not None else "undated"
        text += (f"Self-assessed level: **{a.self_level} ({names[a.self_level]})**, from the "
                 f"questionnaire answered on {when}: {a.verdict}.")
        if a.gap:
            text += (" Where they disagree, plan from the evidence: the indicators below show "
                     "what is and is not yet in place.")
        if a.previous is not None:
            before = int(a.previous.set_index("element").loc["employee_experience", "level"])
            change = (f"{a.self_level - before:+d} since" if a.self_level != before
                      else "unchanged since")
            text += (f" At the previous assessment ({a.dates[0]:%d %b %Y}) the self-assessed "
                     f"level was {before} ({change} then).")
    return Markdown(text)


@needs(*EVIDENCE_TABLES)
def maturity_evidence(study: Study) -> pd.DataFrame:
    """The evidence table: each indicator, its level, whether it holds and the numbers.

    Examples:
        On the sample data, with ``study = cxlab.open_study("cedar", "2026Q3")``:

        >>> report.maturity_evidence(study)["In place"].value_counts()
        In place
        yes                   8
        not measurable yet    1
        Name: count, dtype: int64
    """
    a = maturity_result(study)
    shown = {True: "yes", False: "no", None: "not measurable yet"}
    table = pd.DataFrame({
        "Level": [i.level for i in a.indicators],
        "Indicator": [i.statement for i in a.indicators],
        "In place": [shown[i.met] for i in a.indicators],
        "The numbers": [i.numbers for i in a.indicators],
    }).set_index(["Level", "Indicator"])
    table.attrs["caption"] = "The indicators of each maturity level in the client's own data"
    return table


@needs("maturity_answers")
def maturity_elements(study: Study) -> pd.DataFrame | Markdown:
    """The nine elements as self-assessed: level, continuous score and change.

    Examples:
        On the sample data, with ``study = cxlab.open_study("cedar", "2026Q3")``:

        >>> report.maturity_elements(study)["Level (staged)"].head(3)
        Element
        Employee experience    5
        CX strategy *          4
        Leadership buy-in *    4
        Name: Level (staged), dtype: int64
    """
    a = maturity_result(study)
    if a.elements is None:
        return Markdown("*No self-assessment answers yet.*")
    latest = a.elements.set_index("element")
    previous = a.previous.set_index("element") if a.previous is not None else None
    table = pd.DataFrame({
        "Element": [n + (" *" if o else "") for n, o in zip(latest["name"], latest["ours"],
                                                             strict=True)],
        "Level (staged)": latest["level"].to_numpy(),
        "Score (continuous)": [f"{s:.1f}" for s in latest["score"]],
    })
    if previous is not None:
        before = previous["level"].reindex(latest.index).to_numpy()
        table["Previous level"] = before
        table["Change"] = [f"{d:+d}" if d else "=" for d in latest["level"].to_numpy() - before]
    table = table.set_index("Element")
    table.attrs["caption"] = "The nine elements of the maturity model, as self-assessed"
    return table


@needs(*EVIDENCE_TABLES)
def maturity_next_steps(study: Study) -> Markdown:
    """Priorities and actions for the next level, with the client's own numbers.

    Examples:
        On the sample data, with ``study = cxlab.open_study("cedar", "2026Q3")``:

        >>> print(report.maturity_next_steps(study).data)
        ### To stay at level 5
        ...
    """
    a = maturity_result(study)
    head = (f"### To reach level {a.next_level}" if a.next_level
            else "### To stay at level 5")
    lines = [head, "", "**Priorities**", ""] + [f"- {p}" for p in a.priorities]
    lines += ["", "**Actions**", ""] + [f"- {x}" for x in a.actions]
    lines += ["", f"**From {escape(study.client_name)}'s data**", ""] + [f"- {escape(f)}" for f in a.facts]
    return Markdown("\n".join(lines))
