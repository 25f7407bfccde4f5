"""Does a comment say one of the things the organization wants customers to say?

A statement is a label and a list of phrases; a comment says it when it contains any of the
phrases as whole words, ignoring case and accents ("fixed it" matches "Fixed it!", not
"unfixed items").
"""

from __future__ import annotations

import re

import pandas as pd

from cxlab.text.mentions import fold


def _pattern(phrases: list[str]) -> re.Pattern:
    alternatives = sorted({re.escape(fold(p.strip())) for p in phrases}, key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)")


def says(texts: pd.Series, phrases: list[str]) -> pd.Series:
    """True where a text contains any phrase (False for a missing text)."""
    pattern = _pattern(phrases)
    return texts.map(lambda t: isinstance(t, str) and bool(pattern.search(fold(t))))


def statement_flags(texts: pd.Series, statements: list[dict]) -> pd.DataFrame:
    """One boolean column per statement label, same index as ``texts``."""
    return pd.DataFrame({s["label"]: says(texts, s["phrases"]) for s in statements},
                        index=texts.index)
