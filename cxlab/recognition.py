"""Recognizing customer-centric behaviour: a seeded, auditable drawing and fair leaderboards.

The monthly drawing is reproducible: the entrants' ids are sorted, the seed is derived from
the client and the month (or given), and the winner is the entrant at position
``numpy.random.default_rng(seed).integers(len(entrants))``. The record keeps all three. A
report publishes entrants and winner by label only; whoever holds the pseudonym key maps the
labels back to ids and re-draws (:func:`verify_published`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cxlab.stats import hierarchical


@dataclass(frozen=True)
class Drawing:
    """One drawing: who could win, the seed, and who won."""

    label: str
    entrants: tuple[str, ...]
    seed: int
    winner: str | None

    def verify(self) -> bool:
        """Re-draw from the record and check the same winner comes out."""
        return draw(list(self.entrants), self.label, self.seed).winner == self.winner


def verify_published(label: str, seed: int | None, entrants: list[str], winner: str,
                     ids_of: dict[str, str]) -> bool:
    """Check a drawing as the report published it: entrants and winner by their labels.

    ``seed`` None is the seed derived from ``label``, as reports draw (they publish the
    label, from which anyone recomputes the seed, rather than a 19-digit number).

    Reports show employees by label (a pseudonym, or a name where allowed), never by id, so
    the check needs ``ids_of`` (label -> employee id), which only the key holder can make
    (:func:`cxlab.privacy.reverse_labels`, or the roster where names are shown). The drawing
    is re-run on the ids and its winner compared with the published one.
    """
    missing = [e for e in [*entrants, winner] if e not in ids_of]
    if missing:
        raise ValueError(f"cannot verify drawing {label!r}: no employee id for {missing[:3]}")
    result = draw([ids_of[e] for e in entrants], label, seed)
    return result.winner == ids_of[winner]


def drawing_seed(label: str) -> int:
    """A seed anyone can recompute from the drawing's label (e.g. ``cedar 2026-09``)."""
    return int(hashlib.sha256(label.encode("utf-8")).hexdigest()[:16], 16)


def draw(entrants: list[str], label: str, seed: int | None = None) -> Drawing:
    """Draw one winner among ``entrants`` (duplicates count once; order does not matter)."""
    pool = tuple(sorted(set(entrants)))
    seed = drawing_seed(label) if seed is None else int(seed)
    if not pool:
        return Drawing(label, pool, seed, None)
    return Drawing(label, pool, seed, pool[int(np.random.default_rng(seed).integers(len(pool)))])


def collection_leaderboard(reviews: pd.Series, opportunities: pd.Series, teams: pd.Series,
                           min_n: int) -> pd.DataFrame:
    """Reviews collected per opportunity, shrunk, ranked within team where the data tell.

    All three Series share the employee index. Rates are the hierarchical beta-binomial
    estimates of the scorecards (:mod:`cxlab.stats.hierarchical`), with ``rate_raw`` beside
    them. Employees with fewer than ``min_n`` opportunities are shown but not ranked; ranks
    are by the estimated rate, with an 80% interval (``rank_low``, ``rank_high``), and an
    employee whose interval spans the whole team is not ranked. When nobody is told apart,
    ``attrs["pooled"]`` says so: a ranking would only reward luck.
    """
    frame = pd.DataFrame({"team": teams, "reviews": reviews, "opportunities": opportunities})
    frame = frame[frame["opportunities"] > 0].copy()
    frame["reviews"] = frame["reviews"].clip(upper=frame["opportunities"])
    post = hierarchical.rates(frame["reviews"], frame["opportunities"])
    frame["rate_raw"] = post.summary["raw"].to_numpy()
    frame["rate"] = post.summary["shrunk"].to_numpy()
    frame["rate_ci_low"] = post.summary["ci_low"].to_numpy()
    frame["rate_ci_high"] = post.summary["ci_high"].to_numpy()
    eligible = (frame["opportunities"] >= min_n).to_numpy()
    ranks = post.rank_intervals(frame["team"].where(eligible).to_numpy(object), coverage=0.8)
    size = frame["team"].map(pd.Series(eligible, index=frame.index).groupby(frame["team"]).sum())
    told_apart = (((ranks["rank_high"] - ranks["rank_low"] + 1).to_numpy() < size.to_numpy())
                  & (not post.pooled))
    frame["rank"] = ranks["rank"].where(told_apart).to_numpy()
    frame["rank_low"] = ranks["rank_low"].where(told_apart).to_numpy()
    frame["rank_high"] = ranks["rank_high"].where(told_apart).to_numpy()
    frame = frame.sort_values(["team", "rank"], na_position="last")
    frame.attrs.update(pooled=bool(frame["rank"].isna().all()),
                       prior_mean=float(frame["reviews"].sum() / frame["opportunities"].sum()))
    return frame
