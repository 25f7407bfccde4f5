"""The one base class of cxlab's user errors.

A :class:`CxlabError` is a mistake the user can fix (a file, a mapping, a setting, data that
cannot support an estimate); its message says what and where. The command line prints it
without a traceback and exits with code 2. Any other exception is a bug (in cxlab or in a
library it calls): the command line prints the traceback and exits with code 3, never with a
code that means "your input".

Each module keeps its own subclass (``ImportError_``, ``DataValidationError``,
``MatrixError``, ``RakingError``, ...), which also subclasses the built-in exception it
always was (``ValueError`` mostly), so existing ``except ValueError`` code keeps working.
Those a researcher meets most: ``cxlab.metrics.MetricError`` (answers, weights or options an
estimate cannot use), ``cxlab.metrics.ScaleError`` (answers on another scale than the
measure's: most likely the wrong column), ``cxlab.measures.MeasureError`` (no such measure),
``cxlab.periods.PeriodError`` and ``cxlab.study.StudyError``.

Examples:
    >>> from cxlab.metrics import ScaleError
    >>> issubclass(ScaleError, CxlabError), issubclass(ScaleError, ValueError)
    (True, True)
"""

from __future__ import annotations

#: Exit code of a command stopped by a user error (a :class:`CxlabError`).
EXIT_USER_ERROR = 2
#: Exit code of a command stopped by a bug: any exception that is not a :class:`CxlabError`.
EXIT_INTERNAL_ERROR = 3


class CxlabError(Exception):
    """A user error: input, settings or data that cxlab cannot use, with a message saying why."""
