"""Build the website of findings: Quarto when installed, a static preview otherwise.

Both read the same ``_quarto.yml``: the page list (``project.render``, globs allowed), the
output directory, the title and the navbar. The preview renders Markdown pages with pandoc
(pypandoc-binary) and executed notebooks with nbconvert, code hidden, images embedded.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import yaml

from cxlab import config
from cxlab.fsutil import building_dir

PAGE_SUFFIXES = (".qmd", ".md", ".ipynb")
_FRONT = re.compile(r"\A---\s*\n(.*?)\n---\s*(?:\n|\Z)", re.S)
_LOCAL_LINK = re.compile(r'(href|src)="(?![a-z][a-z0-9+.-]*:|#|/)([^"#?]+?)\.(qmd|md|ipynb)([#?][^"]*)?"')
ASSETS = Path(__file__).parent


def load_site_config(root: Path) -> dict:
    """Read ``_quarto.yml`` and check the parts the preview relies on."""
    path = root / "_quarto.yml"
    doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    project = doc.get("project", {})
    if project.get("type") != "website" or not project.get("render"):
        raise ValueError(f"{path}: expected project.type 'website' and a project.render list")
    return doc


def write_reports_index(root: Path, client: str | None = None) -> Path:
    """Generate ``reports/index.qmd``: every executed report (of ``client`` only, if given).

    Client names come from the reports' metadata, that is from ``studies.yml``: they are
    escaped like any other data (see :mod:`cxlab.markup`).
    """
    from cxlab.markup import escape

    reports = root / "reports"
    entries: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for nb_path in report_notebooks(reports, client):
        try:
            meta = json.loads(nb_path.read_text(encoding="utf-8"))["metadata"].get("cxlab", {})
        except (ValueError, KeyError, TypeError, AttributeError):
            raise ValueError(f"{nb_path.relative_to(root)}: not a readable executed notebook "
                             "(damaged or cut "
                             "short?); run its study again with `cxlab run --force` or remove "
                             "it") from None
        slug, quarter = nb_path.parent.parent.name, nb_path.parent.name
        name = meta.get("client_name") or slug
        label = nb_path.stem.replace("_", " ").capitalize()
        entries.setdefault((name, slug), []).append(
            (quarter, f"[{label}]({nb_path.relative_to(reports).as_posix()})"))
    lines = ["---", 'title: "Reports"', "---", ""]
    if not entries:
        lines.append("No reports yet: run `cxlab run` to execute the studies.")
    else:
        n = sum(len(v) for v in entries.values())
        lines.append(f"{n} reports for {len(entries)} client{'s' if len(entries) != 1 else ''}, "
                     "newest quarter first.")
    failed = failed_studies(reports, client)
    if failed:
        lines.append(f"\n**{len(failed)} stud{'y' if len(failed) == 1 else 'ies'} failed when "
                     "last run** and show their previous report, if any: "
                     + ", ".join(escape(f) for f in failed) + ".")
    for (name, _client), items in sorted(entries.items()):
        lines += ["", f"## {escape(name)}", "", "| Quarter | Report |", "|---|---|"]
        lines += [f"| {q} | {link} |" for q, link in sorted(items, reverse=True)]
    path = reports / "index.qmd"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def report_notebooks(reports: Path, client: str | None = None) -> list[Path]:
    """The executed reports under ``reports/`` (``<client>/<quarter>/<template>.ipynb``)."""
    pattern = f"{config.check_slug(client, 'client')}/*/*.ipynb" if client else "*/*/*.ipynb"
    return sorted(reports.glob(pattern))


def failed_studies(reports: Path, client: str | None = None) -> list[str]:
    """``"client quarter"`` of each study whose latest run failed, from the build record."""
    record = reports / "build-record.json"
    if not record.is_file():
        return []
    studies = json.loads(record.read_text(encoding="utf-8")).get("studies", [])
    return [f"{s['client']} {s['quarter']}" for s in studies
            if s.get("status") == "failed" and (client is None or s.get("client") == client)]


def write_maturity_page(root: Path) -> Path:
    """Generate ``reports/maturity-model.qmd`` from the model in the package (one source)."""
    from cxlab.maturity.model import model_markdown

    path = root / "reports" / "maturity-model.qmd"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(model_markdown() + "\n", encoding="utf-8")
    return path


def page_sources(root: Path, site_config: dict) -> list[Path]:
    """Every page the site renders, in ``project.render`` order (globs expanded)."""
    pages: list[Path] = []
    for pattern in site_config["project"]["render"]:
        matches = sorted(root.glob(pattern)) if any(c in pattern for c in "*?[") else [root / pattern]
        for page in matches:
            if page.suffix not in PAGE_SUFFIXES:
                raise ValueError(f"_quarto.yml: cannot render {page} (expected {PAGE_SUFFIXES})")
            if not page.is_file():
                raise FileNotFoundError(f"_quarto.yml lists {pattern!r} but {page} does not exist")
            if page not in pages:
                pages.append(page)
    return pages


def build_site(root: Path | None = None, use_quarto: bool | None = None,
               client: str | None = None, out: Path | None = None) -> Path:
    """Render the site and return its directory.

    Args:
        root: Project root holding ``_quarto.yml`` (default: the project root).
        use_quarto: True forces Quarto, False forces the preview; None uses Quarto when the
            ``quarto`` command is on PATH.
        client: Build a site for this client alone, to hand to that client: the shared pages
            (home, methods, maturity model) and its own reports, and no page, link, image or
            file of any other client. None builds the consultancy's site of all clients.
        out: Where to write it. Default: ``project.output-dir`` (``_site``) for all clients,
            ``_sites/<client>`` for one.
    """
    root = root or config.project_root()
    site_config = load_site_config(root)
    if use_quarto is None:
        use_quarto = shutil.which("quarto") is not None
    if client is not None:
        config.check_slug(client, "client")
        out = out or root / "_sites" / client
        return _build_client_site(root, site_config, client, Path(out), use_quarto)
    write_reports_index(root)
    write_maturity_page(root)
    out = out or root / site_config["project"].get("output-dir", "_site")
    return _render(root, site_config, Path(out), use_quarto, ALL_CLIENTS)


#: Written into every site cxlab builds: a folder holding it may be replaced by a new build.
SITE_MARKER = ".cxlab-site"


#: What the marker says of a site holding every client.
ALL_CLIENTS = "all clients"


def check_output_dir(out: Path, allowed: tuple[Path, ...] = (), site_for: str = ALL_CLIENTS
                     ) -> None:
    """Refuse to replace a folder that is not a site cxlab built (``--out ~`` must not wipe).

    An absent or empty folder, one holding ``SITE_MARKER`` of a site for the same client (or
    for all clients), or one of ``allowed`` (the project's own site folders, which older
    versions built without the marker) may go. Another client's site may not: building
    one client's site over another's would silently lose it.
    """
    if not out.exists():
        return
    if not out.is_dir():
        raise ValueError(f"cannot build the site into {out}: it is a file, not a folder")
    marker = out / SITE_MARKER
    if marker.is_file():
        built_for = marker.read_text(encoding="utf-8", errors="replace").partition(":")[2].strip()
        if built_for and built_for != site_for:
            raise ValueError(f"will not build the site into {out}: it holds the site for "
                             f"{built_for}, and this one is for {site_for}; choose another "
                             "folder")
        return
    if out.resolve() in {a.resolve() for a in allowed}:
        return
    if any(out.iterdir()):
        raise ValueError(f"will not build the site into {out}: the folder holds files that "
                         f"cxlab did not make (no {SITE_MARKER} in it), and building replaces "
                         "the whole folder; choose a new or empty folder")


def _render(root: Path, site_config: dict, out: Path, use_quarto: bool, site_for: str,
            allowed: tuple[Path, ...] = ()) -> Path:
    default_out = root / site_config["project"].get("output-dir", "_site")
    check_output_dir(out, (*allowed, default_out), site_for)
    if not use_quarto:
        return build_preview(root, site_config, out, site_for)
    subprocess.run(["quarto", "render"], cwd=root, check=True)
    (default_out / SITE_MARKER).write_text(f"cxlab site for: {site_for}\n", encoding="utf-8")
    if out.resolve() != default_out.resolve():
        with building_dir(out) as tmp:
            shutil.copytree(default_out, tmp, dirs_exist_ok=True)
    return out


def _build_client_site(root: Path, site_config: dict, client: str, out: Path,
                       use_quarto: bool) -> Path:
    """Stage the shared pages and one client's reports in a folder of their own, render it.

    Nothing of another client is copied into the stage, so nothing of theirs can reach the
    site, whatever the renderer links, indexes or copies along.
    """
    check_output_dir(out, (root / "_sites" / client,), client)  # before any work
    reports = root / "reports"
    if not report_notebooks(reports, client):
        raise FileNotFoundError(f"no reports for client {client!r} under {reports}: run "
                                f"`cxlab run --client {client}` first")
    _remove_stale_stages(root)
    stage = Path(tempfile.mkdtemp(prefix=f"{STAGE_PREFIX}{os.getpid()}-{client}-", dir=root))
    try:
        # The hand-written pages; everything under reports/ is the client's or made afresh.
        render = site_config["project"]["render"]
        shared = {"project": {"render": [p for p in render if not p.startswith("reports/")]}}
        for page in page_sources(root, shared):
            rel = page.relative_to(root)
            (stage / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(page, stage / rel)
        shutil.copytree(reports / client, stage / "reports" / client)
        record = reports / "build-record.json"
        if record.is_file():
            _write_client_record(record, stage / "reports" / "build-record.json", client)
        write_reports_index(stage, client)
        write_maturity_page(stage)
        staged = {**site_config, "project": {**site_config["project"], "output-dir": "_site"}}
        (stage / "_quarto.yml").write_text(yaml.safe_dump(staged, sort_keys=False),
                                           encoding="utf-8")
        _render(stage, staged, out, use_quarto, client, allowed=(root / "_sites" / client,))
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return out


#: A client's site is staged in ``<root>/.cxlab-site-<PID>-<client>-<random>``.
STAGE_PREFIX = ".cxlab-site-"


def _remove_stale_stages(root: Path) -> None:
    """Remove staging folders of builds that were killed: they hold copies of reports."""
    from cxlab.run import process_alive

    for stage in root.glob(STAGE_PREFIX + "*"):
        pid = stage.name[len(STAGE_PREFIX):].split("-", 1)[0]
        if stage.is_dir() and pid.isdigit() and not process_alive(int(pid)):
            shutil.rmtree(stage, ignore_errors=True)


def _write_client_record(source: Path, target: Path, client: str) -> None:
    """One client's studies of the build record, and nothing else of it (others' errors)."""
    studies = json.loads(source.read_text(encoding="utf-8")).get("studies", [])
    mine = [s for s in studies if s.get("client") == client]
    target.write_text(json.dumps({"studies": mine}), encoding="utf-8")


def build_preview(root: Path, site_config: dict, out: Path, site_for: str = ALL_CLIENTS
                  ) -> Path:
    """The static preview: every page as HTML with the navbar, written atomically."""
    from jinja2 import Template

    template = Template((ASSETS / "page.html").read_text(encoding="utf-8"))
    website = site_config.get("website", {})
    nav = website.get("navbar", {}).get("left", [])
    with building_dir(out) as tmp:
        (tmp / SITE_MARKER).write_text(f"cxlab site for: {site_for}\n", encoding="utf-8")
        shutil.copy(ASSETS / "style.css", tmp / "cxlab.css")
        for source in page_sources(root, site_config):
            rel = source.relative_to(root)
            meta, body = render_page(source)
            depth = len(rel.parts) - 1
            prefix = "../" * depth
            page_html = template.render(
                site_title=website.get("title", "cxlab"),
                # Front matter is Markdown (Quarto renders it so): data in it is escaped as
                # character references, which the template escapes again for HTML.
                title=html.unescape(str(meta.get("title", rel.stem))),
                subtitle=html.unescape(str(meta.get("subtitle", ""))),
                body=_fix_links(body),
                nav=[{"text": item.get("text", item["href"]),
                      "href": prefix + _html_name(item["href"]),
                      "active": _html_name(item["href"]) == _html_name(rel.as_posix())}
                     for item in nav],
                css=prefix + "cxlab.css", home=prefix + "index.html",
                footer=website.get("page-footer", ""),
            )
            target = tmp / rel.with_suffix(".html")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(page_html, encoding="utf-8")
    return out


def front_matter(text: str) -> tuple[dict, str]:
    """Split a page into its YAML front matter (``---`` block at the top) and the rest."""
    match = _FRONT.match(text)
    if not match:
        return {}, text
    return yaml.safe_load(match.group(1)) or {}, text[match.end():]


def render_page(source: Path) -> tuple[dict, str]:
    """Front matter and HTML body of one page (Markdown or executed notebook)."""
    if source.suffix == ".ipynb":
        return _render_notebook(source)
    import pypandoc

    meta, body = front_matter(source.read_text(encoding="utf-8"))
    return meta, pypandoc.convert_text(body, "html5", format="markdown", extra_args=["--mathml"])


def _render_notebook(source: Path) -> tuple[dict, str]:
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(source, as_version=4)
    meta = front_matter(nb.cells[0].source)[0] if nb.cells and nb.cells[0].cell_type == "raw" else {}
    exporter = HTMLExporter(template_name="basic", exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True, exclude_raw=True)
    body, _ = exporter.from_notebook_node(nb)
    return meta, body


def _html_name(href: str) -> str:
    stem, dot, suffix = href.rpartition(".")
    return f"{stem}.html" if dot and "." + suffix in PAGE_SUFFIXES else href


def _fix_links(body: str) -> str:
    """Point links at source pages (``.qmd``, ``.ipynb``) to their rendered ``.html``."""
    return _LOCAL_LINK.sub(lambda m: f'{m.group(1)}="{m.group(2)}.html{m.group(4) or ""}"', body)
