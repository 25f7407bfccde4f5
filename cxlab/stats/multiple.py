"""Control false discoveries when many groups or periods are tested at once."""

from __future__ import annotations

import numpy as np
import pandas as pd

METHODS = ("bh", "holm")


def adjust_pvalues(p_values, method: str = "holm") -> np.ndarray:
    """Adjusted p-values: Holm (family-wise error) or Benjamini-Hochberg (``"bh"``, FDR).

    With the m p-values sorted ascending, p_(1) <= ... <= p_(m):

    * Holm: ``max over j <= i of min(1, (m - j + 1) p_(j))``;
    * Benjamini-Hochberg: ``min over j >= i of min(1, m p_(j) / j)``.

    Missing p-values (NaN) stay missing and do not count as tests.
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


def flag_groups(estimates: pd.DataFrame, alpha: float = 0.05, adjust: str = "bh") -> pd.Series:
    """Flag groups whose value differs from the rest, controlling false discoveries.

    ``estimates`` has ``value``, ``se`` and ``n`` per group, on one scale. Each group is
    compared with the n-weighted mean of all the others (z test, treating groups as
    independent); p-values are adjusted together. Returns ``"above"``, ``"below"`` or ``""``.
    """
    from scipy import stats

    value, se, n = (estimates[c].to_numpy(float) for c in ("value", "se", "n"))
    flags = np.full(len(value), "", dtype=object)
    ok = np.isfinite(value) & np.isfinite(se) & (n > 0)
    if ok.sum() < 3:
        return pd.Series(flags, index=estimates.index)
    p = np.full(len(value), np.nan)
    diff = np.full(len(value), np.nan)
    for i in np.flatnonzero(ok):
        others = ok.copy()
        others[i] = False
        w = n[others] / n[others].sum()
        rest, rest_var = np.sum(w * value[others]), np.sum(w**2 * se[others] ** 2)
        diff[i] = value[i] - rest
        p[i] = 2 * stats.norm.sf(abs(diff[i]) / np.sqrt(se[i] ** 2 + rest_var))
    p_adj = np.full(len(value), np.nan)
    p_adj[ok] = adjust_pvalues(p[ok], adjust)
    flags[ok & (p_adj < alpha) & (diff > 0)] = "above"
    flags[ok & (p_adj < alpha) & (diff < 0)] = "below"
    return pd.Series(flags, index=estimates.index)
