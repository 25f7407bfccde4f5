"""A report on hostile data, run for real and read in Chromium: nothing injected comes alive.

Every text column of every table and the client's name and settings carry payloads (HTML tags
with event handlers, ``javascript:`` links, Markdown links and images, maths, shortcodes,
IPython magics). The study runs in a real kernel, the site is built, and every page is opened
in a real browser that records any dialog and counts injected elements.
"""

import functools
import http.server
import shutil
import threading

import pytest
from report_harness import copy_site_sources
from test_markup import PAYLOADS
from test_publish_safety import KEY_COLUMNS

pytestmark = pytest.mark.slow
CLIENT_NAME = 'Acme <img src=x onerror="alert(42)"> [x](javascript:alert(1)) {{< meta x >}}'
#: Elements or attributes only a payload could have put on a page.
#: Elements a payload would make. The site's own two scripts (the menu and search, and the
#: search index), loaded from files beside the pages, are the only scripts a page may hold.
INJECTED = ('img[src="x"], img[src^="http://tracker"], '
            'script:not([src$="cxlab.js"]):not([src$="search-index.js"]), iframe, [onerror], '
            '[onmouseover], [onload], a[href^="javascript:"], b')


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory, project_root):
    import os

    from cxlab.data import sample
    from cxlab.data.schema import TABLES
    from cxlab.data.store import dataset_dir, validate_tables, write_dataset
    from cxlab.run.executor import run_studies
    from cxlab.run.matrix import load_matrix
    from cxlab.site import build_site

    root = tmp_path_factory.mktemp("hostile")
    shutil.copytree(project_root / "notebooks", root / "notebooks")
    copy_site_sources(project_root, root)
    tables, _ = sample.generate()
    mapping: dict[str, str] = {}

    def plant(value):
        if isinstance(value, str) and value not in mapping:
            mapping[value] = f"{value} {PAYLOADS[len(mapping) % len(PAYLOADS)]}"
        return mapping.get(value, value)

    planted = {}
    for name, frame in tables.items():
        frame = frame[frame["client"] == "cedar"].copy()
        for column in TABLES[name].columns:
            if (column.dtype == "str" and column.allowed is None and column.name not in KEY_COLUMNS
                    and column.name in frame):
                frame[column.name] = frame[column.name].map(plant)
        planted[name] = frame
    results = validate_tables(planted, "hostile", sample.AS_OF)
    write_dataset(results, dataset_dir("hostile", root / "data"),
                  {"client_names": {"cedar": CLIENT_NAME}})
    (root / "studies.yml").write_text(
        "dataset: hostile\nquarters: [2026Q3]\nclients:\n  cedar:\n"
        f"    name: '{CLIENT_NAME}'\n"
        "    settings:\n      quote_comments: true\n      three_statements:\n"
        "        - {label: '<b onmouseover=alert(3)>Fixed</b> [it](javascript:alert(4))', "
        "phrases: [first time]}\n"
        "        - {label: 'Know me $x$ {{< include x >}}', phrases: [know me]}\n"
        "        - {label: \"%%bash\", phrases: [easy]}\n")
    old = os.environ.get("CXLAB_HOME")
    os.environ["CXLAB_HOME"] = str(root)
    try:
        studies = load_matrix(root / "studies.yml").studies
        outcome = run_studies(list(studies), jobs=1, progress=False)
        site = build_site(root, use_quarto=False, client="cedar")
    finally:
        if old is None:
            os.environ.pop("CXLAB_HOME")
        else:
            os.environ["CXLAB_HOME"] = old
    assert [r.status for r in outcome] == ["ok"], outcome
    return site


def test_no_payload_comes_alive_on_any_page(hostile_site, chromium):
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(hostile_site))
    handler.log_message = lambda *a, **k: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        page = chromium.new_page()
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        pages = sorted(p.relative_to(hostile_site).as_posix() for p in hostile_site.rglob("*.html"))
        assert "reports/cedar/2026Q3/quarterly_report.html" in pages
        for rel in pages:
            page.goto(f"{base}/{rel}")
            page.wait_for_load_state("load")
            page.mouse.move(200, 300)
            injected = page.eval_on_selector_all(INJECTED, "els => els.map(e => e.outerHTML)")
            assert injected == [], (rel, injected[:3])
        page.goto(f"{base}/reports/cedar/2026Q3/quarterly_report.html")
        text = page.inner_text("body")
        # The payloads are on the page as text, so the escaping is really exercised.
        assert 'onerror="alert(42)"' in text and "javascript:alert(1)" in text
        # Search quotes the pages' text around the words typed: as text too.
        page.fill("#cx-search", "onerror")
        snippets = page.locator("#cx-search-results .cx-snippet")
        assert snippets.count() >= 1 and "onerror" in snippets.first.inner_text()
        page.mouse.move(1200, 60)
        injected = page.eval_on_selector_all(INJECTED, "els => els.map(e => e.outerHTML)")
        assert injected == [], injected[:3]
        assert dialogs == []
    finally:
        server.shutdown()
