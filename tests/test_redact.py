"""Redaction: property-based tests (hypothesis) and the examples people actually write."""

import re
import string

import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from cxlab.text import redact, redact_series

# Free text without digits or '@': the part of a comment that must survive untouched.
FILLER = st.text(alphabet=string.ascii_letters + " .,;:!?'()-éüñ\n", max_size=40)
SEPARATOR = st.sampled_from(["", " ", "-", "\u00a0"])


@st.composite
def card_numbers(draw):
    digits = draw(st.text(alphabet=string.digits, min_size=13, max_size=19))
    sep = draw(SEPARATOR)
    return sep.join(digits[i:i + 4] for i in range(0, len(digits), 4))


@st.composite
def phone_numbers(draw):
    groups = draw(st.lists(st.text(alphabet=string.digits, min_size=2, max_size=4),
                           min_size=3, max_size=4))
    assume(sum(map(len, groups)) >= 7)  # a phone number has at least 7 digits (see redact)
    number = draw(st.sampled_from([" ", "-", ".", ""])).join(groups)
    prefix = draw(st.sampled_from(["", "+44 ", "+1 ", "(0)"]))
    return prefix + number


PII = st.one_of(st.emails(), card_numbers(), phone_numbers())


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(FILLER, PII), min_size=1, max_size=4), FILLER)
def test_no_personal_data_survives(parts, tail):
    text = "".join(f + p for f, p in parts) + tail
    out = redact(text)
    for _, pii in parts:
        digits = re.sub(r"\D", "", pii)
        assert pii not in out
        if len(digits) >= 7:
            assert digits not in re.sub(r"\D", "", out)
    assert "@" not in out
    assert not re.search(r"\d{7}", re.sub(r"[ .\-\u00a0()]", "", out))


@settings(max_examples=300, deadline=None)
@given(FILLER)
def test_text_without_personal_data_is_unchanged(text):
    assert redact(text) == text


@pytest.mark.parametrize("text, expected", [
    ("Reach me at sam.taylor@example.com.", "Reach me at [email]."),
    ("Call me back on +44 7700 900123.", "Call me back on [phone]."),
    ("My card 4111 1111 1111 1111 was charged twice.", "My card [card] was charged twice."),
    ("ring (555) 123-4567 or 555.123.4567", "ring [phone] or [phone]"),
    ("It took 3 days, 2 calls and 45 minutes in 2026", "It took 3 days, 2 calls and 45 minutes in 2026"),
])
def test_examples(text, expected):
    assert redact(text) == expected


def test_series_keep_missing_values_and_index():
    texts = pd.Series(["mail a@b.co", None, float("nan")], index=[7, 8, 9])
    out = redact_series(texts)
    assert out.loc[7] == "mail [email]" and pd.isna(out.loc[8]) and pd.isna(out.loc[9])
