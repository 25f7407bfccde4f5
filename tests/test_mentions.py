"""Employee name mentions: planted praise found, and the tricky cases behave as documented."""

import pandas as pd
import pytest

from cxlab.data import sample
from cxlab.text import sentiment
from cxlab.text.mentions import find_mentions

ROSTER = pd.DataFrame({
    "employee_id": ["E1", "E2", "E3", "E4", "E5", "E6", "E7", "E8"],
    "display_name": ["María García", "Maria Okafor", "Zoë Tanaka", "Will Brown", "Hope Lee",
                     "Grace Novak", "Lena Singh", "Dev Patel"],
})


def _find(text, served=None):
    found = find_mentions(pd.Series({"r1": text}), ROSTER, pd.Series({"r1": served}))
    return [(None if pd.isna(e) else e, amb)
            for e, amb in zip(found["employee_id"], found["ambiguous"], strict=True)]


@pytest.mark.parametrize("text, served, expected", [
    # Case and accents do not matter.
    ("thanks to zoe for her help", None, [("E3", False)]),
    ("ZOË sorted it", None, [("E3", False)]),
    # A shared first name goes to the serving employee, or stays ambiguous.
    ("Maria was brilliant.", "E2", [("E2", False)]),
    ("Maria was brilliant.", "E7", [(None, True)]),
    # The full name settles it whoever served.
    ("Thanks to Maria Garcia!", "E7", [("E1", False)]),
    # Typos: one edit, capitalized mid-sentence or the serving employee's name.
    ("Huge thanks to Mraia Okafor and Zoe", None, [("E2", False), ("E3", False)]),
    ("Huge thanks to Mraia", None, [(None, True)]),
    ("Huge thanks to Lnea", None, [("E7", False)]),
    ("Huge thanks to Zeo", None, []),  # names under four letters are matched exactly only
    ("Lnea was great", "E7", [("E7", False)]),
    ("Lnea was great", None, []),
    ("huge thanks to zeo", None, []),
    # An English word is never read as a typo of a name ("Lean" is not "Lena").
    ("Lean on them, they were great", "E7", []),
    # Names that are common words: only as names.
    ("Will you call me back?", "E4", []),
    ("Will was brilliant and patient.", "E4", [("E4", False)]),
    ("I will recommend you", "E4", []),
    ("Ask for Will, he knows his stuff", None, [("E4", False)]),
    ("Hope this gets fixed soon", "E5", []),
    ("Really friendly service from Grace today.", None, [("E6", False)]),
    ("the dev team should fix the app", None, []),
    # One employee named twice counts once.
    ("Zoe was great. Thanks again Zoe!", None, [("E3", False)]),
])
def test_tricky_comments(text, served, expected):
    assert _find(text, served) == expected


def test_planted_mentions_found_with_high_precision_and_recall(sample_study, generated_sample):
    _, truth = generated_sample
    tp = fp = fn = 0
    for client in (c.slug for c in sample.CLIENTS):
        study = sample_study(client)
        responses = study.tables["customer_responses"].set_index("response_id")
        found = find_mentions(responses["comment"], study.tables["employees"],
                              responses["employee_id"])
        got = set(zip(found["response_id"], found["employee_id"], strict=True))
        planted = truth["mentions"].query("client == @client")
        planted = planted[planted["response_id"].isin(responses.index)]  # rejected rows out
        want = set(zip(planted["response_id"], planted["employee_id"], strict=True))
        tp, fp, fn = tp + len(got & want), fp + len(got - want), fn + len(want - got)
    assert tp > 1000
    assert tp / (tp + fp) >= 0.95 and tp / (tp + fn) >= 0.95


def test_sentiment_of_the_sentence_naming_the_employee():
    text = "The wait was awful. Maria was brilliant and so patient."
    assert sentiment.sentence_with(text, "Maria").startswith("Maria was brilliant")
    assert sentiment.label(sentiment.score(sentiment.sentence_with(text, "Maria"))) == "positive"
    assert sentiment.label(sentiment.score("The wait was awful.")) == "negative"
    assert sentiment.score(None) == 0.0
