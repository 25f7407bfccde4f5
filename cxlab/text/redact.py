"""Remove personal data from free text before it reaches a report or the site.

Five passes, each one scan of the text (time linear in its length): bank account numbers,
card numbers written in groups, other numbers, email addresses with a sign or a bracketed
"at", then spelled-out addresses. Each find is replaced by a bracketed tag.

=============================================  ===========================================
Redacted                                       Example
=============================================  ===========================================
IBAN, grouped or not: ``[iban]``               ``GB82 WEST 1234 5698 7654 32``,
                                               ``DE89370400440532013000``
Card numbers, 13-19 digits, any separators     ``4111 1111 1111 1111``, ``4111-1111-...``,
(space, dash, dot, slash, mixed): ``[card]``   ``4111.1111.1111.1111``, ``4111/1111/...``
A valid (Luhn) card number in groups of four   ``4111_1111_1111_1111``, ``4111*1111*...``,
(the last one shorter) or 4-6-5 / 4-6-4,       ``4111,1111,...``, ``4111;...``, ``4111|...``,
also with ``_ * , ; | ~ + = #``, tabs, line    ``4111~...``, ``4111<tab>1111<tab>...``,
breaks, thin spaces or up to 4 spaces          ``4111    1111    1111    1111``,
between groups: ``[card]``                     ``4111+1111+...``, ``4111<newline>1111...``
Phone numbers: any other 7 or more digits      ``+44 7700 900123``, ``(555) 123-4567``,
written as one number: ``[phone]``             ``555.123.4567``, ``+44 (0)20 7946 0958``,
                                               ``01 23 45 67 89``, order numbers of 7+ digits
Email addresses: ``[email]``                   ``sam.taylor@example.com``, ``name @ domain.com``,
                                               ``name(at)domain.com``, ``name[@]domain[.]com``
The "at" as a fullwidth or small sign, URL-    ``zoe＠example．com``, ``zoe﹫example.com``,
encoded or an HTML entity; fullwidth and       ``zoe%40example.com``, ``zoe&#64;example.com``,
ideographic dots                               ``zoe@example。com``
Dots with spaces around, when the address      ``zoe @ example . com``,
ends in a known top-level domain               ``zoe@example. co. uk``
Spelled-out emails ending in a known           ``sam at example dot com``,
top-level domain, "dot" also as ``d0t`` or     ``zoe dot muller at example dot com``,
bracketed, in the name too (up to four         ``zoe [at] example [dot] co [dot] uk``,
parts)                                         ``zoe at example d0t com``
``name at domain.com`` when the name looks     ``sam.taylor at example.com``,
like an address (``.``, ``_``, ``+``, digits)  ``sam at gmail.com``
or the domain is a mail provider
=============================================  ===========================================

=============================================  ===========================================
Kept (ordinary text)                           Example
=============================================  ===========================================
Dates                                          ``2026-03-14``, ``14/03/2026``, ``14.03.2026``,
                                               ``3/14/26``, ``14 March 2026``, date ranges
Times and opening hours                        ``9:00-17:30``, ``09:00–17:30``, ``9am-5pm``,
                                               ``10.30``
Year ranges and round ranges                   ``1990-2000``, ``2019/2020``, ``10-12 people``,
                                               ``30000-40000``
Prices: a currency sign or code before, or     ``€1,234.56``, ``1 234 567 €``, ``EUR 1.234.567``
a sign other than ``$`` after
Any number of fewer than 7 digits              ``order 123456``, ``45 minutes``
Numbers in lists: ``_ * , ; | ~``, tabs or     ``1,234,567``, ``12; 34; 56; 78``,
3 spaces between them, unless a card           ``5   4   5   5   4``
``name at domain.com`` otherwise               ``I shop at amazon.com``
``at the dot com ...`` (an article or pronoun  ``back at the dot com boom``
where the domain would be); "@" and "dot"      ``me @ work. Thanks``, ``at home dot dot dot``
not ending in a known top-level domain
=============================================  ===========================================

Knowingly not covered:

* Kept although it may be personal: a number of 13-19 digits that fails the Luhn check and is
  written like a round range (``12345600-12345700``); a card number with ``_ * , ; | ~ + = #``,
  tabs, line breaks or 2-4 spaces that fails the Luhn check or is not in card-shaped groups
  (``4111_111111_111111``), or whose groups are 5 or more blanks apart;
  a phone number written with those separators (``0770_090_0123``); an IBAN whose letters
  are in lower case after the country code (its digits still go, as a card or phone number);
  phone numbers written with letters (``0800-FLOWERS``); postal addresses; names (see
  :func:`cxlab.text.mentions.mask_names`); ``name at domain.com`` with a plain name and an
  unknown domain (it reads like ``at amazon.com``); an address whose "at" or "dot" is
  wrapped in other marks (``zoe-at-example-dot-com``, ``zoe _at_ example``), written in
  another language (``zoe arroba example punto com``) or ending in a top-level domain not
  listed here when it is spelled out; a spelled-out name of five parts or more keeps its
  first parts.
* Removed although it may be ordinary (privacy first): any other run of 7 or more digits, such
  as two years or scores with only spaces between them (``2024 2025``, ``5 4 5 5 4 3 5``), a
  date written with spaces (``14 03 2026``), an amount with no currency sign or with the code
  after it (``1 234 567``, ``1 234 567 EUR``), a long order or ticket number; four numbers of
  four digits listed with commas or 3 spaces that happen to pass the Luhn check
  (``2019, 2020, 2021, 2022`` would be, one list in ten); a word before ``dot`` next to an
  address (``text dot zoe@example.com`` goes whole).

Every 13-19-digit number that passes the Luhn check and is written with the separators above
is a card: no date or range inside it can save its digits. Redacting twice changes nothing
more than redacting once.

Linear time: every pattern that searches the text reads a run only from its start (after a
negative lookbehind that refuses every character the run can hold), every unbounded repeat is
possessive (``++``, ``*+``), and a repeated group whose separator may begin with a space or a
letter (" dot ") is bounded, or comes where nothing can fail after it. The tests check all
three on the patterns themselves.
"""

from __future__ import annotations

import re
import unicodedata

import pandas as pd

MIN_PHONE_DIGITS = 7
CARD_DIGITS = range(13, 20)

_DASH = "\\-\u2010-\u2015"  # hyphen-minus and the Unicode hyphens and dashes
_SPACE = " \u00a0"

#: An IBAN: country code, check digits and 11-30 letters or digits, in groups of four or not.
IBAN = re.compile(
    r"(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}"
    rf"(?:[{_SPACE}-]?[A-Z0-9]{{4}}){{2,7}}(?:[{_SPACE}-]?[A-Z0-9]{{1,3}})?(?![A-Za-z0-9])")

#: Blank characters a card's groups may be spaced with: spaces of every width, tabs, a line
#: break (a number wrapped in a form's text box).
_CARD_BLANK = f"{_SPACE}\t\n\r\u2007\u2009\u200a\u202f"
#: Digit groups joined by anything a card number may be written with: 1-4 blanks, or one mark
#: (``_ * , ; | ~ . : / + = #`` or a dash) with a blank around it or not, read from a group of
#: four digits (every card shape opens with one). Only card-shaped, valid windows of such a
#: run are taken (:func:`_cards`); the rest stays for the number pass.
_CARD_SEPARATOR = (rf"(?:[{_CARD_BLANK}]{{1,4}}"
                   rf"|[{_CARD_BLANK}]?[_*,;|~.:/+=#{_DASH}][{_CARD_BLANK}]?)")
CARD = re.compile(rf"(?<!\d)\d{{4}}(?!\d)(?:{_CARD_SEPARATOR}\d++)*+")  # from a group of four
_DIGIT_GROUP = re.compile(r"\d++")
#: How cards are printed: fours with a shorter last group (13-19 digits), 4-6-5 and 4-6-4.
CARD_SHAPES = frozenset({(4, 4, 4, n) for n in range(1, 5)} | {(4, 4, 4, 4, n) for n in range(1, 4)}
                        | {(4, 6, 5), (4, 6, 4)})

#: Digit groups joined by one separator each: a dot, colon or slash; a dash (spaces around
#: allowed); a parenthesis; or one or two spaces.
_SEPARATOR = (rf"(?:[.:/]|[{_SPACE}]?[{_DASH}][{_SPACE}]?|[{_SPACE}]?\(|\)[{_SPACE}]?\(?"
              rf"|[{_SPACE}]{{1,2}})")
#: A separator's characters: at most three of them come between two digits of a number.
_GAP = rf"[.:/()\s{_DASH}]"
#: Only runs that may hold seven digits are read (the lookahead is bounded): most digits in
#: ordinary text are not looked at twice.
NUMBER = re.compile(rf"(?<!\d)(?:\+[{_SPACE}]?)?\(?(?=\d(?:{_GAP}{{0,3}}\d){{{MIN_PHONE_DIGITS - 1}}})"
                    rf"\d++(?:{_SEPARATOR}\d++)*+\)?")
_NOT_DIGITS = re.compile(r"\D++")
#: Where a run splits into words: one or two spaces between digits.
_WORD_GAP = re.compile(rf"(?<=\d)[{_SPACE}]{{1,2}}(?=\d)")

_D12 = r"(\d{1,2})"
#: One date: year first (2026-03-14) or last (14.03.2026, 3/14/26), the same separator twice.
DATE = re.compile(rf"(\d{{4}})([{_DASH}./]){_D12}\2{_D12}|{_D12}([{_DASH}./]){_D12}\6(\d{{4}}|\d{{2}})")
_TIME = r"(?:\d{1,2}[:.]\d{2}(?:[:.]\d{2})?)"
#: What joins the two ends of a range: a dash or slash, spaces around allowed.
TO = re.compile(rf"[{_SPACE}]?[{_DASH}/][{_SPACE}]?")
TIME_WORD = re.compile(rf"{_TIME}(?:{TO.pattern}{_TIME})?|\d{{1,2}}:\d{{2}}{TO.pattern}\d{{1,2}}")
RANGE_WORD = re.compile(rf"([1-9]\d{{0,6}}){TO.pattern}([1-9]\d{{0,6}})")
_LONGEST_WORD = 50  # longer words are never a date, time or range: no pattern is tried
_CURRENCY = "€$£¥₹"
_PRICE_BEFORE = re.compile(rf"(?:[{_CURRENCY}]|\b(?:EUR|USD|GBP|CHF))[{_SPACE}]?$")
#: After the amount, only signs that cannot belong to an email address ("$" and "EUR" can:
#: redacting the address would change the number's fate on a second pass).
_PRICE_AFTER = re.compile(rf"(?:,\d{{1,2}})?[{_SPACE}]?[€£¥₹]")

TOP_LEVEL_DOMAINS = frozenset("""
com org net edu gov mil int info biz io co me app dev uk de fr es it nl be ch at ie eu us ca au
nz in jp cn se no dk fi pl pt br mx ar ru za gr cz hu ro tr il sg hk kr tw ai tv ly gg xyz
online shop store site tech club email cloud digital agency studio blog news is lu li lt lv ee
sk si hr bg rs ua by is mt cy ae sa qa ng ke gh eg ma cl pe ve uy id my ph th vn pk bd lk np
""".split())
MAIL_PROVIDERS = frozenset("""
gmail googlemail yahoo ymail hotmail outlook live msn icloud me mac aol gmx web proton
protonmail mail yandex zoho btinternet sky virginmedia orange free laposte wanadoo t-online
""".split())
_NOT_A_DOMAIN = frozenset("the a an this that these those my your our their his her its".split())

#: Our own tags, so that an address whose digits already went is still taken whole.
_TAG = r"\[(?:phone|card|iban|email)\]"
#: What the name part of an address may hold. "%40" and "&#64;" are an "at", not part of it.
_LOCAL = rf"(?:[\w.!#$'*+/=?^`~-]|%(?!40)|&(?!#0{{0,3}}64;|#x0{{0,3}}40;|commat;)|{_TAG})"
#: Refuses to start a name part inside one: every character it can hold, and a tag's end.
_NOT_IN_A_NAME = r"(?<![\w.!#$%&'*+/=?^`~\]-])"
_LABEL = r"(?:[\w-]|\[(?:phone|card|iban)\])++"  # an address already tagged ends a domain
_OPEN, _CLOSE = r"[\[({<]", r"[\])}>]"
_INVISIBLE = "\u200b-\u200d\u2060\ufeff\u00ad"  # zero-width characters and the soft hyphen
_AT_SIGN = r"(?:[@\uff20\ufe6b]|%40|&#0{0,3}64;|&#x0{0,3}40;|&commat;)"
_AT = (rf"(?:[\s{_INVISIBLE}]{{0,3}}{_AT_SIGN}[\s{_INVISIBLE}]{{0,3}}"
       rf"|\s{{0,3}}{_OPEN}\s?(?:at|@)\s?{_CLOSE}\s{{0,3}})")
_DOT_SIGN = r"[.\uff0e\u3002\uff61\ufe52]"  # full stop, fullwidth, ideographic, small
#: "dot" spelled out (or "d0t"), with spaces around it or in brackets, or a bracketed dot.
_SPELLED_DOT = (r"(?:[ \t]{1,3}d[o0]t[ \t]{1,3}"
                rf"|\s{{0,3}}{_OPEN}\s?(?:d[o0]t|\.)\s?{_CLOSE}\s{{0,3}})")
_SPACED_DOT = rf"(?:[ \t]{{1,3}}{_DOT_SIGN}[ \t]{{0,3}}|{_DOT_SIGN}[ \t]{{1,3}})"


def _trie(words: set[str] | frozenset[str]) -> str:
    """A pattern matching any of ``words``, as a tree of first letters.

    A long list of plain alternatives is tried one by one; a tree in a few steps.
    """
    heads: dict[str, set[str]] = {}
    for word in words:
        heads.setdefault(word[0], set()).add(word[1:])
    branches = []
    for head, tails in sorted(heads.items()):
        longer = {t for t in tails if t}
        rest = _trie(longer) if longer else ""
        branches.append(re.escape(head) + (f"(?:{rest})?" if rest and "" in tails else rest))
    return branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"


_TLD = _trie(TOP_LEVEL_DOMAINS) + r"(?![\w-])"
_ANY_DOT = rf"(?:{_DOT_SIGN}|%2e|{_SPELLED_DOT}|{_SPACED_DOT})"
#: A dot with spaces around it counts only when the address ends in a known top-level
#: domain within a few labels ("zoe @ example . com", not "me @ work. Thanks").
_CHECKED_SPACED_DOT = rf"{_SPACED_DOT}(?=(?:[\w-]++{_ANY_DOT}){{0,3}}{_TLD})"
#: A name part: one run, or up to four joined by a spelled-out dot ("zoe dot muller").
_NAME = rf"{_LOCAL}++(?:{_SPELLED_DOT}{_LOCAL}++){{0,3}}"
#: An address with an "at" sign (or a bracketed "at"). The name part is read only from its
#: start, and may be missing: what is left of an address whose name went with a number
#: still goes.
EMAIL = re.compile(
    rf"(?:{_NOT_IN_A_NAME}(?P<local>{_NAME}))?+{_AT}"
    rf"{_LABEL}(?:(?:{_DOT_SIGN}|%2e|{_SPELLED_DOT}|{_CHECKED_SPACED_DOT}){_LABEL})++",
    re.IGNORECASE)
#: "name at domain dot com" or "name at domain.com", ending in a known top-level domain
#: (the domain has at most six labels): kept or redacted by :func:`_spelled`.
SPELLED_EMAIL = re.compile(
    rf"{_NOT_IN_A_NAME}(?P<local>{_NAME})[ \t]{{1,3}}at[ \t]{{1,3}}"
    rf"(?P<domain>{_LABEL}(?:{_ANY_DOT}{_LABEL}){{0,4}}{_ANY_DOT}{_TLD})",
    re.IGNORECASE)
#: Cheap searches that tell whether a pass can find anything at all (most texts hold no "@").
_AT_HINT = re.compile(rf"[@\uff20\ufe6b]|%40|&#|&commat;|{_OPEN}\s?(?:at|@)\s?{_CLOSE}", re.IGNORECASE)
_SPELLED_AT_HINT = re.compile(r"[ \t]at[ \t]", re.IGNORECASE)
_SPELLED_OR_SPACED = re.compile(rf"{_SPELLED_DOT}|{_SPACED_DOT}", re.IGNORECASE)
_SPLIT_LABELS = re.compile(_ANY_DOT, re.IGNORECASE)
_LEADING_MARKS = re.compile(r"[^\w\[]*+")


_DOUBLED = str.maketrans("0123456789", "0246813579")  # a digit doubled, its digits added


def luhn_valid(digits: str) -> bool:
    """Whether a string of digits passes the Luhn check that card numbers carry."""
    if not digits.isascii():
        digits = "".join(str(int(c)) for c in digits)  # other scripts' digits
    backwards = digits[::-1]
    total = sum(map(int, backwards[::2])) + sum(map(int, backwards[1::2].translate(_DOUBLED)))
    return total % 10 == 0


def _iban(match: re.Match) -> str:
    found = match.group()
    last = max(i for i, c in enumerate(found) if c.isdigit())
    end = last + 1
    while end < len(found) and found[end].isalnum():
        end += 1  # a trailing word in capitals, caught as a group of four, is given back
    body = re.sub(rf"[{_SPACE}-]", "", found[:end])
    if len(body) < 15 or sum(c.isdigit() for c in body) < 12:
        return found  # too short or too few digits for an account; the number pass decides
    return "[iban]" + found[end:]


def _cards(match: re.Match) -> str:
    """Every card-shaped, valid window of a run of digit groups, as ``[card]``."""
    run = match.group()
    if len(run) < 15:  # three groups at least: 13 digits and two separators
        return run
    groups = _DIGIT_GROUP.findall(run)
    lengths = list(map(len, groups))
    if 4 not in lengths:  # every card shape opens with four digits
        return run
    found, i, n = [], 0, len(groups)  # (first group, last group + 1) of each card
    while i < n:
        if lengths[i] == 4:
            for end in range(min(i + 5, n), i + 2, -1):  # the longest window first
                if tuple(lengths[i:end]) in CARD_SHAPES and luhn_valid("".join(groups[i:end])):
                    found.append((i, end))
                    i = end - 1
                    break
        i += 1
    if not found:
        return run
    spans = [g.span() for g in _DIGIT_GROUP.finditer(run)]
    out, position = [], 0
    for first, end in found:
        out += [run[position:spans[first][0]], "[card]"]
        position = spans[end - 1][1]
    out.append(run[position:])
    return "".join(out)


def _valid_date(m: re.Match) -> bool:
    if m.group(1):  # year first
        year, month, day = int(m.group(1)), int(m.group(3)), int(m.group(4))
        return 1000 <= year <= 2999 and 1 <= month <= 12 and 1 <= day <= 31
    a, b = int(m.group(5)), int(m.group(7))  # day and month, in either order
    return 1 <= a <= 31 and 1 <= b <= 31 and min(a, b) <= 12


def _is_date(word: str) -> bool:
    """A date, or two joined by a dash or slash (``14.03.2026-15.03.2026``)."""
    first = DATE.match(word)
    if not first or not _valid_date(first):
        return False
    if first.end() == len(word):
        return True
    to = TO.match(word, first.end())
    second = DATE.fullmatch(word, to.end()) if to else None
    return second is not None and _valid_date(second)


def _is_time(word: str) -> bool:
    if not TIME_WORD.fullmatch(word):
        return False
    return all(int(h) <= 24 and int(m) < 60 for h, m in re.findall(r"(\d+)[:.](\d+)", word))


def _is_range(word: str) -> bool:
    m = RANGE_WORD.fullmatch(word)
    if not m:
        return False
    a, b = m.group(1), m.group(2)
    if len(a) == 4 and 1000 <= int(a) <= 2999 and (len(b) == 2 or len(b) == 4):
        later = int(b) if len(b) == 4 else int(a[:2] + b)
        return later > int(a)  # years: 1990-2000, 2019/20
    return int(a) < int(b) and a.endswith("00") and b.endswith("00")  # 30000-40000


def _kind(word: str) -> str:
    """``strong`` (a date or time), ``weak`` (a range) or ``plain`` (could be a number)."""
    if word.isdigit() or len(word) > _LONGEST_WORD:
        return "plain"
    if _is_date(word) or _is_time(word):
        return "strong"
    return "weak" if _is_range(word) else "plain"


def _digits(text: str) -> int:
    return len(_NOT_DIGITS.sub("", text))


def _tag(run: str, digits: int) -> str:
    if digits in CARD_DIGITS and "+" not in run and "(" not in run:
        return "[card]"
    return "[phone]" if digits >= MIN_PHONE_DIGITS else run


def _number(match: re.Match) -> str:
    """A run of digit groups with dates, times, ranges and short numbers kept, the rest tagged."""
    run = match.group()
    if len(run) < MIN_PHONE_DIGITS:
        return run  # too short to hold seven digits: most runs, answered at once
    digits = _NOT_DIGITS.sub("", run)
    if len(digits) < MIN_PHONE_DIGITS:
        return run
    if len(digits) in CARD_DIGITS and luhn_valid(digits):
        return _tag(run, len(digits))  # a card, whatever dates or ranges it seems to hold
    text, start, end = match.string, match.start(), match.end()
    if len(digits) <= 12 and (_PRICE_BEFORE.search(text, max(0, start - 4), start)
                              or _PRICE_AFTER.match(text, end)):
        return run
    # Words: the parts of the run between separators that are only spaces.
    cuts = [0, *(i for gap in _WORD_GAP.finditer(run) for i in gap.span()), len(run)]
    words = [run[cuts[k]:cuts[k + 1]] for k in range(0, len(cuts), 2)]
    gaps = [run[cuts[k]:cuts[k + 1]] for k in range(1, len(cuts) - 1, 2)]
    kinds = [_kind(w) for w in words]
    for i, kind in enumerate(kinds):  # a range beside a number may be part of it
        if kind == "weak" and any(0 <= k < len(words) and kinds[k] == "plain"
                                  and _digits(words[k]) >= 3 for k in (i - 1, i + 1)):
            kinds[i] = "plain"
    out, i = [], 0
    while i < len(words):  # consecutive plain words are one number; the rest stays as it is
        j = i + 1
        if kinds[i] == "plain":
            while j < len(words) and kinds[j] == "plain":
                j += 1
            joined = "".join(w + g for w, g in zip(words[i:j], gaps[i:j - 1] + [""], strict=True))
            out.append(_tag(joined, _digits(joined)))
        else:
            out.append(words[i])
        if j <= len(gaps):
            out.append(gaps[j - 1])
        i = j
    return "".join(out)


def _kept_marks(local: str | None) -> str:
    """Marks before the name part ("'zoe@..."): a quote or bracket stays outside the tag."""
    marks = _LEADING_MARKS.match(local) if local else None
    return marks.group() if marks else ""


def _email(match: re.Match) -> str:
    return _kept_marks(match.group("local")) + "[email]"


def _tld(label: str) -> str:
    return unicodedata.normalize("NFKC", label).lower()


def _spelled(match: re.Match) -> str:
    """``[email]`` for a spelled-out address, the text itself when it reads as ordinary words."""
    local, domain = match.group("local"), match.group("domain")
    labels = _SPLIT_LABELS.split(domain)
    if _SPELLED_OR_SPACED.search(domain) or _SPELLED_OR_SPACED.search(local):
        if labels[0].lower() not in _NOT_A_DOMAIN:  # "at the dot com" is not an address
            return _kept_marks(local) + "[email]"
        return match.group()
    if re.search(r"[._+\d]", local) or _tld(labels[0]) in MAIL_PROVIDERS:
        return _kept_marks(local) + "[email]"
    return match.group()


def redact(text):
    """``text`` with IBANs, card numbers, phone numbers and email addresses replaced by tags.

    Missing values (None, NaN) are returned as they are. See the module for what is covered.
    """
    if text is None or (isinstance(text, float) and text != text):
        return text
    text = str(text)
    if _DIGIT_GROUP.search(text):
        text = IBAN.sub(_iban, text)
        text = CARD.sub(_cards, text)
        text = NUMBER.sub(_number, text)
    if _AT_HINT.search(text):
        text = EMAIL.sub(_email, text)
    if _SPELLED_AT_HINT.search(text):
        text = SPELLED_EMAIL.sub(_spelled, text)
    return text


def redact_series(texts: pd.Series) -> pd.Series:
    """Redact every text of a Series, keeping its index and missing values."""
    return texts.map(redact, na_action="ignore")
