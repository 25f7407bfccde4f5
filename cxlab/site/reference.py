"""The site's API reference, rendered by pdoc from the docstrings of cxlab's public modules.

pdoc needs no project of its own (unlike Sphinx), reads the Google-style docstrings as they
are written, shows their examples as code, and writes static pages with an offline search
(no CDN, no server), so the reference opens from disk like the rest of the preview. Both
renderers get it the same way: it is added to the built site after rendering, since Quarto
replaces its output folder (see :func:`with_reference`).
"""

from __future__ import annotations

import hashlib
import importlib.util
import shutil
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path

#: The modules documented: what a researcher imports (their ``__all__`` limits the pages).
MODULES = ("cxlab", "cxlab.stats", "cxlab.report", "cxlab.measures", "cxlab.periods")
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
        pdoc.render.configure(docformat="google", show_source=False, search=True,
                              template_directory=Path(templates))
        try:
            pdoc.pdoc(*MODULES, output_directory=target)
        finally:
            pdoc.render.configure()  # pdoc keeps its settings globally: leave the defaults
    return target / "index.html"


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
