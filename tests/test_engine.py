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
