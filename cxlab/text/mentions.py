"""Find employees named in customer comments, tolerant of case, accents and small typos.

Rules (the methods page states them, and the tests hold them):

* Names are compared after folding case and accents ("zoe" finds Zoë).
* A first name (or a typo of one) followed by the surname names that employee. A first name
  alone names the one employee with that first name; when several share it, the employee who
  served the customer, if among them; otherwise the mention is kept but marked ambiguous (no
  employee).
* A typo of at most one edit (an insertion, deletion, substitution or swap of neighbours)
  still matches a first name of four letters or more, when the word is capitalized mid-sentence
  or the close name is the serving employee's. Common English words are never read as typos.
* First names that are also common words (Will, Joy, Hope, Rose, ...) count only when
  capitalized, and at the start of a sentence only when they are the serving employee's name
  and not followed by a word that makes them a verb or a noun ("Will you ...").
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import pandas as pd

#: First names that are also everyday English words.
COMMON_WORD_NAMES = frozenset({
    "will", "joy", "hope", "rose", "grace", "rich", "dev", "may", "mark", "bill", "faith",
    "summer", "sky", "frank", "hunter", "pat", "sue", "guy", "art", "jack", "ray", "max",
    "amber", "ivy", "dawn", "sunny", "penny", "kay", "june", "april", "violet", "sage", "sonny",
})
#: Words after a sentence-initial "Will"/"Hope"/... that show it is not a name.
NOT_A_NAME_NEXT = frozenset({
    "you", "i", "we", "they", "it", "he", "she", "be", "not", "have", "this", "that", "there",
    "someone", "anyone", "somebody", "anybody", "the", "a", "an", "my", "your", "to", "so",
    "and", "is", "for", "of", "in", "on", "at", "with", "someone's",
})
#: Frequent English words never taken for a misspelt name ("Lean" is not "Lena").
ENGLISH_WORDS = frozenset("""
a about above after again all also always am an and any are as ask at away back bad be been
before being best better both but by call called came can care card clear could day days did
do does done down each easy even ever every fast few fine first fix fixed for from full gave
get give go good got great had has have he help her here him his hold home how i if in into
is it its just keep kind know last late lean least left less let like line long look lost
made make many me more most much must my need never new next nice no none not now of off
old on once one only or other our out over own paid part phone plan quick real really right
said same saw say see she should since so some soon still such sure take team than thank
thanks that the their them then there these they thing this those though three through time
to told too took two under up us very wait want was way we well went were what when where
which while who why will with work would year yes yet you your
""".split())

_WORD = re.compile(r"[^\W\d_]+(?:['\u2019-][^\W\d_]+)*")
_SENTENCE_END = re.compile(r"[.!?\n]\s*$")


def fold(text: str) -> str:
    """Case- and accent-insensitive form of a word: ``Zoë`` -> ``zoe``."""
    if text.isascii():  # most text: nothing to decompose, and ten times faster this way
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


@dataclass(frozen=True)
class _Token:
    text: str
    folded: str
    start: int
    sentence_start: bool

    @property
    def capitalized(self) -> bool:
        return self.text[:1].isupper()


def _tokens(text: str) -> list[_Token]:
    out = []
    for m in _WORD.finditer(text):
        before = text[:m.start()]
        starts = not before.strip() or bool(_SENTENCE_END.search(before))
        out.append(_Token(m.group(), fold(m.group()), m.start(), starts))
    return out


class Roster:
    """The names to look for: first names, full names and who carries each."""

    def __init__(self, employees: pd.DataFrame):
        self.by_first: dict[str, list[str]] = {}
        self.by_full: dict[tuple[str, str], str] = {}
        self.first_of: dict[str, str] = {}
        self.surname_of: dict[str, str] = {}
        for emp, name in zip(employees["employee_id"], employees["display_name"], strict=True):
            parts = [fold(p) for p in _WORD.findall(str(name))]
            if not parts:
                continue
            self.by_first.setdefault(parts[0], []).append(emp)
            self.first_of[emp] = parts[0]
            if len(parts) > 1:
                self.by_full[(parts[0], parts[-1])] = emp
                self.surname_of[emp] = parts[-1]
        self.long_first = [n for n in self.by_first if len(n) >= 4]

    def close_first_names(self, word: str) -> list[str]:
        """First names within one edit of ``word`` (optimal string alignment distance)."""
        from rapidfuzz.distance import OSA

        if len(word) < 4:
            return []
        return [n for n in self.long_first
                if abs(len(n) - len(word)) <= 1 and OSA.distance(word, n, score_cutoff=1) <= 1]


def _mentions_in(text: str, roster: Roster, served: str | None) -> list[dict]:
    tokens = _tokens(text)
    served_first = roster.first_of.get(served) if served else None
    found, skip = [], set()
    for i, tok in enumerate(tokens):
        if i in skip:
            continue
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        if nxt is not None and (tok.folded, nxt.folded) in roster.by_full:
            found.append(_hit(roster.by_full[(tok.folded, nxt.folded)], tok, "full name",
                              text[tok.start:nxt.start + len(nxt.text)]))
            skip.add(i + 1)
            continue
        if tok.folded in roster.by_first:
            if tok.folded in COMMON_WORD_NAMES and not _reads_as_name(tok, nxt, served_first):
                continue
            found.append(_first_name_hit(roster, roster.by_first[tok.folded], tok, nxt, served,
                                         "first name"))
            continue
        if (tok.folded in ENGLISH_WORDS or tok.folded in COMMON_WORD_NAMES
                or not tok.capitalized):
            continue
        close = roster.close_first_names(tok.folded)
        if not close:
            continue
        if tok.sentence_start and served_first not in close:
            continue  # a capitalized first word is weak evidence on its own
        ids = [e for n in close for e in roster.by_first[n]]
        found.append(_first_name_hit(roster, ids, tok, nxt, served, "typo"))
    return found


def _reads_as_name(tok: _Token, nxt: _Token | None, served_first: str | None) -> bool:
    if not tok.capitalized:
        return False
    if not tok.sentence_start:
        return True
    return tok.folded == served_first and (nxt is None or nxt.folded not in NOT_A_NAME_NEXT)


def _first_name_hit(roster: Roster, ids: list[str], tok: _Token, nxt: _Token | None,
                    served: str | None, how: str) -> dict:
    if len(set(ids)) == 1:
        return _hit(ids[0], tok, how, tok.text)
    by_surname = [e for e in ids if nxt is not None and roster.surname_of.get(e) == nxt.folded]
    if len(by_surname) == 1:
        return _hit(by_surname[0], tok, how + " and surname", f"{tok.text} {nxt.text}")
    if served in ids:
        return _hit(served, tok, how + ", the serving employee", tok.text)
    return {"employee_id": None, "written": tok.text, "match": how, "ambiguous": True,
            "candidates": sorted(set(ids))}


def _hit(emp: str, tok: _Token, how: str, written: str) -> dict:
    return {"employee_id": emp, "written": written, "match": how, "ambiguous": False,
            "candidates": [emp]}


def find_mentions(comments: pd.Series, employees: pd.DataFrame,
                  served_by: pd.Series | None = None) -> pd.DataFrame:
    """Employees named in each comment.

    Args:
        comments: Comment texts, indexed by response id (missing comments are skipped).
        employees: The roster: ``employee_id`` and ``display_name``.
        served_by: The employee who served each response (same index), used to resolve
            shared first names, typos and name-like words at the start of a sentence.

    Returns:
        One row per mention: ``response_id``, ``employee_id`` (None when ambiguous),
        ``written`` (as in the comment), ``match`` (how it matched), ``ambiguous`` and
        ``candidates``. An employee named twice in one comment counts once.
    """
    roster = Roster(employees)
    served_by = served_by if served_by is not None else pd.Series(dtype=object)
    rows = []
    for response_id, text in comments.dropna().items():
        served = served_by.get(response_id)
        served = served if isinstance(served, str) else None
        seen = set()
        for hit in _mentions_in(str(text), roster, served):
            key = hit["employee_id"] or hit["written"]
            if key not in seen:
                seen.add(key)
                rows.append({"response_id": response_id, **hit})
    return pd.DataFrame(rows, columns=["response_id", "employee_id", "written", "match",
                                       "ambiguous", "candidates"])
