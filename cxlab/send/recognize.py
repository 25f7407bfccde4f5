"""Shout-outs as they happen: each new piece of named customer praise, sent once.

:func:`recognize` finds the positive mentions of employees in customer comments (the same
finder and sentiment rule as the report's shout-out feed, :mod:`cxlab.report.recognition`)
since where sending started, and sends each to the client's channels
(:mod:`cxlab.send.channels`), recording each in the client's outbox
(:mod:`cxlab.send.outbox`) so no re-run sends it again.

Privacy, as in the reports:

* a channel message (Slack, Teams, the JSON-lines file, an email to the manager) names the
  employee only where the client shows names (``show_employee_names``) and the employee has
  not opted out (``recognition.opt_out``); otherwise it says "a member of <team>" and the quote
  has every employee's name replaced;
* an email channel ``to: employee`` is a private note to the praised employee, sent whatever
  ``show_employee_names`` says, naming them to themselves (other employees' names replaced);
  the monthly drawing's winner is told the same way; opted-out employees get none (nothing
  names them anywhere);
* a quote appears only where the client allows quoting (``quote_comments``); it is redacted
  (emails, phone, card and account numbers) and never carries another employee's name unless
  names are shown, and never an opted-out employee's name.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from cxlab import config, periods
from cxlab.send import MAX_PER_RUN
from cxlab.send.channels import (
    Channel,
    ChannelDown,
    Message,
    MessageRefused,
    SendError,
    channels_from_settings,
    check_recognition,
)
from cxlab.send.live import write_live_page
from cxlab.send.outbox import Outbox

if TYPE_CHECKING:
    from cxlab.study import Study

#: How the live page shows each item: as a team channel gets it.
TEAM_VIEW = Channel("file", {"path": "-"})
#: Exit code of ``cxlab recognize`` when a channel could not be reached: its messages are
#: left for the next run.
EXIT_LEFT_FOR_LATER = 5
#: Where a first run starts when no ``--since`` is given: this many days before the latest
#: customer response, so a first run does not flood a channel with a year of praise.
FIRST_RUN_DAYS = 7


@dataclass(frozen=True)
class Shoutout:
    """One positive mention of one employee in one customer response."""

    response_id: str
    employee_id: str
    day: date
    team: str
    name: str
    manager_id: str | None
    named_quote: str | None  # the quote where the employee may be named (None: not quoted)
    anonymous_quote: str | None  # the quote with every employee's name replaced
    sentiment: float = 0.0
    #: The quote for the employee's private note: their own name kept, every other
    #: employee's replaced (None: not quoted).
    own_quote: str | None = None

    @property
    def key(self) -> str:
        """The message's identity in the outbox: the response and the employee."""
        return f"shoutout:{self.response_id}:{self.employee_id}"


@dataclass(frozen=True)
class Announcement:
    """A team-wide post about one employee: the story of the week or the monthly drawing.

    Sent to the team channels (not to managers), naming the employee under the same rules as
    a shout-out; the drawing's winner also gets a private note on an employee email channel.
    """

    key: str
    title: str
    named_text: str
    anonymous_text: str
    employee_id: str
    name: str
    team: str
    day: date
    record: str = ""  # a drawing's auditable record: entrants and the label that fixes it


@dataclass
class Outcome:
    """What a run did: per channel, messages sent, already sent, and not sent (and why)."""

    sent: Counter = field(default_factory=Counter)
    already: Counter = field(default_factory=Counter)
    skipped: Counter = field(default_factory=Counter)  # (channel, reason)
    failed: dict[str, str] = field(default_factory=dict)  # channel -> what went wrong
    refused: dict[str, str] = field(default_factory=dict)  # channel -> the 4xx or rejection
    rejected: list[str] = field(default_factory=list)  # single messages a channel refused
    refused_one: Counter = field(default_factory=Counter)  # channel -> messages it refused
    refused_before: Counter = field(default_factory=Counter)  # refused by an earlier run
    left: Counter = field(default_factory=Counter)  # channel -> messages left for the next run
    start: date | None = None
    found: int = 0
    dry_run: bool = False
    most: int | None = MAX_PER_RUN  # items a run sends at most; None: no limit
    held: int = 0  # items with something to send, left for the next run by ``most``
    page: Path | None = None  # the running recognition page, once written
    what: str = "shout-out"  # what was looked for, in the summary's words
    why_none: str = ""  # when nothing was found, why (said in the summary)

    def summary(self) -> str:
        """The run in a few lines, for the command line."""
        verb = "would send" if self.dry_run else "sent"
        lines = [f"{self.found} {self.what}{'s' if self.found != 1 else ''} found since "
                 f"{self.start}" + (f": {self.why_none}" if self.why_none and not self.found
                                    else "")]
        if self.dry_run:
            lines.append("  (a dry run: the channels' secrets and hosts were not checked)")
        if self.page:
            lines.append(f"  recognition page: {self.page}")
        if self.held:
            lines.append(f"  {self.held} more {self.what}{'s' if self.held != 1 else ''} left "
                         f"for the next run: at most {self.most} a run (--max to change)")
        channels = sorted(set(self.sent) | set(self.already) | set(self.failed)
                          | set(self.refused) | set(self.refused_one) | set(self.refused_before)
                          | {c for c, _ in self.skipped})
        for channel in channels:
            parts = [f"{verb} {self.sent[channel]}"]
            if self.already[channel]:
                parts.append(f"{self.already[channel]} sent before")
            if self.refused_one[channel]:
                parts.append(f"{self.refused_one[channel]} refused (not sent again)")
            if self.refused_before[channel]:
                parts.append(f"{self.refused_before[channel]} refused before (not tried again)")
            parts += [f"{n} not sent: {why}" for (c, why), n in sorted(self.skipped.items())
                      if c == channel]
            why = self.failed.get(channel) or self.refused.get(channel)
            if why:
                parts.append(f"{self.left[channel]} left for the next run: "
                             + why.removeprefix(channel + ": "))
            lines.append(f"  {channel}: " + "; ".join(parts))
        lines += [f"  refused, not sent again: {line}" for line in self.rejected]
        return "\n".join(lines)


def recognize(client: str, dataset: str, settings: dict, *, since: date | None = None,
              dry_run: bool = False, base: Path | None = None,
              show: Callable[[str], object] = print, most: int | None = MAX_PER_RUN
              ) -> Outcome:
    """Send the client's new shout-outs to its channels, each once; what happened.

    ``since`` is where a first run starts (default: :data:`FIRST_RUN_DAYS` before the latest
    response); later runs start where the first did, so nothing between runs is missed.
    ``dry_run`` shows each message instead of sending and records nothing (the environment
    and hosts are not checked). ``base`` is where relative file-channel paths are taken from
    (default: the project root). ``most`` is how many items a run sends at most (None: all);
    the rest wait for the next run, which the summary says.

    Raises:
        SettingsError: a channel is misconfigured (before anything is sent).
        SendError: a channel refused a message (the others were still served).
    """
    from cxlab.study import open_study

    with sending(client, dataset, settings, "recognition", base, dry_run, show,
                 most=most) as (
            channels, outbox, outcome):
        study = open_study(client, None, dataset, settings=report_settings(settings))
        shoutouts, latest, emails = find_shoutouts(client, dataset, settings,
                                                   since or stored_start(outbox), study=study)
        start = settle_start(outbox, since, latest, dry_run)
        posts = (announcements(client, shoutouts, start, latest)
                 if start is not None and latest is not None else [])
        shoutouts = [s for s in shoutouts if start is None or s.day >= start]
        outcome.start, outcome.found = start, len(shoutouts)
        if not shoutouts:
            outcome.why_none = why_no_praise(study)
        items: list[Shoutout | Announcement] = [*shoutouts, *posts]
        deliver(items, channels, settings, emails, outbox, outcome, show)
        if not dry_run and latest is not None:
            outcome.page = write_live_page(client, dataset, settings, [
                (item.key, item.day, compose(item, TEAM_VIEW, settings, emails)[0])
                for item in items], latest, study=study)
    return outcome


def why_no_praise(study: Study) -> str:
    """Why no shout-out could be found at all, when the data says why (else "")."""
    if "employees" in study.absent or study.tables["employees"].empty:
        return ("the data has no employee roster, so no comment can be matched to an employee "
                "(import an employees table to recognize named praise)")
    if not study.has("customer_responses", "comment"):
        return "no customer answer has a comment to find praise in"
    return ""


@contextmanager
def sending(client: str, dataset: str, settings: dict, key: str, base: Path | None,
            dry_run: bool, show: Callable[[str], object], what: str = "shout-out",
            most: int | None = MAX_PER_RUN
            ) -> Iterator[tuple[list[Channel], Outbox, Outcome]]:
    """A run of sending: the checked channels, the client's outbox held, and the outcome.

    Yields ``(channels, outbox, outcome)``; a second run for the client waits (saying so).
    Afterwards, a channel that refused a message is raised as a :class:`SendError`.
    """
    config.check_slug(client, "client")
    channels = configured(settings, key, client, base, dry_run)
    outbox = Outbox(config.outbox_path(dataset, client))
    outcome = Outcome(dry_run=dry_run, what=what, most=most)
    about = {"pid": os.getpid(), "command": f"cxlab send ({key})", "client": client}
    if dry_run:  # changes nothing on disk, so it takes no lock (the outbox is only read)
        yield channels, outbox, outcome
    else:
        with outbox.session(about, on_wait=lambda holder: show(
                f"another cxlab run for {client} is sending (pid {holder.get('pid')}); "
                "waiting for it to finish")):
            yield channels, outbox, outcome
    if outcome.refused or outcome.rejected:
        raise SendError("; ".join([*outcome.refused.values(), *outcome.rejected])
                        + f"\n{outcome.summary()}")


def configured(settings: dict, key: str, client: str, base: Path | None,
               dry_run: bool) -> list[Channel]:
    """The channels of a client's ``recognition`` or ``follow_up`` settings, checked.

    A dry run checks their shape only (no secret is needed to preview the messages).
    """
    spec = settings.get(key) or {}
    if dry_run:
        check_recognition(spec, f"client {client!r}: {key}")
        channels = [Channel(c["type"], {k: v for k, v in c.items() if k != "type"})
                    for c in spec.get("channels", [])]
    else:
        channels = channels_from_settings(spec, client, base or config.project_root(), key)
    if not channels:
        raise config.SettingsError(f"client {client!r}: no {key} channels configured "
                                   f"(settings: {key}: channels: [...])")
    return channels


def settle_start(outbox: Outbox, since: date | None, latest: date | None, dry_run: bool,
                 name: str = "start") -> date | None:
    """Where this run starts, remembered for later runs.

    ``since``, else where the first run started, else :data:`FIRST_RUN_DAYS` before the
    latest answer.
    """
    if since is not None and latest is not None and since > latest:
        raise config.SettingsError(f"--since {since} is after the latest answer in the data "
                                   f"({latest}): nothing to send, and no start is kept")
    start = since or stored_start(outbox, name) or (
        latest - timedelta(days=FIRST_RUN_DAYS) if latest else None)
    if start is not None and start != stored_start(outbox, name) and not dry_run:
        outbox.set_start(start.isoformat(), name)
    return start


def stored_start(outbox: Outbox, name: str = "start") -> date | None:
    """The date the first run of this kind of sending started from, if any."""
    start = outbox.start(name)
    return date.fromisoformat(start) if start else None


def deliver(shoutouts: Sequence[Any], channels: list[Channel], settings: dict,
            emails: dict[str, str], outbox: Outbox, outcome: Outcome,
            show: Callable[[str], object], compose_with: Callable | None = None) -> None:
    """Send each item to each channel unless recorded; record each accepted message.

    ``compose_with(item, channel, settings, emails)`` makes the message (default
    :func:`compose`, for shout-outs and announcements).
    """
    compose_with = compose_with or compose
    done, refused = outbox.sent(), outbox.refused()
    handled, started = done | refused, 0
    for shoutout in shoutouts:
        new = any((shoutout.key, c.name) not in handled for c in channels)
        if new and outcome.most is not None and started >= outcome.most:
            outcome.held += 1
            continue
        started += new
        for channel in channels:
            if (shoutout.key, channel.name) in done:
                outcome.already[channel.name] += 1
                continue
            if (shoutout.key, channel.name) in refused:
                outcome.refused_before[channel.name] += 1
                continue
            message, why = compose_with(shoutout, channel, settings, emails)
            if message is None:
                outcome.skipped[(channel.name, why)] += 1
                continue
            if channel.name in outcome.failed or channel.name in outcome.refused:
                outcome.left[channel.name] += 1  # the channel is down or refuses: not tried
                continue
            if outcome.dry_run:
                show(f"[{channel.name}] {message.title}: {message.text}"
                     + (f" (to {message.to})" if message.to else ""))
                outcome.sent[channel.name] += 1
                continue
            try:
                channel.send(message)
            except ChannelDown as err:
                outcome.failed[channel.name] = str(err)
                outcome.left[channel.name] += 1
                continue
            except MessageRefused as err:
                # This message only: recorded, so no run sends it again, and named.
                outcome.rejected.append(f"{err} ({describe(shoutout)})")
                outcome.refused_one[channel.name] += 1
                outbox.record_refused(shoutout.key, channel.name, str(err))
                continue
            except SendError as err:
                outcome.refused[channel.name] = str(err)
                outcome.left[channel.name] += 1
                continue
            outbox.record(shoutout.key, channel.name)
            outcome.sent[channel.name] += 1


#: How a message's key reads in the run's summary, by its kind.
_KINDS = {"shoutout": "the shout-out for answer", "story": "the story of the week of",
          "drawing": "the drawing of", "follow_up": "the follow-up of answer"}


def describe(item: Shoutout | Announcement) -> str:
    """An item in words for the summary, by its key.

    ``story:2026-09-21`` reads "the story of the week of 2026-09-21"; a shout-out or a
    follow-up is named by its answer's id, never by an employee.
    """
    kind, _, rest = item.key.partition(":")
    return f"{_KINDS.get(kind, kind)} {rest.split(':')[0]}"


def compose(shoutout: Shoutout | Announcement, channel: Channel, settings: dict,
            emails: dict[str, str]) -> tuple[Message | None, str]:
    """The message one channel gets for one shout-out or announcement, or None and why not."""
    opted_out = shoutout.employee_id in config.opted_out(settings)
    named = config.setting(settings, "show_employee_names") and not opted_out
    if isinstance(shoutout, Announcement):
        if channel.private and shoutout.key.startswith("drawing:"):
            return _drawing_note(shoutout, opted_out, emails)
        if channel.kind == "email":
            return None, "stories go to team channels"
        fields = {"kind": shoutout.key.split(":")[0], "day": shoutout.day.isoformat(),
                  "team": shoutout.team, "employee": shoutout.name if named else None}
        return Message(shoutout.title, shoutout.named_text if named else shoutout.anonymous_text,
                       None, fields), ""
    to = None
    if channel.kind == "email":
        who = shoutout.employee_id if channel.private else shoutout.manager_id
        if channel.private and opted_out:
            return None, "the employee opted out"
        if who is None:
            return None, "the employee has no manager in the roster"
        to = emails.get(who)
        if not to:
            return None, ("no email address for the employee" if channel.private else
                          "no email address for the employee's manager")
    day = f"{shoutout.day:%d %b %Y}"
    if channel.private:
        quote = _quoted(shoutout.own_quote)
        title = "A customer praised you"
        text = f"A customer wrote about you on {day}{quote or '.'} Thank you!"
    elif named:
        quote = _quoted(shoutout.named_quote)
        title = f"Shout-out for {shoutout.name}"
        text = (f"A customer named {shoutout.name} ({shoutout.team}) on {day}{quote}" if quote
                else f"A customer praised {shoutout.name} ({shoutout.team}) in a comment on "
                     f"{day}.")
    else:
        quote = _quoted(shoutout.anonymous_quote)
        title = f"Shout-out for {shoutout.team}"
        text = (f"A customer praised a member of {shoutout.team} on {day}{quote}" if quote
                else f"A customer praised a member of {shoutout.team} in a comment on {day}.")
    fields = {"kind": "shoutout", "response_id": shoutout.response_id,
              "day": shoutout.day.isoformat(), "team": shoutout.team,
              "employee": shoutout.name if named else None}
    return Message(title, text, to, fields), ""


def _drawing_note(drawing: Announcement, opted_out: bool, emails: dict[str, str]
                  ) -> tuple[Message | None, str]:
    """The monthly drawing's winner, told privately (named to themselves alone)."""
    if opted_out:
        return None, "the employee opted out"
    to = emails.get(drawing.employee_id)
    if not to:
        return None, "no email address for the employee"
    text = (f"{drawing.name}, you won {drawing.title[0].lower()}{drawing.title[1:]}: customers "
            f"named you positively that month. Congratulations! {drawing.record}.")
    fields = {"kind": "drawing", "day": drawing.day.isoformat(), "team": drawing.team,
              "employee": drawing.name}
    return Message("You won the monthly drawing", text, to, fields), ""


def _quoted(quote: str | None) -> str:
    return f": “{quote}”" if quote else ""


def announcements(client: str, shoutouts: list[Shoutout], start: date,
                  latest: date) -> list[Announcement]:
    """The stories of the weeks and the drawings of the months that ended since ``start``.

    A week (Monday to Sunday) or a month is announced once it is over in the data (its last
    day on or before the latest response), never before: the drawing's entrants are then
    final. The story is the week's most positive mention; the drawing is the report's
    (:func:`cxlab.recognition.draw`, label ``"<client> <YYYY-MM>"``), so anyone can redo it
    from its label.
    """
    from cxlab.recognition import draw

    if not shoutouts:
        return []
    frame = pd.DataFrame({"item": shoutouts, "day": pd.to_datetime([s.day for s in shoutouts]),
                          "sentiment": [s.sentiment for s in shoutouts]})
    first_seen = frame["day"].min()
    posts = []
    frame["week"] = frame["day"] - pd.to_timedelta(frame["day"].dt.day_of_week, unit="D")
    for week, group in frame.groupby("week"):
        end = (week + pd.Timedelta(days=6)).date()
        if week < first_seen or end < start or end > latest:
            continue
        best: Shoutout = group.sort_values("sentiment", ascending=False)["item"].iloc[0]
        title = f"Customer story of the week of {week:%d %b}"
        quote = _quoted(best.named_quote)
        posts.append(Announcement(
            f"story:{week.date().isoformat()}", title,
            f"{best.name} ({best.team}), in a customer's words{quote or ': praised by name.'}",
            f"A member of {best.team}, in a customer's words"
            f"{_quoted(best.anonymous_quote) or ': praised by name.'}",
            best.employee_id, best.name, best.team, end))
    frame["month"] = frame["day"].dt.strftime("%Y-%m")
    for month, group in frame.groupby("month"):
        end = (pd.Period(month, "M").end_time.normalize()).date()
        if end < start or end > latest:
            continue
        people = {s.employee_id: s for s in group["item"]}
        result = draw(list(people), f"{client} {month}")
        winner = people[result.winner]
        record = (f"{len(result.entrants)} employees named positively by customers were in the "
                  f"draw; it is fixed by the label '{result.label}', so anyone can redo it")
        posts.append(Announcement(
            f"drawing:{month}", f"Monthly drawing, {pd.Period(month, 'M'):%B %Y}",
            f"Congratulations to {winner.name} ({winner.team})! {record}.",
            f"Congratulations to the winner, a member of {winner.team}! {record}.",
            winner.employee_id, winner.name, winner.team, end, record))
    return posts


# ------------------------------------------------------------------------------------------
# Finding the praise


def find_shoutouts(client: str, dataset: str, settings: dict, since: date | None = None,
                   study: Study | None = None
                   ) -> tuple[list[Shoutout], date | None, dict[str, str]]:
    """Every positive mention since ``since``'s quarter, the latest response day, and emails.

    The emails are the roster's optional ``email`` column: employee id -> address.

    Without ``since``, from :data:`FIRST_RUN_DAYS` before the latest response. ``study`` is
    the client's latest study if already open (else it is opened here).
    """
    from cxlab.report.quotes import may_quote
    from cxlab.report.recognition import positive_mentions
    from cxlab.study import open_study

    first = study or open_study(client, None, dataset, settings=report_settings(settings))
    emails = roster_emails(first)
    _, last = first.span("customer_responses")
    if last is None:
        return [], None, emails
    latest = last.date()
    since = since or latest - timedelta(days=FIRST_RUN_DAYS)
    last_quarter = first.quarter
    begin = str(periods.label(pd.Series([pd.Timestamp(since)]))[0])
    found = []
    for quarter in periods.quarter_range(min(begin, last_quarter), last_quarter):
        study = (first if quarter == last_quarter else
                 open_study(client, quarter, dataset, settings=report_settings(settings)))
        found += _shoutouts(study, positive_mentions(study), may_quote(study), settings)
    return found, latest, emails


def report_settings(settings: dict) -> dict:
    """The client's settings a report reads (open_study checks them)."""
    return {k: v for k, v in settings.items() if k in config.CLIENT_SETTINGS}


def roster_emails(study: Study) -> dict[str, str]:
    """Employee id -> email address, from the roster's optional ``email`` column."""
    roster = study.tables["employees"]
    if "email" not in roster:
        return {}
    known = roster.dropna(subset=["email"])
    return dict(zip(known["employee_id"], known["email"].astype(str), strict=True))


def _shoutouts(study: Study, mentions: pd.DataFrame, quote: bool, settings: dict
               ) -> list[Shoutout]:
    """The mentions as shout-outs, with both quotes made once per mention."""
    from cxlab.text.mentions import mask_names, names_any

    if mentions.empty:
        return []
    roster = study.tables["employees"].set_index("employee_id")
    opt_out = config.opted_out(settings)
    sentences = mentions["sentence"].astype(object)
    everyone = {e: "[colleague]" for e in roster.index}
    anonymous = mask_names(sentences, roster.reset_index(), everyone, mentions["served_by"])
    if config.setting(study.settings, "show_employee_names"):
        # Names may show, except those of employees who opted out: a quote naming one is
        # the anonymous one (masking their name alone would garble a namesake's).
        touches = names_any(sentences, roster.reset_index(), opt_out, mentions["served_by"])
        named = sentences.where(~touches, anonymous)
    else:
        named = anonymous
    # For each employee's private note: their own name kept, every other one replaced.
    own = pd.Series(index=mentions.index, dtype=object)
    for employee, rows in mentions.groupby("employee_id").groups.items():
        labels = {**everyone, employee: str(roster.loc[employee, "display_name"])}
        own[rows] = mask_names(sentences[rows], roster.reset_index(), labels,
                               mentions.loc[rows, "served_by"])
    out = []
    for i, row in mentions.iterrows():
        person = roster.loc[row["employee_id"]]
        manager = person.get("manager_id")
        out.append(Shoutout(
            str(row["response_id"]), str(row["employee_id"]), row["responded_on"].date(),
            str(person["team"]), str(person["display_name"]),
            str(manager) if pd.notna(manager) else None,
            named[i] if quote else None, anonymous[i] if quote else None,
            float(row["sentiment"]), own[i] if quote else None))
    return out
