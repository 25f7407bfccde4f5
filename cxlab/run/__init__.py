"""Run studies: the run matrix and the Papermill executor."""

import os
import re
import shutil
import tempfile
from pathlib import Path

#: Warm kernels talk over local sockets in a private folder named
#: ``cxlab-kernel-<PID of the run that owns it>-<random>`` in the temp folder.
KERNEL_DIR_PREFIX = "cxlab-kernel-"
_KERNEL_DIR = re.compile(re.escape(KERNEL_DIR_PREFIX) + r"(\d+)-[^/\\]+")


def usable_cores() -> int:
    """How many kernels ``cxlab run`` starts unless told: one per core this process may use.

    Where the platform tells it, the process's CPU affinity counts, not the machine's cores.
    """
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def kernel_dir_prefix() -> str:
    """The name a new kernel socket folder starts with: it records this process as its owner."""
    return f"{KERNEL_DIR_PREFIX}{os.getpid()}-"


def process_alive(pid: int) -> bool:
    """Whether a process with this PID exists (one we may not signal counts as alive)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:  # pragma: no cover - e.g. Windows, where signal 0 is not a probe
        return True
    return True


def clean_stray_kernel_dirs(folder: Path | None = None) -> list[Path]:
    """Remove the kernel socket folders whose owning run has ended; return them.

    A run killed outright (``kill -9``, a power cut) cannot remove its kernels' folders.
    Only folders of this user whose name records an owner PID that no longer runs are
    removed: never another live run's, never another user's, and never a folder named the
    old way (without a PID), since its owner cannot be known.
    """
    folder = Path(folder or tempfile.gettempdir())
    removed: list[Path] = []
    try:
        candidates = list(folder.glob(KERNEL_DIR_PREFIX + "*"))
    except OSError:
        return removed
    uid = os.getuid() if hasattr(os, "getuid") else None
    for path in candidates:
        match = _KERNEL_DIR.fullmatch(path.name)
        if not match:
            continue
        try:
            info = path.lstat()
        except OSError:
            continue
        if not path.is_dir() or path.is_symlink() or (uid is not None and info.st_uid != uid):
            continue
        if process_alive(int(match[1])):
            continue
        shutil.rmtree(path, ignore_errors=True)
        if not path.exists():
            removed.append(path)
    return removed
