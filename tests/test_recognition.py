"""Recognition, the three statements and voice of the employee."""

import hashlib

import numpy as np
import pandas as pd
import pytest

from cxlab import config, metrics
from cxlab.data.store import read_table
from cxlab.recognition import collection_leaderboard, draw, drawing_seed
from cxlab.report import recognition, statements, voice
from cxlab.text.statements import says
from cxlab.text.themes import discover_topics

# ------------------------------------------------------------------------------------------
# The drawing


def test_drawing_is_seeded_auditable_and_order_free():
    first = draw(["E3", "E1", "E2", "E1"], "cedar 2026-09")
    again = draw(["E2", "E3", "E1"], "cedar 2026-09")
    assert first == again and first.entrants == ("E1", "E2", "E3")
    assert first.seed == int(hashlib.sha256(b"cedar 2026-09").hexdigest()[:16], 16)
    expected = first.entrants[np.random.default_rng(first.seed).integers(3)]
    assert first.winner == expected and first.verify()
    assert draw([], "cedar 2026-10").winner is None
    assert drawing_seed("cedar 2026-09") != drawing_seed("cedar 2026-10")


@pytest.mark.parametrize("names_shown", [True, False])
def test_report_drawings_publish_labels_and_the_key_holder_can_verify(sample_study, names_shown):
    from cxlab import privacy
    from cxlab.recognition import verify_published

    study = sample_study("cedar", "2026Q3", settings={"show_employee_names": names_shown})
    table = recognition.monthly_drawings(study)
    assert list(table.index) == ["2026-07", "2026-08", "2026-09"]
    roster = study.tables["employees"]
    text = table.to_string()
    assert not any(e in text for e in roster["employee_id"])  # no internal id is published
    if names_shown:
        ids_of = dict(zip(roster["display_name"], roster["employee_id"], strict=True))
    else:
        labels = [x for row in table["Entrants (by label)"] for x in row.split(", ")]
        ids_of = privacy.reverse_labels("cedar", labels, roster["employee_id"])
        assert not any(n in text for n in roster["display_name"])
    for month, row in table.iterrows():
        entrants = row["Entrants (by label)"].split(", ")
        assert len(entrants) == row["Entrants"]
        label = row["Drawing label (fixes the draw)"]
        assert label == f"cedar {month}"  # no 19-digit seed on the page: it comes from this
        assert verify_published(label, None, entrants, row["Winner"], ids_of)
        loser = next(e for e in entrants if e != row["Winner"])
        assert not verify_published(label, None, entrants, loser, ids_of)


# ------------------------------------------------------------------------------------------
# The review-collection leaderboard


def test_leaderboard_ranks_real_differences_and_not_luck():
    rng = np.random.default_rng(4)
    n = rng.integers(30, 200, 40)
    true = np.where(np.arange(40) % 2 == 0, 0.1, 0.3)
    reviews = pd.Series(rng.binomial(n, true), index=[f"E{i}" for i in range(40)])
    opportunities = pd.Series(n, index=reviews.index)
    teams = pd.Series(["A"] * 20 + ["B"] * 20, index=reviews.index)
    lucky = reviews.index[0]
    reviews[lucky], opportunities[lucky] = 3, 3  # 3 of 3 on 3 contacts
    board = collection_leaderboard(reviews, opportunities, teams, min_n=20)
    assert not board.attrs["pooled"]
    assert np.isnan(board.loc[lucky, "rank"]) and board.loc[lucky, "rate"] < 1
    top = board[board["rank"] == 1]
    assert set(top.index) <= set(reviews.index[1::2])  # the true 30% collectors
    same = collection_leaderboard(pd.Series(rng.binomial(100, 0.2, 40), index=reviews.index),
                                  pd.Series(100, index=reviews.index), teams, min_n=20)
    assert same.attrs["pooled"] and same["rank"].isna().all()


# ------------------------------------------------------------------------------------------
# Shout-outs and stories: redacted, positive, named as configured


def test_feed_shows_redacted_positive_mentions(sample_study):
    study = sample_study("cedar", "2026Q3")
    responses = study.tables["customer_responses"]
    found = recognition.mentions_frame(study)
    target = found["response_id"].iloc[0]
    responses.loc[responses["response_id"] == target, "comment"] = (
        responses.loc[responses["response_id"] == target, "comment"]
        + " Write to me at pat@example.com or call 0161 496 0000.")
    study._memo.clear()
    found = recognition.mentions_frame(study)
    assert not found["sentence"].str.contains("@|0161", regex=True).any()
    feed = recognition.shoutout_feed(study)
    assert feed["Employee"].str.startswith("Employee ").all()
    stories = recognition.stories_of_the_week(study)
    assert len(stories) == found["week"].nunique()


# ------------------------------------------------------------------------------------------
# The three statements


def test_statement_shares_by_hand(sample_study):
    study = sample_study("northwind", "2026Q3")
    frame = statements.statements_frame(study)
    now = frame[frame["quarter"] == "2026Q3"].set_index("statement")
    comments = study.rows("customer_responses")["comment"].dropna()
    for item in config.DEFAULT_STATEMENTS:
        k = int(says(comments, item["phrases"]).sum())
        assert (now.loc[item["label"], "k"], now.loc[item["label"], "n"]) == (k, len(comments))
        low, high = metrics.wilson_interval(k, len(comments))[2:]
        assert now.loc[item["label"], "ci_low"] == pytest.approx(low)
    assert now["k"].min() > 0


def test_client_statements_are_checked():
    good = [{"label": f"s{i}", "phrases": ["a"]} for i in range(3)]
    assert config.check_settings({"three_statements": good}, "t")["three_statements"] == good
    with pytest.raises(ValueError, match="exactly three"):
        config.check_settings({"three_statements": good[:2]}, "t")
    with pytest.raises(ValueError, match="statement 2 must be"):
        config.check_settings({"three_statements": [good[0], {"label": "x"}, good[2]]}, "t")


# ------------------------------------------------------------------------------------------
# Voice of the employee


def _shown(table):
    return table[~table["eNPS"].str.startswith("hidden")]


def test_enps_by_team_matches_the_metric(sample_study):
    study = sample_study("evergreen", "2026Q3")
    table = voice.voice_by_group(study, "team")
    rows, quarter = voice.pulse_rows(study)
    assert quarter == "2026Q3"
    team = _shown(table).index[0]
    est = metrics.nps(rows.loc[rows["team"] == team, "enps"])
    assert table.loc[team, "eNPS"].startswith(f"{est.value:+.1f}")
    assert int(table.loc[team, "Answers"]) >= 5
    assert set(_shown(table)["eNPS against the rest"]) <= {"-", "above", "below"}


def test_small_groups_are_hidden_and_intervals_stay_on_the_scale(sample_study):
    study = sample_study("cedar", "2026Q3")
    table = voice.voice_by_group(study, "department")
    rows, _ = voice.pulse_rows(study)
    department = rows["team"].map(study.tables["employees"].drop_duplicates("team")
                                  .set_index("team")["department"])
    # Named employees once each; anonymous answers cannot be told apart, so one each.
    respondents = rows.groupby(department)["employee_id"].agg(lambda e: e.nunique() + e.isna().sum())
    small = respondents[respondents < 5].index
    assert len(small) and table.loc[small].map(lambda v: v.startswith("hidden")).all().all()
    shown = _shown(table)["I have the training I need"].str.extract(
        r"\(([-\d.]+) to ([-\d.]+)\)").astype(float)
    assert (shown[0] >= 1).all() and (shown[1] <= 5).all()


def test_no_enps_asked_and_no_pulse_are_said_plainly(sample_study):
    table = voice.voice_by_group(sample_study("bluebird", "2026Q3"))
    assert len(_shown(table)) and (_shown(table)["eNPS"] == "not asked").all()
    assert "no pulse this quarter" in voice.voice_note(sample_study("northwind", "2026Q3")).data


def test_topics_are_seeded_and_themes_counted(sample_study):
    comments = sample_study("cedar", "2026Q3").window("employee_responses", 4)["comment"]
    a, assign_a = discover_topics(comments)
    b, assign_b = discover_topics(comments)
    pd.testing.assert_frame_equal(a, b)
    assert a["n"].sum() == comments.notna().sum()
    with pytest.raises(ValueError, match="too few"):
        discover_topics(comments.dropna().head(5))
    themes = voice.themes_table(sample_study("cedar", "2026Q3"))
    assert "tools and systems" in themes.index


def test_actions_log_newest_first_and_optional(sample_study, tmp_path):
    log = voice.actions_log(sample_study("cedar", "2026Q3"))
    dates = pd.to_datetime(log.index, format="%d %b %Y")
    assert dates.is_monotonic_decreasing and len(log) > 4
    assert "No actions" in voice.actions_log(sample_study("bluebird", "2026Q3")).data
    (tmp_path / "ds" / "acme").mkdir(parents=True)
    empty = read_table("ds", "acme", "feedback_actions", root=tmp_path)
    assert empty.empty and "we_did" in empty.columns


def test_a_survey_without_comments_says_so(sample_study):
    """A real export may carry no comment column at all (the airline survey does not)."""
    study = sample_study("cedar")
    study.tables["customer_responses"] = study.tables["customer_responses"].assign(comment=pd.NA)
    assert "No customer comments this quarter" in statements.statements_table(study).data
    from cxlab.report import statements_chart

    assert "No comments yet" in statements_chart(study).data


def test_praise_in_a_language_the_model_does_not_cover_is_not_scored(sample_study):
    study = sample_study("cedar", "2026Q3")
    frame = study.tables["customer_responses"].copy()
    name = study.tables["employees"]["display_name"].iloc[0]
    rows = study.rows("customer_responses")
    target = rows.index[0]
    frame.loc[target, "comment"] = (f"Muchas gracias a {name}, nos ayudó muchísimo con la "
                                    "factura y fue muy amable por teléfono.")
    study.tables["customer_responses"] = frame
    found = recognition.mentions_frame(study)
    mine = found[found["response_id"] == frame.loc[target, "response_id"]]
    assert len(mine) == 1 and np.isnan(mine["sentiment"].iloc[0])
    assert mine["tone"].iloc[0] != "neutral"
    assert "not scored" in recognition.recognition_summary(study).data
