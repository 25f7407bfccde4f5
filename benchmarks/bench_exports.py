"""What a report's exports (Excel workbook, PowerPoint deck) add to the report's own time.

Runs the quarterly report's code cells in this process, in the template's order, on a fresh
study each round: once without the ``report.downloads(study)`` cell and once with it (the
exports written to a temporary folder, as ``cxlab run`` has them written). The difference is
what the exports cost a study; the export's own time (write_workbook and write_deck) is
printed too, on a study whose page was already computed and on a cold one. Run from the
checkout::

    .venv/bin/python benchmarks/bench_exports.py                 # northwind and cedar
    .venv/bin/python benchmarks/bench_exports.py --clients cedar --rounds 3

Times are CPU seconds of this process (``time.process_time``): on a machine shared with
other work, wall-clock times of a few seconds vary more than the exports cost. Nothing here
asserts a time: the numbers are for reading (and for BENCHMARKS.md).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "notebooks" / "quarterly_report.ipynb"
DOWNLOADS = "report.downloads(study)"


def cells() -> list[str]:
    """The template's code cells after its parameters cell and the cell opening the study."""
    nb = nbformat.read(TEMPLATE, as_version=4)
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    return [s for s in code[2:] if s.strip()]


def open_study(client: str, quarter: str):
    """A fresh study (its own memo), opened as the run matrix has the template open it."""
    import cxlab
    from cxlab.run.matrix import load_matrix

    spec = load_matrix(ROOT / "studies.yml").select([client], [quarter])[0]
    return cxlab.open_study(**spec.parameters)


def run_page(client: str, quarter: str, with_exports: bool) -> float:
    """Seconds to run the report's cells on a fresh study, with or without the exports cell."""
    from cxlab import report

    report.apply_theme()
    study = open_study(client, quarter)
    started = time.process_time()
    for source in cells():
        if source.strip() == DOWNLOADS and not with_exports:
            continue
        value = eval(source, {"report": report, "study": study})  # one call per cell
        draw = getattr(value, "_repr_mimebundle_", None)
        if draw is not None:
            draw()  # what the kernel does to show the cell's result
        elif hasattr(value, "_repr_html_"):
            value._repr_html_()
    return time.process_time() - started


def export_only(client: str, quarter: str, warm: bool, folder: Path) -> float:
    """Seconds of write_workbook and write_deck alone, after the page's cells or on a cold study."""
    from cxlab import report
    from cxlab.report import exports

    study = open_study(client, quarter)
    if warm:
        for source in cells():
            if source.strip() != DOWNLOADS:
                value = eval(source, {"report": report, "study": study})
                if hasattr(value, "_repr_mimebundle_"):
                    value._repr_mimebundle_()
    started = time.process_time()
    exports.write_workbook(study, folder / "r.xlsx")
    exports.write_deck(study, folder / "r.pptx")
    return time.process_time() - started


def main() -> None:
    """Print, per client, the report's time without and with its exports, and their cost."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", nargs="+", default=["northwind", "cedar"])
    parser.add_argument("--quarter", default="2026Q3")
    parser.add_argument("--rounds", type=int, default=3, help="timed runs of each (median)")
    args = parser.parse_args()
    os.environ.setdefault("CXLAB_PSEUDONYM_KEY", "cxlab-benchmark-pseudonym-key")
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["CXLAB_EXPORT_ROOT"] = tmp
        run_page(args.clients[0], args.quarter, True)  # imports and first-use costs, untimed
        for client in args.clients:
            without = statistics.median(run_page(client, args.quarter, False)
                                        for _ in range(args.rounds))
            with_ = statistics.median(run_page(client, args.quarter, True)
                                      for _ in range(args.rounds))
            warm = statistics.median(export_only(client, args.quarter, True, Path(tmp))
                                     for _ in range(args.rounds))
            cold = statistics.median(export_only(client, args.quarter, False, Path(tmp))
                                     for _ in range(args.rounds))
            print(f"{client} {args.quarter} (median of {args.rounds}):")
            print(f"  report cells without exports  {without:6.2f} s")
            print(f"  report cells with exports     {with_:6.2f} s")
            print(f"  exports add                   {with_ - without:+6.2f} s")
            print(f"  exports alone, page computed  {warm:6.2f} s")
            print(f"  exports alone, cold study     {cold:6.2f} s", flush=True)


if __name__ == "__main__":
    main()
