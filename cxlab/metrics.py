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

Input that cannot be estimated from is a :class:`MetricError` (a ``CxlabError`` and a
``ValueError``) naming the metric, the column where there is one, and what was expected; a
column the table lacks is a :class:`ColumnError`, which is a ``KeyError`` too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple, TypeAlias

import numpy as np
import pandas as pd
from scipy import stats as sps

from cxlab import measures
from cxlab.errors import CxlabError

#: A number or a NumPy array of them: the interval functions below are vectorized.
Numbers: TypeAlias = Any

NPS_METHODS = ("adjusted-wald", "wald", "bootstrap")
#: The NPS interval methods of a grouped estimate (the bootstrap is for one estimate).
GROUPED_METHODS = ("adjusted-wald", "wald")
#: Pseudo-counts added by the adjusted-Wald NPS interval (Rocks 2016).
ADJUSTED_WALD_PSEUDO = {"promoters": 0.75, "passives": 1.5, "detractors": 0.75}


class _OneRow:
    """A result that is one row of numbers: its table is its ``to_dict`` as one row."""

    def to_dict(self) -> dict:
        raise NotImplementedError

    def to_frame(self) -> pd.DataFrame:
        """The result as a one-row table (``pd.concat`` several into one)."""
        return pd.DataFrame([self.to_dict()])


@dataclass(frozen=True)
class Estimate(_OneRow):
    """One estimate with its uncertainty.

    Attributes:
        metric: What was estimated, e.g. ``"nps"`` or ``"csat_top2"``.
        value: The point estimate from the data as observed (never an adjusted estimate).
        se: The standard error the interval is built from, so the two agree: for the
            adjusted-Wald NPS that of the adjusted shares, for the plain Wald the Wald one,
            for the bootstrap the spread of the draws, for a Wilson interval its
            ``(centre - low) / z`` form, for a mean ``s / sqrt(n)``.
        ci: Confidence interval ``(low, high)`` computed by ``method``; it always contains
            ``value`` (see :func:`nps_interval`).
        n: Number of valid responses used (the denominator).
        method: How ``ci`` was computed.
        confidence: Confidence level of ``ci``.
        n_missing: Missing answers excluded before estimation.
        kind: ``"nps"``, ``"proportion"`` or ``"mean"``; decides how two estimates compare.
        stats: Sufficient statistics behind the estimate (counts or sums); for a weighted
            estimate the effective counts and sums (see :func:`kish_n`).
        n_effective: Kish's effective sample size of a weighted estimate, the number of
            unweighted answers that would give the same precision; ``n`` when unweighted.
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
    n_effective: float | None = None

    def __post_init__(self) -> None:
        if self.n_effective is None:
            object.__setattr__(self, "n_effective", float(self.n))

    @property
    def weighted(self) -> bool:
        """Whether the estimate came from weighted answers."""
        return "weighted" in self.method

    def __str__(self) -> str:
        low, high = self.ci
        return (
            f"{self.metric} = {self.value:.4g} "
            f"({self.confidence:.0%} CI {low:.4g} to {high:.4g}; {_sizes(self)}, {self.method})"
        )

    def __repr__(self) -> str:
        return f"<Estimate {self}>"

    def to_dict(self) -> dict:
        """The estimate as plain values, the interval as two numbers (for a table or JSON)."""
        return {"metric": self.metric, "value": self.value, "ci_low": self.ci[0],
                "ci_high": self.ci[1], "se": self.se, "n": self.n,
                "n_effective": self.n_effective, "n_missing": self.n_missing,
                "confidence": self.confidence, "method": self.method, "kind": self.kind}

    def _repr_html_(self) -> str:
        low, high = self.ci
        return _result_html(f"{self.metric} = {self.value:.4g}", [
            (f"{self.confidence:.0%} interval", f"{low:.4g} to {high:.4g}"),
            ("answers", _sizes(self).replace("n=", "n = ").replace(", n_eff=", ", n_eff = ")),
            ("method", self.method)])


def _sizes(e: Estimate) -> str:
    """``n=...``, with the effective size beside it when the estimate is weighted."""
    return f"n={e.n}, n_eff={e.n_effective:.1f}" if e.weighted else f"n={e.n}"


@dataclass(frozen=True)
class Comparison(_OneRow):
    """A two-sample test of ``a.value - b.value``.

    Attributes:
        metric: The metric compared.
        difference: ``a.value - b.value`` in the metric's unit.
        ci: Confidence interval of the difference, on the same basis as the test: the
            test's p-value is below ``1 - confidence`` exactly when 0 is outside it.
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
            f"{self.a.value:.4g} ({_sizes(self.a)}) against {self.b.value:.4g} "
            f"({_sizes(self.b)}), {self.test}"
        )

    def __repr__(self) -> str:
        return f"<Comparison {self}>"

    def to_dict(self) -> dict:
        """The comparison as plain values, with both estimates' values and sizes."""
        return {"metric": self.metric, "difference": self.difference, "ci_low": self.ci[0],
                "ci_high": self.ci[1], "statistic": self.statistic, "p_value": self.p_value,
                "test": self.test, "value_a": self.a.value, "n_a": self.a.n,
                "value_b": self.b.value, "n_b": self.b.n}

    def _repr_html_(self) -> str:
        low, high = self.ci
        return _result_html(f"{self.metric}: difference {self.difference:+.4g}", [
            (f"{self.a.confidence:.0%} interval", f"{low:+.4g} to {high:+.4g}"),
            ("p-value", f"{self.p_value:.3g}"),
            ("compared", f"{self.a.value:.4g} ({_sizes(self.a)}) against {self.b.value:.4g} "
                         f"({_sizes(self.b)})"),
            ("test", self.test)])


def _result_html(title: str, rows: list[tuple[str, str]], table: pd.DataFrame | None = None
                 ) -> str:
    """A result as a small table for a notebook: its headline, then one row per part.

    A result with several rows of its own (drivers, indicators) gives them as ``table``,
    shown below. Every text is escaped.
    """
    from html import escape

    body = "".join(f"<tr><th scope='row' style='text-align:left'>{escape(k)}</th>"
                   f"<td style='text-align:left'>{escape(v)}</td></tr>" for k, v in rows)
    parts = (f"<table><caption style='text-align:left;font-weight:bold'>{escape(title)}"
             f"</caption>{body}</table>")
    if table is not None:
        parts += table.to_html(index=False, escape=True, border=0, na_rep="-")
    return parts


class Summary(str):
    """A result's ``summary()``: prints as text, shows as a table in a notebook.

    As statsmodels' ``summary()``: ``print(result.summary())`` and a notebook cell give the
    same content, as text or HTML (``as_text()``, ``as_html()``). It is the text itself (a
    ``str``), so it can be searched or written to a file as before.

    Examples:
        >>> s = Summary("R² = 0.85", "<p>R² = 0.85</p>")
        >>> s
        R² = 0.85
        >>> s.as_html()
        '<p>R² = 0.85</p>'
    """

    _html: str

    def __new__(cls, text: str, html: str) -> Summary:
        """The summary with its ``text`` and the ``html`` a notebook shows."""
        self = super().__new__(cls, text)
        self._html = html
        return self

    def __repr__(self) -> str:  # a cell shows the text, not a quoted string with \n in it
        return str(self)

    def as_text(self) -> str:
        """The summary as plain text."""
        return str(self)

    def as_html(self) -> str:
        """The summary as HTML (what a notebook shows)."""
        return self._html

    def _repr_html_(self) -> str:
        return self._html


# --------------------------------------------------------------------------------------------
# Input handling


class MetricError(CxlabError, ValueError):
    """Answers, weights or options an estimate cannot use.

    The message names the metric, the column where there is one, and what was expected.
    """


class ColumnError(MetricError, KeyError):
    """A column the call names that the table does not have (a KeyError, as pandas' is)."""

    def __str__(self) -> str:  # the message as written, not quoted as KeyError's would be
        return Exception.__str__(self)


def _as_numeric(values: Iterable, name: str, expected: str = "numbers"
                ) -> tuple[np.ndarray, int]:
    """Return the non-missing values as floats and the count of missing ones."""
    arr = _floats(_as_series(values, name), name, expected)
    missing = np.isnan(arr)
    return arr[~missing], int(missing.sum())


def _floats(series: pd.Series, name: str, expected: str = "numbers") -> np.ndarray:
    """Every value as a float, NaN where missing; a clear error naming a non-number.

    ``expected`` says what the answers should be (``"whole numbers from 0 to 10"``).
    """
    try:
        numeric = pd.to_numeric(series, errors="coerce")
    except TypeError:  # values pandas cannot even try, such as lists or dates
        numeric = pd.Series(np.nan, index=series.index)
    bad = series.notna() & numeric.isna()
    if bad.any():
        pos = int(np.flatnonzero(bad.to_numpy())[0])
        raise MetricError(f"{name}: value {series.iloc[pos]!r} at position {pos} is not a "
                          f"number; expected {expected}")
    return numeric.to_numpy(dtype=float)


def _expected(scale: tuple[float, float], integer: bool = True) -> str:
    """What answers on ``scale`` look like, for an error message."""
    if tuple(scale) == (0, 1):
        return "true/false flags (booleans, or 0 and 1)"
    low, high = scale
    if not np.isfinite(high):
        return f"numbers from {low:g} up"
    return f"{'whole numbers' if integer else 'numbers'} from {low:g} to {high:g}"


def _answers(values: Iterable, name: str, weights: Iterable | None = None,
             expected: str = "numbers") -> tuple[np.ndarray, int, np.ndarray | None]:
    """``(answers, n_missing, weights)``: the non-missing answers as floats, and their weights.

    Without ``weights`` the third item is None. With them, answers weighted 0 are left out
    (they count in neither ``n`` nor ``n_missing``), and a weight that is missing, negative,
    infinite or not a number where there is an answer is an error naming its position.
    """
    if weights is None:
        arr, n_missing = _as_numeric(values, name, expected)
        return arr, n_missing, None
    series = _as_series(values, name)
    w = aligned_weights(weights, values, name)
    if len(w) != len(series):
        raise MetricError(f"{name}: {len(w)} weights for {len(series)} answers; give one "
                          "weight per answer")
    numeric = _floats(series, name, expected)
    answered = ~np.isnan(numeric)
    w = check_weights(w, name, answered)
    keep = answered & (w > 0)
    if not keep.any():
        raise MetricError(f"{name}: every answer has weight 0; nothing to estimate from")
    return numeric[keep], int((~answered).sum()), w[keep]


def aligned_weights(weights: Any, values: Any, name: str) -> pd.Series:
    """One weight per answer, lined up with ``values``.

    Two pandas objects are lined up by their index (as pandas would), so sorted or filtered
    answers keep their own weights; anything else by position. A column name, a single number
    or a different length is an error that says what to pass instead.
    """
    if isinstance(weights, str):
        raise MetricError(f"{name}: weights={weights!r} is a name; pass the weights themselves "
                         "(e.g. data[column]); only grouped() and key_drivers() take a column "
                         "name")
    if np.ndim(weights) == 0 and not isinstance(weights, Iterable):
        raise MetricError(f"{name}: weights must be one number per answer, got a single "
                         f"{type(weights).__name__}")
    n = len(values) if hasattr(values, "__len__") else None
    if isinstance(weights, pd.Series) and isinstance(values, (pd.Series, pd.DataFrame)):
        if not weights.index.equals(values.index):
            if weights.index.has_duplicates or not values.index.isin(weights.index).all():
                raise MetricError(f"{name}: the weights' index does not hold every answer's "
                                 "index label; pass weights for exactly these answers (or "
                                 "plain arrays, matched by position)")
            weights = weights.reindex(values.index)
        return _as_series(weights.to_numpy(), f"{name} weights")
    w = _as_series(weights, f"{name} weights")
    if n is not None and len(w) != n:
        raise MetricError(f"{name}: {len(w)} weights for {n} answers; give one weight per "
                          "answer")
    return w


def _as_series(values: Iterable, name: str = "answers") -> pd.Series:
    """Any iterable (a generator too) as an object Series, positions kept.

    A table, a text or a single value is an error naming ``name`` and what to pass instead.
    """
    if isinstance(values, pd.DataFrame):
        own = measures.find(name)
        column = own.column if own is not None and own.column in values else values.columns[0]
        raise MetricError(f"{name}: expected one column of answers, got a table with columns "
                          f"{list(values.columns)}; pass one, e.g. data[{column!r}]")
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise MetricError(f"{name}: expected the answers (a column, a list or an array), got "
                          f"{type(values).__name__} {values!r:.40}")
    return pd.Series(list(values) if not hasattr(values, "__len__") else values, dtype="object")


def _where(metric: str, values: Any, fallback: str | None = None) -> str:
    """How an error names the answers: ``csat_top2 (column 'nps')`` for a named Series.

    Answers without a column name (a list, an array) are named ``fallback`` or ``metric``.
    """
    column = values.name if isinstance(values, pd.Series) else None
    if isinstance(column, str):
        return f"{metric} (column {column!r})"
    return metric if fallback is None else fallback


def _registry_name(metric: str, kinds: tuple[str, ...]) -> str:
    """``metric`` as the registry names it, when it names a measure of one of ``kinds``.

    An old name (``fcr``) warns and gives the registry's (``first_contact_resolution``); a
    column's name gives its headline measure; a free label (``"rate"``, ``"q7"``) stays.
    """
    m = measures.find(metric)
    return m.name if m is not None and m.kind in kinds else metric


def check_weights(weights: Iterable, name: str, answered: np.ndarray | None = None) -> np.ndarray:
    """Survey weights as floats, or a clear error for the first unusable one.

    A weight must be a finite number of at least 0 wherever ``answered`` is true (every
    position when it is None); elsewhere a missing weight is allowed and returned as 0.
    """
    raw = _as_series(weights, f"{name} weights")
    w = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
    need = np.ones(len(w), bool) if answered is None else np.asarray(answered, bool)
    if need.any() and raw[need].isna().all():
        raise MetricError(f"{name}: every weight is missing (an empty weight column?); "
                          "compute the weights first (e.g. cxlab.rake) or leave weights out")
    bad = need & ~(np.isfinite(w) & (w >= 0))
    if bad.any():
        pos = int(np.flatnonzero(bad)[0])
        raise MetricError(f"{name}: weight {raw.iloc[pos]!r} at position {pos} is not usable; "
                         "expected a finite number of at least 0 for every answer")
    return np.where(np.isfinite(w), w, 0.0)


def kish_n(weights: Iterable[float]) -> float:
    """Kish's effective sample size ``(sum w)^2 / sum w^2`` (``n`` when all weights are equal).

    The number of unweighted answers that would estimate a mean as precisely as these
    weighted ones, counting the precision the weights' spread costs (design effect
    ``1 + cv^2``); it ignores any relation between the weights and the answers.

    Examples:
        >>> kish_n([1, 1, 2, 2])
        3.6
    """
    w = np.asarray(weights, dtype=float)
    w = w / w.max()  # scale-free: weights of 1e-300 or 1e200 neither underflow nor overflow
    return float(w.sum() ** 2 / (w**2).sum())


def _check_scale(arr: np.ndarray, low: float, high: float, name: str, integer: bool = True
                 ) -> None:
    """Raise a clear error for the first value outside ``low..high`` (or not whole)."""
    off = (arr < low) | (arr > high)
    if integer:
        off |= arr != np.round(arr)
    if off.any():
        pos = int(np.flatnonzero(off)[0])
        kind = "whole numbers" if integer else "values"
        raise MetricError(
            f"{name}: value {arr[pos]:g} (position {pos} among the non-missing answers) "
            f"is outside the expected scale; expected {kind} from {low} to {high}"
        )


#: Answer scales narrower than a measure's, which a wrong column usually holds: a 1-5
#: satisfaction or a 1-7 effort question given to NPS (0-10), or a 1-5 one given to CES (1-7).
NARROWER_SCALES = ((1, 5), (1, 7))
#: From this many answers, a column that fits a narrower scale is taken for the wrong column:
#: a real 0-10 question answered this often has a 0 or an 8-10 somewhere.
SCALE_GUARD_MIN_N = 30


class ScaleError(CxlabError, ValueError):
    """Answers that fit a narrower scale than their measure's: most likely the wrong column."""


def guard_scale(arr: np.ndarray, low: float, high: float, metric: str,
                values: Iterable | None = None,
                check: bool = True) -> None:
    """Refuse answers that all fit a narrower scale than the measure's (see NARROWER_SCALES).

    ``cxlab.nps(responses["csat"])`` would otherwise report an NPS of -100 with a tight
    interval. Skipped with ``check=False``, and for the measure's own column of a cxlab table
    (``values`` named like it), whose scale was checked when it was imported.

    Two rules. **By the column's name**, whatever the number of answers: a column the
    registry (:mod:`cxlab.measures`) knows as another measure's, on another finite scale (a
    Series named ``csat`` or ``ces`` given to a 0-10 measure, ``grouped(..., "nps",
    column="csat")``, the ``nps`` column given to a 1-5 one), is refused, naming the column,
    its measure and its scale.

    **By the values**, for any other column: from ``SCALE_GUARD_MIN_N`` (30) answers, answers
    that all fit a narrower scale are refused. Below 30 answers of a column the registry does
    not know (a list, an array, a Series of another name) nothing can be told: a real 0-10
    sample that small may hold only 1-7 answers by chance. Even where 4 answers in 5 fall
    within 1-7 (a very unhappy group), 30 answers all do so about once in 800 samples
    (0.8^30), but 10 answers once in 9. Name the column you mean.

    Examples:
        >>> nps([1, 2, 3, 4, 5] * 6)
        Traceback (most recent call last):
        ...
        cxlab.metrics.ScaleError: nps: all 30 answers lie within 1-5 (values seen: 1, 2, 3, 4, 5), ...
        >>> nps([1, 2, 3, 4, 5] * 5).n  # 25 answers of an unknown column: too few to tell
        25
        >>> nps(pd.Series([1, 2, 3, 4, 5] * 4, name="csat"))
        Traceback (most recent call last):
        ...
        cxlab.metrics.ScaleError: nps: column 'csat' holds the answers of csat_top2 (CSAT, ...), on 1-5, ...
    """
    column = getattr(values, "name", None)
    if arr.size:
        guard_scale_seen(arr.size, float(arr.min()), float(arr.max()),
                         lambda: np.unique(arr)[:12], low, high, metric, column, check)


def guard_scale_seen(count: int, seen_low: float, seen_high: float,
                     distinct: Callable[[], Iterable[float]], low: float, high: float,
                     metric: str, column: str | None, check: bool = True) -> None:
    """:func:`guard_scale` from a summary of the answers rather than the answers.

    How many there are, their range, and a callable giving up to 12 distinct values (asked
    only when the answers look wrong). An engine that holds the rows answers these with one aggregate query.
    """
    if not _guard_looks_at(metric, column, check):
        return
    other = _other_measure_column(column, low, high)
    if count >= SCALE_GUARD_MIN_N:
        for a, b in NARROWER_SCALES:
            if low <= a and b < high and a <= seen_low and seen_high <= b:
                seen = ", ".join(f"{v:g}" for v in distinct())
                where = f" in column {column!r}" if isinstance(column, str) else ""
                raise ScaleError(
                    f"{metric}: all {count:,} answers{where} lie within {a}-{b} (values "
                    f"seen: {seen}), but {metric} is measured on {low:g}-{high:g}; this looks "
                    f"like a {a}-{b} question (satisfaction or effort), not {metric}. If the "
                    f"answers really are on {low:g}-{high:g}, pass check_scale=False")
    if other is not None:
        its_low, its_high = other.scale
        raise ScaleError(
            f"{metric}: column {column!r} holds the answers of {other.name} ({other.label}), "
            f"on {its_low:g}-{its_high:g}, but {metric} is measured on {low:g}-{high:g}; pass that "
            f"measure's own column. If these answers really are on {low:g}-{high:g}, pass "
            "check_scale=False")


def _guard_looks_at(metric: str, column: str | None, check: bool = True) -> bool:
    """Whether the wrong-scale guard must see these answers' range.

    Not when it is turned off, nor for the measure's own column of a cxlab table: the
    column says what it holds.
    """
    own = measures.find(metric)
    return check and not (own is not None and column == own.column)


def _other_measure_column(column: str | None, low: float, high: float
                          ) -> measures.Measure | None:
    """The measure whose column ``column`` is, when its answer scale is not ``low..high``.

    Both scales finite: a 1-5 ``csat`` column given to NPS (0-10) is the wrong column
    whatever the number of answers; an open-ended one (wait seconds) says nothing.
    """
    other = measures.of_column(column) if isinstance(column, str) else None
    if other is None or not np.isfinite([*other.scale, low, high]).all():
        return None
    return other if tuple(other.scale) != (low, high) else None


def _require_n(n: int, name: str) -> None:
    if n == 0:
        raise MetricError(f"{name}: no valid (non-missing) responses to estimate from")


def z_value(confidence: float) -> float:
    """The standard normal quantile for a two-sided interval (1.96 for 0.95)."""
    if not isinstance(confidence, (int, float)) or not 0 < confidence < 1:
        raise MetricError(f"confidence must be a number between 0 and 1 (exclusive), e.g. "
                          f"0.95, got {confidence!r}")
    return float(sps.norm.ppf(0.5 + confidence / 2))


def normal_inference(effect: float, se: float, confidence: float = 0.95
                     ) -> tuple[float, float, float]:
    """``(ci_low, ci_high, p_value)`` of an estimate with a normal sampling distribution."""
    z = z_value(confidence)
    return effect - z * se, effect + z * se, float(2 * sps.norm.sf(abs(effect / se)))


# --------------------------------------------------------------------------------------------
# Vectorized interval formulas (arrays in, arrays out)


def nps_interval(promoters: Numbers, passives: Numbers, detractors: Numbers,
                 method: str = "adjusted-wald", confidence: float = 0.95) -> tuple[Numbers, ...]:
    """NPS value, standard error and interval from counts; vectorized over arrays.

    The standard error is the one the interval is built from: the plain Wald standard error
    of the observed shares for ``"wald"``, that of the adjusted shares for
    ``"adjusted-wald"`` (never zero, because every category gets a pseudo-count). The
    interval is ``centre +- z * se``, clipped to -100..100; where the adjusted interval stops
    short of the observed NPS (few answers, nearly all promoters or all detractors: one
    promoter gives -48.5 to 98.5) its end is moved out to the observed value, so every
    interval contains its estimate. Widening can only raise coverage.

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
        value = 100 * (p_cnt - d_cnt) / n
        if method == "wald":
            centre, se = value, _nps_se(p_cnt, d_cnt, n)
        elif method == "adjusted-wald":
            centre, se = _adjusted_nps(p_cnt, d_cnt, n)
        else:
            raise MetricError(_grouped_method_message(method))
        low = np.minimum(np.clip(centre - z * se, -100, 100), value)
        high = np.maximum(np.clip(centre + z * se, -100, 100), value)
    return value, se, low, high


def _nps_se(promoters: Numbers, detractors: Numbers, n: Numbers) -> Numbers:
    """Wald standard error of an NPS in points from (possibly fractional) counts."""
    p, d = promoters / n, detractors / n
    return 100 * np.sqrt(np.clip(p + d - (p - d) ** 2, 0, None) / n)


def _adjusted_nps(promoters: Numbers, detractors: Numbers, n: Numbers
                  ) -> tuple[Numbers, Numbers]:
    """``(centre, se)`` of the adjusted-Wald NPS: the Wald formula after the pseudo-counts."""
    pa = ADJUSTED_WALD_PSEUDO
    return _nps_adjusted_by(promoters, detractors, n, pa["promoters"], sum(pa.values()))


def _nps_adjusted_by(promoters: Numbers, detractors: Numbers, n: Numbers, each_end: float,
                     extra: float) -> tuple[Numbers, Numbers]:
    """``(centre, se)`` after adding ``each_end`` promoters and detractors (``extra`` in all)."""
    n_adj = n + extra
    p_adj, d_adj = promoters + each_end, detractors + each_end
    return 100 * (p_adj - d_adj) / n_adj, _nps_se(p_adj, d_adj, n_adj)


def wilson_interval(successes: Numbers, n: Numbers, confidence: float = 0.95
                    ) -> tuple[Numbers, ...]:
    """Proportion, its standard error and the Wilson score interval; vectorized.

    The Wilson interval is ``centre +- z * se`` with centre ``(k + z^2/2) / (n + z^2)`` and
    ``se = sqrt(n p (1 - p) + z^2/4) / (n + z^2)``; that ``se`` is the one returned, so the
    standard error and the interval agree (it is never zero, even at 0 of n or n of n, and it
    depends a little on the confidence level). For large n it is the familiar
    ``sqrt(p (1 - p) / n)``.

    Returns:
        Tuple of arrays ``(value, se, low, high)`` as proportions.
    """
    k, n = np.asarray(successes, dtype=float), np.asarray(n, dtype=float)
    z = z_value(confidence)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / n
        centre = (k + z**2 / 2) / (n + z**2)
        se = np.sqrt(n * p * (1 - p) + z**2 / 4) / (n + z**2)
        # At k = 0 and k = n the bounds are exactly 0 and 1; rounding must not move them
        # inside, and no bound may pass the estimate.
        low = np.where(k == 0, 0.0, np.minimum(np.clip(centre - z * se, 0, 1), p))
        high = np.where(k == n, 1.0, np.maximum(np.clip(centre + z * se, 0, 1), p))
    return p, se, low, high


#: Pseudo-answers added to a single mean on a known scale before its interval is computed:
#: at the low end, the middle and the high end (the single NPS adjustment's weights). Without
#: them, three answers of 5 show no spread and a t interval of zero width; in simulation the
#: plain t interval covered a mean near the top of a 1-5 scale 19-65% of the time at n = 2 to
#: 10, and with them 95-100% (benchmarks/validate_intervals.py, eight shapes, n = 2 to 100).
MEAN_PSEUDO = {"low": 0.75, "middle": 1.5, "high": 0.75}


def mean_interval(n: Numbers, total: Numbers, total_sq: Numbers | None = None,
                  confidence: float = 0.95, *, sum_sq_dev: Numbers | None = None,
                  shift: Numbers = 0.0, scale: tuple[float, float] | None = None
                  ) -> tuple[Numbers, ...]:
    """Mean, standard error and Student-t interval from per-group sums; vectorized.

    The spread can be given in either of two forms:

    * ``total_sq``, the plain sum of squares. Simple, and exact enough for answers on a
      small scale, but ``sum_sq - n * mean^2`` cancels catastrophically when the values
      sit far from zero (1e9 plus small numbers).
    * ``sum_sq_dev``, the sum of squared deviations from the group's own mean (what a
      two-pass or Welford computation gives, e.g. DuckDB's ``var_samp * (count - 1)``). It
      is stable at any offset and is preferred.

    ``shift`` says that ``total`` and ``total_sq`` are sums of ``value - shift`` (shifting by
    any typical value before summing also keeps the plain form stable); the mean returned is
    in the original units.

    With a single answer the spread is unknown: ``se``, ``low`` and ``high`` are NaN (no
    interval), and callers should report n=1.

    With ``scale = (low, high)`` the answers are known to lie on that scale: ``MEAN_PSEUDO``
    answers are added before the spread and the interval are computed (Student-t with
    ``n + 2`` degrees of freedom), the interval is clipped to the scale and reaches at least
    to the observed mean, which is the value returned. ``se`` is the adjusted one, so it
    matches the interval; a single answer then has a (wide) interval too.

    Returns:
        Tuple of arrays ``(value, se, low, high)`` on the answer scale.
    """
    n, s = np.asarray(n, dtype=float), np.asarray(total, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        if sum_sq_dev is not None:
            m2 = np.asarray(sum_sq_dev, dtype=float)
        elif total_sq is not None:
            m2 = np.asarray(total_sq, dtype=float) - s * (s / n)
        else:
            raise MetricError("mean_interval needs total_sq or sum_sq_dev")
        mean = shift + s / n
        if scale is not None:
            return _scaled_mean_interval(n, mean, np.clip(m2, 0, None), scale, confidence)
        var = np.where(n > 1, np.clip(m2, 0, None) / (n - 1), np.nan)
        se = np.sqrt(var / n)
        half = sps.t.ppf(0.5 + confidence / 2, n - 1) * se
    return mean, se, mean - half, mean + half


def _scaled_mean_interval(n: Numbers, mean: Numbers, m2: Numbers, scale: tuple[float, float],
                          confidence: float) -> tuple[Numbers, ...]:
    """``mean_interval`` for answers on a known scale (see there)."""
    points = {"low": scale[0], "middle": (scale[0] + scale[1]) / 2, "high": scale[1]}
    extra = sum(MEAN_PSEUDO.values())
    with np.errstate(divide="ignore", invalid="ignore"):
        centre = (n * mean + sum(w * points[k] for k, w in MEAN_PSEUDO.items())) / (n + extra)
        m2 = m2 + n * (mean - centre) ** 2 + sum(w * (points[k] - centre) ** 2
                                                  for k, w in MEAN_PSEUDO.items())
        se = np.sqrt(m2 / (n + extra - 1) / (n + extra))
        half = sps.t.ppf(0.5 + confidence / 2, n + extra - 1) * se
        low = np.minimum(np.clip(centre - half, *scale), mean)
        high = np.maximum(np.clip(centre + half, *scale), mean)
    none = ~(n > 0)
    return (mean, np.where(none, np.nan, se), np.where(none, np.nan, low),
            np.where(none, np.nan, high))


def _stable_sums(arr: np.ndarray, weights: np.ndarray | None = None
                 ) -> tuple[float, float, float]:
    """``(shift, sum of (x - shift), sum of squared deviations from the mean)`` of ``arr``.

    A shifted two-pass computation with the usual correction term, accurate whatever the
    offset of the values (1e9 plus small numbers keeps its variance). With ``weights``
    the sums are those of Kish's effective sample: the weighted mean, and the weighted
    variance (``sum w (x - mean)^2 / sum w``) times ``n_eff``.
    """
    if weights is None:
        shift = float(arr.mean())
        dev = arr - shift
        total = float(dev.sum())
        return shift, total, max(float((dev**2).sum()) - total**2 / arr.size, 0.0)
    w = weights / weights.sum()
    shift = float(w @ arr)
    dev = arr - shift
    total = float(w @ dev)
    variance = max(float(w @ dev**2) - total**2, 0.0)
    n_eff = kish_n(weights)
    return shift, total * n_eff, variance * n_eff


# --------------------------------------------------------------------------------------------
# Scalar API


def nps(
    scores: Iterable,
    method: str = "adjusted-wald",
    confidence: float = 0.95,
    n_boot: int = 4000,
    seed: int | None = 0,
    metric: str = "nps",
    weights: Iterable | None = None,
    check_scale: bool = True,
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
        weights: Survey weights, one per answer (see :func:`weighted_counts`); the interval
            then uses Kish's effective sample size (no bootstrap).
        check_scale: Refuse another measure's column (a Series named ``csat`` or ``ces``,
            however few its answers), and 30 or more answers that all fit a 1-5 or 1-7 scale
            (see :func:`guard_scale`): most likely a satisfaction column, not the 0-10
            question.

    Returns:
        An :class:`Estimate` in points.

    Examples:
        >>> est = nps([10] * 291 + [8] * 476 + [3] * 395, method="wald")
        >>> round(est.value, 3), round(est.se, 3)
        (-8.95, 2.239)
    """
    metric = _registry_name(metric, ("nps",))
    if method not in NPS_METHODS:
        raise MetricError(f"{metric}: interval method {method!r} unknown; expected one of "
                          f"{list(NPS_METHODS)}")
    where = _where(metric, scores)
    arr, n_missing, w = _answers(scores, where, weights, _expected((0, 10)))
    _check_scale(arr, 0, 10, where)
    guard_scale(arr, 0, 10, metric, scores, check_scale)
    bands = measures.nps_bands(arr)
    if w is not None:
        if method == "bootstrap":
            raise MetricError(f"{metric}: the bootstrap interval takes no weights; use "
                             "method='adjusted-wald' (or 'wald') with weights")
        n_eff, (promoters, passives, detractors) = weighted_counts(w, bands)
        value, se, low, high = nps_interval(promoters, passives, detractors, method, confidence)
        return Estimate(
            metric=metric, value=float(value), se=float(se), ci=(float(low), float(high)),
            n=arr.size, method=f"{method}, {WEIGHTED}", confidence=confidence,
            n_missing=n_missing, kind="nps", n_effective=n_eff,
            stats={"promoters": promoters, "passives": passives, "detractors": detractors})
    promoters, passives, detractors = (int(b.sum()) for b in bands)
    return nps_from_counts(
        promoters, passives, detractors, method=method, confidence=confidence, n_boot=n_boot,
        seed=seed, n_missing=n_missing, metric=metric,
    )


#: How a weighted estimate's method reads.
WEIGHTED = "weighted (Kish n_eff)"


def weighted_counts(weights: np.ndarray, indicators: Sequence[np.ndarray]
                    ) -> tuple[float, list[float]]:
    """``(n_eff, counts)``: effective counts of weighted answers, for the usual formulas.

    Each indicator's weighted share ``sum(w * indicator) / sum(w)`` times Kish's effective
    sample size :func:`kish_n`. The point estimate from effective counts is the weighted
    one (the Hajek estimator), and the interval that of ``n_eff`` unweighted answers with the
    weighted shares: the design effect of unequal weights, ``1 + cv^2`` of the weights.
    Weighting to a population usually follows groups whose answers differ, and then this
    errs on the wide side (stratification gains are not counted); in simulation of
    weights unrelated and related to the answers it covered at least as often as nominal
    (``benchmarks/validate_weights.py``).
    """
    w = np.asarray(weights, dtype=float)
    w = w / w.max()  # weighted shares do not depend on the weights' scale
    n_eff, total = kish_n(w), float(w.sum())
    return n_eff, [float(w @ np.asarray(ind, dtype=float)) / total * n_eff for ind in indicators]


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
    """NPS estimate from counts of promoters, passives and detractors (see :func:`nps`).

    Examples:
        >>> nps_from_counts(50, 30, 20)
        <Estimate nps = 30 (95% CI 14.05 to 44.2; n=100, adjusted-wald)>
    """
    n = promoters + passives + detractors
    _require_n(n, metric)
    if method == "bootstrap":
        z_value(confidence)  # validates the level
        value = 100 * (promoters - detractors) / n
        rng = np.random.default_rng(seed)
        draws = rng.multinomial(n, np.array([promoters, passives, detractors]) / n, size=n_boot)
        boot = 100 * (draws[:, 0] - draws[:, 2]) / n
        alpha = (1 - confidence) / 2
        low, high = np.quantile(boot, [alpha, 1 - alpha])
        low, high, se = min(low, value), max(high, value), boot.std(ddof=1)
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
    """A proportion from counts with the Wilson score interval.

    Examples:
        >>> est = proportion(45, 60)
        >>> round(est.value, 2), tuple(round(x, 3) for x in est.ci)
        (0.75, (0.628, 0.842))
    """
    _require_n(n, metric)
    if not 0 <= successes <= n:
        raise MetricError(f"{metric}: successes={successes} must be between 0 and n={n}")
    value, se, low, high = wilson_interval(successes, n, confidence)
    return Estimate(
        metric=metric, value=float(value), se=float(se), ci=(float(low), float(high)), n=int(n),
        method="wilson", confidence=confidence, n_missing=n_missing, kind="proportion",
        stats={"successes": successes},
    )


def mean(
    values: Iterable,
    scale: tuple[float, float] | None = None,
    confidence: float = 0.95,
    metric: str = "mean",
    weights: Iterable | None = None,
    whole: bool = True,
    check_scale: bool = True,
) -> Estimate:
    """A mean with a Student-t interval; values outside ``scale`` raise a clear error.

    Answers on a ``scale`` must be whole points of it unless ``whole`` is false (a rating an
    export gives with decimals, such as 0-100 scores); with ``check_scale`` answers that all
    fit a narrower scale are refused (see :func:`guard_scale`).

    The mean and the spread are computed in two passes around the mean, so values with a
    large common offset keep their precision. One answer gives no interval (NaN). With
    ``weights`` the mean is weighted and the interval that of Kish's effective sample size
    with the weighted spread (see :func:`weighted_counts`).

    Examples:
        >>> mean([3, 4, 5, 4], scale=(1, 5))
        <Estimate mean = 4 (95% CI 2.395 to 4.748; n=4, adjusted t)>
    """
    metric = _registry_name(metric, ("mean",))
    expected = "numbers" if scale is None else _expected(scale, whole)
    where = _where(metric, values)
    arr, n_missing, w = _answers(values, where, weights, expected)
    if scale is not None:
        _check_scale(arr, *scale, where, integer=whole)
        guard_scale(arr, *scale, metric, values, check_scale)
    _require_n(arr.size, metric)
    n_eff = float(arr.size) if w is None else kish_n(w)
    shift, total, m2 = _stable_sums(arr, w)
    value, se, low, high = mean_interval(n_eff, total, confidence=confidence,
                                         sum_sq_dev=m2, shift=shift, scale=scale)
    label = "t" if scale is None else "adjusted t"
    return Estimate(
        metric=metric, value=float(value), se=float(se), ci=(float(low), float(high)),
        n=arr.size, method=label if w is None else f"{label}, {WEIGHTED}",
        confidence=confidence, n_missing=n_missing, kind="mean", n_effective=n_eff,
        stats={"sum": shift * n_eff + total, "sum_sq_dev": m2,
               **({"scale_low": scale[0], "scale_high": scale[1]} if scale else {})},
    )


def rate(flags: Iterable, confidence: float = 0.95, metric: str = "rate",
         weights: Iterable | None = None) -> Estimate:
    """Share of true flags (booleans or 0/1) with a Wilson interval.

    Use for retention, churn, renewal, referral, first-contact resolution and repeat contact.
    With ``weights``, the weighted share with the Wilson interval of Kish's effective sample
    size (see :func:`weighted_counts`).

    Examples:
        >>> est = rate([True, False, True, True])
        >>> est.value, tuple(round(x, 3) for x in est.ci)
        (0.75, (0.301, 0.954))
    """
    metric = _registry_name(metric, ("rate",))
    where = _where(metric, flags)
    arr, n_missing, w = _answers(
        [np.nan if v is None or v is pd.NA else v for v in _as_series(flags, where)], where,
        weights, _expected((0, 1)))
    _check_scale(arr, 0, 1, where)
    return _share(arr, 1, n_missing, w, confidence, metric)


def _share(arr: np.ndarray, top_from: float, n_missing: int, w: np.ndarray | None,
           confidence: float, metric: str) -> Estimate:
    """The share of answers from ``top_from`` up, weighted when ``w`` is given."""
    if w is None:
        return proportion(int((arr >= top_from).sum()), arr.size, confidence, n_missing, metric)
    n_eff, (successes,) = weighted_counts(w, [arr >= top_from])
    value, se, low, high = wilson_interval(successes, n_eff, confidence)
    return Estimate(
        metric=metric, value=float(value), se=float(se), ci=(float(low), float(high)),
        n=arr.size, method=f"wilson, {WEIGHTED}", confidence=confidence, n_missing=n_missing,
        kind="proportion", n_effective=n_eff, stats={"successes": successes})


def csat(scores: Iterable, statistic: str = "top2", confidence: float = 0.95,
         weights: Iterable | None = None) -> Estimate:
    """Customer satisfaction on the 1-5 scale.

    Args:
        scores: Answers 1-5; missing values are excluded and counted.
        statistic: ``"top2"`` for the share answering 4 or 5 (Wilson interval, a proportion),
            or ``"mean"`` for the mean score (t interval).
        confidence: Confidence level.
        weights: Survey weights, one per answer (see :func:`weighted_counts`).

    Examples:
        >>> est = csat([5, 4, 4, 3, 2, 5, 1, 4])
        >>> round(est.value, 3), est.n
        (0.625, 8)
    """
    return _scale_metric(scores, "csat", {"top2": "csat_top2", "mean": "csat_mean"},
                         statistic, confidence, weights)


def ces(scores: Iterable, statistic: str = "mean", confidence: float = 0.95,
        weights: Iterable | None = None, check_scale: bool = True) -> Estimate:
    """Customer effort score on the 1-7 scale (7 = very easy).

    Args:
        scores: Answers 1-7; missing values are excluded and counted.
        statistic: ``"mean"`` (t interval) or ``"easy"`` for the share answering 5-7 (Wilson).
        confidence: Confidence level.
        weights: Survey weights, one per answer (see :func:`weighted_counts`).
        check_scale: Refuse another measure's column (a Series named ``csat`` or ``nps``,
            however few its answers), and 30 or more answers that all fit 1-5 (see
            :func:`guard_scale`): most likely a satisfaction column, not the 1-7 effort
            question.

    Examples:
        >>> ces([6, 7, 5, 3, 7, 6])
        <Estimate ces_mean = 5.667 (95% CI 3.613 to 6.609; n=6, adjusted t)>
    """
    return _scale_metric(scores, "ces", {"mean": "ces_mean", "easy": "ces_easy"}, statistic,
                         confidence, weights, check_scale)


def _scale_metric(scores: Iterable, name: str, statistics: dict[str, str], statistic: str,
                  confidence: float, weights: Iterable | None, check_scale: bool = True
                  ) -> Estimate:
    """A scale question's mean or top-box share, as the registry defines the measure."""
    if statistic not in statistics:
        raise MetricError(f"{name}: statistic {statistic!r} unknown; expected one of "
                         f"{list(statistics)}")
    m = measures.get(statistics[statistic])
    if m.kind == "mean":
        return mean(scores, m.scale, confidence, metric=m.name, weights=weights,
                    check_scale=check_scale)
    where = _where(m.name, scores, name)
    arr, n_missing, w = _answers(scores, where, weights, _expected(m.scale))
    _check_scale(arr, *m.scale, where)
    guard_scale(arr, *m.scale, m.name, scores, check_scale)
    _require_n(arr.size, where)
    assert m.threshold is not None  # a share's measure has its threshold
    return _share(arr, m.threshold, n_missing, w, confidence, m.name)


def estimate(measure: str | measures.Measure, values: Iterable, weights: Iterable | None = None,
             confidence: float = 0.95, check_scale: bool = True) -> Estimate:
    """A measure of the registry (:mod:`cxlab.measures`) on its answers, by the measure's kind.

    ``estimate("first_contact_resolution", interactions["is_resolved_first_contact"])`` is
    the Wilson interval of the rate, ``estimate("csat_top2", responses["csat"])`` the share
    of 4s and 5s; answers are checked against the measure's scale (and, with
    ``check_scale``, refused when they all fit a narrower one: see :func:`guard_scale`), and
    ``weights`` work as in :func:`nps`.
    """
    try:
        m = measures.get(measure)
    except measures.MeasureError as err:
        raise MetricError(f"estimate(): {err}") from None
    if m.kind == "nps":
        return nps(values, confidence=confidence, metric=m.name, weights=weights,
                   check_scale=check_scale)
    if m.kind == "rate":
        return rate(values, confidence, metric=m.name, weights=weights)
    if m.kind == "mean":
        series = _as_series(values, m.name)  # keeps a Series' index, for the weights
        scaled = pd.Series(_floats(series, _where(m.name, values), _expected(m.scale, m.whole))
                           / m.per,
                           index=series.index)
        scaled.name = getattr(values, "name", None)
        est = mean(scaled, m.bounded_scale, confidence, metric=m.name, weights=weights,
                   whole=m.whole, check_scale=check_scale)
        # A scale open at one end (minutes of wait: 0 to no limit) still bounds the interval.
        low, high = np.clip(est.ci, *m.scale)
        return replace(est, ci=(float(low), float(high)))
    where = _where(m.name, values)
    arr, n_missing, w = _answers(values, where, weights, _expected(m.scale))
    _check_scale(arr, *m.scale, where)
    guard_scale(arr, *m.scale, m.name, values, check_scale)
    _require_n(arr.size, where)
    assert m.threshold is not None  # a share's measure has its threshold
    return _share(arr, m.threshold, n_missing, w, confidence, m.name)


def estimate_from_sums(measure: str | measures.Measure, sums: Mapping[str, float],
                       n_missing: int = 0) -> Estimate:
    """:func:`estimate` of a measure from its counts and sums instead of its answers.

    ``sums`` are one unit's columns of :func:`cxlab.engine.measure_sums` without the
    measure's name: ``n`` answers and ``promoters``, ``passives`` and ``detractors`` (NPS),
    ``k`` successes (a share), or ``sum`` and ``ss``, the squared deviations from the mean (a
    mean, in the measure's unit). Unweighted; the same estimate :func:`estimate` gives from
    the answers, to rounding.

    Examples:
        >>> estimate_from_sums("nps", {"n": 100, "promoters": 50, "passives": 30,
        ...                            "detractors": 20})
        <Estimate nps = 30 (95% CI 14.05 to 44.2; n=100, adjusted-wald)>
        >>> estimate_from_sums("csat_top2", {"n": 60, "k": 45}).value
        0.75
    """
    try:
        m = measures.get(measure)
    except measures.MeasureError as err:
        raise MetricError(f"estimate_from_sums(): {err}") from None
    n = int(sums["n"])
    if m.kind == "nps":
        return nps_from_counts(int(sums["promoters"]), int(sums["passives"]),
                               int(sums["detractors"]), n_missing=n_missing, metric=m.name)
    if m.estimate_kind == "proportion":
        return proportion(int(sums["k"]), n, n_missing=n_missing, metric=m.name)
    _require_n(n, m.name)
    scale = m.bounded_scale
    value, se, low, high = mean_interval(n, float(sums["sum"]), sum_sq_dev=float(sums["ss"]),
                                         scale=scale)
    low, high = np.clip((float(low), float(high)), *m.scale)  # as estimate() bounds it
    return Estimate(
        metric=m.name, value=float(value), se=float(se), ci=(float(low), float(high)), n=n,
        method="t" if scale is None else "adjusted t", n_missing=n_missing, kind="mean",
        n_effective=float(n),
        stats={"sum": float(sums["sum"]), "sum_sq_dev": float(sums["ss"]),
               **({"scale_low": scale[0], "scale_high": scale[1]} if scale else {})})


# --------------------------------------------------------------------------------------------
# Comparison


#: Pseudo-answers added to each sample when two NPS or two means on a scale are compared:
#: at the low end, the middle and the high end of the scale (promoters/passives/detractors
#: for NPS). Half the single-estimate NPS adjustment, as Agresti and Caffo (2000) halve
#: Agresti and Coull's for two proportions; chosen and checked by simulation
#: (benchmarks/validate_intervals.py).
COMPARE_PSEUDO = {"low": 0.375, "middle": 0.75, "high": 0.375}


def compare(a: Estimate, b: Estimate, confidence: float | None = None) -> Comparison:
    """Two-sample test of ``a`` against ``b`` (independent samples).

    The interval of the difference and the test stand on the same basis, so they never
    disagree: the p-value is below ``1 - confidence`` exactly when 0 is outside the interval
    (up to rounding, when the two agree to about ten digits).

    >>> result = compare(nps([10] * 60 + [5] * 40), nps([10] * 40 + [5] * 60))
    >>> round(result.difference, 1), round(result.p_value, 3)
    (40.0, 0.004)

    * NPS: Welch's t on the answers' scores (+100, 0, -100) after adding
      ``COMPARE_PSEUDO`` answers to each sample (:func:`nps_difference`).
    * Proportions: the Miettinen-Nurminen score test and interval
      (:func:`proportion_difference`).
    * Means on a known scale (``csat``, ``ces``, ``mean(scale=...)``): Welch's t after the
      same pseudo-answers at the scale's low end, middle and high end; means without a known
      scale: plain Welch (:func:`mean_difference`).

    The difference reported is always the observed ``a.value - b.value``; the interval is
    centred on the adjusted difference, which is never further from it than 1.83 standard
    errors, so the interval contains the observed difference at any level above 93%.

    Args:
        a: Estimate for the first sample (e.g. this quarter).
        b: Estimate for the second sample (e.g. last quarter), of the same metric and kind.
            Weighted estimates compare on their effective counts and sizes
            (``n_effective``), so weights give a wider interval and a larger p-value.
        confidence: Level of the difference's interval; defaults to ``a.confidence``.
    """
    for which, e in (("a", a), ("b", b)):
        if not isinstance(e, Estimate):
            raise MetricError(f"compare(): {which} is a {type(e).__name__}; expected an "
                              "Estimate, e.g. cxlab.nps(this_quarter['nps'])")
    if a.metric != b.metric or a.kind != b.kind:
        raise MetricError(f"cannot compare {a.metric} ({a.kind}) with {b.metric} ({b.kind}); "
                          "expected two estimates of the same metric")
    confidence = a.confidence if confidence is None else confidence
    if a.kind == "proportion":
        test = "Miettinen-Nurminen score test and interval"
        out = proportion_difference(a.stats["successes"], a.n_effective, b.stats["successes"],
                                    b.n_effective, confidence)
    elif a.kind == "nps":
        test = "Welch t test on adjusted answers (0.375, 0.75, 0.375 added per sample)"
        (p_a, o_a, d_a), (p_b, o_b, d_b) = ((e.stats["promoters"], e.stats["passives"],
                                             e.stats["detractors"]) for e in (a, b))
        out = nps_difference(p_a, o_a, d_a, p_b, o_b, d_b, confidence=confidence)
    else:
        scale = _scale(a) if _scale(a) == _scale(b) else None
        test = ("Welch t test on adjusted answers (1.5 added per sample across the scale)"
                if scale else "Welch t test")
        (n_a, mean_a, ss_a), (n_b, mean_b, ss_b) = ((e.n_effective, e.value, _sum_sq_dev(e))
                                                    for e in (a, b))
        out = mean_difference(n_a, mean_a, ss_a, n_b, mean_b, ss_b, scale=scale,
                              confidence=confidence)
    _, stat, p, low, high = (float(x) for x in out)
    return Comparison(metric=a.metric, difference=a.value - b.value, ci=(low, high),
                      statistic=stat, p_value=p, test=test, a=a, b=b)


def nps_difference(promoters_a: Numbers, passives_a: Numbers, detractors_a: Numbers,
                   promoters_b: Numbers, passives_b: Numbers, detractors_b: Numbers,
                   confidence: float = 0.95) -> tuple[Numbers, ...]:
    """Test and interval of the difference of two NPS from counts; vectorized.

    ``COMPARE_PSEUDO`` answers (0.375 promoters, 0.75 passives, 0.375 detractors) are
    added to each sample; the difference of the adjusted NPS is divided by its standard
    error, the two adjusted-Wald standard errors combined, and referred to Student's t
    with Welch-Satterthwaite degrees of freedom from each adjusted size minus one. The
    interval is ``centre +- t * se`` with the same pieces. The standard error is never
    zero, so unanimous small samples get an honest interval and test.

    Returns:
        Tuple of arrays ``(difference, statistic, p_value, low, high)``; ``difference`` is
        the observed one, the interval is centred on the adjusted one (points).
    """
    counts = [np.asarray(x, dtype=float) for x in (promoters_a, passives_a, detractors_a,
                                                   promoters_b, passives_b, detractors_b)]
    extra, each_end = sum(COMPARE_PSEUDO.values()), COMPARE_PSEUDO["high"]
    samples, observed = [], []
    for promoters, passives, detractors in (counts[:3], counts[3:]):
        n = promoters + passives + detractors
        centre, se = _nps_adjusted_by(promoters, detractors, n, each_end, extra)
        samples.append((centre, se**2, n + extra - 1))
        observed.append(100 * (promoters - detractors) / n)
    stat, p, low, high = _welch(samples, confidence)
    # Clipping to the possible differences moves neither 0 nor the estimate out or in.
    return observed[0] - observed[1], stat, p, np.clip(low, -200, 200), np.clip(high, -200, 200)


def mean_difference(n_a: Numbers, mean_a: Numbers, sum_sq_dev_a: Numbers, n_b: Numbers,
                    mean_b: Numbers, sum_sq_dev_b: Numbers,
                    scale: tuple[float, float] | None = None, confidence: float = 0.95
                    ) -> tuple[Numbers, ...]:
    """Welch test and interval of the difference of two means from sums; vectorized.

    With ``scale = (low, high)`` the answers are known to lie on that scale, and
    ``COMPARE_PSEUDO`` answers are added to each sample first: 0.375 at ``low``, 0.75 at
    the middle, 0.375 at ``high``, and the interval is clipped to the differences the scale
    allows. A small sample at the end of a scale (ten answers of 5,
    say) otherwise shows no spread at all, and plain Welch then rejects far too often (13%
    instead of 5% at 20 against 200 answers, in simulation). Without a scale: plain Welch,
    with NaN where a sample has a single answer, and an exact difference (p 0 or 1, a
    zero-width interval) where neither sample has any spread.

    Returns:
        Tuple of arrays ``(difference, statistic, p_value, low, high)``.
    """
    n_a, mean_a, m2_a, n_b, mean_b, m2_b = (
        np.asarray(x, dtype=float)
        for x in (n_a, mean_a, sum_sq_dev_a, n_b, mean_b, sum_sq_dev_b))
    samples = []
    for n, centre, m2 in ((n_a, mean_a, m2_a), (n_b, mean_b, m2_b)):
        if scale is not None:
            points = dict(zip(("low", "middle", "high"),
                              (scale[0], (scale[0] + scale[1]) / 2, scale[1]), strict=True))
            extra = sum(COMPARE_PSEUDO.values())
            moved = (n * centre + sum(w * points[k] for k, w in COMPARE_PSEUDO.items())) / (
                n + extra)
            # Squared deviations from the new centre: the sample's own, its shift, the
            # pseudo-answers'.
            m2 = m2 + n * (centre - moved) ** 2 + sum(
                w * (points[k] - moved) ** 2 for k, w in COMPARE_PSEUDO.items())
            n, centre = n + extra, moved
        with np.errstate(divide="ignore", invalid="ignore"):
            samples.append((centre, m2 / (n - 1) / n, n - 1))
    stat, p, low, high = _welch(samples, confidence)
    if scale is not None:  # no difference beyond the scale's width is possible
        width = scale[1] - scale[0]
        low, high = np.clip(low, -width, width), np.clip(high, -width, width)
    return mean_a - mean_b, stat, p, low, high


def proportion_difference(successes_a: Numbers, n_a: Numbers, successes_b: Numbers,
                          n_b: Numbers, confidence: float = 0.95) -> tuple[Numbers, ...]:
    """Miettinen-Nurminen score test and interval of ``p_a - p_b``; vectorized.

    The statistic at no difference is the pooled two-proportion z times
    ``sqrt((n - 1) / n)``, n = ``n_a + n_b`` (0 when both samples are unanimous alike); the
    interval is :func:`score_difference_interval`, the same statistic inverted.

    Returns:
        Tuple of arrays ``(difference, statistic, p_value, low, high)``.
    """
    k1, n1, k2, n2 = (np.asarray(x, dtype=float) for x in (successes_a, n_a, successes_b, n_b))
    n = n1 + n2
    pooled = (k1 + k2) / n
    with np.errstate(divide="ignore", invalid="ignore"):
        var = pooled * (1 - pooled) * (1 / n1 + 1 / n2) * np.where(n > 1, n / (n - 1), 1.0)
        stat = np.where(var > 0, (k1 / n1 - k2 / n2) / np.sqrt(var), 0.0)
    low, high = score_difference_interval(k1, n1, k2, n2, confidence)
    return k1 / n1 - k2 / n2, stat, 2 * sps.norm.sf(np.abs(stat)), low, high


def _welch(samples: Sequence[tuple], confidence: float) -> tuple[np.ndarray, ...]:
    """``(statistic, p, low, high)`` for the difference of two ``(centre, var, dof)``."""
    z_value(confidence)  # validates the level
    (ca, va, fa), (cb, vb, fb) = samples
    centre, var = ca - cb, va + vb
    defined = (fa > 0) & (fb > 0) & np.isfinite(var)
    with np.errstate(divide="ignore", invalid="ignore"):
        dof = var**2 / (va**2 / fa + vb**2 / fb)
        se = np.sqrt(var)
        stat = np.where(var > 0, centre / se, np.where(centre == 0, 0.0, np.sign(centre) * np.inf))
        p = np.where(var > 0, 2 * sps.t.sf(np.abs(stat), dof), np.where(centre == 0, 1.0, 0.0))
        half = np.where(var > 0, sps.t.ppf(0.5 + confidence / 2, dof)
                        * se, 0.0)
    nan = np.nan
    return (np.where(defined, stat, nan), np.where(defined, p, nan),
            np.where(defined, centre - half, nan), np.where(defined, centre + half, nan))


def _scale(e: Estimate) -> tuple[float, float] | None:
    """The answer scale a mean was measured on, if known."""
    if "scale_low" not in e.stats:
        return None
    return e.stats["scale_low"], e.stats["scale_high"]


def _sum_sq_dev(e: Estimate) -> float:
    """Squared deviations from the mean, from the estimate's stats or its standard error."""
    if "sum_sq_dev" in e.stats:
        return e.stats["sum_sq_dev"]
    n = e.n if e.n_effective is None else e.n_effective
    return e.se**2 * n * (n - 1)


def _restricted_p1(k1: Numbers, n1: Numbers, k2: Numbers, n2: Numbers, delta: Numbers
                   ) -> Numbers:
    """Maximum-likelihood ``p1`` of two binomial samples under ``p1 - p2 = delta``.

    The closed-form root of the likelihood equation's cubic (Farrington and Manning 1990;
    Miettinen and Nurminen 1985); vectorized.
    """
    p1, p2 = k1 / n1, k2 / n2
    theta = n2 / n1
    a = 1 + theta
    b = -(1 + theta + p1 + theta * p2 + delta * (theta + 2))
    c = delta**2 + delta * (2 * p1 + theta + 1) + p1 + theta * p2
    d = -p1 * delta * (1 + delta)
    v = b**3 / (3 * a) ** 3 - b * c / (6 * a**2) + d / (2 * a)
    u = np.where(v >= 0, 1.0, -1.0) * np.sqrt(np.clip(b**2 / (3 * a) ** 2 - c / (3 * a), 0, None))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(u == 0, 0.0, v / u**3)
    w = (np.pi + np.arccos(np.clip(ratio, -1, 1))) / 3
    return np.clip(2 * u * np.cos(w) - b / (3 * a), np.maximum(0, delta), np.minimum(1, 1 + delta))


def score_difference_interval(k1: Numbers, n1: Numbers, k2: Numbers, n2: Numbers,
                              confidence: float = 0.95, correction: bool = True,
                              iterations: int = 64) -> tuple[Numbers, Numbers]:
    """Score interval of ``p1 - p2`` for two independent binomial samples; vectorized.

    The set of differences ``delta`` that the score test does not reject:
    ``(p1_hat - p2_hat - delta)^2 <= z^2 V(delta)``, with
    ``V = (p1~(1 - p1~)/n1 + p2~(1 - p2~)/n2) * n/(n - 1)`` at the restricted
    maximum-likelihood shares and n = n1 + n2 (Miettinen and Nurminen 1985; without the
    factor n/(n - 1), ``correction=False``, it is Mee's 1984 interval). At ``delta = 0`` the
    statistic is the test's, so the interval excludes 0 exactly when that test's p-value is
    below ``1 - confidence``. The ends are found by bisection (``iterations`` halvings of a
    width of at most 2) and always contain the observed difference, where the statistic
    is 0.

    Returns:
        Tuple of arrays ``(low, high)``.
    """
    k1, n1, k2, n2 = (np.asarray(x, dtype=float) for x in (k1, n1, k2, n2))
    z2: float | np.ndarray = z_value(confidence) ** 2
    if correction:
        with np.errstate(divide="ignore"):
            z2 = z2 * np.where(n1 + n2 > 1, (n1 + n2) / (n1 + n2 - 1), 1.0)
    observed = k1 / n1 - k2 / n2

    def inside(delta: Numbers) -> Numbers:
        p1 = _restricted_p1(k1, n1, k2, n2, delta)
        p2 = p1 - delta
        var = p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2
        return (observed - delta) ** 2 <= z2 * var

    bounds = []
    for end in (-1.0, 1.0):
        out, inn = np.full(observed.shape, end), observed.copy()  # outside and inside points
        for _ in range(iterations):
            mid = (out + inn) / 2
            ok = inside(mid)
            inn, out = np.where(ok, mid, inn), np.where(ok, out, mid)
        # The end itself belongs to the interval when the data sit there (0 of n1, n2 of n2).
        bounds.append(np.where(inside(np.full(observed.shape, end)), end, inn))
    return bounds[0], bounds[1]


# --------------------------------------------------------------------------------------------
# Grouped form

class _Spec(NamedTuple):
    """What ``grouped`` needs to know of one metric (from the registry, or a plain rate)."""

    name: str
    column: str
    kind: str  # "nps", "proportion" or "mean"
    scale: tuple[float, float]
    threshold: float | None
    per: float
    integer: bool  # answers must be whole numbers
    check_scale: bool = True  # refuse answers that all fit a narrower scale (guard_scale)


def grouped(
    data: pd.DataFrame,
    metric: str | measures.Measure | Sequence[str | measures.Measure],
    by: str | Sequence[str],
    column: str | None = None,
    method: str = "adjusted-wald",
    confidence: float = 0.95,
    engine: str = "auto",
    min_n: int | None = None,
    respondent: str | None = None,
    weights: str | Iterable | None = None,
    check_scale: bool = True,
) -> pd.DataFrame:
    """One row per group (and metric) with the metric's value, interval and denominators.

    Every interval comes from counts and sums per group, so the work on the rows is one
    aggregation: pandas does it for small tables, DuckDB for large ones (several times
    faster on millions of rows, with the same results). Several metrics at once are
    aggregated in one pass over the data.

    Args:
        data: A tidy table, one row per response.
        metric: A measure of the registry (:mod:`cxlab.measures`: ``nps``, ``enps``,
            ``csat_top2``, ``csat_mean``, ``ces_mean``, ``ces_easy``,
            ``first_contact_resolution``, ...; a column's name for its headline measure,
            such as ``csat`` for ``csat_top2``; or a
            :class:`~cxlab.measures.Measure`), ``"rate"`` for any boolean column, or a list
            of them.
        by: Column or columns to group by.
        column: Source column; defaults to the measure's column (required for ``rate``).
        method: NPS interval method (``"adjusted-wald"`` or ``"wald"``).
        confidence: Confidence level.
        engine: ``"pandas"``, ``"duckdb"``, ``"spark"`` (the frame handed to Spark, see
            :func:`cxlab.engine.spark`) or ``"auto"`` (DuckDB from ``DUCKDB_ROWS`` rows).
            ``data`` may also be a table an engine holds (see :func:`cxlab.engine.connect`):
            the engine then aggregates it where it is.
        min_n: The reports' confidentiality rule: groups with fewer than ``min_n`` answers
            get no value or interval, nor does the smallest other group beside a lone small
            one (within the same outer groups when ``by`` has several columns), so no hidden
            value follows from the total by subtraction (see ``cxlab.stats.disclosure``).
            A ``suppressed`` column says which. None (the default) hides nothing. Answers
            are counted unweighted.
        respondent: With ``min_n``, the column naming who answered (e.g. ``employee_id``):
            people are counted once however often they answered, and answers without one
            count one each. Default: every answer counts as a respondent.
        weights: Survey weights: a column of ``data`` or one value per row. Each group's
            estimate is then weighted and its interval uses the group's Kish effective
            sample size (see :func:`weighted_counts`); answers weighted 0 are left out.
        check_scale: Refuse a ``column`` that is another measure's on another scale
            (``column="csat"`` for NPS), and one whose answers (30 or more, over all groups)
            all fit a narrower scale than the metric's (see :func:`guard_scale`).

    Returns:
        Columns: the group keys, ``metric``, ``value``, ``se``, ``ci_low``, ``ci_high``, ``n``,
        ``n_effective`` (``n`` unless weighted), ``n_missing``, ``method`` and ``sd``, the
        spread of one answer (in points ``100 sqrt(p + d - (p - d)^2)`` for NPS,
        ``sqrt(p (1 - p))`` for a share, the sample standard deviation for a mean;
        :func:`cxlab.stats.flag_groups` tests groups with it). ``se`` is the standard error
        the interval is built from (see :class:`Estimate`).
        Groups with no valid responses keep ``n = 0``, with NaN for the value, its interval
        and its spread.
        For a list of metrics, the rows of each metric in turn.

    Examples:
        >>> answers = pd.DataFrame({"team": list("aaaabbbb"), "nps": [10, 9, 7, 3, 10, 6, 5, 2]})
        >>> grouped(answers, "nps", by="team")[["team", "value", "ci_low", "ci_high", "n"]].round(1)
          team  value  ci_low  ci_high  n
        0    a   25.0   -44.2     72.7  4
        1    b  -50.0   -90.7     33.6  4
    """
    if isinstance(by, (pd.Series, pd.Index, np.ndarray)):
        name = getattr(by, "name", None)
        raise MetricError(f"grouped(): by= takes column names of data, not a {type(by).__name__} "
                          f"of values; use by={name!r}" if isinstance(name, str) and name in data
                          else f"grouped(): by= takes column names of data, not a "
                          f"{type(by).__name__} of values; add it as a column first: "
                          "data.assign(group=values), then by=\"group\"")
    by = [by] if isinstance(by, str) else list(by)
    wanted = [metric] if isinstance(metric, (str, measures.Measure)) else list(metric)
    specs = [_metric_spec(m, column)._replace(check_scale=check_scale) for m in wanted]
    where = f"grouped({', '.join(spec.name for spec in specs)})"
    from cxlab import engine as engines

    if engine == "spark" and isinstance(data, pd.DataFrame):
        data = engines.to_engine(data, "spark")
    if engines.is_engine_table(data):
        return _grouped_in_engine(data, by, specs, where, method, confidence, engine, min_n,
                                  respondent, weights)
    if not isinstance(data, pd.DataFrame):
        raise MetricError(f"{where}: data is a {type(data).__name__}; expected a table "
                          "(a DataFrame) with one row per answer")
    missing_cols = [c for c in [*by, *(spec.column for spec in specs)] if c not in data.columns]
    if isinstance(weights, str) and weights not in data.columns:
        missing_cols.append(weights)
    if missing_cols:
        raise ColumnError(f"{where}: column(s) {missing_cols} not in the table; it has "
                          f"{list(data.columns)}")
    if engine not in ("auto", "pandas", "duckdb"):
        raise MetricError(f"{where}: engine {engine!r} unknown; expected 'auto', 'pandas', "
                          "'duckdb' or 'spark'")
    if method not in GROUPED_METHODS:
        raise MetricError(f"{where}: {_grouped_method_message(method)}")
    w = None
    if weights is not None:
        if isinstance(weights, str) and data[weights].isna().all():
            raise MetricError(f"{where}: the weight column {weights!r} is empty (no value in "
                              f"its {len(data):,} rows); compute the weights first (e.g. "
                              "cxlab.rake) or leave weights out")
        raw = (data[weights] if isinstance(weights, str)
               else aligned_weights(weights, data, "grouped(weights)"))
        answered = data[[spec.column for spec in specs]].notna().any(axis=1).to_numpy()
        w = check_weights(raw.to_numpy(), "grouped(weights)", answered)
    if engine == "duckdb" or (engine == "auto" and len(data) >= DUCKDB_ROWS):
        sums = _aggregate_duckdb(data, by, specs, w)
    else:
        sums = _aggregate_pandas(data, by, specs, w)
    frames = [_intervals(sums, i, spec, method, confidence, w is not None)
              for i, spec in enumerate(specs)]
    if min_n is not None:
        if respondent is not None and respondent not in data.columns:
            raise ColumnError(f"{where}: respondent={respondent!r} is no column; the table "
                              f"has {list(data.columns)}")
        frames = [_suppress(frame, data, by, spec.column, min_n, respondent)
                  for frame, spec in zip(frames, specs, strict=True)]
    return frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)


def _grouped_in_engine(table: Any, by: list[str], specs: list[_Spec], where: str, method: str,
                       confidence: float, engine: str, min_n: int | None,
                       respondent: str | None, weights: Any) -> pd.DataFrame:
    """:func:`grouped` of a table an engine holds: the engine aggregates, pandas estimates."""
    from cxlab import engine as engines

    have = engines.columns(table)
    missing_cols = [c for c in [*by, *(s.column for s in specs),
                                *([respondent] if respondent else [])] if c not in have]
    if weights is not None and not isinstance(weights, str):
        raise MetricError(f"{where}: weights of an engine's table must be one of its columns, "
                          f"named (weights='weight'), not {type(weights).__name__} values")
    if isinstance(weights, str) and weights not in have:
        missing_cols.append(weights)
    if missing_cols:
        raise ColumnError(f"{where}: column(s) {missing_cols} not in the table; it has {have}")
    if engine not in ("auto", "duckdb", "spark"):
        raise MetricError(f"{where}: engine {engine!r}: the table is held by an engine, which "
                          "aggregates it; expected 'auto' (or the engine's name)")
    if method not in GROUPED_METHODS:
        raise MetricError(f"{where}: {_grouped_method_message(method)}")
    sums = engines.aggregate(table, by, specs, weights)
    frames = [_intervals(sums, i, spec, method, confidence, weights is not None)
              for i, spec in enumerate(specs)]
    if min_n is not None:
        frames = [_suppress(frame, None, by, spec.column, min_n, None, people=(
                      engines.respondents(table, by, spec.column, respondent)
                      if respondent else None))
                  for frame, spec in zip(frames, specs, strict=True)]
    return frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)


def _grouped_method_message(method: str) -> str:
    """Why ``method`` is no interval method of a grouped estimate, and the ones that are."""
    single = (" (the bootstrap is for a single estimate: cxlab.nps(..., method='bootstrap'))"
              if method == "bootstrap" else "")
    return (f"NPS interval method {method!r} not available for groups; expected one of "
            f"{list(GROUPED_METHODS)}{single}")


def _suppress(frame: pd.DataFrame, data: pd.DataFrame | None, by: list[str], column: str,
              min_n: int, respondent: str | None, people: pd.Series | None = None
              ) -> pd.DataFrame:
    """``frame`` with small groups' estimates blanked and a ``suppressed`` column.

    Groups are sized by their answers, or by their distinct respondents: counted here from
    ``data`` and ``respondent``, or given as ``people`` (by an engine).
    """
    from cxlab.stats.disclosure import respondents, suppressed

    counts = frame["n"]
    if respondent is not None and data is not None:
        answered = data[data[column].notna()]
        people = respondents(answered, by, respondent)
    if people is not None:
        keys = pd.MultiIndex.from_frame(frame[by]) if len(by) > 1 else pd.Index(frame[by[0]])
        counts = pd.Series(people.reindex(keys, fill_value=0).to_numpy(), index=frame.index)
    parent = frame[by[:-1]].astype(str).agg("|".join, axis=1) if len(by) > 1 else None
    hidden = suppressed(counts, min_n, parent).to_numpy()
    frame = frame.copy()
    frame.loc[hidden, ["value", "se", "ci_low", "ci_high", "sd"]] = np.nan
    frame["suppressed"] = hidden
    return frame


#: From this many rows ``grouped(engine="auto")`` aggregates with DuckDB.
DUCKDB_ROWS = 1_000_000


def _metric_spec(metric: str | measures.Measure, column: str | None) -> _Spec:
    """What ``grouped`` needs of one metric: a measure, or a plain rate.

    A measure of the registry by name, or one made for a study (:func:`cxlab.measures.rating`).
    """
    if metric == "rate":
        if column is None:
            raise MetricError("grouped(metric='rate') needs column= naming a boolean column")
        return _Spec(column, column, "proportion", (0, 1), 1, 1.0, True)
    try:
        m = measures.get(metric)
    except measures.MeasureError as err:
        raise MetricError(f"grouped(): {err}; or 'rate' with column= for any boolean "
                          "column") from None
    kind = m.estimate_kind
    threshold = 1 if m.kind == "rate" else m.threshold
    integer = (kind != "mean" or m.bounded_scale is not None) and m.whole
    return _Spec(m.name, column or m.column, kind, m.scale, threshold, m.per, integer)


def _intervals(sums: pd.DataFrame, i: int, spec: _Spec, method: str, confidence: float,
               weighted: bool) -> pd.DataFrame:
    """One metric's rows from the aggregated counts and sums (columns ``{i}_a`` ...).

    Weighted sums (``{i}_w`` and ``{i}_w2`` hold each group's sum of weights and of squared
    weights) become the effective counts and sums of :func:`weighted_counts` first, so the
    same formulas serve both.
    """
    n_answers = sums[f"{i}_valid"].to_numpy(dtype=float)
    parts = {k: sums[f"{i}_{k}"].to_numpy(dtype=float) for k in "abc" if f"{i}_{k}" in sums}
    n = n_answers
    if weighted:
        total, total_sq = sums[f"{i}_w"].to_numpy(float), sums[f"{i}_w2"].to_numpy(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            n = np.where(total > 0, total**2 / total_sq, 0.0)
            parts = {k: np.where(total > 0, v / total * n, 0.0) for k, v in parts.items()}
    if spec.kind == "nps":
        value, se, low, high = nps_interval(parts["a"], parts["b"], parts["c"], method,
                                            confidence)
        label = method
    elif spec.kind == "proportion":
        value, se, low, high = wilson_interval(parts["a"], n, confidence)
        label = "wilson"
    else:
        value, se, low, high = mean_interval(n, parts["a"], confidence=confidence,
                                             sum_sq_dev=parts["b"],
                                             scale=_finite(spec.scale))
        low, high = np.clip(low, *spec.scale), np.clip(high, *spec.scale)
        label = "adjusted t" if _finite(spec.scale) else "t"
    with np.errstate(divide="ignore", invalid="ignore"):
        if spec.kind == "nps":
            sd = _nps_se(parts["a"], parts["c"], n) * np.sqrt(n)
        elif spec.kind == "proportion":
            sd = np.sqrt(value * (1 - value))
        else:
            sd = np.where(n > 1, np.sqrt(parts["b"] / (n - 1)), np.nan)
    out = sums.index.to_frame(index=False)
    out["metric"] = spec.name
    # A group without a valid answer has no estimate, and so no interval either (the
    # adjusted Wald's pseudo-answers would otherwise give it one).
    has = n_answers > 0
    out["value"], out["se"], out["ci_low"], out["ci_high"] = (
        np.where(has, np.asarray(x, dtype=float), np.nan) for x in (value, se, low, high)
    )
    out["n"] = n_answers.astype(int)
    out["n_effective"] = n
    out["n_missing"] = (sums["_rows"].to_numpy() - n_answers).astype(int)
    out["method"] = f"{label}, {WEIGHTED}" if weighted else label
    out["sd"] = np.where(has, np.asarray(sd, dtype=float), np.nan)
    return out


def _finite(scale: tuple[float, float]) -> tuple[float, float] | None:
    """The scale when both ends are finite: a mean's interval may then lean on it."""
    return scale if np.isfinite(scale).all() else None


def _answer_values(data: pd.DataFrame, spec: _Spec) -> pd.Series:
    """A metric's answers as floats (in the measure's unit), checked against its scale."""
    column = data[spec.column]
    where = f"{spec.name} (column {spec.column!r})"
    if not (pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column)):
        _as_numeric(column, where, _expected(spec.scale, spec.integer))  # names a non-number
    values = pd.to_numeric(column.astype("Float64"), errors="raise").astype(float)
    answers = values.dropna().to_numpy()
    _check_scale(answers, *spec.scale, where, integer=spec.integer)
    guard_scale(answers, *spec.scale, spec.name, column, spec.check_scale)
    return values / spec.per


def _aggregate_pandas(data: pd.DataFrame, by: list[str], specs: list[_Spec],
                      weights: np.ndarray | None = None) -> pd.DataFrame:
    """Per group: rows, and per metric the valid answers and the counts or sums it needs.

    With ``weights``, the counts and sums are weighted, and each metric also gets the sum
    of its answers' weights (``{i}_w``) and of their squares (``{i}_w2``).
    """
    frame = data[by].copy()
    keys = [data[b] for b in by]
    w = pd.Series(1.0 if weights is None else weights, index=data.index)
    for i, spec in enumerate(specs):
        values = _answer_values(data, spec)
        valid = values.notna()
        if weights is not None:  # a weight of 0 leaves the answer out
            valid &= w > 0
            values = values.where(valid)
            frame[f"{i}_w"] = w.where(valid, 0.0)
            frame[f"{i}_w2"] = (w**2).where(valid, 0.0)
        frame[f"{i}_valid"] = valid
        if spec.kind == "nps":
            for part, band in zip("abc", measures.nps_bands(values), strict=True):
                frame[f"{i}_{part}"] = w * band
        elif spec.kind == "proportion":
            frame[f"{i}_a"] = w * values.ge(spec.threshold)
        else:  # the sum, and squared deviations from the group's mean (stable at any offset)
            wv = (w * values).where(valid)
            centre = (wv.groupby(keys, observed=True).transform("sum")
                      / w.where(valid).groupby(keys, observed=True).transform("sum"))
            frame[f"{i}_a"] = wv.fillna(0)
            frame[f"{i}_b"] = (w * (values - centre) ** 2).fillna(0)
    groups = frame.groupby(by, observed=True, sort=True)
    sums = groups[[c for c in frame if c not in by]].sum()
    sums["_rows"] = groups.size()
    return sums


def _aggregate_duckdb(data: pd.DataFrame, by: list[str], specs: list[_Spec],
                      weights: np.ndarray | None = None) -> pd.DataFrame:
    """The same aggregation as :func:`_aggregate_pandas`, as one DuckDB query."""
    import duckdb

    def quote(name: str) -> str:
        return '"' + str(name).replace('"', '""') + '"'

    columns = list(dict.fromkeys(spec.column for spec in specs))
    for spec in specs:  # a column of text gets the same error as on the pandas path
        if not (pd.api.types.is_numeric_dtype(data[spec.column])
                or pd.api.types.is_bool_dtype(data[spec.column])):
            _answer_values(data, spec)
    keys = ", ".join(quote(b) for b in by)
    weighted = weights is not None
    w = '"__weight"' if weighted else "1"
    exprs, centres = ["count(*) AS _rows"], []
    for i, spec in enumerate(specs):
        v = f"({quote(spec.column)}::DOUBLE / {spec.per!r})"
        valid = f"{v} IS NOT NULL" + (f" AND {w} > 0" if weighted else "")

        def total(expr: str, where: str = "TRUE", valid: str = valid) -> str:
            # An aggregate over no rows is NULL in SQL; here it is a sum of nothing.
            return f"coalesce(sum(CASE WHEN {valid} AND ({where}) THEN {expr} END), 0)"

        exprs.append(f"count_if({valid}) AS {quote(f'{i}_valid')}")
        if weighted:
            exprs += [f"{total(w)} AS {quote(f'{i}_w')}", f"{total(w + '*' + w)} AS "
                      f"{quote(f'{i}_w2')}"]
        if spec.kind == "nps":
            parts = [total(w, cond) for cond in measures.nps_band_sql(v)]
        elif spec.kind == "proportion":
            parts = [total(w, f"{v} >= {spec.threshold!r}")]
        elif weighted:  # squared deviations from the group's weighted mean, in a window
            centre = quote(f"__centre_{i}")
            window = f"OVER (PARTITION BY {keys})"
            centres.append(f"sum(CASE WHEN {valid} THEN {w} * {v} END) {window} / "
                           f"sum(CASE WHEN {valid} THEN {w} END) {window} AS {centre}")
            parts = [total(f"{w} * {v}"), total(f"{w} * ({v} - {centre})^2")]
        else:
            parts = [total(v), f"coalesce(var_pop(CASE WHEN {valid} THEN {v} END) * "
                               f"count_if({valid}), 0)"]
        exprs += [f"{expr} AS {quote(f'{i}_{name}')}"
                  for expr, name in zip(parts, "abc", strict=False)]
    checks = [f"{agg}({quote(c)})" for c in columns for agg in ("min", "max")]
    checks += [f"count_if({quote(c)}::DOUBLE <> round({quote(c)}::DOUBLE))" for c in columns
               if not pd.api.types.is_integer_dtype(data[c])]
    frame = data[[*by, *columns]]
    if weighted:
        frame = frame.assign(__weight=weights)
    source = "frame"
    if centres:
        source = f"(SELECT *, {', '.join(centres)} FROM frame)"
    con = duckdb.connect()
    try:
        con.register("frame", frame)
        out = con.execute(f"SELECT {keys}, {', '.join(exprs)} FROM {source} "
                          f"WHERE {' AND '.join(f'{quote(b)} IS NOT NULL' for b in by)} "
                          f"GROUP BY ALL ORDER BY {keys}").df()
        scale_check = con.execute(f"SELECT {', '.join(checks)} FROM frame").fetchone()
        assert scale_check is not None  # an aggregate returns one row
    finally:
        con.close()
    bounds = dict(zip(columns, zip(scale_check[0::2], scale_check[1::2], strict=False),
                      strict=False))
    fractional = sum(scale_check[2 * len(columns):])
    for spec in specs:
        low, high = bounds[spec.column]
        if ((fractional and spec.integer)
                or (low is not None and (low < spec.scale[0] or high > spec.scale[1]))):
            # Find and name the first offending value, as the pandas path does.
            _answer_values(data, spec)
    return out.set_index(by)
