"""Sample generation memory (issue 20, part 5): one client at a time against all at once.

Runs, each in a fresh process, the two ways of writing the synthetic sample at the given
``--scale`` values: ``make_sample`` as shipped (each client generated, validated and written
before the next) and all clients generated, validated and written together (the way before).
Prints the peak resident memory above what the process holds once cxlab and its libraries are
imported, and the time, side by side. Run from the checkout::

    .venv/bin/python benchmarks/bench_sample.py                 # scales 1 and 5
    .venv/bin/python benchmarks/bench_sample.py --scale 1 10

Nothing here asserts a number: they are for reading, and for BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile

_CHILD = r"""
import json, resource, sys, time
from pathlib import Path
import cxlab.data as data, cxlab.data.sample as sample, cxlab.data.store as store
import pandas, pyarrow.parquet  # libraries first: the baseline
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
scale, root, way = float(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
started = time.perf_counter()
if way == "one client at a time":
    data.make_sample("bench", scale=scale, root=root)
else:
    tables, _ = sample.generate(scale=scale)
    results = store.validate_tables(tables, source="bench", as_of=sample.AS_OF)
    store.write_dataset(results, root / "bench", {"scale": scale})
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"base_kb": base, "peak_kb": peak, "seconds": seconds}))
"""

WAYS = ("all clients at once", "one client at a time")


def measure(scale: float, way: str) -> dict:
    """Peak memory and time of writing the sample one ``way`` at ``scale``, in a fresh process."""
    with tempfile.TemporaryDirectory() as root:
        out = subprocess.run([sys.executable, "-c", _CHILD, str(scale), root, way],
                             check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def main() -> None:
    """Measure both ways at each scale and print them side by side."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, nargs="+", default=[1.0, 5.0])
    args = parser.parse_args()
    print(f"{platform.node()}: {platform.processor() or platform.machine()}, "
          f"Python {platform.python_version()}")
    print(f"{'scale':>6}  {'way':<22}{'peak above libraries':>22}{'time':>9}")
    for scale in args.scale:
        found = {way: measure(scale, way) for way in WAYS}
        for way, m in found.items():
            print(f"{scale:>6g}  {way:<22}{(m['peak_kb'] - m['base_kb']) / 1024:>19,.0f} MB"
                  f"{m['seconds']:>8.1f}s")
        ratio = ((found[WAYS[1]]["peak_kb"] - found[WAYS[1]]["base_kb"])
                 / (found[WAYS[0]]["peak_kb"] - found[WAYS[0]]["base_kb"]))
        print(f"{'':>6}  one at a time / all at once: {ratio:.2f} of the memory")


if __name__ == "__main__":
    main()
