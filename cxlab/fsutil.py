"""Small file-system helpers shared by every writer.

Atomic replacement of files and directories, a lock one process at a time may hold, and plain
words for file-system errors.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from cxlab.errors import CxlabError

#: What the errors a writer meets most often mean, in the words a user would use.
PLAIN_ERRORS = {
    errno.ENOSPC: "the disk is full (no space left on the device)",
    errno.EDQUOT: "the disk quota is used up",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "the operation is not permitted",
    errno.ENOENT: "no such file or folder",
    errno.ENOTDIR: "a file stands where a folder is expected",
    errno.EISDIR: "a folder stands where a file is expected",
    errno.EIO: "input/output error (the disk or the network share failed)",
    errno.EMFILE: "too many open files",
}


def plain_reason(err: OSError) -> str:
    """What went wrong, without the file: 'the disk is full (no space left on the device)'."""
    plain = PLAIN_ERRORS.get(err.errno) if err.errno is not None else None
    return plain or err.strerror or str(err) or type(err).__name__


def plain_os_error(err: OSError, root: Path | None = None) -> str:
    """``err`` as '<file>: <what went wrong>', the file relative to ``root`` when inside it.

    >>> plain_os_error(OSError(errno.ENOSPC, "No space left on device", "/r/a.json"), Path("/r"))
    'a.json: the disk is full (no space left on the device)'
    """
    reason = plain_reason(err)
    if not err.filename:
        return reason
    name = Path(os.fsdecode(err.filename))
    if root is not None:
        try:
            name = name.resolve().relative_to(root.resolve())
        except ValueError:
            pass
    return f"{name}: {reason}"


def replace_file(path: Path, write: Callable[[Path], object], tmp: Path | None = None) -> None:
    """Write ``path`` through ``write(temporary path)`` and rename it into place.

    ``tmp`` is the temporary file (default: a hidden file beside ``path``); it must be on the
    same file system as ``path``, or the rename is not atomic.

    Readers see the old file or the new one, never a half-written one; the temporary file is
    hidden (a leading dot), so no glob of the folder picks it up. The new contents reach the
    disk before the rename, so a crash cannot leave an empty file in the old one's place. If
    writing fails (a full disk, say), the temporary file is removed, the old file is left as
    it was, and the error is raised.
    """
    tmp = tmp or path.with_name(f".{path.name}.partial")
    tmp.parent.mkdir(parents=True, exist_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        write(tmp)
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


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


class LockBusy(CxlabError, RuntimeError):
    """Another process holds the lock; ``holder`` is what it wrote into the lock file."""

    def __init__(self, path: Path, holder: dict):
        super().__init__(f"{path} is held by another process: {holder}")
        self.path = path
        self.holder = holder


_held: dict[tuple[Path, int], int] = {}  # (lock, thread) held in this process, and how deep
_held_guard = threading.Lock()


def _read_holder(fd: int) -> dict:
    """What the holder of a lock wrote about itself (empty when it is still writing it)."""
    for _ in range(5):
        try:
            data = json.loads(os.pread(fd, 4096, 0) or b"null")
        except ValueError:
            data = None
        if isinstance(data, dict):
            return data
        time.sleep(0.05)
    return {}


@contextmanager
def exclusive_lock(path: Path, about: dict, wait: bool = False,
                   on_wait: Callable[[dict], object] | None = None) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` for the block, one process at a time.

    The lock is an ``flock`` on the file, so the operating system releases it when the
    holder ends, however it ends (``kill -9`` included): there is no stale lock to clear.
    The holder writes ``about`` (JSON: its PID, when it started, ...) into the file, and
    whoever finds the lock taken gets it in :class:`LockBusy` or, with ``wait``, in
    ``on_wait`` before it waits. The thread holding the lock may take it again (another
    thread of the same process waits or fails like another process). On platforms
    without ``flock`` (Windows) the block runs unlocked.

    Raises:
        LockBusy: another process holds the lock and ``wait`` is false.
        OSError: the lock file cannot be created or opened.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    key = (path.absolute(), threading.get_ident())
    with _held_guard:
        if key in _held:
            _held[key] += 1
            nested = True
        else:
            nested = False
    if nested:
        try:
            yield
        finally:
            with _held_guard:
                _held[key] -= 1
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as err:
        if err.errno not in (errno.EROFS, errno.EACCES, errno.EPERM) or not path.is_file():
            raise
        fd = os.open(path, os.O_RDONLY)  # a read-only folder: lock, but say nothing about us
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(fd)
            if not wait:
                raise LockBusy(path, holder) from None
            if on_wait is not None:
                on_wait(holder)
            fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, json.dumps(about).encode(), 0)
        except OSError:
            pass  # a full disk or a read-only file: the lock itself still holds
        with _held_guard:
            _held[key] = 1
        try:
            yield
        finally:
            with _held_guard:
                del _held[key]
    finally:
        os.close(fd)  # releases the lock
