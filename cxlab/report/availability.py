"""Report sections on partial data: a section whose tables a client lacks says so, and why.

A client's dataset may hold only some tables (say, survey responses imported from one
export). Rather than failing, or showing zeros that read like findings, each section
declares the tables it needs; when one is absent the section shows a short note instead.
"""

from __future__ import annotations

import functools

from IPython.display import Markdown

from cxlab.data.schema import TABLES
from cxlab.markup import escape
from cxlab.study import Study


def unavailable(study: Study, tables: tuple[str, ...] | list[str]) -> Markdown | None:
    """A note naming the tables ``study`` lacks among ``tables``, or None if it has them all."""
    lacking = [t for t in tables if t in study.absent]
    if not lacking:
        return None
    named = " and ".join(", ".join(f"`{t}`" for t in lacking).rsplit(", ", 1))
    noun = "table" if len(lacking) == 1 else "tables"
    return Markdown(f"*Not available for {escape(study.client_name)}: this needs the {noun} {named}, "
                    f"which dataset `{study.dataset}` does not have.*")


def needs(*tables: str):
    """Decorate a report function of a study so it returns a note when tables are absent."""
    unknown = set(tables) - set(TABLES)
    if unknown:
        raise KeyError(f"needs(): unknown table(s) {sorted(unknown)}")

    def decorate(function):
        @functools.wraps(function)
        def wrapper(study: Study, *args, **kwargs):
            note = unavailable(study, tables)
            return note if note is not None else function(study, *args, **kwargs)

        return wrapper

    return decorate
