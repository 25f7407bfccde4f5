"""A report section never takes the report down: it shows a box saying why it failed.

Every function the report template calls per cell is a *section* (see :func:`section`). When
one raises, the cell shows a visible box, "This section could not be computed: <reason>",
and the rest of the report is still computed and published. The box's output carries the
failure in its metadata (``metadata["cxlab"]["failed_section"]``); the runner reads it from
the executed notebook into the run's summary and the build record (see
:func:`cxlab.run.executor.failed_sections`), and the site names it, so a failure is always
counted and shown, never swallowed.

Two kinds of failure:

- a user error (a :class:`~cxlab.errors.CxlabError`: data that cannot support the section,
  a setting): the box gives its message, escaped, as the reason;
- anything else is a bug: the box says so in one plain sentence, and only the build record
  holds the exception's type, message and where it was raised, for whoever fixes it.

No traceback and no raw Python output reaches the page. ``KeyboardInterrupt`` (how the
runner stops a study over its time limit) is not caught.
"""

from __future__ import annotations

import functools
import traceback
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from cxlab.errors import CxlabError
from cxlab.markup import escape
from cxlab.run.executor import SECTION_METADATA_FIELD, SECTION_METADATA_KEY

#: The kinds of failure.
USER_ERROR, BUG = "user error", "bug"
#: What the box says of a bug (its details go to the build record only).
BUG_REASON = ("an unexpected error in cxlab's code. The details are in the run's build record "
              "(reports/build-record.json), for the developers to fix it")
_PACKAGE = Path(__file__).resolve().parent.parent
_P = ParamSpec("_P")
_R = TypeVar("_R")


@dataclass(frozen=True)
class SectionFailure:
    """What failed and why: one entry of the build record's ``failed_sections``.

    Attributes:
        call: The section call, e.g. ``trend_chart('csat_top2')``.
        kind: ``"user error"`` or ``"bug"``.
        error: ``"<exception type>: <message>"``.
        where: For a bug, the innermost line of cxlab's code it passed through (``""`` if none).
    """

    call: str
    kind: str
    error: str
    where: str = ""

    @property
    def reason(self) -> str:
        """The reason the page gives, in plain words (not yet escaped)."""
        if self.kind == USER_ERROR:
            return self.error.split(": ", 1)[-1]
        return BUG_REASON


class FailedSection:
    """What a section that raised shows: a box with the reason, and the failure for the runner.

    Attributes:
        failure: The :class:`SectionFailure`.
        error: The exception itself (tests re-raise it; it is never displayed).
    """

    def __init__(self, failure: SectionFailure, error: BaseException):
        self.failure = failure
        self.error = error

    @property
    def markdown(self) -> str:
        """The box: raw HTML inside Markdown, so Quarto (Pandoc) and nbconvert both render it."""
        reason = escape(self.failure.reason).rstrip(".")
        return ('<div class="cxlab-failed-section" role="note" style="border: 2px solid '
                '#b45309; background: #fff7ed; color: #1f2937; padding: 0.75em 1em; '
                'margin: 1em 0; border-radius: 4px;">\n'
                f"<strong>This section could not be computed:</strong> {reason}.\n</div>\n")

    def _repr_mimebundle_(self, include: Iterable[str] | None = None,
                          exclude: Iterable[str] | None = None) -> tuple[dict, dict]:
        data = {"text/markdown": self.markdown,
                "text/plain": f"This section could not be computed: {self.failure.reason}."}
        return data, {SECTION_METADATA_KEY: {SECTION_METADATA_FIELD: asdict(self.failure)}}

    def __repr__(self) -> str:
        return f"<FailedSection {self.failure.call}: {self.failure.error}>"


def describe_call(name: str, args: tuple, kwargs: dict) -> str:
    """``name('a', by='team')``: the call without the study (its first argument)."""
    parts = [repr(a) for a in args[1:]] + [f"{k}={v!r}" for k, v in kwargs.items()]
    return f"{name}({', '.join(parts)})"


def failure_of(call: str, err: Exception) -> SectionFailure:
    """The record of ``err`` raised by the section ``call``."""
    error = "".join(traceback.format_exception_only(type(err), err)).strip()
    if isinstance(err, CxlabError):
        return SectionFailure(call, USER_ERROR, error)
    where = ""
    for frame in reversed(traceback.extract_tb(err.__traceback__)):
        path = Path(frame.filename).resolve()
        if path.is_relative_to(_PACKAGE) and path.name != "sections.py":
            where = f"{path.relative_to(_PACKAGE.parent).as_posix()}:{frame.lineno} in {frame.name}"
            break
    return SectionFailure(call, BUG, error, where)


def section(function: Callable[_P, _R], shared: bool = False
            ) -> Callable[_P, _R | FailedSection]:
    """Make a report function a section: on an exception it returns a :class:`FailedSection`.

    What it returns is also drawn inside the section when it draws itself (a chart), so a
    chart that fails to draw fails its own section, not the notebook. The wrapped function
    stays reachable as ``__wrapped__``.

    A ``shared`` section is computed (and drawn) once per study and arguments, through
    ``Study.cached``: the page and the exports (:mod:`cxlab.report.exports`) that show the
    same chart or table get the same object, computed once.

    Examples:
        A report function that raises gives a box saying why, not a traceback (``study``
        from ``cxlab.open_study("cedar", "2026Q3")``, the sample data):

        >>> from cxlab import report
        >>> from cxlab.errors import CxlabError
        >>> def busiest_day(study):
        ...     raise CxlabError("no interactions are dated to the day")
        >>> box = report.section(busiest_day)(study)
        >>> box
        <FailedSection busiest_day(): cxlab.errors.CxlabError: no interactions are dated to the day>
        >>> box._repr_mimebundle_()[0]["text/plain"]
        'This section could not be computed: no interactions are dated to the day.'
    """
    @functools.wraps(function)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R | FailedSection:
        call = describe_call(function.__name__, args, kwargs)

        def compute() -> _R | FailedSection:
            try:
                return _drawn(function(*args, **kwargs))
            except Exception as err:  # shown and recorded, never swallowed (see the module)
                return FailedSection(failure_of(call, err), err)

        study: Any = args[0] if args else None  # a Study, or whatever comes first
        if shared and callable(getattr(study, "cached", None)):
            return study.cached(("section", function.__module__, call), compute)
        return compute()

    wrapper.__dict__["is_section"] = True  # read by is_section()
    return wrapper


def _drawn(value: Any) -> Any:
    """``value``, with its display drawn now if it draws itself (a chart), and kept."""
    draw = getattr(value, "_repr_mimebundle_", None)
    if draw is None or isinstance(value, FailedSection):
        return value
    bundle = draw()
    value._repr_mimebundle_ = lambda include=None, exclude=None: bundle
    return value


def is_section(function: object) -> bool:
    """Whether ``function`` is a report section (made by :func:`section`)."""
    return getattr(function, "is_section", False) is True
