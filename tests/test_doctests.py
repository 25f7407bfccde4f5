"""The examples in cxlab's docstrings run and give what they show (issue 21, part 7)."""

import contextlib
import doctest
import importlib
import inspect
import pkgutil

import pytest
from report_harness import cxlab_home

import cxlab

MODULES = ["cxlab", *sorted(m.name for m in pkgutil.walk_packages(cxlab.__path__, "cxlab.")
                            if not m.name.startswith("cxlab.__main__"))]

#: The public API: what ``from <module> import *`` gives a researcher.
PUBLIC_MODULES = ("cxlab", "cxlab.stats", "cxlab.report")

#: Public functions whose docstrings have no executed example yet. The list may only shrink:
#: a name here that gains an example fails below until removed.
PENDING: frozenset[str] = frozenset()


@pytest.fixture(scope="session")
def example_names(sandbox) -> dict[str, object]:
    """The names the report examples take as given, as their docstrings say.

    ``study = cxlab.open_study("cedar", "2026Q3")`` on the sample data, opened once for every
    example (so results a report caches are computed once), with ``cxlab`` and ``report``. The
    sample is the session's sandbox (``CXLAB_HOME``), never the checkout's data/.
    """
    from cxlab import report

    with cxlab_home(sandbox):
        study = cxlab.open_study("cedar", "2026Q3")
    return {"cxlab": cxlab, "report": report, "study": study}


@contextlib.contextmanager
def session_settings_kept():
    """Undo what an example changes for the whole session (``apply_theme``'s display settings)."""
    import matplotlib
    import pandas as pd

    options = ("display.max_colwidth", "display.max_rows")
    before = [(option, pd.get_option(option)) for option in options]
    with matplotlib.rc_context():
        try:
            yield
        finally:
            for option, value in before:
                pd.set_option(option, value)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name, example_names, sandbox, monkeypatch):
    monkeypatch.setenv("CXLAB_HOME", str(sandbox))  # an example reading the sample reads this one
    module = importlib.import_module(name)
    with session_settings_kept():
        result = doctest.testmod(module, extraglobs=example_names, verbose=False, report=False,
                                 optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{name}: {result.failed} of {result.attempted} examples failed"


def public_functions() -> dict[str, object]:
    """Every public function (not class or constant), by its public dotted name."""
    found = {}
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            value = getattr(module, name)
            if callable(value) and not inspect.isclass(value):
                found[f"{module_name}.{name}"] = value
    return found


def executed_examples(function) -> int:
    """How many examples of ``function``'s docstring doctest runs (skipped ones do not count)."""
    tests = doctest.DocTestFinder(recurse=False).find(function, function.__name__, globs={})
    return sum(1 for test in tests for example in test.examples
               if not example.options.get(doctest.SKIP))


def test_every_public_function_shows_a_running_example():
    lacking = sorted(name for name, function in public_functions().items()
                     if not executed_examples(function))
    assert set(lacking) - PENDING == set(), "public functions without an example"
    gained = sorted(PENDING - set(lacking))
    assert not gained, f"these have examples now: remove them from PENDING: {gained}"


def test_the_examples_counted_are_the_ones_run():
    """A public function's examples are run with its own module's: a section's docstring is
    its function's, so the example counted above must be found where that function lives."""
    finder = doctest.DocTestFinder()
    run = {}
    for name, function in public_functions().items():
        if not executed_examples(function):
            continue
        home = inspect.unwrap(function)
        if home.__module__ not in run:
            module = importlib.import_module(home.__module__)
            run[home.__module__] = {test.name for test in finder.find(module) if test.examples}
        assert f"{home.__module__}.{home.__name__}" in run[home.__module__], name


def test_the_check_finds_a_missing_example():
    def documented():
        """Twice.

        >>> 2 * 2
        4
        """

    def undocumented():
        """Twice, without an example."""

    def skipped():
        """Only a skipped example.

        >>> open_a_file()  # doctest: +SKIP
        """

    assert executed_examples(documented) == 1
    assert executed_examples(undocumented) == 0
    assert executed_examples(skipped) == 0


def test_the_main_entry_points_have_examples():
    """The functions a researcher meets first show an example in their docstring."""
    from cxlab import metrics
    from cxlab.stats import trend

    for function in (metrics.nps, trend.linear_trend):
        assert ">>> " in (function.__doc__ or ""), function.__name__


def test_the_registry_and_periods_functions_show_a_running_example():
    """cxlab.measures and cxlab.periods are in the API reference: their functions a researcher
    calls show an example there, run here with their module's (issue 21)."""
    from cxlab import errors, measures, periods

    functions = [measures.get, measures.find, measures.names, measures.values, measures.scores,
                 measures.of_column, periods.check_quarter, periods.quarter_index,
                 periods.index, periods.quarter_range, periods.label, periods.period_range]
    assert [f.__name__ for f in functions if not executed_examples(f)] == []
    assert ">>> " in (errors.__doc__ or "")
