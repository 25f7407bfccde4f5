"""Remove personal data from free text before it reaches a report or the site.

Long numbers go first, then email addresses, so that no part of one is left behind:

* **card-like numbers**: 13 to 19 digits, optionally grouped by spaces or dashes;
* **phone numbers**: any other run of 7 or more digits, with an optional ``+``, spaces, dots,
  dashes and parentheses (how people write them, in any country);
* **email addresses**, including what is left of one whose digits went with a number
  (``@domain.tld``).

Each is replaced by a bracketed tag (``[card]``, ``[phone]``, ``[email]``). Redaction errs on
the side of removing: any run of 7 or more digits is treated as a phone number, so order
numbers go too.
"""

from __future__ import annotations

import re

import pandas as pd

#: A run of digits joined by at most two separators (spaces, dots, dashes, parentheses).
DIGIT_RUN = re.compile(r"(?<![\d+])[+(]?\d(?:[ .\-\u00a0()]{0,2}\d)+\)?")
MIN_PHONE_DIGITS = 7
CARD_DIGITS = range(13, 20)
EMAIL = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]*@[\w-]+(?:\.[\w-]+)+", re.UNICODE)


def _number(match: re.Match) -> str:
    """``[card]`` for 13-19 plain digits, ``[phone]`` for any other run of 7 or more."""
    run = match.group()
    digits = sum(c.isdigit() for c in run)
    if digits in CARD_DIGITS and not any(c in run for c in "+()."):
        return "[card]"
    return "[phone]" if digits >= MIN_PHONE_DIGITS else run


def redact(text):
    """``text`` with emails, phone numbers and card-like numbers replaced by tags.

    Missing values (None, NaN) are returned as they are.
    """
    if text is None or (isinstance(text, float) and text != text):
        return text
    return EMAIL.sub("[email]", DIGIT_RUN.sub(_number, str(text)))


def redact_series(texts: pd.Series) -> pd.Series:
    """Redact every text of a Series, keeping its index and missing values."""
    return texts.map(redact, na_action="ignore")
