"""Per-unit estimates that carry the uncertainty of the fitted prior (fully Bayesian on a grid).

Empirical Bayes (:mod:`cxlab.stats.shrinkage`) plugs in the fitted prior as if it were known.
When the data say little about how much units differ, the fitted prior strength can run to
its cap: every unit then gets the pooled rate with an interval as narrow as if thousands of
answers stood behind it, and ranks are decided by rounding noise. Here the prior's own
parameters get a posterior too, computed on a grid, and each unit's estimate averages over
it:

* **Rates** (beta-binomial): true rates ~ Beta(mu * kappa, (1 - mu) * kappa). The hyperprior
  is uniform on mu and proportional to ``kappa ** -1.5`` on the prior strength kappa (Gelman
  et al., *Bayesian Data Analysis*, 3rd ed., section 5.3, which uses ``(alpha + beta) **
  -2.5`` on alpha and beta; the two agree up to the change of variables), so that the data, not
  the hyperprior, must make the case for pooling everyone.
* **Means** (normal-normal): estimates ~ Normal(theta, se^2), theta ~ Normal(mu, tau^2), with a
  flat prior on mu and on tau (BDA section 5.4); mu is integrated exactly given tau.

Each unit's posterior is summarized by draws (seeded, so a report is reproducible): the
estimate is the posterior mean and the interval the equal-tailed credible interval. The same
draws give each unit's rank among any set of units, with its own interval, so a report can
tell which employees the data really separate. The interval of a unit is never narrower than
the uncertainty of the client-wide level itself, since every draw carries the uncertainty of
mu.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cxlab.stats.shrinkage import MIN_UNITS, ShrinkageError, units_index

#: Posterior draws per unit: Monte Carlo error of a 95% interval's end about 0.3% of its width.
N_DRAWS = 4000
#: Grid for the rates' hyperparameters: mu on the logit scale, kappa on the log scale.
_LOGIT_MU = np.linspace(-7.0, 7.0, 141)
_LOG_KAPPA = np.linspace(np.log(0.2), np.log(1e5), 90)
#: Grid points for tau, the spread of true means, from 0 to this many raw spreads.
_N_TAU = 200
#: Units computed at a time where an array holds a value per unit and per draw or grid
#: point: memory stays that many units' worth whatever the headcount (the random draws come
#: in the same order, so the results are those of all units at once).
UNITS_AT_ONCE = 64
#: From this average share of the client's level in the estimates, units are not told apart
#: (for rates: a prior worth four times a unit's average number of answers).
POOLED = 0.8


@dataclass(frozen=True)
class Posterior:
    """Per-unit posterior draws and their summaries.

    Attributes:
        summary: One row per unit in input order: ``n`` (rates only), ``raw``, ``shrunk``
            (posterior mean), ``ci_low``, ``ci_high``.
        draws: Array (units x draws) of the units' true values, jointly drawn, for ranks.
        pooling: Posterior mean of the share a unit's estimate takes from the client's level,
            for a unit with the average amount of data (0: none, 1: everyone at that level).
    """

    summary: pd.DataFrame
    draws: np.ndarray
    pooling: float

    @property
    def pooled(self) -> bool:
        """Whether the estimates are mostly the client's level (see ``POOLED``).

        Then the data hardly tell units apart, and no ranking should be published.
        """
        return self.pooling >= POOLED

    def __repr__(self) -> str:
        s = self.summary["shrunk"]
        caution = "; mostly pooled: do not rank" if self.pooled else ""
        return (f"<Posterior of {len(s)} units: estimates {s.min():.3g} to {s.max():.3g}, "
                f"pooling {self.pooling:.0%}{caution}>")

    def _repr_html_(self) -> str:
        from cxlab.metrics import _result_html

        return _result_html(repr(self)[1:-1], [], self.summary.round(4).rename_axis("unit").reset_index())

    def rank_intervals(self, groups: Iterable | None = None, higher_is_better: bool = True,
                       coverage: float = 0.8) -> pd.DataFrame:
        """Each unit's rank within its group (1 = best) and a ``coverage`` interval of it.

        Ranks come from the same draws as the estimates: in each draw the units of a group
        are ranked, so a rank interval says how sure the data are of the order. Units
        without data (NaN estimate) or without a group (None or NaN) get no rank.
        """
        codes = (np.zeros(len(self.summary), int) if groups is None
                 else pd.factorize(pd.Series(groups, dtype=object))[0])  # missing: -1
        has = self.summary["raw"].notna().to_numpy() & (codes >= 0)
        out = pd.DataFrame(np.nan, index=self.summary.index,
                           columns=["rank", "rank_low", "rank_high", "n_ranked"])
        tail = (1 - coverage) / 2
        sign = -1.0 if higher_is_better else 1.0
        for group in np.unique(codes[has]):
            members = np.flatnonzero(has & (codes == group))
            values = sign * self.draws[members]
            # rank of each unit in each draw: 1 + how many units of the group beat it
            ranks = 1 + (values[None, :, :] < values[:, None, :]).sum(axis=1)
            mean = sign * self.summary["shrunk"].to_numpy()[members]
            order = pd.Series(mean).rank(method="min").to_numpy()
            out.iloc[members, 0] = order
            out.iloc[members, 1] = np.floor(np.quantile(ranks, tail, axis=1))
            out.iloc[members, 2] = np.ceil(np.quantile(ranks, 1 - tail, axis=1))
            out.iloc[members, 3] = len(members)
        return out


def _by_units(n_units: int) -> Iterator[slice]:
    """Consecutive slices of at most :data:`UNITS_AT_ONCE` units."""
    return (slice(i, i + UNITS_AT_ONCE) for i in range(0, n_units, UNITS_AT_ONCE))


def _interval(draws: np.ndarray, tail: float) -> tuple[np.ndarray, np.ndarray]:
    """Each unit's equal-tailed interval from its draws, a few units at a time."""
    low, high = np.empty(len(draws)), np.empty(len(draws))
    for part in _by_units(len(draws)):
        low[part] = np.quantile(draws[part], tail, axis=1)
        high[part] = np.quantile(draws[part], 1 - tail, axis=1)
    return low, high


def _rng(seed: int | None) -> np.random.Generator:
    return np.random.default_rng(20261126 if seed is None else seed)


def _sample_grid(log_weights: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    weights = np.exp(log_weights - log_weights.max())
    return rng.choice(len(weights), size=size, p=weights / weights.sum())


def rates(successes: Iterable[float], trials: Iterable[float], confidence: float = 0.95,
          n_draws: int = N_DRAWS, seed: int | None = None) -> Posterior:
    """Hierarchical beta-binomial posterior of every unit's true rate.

    Units with no trials get the posterior predictive of a new unit (the client's
    distribution), and NaN ``raw``.

    Raises:
        ShrinkageError: with fewer than ``MIN_UNITS`` units that have trials, or counts that
            do not make sense (successes outside 0..trials).
    """
    from scipy import special

    x, n = np.asarray(successes, float), np.asarray(trials, float)
    if x.shape != n.shape or x.ndim != 1:
        raise ShrinkageError(f"successes and trials must be two equal-length lists, got "
                             f"shapes {x.shape} and {n.shape}")
    if np.any(n < 0) or np.any(x < 0) or np.any(x > n) or not np.all(np.isfinite(x + n)):
        raise ShrinkageError("successes must lie between 0 and trials for every unit")
    used = n > 0
    if used.sum() < MIN_UNITS:
        raise ShrinkageError(f"need at least {MIN_UNITS} units with data, got {int(used.sum())}")
    mu = special.expit(_LOGIT_MU)[:, None]
    kappa = np.exp(_LOG_KAPPA)[None, :]
    a, b = mu * kappa, (1 - mu) * kappa
    xu, nu = x[used], n[used]
    loglik = np.zeros(a.shape)
    for xi, ni in zip(xu, nu, strict=True):  # units one at a time: memory stays grid-sized
        loglik += special.betaln(xi + a, ni - xi + b)
    loglik -= len(xu) * special.betaln(a, b)
    # Hyperprior: uniform mu (Jacobian of the logit grid: mu (1 - mu)), kappa^-1.5 (Jacobian
    # of the log grid: kappa), so kappa^-0.5 per grid point.
    log_post = loglik + np.log(mu * (1 - mu)) - 0.5 * np.log(kappa)
    rng = _rng(seed)
    picks = _sample_grid(log_post.ravel(), n_draws, rng)
    a_draw, b_draw = a.ravel()[picks], b.ravel()[picks]
    weights = np.exp(log_post - log_post.max())
    weights /= weights.sum()
    draws, post_mean = np.empty((len(x), n_draws)), np.empty(len(x))
    for part in _by_units(len(x)):
        draws[part] = rng.beta(x[part, None] + a_draw[None, :],
                               (n - x)[part, None] + b_draw[None, :])
        post_mean[part] = ((x[part, None, None] + a[None]) / (n[part, None, None] + (a + b)[None])
                           * weights[None]).sum(axis=(1, 2))
    pooling = float(((a + b) / (n[used].mean() + a + b) * weights).sum())
    tail = (1 - confidence) / 2
    with np.errstate(invalid="ignore", divide="ignore"):
        raw = np.where(n > 0, x / n, np.nan)
    low, high = _interval(draws, tail)
    summary = pd.DataFrame({"n": n.astype(int), "raw": raw, "shrunk": post_mean,
                            "ci_low": low, "ci_high": high}, index=units_index(successes))
    return Posterior(summary, draws, pooling)


def means(estimates: Iterable[float], se: Iterable[float], confidence: float = 0.95, n_draws: int = N_DRAWS,
          seed: int | None = None) -> Posterior:
    """Hierarchical normal-normal posterior of every unit's true mean.

    Units with a missing estimate or standard error get the posterior predictive of a new
    unit. Standard errors must be positive.
    """
    y, s = np.asarray(estimates, float), np.asarray(se, float)
    if y.shape != s.shape or y.ndim != 1:
        raise ShrinkageError(f"estimates and se must be two equal-length lists, got shapes "
                             f"{y.shape} and {s.shape}")
    known = np.isfinite(y) & np.isfinite(s)
    if known.sum() < MIN_UNITS:
        raise ShrinkageError(f"need at least {MIN_UNITS} units with data, got {int(known.sum())}")
    if np.any(s[known] <= 0):
        raise ShrinkageError("every standard error must be positive")
    yk, s2 = y[known], s[known] ** 2
    spread = max(np.std(yk), np.sqrt(s2.mean()))
    tau = np.linspace(0, 4 * spread, _N_TAU)[:, None]
    w = 1 / (s2[None, :] + tau**2)
    v_mu = 1 / w.sum(axis=1)
    mu_hat = (w * yk).sum(axis=1) * v_mu
    log_post = (0.5 * np.log(v_mu) + 0.5 * np.log(w).sum(axis=1)
                - 0.5 * (w * (yk - mu_hat[:, None]) ** 2).sum(axis=1))  # flat prior on tau
    rng = _rng(seed)
    picks = _sample_grid(log_post, n_draws, rng)
    tau_d = tau[picks, 0]
    mu_d = rng.normal(mu_hat[picks], np.sqrt(v_mu[picks]))
    y_all, s2_all = np.where(known, y, 0.0), np.where(known, s**2, np.inf)
    zero = tau_d == 0  # complete pooling in this draw: every unit at mu
    draws = np.empty((len(y), n_draws))
    for part in _by_units(len(y)):
        with np.errstate(divide="ignore", invalid="ignore"):
            precision = 1 / s2_all[part, None] + 1 / tau_d[None, :] ** 2
            centre = ((y_all[part, None] / s2_all[part, None] + mu_d[None, :] / tau_d[None, :] ** 2)
                      / precision)
            sd = 1 / np.sqrt(precision)
        centre[:, zero], sd[:, zero] = mu_d[zero], 0.0
        draws[part] = rng.normal(centre, sd)
    tail = (1 - confidence) / 2
    share = s2.mean() / (s2.mean() + tau_d**2)
    low, high = _interval(draws, tail)
    summary = pd.DataFrame({"raw": np.where(known, y, np.nan), "se": s,
                            "shrunk": draws.mean(axis=1), "ci_low": low, "ci_high": high},
                           index=units_index(estimates))
    return Posterior(summary, draws, float(share.mean()))
