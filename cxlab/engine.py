"""Analyses from aggregates: the counts and sums of grouped metrics, asked of an engine.

A table that an engine holds (an Ibis table: DuckDB over Parquet files by default, or any
backend Ibis speaks, Spark among them) never comes into memory: :func:`aggregate` asks the
engine for one row per group with the counts and sums every interval needs, the same columns
as the pandas path of :func:`cxlab.metrics.grouped`, which then computes the estimates as it
always does. See ``docs/engine.md`` for what an analysis may ask of the engine.

:func:`connect` opens a dataset's tables lazily::

    tables = cxlab.engine.connect("sample", "cedar")
    cxlab.grouped(tables["customer_responses"], "nps", by="channel")
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Callable, Iterator, MutableMapping, Sequence
from contextlib import contextmanager
from functools import cache, lru_cache, partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa

from cxlab import measures
from cxlab.errors import CxlabError

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from cxlab.metrics import _Spec

#: The backends :func:`connect` opens; any Ibis table works with :func:`aggregate`.
BACKENDS = ("duckdb", "spark")

#: Spark's master when none is given: local mode on every core of this machine.
DEFAULT_SPARK_MASTER = "local[*]"

#: The column :func:`connect` adds with ``row_numbers=True``: each row's place in its file, so
#: rows read in parts keep the labels (and order) they have when the file is read whole.
ROW = "__row"


#: The Parquet files behind the engine tables cxlab opened (:func:`connect`,
#: :func:`read_parquet`), by table: their column statistics can show that a column's answers
#: are all on a measure's scale without a check of every row. Held weakly: a table no longer
#: used lets its connection go.
_PARQUET_FILES: weakref.WeakKeyDictionary[Any, tuple[Path, ...]] = weakref.WeakKeyDictionary()


class EngineError(CxlabError, ValueError):
    """A table or request the engine cannot answer; the message names what and why."""


def is_engine_table(data: object) -> bool:
    """Whether ``data`` is a table an engine holds (an Ibis table), not a pandas frame."""
    return type(data).__module__.startswith("ibis.") and hasattr(data, "group_by")


def connect(dataset: str, client: str, backend: str = "duckdb", root: Path | None = None,
            master: str | None = None, row_numbers: bool = False) -> dict[str, ir.Table]:
    """A client's tables of ``dataset`` as engine tables, read lazily from its Parquet files.

    Nothing is loaded: each table is a query over its file, answered when an analysis asks
    for aggregates. Tables the client's dataset lacks are left out. ``backend="spark"`` reads
    the files with Spark (``master``: ``local[*]`` by default, or a cluster's address);
    ``row_numbers`` adds the column :data:`ROW`, each row's place in its file.

    Examples:
        >>> tables = connect("sample", "cedar")  # doctest: +SKIP
        >>> grouped(tables["customer_responses"], "nps", by="channel")  # doctest: +SKIP
    """
    from cxlab.data.store import dataset_dir

    check_backend(backend)
    folder = dataset_dir(dataset, root) / client
    if not folder.is_dir():
        raise EngineError(f"no client {client!r} in dataset {dataset!r} (no folder {folder})")
    paths = sorted(folder.glob("*.parquet"))
    if backend == "spark":
        return {path.stem: _spark_parquet(path, f"{client}_{path.stem}", master, row_numbers)
                for path in paths}
    import ibis

    con = ibis.duckdb.connect()
    tables = {}
    for path in paths:
        table = _from_files(con.read_parquet(path, table_name=f"{client}_{path.stem}",
                                             file_row_number=row_numbers), [path])
        tables[path.stem] = table.rename({ROW: "file_row_number"}) if row_numbers else table
    return tables


def read_parquet(path: str | Path | Sequence[str | Path], backend: str = "duckdb",
                 master: str | None = None) -> ir.Table:
    """Parquet files as an engine table, read lazily: for :func:`cxlab.grouped` on one's own.

    ``path``: a file, a folder (its ``*.parquet`` files), a glob such as
    ``"answers/*.parquet"``, or a list of them. Files may differ in their columns (an export
    that gained a question): a column a file lacks is missing in its rows; a column stored
    as different types in different files is refused, naming them. Answers the files' own
    column statistics show on a measure's scale are not checked again row by row (what is
    still checked: decimals that should be whole numbers; a NaN is a missing answer).

    Raises:
        EngineError: no such file, a file that is not Parquet, or a column whose type
            differs between files.

    Examples:
        >>> answers = read_parquet("answers/*.parquet")  # doctest: +SKIP
        >>> cxlab.grouped(answers, ["nps", "csat_top2"], by="channel")  # doctest: +SKIP
    """
    check_backend(backend)
    files = _parquet_files(path)
    if backend == "spark":
        session = spark(master)
        view = f"cxlab_files_{abs(hash(tuple(map(str, files)))):x}"
        session.read.option("mergeSchema", "true").parquet(*map(str, files)) \
            .createOrReplaceTempView(view)
        return _from_files(_spark_ibis(session).table(view), files)
    import ibis

    return _from_files(ibis.duckdb.connect().read_parquet([str(f) for f in files],
                                                           union_by_name=True), files)


def _parquet_files(path: str | Path | Sequence[str | Path]) -> list[Path]:
    """The files ``path`` names, each checked to be Parquet, their columns' types agreeing."""
    import glob

    import pyarrow.parquet as pq

    given = [path] if isinstance(path, str | Path) else list(path)
    files: list[Path] = []
    for each in given:
        if Path(each).is_dir():
            found = sorted(Path(each).glob("*.parquet"))
            if not found:
                raise EngineError(f"no Parquet file (*.parquet) in the folder {str(each)!r}")
            files += found
            continue
        matched = [Path(f) for f in sorted(glob.glob(str(each)))]
        if not matched or not all(f.is_file() for f in matched):
            raise EngineError(f"no Parquet file at {str(each)!r}")
        files += matched
    if not files:
        raise EngineError("no Parquet file given")
    kinds: dict[str, tuple[str, Any, Path]] = {}
    for file in files:
        try:
            schema = pq.read_schema(file)
        except (OSError, ValueError) as err:  # pyarrow's ArrowInvalid is a ValueError
            raise EngineError(f"{file} is not a Parquet file that can be read ({err})") from None
        for field in schema:
            kind = _kind(field.type)
            if kind is None:  # a column of nothing but nulls fits any other
                continue
            first = kinds.setdefault(field.name, (kind, field.type, file))
            if first[0] != kind:
                raise EngineError(f"column {field.name!r} is {first[1]} in {first[2]} but "
                                  f"{field.type} in {file}; expected one type in every file")
    return files


def _kind(dtype: pa.DataType) -> str | None:
    """What a column holds, whatever its width or layout, for comparing files.

    Numbers (integers and decimals go together), text, or the type itself; None for a
    column of nulls only.
    """
    if pa.types.is_dictionary(dtype):
        dtype = dtype.value_type
    if pa.types.is_null(dtype):
        return None
    if pa.types.is_integer(dtype) or pa.types.is_floating(dtype):
        return "number"
    if pa.types.is_string(dtype) or pa.types.is_large_string(dtype):
        return "text"
    return str(dtype)


def _from_files(table: ir.Table, files: Sequence[Path]) -> ir.Table:
    """``table``, recorded as the files' (see :data:`_PARQUET_FILES`)."""
    _PARQUET_FILES[table.op()] = tuple(files)
    return table


def _stored_column(table: ir.Table, column: str) -> tuple[tuple[Path, ...], str] | None:
    """The Parquet files and column that ``table[column]`` reads unchanged, if any.

    Through filters (they keep fewer rows, never other values), dropped columns and
    selections that pass the column on as it is; a column computed on the way (a measure's
    rule for unanswered contacts, say) has no statistics of its own.
    """
    import ibis.expr.operations as ops

    rel, name = table.op(), column
    while not isinstance(rel, ops.DatabaseTable):
        if isinstance(rel, ops.Filter) or (isinstance(rel, ops.DropColumns)
                                           and name not in rel.columns_to_drop):
            rel = rel.parent
        elif isinstance(rel, ops.Project) and isinstance(rel.values.get(name), ops.Field) \
                and rel.values[name].rel == rel.parent:
            rel, name = rel.parent, rel.values[name].name
        else:
            return None
    files = _PARQUET_FILES.get(rel)
    return (files, name) if files is not None else None


def _files_range(files: Sequence[Path], column: str) -> tuple[float, float] | None:
    """The smallest and largest number of ``column`` in ``files``, by their statistics.

    None when a part of a file with values has no statistics (a writer may leave them out),
    or when the column is not a number. Parquet's statistics leave NaN out. Each file's
    footer is read once while it is unchanged (many files, several measures).
    """
    low, high = np.inf, -np.inf
    for path in files:
        stat = path.stat()
        seen = _file_ranges(path, stat.st_mtime_ns, stat.st_size).get(column)
        if seen is None:
            return None
        low, high = min(low, seen[0]), max(high, seen[1])
    return float(low), float(high)


@lru_cache(maxsize=4096)
def _file_ranges(path: Path, mtime_ns: int, size: int) -> dict[str, tuple[float, float]]:
    """Per numeric column of one Parquet file, its smallest and largest value by statistics.

    ``inf, -inf`` for a column without any value; columns without statistics are left out.
    The file's time and size are part of the key, so a file written again is read again.
    """
    import pyarrow.parquet as pq

    meta = pq.ParquetFile(path).metadata
    out = {}
    for i in range(meta.num_columns):
        column = meta.schema.column(i)
        if column.physical_type not in ("INT32", "INT64", "FLOAT", "DOUBLE") or \
                column.logical_type.type not in ("NONE", "INT"):  # not dates, not decimals
            continue
        low, high, known = np.inf, -np.inf, True
        for group in range(meta.num_row_groups):
            chunk = meta.row_group(group).column(i)
            stats = chunk.statistics
            if stats is not None and stats.has_null_count and stats.null_count == chunk.num_values:
                continue  # no value here
            if stats is None or not stats.has_min_max:
                known = False
                break
            low, high = min(low, stats.min), max(high, stats.max)
        if known:
            out[column.path] = (float(low), float(high))
    return out


def _scale_shown_by_statistics(table: ir.Table, spec: _Spec) -> bool:
    """Whether the files' statistics show every answer of ``spec`` on its scale.

    Then the aggregate need not find each group's smallest and largest answer. Not when the
    wrong-scale guard must see the answers' range (a column that is not the measure's own).
    """
    from cxlab.metrics import _guard_looks_at

    if _guard_looks_at(spec.name, spec.column, spec.check_scale):
        return False
    stored = _stored_column(table, spec.column)
    seen = _files_range(*stored) if stored is not None else None
    return seen is not None and spec.scale[0] <= seen[0] and seen[1] <= spec.scale[1]


def check_backend(backend: object) -> str:
    """``backend`` if :func:`connect` knows it, else an error naming the ones it does."""
    if backend not in BACKENDS:
        raise EngineError(f"engine backend {backend!r} unknown; expected one of {list(BACKENDS)}")
    return str(backend)


def spark(master: str | None = None) -> Any:
    """The process's Spark session (started on first use, about ten seconds).

    Times are read as written (the session's time zone is UTC), the web interface is off and
    shuffles use few partitions: the aggregates cxlab asks for are small. A session already
    running in this process (say, a notebook's) is used as it is, whatever ``master`` says.
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise EngineError("the Spark engine needs pyspark and a Java runtime: pip install "
                          "'ibis-framework[pyspark]' (and, on Debian, apt install "
                          "default-jre-headless)") from None
    session = SparkSession.getActiveSession()
    if session is None:
        # Local mode talks to itself on loopback, not on whatever the host name resolves to.
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        session = (SparkSession.builder.master(master or DEFAULT_SPARK_MASTER)
                   .appName("cxlab")
                   .config("spark.ui.enabled", "false")
                   .config("spark.sql.session.timeZone", "UTC")
                   .config("spark.sql.shuffle.partitions", "8")
                   .config("spark.sql.execution.arrow.pyspark.enabled", "true")
                   .getOrCreate())
        session.sparkContext.setLogLevel("ERROR")
    return session


def _spark_ibis(session: Any) -> Any:
    """One Ibis connection per Spark session, so every table of a study shares it."""
    import ibis

    if _SPARK_IBIS.get("session") is not session:
        _SPARK_IBIS.update(session=session, con=ibis.pyspark.connect(session))
    return _SPARK_IBIS["con"]


_SPARK_IBIS: dict[str, Any] = {}


def _spark_parquet(path: Path, name: str, master: str | None, row_numbers: bool) -> ir.Table:
    session = spark(master)
    frame = session.read.parquet(str(path))
    if row_numbers:  # Spark's own record of each row's place in its file
        frame = frame.withColumn(ROW, frame["_metadata.row_index"])
    view = f"cxlab_{name}_{abs(hash(str(path))):x}"
    frame.createOrReplaceTempView(view)
    return _from_files(_spark_ibis(session).table(view), [path])


def to_engine(frame: pd.DataFrame, backend: str) -> ir.Table:
    """A pandas frame handed to an engine (DuckDB, or Spark as a temporary view)."""
    import ibis

    check_backend(backend)
    if backend == "duckdb":
        return ibis.memtable(frame)
    session = spark()
    view = f"cxlab_frame_{id(frame):x}"
    session.createDataFrame(frame.reset_index(drop=True)).createOrReplaceTempView(view)
    return _spark_ibis(session).table(view)


def columns(table: ir.Table) -> list[str]:
    """The table's column names."""
    return list(table.columns)


def aggregate(table: ir.Table, by: Sequence[str], specs: Sequence[_Spec],
              weights: str | None = None, nan: bool = False) -> pd.DataFrame:
    """Per group of ``by``: rows, and per metric the valid answers and the sums it needs.

    The same columns, with the same values, as the pandas aggregation of
    :func:`cxlab.metrics.grouped` (``_rows``, ``{i}_valid``, ``{i}_a`` ...; with ``weights``,
    a column of weights, also ``{i}_w`` and ``{i}_w2``), indexed by the groups in order. The
    answers are checked against each metric's scale from the same query (each group's
    smallest and largest answer), so the rows are read once.

    Answers are read as the engine holds them (whole numbers stay whole: no conversion per
    row). A NaN in a column of decimals is missing, as in pandas; SQL engines sort NaN above
    every number, so a largest answer that is NaN shows one, and only then is the query run
    again with NaN made missing (``nan=True``), a test per row the usual data need not pay.
    """
    import ibis

    by = list(by)
    _check_types(table, specs)
    shown = [_scale_shown_by_statistics(table, spec) for spec in specs]
    t = table.filter([table[b].notnull() for b in by]) if by else table
    # One projection: each answer column read once, the weights too.
    answers = {f"__a{i}": answer_column(t, spec.column, as_stored=not nan)
               for i, spec in enumerate(specs)}
    if weights:
        answers["__w"] = answer_column(t, weights, as_stored=not nan)
    t = t.select(*by, **answers)
    # The answers that count: all of them, or with weights those weighted above 0 (an answer
    # weighted 0, or without a weight, is left out, as in pandas) in columns of their own.
    counts = "__a"
    if weights:
        counts, w = "__c", t["__w"]
        t = t.mutate(**{f"__c{i}": ibis.ifelse(w > 0, t[f"__a{i}"], None)
                        for i in range(len(specs))})
        window = ibis.window(group_by=[t[b] for b in by])
        centres = {f"__centre_{i}": (ibis.ifelse(t[f"__c{i}"].notnull(), t["__w"] * t[f"__c{i}"],
                                                 None).sum().over(window)
                                     / ibis.ifelse(t[f"__c{i}"].notnull(), t["__w"], None)
                                     .sum().over(window))
                   for i, spec in enumerate(specs) if spec.kind == "mean"}
        if centres:
            t = t.mutate(**centres)
    w = t["__w"] if weights else None
    sums: dict[str, Any] = {"_rows": t.count()}
    for i, spec in enumerate(specs):
        raw, answer = t[f"__a{i}"], t[f"{counts}{i}"]  # every answer; those that count
        v = answer / spec.per if spec.per != 1 else answer
        valid = answer.notnull()

        def total(expr, where=None, valid=valid):
            if where is None:
                return ibis.ifelse(valid, expr, 0.0).sum().cast("float64").fill_null(0.0)
            # False where missing.
            return ibis.ifelse(where, expr, 0.0).sum().cast("float64").fill_null(0.0)

        if not shown[i]:  # else the files' statistics showed them on the scale
            sums[f"{i}_min"], sums[f"{i}_max"] = raw.min(), raw.max()
        sums[f"{i}_n"] = raw.count()
        if table.schema()[spec.column].is_floating():  # whole-number columns cannot be off
            # The largest fractional part: a subtraction per row, where ``%`` on a double
            # cost DuckDB as much as the rest of the checks together.
            sums[f"{i}_frac"] = (raw - _float_floor()(raw)).max()
        sums[f"{i}_valid"] = answer.count()
        if w is not None:
            sums[f"{i}_w"] = total(w)
            sums[f"{i}_w2"] = total(w * w)
        if spec.kind in ("nps", "proportion"):
            cuts = ({"a": v >= measures.PROMOTER_FROM, "c": v < measures.PASSIVE_FROM}
                    if spec.kind == "nps" else {"a": v >= spec.threshold})
            if spec.kind == "nps" and w is not None:  # unweighted, passives are the rest
                cuts["b"] = (v >= measures.PASSIVE_FROM) & (v < measures.PROMOTER_FROM)
            for part, cut in cuts.items():
                sums[f"{i}_{part}"] = (cut.cast("int64").sum().fill_null(0) if w is None
                                       else total(w, cut))
        elif w is not None:
            centre = t[f"__centre_{i}"]
            sums[f"{i}_a"] = total(w * v)
            sums[f"{i}_b"] = total(w * (v - centre) ** 2)
        else:  # the sum, and squared deviations from the group's mean
            sums[f"{i}_a"] = v.sum().cast("float64").fill_null(0.0)
            sums[f"{i}_b"] = (v.var(how="pop") * v.count()).fill_null(0.0)
    query = t.group_by(by).aggregate(**sums).order_by(by) if by else t.aggregate(**sums)
    out = query.execute()
    # A NaN shows as a largest answer, or fractional part, that is NaN.
    decimals = [i for i, spec in enumerate(specs) if table.schema()[spec.column].is_floating()]
    if not nan and (any(((out[f"{i}_n"] > 0) & out[f"{i}_frac"].isna()).any() for i in decimals)
                    or (weights and table.schema()[weights].is_floating())):
        with nan_as_written(table):
            return aggregate(table, by, specs, weights, nan=True)
    _check_answers(table, specs, out)
    for i, spec in enumerate(specs):
        if spec.kind == "nps" and f"{i}_b" not in out:  # checked: every answer is on 0-10
            out[f"{i}_b"] = out[f"{i}_valid"] - out[f"{i}_a"] - out[f"{i}_c"]
    out = out.drop(columns=[f"{i}_{part}" for i in range(len(specs))
                            for part in ("min", "max", "n", "frac") if f"{i}_{part}" in out])
    for column in out.columns:
        if column.endswith(("_valid", "_rows")):
            out[column] = out[column].astype("int64")
    return out.set_index(by) if by else out


def _check_types(table: ir.Table, specs: Sequence[_Spec]) -> None:
    """Each metric's column holds numbers (or booleans), by the engine's own schema."""
    from cxlab.metrics import MetricError

    schema = table.schema()
    for spec in specs:
        dtype = schema[spec.column]
        if not (dtype.is_numeric() or dtype.is_boolean()):
            raise MetricError(f"{spec.name} (column {spec.column!r}): the engine holds it as "
                              f"{dtype}; expected numbers from {spec.scale[0]:g} to "
                              f"{spec.scale[1]:g}")


def _check_answers(table: ir.Table, specs: Sequence[_Spec], groups: pd.DataFrame) -> None:
    """Each metric's answers against its scale, and the wrong-scale guard.

    From each group's smallest and largest answer, count and largest fractional part (the
    aggregation's own columns), so no second pass over the rows.
    """
    from cxlab.metrics import MetricError, guard_scale_seen

    for i, spec in enumerate(specs):
        n = int(groups[f"{i}_n"].sum())
        if not n:
            continue
        ranged = f"{i}_min" in groups  # else on the scale by the files' statistics
        low, high = (groups[f"{i}_min"].min(), groups[f"{i}_max"].max()) if ranged else (0, 0)
        where = f"{spec.name} (column {spec.column!r})"
        kind = "whole numbers" if spec.integer else "values"
        off = (low if low < spec.scale[0] else high if high > spec.scale[1] else None) \
            if ranged else None
        if off is None and spec.integer and f"{i}_frac" in groups and groups[f"{i}_frac"].max():
            off = _first_fraction(table, spec.column)
        if off is not None:
            raise MetricError(f"{where}: value {off:g} is outside the expected scale; expected "
                              f"{kind} from {spec.scale[0]} to {spec.scale[1]}")
        if ranged:
            guard_scale_seen(n, float(low), float(high), partial(_distinct, table, spec.column),
                             *spec.scale, spec.name, spec.column, spec.check_scale)


@contextmanager
def nan_as_written(table: ir.Table) -> Iterator[None]:
    """Queries of ``table`` within see every NaN its files hold.

    DuckDB (2.0) trusts a Parquet file's column statistics, which leave NaN out, to decide
    that no value is NaN: ``isnan`` is then false for every row and a NaN counts as an
    answer. Its statistics propagation is turned off for these queries (Spark needs
    nothing: it tests each value).
    """
    import ibis

    con = ibis.get_backend(table)
    if con.name != "duckdb":
        yield
        return
    before = con.raw_sql("SELECT current_setting('disabled_optimizers')").fetchone()[0]
    off = ", ".join(x for x in (before, "statistics_propagation") if x)
    con.raw_sql(f"SET disabled_optimizers = '{off}'")
    try:
        yield
    finally:
        con.raw_sql(f"SET disabled_optimizers = '{before}'")


def answer_column(table: ir.Table, column: str, as_stored: bool = False) -> ir.NumericColumn:
    """A column's answers as floats, a NaN missing as in pandas.

    SQL engines count NaN as a number: it would be a valid answer, outside every scale.
    ``as_stored``: numbers as the engine holds them, NaN left as it is (booleans as 0 and 1).
    """
    import ibis

    dtype = table.schema()[column]
    if as_stored:
        return table[column].cast("int8") if dtype.is_boolean() else table[column]
    v = table[column].cast("float64")
    if not dtype.is_floating():
        return v  # whole numbers or booleans: no NaN to look for
    return ibis.ifelse(v.isnan(), None, v)


@cache
def _float_floor() -> Callable[[Any], Any]:
    """SQL's ``floor`` of a double, as a double.

    Ibis's own ``floor`` casts the result to a 64-bit integer, which fails on NaN and on
    numbers beyond that type's range, answers the scale check must see rather than trip on.
    """
    import ibis

    @ibis.udf.scalar.builtin(name="floor")
    def floor(x: float) -> float:  # type: ignore[empty-body]
        ...

    return floor


def _first_fraction(table: ir.Table, column: str) -> float:
    v = answer_column(table, column)
    return float(table.filter(v != v.round()).select(x=v).limit(1).execute()["x"].iloc[0])


def _distinct(table: ir.Table, column: str) -> np.ndarray:
    """Up to 12 of the column's distinct answers, smallest first."""
    v = answer_column(table, column)
    values = table.filter(v.notnull()).select(x=v).distinct().order_by("x").limit(12)
    return values.execute()["x"].to_numpy()


def respondents(table: ir.Table, by: Sequence[str], column: str, who: str) -> pd.Series:
    """Distinct respondents per group among the answers to ``column``.

    Counted as :func:`cxlab.stats.disclosure.respondents` counts them: anonymous answers
    (no ``who``) one each.
    """
    import ibis

    by = list(by)
    answered = table.filter(answer_column(table, column).notnull())
    named = ibis.ifelse(answered[who].notnull(), answered[who], None).nunique()
    anonymous = answered[who].isnull().cast("int64").sum().fill_null(0)
    counts = answered.group_by(by).aggregate(people=named + anonymous).execute()
    index = (pd.MultiIndex.from_frame(counts[by]) if len(by) > 1
             else pd.Index(counts[by[0]], name=by[0]))
    return pd.Series(counts["people"].astype(int).to_numpy(), index=index)


def within(dates: Any, start: pd.Timestamp | None, end: pd.Timestamp) -> Any:
    """Which ``dates`` fall in ``[start, end)`` (no start: all before ``end``).

    The same expression for a pandas Series and an engine's column.
    """
    return (dates < end) if start is None else (dates >= start) & (dates < end)


def _frame_between(frame: pd.DataFrame, column: str, start: pd.Timestamp | None,
                   end: pd.Timestamp, columns: Sequence[str] | None, every: int = 1,
                   having: str | None = None, offset: int = 0) -> pd.DataFrame:
    inside = within(frame[column], start, end)
    if every > 1:  # by place in the table, as the engine counts a row's place in its file
        inside &= np.arange(len(frame)) % every == offset
    if having is not None:
        inside &= frame[having].notna()
    return frame[inside] if columns is None else frame.loc[inside, list(columns)]


def _lazy_frame(frame: pd.DataFrame, column: str | None, start: pd.Timestamp | None,
                end: pd.Timestamp | None) -> ir.Table:
    import ibis

    if column is not None and end is not None:
        frame = _frame_between(frame, column, start, end, None)
    return ibis.memtable(frame)


def _frame_count(frame: pd.DataFrame, missing: str | None) -> int:
    return int(frame[missing].isna().sum()) if missing else len(frame)


def _frame_has(held: pd.Series, values: Sequence[object] | None) -> bool:
    return bool((held.isin(list(values)) if values is not None else held.notna()).any())


def _frame_span(held: pd.Series) -> tuple[Any, Any]:
    dates = held.dropna()
    return (dates.min(), dates.max()) if len(dates) else (None, None)


class FrameTables(dict[str, pd.DataFrame]):
    """A study's tables as pandas frames, answering what :class:`StoredTables` asks an engine.

    The same questions (columns, rows of a span, counts, distinct values, first and last
    dates) with the same answers, from frames in memory, so a study asks them one way.
    """

    def columns(self, name: str) -> list[str]:
        """The table's columns."""
        return list(self[name].columns)

    def between(self, name: str, column: str, start: pd.Timestamp | None,
                end: pd.Timestamp, columns: Sequence[str] | None = None, every: int = 1,
                having: str | None = None, offset: int = 0) -> pd.DataFrame:
        """The rows whose ``column`` falls in ``[start, end)``; ``columns``: only these.

        ``every``: only rows whose place in the table is ``offset`` plus a multiple of it (a
        systematic sample, or one of ``every`` parts); ``having``: only rows with a value in
        that column.
        """
        return _frame_between(self[name], column, start, end, columns, every, having, offset)

    def in_engine(self, name: str) -> bool:
        """Whether the table is read from an engine: never, these are frames."""
        return False

    def count(self, name: str, missing: str | None = None) -> int:
        """The table's rows (with ``missing``: those without a value there)."""
        return _frame_count(self[name], missing)

    def has(self, name: str, column: str, values: Sequence[object] | None = None) -> bool:
        """Whether some row has a value in ``column`` (one of ``values``, when given)."""
        return _frame_has(self[name][column], values)

    def span(self, name: str, column: str) -> tuple[Any, Any]:
        """The smallest and largest value of ``column`` (None, None without any)."""
        return _frame_span(self[name][column])

    def distinct(self, name: str, column: str) -> pd.Series:
        """The table's distinct values of ``column``."""
        return pd.Series(self[name][column].dropna().unique())

    def lazy(self, name: str, column: str | None = None, start: pd.Timestamp | None = None,
             end: pd.Timestamp | None = None) -> ir.Table:
        """The rows of a span (see :meth:`StoredTables.lazy`) handed to DuckDB to aggregate."""
        return _lazy_frame(self[name], column, start, end)

    def keeping(self, column: str, values: Sequence[object]) -> FrameTables:
        """The tables with only rows whose ``column`` (as text) is one of ``values``."""
        kept = [str(v) for v in values]
        return FrameTables({name: frame[frame[column].astype(str).isin(kept)]
                            if column in frame else frame for name, frame in self.items()})

    def renaming(self, column: str, names: dict[str, str]) -> FrameTables:
        """The tables with the values of ``column`` renamed."""
        return FrameTables({name: frame.assign(**{column: frame[column].replace(names)})
                            if column in frame else frame for name, frame in self.items()})


class StoredTables(MutableMapping[str, pd.DataFrame]):
    """A client's tables held by an engine, read into pandas only as far as a study asks.

    ``tables[name]`` reads a whole table (once, then kept); :meth:`between` reads only the
    rows of a time span, the way a report reads one quarter of a large table, and
    :meth:`count` and :meth:`distinct` ask the engine without reading rows. Every frame is
    what pandas reads from the file, cut to the rows asked for: same columns, types, order
    and row labels. Tables the dataset lacks read as ``empty(name)``. A frame assigned
    (``tables[name] = frame``) stands for that table from then on, as in a dict.
    """

    def __init__(self, tables: dict[str, ir.Table], schemas: dict[str, Any],
                 names: Sequence[str], empty: Callable[[str], pd.DataFrame],
                 rename: dict[str, dict[str, str]] | None = None,
                 keep: dict[str, list[str]] | None = None) -> None:
        self._tables, self._schemas, self._names = tables, schemas, list(names)
        self._empty, self._rename, self._keep = empty, dict(rename or {}), dict(keep or {})
        self._loaded: dict[str, pd.DataFrame] = {}
        #: Bumped whenever a table is replaced, so results computed from the old one go.
        self.version = 0

    def _replace(self, **changes: Any) -> StoredTables:
        """A copy with other renamings or filters (nothing read is shared)."""
        settings = {"rename": self._rename, "keep": self._keep, **changes}
        return StoredTables(self._tables, self._schemas, self._names, self._empty, **settings)

    def renaming(self, column: str, names: dict[str, str]) -> StoredTables:
        """The same tables with the values of ``column`` renamed wherever they are read."""
        return self._replace(rename={**self._rename, column: names})

    def keeping(self, column: str, values: Sequence[object]) -> StoredTables:
        """The same tables with only rows whose ``column`` (as text) is one of ``values``."""
        return self._replace(keep={**self._keep, column: [str(v) for v in values]})

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name not in self._loaded:
            if name not in self._names:
                raise KeyError(name)
            self._loaded[name] = self._read(name)
        return self._loaded[name]

    def __setitem__(self, name: str, frame: pd.DataFrame) -> None:
        if name not in self._names:
            self._names.append(name)
        self._loaded[name] = frame
        self.version += 1

    def __delitem__(self, name: str) -> None:
        raise TypeError("a study's tables cannot be removed; replace one with an empty frame")

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __contains__(self, name: object) -> bool:  # without reading the table
        return name in self._names

    def __len__(self) -> int:
        return len(self._names)

    def __repr__(self) -> str:
        return f"<StoredTables {sorted(self._tables)} ({len(self._loaded)} read)>"

    def in_engine(self, name: str) -> bool:
        """Whether the table is read from the engine (not absent, not replaced by a frame)."""
        return name in self._tables and name not in self._loaded

    def query(self, name: str) -> ir.Table | None:
        """The engine's table, cut by the study's filters; None when pandas must answer.

        None for a table not held by the engine (absent, or replaced by a frame), or cut by
        a filter the engine cannot apply as pandas does (on renamed or non-text values).
        """
        if not self.in_engine(name):
            return None
        t, schema = self._tables[name], self._tables[name].schema()
        for column, values in self._keep.items():
            if column not in t.columns:
                continue
            if column in self._rename or not schema[column].is_string():
                return None
            t = t.filter(t[column].isin(values))
        # Renamed values (a group named after an employee) as every frame read shows them.
        renamed = {c: t[c].substitute(names) for c, names in self._rename.items()
                   if c in t.columns and names}
        return (t.mutate(**renamed) if renamed else t).drop(ROW)

    def lazy(self, name: str, column: str | None = None, start: pd.Timestamp | None = None,
             end: pd.Timestamp | None = None) -> ir.Table:
        """The table (or the rows whose ``column`` falls in ``[start, end)``), to aggregate.

        Nothing is read until the aggregate is asked for. A table the engine cannot answer
        for as pandas would (replaced by a frame, or cut by a filter on renamed values) is
        that span's frame, handed to DuckDB.
        """
        t = self.query(name)
        if t is None:
            frame = self[name] if column is None or end is None else self.between(
                name, column, start, end)
            return _lazy_frame(frame, None, None, None)
        return t if column is None or end is None else t.filter(within(t[column], start, end))

    def columns(self, name: str) -> list[str]:
        """The table's columns, without reading it."""
        if not self.in_engine(name):
            return list(self[name].columns)
        return [c for c in self._tables[name].columns if c != ROW]

    def between(self, name: str, column: str, start: pd.Timestamp | None,
                end: pd.Timestamp, columns: Sequence[str] | None = None, every: int = 1,
                having: str | None = None, offset: int = 0) -> pd.DataFrame:
        """The rows whose ``column`` falls in ``[start, end)`` (no start: everything before).

        ``columns``: only these (in the table's order), when an analysis needs a few.
        ``every``: only rows whose place in the file is ``offset`` plus a multiple of it (a
        systematic sample, the same rows pandas would take from the whole table, or one of
        ``every`` parts). ``having``: only rows with a value in that column. The frame's
        index is each row's place in the table.
        """
        if not self.in_engine(name):
            return _frame_between(self[name], column, start, end, columns, every, having,
                                  offset)

        def where(t: ir.Table) -> Any:
            inside = within(t[column], start, end)
            if every > 1:
                inside &= t[ROW] % every == offset
            return inside & t[having].notnull() if having is not None else inside
        return self._read(name, where, columns)

    def count(self, name: str, missing: str | None = None) -> int:
        """The table's rows (with ``missing``: those without a value there), by the engine."""
        if not self._asks_engine(name):
            return _frame_count(self[name], missing)
        t = self._tables[name]
        return int((t.filter(t[missing].isnull()) if missing else t).count().execute())

    def has(self, name: str, column: str, values: Sequence[object] | None = None) -> bool:
        """Whether some row has a value in ``column`` (one of ``values``, when given)."""
        if not self._asks_engine(name):
            return _frame_has(self[name][column], values)
        t = self._tables[name]
        kept = t[column].isin(list(values)) if values is not None else t[column].notnull()
        return bool(t.filter(kept).limit(1).count().execute())

    def _asks_engine(self, name: str) -> bool:
        """Whether a question about the table goes to the engine: held there, not filtered."""
        return self.in_engine(name) and not any(c in self.columns(name) for c in self._keep)

    def span(self, name: str, column: str) -> tuple[Any, Any]:
        """The smallest and largest value of ``column`` (None, None without any)."""
        if not self._asks_engine(name):
            return _frame_span(self[name][column])
        t = self._tables[name]
        row = t.aggregate(low=t[column].min(), high=t[column].max()).execute().iloc[0]
        return (None, None) if pd.isna(row["low"]) else (row["low"], row["high"])

    def distinct(self, name: str, column: str) -> pd.Series:
        """The table's distinct values of ``column`` (as renamed), without reading its rows."""
        if not self._asks_engine(name):
            return pd.Series(self[name][column].dropna().unique())
        t = self._tables[name]
        values = t.filter(t[column].notnull()).select(column).distinct().execute()[column]
        return values.replace(self._rename[column]) if column in self._rename else values

    def _read(self, name: str, where: Callable[[ir.Table], Any] | None = None,
              columns: Sequence[str] | None = None) -> pd.DataFrame:
        """The rows of a table (all, or those ``where`` keeps) as pandas reads the file."""
        if name not in self._tables:
            frame = self._empty(name)
            return frame if columns is None else frame[list(columns)]
        t = self._tables[name]
        if where is not None:
            t = t.filter(where(t))
        schema = self._schemas[name]
        if columns is not None:  # the filters' columns too, dropped once applied
            wanted = set(columns) | set(self._keep)
            schema = pa.schema([f for f in schema if f.name in wanted], metadata=schema.metadata)
            t = t.select(*schema.names, ROW)
        arrow = t.order_by(ROW).to_pyarrow()
        labels = arrow.column(ROW).to_numpy()
        frame = arrow.drop_columns([ROW]).cast(schema).to_pandas()
        frame.index = (pd.RangeIndex(len(labels)) if where is None else pd.Index(labels))
        for column, names in self._rename.items():
            if column in frame:
                frame[column] = frame[column].replace(names)
        for column, values in self._keep.items():
            if column in frame:
                frame = frame[frame[column].astype(str).isin(values)]
        return frame if columns is None else frame[[c for c in frame if c in columns]]


def quarter_of(dates: ir.TimestampColumn) -> ir.StringColumn:
    """Each date's quarter as :func:`cxlab.periods.label` writes it (``2026Q3``)."""
    return dates.year().cast("string") + "Q" + dates.quarter().cast("string")


def measure_values(measure: measures.Measure, table: ir.Table) -> ir.Table:
    """``table`` with the measure's column as :func:`cxlab.measures.values` gives it."""
    m = measure
    if m.column not in table.columns:
        return table
    return table.mutate(**{m.column: measure_column(m, table)})


def measure_column(measure: measures.Measure, table: ir.Table) -> ir.Column:
    """The measure's values on ``table``, as :func:`cxlab.measures.values` gives them.

    Unanswered contacts (by ``outcome``) are blanked, or given the measure's ``unanswered``
    value, as its ``contacts`` say; the rule is the registry's, written for the engine.
    """
    import ibis

    from cxlab.data.schema import UNANSWERED

    m = measure
    if not m.contacts or "outcome" not in table.columns:
        return table[m.column]
    gone = table["outcome"].isin(list(UNANSWERED)).fill_null(False)
    if m.contacts == "answered":
        return ibis.ifelse(gone, ibis.null(), table[m.column])
    if m.unanswered is not None:
        return ibis.ifelse(gone, float(m.unanswered), table[m.column].cast("float64"))
    return table[m.column]


def measure_sums(table: ir.Table, by: str | Sequence[str],
                 named: Sequence[str | measures.Measure]) -> pd.DataFrame:
    """Per value of ``by``: its rows and, per measure, the counts and sums its estimate needs.

    The per-unit request of ``docs/engine.md`` (per employee, per team and quarter): one
    query, one row per unit, indexed by ``by`` (rows without one left out). Columns: ``rows``, and per
    measure (under its registry name) ``<name>_n`` answers and ``<name>_promoters``,
    ``_passives``, ``_detractors`` (NPS), ``<name>_k`` successes (a share), or ``<name>_sum``
    and ``<name>_ss``, the squared deviations from the unit's mean (a mean, in the measure's
    unit). Each measure's values follow the registry (:func:`measure_column`).
    """
    from cxlab.metrics import _metric_spec

    found = [measures.get(m) for m in named]
    # Each measure's values in a column of their own: two measures of one column may treat
    # unanswered contacts differently.
    table = table.mutate(**{f"__m{i}": measure_column(m, table) for i, m in enumerate(found)})
    specs = [_metric_spec(m, f"__m{i}")._replace(name=m.name, check_scale=False)
             for i, m in enumerate(found)]
    sums = aggregate(table, [by] if isinstance(by, str) else list(by), specs)
    out = pd.DataFrame({"rows": sums["_rows"]}, index=sums.index)
    for i, m in enumerate(found):
        out[f"{m.name}_n"] = sums[f"{i}_valid"]
        parts = {"nps": ("promoters", "passives", "detractors"), "proportion": ("k",),
                 "mean": ("sum", "ss")}[m.estimate_kind]
        for part, column in zip(parts, "abc", strict=False):
            out[f"{m.name}_{part}"] = sums[f"{i}_{column}"]
    return out


def stored_tables(dataset: str, client: str, names: Sequence[str],
                  empty: Callable[[str], pd.DataFrame], backend: str = "duckdb",
                  root: Path | None = None, master: str | None = None) -> StoredTables:
    """A client's tables ``names`` of ``dataset`` as :class:`StoredTables` on ``backend``."""
    import pyarrow.parquet as pq

    from cxlab.data.store import table_path

    tables = {name: table for name, table in connect(dataset, client, backend, root, master,
                                                     row_numbers=True).items() if name in names}
    schemas = {name: pq.read_schema(table_path(dataset, client, name, root)) for name in tables}
    return StoredTables(tables, schemas, names, empty)
