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

A call that is wrong before anything is computed is not a failure of the analysis but of
the call, and raises a ``TypeError`` at once, naming the section and what it takes:
arguments that do not bind to the section's signature (``report.scorecard(study, "nps")``
where it takes none), or a first argument that is not a :class:`~cxlab.study.Study` where
the section takes one (``report.scorecard("cedar")``).

Outside ``cxlab run`` (in a notebook of one's own) there is no build record: a bug's box
then says where its details are instead (``repr(box)``, ``box.error``). The runner marks
its kernels by :data:`cxlab.config.EXPORT_ROOT_ENV` in their environment.
"""

from __future__ import annotations

import functools
import inspect
import os
import traceback
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from cxlab import config
from cxlab.errors import CxlabError
from cxlab.markup import escape
from cxlab.run.executor import SECTION_METADATA_FIELD, SECTION_METADATA_KEY

#: The kinds of failure.
USER_ERROR, BUG = "user error", "bug"
#: What the box says of a bug (its details go to the build record only).
BUG_REASON = ("an unexpected error in cxlab's code. The details are in the run's build record "
              "(reports/build-record.json), for the developers to fix it")
#: What the box says of a bug outside ``cxlab run``, where there is no build record.
BUG_REASON_INTERACTIVE = ("an unexpected error in cxlab's code ({error}). repr() of this box "
                          "gives the call and the error; its .error attribute is the exception "
                          "itself, with its traceback")
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
    def reason(self) -> str:
        """The reason the box gives: a bug's outside ``cxlab run`` says where its details are."""
        if self.failure.kind == BUG and not under_runner():
            return BUG_REASON_INTERACTIVE.format(error=self.failure.error)
        return self.failure.reason

    @property
    def markdown(self) -> str:
        """The box: raw HTML inside Markdown, so Quarto (Pandoc) and nbconvert both render it."""
        reason = escape(self.reason).rstrip(".")
        return ('<div class="cxlab-failed-section" role="note" style="border: 2px solid '
                '#b45309; background: #fff7ed; color: #1f2937; padding: 0.75em 1em; '
                'margin: 1em 0; border-radius: 4px;">\n'
                f"<strong>This section could not be computed:</strong> {reason}.\n</div>\n")

    def _repr_mimebundle_(self, include: Iterable[str] | None = None,
                          exclude: Iterable[str] | None = None) -> tuple[dict, dict]:
        data = {"text/markdown": self.markdown,
                "text/plain": f"This section could not be computed: {self.reason}."}
        return data, {SECTION_METADATA_KEY: {SECTION_METADATA_FIELD: asdict(self.failure)}}

    def __repr__(self) -> str:
        return f"<FailedSection {self.failure.call}: {self.failure.error}>"


def under_runner() -> bool:
    """Whether this process is a kernel of ``cxlab run`` (which keeps a build record)."""
    return bool(os.environ.get(config.EXPORT_ROOT_ENV))


def _takes_a_study(signature: inspect.Signature) -> bool:
    """Whether the first parameter is annotated as a Study (a string, when postponed)."""
    params = list(signature.parameters.values())
    if not params:
        return False
    annotation = params[0].annotation
    return (annotation in ("Study", "cxlab.study.Study")
            or getattr(annotation, "__name__", "") == "Study")


def check_call(function: Callable, signature: inspect.Signature, args: tuple, kwargs: dict
               ) -> None:
    """Raise a ``TypeError`` naming the section and what it takes, for a call that is wrong.

    Arguments that do not bind to the signature, or a first argument that is not a Study
    where the section's first parameter is annotated as one.
    """
    name = function.__name__
    params = (str(p.replace(annotation=p.empty)) for p in signature.parameters.values())
    takes = f"report.{name}({', '.join(params)})"
    try:
        bound = signature.bind(*args, **kwargs)
    except TypeError as err:
        raise TypeError(f"report.{name}(): {err}; it takes {takes}") from None
    if _takes_a_study(signature):
        from cxlab.study import Study

        first = bound.arguments[next(iter(signature.parameters))]
        if not isinstance(first, Study):
            raise TypeError(f"report.{name}(): the first argument must be a Study (from "
                            f"cxlab.open_study(client, quarter)), got {type(first).__name__} "
                            f"{first!r:.40}; it takes {takes}")


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
    signature = inspect.signature(function)

    @functools.wraps(function)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R | FailedSection:
        check_call(function, signature, args, kwargs)  # a wrong call is the caller's TypeError
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
