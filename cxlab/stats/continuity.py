"""Breaks in a series: where the share of rows carrying a measure jumps between periods.

A measure that few rows carried in some periods and most carried in others (a question added
to the survey, a field an export began to fill) does not describe the same customers across
the jump, so a change in its value there is not a change in experience. Such a period is
flagged, and the report's trend is not drawn through it as a change.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: A change in coverage this large (in share of rows) ...
MIN_JUMP = 0.2
#: ... and this large as a ratio (the larger share over the smaller) is a break.
MIN_RATIO = 2.0


def coverage_breaks(coverage: pd.Series, min_jump: float = MIN_JUMP,
                    min_ratio: float = MIN_RATIO) -> pd.Series:
    """True for each period whose coverage broke from the period before it.

    Args:
        coverage: Share of rows carrying the measure per period, in order (0 to 1).
        min_jump: Smallest absolute change in the share that counts.
        min_ratio: Smallest ratio of the larger share to the smaller that counts.
    """
    share = coverage.to_numpy(dtype=float)
    before = np.r_[np.nan, share[:-1]]
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.maximum(share, before) / np.minimum(share, before)
    broke = (np.abs(share - before) >= min_jump) & (ratio >= min_ratio)
    return pd.Series(np.nan_to_num(broke, nan=0).astype(bool), index=coverage.index)
