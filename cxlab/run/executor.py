"""Execute studies with Papermill: in parallel, atomically, past failures, with a record.

Each study's notebook is executed into ``reports/.partial/`` and renamed into place only when
every cell succeeded, so an interrupted or failed run never leaves a half-written report; the
previous good report stays until a new one replaces it.
A failed execution is kept under ``build/failed/`` for inspection.
"""

from __future__ import annotations

import json
import os
import queue
import sys
import threading
import time
import traceback
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import yaml

from cxlab import config
from cxlab.fsutil import replace_file
from cxlab.run import usable_cores
from cxlab.run.cache import KeyStore, data_fingerprint, file_fingerprint, study_key
from cxlab.run.matrix import StudySpec

REPORT_TITLES = {"quarterly_report": "Quarterly CX report"}


@dataclass
class StudyResult:
    """What happened to one study."""

    client: str
    quarter: str
    template: str
    status: str  # "ok", "failed" or "skipped" (inputs unchanged since the report was written)
    seconds: float
    output: str
    error: str = ""


def templates_dir() -> Path:
    """Where the notebook templates live (``notebooks/`` beside the package)."""
    return config.project_root() / "notebooks"


def prepare_notebook(spec: StudySpec, template_path: Path):
    """The template with its front matter set for this study and the study in its metadata."""
    import nbformat

    nb = nbformat.read(template_path, as_version=4)
    front = {
        "title": f"{spec.client_name}: {spec.quarter}",
        "subtitle": REPORT_TITLES.get(spec.template, spec.template.replace("_", " ")),
    }
    header = "---\n" + yaml.safe_dump(front, allow_unicode=True, sort_keys=False) + "---"
    if nb.cells and nb.cells[0].cell_type == "raw" and nb.cells[0].source.startswith("---"):
        nb.cells[0].source = header
    else:
        nb.cells.insert(0, nbformat.v4.new_raw_cell(header))
    nb.metadata["cxlab"] = {**spec.parameters, "template": spec.template}
    return nb


def run_study(spec: StudySpec, reports_root: Path, failed_root: Path,
              kernel_name: str | None = None, engine: str | None = None) -> StudyResult:
    """Execute one study; never raises for a failing notebook (the result says so).

    ``engine="cxlab-warm"`` runs it in the calling thread's warm kernel (see
    :mod:`cxlab.run.pool`); the default starts a fresh kernel, as ``papermill`` does.
    """
    import papermill as pm

    target = spec.output_path(reports_root)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = reports_root / ".partial"  # same file system as the target, outside the site's globs
    partial.mkdir(parents=True, exist_ok=True)
    tmp = partial / f"{spec.client}-{spec.quarter}-{spec.template}.ipynb"
    started = time.perf_counter()
    try:
        nb = prepare_notebook(spec, templates_dir() / f"{spec.template}.ipynb")
        pm.execute_notebook(
            nb, str(tmp), parameters=spec.parameters, kernel_name=kernel_name,
            progress_bar=False, cwd=str(templates_dir()), language="python",
            engine_name=engine,
        )
        os.replace(tmp, target)
        return StudyResult(spec.client, spec.quarter, spec.template, "ok",
                           time.perf_counter() - started, _relative(target))
    except Exception as err:  # a failing study must not stop the others
        kept = ""
        if tmp.exists():
            failed_root.mkdir(parents=True, exist_ok=True)
            kept_path = failed_root / f"{spec.client}-{spec.quarter}-{spec.template}.ipynb"
            os.replace(tmp, kept_path)
            kept = _relative(kept_path)
        message = _short_error(err)
        return StudyResult(spec.client, spec.quarter, spec.template, "failed",
                           time.perf_counter() - started, kept, message)


def _relative(path: Path) -> str:
    return os.path.relpath(path, config.project_root())


def _short_error(err: Exception) -> str:
    ename, evalue = getattr(err, "ename", None), getattr(err, "evalue", None)
    if ename:
        return f"{ename}: {evalue}"
    return "".join(traceback.format_exception_only(err)).strip()


def run_studies(
    studies: list[StudySpec], jobs: int | None = None, reports_root: Path | None = None,
    progress: bool = True, kernel_name: str | None = None, matrix_sha256: str = "",
    warm: bool = True, force: bool = False,
) -> list[StudyResult]:
    """Execute studies, ``jobs`` at a time (default: one per core), and write the build record.

    A study whose report exists and whose inputs are unchanged (same content key, see
    :mod:`cxlab.run.cache`) is skipped, unless ``force``. With ``warm`` (the default) each of
    the ``jobs`` workers starts one kernel, imports the heavy libraries once and runs study
    after study in it, reset between studies (see :mod:`cxlab.run.pool`); otherwise every
    study gets a fresh kernel, as with ``papermill``.
    """
    reports_root = reports_root or config.reports_dir()
    if jobs is None:
        jobs = usable_cores()
    elif jobs < 1:
        raise ValueError(f"run_studies(jobs={jobs!r}): expected at least 1 kernel")
    started_at = datetime.now(UTC)
    run = _Run(reports_root, config.project_root() / "build" / "failed", kernel_name, warm,
               KeyStore(reports_root))
    fingerprints: dict[Path, str] = {}  # each template and client folder hashed once
    pending = []
    for spec in studies:
        run.keys[spec] = _content_key(spec, fingerprints)
        target = spec.output_path(reports_root)
        if not force and run.keys[spec] and run.store.fresh(target, run.keys[spec]):
            run.results.append(StudyResult(spec.client, spec.quarter, spec.template, "skipped",
                                           0.0, _relative(target)))
        else:
            pending.append(spec)
    if pending:
        run.execute(pending, jobs, progress)
    run.store.save()
    results = sorted(run.results, key=lambda r: (r.client, r.quarter, r.template))
    write_build_record(reports_root, results, started_at, jobs, matrix_sha256)
    return results


def _content_key(spec: StudySpec, fingerprints: dict[Path, str]) -> str | None:
    """The study's content key, or None when its template is missing (the run will say so).

    ``fingerprints`` keeps each template's and each client folder's hash for the run, so every
    file is read once however many studies share it.
    """
    template = templates_dir() / f"{spec.template}.ipynb"
    if not template.is_file():
        return None
    folder = config.data_dir() / spec.dataset / spec.client
    for path, fingerprint in ((template, file_fingerprint), (folder, data_fingerprint)):
        if path not in fingerprints:
            fingerprints[path] = fingerprint(path)
    return study_key(spec, fingerprints[template], fingerprints[folder])


@dataclass
class _Run:
    """One run's settings and the state its worker threads share."""

    reports_root: Path
    failed_root: Path
    kernel_name: str | None
    warm: bool
    store: KeyStore
    keys: dict[StudySpec, str | None] = field(default_factory=dict)
    results: list[StudyResult] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def execute(self, studies: list[StudySpec], jobs: int, progress: bool) -> None:
        """Run the studies on ``jobs`` worker threads, each with its own kernel."""
        from tqdm import tqdm

        todo: queue.SimpleQueue[StudySpec] = queue.SimpleQueue()
        for spec in studies:
            todo.put(spec)
        bar = tqdm(total=len(studies), unit="study", desc="studies", disable=not progress,
                   file=sys.stderr)
        first = len(self.results)  # skipped studies come before
        workers = [threading.Thread(target=self._work, args=(todo, bar, first), daemon=True)
                   for _ in range(jobs)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        bar.close()

    def _work(self, todo: queue.SimpleQueue, bar, first: int) -> None:
        kernel = None
        try:
            while True:
                try:
                    spec = todo.get_nowait()
                except queue.Empty:
                    return
                result, kernel = self._run_one(spec, kernel)
                with self.lock:
                    self.results.append(result)
                    if result.status == "ok" and self.keys[spec]:
                        self.store.record(spec.output_path(self.reports_root), self.keys[spec])
                    bar.update(1)
                    bar.set_postfix(failed=sum(r.status == "failed"
                                               for r in self.results[first:]))
        finally:
            if kernel is not None:
                kernel.shutdown()

    def _run_one(self, spec: StudySpec, kernel):
        """The study's result, and the warm kernel for the next study (None: start one)."""
        try:
            if self.warm and kernel is None:
                kernel = _start_warm_kernel(self.kernel_name)
            result = run_study(spec, self.reports_root, self.failed_root, self.kernel_name,
                               "cxlab-warm" if self.warm else None)
            if kernel is not None:
                kernel.reset()
            return result, kernel
        except Exception as err:  # the kernel itself failed: say so, go on
            if kernel is not None:
                kernel.shutdown()
            return StudyResult(spec.client, spec.quarter, spec.template, "failed", 0.0, "",
                               f"kernel: {_short_error(err)}"), None


def _start_warm_kernel(kernel_name: str | None):
    """A warm kernel for the calling thread, registered with the warm engine."""
    from cxlab.run.pool import WarmEngine, WarmKernel

    kernel = WarmKernel(kernel_name or "python3", cwd=str(templates_dir()))
    kernel.start()
    WarmEngine.local.kernel = kernel
    return kernel


def notebook_differences(path_a: Path, path_b: Path) -> list[str]:
    """Where two executed notebooks differ, apart from timings and ids (empty: the same).

    Compared per cell: type, source, execution count and every output. Cell ids and the
    metadata Papermill fills with start and end times are ignored.
    """
    cells = [json.loads(Path(p).read_text())["cells"] for p in (path_a, path_b)]
    if len(cells[0]) != len(cells[1]):
        return [f"{len(cells[0])} cells against {len(cells[1])}"]
    fields = ("cell_type", "source", "execution_count", "outputs")
    return [f"cell {i}: {field} differs" for i, (a, b) in enumerate(zip(*cells, strict=True))
            for field in fields if a.get(field) != b.get(field)]


def write_build_record(reports_root: Path, results: list[StudyResult], started_at: datetime,
                       jobs: int, matrix_sha256: str) -> Path:
    """A small JSON record of the run, written atomically to ``reports/build-record.json``."""
    from cxlab import __version__

    record = {
        "cxlab_version": __version__,
        "started_at": started_at.isoformat(timespec="seconds"),
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "jobs": jobs,
        "matrix_sha256": matrix_sha256,
        "n_studies": len(results),
        "n_failed": sum(r.status == "failed" for r in results),
        "n_skipped": sum(r.status == "skipped" for r in results),
        "studies": [asdict(r) for r in results],
    }
    path = reports_root / "build-record.json"
    replace_file(path, lambda tmp: tmp.write_text(json.dumps(record, indent=2)))
    return path


def summary_text(results: list[StudyResult]) -> str:
    """A short human summary: counts, then each failure with its error and kept notebook."""
    failed = [r for r in results if r.status == "failed"]
    skipped = sum(r.status == "skipped" for r in results)
    total = sum(r.seconds for r in results)
    lines = [f"{len(results) - len(failed)} of {len(results)} studies succeeded "
             f"({total:.0f} s of kernel time)"
             + (f"; {skipped} of them unchanged since their last run and skipped." if skipped
                else ".")]
    for r in failed:
        where = f"; executed notebook kept at {r.output}" if r.output else ""
        lines.append(f"  FAILED {r.client} {r.quarter} ({r.template}): {r.error}{where}")
    return "\n".join(lines)
