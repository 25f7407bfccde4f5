"""The site's API reference (pdoc): built with the site, from the docstrings, offline."""

import re
from pathlib import Path

from report_harness import copy_site_sources

from cxlab.site import build_site
from cxlab.site.reference import FOLDER, LINK, with_reference

ROOT = Path(__file__).resolve().parent.parent


def test_the_site_holds_the_reference_with_examples_linked_from_home(tmp_path):
    copy_site_sources(ROOT, tmp_path)
    out = build_site(tmp_path, use_quarto=False)
    reference = out / FOLDER
    assert (reference / "index.html").is_file()
    top = (reference / "cxlab.html").read_text()
    # Functions exported lazily from cxlab appear, with their docstring's example and output.
    for name in ("nps", "grouped", "kish_n", "open_study"):
        assert f'id="{name}"' in top, name
    kish = top[top.index('id="kish_n"'):]
    kish = kish[:kish.index("<section", 1)]  # up to the next function
    assert "Kish" in kish and "kish_n</span><span class=\"p\">(" in kish and "3.6" in kish
    assert "&gt;&gt;&gt;" in top  # examples shown as console sessions
    stats = (reference / "cxlab" / "stats.html").read_text()
    assert 'id="shrink_rates"' in stats and "shrunk" in stats
    assert 'id="trend_chart"' in (reference / "cxlab" / "report.html").read_text()
    for module in ("errors", "measures", "periods", "stats/hierarchical", "text/mentions",
                   "recognition"):  # what the README imports (issue 21)
        assert (reference / "cxlab" / f"{module}.html").is_file(), module
    assert "ScaleError" in (reference / "cxlab" / "errors.html").read_text()
    # Offline: nothing loaded from elsewhere; each page links back to the site. What the
    # site's browser test (axe, on every page) asked of pdoc's pages: named anchor links,
    # no sixth-level headings under a first-level one, no page that only redirects.
    for page in (top, stats):
        assert not re.search(r'<(script|link|img)[^>]+(src|href)="(https?:)?//', page)
        assert not re.search(r"<a (?![^>]*aria-label)[^>]*></a>", page)  # an empty, unnamed link
        assert "<h6" not in page and '<h2 class="cx-section" id="examples">Examples:</h2>' in page
    assert (reference / "index.html").read_text() == top
    assert ">Iterable<" in stats and "_NestedSequence" not in stats  # hints read as written
    assert 'href="../../index.html">' in stats and 'href="../index.html">' in top
    home = (out / "index.html").read_text()
    assert 'href="reference/index.html"' in home
    started = (out / "notebooks" / "getting_started.html").read_text()
    assert 'href="../reference/index.html"' in started  # and it resolves:
    assert (out / "notebooks" / ".." / "reference" / "index.html").is_file()


def test_the_reference_goes_in_after_a_renderer_that_replaces_its_folder(tmp_path):
    """Quarto empties its output folder: the reference must be added after it renders."""
    (tmp_path / "reports").mkdir()
    lines = tmp_path / "reports" / "_for-researchers.md"
    lines.write_text("- **[Getting started](notebooks/getting_started.ipynb)**\n")
    out = tmp_path / "_site"

    def quarto_like():
        assert LINK in lines.read_text()  # the home page's line is written before rendering
        out.mkdir()
        (out / "index.html").write_text("home")
        return out

    assert with_reference(tmp_path, quarto_like) == out
    assert (out / FOLDER / "cxlab" / "stats.html").is_file()
    with_reference(tmp_path, lambda: out)  # a second build links once and replaces the folder
    assert lines.read_text().count(LINK) == 1
    assert not list(out.glob(".reference-new"))


def test_without_pdoc_the_site_is_built_without_the_reference_and_says_so(tmp_path, monkeypatch):
    import importlib.util

    import pytest

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "pdoc" else real(name, *a))
    (tmp_path / "reports").mkdir()
    lines = tmp_path / "reports" / "_for-researchers.md"
    lines.write_text("")
    with pytest.warns(UserWarning, match="without its API reference"):
        out = with_reference(tmp_path, lambda: tmp_path)
    assert out == tmp_path and not (tmp_path / FOLDER).exists() and lines.read_text() == ""
