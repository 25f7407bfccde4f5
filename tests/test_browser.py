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
    assert page.locator("#site-nav a", has_text="Reports").count() == 1
    _check(page, served + "/reports/index.html")
    page.click("main >> text=Cedar Health, 2026Q3 >> nth=0")
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


SCREENS = ("index.html", "reports/index.html", "reports/cedar/index.html",
           "reports/cedar/2026Q3/quarterly_report.html")


@pytest.mark.parametrize("width", [1366, 390])
def test_every_page_reads_on_a_laptop_and_a_phone(served, chromium, built_site, width):
    """No page scrolls sideways, axe-core finds nothing, and screenshots are kept for people
    to look at (build/screens/)."""
    from axe_playwright_python.sync_playwright import Axe

    site = built_site["site"]
    shots = served_screenshot_path().parent / "screens"
    shots.mkdir(exist_ok=True)
    page = chromium.new_page(viewport={"width": width, "height": 900})
    axe, problems = Axe(), []
    for path in sorted(site.rglob("*.html")):
        rel = path.relative_to(site).as_posix()
        page.goto(f"{served}/{rel}")
        wide = page.evaluate("document.documentElement.scrollWidth")
        if wide > width:
            problems.append(f"{rel}: the page scrolls sideways ({wide} px wide)")
        if rel.endswith("quarterly_report.html"):  # every report: contents and summary
            for part in ("nav.toc", "h2#Summary", ".cx-kpi", "a[href$='quarterly_report.xlsx']"):
                if not page.locator(part).count():
                    problems.append(f"{rel}: no {part}")
        for v in axe.run(page).response["violations"]:
            problems.append(f"{rel}: axe {v['id']} on {len(v['nodes'])} element(s), e.g. "
                            f"{v['nodes'][0]['html'][:100]}")
        page.screenshot(path=str(shots / f"{rel.replace('/', '_')[:-5]}-{width}.png"),
                        full_page=rel in SCREENS)
    page.close()
    assert not problems, "\n".join(problems)


def test_a_report_on_a_phone_folds_its_menu_and_contents(served, chromium):
    page = chromium.new_page(viewport={"width": 390, "height": 800})
    page.goto(f"{served}/reports/cedar/2026Q3/quarterly_report.html")
    assert not page.is_visible("#site-nav")
    assert page.evaluate("document.querySelector('details.toc-box').open") is False
    page.click(".nav-toggle")
    assert page.is_visible("#site-nav")
    page.click(".toc-box summary")
    page.click(".toc a >> text=Key drivers")
    assert page.url.endswith("#Key-drivers")
    page.click("a[rel=prev] >> nth=0")
    page.wait_for_load_state()
    assert page.url.endswith("/reports/cedar/2026Q2/quarterly_report.html")
    page.close()
    wide = chromium.new_page(viewport={"width": 1366, "height": 900})
    wide.goto(f"{served}/reports/cedar/2026Q3/quarterly_report.html")
    assert wide.is_visible("#site-nav a >> text=Methods")
    assert wide.evaluate("document.querySelector('details.toc-box').open") is True
    wide.close()


def test_search_works_from_disk_without_a_server(built_site, chromium):
    """Opened as files (file://), as a reader given the folder would: the index loads."""
    page = chromium.new_page(viewport={"width": 1366, "height": 900})
    page.goto((built_site["site"] / "index.html").as_uri())
    page.fill("#cx-search", "cedar key drivers")
    results = page.locator("#cx-search-results a")
    # First the two quarters' reports, at their key-driver section (the home page, which
    # names Cedar and key drivers, may follow).
    texts = [results.nth(i).inner_text() for i in range(results.count())]
    assert texts[:2] == ["Cedar Health: 2026Q3 › Key drivers", "Cedar Health: 2026Q2 › Key drivers"]
    assert all("Cedar" not in t or "Key drivers" in t for t in texts[2:])
    results.nth(0).click()
    page.wait_for_load_state()
    assert page.url.endswith("reports/cedar/2026Q3/quarterly_report.html#Key-drivers")
    page.fill("#cx-search", "zzzz-nothing")
    assert page.inner_text("#cx-search-results") == "No page matches."
    page.close()


def test_a_result_found_in_a_sections_text_opens_at_that_section(built_site, chromium):
    """No heading names the words: the link still opens where they are, not the page's top."""
    page = chromium.new_page(viewport={"width": 390, "height": 800})
    page.goto((built_site["site"] / "index.html").as_uri())
    page.click(".nav-toggle")  # on a phone the search is in the folded menu
    page.fill("#cx-search", "cedar benjamini-hochberg flags")
    first = page.locator("#cx-search-results a").nth(0)
    assert first.inner_text() == "Cedar Health: 2026Q3 › Departments and teams"
    first.click()
    page.wait_for_load_state()
    assert page.url.endswith("#Departments-and-teams")
    assert page.evaluate("window.scrollY") > 1000
    # A heading named by the telling words, not by "the" (which most headings have); and
    # the report's last sections are in the index too.
    page.goto((built_site["site"] / "index.html").as_uri())
    page.click(".nav-toggle")
    for query, section in (("closing the loop", "Closing the loop"),
                           ("voice of the employee", "Voice of the employee"),
                           ("cedar data quality rejected", "Data quality")):
        page.fill("#cx-search", query)
        first = page.locator("#cx-search-results a").nth(0).inner_text()
        assert first == f"Cedar Health: 2026Q3 › {section}", (query, first)
    page.close()


def test_search_results_quote_their_section_and_answer_the_keyboard(built_site, chromium):
    """Each result shows a snippet from its own section with the words marked; the arrow
    keys, Enter, Escape and Tab move through the results; axe finds nothing with them open."""
    from axe_playwright_python.sync_playwright import Axe

    page = chromium.new_page(viewport={"width": 1366, "height": 900})
    page.goto((built_site["site"] / "index.html").as_uri())
    page.focus("#cx-search")
    page.keyboard.type("key drivers")
    links = page.locator("#cx-search-results a")
    assert links.count() >= 3
    assert "matching pages listed" in page.inner_text("#cx-search-status")
    for i in range(links.count()):
        described = links.nth(i).get_attribute("aria-describedby")
        snippet = page.locator(f"#{described}")
        marks = [m.lower() for m in snippet.locator("mark").all_inner_texts()]
        assert marks and set(marks) <= {"key", "drivers"}, marks
        # The words around the marks are the page's own text, from the section linked.
        quoted = snippet.inner_text().strip("… ")
        at = page.evaluate("""([href, quoted]) => {
            const p = window.CXLAB_SEARCH.find(p => href.includes(p.href));
            const s = p.sections.find(s => href.endsWith('#' + s.id));
            return [p.text.indexOf(quoted), s ? s.at : 0];
        }""", [links.nth(i).get_attribute("href"), quoted])
        assert at[0] >= at[1] >= 0, (quoted[:60], at)
    assert Axe().run(page).response["violations"] == []  # with the results open

    def focused() -> str:
        return page.evaluate("document.activeElement.id || document.activeElement.textContent")

    first, second = links.nth(0).inner_text(), links.nth(1).inner_text()
    page.keyboard.press("ArrowDown")
    assert focused() == first
    page.keyboard.press("ArrowDown")
    assert focused() == second
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowUp")
    assert focused() == "cx-search"  # up from the first result: back in the box
    page.keyboard.press("Tab")
    assert focused() == first  # Tab reaches the results too
    page.keyboard.press("End")
    assert focused() == links.last.inner_text()
    page.keyboard.press("Escape")
    assert focused() == "cx-search" and not page.is_visible("#cx-search-results")
    page.keyboard.press("ArrowDown")  # opens them again, at the first
    page.keyboard.press("ArrowDown")
    assert focused() == second
    page.keyboard.press("Enter")
    page.wait_for_url("**/reports/cedar/2026Q2/quarterly_report.html#Key-drivers")
    page.goto((built_site["site"] / "index.html").as_uri())
    page.fill("#cx-search", "cedar key drivers")
    page.press("#cx-search", "Enter")  # in the box: the first result
    page.wait_for_url("**/reports/cedar/2026Q3/quarterly_report.html#Key-drivers")
    page.close()


def test_reports_print_to_pdf_with_the_print_stylesheet(built_site, tmp_path, chromium):
    from cxlab.site import build_site

    out = build_site(built_site["root"], use_quarto=False, out=tmp_path / "site", pdf=True)
    pdf = (out / "reports/cedar/2026Q3/quarterly_report.pdf").read_bytes()
    assert pdf.startswith(b"%PDF-")
    pages = pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages")
    assert pages >= 5, f"a whole report should fill several pages, got {pages}"
    # The widest tables (employees, engagement by team) print on landscape pages.
    portrait, landscape = pdf.count(b"/MediaBox [0 0 612 792]"), pdf.count(b"/MediaBox [0 0 792 612]")
    assert portrait + landscape == pages and portrait > landscape > 0, (portrait, landscape)
    page = (out / "reports/cedar/2026Q3/quarterly_report.html").read_text(encoding="utf-8")
    assert 'href="quarterly_report.pdf"' in page
    assert not (out / "index.pdf").exists()  # reports only


#: What must fit a printed page's width: tables, charts, the summary's tiles.
PRINTED = "table, img, svg, .cx-kpi"


def _sticking_out(page, width: int, selector: str) -> list[str]:
    """The elements matching ``selector`` whose right edge passes ``width`` (CSS px)."""
    return page.evaluate("""([sel, width]) => [...document.querySelectorAll(sel)]
        .filter(e => e.getBoundingClientRect().width > 0
                     && e.getBoundingClientRect().right > width + 0.5)
        .map(e => `${e.tagName} ${Math.round(e.getBoundingClientRect().right)} px: `
                  + (e.querySelector('caption') || e).textContent.trim().slice(0, 60)
                  + (e.getAttribute('alt') || ''))""", [selector, width])


def test_every_table_fits_the_printed_page(built_site, chromium):
    """In print media, at the printed page's text width, nothing is cut at the right edge.

    Tables marked for a landscape page are measured at its width; the rest at portrait
    width. Charts are short enough that two fit a page, and neither they nor the summary's
    tiles are split over pages.
    """
    from cxlab.site import PRINT_LANDSCAPE_PX, PRINT_PORTRAIT_PX

    reports = sorted((built_site["site"] / "reports").rglob("quarterly_report.html"))
    assert len(reports) == 2
    problems, wide_tables = [], 0
    for width in (PRINT_PORTRAIT_PX, PRINT_LANDSCAPE_PX):
        page = chromium.new_page(viewport={"width": width, "height": 1000})
        page.emulate_media(media="print")
        for report in reports:
            page.goto(report.as_uri())
            assert page.evaluate("matchMedia('print').matches")
            if width == PRINT_PORTRAIT_PX:
                narrow = ", ".join(f":not(.cx-print-wide) > {s}" if s == "table" else s
                                   for s in PRINTED.split(", "))
                out = _sticking_out(page, width, narrow)
                wide_tables += page.locator(".cx-print-wide > table").count()
                tall = page.evaluate("""() => [...document.querySelectorAll('img')]
                    .filter(i => i.getBoundingClientRect().height > 0.35 * 1032)
                    .map(i => i.alt)""")  # 1032 px: A4's height within its margins
                problems += [f"{report.parent.name}: chart taller than a third of a page: {t}"
                             for t in tall]
                whole = page.evaluate("""() => [...document.querySelectorAll(
                    'img.cxlab-chart, .cx-kpi-tile, .cx-table:not(.cx-print-long) table')]
                    .filter(e => getComputedStyle(e).breakInside !== 'avoid').length""")
                if whole:
                    problems.append(f"{report.parent.name}: {whole} charts, tiles or short "
                                    "tables may be split over two pages")
            else:
                out = _sticking_out(page, width, ".cx-print-wide > table")
            problems += [f"{report.parent.name} at {width} px: {o}" for o in out]
        page.close()
    assert wide_tables >= 4, "the employees and engagement tables print on landscape pages"
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("width", [1366, 390])
def test_a_clients_page_charts_read_at_the_width_shown(served, chromium, width):
    """The headline charts load, fit the screen, and their smallest type reads at 11 px or
    more at the width they are shown (the SVG scales with its box)."""
    from cxlab.site.trend import FONT_PT

    page = chromium.new_page(viewport={"width": width, "height": 900})
    page.goto(f"{served}/reports/cedar/index.html")
    charts = page.eval_on_selector_all("img.cx-trend", """imgs => imgs.map(i => ({
        shown: i.getBoundingClientRect().width, right: i.getBoundingClientRect().right,
        natural: i.naturalWidth, alt: i.alt}))""")
    page.close()
    # Every headline measure cedar's two reports both measured (seven), two quarters each.
    assert len(charts) == 7
    for chart in charts:
        assert chart["natural"] > 0 and chart["right"] <= width
        smallest = FONT_PT * 96 / 72 * chart["shown"] / chart["natural"]
        assert smallest >= 11, (chart["alt"][:40], round(smallest, 1))
        assert "2026Q2" in chart["alt"] and "2026Q3" in chart["alt"]
