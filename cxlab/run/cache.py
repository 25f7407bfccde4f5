"""Skip studies whose inputs have not changed since their report was written.

A study's content key is a SHA-256 over everything its report depends on: the template
file, the study's parameters, the client's data files (contents, not dates), and the cxlab
package (its version and source files). When a report exists and its recorded key equals
the current one, the study is skipped. Change one client's data and only that client's
keys change.

This module imports no heavy library, so an unchanged run finishes in a second or two.
"""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path

from cxlab.fsutil import replace_file

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


def study_key(spec, template: str, data: str) -> str:
    """The content key of one study, from the fingerprints of its ``template`` and ``data``."""
    parts = {
        "template": template,
        "parameters": spec.parameters,
        "template_name": spec.template,
        "data": data,
        "package": package_fingerprint(),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


class KeyStore:
    """The keys of the reports under one reports folder, read once and saved atomically."""

    def __init__(self, reports_root: Path):
        self.root = reports_root
        self.path = reports_root / KEYS_FILE
        self.keys: dict[str, str] = (json.loads(self.path.read_text())
                                     if self.path.is_file() else {})

    def fresh(self, output: Path, key: str) -> bool:
        """Whether ``output`` exists and was written from inputs with this key."""
        return self.keys.get(output.relative_to(self.root).as_posix()) == key and output.is_file()

    def record(self, output: Path, key: str) -> None:
        """Remember the key ``output`` was written from."""
        self.keys[output.relative_to(self.root).as_posix()] = key

    def save(self) -> None:
        """Write the keys through a temporary file."""
        replace_file(self.path, lambda tmp: tmp.write_text(
            json.dumps(self.keys, indent=1, sort_keys=True)))
