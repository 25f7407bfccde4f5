"""Grouped metrics from an engine that holds the rows (issue 20, part 1-2): the engine returns
counts and sums per group, and every number equals the pandas path's."""

import numpy as np
import pandas as pd
import pytest

from cxlab import engine, metrics

ibis = pytest.importorskip("ibis")


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    """A small sample written to disk, as a dataset the engine reads from Parquet."""
    from cxlab.data import make_sample

    root = tmp_path_factory.mktemp("engine")
    make_sample("small", scale=0.3, root=root)
    return root


def _same(a: pd.DataFrame, b: pd.DataFrame) -> None:
    assert list(a.columns) == list(b.columns) and len(a) == len(b)
    for column in a.columns:
        if a[column].dtype.kind in "fi":
            np.testing.assert_allclose(b[column].to_numpy(float), a[column].to_numpy(float),
                                       rtol=1e-9, atol=1e-9, err_msg=column)
        else:
            assert a[column].astype(str).tolist() == b[column].astype(str).tolist(), column


@pytest.mark.parametrize("request_", [
    {"metric": ["nps", "csat_top2", "csat_mean", "ces_mean", "ces_easy"], "by": "channel"},
    {"metric": ["nps", "ces_mean"], "by": ["department", "channel"]},
    {"metric": "nps", "by": "journey_stage", "method": "wald", "confidence": 0.9},
], ids=["five measures", "two keys", "wald 90%"])
def test_every_number_equals_the_pandas_paths_reading_parquet(stored, request_):
    tables = engine.connect("small", "cedar", root=stored)
    rows = tables["customer_responses"].execute()
    _same(metrics.grouped(rows, **request_), metrics.grouped(tables["customer_responses"],
                                                             **request_))


def test_weighted_estimates_and_a_boolean_rate_equal_the_pandas_paths(stored):
    tables = engine.connect("small", "northwind", root=stored)
    rows = tables["customer_responses"].execute()
    rows = rows.assign(w=np.random.default_rng(5).uniform(0.2, 4.0, len(rows)),
                       promoter=rows["nps"].ge(9).where(rows["nps"].notna()))
    rows.loc[rows.index[::17], "w"] = 0.0  # weighted 0: left out on both paths
    held = ibis.memtable(rows)
    for request_ in ({"metric": ["nps", "csat_mean"], "by": ["department"], "weights": "w"},
                     {"metric": "rate", "column": "promoter", "by": "channel"}):
        _same(metrics.grouped(rows, **request_), metrics.grouped(held, **request_))


def test_confidentiality_counts_respondents_as_the_pandas_path_does():
    rows = pd.DataFrame({"team": ["a"] * 6 + ["b"] * 3 + ["c"] * 8,
                         "who": ["p1", "p1", "p2", "p3", None, None, "q1", "q1", "q2",
                                 *[f"r{i}" for i in range(8)]],
                         "enps": [9, 10, 3, 8, 7, 6, 10, 9, 2, 5, 6, 7, 8, 9, 10, 0, 4]})
    request_ = {"metric": "enps", "by": "team", "min_n": 4, "respondent": "who"}
    pandas_path = metrics.grouped(rows, **request_)
    # b: 2 people, hidden; a (3 people + 2 anonymous = 5), the smallest other, hidden too so
    # that b cannot be had by subtraction; c (8) shown.
    assert pandas_path["suppressed"].tolist() == [True, True, False]
    _same(pandas_path, metrics.grouped(ibis.memtable(rows), **request_))


def test_answers_off_the_scale_or_on_the_wrong_one_are_named_by_the_engine_too():
    rows = pd.DataFrame({"g": ["a"] * 40, "nps": [5.0] * 39 + [11.0],
                         "csat": [1, 2, 3, 4, 5] * 8, "comment": ["fine"] * 40})
    held = ibis.memtable(rows)
    with pytest.raises(metrics.MetricError, match=r"nps \(column 'nps'\): value 11 is outside "
                                                   r"the expected scale; expected whole numbers"):
        metrics.grouped(held, "nps", by="g")
    # A fraction, among NaN (missing) and whole answers, in a column of decimals.
    halves = ibis.memtable(rows.assign(nps=[5.0] * 37 + [np.nan, 7.5, 9.0]))
    with pytest.raises(metrics.MetricError, match=r"value 7.5 is outside the expected scale"):
        metrics.grouped(halves, "nps", by="g")
    huge = ibis.memtable(rows.assign(nps=[5.0] * 39 + [1e300]))
    with pytest.raises(metrics.MetricError, match=r"value 1e\+300 is outside"):
        metrics.grouped(huge, "nps", by="g")
    with pytest.raises(metrics.ScaleError, match=r"all 40 answers in column 'csat' lie within "
                                                  r"1-5 \(values seen: 1, 2, 3, 4, 5\)"):
        metrics.grouped(held, "nps", by="g", column="csat")
    with pytest.raises(metrics.MetricError, match="holds it as string; expected numbers"):
        metrics.grouped(held, "csat_top2", by="g", column="comment")
    with pytest.raises(metrics.ColumnError, match=r"column\(s\) \['team'\] not in the table"):
        metrics.grouped(held, "csat_top2", by="team")
    with pytest.raises(metrics.MetricError, match="weights of an engine's table must be one of "
                                                  "its columns"):
        metrics.grouped(held, "csat_top2", by="g", weights=np.ones(40))


def test_connect_names_what_it_cannot_open(stored):
    with pytest.raises(engine.EngineError, match="backend 'oracle' unknown"):
        engine.connect("small", "cedar", backend="oracle", root=stored)
    with pytest.raises(engine.EngineError, match="no client 'nobody' in dataset 'small'"):
        engine.connect("small", "nobody", root=stored)
    tables = engine.connect("small", "cedar", root=stored)
    assert {"customer_responses", "interactions", "employees"} <= set(tables)
    assert engine.is_engine_table(tables["customer_responses"])
    assert not engine.is_engine_table(tables["customer_responses"].execute())


def test_per_unit_sums_count_what_each_measure_counts():
    """measure_sums per employee, against sums worked out by hand: unanswered contacts are
    blanked for the answered-contacts measure and count as unresolved for the all-contacts
    one, though both read the same column; a mean gives its squared deviations."""
    frame = pd.DataFrame({
        "employee_id": ["a", "a", "a", "b", "b", None],
        "is_resolved_first_contact": [True, False, True, True, None, True],
        "outcome": ["answered", "answered", "abandoned", "answered", "answered", "answered"],
        "wait_seconds": [60.0, 120.0, 600.0, 30.0, 90.0, 10.0],
    })
    sums = engine.measure_sums(ibis.memtable(frame), "employee_id",
                               ["first_contact_resolution", "first_contact_resolution_all",
                                "wait_minutes"])
    a, b = sums.loc["a"], sums.loc["b"]
    assert list(sums.index) == ["a", "b"]  # the row without an employee is no unit
    assert (a["rows"], b["rows"]) == (3, 2)
    # Answered contacts only: a's abandoned contact (resolved, by the export) is blanked.
    assert (a["first_contact_resolution_k"], a["first_contact_resolution_n"]) == (1, 2)
    # All contacts: the abandoned one counts, as unresolved.
    assert (a["first_contact_resolution_all_k"], a["first_contact_resolution_all_n"]) == (1, 3)
    assert (b["first_contact_resolution_k"], b["first_contact_resolution_n"]) == (1, 1)
    # Wait of answered contacts in minutes: a waited 1 and 2 (mean 1.5, deviations 0.5 each).
    assert a["wait_minutes_n"] == 2 and a["wait_minutes_sum"] == pytest.approx(3.0)
    assert a["wait_minutes_ss"] == pytest.approx(0.5)


@pytest.mark.parametrize("name", ["nps", "csat_top2", "csat_mean", "ces_mean", "ces_easy",
                                  "first_contact_resolution", "wait_minutes"])
def test_an_estimate_from_the_engines_sums_is_the_estimate_from_the_answers(stored, name):
    """metrics.estimate_from_sums on measure_sums equals metrics.estimate on the rows."""
    from cxlab import measures

    m = measures.get(name)
    table = engine.connect("small", "cedar", root=stored)[m.table]
    rows = table.execute()
    rows = rows[rows["channel"].notna()] if "channel" in rows else rows
    keyed = table.mutate(one=ibis.literal("all"))
    sums = engine.measure_sums(keyed, "one", [m]).loc["all"]
    parts = {k.removeprefix(f"{m.name}_"): v for k, v in sums.items() if k.startswith(m.name)}
    got = metrics.estimate_from_sums(m, parts, n_missing=int(sums["rows"] - parts["n"]))
    want = metrics.estimate(m, measures.values(m, table.execute()), check_scale=False)
    assert (got.n, got.n_missing, got.method, got.kind) == (want.n, want.n_missing,
                                                            want.method, want.kind)
    np.testing.assert_allclose([got.value, got.se, *got.ci], [want.value, want.se, *want.ci],
                               rtol=1e-9)
    assert got.stats.keys() == want.stats.keys()
    np.testing.assert_allclose(list(got.stats.values()), list(want.stats.values()), rtol=1e-9)


def test_a_nan_among_decimal_answers_is_missing_as_in_pandas(tmp_path):
    """A NaN stored in a column of decimals (a warehouse may hold one) is no answer: the
    engine's first pass sees it as the largest value and asks again with NaN made missing."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(4)
    nps = rng.integers(0, 11, 400).astype(float)
    nps[::9] = np.nan  # written as NaN, not as a null
    table = pa.table({"channel": np.array(["a", "b"])[rng.integers(0, 2, 400)],
                      "nps": pa.array(nps, from_pandas=False),
                      "ces": pa.array(rng.integers(1, 8, 400).astype(float))})
    pq.write_table(table, tmp_path / "answers.parquet")
    assert pq.read_table(tmp_path / "answers.parquet")["nps"].null_count == 0
    held = ibis.duckdb.connect().read_parquet(tmp_path / "answers.parquet")
    frame = table.to_pandas()
    _same(metrics.grouped(frame, ["nps", "ces_mean"], by="channel"),
          metrics.grouped(held, ["nps", "ces_mean"], by="channel"))
    got = metrics.grouped(held, "nps", by="channel")
    assert got["n"].sum() == 400 - len(nps[::9])


def test_answers_the_files_statistics_show_on_the_scale_are_not_checked_again(tmp_path):
    """engine.read_parquet records the files behind a table. Where their column statistics
    show every answer on the scale, the aggregate asks no smallest and largest answer per
    group; where they cannot (no statistics, a computed column, files it does not know, an
    answer off the scale, a column the wrong-scale guard must see), every answer is checked
    as before. The numbers are the same either way."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from cxlab.metrics import _metric_spec

    rng = np.random.default_rng(9)
    n = 600
    rows = pa.table({"channel": np.array(["a", "b", "c"])[rng.integers(0, 3, n)],
                     "nps": rng.integers(0, 11, n), "csat": rng.integers(1, 6, n)})
    pq.write_table(rows, tmp_path / "on.parquet")
    pq.write_table(rows, tmp_path / "bare.parquet", write_statistics=False)
    nps = _metric_spec("nps", None)
    held = engine.read_parquet(tmp_path / "on.parquet")
    assert engine._scale_shown_by_statistics(held, nps)
    assert engine._scale_shown_by_statistics(held.filter(held["channel"] == "a"), nps)
    assert engine._scale_shown_by_statistics(held.select("channel", "nps"), nps)
    assert not engine._scale_shown_by_statistics(held.mutate(nps=held["nps"] + 0), nps)
    assert not engine._scale_shown_by_statistics(engine.read_parquet(tmp_path / "bare.parquet"),
                                                 nps)
    assert not engine._scale_shown_by_statistics(
        ibis.duckdb.connect().read_parquet(tmp_path / "on.parquet"), nps)
    assert not engine._scale_shown_by_statistics(held, _metric_spec("nps", "csat"))
    frame = rows.to_pandas()
    for table in (held, engine.read_parquet(tmp_path / "bare.parquet")):
        _same(metrics.grouped(frame, ["nps", "csat_top2"], by="channel"),
              metrics.grouped(table, ["nps", "csat_top2"], by="channel"))

    # An 11 in the files: their statistics show it, so every answer is checked...
    off = frame.assign(nps=np.where(np.arange(n) == 5, 11, frame["nps"]))
    off.to_parquet(tmp_path / "off.parquet")
    outside = engine.read_parquet(tmp_path / "off.parquet")
    assert not engine._scale_shown_by_statistics(outside, nps)
    with pytest.raises(metrics.MetricError, match="value 11 is outside the expected scale"):
        metrics.grouped(outside, "nps", by="channel")
    # ...and none is refused when the rows asked for leave it out.
    kept = outside.filter(outside["nps"] < 11)
    _same(metrics.grouped(off[off["nps"] < 11], "nps", by="channel"),
          metrics.grouped(kept, "nps", by="channel"))
    # Decimals the statistics show on 0-10: a fraction is still refused, a NaN still missing.
    halves = frame.assign(nps=frame["nps"].astype(float))
    halves.loc[7, "nps"], halves.loc[8, "nps"] = 7.5, np.nan
    pq.write_table(pa.Table.from_pandas(halves, preserve_index=False),
                   tmp_path / "halves.parquet")
    decimals = engine.read_parquet(tmp_path / "halves.parquet")
    assert engine._scale_shown_by_statistics(decimals, nps)
    with pytest.raises(metrics.MetricError, match="value 7.5 is outside the expected scale"):
        metrics.grouped(decimals, "nps", by="channel")
    halves.loc[7, "nps"] = 7.0
    written = pa.table({"channel": halves["channel"],  # a NaN, not a null
                        "nps": pa.array(halves["nps"].to_numpy(), from_pandas=False)})
    assert written["nps"].null_count == 0
    pq.write_table(written, tmp_path / "nan.parquet")
    _same(metrics.grouped(halves, "nps", by="channel"),
          metrics.grouped(engine.read_parquet(tmp_path / "nan.parquet"), "nps", by="channel"))
    with pytest.raises(engine.EngineError, match="no Parquet file at"):
        engine.read_parquet(tmp_path / "nowhere" / "*.parquet")


def test_read_parquet_takes_folders_and_exports_that_gained_a_column(tmp_path):
    """A folder, a glob or a list; files with different columns are read by name (a column a
    file lacks is missing there); a column of another type, or a file that is not Parquet,
    is refused naming the files."""
    early = pd.DataFrame({"channel": ["a", "b"] * 20, "nps": list(range(11)) * 3 + [9] * 7})
    later = early.assign(csat=[5, 4, 3, 2] * 10)
    folder = tmp_path / "exports"
    folder.mkdir()
    early.to_parquet(folder / "2025.parquet")
    later.to_parquet(folder / "2026.parquet")
    both = pd.concat([early, later], ignore_index=True)
    for given in (folder, str(folder / "*.parquet"), sorted(folder.glob("*.parquet"))):
        held = engine.read_parquet(given)
        _same(metrics.grouped(both, ["nps", "csat_top2"], by="channel"),
              metrics.grouped(held, ["nps", "csat_top2"], by="channel"))
    later.assign(nps=later["nps"].astype(str)).to_parquet(tmp_path / "text.parquet")
    with pytest.raises(engine.EngineError, match=r"column 'nps' is int64 in .*2025.parquet but "
                                                 r"(large_)?string in .*text.parquet"):
        engine.read_parquet([folder / "2025.parquet", tmp_path / "text.parquet"])
    # Widths, layouts and all-null columns are the same kind of column.
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"channel": pa.array(["a", "b"]).dictionary_encode(),
                             "nps": pa.array([3, 9], pa.int16()),
                             "csat": pa.array([None, None], pa.null())}),
                   tmp_path / "narrow.parquet")
    engine.read_parquet([folder / "2026.parquet", tmp_path / "narrow.parquet"])
    (tmp_path / "notes.parquet").write_text("not parquet")
    with pytest.raises(engine.EngineError, match=r"notes.parquet is not a Parquet file"):
        engine.read_parquet(tmp_path / "notes.parquet")
    (tmp_path / "empty").mkdir()
    with pytest.raises(engine.EngineError, match=r"no Parquet file \(\*.parquet\) in the "
                                                 r"folder"):
        engine.read_parquet(tmp_path / "empty")
