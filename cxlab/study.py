"""A study: one client and one quarter, with the client's full history for comparisons."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

import pandas as pd

from cxlab import config, periods
from cxlab.data import ensure_sample, read_manifest, read_quality, read_table
from cxlab.data.schema import PERIOD_COLUMN, TABLES
from cxlab.data.store import declared, empty_table, not_collected, table_path
from cxlab.engine import FrameTables, StoredTables, quarter_of, stored_tables
from cxlab.errors import CxlabError

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from cxlab.metrics import Summary

T = TypeVar("T")


class StudyError(CxlabError, ValueError):
    """A study that cannot be opened as asked: an unknown client, a dataset without clients."""


#: Tables a person may answer several times a quarter (monthly pulses), and the column naming
#: the person: the statistics of a quarter count each person's latest answer once.
ONE_ANSWER_PER_PERSON = {"employee_responses": "employee_id"}
#: Comments read at a time where every one of a quarter must be read (named praise).
COMMENT_PART = 100_000


def latest_per_person(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    """``frame`` with only each person's latest answer in each quarter, where that applies.

    Answers without a person (anonymous) cannot be told apart and are all kept. The rows
    kept are returned in their original order.
    """
    who = ONE_ANSWER_PER_PERSON.get(table)
    if who is None or frame.empty:
        return frame
    dates = frame[PERIOD_COLUMN[table]]
    quarter = frame["quarter"] if "quarter" in frame else periods.label(dates)
    named = frame[who].notna()
    order = pd.DataFrame({"who": frame[who], "quarter": quarter, "date": dates})[named]
    latest = order.sort_values("date", kind="stable").groupby(
        ["who", "quarter"], sort=False).tail(1).index
    keep = ~named
    keep[latest] = True
    return frame[keep.to_numpy()]


def _askable(tables: Mapping[str, pd.DataFrame]) -> FrameTables | StoredTables:
    """The tables as something that answers a study's questions (plain frames wrapped)."""
    return tables if isinstance(tables, (FrameTables, StoredTables)) else FrameTables(tables)


def _tables_now(tables: Mapping[str, pd.DataFrame]) -> object:
    """What :meth:`Study.cached` remembers of the tables a result was computed from."""
    if isinstance(tables, StoredTables):
        return (tables, tables.version)
    return dict(tables)


def _same_tables(seen: object, tables: Mapping[str, pd.DataFrame]) -> bool:
    """Whether ``tables`` are still those remembered (no table replaced since)."""
    if isinstance(tables, StoredTables):
        return isinstance(seen, tuple) and seen[0] is tables and seen[1] == tables.version
    return (isinstance(seen, dict) and seen.keys() == tables.keys()
            and all(seen[name] is frame for name, frame in tables.items()))


@dataclass
class Study:
    """Everything a report needs for one client and quarter.

    Attributes:
        client: Client slug.
        quarter: Reporting quarter, e.g. ``"2026Q3"``.
        dataset: Dataset name under the data directory.
        client_name: Display name of the client.
        tables: The client's accepted rows of every table (all quarters): frames, or with an
            engine (:class:`cxlab.engine.StoredTables`) read as far as asked: a table whole
            when it is looked up, a quarter's rows for :meth:`rows`.
        quality: Data-quality records per table (rows read, rejected and why).
        settings: Per-client settings from the run matrix.
        absent: Tables the client's dataset does not have (read as empty); report sections
            that need one say so instead of showing numbers.

    Columns an export did not collect (its mapping's ``not_collected``) are stored empty and
    named in ``quality``; :attr:`not_collected` lists them and :meth:`collected` asks.
    """

    client: str
    quarter: str
    dataset: str
    client_name: str
    tables: Mapping[str, pd.DataFrame]
    quality: list[dict]
    settings: dict = field(default_factory=dict)
    absent: tuple[str, ...] = ()
    _memo: dict = field(default_factory=dict, repr=False, compare=False)
    #: Filters applied with :meth:`filter`: column to the values kept, and the tables it cut.
    filters: dict = field(default_factory=dict)

    def filter(self, **keep: object) -> Study:
        """The same study with every table that has a column kept to the given values.

        ``study.filter(channel="phone")`` keeps phone answers and phone contacts alike, so
        NPS, resolution and wait all describe the same contacts; tables without the column
        (the roster, the pulse) are kept whole, and :attr:`filters` records which tables each
        filter cut (the report's opening lines say it). A value may be a list. A column no
        table has, or values no row has, is an error naming what there is.
        """
        tables, filters = _askable(self.tables), dict(self.filters)
        for column, wanted in keep.items():
            values = list(wanted) if isinstance(wanted, (list, tuple, set)) else [wanted]
            having = [name for name in tables if column in tables.columns(name)]
            if not having:
                raise StudyError(f"filter {column}={wanted!r}: no table of this study has a "
                                 f"column {column!r}")
            seen = sorted({str(v) for name in having for v in tables.distinct(name, column)})
            if not {str(v) for v in values} & set(seen):
                raise StudyError(f"filter {column}={wanted!r}: no row has that value; the "
                                 f"values are {seen[:20]}")
            tables = tables.keeping(column, values)
            filters[column] = {"values": values, "tables": having}
        return Study(self.client, self.quarter, self.dataset, self.client_name, tables,
                     self.quality, self.settings, self.absent, filters=filters)

    def summary_frame(self) -> pd.DataFrame:
        """One row per table: rows in the quarter and in all quarters, and what is missing."""
        rows = []
        for name in TABLES:
            every = self.count(name) if name in self.tables else 0
            if name in self.absent:
                quarter, note = 0, "not in this dataset"
            else:
                quarter = len(self.rows(name)) if name in PERIOD_COLUMN else every
                columns = self.not_collected.get(name, ())
                note = f"not collected: {', '.join(columns)}" if columns else ""
            rows.append({"table": name, self.quarter: quarter, "all quarters": every,
                         "note": note})
        return pd.DataFrame(rows).set_index("table")

    def summary(self) -> Summary:
        """The study in a few lines: who, when, which tables hold how many rows, data quality.

        Printed it is text; in a notebook it shows as a table (see :class:`Summary`).
        """
        read = sum(r.get("rows_read", 0) for r in self.quality)
        rejected = sum(r.get("rows_rejected", 0) for r in self.quality)
        quality = (f"imported: {read:,} rows read, {rejected:,} rejected" if self.quality
                   else "no import record")
        filtered = f"; filtered: {self.filter_words()}" if self.filters else ""
        lines = [f"Study {self.client_name} ({self.client}), {self.quarter}, dataset "
                 f"{self.dataset!r}; {quality}{filtered}",
                 self.summary_frame().to_string()]
        from cxlab.metrics import Summary  # SciPy loads on first use

        return Summary("\n".join(lines), self._repr_html_(lines[0]))

    def filter_words(self) -> str:
        """The filters in a few words, ``channel = phone; region = north, south`` ("" if none)."""
        return "; ".join(f"{column} = {', '.join(map(str, spec['values']))}"
                         for column, spec in self.filters.items())

    def __repr__(self) -> str:
        filtered = f", filtered: {self.filter_words()}" if self.filters else ""
        return f"<Study {self.client} {self.quarter} (dataset {self.dataset!r}){filtered}>"

    def _repr_html_(self, head: str | None = None) -> str:
        from html import escape

        head = head if head is not None else self.summary().partition("\n")[0]
        # One header row (the table names a column of their own): no empty corner cell.
        return (f"<p><strong>{escape(head)}</strong></p>"
                + self.summary_frame().reset_index().to_html(index=False, escape=True, border=0))

    def cached(self, key: tuple, compute: Callable[[], T]) -> T:
        """``compute()`` once per study and key: a table and a chart share one analysis.

        A result is computed again when one of ``tables`` was replaced since (say, by a
        filtered copy in a notebook). Change a table by replacing it, not in place.
        """
        seen, value = self._memo.get(key, (None, None))
        if seen is None or not _same_tables(seen, self.tables):
            value = compute()
            self._memo[key] = (_tables_now(self.tables), value)
        return value

    def rows(self, table: str, quarter: str | None = None) -> pd.DataFrame:
        """Rows of ``table`` falling in ``quarter`` (default: the study's quarter).

        The selection is made once per table and quarter (a report asks for the same rows
        dozens of times); each caller gets its own shallow copy, so adding a column to it
        changes nobody else's.
        """
        quarter = quarter or self.quarter

        def select() -> pd.DataFrame:
            return latest_per_person(self.between(table, *periods.bounds(quarter)), table)
        return self.cached(("rows", table, quarter), select).copy(deep=False)

    def window(self, table: str, n_quarters: int) -> pd.DataFrame:
        """Rows of ``table`` in the ``n_quarters`` quarters ending with the study's."""
        if n_quarters < 1:
            raise ValueError(f"n_quarters must be at least 1, got {n_quarters!r}")
        start = periods.bounds(periods.shift(self.quarter, 1 - n_quarters))[0]
        return self.between(table, start, periods.bounds(self.quarter)[1])

    def history(self, table: str, columns: list[str] | None = None) -> pd.DataFrame:
        """All rows up to the end of the study's quarter, with a ``quarter`` column.

        ``columns``: only these (and the date), for an analysis that needs a few of a large
        table's columns over its whole history; an engine then reads only those.
        """
        date = PERIOD_COLUMN[table]
        if columns is not None:
            who = ONE_ANSWER_PER_PERSON.get(table)
            held = self.columns(table)
            columns = [c for c in held if c in {*columns, date, *([who] if who else [])}]
        kept = self.between(table, None, periods.bounds(self.quarter)[1], columns).copy()
        kept["quarter"] = periods.label(kept[date])
        return latest_per_person(kept, table)

    def history_query(self, table: str) -> ir.Table | None:
        """:meth:`history` as a query for the engine to aggregate; None to use pandas.

        The engine's rows up to the end of the study's quarter with a ``quarter`` column,
        when an engine holds ``table`` and can apply the study's filters; None otherwise, and
        for tables whose quarter counts each person's latest answer only.
        """
        if not isinstance(self.tables, StoredTables) or table in ONE_ANSWER_PER_PERSON:
            return None
        held = self.tables.query(table)
        if held is None:
            return None
        dates = held[PERIOD_COLUMN[table]]
        held = held.filter(dates < periods.bounds(self.quarter)[1])
        return held.mutate(quarter=quarter_of(held[PERIOD_COLUMN[table]]))

    def query(self, table: str, n_quarters: int | None = None, column: str | None = None,
              end: pd.Timestamp | None = None, start: pd.Timestamp | None = None) -> ir.Table:
        """``table`` for an engine to aggregate, read only as far as the aggregate needs.

        With ``n_quarters``: the rows of that many quarters ending with the study's (as
        :meth:`window`); with ``end``: the rows whose ``column`` (default: the table's date)
        is before it (and from ``start``, if given); with neither: the whole table. An
        engine's table is queried where it is; frames (a study opened with
        ``engine="pandas"``, or a table replaced in a notebook) are handed to DuckDB, so an
        analysis is written once, as aggregates.
        Tables whose quarter counts each person's latest answer only are not asked this way.
        """
        if table in ONE_ANSWER_PER_PERSON:
            raise StudyError(f"{table}: a quarter counts each person's latest answer; read "
                             "it with study.rows()")
        if n_quarters is not None:
            start = periods.bounds(periods.shift(self.quarter, 1 - n_quarters))[0]
            end = periods.bounds(self.quarter)[1]
        return _askable(self.tables).lazy(table, column or PERIOD_COLUMN.get(table), start, end)

    def between(self, table: str, start: pd.Timestamp | None, end: pd.Timestamp,
                columns: list[str] | None = None, every: int = 1, having: str | None = None,
                offset: int = 0) -> pd.DataFrame:
        """Rows of ``table`` dated in ``[start, end)`` (no start: all before ``end``).

        With an engine only those rows (and only ``columns``, if given) are read. Each
        person's answers are all kept (see :meth:`rows` for the quarter's latest only).
        ``every``: only every so many rows, by their place in the table (a systematic
        sample, the same rows whatever the engine), starting at place ``offset`` (one of
        ``every`` parts); ``having``: only rows with a value in that column.
        """
        return _askable(self.tables).between(table, PERIOD_COLUMN[table], start, end, columns,
                                             every, having, offset)

    def span(self, table: str) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
        """The first and last date of ``table``'s rows (None, None without any).

        Asked of the engine where one holds the table.
        """
        first, last = _dated_span(_askable(self.tables), only=table)
        return first.get(table), last.get(table)

    def quarters(self, table: str) -> list[str]:
        """The quarters from ``table``'s first dated row to the study's (none without one)."""
        first, _ = _dated_span(_askable(self.tables), only=table)
        if table not in first:
            return []
        start = str(periods.label(pd.Series([first[table]])).iloc[0])
        return periods.quarter_range(start, self.quarter) if start <= self.quarter else []

    def comments(self, table: str, quarter: str, columns: list[str] | None = None,
                 at_most: int | None = None) -> pd.DataFrame:
        """The quarter's rows of ``table`` with a comment (``columns``: only those it has).

        Beyond ``at_most`` comments, a systematic sample of them: every k-th row of the
        table, k chosen so that about ``at_most`` remain. ``attrs`` say how many comments
        the quarter has (``comments``) and ``every`` (1: all of them).
        """
        start, end = periods.bounds(quarter)
        total = self._commented(table, start, end)
        every = max(1, math.ceil(total / at_most)) if at_most else 1
        if columns is not None:
            columns = [c for c in self.columns(table) if c in columns]
        rows = self.between(table, start, end, columns, every, having="comment")
        rows.attrs.update(comments=total, every=every)
        return rows

    def comments_in_parts(self, table: str, quarter: str, columns: list[str] | None = None,
                          rows: int | None = None) -> Iterator[pd.DataFrame]:
        """The quarter's rows of ``table`` with a comment, about ``rows`` at a time at most.

        For reading every comment with flat memory: where an engine holds the table, each
        part is every k-th row from a different first place (k parts in all), indexed by
        the rows' places in the table, so that results can be put back in the table's
        order; a table already in memory comes whole, as one part. ``rows``: by default
        :data:`COMMENT_PART`.
        """
        start, end = periods.bounds(quarter)
        parts = 1
        if _askable(self.tables).in_engine(table):
            total = self._commented(table, start, end)
            parts = max(1, math.ceil(total / (rows or COMMENT_PART)))
        if columns is not None:
            columns = [c for c in self.columns(table) if c in columns]
        for offset in range(parts):
            yield self.between(table, start, end, columns, parts, "comment", offset)

    def _commented(self, table: str, start: pd.Timestamp, end: pd.Timestamp) -> int:
        """Rows of ``table`` dated in ``[start, end)`` with a comment, counted by the engine."""
        held = self.query(table, start=start, end=end)
        return int(held.filter(held["comment"].notnull()).count().execute())

    def columns(self, table: str) -> list[str]:
        """The columns of ``table``, without reading its rows."""
        return _askable(self.tables).columns(table)

    def count(self, table: str, missing: str | None = None) -> int:
        """Rows of ``table`` in all quarters (with ``missing``: those lacking that column)."""
        return _askable(self.tables).count(table, missing)

    def count_rows(self, table: str, having: str | None = None, n_quarters: int = 1) -> int:
        """Rows of ``table`` in the ``n_quarters`` quarters ending with the study's.

        With ``having``: those with a value in that column. Counted by the engine where one
        holds the table; a quarter counts each person's latest answer, where that applies.
        """
        if table in ONE_ANSWER_PER_PERSON:
            rows = pd.concat([self.rows(table, periods.shift(self.quarter, -k))
                              for k in range(n_quarters)])
            return len(rows) if having is None else int(rows[having].notna().sum())
        if having is not None and having not in self.columns(table):
            return 0
        from cxlab.engine import answer_column

        t = self.query(table, n_quarters)
        if having is not None:  # a number's NaN is no value, as in pandas
            value = answer_column(t, having) if t[having].type().is_numeric() else t[having]
            t = t.filter(value.notnull())
        return int(t.count().execute())

    def has(self, table: str, column: str, values: list | tuple | None = None) -> bool:
        """Whether any row of ``table`` has ``column`` set (to one of ``values``, if given)."""
        return _askable(self.tables).has(table, column, values)

    def response_weights(self, rows: pd.DataFrame) -> pd.Series | None:
        """Survey weights of these customer responses, as the client's ``weighting`` says.

        None when the client's answers are not weighted, or when no quarter the rows come
        from could be weighted. ``margins`` rake each quarter's answers to the population
        shares given, starting from the ``column`` of weights when one is named (else from
        1). A quarter that cannot be weighted (``weighting_notes`` says why) is estimated
        unweighted, never half weighted: its rows all weigh 1, which gives exactly the
        unweighted estimate of that quarter.
        """
        if not self.settings.get("weighting") or rows.empty:
            return None
        quarters = set(periods.label(rows[PERIOD_COLUMN["customer_responses"]]))
        results = {q: self._quarter_weights(q) for q in quarters if isinstance(q, str)}
        if quarters <= {q for q, (_, failure) in results.items() if failure}:
            return None
        weights = pd.concat([w for w, _ in results.values()]) if results else pd.Series()
        return weights.reindex(rows.index).fillna(1.0)

    @property
    def weighting_notes(self) -> dict[str, str]:
        """Per quarter that could not be weighted, the reason (empty when all could)."""
        if not self.settings.get("weighting"):
            return {}
        first, last = _dated_span(_askable(self.tables), only="customer_responses")
        if "customer_responses" not in first:
            return {}
        labels = periods.label(pd.Series([first["customer_responses"],
                                          last["customer_responses"]]))
        failures = {q: self._quarter_weights(q)[1]
                    for q in periods.quarter_range(str(labels.iloc[0]), str(labels.iloc[1]))}
        return {q: failure for q, failure in failures.items() if failure}

    def _quarter_weights(self, quarter: str) -> tuple[pd.Series, str | None]:
        """One quarter's weights (all 1 when it cannot be weighted) and why not, once."""
        return self.cached(("response_weights", quarter),
                           lambda: self._weigh_quarter(quarter))

    def _weigh_quarter(self, quarter: str) -> tuple[pd.Series, str | None]:
        from cxlab.stats.weighting import RakingError, rake

        spec = self.settings["weighting"]
        column, margins = spec.get("column"), spec.get("margins")
        held = self.columns("customer_responses")
        if column is not None and column not in held:
            raise StudyError(f"weighting: column {column!r} is not in customer_responses; "
                             f"it has {held}")
        # The columns the weights come from (all, when a margin names one the answers lack,
        # so the error lists what they have).
        wanted = {PERIOD_COLUMN["customer_responses"], *([column] if column else []),
                  *(margins or {})}
        rows = self.between("customer_responses", *periods.bounds(quarter),
                            [c for c in held if c in wanted] if wanted <= set(held) else None)
        ones = pd.Series(1.0, index=rows.index)
        if rows.empty:
            return ones, None
        start = pd.to_numeric(rows[column], errors="coerce") if column else ones
        unusable = int((start.isna() | (start < 0)).sum())
        if unusable:
            return ones, (f"{unusable:,} of {len(rows):,} answers have no usable value in the "
                          f"weight column {column!r}")
        try:
            weights = rake(rows, margins, start).weights if margins else start
        except RakingError as err:
            return ones, str(err)
        return pd.Series(weights, index=rows.index, dtype=float), None

    @property
    def not_collected(self) -> dict[str, tuple[str, ...]]:
        """Per table, the columns the client's exports did not collect (stored empty)."""
        return not_collected(self.quality)

    @property
    def ratings(self) -> dict[str, dict]:
        """Attribute ratings declared by the client's survey mappings: name to label, scale."""
        return declared(self.quality, "ratings")

    @property
    def overall_rating(self) -> str | None:
        """The rating the client's survey mappings mark overall (``overall: true``), if any.

        It is the survey's own headline score, which the attribute ratings explain.
        """
        return next((name for name, r in self.ratings.items() if r.get("overall")), None)

    @property
    def segments(self) -> dict[str, dict]:
        """Survey columns declared segments by the client's mappings: name to label."""
        return declared(self.quality, "segments")

    def collected(self, table: str, column: str) -> bool:
        """Whether the client's exports hold ``column`` of ``table`` (False: not collected)."""
        return column not in self.not_collected.get(table, ())

    @property
    def department_of_team(self) -> pd.Series:
        """Each team's department, from the roster (pulse answers carry only the team)."""
        return self.tables["employees"].drop_duplicates("team").set_index("team")["department"]

    @property
    def previous_quarter(self) -> str:
        """The quarter before the study's."""
        return periods.shift(self.quarter, -1)

    @property
    def year_ago_quarter(self) -> str:
        """The same quarter a year earlier."""
        return periods.shift(self.quarter, -4)


def open_study(
    client: str, quarter: str | None, dataset: str = "sample", client_name: str = "",
    settings: dict | None = None, engine: str | None = None,
) -> Study:
    """Validate a report's parameters and open the client's tables.

    This is the first call of every report template: a wrong client, quarter or dataset
    fails here with a clear message, before any analysis runs. ``quarter=None`` means the
    latest quarter with customer responses.

    ``engine`` says what holds the rows (default: the client's ``engine`` setting, else
    ``"duckdb"``): ``"duckdb"`` or ``"spark"`` read each table as far as an analysis asks (a
    quarter's rows, not the client's history), ``"pandas"`` reads every table whole at once.
    The numbers are the same either way.

    Examples:
        >>> study = open_study("cedar", "2026Q3")  # doctest: +SKIP
        >>> open_study("cedar", "2026Q5")  # checked before any data is read
        Traceback (most recent call last):
        ...
        cxlab.periods.PeriodError: quarter '2026Q5' is not valid: expected YYYYQn, e.g. '2026Q3'
    """
    config.check_slug(client, "client")
    if quarter is not None:
        periods.check_quarter(quarter)
    config.check_slug(dataset, "dataset")
    settings = config.check_settings(settings, "open_study()")
    backend, master = config.engine_setting(settings if engine is None else {"engine": engine},
                                            "open_study(engine)")
    if dataset == "sample":
        ensure_sample(dataset)
    manifest = read_manifest(dataset)
    clients = manifest.get("clients") if isinstance(manifest, dict) else None
    if not isinstance(clients, list):
        raise StudyError(f"dataset {dataset!r}: its manifest.json lists no clients (expected "
                         "a 'clients' list); re-import the data or regenerate the sample")
    if client not in clients:
        raise StudyError(f"client {client!r} is not in dataset {dataset!r}; it has {clients}")
    tables: FrameTables | StoredTables
    if backend == "pandas":
        tables = FrameTables({name: read_table(dataset, client, name, missing_ok=True)
                              for name in TABLES})
    else:
        tables = stored_tables(dataset, client, list(TABLES), empty_table, backend,
                               master=master)
    absent = tuple(name for name in TABLES if not table_path(dataset, client, name).is_file())
    first, last = _dated_span(tables)
    if quarter is None:
        if "customer_responses" not in last:
            raise StudyError(f"client {client!r} has no customer responses; give a quarter")
        quarter = str(periods.label(pd.Series([last["customer_responses"]])).iloc[0])
    _check_quarter_has_data(client, quarter, first, last)
    if not config.setting(settings, "show_employee_names"):
        tables = _names_out_of_groups(client, tables)
    name = client_name or manifest.get("client_names", {}).get(client, client)
    return Study(client, quarter, dataset, name, tables, read_quality(dataset, client), settings,
                 absent)


def _dated_span(tables: FrameTables | StoredTables, only: str | None = None
                ) -> tuple[dict[str, pd.Timestamp], dict[str, pd.Timestamp]]:
    """Per dated table with dated rows (or just ``only``), its first and last date."""
    first, last = {}, {}
    for table, column in PERIOD_COLUMN.items():
        if table not in tables or only not in (None, table):
            continue
        low, high = tables.span(table, column)
        if low is not None and not pd.isna(low):
            first[table], last[table] = pd.Timestamp(low), pd.Timestamp(high)
    return first, last


def _check_quarter_has_data(client: str, quarter: str, first: dict[str, pd.Timestamp],
                            last: dict[str, pd.Timestamp]) -> None:
    """Refuse a quarter before the client's first data or after its last.

    2030Q1 for 2026Q1 is a mistake, not a report of 'not measured' everywhere: the error names
    the quarters held. A quarter inside the span may be empty (a pause in the survey) and is
    reported as such; a client without any dated row is left to the report, which says so.
    Accounts are dated by when their renewal falls due, often in a later quarter: they do
    not count here.
    """
    lows = [date for table, date in first.items() if table != "accounts"]
    highs = [date for table, date in last.items() if table != "accounts"]
    if not lows:
        return
    held = periods.label(pd.Series([min(lows), max(highs)]))
    start, end = str(held.iloc[0]), str(held.iloc[1])
    if not start <= quarter <= end:
        raise StudyError(f"client {client!r} has no data in {quarter}: its data cover {start} "
                         f"to {end}")


#: Columns naming groups of employees, shown in every report table and chart.
GROUP_COLUMNS = ("team", "department")


def _names_out_of_groups(client: str, tables: FrameTables | StoredTables
                         ) -> FrameTables | StoredTables:
    """Tables whose team and department names name no employee ("Felix Novak's team").

    Where a client hides employee names, a group named after someone would name them on
    every page; such a name has the person replaced by their label, the same in every table,
    so groups stay as they were.
    """
    from cxlab import privacy
    from cxlab.text.mentions import mask_names

    roster = tables["employees"]
    parts = [tables.distinct(name, c).astype(str) for name in tables for c in GROUP_COLUMNS
             if c in tables.columns(name)]
    names = pd.unique(pd.concat(parts, ignore_index=True)) if parts else []
    if roster.empty or not len(names):
        return tables
    labels = privacy.pseudonyms(client, roster["employee_id"])
    masked = mask_names(privacy.mask_ids(pd.Series(names, dtype=object), labels), roster, labels)
    renamed = {a: b for a, b in zip(names, masked, strict=True) if a != b}
    if not renamed:
        return tables
    for column in GROUP_COLUMNS:
        tables = tables.renaming(column, renamed)
    return tables
