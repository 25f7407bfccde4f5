"""The record of what was sent, per client: what makes every message go out once.

One SQLite file per dataset and client (:func:`cxlab.config.outbox_path`), outside the
dataset's folder (an import replaces that folder whole). Each message is recorded by its key
(what it is about: the response and the employee) and its channel, in its own transaction,
right after the channel accepted it. A run holds the client's lock for as long as it sends,
so two runs never send the same message.

What "once" can and cannot promise: if the process dies after a channel accepted a message
and before its record is written (a window of milliseconds), that one message is sent again
by the next run. Nothing else repeats, and nothing is lost: a message not recorded is sent
next time.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from pathlib import Path

from cxlab.fsutil import exclusive_lock

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sent (
    message TEXT NOT NULL,
    channel TEXT NOT NULL,
    sent_at TEXT NOT NULL,
    PRIMARY KEY (message, channel)
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS refused (
    message TEXT NOT NULL,
    channel TEXT NOT NULL,
    refused_at TEXT NOT NULL,
    reason TEXT NOT NULL,
    PRIMARY KEY (message, channel)
);
"""


class Outbox:
    """What was sent to which channel, and where sending started."""

    def __init__(self, path: Path):
        self.path = path

    @contextmanager
    def session(self, about: dict, on_wait: Callable[[dict], object] | None = None
                ) -> Iterator[Outbox]:
        """Hold the client's send lock for the block (a second run waits for the first)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with exclusive_lock(self.path.with_suffix(".lock"), about, wait=True, on_wait=on_wait):
            yield self

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(self.path, timeout=30)
        db.executescript(_SCHEMA)
        return db

    def sent(self) -> set[tuple[str, str]]:
        """Every (message, channel) recorded as sent."""
        if not self.path.is_file():
            return set()
        with closing(self._connect()) as db:
            return set(db.execute("SELECT message, channel FROM sent"))

    def refused(self) -> set[tuple[str, str]]:
        """Every (message, channel) the channel refused: never tried again, never sent."""
        if not self.path.is_file():
            return set()
        with closing(self._connect()) as db:
            return set(db.execute("SELECT message, channel FROM refused"))

    def record_refused(self, message: str, channel: str, reason: str) -> None:
        """Record that one channel refused one message (committed before returning)."""
        when = datetime.now(UTC).isoformat(timespec="seconds")
        with closing(self._connect()) as db, db:
            db.execute("INSERT OR IGNORE INTO refused VALUES (?, ?, ?, ?)",
                       (message, channel, when, reason))

    def record(self, message: str, channel: str, at: datetime | None = None) -> None:
        """Record one message as sent to one channel (committed before returning).

        ``at`` is when (default: now); the maturity evidence reads it.
        """
        when = (at or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="seconds")
        with closing(self._connect()) as db, db:
            db.execute("INSERT OR IGNORE INTO sent VALUES (?, ?, ?)", (message, channel, when))

    def sent_at(self) -> dict[str, str]:
        """When each message was first sent anywhere (ISO time), for the maturity evidence."""
        if not self.path.is_file():
            return {}
        with closing(self._connect()) as db:
            return dict(db.execute("SELECT message, MIN(sent_at) FROM sent GROUP BY message"))

    def start(self, name: str = "start") -> str | None:
        """The date sending started from, as the first run set it.

        ``name`` says which sending: ``start`` for shout-outs, ``start:follow_up`` for
        follow-ups.
        """
        if not self.path.is_file():
            return None
        with closing(self._connect()) as db:
            row = db.execute("SELECT value FROM meta WHERE key = ?", (name,)).fetchone()
        return row[0] if row else None

    def set_start(self, day: str, name: str = "start") -> None:
        """Remember where sending starts, so later runs miss nothing between runs."""
        with closing(self._connect()) as db, db:
            db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (name, day))
