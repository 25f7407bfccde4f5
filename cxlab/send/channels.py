"""Where recognition goes: Slack, Microsoft Teams, email and JSON-lines channels.

A client lists its channels in its settings (``recognition.channels``); each is checked before
anything is sent (:func:`channels_from_settings`): a type cxlab knows, the environment
variable holding its secret set, its host resolvable. Secrets (webhook URLs, SMTP
credentials) are read from the environment only and never appear in a message, an error or
the sent record: a channel is named by its type and the *name* of its variable
(``slack (ACME_SLACK_WEBHOOK)``).

Webhooks are posted with ``requests``; urllib3's ``Retry`` retries a timeout or a 5xx answer
with exponential backoff, so a channel that is briefly down costs a delay, not a message.
Email goes through ``smtplib`` (``smtp://``, ``smtp+starttls://`` or ``smtps://`` URLs, with
user and password in the URL).
"""

from __future__ import annotations

import json
import os
import smtplib
import socket
from dataclasses import dataclass, field, replace
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from urllib.parse import unquote, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from cxlab.config import SettingsError
from cxlab.errors import CxlabError

#: Channel types and the keys each takes.
CHANNEL_KEYS = {
    "slack": {"webhook_env"},
    "teams": {"webhook_env"},
    "email": {"to", "smtp_env", "sender"},
    "file": {"path"},
}
#: Who an email channel writes to: the praised employee's manager, or the employee (a
#: private note).
EMAIL_TO = ("manager", "employee")
#: Retries of a webhook post that timed out or got a 5xx answer, and the backoff factor
#: (seconds; urllib3 waits factor * 2**(attempt - 1) between tries).
RETRIES = 3
BACKOFF = 1.0
TIMEOUT_SECONDS = 10
#: Longest text a message carries: Slack refuses a section over 3,000 characters and a
#: header over 150; longer text is cut at a word and marked.
MAX_TEXT = 2900
MAX_TITLE = 140
#: HTTP answers that mean the channel itself is wrong (its URL or rights), not the message:
#: sending stops for that channel. Any other 4xx refuses only the message.
CHANNEL_REFUSALS = (401, 403, 404, 410)


class SendError(CxlabError, RuntimeError):
    """A channel refused a message (a 4xx answer, a rejected address): fix the channel.

    The message names the channel by type and variable name, never by its URL.
    """


#: Characters of a service's own reason for refusing a message kept in the error (Slack
#: answers "invalid_blocks"); the webhook's address is never among them.
REASON_CHARS = 80


class ChannelDown(CxlabError, RuntimeError):
    """A channel could not be reached after the retries: the message is left for next run."""


class MessageRefused(SendError):
    """A channel refused one message (a 4xx other than those of a wrong channel).

    The other messages are still sent; this one is named so it can be looked at.
    """


@dataclass(frozen=True)
class Message:
    """One message for one channel: a title, plain text, and the address for email."""

    title: str
    text: str
    to: str | None = None  # an email address, for email channels
    fields: dict = field(default_factory=dict)  # the JSON-lines record's extra fields


@dataclass
class Channel:
    """One configured channel: its type, its settings, and a name free of secrets."""

    kind: str
    spec: dict

    @property
    def name(self) -> str:
        """The channel in messages and in the sent record: its type and what it points to.

        As configured (the variable's name, the recipient, the file's path as written), so a
        moved checkout or a dry run names it the same.
        """
        target = (self.spec.get("webhook_env") or self.spec.get("to") or self.spec.get("path"))
        return f"{self.kind} ({target})"

    @property
    def private(self) -> bool:
        """Whether it reaches the praised employee alone (an email to the employee)."""
        return self.kind == "email" and self.spec.get("to") == "employee"

    def send(self, message: Message) -> None:
        """Deliver the message.

        Raises:
            SendError: the channel refused it (fix the channel; the message is not sent).
            ChannelDown: the channel could not be reached after the retries (try later).
        """
        message = trimmed(message)
        if self.kind in ("slack", "teams"):
            self._post(slack_payload(message) if self.kind == "slack" else teams_payload(message))
        elif self.kind == "email":
            self._mail(message)
        else:
            path = Path(self.spec.get("resolved", self.spec["path"]))
            record = {"title": message.title, "text": message.text, **message.fields}
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                with path.open("a", encoding="utf-8") as out:
                    out.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
            except OSError as err:
                raise SendError(f"{self.name}: cannot write the file ({err.strerror})") from None

    def _post(self, payload: dict) -> None:
        url = os.environ[self.spec["webhook_env"]]
        session = requests.Session()
        # Retried: a connection never made, and a 5xx or 429 answer (the service said it did
        # not take the message). Not retried: a read timeout, after which the message may
        # have arrived, so a retry could post it twice. Retry-After is not obeyed: a long
        # one would hold a scheduled run (and the client's lock) for minutes.
        retry = Retry(total=RETRIES, connect=RETRIES, read=0, backoff_factor=BACKOFF,
                      allowed_methods={"POST"}, status_forcelist=(429, 500, 502, 503, 504),
                      raise_on_status=False, respect_retry_after_header=False)
        session.mount("http://", HTTPAdapter(max_retries=retry))
        session.mount("https://", HTTPAdapter(max_retries=retry))
        try:
            answer = session.post(url, json=payload, timeout=TIMEOUT_SECONDS)
        except requests.RequestException as err:
            raise ChannelDown(f"{self.name}: not reachable after {RETRIES} retries "
                              f"({type(err).__name__})") from None
        finally:
            session.close()
        if answer.status_code >= 500 or answer.status_code == 429:
            raise ChannelDown(f"{self.name}: answered {answer.status_code} after {RETRIES} "
                              "retries")
        if answer.status_code in CHANNEL_REFUSALS:
            raise SendError(f"{self.name}: refused with HTTP {answer.status_code}; check the "
                            f"webhook in ${self.spec['webhook_env']} (its address or rights)")
        if answer.status_code >= 400:
            said = answer.text
            for secret in (url, urlsplit(url).path):  # never the webhook's address
                said = said.replace(secret, "<webhook>") if len(secret) > 1 else said
            said = " ".join(said.split())[:REASON_CHARS]
            raise MessageRefused(f"{self.name}: refused a message with HTTP "
                                 f"{answer.status_code}" + (f" ({said!r})" if said else ""))

    def _mail(self, message: Message) -> None:
        server = smtp_server(self.spec["smtp_env"])
        mail = EmailMessage()
        mail["Subject"], mail["From"], mail["To"] = message.title, self.spec["sender"], message.to
        mail["Date"] = formatdate(localtime=False)
        mail["Message-ID"] = make_msgid(domain=self.spec["sender"].rpartition("@")[2] or None)
        mail.set_content(message.text)
        try:
            with server.connect() as smtp:
                smtp.send_message(mail)
        except smtplib.SMTPRecipientsRefused:
            raise MessageRefused(f"{self.name}: the mail server refused a recipient") from None
        except (smtplib.SMTPAuthenticationError, smtplib.SMTPNotSupportedError) as err:
            raise SendError(f"{self.name}: the mail server refused the login or the "
                            f"connection's security ({type(err).__name__}); check "
                            f"${self.spec['smtp_env']}") from None
        except (OSError, smtplib.SMTPException) as err:
            raise ChannelDown(f"{self.name}: mail server not reachable "
                              f"({type(err).__name__})") from None


@dataclass(frozen=True)
class SmtpServer:
    """A mail server, read from a URL.

    ``smtp://user:password@host:port``, or ``smtps://`` and ``smtp+starttls://``.
    """

    scheme: str
    host: str
    port: int
    user: str | None
    password: str | None

    def connect(self) -> smtplib.SMTP:
        """An open, logged-in connection."""
        if self.scheme == "smtps":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(self.host, self.port, timeout=TIMEOUT_SECONDS)
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=TIMEOUT_SECONDS)
            if self.scheme == "smtp+starttls":
                smtp.starttls()
        if self.user:
            smtp.login(self.user, self.password or "")
        return smtp


def smtp_server(env: str) -> SmtpServer:
    """The mail server named by the environment variable ``env`` (checked: scheme, host)."""
    parts = urlsplit(os.environ.get(env, ""))
    if parts.scheme not in ("smtp", "smtps", "smtp+starttls") or not parts.hostname:
        raise SettingsError(f"${env} must be a mail server URL such as "
                            "smtp://user:password@host:587 (or smtps://, smtp+starttls://)")
    port = parts.port or {"smtps": 465, "smtp+starttls": 587}.get(parts.scheme, 25)
    return SmtpServer(parts.scheme, parts.hostname, port,
                      unquote(parts.username) if parts.username else None,
                      unquote(parts.password) if parts.password else None)


# ------------------------------------------------------------------------------------------
# Message shapes


def trimmed(message: Message) -> Message:
    """The message within every channel's limits: a long comment is cut at a word, marked."""
    def cut(text: str, most: int) -> str:
        if len(text) <= most:
            return text
        return text[:most].rsplit(" ", 1)[0] + " … (cut: the full text is in the data)"
    return replace(message, title=cut(message.title, MAX_TITLE), text=cut(message.text, MAX_TEXT))


def slack_payload(message: Message) -> dict:
    """A Slack incoming-webhook message: Block Kit, with the plain text as its fallback.

    Slack's mrkdwn reads ``&``, ``<`` and ``>`` as markup: they are escaped, so a comment
    cannot make a link or mention a channel.
    """
    def esc(text: str) -> str:
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

    return {"text": f"{message.title}: {message.text}",
            "blocks": [{"type": "header", "text": {"type": "plain_text", "text": message.title}},
                       {"type": "section", "text": {"type": "mrkdwn",
                                                    "text": esc(message.text)}}]}


def teams_payload(message: Message) -> dict:
    """A Teams workflow-webhook message: one Adaptive Card with the title and the text.

    A TextBlock reads Markdown links: ``](`` in a comment is broken up, so a customer's
    text cannot become a link in the card.
    """
    message = replace(message, text=message.text.replace("](", "] ("))
    card = {"type": "AdaptiveCard", "version": "1.4",
            "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
            "body": [{"type": "TextBlock", "text": message.title, "weight": "Bolder",
                      "size": "Medium", "wrap": True},
                     {"type": "TextBlock", "text": message.text, "wrap": True}]}
    return {"type": "message", "attachments": [
        {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None,
         "content": card}]}


# ------------------------------------------------------------------------------------------
# Settings


def check_recognition(spec: object, where: str) -> dict:
    """Check a client's ``recognition`` settings without reading the environment.

    ``{channels: [...], opt_out: [employee ids]}``; each channel a mapping with ``type`` and
    that type's keys (:data:`CHANNEL_KEYS`).

    Raises:
        SettingsError: naming ``where``, the channel and what was expected.
    """
    if not isinstance(spec, dict) or set(spec) - {"channels", "opt_out"}:
        raise SettingsError(f"{where}: expected {{channels: [...], opt_out: [...]}}, got {spec!r}")
    channels = spec.get("channels", [])
    if not isinstance(channels, list):
        raise SettingsError(f"{where}.channels: expected a list of channels")
    for i, channel in enumerate(channels):
        at = f"{where}.channels[{i}]"
        kind = channel.get("type") if isinstance(channel, dict) else None
        if kind not in CHANNEL_KEYS:
            raise SettingsError(f"{at}: unknown channel type {kind!r}; expected one of "
                                f"{sorted(CHANNEL_KEYS)}")
        keys = set(channel) - {"type"}
        if keys != CHANNEL_KEYS[kind]:
            raise SettingsError(f"{at} ({kind}): expected keys {sorted(CHANNEL_KEYS[kind])}, "
                                f"got {sorted(keys)}")
        if not all(isinstance(channel[k], str) and channel[k].strip() for k in keys):
            raise SettingsError(f"{at} ({kind}): every value must be non-empty text")
        if kind == "email" and channel["to"] not in EMAIL_TO:
            raise SettingsError(f"{at} (email): 'to' must be one of {list(EMAIL_TO)}, got "
                                f"{channel['to']!r}")
    opt_out = spec.get("opt_out", [])
    if not isinstance(opt_out, list) or not all(isinstance(e, str) for e in opt_out):
        raise SettingsError(f"{where}.opt_out: expected a list of employee ids")
    return spec


#: Where a file channel's relative path lands, under the project (``data/`` is not in git).
FEEDS = Path("data") / "_feeds"


def channels_from_settings(spec: dict, client: str, base: Path,
                           key: str = "recognition") -> list[Channel]:
    """The client's channels, ready to send, after checking what only this machine can tell.

    A relative file path is taken under ``base``'s ``data/_feeds/<client>/`` (:data:`FEEDS`):
    a feed holds customers' words, so it stays beside the data, out of version control,
    not in the project's top folder. Checked before anything is sent: each
    secret's environment variable is set, and each host resolves.

    Raises:
        SettingsError: naming the client and the channel (by variable name, never its value).
    """
    check_recognition(spec, f"client {client!r}: {key}")
    channels = []
    for raw in spec.get("channels", []):
        channel = Channel(raw["type"], {k: v for k, v in raw.items() if k != "type"})
        where = f"client {client!r}, channel {channel.name}"
        env = channel.spec.get("webhook_env") or channel.spec.get("smtp_env")
        if env and not os.environ.get(env):
            raise SettingsError(f"{where}: the environment variable {env} is not set")
        if channel.kind in ("slack", "teams"):
            assert env is not None  # check_recognition requires webhook_env
            url = urlsplit(os.environ[env])
            if url.scheme not in ("http", "https") or not url.hostname:
                raise SettingsError(f"{where}: ${env} is not an http(s) URL")
            _reach(url.hostname, url.port or (443 if url.scheme == "https" else 80), where)
        elif channel.kind == "email":
            assert env is not None  # check_recognition requires smtp_env
            try:
                server = smtp_server(env)
            except SettingsError as err:
                raise SettingsError(f"{where}: {err}") from None
            _reach(server.host, server.port, where)
            try:  # the login and the connection's security, before anything is sent
                server.connect().quit()
            except (smtplib.SMTPException, OSError) as err:
                raise SettingsError(f"{where}: the mail server refused the login or the "
                                    f"connection's security ({type(err).__name__}); check "
                                    f"${env}") from None
        else:
            channel.spec["resolved"] = str(base / FEEDS / client / channel.spec["path"])
        channels.append(channel)
    return channels


def _reach(host: str, port: int, where: str) -> None:
    """Check that the host resolves and takes connections on its port (nothing is sent)."""
    try:
        socket.getaddrinfo(host, None)
    except OSError:
        raise SettingsError(f"{where}: its host cannot be found (is the address right, "
                            "and the network up?)") from None
    try:
        socket.create_connection((host, port), timeout=TIMEOUT_SECONDS).close()
    except OSError as err:
        raise SettingsError(f"{where}: its host does not answer on port {port} "
                            f"({type(err).__name__}); nothing was sent") from None
