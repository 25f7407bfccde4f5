"""What a report publishes: no live markup from data, no employee identity unless allowed."""

import re

import pandas as pd
import pytest
from report_harness import report_outputs, visible_text
from test_markup import PAYLOADS

#: Columns whose values the code keys on (codes, not text): left as they are.
KEY_COLUMNS = {"client", "metric", "question_id"}
#: In HTML (tables, chart images): a tag the data put there.
LIVE_TAG = re.compile(r"<\s*/?\s*(img|script|iframe|svg|a|b|x)\b", re.I)
#: In Markdown: anything a renderer would turn into markup, links, maths or shortcodes.
LIVE_MARKDOWN = re.compile(r"<\s*[a-z/]|javascript:|\]\(|\{\{|\$", re.I)


def _planted(study):
    """The study with a payload appended to every text value of every table and setting."""
    mapping: dict[str, str] = {}

    def plant(value):
        if not isinstance(value, str):
            return value
        if value not in mapping:
            mapping[value] = f"{value} {PAYLOADS[len(mapping) % len(PAYLOADS)]}"
        return mapping[value]

    tables = {}
    for name, frame in study.tables.items():
        frame = frame.copy()
        for column in frame.columns:
            if column not in KEY_COLUMNS and frame[column].dtype == object:
                frame[column] = frame[column].map(plant)
        tables[name] = frame
    study.tables = tables
    study.client_name = 'Acme <img src=x onerror="alert(42)"> [x](javascript:alert(1)) $x$'
    return study


@pytest.fixture(scope="module")
def planted_outputs(sample_study):
    settings = {"three_statements": [
        {"label": "Fixed <b onmouseover=alert(1)>first</b> time", "phrases": ["first time"]},
        {"label": "They [know](javascript:alert(2)) me", "phrases": ["know me"]},
        {"label": "Easy {{< include x >}} $y$", "phrases": ["easy"]}],
        "employee_themes": {"tools <script>alert(3)</script>": ["tools", "system"]}}
    study = _planted(sample_study("cedar", "2026Q3", settings=settings))
    return report_outputs(study)


def test_no_data_derived_markup_is_live(planted_outputs):
    from IPython.display import Markdown

    assert len(planted_outputs) > 30
    n_markdown = 0
    for source, value in planted_outputs:
        text = visible_text(value)
        live = (LIVE_MARKDOWN if isinstance(value, Markdown) else LIVE_TAG).search(text)
        assert not live, (source, live.group(), text[max(0, live.start() - 100):live.end() + 100])
        n_markdown += isinstance(value, Markdown)
    assert n_markdown >= 8


def test_every_section_still_renders_with_planted_text(planted_outputs):
    """Escaping must not cost a section: none of them fails or comes back empty."""
    empty = [source for source, value in planted_outputs if not visible_text(value).strip()]
    assert empty == []


@pytest.fixture(scope="module")
def hidden_outputs(sample_study):
    # show_employee_names defaults to false; quoting is allowed, so names could leak in quotes.
    study = sample_study("cedar", "2026Q3", settings={"quote_comments": True})
    return study, report_outputs(study)


def _package_words() -> set[str]:
    """Words of cxlab's own text (a surname like Johnson names a method), not of sample data."""
    from pathlib import Path

    import cxlab
    from cxlab.text.mentions import fold

    root = Path(cxlab.__file__).parent
    return {fold(w) for path in root.rglob("*.py") if path.name != "sample.py"
            for w in re.findall(r"\w+", path.read_text(encoding="utf-8"))}


def test_no_employee_name_or_id_appears_when_names_are_hidden(hidden_outputs):
    from cxlab.text.mentions import fold

    study, outputs = hidden_outputs
    roster = study.tables["employees"]
    ids = set(roster["employee_id"])
    name_words = {fold(w) for name in roster["display_name"] for w in re.findall(r"\w+", name)
                  if len(w) >= 3} - _package_words()
    leaks = []
    for source, value in outputs:
        text = visible_text(value)
        words = {fold(w) for w in re.findall(r"\w+", text)}
        found = (words & name_words) | {e for e in ids if e in text}
        if found:
            leaks.append((source.splitlines()[-1], sorted(found)[:5]))
    assert leaks == []


def test_names_appear_where_the_client_allows_them(sample_study):
    study = sample_study("cedar", "2026Q3", settings={"show_employee_names": True})
    text = " ".join(visible_text(v) for _, v in report_outputs(study))
    shown = [n for n in study.tables["employees"]["display_name"] if n in text]
    assert len(shown) >= 10
    assert not any(e in text for e in study.tables["employees"]["employee_id"])


def test_harness_sees_the_template_calls():
    """The harness runs what the template runs: if the template grows, so does this check."""
    import nbformat
    from report_harness import TEMPLATE

    nb = nbformat.read(TEMPLATE, as_version=4)
    calls = [c for c in nb.cells if c.cell_type == "code" and "report" in c.source]
    assert len(calls) >= 25
    assert isinstance(pd.DataFrame(), pd.DataFrame)


def test_comments_are_not_quoted_unless_the_client_allows_it(sample_study):
    from cxlab.report import recognition
    from cxlab.report.quotes import NOT_QUOTED

    study = sample_study("cedar", "2026Q3")
    comments = study.rows("customer_responses")["comment"].dropna()
    text = " ".join(visible_text(v) for _, v in report_outputs(study))
    quoted = [c for c in comments if len(c) > 30 and c[:30] in text]
    assert quoted == []
    assert (recognition.stories_of_the_week(study)["Story"] == NOT_QUOTED).all()
    assert "not quoted" in recognition.recognition_summary(study).data


def test_quoted_comments_name_employees_by_the_label_the_tables_use(hidden_outputs):
    from cxlab.report import recognition

    study, _ = hidden_outputs
    stories = recognition.stories_of_the_week(study)
    named = stories[stories["Story"].str.contains(r"Employee [0-9A-F]{8}")]
    assert len(named) >= 3
    # The story is about the employee in the row: the label in the text is theirs.
    assert sum(label in story for label, story in zip(named["Employee"], named["Story"],
                                                      strict=True)) >= len(named) - 1


def test_ids_names_and_numbers_leave_no_trace_in_topics_or_the_actions_log(sample_study):
    from cxlab.privacy import mask_ids
    from cxlab.report.voice import actions_log, topics_table

    study = sample_study("cedar", "2026Q3")  # quotes not allowed, names hidden
    roster = study.tables["employees"]
    first, last = roster["display_name"].iloc[0].split()[:2]
    emp = roster["employee_id"].iloc[0]
    pulse = study.tables["employee_responses"].copy()
    recent = pulse["responded_on"] >= "2026-01-01"
    planted = f"{first} {last} and {last} again, call 07700 900123, agent {emp} said so"
    pulse.loc[recent, "comment"] = pulse.loc[recent, "comment"].fillna("ok") + " " + planted
    log = study.tables["feedback_actions"].copy()
    log["theme"] = f"{first} {last} rudeness ({emp})"
    log["you_said"] = f"{emp.lower()}: {first} was rude"
    log["status"] = f"done by {first} ({emp})"
    study.tables = {**study.tables, "employee_responses": pulse, "feedback_actions": log}
    shown = topics_table(study).to_html() + actions_log(study).to_html()
    for secret in (first, last, emp, emp.lower(), "07700", "900123"):
        assert secret not in shown
    assert "Employee " in actions_log(study)["Theme"].iloc[0]
    labels = {"NO00070": "Employee AB12CD34"}
    texts = pd.Series(["agent NO00070.", "no00070: hi", "NO000700 and XNO00070",
                       "NO00070/NO00070", "NO00070:no00070-NO00070", None])
    assert mask_ids(texts, labels).tolist()[:5] == [
        "agent Employee AB12CD34.", "Employee AB12CD34: hi", "NO000700 and XNO00070",
        "Employee AB12CD34/Employee AB12CD34",
        "Employee AB12CD34:Employee AB12CD34-Employee AB12CD34"]
