"""Chart builders: every chart in a report comes from here, in the cxlab theme."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from IPython.display import Markdown
from matplotlib.figure import Figure

from cxlab import config, measures, periods
from cxlab.data.schema import TABLES
from cxlab.markup import escape
from cxlab.report.availability import needs, unavailable
from cxlab.report.drivers import (
    driver_label,
    driver_scale,
    headline_outcome,
    key_drivers_result,
    outcome_name,
)
from cxlab.report.linkage import headline, linkage_inputs
from cxlab.report.maturity import maturity_result
from cxlab.report.statements import statements_frame
from cxlab.report.tables import (
    fmt_value,
    group_frame,
    quarter_estimate,
    quarter_trend,
    trend_frame,
    trend_words,
)
from cxlab.report.theme import (
    HIGHLIGHT,
    MUTED,
    PALETTE,
    TEXT_BAD,
    TEXT_GOOD,
    TEXT_MUTED,
    Chart,
    fold,
    new_figure,
    point_label,
    themed,
)
from cxlab.stats.drivers import DriverError
from cxlab.study import Study

#: Groups flagged above or below the rest (Benjamini-Hochberg) are coloured.
FLAG_COLORS = {"above": "#4f9d69", "below": "#c0504d"}
UNIT = {"nps": "points (-100 to 100)", "proportion": "percent", "mean": "mean score"}


def _scaled(values: npt.ArrayLike, kind: str) -> np.ndarray:
    array = np.asarray(values, dtype=float)
    return 100 * array if kind == "proportion" else array


@themed
def trend_chart(study: Study, key: str = "nps") -> Chart | Markdown:
    """The measure by quarter with 95% intervals; the study's quarter highlighted.

    ``key`` is the registry's name of the measure, or a column for its headline measure
    (``"csat"`` is CSAT top-2), as :func:`cxlab.measures.get` takes it.

    Examples:
        On the sample data, with ``study = cxlab.open_study("cedar", "2026Q3")``:

        >>> report.trend_chart(study, "csat")
        <Chart: CSAT, share 4-5 for Cedar Health by quarter up to 2026Q3. No clear trend: +0.5 pp a
         quarter (95% CI -0.2 pp to +1.3 pp), over 8 quarters, not significant, p = 0.12.>
    """
    m = measures.get(key)
    kind = m.estimate_kind
    if note := unavailable(study, [m.table], [m]):
        return note
    frame = trend_frame(study, m.name)  # the name already looked up: one warning for an old one
    if frame.empty:
        return Markdown(f"*No trend: {escape(study.client_name)} has no {m.label} measured up to "
                        f"{study.quarter}.*")
    fig, ax = new_figure()
    x = np.arange(len(frame))
    value = _scaled(frame["value"], kind)
    low, high = _scaled(frame["ci_low"], kind), _scaled(frame["ci_high"], kind)
    # The line is not drawn across a break in coverage: there it would show a change that is
    # a change in who answered.
    breaks = np.flatnonzero(frame["coverage_break"].to_numpy())
    for part in np.split(x, breaks):
        ax.plot(part, value[part], color=MUTED, linewidth=1.5, zorder=1)
    for i in breaks:
        ax.axvline(i - 0.5, color="#c0504d", linestyle=":", linewidth=1)
        ax.annotate(f"coverage {frame['coverage'].iloc[i - 1]:.0%} → "
                    f"{frame['coverage'].iloc[i]:.0%}", (i - 0.5, 1.0),
                    xycoords=("data", "axes fraction"), ha="center", va="bottom", fontsize=8,
                    color="#c0504d")
    current = (frame["quarter"] == study.quarter).to_numpy()
    for mask, color in ((~current, MUTED), (current, HIGHLIGHT)):
        ax.errorbar(x[mask], value[mask], yerr=[(value - low)[mask], (high - value)[mask]],
                    fmt="o", color=color, ecolor=color, elinewidth=2, capsize=3, zorder=2)
    ax.set_xticks(x, [q if w or not frame["weighted"].any() else f"{q}\nunweighted"
                      for q, w in zip(frame["quarter"], frame["weighted"], strict=True)])
    ax.set_ylabel(UNIT[kind])
    ax.set_title(f"{m.label} by quarter, with 95% intervals", pad=14 if len(breaks) else None)
    trend = trend_words(quarter_trend(study, key, frame), kind)
    ax.set_xlabel(trend, fontsize=9,
                  color=HIGHLIGHT if "clear trend" not in trend else TEXT_MUTED)
    alt = f"{m.label} for {study.client_name} by quarter up to {study.quarter}. {trend}"
    if len(breaks):
        alt += ("; the share of rows carrying it changed sharply before "
                + ", ".join(frame["quarter"].iloc[breaks]) + ", so the line is broken there")
    return Chart(fig, alt)


@themed
def group_chart(study: Study, by: str = "team", key: str = "nps") -> Chart | Markdown:
    """The measure per team or department this quarter, with 95% intervals and n.

    ``key`` names the measure as in :func:`trend_chart`.

    Examples:
        On the sample data, with ``study = cxlab.open_study("cedar", "2026Q3")``:

        >>> chart = report.group_chart(study, by="department")
        >>> chart
        <Chart: NPS (points) by department for Cedar Health in 2026Q3>
        >>> chart.figure
        <Figure size 825x319 with 1 Axes>
    """
    m = measures.get(key)
    kind = m.estimate_kind
    own = by in TABLES[m.table].column_names
    roster = [] if own else ["employees"]
    if note := unavailable(study, [m.table, *roster], [m], [(m.table, by)] if own else []):
        return note
    frame = group_frame(study, by, key)
    overall = quarter_estimate(study, m, study.quarter)
    fig, ax = new_figure(height=max(2.4, 0.38 * len(frame) + 1.0))
    y = np.arange(len(frame))
    value = _scaled(frame["value"], kind)
    low, high = _scaled(frame["ci_low"], kind), _scaled(frame["ci_high"], kind)
    ax.errorbar(value, y, xerr=[value - low, high - value], fmt="none", ecolor=MUTED,
                elinewidth=2, capsize=3)
    colors = frame["flag"].map(FLAG_COLORS).fillna(HIGHLIGHT)
    ax.scatter(value, y, color=colors, zorder=3)
    if overall is not None:
        ref = _scaled([overall.value], kind)[0]
        ax.axvline(ref, color="#c0504d", linestyle="--", linewidth=1)
        ax.text(ref, len(frame) - 0.4, f" all: {fmt_value(overall.value, kind)}",
                color="#c0504d", fontsize=8, va="bottom")
    weighted = frame["method"].str.contains("weighted")
    sizes = [f"n={n:,}, n_eff={e:,.0f}" if w else f"n={n:,}" for n, e, w in zip(
        frame["n"], frame["n_effective"], weighted, strict=True)]
    ax.set_yticks(y, [f"{g} ({size}){' ' + f if f else ''}"
                      for g, size, f in zip(frame[by], sizes, frame["flag"], strict=True)])
    ax.set_xlabel(UNIT[kind])
    ax.set_ylim(-0.7, len(frame) - 0.1)
    ax.set_title(f"{m.label} by {by}, {study.quarter}, with 95% intervals")
    return Chart(fig, f"{m.label} by {by} for {study.client_name} in {study.quarter}")


#: A driver's statement is written on lines of at most this many characters beside its point.
DRIVER_LABEL_CHARS = 26


@needs("customer_responses")
@themed
def importance_chart(study: Study, outcome: str | None = None) -> Chart | Markdown:
    """Importance (share of explained variance) against performance (mean rating) per driver.

    Drivers top-left (important, rated low) are where improvement pays most. ``outcome`` as
    in :func:`cxlab.report.drivers.key_drivers_result`.

    Examples:
        On the sample data, with ``study = cxlab.open_study("cedar", "2026Q3")``:

        >>> report.importance_chart(study)
        <Chart: Importance against performance of the drivers of NPS for Cedar Health in 2026Q3>
    """
    outcome = outcome or headline_outcome(study)
    try:
        result = key_drivers_result(study, outcome)
    except DriverError as err:
        return Markdown(f"*No importance chart: {escape(err)}.*")
    t = result.table.copy()
    share = 100 * t["weight"] / result.r2
    # Ratings on different scales are compared as a share of their scale.
    scales = [driver_scale(study, d) for d in t["driver"]]
    if len(set(scales)) == 1:
        xlabel = f"performance: mean rating ({scales[0][0]:g}-{scales[0][1]:g})"
    else:
        t["performance"] = [100 * (v - lo) / (hi - lo)
                            for v, (lo, hi) in zip(t["performance"], scales, strict=True)]
        xlabel = "performance: mean rating, % of its scale"
    fig, ax = new_figure(height=4.2)
    ax.scatter(t["performance"], share, s=80, color=HIGHLIGHT, zorder=3)
    low = 100 * t["weight_ci_low"] / result.r2
    high = 100 * t["weight_ci_high"] / result.r2
    # A percentile interval of a weight near zero may not contain the estimate itself.
    ax.errorbar(t["performance"], share,
                yerr=[(share - low).clip(lower=0), (high - share).clip(lower=0)], fmt="none",
                ecolor=MUTED, elinewidth=2, zorder=2)
    for x, y, d in zip(t["performance"], share, t["driver"], strict=True):
        point_label(ax, fold(driver_label(study, d), DRIVER_LABEL_CHARS), (x, y))
    ax.axvline(t["performance"].mean(), color=MUTED, linestyle="--", linewidth=1)
    ax.axhline(share.mean(), color=MUTED, linestyle="--", linewidth=1)
    # On two lines each, so the two corners' notes never meet, even at a phone's width.
    ax.text(0.01, 0.98, "fix first:\nimportant, rated low", transform=ax.transAxes,
            va="top", fontsize=8, color=TEXT_BAD)
    ax.text(0.99, 0.98, "keep up:\nimportant, rated high", transform=ax.transAxes, va="top",
            ha="right", fontsize=8, color=TEXT_GOOD)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("importance: % of explained variance")
    name = outcome_name(study, outcome)
    ax.set_title(f"Key drivers of {name}, {study.quarter}")
    return Chart(fig, f"Importance against performance of the drivers of {name} for "
                      f"{study.client_name} in {study.quarter}")


@needs("customer_responses", "employees", "employee_responses")
@themed
def linkage_chart(study: Study) -> Chart | Markdown:
    """Team engagement in one quarter against the team's customer NPS in the next.

    Examples:
        On the sample data, with ``study = cxlab.open_study("cedar", "2026Q3")``:

        >>> report.linkage_chart(study)
        <Chart: Team engagement against next-quarter customer NPS for Cedar Health, one point per team
         and quarter>
    """
    team_ex, sums = linkage_inputs(study)
    nps = sums["nps"].assign(value=lambda f: f["sy"] / f["n"]).rename(
        columns={"n": "n_answers"})[["team", "quarter", "value", "n_answers"]]
    # Each point is one team's pulse: teams under the confidentiality threshold are left out
    # of the picture (the model above uses them: its estimate is over all teams).
    shown = team_ex["n"] >= config.setting(study.settings, "min_group_size")
    ex = team_ex[shown].dropna(subset=["engagement"]).assign(
        quarter=lambda f: [periods.shift(q, 1) for q in f["quarter"]])
    points = ex.merge(nps[nps["n_answers"] > 0], on=["team", "quarter"])
    head = headline(study)
    if points.empty or head["status"] != "estimated":
        return Markdown("*No linkage chart: no team has both a pulse and next-quarter customer "
                        "answers yet.*")
    fig, ax = new_figure(height=4.0)
    ax.scatter(points["engagement"], points["value"], s=10 + points["n_answers"] / 2,
               color=HIGHLIGHT, alpha=0.6, zorder=2)
    x0 = points["engagement"].mean()
    y0 = np.average(points["value"], weights=points["n_answers"])
    xs = np.linspace(points["engagement"].min(), points["engagement"].max(), 20)
    ax.plot(xs, y0 + head["effect"] * (xs - x0), color="#c0504d", linewidth=2,
            label=f"mixed model: {head['effect']:+.1f} NPS points per engagement point")
    ax.legend(loc="lower right", fontsize=8)
    ax.set_xlabel("team engagement (mean of five 1-5 items), quarter q")
    ax.set_ylabel("team customer NPS, quarter q+1")
    ax.set_title("EX → CX: engagement now, customers next quarter")
    return Chart(fig, f"Team engagement against next-quarter customer NPS for "
                      f"{study.client_name}, one point per team and quarter")


@needs("maturity_answers")
@themed
def maturity_radar(study: Study) -> Chart | Markdown:
    """The nine elements' self-assessed levels on a radar, with the evidenced EX level.

    Examples:
        On the sample data, with ``study = cxlab.open_study("cedar", "2026Q3")``:

        >>> report.maturity_radar(study)
        <Chart: Radar of the nine maturity elements for Cedar Health: self-assessed levels, with
         employee experience evidenced at level 5>
    """
    a = maturity_result(study)
    if a.elements is None:
        return Markdown("*No radar: no self-assessment answers yet.*")
    frame = a.elements
    angles = np.linspace(0, 2 * np.pi, len(frame), endpoint=False)
    closed = np.append(angles, angles[0])
    fig = Figure(figsize=(6.2, 5.4), layout="constrained")
    ax = fig.add_subplot(projection="polar")
    for scores, label, color in ((frame["level"], "self-assessed (staged)", HIGHLIGHT),
                                 (frame["score"], "self-assessed (continuous)", MUTED)):
        values = np.append(scores.to_numpy(float), scores.iloc[0])
        ax.plot(closed, values, color=color, linewidth=2, label=label)
    ax.fill(closed, np.append(frame["level"].to_numpy(float), frame["level"].iloc[0]),
            color=HIGHLIGHT, alpha=0.12)
    ex = int(np.flatnonzero(frame["element"] == "employee_experience")[0])
    ax.scatter([angles[ex]], [a.evidence_level], color="#c0504d", s=70, zorder=3,
               label=f"employee experience, evidenced ({a.evidence_level})")
    ax.set_xticks(angles, [n.replace(" ", "\n", 1) if len(n) > 14 else n for n in frame["name"]],
                  fontsize=8)
    ax.set_ylim(0, 5)
    ax.set_yticks([1, 2, 3, 4, 5])
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.06), fontsize=8, ncol=2)
    # Titles sit at a fixed height (theme); on a radar the element names stand above the
    # circle, so the title is lifted clear of them.
    ax.set_title("Maturity by element (1-5)", pad=30)
    return Chart(fig, f"Radar of the nine maturity elements for {study.client_name}: "
                      f"self-assessed levels, with employee experience evidenced at level "
                      f"{a.evidence_level}")


@needs("customer_responses")
@themed
def statements_chart(study: Study) -> Chart | Markdown:
    """Each statement's share of comments by quarter, with 95% intervals.

    Examples:
        On the sample data, with ``study = cxlab.open_study("cedar", "2026Q3")``:

        >>> report.statements_chart(study)
        <Chart: Share of Cedar Health's customer comments saying each of the three statements, by
         quarter>
    """
    frame = statements_frame(study)
    if frame.empty:
        return Markdown("*No comments yet.*")
    fig, ax = new_figure()
    quarters = sorted(frame["quarter"].unique())
    x = np.arange(len(quarters))
    for i, (label, group) in enumerate(frame.groupby("statement", sort=False)):
        group = group.set_index("quarter").reindex(quarters)
        offset = (i - 1) * 0.08
        ax.errorbar(x + offset, 100 * group["share"],
                    yerr=[100 * (group["share"] - group["ci_low"]),
                          100 * (group["ci_high"] - group["share"])],
                    fmt="o-", color=PALETTE[i] if i else HIGHLIGHT, capsize=2, label=label)
    ax.set_xticks(x, quarters)
    ax.set_ylabel("percent of comments")
    ax.set_title("How often customers say the three statements")
    # Below the plot, not over the lines: the last quarter's points stay visible.
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.12),
              ncol=len(ax.get_legend_handles_labels()[1]) or 1, frameon=False)
    return Chart(fig, f"Share of {study.client_name}'s customer comments saying each of the "
                      "three statements, by quarter")
