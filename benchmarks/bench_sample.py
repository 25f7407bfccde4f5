"""Sample generation memory and time (issue 20, part 5): written by client and quarter.

Runs ``make_sample`` at each given scale, each in a fresh process, and prints the peak
resident memory above what the process holds once cxlab and its libraries are imported, the
time, and what was written (customer responses and interactions, the dataset's size on
disk). A run is ``SCALE`` (all five clients) or ``SCALE:CLIENT[,CLIENT...]``. Run from the
checkout::

    .venv/bin/python benchmarks/bench_sample.py                     # scales 1, 10 and 30
    .venv/bin/python benchmarks/bench_sample.py 1 10 30 100:northwind

Memory should stay about flat across scales: ``make_sample`` holds one quarter of one client
(and, per large table, 8 bytes an id to find repeated ids). Nothing here asserts a number:
they are for reading, and for BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile

_CHILD = r"""
import json, resource, sys, time
from pathlib import Path
import cxlab.data as data
import cxlab.data.sample, cxlab.data.store, pandas, pyarrow.parquet as pq  # the baseline
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
scale, root = float(sys.argv[1]), Path(sys.argv[2])
clients = sys.argv[3].split(",") if sys.argv[3] else None
started = time.perf_counter()
folder = data.make_sample("bench", scale=scale, root=root, clients=clients)
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
rows = {t: sum(pq.ParquetFile(f).metadata.num_rows for f in folder.glob(f"*/{t}.parquet"))
        for t in ("customer_responses", "interactions")}
size = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
print(json.dumps({"base_kb": base, "peak_kb": peak, "seconds": seconds, "rows": rows,
                  "bytes": size}))
"""


def measure(scale: float, clients: str) -> dict:
    """Peak memory and time of ``make_sample`` at ``scale``, in a fresh process.

    ``clients``: their names, comma-separated; empty for all.
    """
    with tempfile.TemporaryDirectory() as root:
        out = subprocess.run([sys.executable, "-c", _CHILD, str(scale), root, clients],
                             check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def _machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30 \
        if hasattr(os, "sysconf") else float("nan")
    return (f"{platform.node()}: {cpu}, {os.cpu_count()} cores, {memory:.0f} GB, "
            f"Python {platform.python_version()}")


def main() -> None:
    """Measure each run and print a line per run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="*", default=["1", "10", "30"],
                        help="SCALE or SCALE:CLIENT[,CLIENT...] (default: 1 10 30)")
    args = parser.parse_args()
    print(_machine())
    print(f"{'scale':>6}  {'clients':<12}{'responses':>12}{'interactions':>14}"
          f"{'on disk':>10}{'peak above libraries':>22}{'time':>9}")
    for run in args.runs:
        scale, _, clients = run.partition(":")
        m = measure(float(scale), clients)
        print(f"{float(scale):>6g}  {clients or 'all':<12}{m['rows']['customer_responses']:>12,}"
              f"{m['rows']['interactions']:>14,}{m['bytes'] / 2**20:>7,.0f} MB"
              f"{(m['peak_kb'] - m['base_kb']) / 1024:>19,.0f} MB{m['seconds']:>8.1f}s",
              flush=True)


if __name__ == "__main__":
    main()
