"""The runner's safety without a kernel: skip keys and report checks, the run lock, the key
store and build record merges, stray kernel folders, file errors, time limits."""

import errno
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest
from probe_notebooks import write_template

from cxlab.run.matrix import MatrixError, StudySpec, load_matrix

ROOT = Path(__file__).resolve().parent.parent


# --- helpers -------------------------------------------------------------------------------

@pytest.fixture
def home(tmp_path, monkeypatch):
    """A data home with one template ('probe') and a dataset 'd' with clients acme and bolt."""
    monkeypatch.setenv("CXLAB_HOME", str(tmp_path))
    (tmp_path / "notebooks").mkdir()
    write_template(tmp_path / "notebooks" / "probe.ipynb")
    for client in ("acme", "bolt"):
        (tmp_path / "data" / "d" / client).mkdir(parents=True)
        (tmp_path / "data" / "d" / client / "customer_responses.parquet").write_bytes(b"v1")
    (tmp_path / "studies.yml").write_text(
        "dataset: d\ntemplate: probe\nquarters: [2026Q3]\nclients:\n  acme: {}\n  bolt: {}\n")
    return tmp_path


@pytest.fixture
def fake_papermill(monkeypatch):
    """Papermill without a kernel: every code cell 'prints' the client, or the notebook of a
    client in ``fail`` ends with that client's own error, as papermill reports it."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    from cxlab.run.pool import current_execution

    calls = SimpleNamespace(fail=set(), studies=[], broken_sections=set())

    def execute_notebook(nb, output_path, parameters=None, **kwargs):
        assert output_path is None  # the runner writes the notebook itself
        nb = nbformat.from_dict(json.loads(json.dumps(nb)))
        nb.metadata["papermill"] = {"parameters": parameters, "input_path": "x"}
        current_execution().manager = SimpleNamespace(nb=nb)
        calls.studies.append(parameters["client"])
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs = [nbformat.v4.new_output("stream", text=parameters["client"])]
        if parameters["client"] in calls.broken_sections:  # the box a failing section shows
            data, meta = _failed_box()
            nb.cells.append(nbformat.v4.new_markdown_cell("## Recognition"))
            nb.cells.append(nbformat.v4.new_code_cell("report.recognition_summary(study)",
                                                      outputs=[nbformat.v4.new_output(
                                                          "display_data", data=data,
                                                          metadata=meta)]))
        if parameters["client"] in calls.fail:
            raise PapermillExecutionError(1, 1, "", "ValueError",
                                          f"no data for {parameters['client']}", [])
        return nb

    monkeypatch.setattr(papermill, "execute_notebook", execute_notebook)
    return calls


def _failed_box():
    """What ``report.recognition_summary`` shows and records when it hits a bug."""
    from cxlab.report.sections import section

    def recognition_summary(study):
        raise KeyError("response_id")

    return section(recognition_summary)(None)._repr_mimebundle_()


def _specs(*clients, quarter="2026Q3"):
    return [StudySpec(c, quarter, "probe", "d", c.title()) for c in clients]


def _run(home, studies, **kwargs):
    from cxlab.run.executor import run_studies

    return run_studies(studies, jobs=1, reports_root=home / "reports", progress=False,
                       warm=False, **kwargs)


def _statuses(results):
    return {r.client: r.status for r in results}


# --- the report check before skipping ------------------------------------------------------

def _notebook_text(key=None):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("1")]
    if key:
        nb.metadata["cxlab"] = {"client": "acme", "key": key}
    return nbformat.writes(nb)


def test_report_key_is_read_only_from_a_whole_cxlab_notebook(tmp_path):
    from cxlab.run.cache import report_key

    good = tmp_path / "good.ipynb"
    good.write_text(_notebook_text("k1"))
    assert report_key(good) == "k1"
    cases = {
        "truncated": _notebook_text("k1")[:-40],
        "foreign": _notebook_text(),
        "not a notebook": json.dumps({"metadata": {"cxlab": {"key": "k1"}}}),
        "a list": "[1, 2]",
        "empty": "",
        "binary": "\x00\x01garbage",
    }
    for name, text in cases.items():
        path = tmp_path / f"{name}.ipynb"
        path.write_text(text)
        assert report_key(path) is None, name
    assert report_key(tmp_path / "missing.ipynb") is None


def test_a_report_is_fresh_only_if_the_store_and_the_report_both_carry_the_key(tmp_path):
    from cxlab.run.cache import KeyStore

    report = tmp_path / "acme" / "2026Q3" / "probe.ipynb"
    report.parent.mkdir(parents=True)
    report.write_text(_notebook_text("k1"))
    store = KeyStore(tmp_path)
    assert not store.fresh(report, "k1")  # the store knows nothing yet
    store.record(report, "k1")
    assert store.fresh(report, "k1")
    assert not store.fresh(report, "k2")  # inputs changed
    report.write_text(_notebook_text("k1")[:100])
    assert not store.fresh(report, "k1")  # truncated
    report.write_text(_notebook_text())
    assert not store.fresh(report, "k1")  # foreign


def test_the_key_goes_into_the_notebook_metadata(home):
    from cxlab.run.executor import prepare_notebook

    spec = _specs("acme")[0]
    nb = prepare_notebook(spec, home / "notebooks" / "probe.ipynb", key="abc")
    assert nb.metadata["cxlab"]["key"] == "abc" and nb.metadata["cxlab"]["client"] == "acme"
    assert "key" not in prepare_notebook(spec, home / "notebooks" / "probe.ipynb").metadata.cxlab


def test_the_title_escapes_the_client_name_for_quarto(home):
    import dataclasses

    from cxlab.run.executor import prepare_notebook

    spec = dataclasses.replace(_specs("acme")[0], client_name="A <img src=x onerror=alert(1)>")
    header = prepare_notebook(spec, home / "notebooks" / "probe.ipynb").cells[0].source
    assert "<img" not in header and "&#60;img src=x onerror=alert(1)&#62;" in header


def test_a_new_pseudonym_key_changes_every_study_key(home, monkeypatch):
    from cxlab.run.cache import study_key

    spec = _specs("acme")[0]
    before = study_key(spec, "t", "d")
    assert study_key(spec, "t", "d") == before
    monkeypatch.setenv("CXLAB_PSEUDONYM_KEY", "another-key-of-enough-length")
    assert study_key(spec, "t", "d") != before


def test_damaged_truncated_or_foreign_reports_run_again(home, fake_papermill):
    studies = _specs("acme", "bolt")
    assert set(_statuses(_run(home, studies)).values()) == {"ok"}
    report = studies[0].output_path(home / "reports")
    nb = json.loads(report.read_text())
    assert len(nb["metadata"]["cxlab"]["key"]) == 64
    assert nb["metadata"]["papermill"]["input_path"] == "notebooks/probe.ipynb"
    assert set(_statuses(_run(home, studies)).values()) == {"skipped"}
    for damage in (lambda t: t[: len(t) // 2], lambda t: _notebook_text(),
                   lambda t: t.replace('"nbformat": 4', '"nbformat": 3')):
        report.write_text(damage(report.read_text()))
        assert _statuses(_run(home, studies)) == {"acme": "ok", "bolt": "skipped"}
        assert json.loads(report.read_text())["cells"][-1]["outputs"][0]["text"] == ["acme"]


def test_a_failed_study_runs_again_even_if_its_old_report_matches(home, fake_papermill):
    studies = _specs("acme", "bolt")
    _run(home, studies)
    fake_papermill.fail.add("acme")
    assert _statuses(_run(home, studies, force=True))["acme"] == "failed"
    assert studies[0].output_path(home / "reports").is_file()  # the published one stays
    fake_papermill.studies.clear()
    assert _statuses(_run(home, studies)) == {"acme": "failed", "bolt": "skipped"}
    assert fake_papermill.studies == ["acme"]
    fake_papermill.fail.clear()
    assert _statuses(_run(home, studies)) == {"acme": "ok", "bolt": "skipped"}
    assert _statuses(_run(home, studies)) == {"acme": "skipped", "bolt": "skipped"}


# --- the run lock --------------------------------------------------------------------------

HOLDER = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from cxlab.run.executor import run_lock
    with run_lock(Path(sys.argv[1])):
        print("locked", flush=True)
        time.sleep(float(sys.argv[2]))
""")


def _hold_lock(reports: Path, seconds: float) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(reports), str(seconds)],
                            stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_a_second_run_stops_at_once_naming_the_run_holding_the_lock(home, capsys):
    from cxlab.cli import main
    from cxlab.run.executor import RunLocked, run_lock

    holder = _hold_lock(home / "reports", 60)
    try:
        started = time.perf_counter()
        with pytest.raises(RunLocked, match=rf"PID {holder.pid}, started 20\d\d-") as err:
            with run_lock(home / "reports"):
                pass
        assert "--wait" in str(err.value) and "reports/.cxlab-run.lock" in str(err.value)
        assert main(["run", "--matrix", str(home / "studies.yml"), "--no-progress"]) == 2
        assert time.perf_counter() - started < 5
        message = capsys.readouterr().err
        assert f"PID {holder.pid}" in message and "another cxlab run" in message
        assert "Traceback" not in message
        assert not (home / "reports" / "build-record.json").exists()
    finally:
        holder.kill()
        holder.wait()


def test_the_lock_is_released_when_the_run_holding_it_is_killed(home):
    from cxlab.run.executor import run_lock

    holder = _hold_lock(home / "reports", 60)
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    with run_lock(home / "reports"):  # no stale lock to clear by hand
        with run_lock(home / "reports"):  # and the holding thread may take it again
            pass


def test_wait_starts_when_the_other_run_ends(home, capsys):
    from cxlab.run.executor import run_lock

    holder = _hold_lock(home / "reports", 1.5)
    started = time.perf_counter()
    try:
        with run_lock(home / "reports", wait=True):
            waited = time.perf_counter() - started
            assert holder.poll() is not None or waited > 0.5
            info = json.loads((home / "reports" / ".cxlab-run.lock").read_text())
            assert info["pid"] == os.getpid() and info["started_at"].startswith("20")
    finally:
        holder.kill()
        holder.wait()
    assert waited > 0.5
    assert f"waiting for the run holding reports/.cxlab-run.lock to end (PID {holder.pid}" \
        in capsys.readouterr().err


# --- merges --------------------------------------------------------------------------------

def test_saving_keys_merges_with_what_another_run_saved(tmp_path):
    from cxlab.run.cache import KEYS_FILE, KeyStore

    a, b, c = (tmp_path / n / "2026Q3" / "probe.ipynb" for n in ("a", "b", "c"))
    first = KeyStore(tmp_path)
    first.record(c, "kc")
    first.save()
    one, two = KeyStore(tmp_path), KeyStore(tmp_path)  # both read the same file
    one.record(a, "ka")
    two.record(b, "kb")
    two.forget(c)  # its study failed in the second run
    two.save()
    one.save()  # used to write its own old view back: b lost, c back
    saved = json.loads((tmp_path / KEYS_FILE).read_text())
    assert saved == {"a/2026Q3/probe.ipynb": "ka", "b/2026Q3/probe.ipynb": "kb"}


def test_a_damaged_key_file_means_every_study_runs_and_is_said(tmp_path):
    from cxlab.run.cache import KEYS_FILE, KeyStore

    (tmp_path / KEYS_FILE).write_text('{"a/2026Q3/probe.ipynb": "k')
    store = KeyStore(tmp_path)
    assert store.keys == {} and "damaged" in store.problem
    store.record(tmp_path / "a" / "2026Q3" / "probe.ipynb", "k2")
    store.save()
    assert json.loads((tmp_path / KEYS_FILE).read_text()) == {"a/2026Q3/probe.ipynb": "k2"}


def _result(client, status, error=""):
    from cxlab.run.executor import StudyResult

    return StudyResult(client, "2026Q3", "probe", status, 1.0, "", error)


def test_a_failure_stays_on_record_until_that_study_succeeds(tmp_path):
    from datetime import UTC, datetime

    from cxlab.run.executor import write_build_record

    def write(*results):
        path = write_build_record(tmp_path, list(results), datetime.now(UTC), 1, "sha")
        return json.loads(path.read_text())

    record = write(_result("acme", "failed", "ValueError: bad"), _result("bolt", "ok"))
    assert record["n_failed"] == 1 and record["failed"] == ["acme 2026Q3 probe: ValueError: bad"]
    record = write(_result("cedar", "ok"))  # a later run of another client
    assert record["n_failed"] == 1 and record["n_studies"] == 3
    assert record["failed"] == ["acme 2026Q3 probe: ValueError: bad"]
    assert record["last_run"] == {"n_studies": 1, "n_ok": 1, "n_failed": 0, "n_skipped": 0,
                                  "n_with_failed_sections": 0}
    assert [s["client"] for s in record["studies"]] == ["acme", "bolt", "cedar"]
    assert {s["client"]: s["status"] for s in record["studies"]}["acme"] == "failed"
    record = write(_result("bolt", "failed", "KeyError: x"))
    assert record["n_failed"] == 2
    record = write(_result("acme", "ok"), _result("bolt", "skipped"))
    assert record["n_failed"] == 0 and record["failed"] == [] and record["n_skipped"] == 1
    assert all("run_at" in s for s in record["studies"])


def test_a_damaged_build_record_is_replaced_and_said(home, fake_papermill):
    (home / "reports").mkdir()
    (home / "reports" / "build-record.json").write_text('{"n_failed": 1, "stud')
    results = _run(home, _specs("acme"))
    assert results.problems == [] and "build-record.json could not be read" in results.notes[0]
    record = json.loads((home / "reports" / "build-record.json").read_text())
    assert record["n_studies"] == 1 and record["n_failed"] == 0


# --- stray kernel folders ------------------------------------------------------------------

def test_only_the_kernel_folders_of_ended_runs_are_removed(tmp_path):
    from cxlab.run import clean_stray_kernel_dirs, kernel_dir_prefix

    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        folders = {
            "ended": tmp_path / f"cxlab-kernel-{ended.pid}-abc123",
            "mine": tmp_path / f"{kernel_dir_prefix()}def456",
            "other live run": tmp_path / f"cxlab-kernel-{alive.pid}-ghi789",
            "old style": tmp_path / "cxlab-kernel-x1y2z3",
        }
        for folder in folders.values():
            folder.mkdir()
            (folder / "kernel-1").write_text("")
        (tmp_path / "cxlab-kernel-1-file").write_text("not a folder")
        removed = clean_stray_kernel_dirs(tmp_path)
    finally:
        alive.kill()
        alive.wait()
    assert removed == [folders["ended"]]
    assert not folders["ended"].exists()
    assert all(folders[name].is_dir() for name in ("mine", "other live run", "old style"))
    assert (tmp_path / "cxlab-kernel-1-file").is_file()


def test_a_run_cleans_the_temp_folder_before_it_starts(home, fake_papermill, tmp_path,
                                                       monkeypatch):
    import tempfile

    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()
    (temp / f"cxlab-kernel-{ended.pid}-abc").mkdir()
    _run(home, _specs("acme"))
    assert not (temp / f"cxlab-kernel-{ended.pid}-abc").exists()


def test_a_warm_kernel_folder_records_its_owner():
    from cxlab.run import _KERNEL_DIR, kernel_dir_prefix

    match = _KERNEL_DIR.fullmatch(kernel_dir_prefix() + "k2j4h_x1")
    assert match and int(match[1]) == os.getpid()


# --- file errors end in a summary, not a traceback -----------------------------------------

def _failing_replace(monkeypatch, code, *names):
    """``os.replace`` fails with ``code`` for targets with these file names."""
    real = os.replace

    def replace(src, dst, *args, **kwargs):
        if Path(dst).name in names:
            raise OSError(code, os.strerror(code), str(src))
        return real(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", replace)


def test_a_full_disk_fails_the_study_in_plain_words_and_keeps_the_published_report(
        home, fake_papermill, monkeypatch, capsys):
    from cxlab.cli import main

    matrix = ["run", "--matrix", str(home / "studies.yml"), "--no-progress", "--cold"]
    assert main(matrix) == 0
    report = home / "reports" / "acme" / "2026Q3" / "probe.ipynb"
    before = report.read_bytes()
    keys_before = (home / "reports" / ".cxlab-keys.json").read_bytes()
    capsys.readouterr()
    _failing_replace(monkeypatch, errno.ENOSPC, "probe.ipynb")
    assert main([*matrix, "--force"]) == 1
    out, err = capsys.readouterr()
    assert "0 of 2 studies succeeded" in out
    assert ("FAILED acme 2026Q3 (probe): the report reports/acme/2026Q3/probe.ipynb could not "
            "be written: the disk is full (no space left on the device); the previous report, "
            "if any, is kept") in out
    assert "Traceback" not in out + err
    assert report.read_bytes() == before
    assert not list((home / "reports" / ".partial").iterdir())
    # both failed: their keys are forgotten, and the record says so
    assert json.loads((home / "reports" / ".cxlab-keys.json").read_text()) == {}
    assert keys_before != b"{}"
    record = json.loads((home / "reports" / "build-record.json").read_text())
    assert record["n_failed"] == 2 and "disk is full" in record["failed"][0]


def test_keys_and_record_that_cannot_be_saved_are_named_and_fail_the_run(
        home, fake_papermill, monkeypatch, capsys):
    from cxlab.cli import main

    matrix = ["run", "--matrix", str(home / "studies.yml"), "--no-progress", "--cold"]
    assert main(matrix) == 0
    saved = {name: (home / "reports" / name).read_bytes()
             for name in (".cxlab-keys.json", "build-record.json")}
    capsys.readouterr()
    _failing_replace(monkeypatch, errno.EROFS, ".cxlab-keys.json", "build-record.json")
    assert main([*matrix, "--force"]) == 1
    out, err = capsys.readouterr()
    assert "2 of 2 studies succeeded" in out and "Traceback" not in out + err
    assert ("NOT SAVED: the report keys reports/.cxlab-keys.json could not be written: the file "
            "system is read-only; the studies that ran will run again next time") in out
    assert ("NOT SAVED: the build record reports/build-record.json could not be written: the "
            "file system is read-only; the previous record is kept") in out
    for name, content in saved.items():
        assert (home / "reports" / name).read_bytes() == content
    assert not [p for p in (home / "reports").iterdir() if p.is_file() and p.suffix == ".partial"]


def test_a_read_only_reports_folder_names_each_studys_error(home, fake_papermill, monkeypatch,
                                                           capsys):
    from cxlab.cli import main

    real_mkdir = Path.mkdir

    def mkdir(self, *args, **kwargs):
        if "reports" in self.parts and self.name != "reports":
            raise OSError(errno.EROFS, "Read-only file system", str(self))
        return real_mkdir(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", mkdir)
    code = main(["run", "--matrix", str(home / "studies.yml"), "--no-progress", "--cold"])
    out, err = capsys.readouterr()
    assert code == 1 and "Traceback" not in out + err
    assert ("FAILED acme 2026Q3 (probe): the report reports/acme/2026Q3/probe.ipynb could not "
            "be written: the file system is read-only; the previous report, if any, is kept; "
            "executed notebook kept at build/failed/acme-2026Q3-probe.ipynb") in out
    assert "FAILED bolt 2026Q3" in out


def test_the_studys_own_error_stays_when_its_notebook_cannot_be_kept(home, fake_papermill,
                                                                     monkeypatch):
    fake_papermill.fail.add("acme")
    _failing_replace(monkeypatch, errno.ENOSPC, "acme-2026Q3-probe.ipynb")
    results = _run(home, _specs("acme", "bolt"))
    acme = {r.client: r for r in results}["acme"]
    assert acme.status == "failed" and acme.output == ""
    assert acme.error == ("ValueError: no data for acme (and the executed notebook "
                          "build/failed/acme-2026Q3-probe.ipynb could not be written: the disk "
                          "is full (no space left on the device))")
    assert _statuses(results)["bolt"] == "ok"
    assert not list((home / "build" / "failed").iterdir())


def test_a_kept_failed_notebook_holds_the_outputs_so_far(home, fake_papermill):
    fake_papermill.fail.add("acme")
    acme = _run(home, _specs("acme"))[0]
    assert acme.output == "build/failed/acme-2026Q3-probe.ipynb"
    kept = json.loads((home / acme.output).read_text())
    assert kept["cells"][-1]["outputs"][0]["text"] == ["acme"]


def test_a_missing_template_is_named(home):
    from cxlab.run.executor import run_study

    spec = StudySpec("acme", "2026Q3", "nothing", "d", "Acme")
    result = run_study(spec, home / "reports", home / "failed")
    assert result.status == "failed"
    assert result.error == ("no template notebooks/nothing.ipynb: expected the notebook "
                            "nothing.ipynb in notebooks")


def test_plain_words_for_file_errors(tmp_path):
    from cxlab.fsutil import plain_os_error

    err = OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "a" / "b.json"))
    assert plain_os_error(err, tmp_path) == "a/b.json: the disk is full (no space left on the device)"
    assert plain_os_error(OSError(errno.EROFS, "x")) == "the file system is read-only"
    assert plain_os_error(OSError(errno.ENAMETOOLONG, "File name too long", "f")) == \
        "f: File name too long"


def test_replace_file_leaves_the_old_file_when_writing_fails(tmp_path):
    from cxlab.fsutil import replace_file

    path = tmp_path / "record.json"
    path.write_text("old")

    def write(tmp):
        tmp.write_text("half")
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp))

    with pytest.raises(OSError):
        replace_file(path, write)
    assert path.read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["record.json"]


# --- time limits ---------------------------------------------------------------------------

def _matrix(tmp_path, text):
    path = tmp_path / "studies.yml"
    path.write_text(text)
    return load_matrix(path)


def test_time_limits_come_from_the_matrix_in_minutes(tmp_path):
    m = _matrix(tmp_path, "quarters: [2026Q3]\ntimeout_minutes: 2.5\nclients:\n"
                          "  a: {}\n  b: {timeout_minutes: 30}\n  c: {timeout_minutes: 0.05}\n")
    assert {s.client: s.timeout_seconds for s in m.studies} == {"a": 150.0, "b": 1800.0,
                                                                "c": 3.0}
    m = _matrix(tmp_path, "quarters: [2026Q3]\nclients:\n  a: {}\n")
    assert m.studies[0].timeout_seconds == 600.0
    # the limit is neither part of a study's identity nor of its content key
    assert m.studies[0] == StudySpec("a", "2026Q3", "quarterly_report", "sample", "a",
                                     timeout_seconds=5)


@pytest.mark.parametrize("text, where", [
    ("timeout_minutes: ten\nclients:\n  a: {}\n", "studies.yml: timeout_minutes"),
    ("timeout_minutes: 0\nclients:\n  a: {}\n", "studies.yml: timeout_minutes"),
    ("timeout_minutes: -1\nclients:\n  a: {}\n", "studies.yml: timeout_minutes"),
    ("timeout_minutes: true\nclients:\n  a: {}\n", "studies.yml: timeout_minutes"),
    ("timeout_minutes: .nan\nclients:\n  a: {}\n", "studies.yml: timeout_minutes"),
    ("clients:\n  a: {timeout_minutes: [5]}\n", "studies.yml: clients.a.timeout_minutes"),
])
def test_a_bad_time_limit_names_file_key_value_and_what_was_expected(tmp_path, text, where):
    with pytest.raises(MatrixError) as err:
        _matrix(tmp_path, "quarters: [2026Q3]\n" + text)
    assert where in str(err.value) and "expected a positive number of minutes" in str(err.value)
    assert "got " in str(err.value)


def test_timeout_option_sets_every_studys_limit(home, monkeypatch, capsys):
    from cxlab.cli import build_parser, main
    from cxlab.run import executor

    assert build_parser().parse_args(["run", "--timeout", "0.5"]).timeout == 0.5
    assert build_parser().parse_args(["run"]).timeout is None
    for bad in ("0", "-3", "soon", "inf", "nan"):
        with pytest.raises(SystemExit):
            build_parser().parse_args(["run", "--timeout", bad])
        assert f"{bad!r} is not a time limit" in capsys.readouterr().err
    seen = []
    monkeypatch.setattr(executor, "run_studies",
                        lambda studies, **kw: seen.extend(studies) or executor.RunResults())
    assert main(["run", "--matrix", str(home / "studies.yml"), "--timeout", "0.05"]) == 0
    assert [s.timeout_seconds for s in seen] == [3.0, 3.0]


def test_the_time_limit_message():
    from cxlab.run.executor import time_limit_message

    assert time_limit_message(600) == ("stopped after 10 minutes (the study's time limit; raise "
                                       "timeout_minutes in studies.yml)")
    assert time_limit_message(60).startswith("stopped after 1 minute (")
    assert time_limit_message(3).startswith("stopped after 0.05 minutes (")


def _fake_kernel(code):
    process = subprocess.Popen([sys.executable, "-c", code])
    return SimpleNamespace(provisioner=SimpleNamespace(process=process)), process


def test_time_limit_interrupts_the_kernel_then_kills_one_that_ignores_it(monkeypatch):
    from cxlab.run.pool import Execution, TimeLimit

    monkeypatch.setattr(TimeLimit, "grace", 0.5)
    # A 'kernel' that the interrupt stops.
    execution = Execution()
    execution.km, process = _fake_kernel("import time; time.sleep(30)")
    execution.warm_kernel = SimpleNamespace(needs_restart=False)
    with TimeLimit(0.3, execution) as limit:
        assert process.wait(timeout=10) != 0
    assert limit.fired and execution.warm_kernel.needs_restart
    # One that ignores it is killed after the grace period.
    execution = Execution()
    execution.km, process = _fake_kernel(
        "import signal, time; signal.signal(signal.SIGINT, signal.SIG_IGN); time.sleep(30)")
    time.sleep(0.3)  # (let it install its handler)
    with TimeLimit(0.2, execution) as limit:
        assert process.wait(timeout=10) == -signal.SIGKILL
    # A study that ends in time is left alone, and nothing fires afterwards.
    execution = Execution()
    execution.km, process = _fake_kernel("import time; time.sleep(3)")
    with TimeLimit(0.5, execution) as limit:
        pass
    time.sleep(0.8)
    assert not limit.fired and process.poll() is None
    process.kill()
    process.wait()
    with TimeLimit(None, Execution()) as limit:
        pass
    assert not limit.fired


def test_the_holder_of_the_lock_is_described_in_words():
    from datetime import UTC, datetime, timedelta

    from cxlab.run.executor import _describe_holder

    now = datetime.now(UTC)
    assert _describe_holder({}) == "a process that did not say which"
    assert _describe_holder({"pid": 7}) == "PID 7"
    text = _describe_holder({"pid": 7, "host": "elsewhere",
                             "started_at": (now - timedelta(minutes=3)).isoformat()})
    assert text.startswith("PID 7 on elsewhere, started 20") and text.endswith("(3 min ago)")
    assert _describe_holder({"pid": 7, "started_at": now.isoformat()}).endswith(
        "(under a minute ago)")
    assert _describe_holder({"pid": 7, "started_at": (now - timedelta(hours=5)).isoformat()}
                            ).endswith("(5 h ago)")


def test_cold_kernels_are_made_known_to_the_time_limit(monkeypatch):
    from papermill.engines import NBClientEngine

    from cxlab.run import pool

    execution = pool.Execution()
    with execution.watched():
        km = pool._WatchedKernelManager(kernel_name="python3")  # made, not started
        assert execution.km is km and not km.has_kernel
        seen = {}
        monkeypatch.setattr(NBClientEngine, "execute_managed_notebook",
                            classmethod(lambda cls, nb_man, kernel_name, **kw: seen.update(kw)))
        manager = SimpleNamespace(nb="the notebook")
        pool.ColdEngine.execute_managed_notebook(manager, "python3")
        assert seen["kernel_manager_class"] is pool._WatchedKernelManager
        assert execution.notebook == "the notebook"
    assert pool.current_execution() is not execution


def test_unreadable_inputs_or_papermill_file_errors_fail_in_plain_words(home, fake_papermill,
                                                                         monkeypatch):
    import papermill

    from cxlab.run import executor

    def unreadable(folder):
        raise PermissionError(errno.EACCES, "Permission denied", str(folder))

    monkeypatch.setattr(executor, "data_fingerprint", unreadable)

    def no_space(nb, output_path, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(home / "notebooks"))

    monkeypatch.setattr(papermill, "execute_notebook", no_space)
    results = _run(home, _specs("acme"))
    assert results[0].error == "notebooks: the disk is full (no space left on the device)"
    assert json.loads((home / "reports" / ".cxlab-keys.json").read_text()) == {}


def test_the_skip_path_loads_no_pandas():
    """An unchanged re-run must stay fast: the runner, the keys and the CLI import no pandas."""
    code = ("import sys, cxlab.cli, cxlab.run.cache, cxlab.run.executor, cxlab.privacy; "
            "print('pandas' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# --- failed sections -----------------------------------------------------------------------

def test_failed_sections_are_summarized_recorded_and_give_their_own_exit_code(
        home, fake_papermill, monkeypatch, capsys):
    from cxlab.cli import main
    from cxlab.run.executor import EXIT_SECTIONS_FAILED, exit_code, summary_text

    fake_papermill.broken_sections.add("bolt")
    results = _run(home, _specs("acme", "bolt"))
    assert _statuses(results) == {"acme": "ok", "bolt": "ok"}  # both published
    bolt = {r.client: r for r in results}["bolt"]
    [failure] = bolt.failed_sections
    assert failure["section"] == "Recognition" and failure["kind"] == "bug"
    assert failure["call"] == "recognition_summary()"
    assert failure["error"] == "KeyError: 'response_id'"
    assert exit_code(results) == EXIT_SECTIONS_FAILED == 4
    text = summary_text(results)
    assert "2 of 2 studies succeeded" in text
    assert "1 of these reports has 1 section that could not be computed" in text
    assert ("SECTION FAILED bolt 2026Q3 (probe): Recognition, recognition_summary(): bug, "
            "KeyError: 'response_id'") in text
    record = json.loads((home / "reports" / "build-record.json").read_text())
    assert record["n_failed"] == 0 and record["n_failed_sections"] == 1
    assert record["failed_sections"][0].startswith("bolt 2026Q3 probe: Recognition, ")
    assert record["last_run"]["n_with_failed_sections"] == 1
    studies = {s["client"]: s for s in record["studies"]}
    assert studies["bolt"]["failed_sections"][0]["error"] == "KeyError: 'response_id'"
    assert studies["acme"]["failed_sections"] == []
    # An unchanged re-run skips the study, but its report still has the box: still counted.
    again = _run(home, _specs("acme", "bolt"))
    assert _statuses(again) == {"acme": "skipped", "bolt": "skipped"}
    assert exit_code(again) == 4
    assert "(report unchanged since its last run)" in summary_text(again)
    record = json.loads((home / "reports" / "build-record.json").read_text())
    assert record["n_failed_sections"] == 1
    # The command's exit code: 4 for failed sections, 1 once a study fails, 0 when complete.
    def run_all():
        return main(["run", "--matrix", str(home / "studies.yml"), "--no-progress", "--force",
                     "--cold"])

    assert run_all() == 4
    assert "SECTION FAILED bolt" in capsys.readouterr().out
    fake_papermill.fail.add("acme")
    assert run_all() == 1
    capsys.readouterr()
    fake_papermill.fail.clear()
    fake_papermill.broken_sections.clear()
    assert run_all() == 0
    assert "SECTION FAILED" not in capsys.readouterr().out


def test_the_report_and_the_record_say_where_the_data_came_from(home, fake_papermill):
    from cxlab.run.executor import data_origin

    assert data_origin("d", "acme") == {"dataset": "d", "synthetic": None}  # no manifest
    (home / "data" / "d" / "manifest.json").write_text(json.dumps(
        {"generator": "cxlab.data.sample", "seed": 7, "scale": 1.0,
         "client_names": {"acme": "Acme"}, "clients": ["acme", "bolt"]}))
    assert data_origin("d", "acme") == {"dataset": "d", "synthetic": True, "seed": 7,
                                        "scale": 1.0}
    assert data_origin("d", "bolt") == {"dataset": "d", "synthetic": False}  # imported
    _run(home, _specs("acme", "bolt"))
    nb = json.loads((home / "reports" / "bolt" / "2026Q3" / "probe.ipynb").read_text())
    assert nb["metadata"]["cxlab"]["data"] == {"dataset": "d", "synthetic": False}
    record = json.loads((home / "reports" / "build-record.json").read_text())
    assert {s["client"]: s["data"]["synthetic"] for s in record["studies"]} == {
        "acme": True, "bolt": False}


def test_a_bug_stopping_the_run_exits_3_and_a_user_error_2(home, monkeypatch, capsys):
    from cxlab.cli import main
    from cxlab.errors import CxlabError
    from cxlab.run import executor

    def broken(*args, **kwargs):
        raise RuntimeError("the runner itself broke")

    monkeypatch.setattr(executor, "run_studies", broken)
    assert main(["run", "--matrix", str(home / "studies.yml"), "--no-progress"]) == 3
    err = capsys.readouterr().err
    assert "RuntimeError: the runner itself broke" in err and "internal error" in err

    def refused(*args, **kwargs):
        raise CxlabError("the sample data could not be made")

    monkeypatch.setattr(executor, "run_studies", refused)
    assert main(["run", "--matrix", str(home / "studies.yml"), "--no-progress"]) == 2
    assert "cxlab run: the sample data could not be made" in capsys.readouterr().err


# --- shards (issue 20, part 6) ----------------------------------------------------------------

@pytest.mark.parametrize("text", ["0/2", "3/2", "2", "a/b", "1/0", "-1/2", ""])
def test_a_bad_shard_is_an_error_naming_what_was_expected(text):
    from cxlab.run.matrix import Shard

    with pytest.raises(MatrixError, match=r"expected I/N with 1 <= I <= N, e\.g\. 1/4"):
        Shard.parse(text)


def test_shards_deal_the_studies_out_once_each_and_evenly():
    from cxlab.run.matrix import Shard

    studies = [StudySpec(f"c{i}", f"2026Q{i % 4 + 1}", "probe", "d", "C") for i in range(23)]
    parts = [Shard.parse(f"{i}/4").select(studies) for i in range(1, 5)]
    assert sorted(map(len, parts)) == [5, 6, 6, 6]
    dealt = [s for part in parts for s in part]
    assert sorted(dealt, key=studies.index) == studies and len(set(dealt)) == len(studies)


def test_shards_lock_record_and_merge_on_their_own(home, fake_papermill):
    """Two shards of one run write to one reports folder: each under its own lock and in its
    own build record; reading the record sees both; merging writes one and removes theirs."""
    from cxlab.run.executor import (
        RunLocked,
        merge_build_records,
        read_build_record,
        record_path,
        run_lock,
    )
    from cxlab.run.matrix import Shard

    reports = home / "reports"
    first, second = Shard.parse("1/2"), Shard.parse("2/2")
    specs = _specs("acme", "bolt")
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(reports), "60"],
                              stdout=subprocess.PIPE, text=True, cwd=ROOT)  # the plain lock
    try:
        assert holder.stdout.readline().strip() == "locked"
        with run_lock(reports, shard=first):  # a shard's lock is its own ...
            with pytest.raises(RunLocked):  # ... and taken only once (another thread)
                import threading

                failure = []
                thread = threading.Thread(target=lambda: _take(reports, first, failure))
                thread.start()
                thread.join()
                raise failure[0]
        assert _statuses(_run(home, specs, shard=first)) == {"acme": "ok"}
    finally:
        holder.kill()
        holder.wait()
    assert _statuses(_run(home, specs, shard=second)) == {"bolt": "ok"}
    assert not (reports / "build-record.json").exists()
    for shard, client in ((first, "acme"), (second, "bolt")):
        own = json.loads(record_path(reports, shard).read_text())
        assert own["shard"] == shard.tag and own["last_run"]["n_ok"] == 1
        assert client in {s["client"] for s in own["studies"]}
    record, problem = read_build_record(reports)
    assert problem == "" and {s["client"] for s in record["studies"]} == {"acme", "bolt"}
    # Both shards saved their report keys into the one key file: a rerun skips both.
    assert _statuses(_run(home, specs, shard=first)) == {"acme": "skipped"}
    merged = merge_build_records(reports)
    assert merged == reports / "build-record.json"
    assert not list(reports.glob("build-record.shard-*"))
    final = json.loads(merged.read_text())
    assert final["n_studies"] == 2 and final["n_failed"] == 0 and final["shards"] == 2
    assert final["last_run"]["n_studies"] == 2  # the two shards' last runs
    assert {s["client"]: s["status"] for s in final["studies"]} == {"acme": "skipped",
                                                                   "bolt": "ok"}
    assert merge_build_records(reports) is None  # nothing left to merge


def _take(reports: Path, shard, failure: list) -> None:
    from cxlab.run.executor import run_lock

    try:
        with run_lock(reports, shard=shard):
            failure.append(AssertionError("a second holder got the shard's lock"))
    except Exception as err:  # noqa: BLE001 - handed to the test's thread
        failure.append(err)


def test_run_shard_from_the_command_line(home, fake_papermill, capsys):
    from cxlab.cli import main

    matrix = str(home / "studies.yml")
    assert main(["run", "--matrix", matrix, "--no-progress", "--shard", "2/2"]) == 0
    assert "1 study (shard 2 of 2)" in capsys.readouterr().err
    assert fake_papermill.studies == ["bolt"]
    assert (home / "reports" / "build-record.shard-2-of-2.json").is_file()
    assert main(["run", "--matrix", matrix, "--no-progress", "--shard", "3/2"]) == 2
    assert "--shard '3/2': expected I/N" in capsys.readouterr().err
    assert main(["run", "--matrix", matrix, "--no-progress", "--client", "acme",
                 "--shard", "2/2"]) == 0  # one study, two shards: the second has none
    assert "shard 2 of 2 has no study (there are 1); nothing to run" in capsys.readouterr().err
