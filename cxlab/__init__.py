"""cxlab: a research and reporting workbook for customer- and employee-experience analytics.

Researchers start here::

    import cxlab
    responses = cxlab.load("customer_responses", client="cedar")   # sample data
    cxlab.nps(responses["nps"])                                     # estimate with 95% CI
    cxlab.grouped(responses, "csat_top2", by="department")          # one row per group

The names below are imported on first use, so ``import cxlab`` and the ``cxlab`` command start
fast: pandas, SciPy and statsmodels load only when something needs them.
"""

from importlib import import_module

__version__ = "0.1.0"

#: Public name -> the module that defines it.
_EXPORTS = {
    "load": "cxlab.data", "make_sample": "cxlab.data",
    "Assessment": "cxlab.maturity.assessment", "assess": "cxlab.maturity.assessment",
    **{name: "cxlab.metrics" for name in (
        "Comparison", "Estimate", "ces", "compare", "csat", "grouped", "kish_n", "mean", "nps",
        "nps_from_counts", "proportion", "rate")},
    "rake": "cxlab.stats.weighting",
    "Study": "cxlab.study", "open_study": "cxlab.study",
}

#: Subpackages and modules reachable as ``cxlab.<name>`` after a plain ``import cxlab``.
_SUBMODULES = ("config", "data", "engine", "markup", "maturity", "measures", "metrics", "periods",
               "privacy", "recognition", "report", "stats", "study", "text")

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> object:
    if name in _SUBMODULES:
        value = import_module(f"cxlab.{name}")
    elif name in _EXPORTS:
        value = getattr(import_module(_EXPORTS[name]), name)
    else:
        raise AttributeError(f"module 'cxlab' has no attribute {name!r}")
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS, *_SUBMODULES})
