"""A whole quarterly report's memory and time by engine (issue 20): pandas against DuckDB.

Writes the sample of one client (``--client``, the largest by default) at each ``--scale``
into a temporary home, then runs the quarterly report template's cells (the same calls
`cxlab run` executes, without a kernel) for its latest quarter, once per engine, each in a
fresh process: ``pandas`` reads every table whole, ``duckdb`` (the default) asks the engine
for aggregates and reads a few columns where it must. Prints the peak resident memory above
what the process holds once cxlab and its libraries are imported, the time, and the rows of
the client's two largest tables; for Spark, also the peak of its Java process (local mode),
which holds the data. Run from the checkout::

    .venv/bin/python benchmarks/bench_report_engines.py                  # scales 1 and 10
    .venv/bin/python benchmarks/bench_report_engines.py --scale 1 10 100 --engines duckdb
    # a sample already written (cxlab data sample --scale 1000 --client northwind):
    .venv/bin/python benchmarks/bench_report_engines.py --scale 1000 --home big \
        --engines duckdb

Nothing here asserts a number: they are for reading, and for BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parents[1] / "notebooks" / "quarterly_report.ipynb"

_CHILD = r"""
import json, resource, sys, time, warnings
warnings.simplefilter("ignore")
import nbformat, pandas, pyarrow.parquet, duckdb, ibis, matplotlib
import cxlab
from cxlab import report
report.apply_theme()
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
template, client, quarter, engine = sys.argv[1:5]
cells = [c.source for c in nbformat.read(template, as_version=4).cells
         if c.cell_type == "code" and "parameters" not in c.metadata.get("tags", [])]
started = time.perf_counter()
study = cxlab.open_study(client, quarter, engine=engine)
failed = 0
for source in cells:
    if "open_study" in source or "apply_theme" in source or "import" in source:
        continue
    value = eval(source, {"report": report, "study": study, "cxlab": cxlab})
    failed += type(value).__name__ == "FailedSection"
    for method in ("_repr_mimebundle_", "_repr_html_"):  # what the page shows is made
        if hasattr(value, method):
            getattr(value, method)()
            break
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
jvm_kb = 0  # Spark's Java process: its own peak (VmHWM), beside Python's
if engine == "spark":
    from pyspark import SparkContext
    status = open(f"/proc/{SparkContext._gateway.proc.pid}/status").read()
    jvm_kb = int(status.split("VmHWM:")[1].split()[0])
rows = {name: study.count(name) for name in ("interactions", "customer_responses")}
print(json.dumps({"base_kb": base, "peak_kb": peak, "seconds": seconds, "rows": rows,
                  "failed": failed, "jvm_kb": jvm_kb}))
"""

#: The engines compared by default.
ENGINES = ("pandas", "duckdb")


def measure(home: Path, client: str, quarter: str, engine: str) -> dict:
    """Peak memory and time of one report on ``engine``, in a fresh process."""
    env = {**os.environ, "CXLAB_HOME": str(home)}
    out = subprocess.run([sys.executable, "-c", _CHILD, str(TEMPLATE), client, quarter, engine],
                         check=True, capture_output=True, text=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    """Write the sample at each scale, then run the report on each engine, side by side."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, nargs="+", default=[1.0, 10.0])
    parser.add_argument("--client", default="northwind",
                        help="the client whose report is run (the only one generated)")
    parser.add_argument("--quarter", default="2026Q3")
    parser.add_argument("--engines", nargs="+", default=list(ENGINES),
                        choices=["pandas", "duckdb", "spark"])
    parser.add_argument("--home", type=Path,
                        help="a CXLAB_HOME already holding the sample at the one --scale "
                             "given (cxlab data sample --scale S --client C): not written again")
    args = parser.parse_args()
    if args.home and len(args.scale) != 1:
        parser.error("--home goes with one --scale: the scale its sample was written at")
    print(f"{platform.node()}: {platform.processor() or platform.machine()}, "
          f"Python {platform.python_version()}, {os.cpu_count()} cores")
    print(f"{'scale':>6} {'interactions':>13} {'responses':>10} | "
          + " | ".join(f"{e:>7}: {'MB':>6} {'s':>6}" for e in args.engines))
    for scale in args.scale:
        with tempfile.TemporaryDirectory() as scratch:
            home, made = args.home or Path(scratch), 0.0
            if not args.home:
                started = time.perf_counter()
                subprocess.run([sys.executable, "-c", "from cxlab.data import make_sample; "
                                f"make_sample('sample', scale={scale}, clients=[{args.client!r}])"],
                               check=True, env={**os.environ, "CXLAB_HOME": str(home)})
                made = time.perf_counter() - started
            runs = {e: measure(home, args.client, args.quarter, e) for e in args.engines}
        rows = next(iter(runs.values()))["rows"]
        cells = " | ".join(f"{e:>7}: {(r['peak_kb'] - r['base_kb']) / 1024:6.0f} "
                           f"{r['seconds']:6.1f}"
                           + (f" (+ Java {r['jvm_kb'] / 1024:,.0f} MB)" if r["jvm_kb"] else "")
                           for e, r in runs.items())
        written = f"sample written in {made:.0f} s; " if made else ""
        print(f"{scale:6g} {rows['interactions']:13,} {rows['customer_responses']:10,} | {cells}"
              f"   ({written}failed sections {[r['failed'] for r in runs.values()]})",
              flush=True)


if __name__ == "__main__":
    main()
