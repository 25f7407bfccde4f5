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


def _folded(texts: pd.Series) -> pd.Series:
    return texts.map(lambda t: fold(t) if isinstance(t, str) else None)


def _matches(folded: pd.Series, pattern: re.Pattern) -> pd.Series:
    return folded.map(lambda t: t is not None and bool(pattern.search(t))).astype(bool)


def says(texts: pd.Series, phrases: list[str]) -> pd.Series:
    """True where a text contains any phrase (False for a missing text)."""
    return _matches(_folded(texts), _pattern(phrases))


def phrase_flags(texts: pd.Series, phrases: dict[str, list[str]]) -> pd.DataFrame:
    """One boolean column per label of ``phrases``: does each text say one of its phrases?"""
    folded = _folded(texts)  # once for all labels
    return pd.DataFrame({label: _matches(folded, _pattern(p)) for label, p in phrases.items()},
                        index=texts.index)


def statement_flags(texts: pd.Series, statements: list[dict]) -> pd.DataFrame:
    """One boolean column per statement label, same index as ``texts``."""
    return phrase_flags(texts, {s["label"]: s["phrases"] for s in statements})
