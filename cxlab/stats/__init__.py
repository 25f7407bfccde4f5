"""Statistics beyond single estimates: multiple comparisons (more to come)."""

from cxlab.stats.multiple import adjust_pvalues

__all__ = ["adjust_pvalues"]
