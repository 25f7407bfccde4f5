"""The maturity assessment: the model as data, scoring by hand, evidence, next steps."""

import pandas as pd
import pytest

from cxlab import report
from cxlab.cli import main
from cxlab.data import sample
from cxlab.maturity import ELEMENTS, FOCUS
from cxlab.maturity import assessment as am
from cxlab.maturity.model import load_model, model_markdown, questionnaire

BUILT = {c.slug: c.maturity_level for c in sample.CLIENTS}


def test_the_model_describes_every_element_and_level():
    model = load_model()
    assert set(model["elements"]) == set(ELEMENTS)
    focus = model["elements"][FOCUS]
    assert focus["ours"] is False
    for level, text in focus["levels"].items():
        assert text["looks_like"] and text["priorities"] and text["actions"], level
    others = [e for k, e in model["elements"].items() if k != FOCUS]
    assert all(e["ours"] and all(lv["descriptor"] for lv in e["levels"].values()) for e in others)
    q = questionnaire()
    assert len(q) == 45 and q["question_id"].is_unique


def test_model_page_lists_every_level_and_marks_our_wording():
    page = model_markdown()
    for name in load_model()["levels"].values():
        assert name in page
    assert "cxlab's own wording" in page
    assert page.count("| 1 |") == 8


def _answers(element, agreeing_levels, respondents=3):
    return pd.DataFrame([{"question_id": f"{element}.l{lv}", "answer": 5 if lv in agreeing_levels
                          else 2, "respondent_role": f"r{r}"}
                         for r in range(respondents) for lv in range(1, 6)])


def test_staged_and_continuous_scores_by_hand():
    # Levels 1, 2 and 4 agreed, 3 not: the staged level stops at 2; the continuous score is
    # 1 + (1 + 0 + 1 + 0) = 3.
    scores = am.score_answers(_answers("culture", {1, 2, 4})).set_index("element")
    assert scores.loc["culture", "level"] == 2
    assert scores.loc["culture", "score"] == pytest.approx(3.0)
    # Two of three agreeing meets a statement (at least half); one of three does not.
    mixed = _answers("act", {1, 2, 3})
    mixed.loc[(mixed["question_id"] == "act.l3") & (mixed["respondent_role"] == "r0"), "answer"] = 1
    assert am.score_answers(mixed).set_index("element").loc["act", "level"] == 3
    mixed.loc[(mixed["question_id"] == "act.l3") & (mixed["respondent_role"] == "r1"), "answer"] = 1
    assert am.score_answers(mixed).set_index("element").loc["act", "level"] == 2


def test_answers_file_errors_name_row_question_and_value(tmp_path):
    path = tmp_path / "answers.csv"
    path.write_text("\ufeffquestion_id,answer\nculture.l2,4\nculture.l9,4\nact.l2,seven\n"
                    "act.l3,6\n", encoding="utf-8")
    with pytest.raises(am.AnswersError) as err:
        am.read_answers(path)
    text = str(err.value)
    assert "3 invalid" in text and "row 3: unknown question 'culture.l9'" in text
    assert "row 4, question act.l2: answer 'seven'" in text and "row 5" in text
    (tmp_path / "empty.csv").write_text("question_id,answer\n")
    with pytest.raises(am.AnswersError, match="no answers"):
        am.read_answers(tmp_path / "empty.csv")
    with pytest.raises(am.AnswersError, match="missing column"):
        am.check_answers(pd.DataFrame({"question": ["culture.l1"], "answer": [3]}))


@pytest.mark.parametrize("client", list(BUILT))
def test_each_client_is_found_at_the_level_it_was_built(sample_study, client):
    result = am.assess_study(sample_study(client, "2026Q3"))
    assert result.evidence_level == BUILT[client]
    claimed = 4 if client == "driftwood" else BUILT[client]
    assert result.self_level == claimed
    if client == "driftwood":
        assert result.gap == 2 and "overstates the evidence by 2" in result.verdict
    else:
        assert result.gap == 0 and result.verdict == "self-assessment and evidence agree"


def test_change_since_the_previous_assessment(sample_study):
    study = sample_study("northwind", "2026Q3")
    result = am.assess_study(study)
    assert [d.year for d in result.dates] == [2025, 2026]
    assert result.previous.set_index("element").loc[FOCUS, "level"] == 2
    assert "(+1 since then)" in report.maturity_summary(study).data
    assert (report.maturity_elements(study)["Change"] != "=").any()


def test_next_steps_are_tailored_with_the_clients_numbers(sample_study):
    northwind = am.assess_study(sample_study("northwind", "2026Q3"))
    assert northwind.next_level == 4
    assert any("without one: HR" in f for f in northwind.facts)
    assert any(f.startswith("Lowest eNPS in the latest pulse") for f in northwind.facts)
    text = report.maturity_next_steps(sample_study("northwind", "2026Q3")).data
    assert "To reach level 4" in text and "one-to-one" in text
    cedar = am.assess_study(sample_study("cedar", "2026Q3"))
    assert cedar.next_level is None and cedar.priorities[0].startswith("Keep it up")
    bluebird = am.assess_study(sample_study("bluebird", "2026Q3"))
    assert "No eNPS has been collected yet." in bluebird.facts


def test_unmeasurable_indicator_is_shown_but_not_counted(sample_study, tmp_path, monkeypatch):
    monkeypatch.setenv("CXLAB_HOME", str(tmp_path))  # no record of cxlab recognize here
    indicators = am.evidence(sample_study("cedar", "2026Q3"))
    unknown = [i for i in indicators if i.met is None]
    assert [i.key for i in unknown] == ["named_praise_recognized"]
    assert am.evidenced_level(indicators) == 5
    table = report.maturity_evidence(sample_study("cedar", "2026Q3"))
    assert "not measurable yet" in set(table["In place"])


def test_before_any_answers_the_report_says_so(sample_study):
    study = sample_study("bluebird", "2024Q4")
    result = am.assess_study(study)
    assert result.self_level is None and result.verdict == "no self-assessment answers yet"
    assert "No self-assessment answers yet" in report.maturity_summary(study).data
    assert "No radar" in report.maturity_radar(study).data


def test_command_line_assessment(sandbox, monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("CXLAB_HOME", str(sandbox))
    assert main(["assess", "driftwood"]) == 0
    out = capsys.readouterr().out
    assert "evidenced level: 2" in out and "overstates the evidence by 2" in out
    answers = tmp_path / "answers.csv"
    rows = ["question_id,answer"] + [f"{FOCUS}.l{lv},5" for lv in range(1, 6)]
    answers.write_text("\n".join(rows) + "\n")
    assert main(["assess", "bluebird", "--quarter", "2026Q3", "--answers", str(answers)]) == 0
    assert "self-assessed level: 5" in capsys.readouterr().out
    assert main(["assess", "nobody"]) == 2
    assert "not in dataset" in capsys.readouterr().err


def test_every_computed_indicator_is_worded_in_the_model_and_vice_versa(sample_study):
    levels = load_model()["elements"][FOCUS]["levels"]
    in_model = {(key, lv) for lv, text in levels.items() for key in text.get("evidence", {})}
    computed = {(i.key, i.level) for i in am.evidence(sample_study("cedar", "2026Q3"))}
    assert computed == in_model


def test_named_praise_is_recognized_by_the_record_of_cxlab_recognize(sample_study, tmp_path,
                                                                     monkeypatch):
    """The level-5 indicator reads what cxlab recognize sent, and when: on time is within
    RECOGNIZED_WITHIN_DAYS of the comment; it holds from RECOGNIZED_SHARE of the praise."""
    from datetime import timedelta

    from cxlab import config
    from cxlab.report.recognition import positive_mentions
    from cxlab.send.outbox import Outbox

    monkeypatch.setenv("CXLAB_HOME", str(tmp_path))
    study = sample_study("cedar", "2026Q3")
    praise = positive_mentions(study)
    assert len(praise) >= 20
    outbox = Outbox(config.outbox_path("sample", "cedar"))
    outbox.set_start("2026-07-01")  # recognition began with the quarter, sending that day
    outbox.record("story:2026-06-29", "file (x)",
                  at=pd.Timestamp("2026-07-01", tz="UTC").to_pydatetime())
    late = int(len(praise) * (1 - am.RECOGNIZED_SHARE)) + 1  # one too many to hold
    for i, (rid, eid, day) in enumerate(zip(praise["response_id"], praise["employee_id"],
                                            praise["responded_on"], strict=True)):
        days = am.RECOGNIZED_WITHIN_DAYS + (3 if i < late else -6)
        outbox.record(f"shoutout:{rid}:{eid}", "file (x)",
                      at=(day + timedelta(days=days)).tz_localize("UTC").to_pydatetime())
    [indicator] = [i for i in am.evidence(study) if i.key == "named_praise_recognized"]
    assert indicator.met is False
    assert indicator.numbers.startswith(
        f"{len(praise) - late} of {len(praise)} named praise in 2026Q3 since recognition began "
        f"(2026-07-01) recognized within {am.RECOGNIZED_WITHIN_DAYS} days ({len(praise)} "
        "recognized at all)")
    # Sent on time to another channel too: the earliest sending counts.
    for rid, eid, day in zip(praise["response_id"][:late], praise["employee_id"][:late],
                             praise["responded_on"][:late], strict=True):
        outbox.record(f"shoutout:{rid}:{eid}", "file (y)",
                      at=(day + timedelta(days=1)).tz_localize("UTC").to_pydatetime())
    [indicator] = [i for i in am.evidence(study) if i.key == "named_praise_recognized"]
    assert indicator.met is True


def test_praise_before_recognition_began_is_not_counted_late(sample_study, tmp_path,
                                                            monkeypatch):
    """A first run started after a backlog does not make that backlog 'late'."""
    from cxlab import config
    from cxlab.send.outbox import Outbox

    monkeypatch.setenv("CXLAB_HOME", str(tmp_path))
    study = sample_study("cedar", "2026Q3")
    Outbox(config.outbox_path("sample", "cedar")).set_start("2026-10-01")
    [indicator] = [i for i in am.evidence(study) if i.key == "named_praise_recognized"]
    assert indicator.met is None and "since recognition began (2026-10-01)" in indicator.numbers


def test_a_first_run_over_earlier_comments_is_not_late_by_their_age(sample_study, tmp_path,
                                                                    monkeypatch):
    """Recognition starts today over the data's last week (or over historical data): praise
    said before the first sending is on time if sent within the days from that sending,
    so starting cxlab recognize never lowers the evidenced level (a new user's trial)."""
    from datetime import timedelta

    from cxlab import config
    from cxlab.report.recognition import positive_mentions
    from cxlab.send.outbox import Outbox

    monkeypatch.setenv("CXLAB_HOME", str(tmp_path))
    study = sample_study("cedar", "2026Q3")
    praise = positive_mentions(study)
    recent = praise[praise["responded_on"] >= pd.Timestamp("2026-09-24")]
    assert len(recent) >= 2
    outbox = Outbox(config.outbox_path("sample", "cedar"))
    outbox.set_start("2026-09-24")
    first_run = pd.Timestamp("2026-11-27 10:00", tz="UTC")  # weeks after the comments
    for i, (rid, eid) in enumerate(zip(recent["response_id"], recent["employee_id"],
                                       strict=True)):
        outbox.record(f"shoutout:{rid}:{eid}", "file (x)",
                      at=(first_run + timedelta(minutes=i)).to_pydatetime())
    [indicator] = [i for i in am.evidence(study) if i.key == "named_praise_recognized"]
    assert indicator.met is True
    assert indicator.numbers.startswith(f"{len(recent)} of {len(recent)} named praise in 2026Q3 "
                                        "since recognition began (2026-09-24)")
