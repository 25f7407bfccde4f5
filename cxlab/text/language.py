"""Which language a comment is written in, fully offline (py3langid).

py3langid (a maintained fork of langid.py, Lui and Baldwin 2012) ships its model, 97
languages, inside the package: nothing is downloaded. Its naive Bayes over byte n-grams is
fast (about 0.1 ms a comment) and accurate on sentences, but a word or two is not enough to
tell a language by: "Too slow" comes out Somali, "Merci Anne" Latin. So a text is
:data:`UNDETERMINED` rather than guessed when

* it has fewer than :data:`MIN_WORDS` words (letters only: numbers and ids are no evidence), or
* the detector's probability for its best language (normalized over all 97) is below
  :data:`MIN_CONFIDENCE`.

Texts are detected once per distinct text (a report's comments repeat a lot).
"""

from __future__ import annotations

import re
from functools import lru_cache

import pandas as pd

#: The code of a text too short, or too mixed, to tell its language (ISO 639-2 "und").
UNDETERMINED = "und"
#: Fewest words a text needs before its language is judged.
MIN_WORDS = 3
#: Least probability of the best language for it to be taken.
MIN_CONFIDENCE = 0.5
_WORD = re.compile(r"[^\W\d_]+")

#: Names of the languages a report is likely to meet; others are shown by their code.
NAMES = {
    "en": "English", "es": "Spanish", "fr": "French", "de": "German", "it": "Italian",
    "pt": "Portuguese", "nl": "Dutch", "sv": "Swedish", "da": "Danish", "no": "Norwegian",
    "fi": "Finnish", "pl": "Polish", "cs": "Czech", "tr": "Turkish", "ru": "Russian",
    "uk": "Ukrainian", "el": "Greek", "ar": "Arabic", "he": "Hebrew", "hi": "Hindi",
    "zh": "Chinese", "ja": "Japanese", "ko": "Korean", "ca": "Catalan", "ro": "Romanian",
    "hu": "Hungarian", UNDETERMINED: "undetermined (too short or mixed to tell)",
}


@lru_cache(maxsize=1)
def _identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def words(text: str) -> list[str]:
    """The words of ``text`` (runs of letters), in lower case."""
    return [w.lower() for w in _WORD.findall(text)]


def detect(text: object) -> str | None:
    """ISO 639-1 code of ``text``'s language, :data:`UNDETERMINED`, or None for no text."""
    if not isinstance(text, str) or not text.strip():
        return None
    if len(words(text)) < MIN_WORDS:
        return UNDETERMINED
    code, probability = _identifier().classify(text)
    return code if probability >= MIN_CONFIDENCE else UNDETERMINED


def detect_all(texts: pd.Series) -> pd.Series:
    """:func:`detect` of every text, same index (None where the text is missing)."""
    distinct = {}
    codes = []
    for text in texts:
        if isinstance(text, str) and text not in distinct:
            distinct[text] = detect(text)
        codes.append(distinct[text] if isinstance(text, str) else None)
    return pd.Series(codes, index=texts.index, dtype=object)


def name(code: str | None) -> str:
    """A language's name for a report (its code when it has none here)."""
    return "no text" if code is None else NAMES.get(code, code)
