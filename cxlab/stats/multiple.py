"""Control false discoveries when many groups or periods are tested at once."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from cxlab.metrics import ColumnError

METHODS = ("bh", "holm")


def adjust_pvalues(p_values: Iterable[float], method: str = "holm") -> np.ndarray:
    """Adjusted p-values: Holm (family-wise error) or Benjamini-Hochberg (``"bh"``, FDR).

    With the m p-values sorted ascending, p_(1) <= ... <= p_(m):

    * Holm: ``max over j <= i of min(1, (m - j + 1) p_(j))``;
    * Benjamini-Hochberg: ``min over j >= i of min(1, m p_(j) / j)``.

    Missing p-values (NaN) stay missing and do not count as tests.

    Examples:
        >>> adjust_pvalues([0.01, 0.04, 0.03], method="holm")
        array([0.03, 0.06, 0.06])
        >>> adjust_pvalues([0.01, 0.04, 0.03], method="bh")
        array([0.03, 0.04, 0.04])
    """
    if method not in METHODS:
        raise ValueError(f"adjustment {method!r} unknown; expected one of {sorted(METHODS)}")
    p = np.asarray(p_values, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = np.flatnonzero(~np.isnan(p))
    order = ok[np.argsort(p[ok], kind="stable")]
    m = len(order)
    rank = np.arange(1, m + 1)
    if method == "holm":
        adjusted = np.maximum.accumulate((m - rank + 1) * p[order])
    else:
        adjusted = np.minimum.accumulate((m * p[order] / rank)[::-1])[::-1]
    out[order] = np.minimum(adjusted, 1.0)
    return out


#: Groups with fewer answers than this are not tested against the rest; their flag says so.
MIN_FLAG_N = 5
#: The flag of a group too small to test.
TOO_FEW = "too few to test"
#: Up to this many answers a group's NPS or share is tested exactly; above, the normal
#: approximation of the same test (a score test) is as good and much faster.
EXACT_MAX_N = 400


def flag_groups(estimates: pd.DataFrame, alpha: float = 0.05, adjust: str = "bh",
                min_n: int = MIN_FLAG_N, kind: str | None = None) -> pd.Series:
    """Flag groups whose value differs from the rest, controlling false discoveries.

    Each group is compared with all the other groups' answers taken together, by a test
    that needs no standard error of the group itself (which is zero, or meaningless, for a
    small unanimous group): under "no difference" the group's answers are a random draw
    from all the answers, so its score is compared with that draw's distribution.

    * NPS and shares (``kind`` ``"nps"`` or ``"proportion"``): the exact
      (hypergeometric) distribution of the group's count of promoters and detractors, or
      successes, given the totals; p is the chance of a score at least as far from the
      expected one. Above ``EXACT_MAX_N`` answers, its normal approximation (the score test).
    * Means and anything else: the normal approximation with the variance of all the
      answers pooled (``sd`` and ``value`` give each group's share of it; a frame without
      ``sd`` uses ``se * sqrt(n)``).

    The p-values of the groups tested are adjusted together (Benjamini-Hochberg by default).
    Groups with fewer than ``min_n`` answers are not tested (they still count in the rest);
    at such sizes no result could be told from chance for most shares, and the test's
    error rate was checked by simulation only from there (benchmarks/validate_intervals.py).

    Args:
        estimates: One row per group with ``value`` and ``n``, and ``sd`` (the spread of one
            answer, as :func:`cxlab.grouped` gives it) or ``se``; ``method`` (from
            ``grouped``) tells the kind when ``kind`` is not given. With ``n_effective``
            (weighted estimates) the test uses the effective sizes.
        alpha: False-discovery (or family-wise, with Holm) level.
        adjust: ``"bh"`` or ``"holm"``.
        min_n: Smallest group tested.
        kind: ``"nps"``, ``"proportion"`` or ``"mean"``; default from ``method``.

    Returns:
        ``"above"``, ``"below"``, ``""`` (not different, or not tested because fewer than
        three groups have answers) or ``TOO_FEW`` per group, on the frame's index.

    Raises:
        ColumnError: naming the columns ``estimates`` lacks (a ``KeyError`` too).

    Examples:
        >>> groups = pd.DataFrame({"value": [40.0, 10.0, 12.0, 8.0], "n": [80] * 4, "sd": [80.0] * 4,
        ...                        "method": "adjusted-wald"}, index=["north", "south", "east", "west"])
        >>> flag_groups(groups).to_dict()
        {'north': 'above', 'south': '', 'east': '', 'west': ''}
    """
    _check_columns(estimates)
    value = estimates["value"].to_numpy(float)
    answers = estimates["n"].to_numpy(float)
    # Weighted groups are tested on their effective sizes; ``min_n`` counts answers.
    n = estimates["n_effective"].to_numpy(float) if "n_effective" in estimates else answers
    if "sd" in estimates:
        sd = estimates["sd"].to_numpy(float)
    else:
        sd = estimates["se"].to_numpy(float) * np.sqrt(n)
    kind = kind or _kind(estimates)
    flags = np.full(len(value), "", dtype=object)
    has = np.isfinite(value) & (n > 0)
    if kind == "mean":  # a group of one has no sd but its answer is known: no spread
        sd = np.where(has & (answers == 1), 0.0, sd)
    has &= np.isfinite(sd)
    flags[has & (answers < min_n)] = TOO_FEW
    tested = has & (answers >= min_n)
    if has.sum() < 3 or not tested.any():
        return pd.Series(flags, index=estimates.index)
    if kind in ("nps", "proportion"):
        p = _exact_or_score(value, n, sd, has, tested, kind)
    else:
        p = _pooled_normal(value, n, sd, has, tested, ddof=1 if kind == "mean" else 0)
    rest = np.array([np.sum((n * value)[has & (np.arange(len(n)) != i)])
                     / np.sum(n[has & (np.arange(len(n)) != i)]) for i in range(len(n))])
    p_adj = np.full(len(value), np.nan)
    p_adj[tested] = adjust_pvalues(p[tested], adjust)
    significant = tested & (p_adj < alpha)
    flags[significant & (value > rest)] = "above"
    flags[significant & (value < rest)] = "below"
    return pd.Series(flags, index=estimates.index)


def _check_columns(estimates: pd.DataFrame) -> None:
    """Raise a :class:`~cxlab.metrics.ColumnError` naming what ``flag_groups`` lacks."""
    missing = [column for column in ("value", "n") if column not in estimates]
    if "sd" not in estimates and "se" not in estimates:
        missing.append("sd or se")
    if missing:
        raise ColumnError(
            f"flag_groups: the estimates lack {', '.join(repr(c) for c in missing)}; expected "
            "one row per group with 'value', 'n' and 'sd' (the spread of one answer) or 'se', "
            f"as cxlab.grouped gives them; they have {list(estimates.columns)}")


def _kind(estimates: pd.DataFrame) -> str:
    """The kind of estimate a ``grouped`` frame holds, from its ``method`` column."""
    if "method" not in estimates or estimates.empty:
        return "other"
    method = str(estimates["method"].iloc[0]).split(",")[0]  # e.g. "wilson, weighted (...)"
    return {"wilson": "proportion", "t": "mean", "adjusted t": "mean"}.get(
        method, "nps" if "wald" in method or "bootstrap" in method else "other")


def _counts(value: np.ndarray, n: np.ndarray, sd: np.ndarray, kind: str
            ) -> tuple[np.ndarray, np.ndarray]:
    """Per group ``(high, low)`` answer counts: promoters and detractors, or successes and 0."""
    if kind == "proportion":
        return np.round(value * n), np.zeros_like(n)
    net = np.round(value * n / 100)  # promoters - detractors
    either = np.round(n * ((sd / 100) ** 2 + (value / 100) ** 2))  # promoters + detractors
    return (either + net) / 2, (either - net) / 2


def _exact_or_score(value: np.ndarray, n: np.ndarray, sd: np.ndarray, has: np.ndarray,
                    tested: np.ndarray, kind: str) -> np.ndarray:
    """Two-sided p-values of each tested group's score against the rest's, from counts."""
    from scipy import stats
    from scipy.special import gammaln

    high, low = _counts(value, n, sd, kind)
    total_n, total_high, total_low = n[has].sum(), high[has].sum(), low[has].sum()
    total_mid = total_n - total_high - total_low
    mean = (total_high - total_low) / total_n
    var = (total_high + total_low) / total_n - mean**2  # of one answer's score (+1, 0, -1)

    def log_choose(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return gammaln(a + 1) - gammaln(b + 1) - gammaln(a - b + 1)

    p = np.full(len(n), np.nan)
    for i in np.flatnonzero(tested):
        m = n[i]
        expected = m * mean
        distance = abs(high[i] - low[i] - expected)
        if var <= 0:
            p[i] = 1.0
        elif m > EXACT_MAX_N:
            sd_draw = np.sqrt(var * m * (total_n - m) / (total_n - 1))
            p[i] = 2 * stats.norm.sf(distance / sd_draw) if sd_draw > 0 else 1.0
        else:
            x = np.arange(0, min(m, total_high) + 1)[:, None]
            y = np.arange(0, min(m, total_low) + 1)[None, :]
            mid = m - x - y
            possible = (mid >= 0) & (mid <= total_mid)
            with np.errstate(invalid="ignore"):
                log_pmf = (log_choose(total_high, x) + log_choose(total_low, y)
                           + log_choose(total_mid, np.where(possible, mid, 0))
                           - log_choose(total_n, m))
            far = possible & (np.abs(x - y - expected) >= distance - 1e-7)
            p[i] = min(1.0, float(np.exp(log_pmf[far]).sum()))
    return p


def _pooled_normal(value: np.ndarray, n: np.ndarray, sd: np.ndarray, has: np.ndarray,
                   tested: np.ndarray, ddof: int) -> np.ndarray:
    """Two-sided p-values of each group's mean against a random draw of its size."""
    from scipy import stats

    total_n = n[has].sum()
    grand = np.sum((n * value)[has]) / total_n
    within = np.sum(((n - ddof) * sd**2)[has])
    var = (within + np.sum((n * (value - grand) ** 2)[has])) / total_n
    p = np.full(len(n), np.nan)
    m = n[tested]
    sd_mean = np.sqrt(var * (total_n - m) / ((total_n - 1) * m))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(sd_mean > 0, (value[tested] - grand) / sd_mean, 0.0)
    p[tested] = 2 * stats.norm.sf(np.abs(z))
    return p
