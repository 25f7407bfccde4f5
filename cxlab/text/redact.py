"""Remove personal data from free text before it reaches a report or the site.

Three passes, each one scan of the text (time linear in its length): bank account numbers,
then numbers, then email addresses. Each find is replaced by a bracketed tag.

=============================================  ===========================================
Redacted                                       Example
=============================================  ===========================================
IBAN, grouped or not: ``[iban]``               ``GB82 WEST 1234 5698 7654 32``,
                                               ``DE89370400440532013000``
Card numbers, 13-19 digits, any separators     ``4111 1111 1111 1111``, ``4111-1111-...``,
(space, dash, dot, slash, mixed): ``[card]``   ``4111.1111.1111.1111``, ``4111/1111/...``
Phone numbers: any other 7 or more digits      ``+44 7700 900123``, ``(555) 123-4567``,
written as one number: ``[phone]``             ``555.123.4567``, ``+44 (0)20 7946 0958``,
                                               ``01 23 45 67 89``, order numbers of 7+ digits
Email addresses: ``[email]``                   ``sam.taylor@example.com``, ``name @ domain.com``,
                                               ``name(at)domain.com``,
                                               ``name [at] domain [dot] com``
Spelled-out emails ending in a known           ``sam at example dot com``
top-level domain
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
``name at domain.com`` otherwise               ``I shop at amazon.com``
``at the dot com ...`` (an article or pronoun  ``back at the dot com boom``
where the domain would be)
=============================================  ===========================================

Knowingly not covered:

* Kept although it may be personal: a number of 13-19 digits that fails the Luhn check and is
  written like a round range (``12345600-12345700``); an IBAN whose letters are in lower case
  after the country code (its digits still go, as a card or phone number); phone numbers
  written with letters (``0800-FLOWERS``); postal addresses; names (see
  :func:`cxlab.text.mentions.mask_names`); ``name at domain.com`` with a plain name and an
  unknown domain (it reads like ``at amazon.com``).
* Removed although it may be ordinary (privacy first): any other run of 7 or more digits, such
  as two years or scores with only spaces between them (``2024 2025``, ``5 4 5 5 4 3 5``), a
  date written with spaces (``14 03 2026``), an amount with no currency sign or with the code
  after it (``1 234 567``, ``1 234 567 EUR``), a long order or ticket number.

Every 13-19-digit number that passes the Luhn check, however written, is a card: no date or
range inside it can save its digits. Redacting twice changes nothing more than redacting once.
"""

from __future__ import annotations

import re

import pandas as pd

MIN_PHONE_DIGITS = 7
CARD_DIGITS = range(13, 20)

_DASH = "\\-\u2010-\u2015"  # hyphen-minus and the Unicode hyphens and dashes
_SPACE = " \u00a0"

#: An IBAN: country code, check digits and 11-30 letters or digits, in groups of four or not.
IBAN = re.compile(
    r"(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}"
    rf"(?:[{_SPACE}-]?[A-Z0-9]{{4}}){{2,7}}(?:[{_SPACE}-]?[A-Z0-9]{{1,3}})?(?![A-Za-z0-9])")

# Linear time: every pattern that searches the text reads a run only from its start (after a
# negative lookbehind), so no attempt starts inside a run another attempt has already read, and
# every unbounded repeat is possessive (``++``, ``*+``): once read, a run is never read again.
# The tests check both.

#: Digit groups joined by one separator each: a dot, colon or slash; a dash (spaces around
#: allowed); a parenthesis; or one or two spaces.
_SEPARATOR = (rf"(?:[.:/]|[{_SPACE}]?[{_DASH}][{_SPACE}]?|[{_SPACE}]?\(|\)[{_SPACE}]?\(?"
              rf"|[{_SPACE}]{{1,2}})")
NUMBER = re.compile(rf"(?<!\d)(?:\+[{_SPACE}]?)?\(?\d++(?:{_SEPARATOR}\d++)*+\)?")
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

#: Our own tags, so that an address whose digits already went is still taken whole.
_TAG = r"\[(?:phone|card|iban|email)\]"
_LOCAL = rf"(?:[\w.!#$%&'*+/=?^`~-]|{_TAG})"
_LABEL = rf"(?:[\w-]|{_TAG})++"
_OPEN, _CLOSE = r"[\[({<]", r"[\])}>]"
_AT = rf"(?:\s{{0,3}}@\s{{0,3}}|\s{{0,3}}{_OPEN}\s?at\s?{_CLOSE}\s{{0,3}})"
_DOT = rf"(?:\.|\s{{0,3}}{_OPEN}\s?dot\s?{_CLOSE}\s{{0,3}}|[ \t]{{1,3}}dot[ \t]{{1,3}})"
#: An address with "@" or a bracketed "(at)". The name part is read only from its start, and
#: may be missing: what is left of an address whose name went with a number still goes.
EMAIL = re.compile(
    rf"(?:(?<![\w.!#$%&'*+/=?^`~\]-]){_LOCAL}++)?+{_AT}{_LABEL}(?:{_DOT}{_LABEL})++",
    re.IGNORECASE)
_SPELLED_DOT = rf"(?:[ \t]{{1,3}}dot[ \t]{{1,3}}|\s{{0,3}}{_OPEN}\s?dot\s?{_CLOSE}\s{{0,3}})"
#: "name at domain dot com" or "name at domain.com": kept or redacted by :func:`_spelled`.
SPELLED_EMAIL = re.compile(
    rf"(?<![\w.+\]-])(?P<local>{_LOCAL}++)[ \t]{{1,3}}at[ \t]{{1,3}}(?P<domain>{_LABEL}"
    rf"(?:(?:\.|{_SPELLED_DOT}){_LABEL})++)", re.IGNORECASE)
TOP_LEVEL_DOMAINS = frozenset("""
com org net edu gov mil int info biz io co me app dev uk de fr es it nl be ch at ie eu us ca au
nz in jp cn se no dk fi pl pt br mx ar ru za gr cz hu ro tr il sg hk kr tw
""".split())
MAIL_PROVIDERS = frozenset("""
gmail googlemail yahoo ymail hotmail outlook live msn icloud me mac aol gmx web proton
protonmail mail yandex zoho btinternet sky virginmedia orange free laposte wanadoo t-online
""".split())
_NOT_A_DOMAIN = frozenset("the a an this that these those my your our their his her its".split())


def luhn_valid(digits: str) -> bool:
    """Whether a string of digits passes the Luhn check that card numbers carry."""
    total = 0
    for i, c in enumerate(reversed(digits)):
        d = int(c) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
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
    return bool(second) and _valid_date(second)


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


def _spelled(match: re.Match) -> str:
    """``[email]`` for a spelled-out address, the text itself when it reads as ordinary words."""
    local, domain = match.group("local"), match.group("domain")
    labels = re.split(rf"\.|{_SPELLED_DOT}", domain, flags=re.IGNORECASE)
    if len(labels) > domain.count(".") + 1:  # "dot" written out
        if labels[-1].lower() in TOP_LEVEL_DOMAINS and labels[0].lower() not in _NOT_A_DOMAIN:
            return "[email]"
        return match.group()
    if re.search(r"[._+\d]", local) or labels[0].lower() in MAIL_PROVIDERS:
        return "[email]"
    return match.group()


def redact(text):
    """``text`` with IBANs, card numbers, phone numbers and email addresses replaced by tags.

    Missing values (None, NaN) are returned as they are. See the module for what is covered.
    """
    if text is None or (isinstance(text, float) and text != text):
        return text
    text = IBAN.sub(_iban, str(text))
    text = NUMBER.sub(_number, text)
    text = EMAIL.sub("[email]", text)
    return SPELLED_EMAIL.sub(_spelled, text)


def redact_series(texts: pd.Series) -> pd.Series:
    """Redact every text of a Series, keeping its index and missing values."""
    return texts.map(redact, na_action="ignore")
