"""Find employees named in customer comments, tolerant of case, accents and small typos.

Rules (the methods page states them, and the tests hold them):

* Names are compared after folding case and accents ("zoe" finds Zoë), also letters that have
  no accent to take off: ``Łukasz Żółć`` is found as "Lukasz Zolc" (ł ø đ ð ß æ œ þ ı ħ ŧ
  become l o d d ss ae oe th i h t), and a German or Nordic name also as it is spelled without
  its letters ("Mueller" for Müller, "Bjoern" for Björn).
* A first name (or a typo of one) followed by the surname names that employee. A first name
  alone names the one employee with that first name; when several share it, the employee who
  served the customer, if among them; otherwise the mention is kept but marked ambiguous (no
  employee).
* A typo of at most one edit (an insertion, deletion, substitution or swap of neighbours)
  still matches a first name of four letters or more, when the word is capitalized mid-sentence
  or the close name is the serving employee's. Everyday words are never read as typos.
* First names that are also common words (Will, Joy, Hope, Rose, ...) count only when
  capitalized, and at the start of a sentence only when they are the serving employee's name
  and not followed by a word that makes them a verb or a noun ("Will you ...").

:func:`mask_names` hides the names in quoted text, more eagerly than :func:`find_mentions`
counts them (privacy over readability). Its rule: a word is hidden when it is, or is within one
edit of, any part of an employee's name, unless it is an everyday word.

=============================================  ===========================================
Hidden by mask_names                           Example (roster)
=============================================  ===========================================
Every mention find_mentions counts             ``Felix Novak``, ``Mraia Okafor``
A name part in any case, at any place          ``novak``, ``FELIX``, ``Mr Tanaka``, ``Felix's``
A typo of a name part of four letters or       ``Siobahn was great`` (Siobhan), ``Felx sorted
more, in any case, at any place                it``, ``novack``, ``Mohamed`` (Mohammed)
A typo of a three-letter name, capitalized:    ``Zoey`` (Zoë), ``Zeo``
one letter added, or two swapped
Letters that do not fold, either way           ``Lukasz``, ``lukasz``, ``Zolc`` (Łukasz Żółć)
A hyphenated or apostrophed word with a name   ``Mueller-Schmidt``, ``Felix-approved``,
in any piece: the whole word                   ``Thanks-Zoe``
A name that is also a word, capitalized        ``Ask for Will``, ``Brown helped``
(mid-sentence, or at a start not followed      ``Will was great``
by a verb's or noun's word)
An initial before a name                       ``J. Novak``
=============================================  ===========================================

=============================================  ===========================================
Kept by mask_names                             Example
=============================================  ===========================================
Everyday words, even within one edit of a      ``Huge thanks`` (Hugo), ``Great`` (Greta),
name or at the start of a sentence             ``Make`` (Mike), ``Brain`` (Brian),
                                               ``the cost`` (Costa), ``Lean on`` (Lena)
Names that are words, written as words         ``I will``, ``a brown box``, ``Will you ...``
A typo of a name that is a word, unless        ``hpoe``, ``Grcae`` at a sentence start
capitalized mid-sentence
Typos of two-letter names; lower-case or       ``zeo``, ``Zoo`` (Zoë)
substituted typos of three-letter names
=============================================  ===========================================

Everyday words (:func:`everyday_words`): ENGLISH_WORDS, MORE_EVERYDAY_WORDS (both ours),
scikit-learn's English stop words, the words of the VADER lexicon and of the VADER emoji
descriptions (lower-case words only: a capitalized one there is a place or a sign of the
zodiac), and the name-words below, less "mia" and "yang" (first names more than words). For a
typo, plain inflections of them count too (-s, -es, -ed, -ing, -er, -est, -ly: "parcels",
"stopped"); a name part itself stays only when it is one of the words ("brown", not "bates").
Nothing is downloaded; all of it ships with our dependencies.

Knowingly not covered: a name written with two typos or more, or with a typo that is itself an
everyday word ("Brain" or "Bran" for Brian, "Mark" for Marc), in any case and place; a name
spelled out in another script; a nickname (Bob for Robert); a typo of a name that is an
everyday word unless capitalized mid-sentence.

Both read each text once, in time linear in its length.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
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
#: More everyday words for masking, beyond those of the word lists that ship with our
#: dependencies: what customers write about orders, calls, bills, apps and visits, and the
#: everyday words within one edit of common names ("cost", "sing", "lens", "panel").
MORE_EVERYDAY_WORDS = frozenset("""
able absolutely access according account accounts accurate achieve act action activity actual
actually add added adding address adjust admin advance advice advise advisor affect afford
afternoon age agency agent agents ago ahead aid aim air allowed announce annual answer answered
answering answers anybody anymore apart app apparently appear applied apply appointment
approach appropriate approve apps area arm army arrange arrive arrived arriving article aside
asked asking assist assistance assistant assume attach attempt attend attention attitude audio
august author auto automatic available avenue average awaiting aware background backup band
banking base based basic basically basis batch beat began begin beginning behalf behavior
behaviour belong bench bet bike billing bills birth bit blown body booked booking born borrow
boss bought bound boxes brace bran branch brand break breakfast briar brief bring broadband
brought budget build built bunch busy buy buyer buying cable calling calls camp canceled
cancellation capacity career carry case cases cash cashier catch category caught cause caused
cell cent center centre chain chair change changed changes changing channel chap charging chat
chatted cheap cheaper checked checking checkout cheque chip choice choose chose chosen city
claimed claims class cleaned clerk click client clients close closer closing coach coast code
coffee collect collected collection college color colour column come comes coming comment
comments commercial commission common communicate communication community company compare
compared compensation complete completed completely complex concern concerned condition confirm
confirmation confirmed connect connected connection consider considering constant constantly
consumer contact contacted contacting contacts contain content context continue continued
contract convenient conversation cope copy corner correct correctly cost costs couldn count
counter country course court covered crashed crashes crew crowd current currently customer
customers cycle daily data date daughter deal dealing dealt debit december decent decide
decided decision deep default degree delays delete deleted deliver delivered delivering depend
deposit description design desk despite details device devices dial didnt difference different
digital dinner direction directly discuss discussed dispatch dispatched display distance doctor
document documents downstairs dozen draft drive driver dropped duty earlier early earn east eat
edge effect effort eighth element emailed emails employee employees end ended ending engineer
engineers enter entire equal especially estimate evening event events eventually everybody
everyday evidence exact exactly exam example exist existing expect expected expensive
experience experienced expert expired explain explained explaining explanation extra fact
factor fairly fall far feature features february fee feedback feel fees feet fell felt fifth
figure filled final finally finance financial finding finish finished firm flee flight flow fly
focus follow followed following force form forms fourteen fourth frame frequent friday fridge
frown fully function fund funds future gas gate gather general generally gentleman gets given
gives global goes going gold gone google gotten grape graze grew group grow grown guess guest
guide guys hair half handled handling hang happen happened happening happens hardly headset
heard hearing heat held hello hey hi higher highly hike hire history hose hour hours household
husband hype idea image immediately impact impossible include included including income
individual info inform informed initial inside install installation installed instance instant
instead instructions insurance internal internet interview invoice invoices involved issue
issued issues item items jams january job joined journey july jump junior kid kids knew knowing
knowledge known laid language larger lately later latest launch law lay layer lead leader learn
learned leaving led leek leer lend length lens lent lesson library license lie life likely
limit list listen listened literally live living load loan local location lock logged login
logo longer lot lots loud lunch magazine main mainly maintain major mall manage managed
management manager managers mania manner march market married mass massive match mate mates
maximum maybe meal mean meaning means meant measure media meet meeting member members memory
mention mentioned menu message messages met method mice mile million mime mind minimum minor
minute minutes model modem moment monday month months morning mother moved movement moving mr
mrs ms mum music named names narrow nature near nearly necessary neck needed needing needs
network news ninety ninth noise nope normal normally noted notice notification november nurse
object obviously occasion october offer offered online opened opening operator opinion option
options order ordered ordering orders organise organize ought outcome outside overall owner
pack packaging packed paint pair panel parcel parent parents parking partly partner pass passed
password past pastel patient pattern paying payment payments pending pension percent period
personal personally petal phoned photo picked piece placed plane plans plant plastic platform
plenty pocket point policy polite pop portal possible possibly postage posted pounds power
practice prefer premium present previous previously prices print prior priority private
probably process processed processing produce product products professional profile program
programme project promo prompt promptly proof proper properly property prove provide provided
provider province public pull purchase purchased purpose push putting quality questions queue
queued quicker quickly quiet quite race raise ran random rang range rate rates rave raw read
reading realise realised realize realized reason reasonable rebooked receive received receiving
recent recently recorded reduce reduced refer reference referred refund refunded refunds regard
regarding region register regular regularly related relationship release relevant remain
remember remind remote remove removed renew renewal rent repair repaired repeated replace
replaced replacement replied reply report reported request requested require required research
reset resolution respond responded response rest restart restaurant result results retail
return returned returning returns review rid ride ringing rise road rock rode role rope rosy
route router rows rule rules run rush rushed saga salary sale sales sample saturday saving
savings scan schedule scheduled screen search season second seconds section seen select sell
selling send sending senior sense sent separate september series serve served server services
session set setting settings setup seventh shape sheet shift shipped shipping shoes shop shot
shoulder shout showed shown shows shut signal signed similar simple simply sing singe singing
sings sir sister site sitting situation sixteen sixth size skill sleep slow slowly smaller
smooth social society sofa software sold somebody son song sort sorted sound source space
specific spend spent spoke spoken spot staff stage stand standard start started starting state
statement status stay stayed step stock storage story street study stuff style subject submit
submitted subscription sudden suddenly suggest suggested sunday supervisor supplier supply
supposed survey switch switched systems table tablet taken talk talked talking tap task tax tea
teach tech technical technician tell telling tells temporary tenth term terms tested text
texted theirs things think thirteen thousand threw thursday till timely times tiny tip title
today tomorrow tonight tool tools total totally touch town trace tracking trained training
transaction transfer transferred travel treated trial trip try trying tuesday turn turned twice
typical unable understand understanding understood unit unless unlike unlikely unusual update
updated updates upgrade upgraded usage use used user username users using usual usually valid
van various version view visit visited voice voucher wages waited waiting wake walk wall wallet
wanted wanting wants warranty wash weather website wednesday weekend weekly weeks weight wide
wife wifi wild window winter wonder word words worked working works write written wrote yard
yesterday younger zero zone
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
#: Entries of the word lists that are first names more than words ("mia": missing in action).
_NAMES_IN_WORD_LISTS = frozenset({"mia", "yang"})


#: Characters that show nothing and would split a name for the matcher ("Fe\u00adlix").
_INVISIBLE = re.compile("[\u00ad\u180e\u200b-\u200f\u2060-\u2064\ufeff]")

#: Verbs that follow a name opening a sentence ("Will helped me"), unlike a function word's.
NAME_FOLLOWERS = frozenset("""
was is has had did does helped sorted fixed solved resolved called rang explained went gave
answered replied responded took came said told made got knew listened understood showed
handled dealt stayed checked found arranged organised organized made kept followed
""".split())


@functools.cache
def _function_words() -> frozenset[str]:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS)


@functools.cache
def everyday_words() -> frozenset[str]:
    """Everyday English words (folded), from our lists and those our dependencies ship.

    ENGLISH_WORDS, MORE_EVERYDAY_WORDS, the name-words, scikit-learn's English stop words, and
    the lower-case words of the VADER lexicon and of its emoji descriptions. Loaded once.
    """
    from importlib.resources import files

    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    words = set(_EVERYDAY | MORE_EVERYDAY_WORDS | ENGLISH_STOP_WORDS)
    vader = files("vaderSentiment")
    for line in vader.joinpath("vader_lexicon.txt").read_text(encoding="utf-8").splitlines():
        entry = line.partition("\t")[0]
        if entry.isalpha():
            words.add(entry.lower())
    for line in vader.joinpath("emoji_utf8_lexicon.txt").read_text(encoding="utf-8").splitlines():
        # Only lower-case words: "Leo", "Costa Rica" or "Diego Garcia" name a sign or a place.
        words.update(w for w in _NOT_LETTERS.split(line.partition("\t")[2]) if w.islower())
    return frozenset(fold(w) for w in words if len(w) > 1) - _NAMES_IN_WORD_LISTS


_NOT_LETTERS = re.compile(r"[^A-Za-z]++")
_SUFFIXES = (  # (ending, what it replaces): "parcels" -> "parcel", "tried" -> "try"
    ("ies", "y"), ("ied", "y"), ("ier", "y"), ("iest", "y"), ("ily", "y"), ("es", ""), ("s", ""),
    ("ed", ""), ("ed", "e"), ("ing", ""), ("ing", "e"), ("er", ""), ("er", "e"), ("est", ""),
    ("est", "e"), ("ly", ""), ("ness", ""), ("ment", ""), ("ful", ""), ("less", ""))
_EVERYDAY_CACHE: dict[str, bool] = {}


def is_everyday(word: str) -> bool:
    """Whether a folded word is an everyday word, or a plain inflection of one."""
    known = _EVERYDAY_CACHE.get(word)
    if known is not None:
        return known
    words = everyday_words()
    found = word in words
    if not found and len(word) >= 4:
        for ending, instead in _SUFFIXES:
            if word.endswith(ending) and len(word) - len(ending) >= 2:
                stem = word[:-len(ending)]
                if stem + instead in words or (
                        not instead and len(stem) >= 3 and stem[-1] == stem[-2]
                        and stem[:-1] in words):  # "stopped", "bigger"
                    found = True
                    break
    if len(_EVERYDAY_CACHE) < 100_000:
        _EVERYDAY_CACHE[word] = found
    return found


_WORD = re.compile(r"[^\W\d_]++(?:['\u2019-][^\W\d_]++)*+")


#: Letters that decomposition leaves as they are, written as an English reader would.
_UNFOLDED = str.maketrans({"ł": "l", "ø": "o", "đ": "d", "ð": "d", "ß": "ss", "æ": "ae",
                           "œ": "oe", "þ": "th", "ı": "i", "ħ": "h", "ŧ": "t", "ŀ": "l"})
#: How German and Nordic letters are spelled without them: Müller is also "Mueller".
_SPELLED_WITHOUT = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ø": "oe", "å": "aa",
                                  "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "Ø": "Oe", "Å": "Aa"})
_FOLDED: dict[str, str] = {}


def fold(text: str) -> str:
    """Case- and accent-insensitive form of a word: ``Zoë`` -> ``zoe``, ``Łukasz`` -> ``lukasz``."""
    if text.isascii():  # most text: nothing to decompose, and ten times faster this way
        return text.lower()
    folded = _FOLDED.get(text)
    if folded is None:
        decomposed = unicodedata.normalize("NFKD", text)
        folded = "".join(c for c in decomposed if not unicodedata.combining(c))
        folded = folded.casefold().translate(_UNFOLDED)
        if len(_FOLDED) < 100_000:
            _FOLDED[text] = folded
    return folded


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
    #: As the roster is looked up: one apostrophe, and "Felix's" read as Felix.
    key: str


_OPENERS = frozenset(":;\"\u201c\u201d\u2018\u2019\u00ab\u00bb([{\u2026-\u2013\u2014*\u2022")
_GAP_KINDS: dict[str, tuple[bool, bool]] = {}


def _gap_kind(gap: str) -> tuple[bool, bool]:
    """Whether a word after ``gap`` (not the first word) starts a sentence, and is an opening."""
    kind = _GAP_KINDS.get(gap)
    if kind is None:
        before = gap.rstrip()
        if before:
            last = before[-1]
            starts = last in ".!?" or "\n" in gap[len(before):]
            opening = (starts or last in _OPENERS
                       or (last > "\x7f" and unicodedata.category(last)[0] == "S"))  # emoji
        else:
            starts = opening = "\n" in gap
        kind = (starts, opening)
        if len(gap) <= 8 and len(_GAP_KINDS) < 10_000:
            _GAP_KINDS[gap] = kind
    return kind


def _tokens(text: str) -> list[_Token]:
    """The words of ``text`` with their spans, in one pass (each gap between words read once)."""
    out: list[_Token] = []
    append, kinds = out.append, _GAP_KINDS
    previous_end = 0
    for m in _WORD.finditer(text):
        start, end = m.span()
        gap = text[previous_end:start]
        if out or gap.strip():
            starts, opening = kinds.get(gap) or _gap_kind(gap)
        else:
            starts = opening = True  # the first word, with nothing but spaces before it
        word = m.group()
        folded = word.lower() if word.isascii() else fold(word)
        key = _lookup_key(folded) if "'" in folded or "\u2019" in folded else folded
        append(_Token(word, folded, start, end, starts, opening, word[0].isupper(), key))
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


def _spellings(word: str) -> list[str]:
    """A name part folded, and also as spelled without its German or Nordic letters."""
    folded = _key(fold(word))
    other = _key(fold(word.translate(_SPELLED_WITHOUT)))
    return [folded] if other == folded else [folded, other]


class Roster:
    """The names to look for: first names, full names and who carries each."""

    def __init__(self, employees: pd.DataFrame):
        self.by_first: dict[str, list[str]] = {}
        self.by_full: dict[tuple[str, str], str] = {}
        self.first_of: dict[str, str] = {}
        self.surname_of: dict[str, str] = {}
        #: Every way the surname may be written ("muller", "mueller").
        self.surnames_of: dict[str, set[str]] = {}
        #: For masking: every part of every name, and the pieces of "Anne-Marie" and "O'Neil".
        self.parts: dict[str, set[str]] = {}
        for emp, name in zip(employees["employee_id"], employees["display_name"], strict=True):
            spellings = [_spellings(p) for p in _WORD.findall(str(name))]
            if not spellings:
                continue
            for part in (p for forms in spellings for p in forms):
                for key in _name_keys(part):
                    self.parts.setdefault(key, set()).add(emp)
            for first in spellings[0]:
                self.by_first.setdefault(first, []).append(emp)
            self.first_of[emp] = spellings[0][0]
            if len(spellings) > 1:
                for first in spellings[0]:
                    for last in spellings[-1]:
                        self.by_full[(first, last)] = emp
                        # Run together, as in a handle or a hashtag: "FelixNovak".
                        self.parts.setdefault(_key(first + last), set()).add(emp)
                self.surname_of[emp] = spellings[-1][0]
                self.surnames_of[emp] = set(spellings[-1])
        self.full_firsts = {first for first, _ in self.by_full}
        self.all_surnames = {s for forms in self.surnames_of.values() for s in forms}
        self.long_first = [n for n in self.by_first if len(n) >= 4]
        self._first = set(self.long_first)
        #: Name parts a typo may be read as (for masking): three letters or more.
        self._typo_parts = {p for p in self.parts
                            if len(p) >= 3 and p not in PARTICLES and "'" not in p}
        self._near = _NearIndex([*self.long_first, *sorted(self._typo_parts)])

    def close_name_parts(self, word: str) -> list[str]:
        """Name parts of three letters or more within one edit of ``word`` (not itself)."""
        if len(word) < 3:
            return []
        return [p for p in self._near.near(word) if p in self._typo_parts and p != word]

    def close_parts(self, word: str) -> set[str]:
        """Employees with a name part of four letters or more within one edit of ``word``."""
        return {e for p in self.close_name_parts(word) if len(p) >= 4 for e in self.parts[p]}

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
    keys = [tok.key for tok in tokens]
    found, skip = [], set()
    for i, tok in enumerate(tokens):
        if i in skip:
            continue
        key = keys[i]
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        if nxt is not None and key in roster.full_firsts and (key, keys[i + 1]) in roster.by_full:
            found.append(_hit(roster.by_full[(key, keys[i + 1])], tok, "full name",
                              text[tok.start:nxt.end], nxt.end))
            skip.add(i + 1)
            continue
        if key in roster.by_first:
            word_too = key in COMMON_WORD_NAMES or is_everyday(key)  # Will, Eve, Grace
            if word_too and (not _reads_as_name(tok, nxt, served_first) or _shouting(tokens, i)):
                continue
            found.append(_first_name_hit(roster, roster.by_first[key], tok, nxt, served,
                                         "first name"))
            continue
        if not tok.capitalized or key in COMMON_WORD_NAMES or is_everyday(key):
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
    if len(ids) == 1 or len(set(ids)) == 1:
        return _hit(ids[0], tok, how, tok.text)
    surname = nxt.key if nxt is not None else None
    by_surname = [e for e in ids if surname in roster.surnames_of.get(e, ())] if (
        surname in roster.all_surnames) else []
    if len(by_surname) == 1 and nxt is not None:
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
    # Looked up in a dict: a Series' get costs more than reading the comment (an id given
    # twice serves nobody, as Series.get gives both).
    serving = served_by.to_dict() if served_by.index.is_unique else {}
    rows = []
    for response_id, text in comments.dropna().items():
        served = serving.get(response_id)
        served = served if isinstance(served, str) else None
        seen = set()
        for hit in _mentions_in(str(text), roster, served):
            key = hit["employee_id"] or hit["written"]
            if key not in seen:
                seen.add(key)
                rows.append({"response_id": response_id, **hit})
    found = pd.DataFrame(rows, columns=["response_id", "employee_id", "written", "match",
                                        "ambiguous", "candidates"])
    # A bool column even when nothing was found: filtering by it then selects rows.
    return found.astype({"ambiguous": bool})


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
        known = roster.parts[key]
        if key in PARTICLES:
            return known, False
        if len(key) > 2 and key not in everyday_words():  # the word itself, not a stem of it
            return known, True  # "novak", "Zoë", "FELIX": a name in any case
        if not capitalized:
            return None  # an ordinary word: "I will", "a brown box"
        if text.isupper() and len(text) > 1 and shouting():
            return known, False
        if opening:
            if len(key) <= 2 and key in _function_words():
                # "An agent helped": a short function word ("An", "So", "Do"), unless a
                # name's verb follows ("An helped me")
                return (known, True) if next_word in NAME_FOLLOWERS else None
            return known, next_word not in NOT_A_NAME_NEXT  # "Grace was great", not "Grace is"
        return known, True
    if len(key) < 3 or is_everyday(key):
        return None  # "Huge", "Great", "Brain": everyday words stay, even beside a name
    who: set[str] = set()
    for part in roster.close_name_parts(key):
        if len(part) == 3:  # "Zoey", "Zeo" for Zoë, and "zoey"; not "zoo", nor "Lea" for Leo
            close = ((capitalized and (len(key) == 4 or sorted(key) == sorted(part)))
                     or (len(key) == 4 and key.startswith(part))) and not is_everyday(part)
        elif is_everyday(part):  # a typo of "Grace" or of "grace": only as a name is written
            close = capitalized and not opening
        else:  # "Siobahn", "felx", "novack", "Mohamed"; three letters only capitalized
            close = capitalized or len(key) >= 4
        if close:
            who |= roster.parts[part]
    return (who, True) if who else None


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
        joined = "'" in key or "-" in key or "\u2019" in key
        if joined:
            key = _key(key)
            if key.endswith("'s") and len(key) > 3:
                key, end = key[:-2], end - 2  # "Felix's": the name goes, the "'s" stays
        if i in from_hits:  # who it names, as far as the roster goes; find_mentions' choice
            hit = from_hits[i]
            who = parts.get(key) or set(hit["candidates"])
            marks.append(_Mark(tok.start, end, who, True, end == tok.end, hit["employee_id"]))
            continue
        if not joined:
            if len(key) == 1:
                if tok.capitalized and text[tok.end:tok.end + 1] == ".":
                    marks.append(_Mark(tok.start, tok.end + 1, None, False))  # "J. Smith"
                continue
            if key not in parts and is_everyday(key):
                continue  # the usual word
        # The next word, if only spaces come between: "Will you" is a question, "Will, you" not.
        nxt = tokens[i + 1] if i + 1 < len(tokens) else None
        next_word = nxt.folded if nxt and text[tok.end:nxt.start].isspace() else None
        judged = _judge(tok.text[:end - tok.start], key, roster, tok.opening, next_word,
                        functools.partial(_shouting, tokens, i))
        if judged is None and joined:  # "Mueller-Schmidt", "Felix-approved": the whole word
            offset, found = tok.start, []
            for piece in re.split(r"([-'\u2019])", tok.text[:end - tok.start]):
                if len(piece) > 1:
                    piece_judged = _judge(piece, _key(fold(piece)), roster,
                                          tok.opening and offset == tok.start, next_word,
                                          lambda: False)
                    if piece_judged is not None and piece_judged[1]:
                        found.append(piece_judged[0])
                offset += len(piece)
            if found:
                judged = (set.intersection(*found) or set.union(*found), True)
        if judged is not None:
            marks.append(_Mark(tok.start, end, judged[0], judged[1], end == tok.end))
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

    Catches every form :func:`find_mentions` counts and more, erring towards hiding: a word is
    hidden when it is, or is within one edit of, any part of an employee's name, unless it is an
    everyday word (:func:`everyday_words`). So: a surname alone ("Mr Novak"), a possessive
    ("Felix's" becomes "Employee 3F9A1C's"), a name in any case or place, a typo of a name part
    of four letters or more in any case or place ("Siobahn was great", "felx"), a typo of a
    three-letter name when capitalized ("Zoey"), a hyphenated word with a name in any piece
    (whole: "Mueller-Schmidt"), and a name that is also a word ("Will", "Grace", "Brown") when
    written capitalized, unless it opens a sentence as a word would ("Will you ...", "Hope
    this ..."). Everyday words stay, capitalized or not ("Huge thanks" beside a Hugo). A whole
    name ("Felix Novak", "José María García López") becomes one label. The module says what
    is knowingly not covered.

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
        out.append(_mask(_INVISIBLE.sub("", str(text)), roster, served, labels, placeholder))
    return pd.Series(out, index=texts.index, name=texts.name,
                     dtype=object if texts.dtype == object else None)


def names_any(texts: pd.Series, employees: pd.DataFrame, ids: Iterable[str],
              served_by: pd.Series | None = None) -> pd.Series:
    """Whether each text names any of the employees ``ids``.

    Names are found as :func:`mask_names` finds them, typos and possessives included. For
    hiding an employee who asked not to be named where others' names may show: a text
    that names them is masked whole (every employee's name), since masking their name
    alone would also take a shared first name or surname off a colleague's.
    """
    chosen = employees[employees["employee_id"].isin(list(ids))]
    if chosen.empty or texts.empty:
        return pd.Series(False, index=texts.index)
    marker = {e: "\x00" for e in chosen["employee_id"]}
    return mask_names(texts, chosen, marker, served_by).str.contains("\x00", regex=False).fillna(
        False).astype(bool)
