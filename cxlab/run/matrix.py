"""The run matrix: a YAML file declaring which studies to execute.

Example (``studies.yml``)::

    dataset: sample
    template: quarterly_report
    quarters: {first: 2024Q4, last: 2026Q3}
    timeout_minutes: 10            # each study's time limit (default 10; fractions allowed)
    clients:
      northwind: {name: Northwind Telecom}
      cedar: {name: Cedar Health, quarters: [2026Q2, 2026Q3], timeout_minutes: 20,
              settings: {show_employee_names: true, min_n_rank: 15}}

Per-client ``settings`` are listed in ``cxlab.config.CLIENT_SETTINGS`` and checked here, when
the matrix loads, not when a study runs: ``rank_by`` must name a measure of the employee
scorecard (the registry's name of one of ``cxlab.config.SCORECARD_MEASURES``, or its column or
old name: an old name warns), and the error names the client, the value and the allowed names.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from cxlab import config, periods
from cxlab.errors import CxlabError

TOP_KEYS = {"dataset", "template", "quarters", "timeout_minutes", "clients"}
CLIENT_KEYS = {"name", "quarters", "dataset", "timeout_minutes", "settings"}

#: How long a study may run before it is stopped, unless the matrix or ``--timeout`` says.
DEFAULT_TIMEOUT_MINUTES = 10


class MatrixError(CxlabError, ValueError):
    """A run-matrix file that cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class StudySpec:
    """One study to run: a template executed for one client and quarter."""

    client: str
    quarter: str
    template: str
    dataset: str
    client_name: str
    settings: dict = field(default_factory=dict, hash=False, compare=False)
    #: The study's time limit in seconds (None: none); not part of its identity or its key.
    timeout_seconds: float | None = field(default=DEFAULT_TIMEOUT_MINUTES * 60, hash=False,
                                          compare=False)

    @property
    def parameters(self) -> dict:
        """The values papermill injects into the template's parameters cell."""
        return {"client": self.client, "quarter": self.quarter, "dataset": self.dataset,
                "client_name": self.client_name, "settings": dict(self.settings)}

    def output_path(self, reports_root: Path) -> Path:
        """Deterministic location: ``reports/<client>/<quarter>/<template>.ipynb``."""
        return reports_root / self.client / self.quarter / f"{self.template}.ipynb"


@dataclass(frozen=True)
class Matrix:
    """The parsed run matrix and a hash of its text (for the build record)."""

    path: Path
    studies: tuple[StudySpec, ...]
    sha256: str

    def select(self, clients: Collection[str] = (), quarters: Collection[str] = ()
               ) -> list[StudySpec]:
        """The studies for the given clients and quarters (all when empty)."""
        for c in clients:
            if c not in {s.client for s in self.studies}:
                raise MatrixError(f"{self.path}: no client {c!r} in the run matrix")
        return [s for s in self.studies
                if (not clients or s.client in clients) and (not quarters or s.quarter in quarters)]


@dataclass(frozen=True)
class Shard:
    """One of ``count`` parts of a run, for running the studies on several machines or jobs.

    Studies are dealt out in the matrix's order, round robin, so each shard gets a mix of
    clients and quarters and the shards differ by at most one study. Each shard writes its
    own build record (``build-record.shard-<index>-of-<count>.json``) and holds its own run
    lock; ``cxlab site`` merges the records.
    """

    index: int  # 1 to count
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        """``"2/4"``: the second of four shards. Anything else is a :class:`MatrixError`."""
        index, sep, count = str(text).partition("/")
        try:
            shard = cls(int(index), int(count))
        except ValueError:
            shard = None
        if not sep or shard is None or not 1 <= shard.index <= shard.count:
            raise MatrixError(f"--shard {text!r}: expected I/N with 1 <= I <= N, e.g. 1/4 for "
                              "the first of four shards")
        return shard

    @property
    def tag(self) -> str:
        """``shard-2-of-4``: names the shard's own files."""
        return f"shard-{self.index}-of-{self.count}"

    def select(self, studies: list[StudySpec]) -> list[StudySpec]:
        """This shard's studies of ``studies`` (which every shard must be given alike)."""
        return studies[self.index - 1::self.count]


def _quarters(value: object, where: str) -> list[str]:
    try:
        if isinstance(value, dict) and set(value) == {"first", "last"}:
            return periods.quarter_range(str(value["first"]), str(value["last"]))
        if isinstance(value, list) and value:
            return [periods.check_quarter(str(q)) for q in value]
    except ValueError as err:
        raise MatrixError(f"{where}: {err}") from None
    raise MatrixError(f"{where}: expected {{first: YYYYQn, last: YYYYQn}} or a list of quarters")


def check_minutes(value: Any, where: str) -> float:
    """A time limit in minutes: a positive number, fractions allowed (``0.5`` is 30 s).

    Raises:
        ValueError: naming ``where``, the value and what was expected.
    """
    if (isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value)
            or value <= 0):
        raise ValueError(f"{where}: expected a positive number of minutes (such as 10 or 2.5), "
                         f"got {value!r}")
    return float(value)


def load_matrix(path: str | Path) -> Matrix:
    """Read and check a run-matrix file."""
    path = Path(path)
    if not path.is_file():
        raise MatrixError(f"run matrix {path} not found")
    text = path.read_text(encoding="utf-8")
    try:
        doc = yaml.safe_load(text) or {}
    except yaml.YAMLError as err:
        raise MatrixError(f"{path}: not valid YAML: {err}") from None
    if not isinstance(doc, dict):
        raise MatrixError(f"{path}: expected a mapping at the top level")
    unknown = set(doc) - TOP_KEYS
    if unknown:
        raise MatrixError(f"{path}: unknown key(s) {sorted(unknown)}; expected {sorted(TOP_KEYS)}")
    clients = doc.get("clients")
    if not isinstance(clients, dict) or not clients:
        raise MatrixError(f"{path}: 'clients' must map client slugs to their settings")
    try:
        dataset = config.check_slug(str(doc.get("dataset", "sample")), "dataset")
        template = config.check_slug(str(doc.get("template", "quarterly_report")), "template")
    except ValueError as err:
        raise MatrixError(f"{path}: {err}") from None
    default_quarters = _quarters(doc.get("quarters"), f"{path}: quarters")
    try:
        default_minutes = check_minutes(doc.get("timeout_minutes", DEFAULT_TIMEOUT_MINUTES),
                                        f"{path}: timeout_minutes")
    except ValueError as err:
        raise MatrixError(str(err)) from None
    studies = []
    for slug, settings in clients.items():
        where = f"{path}: clients.{slug}"
        settings = settings or {}
        try:
            config.check_slug(str(slug), "client")
        except ValueError as err:
            raise MatrixError(f"{where}: {err}") from None
        if not isinstance(settings, dict) or set(settings) - CLIENT_KEYS:
            raise MatrixError(f"{where}: expected a mapping with keys among {sorted(CLIENT_KEYS)}")
        quarters = (_quarters(settings["quarters"], f"{where}.quarters")
                    if "quarters" in settings else default_quarters)
        ds = str(settings.get("dataset", dataset))
        try:
            config.check_slug(ds, "dataset")
        except ValueError as err:
            raise MatrixError(f"{where}.dataset: {err}") from None
        name = settings.get("name", str(slug))
        if not isinstance(name, str) or not name.strip():
            raise MatrixError(f"{where}.name: expected the client's name as text, got {name!r}")
        try:
            report_settings = config.check_settings(settings.get("settings"), f"{where}.settings")
            minutes = (check_minutes(settings["timeout_minutes"], f"{where}.timeout_minutes")
                       if "timeout_minutes" in settings else default_minutes)
        except ValueError as err:
            raise MatrixError(str(err)) from None
        studies += [StudySpec(str(slug), q, template, ds, name, report_settings, minutes * 60)
                    for q in quarters]
    return Matrix(path, tuple(studies), hashlib.sha256(text.encode()).hexdigest())
