"""Sentiment of short texts with VADER (Hutto and Gilbert, 2014), fully offline.

VADER's lexicon ships inside the ``vaderSentiment`` package; nothing is downloaded. The
compound score runs from -1 (most negative) to +1; by VADER's own convention a text is
positive from 0.05 and negative from -0.05.

VADER knows English only: scored by it, a Spanish or French comment comes out near 0.0, which
reads as neutral. So texts of unknown language go through :func:`assess` (and :func:`scores`,
built on it): a text is scored only when its language is one the model covers
(:data:`COVERED`, detected by :mod:`cxlab.text.language`). Others get no score (NaN) and the
tone :data:`NOT_SCORED`, counted by language, never 0.0. A text too short to tell its language
(a word or two) is scored only when one of its words is in VADER's English lexicon ("Great",
"Too slow"); otherwise ("Muy bueno", "Danke Anna") it is not scored either. :func:`score`
itself is the bare English scorer, for text already known to be English.
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np
import pandas as pd

from cxlab.text import language

POSITIVE, NEGATIVE = 0.05, -0.05
#: Languages the sentiment model scores (ISO 639-1).
COVERED = frozenset({"en"})
#: The tone of a text in a language the model does not cover.
NOT_SCORED = "not scored (language)"
_SENTENCES = re.compile(r"(?<=[.!?])\s+|\n+")


@lru_cache(maxsize=1)
def _analyzer():
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def score(text: object) -> float:
    """VADER compound score of one text (0.0 for a missing or empty text)."""
    if not isinstance(text, str) or not text.strip():
        return 0.0
    return float(_analyzer().polarity_scores(text)["compound"])


def covered(text: str, code: str | None) -> bool:
    """Whether the model can score ``text``, whose detected language is ``code``."""
    if code in COVERED:
        return True
    if code != language.UNDETERMINED:
        return False
    lexicon = _analyzer().lexicon
    return any(w in lexicon for w in language.words(text))


def assess(texts: pd.Series) -> pd.DataFrame:
    """Language, score and tone of every text, same index; each distinct text done once.

    Columns: ``language`` (a code, see :mod:`cxlab.text.language`), ``score`` (NaN where the
    text is missing or its language is not covered) and ``tone`` (positive, negative,
    neutral, :data:`NOT_SCORED`, or None for no text).
    """
    codes = language.detect_all(texts)
    distinct = {}
    for text, code in zip(texts, codes, strict=True):
        if isinstance(text, str) and text not in distinct:
            distinct[text] = score(text) if covered(text, code) else np.nan
    values = texts.map(distinct, na_action="ignore").astype(float)
    tone = [label(v) if isinstance(text, str) and text.strip() else None
            for v, text in zip(values, texts, strict=True)]
    return pd.DataFrame({"language": codes, "score": values,
                         "tone": pd.Series(tone, index=texts.index, dtype=object)},
                        index=texts.index)


def scores(texts: pd.Series) -> pd.Series:
    """Compound score of every text, same index.

    NaN where the text is missing or in a language the model does not cover (see
    :func:`assess`).
    """
    return assess(texts)["score"]


def label(value: float) -> str:
    """``positive``, ``negative`` or ``neutral`` by VADER's thresholds.

    :data:`NOT_SCORED` for no score (NaN), never neutral.
    """
    if value != value:  # NaN: not scored, never neutral
        return NOT_SCORED
    return "positive" if value >= POSITIVE else "negative" if value <= NEGATIVE else "neutral"


def sentence_with(text: str, word: str) -> str:
    """The sentence of ``text`` that contains ``word`` (the whole text if none does)."""
    for sentence in _SENTENCES.split(text):
        if word in sentence:
            return sentence
    return text
