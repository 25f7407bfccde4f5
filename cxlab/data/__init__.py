"""Tables in and out: schemas, validation, the sample generator and typed storage."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import pandas as pd

from cxlab.data import sample
from cxlab.data.store import (
    dataset_dir,
    read_manifest,
    read_quality,
    read_table,
    stream_dataset,
)
from cxlab.data.validate import DataValidationError, validate

__all__ = [
    "DataValidationError", "make_sample", "ensure_sample", "load", "read_quality",
    "read_manifest", "validate", "dataset_dir",
]


def make_sample(
    dataset: str = "sample", seed: int = sample.DEFAULT_SEED, scale: float = 1.0,
    root: Path | None = None, clients: Iterable[str] | None = None,
    progress: Callable[[str], object] | None = None,
    interactions_per_response: float | None = None,
) -> Path:
    """Generate, validate and store the synthetic sample; return its directory.

    By client and quarter (:func:`cxlab.data.sample.client_parts`): each quarter of a client's
    large tables is validated and appended to its files before the next is handed out, so
    memory holds about one quarter of one client at any ``scale``. Between generating a
    client's quarters and writing them, their raw rows wait on disk, in a temporary folder
    beside the dataset. ``clients`` names the clients to generate (default: all five);
    ``progress`` is told each client and quarter as it is generated and written;
    ``interactions_per_response``: contacts per customer response (default 1.6, the sample's).

    Raises:
        cxlab.data.sample.UnknownClient: a name in ``clients`` that the sample does not have.

    Examples:
        A small sample (a twentieth of the default size) in a directory of one's own:

        >>> import tempfile
        >>> from pathlib import Path
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     path = make_sample("tiny", scale=0.05, root=Path(tmp))
        ...     sorted(p.name for p in path.iterdir())
        ['bluebird', 'cedar', 'driftwood', 'evergreen', 'manifest.json', 'northwind']

        Only some clients (a benchmark needs just the largest, at a large scale):

        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     path = make_sample("one", scale=0.05, root=Path(tmp), clients=["cedar"])
        ...     sorted(p.name for p in path.iterdir())
        ['cedar', 'manifest.json']
    """
    chosen = sample.profiles(clients)
    if scale <= 0:
        raise ValueError(f"scale must be positive, got {scale!r}")
    sample.check_interactions_per_response(interactions_per_response)
    dest = dataset_dir(dataset, root)
    manifest = {
        "generator": "cxlab.data.sample", "seed": seed, "scale": scale,
        "as_of": str(sample.AS_OF.date()),
        "quarters": [sample.FIRST_QUARTER, sample.LAST_QUARTER],
        "client_names": {c.slug: c.name for _, c in chosen},
    }
    if interactions_per_response is not None:
        manifest["interactions_per_response"] = interactions_per_response
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{dest.name}.raw-", dir=dest.parent) as spill:
        parts = ((profile.slug, _tables(sample.client_parts(
            profile, index, seed, scale, Path(spill), progress, interactions_per_response)))
                 for index, profile in chosen)
        return stream_dataset(parts, dest, manifest, source=dataset, as_of=sample.AS_OF)


def _tables(parts: Iterator[sample.Part]) -> Iterator[tuple[str, pd.DataFrame]]:
    """The data's parts (not the planted truth's), each let go once written."""
    for part in parts:
        if part.truth:
            continue
        table, frame = part.table, part.frame
        del part  # else it holds this part while the next is made
        yield table, frame
        del frame


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
