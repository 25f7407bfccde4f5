"""Themes in free text: a configurable list of themes, and topics discovered from the text.

* **Themes**: a theme is a name and a list of phrases; a comment is about the theme when it
  contains one of them (whole words, case and accents ignored; see ``statements.phrase_flags``).
* **Topics**: non-negative matrix factorization (scikit-learn NMF, seeded) of the TF-IDF
  matrix of the comments' words (letters only; English stop words removed). Each comment goes
  to its strongest topic; a topic is named by its top words.
"""

from __future__ import annotations

import pandas as pd

from cxlab.text.statements import phrase_flags

#: Default themes for employee "why" comments (a client can set its own: employee_themes).
EMPLOYEE_THEMES = {
    "tools and systems": ["tool", "tools", "crm", "system", "systems", "slow", "software"],
    "targets and workload": ["call counts", "judged on", "target", "targets", "workload"],
    "being heard": ["acts on", "acted on", "heard", "listen", "surveys", "what we say"],
    "customer connection": ["customer feedback", "customers feel", "matters to customers",
                            "customer's history"],
    "training": ["training", "learn", "coaching"],
}


def theme_flags(texts: pd.Series, themes: dict[str, list[str]]) -> pd.DataFrame:
    """One boolean column per theme, same index as ``texts``."""
    return phrase_flags(texts, themes)


def discover_topics(texts: pd.Series, n_topics: int = 4, n_words: int = 5, seed: int = 0
                    ) -> tuple[pd.DataFrame, pd.Series]:
    """``(topics, assignment)``: the topics' top words and sizes, and each text's topic.

    Raises:
        ValueError: with fewer than ``3 * n_topics`` non-empty texts, or when the texts share
            too few words to factorize.
    """
    from sklearn.decomposition import NMF
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = texts.dropna().astype(str)
    texts = texts[texts.str.strip() != ""]
    if len(texts) < 3 * n_topics:
        raise ValueError(f"{len(texts)} comments are too few to find {n_topics} topics "
                         f"(need at least {3 * n_topics})")
    # Words of letters only: digits (phone numbers, ids, labels) never name a topic.
    vectorizer = TfidfVectorizer(stop_words="english", min_df=2,
                                 token_pattern=r"(?u)\b[^\W\d_]{2,}\b")
    try:
        matrix = vectorizer.fit_transform(texts)
    except ValueError as err:  # every word is a stop word or appears once
        raise ValueError(f"the comments share too few words to find topics ({err})") from None
    n_topics = min(n_topics, matrix.shape[1])
    model = NMF(n_components=n_topics, init="nndsvda", random_state=seed, max_iter=500)
    weights = model.fit_transform(matrix)
    words = vectorizer.get_feature_names_out()
    assignment = pd.Series(weights.argmax(axis=1), index=texts.index)
    topics = pd.DataFrame({
        "topic": range(n_topics),
        "top_words": [", ".join(words[i] for i in comp.argsort()[::-1][:n_words])
                      for comp in model.components_],
        "n": assignment.value_counts().reindex(range(n_topics), fill_value=0).to_numpy(),
    })
    return topics, assignment
