"""Estimates with confidence intervals for CX and EX metrics.

Every interval here is computed from sufficient statistics (counts, sums and sums of squares),
so the scalar functions (``nps``, ``csat``, ...) and the grouped form (``grouped``) share one set
of formulas, and a data engine only ever has to aggregate.

Units:
    * NPS and eNPS are in points, from -100 to 100.
    * Shares (CSAT top-2-box, CES easy share, any rate) are proportions from 0 to 1.
    * Means (CSAT mean, CES mean) are on the answer scale (1-5, 1-7).

Missing answers (NaN/None) are excluded and counted in ``n_missing``; ``n`` is always the
denominator actually used.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats as sps

NPS_METHODS = ("adjusted-wald", "wald", "bootstrap")
#: Pseudo-counts added by the adjusted-Wald NPS interval (Rocks 2016).
ADJUSTED_WALD_PSEUDO = {"promoters": 0.75, "passives": 1.5, "detractors": 0.75}


@dataclass(frozen=True)
class Estimate:
    """One estimate with its uncertainty.

    Attributes:
        metric: What was estimated, e.g. ``"nps"`` or ``"csat_top2"``.
        value: The point estimate from the data as observed (never an adjusted estimate).
        se: Standard error of ``value`` (plain Wald/analytic form).
        ci: Confidence interval ``(low, high)`` computed by ``method``.
        n: Number of valid responses used (the denominator).
        method: How ``ci`` was computed.
        confidence: Confidence level of ``ci``.
        n_missing: Missing answers excluded before estimation.
        kind: ``"nps"``, ``"proportion"`` or ``"mean"``; decides how two estimates compare.
        stats: Sufficient statistics behind the estimate (counts or sums).
    """

    metric: str
    value: float
    se: float
    ci: tuple[float, float]
    n: int
    method: str
    confidence: float = 0.95
    n_missing: int = 0
    kind: str = "proportion"
    stats: Mapping[str, float] = field(default_factory=dict)

    def __str__(self) -> str:
        low, high = self.ci
        return (
            f"{self.metric} = {self.value:.4g} "
            f"({self.confidence:.0%} CI {low:.4g} to {high:.4g}; n={self.n}, {self.method})"
        )


@dataclass(frozen=True)
class Comparison:
    """A two-sample test of ``a.value - b.value``.

    Attributes:
        metric: The metric compared.
        difference: ``a.value - b.value`` in the metric's unit.
        ci: Confidence interval of the difference (unpooled standard error).
        statistic: The z or t statistic of the test.
        p_value: Two-sided p-value.
        test: Name of the test used.
        a: The first estimate.
        b: The second estimate.
    """

    metric: str
    difference: float
    ci: tuple[float, float]
    statistic: float
    p_value: float
    test: str
    a: Estimate
    b: Estimate

    def __str__(self) -> str:
        low, high = self.ci
        return (
            f"{self.metric}: difference {self.difference:+.4g} "
            f"({self.a.confidence:.0%} CI {low:.4g} to {high:.4g}), p = {self.p_value:.3g}; "
            f"{self.a.value:.4g} (n={self.a.n}) against {self.b.value:.4g} (n={self.b.n}), "
            f"{self.test}"
        )


# --------------------------------------------------------------------------------------------
# Input handling


def _as_numeric(values: Iterable, name: str) -> tuple[np.ndarray, int]:
    """Return the non-missing values as floats and the count of missing ones."""
    series = pd.Series(list(values) if not hasattr(values, "__len__") else values, dtype="object")
    numeric = pd.to_numeric(series, errors="coerce")
    bad = series.notna() & numeric.isna()
    if bad.any():
        pos = int(np.flatnonzero(bad.to_numpy())[0])
        raise ValueError(
            f"{name}: value {series.iloc[pos]!r} at position {pos} is not a number"
        )
    arr = numeric.to_numpy(dtype=float)
    missing = np.isnan(arr)
    return arr[~missing], int(missing.sum())


def _check_scale(arr: np.ndarray, low: int, high: int, name: str, integer: bool = True) -> None:
    """Raise a clear error for the first value outside ``low..high`` (or not whole)."""
    off = (arr < low) | (arr > high)
    if integer:
        off |= arr != np.round(arr)
    if off.any():
        pos = int(np.flatnonzero(off)[0])
        kind = "whole numbers" if integer else "values"
        raise ValueError(
            f"{name}: value {arr[pos]:g} (position {pos} among the non-missing answers) "
            f"is outside the expected scale; expected {kind} from {low} to {high}"
        )


def _require_n(n: int, name: str) -> None:
    if n == 0:
        raise ValueError(f"{name}: no valid (non-missing) responses to estimate from")


def z_value(confidence: float) -> float:
    """The standard normal quantile for a two-sided interval (1.96 for 0.95)."""
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1 (exclusive), got {confidence!r}")
    return float(sps.norm.ppf(0.5 + confidence / 2))


def normal_inference(effect: float, se: float, confidence: float = 0.95
                     ) -> tuple[float, float, float]:
    """``(ci_low, ci_high, p_value)`` of an estimate with a normal sampling distribution."""
    z = z_value(confidence)
    return effect - z * se, effect + z * se, float(2 * sps.norm.sf(abs(effect / se)))


# --------------------------------------------------------------------------------------------
# Vectorized interval formulas (arrays in, arrays out)


def nps_interval(promoters, passives, detractors, method="adjusted-wald", confidence=0.95):
    """NPS value, standard error and interval from counts; vectorized over arrays.

    Args:
        promoters: Count of 9-10 answers (array-like).
        passives: Count of 7-8 answers.
        detractors: Count of 0-6 answers.
        method: ``"adjusted-wald"`` (default) or ``"wald"``.
        confidence: Confidence level.

    Returns:
        Tuple of arrays ``(value, se, low, high)`` in points.
    """
    p_cnt, a_cnt, d_cnt = (np.asarray(x, dtype=float) for x in (promoters, passives, detractors))
    n = p_cnt + a_cnt + d_cnt
    z = z_value(confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        p, d = p_cnt / n, d_cnt / n
        value = 100 * (p - d)
        se = 100 * np.sqrt((p + d - (p - d) ** 2) / n)
        if method == "wald":
            centre, half = value, z * se
        elif method == "adjusted-wald":
            pa = ADJUSTED_WALD_PSEUDO
            n_adj = n + sum(pa.values())
            p_adj = (p_cnt + pa["promoters"]) / n_adj
            d_adj = (d_cnt + pa["detractors"]) / n_adj
            centre = 100 * (p_adj - d_adj)
            half = z * 100 * np.sqrt((p_adj + d_adj - (p_adj - d_adj) ** 2) / n_adj)
        else:
            raise ValueError(f"NPS interval method {method!r} unknown; expected one of {NPS_METHODS}")
    low = np.clip(centre - half, -100, 100)
    high = np.clip(centre + half, -100, 100)
    return value, se, low, high


def wilson_interval(successes, n, confidence=0.95):
    """Proportion, its standard error and the Wilson score interval; vectorized.

    Returns:
        Tuple of arrays ``(value, se, low, high)`` as proportions.
    """
    k, n = np.asarray(successes, dtype=float), np.asarray(n, dtype=float)
    z = z_value(confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / n
        se = np.sqrt(p * (1 - p) / n)
        denom = 1 + z**2 / n
        centre = (p + z**2 / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
    # At k = 0 and k = n the bounds are exactly 0 and 1; rounding must not move them inside.
    low = np.where(k == 0, 0.0, np.clip(centre - half, 0, 1))
    high = np.where(k == n, 1.0, np.clip(centre + half, 0, 1))
    return p, se, low, high


def mean_interval(n, total, total_sq, confidence=0.95):
    """Mean, standard error and Student-t interval from n, sum and sum of squares; vectorized.

    With a single response the standard error is undefined; the interval is then the point
    itself widened to nothing (``se`` is NaN) and callers should report n=1.

    Returns:
        Tuple of arrays ``(value, se, low, high)`` on the answer scale.
    """
    n, s, ss = (np.asarray(x, dtype=float) for x in (n, total, total_sq))
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = s / n
        var = np.clip((ss - n * mean**2) / (n - 1), 0, None)
        se = np.sqrt(var / n)
        tcrit = sps.t.ppf(0.5 + confidence / 2, n - 1)
        half = tcrit * se
    return mean, se, mean - half, mean + half


# --------------------------------------------------------------------------------------------
# Scalar API


def nps(
    scores: Iterable,
    method: str = "adjusted-wald",
    confidence: float = 0.95,
    n_boot: int = 4000,
    seed: int | None = 0,
    metric: str = "nps",
) -> Estimate:
    """Net Promoter Score in points with a confidence interval.

    Promoters answer 9-10, detractors 0-6; NPS = 100 * (promoters - detractors) / n.
    The default interval is the adjusted Wald of Rocks (2016): 0.75 promoters, 0.75 detractors
    and 1.5 passives are added before the Wald formula. ``"bootstrap"`` resamples the
    trinomial counts (percentile interval, ``n_boot`` draws, seeded for reproducibility).

    Args:
        scores: Answers on the 0-10 scale; missing values are excluded and counted.
        method: ``"adjusted-wald"``, ``"wald"`` or ``"bootstrap"``.
        confidence: Confidence level of the interval.
        n_boot: Bootstrap draws (bootstrap only).
        seed: Random seed (bootstrap only).
        metric: Name recorded on the estimate (``"enps"`` for employees).

    Returns:
        An :class:`Estimate` in points.

    Examples:
        >>> est = nps([10] * 291 + [8] * 476 + [3] * 395, method="wald")
        >>> round(est.value, 3), round(est.se, 3)
        (-8.95, 2.239)
    """
    arr, n_missing = _as_numeric(scores, metric)
    _check_scale(arr, 0, 10, metric)
    counts = {
        "promoters": int((arr >= 9).sum()),
        "passives": int(((arr >= 7) & (arr <= 8)).sum()),
        "detractors": int((arr <= 6).sum()),
    }
    return nps_from_counts(
        **counts, method=method, confidence=confidence, n_boot=n_boot, seed=seed,
        n_missing=n_missing, metric=metric,
    )


def nps_from_counts(
    promoters: int,
    passives: int,
    detractors: int,
    method: str = "adjusted-wald",
    confidence: float = 0.95,
    n_boot: int = 4000,
    seed: int | None = 0,
    n_missing: int = 0,
    metric: str = "nps",
) -> Estimate:
    """NPS estimate from counts of promoters, passives and detractors (see :func:`nps`)."""
    n = promoters + passives + detractors
    _require_n(n, metric)
    if method == "bootstrap":
        value, se, _, _ = nps_interval(promoters, passives, detractors, "wald", confidence)
        rng = np.random.default_rng(seed)
        draws = rng.multinomial(n, np.array([promoters, passives, detractors]) / n, size=n_boot)
        boot = 100 * (draws[:, 0] - draws[:, 2]) / n
        z_value(confidence)  # validates the level
        alpha = (1 - confidence) / 2
        low, high = np.quantile(boot, [alpha, 1 - alpha])
        label = f"bootstrap percentile ({n_boot} draws, seed {seed})"
    else:
        value, se, low, high = nps_interval(promoters, passives, detractors, method, confidence)
        label = method
    return Estimate(
        metric=metric, value=float(value), se=float(se), ci=(float(low), float(high)), n=n,
        method=label, confidence=confidence, n_missing=n_missing, kind="nps",
        stats={"promoters": promoters, "passives": passives, "detractors": detractors},
    )


def proportion(
    successes: int, n: int, confidence: float = 0.95, n_missing: int = 0, metric: str = "rate"
) -> Estimate:
    """A proportion from counts with the Wilson score interval."""
    _require_n(n, metric)
    if not 0 <= successes <= n:
        raise ValueError(f"{metric}: successes={successes} must be between 0 and n={n}")
    value, se, low, high = wilson_interval(successes, n, confidence)
    return Estimate(
        metric=metric, value=float(value), se=float(se), ci=(float(low), float(high)), n=int(n),
        method="wilson", confidence=confidence, n_missing=n_missing, kind="proportion",
        stats={"successes": successes},
    )


def mean(
    values: Iterable,
    scale: tuple[int, int] | None = None,
    confidence: float = 0.95,
    metric: str = "mean",
) -> Estimate:
    """A mean with a Student-t interval; values outside ``scale`` raise a clear error."""
    arr, n_missing = _as_numeric(values, metric)
    if scale is not None:
        _check_scale(arr, *scale, metric)
    _require_n(arr.size, metric)
    n, s, ss = arr.size, float(arr.sum()), float((arr**2).sum())
    value, se, low, high = mean_interval(n, s, ss, confidence)
    return Estimate(
        metric=metric, value=float(value), se=float(se), ci=(float(low), float(high)), n=n,
        method="t", confidence=confidence, n_missing=n_missing, kind="mean",
        stats={"sum": s, "sum_sq": ss},
    )


def rate(flags: Iterable, confidence: float = 0.95, metric: str = "rate") -> Estimate:
    """Share of true flags (booleans or 0/1) with a Wilson interval.

    Use for retention, churn, renewal, referral, first-contact resolution and repeat contact.
    """
    arr, n_missing = _as_numeric(
        (np.nan if v is None or v is pd.NA else float(v) for v in flags), metric
    )
    _check_scale(arr, 0, 1, metric)
    return proportion(int(arr.sum()), arr.size, confidence, n_missing, metric)


def csat(scores: Iterable, statistic: str = "top2", confidence: float = 0.95) -> Estimate:
    """Customer satisfaction on the 1-5 scale.

    Args:
        scores: Answers 1-5; missing values are excluded and counted.
        statistic: ``"top2"`` for the share answering 4 or 5 (Wilson interval, a proportion),
            or ``"mean"`` for the mean score (t interval).
        confidence: Confidence level.
    """
    return _scale_metric(scores, "csat", (1, 5), 4, statistic, confidence)


def ces(scores: Iterable, statistic: str = "mean", confidence: float = 0.95) -> Estimate:
    """Customer effort score on the 1-7 scale (7 = very easy).

    Args:
        scores: Answers 1-7; missing values are excluded and counted.
        statistic: ``"mean"`` (t interval) or ``"easy"`` for the share answering 5-7 (Wilson).
        confidence: Confidence level.
    """
    return _scale_metric(scores, "ces", (1, 7), 5, statistic, confidence)


def _scale_metric(scores, name, scale, top_from, statistic, confidence):
    if statistic == "mean":
        return mean(scores, scale, confidence, metric=f"{name}_mean")
    share_name = {"csat": "top2", "ces": "easy"}[name]
    if statistic != share_name:
        raise ValueError(f"{name}: statistic {statistic!r} unknown; expected 'mean' or {share_name!r}")
    arr, n_missing = _as_numeric(scores, name)
    _check_scale(arr, *scale, name)
    _require_n(arr.size, name)
    return proportion(
        int((arr >= top_from).sum()), arr.size, confidence, n_missing, f"{name}_{share_name}"
    )


# --------------------------------------------------------------------------------------------
# Comparison


def compare(a: Estimate, b: Estimate, confidence: float | None = None) -> Comparison:
    """Two-sample test of ``a`` against ``b`` (independent samples).

    * NPS: z test; the test's standard error pools both samples under the null hypothesis
      (per-response variance p + d - (p - d)^2 of the pooled shares); the interval of the
      difference uses the unpooled standard errors.
    * Proportions: the classic pooled two-proportion z test; unpooled interval.
    * Means: Welch's t test with Welch-Satterthwaite degrees of freedom.

    Args:
        a: Estimate for the first sample (e.g. this quarter).
        b: Estimate for the second sample (e.g. last quarter), of the same metric and kind.
        confidence: Level of the difference's interval; defaults to ``a.confidence``.
    """
    if a.metric != b.metric or a.kind != b.kind:
        raise ValueError(f"cannot compare {a.metric} ({a.kind}) with {b.metric} ({b.kind})")
    confidence = a.confidence if confidence is None else confidence
    diff = a.value - b.value
    se_unpooled = math.hypot(a.se, b.se)
    if a.kind == "mean":
        test = "Welch t test"
        if se_unpooled == 0:  # no spread in either sample: the difference is exact
            stat = 0.0 if diff == 0 else math.copysign(math.inf, diff)
            p, crit = (1.0 if diff == 0 else 0.0), 0.0
        else:
            dof = _welch_dof(a, b)
            stat = diff / se_unpooled
            p = float(2 * sps.t.sf(abs(stat), dof))
            crit = float(sps.t.ppf(0.5 + confidence / 2, dof))
    else:
        se_null = _pooled_se(a, b)
        stat = diff / se_null if se_null > 0 else 0.0
        p = float(2 * sps.norm.sf(abs(stat))) if se_null > 0 else 1.0
        crit = z_value(confidence)
        test = "two-sample z test (pooled under H0)"
    half = crit * se_unpooled
    return Comparison(
        metric=a.metric, difference=diff, ci=(diff - half, diff + half), statistic=float(stat),
        p_value=p, test=test, a=a, b=b,
    )


def _pooled_se(a: Estimate, b: Estimate) -> float:
    n = a.n + b.n
    if a.kind == "nps":
        p = (a.stats["promoters"] + b.stats["promoters"]) / n
        d = (a.stats["detractors"] + b.stats["detractors"]) / n
        var = p + d - (p - d) ** 2
        return 100 * math.sqrt(var * (1 / a.n + 1 / b.n))
    p = (a.stats["successes"] + b.stats["successes"]) / n
    return math.sqrt(p * (1 - p) * (1 / a.n + 1 / b.n))


def _welch_dof(a: Estimate, b: Estimate) -> float:
    va, vb = a.se**2, b.se**2
    denom = (va**2 / (a.n - 1) if a.n > 1 else 0) + (vb**2 / (b.n - 1) if b.n > 1 else 0)
    return (va + vb) ** 2 / denom


# --------------------------------------------------------------------------------------------
# Grouped form

#: metric name -> (source column, kind, scale, threshold for the share)
METRICS: dict[str, tuple[str, str, tuple[int, int], int | None]] = {
    "nps": ("nps", "nps", (0, 10), None),
    "enps": ("enps", "nps", (0, 10), None),
    "csat_top2": ("csat", "proportion", (1, 5), 4),
    "csat_mean": ("csat", "mean", (1, 5), None),
    "ces_mean": ("ces", "mean", (1, 7), None),
    "ces_easy": ("ces", "proportion", (1, 7), 5),
}


def grouped(
    data: pd.DataFrame,
    metric: str | Sequence[str],
    by: str | Sequence[str],
    column: str | None = None,
    method: str = "adjusted-wald",
    confidence: float = 0.95,
    engine: str = "auto",
    min_n: int | None = None,
    respondent: str | None = None,
) -> pd.DataFrame:
    """One row per group (and metric) with the metric's value, interval and denominators.

    Every interval comes from counts and sums per group, so the work on the rows is one
    aggregation: pandas does it for small tables, DuckDB for large ones (several times
    faster on millions of rows, with the same results). Several metrics at once are
    aggregated in one pass over the data.

    Args:
        data: A tidy table, one row per response.
        metric: One of ``METRICS`` (``nps``, ``enps``, ``csat_top2``, ``csat_mean``,
            ``ces_mean``, ``ces_easy``), ``"rate"`` for a boolean column, or a list of them.
        by: Column or columns to group by.
        column: Source column; defaults to the metric's usual column (required for ``rate``).
        method: NPS interval method (``"adjusted-wald"`` or ``"wald"``).
        confidence: Confidence level.
        engine: ``"pandas"``, ``"duckdb"`` or ``"auto"`` (DuckDB from ``DUCKDB_ROWS`` rows).
        min_n: The reports' confidentiality rule: groups with fewer than ``min_n`` answers
            get no value or interval, nor does the smallest other group beside a lone small
            one (within the same outer groups when ``by`` has several columns), so no hidden
            value follows from the total by subtraction (see ``cxlab.stats.disclosure``).
            A ``suppressed`` column says which. None (the default) hides nothing.
        respondent: With ``min_n``, the column naming who answered (e.g. ``employee_id``):
            people are counted once however often they answered, and answers without one
            count one each. Default: every answer counts as a respondent.

    Returns:
        Columns: the group keys, ``metric``, ``value``, ``se``, ``ci_low``, ``ci_high``, ``n``,
        ``n_missing``, ``method``. Groups with no valid responses keep ``n = 0``, with NaN for
        the value and its interval.
        For a list of metrics, the rows of each metric in turn.
    """
    by = [by] if isinstance(by, str) else list(by)
    specs = [_metric_spec(m, column) for m in ([metric] if isinstance(metric, str) else metric)]
    missing_cols = [c for c in [*by, *(spec[1] for spec in specs)] if c not in data.columns]
    if missing_cols:
        raise KeyError(f"grouped(): columns {missing_cols} not in the table; it has {list(data.columns)}")
    if engine not in ("auto", "pandas", "duckdb"):
        raise ValueError(f"engine {engine!r} unknown; expected 'auto', 'pandas' or 'duckdb'")
    if engine == "duckdb" or (engine == "auto" and len(data) >= DUCKDB_ROWS):
        sums = _aggregate_duckdb(data, by, specs)
    else:
        sums = _aggregate_pandas(data, by, specs)
    frames = [_intervals(sums, i, spec, method, confidence) for i, spec in enumerate(specs)]
    if min_n is not None:
        if respondent is not None and respondent not in data.columns:
            raise KeyError(f"grouped(respondent={respondent!r}): no such column; the table has "
                           f"{list(data.columns)}")
        frames = [_suppress(frame, data, by, spec[1], min_n, respondent)
                  for frame, spec in zip(frames, specs, strict=True)]
    return frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)


def _suppress(frame: pd.DataFrame, data: pd.DataFrame, by: list[str], column: str, min_n: int,
              respondent: str | None) -> pd.DataFrame:
    """``frame`` with small groups' estimates blanked and a ``suppressed`` column."""
    from cxlab.stats.disclosure import respondents, suppressed

    counts = frame["n"]
    if respondent is not None:
        answered = data[data[column].notna()]
        people = respondents(answered, by, respondent)
        keys = pd.MultiIndex.from_frame(frame[by]) if len(by) > 1 else pd.Index(frame[by[0]])
        counts = pd.Series(people.reindex(keys, fill_value=0).to_numpy(), index=frame.index)
    parent = frame[by[:-1]].astype(str).agg("|".join, axis=1) if len(by) > 1 else None
    hidden = suppressed(counts, min_n, parent).to_numpy()
    frame = frame.copy()
    frame.loc[hidden, ["value", "se", "ci_low", "ci_high"]] = np.nan
    frame["suppressed"] = hidden
    return frame


#: From this many rows ``grouped(engine="auto")`` aggregates with DuckDB.
DUCKDB_ROWS = 1_000_000


def _metric_spec(metric: str, column: str | None) -> tuple:
    """(metric, column, kind, scale, threshold) for one metric name."""
    if metric == "rate":
        if column is None:
            raise ValueError("grouped(metric='rate') needs column= naming a boolean column")
        return metric, column, "proportion", (0, 1), 1
    if metric not in METRICS:
        raise ValueError(f"metric {metric!r} unknown; expected 'rate' or one of {sorted(METRICS)}")
    default_col, kind, scale, threshold = METRICS[metric]
    return metric, column or default_col, kind, scale, threshold


def _intervals(sums: pd.DataFrame, i: int, spec: tuple, method: str, confidence: float
               ) -> pd.DataFrame:
    """One metric's rows from the aggregated counts and sums (columns ``{i}_a`` ...)."""
    metric, column, kind = spec[:3]
    n = sums[f"{i}_valid"].to_numpy(dtype=float)
    if kind == "nps":
        value, se, low, high = nps_interval(sums[f"{i}_a"], sums[f"{i}_b"], sums[f"{i}_c"],
                                            method, confidence)
        label = method
    elif kind == "proportion":
        value, se, low, high = wilson_interval(sums[f"{i}_a"], n, confidence)
        label = "wilson"
    else:
        value, se, low, high = mean_interval(n, sums[f"{i}_a"], sums[f"{i}_b"], confidence)
        label = "t"
    out = sums.index.to_frame(index=False)
    out["metric"] = metric if metric != "rate" else column
    # A group without a valid answer has no estimate, and so no interval either (the
    # adjusted Wald's pseudo-answers would otherwise give it one).
    out["value"], out["se"], out["ci_low"], out["ci_high"] = (
        np.where(n > 0, np.asarray(x, dtype=float), np.nan) for x in (value, se, low, high)
    )
    out["n"] = n.astype(int)
    out["n_missing"] = (sums["_rows"].to_numpy() - n).astype(int)
    out["method"] = label
    return out


def _aggregate_pandas(data: pd.DataFrame, by: list[str], specs: list[tuple]) -> pd.DataFrame:
    """Per group: rows, and per metric the valid answers and the counts or sums it needs."""
    frame = data[by].copy()
    for i, (_, column, kind, scale, threshold) in enumerate(specs):
        values = pd.to_numeric(data[column].astype("Float64"), errors="raise").astype(float)
        _check_scale(values.dropna().to_numpy(), *scale, column)
        frame[f"{i}_valid"] = values.notna()
        if kind == "nps":
            frame[f"{i}_a"] = values.ge(9)
            frame[f"{i}_b"] = values.between(7, 8)
            frame[f"{i}_c"] = values.le(6)
        elif kind == "proportion":
            frame[f"{i}_a"] = values.ge(threshold)
        else:
            frame[f"{i}_a"] = values.fillna(0)
            frame[f"{i}_b"] = values.fillna(0) ** 2
    groups = frame.groupby(by, observed=True, sort=True)
    sums = groups[[c for c in frame if c not in by]].sum()
    sums["_rows"] = groups.size()
    return sums


def _aggregate_duckdb(data: pd.DataFrame, by: list[str], specs: list[tuple]) -> pd.DataFrame:
    """The same aggregation as :func:`_aggregate_pandas`, as one DuckDB query."""
    import duckdb

    def quote(name: str) -> str:
        return '"' + str(name).replace('"', '""') + '"'

    columns = list(dict.fromkeys(spec[1] for spec in specs))
    exprs = ["count(*) AS _rows"]
    for i, (_, column, kind, _, threshold) in enumerate(specs):
        v = quote(column)
        exprs.append(f"count({v}) AS {quote(f'{i}_valid')}")
        parts = {"nps": [f"count_if({v} >= 9)", f"count_if({v} BETWEEN 7 AND 8)",
                         f"count_if({v} <= 6)"],
                 "proportion": [f"count_if({v} >= {threshold})"],
                 "mean": [f"sum({v}::DOUBLE)", f"sum({v}::DOUBLE * {v})"]}[kind]
        # An aggregate over no values is NULL in SQL; here it is a count or sum of nothing.
        exprs += [f"coalesce({expr}, 0) AS {quote(f'{i}_{name}')}"
                  for expr, name in zip(parts, "abc", strict=False)]
    checks = [f"{agg}({quote(c)})" for c in columns for agg in ("min", "max")]
    checks += [f"count_if({quote(c)}::DOUBLE <> round({quote(c)}::DOUBLE))" for c in columns
               if not pd.api.types.is_integer_dtype(data[c])]
    keys = ", ".join(quote(b) for b in by)
    con = duckdb.connect()
    try:
        con.register("frame", data[[*by, *columns]])
        out = con.execute(f"SELECT {keys}, {', '.join(exprs)} FROM frame "
                          f"WHERE {' AND '.join(f'{quote(b)} IS NOT NULL' for b in by)} "
                          f"GROUP BY ALL ORDER BY {keys}").df()
        scale_check = con.execute(f"SELECT {', '.join(checks)} FROM frame").fetchone()
    finally:
        con.close()
    bounds = dict(zip(columns, zip(scale_check[0::2], scale_check[1::2], strict=False),
                      strict=False))
    fractional = sum(scale_check[2 * len(columns):])
    for _, column, _, scale, _ in specs:
        low, high = bounds[column]
        if fractional or (low is not None and (low < scale[0] or high > scale[1])):
            # Find and name the first offending value, as the pandas path does.
            _check_scale(pd.to_numeric(data[column].astype("Float64")).dropna().to_numpy(),
                         *scale, column)
    return out.set_index(by)
