"""Key drivers of NPS and CSAT for one study: tables and notes for the report."""

from __future__ import annotations

import pandas as pd
from IPython.display import Markdown

from cxlab.data.schema import DRIVER_ITEMS
from cxlab.markup import escape
from cxlab.report.availability import needs
from cxlab.stats import drivers
from cxlab.study import Study

DRIVER_OUTCOMES = {"nps": "NPS answer (0-10)", "csat": "CSAT answer (1-5)"}
N_BOOT = 500


def driver_columns(frame: pd.DataFrame) -> list[str]:
    """The attribute-rating columns (``rating_*``) present with at least one answer.

    The standard four (:data:`DRIVER_ITEMS`) first, then any a mapping declared, in order.
    """
    ratings = [*DRIVER_ITEMS, *(c for c in frame.columns
                                if str(c).startswith("rating_") and c not in DRIVER_ITEMS)]
    return [c for c in ratings if c in frame and frame[c].notna().any()]


def driver_label(study: Study, column: str) -> str:
    """A rating's wording: the client's mapping's label, else the standard item's."""
    return study.ratings.get(column, {}).get("label") or DRIVER_ITEMS.get(column, column)


def driver_scale(study: Study, column: str) -> tuple[float, float]:
    """A rating's scale: the client's mapping's, else the standard 1-5."""
    low, high = study.ratings.get(column, {}).get("scale", (1, 5))
    return low, high


def key_drivers_result(study: Study, outcome: str = "nps") -> drivers.KeyDrivers:
    """Key drivers of ``outcome`` among this quarter's responses (raises DriverError)."""
    if outcome not in DRIVER_OUTCOMES:
        raise ValueError(f"outcome {outcome!r} unknown; expected one of {list(DRIVER_OUTCOMES)}")

    def compute():
        rows = study.rows("customer_responses")
        columns = driver_columns(rows)
        if not columns:
            raise drivers.DriverError("no attribute ratings (rating_* columns) in this "
                                      "quarter's customer responses")
        return drivers.key_drivers(rows, outcome, columns, n_boot=N_BOOT,
                                   weights=study.response_weights(rows))

    return study.cached(("key_drivers", outcome), compute)


@needs("customer_responses")
def key_drivers_table(study: Study, outcome: str = "nps") -> pd.DataFrame | Markdown:
    """Formatted key drivers: importance with intervals, the LMG check and the regression."""
    try:
        result = key_drivers_result(study, outcome)
    except drivers.DriverError as err:
        return Markdown(f"*Key drivers of {outcome.upper()} not available: {escape(err)}.*")
    t = result.table
    pct = 100 / result.r2
    return pd.DataFrame({
        "Driver": [driver_label(study, d) for d in t["driver"]],
        "Share of explained variance": [f"{pct * w:.0f}% ({100 * lo:.0f}% to {100 * hi:.0f}%)"
                                        for w, lo, hi in zip(t["weight"], t["share_ci_low"],
                                                             t["share_ci_high"], strict=True)],
        "Beats a random variable": t["is_important"].map({True: "yes", False: "no"}).tolist(),
        "LMG check": [f"{pct * v:.0f}%" if pd.notna(v) else
                      f"not computed (over {drivers.MAX_LMG_DRIVERS} ratings)" for v in t["lmg"]],
        "Regression coefficient": [f"{c:+.2f} ({lo:+.2f} to {hi:+.2f}), p={p:.3f}" for c, lo, hi, p
                                   in zip(t["coef"], t["coef_ci_low"], t["coef_ci_high"],
                                          t["p_value"], strict=True)],
        "Mean rating": [f"{v:.2f} (of {_span(driver_scale(study, d))})"
                        for v, d in zip(t["performance"], t["driver"], strict=True)],
    }).set_index("Driver")


def _span(scale: tuple[float, float]) -> str:
    return f"{scale[0]:g}-{scale[1]:g}"


@needs("customer_responses")
def key_drivers_note(study: Study, outcome: str = "nps") -> Markdown:
    """R^2, n and how to read the key-driver table."""
    try:
        result = key_drivers_result(study, outcome)
    except drivers.DriverError:
        return Markdown("")
    text = (f"The ratings together explain **{100 * result.r2:.0f}%** of the variance in the "
            f"{DRIVER_OUTCOMES[outcome]} (n={result.n:,} complete answers). Shares are Johnson's "
            f"relative weights with {result.n_boot}-resample bootstrap intervals; a driver "
            "\"beats a random variable\" when its weight exceeds that of pure noise added to the "
            "model in nearly all resamples (a driver that does not cannot be told from no "
            "driver at all); the LMG (Shapley) share is a check computed another way. The "
            "regression coefficient is the change in the answer per rating point, holding the "
            "other ratings fixed.")
    return Markdown(" ".join([text, *map(escape, result.notes)]))
