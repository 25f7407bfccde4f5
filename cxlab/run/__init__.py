"""Run studies: the run matrix and the Papermill executor."""

import os


def usable_cores() -> int:
    """How many kernels ``cxlab run`` starts unless told: one per core this process may use.

    Where the platform tells it, the process's CPU affinity counts, not the machine's cores.
    """
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1
