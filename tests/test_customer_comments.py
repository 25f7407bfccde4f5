"""Customer comments: language detection, sentiment that never calls a foreign text neutral,
and the report section on what customers' comments say."""

import math

import pandas as pd
import pytest
from report_harness import visible_text

from cxlab import config, report
from cxlab.report.quotes import NOT_QUOTED
from cxlab.text import language, sentiment
from cxlab.text.themes import CUSTOMER_THEMES, theme_summary

#: Planted comments, as customers write them: sentences and one- or two-word answers.
PLANTED = {
    "en": ["The agent fixed my problem in one call, great service.",
           "Waited forty minutes on hold and nobody answered.",
           "Very friendly staff at the branch, thank you!",
           "My bill was wrong again this month.",
           "Delivery arrived late and the box was damaged.",
           "Terrible experience, I will cancel my account.",
           "Nobody called me back after I reported the fault."],
    "es": ["El agente resolvió mi problema en una sola llamada, excelente servicio.",
           "Esperé cuarenta minutos y nadie me atendió.",
           "El personal de la sucursal fue muy amable, ¡gracias!",
           "Mi factura estaba mal otra vez este mes.",
           "La entrega llegó tarde y la caja estaba dañada.",
           "Pésima experiencia, voy a cancelar mi cuenta.",
           "Nadie me devolvió la llamada después de reportar la avería."],
    "fr": ["L'agent a réglé mon problème en un seul appel, excellent service.",
           "J'ai attendu quarante minutes et personne n'a répondu.",
           "Le personnel de l'agence était très aimable, merci !",
           "Ma facture était encore fausse ce mois-ci.",
           "La livraison est arrivée en retard et le carton était abîmé.",
           "Expérience horrible, je vais résilier mon compte.",
           "Personne ne m'a rappelé après mon signalement de la panne."],
    "de": ["Der Mitarbeiter hat mein Problem mit einem Anruf gelöst, toller Service.",
           "Ich habe vierzig Minuten gewartet und niemand hat geantwortet.",
           "Das Personal in der Filiale war sehr freundlich, danke!",
           "Meine Rechnung war diesen Monat schon wieder falsch.",
           "Die Lieferung kam zu spät und der Karton war beschädigt.",
           "Schreckliche Erfahrung, ich kündige mein Konto.",
           "Niemand hat mich nach meiner Störungsmeldung zurückgerufen."],
}
SHORT_FOREIGN = ["Muy bueno", "Gracias Ana", "Très bien", "Merci Anne", "Sehr gut", "Danke Anna"]
SHORT_ENGLISH = ["Great", "Excellent support", "Thanks Anna"]


def _planted() -> tuple[pd.Series, list[str]]:
    texts = [t for ts in PLANTED.values() for t in ts]
    return pd.Series(texts), [code for code, ts in PLANTED.items() for _ in ts]


def test_the_language_of_every_planted_sentence_is_found():
    texts, truth = _planted()
    assert language.detect_all(texts).tolist() == truth


def test_a_text_too_short_to_judge_is_undetermined_not_guessed():
    for text in SHORT_FOREIGN + SHORT_ENGLISH + ["12345 67", "ok"]:
        assert language.detect(text) == language.UNDETERMINED, text
    assert language.detect(None) is None and language.detect("  ") is None
    assert language.name("es") == "Spanish" and language.name("xx") == "xx"


def test_sentiment_never_scores_a_foreign_comment_as_neutral():
    texts, truth = _planted()
    texts = pd.concat([texts, pd.Series(SHORT_FOREIGN + SHORT_ENGLISH + [None])],
                      ignore_index=True)
    assessed = sentiment.assess(texts)
    foreign = [c not in ("en", None) for c in truth] + [True] * len(SHORT_FOREIGN) + [
        False] * (len(SHORT_ENGLISH) + 1)
    assert assessed["score"][foreign].isna().all()
    assert (assessed["tone"][foreign] == sentiment.NOT_SCORED).all()
    english = [c == "en" for c in truth] + [False] * len(SHORT_FOREIGN) + [True] * len(
        SHORT_ENGLISH) + [False]
    assert assessed["score"][english].notna().all()
    assert assessed["tone"][english].isin(["positive", "negative", "neutral"]).all()
    # English tone is VADER's: the planted praise is positive, the complaints negative.
    assert assessed["tone"][2] == "positive" and assessed["tone"][5] == "negative"
    assert assessed["tone"].iloc[-1] is None and math.isnan(assessed["score"].iloc[-1])
    assert sentiment.scores(pd.Series(["Muy amable, excelente servicio de verdad"])).isna().all()
    assert sentiment.label(float("nan")) == sentiment.NOT_SCORED


def test_theme_summary_counts_foreign_comments_in_themes_but_not_in_tone():
    texts = pd.Series(["Waited far too long on hold.", "Esperé mucho, wait wait wait por favor.",
                       "Quick and friendly."])
    summary = theme_summary(texts, {"wait": ["wait", "waited"]}).set_index("theme")
    row = summary.loc["wait"]
    assert (row["k"], row["n"], row["n_scored"], row["n_not_scored"]) == (2, 3, 1, 1)
    assert row["n_negative"] == 0 or row["mean_sentiment"] < 0


def test_customer_themes_is_a_checked_setting():
    assert config.check_settings({"customer_themes": {"parking": ["parking", "car park"]}},
                                 "x")
    with pytest.raises(ValueError, match="customer_themes"):
        config.check_settings({"customer_themes": {"parking": []}}, "x")


def _comments(study, texts):
    """``study`` with this quarter's customer comments replaced by ``texts`` in turn."""
    frame = study.tables["customer_responses"].copy()
    rows = frame.index[frame["responded_on"] >= pd.Timestamp("2026-07-01")]
    frame["comment"] = frame["comment"].astype(object)
    frame.loc[rows, "comment"] = [texts[i % len(texts)] if texts else None
                                  for i in range(len(rows))]
    study.tables = {**study.tables, "customer_responses": frame}
    return study


def test_the_section_on_the_sample_shows_themes_sentiment_and_examples(sample_study):
    study = sample_study("northwind", settings={"quote_comments": True})
    note = report.customer_comments_note(study).data
    assert "customer comments in 2026Q3" in note and "not quoted" not in note
    themes = report.customer_themes_table(study)
    assert list(themes.index) == list(CUSTOMER_THEMES)
    example = "Example (its more common tone)"
    assert {"Comments", "Share", "Positive (of scored)", "Negative (of scored)",
            example} <= set(themes.columns)
    assert themes.loc["wait and speed", example] not in ("-", NOT_QUOTED)
    # The example has the theme's more common tone: it never contradicts the shares beside it.
    from cxlab.report.comments import comments_frame

    frame = comments_frame(study)
    tone = frame.set_index("comment")["tone"].to_dict()
    assert sum(q in tone for q in themes[example]) >= 3  # quoted unredacted: checkable below
    for theme, row in themes.iterrows():
        quoted = row[example]
        positive, negative = (float(row[c].split("%")[0]) if "%" in row[c] else 0.0
                              for c in ("Positive (of scored)", "Negative (of scored)"))
        if quoted in tone and positive != negative:  # an unredacted quote, a clear leaning
            assert tone[quoted] == ("positive" if positive > negative else "negative"), theme
    for by, n in (("quarter", 4), ("channel", 6), ("department", 5)):
        table = report.customer_sentiment_table(study, by)
        assert len(table) == n, by
        assert table["Positive (of scored)"].str.contains(r"% to .*n=").all()


def test_without_leave_to_quote_the_section_shows_counts_only(sample_study):
    study = sample_study("northwind")
    note = report.customer_comments_note(study).data
    assert "not quoted" in note and "quote_comments" in note
    themes = report.customer_themes_table(study)
    assert not any(c.startswith("Example") for c in themes.columns)
    shown = visible_text(themes) + note
    comments = study.rows("customer_responses")["comment"].dropna().unique()
    assert not [c for c in comments if len(c) > 20 and c[:20] in shown]


def test_a_client_without_comments_gets_a_clear_line(sample_study):
    study = _comments(sample_study("cedar"), [])
    assert "No customer comments in 2026Q3" in report.customer_comments_note(study).data
    assert "No customer comments" in report.customer_themes_table(study).data
    assert "No customer comments" in report.customer_sentiment_table(study, "channel").data
    assert isinstance(report.customer_sentiment_table(study, "quarter"), pd.DataFrame)


def test_a_client_whose_comments_are_all_foreign_gets_no_neutral(sample_study):
    study = _comments(sample_study("cedar"), PLANTED["es"] + PLANTED["fr"])
    note = report.customer_comments_note(study).data
    assert "scored 0" in note and "Spanish" in note and "French" in note
    assert "No comment this quarter is in a language the model covers" in note
    table = report.customer_sentiment_table(study, "department")
    assert (table["Positive (of scored)"] == "- (none scored)").all()
    assert table["Not scored (language)"].str.contains("Spanish").all()
    themes = report.customer_themes_table(study)
    assert not themes["Mean sentiment"].str.contains(r"[+-]0\.00").any()


def test_a_hostile_comment_is_escaped(sample_study):
    hostile = ('<script>alert(1)</script> Waited ages [x](javascript:alert(2)) $x$ '
               '<img src=x onerror=alert(3)>')
    study = _comments(sample_study("cedar", settings={"quote_comments": True}), [hostile])
    html = visible_text(report.customer_themes_table(study))
    assert "<script" not in html and "<img" not in html
    assert "Waited ages" in html
    assert "<" not in report.customer_comments_note(study).data


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_a_quarter_with_very_many_comments_is_read_as_a_systematic_sample(sandbox, monkeypatch,
                                                                          engine):
    """Beyond MAX_COMMENTS a quarter's comments are every k-th row of the table (the same
    rows whatever the engine), and the note gives the quarter's count and says so."""
    import cxlab
    from cxlab.report import comments

    study = cxlab.open_study("cedar", "2026Q3", engine=engine)
    every_comment = study.comments("customer_responses", "2026Q3")
    total = len(every_comment)
    assert every_comment.attrs == {"comments": total, "every": 1} and total > 100
    sample = study.comments("customer_responses", "2026Q3", at_most=total // 4)
    k = sample.attrs["every"]
    assert k == math.ceil(total / (total // 4)) and sample.attrs["comments"] == total
    # Every k-th row of the table (by its place in the file), those with a comment.
    rows = cxlab.open_study("cedar", "2026Q3", engine="pandas").tables["customer_responses"]
    expected = rows.index[(rows.index % k == 0) & rows["comment"].notna()
                          & (rows["responded_on"] >= "2026-07-01")
                          & (rows["responded_on"] < "2026-10-01")]
    assert list(sample.index) == list(expected)
    monkeypatch.setattr(comments, "MAX_COMMENTS", total // 4)
    study = cxlab.open_study("cedar", "2026Q3", engine=engine)
    note = report.customer_comments_note(study).data
    assert f"{total:,} customer comments in 2026Q3; the themes and sentiment are read from a " \
           "systematic sample of" in note
    this_quarter = f"; in 2026Q3, of a systematic sample of {len(sample):,} of its {total:,} " \
                   "comments"
    assert report.customer_sentiment_table(study).attrs["caption"].endswith(this_quarter)
    said = report.statements_table(study)
    assert this_quarter + "; in 2026Q2, of a systematic sample of " in said.attrs["caption"]
    from cxlab.report import exports  # the workbook says so too

    for sheet in (exports.statements_sheet, exports.comment_themes_sheet,
                  exports.comment_tone_sheet):
        assert sheet(study).note.endswith(f"{len(sample):,} of {total:,} in 2026Q3."), sheet
        assert " Read from a systematic sample of the comments: " in sheet(study).note
    assert all(int(c.split(" of ")[1]) < total for c in said["Comments"])


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_every_comment_read_in_parts_is_read_once_and_named_praise_is_unchanged(
        sandbox, monkeypatch, engine):
    """Named praise reads all of a quarter's comments, a part at a time where an engine holds
    them: the parts cover each commented row once, and the mentions, put back in the table's
    order, are those of one whole read; so are the employees behind each statement."""
    import cxlab
    from cxlab import study as study_module
    from cxlab.report import recognition

    study = cxlab.open_study("cedar", "2026Q3", engine=engine)
    whole = study.comments("customer_responses", "2026Q3")
    parts = list(study.comments_in_parts("customer_responses", "2026Q3", rows=40))
    if engine == "pandas":  # already in memory: one part
        assert len(parts) == 1
    else:
        assert len(parts) == math.ceil(len(whole) / 40) > 2
        assert max(len(p) for p in parts) < 2 * 40  # about 40 each, by place in the file
    places = sorted(place for part in parts for place in part.index)
    assert places == list(whole.index)
    at_once = recognition.mentions_frame(study), report.statement_sources(study)
    monkeypatch.setattr(study_module, "COMMENT_PART", 9)
    again = cxlab.open_study("cedar", "2026Q3", engine=engine)
    in_parts = recognition.mentions_frame(again), report.statement_sources(again)
    assert len(at_once[0]) > 10 and len(at_once[1]) > 3
    for whole_read, part_read in zip(at_once, in_parts, strict=True):
        pd.testing.assert_frame_equal(part_read, whole_read)


def test_a_quarter_without_any_comment_says_so(sandbox):
    """No comment in any quarter: the comment sections say there is none (the frame of no
    comments keeps its columns; found on a real export without comments)."""
    from report_harness import cxlab_home

    import cxlab

    with cxlab_home(sandbox):
        study = cxlab.open_study("cedar", "2026Q3", engine="duckdb")
        answers = study.tables["customer_responses"]
        study.tables["customer_responses"] = answers.assign(comment=None)
        assert "No customer comments in 2026Q3" in report.customer_comments_note(study).data
        assert "No customer comments" in report.customer_sentiment_table(study).data
