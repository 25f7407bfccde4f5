"""The registry of measures: each measure's facts, defined once.

Every part of cxlab that computes, tests, ranks or shows a measure reads it from here: the
estimates in :mod:`cxlab.metrics`, the report's tables and charts, the employee scorecards,
the incentive audit and the EX-CX linkage. A measure is

* **where it comes from**: a table and a column (``per`` divides the stored value, e.g.
  seconds to minutes);
* **how it is estimated**: ``kind`` is ``"nps"`` (promoters minus detractors, in points),
  ``"top-box"`` (share of answers from ``threshold`` up), ``"mean"`` or ``"rate"`` (share of
  true flags), on ``scale``;
* **how it reads**: ``direction`` (+1 when higher is better for customers or employees,
  -1 when lower is), ``label``, ``short`` and ``unit``;
* **which contacts it covers** (interactions only): ``contacts="answered"`` leaves out the
  contacts no employee answered (``outcome`` abandoned or missed), ``contacts="all"`` keeps
  them, an unanswered contact counting as ``unanswered`` where that is given (not resolved:
  0). Where no outcome is recorded every contact counts as answered and both agree.
  :func:`values` gives a measure's values on rows; every estimate reads them from there.

**One name per measure**: every function that takes a measure finds it with :func:`get`,
which takes

* the registry's name (``first_contact_resolution``), the one name used across the API, the
  report builders, the settings and the site;
* a column's name, which stands for its headline measure: the first measure in
  :data:`MEASURES` read from that column (``csat`` is ``csat_top2``, the share of 4s and 5s;
  ``ces`` is ``ces_mean``; ``is_resolved_first_contact`` is ``first_contact_resolution``), as
  ``cxlab.csat()`` and ``cxlab.ces()`` default to them;
* an old short name (``fcr``, ``repeat_7d``, ...: a measure's ``aliases``), still accepted
  for one release with a :class:`DeprecationWarning` naming the registry's name to use.

The promoter, passive and detractor bands of the 0-10 scale are defined here too
(:data:`PROMOTER_FROM`, :data:`PASSIVE_FROM`, :func:`nps_bands`).
"""

from __future__ import annotations

import math
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cxlab.errors import CxlabError

if TYPE_CHECKING:  # NumPy loads on first use: the run matrix checks names without it
    from types import FrameType

    import numpy as np
    import pandas as pd

#: Answers of 9 and 10 are promoters.
PROMOTER_FROM = 9
#: Answers of 7 and 8 are passives; 0 to 6 are detractors.
PASSIVE_FROM = 7

KINDS = ("nps", "top-box", "mean", "rate")


class MeasureError(CxlabError, ValueError):
    """A name that is no measure of the registry; the message lists the names it takes."""


@dataclass(frozen=True)
class Measure:
    """One measure: its source, how it is estimated and how it reads."""

    name: str
    label: str
    short: str
    table: str
    column: str
    kind: str
    scale: tuple[float, float]
    direction: int
    unit: str
    threshold: float | None = None
    per: float = 1.0
    #: Old names, accepted until the next release with a DeprecationWarning.
    aliases: tuple[str, ...] = ()
    contacts: str = ""
    unanswered: float | None = None
    #: Whether answers are whole points of the scale (a mapping's rating may have decimals).
    whole: bool = True

    @property
    def estimate_kind(self) -> str:
        """How an estimate of it is tested and shown: ``nps``, ``proportion`` or ``mean``."""
        return {"nps": "nps", "mean": "mean"}.get(self.kind, "proportion")

    @property
    def higher_is_better(self) -> bool:
        """Whether a higher value is the better one."""
        return self.direction > 0

    @property
    def bounded_scale(self) -> tuple[float, float] | None:
        """The answer scale when both ends are finite (a mean's interval may use it)."""
        return self.scale if all(math.isfinite(x) for x in self.scale) else None

    @property
    def bounds(self) -> tuple[float, float]:
        """The range an estimate of it can take, in its unit.

        -100 to 100 points for NPS, 0 to 1 for a share, the scale (divided by ``per``) for
        a mean: intervals are clipped to it.
        """
        if self.kind == "nps":
            return (-100.0, 100.0)
        if self.estimate_kind == "proportion":
            return (0.0, 1.0)
        return (self.scale[0] / self.per, self.scale[1] / self.per)


MEASURES: tuple[Measure, ...] = (
    Measure("nps", "NPS (points)", "NPS", "customer_responses", "nps", "nps", (0, 10), 1,
            "points"),
    Measure("csat_top2", "CSAT, share 4-5", "CSAT top-2", "customer_responses", "csat",
            "top-box", (1, 5), 1, "share", threshold=4),
    Measure("csat_mean", "CSAT, mean of 1-5", "CSAT mean", "customer_responses", "csat",
            "mean", (1, 5), 1, "scale mean"),
    Measure("ces_mean", "CES, mean of 1-7", "CES", "customer_responses", "ces", "mean",
            (1, 7), 1, "scale mean"),
    Measure("ces_easy", "CES, share 5-7", "CES easy", "customer_responses", "ces", "top-box",
            (1, 7), 1, "share", threshold=5),
    Measure("first_contact_resolution", "First-contact resolution (answered contacts)", "FCR",
            "interactions", "is_resolved_first_contact", "rate", (0, 1), 1, "share",
            aliases=("fcr",), contacts="answered"),
    Measure("first_contact_resolution_all", "First-contact resolution (all contacts)",
            "FCR (all contacts)", "interactions", "is_resolved_first_contact", "rate", (0, 1), 1,
            "share", aliases=("fcr_all",), contacts="all", unanswered=0.0),
    Measure("repeat_contact_rate", "Repeat contact within 7 days", "repeat contacts",
            "interactions", "is_repeat_within_7d", "rate", (0, 1), -1, "share",
            aliases=("repeat_7d",)),
    Measure("renewal_rate", "Renewal rate (accounts due)", "renewal rate", "accounts",
            "is_renewed", "rate", (0, 1), 1, "share", aliases=("renewal",)),
    Measure("wait_minutes", "Wait (minutes, answered contacts)", "wait", "interactions",
            "wait_seconds", "mean", (0, math.inf), -1, "minutes", per=60.0, contacts="answered"),
    Measure("wait_minutes_all", "Wait (minutes, all contacts)", "wait (all contacts)",
            "interactions", "wait_seconds", "mean", (0, math.inf), -1, "minutes", per=60.0,
            aliases=("wait_all",), contacts="all"),
    Measure("enps", "eNPS (points)", "eNPS", "employee_responses", "enps", "nps", (0, 10), 1,
            "points"),
)

_BY_NAME = {m.name: m for m in MEASURES}
#: A column's headline measure: the first in MEASURES read from it (csat: csat_top2).
_BY_COLUMN: dict[str, Measure] = {}
for _m in MEASURES:
    _BY_COLUMN.setdefault(_m.column, _m)
_BY_ALIAS = {alias: m for m in MEASURES for alias in m.aliases}
_PACKAGE = str(Path(__file__).resolve().parent)


def find(name: str) -> Measure | None:
    """The measure called ``name`` (a name, a column or an old name), or None when none is.

    An old name (one of a measure's ``aliases``) gives a :class:`DeprecationWarning`.

    Examples:
        >>> find("csat").name, find("first_contact_resolution").table
        ('csat_top2', 'interactions')
        >>> find("no such measure") is None
        True
    """
    if not isinstance(name, str):
        return None
    found = _BY_NAME.get(name) or _BY_COLUMN.get(name)
    if found is None and name in _BY_ALIAS:
        found = _BY_ALIAS[name]
        _deprecated(name, found)
    return found


#: The last call warned about an old name: (old name, the user's frame, its instruction).
_LAST_WARNED: list[tuple] = [()]


def _deprecated(old: str, m: Measure) -> None:
    """Warn that ``old`` is an old name, at the first caller outside cxlab (the user's code).

    Python 3.12's ``skip_file_prefixes`` does this; counting cxlab's own frames does it on
    3.11 too, so a notebook shows the warning against the cell that used the old name, once
    however often cxlab looks the name up within that call.
    """
    frame: FrameType | None = sys._getframe(0)
    level = 1
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame, level = frame.f_back, level + 1
    # One warning per call of the user's: report.trend_chart(study, "fcr") looks the name up
    # in the chart and again in its table. The same frame at the same instruction is the same
    # call (held here, so its identity cannot pass to another frame); a new call warns again.
    call = (old, frame, frame.f_lasti if frame is not None else -1)
    if call == _LAST_WARNED[0]:
        return
    _LAST_WARNED[0] = call
    warnings.warn(f"measure name {old!r} is deprecated and will be removed in the next "
                  f"release; use {m.name!r} ({m.label})", DeprecationWarning, stacklevel=level)


def of_column(column: str) -> Measure | None:
    """The headline measure read from ``column`` of a cxlab table, or None when none is.

    Examples:
        >>> of_column("csat").name, of_column("csat").scale
        ('csat_top2', (1, 5))
        >>> of_column("team") is None
        True
    """
    return _BY_COLUMN.get(column)


def get(name: str | Measure) -> Measure:
    """The measure called ``name`` (a name, a column or an old name), or a clear error.

    A :class:`Measure` is returned as it is, so functions may take either.

    Raises:
        MeasureError: listing the names, columns and old names it takes.

    Examples:
        >>> m = get("nps")
        >>> m.label, m.scale, m.higher_is_better
        ('NPS (points)', (0, 10), True)
        >>> get("ces").name  # a column: its headline measure
        'ces_mean'
        >>> get("nsp")
        Traceback (most recent call last):
        ...
        cxlab.measures.MeasureError: measure 'nsp' unknown; expected one of ['nps', ...
    """
    if isinstance(name, Measure):
        return name
    found = find(name)
    if found is None:
        what = (f"measure {name!r} unknown" if isinstance(name, str)
                else f"a {type(name).__name__} is not a measure's name")
        columns = ", ".join(f"{c} = {m.name}" for c, m in _BY_COLUMN.items() if c != m.name)
        old = ", ".join(f"{a} = {m.name}" for a, m in _BY_ALIAS.items())
        raise MeasureError(f"{what}; expected one of {list(_BY_NAME)} (or a "
                           f"column for its headline measure: {columns}; old names, "
                           f"deprecated: {old})")
    return found


def names() -> list[str]:
    """Every measure's name, in the registry's order.

    Examples:
        >>> names()[:3]
        ['nps', 'csat_top2', 'csat_mean']
    """
    return list(_BY_NAME)


#: Words of a name that are acronyms, written as such when the name is put in words.
ACRONYMS = {"nps": "NPS", "csat": "CSAT", "ces": "CES", "enps": "eNPS"}


def words(name: str) -> str:
    """A measure's or a metric's name as a reader sees it: ``time_to_hire`` time to hire.

    For text a client reads (an incentive plan's metrics, the evidence of maturity, a
    model's predictor): ``csat`` reads CSAT, ``retention_rate`` retention rate.
    """
    return " ".join(ACRONYMS.get(word, word) for word in name.split("_"))


def unanswered(rows: pd.DataFrame) -> np.ndarray | None:
    """Which of these interactions no employee answered (by ``outcome``), or None if unknown."""
    from cxlab.data.schema import UNANSWERED

    if "outcome" not in rows:
        return None
    return rows["outcome"].isin(UNANSWERED).fillna(False).to_numpy(dtype=bool)


def rating(name: str, label: str, scale: tuple[float, float]) -> Measure:
    """A rating a client's survey mapping declares (``rating_<name>``), as a mean measure.

    On its own scale: the overall score of a review survey that asks no NPS question, say.
    """
    low, high = scale
    return Measure(name, f"{label}, mean of {low:g}-{high:g}", label, "customer_responses", name,
                   "mean", (low, high), 1, "scale mean", whole=False)


def values(measure: Measure | str, rows: pd.DataFrame) -> pd.Series:
    """The measure's values on ``rows`` (a Series on their index), as its contacts say.

    ``contacts="answered"`` blanks unanswered contacts; ``contacts="all"`` gives each
    unanswered contact the measure's ``unanswered`` value, when it has one.

    Examples:
        >>> import pandas as pd
        >>> rows = pd.DataFrame({"is_resolved_first_contact": [True, False, False],
        ...                      "outcome": ["answered", "answered", "abandoned"]})
        >>> values("first_contact_resolution", rows).tolist()
        [True, False, nan]
        >>> values("first_contact_resolution_all", rows).tolist()
        [1.0, 0.0, 0.0]
    """
    m = get(measure)
    out = rows[m.column]
    gone = unanswered(rows) if m.contacts else None
    if gone is None or not gone.any():
        return out
    if m.contacts == "answered":
        return out.mask(gone)
    if m.unanswered is not None:  # e.g. an unanswered contact was not resolved
        return out.astype("Float64").mask(gone, m.unanswered)
    return out


def with_values(measure: Measure | str, rows: pd.DataFrame) -> pd.DataFrame:
    """``rows`` with the measure's column holding :func:`values` (a copy when they differ)."""
    m = get(measure)
    v = values(m, rows)
    return rows if v is rows[m.column] else rows.assign(**{m.column: v})


def nps_bands(values: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Boolean arrays ``(promoter, passive, detractor)`` of 0-10 answers; NaN is none of them."""
    import numpy as np

    v = np.asarray(values, dtype=float)
    with np.errstate(invalid="ignore"):
        return v >= PROMOTER_FROM, (v >= PASSIVE_FROM) & (v < PROMOTER_FROM), v < PASSIVE_FROM


def nps_band_sql(column: str) -> tuple[str, str, str]:
    """SQL conditions for promoter, passive and detractor on an already quoted column."""
    return (f"{column} >= {PROMOTER_FROM}",
            f"{column} >= {PASSIVE_FROM} AND {column} < {PROMOTER_FROM}",
            f"{column} < {PASSIVE_FROM}")


def scores(values: Any, measure: Measure | str) -> np.ndarray:
    """Per-answer scores whose mean is the measure: +100/0/-100 for NPS, 1/0 for a share.

    Means and rates pass through (divided by ``per``); missing answers stay NaN.

    Examples:
        >>> scores([10, 8, 3], "nps").tolist()
        [100.0, 0.0, -100.0]
        >>> scores([5, 3, float("nan")], "csat_top2").tolist()
        [1.0, 0.0, nan]
    """
    import numpy as np

    m = get(measure) if isinstance(measure, str) else measure
    v = np.asarray(values, dtype=float)
    missing = np.isnan(v)
    if m.kind == "nps":
        promoter, _, detractor = nps_bands(v)
        out = 100.0 * (promoter.astype(float) - detractor.astype(float))
    elif m.kind == "top-box":
        with np.errstate(invalid="ignore"):
            out = (v >= m.threshold).astype(float)
    else:
        out = v / m.per
    return np.where(missing, np.nan, out)
