"""Skip studies whose inputs have not changed since their report was written.

A study's content key is a SHA-256 over everything its report depends on: the template
file, the study's parameters, the client's data files (contents, not dates), and the cxlab
package (its version and source files). A study is skipped when the key recorded for its
report equals the current one *and* the report itself checks out: it parses as a notebook
and carries that key in its metadata (``metadata.cxlab.key``, written before execution). A
truncated, damaged or foreign report runs again. Change one client's data and only that
client's keys change.

The keys live in one file per reports folder. A run records the keys of the reports it
wrote and forgets those of the studies that failed (so they run again next time); when it
saves, it re-reads the file and applies only its own changes, so what another run saved
in between is kept.

This module imports no heavy library, so an unchanged run finishes in a second or two.
"""

from __future__ import annotations

import hashlib
import json
import os
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from cxlab import privacy
from cxlab.fsutil import exclusive_lock, plain_os_error, replace_file

if TYPE_CHECKING:
    from cxlab.run.matrix import StudySpec

#: Where the keys of the reports in a reports folder are kept.
KEYS_FILE = ".cxlab-keys.json"


def _hash_files(paths: list[Path], root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(str(path.relative_to(root)).encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


@cache
def package_fingerprint() -> str:
    """The cxlab version and a hash of the package's source and data files."""
    import cxlab

    root = Path(cxlab.__file__).parent
    files = [p for p in root.rglob("*") if p.suffix in (".py", ".yml") and p.is_file()]
    return f"{cxlab.__version__}:{_hash_files(files, root)}"


def data_fingerprint(folder: Path) -> str:
    """A hash of every file in one client's data folder (tables, rejects, quality record)."""
    files = [p for p in folder.rglob("*") if p.is_file()] if folder.is_dir() else []
    return _hash_files(files, folder)


def file_fingerprint(path: Path) -> str:
    """A hash of one file's contents (a template)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def study_key(spec: StudySpec, template: str, data: str) -> str:
    """The content key of one study, from the fingerprints of its ``template`` and ``data``."""
    parts = {
        "template": template,
        "parameters": spec.parameters,
        "template_name": spec.template,
        "data": data,
        "package": package_fingerprint(),
        # A new pseudonym key relabels every employee: the reports must be made again.
        "pseudonym_key": privacy.key_fingerprint(),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def report_key(path: Path) -> str | None:
    """The content key a report carries, or None if it is not a whole cxlab notebook.

    The file must parse as JSON and look like a notebook (format 4, a list of cells) with
    ``metadata.cxlab.key``; a truncated file fails to parse, and a notebook cxlab did not
    write has no key.
    """
    try:
        nb = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    if not isinstance(nb, dict) or nb.get("nbformat") != 4 or not isinstance(nb.get("cells"), list):
        return None
    meta = nb.get("metadata")
    cx = meta.get("cxlab") if isinstance(meta, dict) else None
    key = cx.get("key") if isinstance(cx, dict) else None
    return key if isinstance(key, str) else None


class KeyStore:
    """The keys of the reports under one reports folder; saving merges with the file.

    ``problem`` says, in plain words, why the saved keys could not be read ("" if they
    could); the store then starts empty, so every study runs.
    """

    def __init__(self, reports_root: Path):
        self.root = reports_root
        self.path = reports_root / KEYS_FILE
        self.keys, self.problem = self._read()
        self._changes: dict[str, str | None] = {}  # this run's: a key, or None to forget

    def _read(self) -> tuple[dict[str, str], str]:
        where = f"{self.root.name}/{KEYS_FILE}"
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}, ""
        except OSError as err:
            return {}, f"{where} could not be read ({plain_os_error(err)}): every study runs"
        try:
            keys = json.loads(text)
        except ValueError:
            keys = None
        if not isinstance(keys, dict) or not all(isinstance(v, str) for v in keys.values()):
            return {}, f"{where} is damaged (not a JSON object of keys): every study runs"
        return keys, ""

    def _name(self, output: Path) -> str:
        return output.relative_to(self.root).as_posix()

    def fresh(self, output: Path, key: str) -> bool:
        """Whether ``output`` was written from inputs with this key and is whole."""
        return self.keys.get(self._name(output)) == key and report_key(output) == key

    def record(self, output: Path, key: str) -> None:
        """Remember the key ``output`` was written from."""
        self.keys[self._name(output)] = key
        self._changes[self._name(output)] = key

    def forget(self, output: Path) -> None:
        """Forget ``output``'s key: its study failed, so the next run tries it again."""
        self.keys.pop(self._name(output), None)
        self._changes[self._name(output)] = None

    def save(self) -> None:
        """Merge this run's changes into the keys saved now and write them atomically.

        Under a lock of its own, so the shards of a run saving at once each keep the
        others' keys.

        Raises:
            OSError: the file cannot be written (the old one is then left as it was).
        """
        lock = self.path.with_name(self.path.name + ".lock")
        with exclusive_lock(lock, {"pid": os.getpid()}, wait=True):
            current, _ = self._read()
            for name, key in self._changes.items():
                if key is None:
                    current.pop(name, None)
                else:
                    current[name] = key
            replace_file(self.path, lambda tmp: tmp.write_text(
                json.dumps(current, indent=1, sort_keys=True), encoding="utf-8"))
        self.keys = current
        self._changes = {}
