"""Report sections on partial data: a section whose tables a client lacks says so, and why.

A client's dataset may hold only some tables (say, survey responses imported from one
export). Rather than failing, or showing zeros that read like findings, each section
declares the tables it needs; when one is absent the section shows a short note instead.
The same holds for a column an export did not collect (its mapping's ``not_collected``):
a measure computed from it says :data:`NOT_COLLECTED` instead of a number (the column is
stored empty, so a number would be an invention or a zero that reads like a finding).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from IPython.display import Markdown

from cxlab import measures
from cxlab.data.schema import TABLES
from cxlab.markup import escape
from cxlab.measures import Measure
from cxlab.study import Study

#: What a report shows for a measure whose column the client's export does not have.
NOT_COLLECTED = "not collected in this export"


def collected(study: Study, m: Measure | str) -> bool:
    """Whether the client's exports hold the column measure ``m`` is computed from."""
    m = measures.get(m)
    return study.collected(m.table, m.column)


def unavailable(study: Study, tables: tuple[str, ...] | list[str],
                needed: tuple[Measure | str, ...] | list[Measure | str] = (),
                columns: tuple[tuple[str, str], ...] | list[tuple[str, str]] = ()
                ) -> Markdown | None:
    """A note naming the tables ``study`` lacks among ``tables``, or None if it has them all.

    With ``needed`` measures, one whose column the client's exports did not collect gets a
    note too, and so do ``columns`` (``(table, column)`` pairs, say the column grouped by);
    the tables first: a table absent explains more.
    """
    lacking = [t for t in tables if t in study.absent]
    if not lacking:
        missing = [f"`{t}.{c}`" for t, c in columns if not study.collected(t, c)]
        if missing:
            return Markdown(f"*Not available for {escape(study.client_name)}: "
                            f"{', '.join(missing)} {NOT_COLLECTED}.*")
        uncollected = [measures.get(m) for m in needed if not collected(study, m)]
        if uncollected:
            named = " and ".join(", ".join(m.label for m in uncollected).rsplit(", ", 1))
            return Markdown(f"*{escape(named)}: {NOT_COLLECTED} for "
                            f"{escape(study.client_name)} (the export has no column for it, "
                            "so no value is shown).*")
        return None
    named = " and ".join(", ".join(f"`{t}`" for t in lacking).rsplit(", ", 1))
    noun = "table" if len(lacking) == 1 else "tables"
    return Markdown(f"*Not available for {escape(study.client_name)}: this needs the {noun} {named}, "
                    f"which dataset `{study.dataset}` does not have.*")


def needs(*tables: str, needed: tuple[str, ...] = ()
          ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorate a report function of a study so it returns a note when tables are absent.

    ``needed`` names measures (of :mod:`cxlab.measures`) the function cannot do without:
    when the client's exports did not collect the column of one, the note says so.
    """
    unknown = set(tables) - set(TABLES)
    if unknown:
        raise KeyError(f"needs(): unknown table(s) {sorted(unknown)}")
    for m in needed:
        measures.get(m)

    def decorate(function: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(function)
        def wrapper(study: Study, *args: Any, **kwargs: Any) -> Any:
            note = unavailable(study, tables, needed)
            return note if note is not None else function(study, *args, **kwargs)

        return wrapper

    return decorate
