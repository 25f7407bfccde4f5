"""Follow-up items for unhappy customers, sent as they come in: closing the loop.

:func:`follow_up` turns each new unhappy answer (NPS 0-6 or CSAT 1-2,
:func:`cxlab.stats.followups.is_detractor`) into one item for the client's ``follow_up``
channels (the same channel types as recognition: a webhook, an email to the manager of the
employee who served the customer, a JSON-lines queue), once, recorded in the client's
outbox. An item carries what a person needs to call the customer back: the customer's id
in the client's systems, the date, channel, team, the scores, who served them (named under
the report's rules) and the comment (only where the client allows quoting, redacted, other
employees' names replaced). When the follow-up is done, its outcome comes back through an
import of the ``follow_ups`` table, which the report's "Closing the loop" section reads.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from cxlab import config
from cxlab.send import MAX_PER_RUN
from cxlab.send.channels import Channel, Message
from cxlab.send.recognize import (
    FIRST_RUN_DAYS,
    Outcome,
    deliver,
    report_settings,
    roster_emails,
    sending,
    settle_start,
    stored_start,
)

if TYPE_CHECKING:  # opened only when not given
    from cxlab.study import Study

#: The outbox's record of where follow-up sending started.
START = "start:follow_up"


@dataclass(frozen=True)
class FollowUpItem:
    """One unhappy answer to follow up."""

    response_id: str
    day: date
    customer_id: str
    source: str  # the survey channel (web, phone, ...)
    team: str
    served_by: str | None  # the employee's name or label, under the report's rules
    manager_id: str | None
    nps: float | None
    csat: float | None
    comment: str | None  # redacted; None where not quoted

    @property
    def key(self) -> str:
        """The item's identity in the outbox."""
        return f"follow_up:{self.response_id}"


def follow_up(client: str, dataset: str, settings: dict, *, since: date | None = None,
              dry_run: bool = False, base: Path | None = None,
              show: Callable[[str], object] = print, most: int | None = MAX_PER_RUN
              ) -> Outcome:
    """Send each new unhappy answer to the client's follow-up channels, once; what happened.

    ``since``, ``dry_run``, ``base`` and ``most`` as in
    :func:`cxlab.send.recognize.recognize`; the start of follow-up sending is remembered
    apart from that of shout-outs.

    Raises:
        SettingsError: a channel is misconfigured (before anything is sent).
        SendError: a channel refused an item (the others were still served).
    """
    from cxlab.study import open_study

    with sending(client, dataset, settings, "follow_up", base, dry_run, show,
                 "unhappy answer", most) as (channels, outbox, outcome):
        study = open_study(client, None, dataset, settings=report_settings(settings))
        items, latest, emails = unhappy_answers(client, dataset, settings,
                                                since or stored_start(outbox, START), study)
        start = settle_start(outbox, since, latest, dry_run, START)
        items = [i for i in items if start is None or i.day >= start]
        outcome.start, outcome.found = start, len(items)
        if not items:
            # The study is the latest quarter's: its history is every answer.
            outcome.why_none = why_none(study.history("customer_responses", ["nps", "csat"]),
                                        start)
        deliver(items, channels, settings, emails, outbox, outcome, show, compose_item)
    return outcome


def compose_item(item: FollowUpItem, channel: Channel, settings: dict,
                 emails: dict[str, str]) -> tuple[Message | None, str]:
    """The message one channel gets for one item, or None and why it gets none."""
    to = None
    if channel.kind == "email":
        if channel.private:
            return None, "follow-ups go to managers and queues, not to the employee"
        if item.manager_id is None:
            return None, "no employee (or no manager) on record for the answer"
        to = emails.get(item.manager_id)
        if not to:
            return None, "no email address for the manager"
    scores = ", ".join(f"{name} {int(v)}" for name, v in (("NPS", item.nps), ("CSAT", item.csat))
                       if v is not None and not pd.isna(v))
    served = f", served by {item.served_by}" if item.served_by else ""
    said = f" They wrote: “{item.comment}”" if item.comment else ""
    text = (f"Customer {item.customer_id} answered unhappily on {item.day:%d %b %Y} "
            f"({item.source}, {item.team}{served}): {scores}.{said} Please contact them within "
            f"48 hours and record the follow-up against answer {item.response_id}.")
    fields = {"kind": "follow_up", "response_id": item.response_id,
              "customer_id": item.customer_id, "day": item.day.isoformat(), "team": item.team}
    return Message(f"Unhappy customer to follow up ({scores})", text, to, fields), ""


def why_none(answers: pd.DataFrame, start: date | None) -> str:
    """Why no answer from ``start`` on is unhappy, in words for the run's summary."""
    from cxlab.stats.followups import is_detractor

    if answers.empty:
        return "the data has no customer answers"
    scored = answers["nps"].notna() | answers["csat"].notna()
    if not scored.any():
        return ("no answer has an NPS or CSAT score (the data does not collect either, so "
                "no answer can be found unhappy: NPS 0-6 or CSAT 1-2)")
    days = pd.to_datetime(answers["responded_on"]).dt.normalize()
    window = (days >= pd.Timestamp(start)) if start is not None else days.notna()
    unhappy = is_detractor(answers)
    if not (scored & window).any():
        return f"no answer since {start} has an NPS or CSAT score"
    earlier = int((unhappy & ~window).sum())
    return (f"none of the {int((scored & window).sum()):,} scored answers since {start} has "
            "NPS 0-6 or CSAT 1-2" + (f" ({earlier:,} earlier one{'s do' if earlier > 1 else ' does'}: "
                                     "--since DATE starts earlier)" if earlier else ""))


def unhappy_answers(client: str, dataset: str, settings: dict, since: date | None = None,
                    study: Study | None = None
                    ) -> tuple[list[FollowUpItem], date | None, dict[str, str]]:
    """Every unhappy answer since ``since``'s quarter, the latest answer's day, and emails.

    ``study`` is the client's latest study if already open (else it is opened here).
    """
    from cxlab.report.employees import employee_labels
    from cxlab.report.quotes import publishable
    from cxlab.stats.followups import is_detractor
    from cxlab.study import open_study

    study = study or open_study(client, None, dataset, settings=report_settings(settings))
    emails = roster_emails(study)
    _, last = study.span("customer_responses")
    if last is None:
        return [], None, emails
    latest = last.date()
    since = since or latest - timedelta(days=FIRST_RUN_DAYS)
    # Only the answers from the first day asked for on are read.
    answers = study.between("customer_responses", pd.Timestamp(since),
                            pd.Timestamp(latest) + pd.Timedelta(days=1))
    mine = answers[is_detractor(answers).to_numpy()]
    roster = study.tables["employees"].set_index("employee_id")
    served = employee_labels(study, mine["employee_id"])
    comments = publishable(study, mine["comment"], mine["employee_id"])
    quoted = config.setting(study.settings, "quote_comments")
    items = []
    for i, row in mine.iterrows():
        emp = row["employee_id"]
        known = pd.notna(emp) and emp in roster.index
        manager = roster.at[emp, "manager_id"] if known else None
        # The employee's team, or the answer's department when nobody is on record.
        team = roster.at[emp, "team"] if known else row["department"]
        items.append(FollowUpItem(
            str(row["response_id"]), pd.Timestamp(row["responded_on"]).date(),
            str(row["customer_id"]), str(row["channel"]), str(team),
            served[i] if pd.notna(served[i]) else None,
            str(manager) if manager is not None and pd.notna(manager) else None,
            None if pd.isna(row["nps"]) else row["nps"], None if pd.isna(row["csat"]) else row["csat"],
            comments[i] if quoted and pd.notna(row["comment"]) else None))
    return items, latest, emails
