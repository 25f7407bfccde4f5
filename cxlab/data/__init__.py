"""Tables in and out: schemas, validation, the sample generator and typed storage."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from cxlab.data import sample
from cxlab.data.store import (
    dataset_dir,
    read_manifest,
    read_quality,
    read_table,
    validate_tables,
    write_dataset,
)
from cxlab.data.validate import DataValidationError, validate

__all__ = [
    "DataValidationError", "make_sample", "ensure_sample", "load", "read_quality",
    "read_manifest", "validate", "dataset_dir",
]


def make_sample(
    dataset: str = "sample", seed: int = sample.DEFAULT_SEED, scale: float = 1.0,
    root: Path | None = None,
) -> Path:
    """Generate, validate and store the synthetic sample; return its directory.

    One client at a time (:func:`cxlab.data.sample.generate_clients`): each client's tables
    are validated and written before the next is generated, so memory holds one client.

    Examples:
        A small sample (a twentieth of the default size) in a directory of one's own:

        >>> import tempfile
        >>> from pathlib import Path
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     path = make_sample("tiny", scale=0.05, root=Path(tmp))
        ...     sorted(p.name for p in path.iterdir())
        ['bluebird', 'cedar', 'driftwood', 'evergreen', 'manifest.json', 'northwind']
    """
    parts = (validate_tables(tables, source=dataset, as_of=sample.AS_OF)
             for tables, _ in sample.generate_clients(seed=seed, scale=scale))
    manifest = {
        "generator": "cxlab.data.sample", "seed": seed, "scale": scale,
        "as_of": str(sample.AS_OF.date()),
        "quarters": [sample.FIRST_QUARTER, sample.LAST_QUARTER],
        "client_names": {c.slug: c.name for c in sample.CLIENTS},
    }
    return write_dataset(parts, dataset_dir(dataset, root), manifest)


def ensure_sample(dataset: str = "sample", root: Path | None = None) -> Path:
    """The sample dataset's directory, generating it first (default seed and size) if absent."""
    path = dataset_dir(dataset, root)
    if not (path / "manifest.json").is_file():
        make_sample(dataset, root=root)
    return path


def load(table: str, client: str | None = None, dataset: str = "sample") -> pd.DataFrame:
    """One table of a dataset, for one client or all of them.

    The sample dataset is generated on first use, so ``cxlab.load("customer_responses")``
    works in a fresh checkout.

    Examples:
        >>> responses = load("customer_responses", client="cedar")
        >>> responses.shape
        (4041, 18)
        >>> responses.columns[:4].tolist()
        ['response_id', 'client', 'responded_on', 'customer_id']
    """
    if dataset == "sample":
        ensure_sample(dataset)
    known = read_manifest(dataset).get("clients", [])
    if client is not None and client not in known:
        from cxlab.study import StudyError

        raise StudyError(f"client {client!r} is not in dataset {dataset!r}; it has {known}")
    clients = [client] if client else known
    return pd.concat([read_table(dataset, c, table) for c in clients], ignore_index=True)
