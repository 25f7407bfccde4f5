"""Empirical-Bayes shrinkage for many small-sample estimates (employees, teams).

Two conjugate models, each fitted to all units at once so that every unit borrows strength
from the others:

* **Beta-binomial** for rates (CSAT top-2 share, first-contact resolution, repeat contacts):
  each unit's true rate ~ Beta(alpha, beta); the prior is fitted by maximizing the marginal
  beta-binomial likelihood; the posterior mean ``(x + alpha) / (n + alpha + beta)`` pulls a
  rate measured on few contacts towards the overall mean.
* **Normal-normal** for means (NPS as the mean of -100/0/+100 codes, wait time): each unit's
  true mean ~ Normal(mu, tau^2) and its estimate ~ Normal(true, se^2). The prior is fitted
  with Morris's (1983) estimator; with equal standard errors it reduces exactly to the
  James-Stein estimator shrinking towards the grand mean,
  ``mean + (1 - (k - 3) se^2 / S) (y - mean)``, which the tests check against Efron and
  Morris's baseball example.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cxlab.errors import CxlabError

#: Fewest units with data for a prior to be estimated (James-Stein needs k - 3 > 0).
MIN_UNITS = 4
#: Above this prior strength (alpha + beta) the rates show no spread beyond chance.
MAX_STRENGTH = 1e6


class ShrinkageError(CxlabError, ValueError):
    """Too little or unusable data to fit a prior; the message says what was found."""


@dataclass(frozen=True)
class BetaPrior:
    """A beta prior for rates, fitted to the units' successes and trials."""

    alpha: float
    beta: float
    n_units: int

    @property
    def mean(self) -> float:
        """The prior mean rate."""
        return self.alpha / (self.alpha + self.beta)

    @property
    def strength(self) -> float:
        """``alpha + beta``: how many trials' worth of weight the prior carries."""
        return self.alpha + self.beta


@dataclass(frozen=True)
class NormalPrior:
    """A normal prior for means: the units' true values ~ Normal(mean, tau2)."""

    mean: float
    tau2: float
    n_units: int


def units_index(values: Iterable[float]) -> pd.Index | None:
    """The units' labels when given as a pandas Series (employee ids, say), else None.

    The results keep them, so a row can be told by its name, not only its position.
    """
    return values.index if isinstance(values, pd.Series) else None


def _as_float(values: Iterable[float], name: str) -> np.ndarray:
    arr = np.asarray(values, dtype=float)
    if arr.ndim != 1:
        raise ShrinkageError(f"{name} must be one-dimensional, got shape {arr.shape}")
    return arr


def fit_beta_prior(successes: Iterable[float], trials: Iterable[float]) -> BetaPrior:
    """Fit a beta prior to rates by maximum marginal (beta-binomial) likelihood.

    Units with no trials carry no information and are ignored. When the rates vary no more
    than chance alone would make them, the fitted prior strength is capped at
    ``MAX_STRENGTH`` (complete pooling: every unit is estimated by the overall rate).

    Examples:
        >>> prior = fit_beta_prior([2, 45, 18, 9], [20, 60, 40, 20])
        >>> round(prior.mean, 2), prior.n_units
        (0.44, 4)
    """
    from scipy import optimize, special

    x, n = _as_float(successes, "successes"), _as_float(trials, "trials")
    if x.shape != n.shape:
        raise ShrinkageError(f"successes and trials differ in length: {len(x)} and {len(n)}")
    if np.any(n < 0) or np.any(x < 0) or np.any(x > n):
        raise ShrinkageError("successes must lie between 0 and trials for every unit")
    used = n > 0
    x, n = x[used], n[used]
    if len(n) < MIN_UNITS:
        raise ShrinkageError(
            f"need at least {MIN_UNITS} units with data to fit a prior, got {len(n)}")
    pooled = x.sum() / n.sum()
    if pooled in (0.0, 1.0):
        # Every trial failed (or succeeded): the data cannot tell units apart.
        a = max(pooled, 1e-9) * MAX_STRENGTH
        return BetaPrior(a, MAX_STRENGTH - a, len(n))

    def negative_loglik(theta: np.ndarray) -> float:
        a, b = np.exp(theta)
        return -np.sum(special.betaln(x + a, n - x + b) - special.betaln(a, b))

    # Start from the method of moments, corrected for binomial noise.
    rates = x / n
    between = max(rates.var() - np.mean(pooled * (1 - pooled) / n), 1e-4)
    start = min(max(pooled * (1 - pooled) / between - 1, 1.0), 1e4)
    theta0 = np.log([pooled * start, (1 - pooled) * start])
    fit = optimize.minimize(negative_loglik, theta0, method="Nelder-Mead",
                            options={"xatol": 1e-8, "fatol": 1e-10, "maxiter": 4000})
    a, b = np.exp(fit.x)
    if a + b > MAX_STRENGTH:
        a, b = pooled * MAX_STRENGTH, (1 - pooled) * MAX_STRENGTH
    return BetaPrior(float(a), float(b), len(n))


def shrink_rates(successes: Iterable[float], trials: Iterable[float], prior: BetaPrior | None = None,
                 confidence: float = 0.95) -> pd.DataFrame:
    """Posterior (shrunken) rates with equal-tailed credible intervals.

    Returns one row per unit, in input order (labelled like ``successes`` when it is a
    Series): ``n``, ``raw`` (NaN without trials),
    ``shrunk``, ``ci_low``, ``ci_high`` and ``weight`` (the share of the estimate that comes
    from the unit's own data, ``n / (n + alpha + beta)``). A unit with no trials gets the
    prior mean and weight 0.

    Examples:
        >>> shrink_rates([2, 45, 18, 9], [20, 60, 40, 20]).round(2)
            n   raw  shrunk  ci_low  ci_high  weight
        0  20  0.10    0.16    0.05     0.33    0.82
        1  60  0.75    0.73    0.61     0.83    0.93
        2  40  0.45    0.45    0.31     0.60    0.90
        3  20  0.45    0.45    0.26     0.64    0.82
    """
    from scipy import stats

    x, n = _as_float(successes, "successes"), _as_float(trials, "trials")
    prior = prior or fit_beta_prior(x, n)
    a, b = x + prior.alpha, n - x + prior.beta
    tail = (1 - confidence) / 2
    with np.errstate(invalid="ignore", divide="ignore"):
        raw = np.where(n > 0, x / n, np.nan)
    return pd.DataFrame({
        "n": n.astype(int), "raw": raw, "shrunk": a / (a + b),
        "ci_low": stats.beta.ppf(tail, a, b), "ci_high": stats.beta.ppf(1 - tail, a, b),
        "weight": n / (n + prior.strength),
    }, index=units_index(successes))


def fit_normal_prior(estimates: Iterable[float], se: Iterable[float]) -> NormalPrior:
    """Fit Normal(mean, tau2) to unit estimates with known standard errors (Morris, 1983).

    Iterates ``w_i = 1 / (se_i^2 + tau2)``, the weighted mean and
    ``tau2 = sum w_i [k/(k-1) (y_i - mean)^2 - se_i^2] / sum w_i`` (floored at 0) to a
    fixed point. Units with a missing estimate or standard error are ignored.

    Examples:
        >>> prior = fit_normal_prior([60, 72, 55, 68], [5, 4, 6, 5])
        >>> round(prior.mean, 1), round(prior.tau2, 1)
        (64.5, 33.3)
    """
    y, s = _as_float(estimates, "estimates"), _as_float(se, "se")
    if y.shape != s.shape:
        raise ShrinkageError(f"estimates and se differ in length: {len(y)} and {len(s)}")
    used = np.isfinite(y) & np.isfinite(s)
    y, s2 = y[used], s[used] ** 2
    k = len(y)
    if k < MIN_UNITS:
        raise ShrinkageError(f"need at least {MIN_UNITS} units with data to fit a prior, got {k}")
    if np.any(s2 <= 0):
        raise ShrinkageError("every standard error must be positive")
    tau2 = max(y.var(ddof=1) - s2.mean(), 0.0)
    for _ in range(500):
        w = 1 / (s2 + tau2)
        mean = np.sum(w * y) / w.sum()
        new = max(np.sum(w * (k / (k - 1) * (y - mean) ** 2 - s2)) / w.sum(), 0.0)
        if abs(new - tau2) <= 1e-12 * max(1.0, tau2):
            tau2 = new
            break
        tau2 = new
    w = 1 / (s2 + tau2)
    return NormalPrior(float(np.sum(w * y) / w.sum()), float(tau2), k)


def shrink_means(estimates: Iterable[float], se: Iterable[float], prior: NormalPrior | None = None,
                 confidence: float = 0.95) -> pd.DataFrame:
    """Shrunken means with approximate intervals (Morris, 1983).

    The shrinkage factor is ``B_i = (k-3)/(k-1) * se_i^2 / (se_i^2 + tau2)``; the estimate is
    ``y_i - B_i (y_i - mean)``, and its variance ``se_i^2 (1 - (k-1)/k B_i)
    + 2/(k-3) B_i^2 (y_i - mean)^2`` allows for the prior itself being estimated. Units without
    an estimate get the prior mean with interval ``mean +- z sqrt(tau2)``.
    Returns ``raw``, ``se``, ``shrunk``, ``ci_low``, ``ci_high`` and ``weight`` (1 - B).

    Examples:
        >>> shrink_means([60, 72, 55, 68], [5, 4, 6, 5]).round(1)
            raw   se  shrunk  ci_low  ci_high  weight
        0  60.0  5.0    60.6    51.2     70.1     0.9
        1  72.0  4.0    71.2    63.3     79.0     0.9
        2  55.0  6.0    56.6    44.8     68.5     0.8
        3  68.0  5.0    67.5    58.1     76.9     0.9
    """
    from scipy import stats

    y, s = _as_float(estimates, "estimates"), _as_float(se, "se")
    prior = prior or fit_normal_prior(y, s)
    k = prior.n_units
    s2 = s**2
    with np.errstate(invalid="ignore", divide="ignore"):
        b = (k - 3) / (k - 1) * s2 / (s2 + prior.tau2)
    known = np.isfinite(y) & np.isfinite(s)
    b = np.where(known, b, 1.0)
    dev = np.where(known, y - prior.mean, 0.0)
    shrunk = prior.mean + (1 - b) * dev
    var = np.where(known, s2 * (1 - (k - 1) / k * b) + 2 / (k - 3) * b**2 * dev**2, prior.tau2)
    half = stats.norm.ppf(0.5 + confidence / 2) * np.sqrt(var)
    return pd.DataFrame({"raw": np.where(known, y, np.nan), "se": s, "shrunk": shrunk,
                         "ci_low": shrunk - half, "ci_high": shrunk + half, "weight": 1 - b},
                        index=units_index(estimates))
