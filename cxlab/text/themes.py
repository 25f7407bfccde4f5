"""Themes in free text: a configurable list of themes, and topics discovered from the text.

* **Themes**: a theme is a name and a list of phrases; a comment is about the theme when it
  contains one of them (whole words, case and accents ignored; see ``statements.phrase_flags``).
  Employee and customer comments have their own default lists (a client can set its own:
  ``employee_themes``, ``customer_themes``) and share :func:`theme_summary`: how often each
  theme comes up, with a Wilson interval, and in what tone (sentiment of the comments the
  model can score, :func:`cxlab.text.sentiment.assess`; the others are counted apart).
* **Topics**: non-negative matrix factorization (scikit-learn NMF, seeded) of the TF-IDF
  matrix of the comments' words (letters only; English stop words removed). Each comment goes
  to its strongest topic; a topic is named by its top words.
"""

from __future__ import annotations

import pandas as pd

from cxlab import metrics
from cxlab.text import sentiment
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


#: Default themes for customer comments (a client can set its own: customer_themes). English
#: phrases: a theme is found in the words of the comment, so comments in other languages are
#: only found by phrases in their language (a client can add them).
CUSTOMER_THEMES = {
    "wait and speed": ["wait", "waited", "waiting", "on hold", "slow", "quick", "quickly",
                       "fast", "took a while", "took ages", "delay", "delayed", "late"],
    "resolution": ["fixed", "solved", "resolved", "sorted", "first time", "one call",
                   "still not fixed", "not fixed", "explain my problem", "called me back",
                   "call back"],
    "staff courtesy and knowledge": ["friendly", "helpful", "rude", "polite", "rushed",
                                     "knowledgeable", "knew", "know me", "staff", "agent",
                                     "brilliant", "patient"],
    "price and billing": ["price", "prices", "bill", "billing", "billed", "charge", "charged",
                          "fee", "fees", "refund", "invoice", "expensive", "cost"],
    "product quality": ["quality", "broken", "faulty", "defect", "damaged", "works well",
                        "stopped working", "product"],
    "ease and digital": ["easy", "easy to deal with", "smooth", "app", "website", "online",
                         "login", "log in", "portal", "clearer", "confusing"],
}


def theme_flags(texts: pd.Series, themes: dict[str, list[str]]) -> pd.DataFrame:
    """One boolean column per theme, same index as ``texts``."""
    return phrase_flags(texts, themes)


def theme_summary(texts: pd.Series, themes: dict[str, list[str]],
                  assessed: pd.DataFrame | None = None) -> pd.DataFrame:
    """How often each theme comes up in ``texts``, and in what tone; one row per theme.

    Columns: ``k`` comments on the theme of ``n``, their ``share`` with its Wilson 95%
    ``ci_low`` and ``ci_high``; ``n_scored`` of the ``k`` that the sentiment model scored,
    ``n_positive`` and ``n_negative`` among them and their ``mean_sentiment`` (NaN when none
    was scored); ``n_not_scored`` the others (their language is not covered). ``assessed`` is
    :func:`cxlab.text.sentiment.assess` of ``texts`` when the caller has it already.
    """
    texts = texts.dropna()
    assessed = sentiment.assess(texts) if assessed is None else assessed.loc[texts.index]
    flags = theme_flags(texts, themes)
    score, tone = assessed["score"], assessed["tone"]
    rows = []
    for theme in flags.columns:
        hit = flags[theme].to_numpy()
        k, n = int(hit.sum()), len(hit)
        share, _, low, high = metrics.wilson_interval(k, n) if n else (float("nan"),) * 4
        scored = score[hit].dropna()
        rows.append({"theme": theme, "k": k, "n": n, "share": float(share),
                     "ci_low": float(low), "ci_high": float(high), "n_scored": len(scored),
                     "n_positive": int((tone[hit] == "positive").sum()),
                     "n_negative": int((tone[hit] == "negative").sum()),
                     "mean_sentiment": float(scored.mean()) if len(scored) else float("nan"),
                     "n_not_scored": k - len(scored)})
    return pd.DataFrame(rows, columns=["theme", "k", "n", "share", "ci_low", "ci_high",
                                       "n_scored", "n_positive", "n_negative", "mean_sentiment",
                                       "n_not_scored"])


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
