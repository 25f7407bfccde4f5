"""Is a measure rising or falling across periods? A test of trend on period estimates.

Each period's estimate comes with its standard error. The trend is the slope of a weighted
regression of the estimates on the period's position (0, 1, 2, ...), a meta-regression:

* Each estimate is weighted by ``1 / (se^2 + tau^2)``. ``tau^2`` is the variation between
  periods beyond sampling error and beyond the line (seasons, campaigns, one-off events),
  estimated by the method of moments (DerSimonian and Laird's estimator, extended to
  regression). Without it, a few periods with many answers each would make any wiggle look
  like a significant trend: the periods, not the answers, are the units of a trend.
* The slope's interval and p-value use the Knapp-Hartung adjustment (a t distribution with
  ``k - 2`` degrees of freedom and a variance scaled by the weighted residual spread), which
  holds its level with few periods where the plain normal test does not (checked by
  simulation in tests/test_trend.py).

Periods in a coverage break (see :mod:`cxlab.stats.continuity`) should be left out by the
caller: a change in who answered is not a trend.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from scipy import stats as sp_stats

from cxlab.errors import CxlabError
from cxlab.metrics import _OneRow

#: Fewer periods than this give no trend: a line through three points says little.
MIN_PERIODS = 4


class TrendError(CxlabError, ValueError):
    """Estimates that cannot give a trend (too few periods, a missing standard error)."""


@dataclass(frozen=True)
class Trend(_OneRow):
    """The change per period of a measure, with its interval and test.

    Attributes:
        slope: Change per period, in the measure's unit.
        ci: Interval of the slope at ``confidence``.
        p_value: Two-sided p-value of no trend (slope 0).
        se: Standard error of the slope (Knapp-Hartung).
        tau2: Variance between periods beyond sampling error and the line.
        k: Number of periods used.
        confidence: Confidence level of ``ci``.
    """

    slope: float
    ci: tuple[float, float]
    p_value: float
    se: float
    tau2: float
    k: int
    confidence: float = 0.95

    @property
    def is_clear(self) -> bool:
        """Whether the data show a trend at the interval's level (0 outside the interval)."""
        return self.p_value < 1 - self.confidence

    @property
    def direction(self) -> str:
        """``"rising"``, ``"falling"`` or ``"no clear trend"`` (at the interval's level)."""
        if not self.is_clear:
            return "no clear trend"
        return "rising" if self.slope > 0 else "falling"

    def __str__(self) -> str:
        low, high = self.ci
        return (f"{self.direction}: {self.slope:+.3g} per period ({self.confidence:.0%} CI "
                f"{low:+.3g} to {high:+.3g}; p = {self.p_value:.3g}; {self.k} periods)")

    def __repr__(self) -> str:
        return f"<Trend {self}>"

    def to_dict(self) -> dict:
        """The trend as plain values (for a table or JSON)."""
        return {"slope": self.slope, "ci_low": self.ci[0], "ci_high": self.ci[1],
                "p_value": self.p_value, "se": self.se, "tau2": self.tau2, "k": self.k,
                "confidence": self.confidence, "direction": self.direction}

    def _repr_html_(self) -> str:
        from cxlab.metrics import _result_html

        low, high = self.ci
        return _result_html(f"{self.direction}: {self.slope:+.3g} per period", [
            (f"{self.confidence:.0%} interval", f"{low:+.3g} to {high:+.3g}"),
            ("p-value (no trend)", f"{self.p_value:.3g}"),
            ("periods", f"{self.k}"),
            ("between-period variance", f"{self.tau2:.3g}"),
            ("method", "weighted meta-regression, Knapp-Hartung interval")])


def linear_trend(values: Iterable[float], ses: Iterable[float],
                 positions: Iterable[float] | None = None, confidence: float = 0.95) -> Trend:
    """The slope of period estimates ``values`` (standard errors ``ses``) on their positions.

    Args:
        values: One estimate per period, in order.
        ses: Their standard errors (as the estimates report them).
        positions: Each period's position (default 0, 1, 2, ...; give gaps as gaps).
        confidence: Confidence level of the slope's interval.

    Examples:
        >>> t = linear_trend([10, 12, 14, 16, 18], [1, 1, 1, 1, 1])
        >>> round(t.slope, 6), t.is_clear
        (2.0, True)
        >>> t
        <Trend rising: +2 per period (95% CI +2 to +2; p = ...; 5 periods)>
    """
    y = np.asarray(values, dtype=float)
    v = np.asarray(ses, dtype=float) ** 2
    x = np.arange(len(y), dtype=float) if positions is None else np.asarray(positions, float)
    if not len(y) == len(v) == len(x):
        raise TrendError(f"trend: {len(y)} estimates, {len(v)} standard errors and {len(x)} "
                         "positions; give one of each per period")
    if len(y) < MIN_PERIODS:
        raise TrendError(f"trend: {len(y)} periods; a trend needs at least {MIN_PERIODS}")
    if not (np.isfinite(y).all() and np.isfinite(v).all() and (v > 0).all()):
        raise TrendError("trend: every period needs an estimate and a positive standard error "
                         "(a period with one answer has none)")
    design = np.column_stack([np.ones_like(x), x])
    tau2 = _between_period_variance(y, v, design)
    w = 1 / (v + tau2)
    fit, cov, residual = _wls(y, w, design)
    k = len(y)
    # Knapp-Hartung: the variance scaled by the weighted residual spread (exact t with k - 2
    # degrees of freedom when tau^2 is 0; not truncated at 1, which is conservative).
    scale = float(residual) / (k - 2)
    se = float(np.sqrt(cov[1, 1] * scale))
    t = fit[1] / se
    p = float(2 * sp_stats.t.sf(abs(t), k - 2))
    half = float(sp_stats.t.ppf(0.5 + confidence / 2, k - 2) * se)
    return Trend(float(fit[1]), (float(fit[1] - half), float(fit[1] + half)), p, se,
                 float(tau2), k, confidence)


def _wls(y: np.ndarray, w: np.ndarray, design: np.ndarray
         ) -> tuple[np.ndarray, np.ndarray, float]:
    """Weighted least squares: coefficients, their covariance and the weighted residual SS."""
    xtw = design.T * w
    cov = np.linalg.inv(xtw @ design)
    fit = cov @ (xtw @ y)
    residual = float(np.sum(w * (y - design @ fit) ** 2))
    return fit, cov, residual


def _between_period_variance(y: np.ndarray, v: np.ndarray, design: np.ndarray) -> float:
    """Method-of-moments ``tau^2`` of a meta-regression (DerSimonian-Laird, extended)."""
    w = 1 / v
    _, cov, q = _wls(y, w, design)
    # E[Q] = (k - p) + tau^2 * (sum w - tr((X'WX)^-1 X'W^2 X)).
    xtw2x = (design.T * w**2) @ design
    c = w.sum() - np.trace(cov @ xtw2x)
    return max(0.0, (q - (len(y) - design.shape[1])) / c)
