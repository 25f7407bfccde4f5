"""The executive summary at the top of each report (issue 18, part 1): tiles, findings,
maturity; and the scorecard's p-values in words."""

import html
import json
import re

import numpy as np
import pandas as pd
import pytest
from report_harness import TEMPLATE

from cxlab import periods
from cxlab.report import summary, tables, voice
from cxlab.report.tables import fmt_p


def _tiles(study) -> dict[str, str]:
    """Each tile's HTML by its measure's label (unescaped)."""
    page = html.unescape(summary.kpi_tiles(study).data)
    found = re.findall(r'<li class="cx-kpi-tile"><p class="cx-kpi-label">(.*?)</p>(.*?)</li>',
                       page, re.S)
    return {label: body for label, body in found}


def _changes(tile: str) -> list[tuple[str, str, str]]:
    """``(colour class, arrow, words)`` of a tile's two comparisons."""
    return re.findall(r'<p class="cx-kpi-change (cx-\w+)"[^>]*>(?:<span aria-hidden="true">'
                      r"(.)</span> )?(.*?)</p>", tile)


def _bullets(study) -> list[str]:
    return [line for line in html.unescape(summary.key_findings(study).data).splitlines()
            if line.startswith("- ")]


def _plant_repeat_contacts(study, share: float = 0.4):
    """Make this quarter's repeat contacts far more frequent: a clear change for the worse."""
    rows = study.tables["interactions"]
    now = (periods.label(pd.to_datetime(rows["started_at"])) == study.quarter).to_numpy()
    hit = now & (np.random.default_rng(3).random(len(rows)) < share)
    study.tables["interactions"] = rows.assign(
        is_repeat_within_7d=rows["is_repeat_within_7d"].mask(hit, True))
    return study


# ------------------------------------------------------------------------------------------
# Tiles


def test_a_measure_clearly_worse_is_red_with_its_arrow_and_leads_the_findings(sample_study):
    study = _plant_repeat_contacts(sample_study("cedar"))
    row = tables.scorecard_frame(study).set_index("key").loc["repeat_contact_rate"]
    assert row["prev_change"] > 0.2 and row["prev_p_adj"] < 0.001
    (css, arrow, words), _ = _changes(_tiles(study)["Repeat contact within 7 days"])
    # More repeat contacts: the arrow goes up, and that is worse.
    assert (css, arrow) == ("cx-worse", "▲") and words.endswith("<strong>worse</strong> "
                                                               "<small>(p < 0.001, adjusted)</small>")
    first = _bullets(study)[0]
    assert first.startswith("- **Repeat contact within 7 days got worse**")
    assert "(p < 0.001, adjusted)" in first and first.endswith("See [Scorecard].")


def test_fewer_repeat_contacts_are_better_and_a_change_not_significant_is_no_clear_change(
        sample_study):
    """Hand-checked on the sample: Northwind's repeat contacts fell 3.1 points against 2026Q2
    (adjusted p = 0.006); its CES moved +0.05 (adjusted p = 1.00)."""
    study = sample_study("northwind")
    tiles = _tiles(study)
    (css, arrow, words), _ = _changes(tiles["Repeat contact within 7 days"])
    assert (css, arrow) == ("cx-better", "▼") and "-3.1 pp vs 2026Q2: <strong>better" in words
    (css, arrow, words), _ = _changes(tiles["CES, mean of 1-7"])
    assert (css, arrow) == ("cx-flat", "△") and words == "+0.05 vs 2026Q2: <strong>no clear change</strong>"
    assert 'title="up 0.05 against 2026Q2: no clear change (not significant, adjusted p = 1.00)"' \
        in tiles["CES, mean of 1-7"]
    # eNPS was not asked this quarter: no tile, one line says so.
    assert "eNPS (points)" not in tiles
    assert "Not measured this quarter: eNPS." in html.unescape(summary.kpi_tiles(study).data)
    assert "Few answers" not in "".join(tiles.values())


def test_findings_rank_worse_changes_by_adjusted_p_then_the_groups_below(sample_study):
    study = sample_study("driftwood")
    frame = tables.scorecard_frame(study)
    worse = frame[((frame["prev_p_adj"] < 0.05) & (frame["prev_change"] < 0))
                  | ((frame["yago_p_adj"] < 0.05) & (frame["yago_change"] < 0))]
    order = worse.assign(p=worse[["prev_p_adj", "yago_p_adj"]].min(axis=1)).sort_values("p")
    assert len(order) >= 2  # NPS, CSAT and CES fell clearly on the sample
    bullets = _bullets(study)
    assert len(bullets) == summary.MAX_FINDINGS
    assert [b.split(" got worse")[0].removeprefix("- **") for b in bullets[:len(order)]] == \
        order["measure"].tolist()
    assert bullets[len(order)].startswith("- **Below the rest of Driftwood on NPS**")
    assert "Support (-49.4, n=896) among departments" in bullets[len(order)]


def _finding(study, start: str) -> str | None:
    return next((b for b in _bullets(study) if b.startswith(start)), None)


def test_teams_with_employee_nps_below_the_rest_are_a_finding_unless_hidden(sample_study):
    study = sample_study("cedar")
    page = voice.voice_by_group(study, "team")
    below = page.index[page["eNPS against the rest"] == "below"].tolist()
    assert below == ["Support 2"]  # flagged in the section: the summary must list it too
    found = _finding(study, "- **Employee NPS below the rest**")
    assert found is not None and "Support 2 (-83.3, n=6) among teams" in found
    assert found.endswith("See [Voice of the employee].")
    # A group confidentiality hides is never named, even though its eNPS is the lowest.
    hidden = sample_study("cedar", settings={"min_group_size": 7})
    assert voice.voice_by_group(hidden, "team").loc["Support 2", "eNPS"].startswith("hidden")
    assert "Support 2" not in summary.key_findings(hidden).data


def test_departments_rewarded_on_no_customer_outcome_are_a_finding(sample_study):
    study = sample_study("northwind")
    found = _finding(study, "- **No CX measure in the incentive plan")
    assert found is not None
    assert "of 1 of 6 departments**, rewarded instead on: HR (time to hire)." in found
    plan = study.tables["incentive_plan"]
    hr = plan[plan["department"] == "HR"].iloc[[0]].assign(metric="csat", weight=0.2)
    study.tables["incentive_plan"] = pd.concat([plan, hr], ignore_index=True)
    assert _finding(study, "- **No CX measure in the incentive plan") is None


def test_unhappy_customers_not_followed_up_within_48_hours_are_counted(sample_study):
    study = sample_study("cedar")
    answers = study.tables["customer_responses"]
    day = pd.to_datetime(answers["responded_on"]).dt.normalize()
    unhappy = answers[((answers["nps"] <= 6) | (answers["csat"] <= 2))
                      & (periods.label(day) == study.quarter)]
    follow = study.tables["follow_ups"].set_index("response_id")["followed_up_on"]
    when = pd.to_datetime(unhappy["response_id"].map(follow)).dt.normalize()
    in_time = ((when - day[unhappy.index]).dt.days <= 2).sum()
    missed = len(unhappy) - in_time
    assert 0 < missed < len(unhappy)
    found = _finding(study, f"- **{missed:,} of {len(unhappy):,} unhappy customers were not "
                            "followed up within 48 hours** in 2026Q3")
    assert found is not None and found.endswith("See [Closing the loop].")
    # Everyone called back the next day: nothing needs action here.
    first_day = pd.to_datetime(answers.set_index("response_id")["responded_on"])
    calls = pd.DataFrame({"client": "cedar", "response_id": unhappy["response_id"],
                          "followed_up_on": unhappy["response_id"].map(first_day)
                          + pd.Timedelta(days=1)})
    study.tables["follow_ups"] = calls.reset_index(drop=True)
    assert not any("followed up within 48" in b for b in _bullets(study))
    # Without a follow-ups table, the summary says it could not assess it.
    study.absent = (*study.absent, "follow_ups")
    assert "closing the loop (it needs the follow-ups table)" in html.unescape(
        summary.key_findings(study).data)


def test_a_small_sample_is_marked_read_with_care(sample_study):
    study = sample_study("cedar")
    rows = study.tables["accounts"]
    now = periods.label(pd.to_datetime(rows["renewal_due_on"])) == study.quarter
    study.tables["accounts"] = pd.concat([rows[~now], rows[now].head(8)])
    tile = _tiles(study)["Renewal rate (accounts due)"]
    assert "n = 8" in tile and "Few answers: read with care" in tile
    assert "Few answers" not in _tiles(study)["NPS (points)"]


def test_tiles_wrap_on_a_phone_and_carry_their_own_scoped_style(sample_study):
    page = summary.kpi_tiles(sample_study("northwind")).data
    assert "grid-template-columns:repeat(auto-fit,minmax(10rem,1fr))" in page
    css = re.search(r"<style>(.*?)</style>", page, re.S)[1]
    assert all(rule.startswith(".cx-kpi") for rule in css.splitlines())


# ------------------------------------------------------------------------------------------
# Findings and maturity


def test_every_finding_links_to_an_anchor_before_its_heading_in_the_template():
    cells = [("".join(c["source"])) for c in json.loads(TEMPLATE.read_text())["cells"]
             if c["cell_type"] == "markdown"]
    for where in summary.SECTIONS.values():
        [cell] = [c for c in cells if f'<div id="{where.anchor}"></div>' in c]
        assert cell.startswith(f'<div id="{where.anchor}"></div>\n\n## {where.heading}\n')


def test_the_links_work_in_the_preview_and_in_pandoc(sample_study):
    """The preview renders outputs with nbconvert (mistune), Quarto with Pandoc."""
    import nbformat
    import pypandoc
    from nbconvert import HTMLExporter

    findings = summary.key_findings(sample_study("driftwood")).data
    targets = re.findall(r"^\[([^\]]+)\]: #(\S+)$", findings, re.M)
    assert len(targets) >= 3
    cell = nbformat.v4.new_code_cell("report.key_findings(study)")
    cell.outputs = [nbformat.v4.new_output("execute_result", execution_count=1, data={
        "text/markdown": findings, "text/plain": ""})]
    preview, _ = HTMLExporter(template_name="basic", exclude_input=True,
                              exclude_output_prompt=True).from_notebook_node(
        nbformat.v4.new_notebook(cells=[cell]))
    quarto = pypandoc.convert_text(findings, "html5", format="markdown", extra_args=["--wrap=none"])
    for heading, anchor in targets:
        link = f'<a href="#{anchor}">{heading}</a>'
        assert link in preview and link in quarto
    assert "]:" not in re.sub(r"<[^>]+>", "", preview + quarto)  # no definition left as text


def test_no_clear_worsening_is_said_above_the_findings_not_as_one(sample_study):
    """"Nothing got worse" needs no action: it is a sentence above the findings."""
    text = html.unescape(summary.key_findings(sample_study("northwind")).data)
    status, rest = text.split("**What needs action**")
    assert status.strip() == ("No headline measure got clearly worse against 2026Q2 or 2025Q3 "
                              "(adjusted p below 0.05); clearly better: NPS (points), Repeat "
                              "contact within 7 days.")
    bullets = _bullets(sample_study("northwind"))
    assert not any("worse" in b for b in bullets)
    assert 3 <= len(bullets) <= summary.MAX_FINDINGS
    # When a measure did get worse, there is no such sentence.
    study = sample_study("northwind")
    _plant_repeat_contacts(study)
    assert summary.status_line(study) is None


def _plant_falling_csat(study, per_quarter: float = 0.028, seed: int = 11):
    """Each quarter, a further ``per_quarter`` of the customers who answered CSAT answer 1:
    a gentle, steady fall of the top-2 share (about 2 pp a quarter), too small between
    neighbouring quarters or a year apart to pass the scorecard's adjusted tests."""
    rows = study.tables["customer_responses"]
    quarters = periods.label(pd.to_datetime(rows["responded_on"]))
    step = np.array([periods.quarter_index(q) for q in quarters])
    step = step - step.min()
    rng = np.random.default_rng(seed)
    hit = (rng.random(len(rows)) < per_quarter * step) & rows["csat"].notna().to_numpy()
    study.tables["customer_responses"] = rows.assign(csat=rows["csat"].mask(hit, 1))


def test_a_steady_fall_is_a_finding_linked_to_the_trends(sample_study):
    study = sample_study("cedar")
    assert not any("has been" in b for b in _bullets(study))  # none in the sample
    _plant_falling_csat(study)
    falling = [b for b in _bullets(study) if "has been falling" in b]
    assert len(falling) == 1, _bullets(study)
    [line] = falling
    assert line.startswith("- **CSAT, share 4-5 has been falling**: -")
    assert "Holm-adjusted over the" in line and line.endswith("See [Trends].")
    low, high = (float(v) for v in re.search(r"95% CI (\S+) pp to (\S+) pp\)", line).groups())
    assert low < -2.1 < high < 0  # planted: about -2.1 pp a quarter
    assert "[Trends]: #cx-trends" in summary.key_findings(study).data
    # Listed once: a measure already worse than last quarter is not repeated as a trend.
    _plant_falling_csat(study, per_quarter=0.08)
    bullets = _bullets(study)
    assert any(b.startswith("- **CSAT, share 4-5 got worse**") for b in bullets)
    assert not any("CSAT, share 4-5 has been" in b for b in bullets)


def test_the_maturity_headline_names_the_level_and_its_next_step(sample_study):
    text = html.unescape(summary.maturity_headline(sample_study("northwind")).data)
    assert text.startswith("**Employee-experience maturity: level 3 of 5, Leaders accountable**")
    assert ("**Next step** towards level 4: Publish fair employee scorecards" in text
            and text.endswith("See [Employee-experience maturity].\n\n"
                              "[Employee-experience maturity]: #cx-maturity"))


def test_client_names_and_labels_are_escaped(sample_study):
    study = sample_study("northwind")
    study.client_name = '<img src=x onerror="alert(1)"> & Co'
    study.quality = [{"table": "customer_responses", "ratings": {
        "rating_resolution": {"label": "<b>Fixed</b> [x](javascript:alert(1))", "scale": [1, 5]},
        "rating_courtesy": {"label": "<script>alert(2)</script>", "scale": [1, 5],
                            "overall": True}}}]
    shown = "\n".join(f(study).data for f in (summary.kpi_tiles, summary.key_findings,
                                                summary.maturity_headline))
    for raw in ("<img", "<b>", "<script", "](javascript", "]("):
        assert raw not in shown
    # The only links are the package's own, to the report's sections.
    anchors = {f"#{where.anchor}" for where in summary.SECTIONS.values()}
    assert set(re.findall(r"^\[[^\]]+\]: (.*)$", shown, re.M)) <= anchors
    text = html.unescape(shown)
    assert '<img src=x onerror="alert(1)"> & Co' in text  # shown, as written
    assert "<script>alert(2)</script>, mean of 1-5" in text  # the overall rating's tile
    assert "Fix first: “<b>Fixed</b> [x](javascript:alert(1))”" in text


@pytest.fixture
def survey_only(tmp_path, monkeypatch):
    """An imported client with customer survey answers only: no interactions, accounts,
    employees, incentive plan or pulse. NPS falls from 2026Q2 to 2026Q3."""
    from cxlab.data.imports import import_file
    from cxlab.study import open_study

    monkeypatch.setenv("CXLAB_HOME", str(tmp_path))
    rng = np.random.default_rng(5)
    q2 = rng.choice([10, 9, 8, 5], 200, p=[0.4, 0.2, 0.2, 0.2])
    q3 = rng.choice([10, 9, 8, 5], 200, p=[0.2, 0.1, 0.3, 0.4])
    frame = pd.DataFrame({"id": [f"R{i}" for i in range(400)],
                          "date": ["2026-05-15"] * 200 + ["2026-08-15"] * 200,
                          "nps": np.concatenate([q2, q3]), "csat": rng.integers(1, 6, 400)})
    frame.to_csv(tmp_path / "survey.csv", index=False)
    (tmp_path / "survey.yml").write_text(
        "table: customer_responses\ncolumns: {response_id: id, responded_on: date, nps: nps, "
        "csat: csat}\nconstants: {customer_id: c, channel: web, journey_stage: usage, "
        "department: Support}\n")
    import_file(tmp_path / "survey.csv", tmp_path / "survey.yml", "exports", "acme",
                as_of="2026-09-30")
    return open_study("acme", "2026Q3", dataset="exports", client_name="Acme")


def test_a_client_with_only_survey_answers_gets_tiles_and_honest_findings(survey_only):
    from cxlab import report

    study = survey_only
    assert {"interactions", "employees", "incentive_plan"} <= set(study.absent)
    tiles = _tiles(study)
    assert set(tiles) == {"NPS (points)", "CSAT, share 4-5"}
    (css, arrow, _), (_, _, versus_year) = _changes(tiles["NPS (points)"])
    assert (css, arrow) == ("cx-worse", "▼") and versus_year == "vs 2025Q3: no comparison"
    note = html.unescape(report.kpi_tiles(study).data)
    assert re.search(r"Not measured this quarter: CES, FCR, repeat contacts, renewal rate, "
                     r"eNPS\.", note)
    findings = html.unescape(report.key_findings(study).data)
    assert findings.splitlines()[2].startswith("- **NPS (points) got worse**")
    assert "*Not assessed for lack of data: " in findings
    for lacking in ("teams against the rest", "incentive audit", "key drivers: no attribute "
                    "ratings", "maturity evidence"):
        assert lacking in findings
    assert "Not available for Acme" in report.maturity_headline(study).data


def test_a_first_quarter_of_data_claims_no_change(survey_only):
    study = survey_only
    study.quarter = "2026Q2"  # nothing before it to compare with
    findings = html.unescape(summary.key_findings(study).data)
    assert "- " not in findings and "Nothing this report's data can show needs action." in findings
    assert ("Not assessed for lack of data: changes (no headline measure was measured in both "
            "2026Q2 and 2026Q1 or 2025Q2)") in findings
    assert all(changes == [("cx-flat", "", f"vs {q}: no comparison") for q in ("2026Q1", "2025Q2")]
               for changes in map(_changes, _tiles(study).values()))


# ------------------------------------------------------------------------------------------
# p-values in words


@pytest.mark.parametrize("p, adjusted, shown", [
    (0.0004, True, "p < 0.001, adjusted"),
    (0.012, True, "p = 0.012, adjusted"),
    (0.0499, True, "p < 0.05, adjusted"),  # 0.050 would read as not significant
    (0.05, True, "not significant, adjusted p = 0.050"),
    (0.0526, "Holm", "not significant, Holm-adjusted p = 0.053"),
    (0.012, "BH", "p = 0.012, BH-adjusted"),
    (1.0, True, "not significant, adjusted p = 1.00"),
    (0.3, True, "not significant, adjusted p = 0.30"),
    (0.3, False, "not significant, p = 0.30"),
    (0.0004, False, "p < 0.001"),
    (float("nan"), True, "no test possible"),
])
def test_p_values_read_in_words(p, adjusted, shown):
    assert fmt_p(p, adjusted) == shown


def test_the_scorecard_says_better_or_worse_and_that_its_p_values_are_adjusted(sample_study):
    card = tables.scorecard(sample_study("northwind"))
    # Fewer repeat contacts are better; a change that is not significant is said once.
    assert card.loc["Repeat contact within 7 days", "vs 2026Q2"] == "-3.1 pp, better (p = 0.006)"
    assert card.loc["NPS (points)", "vs 2025Q3"] == "+10.4, better (p < 0.001)"
    assert card.loc["CES, mean of 1-7", "vs 2026Q2"] == "+0.05, no clear change"
    assert "Holm-adjusted" in card.attrs["caption"]
    assert "p=" not in card.to_string()


def test_a_weighted_tile_gives_n_and_the_effective_n(sample_study):
    seen = sorted(sample_study("cedar").tables["customer_responses"]["channel"].unique())
    study = sample_study("cedar", "2026Q3", {"weighting": {"margins": {
        "channel": {c: 1 / len(seen) for c in seen}}}})
    est = tables.scorecard_frame(study).set_index("key").at["nps", "current"]
    assert est.weighted
    assert f"n = {est.n:,} (effective {est.n_effective:,.0f}, weighted)" in \
        _tiles(study)["NPS (points)"]


TABLES_WITH_TESTS = ["scorecard", "incentive_audit", "key_drivers_table", "linkage_summary",
                     "linkage_table", "statements_table"]


@pytest.mark.parametrize("client", ["northwind", "driftwood"])
def test_no_table_prints_a_bare_p_value(sample_study, client):
    """Every p-value a section shows is in words: never "p=0.000" or "Holm p=1.000"."""
    from cxlab import report
    study = sample_study(client)
    for name in TABLES_WITH_TESTS:
        shown = getattr(report, name)(study)
        text = shown.to_string() if isinstance(shown, pd.DataFrame) else str(
            getattr(shown, "data", shown))
        assert not re.search(r"p ?= ?0\.000\b|\bp=\d|Holm p\b", text), (name, text[:400])
