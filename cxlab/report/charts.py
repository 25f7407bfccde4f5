"""Chart builders: every chart in a report comes from here, in the cxlab theme."""

from __future__ import annotations

import numpy as np

from cxlab.report.tables import MEASURE, fmt_value, group_frame, trend_frame
from cxlab.report.theme import HIGHLIGHT, MUTED, Chart, new_figure
from cxlab.study import Study

UNIT = {"nps": "points (-100 to 100)", "proportion": "percent", "mean": "mean score"}


def _scaled(values, kind: str) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    return 100 * values if kind == "proportion" else values


def trend_chart(study: Study, key: str = "nps") -> Chart:
    """The measure by quarter with 95% intervals; the study's quarter highlighted."""
    m = MEASURE[key]
    frame = trend_frame(study, key)
    fig, ax = new_figure()
    x = np.arange(len(frame))
    value = _scaled(frame["value"], m.kind)
    low, high = _scaled(frame["ci_low"], m.kind), _scaled(frame["ci_high"], m.kind)
    ax.plot(x, value, color=MUTED, linewidth=1.5, zorder=1)
    current = (frame["quarter"] == study.quarter).to_numpy()
    for mask, color in ((~current, MUTED), (current, HIGHLIGHT)):
        ax.errorbar(x[mask], value[mask], yerr=[(value - low)[mask], (high - value)[mask]],
                    fmt="o", color=color, ecolor=color, elinewidth=2, capsize=3, zorder=2)
    ax.set_xticks(x, frame["quarter"])
    ax.set_ylabel(UNIT[m.kind])
    ax.set_title(f"{m.label} by quarter, with 95% intervals")
    return Chart(fig, f"{m.label} for {study.client_name} by quarter up to {study.quarter}")


def group_chart(study: Study, by: str = "team", key: str = "nps") -> Chart:
    """The measure per team or department this quarter, with 95% intervals and n."""
    m = MEASURE[key]
    frame = group_frame(study, by, key)
    overall = m.estimate(study.rows(m.table))
    fig, ax = new_figure(height=max(2.4, 0.38 * len(frame) + 1.0))
    y = np.arange(len(frame))
    value = _scaled(frame["value"], m.kind)
    low, high = _scaled(frame["ci_low"], m.kind), _scaled(frame["ci_high"], m.kind)
    ax.errorbar(value, y, xerr=[value - low, high - value], fmt="o", color=HIGHLIGHT,
                ecolor=MUTED, elinewidth=2, capsize=3)
    if overall is not None:
        ref = _scaled([overall.value], m.kind)[0]
        ax.axvline(ref, color="#c0504d", linestyle="--", linewidth=1)
        ax.text(ref, len(frame) - 0.4, f" all: {fmt_value(overall.value, m.kind)}",
                color="#c0504d", fontsize=8, va="bottom")
    ax.set_yticks(y, [f"{g} (n={n:,})" for g, n in zip(frame[by], frame["n"], strict=True)])
    ax.set_xlabel(UNIT[m.kind])
    ax.set_ylim(-0.7, len(frame) - 0.1)
    ax.set_title(f"{m.label} by {by}, {study.quarter}, with 95% intervals")
    return Chart(fig, f"{m.label} by {by} for {study.client_name} in {study.quarter}")
