"""The examples in cxlab's docstrings run and give what they show (issue 21, part 7)."""

import doctest
import importlib
import pkgutil

import pytest

import cxlab

MODULES = sorted(m.name for m in pkgutil.walk_packages(cxlab.__path__, "cxlab.")
                 if not m.name.startswith("cxlab.__main__"))


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE,
                             verbose=False, report=False)
    assert result.failed == 0, f"{name}: {result.failed} of {result.attempted} examples failed"


def test_the_main_entry_points_have_examples():
    """The functions a researcher meets first show an example in their docstring."""
    from cxlab import metrics
    from cxlab.stats import trend

    for function in (metrics.nps, trend.linear_trend):
        assert ">>> " in (function.__doc__ or ""), function.__name__
