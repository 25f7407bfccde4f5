"""Keyed pseudonyms for employees, and the secret behind them.

A report that may not name employees shows each by a label such as ``Employee 3F9A1C07``.
The label is an HMAC-SHA-256 of the client and the employee id under a secret key, so it is
the same in every quarter's report (people can follow their own row) but cannot be turned
back into an employee id by anyone without the key: hashing every plausible id gives nothing
without it.

The key is, in order of preference:

* the environment variable ``CXLAB_PSEUDONYM_KEY`` (any text of at least 16 characters), for
  a consultancy that keeps its secrets in a vault;
* the file ``.pseudonym-key`` in the data home (``cxlab.config.data_dir()``), created with 32
  random bytes on first use, readable by its owner only. The data home is never in git.

Changing or losing the key changes every label; keep the file with the data it labels.
Whoever holds it can map labels back to ids, for instance to verify a monthly drawing.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from cxlab import config
from cxlab.errors import CxlabError

if TYPE_CHECKING:  # the runner's skip path reads the key's fingerprint: no pandas there
    import pandas as pd

KEY_ENV = "CXLAB_PSEUDONYM_KEY"
KEY_FILE = ".pseudonym-key"
#: Hex digits in a label: 32 bits, so two employees of one client share a label with
#: probability about n^2 / 2^33 (1 in 8,600 for 1,000 employees).
LABEL_DIGITS = 8
MIN_KEY_CHARS = 16


class PseudonymKeyError(CxlabError, ValueError):
    """The pseudonym key cannot be read or is too weak; the message says where and why."""


def key_path() -> Path:
    """Where the pseudonym key file of the current data home lives."""
    return config.data_dir() / KEY_FILE


def pseudonym_key() -> bytes:
    """The secret key: from ``$CXLAB_PSEUDONYM_KEY``, else the data home's key file.

    The file is created on first use (32 random bytes, hex, mode 0600). Creation is
    exclusive, so two processes starting at once agree on one key.
    """
    text = os.environ.get(KEY_ENV)
    if text is not None:
        if len(text.strip()) < MIN_KEY_CHARS:
            raise PseudonymKeyError(f"${KEY_ENV} is set but holds {len(text.strip())} "
                                    f"characters: expected at least {MIN_KEY_CHARS}")
        return text.strip().encode("utf-8")
    return _file_key(key_path())


@cache
def _file_key(path: Path) -> bytes:
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first: use theirs
            pass
        else:
            with os.fdopen(fd, "w", encoding="ascii") as handle:
                handle.write(secrets.token_hex(32) + "\n")
    text = path.read_text(encoding="ascii", errors="replace").strip()
    if len(text) < MIN_KEY_CHARS:
        raise PseudonymKeyError(f"{path}: the pseudonym key holds {len(text)} characters: "
                                f"expected at least {MIN_KEY_CHARS} (delete the file to make "
                                "a new key; every employee label will change)")
    return text.encode("ascii")


def key_fingerprint() -> str:
    """A short hash of the key: changes when the key does, reveals nothing of it."""
    return hashlib.sha256(b"cxlab-key-fingerprint\0" + pseudonym_key()).hexdigest()[:16]


def pseudonym(client: str, employee_id: str, key: bytes | None = None) -> str:
    """The employee's label in ``client``'s reports, e.g. ``Employee 3F9A1C07``."""
    key = pseudonym_key() if key is None else key
    message = f"{client}\0{employee_id}".encode()
    digest = hmac.new(key, message, hashlib.sha256).hexdigest()
    return f"Employee {digest[:LABEL_DIGITS].upper()}"


def pseudonyms(client: str, employee_ids: Iterable[str], key: bytes | None = None
               ) -> dict[str, str]:
    """``{employee_id: label}`` for ``employee_ids`` at ``client``, reading the key once."""
    key = pseudonym_key() if key is None else key
    return {emp: pseudonym(client, emp, key) for emp in employee_ids}


def reverse_labels(client: str, labels: Iterable[str], employee_ids: Iterable[str],
                   key: bytes | None = None) -> dict[str, str]:
    """``{label: employee_id}`` for the ``labels`` among ``employee_ids`` (needs the key).

    For whoever holds the key: to check a drawing or answer an employee's question about
    their own row. Labels that match no id are left out.
    """
    wanted = set(labels)
    return {label: emp for emp, label in pseudonyms(client, employee_ids, key).items()
            if label in wanted}


#: Candidate ids in text: runs of letters, digits and the punctuation ids are made of.
_ID_LIKE = re.compile(r"\w[\w.\-/#:]*")
#: The plain pieces of such a run ("NO00064/NO00070" holds two ids).
_ID_PIECE = re.compile(r"[^\W_]+")


def mask_ids(texts: pd.Series, labels: Mapping[str, str]) -> pd.Series:
    """``texts`` with every internal employee id (a key of ``labels``) replaced by its label.

    Ids are matched whole and without regard to case, in one pass over each text: each run of
    id-like characters is looked up as written and without trailing punctuation, and failing
    that each of its plain pieces ("NO00064/NO00070", "NO00064:NO00070"), so ids joined by a
    mark are found too. Missing values are returned as they are.
    """
    by_folded = {str(e).casefold(): label for e, label in labels.items() if str(e).strip()}

    def piece(match: re.Match) -> str:
        return by_folded.get(match.group().casefold(), match.group())

    def swap(match: re.Match) -> str:
        word = match.group()
        for end in range(len(word), 0, -1):  # "NO00070." and "NO00070:" are the id too
            label = by_folded.get(word[:end].casefold())
            if label is not None:
                return label + word[end:]
            if word[end - 1].isalnum():
                break
        return _ID_PIECE.sub(piece, word)

    return texts.map(lambda t: _ID_LIKE.sub(swap, t) if isinstance(t, str) else t)
