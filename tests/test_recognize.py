"""cxlab recognize: each shout-out sent once, over real HTTP and SMTP, on loopback only.

A local HTTP server stands in for Slack's and Teams' webhooks (it checks each payload's
shape and can answer 503 or 400), aiosmtpd for the mail server. Nothing leaves the machine.
"""

from __future__ import annotations

import json
import os
import socket
import threading
from collections import Counter
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pandas as pd
import pytest

from cxlab import config
from cxlab.config import SettingsError
from cxlab.send import channels as channels_module
from cxlab.send.channels import SendError
from cxlab.send.outbox import Outbox
from cxlab.send.recognize import announcements, find_shoutouts, recognize

SINCE = date(2026, 9, 1)
SLACK, TEAMS, SMTP = "TEST_SLACK_WEBHOOK", "TEST_TEAMS_WEBHOOK", "TEST_SMTP_URL"


class Webhooks(ThreadingHTTPServer):
    """Records every post by path; answers each path with the statuses queued for it."""

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Hook)
        self.posts: list[tuple[str, dict]] = []
        self.answers: dict[str, list] = {}
        self.lock = threading.Lock()
        self.slow_seconds = 2.0

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/{path}"

    def bodies(self, path: str) -> list[dict]:
        return [body for p, body in self.posts if p == f"/{path}"]


class _Hook(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 - http.server's name
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        server: Webhooks = self.server
        with server.lock:
            queued = server.answers.get(self.path, [])
            status = queued.pop(0) if queued else 200
            if status in (200, "slow"):
                server.posts.append((self.path, body))
            if status == 200 and "blocks" in body and len(body["blocks"][1]["text"]["text"]) > 3000:
                status = 400  # as Slack answers a section over 3,000 characters
                server.posts.pop()
        if status == "slow":  # took the message, answers after the client gave up
            import time

            time.sleep(server.slow_seconds)
            status = 200
        # A refusal says why, as Slack does; this one also echoes the request's path (the
        # webhook's secret), which must never reach an error message.
        said = f"invalid_blocks at {self.path}".encode() if status == 400 else b"ok"
        self.send_response(status)
        self.send_header("Content-Length", str(len(said)))
        self.end_headers()
        self.wfile.write(said)

    def log_message(self, *args):
        pass


@pytest.fixture
def webhooks():
    server = Webhooks()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def mailbox():
    """A real SMTP server on loopback (aiosmtpd); yields the messages it received."""
    from aiosmtpd.controller import Controller

    received = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
            received.append((envelope.rcpt_tos, envelope.content.decode("utf-8", "replace")))
            return "250 OK"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    yield received, port
    controller.stop()


@pytest.fixture(scope="module")
def data_home(tmp_path_factory):
    from cxlab.data import make_sample

    root = tmp_path_factory.mktemp("recognize")
    make_sample("sample", scale=0.3, root=root / "data")
    return root


@pytest.fixture
def home(data_home, monkeypatch, webhooks):
    """The sample data, a fresh outbox, fast retries, and the channels' secrets set."""
    import shutil

    monkeypatch.setenv("CXLAB_HOME", str(data_home))
    monkeypatch.setattr(channels_module, "BACKOFF", 0.01)
    monkeypatch.setenv(SLACK, webhooks.url("slack/T000/B000/secret-token"))
    monkeypatch.setenv(TEAMS, webhooks.url("teams/workflows/secret-sig"))
    yield data_home
    shutil.rmtree(data_home / "data" / "_outbox", ignore_errors=True)
    shutil.rmtree(data_home / "data" / "_feeds", ignore_errors=True)


def _feed(home: Path, client: str = "northwind") -> Path:
    """Where a file channel named ``out.jsonl`` writes: under the data, not the project's top."""
    return home / "data" / "_feeds" / client / "out.jsonl"


def _settings(*channels, **more) -> dict:
    return {"quote_comments": True, "recognition": {"channels": list(channels)}, **more}


SLACK_CHANNEL = {"type": "slack", "webhook_env": SLACK}
TEAMS_CHANNEL = {"type": "teams", "webhook_env": TEAMS}


def _shoutouts(settings: dict) -> list:
    found, _, _ = find_shoutouts("northwind", "sample", settings, SINCE)
    found = [s for s in found if s.day >= SINCE]
    assert len(found) >= 3, "the sample should have praise in September"
    return found


def _expected(settings: dict) -> list:
    """Every team-channel message since SINCE: shout-outs, then stories and drawings."""
    found, latest, _ = find_shoutouts("northwind", "sample", settings, SINCE)
    posts = announcements("northwind", found, SINCE, latest)
    assert {p.key.split(":")[0] for p in posts} == {"story", "drawing"}
    return _shoutouts(settings) + posts


def test_a_run_sends_at_most_its_limit_and_the_next_run_the_rest(home, webhooks, capsys):
    """An export whose answers all carry one date would flood a channel at once: a run sends
    at most ``most`` items, says how many wait, exits 5 from the command line; the next run
    sends the rest, nothing twice."""
    from cxlab.cli import main

    settings = _settings(SLACK_CHANNEL)
    expected = _expected(settings)
    assert len(expected) > 5
    first = recognize("northwind", "sample", settings, since=SINCE, base=home,
                      show=lambda _: None, most=5)
    assert sum(first.sent.values()) == 5 and first.held == len(expected) - 5
    assert f"{len(expected) - 5} more shout-outs left for the next run: at most 5 a run" in \
        first.summary()
    rest = recognize("northwind", "sample", settings, base=home, show=lambda _: None)
    assert sum(rest.sent.values()) == len(expected) - 5 and rest.held == 0
    assert len(webhooks.bodies("slack/T000/B000/secret-token")) == len(expected)
    matrix = home / "capped.yml"
    matrix.write_text("dataset: sample\ntemplate: quarterly_report\nquarters: [2026Q3]\n"
                      f"clients:\n  northwind: {{settings: {json.dumps(settings)}}}\n")
    shutil_rm(home)
    assert main(["recognize", "--client", "northwind", "--matrix", str(matrix), "--since",
                 SINCE.isoformat(), "--max", "3"]) == 5
    assert "left for the next run: at most 3 a run (--max to change)" in capsys.readouterr().out
    with pytest.raises(SystemExit) as stop:
        main(["recognize", "--client", "northwind", "--matrix", str(matrix), "--max", "0"])
    assert stop.value.code == 2
    assert "'0' is not a number of messages: expected a whole number of at least 1" in \
        capsys.readouterr().err


def test_each_shoutout_is_sent_once_to_every_channel(home, webhooks):
    settings = _settings(SLACK_CHANNEL, TEAMS_CHANNEL, {"type": "file", "path": "out.jsonl"})
    expected = _expected(settings)
    outcome = recognize("northwind", "sample", settings, since=SINCE, base=home,
                        show=lambda _: None)
    slack, teams = webhooks.bodies("slack/T000/B000/secret-token"), webhooks.bodies(
        "teams/workflows/secret-sig")
    assert len(slack) == len(teams) == len(expected) == outcome.sent["slack (TEST_SLACK_WEBHOOK)"]
    assert not (home / "out.jsonl").exists()  # customers' words stay out of the top folder
    lines = _feed(home).read_text().splitlines()
    assert len(lines) == len(expected)
    records = [json.loads(line) for line in lines]
    assert sorted(r["response_id"] for r in records if r["kind"] == "shoutout") == sorted(
        s.response_id for s in expected if hasattr(s, "response_id"))
    # The message shapes each service takes.
    for body in slack:
        assert set(body) == {"text", "blocks"}
        assert [b["type"] for b in body["blocks"]] == ["header", "section"]
        assert body["blocks"][1]["text"]["type"] == "mrkdwn"
    for body in teams:
        [attachment] = body["attachments"]
        assert body["type"] == "message"
        assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
        card = attachment["content"]
        assert card["type"] == "AdaptiveCard" and card["version"] == "1.4"
        assert all(block["type"] == "TextBlock" and block["wrap"] for block in card["body"])
    # Again: nothing new, nothing sent twice.
    again = recognize("northwind", "sample", settings, base=home, show=lambda _: None)
    assert sum(again.sent.values()) == 0
    assert again.already["slack (TEST_SLACK_WEBHOOK)"] == len(expected)
    assert len(webhooks.bodies("slack/T000/B000/secret-token")) == len(expected)
    assert len(_feed(home).read_text().splitlines()) == len(expected)


def _private_channel(home, port: int) -> tuple:
    """The roster's names and emails, and an employee email channel to the local server
    (its URL set in the environment; the test removes it)."""
    roster = pd.read_parquet(home / "data" / "sample" / "northwind" / "employees.parquet")
    os.environ[SMTP] = f"smtp://127.0.0.1:{port}"
    return (roster.set_index("employee_id")["display_name"],
            roster.set_index("employee_id")["email"],
            {"type": "email", "to": "employee", "smtp_env": SMTP, "sender": "cx@test.example"})


def test_names_only_where_allowed_and_never_for_those_who_opted_out(home, webhooks, mailbox):
    received, port = mailbox
    names, emails, private = _private_channel(home, port)
    try:
        hidden = _settings(SLACK_CHANNEL, private)
        expected = _expected(hidden)
        praised = _shoutouts(hidden)
        recognize("northwind", "sample", hidden, since=SINCE, base=home, show=lambda _: None)
        texts = [b["text"] for b in webhooks.bodies("slack/T000/B000/secret-token")]
        assert len(texts) == len(expected)
        for text in texts:  # no employee's name, first or last, in a channel message
            assert not any(part in text for name in names for part in name.split()
                           if len(part) > 3), text
            assert "member of" in text.lower()
        # Each praised employee got a private note at their own address; so did the winner.
        [drawing] = [p for p in expected if p.key.startswith("drawing:")]
        assert sorted(to for tos, _ in received for to in tos) == sorted(
            [*(emails[s.employee_id] for s in praised), emails[drawing.employee_id]])
        # Now names shown, one employee opted out.
        shutil_rm(home)
        webhooks.posts.clear()
        received.clear()
        out = praised[0].employee_id
        shown = _settings(SLACK_CHANNEL, private, show_employee_names=True)
        shown["recognition"]["opt_out"] = [out]
        recognize("northwind", "sample", shown, since=SINCE, base=home, show=lambda _: None)
        texts = [b["text"] for b in webhooks.bodies("slack/T000/B000/secret-token")]
        assert any(names[s.employee_id] in t for s in praised[1:] for t in texts)
        first, last = names[out].split()[0], names[out].split()[-1]
        assert not any(first in t or last in t for t in texts)
        assert emails[out] not in {to for tos, _ in received for to in tos}
    finally:
        os.environ.pop(SMTP, None)


def shutil_rm(home):
    import shutil

    shutil.rmtree(home / "data" / "_outbox", ignore_errors=True)


def test_a_503_is_retried_and_a_dead_channel_is_left_for_the_next_run(home, webhooks):
    settings = _settings(SLACK_CHANNEL)
    expected = _expected(settings)
    path = "/slack/T000/B000/secret-token"
    webhooks.answers[path] = [503]  # once: the retry delivers it
    first = recognize("northwind", "sample", settings, since=SINCE, base=home,
                      show=lambda _: None)
    assert first.sent["slack (TEST_SLACK_WEBHOOK)"] == len(expected) and not first.failed
    shutil_rm(home)
    webhooks.posts.clear()
    webhooks.answers[path] = [503] * 50  # down for good: left for the next run
    down = recognize("northwind", "sample", settings, since=SINCE, base=home,
                     show=lambda _: None)
    assert "answered 503" in down.failed["slack (TEST_SLACK_WEBHOOK)"]
    assert sum(down.sent.values()) == 0 and Outbox(
        config.outbox_path("sample", "northwind")).sent() == set()
    webhooks.answers[path] = []
    back = recognize("northwind", "sample", settings, base=home, show=lambda _: None)
    assert back.sent["slack (TEST_SLACK_WEBHOOK)"] == len(expected)
    assert len(webhooks.bodies(path[1:])) == len(expected)


def test_a_refusal_names_the_channel_never_its_secret(home, webhooks):
    settings = _settings(SLACK_CHANNEL, {"type": "file", "path": "out.jsonl"})
    expected = _expected(settings)
    webhooks.answers["/slack/T000/B000/secret-token"] = [400] * 50
    with pytest.raises(SendError) as caught:
        recognize("northwind", "sample", settings, since=SINCE, base=home, show=lambda _: None)
    message = str(caught.value)
    assert "slack (TEST_SLACK_WEBHOOK)" in message and "HTTP 400" in message
    assert "secret" not in message and "127.0.0.1" not in message
    # The other channel was still served, and the record holds no secret either.
    assert len(_feed(home).read_text().splitlines()) == len(expected)
    record = config.outbox_path("sample", "northwind").read_bytes()
    assert b"secret" not in record and b"127.0.0.1" not in record


def test_two_runs_at_once_send_each_message_once(home, webhooks):
    settings = _settings(SLACK_CHANNEL)
    expected = _expected(settings)
    errors = []

    def run():
        try:
            recognize("northwind", "sample", settings, since=SINCE, base=home,
                      show=lambda _: None)
        except Exception as err:  # noqa: BLE001 - reported below
            errors.append(err)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    texts = Counter(b["text"] for b in webhooks.bodies("slack/T000/B000/secret-token"))
    assert sum(texts.values()) == len(expected) and max(texts.values()) == 1


def test_a_crash_between_send_and_record_repeats_at_most_that_message(home, webhooks,
                                                                        monkeypatch):
    settings = _settings(SLACK_CHANNEL)
    expected = _expected(settings)
    real = Outbox.record
    calls = []

    def crash_on_second(self, message, channel):
        calls.append(message)
        if len(calls) == 2:
            raise KeyboardInterrupt("killed after the send, before the record")
        real(self, message, channel)

    monkeypatch.setattr(Outbox, "record", crash_on_second)
    with pytest.raises(KeyboardInterrupt):
        recognize("northwind", "sample", settings, since=SINCE, base=home, show=lambda _: None)
    monkeypatch.setattr(Outbox, "record", real)
    recognize("northwind", "sample", settings, base=home, show=lambda _: None)
    texts = Counter(b["text"] for b in webhooks.bodies("slack/T000/B000/secret-token"))
    assert len(texts) == len(expected)
    assert sorted(texts.values()) == [1] * (len(expected) - 1) + [2]  # only the one in flight


def test_a_dry_run_sends_and_records_nothing(home, webhooks, monkeypatch):
    monkeypatch.delenv(SLACK)  # a dry run needs no secret
    settings = _settings(SLACK_CHANNEL)
    shown = []
    outcome = recognize("northwind", "sample", settings, since=SINCE, dry_run=True, base=home,
                        show=shown.append)
    assert outcome.sent["slack (TEST_SLACK_WEBHOOK)"] == len(shown) >= 3
    assert len(shown) == len(_expected(settings))
    assert all(line.startswith(("[slack (TEST_SLACK_WEBHOOK)] Shout-out for ",
                                "[slack (TEST_SLACK_WEBHOOK)] Customer story of the week",
                                "[slack (TEST_SLACK_WEBHOOK)] Monthly drawing")) for line in shown)
    assert webhooks.posts == [] and not config.outbox_path("sample", "northwind").exists()
    assert "(a dry run: the channels' secrets and hosts were not checked)" in outcome.summary()


def test_without_a_roster_the_summary_says_why_no_praise_was_found():
    from cxlab.send.recognize import Outcome, why_no_praise
    from cxlab.study import Study

    answers = pd.DataFrame({"response_id": ["R1"], "comment": ["Anna was great"]})
    study = Study("x", "2026Q3", "d", "X", {"customer_responses": answers,
                                            "employees": pd.DataFrame()}, [], {},
                  absent=("employees",))
    why = why_no_praise(study)
    assert why.startswith("the data has no employee roster, so no comment can be matched")
    outcome = Outcome(found=0, why_none=why, start=date(2026, 9, 1))
    assert outcome.summary().startswith("0 shout-outs found since 2026-09-01: the data has no "
                                        "employee roster")
    study.tables["employees"] = pd.DataFrame({"employee_id": ["E1"]})
    study.absent = ()
    study.tables["customer_responses"] = answers.assign(comment=None)
    assert why_no_praise(study) == "no customer answer has a comment to find praise in"


@pytest.mark.parametrize("channel, env, wanted", [
    ({"type": "pager", "to": "x"}, {}, "unknown channel type 'pager'"),
    ({"type": "slack", "webhook_env": "NOT_SET_ANYWHERE"}, {},
     "client 'northwind', channel slack (NOT_SET_ANYWHERE): the environment variable "
     "NOT_SET_ANYWHERE is not set"),
    ({"type": "slack", "webhook_env": "BAD_HOST"}, {"BAD_HOST": "https://no-such-host.invalid/x"},
     "channel slack (BAD_HOST): its host cannot be found"),
    ({"type": "email", "to": "everyone", "smtp_env": SMTP, "sender": "a@b.example"}, {},
     "'to' must be one of ['manager', 'employee']"),
    ({"type": "email", "to": "manager", "smtp_env": "BAD_SMTP", "sender": "a@b.example"},
     {"BAD_SMTP": "mail.example.com"}, "$BAD_SMTP must be a mail server URL"),
])
def test_bad_settings_are_named_before_anything_is_sent(home, webhooks, monkeypatch, channel,
                                                         env, wanted):
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(SettingsError) as caught:
        recognize("northwind", "sample", _settings(SLACK_CHANNEL, channel), since=SINCE,
                  base=home, show=lambda _: None)
    assert wanted in str(caught.value) and "northwind" in str(caught.value)
    assert "no-such-host" not in str(caught.value)
    assert webhooks.posts == []


def test_the_command_line(home, webhooks, tmp_path, capsys):
    from cxlab.cli import main

    matrix = tmp_path / "studies.yml"
    matrix.write_text(
        "dataset: sample\nquarters: {first: 2026Q3, last: 2026Q3}\nclients:\n  northwind:\n"
        "    name: Northwind\n    settings:\n      quote_comments: true\n      recognition:\n"
        f"        channels: [{{type: slack, webhook_env: {SLACK}}}]\n")
    assert main(["recognize", "--client", "northwind", "--since", "2026-09-01",
                 "--matrix", str(matrix)]) == 0
    out = capsys.readouterr().out
    assert "shout-outs found since 2026-09-01" in out and "slack (TEST_SLACK_WEBHOOK): sent" in out
    webhooks.answers["/slack/T000/B000/secret-token"] = [503] * 50
    shutil_rm(home)
    assert main(["recognize", "--client", "northwind", "--matrix", str(matrix),
                 "--since", "2026-09-01"]) == 5
    assert main(["recognize", "--client", "northwind", "--matrix", str(matrix),
                 "--since", "Sept"]) == 2


def test_stories_and_drawings_are_announced_once_their_week_or_month_is_over(home, webhooks):
    """Each complete week's best story and each complete month's drawing, named by the same
    rules, the drawing the report's (same label, same winner), none for a month not over."""
    from cxlab.recognition import draw

    settings = _settings(SLACK_CHANNEL, show_employee_names=True)
    found, latest, _ = find_shoutouts("northwind", "sample", settings, SINCE)
    recognize("northwind", "sample", settings, since=SINCE, base=home, show=lambda _: None)
    titles = [b["blocks"][0]["text"]["text"] for b in webhooks.bodies("slack/T000/B000/secret-token")]
    texts = {b["blocks"][0]["text"]["text"]: b["text"]
             for b in webhooks.bodies("slack/T000/B000/secret-token")}
    assert latest == date(2026, 9, 30)
    assert "Monthly drawing, September 2026" in titles  # the month is over
    assert not any(t.startswith("Monthly drawing, October") for t in titles)
    september = {s.employee_id: s for s in found if s.day.month == 9}
    winner = september[draw(list(september), "northwind 2026-09").winner]
    assert f"Congratulations to {winner.name} ({winner.team})!" in texts[
        "Monthly drawing, September 2026"]
    stories = [t for t in titles if t.startswith("Customer story of the week")]
    # Weeks Monday to Sunday, over by the 30th: those starting 31 Aug to 21 Sep (the week of
    # 28 Sep ends on 4 Oct, after the data).
    assert stories == [f"Customer story of the week of {d}" for d in
                       ("31 Aug", "07 Sep", "14 Sep", "21 Sep")]


def test_the_recognition_page_shows_the_week_as_the_channels_got_it(home, webhooks, chromium):
    """Written after each run: this week's shout-outs, the latest story and drawing, the
    leaderboard; names hidden as in the channels; a planted script stays text; and it reads
    in a real browser at phone width without sideways scrolling or an axe-core violation."""
    roster_file = home / "data" / "sample" / "northwind" / "employees.parquet"
    names = pd.read_parquet(roster_file)["display_name"]
    outcome = recognize("northwind", "sample", _settings(SLACK_CHANNEL), since=SINCE,
                        base=home, show=lambda _: None)
    page = outcome.page
    assert page == config.live_page_path("northwind") and page.is_file()
    text = page.read_text()
    week = [b["text"] for b in webhooks.bodies("slack/T000/B000/secret-token")
            if b["blocks"][0]["text"]["text"].startswith("Shout-out for")]
    assert "This week's shout-outs" in text and "Monthly drawing, September 2026" in text
    assert "Reviews collected, 2026Q3" in text
    assert sum(1 for line in week if line.split(": ", 1)[1] in text.replace("&#34;", '"')
               .replace("&#39;", "'")) >= 1
    assert not any(part in text for name in names for part in name.split() if len(part) > 3)
    # Whatever a comment holds is shown as text.
    from cxlab.send.channels import Message
    from cxlab.send.live import write_live_page

    planted = Message("Shout-out for <b>Team</b>", 'A customer wrote: "<script>alert(1)</script>"')
    write_live_page("northwind", "sample", {}, [("shoutout:x:y", date(2026, 9, 30), planted)],
                    date(2026, 9, 30), home / "planted.html")
    shown = (home / "planted.html").read_text()
    assert "<script>alert" not in shown and "&lt;script&gt;alert(1)&lt;/script&gt;" in shown
    assert "<b>Team</b>" not in shown
    context = chromium.new_context(viewport={"width": 390, "height": 844})
    tab = context.new_page()
    tab.goto(page.as_uri())
    assert tab.evaluate("document.documentElement.scrollWidth") <= 390
    assert tab.locator("h1").inner_text() == "Recognition: Northwind Telecom"
    from axe_playwright_python.sync_playwright import Axe

    violations = Axe().run(tab).response["violations"]
    assert [v["id"] for v in violations] == []
    context.close()


def test_each_unhappy_answer_goes_once_to_be_followed_up(home, webhooks, mailbox):
    """Every unhappy answer since the start, with the customer's id and scores, to a queue
    and to the serving employee's manager; names hidden as on the pages; once."""
    from cxlab.send.followup import follow_up
    from cxlab.stats.followups import is_detractor

    received, port = mailbox
    os.environ[SMTP] = f"smtp://127.0.0.1:{port}"
    try:
        manager = {"type": "email", "to": "manager", "smtp_env": SMTP, "sender": "cx@t.example"}
        settings = {"quote_comments": True, "follow_up": {"channels": [
            {"type": "file", "path": "out.jsonl"}, manager]}}
        folder = home / "data" / "sample" / "northwind"
        answers = pd.read_parquet(folder / "customer_responses.parquet")
        roster = pd.read_parquet(folder / "employees.parquet").set_index("employee_id")
        wanted = answers[is_detractor(answers).to_numpy()
                         & (answers["responded_on"] >= pd.Timestamp(SINCE)).to_numpy()]
        outcome = follow_up("northwind", "sample", settings, since=SINCE, base=home,
                            show=lambda _: None)
        queue = [json.loads(line) for line in _feed(home).read_text().splitlines()]
        assert sorted(q["response_id"] for q in queue) == sorted(wanted["response_id"])
        by_id = {q["response_id"]: q for q in queue}
        for _, row in wanted.iterrows():
            item = by_id[row["response_id"]]
            assert item["customer_id"] == row["customer_id"]
            assert f"Customer {row['customer_id']} answered unhappily" in item["text"]
            if pd.notna(row["nps"]):
                assert f"NPS {int(row['nps'])}" in item["text"]
        names = roster["display_name"]
        assert not any(part in q["text"] for q in queue for n in names for part in n.split()
                       if len(part) > 3)
        managers = wanted["employee_id"].map(roster["manager_id"]).dropna()
        assert sorted(to for tos, _ in received for to in tos) == sorted(
            roster.loc[managers, "email"])
        assert outcome.sent["email (manager)"] == len(managers)
        # Again: nothing twice; and shout-outs keep a start of their own.
        again = follow_up("northwind", "sample", settings, base=home, show=lambda _: None)
        assert sum(again.sent.values()) == 0
        assert Outbox(config.outbox_path("sample", "northwind")).start() is None
    finally:
        os.environ.pop(SMTP, None)



def test_a_wrong_webhook_stops_its_channel_and_a_refused_message_stops_only_itself(
        home, webhooks):
    """404: the channel is wrong, nothing more is tried on it. 400: that message only is
    refused, named, recorded so no run repeats it; the others still go."""
    settings = _settings(SLACK_CHANNEL)
    expected = _expected(settings)
    path = "/slack/T000/B000/secret-token"
    webhooks.answers[path] = [404]
    with pytest.raises(SendError, match="refused with HTTP 404"):
        recognize("northwind", "sample", settings, since=SINCE, base=home, show=lambda _: None)
    assert webhooks.bodies(path[1:]) == [] and not Outbox(
        config.outbox_path("sample", "northwind")).sent()
    shutil_rm(home)
    webhooks.answers[path] = [400]
    with pytest.raises(SendError, match=r"refused a message with HTTP 400 \('invalid_blocks at "
                                        r"<webhook>'\) \(the shout-out for answer NO-R") as err:
        recognize("northwind", "sample", settings, since=SINCE, base=home, show=lambda _: None)
    assert "secret-token" not in str(err.value)  # the service's reason, never the address
    assert len(webhooks.bodies(path[1:])) == len(expected) - 1
    again = recognize("northwind", "sample", settings, base=home, show=lambda _: None)
    assert sum(again.sent.values()) == 0  # the refused one is not tried again
    # ... nor counted as sent: the next run's summary says it was refused.
    channel = next(iter(again.refused_before))
    assert again.refused_before[channel] == 1 and again.already[channel] == len(expected) - 1
    assert "1 refused before (not tried again)" in again.summary()
    assert len(Outbox(config.outbox_path("sample", "northwind")).sent()) == len(expected) - 1


def test_a_long_comment_is_cut_to_the_channels_limits(home, webhooks, monkeypatch):
    from cxlab.send.channels import MAX_TEXT, Channel, Message

    monkeypatch.setenv(SLACK, webhooks.url("slack/long"))
    long = Message("Shout-out", "word " * 2000)
    Channel("slack", {"webhook_env": SLACK}).send(long)
    [body] = webhooks.bodies("slack/long")
    text = body["blocks"][1]["text"]["text"]
    assert len(text) <= MAX_TEXT + 60 and text.endswith("(cut: the full text is in the data)")


def test_a_slow_channel_is_not_posted_twice(home, webhooks, monkeypatch):
    """A read timeout is not retried: the message may have arrived. It is left for the next
    run, which may repeat that one message (documented), never several times in one run."""
    monkeypatch.setattr(channels_module, "TIMEOUT_SECONDS", 0.5)
    settings = _settings(SLACK_CHANNEL)
    webhooks.answers["/slack/T000/B000/secret-token"] = ["slow"]
    outcome = recognize("northwind", "sample", settings, since=SINCE, base=home,
                        show=lambda _: None)
    assert "not reachable" in outcome.failed["slack (TEST_SLACK_WEBHOOK)"]
    assert len(webhooks.bodies("slack/T000/B000/secret-token")) == 1


def test_a_dead_port_is_named_before_anything_is_sent(home, webhooks, monkeypatch):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed once the block ends: nothing listens
    monkeypatch.setenv(TEAMS, f"http://127.0.0.1:{port}/hook")
    settings = _settings({"type": "file", "path": "out.jsonl"}, TEAMS_CHANNEL)
    with pytest.raises(SettingsError, match=f"does not answer on port {port}"):
        recognize("northwind", "sample", settings, since=SINCE, base=home, show=lambda _: None)
    assert not _feed(home).exists()


def test_messages_cannot_carry_links_and_emails_have_their_headers(home, mailbox):
    from cxlab.send.channels import Channel, Message, teams_payload

    card = teams_payload(Message("t", "Click [here for a refund](http://phish.example/x)"))
    assert "](" not in card["attachments"][0]["content"]["body"][1]["text"]
    received, port = mailbox
    os.environ[SMTP] = f"smtp://127.0.0.1:{port}"
    try:
        Channel("email", {"to": "manager", "smtp_env": SMTP, "sender": "cx@t.example"}).send(
            Message("Hello", "Body", to="lead@t.example"))
    finally:
        os.environ.pop(SMTP, None)
    [(_, raw)] = received
    assert "\nDate: " in raw and "\nMessage-ID: <" in raw and "@t.example>" in raw


def test_a_start_after_the_data_is_refused_and_opt_out_belongs_to_recognition(home):
    with pytest.raises(SettingsError, match="after the latest answer in the data"):
        recognize("northwind", "sample", _settings({"type": "file", "path": "out.jsonl"}),
                  since=date(2030, 1, 1), base=home, show=lambda _: None)
    with pytest.raises(SettingsError, match="opt_out belongs under recognition"):
        config.check_settings({"follow_up": {"channels": [], "opt_out": ["E1"]}}, "test")


def test_an_opted_out_employee_is_named_nowhere_and_namesakes_keep_their_names(sample_study):
    """With names shown: the opted-out employee appears by pseudonym in report tables, and a
    comment naming them is masked whole, so a colleague sharing their first name or surname
    is not garbled into '[colleague] Jansen'."""
    from cxlab.report.employees import employee_labels
    from cxlab.report.quotes import cleaned

    study = sample_study("cedar", settings={"show_employee_names": True,
                                            "quote_comments": True})
    roster = study.tables["employees"]
    out, other = roster.iloc[0], roster.iloc[1]
    study.settings["recognition"] = {"opt_out": [out["employee_id"]]}
    labels = employee_labels(study, roster["employee_id"].iloc[:2])
    assert labels.iloc[0].startswith("Employee ") and labels.iloc[1] == other["display_name"]
    texts = pd.Series([f"Thanks to {out['display_name']} and {other['display_name']}!",
                       f"{other['display_name']} was great."])
    shown = cleaned(study, texts)
    assert out["display_name"] not in shown[0] and out["display_name"].split()[0] not in shown[0]
    assert shown[1] == texts[1]  # a text not naming them keeps its names


def _mails(received) -> list:
    """The received emails as (recipients, subject, text)."""
    import email
    from email import policy

    out = []
    for tos, raw in received:
        msg = email.message_from_string(raw, policy=policy.default)
        body = msg.get_body(("plain",)) or msg
        out.append((tos, str(msg["subject"]), body.get_content()))
    return out


def test_private_notes_name_the_employee_to_themselves_and_tell_the_drawings_winner(
        home, webhooks, mailbox):
    """Names hidden in channels: each praised employee's note names them (their quote keeps
    their own name, no colleague's); the month's winner is told privately, not an opted-out
    one."""
    received, port = mailbox
    names, emails, private = _private_channel(home, port)
    try:
        hidden = _settings(SLACK_CHANNEL, private)
        praised = _shoutouts(hidden)
        [drawing] = [p for p in _expected(hidden) if p.key.startswith("drawing:")]
        outcome = recognize("northwind", "sample", hidden, since=SINCE, base=home,
                            show=lambda _: None)
        mails = _mails(received)
        notes = [m for m in mails if m[1] == "A customer praised you"]
        assert len(notes) == len(praised)
        by_address = {tos[0]: text for tos, _, text in notes}
        own_named = 0
        for s in praised:
            text = by_address[emails[s.employee_id]]
            assert "[employee]" not in text
            own_named += names[s.employee_id] in text
            others = [n for e, n in names.items() if e != s.employee_id]
            assert not any(n in text for n in others), text
        assert own_named >= len(praised) // 2  # a quote names its employee, as a rule
        [won] = [m for m in mails if m[1] == "You won the monthly drawing"]
        assert won[0] == [emails[drawing.employee_id]]
        assert names[drawing.employee_id] in won[2] and "it is fixed by the label" in won[2]
        assert outcome.sent["email (employee)"] == len(praised) + 1
        # The winner opted out: no note, nothing named.
        shutil_rm(home)
        received.clear()
        hidden["recognition"]["opt_out"] = [drawing.employee_id]
        recognize("northwind", "sample", hidden, since=SINCE, base=home, show=lambda _: None)
        assert emails[drawing.employee_id] not in {t for tos, _ in received for t in tos}
    finally:
        os.environ.pop(SMTP, None)


def test_the_summary_counts_refused_and_left_messages(home, webhooks):
    """A message refused (400) is counted as refused, the rest as sent; a channel refusing
    (404) leaves every message for the next run, counted."""
    settings = _settings(SLACK_CHANNEL, {"type": "file", "path": "out.jsonl"})
    n = len(_expected(settings))
    path = "/slack/T000/B000/secret-token"
    webhooks.answers[path] = [400]
    with pytest.raises(SendError) as caught:
        recognize("northwind", "sample", settings, since=SINCE, base=home, show=lambda _: None)
    assert f"slack (TEST_SLACK_WEBHOOK): sent {n - 1}; 1 refused (not sent again)" in str(
        caught.value)
    assert f"file (out.jsonl): sent {n}" in str(caught.value)
    shutil_rm(home)
    _feed(home).unlink()
    webhooks.answers[path] = [404]
    with pytest.raises(SendError) as caught:
        recognize("northwind", "sample", settings, since=SINCE, base=home, show=lambda _: None)
    assert f"slack (TEST_SLACK_WEBHOOK): sent 0; {n} left for the next run: " in str(
        caught.value)


def test_a_run_opens_the_latest_study_once_and_a_dry_run_takes_no_lock(home, webhooks,
                                                                       monkeypatch):
    import cxlab.study

    opened = []
    real = cxlab.study.open_study

    def counted(*args, **kwargs):
        opened.append(args[1])
        return real(*args, **kwargs)

    monkeypatch.setattr(cxlab.study, "open_study", counted)
    settings = _settings(SLACK_CHANNEL)
    recognize("northwind", "sample", settings, since=SINCE, dry_run=True, base=home,
              show=lambda _: None)
    assert not config.outbox_path("sample", "northwind").parent.exists()
    assert opened == [None]
    recognize("northwind", "sample", settings, since=SINCE, base=home, show=lambda _: None)
    assert opened == [None, None]  # the page is written from the same study
