"""Survey weights: raking a sample to known population margins.

A CX survey rarely answers in proportion to the customer base: chat customers answer more
than phone customers, enterprise accounts more than small ones. Raking (iterative
proportional fitting, Deming and Stephan 1940) finds weights that reproduce the population's
share of every level of several variables at once (channel, segment, region), starting from
base weights (1, or design weights) and changing them as little as the margins allow: each
round scales the weights of each level of one variable to its target share, variable after
variable, until every weighted share is within ``tolerance`` of its target.

The weights then go into the estimates (``weights=`` on :func:`cxlab.nps`,
:func:`cxlab.grouped`, ...), whose intervals use Kish's effective sample size.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cxlab.errors import CxlabError
from cxlab.metrics import check_weights, kish_n

#: Largest difference between a weighted share and its target that counts as reached.
TOLERANCE = 1e-6
#: Rounds of raking before giving up.
MAX_ROUNDS = 200
#: How far the shares given for one variable may sum from 1 (rounding in a published table).
SHARE_SLACK = 0.005


class RakingError(CxlabError, ValueError):
    """Margins that cannot be reached, or cannot be used; the message names which and why."""


@dataclass(frozen=True)
class Raking:
    """Weights raked to population margins, and how they were reached.

    Attributes:
        weights: One weight per row of the data (same index), averaging 1 over the rows with
            a positive base weight, so their sum is the number of those rows.
        rounds: Rounds of raking until every share was within ``tolerance`` of its target.
        largest_gap: The largest remaining difference between a weighted and a target share.
        n_effective: Kish's effective sample size of the weights.
        design_effect: ``n / n_effective``, the variance the weighting costs (1 = none).
        margins: The target shares used, ``{variable: {level: share}}`` (normalized to 1).
    """

    weights: pd.Series
    rounds: int
    largest_gap: float
    n_effective: float
    design_effect: float
    margins: dict[str, dict[str, float]]

    def __str__(self) -> str:
        w = self.weights[self.weights > 0]
        return (f"raked to {len(self.margins)} margin(s) ({', '.join(self.margins)}) in "
                f"{self.rounds} round(s): weights {w.min():.3g} to {w.max():.3g}, "
                f"n_eff {self.n_effective:.1f} of {len(w)} (design effect "
                f"{self.design_effect:.2f})")

    def __repr__(self) -> str:
        return f"<Raking: {self}>"

    def to_frame(self) -> pd.DataFrame:
        """One row per margin level with its target share (normalized to sum to 1)."""
        return pd.DataFrame([{"variable": v, "level": level, "target": share}
                             for v, levels in self.margins.items()
                             for level, share in levels.items()])

    def _repr_html_(self) -> str:
        from cxlab.metrics import _result_html

        w = self.weights[self.weights > 0]
        return _result_html(f"Weights raked to {', '.join(self.margins)}", [
            ("rounds", str(self.rounds)), ("weights", f"{w.min():.3g} to {w.max():.3g}"),
            ("effective n", f"{self.n_effective:.1f} of {len(w)}"),
            ("design effect", f"{self.design_effect:.2f}")], self.to_frame())


def margins_from_table(table: pd.DataFrame) -> dict[str, dict[str, float]]:
    """``{variable: {level: target}}`` from a small table with one row per level.

    The table has columns ``variable``, ``level`` and either ``share`` (each variable's
    shares sum to 1) or ``count`` (population counts), e.g.::

        variable,level,share
        channel,phone,0.55
        channel,chat,0.30
        channel,email,0.15

    Examples:
        >>> table = pd.DataFrame({"variable": ["channel", "channel"], "level": ["phone", "chat"],
        ...                       "share": [0.6, 0.4]})
        >>> margins_from_table(table)
        {'channel': {'phone': 0.6, 'chat': 0.4}}
    """
    needed = {"variable", "level"}
    value = "share" if "share" in table else "count" if "count" in table else None
    if not needed <= set(table.columns) or value is None:
        raise RakingError(f"a margins table needs columns variable, level and share (or count);"
                          f" it has {list(table.columns)}")
    out: dict[str, dict[str, float]] = {}
    for row in table.itertuples(index=False):
        variable, level, target = (str(row.variable), str(row.level), getattr(row, value))
        if level in out.setdefault(variable, {}):
            raise RakingError(f"margins: level {level!r} of {variable!r} is given twice")
        out[variable][level] = target
    return out


def rake(data: pd.DataFrame, margins: Mapping[str, Mapping[str, float]],
         base_weights: str | np.ndarray | pd.Series | None = None,
         tolerance: float = TOLERANCE, max_rounds: int = MAX_ROUNDS) -> Raking:
    """Rake the rows of ``data`` to the population ``margins`` (iterative proportional fitting).

    Args:
        data: One row per respondent, with a column per margin variable.
        margins: ``{variable: {level: share or count}}``; each variable's targets are
            normalized to shares (counts may be given), and must sum to 1 when shares are
            meant (within 0.5%). A table can be turned into this with
            :func:`margins_from_table`.
        base_weights: Weights to start from (a column name or one value per row), e.g.
            design weights; default 1 each. Rows weighted 0 stay at 0.
        tolerance: Largest difference between a weighted share and its target accepted.
        max_rounds: Rounds before giving up with a :class:`RakingError`.

    Raises:
        RakingError: a variable missing from ``data`` or with missing values; a level in the
            data without a target, or a target level without respondents (no weight can
            reach it); targets that are negative or do not sum to one; margins that no
            weights can meet together (the rounds do not converge), naming the margin
            furthest from its target.

    Examples:
        >>> answers = pd.DataFrame({"channel": ["phone", "chat", "chat", "chat"]})
        >>> result = rake(answers, {"channel": {"phone": 0.5, "chat": 0.5}})
        >>> result.weights.round(3).tolist(), round(result.n_effective, 2)
        ([2.0, 0.667, 0.667, 0.667], 3.0)
    """
    if not margins:
        raise RakingError("no margins given to rake to")
    base = _base_weights(data, base_weights)
    absent = [str(v) for v in margins if v not in data]
    if absent:
        raise RakingError(f"margin variable(s) {absent} not in the data; it has "
                          f"{list(data.columns)}")
    targets = {str(v): check_targets(str(v), levels) for v, levels in margins.items()}
    codes, shares = {}, {}
    for variable, target in targets.items():
        codes[variable], shares[variable] = _level_codes(data, variable, target, base)
    weights = base.copy()
    gap, previous, rounds = np.inf, np.inf, 0
    while rounds < max_rounds:
        rounds += 1
        previous = gap
        for variable in targets:
            reached = np.bincount(codes[variable], weights=weights,
                                  minlength=len(shares[variable]))
            factor = np.divide(shares[variable] * weights.sum(), reached,
                               out=np.zeros_like(reached), where=reached > 0)
            weights = weights * factor[codes[variable]]
        gap, worst = _largest_gap(weights, codes, shares, targets)
        if gap <= tolerance:
            break
    else:
        variable, level = worst
        where = (f"after {max_rounds} rounds the weighted share of {variable} = {level!r} is "
                 f"still {100 * gap:.3g} percentage points from its target")
        if gap < (1 - 1e-3) * previous:  # the last round still closed the gap
            raise RakingError(f"raking did not settle: {where} (tolerance "
                              f"{100 * tolerance:.2g}). It is still moving; allow more rounds "
                              "(max_rounds) or a looser tolerance.")
        raise RakingError(
            f"the margins cannot all be met: {where}. Usually two margins ask for a "
            "combination the sample lacks (e.g. a segment only found in one channel); merge "
            "small levels or drop one margin.")
    weights = weights * (base > 0).sum() / weights.sum()
    n_eff = kish_n(weights[weights > 0])
    return Raking(weights=pd.Series(weights, index=data.index, name="weight"), rounds=rounds,
                  largest_gap=float(gap), n_effective=n_eff,
                  design_effect=float((weights > 0).sum() / n_eff),
                  margins={v: dict(zip(t, s, strict=True))
                           for (v, t), s in zip(targets.items(), shares.values(), strict=True)})


def _base_weights(data: pd.DataFrame, base_weights: str | np.ndarray | pd.Series | None
                  ) -> np.ndarray:
    if base_weights is None:
        return np.ones(len(data))
    if isinstance(base_weights, str):
        if base_weights not in data:
            raise RakingError(f"base weight column {base_weights!r} not in the data; it has "
                              f"{list(data.columns)}")
        base_weights = data[base_weights].to_numpy()
    if len(base_weights) != len(data):
        raise RakingError(f"{len(base_weights)} base weights for {len(data)} rows")
    base = check_weights(base_weights, "base weights")
    if not (base > 0).any():
        raise RakingError("every base weight is 0; nothing to rake")
    return base


def check_targets(variable: str, levels: Mapping) -> dict[str, float]:
    """A variable's targets as shares summing to 1, or a clear error.

    Targets all at most 1 are shares and must sum to 1 (within ``SHARE_SLACK``); any larger
    target means counts, which are normalized.
    """
    if not isinstance(levels, Mapping) or not levels:
        raise RakingError(f"margin {variable!r}: expected {{level: share}} with at least one "
                          f"level, got {levels!r}")
    target = {}
    for level, value in levels.items():
        if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) or not (
                np.isfinite(value) and value >= 0):
            raise RakingError(f"margin {variable!r}: target of {level!r} is {value!r}; expected "
                              "a share or count of at least 0")
        target[str(level)] = float(value)
    total = sum(target.values())
    if total <= 0:
        raise RakingError(f"margin {variable!r}: the targets sum to 0")
    if max(target.values()) <= 1 and abs(total - 1) > SHARE_SLACK:
        raise RakingError(f"margin {variable!r}: the shares sum to {total:.4f}, not 1; give "
                          "shares that add up to 1, or population counts")
    return {level: value / total for level, value in target.items()}


def _level_codes(data: pd.DataFrame, variable: str, target: dict[str, float],
                 base: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row's level as a code into the variable's target shares, checked both ways."""
    column = data[variable]
    counted = base > 0
    blank = column.isna().to_numpy() & counted
    if blank.any():
        raise RakingError(f"{variable}: {int(blank.sum())} respondent(s) have no value; give "
                          "them a level (e.g. 'unknown') with its own target, or leave them out "
                          "(base weight 0)")
    levels = column.astype(str).to_numpy()
    names = list(target)
    unknown = sorted(set(levels[counted]) - set(names))
    if unknown:
        n = int(np.isin(levels[counted], unknown).sum())
        raise RakingError(f"{variable}: level(s) {unknown} ({n} respondent(s)) have no target; "
                          f"the margin gives {names}")
    codes = np.maximum(pd.Categorical(levels, categories=names).codes, 0).astype(np.intp)
    present = np.bincount(codes[counted], minlength=len(names)) > 0
    empty = [name for name, ok in zip(names, present, strict=True) if not ok and target[name] > 0]
    if empty:
        raise RakingError(f"{variable}: no respondent in level(s) {empty}, whose target share is "
                          "above 0; no weighting can reach it. Merge the level with another, or "
                          "collect answers there.")
    return codes, np.array([target[name] for name in names])


def _largest_gap(weights: np.ndarray, codes: dict, shares: dict, targets: dict
                 ) -> tuple[float, tuple[str, str]]:
    """The largest ``|weighted share - target|`` over every margin, and its variable and level."""
    total = weights.sum()
    gap, worst = -1.0, ("", "")
    for variable, code in codes.items():
        reached = np.bincount(code, weights=weights, minlength=len(shares[variable])) / total
        diff = np.abs(reached - shares[variable])
        if diff.max() > gap:
            gap, worst = float(diff.max()), (variable, list(targets[variable])[diff.argmax()])
    return gap, worst
