"""The site's API reference, rendered by pdoc from the docstrings of cxlab's public modules.

pdoc needs no project of its own (unlike Sphinx), reads the Google-style docstrings as they
are written, shows their examples as code, and writes static pages (no CDN, no server),
so the reference opens from disk like the rest of the preview. Both
renderers get it the same way: it is added to the built site after rendering, since Quarto
replaces its output folder (see :func:`with_reference`).
"""

from __future__ import annotations

import hashlib
import importlib.util
import re
import shutil
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path

#: The modules documented: what a researcher imports (their ``__all__`` limits the pages),
#: as the README does: the errors it names too (``CxlabError``; ``ScaleError`` is the metrics').
MODULES = ("cxlab", "cxlab.stats", "cxlab.report", "cxlab.measures", "cxlab.periods",
           "cxlab.errors", "cxlab.stats.hierarchical", "cxlab.text", "cxlab.text.mentions",
           "cxlab.recognition")
#: The reference's folder in the built site.
FOLDER = "reference"
#: The line the researchers' list on the home page gets (``reports/_for-researchers.md``).
LINK = ("- **[API reference](reference/index.html)**: every public function of `cxlab`, "
        "`cxlab.stats` and `cxlab.report` with its arguments and an example.\n")

#: Each page's navigation starts with a link back to the site (pdoc's own template otherwise).
_TEMPLATE = """{% extends "default/module.html.jinja2" %}
{% block nav_title %}
<a class="cxlab-site-link" href="{{ "../" * (module.modulename.count(".") + 1) }}index.html">
&larr; cxlab site</a>
{{ super() }}
{% endblock %}
"""

#: pdoc's look, changed where the site's checks ask: text and code at 4.5:1 contrast at least
#: (code in one dark colour), links underlined, code that wraps rather than scrolls (a phone must not scroll
#: sideways, and a scrolling box must be reachable by keyboard), and text whose long runs (a
#: table's rules of '=', an example's wide output) break anywhere rather than widen the page.
_CSS = """
.pdoc { --muted: #595f64; --link: #2c5290; --name: #00548f; --def: #006100;
        --annotation: #005c17; }
.pdoc a:not(.headerlink) { text-decoration: underline; }
.pdoc .pdoc-code span, .pdoc .signature span { color: #1f2328; }
.pdoc .attribution { opacity: 1; filter: none; color: #595f64; }
.pdoc .attr, .pdoc pre, .pdoc .param, .pdoc .return-annotation {
    overflow: visible !important; white-space: pre-wrap; overflow-wrap: anywhere; }
.pdoc pre code, .pdoc pre span { white-space: pre-wrap !important; overflow-wrap: anywhere; }
.pdoc .docstring { overflow-wrap: anywhere; }
.pdoc h2.cx-section { font-size: 1rem; margin: 1rem 0 .5rem; }
"""

#: Built references by the key of the sources they document (one pdoc run per process).
_BUILT: dict[str, Path] = {}


def sources_key() -> str:
    """A hash of cxlab's source files and pdoc's version: the reference changes with them."""
    import pdoc

    import cxlab

    digest = hashlib.sha256(pdoc.__version__.encode())
    package = Path(cxlab.__file__).parent
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def render_reference(target: Path) -> Path:
    """Render the reference of :data:`MODULES` into ``target`` (a new folder) with pdoc."""
    import pdoc
    import pdoc.render

    with tempfile.TemporaryDirectory() as templates:
        (Path(templates) / "module.html.jinja2").write_text(_TEMPLATE, encoding="utf-8")
        (Path(templates) / "custom.css").write_text(_CSS, encoding="utf-8")
        pdoc.render.configure(docformat="google", show_source=False, search=False,
                              template_directory=Path(templates))
        try:
            pdoc.pdoc(*MODULES, output_directory=target)
        finally:
            pdoc.render.configure()  # pdoc keeps its settings globally: leave the defaults
    for page in target.rglob("*.html"):
        page.write_text(accessible(page.read_text(encoding="utf-8")), encoding="utf-8")
    # The folder opens on cxlab's page itself: pdoc's index only redirects to it.
    shutil.copy(target / f"{MODULES[0]}.html", target / "index.html")
    return target / "index.html"


def accessible(page: str) -> str:
    """A page of pdoc's with what the site's accessibility check (axe) asks of every page.

    Its anchor links get a name, and the docstrings' section heads ("Args:", "Examples:")
    are second-level headings after the module's first-level one, not sixth-level ones.

    Examples:
        >>> accessible('<a class="headerlink" href="#nps"></a>')
        '<a class="headerlink" href="#nps" aria-label="Link to nps"></a>'
        >>> accessible('<h6 id="examples">Examples:</h6>')
        '<h2 class="cx-section" id="examples">Examples:</h2>'
    """
    page = re.sub(r'<a class="headerlink" href="#([^"]+)"></a>',
                  r'<a class="headerlink" href="#\1" aria-label="Link to \1"></a>', page)
    return re.sub(r"<h6( [^>]*)?>(.*?)</h6>", r'<h2 class="cx-section"\1>\2</h2>', page,
                  flags=re.S)


def write_reference(out: Path) -> Path:
    """Put the API reference into the built site ``out`` (``out/reference``); return its index.

    Rendered once per change of the sources in a process (a site build, or a test session
    building many sites) and copied; the folder is replaced whole.
    """
    key = sources_key()
    built = _BUILT.get(key)
    if built is None or not (built / "index.html").is_file():
        built = Path(tempfile.mkdtemp(prefix="cxlab-reference-")) / FOLDER
        render_reference(built)
        _BUILT[key] = built
    target = out / FOLDER
    staging = out / f".{FOLDER}-new"
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(built, staging)
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)
    return target / "index.html"


def with_reference(root: Path, render: Callable[[], Path]) -> Path:
    """Link the reference from the researchers' lines, ``render()`` the site, then add it.

    The site builder calls this around its renderer (the preview or Quarto, which replaces
    its output folder, so the reference goes in after). Only the consultancy's site has the
    researchers' lines (a client's site is built without them) and so the reference.
    Without pdoc (a base install) the site is built without it, with a warning.
    """
    if importlib.util.find_spec("pdoc") is None:  # a base install: pdoc comes with [dev]
        warnings.warn("the site is built without its API reference, which needs pdoc "
                      "(pip install 'cxlab[dev]')", stacklevel=2)
        return render()
    lines = root / "reports" / "_for-researchers.md"
    if lines.is_file() and LINK not in lines.read_text(encoding="utf-8"):
        with lines.open("a", encoding="utf-8") as handle:
            handle.write(LINK)
    out = render()
    write_reference(out)
    return out
