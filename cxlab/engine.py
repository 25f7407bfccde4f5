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

from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from cxlab import measures
from cxlab.errors import CxlabError

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from cxlab.metrics import _Spec

#: The backends :func:`connect` opens; any Ibis table works with :func:`aggregate`.
BACKENDS = ("duckdb",)


class EngineError(CxlabError, ValueError):
    """A table or request the engine cannot answer; the message names what and why."""


def is_engine_table(data: object) -> bool:
    """Whether ``data`` is a table an engine holds (an Ibis table), not a pandas frame."""
    return type(data).__module__.startswith("ibis.") and hasattr(data, "group_by")


def connect(dataset: str, client: str, backend: str = "duckdb",
            root: Path | None = None) -> dict[str, ir.Table]:
    """A client's tables of ``dataset`` as engine tables, read lazily from its Parquet files.

    Nothing is loaded: each table is a query over its file, answered when an analysis asks
    for aggregates. Tables the client's dataset lacks are left out.
    """
    import ibis

    from cxlab.data.store import dataset_dir

    if backend not in BACKENDS:
        raise EngineError(f"engine backend {backend!r} unknown; expected one of {list(BACKENDS)}")
    folder = dataset_dir(dataset, root) / client
    if not folder.is_dir():
        raise EngineError(f"no client {client!r} in dataset {dataset!r} (no folder {folder})")
    con = ibis.duckdb.connect()
    return {path.stem: con.read_parquet(path, table_name=f"{client}_{path.stem}")
            for path in sorted(folder.glob("*.parquet"))}


def columns(table: ir.Table) -> list[str]:
    """The table's column names."""
    return list(table.columns)


def aggregate(table: ir.Table, by: Sequence[str], specs: Sequence[_Spec],
              weights: str | None = None) -> pd.DataFrame:
    """Per group of ``by``: rows, and per metric the valid answers and the sums it needs.

    The same columns, with the same values, as the pandas aggregation of
    :func:`cxlab.metrics.grouped` (``_rows``, ``{i}_valid``, ``{i}_a`` ...; with ``weights``,
    a column of weights, also ``{i}_w`` and ``{i}_w2``), indexed by the groups in order. The
    answers are checked against each metric's scale from the same query (each group's
    smallest and largest answer), so the rows are read once.
    """
    import ibis

    by = list(by)
    _check_types(table, specs)
    t = table.filter([table[b].notnull() for b in by]) if by else table
    # One projection: each answer column read once (NaN made missing), the weights too.
    answers = {f"__a{i}": _answers(t, spec.column) for i, spec in enumerate(specs)}
    if weights:
        answers["__w"] = _answers(t, weights)
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
                return ibis.ifelse(valid, expr, 0.0).sum().fill_null(0.0)
            return ibis.ifelse(where, expr, 0.0).sum().fill_null(0.0)  # false where missing

        sums[f"{i}_min"], sums[f"{i}_max"] = raw.min(), raw.max()
        sums[f"{i}_n"] = raw.count()
        if table.schema()[spec.column].is_floating():  # whole-number columns cannot be off
            sums[f"{i}_frac"] = ((raw % 1) != 0).cast("int64").sum().fill_null(0)
        sums[f"{i}_valid"] = answer.count()
        if w is not None:
            sums[f"{i}_w"] = total(w)
            sums[f"{i}_w2"] = total(w * w)
        if spec.kind in ("nps", "proportion"):
            cuts = ([v >= measures.PROMOTER_FROM,
                     (v >= measures.PASSIVE_FROM) & (v < measures.PROMOTER_FROM),
                     v < measures.PASSIVE_FROM] if spec.kind == "nps" else [v >= spec.threshold])
            for part, cut in zip("abc", cuts, strict=False):
                sums[f"{i}_{part}"] = (cut.cast("int64").sum().fill_null(0) if w is None
                                       else total(w, cut))
        elif w is not None:
            centre = t[f"__centre_{i}"]
            sums[f"{i}_a"] = total(w * v)
            sums[f"{i}_b"] = total(w * (v - centre) ** 2)
        else:  # the sum, and squared deviations from the group's mean
            sums[f"{i}_a"] = v.sum().fill_null(0.0)
            sums[f"{i}_b"] = (v.var(how="pop") * v.count()).fill_null(0.0)
    query = t.group_by(by).aggregate(**sums).order_by(by) if by else t.aggregate(**sums)
    out = query.execute()
    _check_answers(table, specs, out)
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

    From each group's smallest and largest answer, count and fractional answers (the
    aggregation's own columns), so no second pass over the rows.
    """
    from cxlab.metrics import MetricError, guard_scale_seen

    for i, spec in enumerate(specs):
        n = int(groups[f"{i}_n"].sum())
        if not n:
            continue
        low, high = groups[f"{i}_min"].min(), groups[f"{i}_max"].max()
        where = f"{spec.name} (column {spec.column!r})"
        kind = "whole numbers" if spec.integer else "values"
        off = (low if low < spec.scale[0] else high if high > spec.scale[1] else None)
        if off is None and spec.integer and f"{i}_frac" in groups and groups[f"{i}_frac"].sum():
            off = _first_fraction(table, spec.column)
        if off is not None:
            raise MetricError(f"{where}: value {off:g} is outside the expected scale; expected "
                              f"{kind} from {spec.scale[0]} to {spec.scale[1]}")
        guard_scale_seen(n, float(low), float(high), partial(_distinct, table, spec.column),
                         *spec.scale, spec.name, spec.column, spec.check_scale)


def _answers(table: ir.Table, column: str) -> ir.FloatingColumn:
    """A column's answers as floats, a NaN missing as in pandas.

    SQL engines count NaN as a number: it would be a valid answer, outside every scale.
    """
    import ibis

    v = table[column].cast("float64")
    if not table.schema()[column].is_floating():
        return v  # whole numbers or booleans: no NaN to look for
    return ibis.ifelse(v.isnan(), None, v)


def _first_fraction(table: ir.Table, column: str) -> float:
    v = _answers(table, column)
    return float(table.filter(v != v.round()).select(x=v).limit(1).execute()["x"].iloc[0])


def _distinct(table: ir.Table, column: str) -> np.ndarray:
    """Up to 12 of the column's distinct answers, smallest first."""
    v = _answers(table, column)
    values = table.filter(v.notnull()).select(x=v).distinct().order_by("x").limit(12)
    return values.execute()["x"].to_numpy()


def respondents(table: ir.Table, by: Sequence[str], column: str, who: str) -> pd.Series:
    """Distinct respondents per group among the answers to ``column``.

    Counted as :func:`cxlab.stats.disclosure.respondents` counts them: anonymous answers
    (no ``who``) one each.
    """
    import ibis

    by = list(by)
    answered = table.filter(_answers(table, column).notnull())
    named = ibis.ifelse(answered[who].notnull(), answered[who], None).nunique()
    anonymous = answered[who].isnull().cast("int64").sum().fill_null(0)
    counts = answered.group_by(by).aggregate(people=named + anonymous).execute()
    index = (pd.MultiIndex.from_frame(counts[by]) if len(by) > 1
             else pd.Index(counts[by[0]], name=by[0]))
    return pd.Series(counts["people"].astype(int).to_numpy(), index=index)
