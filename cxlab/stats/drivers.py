"""Key-driver analysis: which attributes move an outcome, with correlated drivers.

Two decompositions of the regression's R^2 into one share per driver, both non-negative and
summing to R^2:

* **Johnson's relative weights** (Johnson, 2000): regress the outcome on the orthogonal
  counterparts ``Z = X R^(-1/2)`` of the standardized drivers, then map the squared weights
  back through ``Lambda = R^(1/2)``: ``eps_j = sum_k Lambda_jk^2 beta_k^2``.
* **LMG / Shapley** (Lindeman, Merenda and Gold, 1980; general dominance of Budescu, 1993):
  each driver's R^2 increment averaged over all orders of entry, computed exactly from the
  R^2 of all 2^p subsets (practical up to ``MAX_LMG_DRIVERS``).

The regression itself (statsmodels OLS on the raw scales) gives each driver's effect with its
significance. Bootstrap percentile intervals (resampling respondents) are given for each
relative weight and for its share of R^2 (from the shares' own bootstrap distribution), and
each driver is tested against a random variable added to the resampled models (Tonidandel,
LeBreton and Johnson, 2009).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cxlab.errors import CxlabError
from cxlab.metrics import Summary, _result_html, aligned_weights, check_weights, kish_n

MAX_LMG_DRIVERS = 12


#: The column a weighted analysis keeps its weights in while rows are filtered.
WEIGHT = "__weight"


class DriverError(CxlabError, ValueError):
    """Input a key-driver analysis cannot use; the message names the column and the problem."""


def _standardized(frame: pd.DataFrame | np.ndarray, weights: np.ndarray | None = None
                  ) -> np.ndarray:
    """Columns centred and scaled to a (weighted) mean of 0 and variance of 1."""
    values = np.asarray(frame, dtype=float)
    share = np.full(len(values), 1 / len(values)) if weights is None else weights / weights.sum()
    centred = values - share @ values
    return centred / np.sqrt(share @ centred**2)


def _correlations(x: np.ndarray, y: np.ndarray, weights: np.ndarray | None = None
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Predictor correlation matrix and predictor-outcome correlations of standardized data."""
    share = np.full(len(y), 1 / len(y)) if weights is None else weights / weights.sum()
    return x.T @ (share[:, None] * x), x.T @ (share * y)


def relative_weights_from_correlations(rxx: np.ndarray, rxy: np.ndarray) -> np.ndarray:
    """Johnson's raw relative weights from correlation matrices (they sum to R^2).

    Also takes stacks (``rxx`` of shape ``(..., p, p)``, ``rxy`` of ``(..., p)``), as the
    bootstrap does, and then returns one row of weights per matrix.
    """
    values, vectors = np.linalg.eigh(rxx)
    values = np.clip(values, 0, None)
    # Lambda = R^(1/2) = V diag(sqrt(values)) V^T, symmetric
    root = (vectors * np.sqrt(values)[..., None, :]) @ np.swapaxes(vectors, -1, -2)
    beta = (np.linalg.pinv(root) @ rxy[..., None])[..., 0]
    return ((root**2) @ (beta**2)[..., None])[..., 0]


def _r2(rxx: np.ndarray, rxy: np.ndarray, subset: tuple[int, ...]) -> float:
    if not subset:
        return 0.0
    idx = list(subset)
    r = rxy[idx]
    return float(r @ np.linalg.pinv(rxx[np.ix_(idx, idx)]) @ r)


def lmg_from_correlations(rxx: np.ndarray, rxy: np.ndarray) -> np.ndarray:
    """LMG (Shapley) shares of R^2 from correlation matrices, exact over all subsets."""
    p = len(rxy)
    if p > MAX_LMG_DRIVERS:
        raise DriverError(f"LMG needs all 2^p subsets; {p} drivers is more than "
                          f"{MAX_LMG_DRIVERS}. Use relative weights alone.")
    r2 = {s: _r2(rxx, rxy, s) for size in range(p + 1)
          for s in itertools.combinations(range(p), size)}
    shares = np.zeros(p)
    for j in range(p):
        others = [i for i in range(p) if i != j]
        for size in range(p):
            weight = math.factorial(size) * math.factorial(p - size - 1) / math.factorial(p)
            for s in itertools.combinations(others, size):
                with_j = tuple(sorted((*s, j)))
                shares[j] += weight * (r2[with_j] - r2[s])
    return shares


def relative_weights(frame: pd.DataFrame, outcome: str, drivers: list[str]) -> pd.Series:
    """Johnson's raw relative weights of ``drivers`` for ``outcome`` (complete rows only).

    Examples:
        >>> rng = np.random.default_rng(0)
        >>> frame = pd.DataFrame(rng.normal(size=(200, 2)), columns=["wait", "courtesy"])
        >>> frame["csat"] = 2 * frame["courtesy"] + frame["wait"] + rng.normal(size=200)
        >>> relative_weights(frame, "csat", ["wait", "courtesy"]).round(2)
        wait        0.15
        courtesy    0.70
        dtype: float64
    """
    data = _complete(frame, outcome, drivers)
    rxx, rxy = _correlations(_standardized(data[drivers]), _standardized(data[[outcome]])[:, 0])
    return pd.Series(relative_weights_from_correlations(rxx, rxy), index=drivers)


def lmg(frame: pd.DataFrame, outcome: str, drivers: list[str]) -> pd.Series:
    """LMG (Shapley value) shares of R^2 for ``drivers`` (complete rows only).

    The shares add up to the regression's R².

    Examples:
        >>> frame = pd.DataFrame({"wait": [1, 2, 3, 4, 5, 6], "courtesy": [2, 1, 4, 3, 6, 5],
        ...                       "csat": [1, 3, 3, 5, 5, 6]})
        >>> shares = lmg(frame, "csat", ["wait", "courtesy"])
        >>> shares.round(3).to_dict(), round(float(shares.sum()), 3)
        ({'wait': 0.725, 'courtesy': 0.25}, 0.975)
    """
    data = _complete(frame, outcome, drivers)
    rxx, rxy = _correlations(_standardized(data[drivers]), _standardized(data[[outcome]])[:, 0])
    return pd.Series(lmg_from_correlations(rxx, rxy), index=drivers)


def _complete(frame: pd.DataFrame, outcome: str, drivers: list[str]) -> pd.DataFrame:
    """Complete rows of the outcome and drivers, checked for what the analysis cannot use."""
    if isinstance(drivers, str):
        raise DriverError(f"drivers must be a list of columns, got the text {drivers!r}; pass "
                          f"[{drivers!r}, ...]")
    missing = [c for c in [outcome, *drivers] if c not in frame]
    if missing:
        raise DriverError(f"column(s) {missing} not found; the data has {list(frame.columns)}")
    if not drivers:
        raise DriverError("no drivers given")
    if len(set(drivers)) != len(drivers) or outcome in drivers:
        raise DriverError(f"drivers must be distinct and exclude the outcome, got {drivers}")
    data = frame[[outcome, *drivers]].apply(pd.to_numeric, errors="coerce").dropna()
    if len(data) < len(drivers) + 3:
        rows = "1 complete row" if len(data) == 1 else f"{len(data)} complete rows"
        raise DriverError(f"only {rows} for {len(drivers)} drivers; need at least "
                          f"{len(drivers) + 3}")
    constant = [c for c in [outcome, *drivers] if data[c].nunique() < 2]
    if constant:
        raise DriverError(f"column(s) {constant} take a single value in all {len(data)} "
                          "complete rows; a constant cannot drive or be driven. Leave it out.")
    rank = np.linalg.matrix_rank(_standardized(data[drivers]), tol=1e-8 * math.sqrt(len(data)))
    if rank < len(drivers):
        raise DriverError(f"drivers {drivers} are perfectly collinear (rank {rank} of "
                          f"{len(drivers)}): one is an exact linear function of the others. "
                          "Drop or combine them.")
    return data


@dataclass
class KeyDrivers:
    """The result of :func:`key_drivers`.

    Attributes:
        outcome: The outcome column.
        table: One row per driver: relative weight with bootstrap interval, its share of R^2
            with the interval of the share's own bootstrap distribution, whether it beats a
            random variable (``is_important``: the lower end of the interval of its weight
            minus a pure-noise predictor's, ``vs_noise_low``, is above zero), the LMG share,
            the regression coefficient with interval and p-value, and the mean
            (performance) of the driver; sorted by relative weight.
        r2: R^2 of the regression on all drivers.
        n: Complete rows used; ``n_dropped`` rows lacked the outcome or a driver.
        n_boot: Bootstrap resamples behind the intervals.
        notes: Anything a reader should know (e.g. rows dropped).
        n_effective: Kish's effective sample size when weighted; ``n`` otherwise.
        sampled_from: When estimated on a systematic sample, how many rows (or answers)
            it was drawn from; None when every row was used.
    """

    outcome: str
    table: pd.DataFrame
    r2: float
    n: int
    n_dropped: int
    n_boot: int
    notes: list[str] = field(default_factory=list)
    n_effective: float | None = None
    sampled_from: int | None = None

    @property
    def order(self) -> list[str]:
        """Drivers from most to least important (by relative weight)."""
        return self.table["driver"].tolist()

    def _sizes(self) -> str:
        weighted = self.n_effective is not None and self.n_effective != self.n
        return f"n={self.n:,}, n_eff={self.n_effective:,.0f}" if weighted else f"n={self.n:,}"

    def __repr__(self) -> str:
        shares = ", ".join(f"{d} {s:.0%}" for d, s in
                           zip(self.table["driver"][:3], self.table["share"][:3], strict=True))
        more = f", {len(self.table) - 3} more" if len(self.table) > 3 else ""
        return (f"<KeyDrivers of {self.outcome}: R² = {self.r2:.3f}, {self._sizes()}; "
                f"share of R²: {shares}{more}>")

    def to_frame(self) -> pd.DataFrame:
        """One row per driver with every number of the analysis (a copy of ``table``)."""
        return self.table.copy()

    def to_dict(self) -> dict:
        """The analysis as plain values: its sizes and R², and one record per driver."""
        return {"outcome": self.outcome, "r2": self.r2, "n": self.n,
                "n_dropped": self.n_dropped, "n_effective": self.n_effective,
                "n_boot": self.n_boot, "notes": list(self.notes),
                "drivers": self.table.to_dict("records")}

    def summary_frame(self) -> pd.DataFrame:
        """The drivers as a reader takes them in, as text.

        Share of R² with its interval, whether it beats a random variable, the regression
        coefficient with its interval and p-value, and the driver's mean.
        """
        t = self.table
        return pd.DataFrame({
            "driver": t["driver"],
            "share of R²": [f"{s:.0%} ({lo:.0%} to {hi:.0%})" if pd.notna(lo) else f"{s:.0%}"
                            for s, lo, hi in zip(t["share"], t["share_ci_low"],
                                                 t["share_ci_high"], strict=True)],
            "beats noise": t["is_important"].map({True: "yes", False: "no"})
            if self.n_boot else "-",
            "coefficient": [f"{c:+.3g} ({lo:+.3g} to {hi:+.3g})" for c, lo, hi in
                            zip(t["coef"], t["coef_ci_low"], t["coef_ci_high"], strict=True)],
            "p-value": [f"{p:.2g}" for p in t["p_value"]],
            "mean": [f"{m:.2f}" for m in t["performance"]],
        })

    def _head(self) -> str:
        boot = (f"intervals from {self.n_boot:,} bootstrap resamples" if self.n_boot
                else "no bootstrap")
        return f"Key drivers of {self.outcome}: R² = {self.r2:.3f} ({self._sizes()}; {boot})"

    def summary(self) -> Summary:
        """The analysis in a few lines: its headline, the drivers' table and the notes.

        Printed it is text; in a notebook it shows as a table (see :class:`~cxlab.metrics.Summary`).
        """
        lines = [self._head(), self.summary_frame().to_string(index=False)]
        return Summary("\n".join(lines + [f"Note: {n}" for n in self.notes]), self._repr_html_())

    def _repr_html_(self) -> str:
        return _result_html(self._head(), [("note", n) for n in self.notes],
                            self.summary_frame())


def key_drivers(
    frame: pd.DataFrame, outcome: str, drivers: list[str], n_boot: int = 500,
    confidence: float = 0.95, seed: int = 0, weights: str | np.ndarray | pd.Series | None = None,
    max_rows: int | None = None,
) -> KeyDrivers:
    """Relative importance of ``drivers`` for ``outcome``, with intervals and the regression.

    Rows missing the outcome or any driver are left out (and counted). Bootstrap intervals
    resample rows with a fixed ``seed`` so the report is reproducible.

    With ``weights`` (a column of ``frame`` or one value per row) the correlations, the
    means and the regression are weighted (rows weighted 0 are left out), the bootstrap
    resamples rows and keeps their weights, and the regression's standard errors are the
    sandwich (HC1) form, which is the linearization a survey package gives for weighted
    regression without strata or clusters.

    With more than ``max_rows`` complete rows, every k-th of them is analysed (a systematic
    sample of at most ``max_rows``, the same on every run), and the notes say so: the
    estimates are the sample's, and their intervals are those of the sample's size, wider
    than all the rows would give.

    Examples:
        >>> rng = np.random.default_rng(0)
        >>> frame = pd.DataFrame(rng.normal(size=(200, 2)), columns=["wait", "courtesy"])
        >>> frame["csat"] = 2 * frame["courtesy"] + frame["wait"] + rng.normal(size=200)
        >>> key_drivers(frame, "csat", ["wait", "courtesy"], n_boot=100)
        <KeyDrivers of csat: R² = 0.851, n=200; share of R²: courtesy 83%, wait 17%>
    """
    import statsmodels.api as sm

    w = None
    if weights is not None:
        if isinstance(weights, str) and weights not in frame:
            raise DriverError(f"weight column {weights!r} not found; the data has "
                              f"{list(frame.columns)}")
        try:
            w_all = (frame[weights] if isinstance(weights, str)
                     else aligned_weights(weights, frame, "key_drivers(weights)"))
        except ValueError as err:
            raise DriverError(str(err)) from None
        frame = frame.assign(**{WEIGHT: check_weights(w_all.to_numpy(), "key_drivers weights")})
        frame = frame[frame[WEIGHT] > 0]
    data = _complete(frame, outcome, drivers)
    n_complete = len(data)
    if max_rows is not None and n_complete > max_rows:
        data = data.iloc[::math.ceil(n_complete / max_rows)]
    if weights is not None:
        w = frame.loc[data.index, WEIGHT].to_numpy(float)
    x, y = _standardized(data[drivers], w), _standardized(data[[outcome]], w)[:, 0]
    rxx, rxy = _correlations(x, y, w)
    weights = relative_weights_from_correlations(rxx, rxy)
    shapley = lmg_from_correlations(rxx, rxy) if len(drivers) <= MAX_LMG_DRIVERS else None
    # The bootstrap runs with one more predictor, pure noise (Tonidandel, LeBreton and
    # Johnson, 2009): a driver is important when its weight beats the noise's in the
    # resamples, so a driver with no effect is not called important for its small positive
    # weight (a relative weight is never below zero, so its own interval never holds zero).
    noise = _standardized(np.random.default_rng(seed + 1).standard_normal((len(y), 1)), w)[:, 0]
    augmented = _bootstrap_weights(np.column_stack([x, noise]), y, n_boot, seed, w)
    boot = augmented[:, :-1]
    beats_noise = boot - augmented[:, -1:]
    with np.errstate(invalid="ignore", divide="ignore"):
        boot_share = boot / boot.sum(axis=1, keepdims=True)
    tail = (1 - confidence) / 2
    design = sm.add_constant(data[drivers].to_numpy(float))
    if w is None:
        model = sm.OLS(data[outcome].to_numpy(float), design).fit()
    else:
        model = sm.WLS(data[outcome].to_numpy(float), design, weights=w).fit(cov_type="HC1")
    ci = model.conf_int(1 - confidence)[1:]
    r2 = float(weights.sum())
    table = pd.DataFrame({
        "driver": drivers,
        "weight": weights,
        # A percentile interval can miss its own estimate (the bootstrap's bias); as every
        # interval cxlab shows, it is widened to reach it.
        "weight_ci_low": np.minimum(np.quantile(boot, tail, axis=0), weights)
        if n_boot else np.nan,
        "weight_ci_high": np.maximum(np.quantile(boot, 1 - tail, axis=0), weights)
        if n_boot else np.nan,
        "share": weights / r2,
        "share_ci_low": np.minimum(np.quantile(boot_share, tail, axis=0), weights / r2)
        if n_boot else np.nan,
        "share_ci_high": np.maximum(np.quantile(boot_share, 1 - tail, axis=0), weights / r2)
        if n_boot else np.nan,
        "vs_noise_low": np.quantile(beats_noise, tail, axis=0) if n_boot else np.nan,
        "is_important": (np.quantile(beats_noise, tail, axis=0) > 0) if n_boot else False,
        "lmg": shapley if shapley is not None else np.nan,
        "coef": model.params[1:], "coef_ci_low": ci[:, 0], "coef_ci_high": ci[:, 1],
        "p_value": model.pvalues[1:],
        "performance": np.average(data[drivers].to_numpy(float), axis=0, weights=w),
    }).sort_values("weight", ascending=False, ignore_index=True)
    n_dropped = int(len(frame) - n_complete)
    notes = [f"{n_dropped:,} of {len(frame):,} rows lacked the outcome or a driver and were "
             "left out."] if n_dropped else []
    if len(data) < n_complete:
        step = math.ceil(n_complete / max_rows)  # type: ignore[operator]
        notes.append(f"Estimated on a systematic sample of {len(data):,} of the {n_complete:,} "
                     f"complete rows (one in every {step:,}); the intervals are the sample's.")
    n_eff = float(len(data)) if w is None else kish_n(w)
    if w is not None:
        notes.append(f"Weighted: {len(data):,} answers count as {n_eff:,.0f} (Kish's "
                     "effective sample size).")
    return KeyDrivers(outcome, table, r2, len(data), n_dropped, n_boot, notes, n_eff,
                      n_complete if len(data) < n_complete else None)


def _bootstrap_weights(x: np.ndarray, y: np.ndarray, n_boot: int, seed: int,
                       weights: np.ndarray | None = None) -> np.ndarray:
    """Relative weights of ``n_boot`` resamples of the rows (standardized ``x`` and ``y``).

    A resample is a count per row, so its correlations follow from weighted sums of the
    columns and of their products: one matrix product for a block of resamples instead of
    a loop over them. Survey ``weights`` multiply the counts. Resamples where a column is
    constant are left out.
    """
    rng = np.random.default_rng(seed)
    n, p = x.shape
    data = np.column_stack([x, y])
    products = (data[:, :, None] * data[:, None, :]).reshape(n, -1)
    block = max(1, 2_000_000 // n)  # resamples per block: bounded memory for large n
    out = []
    for start in range(0, n_boot, block):
        draws = rng.integers(0, n, (min(block, n_boot - start), n))
        counts = np.stack([np.bincount(d, minlength=n) for d in draws]).astype(float)
        if weights is not None:
            counts *= weights
        counts /= counts.sum(axis=1, keepdims=True)
        mean = counts @ data
        cov = (counts @ products).reshape(-1, p + 1, p + 1) - mean[:, :, None] * mean[:, None, :]
        var = np.diagonal(cov, axis1=1, axis2=2)
        usable = (var > 1e-10).all(axis=1)
        sd = np.sqrt(var[usable])
        corr = cov[usable] / (sd[:, :, None] * sd[:, None, :])
        out.append(relative_weights_from_correlations(corr[:, :p, :p], corr[:, :p, p]))
    return np.concatenate(out) if out else np.empty((0, p))
