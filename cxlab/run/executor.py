"""Execute studies with Papermill: in parallel, atomically, past failures, with a record.

Each study's notebook is executed in memory, written to ``reports/.partial/`` and renamed
into place only when every cell succeeded, so an interrupted or failed run never leaves a
half-written report; the previous good report stays until a new one replaces it. A failed
execution is kept under ``build/failed/`` for inspection. Each study has a time limit.

A report section that fails does not fail its study: the report shows a box in its place (see
:mod:`cxlab.report.sections`) and is published, and the run reads the failed sections from the
executed notebook (:func:`failed_sections`) into its summary and the build record.

One run at a time per reports folder: a run holds ``reports/.cxlab-run.lock`` (see
:func:`run_lock`). The build record keeps the latest outcome of every study ever run, so a
failure stays on record until that study succeeds again. A file that cannot be written (a
full disk, a read-only folder) fails the study or is reported in the run's summary, in plain
words; nothing already published is replaced by a partial file.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import socket
import sys
import threading
import time
import traceback
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from cxlab import config
from cxlab.errors import CxlabError
from cxlab.fsutil import LockBusy, exclusive_lock, plain_os_error, plain_reason, replace_file
from cxlab.run import clean_stray_kernel_dirs, usable_cores
from cxlab.run.cache import KeyStore, data_fingerprint, file_fingerprint, study_key
from cxlab.run.matrix import Shard, StudySpec

if TYPE_CHECKING:
    import nbformat

    from cxlab.run.pool import WarmKernel

REPORT_TITLES = {"quarterly_report": "Quarterly CX report"}
#: Where a failed section's record sits in its output's metadata (``metadata[KEY][FIELD]``):
#: written by :mod:`cxlab.report.sections` in the kernel, read here without loading it.
SECTION_METADATA_KEY, SECTION_METADATA_FIELD = "cxlab", "failed_section"
#: The lock a run holds on its reports folder, and the build record it writes there.
LOCK_FILE = ".cxlab-run.lock"
RECORD_FILE = "build-record.json"


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
    #: The report's sections that could not be computed (see :func:`failed_sections`); an
    #: "ok" study with some is published with a box in their place.
    failed_sections: list[dict] = field(default_factory=list)
    #: Where the study's data came from (see :func:`data_origin`).
    data: dict = field(default_factory=dict)


class RunResults(list):
    """The results of a run's studies, with what the run itself has to say, in plain words.

    ``problems``: what it could not save (the report keys, the build record); the run then
    counts as failed. ``notes``: what it could not read and started afresh instead.
    """

    def __init__(self, results=(), problems=(), notes=()):
        super().__init__(results)
        self.problems: list[str] = list(problems)
        self.notes: list[str] = list(notes)


class RunLocked(CxlabError, RuntimeError):
    """Another run holds the reports folder's lock; the message names it."""


def _describe_holder(holder: dict) -> str:
    """'PID 1234 on host, started 2026-05-01 10:00:03 UTC (3 min ago)' from a lock file."""
    if not holder.get("pid"):
        return "a process that did not say which"
    text = f"PID {holder['pid']}"
    if holder.get("host") and holder["host"] != socket.gethostname():
        text += f" on {holder['host']}"
    try:
        started = datetime.fromisoformat(holder["started_at"])
    except (KeyError, TypeError, ValueError):
        return text
    minutes = max(0, int((datetime.now(UTC) - started).total_seconds() // 60))
    ago = ("under a minute ago" if minutes < 1 else f"{minutes} min ago" if minutes < 120
           else f"{minutes // 60} h ago")
    return f"{text}, started {started.strftime('%Y-%m-%d %H:%M:%S %Z')} ({ago})"


@contextmanager
def run_lock(reports_root: Path, wait: bool = False, shard: Shard | None = None
             ) -> Iterator[None]:
    """Hold the run lock of ``reports_root`` (the data home's reports folder) for the block.

    A shard of a run (:class:`~cxlab.run.matrix.Shard`) holds a lock of its own, so the
    shards of one run may write to one reports folder at once (their studies differ).

    The lock file records this process's PID and start time. The operating system releases
    the lock when the process ends, however it ends. The thread holding it may take it again.

    Raises:
        RunLocked: another run holds it and ``wait`` is false (the message names that run).
        OSError: the lock file cannot be created (for example, a read-only folder).
    """
    path = reports_root / (LOCK_FILE if shard is None else f"{LOCK_FILE}.{shard.tag}")
    about = {"pid": os.getpid(), "host": socket.gethostname(),
             "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
             "command": " ".join(sys.argv)}

    def waiting(holder: dict) -> None:
        print(f"cxlab run: waiting for the run holding {_relative(path)} to end "
              f"({_describe_holder(holder)})", file=sys.stderr, flush=True)

    with ExitStack() as stack:
        try:
            stack.enter_context(exclusive_lock(path, about, wait, waiting))
        except LockBusy as busy:
            raise RunLocked(
                f"another cxlab run is writing to {_relative(reports_root)}/: "
                f"{_describe_holder(busy.holder)}, holds {_relative(path)}. Let it finish, or "
                "run again with --wait to start when it has ended.") from None
        yield


def templates_dir() -> Path:
    """Where the notebook templates live (``notebooks/`` beside the package)."""
    return config.project_root() / "notebooks"


def prepare_notebook(spec: StudySpec, template_path: Path, key: str | None = None
                     ) -> nbformat.NotebookNode:
    """The template with its front matter set for this study and the study in its metadata.

    ``key``, the study's content key, goes into ``metadata.cxlab.key``: a report carries the
    key of the inputs it was made from, which the next run checks before skipping it. Where
    its data came from goes into ``metadata.cxlab.data`` (see :func:`data_origin`), for the
    site to say.
    """
    import nbformat

    from cxlab.markup import escape

    nb = nbformat.read(template_path, as_version=4)
    front = {  # Quarto reads titles as Markdown: the client's name is data, so it is escaped
        "title": f"{escape(spec.client_name)}: {spec.quarter}",
        "subtitle": REPORT_TITLES.get(spec.template, spec.template.replace("_", " ")),
    }
    header = "---\n" + yaml.safe_dump(front, allow_unicode=True, sort_keys=False) + "---"
    if nb.cells and nb.cells[0].cell_type == "raw" and nb.cells[0].source.startswith("---"):
        nb.cells[0].source = header
    else:
        nb.cells.insert(0, nbformat.v4.new_raw_cell(header))
    nb.metadata["cxlab"] = {**spec.parameters, "template": spec.template,
                            "data": data_origin(spec.dataset, spec.client)}
    if key:
        nb.metadata["cxlab"]["key"] = key
    return nb


#: The generator that marks a dataset as cxlab's fictional sample (in its manifest.json).
SAMPLE_GENERATOR = "cxlab.data.sample"


def data_origin(dataset: str, client: str) -> dict:
    """Where a study's data came from, read from its dataset's ``manifest.json``.

    ``{"dataset": <name>, "synthetic": <bool or None>}``: ``synthetic`` is true when the
    sample generator made the dataset and the client is one of its fictional clients (with
    the generator's ``seed`` and ``scale``), false for data imported from a client's exports,
    and None when the manifest cannot be read (nothing is claimed then).
    """
    origin: dict = {"dataset": dataset, "synthetic": None}
    try:
        manifest = json.loads((config.data_dir() / dataset / "manifest.json")
                              .read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return origin
    if not isinstance(manifest, dict):
        return origin
    fictional = manifest.get("client_names") or {}
    if manifest.get("generator") == SAMPLE_GENERATOR and client in fictional:
        return {**origin, "synthetic": True, "seed": manifest.get("seed"),
                "scale": manifest.get("scale")}
    return {**origin, "synthetic": False}


def failed_sections(nb: nbformat.NotebookNode) -> list[dict]:
    """The report sections that could not be computed, from an executed notebook.

    Read from the metadata of the boxes the failing sections showed (written by
    :mod:`cxlab.report.sections`): each is a dict with ``call`` (the section function and its
    arguments), ``kind`` ("user error" or "bug"), ``error`` (exception type and message),
    ``where`` (for a bug, the line of cxlab's code), and ``section``, the heading of the
    report part above it, and ``cell``, its index among the notebook's cells.
    """
    found, heading = [], ""
    for index, cell in enumerate(nb.get("cells", []) if isinstance(nb, dict) else []):
        source = cell.get("source", "")
        if cell.get("cell_type") == "markdown":
            for line in ("".join(source) if isinstance(source, list) else source).splitlines():
                if line.startswith("#"):
                    heading = line.lstrip("#").strip()
            continue
        for output in cell.get("outputs") or []:
            record = (output.get("metadata") or {}).get(SECTION_METADATA_KEY)
            failure = record.get(SECTION_METADATA_FIELD) if isinstance(record, dict) else None
            if isinstance(failure, dict):
                found.append({"section": heading, **failure, "cell": index})
    return found


def describe_section_failure(failure: dict) -> str:
    """'Trends, trend_chart('nps'): a bug, KeyError: 'x' (at cxlab/...:12 in f)' in a line."""
    where = f" (at {failure['where']})" if failure.get("where") else ""
    section = f"{failure['section']}, " if failure.get("section") else ""
    return (f"{section}{failure.get('call', '?')}: {failure.get('kind', 'failure')}, "
            f"{failure.get('error', '')}{where}")


def time_limit_message(seconds: float) -> str:
    """What a study stopped at its time limit reports."""
    minutes = seconds / 60
    return (f"stopped after {minutes:g} minute{'' if minutes == 1 else 's'} (the study's time "
            "limit; raise timeout_minutes in studies.yml)")


def run_study(spec: StudySpec, reports_root: Path, failed_root: Path,
              kernel_name: str | None = None, engine: str | None = None,
              key: str | None = None) -> StudyResult:
    """Execute one study; never raises for a failing notebook (the result says so).

    ``engine="cxlab-warm"`` runs it in the calling thread's warm kernel (see
    :mod:`cxlab.run.pool`); the default starts a fresh kernel, as ``papermill`` does. The
    study is stopped after ``spec.timeout_seconds``. ``key`` is recorded in the report.
    A report that cannot be written fails the study with the reason in plain words, and the
    previous report stays.
    """
    import papermill as pm

    from cxlab.run.pool import Execution, TimeLimit

    started = time.perf_counter()

    def result(status: str, output: str = "", error: str = "") -> StudyResult:
        return StudyResult(spec.client, spec.quarter, spec.template, status,
                           time.perf_counter() - started, output, error,
                           failed_sections(executed) if executed is not None else [],
                           data_origin(spec.dataset, spec.client))

    executed = None
    template = templates_dir() / f"{spec.template}.ipynb"
    if not template.is_file():
        return result("failed", error=f"no template {_relative(template)}: expected the "
                                      f"notebook {spec.template}.ipynb in {_relative(templates_dir())}")
    target = spec.output_path(reports_root)
    execution = Execution()
    limit = TimeLimit(spec.timeout_seconds, execution)
    with export_root(reports_root) as root:
        exports = root / spec.client / spec.quarter
        shutil.rmtree(exports, ignore_errors=True)  # a killed run's leftovers
        try:
            try:
                nb = prepare_notebook(spec, template, key)
                with execution.watched(), limit:
                    executed = pm.execute_notebook(
                        nb, None, parameters=spec.parameters, kernel_name=kernel_name,
                        progress_bar=False, cwd=str(templates_dir()), language="python",
                        engine_name=engine or "cxlab-cold",
                    )
            except Exception as err:  # a failing study must not stop the others
                executed = execution.notebook
                message = (time_limit_message(spec.timeout_seconds or 0.0) if limit.fired
                           else _short_error(err))
            else:
                try:
                    _write_notebook(executed, target, reports_root / ".partial", template)
                    _publish_exports(spec, exports, target)
                    return result("ok", _relative(target))
                except OSError as err:
                    message = (_cannot_write("the report", target, err)
                               + "; the previous report, if any, is kept")
            kept = ""
            if executed is not None:
                kept_path = failed_root / f"{spec.client}-{spec.quarter}-{spec.template}.ipynb"
                try:
                    _write_notebook(executed, kept_path, None, template)
                    kept = _relative(kept_path)
                except OSError as err:
                    message += f" (and {_cannot_write('the executed notebook', kept_path, err)})"
            return result("failed", kept, message)
        finally:
            shutil.rmtree(exports, ignore_errors=True)


def _write_notebook(nb: nbformat.NotebookNode, path: Path, partial: Path | None, template: Path) -> None:
    """Write an executed notebook atomically, through ``partial`` (a folder) when given.

    Papermill would record the notebook it was given (the whole template) as its input
    path; the record names the template file and the output instead.
    """
    import nbformat

    papermill_meta = nb.metadata.get("papermill")
    if isinstance(papermill_meta, dict):
        papermill_meta["input_path"] = _relative(template)
        papermill_meta["output_path"] = _relative(path)
    text = nbformat.writes(nb)
    # Through the reports folder's own hidden folder when given: the same file system as
    # the report, so the rename is atomic, and outside the site's globs.
    tmp = (partial / f"{path.parent.parent.name}-{path.parent.name}-{path.name}"
           if partial is not None else None)
    replace_file(path, lambda t: t.write_text(text, encoding="utf-8"), tmp)


def _relative(path: Path) -> str:
    return os.path.relpath(path, config.project_root())


def _cannot_write(what: str, path: Path, err: OSError) -> str:
    """'<what> <path> could not be written: <why>', naming another file only if it is to blame."""
    culprit = Path(os.fsdecode(err.filename)) if err.filename else None
    if culprit is None or culprit == path or culprit.name.endswith(".partial") \
            or ".partial" in culprit.parts:
        why = plain_reason(err)
    else:
        why = plain_os_error(err, config.project_root())
    return f"{what} {_relative(path)} could not be written: {why}"


def _short_error(err: Exception) -> str:
    """The error in a line: the notebook's own exception, or a file error in plain words."""
    ename, evalue = getattr(err, "ename", None), getattr(err, "evalue", None)
    if ename:
        return f"{ename}: {evalue}"
    if isinstance(err, OSError):
        return plain_os_error(err, config.project_root())
    return "".join(traceback.format_exception_only(err)).strip()


def run_studies(
    studies: list[StudySpec], jobs: int | None = None, reports_root: Path | None = None,
    progress: bool = True, kernel_name: str | None = None, matrix_sha256: str = "",
    warm: bool = True, force: bool = False, wait: bool = False, shard: Shard | None = None,
) -> RunResults:
    """Execute studies, ``jobs`` at a time (default: one per core), and write the build record.

    A study whose report exists, checks out and has unchanged inputs (same content key, see
    :mod:`cxlab.run.cache`) is skipped, unless ``force`` or its last run failed. With
    ``warm`` (the default) each of the ``jobs`` workers starts one kernel, imports the heavy
    libraries once and runs study after study in it, reset between studies (see
    :mod:`cxlab.run.pool`); otherwise every study gets a fresh kernel, as with ``papermill``.

    The run holds the reports folder's lock throughout (:func:`run_lock`; with ``wait`` it
    waits for another run to end instead of raising :class:`RunLocked`). It first removes
    the kernel folders that killed runs left behind. What the run could not save is listed
    in the result's ``problems``.

    ``shard`` runs those of ``studies`` that are that shard's (:meth:`Shard.select`), under
    the shard's own lock, writing the shard's own build record (:func:`merge_build_records`
    merges them).
    """
    reports_root = reports_root or config.reports_dir()
    if shard is not None:
        studies = shard.select(studies)
    if jobs is None:
        jobs = usable_cores()
    elif jobs < 1:
        raise ValueError(f"run_studies(jobs={jobs!r}): expected at least 1 kernel")
    with run_lock(reports_root, wait=wait, shard=shard), export_root(reports_root, shard):
        return _run_locked(studies, jobs, reports_root, progress, kernel_name, matrix_sha256,
                           warm, force, shard)


@contextmanager
def export_root(reports_root: Path, shard: Shard | None = None) -> Iterator[Path]:
    """Where the kernels of this run write each report's exports (workbook, deck) first.

    Given to the kernels in their environment (:data:`cxlab.config.EXPORT_ROOT_ENV`), so
    the notebook's parameters, and so the report, are the same whoever runs it. A report's
    exports are moved beside it once its notebook is written (:func:`_publish_exports`), so
    a failed run leaves the previous report's exports in place. Nested calls share one root.
    """
    name = config.EXPORT_ROOT_ENV
    if os.environ.get(name):
        yield Path(os.environ[name])
        return
    root = reports_root / ".partial" / (shard.tag if shard else "") / "exports"
    os.environ[name] = str(root)
    try:
        yield root
    finally:
        os.environ.pop(name, None)
        shutil.rmtree(root, ignore_errors=True)


def _publish_exports(spec: StudySpec, exports: Path, target: Path) -> None:
    """Move the exports this study's kernel wrote beside its report (replacing older ones)."""
    if not exports.is_dir():
        return
    for made in sorted(exports.glob(f"{spec.template}.*")):
        os.replace(made, target.parent / made.name)


def _run_locked(studies: list[StudySpec], jobs: int, reports_root: Path, progress: bool,
                kernel_name: str | None, matrix_sha256: str, warm: bool, force: bool,
                shard: Shard | None = None) -> RunResults:
    started_at = datetime.now(UTC)
    clean_stray_kernel_dirs()
    run = _Run(reports_root, config.project_root() / "build" / "failed", kernel_name, warm,
               KeyStore(reports_root))
    notes = [run.store.problem] if run.store.problem else []
    problems = []
    previous, record_problem = read_build_record(reports_root)
    before = {_study_id(s): s for s in previous.get("studies", []) if isinstance(s, dict)}
    failed_before = {k for k, s in before.items() if s.get("status") == "failed"}
    fingerprints: dict[Path, str] = {}  # each template and client folder hashed once
    pending = []
    for spec in studies:
        run.keys[spec] = _content_key(spec, fingerprints)
        target = spec.output_path(reports_root)
        key = run.keys[spec]
        if (not force and key
                and (spec.client, spec.quarter, spec.template) not in failed_before
                and run.store.fresh(target, key)):
            # The report stays as it was, with the sections that failed in it then.
            last = before.get((spec.client, spec.quarter, spec.template), {})
            run.results.append(StudyResult(
                spec.client, spec.quarter, spec.template, "skipped", 0.0, _relative(target),
                failed_sections=_list_of_dicts(last.get("failed_sections")),
                data=data if isinstance(data := last.get("data"), dict) else {}))
        else:
            pending.append(spec)
    if pending:
        run.execute(pending, jobs, progress)
    results = sorted(run.results, key=lambda r: (r.client, r.quarter, r.template))
    try:
        run.store.save()
    except OSError as err:
        problems.append(_cannot_write("the report keys", run.store.path, err)
                        + "; the studies that ran will run again next time")
    if record_problem:
        notes.append(record_problem)
    try:
        write_build_record(reports_root, results, started_at, jobs, matrix_sha256, shard)
    except OSError as err:
        problems.append(_cannot_write("the build record", record_path(reports_root, shard), err)
                        + "; the previous record is kept")
    return RunResults(results, problems, notes)


def _list_of_dicts(value: object) -> list[dict]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _study_id(entry: dict) -> tuple:
    return entry.get("client"), entry.get("quarter"), entry.get("template")


def _content_key(spec: StudySpec, fingerprints: dict[Path, str]) -> str | None:
    """The study's content key, or None when its inputs cannot be read (the study runs).

    ``fingerprints`` keeps each template's and each client folder's hash for the run, so every
    file is read once however many studies share it. A missing template gives None; running
    the study then says so.
    """
    template = templates_dir() / f"{spec.template}.ipynb"
    if not template.is_file():
        return None
    folder = config.data_dir() / spec.dataset / spec.client
    try:
        for path, fingerprint in ((template, file_fingerprint), (folder, data_fingerprint)):
            if path not in fingerprints:
                fingerprints[path] = fingerprint(path)
    except OSError:
        return None
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

    def _work(self, todo: queue.SimpleQueue, bar: Any, first: int) -> None:
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
                    output = spec.output_path(self.reports_root)
                    key = self.keys[spec]
                    if result.status == "ok" and key:
                        self.store.record(output, key)
                    elif result.status == "failed":
                        self.store.forget(output)
                    bar.update(1)
                    bar.set_postfix(failed=sum(r.status == "failed"
                                               for r in self.results[first:]))
        finally:
            if kernel is not None:
                kernel.shutdown()

    def _run_one(self, spec: StudySpec, kernel: WarmKernel | None
                 ) -> tuple[StudyResult, WarmKernel | None]:
        """The study's result, and the warm kernel for the next study (None: start one).

        A kernel that fails to start fails the study; one that fails to reset after it is
        dropped (the next study starts a new one) without changing the study's result.
        """
        try:
            if self.warm and kernel is None:
                kernel = _start_warm_kernel(self.kernel_name)
            result = run_study(spec, self.reports_root, self.failed_root, self.kernel_name,
                               "cxlab-warm" if self.warm else None, self.keys.get(spec))
        except Exception as err:  # the kernel itself failed: say so, go on
            if kernel is not None:
                kernel.shutdown()
            return StudyResult(spec.client, spec.quarter, spec.template, "failed", 0.0, "",
                               f"kernel: {_short_error(err)}"), None
        if kernel is not None:
            try:
                kernel.reset()
            except Exception:
                kernel.shutdown()
                kernel = None
        return result, kernel


def _start_warm_kernel(kernel_name: str | None) -> WarmKernel:
    """A warm kernel for the calling thread, registered with the warm engine.

    A kernel that fails to warm up is shut down (its process and socket folder removed)
    before the error is raised.
    """
    from cxlab.run.pool import WarmEngine, WarmKernel

    kernel = WarmKernel(kernel_name or "python3", cwd=str(templates_dir()))
    try:
        kernel.start()
    except BaseException:
        kernel.shutdown()
        raise
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


def record_path(reports_root: Path, shard: Shard | None = None) -> Path:
    """Where a run (or one shard of it) writes its build record."""
    name = RECORD_FILE if shard is None else RECORD_FILE.replace(".json", f".{shard.tag}.json")
    return reports_root / name


def _shard_records(reports_root: Path) -> list[Path]:
    return sorted(reports_root.glob(RECORD_FILE.replace(".json", ".shard-*-of-*.json")))


def read_build_record(reports_root: Path) -> tuple[dict, str]:
    """The build record in ``reports_root`` ({} if none) and why it could not be read ("").

    Records of shards not merged yet (:func:`merge_build_records`) are read with it: each
    study's latest outcome, by when it was recorded, whichever record holds it.
    """
    record, problem = _read_record(reports_root / RECORD_FILE)
    for path in _shard_records(reports_root):
        other, _ = _read_record(path)  # a shard's unreadable record: its studies run again
        if other:
            record = _newest(record, other)
    return record, problem


def _newest(a: dict, b: dict) -> dict:
    """Two records as one: each study's latest outcome; the later record's run details."""
    later, earlier = (a, b) if str(a.get("finished_at", "")) >= str(b.get("finished_at", "")) \
        else (b, a)
    studies: dict[tuple, dict] = {}
    for s in [*_list_of_dicts(earlier.get("studies")), *_list_of_dicts(later.get("studies"))]:
        key = _study_id(s)
        if key not in studies or str(s.get("run_at", "")) >= str(studies[key].get("run_at", "")):
            studies[key] = s
    return {**later, "studies": [studies[k] for k in sorted(studies, key=str)]}


def _read_record(path: Path) -> tuple[dict, str]:
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}, ""
    except OSError as err:
        reason = plain_os_error(err, config.project_root())
    except ValueError:
        reason = "not valid JSON"
    else:
        if isinstance(record, dict) and isinstance(record.get("studies", []), list):
            return record, ""
        reason = "not a build record"
    return {}, (f"{_relative(path)} could not be read ({reason}); a new record was started, "
                "so failures of earlier runs are no longer listed in it")


def write_build_record(reports_root: Path, results: list[StudyResult], started_at: datetime,
                       jobs: int, matrix_sha256: str, shard: Shard | None = None) -> Path:
    """Merge this run into ``reports/build-record.json`` (JSON, written atomically).

    The record keeps the latest outcome of every study ever run, by client, quarter and
    template: ``studies`` lists them (each with ``run_at``, when that outcome was recorded),
    ``n_studies``, ``n_failed`` and ``n_skipped`` count them, and ``failed`` says for each
    study whose latest run failed "client quarter template: error". A failure thus stays
    until that study succeeds, however many runs of other studies come between. Each study
    lists its report's ``failed_sections`` (see :func:`failed_sections`) and the origin of
    its ``data`` (:func:`data_origin`); ``n_failed_sections`` counts the sections of
    published reports that could not be computed, and ``failed_sections`` says for each
    "client quarter template: section, call: kind, error (where)".
    ``last_run`` counts this run's studies alone; the version, times, jobs and matrix hash
    at the top are this run's. A shard of a run writes the same, in its own file
    (:func:`record_path`).

    Raises:
        OSError: the record cannot be written (the previous one is then left as it was).
    """
    from cxlab import __version__

    finished_at = datetime.now(UTC).isoformat(timespec="seconds")
    previous, _ = read_build_record(reports_root)
    latest = {_study_id(s): s for s in previous.get("studies", [])
              if isinstance(s, dict) and all(isinstance(v, str) for v in _study_id(s))}
    for r in results:
        latest[(r.client, r.quarter, r.template)] = {**asdict(r), "run_at": finished_at}
    record = _with_totals([latest[k] for k in sorted(latest)], {
        "cxlab_version": __version__,
        "started_at": started_at.isoformat(timespec="seconds"),
        "finished_at": finished_at,
        "jobs": jobs,
        "matrix_sha256": matrix_sha256,
        **({"shard": shard.tag} if shard else {}),
    }, {"n_studies": len(results),
        "n_ok": sum(r.status == "ok" for r in results),
        "n_failed": sum(r.status == "failed" for r in results),
        "n_skipped": sum(r.status == "skipped" for r in results),
        "n_with_failed_sections": sum(r.status != "failed" and bool(r.failed_sections)
                                      for r in results)})
    path = record_path(reports_root, shard)
    replace_file(path, lambda tmp: tmp.write_text(json.dumps(record, indent=2), encoding="utf-8"))
    return path


def _with_totals(studies: list[dict], head: dict, last_run: dict) -> dict:
    """A build record: ``head`` (the run's details), the totals of ``studies``, them."""
    failed = [s for s in studies if s.get("status") == "failed"]
    sections = [f"{s['client']} {s['quarter']} {s['template']}: {describe_section_failure(f)}"
                for s in studies if s.get("status") != "failed"
                for f in _list_of_dicts(s.get("failed_sections"))]
    return {
        **head,
        "n_studies": len(studies),
        "n_failed": len(failed),
        "n_skipped": sum(s.get("status") == "skipped" for s in studies),
        "failed": [f"{s['client']} {s['quarter']} {s['template']}: {s.get('error', '')}"
                   for s in failed],
        "n_failed_sections": len(sections),
        "failed_sections": sections,
        "last_run": last_run,
        "studies": studies,
    }


def merge_build_records(reports_root: Path) -> Path | None:
    """Merge the shards' build records into ``build-record.json``; None if there are none.

    Each study keeps its latest outcome, whichever record holds it; ``last_run`` adds up the
    merged shards' last runs. A shard's record is removed once merged, unless the shard
    wrote it again meanwhile (then it is merged next time).
    """
    shards = {path: path.stat().st_mtime_ns for path in _shard_records(reports_root)}
    if not shards:
        return None
    record, _ = read_build_record(reports_root)
    runs = [_read_record(path)[0].get("last_run") for path in shards]
    last_run: dict[str, int] = {}
    for run in runs:
        for key, value in (run.items() if isinstance(run, dict) else ()):
            if isinstance(value, int):
                last_run[key] = last_run.get(key, 0) + value
    head = {k: v for k, v in record.items()
            if k in ("cxlab_version", "started_at", "finished_at", "jobs", "matrix_sha256")}
    studies = sorted(_list_of_dicts(record.get("studies")), key=lambda s: tuple(
        str(v) for v in _study_id(s)))
    merged = _with_totals(studies, {**head, "shards": len(shards)}, last_run)
    path = reports_root / RECORD_FILE
    replace_file(path, lambda tmp: tmp.write_text(json.dumps(merged, indent=2), encoding="utf-8"))
    for shard, mtime in shards.items():
        if shard.stat().st_mtime_ns == mtime:
            shard.unlink()
    return path


#: Exit codes of ``cxlab run`` (2 and 3, a user error and a bug, are :mod:`cxlab.errors`').
EXIT_COMPLETE, EXIT_STUDIES_FAILED, EXIT_SECTIONS_FAILED = 0, 1, 4


def exit_code(results: list[StudyResult]) -> int:
    """The exit code of a run: what kind of run it was.

    0: every study ran (or was unchanged) and every section of its report was computed;
    1: a study failed, or the run could not save its keys or record; 4: every report was
    published, but some sections show "could not be computed" instead of their results.
    """
    if getattr(results, "problems", ()) or any(r.status == "failed" for r in results):
        return EXIT_STUDIES_FAILED
    if any(r.failed_sections for r in results):
        return EXIT_SECTIONS_FAILED
    return EXIT_COMPLETE


def summary_text(results: list[StudyResult]) -> str:
    """A short human summary: counts, then each failure with its error and kept notebook.

    Then each report section that could not be computed, by study (``SECTION FAILED``), and
    what the run could not save or read (``problems`` and ``notes`` of a
    :class:`RunResults`).
    """
    failed = [r for r in results if r.status == "failed"]
    skipped = sum(r.status == "skipped" for r in results)
    partial = [r for r in results if r.status != "failed" and r.failed_sections]
    n_sections = sum(len(r.failed_sections) for r in partial)
    total = sum(r.seconds for r in results)
    lines = [f"{len(results) - len(failed)} of {len(results)} studies succeeded "
             f"({total:.0f} s of kernel time)"
             + (f"; {skipped} of them unchanged since their last run and skipped." if skipped
                else ".")]
    if partial:
        lines.append(f"{len(partial)} of these reports {'has' if len(partial) == 1 else 'have'} "
                     f"{n_sections} section{'' if n_sections == 1 else 's'} that could not be "
                     "computed (each shows a box saying so; the rest is published):")
    for r in partial:
        again = " (report unchanged since its last run)" if r.status == "skipped" else ""
        for failure in r.failed_sections:
            lines.append(f"  SECTION FAILED {r.client} {r.quarter} ({r.template}){again}: "
                         f"{describe_section_failure(failure)}")
    for r in failed:
        where = f"; executed notebook kept at {r.output}" if r.output else ""
        lines.append(f"  FAILED {r.client} {r.quarter} ({r.template}): {r.error}{where}")
    for problem in getattr(results, "problems", ()):
        lines.append(f"  NOT SAVED: {problem}")
    for note in getattr(results, "notes", ()):
        lines.append(f"  NOTE: {note}")
    return "\n".join(lines)
