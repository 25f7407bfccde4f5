"""A study through the real runner (Papermill, a real kernel) into the site."""

import html
import json
import os
import re
import tempfile
import time
from pathlib import Path

import pytest
from probe_notebooks import write_template
from report_harness import copy_site_sources

pytestmark = pytest.mark.slow


def test_runner_writes_reports_at_deterministic_paths(built_site, n_template_charts):
    root = built_site["root"]
    assert [r.status for r in built_site["results"]] == ["ok", "ok"]
    for quarter in ("2026Q2", "2026Q3"):
        path = root / "reports" / "cedar" / quarter / "quarterly_report.ipynb"
        nb = json.loads(path.read_text())
        assert nb["metadata"]["cxlab"]["client"] == "cedar"
        assert "Cedar Health: " + quarter in "".join(nb["cells"][0]["source"])
        errors = [o for c in nb["cells"] if c["cell_type"] == "code" for o in c["outputs"]
                  if o["output_type"] == "error"]
        assert not errors
        images = [o for c in nb["cells"] if c["cell_type"] == "code" for o in c["outputs"]
                  if "<picture" in "".join(o.get("data", {}).get("text/html", ""))]
        assert n_template_charts >= 5 and len(images) == n_template_charts
    assert not list((root / "reports" / ".partial").iterdir())
    record = json.loads((root / "reports" / "build-record.json").read_text())
    assert record["n_studies"] == 2 and record["n_failed"] == 0


def test_site_index_links_every_report(built_site, n_template_charts):
    site = built_site["site"]
    index = (site / "reports" / "index.html").read_text()
    for quarter in ("2026Q2", "2026Q3"):
        assert f'href="cedar/{quarter}/quarterly_report.html"' in index
        page = site / "reports" / "cedar" / quarter / "quarterly_report.html"
        text = page.read_text()
        assert text.count("<picture") == n_template_charts  # each with a phone layout too
        assert text.count("data:image/png;base64,") == 2 * n_template_charts
        assert text.count('alt="No description') == 0
        assert "open_study" not in text  # code is hidden
        assert "...</td>" not in text  # tables are shown whole, not cut by pandas
        assert "Cedar Health" in text and "Scorecard" in text
    assert (site / "methods.html").is_file() and (site / "index.html").is_file()
    model = (site / "reports" / "maturity-model.html").read_text()
    assert "Level 5: Embedded everywhere" in model and "Technology and tools" in model
    assert 'href="reports/maturity-model.html"' in (site / "index.html").read_text()


def test_every_local_link_in_the_site_resolves(built_site):
    site = built_site["site"]
    for page in site.rglob("*.html"):
        for target in re.findall(r'href="([^"#:]+)(?:#[^"]*)?"', page.read_text()):
            assert (page.parent / target).resolve().is_file(), f"{page}: broken link {target}"


def test_failing_study_does_not_stop_others_and_keeps_last_good_report(built_site, monkeypatch,
                                                                       capsys):
    from cxlab.cli import main

    root = built_site["root"]
    monkeypatch.setenv("CXLAB_HOME", str(root))
    good = root / "reports" / "cedar" / "2026Q3" / "quarterly_report.ipynb"
    before = good.read_bytes()
    matrix = root / "broken.yml"
    # 'ghost' is not in the dataset: its study fails inside the notebook's open_study call.
    matrix.write_text("quarters: [2026Q3]\nclients:\n  ghost: {}\n  evergreen: {}\n")
    code = main(["run", "--matrix", str(matrix), "--no-progress"])
    out = capsys.readouterr().out
    assert code == 1
    assert "1 of 2 studies succeeded" in out
    assert "FAILED ghost 2026Q3" in out and "not in dataset 'sample'" in out
    assert (root / "reports" / "evergreen" / "2026Q3" / "quarterly_report.ipynb").is_file()
    assert not (root / "reports" / "ghost" / "2026Q3" / "quarterly_report.ipynb").exists()
    assert (root / "build" / "failed" / "ghost-2026Q3-quarterly_report.ipynb").is_file()
    assert good.read_bytes() == before


def test_cli_rejects_bad_selection(built_site, monkeypatch, capsys):
    from cxlab.cli import main

    monkeypatch.setenv("CXLAB_HOME", str(built_site["root"]))
    assert main(["run", "--matrix", str(built_site["root"] / "studies.yml"),
                 "--client", "nobody"]) == 2
    assert "no client 'nobody'" in capsys.readouterr().err


def test_cli_runs_a_kernel_per_core_by_default_and_rejects_fewer_than_one(capsys):
    from cxlab.cli import build_parser
    from cxlab.run import usable_cores

    assert 1 <= usable_cores() <= os.cpu_count()
    assert build_parser().parse_args(["run"]).jobs == usable_cores()
    assert build_parser().parse_args(["run", "-j", "3"]).jobs == 3
    for bad in ("0", "-2", "two", "1.5"):
        with pytest.raises(SystemExit) as stop:
            build_parser().parse_args(["run", "--jobs", bad])
        assert stop.value.code == 2
        assert f"{bad!r} is not a number of kernels" in capsys.readouterr().err
    from cxlab.run.executor import run_studies

    with pytest.raises(ValueError, match="expected at least 1 kernel"):
        run_studies([], jobs=0)


def test_template_parameters_are_validated_before_analysis(sandbox, monkeypatch):
    import cxlab

    monkeypatch.setenv("CXLAB_HOME", str(sandbox))
    with pytest.raises(ValueError, match="not a valid name"):
        cxlab.open_study("../../etc", "2026Q3")
    with pytest.raises(ValueError, match="expected YYYYQn"):
        cxlab.open_study("cedar", "Q3-2026")
    assert os.environ["CXLAB_HOME"] == str(sandbox)


LEAKY = """secret = 42
import warnings

import matplotlib
import matplotlib.pyplot as plt
import pandas as pd

import cxlab.metrics
import helper

helper.warn()  # shown once per place: the record of it must not outlive the study
pd.set_option("display.max_rows", 3)
matplotlib.rcParams["figure.dpi"] = 12
warnings.filters.insert(0, ("ignore", None, Warning, None, 0))
plt.figure()"""
#: A notebook that changes a loaded module: its kernel must be restarted, not reused.
PATCHING = """import cxlab.metrics

cxlab.metrics.z_value = lambda confidence: 0.0"""
PROBE = """import warnings

import matplotlib
import matplotlib.pyplot as plt
import pandas as pd

import cxlab.metrics

print({"secret": "secret" in globals(), "max_rows": pd.get_option("display.max_rows"),
       "dpi": matplotlib.rcParams["figure.dpi"], "filters": len(warnings.filters),
       "z": cxlab.metrics.z_value(0.95), "figures": len(plt.get_fignums())})
import helper

helper.warn()"""


def test_no_state_leaks_from_one_study_into_the_next(tmp_path, monkeypatch):
    """A notebook that changes every kind of kernel state runs first; the probe after it in
    the same warm kernel sees exactly what it sees as the kernel's first notebook."""
    from cxlab.run.executor import run_studies
    from cxlab.run.matrix import StudySpec

    monkeypatch.setenv("CXLAB_HOME", str(tmp_path))
    (tmp_path / "notebooks").mkdir()
    write_template(tmp_path / "notebooks" / "leaky.ipynb", LEAKY)
    write_template(tmp_path / "notebooks" / "probe.ipynb", PROBE)
    write_template(tmp_path / "notebooks" / "patching.ipynb", PATCHING)
    (tmp_path / "notebooks" / "helper.py").write_text(
        "import warnings\n\n\ndef warn():\n    warnings.warn('from a library', UserWarning)\n")
    probe = StudySpec("acme", "2026Q3", "probe", "sample", "Acme")
    leaky = StudySpec("acme", "2026Q3", "leaky", "sample", "Acme")
    patching = StudySpec("acme", "2026Q3", "patching", "sample", "Acme")

    def probe_output(reports, studies, warm):
        results = run_studies(studies, jobs=1, reports_root=tmp_path / reports,
                              progress=False, warm=warm)
        assert [r.status for r in results] == ["ok"] * len(studies)
        cells = json.loads(probe.output_path(tmp_path / reports).read_text())["cells"]
        code = [c for c in cells if c["cell_type"] == "code"]
        return ([c["execution_count"] for c in code],
                [(o.get("name"), "".join(o.get("text", ""))) for o in code[-1]["outputs"]])

    first = probe_output("first", [probe], warm=True)
    after_leaky = probe_output("after", [leaky, probe], warm=True)
    after_patching = probe_output("patched", [patching, probe], warm=True)
    printed, warned = first[1][0][1], first[1][1]
    for value in ("'secret': False", "'max_rows': 60", "'dpi': 100.0", "'z': 1.95996",
                  "'figures': 0"):
        assert value in printed
    assert warned[0] == "stderr" and "from a library" in warned[1]
    assert after_leaky == first
    assert after_patching == first


def test_warm_kernel_reports_equal_fresh_papermill_runs(built_site, tmp_path, monkeypatch):
    """The runner's warm kernels write the same notebook as papermill with a new kernel."""
    from cxlab.run.executor import notebook_differences, run_study
    from cxlab.run.matrix import load_matrix

    root = built_site["root"]
    monkeypatch.setenv("CXLAB_HOME", str(root))
    spec = load_matrix(root / "studies.yml").select(["cedar"], ["2026Q3"])[0]
    fresh = run_study(spec, tmp_path / "reports", tmp_path / "failed")  # papermill, new kernel
    assert fresh.status == "ok", fresh.error
    warm = spec.output_path(root / "reports")
    assert notebook_differences(warm, spec.output_path(tmp_path / "reports")) == []


def test_unchanged_studies_are_skipped_and_changed_data_reruns_its_client(tmp_path, monkeypatch):
    from cxlab.run.executor import run_studies
    from cxlab.run.matrix import StudySpec

    monkeypatch.setenv("CXLAB_HOME", str(tmp_path))
    (tmp_path / "notebooks").mkdir()
    write_template(tmp_path / "notebooks" / "probe.ipynb", "print(client)")
    for client in ("acme", "bolt"):
        (tmp_path / "data" / "d" / client).mkdir(parents=True)
        (tmp_path / "data" / "d" / client / "customer_responses.parquet").write_bytes(b"v1")
    studies = [StudySpec(c, q, "probe", "d", c.title()) for c in ("acme", "bolt")
               for q in ("2026Q2", "2026Q3")]

    def statuses(**kwargs):
        results = run_studies(studies, jobs=1, reports_root=tmp_path / "reports",
                              progress=False, **kwargs)
        return {(r.client, r.quarter): r.status for r in results}

    assert set(statuses().values()) == {"ok"}
    assert set(statuses().values()) == {"skipped"}
    (tmp_path / "data" / "d" / "acme" / "customer_responses.parquet").write_bytes(b"v2")
    assert statuses() == {("acme", "2026Q2"): "ok", ("acme", "2026Q3"): "ok",
                          ("bolt", "2026Q2"): "skipped", ("bolt", "2026Q3"): "skipped"}
    assert set(statuses(force=True).values()) == {"ok"}
    record = json.loads((tmp_path / "reports" / "build-record.json").read_text())
    assert record["n_skipped"] == 0 and record["n_studies"] == 4


def test_a_kernel_that_dies_fails_its_study_and_the_next_study_gets_a_new_one(
        tmp_path, monkeypatch):
    from cxlab.run.executor import run_studies
    from cxlab.run.matrix import StudySpec

    monkeypatch.setenv("CXLAB_HOME", str(tmp_path))
    (tmp_path / "notebooks").mkdir()
    write_template(tmp_path / "notebooks" / "crash.ipynb",
              "import os\nif client == 'acme':\n    os._exit(1)\nprint('alive', client)")
    studies = [StudySpec(c, "2026Q3", "crash", "d", c.title()) for c in ("acme", "bolt")]
    results = run_studies(studies, jobs=1, reports_root=tmp_path / "reports", progress=False)
    status = {r.client: (r.status, r.error) for r in results}
    assert status["acme"][0] == "failed" and "DeadKernel" in status["acme"][1]
    assert status["bolt"] == ("ok", "")
    out = json.loads(studies[1].output_path(tmp_path / "reports").read_text())
    assert "alive bolt" in "".join(out["cells"][-1]["outputs"][0]["text"])
    assert not studies[0].output_path(tmp_path / "reports").exists()


@pytest.mark.skipif(os.name != "posix", reason="local sockets are used where the platform has them")
def test_warm_kernels_talk_over_private_local_sockets_and_clean_them_up():
    from cxlab.run.pool import WarmKernel

    kernel = WarmKernel()
    kernel.start()
    try:
        folder = Path(kernel.socket_dir)
        assert kernel.km.transport == "ipc"
        assert (folder.stat().st_mode & 0o777) == 0o700  # only this user can connect
        assert any(folder.iterdir())
        assert kernel._silent("print(6 * 7)").strip() == "42"
    finally:
        kernel.shutdown()
    assert not folder.exists()


def test_warm_kernel_keeps_its_imports_out_of_the_garbage_collectors_walks():
    """The libraries imported at warm-up are frozen: the full collection in every reset
    (and any inside a notebook) walks only what notebooks made, and stays so after resets."""
    from cxlab.run.pool import WarmKernel

    kernel = WarmKernel()
    kernel.start()
    try:
        count = "import gc; print(gc.get_freeze_count())"
        frozen = int(kernel._silent(count))
        assert frozen > 100_000  # pandas, matplotlib, statsmodels, ... at warm-up
        kernel._silent("rows = [[i] for i in range(200_000)]")
        kernel.reset()
        # (a few frozen objects, such as the old history session, are freed by the reset)
        assert kernel.restarts == 0 and int(kernel._silent(count)) > 0.99 * frozen
    finally:
        kernel.shutdown()


def test_a_researchers_own_plots_keep_showing_after_a_cxlab_chart(sandbox, monkeypatch):
    """In a real kernel with the notebook backend, as in JupyterLab: a cxlab chart neither
    switches the backend (which stopped the researcher's next plot from showing) nor changes
    the session's pandas display options or matplotlib settings."""
    import nbformat
    from nbclient import NotebookClient

    monkeypatch.setenv("CXLAB_HOME", str(sandbox))
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in (
        "import matplotlib, matplotlib.pyplot as plt, pandas as pd\n"
        "before = (matplotlib.get_backend(), pd.get_option('display.max_rows'),"
        " dict(matplotlib.rcParams))",
        "import cxlab\nfrom cxlab import report\n"
        "report.trend_chart(cxlab.open_study('cedar', '2026Q3'), 'nps')",
        "after = (matplotlib.get_backend(), pd.get_option('display.max_rows'),"
        " dict(matplotlib.rcParams))\nassert after == before, [a for a, b in zip(after, before)"
        " if a != b]",
        "plt.plot([2, 1]);",
    )]
    NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    chart, _, plot = (cell.outputs for cell in nb.cells[1:])
    assert "data:image/png" in chart[0]["data"]["text/html"]
    assert [o["output_type"] for o in plot] == ["display_data"]
    assert "image/png" in plot[0]["data"]


def test_a_study_over_its_time_limit_fails_alone_and_the_next_gets_a_working_kernel(
        tmp_path, monkeypatch):
    """Warm kernel, 3-second limit: a notebook that sleeps is interrupted; one that ignores
    the interrupt has its kernel killed; the study after them runs in a working kernel."""
    from cxlab.run.executor import run_studies
    from cxlab.run.matrix import StudySpec
    from cxlab.run.pool import TimeLimit

    monkeypatch.setenv("CXLAB_HOME", str(tmp_path))
    monkeypatch.setattr(TimeLimit, "grace", 2.0)
    (tmp_path / "notebooks").mkdir()
    write_template(tmp_path / "notebooks" / "sleepy.ipynb", """import time
if client == "slow":
    time.sleep(120)
elif client == "stubborn":
    try:
        time.sleep(120)
    except KeyboardInterrupt:
        time.sleep(120)
print("done", client)""")
    studies = [StudySpec(c, "2026Q3", "sleepy", "d", c.title(), timeout_seconds=3)
               for c in ("slow", "stubborn", "quick")]
    started = time.perf_counter()
    results = run_studies(studies, jobs=1, reports_root=tmp_path / "reports", progress=False)
    elapsed = time.perf_counter() - started
    status = {r.client: (r.status, r.error) for r in results}
    stopped = ("failed", "stopped after 0.05 minutes (the study's time limit; raise "
                         "timeout_minutes in studies.yml)")
    assert status == {"slow": stopped, "stubborn": stopped, "quick": ("ok", "")}
    assert elapsed < 90, elapsed  # not the 2 x 120 s the notebooks asked for
    out = json.loads(studies[2].output_path(tmp_path / "reports").read_text())
    assert "done quick" in "".join(out["cells"][-1]["outputs"][0]["text"])
    kept = json.loads((tmp_path / "build" / "failed" / "slow-2026Q3-sleepy.ipynb").read_text())
    assert "KeyboardInterrupt" in json.dumps(kept["cells"])
    record = json.loads((tmp_path / "reports" / "build-record.json").read_text())
    assert record["n_failed"] == 2 and "stopped after" in record["failed"][0]
    assert not list(Path(tempfile.gettempdir()).glob(f"cxlab-kernel-{os.getpid()}-*"))


# ------------------------------------------------------------------------------------------
# A section that fails (issue 17): a box in its place, the rest published, counted everywhere


@pytest.fixture(scope="module")
def broken_section(sandbox, tmp_path_factory, project_root):
    """Cedar's 2026Q3 run for real with an incentive plan lacking its 'metric' column.

    The plan is read by the department table, the incentive audit and the maturity
    evidence, whose sections fail with a KeyError (a bug, as far as the report can tell);
    every other section must still be computed and published. Beside it, Evergreen's 2026Q3
    with a single customer answer in the quarter (issue 17: a single review lost the report).
    """
    import contextlib
    import io
    import shutil

    import pandas as pd

    from cxlab.cli import main
    from cxlab.site import build_site

    root = tmp_path_factory.mktemp("broken-section")
    shutil.copytree(project_root / "notebooks", root / "notebooks")
    copy_site_sources(project_root, root)
    shutil.copytree(sandbox / "data" / "sample", root / "data" / "sample")
    plan = root / "data" / "sample" / "cedar" / "incentive_plan.parquet"
    pd.read_parquet(plan).rename(columns={"metric": "measure"}).to_parquet(plan)
    answers = root / "data" / "sample" / "evergreen" / "customer_responses.parquet"
    rows = pd.read_parquet(answers)
    in_quarter = (pd.to_datetime(rows["responded_on"]).dt.to_period("Q") == "2026Q3").to_numpy()
    keep = ~in_quarter
    keep[in_quarter.nonzero()[0][0]] = True
    rows[keep].to_parquet(answers)
    (root / "studies.yml").write_text("dataset: sample\nquarters: [2026Q3]\nclients:\n"
                                      "  cedar: {name: Cedar Health}\n"
                                      "  evergreen: {name: Evergreen Energy}\n")
    out = io.StringIO()
    with pytest.MonkeyPatch.context() as patch, contextlib.redirect_stdout(out):
        patch.setenv("CXLAB_HOME", str(root))
        code = main(["run", "--matrix", str(root / "studies.yml"), "--no-progress", "--jobs", "1"])
        site = build_site(root, use_quarto=False)
    return {"root": root, "site": site, "code": code, "out": out.getvalue()}


FAILING = ["maturity_headline", "department_summary", "departments", "incentive_audit",
           "maturity_summary", "maturity_evidence", "maturity_next_steps", "maturity_radar",
           "maturity_elements"]


def test_a_failing_section_shows_a_box_and_the_rest_of_the_report_is_published(
        broken_section, n_template_charts):
    root = broken_section["root"]
    assert broken_section["code"] == 4, broken_section["out"]  # published, sections failed
    assert "2 of 2 studies succeeded" in broken_section["out"]
    assert broken_section["out"].count("SECTION FAILED cedar 2026Q3 (quarterly_report): "
                                       "Departments and teams, ") == 2
    # The summary's maturity line fails with maturity; its findings name what they could not
    # assess and stand.
    assert "(quarterly_report): Summary, maturity_headline(): bug" in broken_section["out"]
    assert "key_findings" not in broken_section["out"]
    for call in FAILING:
        assert f"{call}(): bug, KeyError: 'metric' (at cxlab/" in broken_section["out"], call
    nb = json.loads((root / "reports" / "cedar" / "2026Q3" / "quarterly_report.ipynb")
                    .read_text())
    outputs = [o for c in nb["cells"] if c["cell_type"] == "code" for o in c["outputs"]]
    assert not [o for o in outputs if o["output_type"] == "error"]
    assert not [o for o in outputs if o["output_type"] == "stream" and o["name"] == "stderr"
                and "Traceback" in "".join(o["text"])]
    record = json.loads((root / "reports" / "build-record.json").read_text())
    assert record["n_failed"] == 0 and record["n_failed_sections"] == len(FAILING)
    study, single = record["studies"]
    assert single["client"] == "evergreen" and single["failed_sections"] == []
    assert [f["call"] for f in study["failed_sections"]] == [f"{c}()" for c in FAILING]
    assert {f["error"] for f in study["failed_sections"]} == {"KeyError: 'metric'"}
    assert [f["section"] for f in study["failed_sections"][:2]] == [
        "Summary", "Departments and teams"]
    assert study["data"]["dataset"] == "sample" and study["data"]["synthetic"] is True

    page = (broken_section["site"] / "reports" / "cedar" / "2026Q3" / "quarterly_report.html"
            ).read_text()
    assert page.count('<div class="cxlab-failed-section"') == len(FAILING)
    assert page.count("This section could not be computed:") == len(FAILING)
    assert "KeyError" not in page and "Traceback" not in page and "metric&#39;" not in page
    # Everything else is there: the scorecard, the other charts, recognition, voice, quality.
    assert page.count("<picture") == n_template_charts - 1  # the radar failed
    for heading in ("Scorecard", "Recognition", "Voice of the employee", "Data quality"):
        assert heading in page
    for name in ("index.html", "reports/index.html"):
        text = " ".join(html.unescape((broken_section["site"] / name).read_text()).split())
        assert f"{len(FAILING)} report sections could not be computed" in text, name
        assert ("Cedar Health 2026Q3: Summary (maturity_headline), Departments and teams "
                "(department_summary, departments), Incentive alignment audit "
                "(incentive_audit), Employee-experience maturity (maturity_summary, ") in text, name
        assert "fictional" in text or name != "index.html"


def test_the_failure_box_is_visible_in_a_browser(broken_section, chromium):
    page_path = (broken_section["site"] / "reports" / "cedar" / "2026Q3"
                 / "quarterly_report.html")
    page = chromium.new_page()
    page.goto(page_path.as_uri())
    boxes = page.locator(".cxlab-failed-section")
    assert boxes.count() == len(FAILING)
    first = boxes.first
    first.scroll_into_view_if_needed()
    assert first.is_visible()
    assert first.inner_text().startswith("This section could not be computed:")
    style = first.evaluate("e => { const s = getComputedStyle(e); return [s.borderTopStyle, "
                           "s.borderTopWidth, s.backgroundColor]; }")
    assert style[0] == "solid" and style[1] == "2px" and style[2] != "rgba(0, 0, 0, 0)"
    box = first.bounding_box()
    assert box["width"] > 200 and box["height"] > 20
    page.screenshot(path=str(broken_section["root"] / "failed-section.png"), full_page=False)
    page.close()


def test_a_quarter_with_a_single_customer_answer_is_published_whole(broken_section,
                                                                    n_template_charts):
    root = broken_section["root"]
    nb = json.loads((root / "reports" / "evergreen" / "2026Q3" / "quarterly_report.ipynb")
                    .read_text())
    outputs = [o for c in nb["cells"] if c["cell_type"] == "code" for o in c["outputs"]]
    assert not [o for o in outputs if o["output_type"] == "error"]
    assert "SECTION FAILED evergreen" not in broken_section["out"]
    page = (broken_section["site"] / "reports" / "evergreen" / "2026Q3"
            / "quarterly_report.html").read_text()
    assert "cxlab-failed-section" not in page
    # Every chart is drawn, the NPS trend with this quarter's single answer among them, but
    # the key drivers', which says why it is left out (too few answers for a regression).
    assert page.count("<picture") == n_template_charts - 1
    assert "No importance chart" in page and "Scorecard" in page
