import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# A fixed pseudonym key for the whole session (and the kernels it starts), so that tests never
# create a key file in the checkout's data home; tests of the key file itself unset it.
os.environ.setdefault("CXLAB_PSEUDONYM_KEY", "cxlab-test-suite-pseudonym-key")


@pytest.fixture(scope="session")
def project_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def n_template_charts() -> int:
    """How many charts the quarterly report template displays: cells calling a public
    function of ``cxlab.report.charts``."""
    import inspect

    import nbformat

    from cxlab.report import charts

    names = [n for n, f in inspect.getmembers(charts, inspect.isfunction)
             if f.__module__ == charts.__name__ and not n.startswith("_")]
    nb = nbformat.read(ROOT / "notebooks" / "quarterly_report.ipynb", as_version=4)
    return sum(any(f"report.{n}(" in c.source for n in names)
               for c in nb.cells if c.cell_type == "code")


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory) -> Path:
    """A throw-away project root (templates, site config, sample data) for end-to-end tests.

    CXLAB_HOME points the package and the kernels it starts at this directory, so tests never
    touch the checkout's own data/ or reports/.
    """
    from cxlab.data import make_sample

    root = tmp_path_factory.mktemp("project")
    shutil.copytree(ROOT / "notebooks", root / "notebooks")
    for name in ("_quarto.yml", "index.qmd", "methods.qmd", "validation.qmd", "studies.yml"):
        shutil.copy(ROOT / name, root / name)  # notebooks/ holds the getting-started page
    make_sample("sample", root=root / "data")
    return root


@pytest.fixture(scope="session")
def built_site(sandbox):
    """Two studies run through the runner and the site built from them (preview)."""
    from report_harness import cxlab_home

    from cxlab.run.executor import run_studies
    from cxlab.run.matrix import load_matrix
    from cxlab.site import build_site

    with cxlab_home(sandbox):
        studies = load_matrix(sandbox / "studies.yml").select(["cedar"], ["2026Q2", "2026Q3"])
        results = run_studies(studies, jobs=2, progress=False)
        out = build_site(sandbox, use_quarto=False)
    return {"root": sandbox, "site": out, "results": results}


@pytest.fixture(scope="session")
def generated_sample():
    """The default sample and its planted truth, generated once per test session."""
    from cxlab.data import sample

    return sample.generate()


@pytest.fixture(scope="session")
def sample_study(generated_sample):
    """Make a Study straight from the generated sample: ``sample_study(client, quarter)``."""
    from cxlab.data import sample
    from cxlab.data.store import validate_tables
    from cxlab.study import Study

    tables, _ = generated_sample
    validated = {name: res.accepted
                 for name, res in validate_tables(tables, "sample", sample.AS_OF).items()}

    def make(client: str, quarter: str = "2026Q3", settings: dict | None = None) -> Study:
        mine = {name: frame[frame["client"] == client].reset_index(drop=True)
                for name, frame in validated.items()}
        return Study(client, quarter, "sample", client.title(), mine, [], settings or {})

    return make


@pytest.fixture(scope="session")
def chromium():
    """A real headless Chromium (Debian's), driven by Playwright; skips where none is installed."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.skip("no Chromium installed (apt-get install chromium); .ci/run installs it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        yield browser
        browser.close()
