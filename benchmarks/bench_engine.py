"""Grouped metrics from Parquet through the engine, against a hand-written DuckDB query.

Writes ``--rows`` survey answers (in Parquet files of a million rows, generated in chunks so
this script's memory stays small), then, each in a fresh process, times and measures:

* the hand-written query: one DuckDB ``SELECT`` of the counts and sums NPS, CSAT top-2 and
  the CES mean need, by channel;
* ``cxlab.grouped`` of the same three measures by channel over the files read through the
  engine (``cxlab.engine.read_parquet``: Ibis on DuckDB), which also checks every answer's
  scale (from the files' column statistics where they show it, else row by row);
* the hand-written query with those checks added (each group's smallest and largest answer,
  and the largest fractional part of the decimal column), the work cxlab does;
* for comparison at the smaller sizes, ``cxlab.grouped`` after loading the files into pandas.

Prints seconds (best of ``--repeat``), peak resident memory above the imported libraries and
the engine's time as a multiple of the hand-written query's (issue 20's target: at most 1.5).
Run from the checkout::

    .venv/bin/python benchmarks/bench_engine.py                 # 20 million rows
    .venv/bin/python benchmarks/bench_engine.py --rows 100      # the issue's 100 million

Nothing here asserts a number: they are for reading, and for BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

CHUNK = 1_000_000
CHANNELS = np.array(["phone", "chat", "email", "web", "store"])

_CHILD = r"""
import json, resource, sys, time
folder, way, repeat = sys.argv[1], sys.argv[2], int(sys.argv[3])
import duckdb, ibis, pandas, cxlab, cxlab.engine, cxlab.metrics  # libraries first
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
files = f"{folder}/*.parquet"
QUERY = f'''
SELECT channel, count(*) AS n,
  count(nps) AS nps_n, sum((nps >= 9)::INT) AS promoters, sum((nps <= 6)::INT) AS detractors,
  count(csat) AS csat_n, sum((csat >= 4)::INT) AS top2,
  count(ces) AS ces_n, sum(ces) AS ces_sum, var_pop(ces) * count(ces) AS ces_ss
FROM read_parquet('{files}') WHERE channel IS NOT NULL GROUP BY channel ORDER BY channel
'''
CHECKED = QUERY.replace("count(*) AS n,", "count(*) AS n, min(nps), max(nps), "
                        "max(nps - floor(nps)), min(csat), max(csat), min(ces), max(ces),")
def run():
    if way == "hand-written DuckDB query":
        return duckdb.connect().execute(QUERY).df()
    if way == "hand-written, with the checks":
        return duckdb.connect().execute(CHECKED).df()
    if way == "cxlab.grouped, engine":
        table = cxlab.engine.read_parquet(files)
        return cxlab.metrics.grouped(table, ["nps", "csat_top2", "ces_mean"], by="channel")
    frame = pandas.read_parquet(folder)
    return cxlab.metrics.grouped(frame, ["nps", "csat_top2", "ces_mean"], by="channel")
best = float("inf")
for _ in range(repeat):
    started = time.perf_counter()
    run()
    best = min(best, time.perf_counter() - started)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": best, "peak_kb": peak - base}))
"""

WAYS = ("hand-written DuckDB query", "cxlab.grouped, engine", "hand-written, with the checks",
        "cxlab.grouped, pandas")


def write_answers(folder: Path, rows: int, seed: int = 20) -> None:
    """``rows`` survey answers in Parquet files of at most a million rows each."""
    rng = np.random.default_rng(seed)
    for part, start in enumerate(range(0, rows, CHUNK)):
        n = min(CHUNK, rows - start)
        nps = rng.integers(0, 11, n).astype(float)
        nps[rng.random(n) < 0.2] = np.nan
        # Unanswered is missing (null), as cxlab and pandas write it.
        table = pa.table({"channel": CHANNELS[rng.integers(0, len(CHANNELS), n)],
                          "nps": pa.array(nps, from_pandas=True), "csat": rng.integers(1, 6, n),
                          "ces": rng.integers(1, 8, n)})
        pq.write_table(table, folder / f"part-{part:04d}.parquet")


def measure(folder: Path, way: str, repeat: int) -> dict:
    """Best time and peak memory of one way, in a fresh process."""
    out = subprocess.run([sys.executable, "-c", _CHILD, str(folder), way, str(repeat)],
                         capture_output=True, text=True)
    if out.returncode:
        raise SystemExit(f"{way} failed:\n{out.stderr[-2000:]}")
    # The last line that is ours, after anything a library printed (DuckDB's progress bar).
    return json.loads([line for line in out.stdout.splitlines() if line.startswith("{")][-1])


def main() -> None:
    """Write the answers, measure each way, print them side by side."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=float, default=20, help="millions of rows (default 20)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pandas-up-to", type=float, default=20,
                        help="millions of rows up to which the pandas path is measured too")
    args = parser.parse_args()
    rows = int(args.rows * 1e6)
    print(f"{platform.node()}: {platform.machine()}, Python {platform.python_version()}, "
          f"{rows:,} rows")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_answers(folder, rows)
        ways = WAYS if args.rows <= args.pandas_up_to else WAYS[:3]
        found = {way: measure(folder, way, args.repeat) for way in ways}
    for way, m in found.items():
        print(f"  {way:<28}{m['seconds']:>8.2f} s{m['peak_kb'] / 1024:>9,.0f} MB above libraries")
    ratio = found[WAYS[1]]["seconds"] / found[WAYS[0]]["seconds"]
    print(f"  engine / hand-written query: {ratio:.2f}x the time")
    checked = found[WAYS[1]]["seconds"] / found[WAYS[2]]["seconds"]
    print(f"  engine / hand-written query with the same scale checks: {checked:.2f}x the time")


if __name__ == "__main__":
    main()
