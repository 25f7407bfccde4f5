"""Employee name mentions: planted praise found, the tricky cases behave as documented, and
names masked in quoted text."""

import importlib
import re
import unicodedata

import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from cxlab.data import sample
from cxlab.text import sentiment
from cxlab.text.mentions import find_mentions, mask_names

mentions = importlib.import_module("cxlab.text.mentions")

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


def test_find_mentions_columns_unchanged():
    found = find_mentions(pd.Series({"r1": "Thanks Zoe"}), ROSTER)
    assert list(found.columns) == ["response_id", "employee_id", "written", "match", "ambiguous",
                                   "candidates"]


# ------------------------------------------------------------------------------------------
# The tokenizer: spans, and sentence starts as before (one pass instead of a prefix per word)

WORDY = st.text(alphabet="abAB éÉ'’-.!?,:\n\t\"(🙂3", max_size=60)


def _sentence_starts_as_before(text):
    """The old definition: everything before the word is blank or ends a sentence."""
    return [not text[:m.start()].strip() or bool(re.search(r"[.!?\n]\s*$", text[:m.start()]))
            for m in mentions._WORD.finditer(text)]


@settings(max_examples=300, deadline=None)
@given(WORDY)
def test_tokens_carry_spans_and_sentence_starts(text):
    tokens = mentions._tokens(text)
    assert all(text[t.start:t.end] == t.text for t in tokens)
    assert [t.sentence_start for t in tokens] == _sentence_starts_as_before(text)


class CountingText(str):
    """A text that counts the characters read by slicing it."""

    read = 0

    def __getitem__(self, key):
        piece = str.__getitem__(self, key)
        CountingText.read += len(piece)
        return piece


SHAPES = {
    "prose": "Felix was brilliant, thanks to Maria and zoe! Call 07700 900123 on 14/03/2026. ",
    "capitals": "Novak Brilliant Mraia Zoe Lnea Will Grace Hope Lean Okafor Garcia ",
    "letters": "abcdefghij",
    "at signs": "a@b.c@ @@ x at y ",
    "words and marks": "a. b! c? d, e: f; (g) 'h' i-j ",
    "apostrophes": "a'a'a'a'a'a'",
    "rock'n'roll": "rock'n'roll'",
    "shouted names": "ZOË ZOË ",
    "letters and digits": "a1",
    "typos": "felx novack Siobahn Mohamed Zoey ",
    "hyphens": "Mueller-Schmidt-Felix-approved ",
}


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_reading_is_linear_in_the_length(shape):
    """Characters read by slicing grow like the text, not like its square (the old tokenizer
    read the whole text before every word)."""
    roster = mentions.Roster(ROSTER)
    reads = []
    for n in (2_000, 16_000):
        text = CountingText((SHAPES[shape] * (n // len(SHAPES[shape]) + 1))[:n])
        CountingText.read = 0
        mentions._mask(text, roster, "E7", {"E7": "Employee 7"}, "[employee]")
        reads.append(CountingText.read)
    assert reads[1] <= 3 * 16_000
    assert reads[1] <= 10 * reads[0]  # eight times the text, not sixty-four times the reading


def test_regexes_read_each_run_once():
    """Every unbounded repeat of the word pattern is possessive: a run is never read twice."""
    assert re.fullmatch(r"[^+*]*(?:[+*]\+[^+*]*)*", mentions._WORD.pattern.replace("\\-", ""))


@pytest.mark.parametrize("name", sorted(n for n, v in vars(mentions).items()
                                        if isinstance(v, re.Pattern)))
def test_every_pattern_passes_the_linearity_check(name):
    """The structural check of test_redact: possessive repeats, no attempt inside a run."""
    from test_redact import linear_time_problems

    assert linear_time_problems(getattr(mentions, name)) == []


# ------------------------------------------------------------------------------------------
# mask_names: every name a reader would recognize goes, ordinary words stay

STAFF = pd.DataFrame({
    "employee_id": [f"M{i}" for i in range(1, 15)],
    "display_name": ["Felix Novak", "Grace Novak", "Anne-Marie O'Neil", "José María García López",
                     "Zoë Tanaka", "Will Brown", "Hope Lee", "Maria Okafor", "María García",
                     "Lena Singh", "Ludwig van Beethoven", "Siobhán O’Brien", "Björn Andersson",
                     "Kofi Mensah"],
})
LABELS = {e: f"Employee {e}" for e in STAFF["employee_id"]}


def _mask(text, served=None):
    return mask_names(pd.Series({"r1": text}), STAFF, LABELS, pd.Series({"r1": served}))["r1"]


@pytest.mark.parametrize("text, served, expected", [
    # A whole name is one label; a possessive keeps its 's.
    ("Felix Novak was great", None, "Employee M1 was great"),
    ("FELIX NOVAK sorted it", None, "Employee M1 sorted it"),
    ("Felix's help was amazing", None, "Employee M1's help was amazing"),
    ("Thanks to José María García López!", None, "Thanks to Employee M4!"),
    ("Thanks to Jose Garcia.", None, "Thanks to Employee M4."),
    ("Anne-Marie O'Neil, Anne Marie and O’Neil", None,
     "Employee M3, Employee M3 and Employee M3"),
    ("Ludwig van Beethoven called; the van was late", None,
     "Employee M11 called; the van was late"),
    # A surname alone: the one employee with it, the serving one, or the placeholder.
    ("Mr Tanaka was great", None, "Mr Employee M5 was great"),
    ("Mr Novak was great", None, "Mr [employee] was great"),
    ("Mr Novak was great", "M2", "Mr Employee M2 was great"),
    ("J. Novak agreed", "M1", "Employee M1 agreed"),
    # A shared first name: served, or ambiguous.
    ("Maria was brilliant.", "M8", "Employee M8 was brilliant."),
    ("Maria was brilliant.", None, "[employee] was brilliant."),
    ("Maria Okafor was brilliant.", None, "Employee M8 was brilliant."),
    # Case, accents, typos.
    ("thanks to zoe and ZOË and Zoe", None, "thanks to Employee M5 and Employee M5 and Employee M5"),
    ("Huge thanks to Mraia Okafor and Lnea", None, "Huge thanks to Employee M8 and Employee M10"),
    ("Great service from Novack", None, "Great service from [employee]"),
    # Punctuation and emoji around a name.
    ("🙌Zoë🙌 (Felix) \"Kofi\" said: Björn!", None,
     "🙌Employee M5🙌 (Employee M1) \"Employee M14\" said: Employee M13!"),
    ("Felix-approved service", None, "Employee M1 service"),  # the whole hyphenated word goes
    # Names that are words: hidden when written as names, kept as words.
    ("Will you call me back? I will recommend you.", "M6",
     "Will you call me back? I will recommend you."),
    ("Will was brilliant. Ask for Will.", None, "Employee M6 was brilliant. Ask for Employee M6."),
    ("Will, you star", None, "Employee M6, you star"),
    ("Hope this gets fixed, I hope so. Hope was kind.", None,
     "Hope this gets fixed, I hope so. Employee M7 was kind."),
    ("A brown box arrived, and Brown helped with grace.", None,
     "A brown box arrived, and Employee M6 helped with grace."),
    ("Really friendly service from Grace today.", None,
     "Really friendly service from Employee M2 today."),
    ("Nobody is named here.", None, "Nobody is named here."),
])
def test_masked(text, served, expected):
    assert _mask(text, served) == expected


def test_mask_keeps_missing_values_and_index():
    texts = pd.Series(["Felix was great", None, float("nan"), pd.NA], index=[4, 5, 6, 7],
                      dtype=object)
    out = mask_names(texts, STAFF, LABELS)
    assert out.loc[4] == "Employee M1 was great"
    assert out.loc[5] is None and out.loc[6] != out.loc[6] and out.loc[7] is pd.NA
    strings = pd.Series(["Felix was great", None])
    assert mask_names(strings, STAFF, LABELS).isna().tolist() == [False, True]


def _name_tokens(name):
    """The parts of a name a reader would recognize (three letters or more, folded)."""
    parts = mentions._WORD.findall(mentions.fold(name).replace("’", "'"))
    pieces = {p for part in parts for p in re.split("[-']", part)} | set(parts)
    return {p for p in pieces if len(p) >= 3 and p not in mentions.PARTICLES}


def _typo(word):
    return word[0] + word[2] + word[1] + word[3:] if len(word) >= 5 else word


def _strip_accents(text):
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


FORMS = {
    "full": lambda n: n,
    "first": lambda n: n.split()[0],
    "surname": lambda n: n.split()[-1],
    "first and surname": lambda n: f"{n.split()[0]} {n.split()[-1]}",
    "capitals": lambda n: n.upper(),
    "possessive": lambda n: n.split()[0] + "'s",
    "curly possessive": lambda n: n.split()[-1] + "’s",
    "no accents": lambda n: _strip_accents(n),
    "typo in the surname": lambda n: f"{n.split()[0]} {_typo(n.split()[-1])}",
}
TEMPLATES = [
    "{name} was brilliant and sorted everything quickly.",
    "Huge thanks to {name}, who went above and beyond!",
    "Really friendly service from {name} today 🙂",
    "Ask for {name}: patient, clear, kind.",
    "Service was slow until ({name}) stepped in.\n{name}!!",
    "🙌{name}🙌 deserves a raise",
    "I spoke to \"{name}\"... excellent",
]
ORDINARY = {"brilliant", "sorted", "everything", "quickly", "huge", "thanks", "above", "beyond",
            "friendly", "service", "today", "patient", "clear", "kind", "slow", "until",
            "stepped", "deserves", "raise", "spoke", "excellent"}


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(list(STAFF["display_name"])), st.sampled_from(sorted(FORMS)),
       st.sampled_from(TEMPLATES), st.booleans())
def test_no_planted_name_survives(name, form, template, served):
    emp = STAFF.loc[STAFF["display_name"] == name, "employee_id"].iloc[0]
    text = template.format(name=FORMS[form](name))
    out = _mask(text, emp if served else None)
    left = {mentions.fold(w) for w in mentions._WORD.findall(out.replace("’", "'"))}
    left |= {p for w in left for p in re.split("[-']", w)}
    assert not (_name_tokens(name) & left), (text, out)
    words = {mentions.fold(w) for w in mentions._WORD.findall(text)}
    assert ORDINARY & words <= left, (text, out)
    if served:
        assert LABELS[emp] in out


def test_lower_case_words_that_are_names_stay():
    text = ("I will recommend you: hope, grace and joy, a brown sofa, the dev team, a van, "
            "may I say the lean design is great")
    roster = pd.DataFrame({"employee_id": list("ABCDEFGH"),
                           "display_name": ["Will Brown", "Hope Lee", "Grace Novak", "Joy Dev",
                                            "May Lean", "Rose Walker", "Ludwig van Beethoven",
                                            "Mark Young"]})
    assert mask_names(pd.Series([text]), roster, {})[0] == text


def test_sample_comments_keep_no_planted_name(sample_study, generated_sample):
    _, truth = generated_sample
    client = sample.CLIENTS[0].slug
    study = sample_study(client)
    responses = study.tables["customer_responses"].set_index("response_id")
    employees = study.tables["employees"]
    labels = {e: f"Employee {i}" for i, e in enumerate(employees["employee_id"])}
    masked = mask_names(responses["comment"], employees, labels, responses["employee_id"])
    names = employees.set_index("employee_id")["display_name"]
    planted = truth["mentions"].query("client == @client")
    planted = planted[planted["response_id"].isin(responses.index)]
    assert len(planted) > 100
    for response_id, emp in zip(planted["response_id"], planted["employee_id"], strict=True):
        out = masked[response_id]
        left = {mentions.fold(w) for w in mentions._WORD.findall(out) if w[0].isupper()
                or mentions.fold(w) not in mentions._EVERYDAY}
        assert not (_name_tokens(names[emp]) & left), (responses.at[response_id, "comment"], out)
    assert masked.isna().equals(responses["comment"].isna())


@pytest.mark.parametrize(("text", "expected"), [
    ("Thanks to Felix's patience it worked.", ["E1"]),  # possessive
    ("Felix’s help was great", ["E1"]),  # curly apostrophe
    ("Ask for Siobhan O’Neil next time", ["E3"]),  # curly apostrophe in a roster name
    ("I WILL NEVER COME BACK", []),  # shouting, not a name
    ("Will was great, thank you Will", ["E2"]),
])
def test_possessives_apostrophes_and_shouting(text, expected):
    roster = pd.DataFrame({"employee_id": ["E1", "E2", "E3"],
                           "display_name": ["Felix Novak", "Will Archer", "Siobhan O'Neil"]})
    found = find_mentions(pd.Series({"r1": text}), roster, pd.Series({"r1": "E2"}))
    assert sorted(found["employee_id"].dropna()) == expected


# ------------------------------------------------------------------------------------------
# Folding letters that have no accent to take off, and spellings without them


@pytest.mark.parametrize("text, expected", [
    ("Łukasz Żółć", "lukasz zolc"),
    ("Søren Ødegård", "soren odegard"),
    ("Đorđe Điđić", "dorde didic"),
    ("Straße", "strasse"),
    ("Ægir Œuvre", "aegir oeuvre"),
    ("Þóra Guðmundsdóttir", "thora gudmundsdottir"),
    ("Kılıç", "kilic"),
    ("ZOË", "zoe"),
    ("ZOË", "zoe"),  # again, from the cache
])
def test_fold_letters_that_do_not_decompose(text, expected):
    assert mentions.fold(text) == expected


FOLDED_ROSTER = pd.DataFrame({
    "employee_id": ["F1", "F2", "F3", "F4"],
    "display_name": ["Łukasz Żółć", "Søren Ødegård", "Jürgen Müller", "Björn Ström"],
})


@pytest.mark.parametrize("text, expected", [
    ("Thanks to Lukasz Zolc", ["F1"]),
    ("lukasz sorted it", ["F1"]),
    ("Soren was great", ["F2"]),
    ("Juergen Mueller helped", ["F3"]),
    ("Ask for Bjoern", ["F4"]),
    ("Bjorn Strom, thanks", ["F4"]),
])
def test_find_mentions_reads_names_without_their_letters(text, expected):
    found = find_mentions(pd.Series({"r1": text}), FOLDED_ROSTER)
    assert sorted(found["employee_id"].dropna()) == expected


# ------------------------------------------------------------------------------------------
# mask_names: typos anywhere, letters that do not fold, hyphenated words; everyday words stay

TYPO_STAFF = pd.DataFrame({
    "employee_id": [f"T{i}" for i in range(1, 11)],
    "display_name": ["Siobhan Kelly", "Felix Novak", "Mohammed Haddad", "Łukasz Żółć",
                     "Zoë Tanaka", "Ingrid Müller", "Ana Schmidt", "Hugo Greta", "Mike Brian",
                     "Lena Costa"],
})
TYPO_LABELS = {e: f"<{e}>" for e in TYPO_STAFF["employee_id"]}


def _mask_typos(text, served=None):
    return mask_names(pd.Series({"r1": text}), TYPO_STAFF, TYPO_LABELS,
                      pd.Series({"r1": served}))["r1"]


@pytest.mark.parametrize("text, expected", [
    # A typo at the start of a sentence.
    ("Siobahn was great", "<T1> was great"),
    ("Felx sorted it", "<T2> sorted it"),
    ("Novack helped me.", "<T2> helped me."),
    ("Mohamed was kind. Mohammad too.", "<T3> was kind. <T3> too."),
    # A typo in lower case, anywhere.
    ("thanks to felx and novack", "thanks to <T2> and <T2>"),
    ("the lady, siobahn, was kind", "the lady, <T1>, was kind"),
    # Letters that NFKD does not fold, with and without them, in any case.
    ("Łukasz, Lukasz, lukasz and Zolc", "<T4>, <T4>, <T4> and <T4>"),
    ("Thanks Lukasz Zolc!", "Thanks <T4>!"),
    # A typo of a three-letter name, capitalized: a letter added or two swapped.
    ("Zoey was great", "<T5> was great"),
    ("Thanks to Zoey and Zeo!", "Thanks to <T5> and <T5>!"),
    # A hyphenated word goes whole when any piece is a name.
    ("Mueller-Schmidt was helpful", "[employee] was helpful"),  # two employees: no label
    ("Müller-Schmidt was helpful", "[employee] was helpful"),
    ("Müller-Ingrid was helpful", "<T6> was helpful"),
    ("a Felix-approved fix", "a <T2> fix"),
    ("mueller helped", "<T6> helped"),
])
def test_masked_typos_letters_and_hyphens(text, expected):
    assert _mask_typos(text) == expected


@pytest.mark.parametrize("text", [
    "Huge thanks to the team",
    "Great. Thanks. Make. Brain.",
    "Great service, thanks! Make sure you ask.",
    "Brain freeze: the cost was huge, we had to lean on the greeting desk",
    "We had a huge problem; great job making it right, the mice are gone",
    "Like I said, the miles were costly and the lens was broken",
    "Zoo trip. zoom call. The zone was busy.",
    "I will recommend you, hope so, a brown sofa",
    "Singing, signing and the panel were fine",
])
def test_everyday_words_near_names_stay(text):
    assert _mask_typos(text) == text


def test_everyday_vocabulary_is_large_and_holds_no_first_names():
    words = mentions.everyday_words()
    assert len(words) > 8000  # it was a few hundred words
    assert {"brain", "make", "huge", "great", "thanks", "cost", "lens"} <= words
    assert not {"mia", "leo", "costa", "diego"} & words  # from the word lists, but names
    assert mentions.is_everyday("parcels") and mentions.is_everyday("stopped")
    assert not mentions.is_everyday("novack") and not mentions.is_everyday("felx")


def _typo_swap(word):
    return word[0] + word[2] + word[1] + word[3:] if len(word) >= 5 else word


def _typo_drop(word):
    return word[:2] + word[3:] if len(word) >= 5 else word


def _typo_double(word):
    return word[:3] + word[2] + word[3:] if len(word) >= 4 else word


def _typo_each(name, typo):
    return " ".join(typo(part) for part in name.split())


WRITTEN_FORMS = {
    "swapped letters": lambda n: _typo_each(n, _typo_swap),
    "dropped letter": lambda n: _typo_each(n, _typo_drop),
    "doubled letter": lambda n: _typo_each(n, _typo_double),
    "lower-case typo": lambda n: _typo_each(n, _typo_swap).lower(),
    "surname typo alone": lambda n: _typo_drop(n.split()[-1]),
    "hyphenated": lambda n: "-".join(n.split()),
    "with a hyphenated word": lambda n: n.split()[0] + "-approved",
    "without letters": lambda n: n.translate(str.maketrans({"ü": "ue", "ö": "oe", "Ł": "L"})),
}


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(list(TYPO_STAFF["display_name"])), st.sampled_from(sorted(WRITTEN_FORMS)),
       st.sampled_from(TEMPLATES))
def test_no_written_form_of_a_name_survives(name, form, template):
    written = WRITTEN_FORMS[form](name)
    # A typo that is itself an everyday word ("Bran" for Brian) is knowingly kept.
    assume(not any(mentions.is_everyday(mentions.fold(w)) for w in mentions._WORD.findall(written)
                   if mentions.fold(w) not in mentions.fold(name)))
    out = _mask_typos(template.format(name=written))
    left = {mentions.fold(w) for w in mentions._WORD.findall(out)}
    planted = {mentions.fold(w) for w in mentions._WORD.findall(written)} - {"approved"}
    assert not {w for w in planted if len(w) >= 4 or w[0].isupper()} & left, (written, out)
    words = {mentions.fold(w) for w in mentions._WORD.findall(template)}
    assert ORDINARY & words <= left, (written, out)


def _masked_words(before: str, after: str) -> list[str]:
    """The words of ``before`` that ``after`` no longer has, in order (labels are one space)."""
    import difflib

    a, b = mentions._WORD.findall(before), mentions._WORD.findall(after)
    ops = difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes()
    return [w for op, i1, i2, _, _ in ops if op in ("replace", "delete") for w in a[i1:i2]]


def test_sample_comments_lose_no_ordinary_word(generated_sample):
    """With names hidden, the words of the comments' templates all stay.

    The sample's comments are templates around employee names (sometimes with a typo). N = 0:
    every word of the templates is an everyday word, so any of them hidden is a word eaten
    ("Huge" read as a typo of Hugo, before the larger vocabulary). The names go.
    """
    from collections import Counter

    tables, _ = generated_sample
    templates = [*sample.PRAISE, *sample.POSITIVE, *sample.NEUTRAL, *sample.NEGATIVE,
                 *sample.PII_TAILS]
    ordinary = {mentions.fold(w) for t in templates
                for w in mentions._WORD.findall(t.replace("{name}", ""))}
    responses, employees = tables["customer_responses"], tables["employees"]
    eaten, hidden = Counter(), Counter()
    for client, rows in responses.groupby("client"):
        rows = rows.set_index("response_id")
        roster = employees[employees["client"] == client]
        masked = mask_names(rows["comment"], roster, {e: " " for e in roster["employee_id"]},
                            rows["employee_id"])
        for before, after in zip(rows["comment"].dropna(), masked.dropna(), strict=True):
            for word in _masked_words(before, after):
                (eaten if mentions.fold(word) in ordinary else hidden)[word] += 1
    assert sum(hidden.values()) > 1000  # the planted names (and typos of them) go
    assert sum(eaten.values()) == 0, eaten.most_common(20)


ORDINARY_COMMENTS = [
    "Huge thanks, great service and they made it easy.",
    "Make sure the brain behind the app fixes the login.",
    "The cost was more than I expected and the parcel came late.",
    "Greeting at the desk was warm; the lens I ordered was broken.",
    "Singing the praises of the team, honestly the best call this year.",
    "I had to wait for ages, then the line dropped twice.",
    "Sorted my refund quickly, no fuss, clear and kind.",
    "The engineer came on time, checked the router and left.",
    "Billing is confusing, the invoice showed charges I never made.",
    "Lovely people in the branch, shame about the queue.",
    "Mike drop. Just kidding, the mic was fine on the call.",
    "Thanks again, it was nice to deal with someone who listens.",
]


def test_ordinary_comments_keep_their_words_with_a_large_roster():
    """A roster of the sample's 1,500 first-name and surname pairs (and a few names close to
    words) hides no word of ordinary comments, capitalized or not."""
    names = [f"{f} {s}" for f in sample.FIRST_NAMES for s in sample.SURNAMES]
    names += ["Hugo Greta", "Mike Brian", "Thanh Costa", "Sean Lens", "Amir Singh", "Mica Drop"]
    roster = pd.DataFrame({"employee_id": [f"E{i}" for i in range(len(names))],
                           "display_name": names})
    texts = pd.Series(ORDINARY_COMMENTS + [t.upper() for t in ORDINARY_COMMENTS[:3]])
    masked = mask_names(texts, roster, {})
    eaten = {w for before, after in zip(texts, masked, strict=True)
             for w in _masked_words(before, after)}
    assert eaten == {"Mike"}, eaten  # "Mike drop": Mike is on the roster; "drop" stays


@pytest.mark.parametrize(("text", "expected"), [
    ("zoey was great", "[E1] was great"),  # lower-case typo of a three-letter name
    ("An agent helped.", "An agent helped."),  # an article, not Nguyễn Văn An
    ("An helped me.", "[E2] helped me."),
    ("On the eve of launch", "On the eve of launch"),  # a word, not Eve
    ("Thanks Eve!", "Thanks [E4]!"),
    ("FelixNovak helped", "[E3] helped"),  # run together
    ("Fe\u00adlix helped", "[E3] helped"),  # soft hyphen
    ("Fe\u200blix helped", "[E3] helped"),  # zero-width space
])
def test_masking_found_in_a_second_trial(text, expected):
    roster = pd.DataFrame({"employee_id": ["E1", "E2", "E3", "E4"],
                           "display_name": ["Zoë Haverkamp", "Nguyễn Văn An", "Felix Novak",
                                            "Eve Stone"]})
    labels = {e: f"[{e}]" for e in roster["employee_id"]}
    assert mask_names(pd.Series([text]), roster, labels).iloc[0] == expected


def test_no_mention_found_still_gives_a_bool_ambiguous_column():
    import pandas as pd

    from cxlab.text.mentions import find_mentions

    roster = pd.DataFrame({"employee_id": ["E1"], "display_name": ["Maria Lopez"]})
    found = find_mentions(pd.Series(["nothing to see"], index=["R1"]), roster)
    assert found.empty and found["ambiguous"].dtype == bool
    assert found[~found["ambiguous"]].columns.tolist() == found.columns.tolist()
