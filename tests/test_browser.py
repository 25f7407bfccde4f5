"""The built site in a real headless Chromium: pages render, charts load, links work."""

import functools
import http.server
import threading

import pytest

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def served(built_site):
    handler = functools.partial(http.server.SimpleHTTPRequestHandler,
                                directory=str(built_site["site"]))
    handler.log_message = lambda *a, **k: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def page(chromium):
    page = chromium.new_page()
    yield page
    page.close()


def _check(page, url):
    failed = []
    page.on("requestfailed", lambda r: failed.append(r.url))
    response = page.goto(url)
    assert response.status == 200, url
    broken = page.eval_on_selector_all(
        "img", "imgs => imgs.filter(i => !(i.complete && i.naturalWidth > 0)).length")
    assert broken == 0, f"{url}: {broken} images did not load"
    assert not failed, f"{url}: failed requests {failed}"
    links = page.eval_on_selector_all(
        "a[href]", "as => as.map(a => a.href).filter(h => h.startsWith(location.origin))")
    for link in links:
        status = page.request.get(link.split("#")[0]).status
        assert status == 200, f"{url}: link {link} answers {status}"
    return page


def test_index_and_report_render_with_charts(served, page, n_template_charts):
    _check(page, served + "/index.html")
    assert page.locator("nav a", has_text="Reports").count() == 1
    _check(page, served + "/reports/index.html")
    page.click("text=Quarterly report >> nth=0")
    page.wait_for_load_state()
    assert "/reports/cedar/2026Q3/quarterly_report.html" in page.url
    _check(page, page.url)
    assert page.locator("h1.title").inner_text() == "Cedar Health: 2026Q3"
    charts = page.eval_on_selector_all("img", "imgs => imgs.map(i => i.naturalWidth)")
    assert len(charts) == n_template_charts and min(charts) > 300
    assert page.locator("table").count() >= 3
    page.screenshot(path=str(served_screenshot_path()), full_page=True)


def served_screenshot_path():
    from pathlib import Path

    out = Path(__file__).resolve().parent.parent / "build"
    out.mkdir(exist_ok=True)
    return out / "report-screenshot.png"
