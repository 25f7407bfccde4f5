"""Control false discoveries when many groups or periods are tested at once."""

from __future__ import annotations

import numpy as np

METHODS = {"holm": "holm", "bh": "fdr_bh"}


def adjust_pvalues(p_values, method: str = "holm") -> np.ndarray:
    """Adjusted p-values: Holm (family-wise error) or Benjamini-Hochberg (``"bh"``, FDR).

    Missing p-values (NaN) stay missing and do not count as tests.
    """
    from statsmodels.stats.multitest import multipletests

    if method not in METHODS:
        raise ValueError(f"adjustment {method!r} unknown; expected one of {sorted(METHODS)}")
    p = np.asarray(p_values, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = ~np.isnan(p)
    if ok.any():
        out[ok] = multipletests(p[ok], method=METHODS[method])[1]
    return out
