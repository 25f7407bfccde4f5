"""The registry of measures: look-ups, the NPS bands, per-answer scores, and its readers."""

import math
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest

from cxlab import config, measures

# ------------------------------------------------------------------------------------------
# Look-ups


@pytest.mark.parametrize("column, name", [
    ("csat", "csat_top2"), ("ces", "ces_mean"), ("is_resolved_first_contact",
                                                 "first_contact_resolution"),
    ("is_repeat_within_7d", "repeat_contact_rate"), ("is_renewed", "renewal_rate"),
    ("wait_seconds", "wait_minutes"), ("nps", "nps"), ("enps", "enps")])
def test_a_column_stands_for_its_headline_measure_without_a_warning(column, name):
    """``trend_chart(study, "csat")`` means CSAT top-2, as ``cxlab.csat()`` does (issue 21)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert measures.get(column) is measures.get(name) is measures.find(column)
    assert measures.get(name).column == column


@pytest.mark.parametrize("old, name", [
    ("fcr", "first_contact_resolution"), ("fcr_all", "first_contact_resolution_all"),
    ("repeat_7d", "repeat_contact_rate"), ("renewal", "renewal_rate"),
    ("wait_all", "wait_minutes_all")])
def test_an_old_name_still_works_for_a_release_with_a_deprecation_warning(old, name):
    with pytest.warns(DeprecationWarning, match=f"{old!r} is deprecated .* use {name!r}") as rec:
        assert measures.get(old) is measures.get(name)
    assert rec[0].filename == __file__  # it points at the caller, not at cxlab
    with pytest.deprecated_call():
        assert measures.find(old) is measures.get(name)


def test_an_old_name_gives_the_same_numbers_as_the_registrys(sample_study):
    import cxlab

    rows = sample_study("northwind").rows("interactions")
    new = cxlab.metrics.estimate("first_contact_resolution", rows["is_resolved_first_contact"])
    by_team = cxlab.grouped(rows, "repeat_contact_rate", "team")
    with pytest.deprecated_call():
        old = cxlab.metrics.estimate("fcr", rows["is_resolved_first_contact"])
    with pytest.deprecated_call():
        old_by_team = cxlab.grouped(rows, "repeat_7d", "team")
    assert old == new
    pd.testing.assert_frame_equal(old_by_team, by_team)


def test_names_columns_and_old_names_never_collide():
    names = measures.names()
    aliases = [a for m in measures.MEASURES for a in m.aliases]
    columns = {m.column for m in measures.MEASURES}
    assert len(set(names)) == len(names) == len(measures.MEASURES)
    assert len(set(aliases)) == len(aliases)
    assert not set(aliases) & (set(names) | columns)
    for name in set(names) & columns:  # a column named as a measure is that measure's own
        assert measures.get(name).column == name


def test_an_unknown_name_is_a_clear_error():
    from cxlab.errors import CxlabError

    with pytest.raises(measures.MeasureError, match="measure 'nsp' unknown") as err:
        measures.get("nsp")
    assert isinstance(err.value, CxlabError) and isinstance(err.value, ValueError)
    assert "first_contact_resolution" in str(err.value) and "csat = csat_top2" in str(err.value)
    assert "old names, deprecated: fcr = first_contact_resolution" in str(err.value)
    assert measures.find("nsp") is None and measures.find(None) is None
    with pytest.raises(measures.MeasureError, match="a list is not a measure's name"):
        measures.get(["nps"])


def test_names_read_as_words():
    assert [measures.words(m) for m in ("retention_rate", "csat", "enps", "time_to_hire")] == [
        "retention rate", "CSAT", "eNPS", "time to hire"]


def test_every_measure_is_consistent():
    for m in measures.MEASURES:
        assert m.kind in measures.KINDS
        assert m.direction in (1, -1)
        assert m.label and m.short and m.unit
        assert (m.threshold is not None) == (m.kind == "top-box")
        assert m.scale[0] < m.scale[1]
        low, high = m.bounds
        assert low < high
        if m.kind == "top-box":
            assert m.scale[0] < m.threshold <= m.scale[1]


def test_bounds_are_in_the_estimates_unit():
    assert measures.get("nps").bounds == (-100.0, 100.0)
    assert measures.get("csat").bounds == (0.0, 1.0)
    assert measures.get("first_contact_resolution").bounds == (0.0, 1.0)
    assert measures.get("ces_mean").bounds == (1.0, 7.0)
    assert measures.get("wait_minutes").bounds == (0.0, math.inf)
    assert measures.get("wait_minutes").bounded_scale is None


def test_lower_is_better_only_for_repeat_contacts_and_waiting():
    assert {m.name for m in measures.MEASURES if not m.higher_is_better} == {
        "repeat_contact_rate", "wait_minutes", "wait_minutes_all"}


# ------------------------------------------------------------------------------------------
# NPS bands and scores


def test_nps_bands_at_their_boundaries():
    answers = [0, 6, 7, 8, 9, 10, np.nan]
    promoter, passive, detractor = measures.nps_bands(answers)
    assert promoter.tolist() == [False, False, False, False, True, True, False]
    assert passive.tolist() == [False, False, True, True, False, False, False]
    assert detractor.tolist() == [True, True, False, False, False, False, False]
    assert (measures.PROMOTER_FROM, measures.PASSIVE_FROM) == (9, 7)


def test_nps_bands_read_nullable_columns():
    answers = pd.Series([6, None, 9], dtype="Int64")
    promoter, passive, detractor = measures.nps_bands(answers)
    assert promoter.tolist() == [False, False, True]
    assert not passive.any()
    assert detractor.tolist() == [True, False, False]


def test_sql_bands_agree_with_the_python_bands():
    duckdb = pytest.importorskip("duckdb")
    answers = pd.DataFrame({"x": [float(v) for v in range(11)] + [np.nan]})
    p, a, d = measures.nps_band_sql('"x"')
    got = duckdb.sql(f'SELECT coalesce({p}, false) AS p, coalesce({a}, false) AS a, '
                     f'coalesce({d}, false) AS d FROM answers').df()
    for column, expected in zip("pad", measures.nps_bands(answers["x"]), strict=True):
        assert got[column].tolist() == expected.tolist()


def test_scores_have_the_measure_as_their_mean():
    nps = measures.scores([10, 9, 8, 7, 6, 0, np.nan], "nps")
    assert nps[:6].tolist() == [100.0, 100.0, 0.0, 0.0, -100.0, -100.0]
    assert np.isnan(nps[6])
    assert measures.scores([3, 4, 5, None], "csat").tolist()[:3] == [0.0, 1.0, 1.0]
    assert measures.scores([4, 5, 7], "ces_easy").tolist() == [0.0, 1.0, 1.0]
    assert measures.scores([True, False], "first_contact_resolution").tolist() == [1.0, 0.0]
    assert measures.scores([90.0, 30.0], "wait_minutes").tolist() == [1.5, 0.5]
    flags = pd.Series([True, None, False], dtype="boolean")
    out = measures.scores(flags, measures.get("renewal_rate"))
    assert out[0] == 1.0 and np.isnan(out[1]) and out[2] == 0.0


# ------------------------------------------------------------------------------------------
# Its readers: each module takes the measure's facts from the registry


def test_report_headline_measures_are_the_registrys():
    from cxlab.report import tables

    assert tables.MEASURES == tuple(measures.get(n) for n in tables.HEADLINE)
    assert [m.name for m in tables.MEASURES] == [
        "nps", "csat_top2", "ces_mean", "first_contact_resolution",
        "first_contact_resolution_all", "repeat_contact_rate", "renewal_rate", "enps"]
    assert tables.measure("is_resolved_first_contact") is measures.get(
        "first_contact_resolution")


def test_scorecard_measures_are_the_registrys():
    from cxlab.stats import employees

    assert [m.key for m in employees.SCORECARD_METRICS] == list(config.SCORECARD_MEASURES)
    for m in employees.SCORECARD_METRICS:
        measure = measures.get(m.key)
        assert m.measure is measure
        assert (m.label, m.direction, m.bounds) == (measure.label, measure.direction,
                                                    measure.bounds)
        assert m.model == ("rate" if measure.estimate_kind == "proportion" else "mean")
    assert [m.key for m in employees.SCORECARD_METRICS] == [
        m.measure.name for m in employees.SCORECARD_METRICS]  # one name: the registry's
    assert config.scorecard_key(config.setting({}, "rank_by")) == "csat_top2"
    assert config.scorecard_key("csat_top2") == "csat_top2"
    assert config.scorecard_key("csat") == "csat_top2"  # a column: its headline measure
    with pytest.raises(ValueError, match="'renewal_rate' is not a measure of the employee"):
        config.scorecard_key("renewal_rate")
    with pytest.deprecated_call():  # an old name in a settings file: still read, with a warning
        assert config.scorecard_key("fcr") == "first_contact_resolution"


def test_incentive_outcomes_and_plan_vocabulary_agree_with_the_registry():
    from cxlab.data.schema import INCENTIVE_METRICS
    from cxlab.stats import incentives

    assert incentives.OUTCOME_DIRECTION == {
        o: measures.get(o).direction for o in incentives.OUTCOMES}
    assert [measures.get(o).name for o in incentives.OUTCOMES] == list(incentives.OUTCOMES)
    for outcome in incentives.OUTCOMES:  # a plan may pay for it, under a name the registry reads
        assert any(measures.find(m) is measures.get(outcome) and kind == "cx"
                   for m, kind in INCENTIVE_METRICS.items()), outcome
    for metric, kind in INCENTIVE_METRICS.items():
        with warnings.catch_warnings():  # a client's plan names a measure by name or column
            warnings.simplefilter("error")
            measure = measures.find(metric)
        if measure is not None:  # a measure in a plan is a CX outcome, paid in its direction
            assert kind == "cx", metric
            assert incentives.paid_direction(metric) == measure.direction
    assert not set(incentives.PAID_DIRECTION) & {
        a for m in measures.MEASURES for a in (m.name, *m.aliases)}


def test_linkage_codes_are_the_registrys_scores_in_points():
    from cxlab.report import linkage as report_linkage
    from cxlab.stats import linkage

    answers = pd.Series([10, 8, 5, 3, None], dtype="Int64")
    assert linkage.outcome_column("nps") == "nps"
    assert linkage.outcome_column("csat_top2") == measures.get("csat").column == "csat"
    np.testing.assert_array_equal(linkage.code_outcome(answers, "nps"),
                                  [100.0, 0.0, -100.0, -100.0, np.nan])
    np.testing.assert_array_equal(linkage.code_outcome(answers[2:], "csat_top2"),
                                  [100.0, 0.0, np.nan])
    assert {o for _, o, _ in report_linkage.LINKS} == set(linkage.OUTCOMES)
    with pytest.raises(linkage.LinkageError, match="unknown outcome 'ces'"):
        linkage.code_outcome(answers, "ces")


def test_audit_evidence_names_the_outcome_by_its_short_label(sample_study):
    from cxlab.report import employees
    from cxlab.stats.incentives import OUTCOMES

    table = employees.incentive_audit(sample_study("bluebird", "2026Q3"))
    evidence = table.loc["calls per day", "Evidence"]
    assert any(f" {measures.get(o).short} (95% CI" in evidence
               for o in OUTCOMES)


def test_the_registry_and_the_settings_check_load_no_numpy():
    code = "import sys, cxlab.measures, cxlab.config; print('numpy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_a_plain_import_reaches_the_subpackages():
    import subprocess
    import sys

    code = ("import cxlab; print(cxlab.measures.get('is_renewed').name, "
            "cxlab.stats.weighting.rake.__name__, cxlab.metrics.estimate.__name__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["renewal_rate", "rake", "estimate"]
