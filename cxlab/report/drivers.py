"""Key drivers of NPS and CSAT for one study: tables and notes for the report."""

from __future__ import annotations

import math

import pandas as pd
from IPython.display import Markdown

from cxlab import periods
from cxlab.data.schema import DRIVER_ITEMS, PERIOD_COLUMN
from cxlab.markup import escape
from cxlab.report.availability import needs
from cxlab.report.tables import fmt_p
from cxlab.stats import drivers
from cxlab.study import Study

DRIVER_OUTCOMES = {"nps": "NPS answer (0-10)", "csat": "CSAT answer (1-5)"}
#: The outcome named by the rating a client's survey mapping marks ``overall: true``
#: (``Study.overall_rating``).
OVERALL = "overall"
N_BOOT = 500
#: Answers a quarter's key drivers are estimated on, at most: beyond, a systematic sample of
#: them (intervals at 100,000 answers are already narrow; memory stays bounded). Where an
#: engine holds the answers, the sample is drawn there, so only it is read.
MAX_ROWS = 100_000


def headline_outcome(study: Study) -> str:
    """What the report's key drivers explain by default.

    NPS when this quarter has NPS answers, else the survey's overall rating when a mapping
    declares one, else NPS (whose section then says why not).
    """
    has_nps = study.count_rows("customer_responses", "nps") > 0
    return "nps" if has_nps or study.overall_rating is None else OVERALL


def outcome_name(study: Study, outcome: str) -> str:
    """The outcome as a heading names it: NPS, CSAT or the overall rating's wording."""
    if outcome != OVERALL:
        return outcome.upper()
    name = study.overall_rating
    return driver_label(study, name) if name else "the overall rating"


def _outcome_column(study: Study, outcome: str) -> str:
    if outcome not in (*DRIVER_OUTCOMES, OVERALL):
        raise ValueError(f"outcome {outcome!r} unknown; expected one of "
                         f"{[*DRIVER_OUTCOMES, OVERALL]}")
    if outcome != OVERALL:
        return outcome
    name = study.overall_rating
    if name is None:
        raise drivers.DriverError("no rating is marked overall (overall: true) in the client's "
                                  "survey mappings")
    return name


def _outcome_wording(study: Study, outcome: str) -> str:
    """The outcome with its scale, as the key-driver note reads it (markdown, escaped)."""
    if outcome != OVERALL:
        return DRIVER_OUTCOMES[outcome]
    column = _outcome_column(study, outcome)
    return f"{escape(driver_label(study, column))} ({_span(driver_scale(study, column))})"


def driver_columns(frame: pd.DataFrame, exclude: tuple[str, ...] = ()) -> list[str]:
    """The attribute-rating columns (``rating_*``) present with at least one answer.

    The standard four (:data:`DRIVER_ITEMS`) first, then any a mapping declared, in order;
    ``exclude`` leaves out the outcome (an overall rating explains nothing of itself).
    """
    ratings = [*DRIVER_ITEMS, *(c for c in frame.columns
                                if str(c).startswith("rating_") and c not in DRIVER_ITEMS)]
    return [c for c in ratings if c in frame and c not in exclude and frame[c].notna().any()]


def driver_label(study: Study, column: str) -> str:
    """A rating's wording: the client's mapping's label, else the standard item's."""
    return study.ratings.get(column, {}).get("label") or DRIVER_ITEMS.get(column, column)


def driver_scale(study: Study, column: str) -> tuple[float, float]:
    """A rating's scale: the client's mapping's, else the standard 1-5."""
    low, high = study.ratings.get(column, {}).get("scale", (1, 5))
    return low, high


def key_drivers_result(study: Study, outcome: str | None = None) -> drivers.KeyDrivers:
    """Key drivers of ``outcome`` among this quarter's responses (raises DriverError).

    ``outcome`` is ``nps``, ``csat`` or ``overall`` (default: :func:`headline_outcome`).

    Examples:
        On the sample data, with ``study = cxlab.open_study("cedar", "2026Q3")``:

        >>> report.key_drivers_result(study)
        <KeyDrivers of nps: R² = 0.156, n=316; share of R²: rating_knowledge 41%, rating_resolution 24%,
         rating_speed 23%, 1 more>
    """
    outcome = outcome or headline_outcome(study)
    column = _outcome_column(study, outcome)

    def compute():
        # The quarter's ratings and date (for the weights) only: no comments, no ids.
        date = PERIOD_COLUMN["customer_responses"]
        wanted = [c for c in study.columns("customer_responses")
                  if c in (column, date) or str(c).startswith("rating_")]
        # Beyond MAX_ROWS answers of the outcome, every k-th response by its place in the
        # data, the same rows on every engine.
        answered = study.count_rows("customer_responses", having=column)
        every = max(1, math.ceil(answered / MAX_ROWS))
        rows = study.between("customer_responses", *periods.bounds(study.quarter), wanted,
                             every=every)
        if column not in rows or rows[column].isna().all():
            raise drivers.DriverError(f"no {outcome_name(study, outcome)} answers in this "
                                      "quarter's customer responses")
        columns = driver_columns(rows, exclude=(study.overall_rating or "",))
        if not columns:
            raise drivers.DriverError("no attribute ratings (rating_* columns) in this "
                                      "quarter's customer responses")
        result = drivers.key_drivers(rows, column, columns, n_boot=N_BOOT,
                                     weights=study.response_weights(rows), max_rows=MAX_ROWS)
        if every > 1:
            result.sampled_from = answered
            name = outcome_name(study, outcome)
            result.notes.insert(0, f"Estimated on a systematic sample of the quarter's "
                                   f"responses, one in every {every:,} by its place in the data: "
                                   f"{len(rows):,} responses read, "
                                   f"{int(rows[column].notna().sum()):,} of them with {name} "
                                   f"answered, of the quarter's {answered:,} {name} answers; the "
                                   "intervals are the sample's.")
        return result

    return study.cached(("key_drivers", outcome), compute)


@needs("customer_responses")
def key_drivers_table(study: Study, outcome: str | None = None) -> pd.DataFrame | Markdown:
    """Formatted key drivers: importance with intervals, a second method's share and the regression.

    Examples:
        On the sample data, with ``study = cxlab.open_study("cedar", "2026Q3")``:

        >>> report.key_drivers_table(study)["Share of explained variance"]
        Driver
        The person who helped me knew what they were doing    41% (19% to 62%)
        My issue was fully resolved                            24% (7% to 45%)
        I got help quickly                                     23% (7% to 41%)
        I was treated with courtesy                            11% (1% to 29%)
        Name: Share of explained variance, dtype: str
    """
    outcome = outcome or headline_outcome(study)
    try:
        result = key_drivers_result(study, outcome)
    except drivers.DriverError as err:
        return Markdown(f"*Key drivers of {escape(outcome_name(study, outcome))} not available: "
                        f"{escape(err)}.*")
    t = result.table
    pct = 100 / result.r2
    table = pd.DataFrame({
        "Driver": [driver_label(study, d) for d in t["driver"]],
        "Share of explained variance": [f"{pct * w:.0f}% ({100 * lo:.0f}% to {100 * hi:.0f}%)"
                                        for w, lo, hi in zip(t["weight"], t["share_ci_low"],
                                                             t["share_ci_high"], strict=True)],
        "Beats a random variable": t["is_important"].map({True: "yes", False: "no"}).tolist(),
        "Share by a second method": [f"{pct * v:.0f}%" if pd.notna(v) else
                      f"not computed (over {drivers.MAX_LMG_DRIVERS} ratings)" for v in t["lmg"]],
        "Regression coefficient": [f"{c:+.2f} ({lo:+.2f} to {hi:+.2f})" for c, lo, hi
                                   in zip(t["coef"], t["coef_ci_low"], t["coef_ci_high"],
                                          strict=True)],
        "Coefficient's test": [fmt_p(p, adjusted=False) for p in t["p_value"]],
        "Mean rating": [f"{v:.2f} (of {_span(driver_scale(study, d))})"
                        for v, d in zip(t["performance"], t["driver"], strict=True)],
    }).set_index("Driver")
    table.attrs["caption"] = (
        f"Key drivers of {outcome_name(study, outcome)} in {study.quarter}: each rating's share "
        "of the explained variance (95% interval), the same share by a second method (LMG), "
        "the regression coefficient "
        f"(95% interval) and the mean rating; {result.n:,} answers"
        + (f" (complete ones, from a systematic sample of the quarter's "
           f"{result.sampled_from:,})" if result.sampled_from else ""))
    return table


def _span(scale: tuple[float, float]) -> str:
    return f"{scale[0]:g}-{scale[1]:g}"


@needs("customer_responses")
def key_drivers_note(study: Study, outcome: str | None = None) -> Markdown:
    """R^2, n and how to read the key-driver table.

    Examples:
        On the sample data, with ``study = cxlab.open_study("cedar", "2026Q3")``:

        >>> print(report.key_drivers_note(study).data)
        The ratings together explain **16%** of the variance in the NPS answer (0-10) (n=316 complete
        answers). ...
    """
    outcome = outcome or headline_outcome(study)
    try:
        result = key_drivers_result(study, outcome)
    except drivers.DriverError:
        return Markdown("")
    # What the estimate stands on (a sample, rows left out) right after its n.
    text = (f"The ratings together explain **{100 * result.r2:.0f}%** of the variance in the "
            f"{_outcome_wording(study, outcome)} (n={result.n:,} complete answers). "
            + "".join(f"{escape(note)} " for note in result.notes)
            + "Shares are Johnson's "
            f"relative weights with {result.n_boot}-resample bootstrap intervals; a driver "
            "\"beats a random variable\" when its weight exceeds that of pure noise added to the "
            "model in nearly all resamples (a driver that does not cannot be told from no "
            "driver at all); the share by a second method (LMG: the average gain in explained "
            "variance over every order of adding the ratings) should tell the same story. The "
            "regression coefficient is the change in the answer per rating point, holding the "
            "other ratings fixed.")
    return Markdown(text)
