"""Small file-system helpers shared by every writer: atomic replacement of files and directories."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path


def replace_file(path: Path, write: Callable[[Path], object]) -> None:
    """Write ``path`` through ``write(temporary path)`` and rename it into place.

    Readers see the old file or the new one, never a half-written one; the temporary file is
    hidden (a leading dot), so no glob of the folder picks it up.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.partial")
    write(tmp)
    os.replace(tmp, path)


def replace_dir(new: Path, dest: Path) -> None:
    """Move the finished directory ``new`` to ``dest``, replacing any old one.

    ``dest`` is renamed aside before ``new`` takes its place, so readers see either the old
    complete directory or the new complete one.
    """
    new.chmod(0o755)  # temporary directories are created private
    old = None
    if dest.exists():
        old = dest.with_name(f".{dest.name}.old-{os.getpid()}")
        shutil.rmtree(old, ignore_errors=True)
        dest.rename(old)
    new.rename(dest)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


@contextmanager
def building_dir(dest: Path) -> Iterator[Path]:
    """Yield a temporary directory beside ``dest`` that replaces ``dest`` when the block ends.

    If the block raises, the temporary directory is removed and ``dest`` is left untouched.
    """
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    replace_dir(tmp, dest)
