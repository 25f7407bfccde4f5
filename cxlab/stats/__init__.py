"""Statistics beyond single estimates.

* :mod:`~cxlab.stats.multiple`: false-discovery control and flagging groups above or below.
* :mod:`~cxlab.stats.shrinkage`: empirical-Bayes estimates for many small samples.
* :mod:`~cxlab.stats.hierarchical`: the same with the prior's uncertainty carried through
  (the scorecards use it), and ranks with their own intervals.
* :mod:`~cxlab.stats.disclosure`: small-group suppression for employee-survey results.
* :mod:`~cxlab.stats.drivers`: key drivers (relative weights, LMG, regression).
* :mod:`~cxlab.stats.linkage`: EX -> CX linkage with a multilevel model.
* :mod:`~cxlab.stats.incentives`: the incentive alignment audit.
* :mod:`~cxlab.stats.weighting`: survey weights raked to population margins (``rake``).
* :mod:`~cxlab.stats.continuity`: breaks where the share of rows carrying a measure jumps.
* :mod:`~cxlab.stats.trend`: whether a measure rises or falls across periods (``linear_trend``).
* :mod:`~cxlab.stats.employees`: per-employee measures, fair scorecards, goals and the audit
  for one study (imported on its own: ``from cxlab.stats import employees``).
"""

from cxlab.stats.drivers import DriverError, KeyDrivers, key_drivers, lmg, relative_weights
from cxlab.stats.incentives import associations, classify
from cxlab.stats.linkage import Linkage, LinkageError, ex_cx_linkage, team_experience
from cxlab.stats.multiple import adjust_pvalues, flag_groups
from cxlab.stats.shrinkage import (
    BetaPrior,
    NormalPrior,
    ShrinkageError,
    fit_beta_prior,
    fit_normal_prior,
    shrink_means,
    shrink_rates,
)
from cxlab.stats.trend import Trend, TrendError, linear_trend
from cxlab.stats.weighting import RakingError, margins_from_table, rake

__all__ = [
    "BetaPrior", "DriverError", "KeyDrivers", "Linkage", "LinkageError", "NormalPrior",
    "RakingError", "ShrinkageError", "Trend", "TrendError", "adjust_pvalues", "associations",
    "classify", "ex_cx_linkage", "fit_beta_prior", "fit_normal_prior", "flag_groups",
    "key_drivers", "linear_trend", "lmg", "margins_from_table", "rake", "relative_weights",
    "shrink_means", "shrink_rates", "team_experience",
]
