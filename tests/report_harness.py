"""Run the quarterly report template's cells in-process against a prepared Study.

The notebook is thin: after the parameters and ``open_study`` it only calls report builders.
Running those calls here (no kernel) lets fast tests check everything a report would show.
"""

from __future__ import annotations

import ast
import contextlib
import os
from pathlib import Path

import nbformat
import pandas as pd

TEMPLATE = Path(__file__).resolve().parent.parent / "notebooks" / "quarterly_report.ipynb"


def report_outputs(study, keep_failures: bool = False) -> list[tuple[str, object]]:
    """``(cell source, displayed value)`` for every code cell after ``open_study``.

    A section that fails raises its exception, unless ``keep_failures``: then its box
    (a :class:`~cxlab.report.sections.FailedSection`) is the cell's value.
    """
    import cxlab
    from cxlab import report
    from cxlab.report.sections import FailedSection

    nb = nbformat.read(TEMPLATE, as_version=4)
    namespace = {"cxlab": cxlab, "report": report, "study": study}
    outputs = []
    for cell in nb.cells:
        if cell.cell_type != "code" or "parameters" in cell.metadata.get("tags", []):
            continue
        tree = ast.parse(cell.source)
        body = [s for s in tree.body if "open_study" not in ast.unparse(s)
                and "apply_theme" not in ast.unparse(s)]
        last = body.pop() if body and isinstance(body[-1], ast.Expr) else None
        exec(compile(ast.Module(body, []), "<cell>", "exec"), namespace)
        if last is not None:
            value = eval(compile(ast.Expression(last.value), "<cell>", "eval"), namespace)
            if isinstance(value, FailedSection) and not keep_failures:
                raise value.error  # a section failing here is a failing test, not a box
            outputs.append((cell.source, value))
    return outputs


def visible_text(value) -> str:
    """What a reader could see of one output: Markdown source, table HTML or chart alt text."""
    if isinstance(value, pd.DataFrame):
        return value.to_html()
    if hasattr(value, "data") and isinstance(value.data, str):  # IPython Markdown
        return value.data
    if hasattr(value, "_repr_mimebundle_"):
        return value._repr_mimebundle_()["text/html"].split('alt="', 1)[-1]
    return str(value)


#: The site's hand-written sources, as _quarto.yml lists them (reports are generated).
SITE_SOURCES = ("_quarto.yml", "index.qmd", "methods.qmd", "validation.qmd",
                "notebooks/getting_started.ipynb")


def copy_site_sources(source: Path, dest: Path) -> None:
    """Copy the site's hand-written pages from ``source`` into a sandbox project ``dest``."""
    import shutil

    for name in SITE_SOURCES:
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source / name, dest / name)


@contextlib.contextmanager
def cxlab_home(home: Path):
    """``CXLAB_HOME`` pointed at ``home`` within, as it was after (a session fixture cannot use
    pytest's monkeypatch)."""
    old = os.environ.get("CXLAB_HOME")
    os.environ["CXLAB_HOME"] = str(home)
    try:
        yield home
    finally:
        if old is None:
            os.environ.pop("CXLAB_HOME")
        else:
            os.environ["CXLAB_HOME"] = old
