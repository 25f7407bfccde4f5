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
from html.parser import HTMLParser
from pathlib import Path
from typing import NamedTuple

import yaml

from cxlab import config
from cxlab.errors import CxlabError
from cxlab.fsutil import building_dir


class SiteError(CxlabError, ValueError):
    """A site that cannot be built as asked: its configuration, a report or the output folder."""


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
        raise SiteError(f"{path}: expected project.type 'website' and a project.render list")
    return doc


#: The generated part of the home page (``index.qmd`` includes it): the data behind the
#: reports and what failed. Quarto renders no file whose name starts with ``_``.
DATA_SOURCES = "_data-sources.md"
#: The home page's line for researchers (``index.qmd`` includes it): a link to the pages
#: under ``notebooks/`` (the getting-started notebook), written for the consultancy's own
#: site only. A client's site leaves those pages out: they show the sample clients.
FOR_RESEARCHERS = "_for-researchers.md"
RESEARCH_PAGES = "notebooks/"


def write_reports_index(root: Path, client: str | None = None) -> Path:
    """Generate ``reports/index.qmd``: every executed report (of ``client`` only, if given).

    It also writes ``reports/_data-sources.md``, which the home page includes: which data
    the reports were built from, and which studies failed and which sections could not be
    computed (see :func:`site_facts`), the same lines that open the index.

    Client names come from the reports' metadata, that is from ``studies.yml``: they are
    escaped like any other data (see :mod:`cxlab.markup`).
    """
    from cxlab.markup import escape

    reports = root / "reports"
    found = read_reports(root, client)
    entries: dict[tuple[str, str], list[dict]] = {}
    for r in found:
        entries.setdefault((r["name"], r["client"]), []).append(r)
    lines = ["---", 'title: "Reports"', "---", ""]
    if not entries:
        lines.append("No reports yet: run `cxlab run` to execute the studies.")
    else:
        n = sum(len(v) for v in entries.values())
        lines.append(f"{n} report{'s' if n != 1 else ''} for {len(entries)} "
                     f"client{'s' if len(entries) != 1 else ''}, newest quarter first.")
    facts = site_facts(root, client, found)
    lines += ["", *facts]
    for (name, slug), items in sorted(entries.items()):
        lines += ["", f"## {escape(name)}", "", f"[All of {escape(name)}'s quarters]({slug}/index.qmd)",
                  "", *_report_table(items, "")]
    path = reports / "index.qmd"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    (reports / DATA_SOURCES).write_text("\n".join(facts) + "\n", encoding="utf-8")
    research = ("- **[Getting started](notebooks/getting_started.ipynb)**, for researchers: "
                "cxlab in a notebook, from a measure with its interval to key drivers and a "
                "trend, on the sample data.\n"
                if client is None and (root / "notebooks" / "getting_started.ipynb").is_file()
                else "")
    (reports / FOR_RESEARCHERS).write_text(research, encoding="utf-8")
    write_client_pages(root, found)
    return path


def _report_label(report: dict) -> str:
    """A report's link text, escaped: 'Northwind Telecom, 2026Q3'.

    The kind of report is added when it is not the quarterly one.
    """
    from cxlab.markup import escape

    kind = report["path"].stem
    extra = "" if kind == "quarterly_report" else f" ({kind.replace('_', ' ')})"
    return f"{escape(report['name'])}, {escape(report['quarter'])}{extra}"


#: The generated list of clients on the home page (``index.qmd`` includes it).
CLIENT_LIST = "_clients.md"


def write_client_pages(root: Path, found: list[dict]) -> list[Path]:
    """Generate a landing page per client and the home page's list of clients.

    The pages are ``reports/<client>/index.qmd``, the list ``reports/_clients.md`` (its links
    are written as seen from the home page, which includes it), from the reports ``found``.

    A landing page lists the client's reports, newest quarter first, with the data behind each
    and any section that could not be computed; the home page links every landing page.
    """
    from cxlab.markup import escape

    reports = root / "reports"
    by_client: dict[str, list[dict]] = {}
    for r in found:
        by_client.setdefault(r["client"], []).append(r)
    written, listing = [], []
    for slug, items in sorted(by_client.items(), key=lambda kv: kv[1][0]["name"].lower()):
        items = sorted(items, key=lambda r: (r["quarter"], r["path"].stem), reverse=True)
        name = escape(items[0]["name"])
        quarters = sorted({r["quarter"] for r in items})
        span = quarters[0] if len(quarters) == 1 else f"{quarters[0]} to {quarters[-1]}"
        lines = ["---", f'title: "{name}"',  # escaped: no quote or backslash is left
                 f'subtitle: "Quarterly reports, {span}"', "---", "",
                 f"{len(items)} report{'s' if len(items) != 1 else ''}, newest first. "
                 f"[The latest]({_link_from(slug, items[0])}) opens with a summary of what "
                 "needs action.", "", *_report_table(items, slug)]
        lines += _headline_trend(items)
        page = reports / slug / "index.qmd"
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text("\n".join(lines) + "\n", encoding="utf-8")
        written.append(page)
        # Links as seen from the home page, which includes this list.
        listing.append(f"- **[{name}](reports/{slug}/index.qmd)**: {len(items)} report"
                       f"{'s' if len(items) != 1 else ''}, {span}; latest: "
                       f"[{quarters[-1]}](reports/{_link_from('', items[0])})")
    text = "\n".join(listing) if listing else "No client has a report yet."
    (reports / CLIENT_LIST).write_text(text + "\n", encoding="utf-8")
    return written


def _headline_trend(reports: list[dict]) -> list[str]:
    """Markdown lines: the headline measures of each quarter, from the reports' workbooks.

    Each report's Excel export records its scorecard as numbers (see
    :func:`cxlab.report.exports.headline_from_workbook`); reports without one are left out.
    With two quarters or more, a small chart of each measure comes first
    (:mod:`cxlab.site.trend`), then the table with every value.
    """
    from cxlab.markup import escape
    from cxlab.report.exports import headline_from_workbook
    from cxlab.site.trend import Quarter, headline_numbers, trend_html

    by_quarter, numbers = {}, {}
    for r in reports:
        workbook = r["path"].with_suffix(".xlsx")
        if r["path"].stem == "quarterly_report" and workbook.is_file():
            by_quarter[r["quarter"]] = headline_from_workbook(workbook)
            numbers[r["quarter"]] = headline_numbers(workbook)
    if not by_quarter:
        return []
    # Every headline measure some quarter measured, each with its chart; a quarter that did
    # not measure one says so in the table.
    measures = list(dict.fromkeys(m for values in by_quarter.values() for m in values))
    lines = ["", "## Headline measures by quarter", "",
             "Each with its 95% interval, as the quarter's report gives it.", ""]
    series = {m: [Quarter(q, *numbers[q][m][:3], shown=by_quarter[q][m])
                  for q in sorted(by_quarter) if m in by_quarter[q] and m in numbers[q]]
              for m in measures}
    series = {m: points for m, points in series.items() if len(points) > 1}
    if series:
        shares = {m: next(numbers[q][m][3] for q in numbers if m in numbers[q]) for m in series}
        lines += [trend_html(reports[0]["name"], series, shares), ""]
    lines += ["| Quarter | " + " | ".join(escape(m) for m in measures) + " |",
              "|---" * (len(measures) + 1) + "|"]
    lines += [f"| {q} | " + " | ".join(escape(values.get(m, "not measured")) for m in measures)
              + " |"
              for q, values in sorted(by_quarter.items(), reverse=True)]
    return lines


def _report_table(items: list[dict], folder: str) -> list[str]:
    """Markdown lines: a table of reports, newest first, linked from ``reports/<folder>``.

    The column of sections not computed is there only when some report has one; otherwise
    a line under the table says every section was computed.
    """
    items = sorted(items, key=lambda r: (r["quarter"], r["path"].stem), reverse=True)
    failed = [_section_names(r["failed_sections"]) for r in items]
    rows = [f"| {r['quarter']} | [{_report_label(r)}]({_link_from(folder, r)}) | "
            f"{_data_words(r['data'])} |" + (f" {f or 'none'} |" if any(failed) else "")
            for r, f in zip(items, failed, strict=True)]
    if any(failed):
        return ["| Quarter | Report | Data | Sections not computed |", "|---|---|---|---|", *rows]
    return ["| Quarter | Report | Data |", "|---|---|---|", *rows, "",
            "Every section of these reports was computed."]


def _link_from(folder: str, report: dict) -> str:
    """A report's path relative to ``reports/<folder>`` (``reports/`` when empty)."""
    rel = report["path"].relative_to(report["path"].parents[2])
    return rel.relative_to(folder).as_posix() if folder else rel.as_posix()


def read_reports(root: Path, client: str | None = None) -> list[dict]:
    """What the site says of each executed report, from the notebook itself.

    Each: ``path``, ``client``, ``quarter``, ``name`` (the client's display name), ``data``
    (where its data came from, as the runner recorded it; see
    :func:`cxlab.run.executor.data_origin`) and ``failed_sections`` (the sections that show
    "could not be computed"; see :func:`cxlab.run.executor.failed_sections`).
    """
    from cxlab.run.executor import failed_sections

    found = []
    for nb_path in report_notebooks(root / "reports", client):
        try:
            nb = json.loads(nb_path.read_text(encoding="utf-8"))
            meta = nb["metadata"].get("cxlab", {})
            if not isinstance(meta, dict):
                raise TypeError(meta)
        except (ValueError, KeyError, TypeError, AttributeError):
            raise SiteError(f"{nb_path.relative_to(root)}: not a readable executed notebook "
                             "(damaged or cut "
                             "short?); run its study again with `cxlab run --force` or remove "
                             "it") from None
        slug, quarter = nb_path.parent.parent.name, nb_path.parent.name
        data = meta.get("data") if isinstance(meta.get("data"), dict) else {}
        if not data and isinstance(meta.get("dataset"), str):
            data = {"dataset": meta["dataset"], "synthetic": None}
        found.append({"path": nb_path, "client": slug, "quarter": quarter,
                      "name": meta.get("client_name") or slug, "data": data,
                      "failed_sections": failed_sections(nb)})
    return found


def site_facts(root: Path, client: str | None = None, found: list[dict] | None = None
               ) -> list[str]:
    """Markdown lines saying what the reports are built from and what failed.

    Which datasets lie behind the reports (cxlab's fictional sample, data imported from a
    client's exports, or not recorded) and for which clients; each study whose latest run
    failed (from the build record: its previous report, if any, is shown); each report
    section that could not be computed (from the reports). Only ``client``'s, if given.
    """
    from cxlab.markup import escape, escape_all

    found = read_reports(root, client) if found is None else found
    if not found:
        return ["No reports have been built yet, so no data is shown here."]
    by_dataset: dict[tuple, list[dict]] = {}
    for r in found:
        origin = r["data"]
        by_dataset.setdefault((origin.get("synthetic"), origin.get("dataset") or ""), []
                              ).append(r)
    lines = []
    if len(by_dataset) == 1 and next(iter(by_dataset))[0] is True:
        [(_, dataset)], reports = list(by_dataset), next(iter(by_dataset.values()))
        lines.append(f"{_all_reports(len(reports))} built from cxlab's sample data (dataset "
                     f"*{escape(dataset)}*): fictional client organizations, generated with a "
                     f"fixed seed ({escape(reports[0]['data'].get('seed'))}). No number in them "
                     "describes a real organization.")
    else:
        lines.append("The reports are built from these data:")
        lines.append("")
        order = sorted(by_dataset, key=lambda k: (k[0] is not False, k[0] is None, k[1]))
        for synthetic, dataset in order:
            reports = by_dataset[(synthetic, dataset)]
            names = sorted({r["name"] for r in reports})
            what = ("data imported from the client's own exports" if synthetic is False else
                    "cxlab's fictional sample data, generated with a fixed seed" if synthetic
                    else "origin not recorded (reports made by an earlier cxlab; run the "
                         "studies again to record it)")
            label = f"dataset *{escape(dataset)}*" if dataset else "an unnamed dataset"
            lines.append(f"- {label}, {what}: {len(reports)} report"
                         f"{'' if len(reports) == 1 else 's'} for {escape_all(names)}.")
    failed = failed_studies(root / "reports", client)
    if failed:
        one = len(failed) == 1
        lines += ["", f"**{len(failed)} stud{'y' if one else 'ies'} failed when last run** "
                      f"and show{'s its' if one else ' their'} previous report, if any: "
                      + ", ".join(escape(f) for f in failed) + "."]
    partial = [r for r in found if r["failed_sections"]]
    if partial:
        n = sum(len(r["failed_sections"]) for r in partial)
        lines += ["", f"**{n} report section{'' if n == 1 else 's'} could not be computed** "
                      "and show a note saying why in their place:", ""]
        lines += [f"- {escape(r['name'])} {escape(r['quarter'])}: "
                  + _section_names(r["failed_sections"]) for r in partial]
    return lines


def _section_names(failures: list[dict]) -> str:
    """A report's failed sections for readers, by the part of the report, escaped.

    For example 'Recognition (recognition_summary, shoutout_feed), Data quality (data_quality)'.
    """
    from cxlab.markup import escape

    parts: dict[str, list[str]] = {}
    for failure in failures:
        call = str(failure.get("call", "")).split("(", 1)[0]
        parts.setdefault(str(failure.get("section") or "another part"), []).append(call)
    return ", ".join(f"{escape(heading)} ({escape(', '.join(c for c in calls if c))})"
                     for heading, calls in parts.items())


def _all_reports(n: int) -> str:
    """'The report is' or 'All 12 reports are'."""
    return "The report is" if n == 1 else f"All {n} reports are"


def _data_words(origin: dict) -> str:
    """A report's data in a table cell: 'sample (fictional)', 'acme (imported)'."""
    from cxlab.markup import escape

    dataset = escape(origin.get("dataset") or "not recorded")
    kinds: dict[object, str] = {True: " (fictional)", False: " (imported)"}
    kind = kinds.get(origin.get("synthetic"), "")
    return dataset + kind


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
                raise SiteError(f"_quarto.yml: cannot render {page} (expected {PAGE_SUFFIXES})")
            if not page.is_file():
                raise FileNotFoundError(f"_quarto.yml lists {pattern!r} but {page} does not exist")
            if page not in pages:
                pages.append(page)
    return pages


def build_site(root: Path | None = None, use_quarto: bool | None = None,
               client: str | None = None, out: Path | None = None, pdf: bool = False) -> Path:
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
        pdf: Also print each report to PDF beside its page, with headless Chromium and the
            site's print stylesheet (the preview links it from the page).
    """
    root = root or config.project_root()
    from cxlab.run.executor import merge_build_records

    merge_build_records(root / "reports")  # a sharded run's records, as one
    site_config = load_site_config(root)
    if pdf:
        site_config = {**site_config, PDF_KEY: chromium_path()}
    if use_quarto is None:
        use_quarto = shutil.which("quarto") is not None
    if client is not None:
        config.check_slug(client, "client")
        out = out or root / "_sites" / client
        return _build_client_site(root, site_config, client, Path(out), use_quarto)
    write_reports_index(root)
    write_maturity_page(root)
    out = out or root / site_config["project"].get("output-dir", "_site")
    from cxlab.site.reference import with_reference  # the API reference (pdoc), added after
    return with_reference(root, lambda: _render(root, site_config, Path(out), use_quarto, ALL_CLIENTS))


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
        raise SiteError(f"cannot build the site into {out}: it is a file, not a folder")
    marker = out / SITE_MARKER
    if marker.is_file():
        built_for = marker.read_text(encoding="utf-8", errors="replace").partition(":")[2].strip()
        if built_for and built_for != site_for:
            raise SiteError(f"will not build the site into {out}: it holds the site for "
                             f"{built_for}, and this one is for {site_for}; choose another "
                             "folder")
        return
    if out.resolve() in {a.resolve() for a in allowed}:
        return
    if any(out.iterdir()):
        raise SiteError(f"will not build the site into {out}: the folder holds files that "
                         f"cxlab did not make (no {SITE_MARKER} in it), and building replaces "
                         "the whole folder; choose a new or empty folder")


def _render(root: Path, site_config: dict, out: Path, use_quarto: bool, site_for: str,
            allowed: tuple[Path, ...] = ()) -> Path:
    default_out = root / site_config["project"].get("output-dir", "_site")
    check_output_dir(out, (*allowed, default_out), site_for)
    if not use_quarto:
        return build_preview(root, site_config, out, site_for)
    subprocess.run(["quarto", "render"], cwd=root, check=True)
    if site_config.get(PDF_KEY):
        print_reports(site_config[PDF_KEY], [default_out / p.relative_to(root).with_suffix(".html")
                                             for p in page_sources(root, site_config)
                                             if p.suffix == ".ipynb"])
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
        render = [p for p in render if not p.startswith(RESEARCH_PAGES)]
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
        staged = {**site_config, "project": {**site_config["project"], "output-dir": "_site",
                                             "render": render}}
        quarto = {k: v for k, v in staged.items() if k != PDF_KEY}  # ours, not Quarto's
        (stage / "_quarto.yml").write_text(yaml.safe_dump(quarto, sort_keys=False),
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
    """The static preview: every page as HTML with the navbar, written atomically.

    Besides the pages: a table of contents on each page with sections, a breadcrumb and
    links to the previous and next quarter on each report, and an offline search over every
    page (``search-index.js``, read by ``cxlab.js``; no server needed).
    """
    from jinja2 import Template

    template = Template((ASSETS / "page.html").read_text(encoding="utf-8"))
    website = site_config.get("website", {})
    nav = website.get("navbar", {}).get("left", [])
    sources = page_sources(root, site_config)
    reports = {r["path"]: r for r in read_reports(root)} if (root / "reports").is_dir() else {}
    neighbours = _quarter_neighbours([s for s in sources if s in reports], reports)
    index = []
    with building_dir(out) as tmp:
        (tmp / SITE_MARKER).write_text(f"cxlab site for: {site_for}\n", encoding="utf-8")
        shutil.copy(ASSETS / "style.css", tmp / "cxlab.css")
        shutil.copy(ASSETS / "cxlab.js", tmp / "cxlab.js")
        for source in sources:
            rel = source.relative_to(root)
            meta, body = render_page(source)
            body = print_layout(scrolling_tables(_fix_links(body)))
            prefix = "../" * (len(rel.parts) - 1)
            title = html.unescape(str(meta.get("title", rel.stem)))
            toc = page_toc(body)
            report = reports.get(source)
            page_html = template.render(
                site_title=website.get("title", "cxlab"),
                # Front matter is Markdown (Quarto renders it so): data in it is escaped as
                # character references, which the template escapes again for HTML.
                title=title, subtitle=html.unescape(str(meta.get("subtitle", ""))), body=body,
                nav=[{"text": item.get("text", item["href"]),
                      "href": prefix + _html_name(item["href"]),
                      "active": _html_name(item["href"]) == _html_name(rel.as_posix())}
                     for item in nav],
                root=prefix, footer=website.get("page-footer", ""),
                toc=toc if len(toc) > 1 else [],
                crumbs=_crumbs(report) if report else [],
                pager=neighbours.get(source),
                pdf=f"{source.stem}.pdf" if report and site_config.get(PDF_KEY) else "",
            )
            target = tmp / rel.with_suffix(".html")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(page_html, encoding="utf-8")
            for export in report_exports(source):
                shutil.copy2(export, target.parent / export.name)
            index.append({"title": title, "href": rel.with_suffix(".html").as_posix(),
                          "quarter": report["quarter"] if report else "",
                          "sections": section_offsets(body, toc),
                          "text": page_text(body)[:SEARCH_TEXT_CHARS]})
        if site_config.get(PDF_KEY):
            print_reports(site_config[PDF_KEY], [tmp / p.relative_to(root).with_suffix(".html")
                                                 for p in sources if p in reports])
        # A script, not JSON: a page opened from disk (file://) may not fetch a JSON file.
        (tmp / "search-index.js").write_text(
            "window.CXLAB_SEARCH = " + json.dumps(index, ensure_ascii=True) + ";\n",
            encoding="utf-8")
    return out


#: Characters of each page's text kept in the search index: a whole report (about 65,000 for a
#: large client); a longer page is searched in its first part only.
SEARCH_TEXT_CHARS = 150_000

_HEADING = re.compile(r'<h([23])\s[^>]*?id="([^"]+)"[^>]*>(.*?)</h\1>', re.S)
_TAG = re.compile(r"<[^>]+>")
_HIDDEN = re.compile(r"<(script|style)\b.*?</\1>", re.S | re.I)
#: Text a screen reader skips (a tile's arrow: its words say better or worse), kept out of
#: search snippets too.
_UNSPOKEN = re.compile(r'<span\b[^>]*\baria-hidden="true"[^>]*>[^<]*</span>', re.I)


#: Set in the site configuration (by ``build_site(pdf=True)``) to the Chromium that prints.
PDF_KEY = "cxlab-pdf-with"


def chromium_path() -> str:
    """The headless Chromium that prints reports to PDF, or a clear error naming the fix."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        raise SiteError("--pdf prints the reports with Chromium, which is not installed "
                        "(Debian: apt-get install chromium)")
    return found


def print_reports(chromium: str, pages: list[Path], jobs: int = 2) -> list[Path]:
    """Print each built report page to ``<page>.pdf`` beside it, with the print stylesheet.

    Chromium loads the page from disk with no network; two pages print at a time.
    """
    from concurrent.futures import ThreadPoolExecutor

    def one(page: Path) -> Path:
        target = page.with_suffix(".pdf")
        done = subprocess.run(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
             "--disable-background-networking", "--no-first-run",
             f"--print-to-pdf={target}", page.resolve().as_uri()],
            capture_output=True, text=True, timeout=300)
        if done.returncode != 0 or not target.is_file():
            raise SiteError(f"Chromium could not print {page.name} to PDF: "
                            f"{done.stderr.strip()[-300:] or 'no file written'}")
        return target

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(one, pages))


#: The files a run writes beside a report for readers to take away (see cxlab.report.exports).
EXPORT_SUFFIXES = (".xlsx", ".pptx", ".pdf")


def report_exports(page: Path) -> list[Path]:
    """The exports beside a report notebook (``<stem>.xlsx``, ...), published with its page."""
    if page.suffix != ".ipynb":
        return []
    return [p for p in (page.with_suffix(s) for s in EXPORT_SUFFIXES) if p.is_file()]


_TABLE = re.compile(r"<table\b.*?</table>", re.S)


def scrolling_tables(body: str) -> str:
    """Each table in a box that scrolls sideways by itself, so no table widens the page.

    The box takes the keyboard focus (``tabindex="0"``): a region that scrolls must be
    reachable without a mouse.
    """
    def wrap(match: re.Match) -> str:
        table = match.group(0)
        if table.startswith(_OWN_BOX):  # a report table: it scrolls in its own box already
            return table
        return f'<div class="table-scroll" tabindex="0">{table}</div>'

    return _TABLE.sub(wrap, body)


#: How a report table (cxlab.report.html_tables) opens: inside a box that scrolls by itself.
_OWN_BOX = '<table data-quarto-disable-processing="true"'

#: The width a printed page gives the text, in CSS pixels (96 a inch), with the print
#: stylesheet's 12 mm margins, on A4 or US Letter, whichever is narrower: portrait (A4,
#: 186 mm) and landscape (Letter, 255 mm).
PRINT_PORTRAIT_PX = 703
PRINT_LANDSCAPE_PX = 965
#: The share of those widths a table's estimated width may take: the estimate is rough.
PRINT_FILL = 0.9
#: The print stylesheet's table type (8 pt, DejaVu Sans, wider than the usual fonts): the
#: width of a character, by kind, in CSS pixels, and how much wider bold (headers) is; a
#: cell's side padding and border.
PRINT_CHAR_PX = {"upper": 7.2, "digit": 6.8, "lower": 5.0, "other": 5.6}
PRINT_BOLD = 1.16
PRINT_CELL_PX = 11
#: A table of this many columns or more prints on a landscape page if it would have to wrap
#: on a portrait one: on portrait, each value and its interval would fill three lines.
PRINT_MANY_COLUMNS = 8
#: A table of more rows than this may break across pages (about a third of a page).
PRINT_LONG_ROWS = 12

_TABLE_BOX = re.compile(r'<div class="(cx-table|table-scroll)"(.*?</table>)', re.S)


def _text_px(text: str, bold: bool = False) -> float:
    """The printed width of a piece of table text, in CSS pixels (see ``PRINT_CHAR_PX``)."""
    kinds = ("upper" if c.isupper() else "digit" if c.isdigit() else
             "lower" if c.islower() else "other" for c in text)
    return sum(PRINT_CHAR_PX[k] for k in kinds) * (PRINT_BOLD if bold else 1.0)


class _CellText(HTMLParser):
    """A table's cells as ``(column, longest word, whole text)``, widths in CSS pixels.

    Columns are counted through row spans; a cell spanning columns is left out (it shares
    its width among them).
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.cells: list[tuple[int, float, float]] = []
        self._spans: dict[int, int] = {}  # column -> rows a row span still takes it for
        self._col = 0
        self._cell: list[str] | None = None
        self._colspan = 1
        self._bold = False
        self.rows = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        if tag == "tr":
            self.rows += 1
            self._spans = {c: n - 1 for c, n in self._spans.items() if n > 1}
            self._col = 0
        elif tag in ("td", "th"):
            while self._spans.get(self._col, 0) > 0:
                self._col += 1
            self._cell, self._colspan, self._bold = [], _span(a.get("colspan")), tag == "th"
            if _span(a.get("rowspan")) > 1:
                self._spans[self._col] = _span(a.get("rowspan"))

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            words = "".join(self._cell).split()
            if self._colspan == 1:
                self.cells.append((self._col,
                                   max((_text_px(w, self._bold) for w in words), default=0.0),
                                   _text_px(" ".join(words), self._bold)))
            self._col += self._colspan
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _span(value: str | None) -> int:
    try:
        return max(1, int(value or 1))
    except ValueError:
        return 1


class PrintSize(NamedTuple):
    """How a table prints, estimated from its HTML (widths in CSS pixels)."""

    narrowest: float
    """With every cell wrapped between words: each column as wide as its longest word."""
    one_line: float
    """With no cell wrapped: each column as wide as its longest text."""
    columns: int
    rows: int


def print_size(table: str) -> PrintSize:
    """How wide and long a table prints, at the print stylesheet's table type.

    Widths count ``PRINT_CHAR_PX`` a character and ``PRINT_CELL_PX`` of padding a column;
    rows count the header's.
    """
    parser = _CellText()
    parser.feed(table)
    narrow: dict[int, float] = {}
    wide: dict[int, float] = {}
    for col, word, line in parser.cells:
        narrow[col] = max(narrow.get(col, 0.0), word)
        wide[col] = max(wide.get(col, 0.0), line)
    pad = PRINT_CELL_PX * len(narrow)
    return PrintSize(sum(narrow.values()) + pad, sum(wide.values()) + pad, len(narrow),
                     parser.rows)


def print_layout(body: str) -> str:
    """Mark the tables that print on a landscape page, or may run over pages.

    A table's box gets ``cx-print-wide`` (the print stylesheet gives it a landscape page of
    its own) when, by :func:`print_size`, it cannot fit a portrait page even with its
    cells wrapped, or has ``PRINT_MANY_COLUMNS`` and would wrap there; and also
    ``cx-print-squeeze`` when it cannot fit even a landscape page (smaller type; words may
    break), so that no printed table is cut at the page's edge. A table of more than
    ``PRINT_LONG_ROWS`` rows gets ``cx-print-long``: it may break between rows (its header
    repeated) rather than leave the rest of a page empty; shorter ones are kept whole.
    """
    def mark(match: re.Match) -> str:
        size = print_size(match.group(2))
        portrait, landscape = PRINT_PORTRAIT_PX * PRINT_FILL, PRINT_LANDSCAPE_PX * PRINT_FILL
        wide = size.narrowest > portrait or (size.columns >= PRINT_MANY_COLUMNS
                                             and size.one_line > portrait)
        extra = (" cx-print-wide" * wide + " cx-print-squeeze" * (size.narrowest > landscape)
                 + " cx-print-long" * (size.rows > PRINT_LONG_ROWS))
        return f'<div class="{match.group(1)}{extra}"{match.group(2)}'

    return _landscape_leads(_TABLE_BOX.sub(mark, body))


#: Where a report's cell opens (nbconvert's basic template): cells are the page's blocks.
_CELL = '<div class="cell border-box-sizing'


def _landscape_leads(body: str) -> str:
    """Print a section's heading and opening text on the landscape page of its first table.

    When the cells just before a landscape table hold only text back to a section heading
    (``h2``), they are marked ``cx-print-lead`` and print on the same page: otherwise the
    heading and its few lines would fill a portrait page of their own.
    """
    cells = body.split(_CELL)
    for i, cell in enumerate(cells):
        if i == 0 or "cx-print-wide" not in cell:
            continue
        lead = []
        for j in range(i - 1, 0, -1):
            if any(tag in cells[j] for tag in ("<table", "<img", "<svg", "cx-print-")):
                break
            lead.append(j)
            if "<h2" in cells[j]:
                for k in lead:
                    cells[k] = cells[k].replace('"', ' cx-print-lead"', 1)
                break
    return _CELL.join(cells)


def page_toc(body: str) -> list[dict]:
    """The page's sections (``h2``) and subsections (``h3``) that carry an id, in order.

    Each as ``{"level", "id", "text"}``, the heading as plain text.
    """
    toc = []
    for level, anchor, inner in _HEADING.findall(body):
        text = html.unescape(_TAG.sub("", inner)).replace("¶", "").strip()
        if text:
            toc.append({"level": int(level), "id": html.unescape(anchor), "text": text})
    return toc


def section_offsets(body: str, toc: list[dict]) -> list[dict]:
    """The page's sections for the search index: id, heading and where the heading starts.

    ``at`` counts characters of the page's text (:func:`page_text`), so that a search result
    can quote its own section.
    """
    starts = {html.unescape(m.group(2)): m.start() for m in _HEADING.finditer(body)}
    out = []
    for entry in toc:
        before = page_text(body[:starts[entry["id"]]])
        out.append({"id": entry["id"], "text": entry["text"],
                    "at": len(before) + (1 if before else 0)})
    return out


def page_text(body: str) -> str:
    """A page's readable text, for the search index.

    No tags, scripts, styles or images, nor what screen readers skip (``aria-hidden``).
    """
    text = html.unescape(_TAG.sub(" ", _HIDDEN.sub(" ", _UNSPOKEN.sub(" ", body))))
    return " ".join(text.replace("¶", " ").split())


def _crumbs(report: dict) -> list[dict]:
    """Reports › the client › the quarter, as seen from the report's own folder."""
    return [{"text": "Reports", "href": "../../index.html"},
            {"text": report["name"], "href": "../index.html"},
            {"text": report["quarter"], "href": ""}]


def _quarter_neighbours(pages: list[Path], reports: dict[Path, dict]
                        ) -> dict[Path, dict[str, dict[str, str]] | None]:
    """Links to the report a quarter before and after each report page, relative to it.

    Among the site's reports of the same client and kind; None for a client's only report.
    """
    series: dict[tuple[str, str], list[Path]] = {}
    for page in pages:
        series.setdefault((reports[page]["client"], page.stem), []).append(page)
    out: dict[Path, dict[str, dict[str, str]] | None] = {}
    for kind_pages in series.values():
        kind_pages.sort(key=lambda p: reports[p]["quarter"])
        for i, page in enumerate(kind_pages):
            links: dict[str, dict[str, str]] = {}
            for key, j in (("prev", i - 1), ("next", i + 1)):
                if 0 <= j < len(kind_pages):
                    other = kind_pages[j]
                    links[key] = {"text": reports[other]["quarter"],
                                  "href": f"../{other.parent.name}/{other.stem}.html"}
            out[page] = links or None
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
    body = _INCLUDE.sub(lambda m: _included(source, m.group(1)), body)
    return meta, pypandoc.convert_text(body, "html5", format="markdown", extra_args=["--mathml"])


#: Quarto's include shortcode, ``{{< include reports/_data-sources.md >}}``: the preview
#: expands it as Quarto does (data never makes one: :mod:`cxlab.markup` escapes braces).
_INCLUDE = re.compile(r"\{\{<\s*include\s+([^\s>]+)\s*>\}\}")


def _included(page: Path, name: str) -> str:
    """The text of the file a page includes (relative to the page, as in Quarto)."""
    path = page.parent / name
    if not path.is_file():
        raise FileNotFoundError(f"{page.name} includes {name}, which does not exist")
    return path.read_text(encoding="utf-8")


def _render_notebook(source: Path) -> tuple[dict, str]:
    import nbformat
    from nbconvert import HTMLExporter

    nb = nbformat.read(source, as_version=4)
    meta = front_matter(nb.cells[0].source)[0] if nb.cells and nb.cells[0].cell_type == "raw" else {}
    # Reports hide their code (stakeholders never see it); a page for researchers, such as
    # the getting-started notebook, shows it with ``echo: true`` in its front matter, as
    # Quarto reads the same key.
    exporter = HTMLExporter(template_name="basic", exclude_input=not meta.get("echo", False),
                            exclude_input_prompt=True,
                            exclude_output_prompt=True, exclude_raw=True)
    body, _ = exporter.from_notebook_node(nb)
    return meta, body


def _html_name(href: str) -> str:
    stem, dot, suffix = href.rpartition(".")
    return f"{stem}.html" if dot and "." + suffix in PAGE_SUFFIXES else href


def _fix_links(body: str) -> str:
    """Point links at source pages (``.qmd``, ``.ipynb``) to their rendered ``.html``."""
    return _LOCAL_LINK.sub(lambda m: f'{m.group(1)}="{m.group(2)}.html{m.group(4) or ""}"', body)
