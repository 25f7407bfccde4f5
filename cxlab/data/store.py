"""Typed datasets on disk: one Parquet file per client and table, rejects kept beside them.

Layout::

    data/<dataset>/manifest.json                 how the dataset was made
    data/<dataset>/<client>/<table>.parquet      accepted, typed rows
    data/<dataset>/<client>/rejected/<table>.parquet   rejected rows with reasons
    data/<dataset>/<client>/quality.json         rows read, accepted, rejected by reason
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from cxlab import config
from cxlab.data.schema import OPTIONAL_TABLES, TABLES
from cxlab.data.validate import ValidationResult, empty_column, validate
from cxlab.fsutil import building_dir

#: Tables validated first because others refer to their ids.
ORDER = ("employees", *[t for t in TABLES if t != "employees"])


def dataset_dir(dataset: str, root: Path | None = None) -> Path:
    """Directory of a dataset under the data root; the name must be a safe slug."""
    return (root or config.data_dir()) / config.check_slug(dataset, "dataset")


def validate_tables(
    tables: dict[str, pd.DataFrame], source: str, as_of=None
) -> dict[str, ValidationResult]:
    """Validate raw tables in dependency order (the roster before the tables that cite it)."""
    results: dict[str, ValidationResult] = {}
    known: dict[tuple[str, str], set] = {}
    for name in ORDER:
        if name not in tables:
            continue
        results[name] = validate(tables[name], name, f"{source}:{name}", as_of, known)
        if name == "employees":
            known[("employees", "employee_id")] = set(results[name].accepted["employee_id"])
    return results


def write_dataset(
    results: dict[str, ValidationResult], dest: Path, manifest: dict
) -> Path:
    """Write validated tables per client, atomically: a half-written dataset never appears.

    The dataset is built in a temporary directory beside ``dest`` and renamed into place; an
    existing dataset of the same name is replaced only once the new one is complete.
    """
    with building_dir(dest) as tmp:
        clients = sorted(set().union(*(set(r.accepted["client"]) for r in results.values())))
        for client in clients:
            config.check_slug(client, "client")
            folder = tmp / client
            (folder / "rejected").mkdir(parents=True)
            quality = []
            for name, res in results.items():
                acc = res.accepted[res.accepted["client"] == client]
                rej = res.rejected[res.rejected["client"].astype("string") == client] \
                    if "client" in res.rejected else res.rejected.iloc[0:0]
                acc.to_parquet(folder / f"{name}.parquet", index=False)
                if len(rej):
                    rej.astype({c: "string" for c in rej.columns if rej[c].dtype == object}) \
                        .to_parquet(folder / "rejected" / f"{name}.parquet", index=False)
                part = ValidationResult(name, res.source, acc, rej, res.notes)
                quality.append(part.summary())
            (folder / "quality.json").write_text(json.dumps(quality, indent=2, default=str))
        (tmp / "manifest.json").write_text(
            json.dumps({**manifest, "clients": clients}, indent=2, default=str))
    return dest


def table_path(dataset: str, client: str, table: str, root: Path | None = None) -> Path:
    """Where one client's accepted rows of one table are stored."""
    if table not in TABLES:
        raise KeyError(f"unknown table {table!r}; expected one of {sorted(TABLES)}")
    return dataset_dir(dataset, root) / config.check_slug(client, "client") / f"{table}.parquet"


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


def read_manifest(dataset: str, root: Path | None = None) -> dict:
    """How a dataset was made (generator, seed, scale, clients)."""
    return json.loads((dataset_dir(dataset, root) / "manifest.json").read_text())
