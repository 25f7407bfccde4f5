"""cxlab: a research and reporting workbook for customer- and employee-experience analytics.

Researchers start here::

    import cxlab
    responses = cxlab.load("customer_responses", client="cedar")   # sample data
    cxlab.nps(responses["nps"])                                     # estimate with 95% CI
    cxlab.grouped(responses, "csat_top2", by="department")          # one row per group
"""

from cxlab.data import load, make_sample
from cxlab.maturity.assessment import Assessment, assess
from cxlab.metrics import (
    Comparison,
    Estimate,
    ces,
    compare,
    csat,
    grouped,
    mean,
    nps,
    nps_from_counts,
    proportion,
    rate,
)
from cxlab.study import Study, open_study

__version__ = "0.1.0"

__all__ = [
    "Assessment", "Comparison", "Estimate", "Study", "assess", "ces", "compare", "csat", "grouped", "load",
    "make_sample", "mean", "nps", "nps_from_counts", "open_study", "proportion", "rate",
]
