"""Typed datasets on disk: one Parquet file per client and table, rejects kept beside them.

Layout::

    data/<dataset>/manifest.json                 how the dataset was made
    data/<dataset>/<client>/<table>.parquet      accepted, typed rows
    data/<dataset>/<client>/rejected/<table>.parquet   rejected rows with reasons
    data/<dataset>/<client>/quality.json         rows read, accepted, rejected by reason
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from cxlab import config
from cxlab.data.schema import OPTIONAL_TABLES, TABLES
from cxlab.data.validate import (
    RejectTally,
    ValidationResult,
    empty_column,
    merge_notes,
    validate,
)
from cxlab.errors import CxlabError
from cxlab.fsutil import building_dir

if TYPE_CHECKING:  # imported when a sink writes
    from pyarrow.parquet import ParquetWriter

#: What an import does with a row whose id is already stored with other values.
ON_CONFLICT = ("error", "skip", "update")

#: Tables validated first because others refer to their ids.
ORDER = ("employees", *[t for t in TABLES if t != "employees"])


def dataset_dir(dataset: str, root: Path | None = None) -> Path:
    """Directory of a dataset under the data root; the name must be a safe slug."""
    return (root or config.data_dir()) / config.check_slug(dataset, "dataset")


def validate_tables(
    tables: dict[str, pd.DataFrame], source: str, as_of: pd.Timestamp | str | None = None
) -> dict[str, ValidationResult]:
    """Validate raw tables in dependency order (the roster before the tables that cite it)."""
    check = TableValidator(source, as_of)
    return {name: check(name, tables[name]) for name in ORDER if name in tables}


class TableValidator:
    """Validates one client's raw tables a part at a time, as :func:`validate_tables` whole.

    Give it the roster before the tables that cite it. A table's parts are its rows in
    order: they are numbered on from the part before, and an id repeating one of an earlier
    part is a duplicate (as in a file imported in chunks: ``seen_ids`` of
    :func:`cxlab.data.validate.validate`).
    """

    def __init__(self, source: str, as_of: pd.Timestamp | str | None = None):
        self.source, self.as_of = source, as_of
        self.known: dict[tuple[str, str], set] = {}
        self.rows: dict[str, int] = {}
        self.seen: dict[str, dict[str, np.ndarray]] = {}

    def __call__(self, name: str, part: pd.DataFrame) -> ValidationResult:
        """Validate the next part of table ``name``."""
        first = self.rows.get(name, 0)
        self.rows[name] = first + len(part)
        result = validate(part.assign(_row=np.arange(first + 1, first + len(part) + 1)), name,
                          f"{self.source}:{name}", self.as_of, self.known,
                          seen_ids=self.seen.setdefault(name, {}))
        if name == "employees":
            self.known.setdefault(("employees", "employee_id"), set()).update(
                result.accepted["employee_id"])
        return result


#: Rows validated at a time when a client's tables are streamed (:func:`stream_dataset`):
#: validation keeps a few Python objects per row, about 200 bytes.
PART_ROWS = 100_000


def write_dataset(
    parts: dict[str, ValidationResult] | Iterable[dict[str, ValidationResult]], dest: Path,
    manifest: dict,
) -> Path:
    """Write validated tables per client, atomically: a half-written dataset never appears.

    ``parts`` is validated tables (of one or more clients) or an iterable of them, written as
    they come: a generator of one client's tables at a time keeps only that client in memory.
    The dataset is built in a temporary directory beside ``dest`` and renamed into place; an
    existing dataset of the same name is replaced only once the new one is complete.
    """
    def write(tmp: Path) -> list[str]:
        written = []
        for results in [parts] if isinstance(parts, dict) else parts:
            written += _write_clients(results, tmp)
        return written

    return _build(dest, manifest, write)


def stream_dataset(
    clients: Iterable[tuple[str, Iterable[tuple[str, pd.DataFrame]]]], dest: Path,
    manifest: dict, source: str, as_of: pd.Timestamp | str | None = None,
    part_rows: int = PART_ROWS,
) -> Path:
    """Validate and write each client's raw tables as their parts come, atomically.

    ``clients`` gives each client's name and its parts, ``(table, raw rows)``, the roster
    first and each table's parts in order (a large table a quarter at a time, say). Each part
    is validated (``part_rows`` rows at a time, as :class:`TableValidator`) and appended to
    its table's files, so memory holds one part, not the client: the files and quality
    records are those :func:`write_dataset` writes for the same tables validated whole.
    """
    def write(tmp: Path) -> list[str]:
        written = []
        for client, client_parts in clients:
            writer, check = ClientWriter(tmp, client), TableValidator(source, as_of)
            for name, frame in client_parts:
                for start in range(0, max(len(frame), 1), part_rows):
                    writer.write(check(name, frame.iloc[start:start + part_rows]))
                del frame
            writer.close()
            written.append(client)
        return written

    return _build(dest, manifest, write)


def _build(dest: Path, manifest: dict, write: Callable[[Path], list[str]]) -> Path:
    """Build a dataset in a temporary directory, add its manifest, rename it into place.

    ``write`` fills the directory and returns the clients it wrote.
    """
    with building_dir(dest) as tmp:
        written = write(tmp)
        (tmp / "manifest.json").write_text(
            json.dumps({**manifest, "clients": sorted(written)}, indent=2, default=str))
    return dest


def _write_clients(results: dict[str, ValidationResult], tmp: Path) -> list[str]:
    """Write each client's tables, rejected rows and quality record; the clients written."""
    clients = sorted(set().union(*(set(r.accepted["client"]) for r in results.values())))
    for client in clients:
        writer = ClientWriter(tmp, client)
        for name, res in results.items():
            acc = res.accepted[res.accepted["client"] == client]
            rej = res.rejected[res.rejected["client"].astype("string") == client] \
                if "client" in res.rejected else res.rejected.iloc[0:0]
            writer.write(ValidationResult(name, res.source, acc, rej, res.notes))
        writer.close()
    return clients


class ClientWriter:
    """One client's folder of a dataset being built, its tables written a part at a time.

    Each part's accepted rows are appended to ``<table>.parquet`` (a row group or more per
    part), its rejected rows to ``rejected/<table>.parquet`` (made with the first rejected
    row); :meth:`close` writes ``quality.json``, a record per table for all its parts.
    """

    def __init__(self, root: Path, client: str):
        self.folder = root / config.check_slug(client, "client")
        (self.folder / "rejected").mkdir(parents=True)
        self.accepted: dict[str, ParquetSink] = {}
        self.rejected: dict[str, ParquetSink] = {}
        self.results: dict[str, ValidationResult] = {}

    def write(self, result: ValidationResult) -> None:
        """Append one part of a table, validated."""
        name = result.table
        if name not in self.accepted:
            self.accepted[name] = ParquetSink(table_file(self.folder, name))
        self.accepted[name](result.accepted)
        rej = result.rejected
        if len(rej):
            if name not in self.rejected:
                self.rejected[name] = ParquetSink(table_file(self.folder / "rejected", name))
            self.rejected[name](rej.astype({c: "string" for c in rej.columns
                                            if rej[c].dtype == object}))
        total = self.results.get(name)
        tally = total.rejected_tally if total is not None else RejectTally()
        assert tally is not None  # every total is made with one, below
        tally.add(rej)
        self.results[name] = replace(
            result, accepted=result.accepted.iloc[0:0].copy(), rejected=rej.iloc[0:0].copy(),
            accepted_rows=None, rejected_tally=tally,
            accepted_count=result.rows_accepted + (total.rows_accepted if total else 0),
            rows_filtered=result.rows_filtered + (total.rows_filtered if total else 0),
            notes=merge_notes([*(total.notes if total else []), *result.notes]))

    def close(self) -> None:
        """Finish the table files and write the quality record (tables in schema order)."""
        for sink in [*self.accepted.values(), *self.rejected.values()]:
            sink.close()
        quality = [self.results[name].summary() for name in ORDER if name in self.results]
        (self.folder / "quality.json").write_text(json.dumps(quality, indent=2, default=str))


class ParquetSink:
    """Writes frames of one schema to a Parquet file as they come (the first sets it)."""

    def __init__(self, path: Path):
        self.path, self.rows = path, 0
        self.writer: ParquetWriter | None = None

    def __call__(self, frame: pd.DataFrame) -> None:
        """Append ``frame`` (cast to the file's schema, which the first frame set)."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pandas(frame, preserve_index=False)
        if self.writer is None:
            self.writer = pq.ParquetWriter(self.path, table.schema)
        else:
            table = table.cast(self.writer.schema)
        self.writer.write_table(table)
        self.rows += len(frame)

    def close(self) -> None:
        """Finish the file (nothing to do if no frame came)."""
        if self.writer is not None:
            self.writer.close()
            self.writer = None


def merge_rows(existing: pd.DataFrame | None, new: pd.DataFrame, table: str,
               on_conflict: str = "error") -> tuple[pd.DataFrame, dict, pd.DataFrame]:
    """Merge newly accepted rows into a stored table, by the table's id.

    A new row whose id is not stored is added; one stored with the same values is unchanged
    (so re-importing a file changes nothing); one stored with other values is a conflict:
    with ``on_conflict="update"`` it replaces the stored row, in its place; with ``"skip"``
    the stored row stays; with ``"error"`` nothing is merged (the caller refuses). A table
    without an id column adds the rows not already stored as they are.

    Returns the merged table (``existing`` unchanged when a conflict is an error), counts
    (``added``, ``updated``, ``unchanged``, ``skipped``, ``conflicts``) and the conflicts,
    one row each in the order of ``new``: ``position`` in ``new``, ``id``, ``id_column`` and
    ``columns`` (the columns that differ, as text).
    """
    if on_conflict not in ON_CONFLICT:
        raise ValueError(f"on_conflict {on_conflict!r}: expected one of {list(ON_CONFLICT)}")
    counts = dict.fromkeys(("added", "updated", "unchanged", "skipped", "conflicts"), 0)
    none = pd.DataFrame({"position": pd.Series(dtype="int64"), "id": pd.Series(dtype=object),
                         "id_column": pd.Series(dtype=object),
                         "columns": pd.Series(dtype=object)})
    if existing is None or not len(existing):
        counts["added"] = len(new)
        merged = new if existing is None else pd.concat([existing, new], ignore_index=True)
        return merged, counts, none
    ids = [c.name for c in TABLES[table].columns if c.unique]
    if not ids:
        fresh = (new.merge(existing.drop_duplicates(), how="left", indicator=True)
                 ["_merge"].eq("left_only").to_numpy())
        counts["added"], counts["unchanged"] = int(fresh.sum()), int((~fresh).sum())
        return pd.concat([existing, new[fresh]], ignore_index=True), counts, none
    key = ids[0]
    stored = existing.set_index(key)
    present = new[key].isin(stored.index).to_numpy(dtype=bool)
    old = stored.loc[new.loc[present, key]].reset_index()
    now = new.loc[present].reset_index(drop=True)
    differs = pd.DataFrame(index=now.index)
    for col in (c for c in new.columns if c != key and c in old.columns):
        a, b = now[col], old[col]
        same = (a.astype(object) == b.astype(object)).to_numpy(dtype=bool) \
            | (a.isna().to_numpy() & b.isna().to_numpy())
        differs[col] = ~same
    changed = differs.any(axis=1).to_numpy(dtype=bool)
    positions = np.flatnonzero(present)[changed]
    conflicts = pd.DataFrame({
        "position": positions, "id": new[key].to_numpy()[positions], "id_column": key,
        "columns": [", ".join(differs.columns[row]) for row in differs.to_numpy()[changed]],
    }) if changed.any() else none
    counts["conflicts"] = int(changed.sum())
    counts["unchanged"] = int(present.sum() - changed.sum())
    counts["added"] = int((~present).sum())
    if counts["conflicts"] and on_conflict == "error":
        return existing, counts, conflicts
    merged = existing
    if counts["conflicts"] and on_conflict == "update":
        counts["updated"] = counts["conflicts"]
        replace = new.iloc[positions].set_index(key)
        merged = existing.copy()
        where = merged[key].isin(replace.index).to_numpy(dtype=bool)
        for col in replace.columns:
            merged.loc[where, col] = replace.loc[merged.loc[where, key], col].to_numpy()
    elif counts["conflicts"]:
        counts["skipped"] = counts["conflicts"]
    return pd.concat([merged, new.loc[~present]], ignore_index=True), counts, conflicts


class TableNotFound(CxlabError, KeyError):
    """A table name the schema does not know: the message lists the tables it does."""

    def __str__(self) -> str:  # KeyError would show the message in quotes
        return str(self.args[0])


def table_path(dataset: str, client: str, table: str, root: Path | None = None) -> Path:
    """Where one client's accepted rows of one table are stored."""
    return table_file(dataset_dir(dataset, root) / config.check_slug(client, "client"), table)


def table_file(folder: Path, table: str) -> Path:
    """The file of one table in a client's folder (or in its ``rejected`` folder)."""
    if table not in TABLES:
        raise TableNotFound(f"unknown table {table!r}; expected one of {sorted(TABLES)}")
    return folder / f"{table}.parquet"


def empty_table(table: str) -> pd.DataFrame:
    """A table with no rows and the schema's columns and types."""
    return pd.DataFrame({c.name: empty_column(c, 0) for c in TABLES[table].columns})


def read_table(dataset: str, client: str, table: str, root: Path | None = None,
               missing_ok: bool = False) -> pd.DataFrame:
    """One client's accepted rows of one table.

    A table the dataset does not have raises FileNotFoundError, unless it is optional or
    ``missing_ok`` is set: then it reads as an empty, typed table.
    """
    path = table_path(dataset, client, table, root)
    if not path.is_file() and (missing_ok or table in OPTIONAL_TABLES):
        return empty_table(table)
    if not path.is_file():
        raise FileNotFoundError(
            f"no table {table!r} for client {client!r} in dataset {dataset!r} (looked for {path})"
        )
    return pd.read_parquet(path)


def read_quality(dataset: str, client: str, root: Path | None = None) -> list[dict]:
    """The data-quality records of one client's tables (none if nothing was imported)."""
    path = dataset_dir(dataset, root) / config.check_slug(client, "client") / "quality.json"
    return json.loads(path.read_text()) if path.is_file() else []


def not_collected(quality: list[dict]) -> dict[str, tuple[str, ...]]:
    """Per table, the columns its exports did not collect (a mapping's ``not_collected``).

    Read from the data-quality record, one entry per table and file (so a re-import keeps
    it): a column is not collected when every file that fed the table declared so; one file
    that has it makes it collected (partly: the trend's coverage shows how much).
    """
    out: dict[str, tuple[str, ...]] = {}
    for table in dict.fromkeys(rec["table"] for rec in quality):
        declared = [set(rec.get("not_collected", ())) for rec in quality
                    if rec["table"] == table]
        common = set.intersection(*declared)
        if common:
            out[table] = tuple(sorted(common))
    return out


def declared(quality: list[dict], key: str) -> dict[str, dict]:
    """What the client's survey mappings declared under ``key`` (``ratings``, ``segments``).

    ``{name: {"label": ..., ...}}``, read from the data-quality record; a later import's
    wording of the same name wins.
    """
    out: dict[str, dict] = {}
    for rec in quality:
        out.update(rec.get(key, {}))
    return out


def read_manifest(dataset: str, root: Path | None = None) -> dict:
    """How a dataset was made (generator, seed, scale, clients)."""
    return json.loads((dataset_dir(dataset, root) / "manifest.json").read_text())
