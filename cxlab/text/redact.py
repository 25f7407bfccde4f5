"""Remove personal data from free text before it reaches a report or the site.

Three kinds are removed, in this order so that no part of one is left behind by another:

* **email addresses** (which may contain digits), and any leftover ``@domain.tld``;
* **card-like numbers**: 13 to 19 digits, optionally grouped by spaces or dashes;
* **phone numbers**: 7 or more digits with an optional ``+``, spaces, dots, dashes and one
  pair of parentheses (how people write them, in any country), and any other long number.

Each is replaced by a bracketed tag (``[card]``, ``[phone]``, ``[email]``). Redaction errs on
the side of removing: any run of 7 or more digits is treated as a phone number, so order
numbers go too.
"""

from __future__ import annotations

import re

import pandas as pd

_SEP = r"[ \-\u00a0]?"
CARD = re.compile(r"(?<!\d)(?:\d" + _SEP + r"){12,18}\d(?!\d)")
PHONE = re.compile(r"(?<![\d+])\+?(?:\(\d{1,4}\)[ .\-\u00a0]?)?(?:\d[ .\-\u00a0]?){6,}\d(?!\d)")
EMAIL = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]*@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
TAGS = (("[email]", EMAIL), ("[card]", CARD), ("[phone]", PHONE))


def redact(text):
    """``text`` with emails, phone numbers and card-like numbers replaced by tags.

    Missing values (None, NaN) are returned as they are.
    """
    if text is None or (isinstance(text, float) and text != text):
        return text
    out = str(text)
    for tag, pattern in TAGS:
        out = pattern.sub(tag, out)
    return out


def redact_series(texts: pd.Series) -> pd.Series:
    """Redact every text of a Series, keeping its index and missing values."""
    return texts.map(redact, na_action="ignore")
