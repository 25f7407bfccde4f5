"""A whole quarterly report read through each engine (issue 20): every number, table, chart and
workbook sheet is the same whether pandas reads every table at once, DuckDB reads each quarter
as asked, or Spark (local mode, a Java runtime from Debian) reads it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from report_harness import report_outputs

from cxlab.engine import StoredTables
from cxlab.report import exports
from cxlab.study import open_study

#: Clients and quarters compared: the largest client's latest quarter, and one with a
#: weighted survey and hidden names (bluebird weights by region in the settings below).
STUDIES = [("northwind", "2026Q3", {}),
           ("bluebird", "2026Q2", {"weighting": {"margins": {"channel": {
               "phone": 0.4, "web": 0.2, "app": 0.2, "chat": 0.1, "email": 0.05,
               "store": 0.05}}}})]


@pytest.fixture(scope="module")
def home(tmp_path_factory, monkeypatch_module):
    """The sample at a third of its size, in a home of its own."""
    from cxlab.data import make_sample

    root = tmp_path_factory.mktemp("engines")
    monkeypatch_module.setenv("CXLAB_HOME", str(root))
    make_sample("sample", scale=0.4)
    return root


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def _shown(value) -> str:
    """Everything a reader gets from one output, charts as their encoded images."""
    if isinstance(value, pd.DataFrame):
        return value.to_html()
    if hasattr(value, "_repr_mimebundle_"):
        return value._repr_mimebundle_()["text/html"]
    if hasattr(value, "_repr_html_"):
        return value._repr_html_()
    return getattr(value, "data", None) or repr(value)


def _report(client: str, quarter: str, settings: dict, engine: str):
    study = open_study(client, quarter, settings=settings, engine=engine)
    outputs = [(source, _shown(value))
               for source, value in report_outputs(study, keep_failures=True)]
    book = exports.workbook(study)
    return study, outputs, book


def _assert_same_report(a, b) -> None:
    (_, shown_a, book_a), (_, shown_b, book_b) = a, b
    assert len(shown_a) == len(shown_b) > 40
    for (source, one), (_, other) in zip(shown_a, shown_b, strict=True):
        assert one == other, f"{source.strip()} differs between engines"
    assert book_a.left_out == book_b.left_out
    assert [s.name for s in book_a.sheets] == [s.name for s in book_b.sheets]
    for sheet_a, sheet_b in zip(book_a.sheets, book_b.sheets, strict=True):
        pd.testing.assert_frame_equal(sheet_a.frame, sheet_b.frame, check_exact=False,
                                      rtol=1e-9, atol=1e-9, obj=sheet_a.name)
        assert sheet_a.note == sheet_b.note


@pytest.mark.parametrize(("client", "quarter", "settings"), STUDIES, ids=[s[0] for s in STUDIES])
def test_a_whole_report_from_duckdb_equals_the_one_read_whole_into_pandas(home, client,
                                                                          quarter, settings):
    whole = _report(client, quarter, settings, "pandas")
    lazy = _report(client, quarter, settings, "duckdb")
    assert isinstance(lazy[0].tables, StoredTables) and isinstance(whole[0].tables, dict)
    _assert_same_report(whole, lazy)
    # The engine's study read each large table a quarter at a time, never whole.
    assert not {"customer_responses", "interactions"} & set(lazy[0].tables._loaded)


@pytest.mark.slow
def test_a_whole_report_from_spark_equals_duckdbs(home):
    """Spark in local mode (the first session takes about ten seconds to start)."""
    client, quarter, settings = STUDIES[1]
    _assert_same_report(_report(client, quarter, settings, "duckdb"),
                        _report(client, quarter, settings, "spark"))


def test_stored_tables_read_what_pandas_reads_and_only_the_rows_asked_for(home):
    whole = open_study("cedar", "2026Q3", engine="pandas")
    lazy = open_study("cedar", "2026Q3", engine="duckdb")
    for table in ("customer_responses", "interactions", "employee_responses", "follow_ups"):
        for quarter in ("2026Q3", "2025Q1"):
            pd.testing.assert_frame_equal(whole.rows(table, quarter), lazy.rows(table, quarter))
        pd.testing.assert_frame_equal(whole.history(table), lazy.history(table))
    pd.testing.assert_frame_equal(whole.window("interactions", 3),
                                  lazy.window("interactions", 3))
    pd.testing.assert_frame_equal(whole.summary_frame(), lazy.summary_frame())
    assert not {"customer_responses", "interactions"} & set(lazy.tables._loaded)
    # Looked up whole, a table is read whole, labels and types as pandas reads the file.
    pd.testing.assert_frame_equal(whole.tables["customer_responses"],
                                  lazy.tables["customer_responses"])


def test_a_filtered_study_cuts_the_same_rows_on_every_engine(home):
    whole = open_study("northwind", "2026Q3", engine="pandas").filter(channel=["phone", "chat"])
    lazy = open_study("northwind", "2026Q3", engine="duckdb").filter(channel=["phone", "chat"])
    assert whole.filters == lazy.filters
    for table in ("customer_responses", "interactions"):
        pd.testing.assert_frame_equal(whole.rows(table), lazy.rows(table))
    assert set(lazy.rows("interactions")["channel"]) == {"phone", "chat"}
    with pytest.raises(ValueError, match="no row has that value; the values are"):
        open_study("northwind", "2026Q3", engine="duckdb").filter(channel="fax")


def test_a_table_replaced_in_a_notebook_is_read_from_then_on(home):
    study = open_study("cedar", "2026Q3", engine="duckdb")
    before = study.cached(("n",), lambda: len(study.rows("customer_responses")))
    rows = study.tables["customer_responses"]
    study.tables["customer_responses"] = rows[rows["channel"] == "phone"]
    study._memo.pop(("rows", "customer_responses", "2026Q3"), None)
    after = study.cached(("n",), lambda: len(study.rows("customer_responses")))
    assert 0 < after < before
    assert set(study.rows("customer_responses")["channel"]) == {"phone"}


def test_the_engine_setting_is_checked_and_names_what_it_takes(home):
    from cxlab.config import SettingsError

    for bad, words in [("oracle", "backend 'oracle' unknown"),
                       ({"backend": "duckdb", "master": "local[2]"}, "for backend spark only"),
                       ({"backend": "spark", "hosts": 3}, "expected one of"),
                       (3, "must be str or dict")]:
        with pytest.raises(SettingsError, match=words):
            open_study("cedar", "2026Q3", settings={"engine": bad})
    with pytest.raises(SettingsError, match="backend 'sqlite' unknown"):
        open_study("cedar", "2026Q3", engine="sqlite")
    quarter_latest = open_study("cedar", None, engine="duckdb").quarter
    assert quarter_latest == open_study("cedar", None, engine="pandas").quarter == "2026Q3"
    with pytest.raises(ValueError, match=r"no data in 2030Q1: its data cover 2024Q4 to 2026Q3"):
        open_study("cedar", "2030Q1", engine="duckdb")
    assert np.isfinite(len(open_study("cedar", "2026Q3").rows("customer_responses")))
