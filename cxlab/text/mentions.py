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

:func:`mask_names` hides the names in quoted text, more eagerly than :func:`find_mentions`
counts them (privacy over readability): every mention it finds, and also a surname alone, a
name in capitals, a possessive ("Felix's"), a name at the start of a sentence and a name that
is also a word when written capitalized. Ordinary lower-case words stay.

Both read each text once, in time linear in its length.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
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
#: More names that are everyday words, for masking only: as lower-case words they stay.
NAME_WORDS_FOR_MASKING = frozenset("""
brown white black green gray grey young king hill wood woods walker baker cook miller mason
carter fisher page bell long little short moss lane park rice price sharp love best hall field
stone ward wells west north south bird fox wolf lamb hart marsh bush banks cross bishop church
judge knight bond chance noble strong swift wise eve bob don jay ash rob bud dot sandy rusty
holly heather iris lily daisy poppy robin jasmine chase hunter grant miles rick
iban email
""".split())
#: Name particles ("Ludwig van Beethoven"): masked only together with the rest of a name.
PARTICLES = frozenset("de la le du da di del della der den van von ten ter dos das bin ibn al el"
                      .split())
_EVERYDAY = ENGLISH_WORDS | COMMON_WORD_NAMES | NAME_WORDS_FOR_MASKING

_WORD = re.compile(r"[^\W\d_]++(?:['\u2019-][^\W\d_]++)*+")


def fold(text: str) -> str:
    """Case- and accent-insensitive form of a word: ``Zoë`` -> ``zoe``."""
    if text.isascii():  # most text: nothing to decompose, and ten times faster this way
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


@dataclass(slots=True)
class _Token:
    text: str
    folded: str
    start: int
    end: int
    sentence_start: bool
    #: Where a capital letter says little: a sentence start, or after a colon, quote, bracket,
    #: dash, bullet or emoji.
    opening: bool
    capitalized: bool


_OPENERS = frozenset(":;\"\u201c\u201d\u2018\u2019\u00ab\u00bb([{\u2026-\u2013\u2014*\u2022")


def _tokens(text: str) -> list[_Token]:
    """The words of ``text`` with their spans, in one pass (each gap between words read once)."""
    out: list[_Token] = []
    previous_end = 0
    for m in _WORD.finditer(text):
        start, end = m.span()
        gap = text[previous_end:start]
        before = gap.rstrip()
        if before:
            last = before[-1]
            starts = last in ".!?" or "\n" in gap[len(before):]
            opening = (starts or last in _OPENERS
                       or (last > "\x7f" and unicodedata.category(last)[0] == "S"))  # emoji
        else:
            starts = opening = not out or "\n" in gap
        word = m.group()
        out.append(_Token(word, fold(word), start, end, starts, opening, word[0].isupper()))
        previous_end = end
    return out


def _deletions(word: str) -> set[str]:
    """``word`` with one letter taken out, every way: two words within one edit share one."""
    return {word[:i] + word[i + 1:] for i in range(len(word))}


class _NearIndex:
    """Words within one edit (optimal string alignment) of a fixed list, found by lookups."""

    def __init__(self, words):
        from rapidfuzz.distance import OSA

        self.distance = OSA.distance
        self.order = {w: i for i, w in enumerate(dict.fromkeys(words))}
        self.longest = max(map(len, self.order), default=0)
        self.keys: dict[str, list[str]] = {}
        for w in self.order:
            for key in _deletions(w) | {w}:
                self.keys.setdefault(key, []).append(w)
        self.cache: dict[str, list[str]] = {}

    def near(self, word: str) -> list[str]:
        """The listed words within one edit of ``word``, in list order."""
        close = self.cache.get(word)
        if close is not None:
            return close
        found: set[str] = set()
        if len(word) <= self.longest + 1:
            keys = self.keys
            for i in range(len(word) + 1):
                found.update(keys.get(word[:i] + word[i + 1:] if i < len(word) else word, ()))
        close = sorted((w for w in found if self.distance(word, w, score_cutoff=1) <= 1),
                       key=self.order.__getitem__) if found else []
        if len(self.cache) < 100_000:
            self.cache[word] = close
        return close


def _key(folded: str) -> str:
    return folded.replace("\u2019", "'")


def _lookup_key(folded: str) -> str:
    """A word as the roster is looked up: one apostrophe, and "Felix's" read as Felix."""
    key = _key(folded)
    return key[:-2] if key.endswith("'s") and len(key) > 3 else key


def _name_keys(part: str) -> set[str]:
    """How a name part may be written: whole, its pieces, or run together ("oneil")."""
    part = _key(part)
    pieces = [p for p in re.split(r"[-']", part) if p]
    keys = {part, "".join(pieces)}
    keys.update(p for p in pieces if len(p) >= 2)
    return keys


class Roster:
    """The names to look for: first names, full names and who carries each."""

    def __init__(self, employees: pd.DataFrame):
        self.by_first: dict[str, list[str]] = {}
        self.by_full: dict[tuple[str, str], str] = {}
        self.first_of: dict[str, str] = {}
        self.surname_of: dict[str, str] = {}
        #: For masking: every part of every name, and the pieces of "Anne-Marie" and "O'Neil".
        self.parts: dict[str, set[str]] = {}
        for emp, name in zip(employees["employee_id"], employees["display_name"], strict=True):
            parts = [_key(fold(p)) for p in _WORD.findall(str(name))]
            if not parts:
                continue
            for part in parts:
                for key in _name_keys(part):
                    self.parts.setdefault(key, set()).add(emp)
            self.by_first.setdefault(parts[0], []).append(emp)
            self.first_of[emp] = parts[0]
            if len(parts) > 1:
                self.by_full[(parts[0], parts[-1])] = emp
                self.surname_of[emp] = parts[-1]
        self.long_first = [n for n in self.by_first if len(n) >= 4]
        self._first = set(self.long_first)
        self._typo_parts = {p for p in self.parts
                            if len(p) >= 4 and p not in _EVERYDAY and "'" not in p}
        self._near = _NearIndex([*self.long_first, *sorted(self._typo_parts)])

    def close_parts(self, word: str) -> set[str]:
        """Employees with a name part of four letters or more within one edit of ``word``."""
        if len(word) < 4:
            return set()
        return {e for part in self._near.near(word) if part in self._typo_parts
                for e in self.parts[part]}

    def close_first_names(self, word: str) -> list[str]:
        """First names within one edit of ``word`` (optimal string alignment distance)."""
        if len(word) < 4:
            return []
        close = self._near.near(word)
        return [n for n in close if n in self._first] if close else close


def _mentions_in(text: str, roster: Roster, served: str | None,
                 tokens: list[_Token] | None = None) -> list[dict]:
    """Mentions in one text, each with the span (``start``, ``end``) of what was written."""
    tokens = _tokens(text) if tokens is None else tokens
    served_first = roster.first_of.get(served) if served else None
    keys = [_lookup_key(tok.folded) for tok in tokens]
    found, skip = [], set()
    for i, tok in enumerate(tokens):
        if i in skip:
            continue
        key = keys[i]
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        if nxt is not None and (key, keys[i + 1]) in roster.by_full:
            found.append(_hit(roster.by_full[(key, keys[i + 1])], tok, "full name",
                              text[tok.start:nxt.end], nxt.end))
            skip.add(i + 1)
            continue
        if key in roster.by_first:
            if key in COMMON_WORD_NAMES and (not _reads_as_name(tok, nxt, served_first)
                                             or _shouting(tokens, i)):
                continue
            found.append(_first_name_hit(roster, roster.by_first[key], tok, nxt, served,
                                         "first name"))
            continue
        if key in ENGLISH_WORDS or key in COMMON_WORD_NAMES or not tok.capitalized:
            continue
        close = roster.close_first_names(key)
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
    surname = _lookup_key(nxt.folded) if nxt is not None else None
    by_surname = [e for e in ids if surname is not None and roster.surname_of.get(e) == surname]
    if len(by_surname) == 1:
        return _hit(by_surname[0], tok, how + " and surname", f"{tok.text} {nxt.text}", nxt.end)
    if served in ids:
        return _hit(served, tok, how + ", the serving employee", tok.text)
    return {"employee_id": None, "written": tok.text, "match": how, "ambiguous": True,
            "candidates": sorted(set(ids)), "start": tok.start, "end": tok.end}


def _hit(emp: str, tok: _Token, how: str, written: str, end: int | None = None) -> dict:
    return {"employee_id": emp, "written": written, "match": how, "ambiguous": False,
            "candidates": [emp], "start": tok.start, "end": tok.end if end is None else end}


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


# ------------------------------------------------------------------------------------------
# Masking names in quoted text


@dataclass(slots=True)
class _Mark:
    """A span to hide: who it may name (None: anyone) and whether it can stand alone."""

    start: int
    end: int
    candidates: set[str] | None
    strong: bool
    joins_next: bool = True  # False after a possessive: "Felix's Novak" is two spans
    named: str | None = None  # the employee find_mentions settled on, if it did


def _shouting(tokens: list[_Token], i: int) -> bool:
    """Whether a neighbouring word is also in capitals: "I WILL NEVER" is shouting, not Will."""
    return any(0 <= k < len(tokens) and len(tokens[k].text) > 1 and tokens[k].text.isupper()
               for k in (i - 1, i + 1))


def _judge(text: str, key: str, roster: Roster, opening: bool, next_word: str | None,
           shouting: Callable[[], bool]) -> tuple[set[str], bool] | None:
    """Who the word ``text`` (folded to ``key``) may name and whether it is strong evidence."""
    capitalized = text[:1].isupper()
    if key in roster.parts:
        who = roster.parts[key]
        if key in PARTICLES:
            return who, False
        if key not in _EVERYDAY and len(key) > 2:
            return who, True  # "novak", "Zoë", "FELIX": a name in any case
        if not capitalized:
            return None  # an ordinary word: "I will", "a brown box"
        if text.isupper() and len(text) > 1 and shouting():
            return who, False
        if opening:
            return who, next_word not in NOT_A_NAME_NEXT  # "Will was great", not "Will you"
        return who, True
    if capitalized and not opening and key not in _EVERYDAY:
        close = roster.close_parts(key)
        if close:
            return close, True  # "Novack", "Lnea": a reader still knows who
    return None


def _marks(text: str, tokens: list[_Token], roster: Roster, hits: list[dict]) -> list[_Mark]:
    by_start = {t.start: i for i, t in enumerate(tokens)}
    from_hits: dict[int, dict] = {}
    for hit in hits:
        i = by_start[hit["start"]]
        while i < len(tokens) and tokens[i].start < hit["end"]:
            from_hits[i] = hit
            i += 1
    marks, parts = [], roster.parts
    for i, tok in enumerate(tokens):
        key, end = tok.folded, tok.end
        if "'" in key or "-" in key or "\u2019" in key:
            key = _key(key)
            if key.endswith("'s") and len(key) > 3:
                key, end = key[:-2], end - 2  # "Felix's": the name goes, the "'s" stays
        elif (key not in parts and (tok.opening or not tok.capitalized) and i not in from_hits
              and len(key) > 1):
            continue  # the usual word: no name, no typo of one, no pieces
        if i in from_hits:  # who it names, as far as the roster goes; find_mentions' choice
            hit = from_hits[i]
            who = parts.get(key) or set(hit["candidates"])
            marks.append(_Mark(tok.start, end, who, True, end == tok.end, hit["employee_id"]))
            continue
        # The next word, if only spaces come between: "Will you" is a question, "Will, you" not.
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        next_word = nxt.folded if nxt and text[tok.end:nxt.start].isspace() else None
        judged = _judge(tok.text[:end - tok.start], key, roster, tok.opening, next_word,
                        lambda i=i: _shouting(tokens, i))
        if judged is not None:
            marks.append(_Mark(tok.start, end, judged[0], judged[1], end == tok.end))
        elif len(tok.text) == 1 and tok.text.isupper() and text[tok.end:tok.end + 1] == ".":
            marks.append(_Mark(tok.start, tok.end + 1, None, False))  # an initial: "J. Smith"
        elif "-" in key or "'" in key:  # "Felix-approved", "Thanks-Zoe"
            offset = tok.start
            for piece in re.split(r"([-'\u2019])", tok.text):
                piece_key = _key(fold(piece))
                judged = _judge(piece, piece_key, roster, tok.opening and offset == tok.start,
                                next_word, lambda: False) if len(piece) > 1 else None
                if judged is not None and judged[1]:
                    marks.append(_Mark(offset, offset + len(piece), judged[0], True, False))
                offset += len(piece)
    return marks


def _mask(text: str, roster: Roster, served: str | None, labels: Mapping[str, str],
          placeholder: str) -> str:
    tokens = _tokens(text)
    marks = _marks(text, tokens, roster, _mentions_in(text, roster, served, tokens))
    groups: list[list[_Mark]] = []
    shared: list[set[str] | None] = []
    for mark in marks:  # a name is the run of name words with one space or so between them
        if groups and groups[-1][-1].joins_next and mark.start - groups[-1][-1].end <= 3:
            gap = text[groups[-1][-1].end:mark.start]
            together = shared[-1] if mark.candidates is None else (
                mark.candidates if shared[-1] is None else shared[-1] & mark.candidates)
            if gap.isspace() and "\n" not in gap and (together is None or together):
                groups[-1].append(mark)
                shared[-1] = together
                continue
        groups.append([mark])
        shared.append(mark.candidates)
    out, position = [], 0
    for group, who in zip(groups, shared, strict=True):
        if not group[-1].strong:
            while group and not group[-1].strong:
                group.pop()  # a particle or initial after a name belongs to what follows
            if not group:
                continue
            who = None
            for mark in group:
                if mark.candidates is not None:
                    who = mark.candidates if who is None else who & mark.candidates
        named = {m.named for m in group if m.named is not None and (who is None or m.named in who)}
        if who is not None and len(who) == 1:
            label = labels.get(next(iter(who)), placeholder)
        elif len(named) == 1:
            label = labels.get(named.pop(), placeholder)
        elif who is not None and served in who:
            label = labels.get(served, placeholder)
        else:
            label = placeholder
        out += [text[position:group[0].start], label]
        position = group[-1].end
    out.append(text[position:])
    return "".join(out)


def mask_names(texts: pd.Series, employees: pd.DataFrame, labels: Mapping[str, str],
               served_by: pd.Series | None = None, placeholder: str = "[employee]") -> pd.Series:
    """Each text with every span that names a roster employee replaced, for quoting.

    Catches every form :func:`find_mentions` counts and more, erring towards hiding: a surname
    alone ("Mr Novak"), a possessive ("Felix's" becomes "Employee 3F9A1C's"), a name at the
    start of a sentence or in capitals, a typo of any name part of four letters or more written
    capitalized mid-sentence, and a name that is also a word ("Will", "Grace", "Brown") when
    written capitalized, unless it opens a sentence as a word would ("Will you ...", "Hope
    this ..."). Lower-case everyday words are never hidden. A whole name ("Felix Novak",
    "José María García López") becomes one label.

    Args:
        texts: The texts, indexed like ``served_by``.
        employees: The roster: ``employee_id`` and ``display_name``.
        labels: How each employee appears (``employee_id`` -> label, e.g. "Employee 3F9A1C").
        served_by: The employee who served each response, to settle shared names.
        placeholder: For a span that could name several employees (or one without a label).

    Returns:
        The masked texts, same index; missing values as they were.
    """
    roster = Roster(employees)
    served_by = served_by if served_by is not None else pd.Series(dtype=object)
    out = []
    for index, text in texts.items():
        if not isinstance(text, str) and pd.api.types.is_scalar(text) and pd.isna(text):
            out.append(text)
            continue
        served = served_by.get(index)
        served = served if isinstance(served, str) else None
        out.append(_mask(str(text), roster, served, labels, placeholder))
    return pd.Series(out, index=texts.index, name=texts.name,
                     dtype=object if texts.dtype == object else None)
