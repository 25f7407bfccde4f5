"""Sentiment of short texts with VADER (Hutto and Gilbert, 2014), fully offline.

VADER's lexicon ships inside the ``vaderSentiment`` package; nothing is downloaded. The
compound score runs from -1 (most negative) to +1; by VADER's own convention a text is
positive from 0.05 and negative from -0.05.
"""

from __future__ import annotations

import re
from functools import lru_cache

import pandas as pd

POSITIVE, NEGATIVE = 0.05, -0.05
_SENTENCES = re.compile(r"(?<=[.!?])\s+|\n+")


@lru_cache(maxsize=1)
def _analyzer():
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def score(text) -> float:
    """VADER compound score of one text (0.0 for a missing or empty text)."""
    if not isinstance(text, str) or not text.strip():
        return 0.0
    return float(_analyzer().polarity_scores(text)["compound"])


def scores(texts: pd.Series) -> pd.Series:
    """Compound score of every text, same index (NaN where the text is missing)."""
    return texts.map(score, na_action="ignore").astype(float)


def label(value: float) -> str:
    """``positive``, ``negative`` or ``neutral`` by VADER's thresholds."""
    return "positive" if value >= POSITIVE else "negative" if value <= NEGATIVE else "neutral"


def sentence_with(text: str, word: str) -> str:
    """The sentence of ``text`` that contains ``word`` (the whole text if none does)."""
    for sentence in _SENTENCES.split(text):
        if word in sentence:
            return sentence
    return text
