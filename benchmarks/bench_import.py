"""Import memory (issue 17, part 4): peak memory of `cxlab data import` on a large CSV.

Generates a customer-survey export of about ``--mb`` megabytes (ids, dates, scores, a labelled
satisfaction, comments with some accents), imports it through a mapping in a fresh process
and prints the file size, the process's peak resident memory above what it holds once cxlab
and its libraries are imported, and the ratio of the two (issue 17's target: under 3x the
file size). Run from the checkout::

    .venv/bin/python benchmarks/bench_import.py            # about 110 MB
    .venv/bin/python benchmarks/bench_import.py --mb 20    # quicker
    .venv/bin/python benchmarks/bench_import.py --reject-all   # every row rejected

Nothing here asserts a number: they are for reading, and for BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MAPPING = """\
table: customer_responses
columns: {response_id: ResponseId, responded_on: RecordedDate, customer_id: Customer,
          nps: Q1, csat: Q2, ces: Q3, comment: Comment}
constants: {client: acme, channel: web, journey_stage: usage, department: Support}
missing: [-99]
values:
  nps: {shift: -1}
  csat: {recode: {Very satisfied: 5, Satisfied: 4, Neutral: 3, Dissatisfied: 2,
                  Very dissatisfied: 1}}
dates: {responded_on: "%d/%m/%Y"}
"""

LABELS = ["Very satisfied", "Satisfied", "Neutral", "Dissatisfied", "Very dissatisfied"]
WORDS = ("the agent was quick and friendly, très bien, my issue was solved after two calls; "
         "waited too long on hold but the café voucher helped").split()

_CHILD = r"""
import json, resource, sys, time
from pathlib import Path
import cxlab.data.imports as imports, pandas, pyarrow.parquet  # libraries first: the baseline
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
result, folder = imports.import_file(sys.argv[1], sys.argv[2], "bench", "acme",
                                     as_of=sys.argv[4], root=Path(sys.argv[3]))
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"base_kb": base, "peak_kb": peak, "seconds": seconds,
                  "read": result.rows_read, "accepted": result.rows_accepted,
                  "rejected": result.rows_rejected}))
"""


def write_export(path: Path, megabytes: float, seed: int = 17) -> int:
    """A survey export of about ``megabytes`` MB, written in blocks; returns its rows."""
    import numpy as np

    rng = np.random.default_rng(seed)
    target = megabytes * 1e6
    written = rows = 0
    with path.open("w", encoding="utf-8", newline="") as f:
        f.write("ResponseId,RecordedDate,Customer,Q1,Q2,Q3,Comment\n")
        while written < target:
            n = 20_000
            ids = np.arange(rows, rows + n)
            day = rng.integers(1, 29, n)
            month = rng.integers(1, 10, n)
            q1 = rng.integers(1, 12, n)
            q2 = rng.integers(0, 5, n)
            q3 = rng.integers(1, 8, n)
            length = rng.integers(3, 25, n)
            lines = []
            for i in range(n):
                words = " ".join(WORDS[(i + k) % len(WORDS)] for k in range(length[i]))
                lines.append(f"R{ids[i]},{day[i]:02d}/{month[i]:02d}/2026,C{ids[i] % 50_000},"
                             f"{q1[i] if q1[i] != 11 or i % 50 else -99},{LABELS[q2[i]]},"
                             f"{q3[i]},\"{words}\"\n")
            block = "".join(lines)
            f.write(block)
            written += len(block.encode("utf-8"))
            rows += n
    return rows


def main() -> None:
    """Generate the export, import it in a child process and print the memory numbers."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=110.0, help="size of the CSV (default 110)")
    parser.add_argument("--reject-all", action="store_true",
                        help="the worst case: an as-of date before every answer, so every row "
                             "is rejected and kept with its reason")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        csv_path, mapping = tmp / "export.csv", tmp / "map.yml"
        mapping.write_text(MAPPING)
        started = time.perf_counter()
        rows = write_export(csv_path, args.mb)
        size = csv_path.stat().st_size
        print(f"generated {rows:,} rows, {size / 1e6:.1f} MB in "
              f"{time.perf_counter() - started:.1f} s", flush=True)
        out = subprocess.run([sys.executable, "-c", _CHILD, str(csv_path), str(mapping),
                              str(tmp / "data"), "2025-01-01" if args.reject_all
                              else "2026-11-26"], capture_output=True, text=True, check=True)
        numbers = json.loads(out.stdout.strip().splitlines()[-1])
    above = (numbers["peak_kb"] - numbers["base_kb"]) * 1024
    print(f"import: {numbers['read']:,} rows read, {numbers['accepted']:,} accepted, "
          f"{numbers['rejected']:,} rejected in {numbers['seconds']:.1f} s")
    print(f"peak memory above the imported libraries: {above / 1e6:,.0f} MB = "
          f"{above / size:.2f} x the file size   [target: under 3x]")
    print(f"peak resident memory of the process: {numbers['peak_kb'] * 1024 / 1e6:,.0f} MB "
          f"(libraries alone: {numbers['base_kb'] * 1024 / 1e6:,.0f} MB)")


if __name__ == "__main__":
    main()
