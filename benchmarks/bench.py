"""Benchmarks for issue 7's targets; prints a table of times and side-by-side ratios.

Run from the checkout (it makes its own data in a temporary directory)::

    .venv/bin/python benchmarks/bench.py            # everything (about 25 minutes)
    .venv/bin/python benchmarks/bench.py --quick    # smaller portfolio (a few minutes)
    .venv/bin/python benchmarks/bench.py --only startup metrics

Nothing here asserts a time: the numbers are for reading, and for BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
ROWS: list[tuple[str, str, str]] = []
ROUNDS = 7  # timed calls per approach in the metrics comparison


def report(what: str, value: str, target: str = "") -> None:
    """Print a result line now and keep it for the final table."""
    ROWS.append((what, value, target))
    print(f"  {what}: {value}" + (f"   [{target}]" if target else ""), flush=True)


def timed(command: list[str], env: dict | None = None, cwd: Path | None = None) -> float:
    """Wall seconds of one command (its output discarded; a failure stops the benchmark)."""
    started = time.perf_counter()
    subprocess.run(command, check=True, env=env, cwd=cwd, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


# ------------------------------------------------------------------------------------------
def bench_startup(repeats: int = 7) -> None:
    """`import cxlab` and `cxlab --help` against a bare interpreter."""
    print("start-up", flush=True)
    python = str(BIN / "python")
    runs = {name: statistics.median(timed(cmd) for _ in range(repeats)) for name, cmd in {
        "bare python": [python, "-c", "pass"],
        "import cxlab": [python, "-c", "import cxlab"],
        "cxlab --help": [str(BIN / "cxlab"), "--help"],
        "import pandas": [python, "-c", "import pandas"],
    }.items()}
    for name in ("import cxlab", "cxlab --help"):
        report(f"{name} (median of {repeats})", f"{runs[name]:.2f} s", "< 1.5 s")
    report("for scale: bare python / import pandas",
           f"{runs['bare python']:.2f} s / {runs['import pandas']:.2f} s")
    found = subprocess.run([python, "-c", "import importlib.util as u; "
                            "print(u.find_spec('rfc3987_syntax') is not None)"],
                           capture_output=True, text=True).stdout.strip()
    report("rfc3987_syntax installed in this environment", found, "False")


# ------------------------------------------------------------------------------------------
_METRICS_CHILD = r"""
import json, sys, time
import numpy as np, pandas as pd
n, groups, mode, rounds = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
labels = sys.argv[5]
rng = np.random.default_rng(1)
group = pd.Series(pd.Categorical.from_codes(rng.integers(0, groups, n),
                                            [f"g{g:03d}" for g in range(groups)]))
frame = pd.DataFrame({
    # Group labels as text (the type pandas gives a column read from a file), or as a
    # category (read with dtype="category", or from Parquet written from one).
    "group": group.astype("str") if labels == "text" else group,
    "nps": pd.array(rng.integers(0, 11, n), dtype="Int8"),
    "csat": pd.array(rng.integers(1, 6, n), dtype="Int8"),
    "ces": pd.array(rng.integers(1, 8, n), dtype="Int8"),
})
frame.loc[rng.random(n) < 0.05, "csat"] = pd.NA
import os, threading
import cxlab.metrics, duckdb
def per_group_functions():
    # What most analyses write: a function per metric, applied to each group.
    g = frame.groupby("group")
    def nps(s):
        s = s.dropna(); return 100 * ((s >= 9).mean() - (s <= 6).mean()), len(s)
    def top2(s):
        s = s.dropna(); return (s >= 4).mean(), len(s)
    def mean(s):
        s = s.dropna().astype(float); return s.mean(), s.std(), len(s)
    return g["nps"].agg(nps), g["csat"].agg(top2), g["ces"].agg(mean)
def indicator_sums():
    # Faster pandas: indicator columns and one groupby sum (intervals after, from the sums).
    v = frame[["nps", "csat", "ces"]].astype("float64")
    parts = pd.DataFrame({"group": frame["group"], "promoter": v["nps"] >= 9,
        "detractor": v["nps"] <= 6, "nps_n": v["nps"].notna(), "top2": v["csat"] >= 4,
        "csat_n": v["csat"].notna(), "ces": v["ces"], "ces2": v["ces"] ** 2,
        "ces_n": v["ces"].notna()})
    return parts.groupby("group").sum()
def hand_duckdb():
    con = duckdb.connect(); con.register("frame", frame)
    out = con.execute(
        "SELECT \"group\", count_if(nps >= 9) p, count_if(nps BETWEEN 7 AND 8) m, "
        "count_if(nps <= 6) d, count_if(csat >= 4) t, count(csat) cn, sum(ces::DOUBLE) s, "
        "sum(ces::DOUBLE * ces) ss, count(ces) en FROM frame GROUP BY ALL ORDER BY 1").df()
    con.close(); return out
def cxlab_engine(name):
    return cxlab.metrics.grouped(frame, ["nps", "csat_top2", "ces_mean"], "group", engine=name)
jobs = {"pandas-per-group": per_group_functions, "pandas-indicators": indicator_sums,
        "hand-duckdb": hand_duckdb, "cxlab-duckdb": lambda: cxlab_engine("duckdb"),
        "cxlab-pandas": lambda: cxlab_engine("pandas")}
for name in (jobs if mode == "time" else [mode]):
    jobs[name]()  # warm-up: first-call costs are not the steady state
if mode == "time":
    # Every approach once per round, the order rotating, so that a slow spell of this shared
    # machine falls on all of them alike; the median of the rounds per approach.
    names, times = list(jobs), {name: [] for name in jobs}
    for r in range(rounds):
        for name in names[r % len(names):] + names[:r % len(names)]:
            t = time.perf_counter(); jobs[name](); times[name].append(time.perf_counter() - t)
    print(json.dumps({name: sorted(ts)[len(ts) // 2] for name, ts in times.items()}))
else:  # peak memory of one approach, alone in this process
    page = os.sysconf("SC_PAGE_SIZE")
    def rss():
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * page
    peak, stop = [0], threading.Event()
    def sample():
        while not stop.is_set():
            peak[0] = max(peak[0], rss()); stop.wait(0.002)
    before = rss()
    sampler = threading.Thread(target=sample); sampler.start()
    jobs[mode]()
    stop.set(); sampler.join()
    print(json.dumps({"extra_mb": (peak[0] - before) / 2**20,
                      "data_mb": frame.memory_usage(deep=True).sum() / 2**20}))
"""


def bench_metrics(n: int = 10_000_000, groups: int = 100) -> None:
    """Grouped NPS, CSAT and CES with intervals: cxlab's engines against pandas and DuckDB."""
    print(f"metrics at scale: {n:,} responses in {groups} groups", flush=True)
    def child(mode: str, labels: str = "text") -> dict:
        out = subprocess.run([str(BIN / "python"), "-c", _METRICS_CHILD, str(n), str(groups),
                              mode, str(ROUNDS), labels], capture_output=True, text=True,
                             check=True).stdout
        return json.loads(out.strip().splitlines()[-1])

    seconds = child("time")
    res = {name: {"seconds": seconds[name], **child(name)} for name in seconds}
    for name, r in res.items():
        report(f"{name} (median of {ROUNDS}, interleaved)", f"{1000 * r['seconds']:.0f} ms; "
               f"memory above the data: {r['extra_mb']:.0f} MB (data {r['data_mb']:.0f} MB)")
    _report_ratios(seconds)
    report("cxlab peak memory above the data", f"{res['cxlab-duckdb']['extra_mb']:.0f} MB",
           "< 1 GB")
    # For scale: with the labels as a category, DuckDB skips hashing text; pandas gains less.
    seconds = child("time", "category")
    report(f"labels as category (median of {ROUNDS}, interleaved)",
           ", ".join(f"{name} {1000 * t:.0f} ms" for name, t in seconds.items()))
    _report_ratios(seconds, "labels as category: ", targets=False)


def _report_ratios(seconds: dict, label: str = "", targets: bool = True) -> None:
    """Report the ratios of cxlab's time to the hand-written query's and both pandas forms'."""
    cx = seconds["cxlab-duckdb"]
    report(f"{label}cxlab (DuckDB) / hand-written DuckDB query",
           f"{cx / seconds['hand-duckdb']:.2f}x", "<= 1.5x" if targets else "")
    for plain in ("pandas-per-group", "pandas-indicators"):
        report(f"{label}{plain} / cxlab (DuckDB)", f"{seconds[plain] / cx:.1f}x",
               ">= 4x" if targets else "")


# ------------------------------------------------------------------------------------------
def make_portfolio(home: Path, n_clients: int, quarters: list[str]) -> list:
    """A project under ``home``: the sample's five clients copied to ``n_clients`` clients.

    Returns the run matrix's studies.
    """
    from cxlab.data import make_sample
    from cxlab.run.matrix import load_matrix

    shutil.copytree(ROOT / "notebooks", home / "notebooks")
    make_sample("sample", root=home / "data")
    source = home / "data" / "sample"
    manifest = json.loads((source / "manifest.json").read_text())
    bases = manifest["clients"]
    dest = home / "data" / "portfolio"
    clients = {}
    for i in range(n_clients):
        base = bases[i % len(bases)]
        slug = f"{base}-{i // len(bases) + 1:02d}"
        shutil.copytree(source / base, dest / slug)
        clients[slug] = {"name": f"{manifest['client_names'][base]} {i // len(bases) + 1}"}
    (dest / "manifest.json").write_text(json.dumps({"clients": sorted(clients)}))
    lines = ["template: quarterly_report", "dataset: portfolio",
             f"quarters: [{', '.join(quarters)}]", "clients:"]
    lines += [f"  {slug}:\n    name: {c['name']}" for slug, c in clients.items()]
    (home / "studies.yml").write_text("\n".join(lines) + "\n")
    lines[0] = "template: small_report"
    (home / "studies-small.yml").write_text("\n".join(lines) + "\n")
    _small_template(home / "notebooks")
    return load_matrix(home / "studies.yml").select()


def _small_template(folder: Path) -> None:
    """A small report: the quarterly template's parameters, set-up and scorecard only."""
    import nbformat

    nb = nbformat.read(folder / "quarterly_report.ipynb", as_version=4)
    setup = next(i for i, c in enumerate(nb.cells) if "open_study" in c.source)
    nb.cells = nb.cells[:setup + 1] + [nbformat.v4.new_code_cell("report.scorecard(study)")]
    nbformat.write(nb, folder / "small_report.ipynb")


def _compare_with_papermill(home: Path, env: dict, template: str, matrix: str, studies: list,
                            loop_sample: int) -> None:
    """Time the papermill command on a sample of studies and cxlab run on all of them."""
    import nbformat

    from cxlab.run.executor import notebook_differences, prepare_notebook

    n = len(studies)
    studies = [dataclasses.replace(spec, template=template) for spec in studies]
    sample = studies[::max(1, n // loop_sample)][:loop_sample]
    loop_dir = home / "papermill-loop"
    loop_seconds = []
    for spec in sample:
        # The same notebook cxlab run executes (front matter set), through the command.
        prepared = loop_dir / f"{spec.client}-{spec.quarter}-{template}-input.ipynb"
        prepared.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(prepare_notebook(spec, home / "notebooks" / f"{template}.ipynb"), prepared)
        command = [str(BIN / "papermill"), str(prepared), str(spec.output_path(loop_dir)),
                   "--no-progress-bar"]
        for name, value in spec.parameters.items():
            command += ["-y", json.dumps({name: value})]
        spec.output_path(loop_dir).parent.mkdir(parents=True, exist_ok=True)
        loop_seconds.append(timed(command, env=env, cwd=home / "notebooks"))
    per_study = statistics.mean(loop_seconds)
    report(f"{template}: papermill command, per study (mean of {len(sample)})",
           f"{per_study:.1f} s")
    report(f"{template}: papermill loop over {n} studies (that mean x {n})",
           f"{per_study * n / 60:.1f} min")
    cx = timed([str(BIN / "cxlab"), "run", "--matrix", matrix, "--no-progress", "--force"],
               env=env, cwd=home)
    record = json.loads((home / "reports" / "build-record.json").read_text())
    report(f"{template}: cxlab run, {n} studies ({record['jobs']} warm kernels)",
           f"{cx / 60:.1f} min ({record['n_failed']} failed)")
    report(f"{template}: papermill loop / cxlab run", f"{per_study * n / cx:.1f}x", ">= 15x")
    same = sum(not notebook_differences(spec.output_path(loop_dir),
                                        spec.output_path(home / "reports")) for spec in sample)
    report(f"{template}: cxlab run outputs equal to papermill's", f"{same} of {len(sample)}",
           "all")


def bench_portfolio(n_clients: int, quarters: list[str], loop_sample: int) -> None:
    """Run the portfolio with cxlab and with the papermill command, then re-run it."""
    home = Path(tempfile.mkdtemp(prefix="cxlab-bench-"))
    env = {**os.environ, "CXLAB_HOME": str(home)}
    try:
        os.environ["CXLAB_HOME"] = str(home)
        studies = make_portfolio(home, n_clients, quarters)
        n = len(studies)
        print(f"portfolio: {n_clients} clients x {len(quarters)} quarters = {n} studies",
              flush=True)
        for template, matrix in (("small_report", "studies-small.yml"),
                                 ("quarterly_report", "studies.yml")):
            _compare_with_papermill(home, env, template, matrix, studies, loop_sample)
        run = [str(BIN / "cxlab"), "run", "--no-progress"]
        rerun = timed(run, env=env, cwd=home)
        report(f"unchanged re-run, {n} studies", f"{rerun:.2f} s", "< 5 s")
        changed = studies[0].client
        table = home / "data" / "portfolio" / changed / "customer_responses.parquet"
        import pandas as pd

        pd.read_parquet(table).iloc[:-1].to_parquet(table, index=False)  # one answer fewer
        one = timed(run, env=env, cwd=home)
        record = json.loads((home / "reports" / "build-record.json").read_text())
        ran = sorted({s["client"] for s in record["studies"] if s["status"] == "ok"})
        report(f"after changing {changed}'s data: re-run", f"{one:.1f} s; clients run again: "
               f"{', '.join(ran)}", f"only {changed}")
    finally:
        os.environ.pop("CXLAB_HOME", None)
        shutil.rmtree(home, ignore_errors=True)


def main() -> None:
    """Run the chosen benchmarks and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="10 clients x 2 quarters and 2 papermill runs, 1M responses")
    parser.add_argument("--only", nargs="*", choices=["startup", "metrics", "portfolio"])
    args = parser.parse_args()
    chosen = set(args.only or ["startup", "metrics", "portfolio"])
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    print(f"machine: {platform.platform()}, Python {platform.python_version()}, "
          f"{os.cpu_count()} cores, {memory:.0f} GiB", flush=True)
    if "startup" in chosen:
        bench_startup()
    if "metrics" in chosen:
        bench_metrics(1_000_000 if args.quick else 10_000_000)
    if "portfolio" in chosen:
        if args.quick:
            bench_portfolio(10, ["2026Q2", "2026Q3"], 2)
        else:
            bench_portfolio(50, ["2025Q4", "2026Q1", "2026Q2", "2026Q3"], 6)
    print("\n| measure | result | target |\n|---|---|---|")
    for what, value, target in ROWS:
        print(f"| {what} | {value} | {target} |")


if __name__ == "__main__":
    main()
