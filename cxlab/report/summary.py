"""The executive summary at the top of a report: headline tiles, what needs action, maturity.

A client executive reads a report in five minutes, on a laptop or a phone. The summary puts
first what the sections below establish, and computes nothing of its own: the tiles read the
scorecard (:func:`cxlab.report.tables.scorecard_frame`), the findings read the scorecard, the
department and team results, the incentive audit, the key drivers and the maturity
assessment, so the summary and the sections cannot disagree.

* :func:`kpi_tiles`: a tile per headline measure measured this quarter, with its interval, n
  and the change against last quarter and a year earlier: an arrow by the sign of the change,
  green when better for that measure (fewer repeat contacts are better), red when worse, grey
  and "no clear change" when the change is not significant after the scorecard's Holm
  adjustment. The words say it too: colour is never the only signal.
* :func:`key_findings`: up to :data:`MAX_FINDINGS` findings that most need action, each
  linking to its section, ranked by this rule:

  1. each headline measure that got significantly worse, against last quarter or a year
     earlier (smallest adjusted p first); when none did, a sentence above the findings says
     so, naming the quarters compared and the measures that clearly improved (it is not a
     finding: it needs no action);
  2. each other headline measure whose linear trend over the quarters goes the wrong way
     (Holm-adjusted over the measures tested);
  3. the departments and teams whose NPS is below the rest of the client (flagged after a
     Benjamini-Hochberg adjustment, as in their section);
  4. the departments and teams whose employee NPS in the latest pulse is below the rest
     (flagged the same way, among the groups confidentiality lets the page show);
  5. the rewarded metrics the incentive audit finds rewarding the wrong behaviour;
  6. the departments whose incentive plan rewards no CX measure at all;
  7. the quarter's unhappy customers not followed up within 48 hours;
  8. the key driver to fix first: the most important driver that beats a random variable,
     of above-average importance and rated below the drivers' average (the top-left of the
     importance chart);
  9. the maturity evidence not yet in place for the next level.

  A finding the data cannot support (a table or a column the client lacks) is never
  invented: a closing line names what could not be assessed, and why.
* :func:`maturity_headline`: the evidenced maturity level and its next step.

Sections are linked by explicit anchors, ``<div id="cx-...">`` before their headings in the
template (:data:`SECTIONS`): heading ids differ between Quarto (``key-drivers``) and the
static preview's nbconvert (``Key-drivers``), and Pandoc's ``{#id}`` attributes are not read
by nbconvert. An empty ``div`` with an id is kept by both. The links are reference links
(``[Scorecard]``, its target on a line of its own under the text), so every link target in
the summary is one of the package's own anchors.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd
from IPython.display import HTML, Markdown

from cxlab import measures
from cxlab.markup import escape
from cxlab.maturity.assessment import EVIDENCE_TABLES
from cxlab.maturity.model import load_model
from cxlab.measures import Measure
from cxlab.metrics import Estimate
from cxlab.report.availability import NOT_COLLECTED, needs, unavailable
from cxlab.report.drivers import (
    driver_label,
    driver_scale,
    headline_outcome,
    key_drivers_result,
    outcome_name,
)
from cxlab.report.followups import loop_result
from cxlab.report.html_tables import SMALL_N
from cxlab.report.maturity import maturity_result
from cxlab.report.tables import (
    SIGNIFICANCE,
    _estimate,
    department_frame,
    filter_note,
    fmt_change,
    fmt_p,
    fmt_value,
    group_frame,
    headline,
    metric_words,
    quarter_trend,
    scorecard_frame,
    trend_span,
)
from cxlab.report.voice import pulse_enps
from cxlab.stats import adjust_pvalues
from cxlab.stats.drivers import DriverError
from cxlab.stats.employees import incentive_audit_frame
from cxlab.stats.incentives import WRONG
from cxlab.study import Study

#: Most findings the summary lists.
MAX_FINDINGS = 5


@dataclass(frozen=True)
class Section:
    """A report section a finding links to: its anchor and its heading in the template."""

    anchor: str
    heading: str

    @property
    def link(self) -> str:
        """A Markdown link to the section, named by its heading (see :meth:`target`)."""
        return f"[{self.heading}]"

    @property
    def target(self) -> str:
        """Where :attr:`link` points: a reference definition, written under the text.

        A reference link keeps every link target of a section's output in lines of their
        own, made here: data never writes one (:func:`cxlab.markup.escape` escapes brackets).
        """
        return f"[{self.heading}]: #{self.anchor}"


#: The sections findings link to; the template has ``<div id="{anchor}"></div>`` before each.
SECTIONS = {
    "scorecard": Section("cx-scorecard", "Scorecard"),
    "trends": Section("cx-trends", "Trends"),
    "groups": Section("cx-departments-and-teams", "Departments and teams"),
    "audit": Section("cx-incentive-audit", "Incentive alignment audit"),
    "drivers": Section("cx-key-drivers", "Key drivers"),
    "loop": Section("cx-closing-the-loop", "Closing the loop"),
    "voice": Section("cx-voice-of-the-employee", "Voice of the employee"),
    "maturity": Section("cx-maturity", "Employee-experience maturity"),
}

# ------------------------------------------------------------------------------------------
# KPI tiles

#: Scoped by the ``cx-kpi`` class, so the tiles look the same in the preview and in Quarto.
#: Text colours have at least 4.5:1 contrast on white.
CSS = """\
.cx-kpi{margin:1rem 0}
.cx-kpi-grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(10rem,1fr));\
gap:.75rem;list-style:none;margin:0;padding:0}
.cx-kpi-tile{border:1px solid #dde3ea;border-radius:.5rem;padding:.7rem .8rem;margin:0;\
font-variant-numeric:tabular-nums;break-inside:avoid;min-width:0}
.cx-kpi-tile p{margin:0 0 .25rem}
.cx-kpi-label{font-size:.85rem;font-weight:600;color:#3b4654}
.cx-kpi-value{font-size:1.6rem;font-weight:700;line-height:1.2}
.cx-kpi-ci,.cx-kpi-n{font-size:.8rem;color:#5f6b7a}
.cx-kpi-change{font-size:.85rem}
.cx-kpi-change small{color:#5f6b7a}
.cx-kpi .cx-better{color:#1a7f37}
.cx-kpi .cx-worse{color:#b42318}
.cx-kpi .cx-flat{color:#5f6b7a}
.cx-kpi-few{font-size:.8rem;font-weight:600;color:#8a4b00}
.cx-kpi-note{font-size:.85rem;color:#5f6b7a;margin:.5rem 0 0}"""

#: How a change is said in words, by the kind of estimate.
_UNITS = {"nps": " points", "proportion": " percentage points", "mean": ""}


def _change(m: Measure, row: pd.Series, tag: str, against: str) -> str:
    """One comparison of a tile: arrow, change, and better, worse or no clear change in words.

    The arrow is hidden from screen readers; the words carry the same meaning.
    """
    if _estimate(row[f"{tag}_estimate"]) is None:
        return f'<p class="cx-kpi-change cx-flat">vs {against}: no comparison</p>'
    change, p = row[f"{tag}_change"], row[f"{tag}_p_adj"]
    clear = bool(p < SIGNIFICANCE) and change != 0
    better = change * m.direction > 0
    verdict, css = (("better", "cx-better") if better else ("worse", "cx-worse")) if clear \
        else ("no clear change", "cx-flat")
    arrow = ("▲" if change > 0 else "▼") if clear else ("△" if change > 0 else "▽")
    kind = m.estimate_kind
    size = fmt_change(abs(change), kind).lstrip("+")
    said = f"{'up' if change > 0 else 'down'} {size.removesuffix(' pp')}{_UNITS[kind]}"
    unweighted = ", both quarters unweighted" if row.get(f"{tag}_basis") else ""
    return (f'<p class="cx-kpi-change {css}" title="{escape(said)} against {against}: '
            f'{verdict} ({escape(fmt_p(p))}{unweighted})">'
            f'<span aria-hidden="true">{arrow}</span> {escape(fmt_change(change, kind))} '
            f"vs {against}: <strong>{verdict}</strong>"
            + (f" <small>({escape(fmt_p(p))})</small>" if clear else "") + "</p>")


def _tile(m: Measure, est: Estimate, row: pd.Series, study: Study) -> str:
    """One measure's tile: label, value, interval, n and the two comparisons."""
    kind = m.estimate_kind
    low, high = (fmt_value(v, kind) for v in est.ci)
    n = f"n = {est.n:,}" + (f" (effective {est.n_effective:,.0f}, weighted)" if est.weighted
                            else "")
    # n_effective is set (n when unweighted) by the Estimate itself; its hint allows None.
    few = (est.n_effective if est.weighted and est.n_effective is not None else est.n) < SMALL_N
    return "".join([
        '<li class="cx-kpi-tile">',
        f'<p class="cx-kpi-label">{escape(m.label)}</p>',
        f'<p class="cx-kpi-value">{escape(fmt_value(est.value, kind))}</p>',
        f'<p class="cx-kpi-ci">95% interval {escape(low)} to {escape(high)}</p>',
        f'<p class="cx-kpi-n">{n}</p>',
        '<p class="cx-kpi-few">Few answers: read with care</p>' if few else "",
        _change(m, row, "prev", study.previous_quarter),
        _change(m, row, "yago", study.year_ago_quarter),
        "</li>",
    ])


def kpi_tiles(study: Study) -> HTML:
    """The headline measures measured this quarter as tiles; one line names those not shown.

    A tile from fewer than :data:`~cxlab.report.html_tables.SMALL_N` answers (effective
    answers when weighted) says to read it with care.

    Examples:
        On the sample data, with ``study = cxlab.open_study("cedar", "2026Q3")``, seven tiles:

        >>> tiles = report.kpi_tiles(study)
        >>> tiles.data.count('<li class="cx-kpi-tile">')
        7
    """
    shown = {m.name: m for m in headline(study)}
    frame = scorecard_frame(study)
    tiles: list[str] = []
    missing: dict[str, list[str]] = {}
    for _, row in frame.iterrows():
        m = shown[row["key"]]
        if (est := _estimate(row["current"])) is not None:
            tiles.append(_tile(m, est, row, study))
        else:
            why = ("hidden (too few respondents)" if row["hidden"] else
                   NOT_COLLECTED if row["not_collected"] else "not measured this quarter")
            missing.setdefault(why, []).append(escape(m.short))
    lines = [f"{why[0].upper()}{why[1:]}: {', '.join(names)}."
             for why, names in missing.items()]
    note = f'<p class="cx-kpi-note">{" ".join(lines)}</p>' if lines else ""
    grid = (f'<ul class="cx-kpi-grid">{"".join(tiles)}</ul>' if tiles else
            '<p class="cx-kpi-note">No headline measure was measured this quarter.</p>')
    return HTML(f'<div class="cx-kpi" role="region" aria-label="Headline measures, '
                f'{study.quarter}"><style>{CSS}</style>{grid}{note}</div>')


# ------------------------------------------------------------------------------------------
# Findings


# Each finder returns its findings (Markdown, escaped) and adds to ``lacking`` what the
# client's data could not support, in words.


@dataclass(frozen=True)
class _Changes:
    """The scorecard's clear changes, read once for the findings and the status line."""

    worse: list[tuple[float, str, str]]  # (smallest adjusted p, measure name, finding)
    better: list[str]  # labels of the measures that clearly improved
    compared: list[str]  # the quarters there was data to compare with
    measured: list[str]  # the measures measured this quarter


def _changes(study: Study) -> _Changes:
    shown = {m.name: m for m in headline(study)}
    frame = scorecard_frame(study)
    quarters = {"prev": study.previous_quarter, "yago": study.year_ago_quarter}
    worse, better, compared, measured = [], [], set(), []
    for _, row in frame.iterrows():
        m = shown[row["key"]]
        if _estimate(row["current"]) is not None:
            measured.append(m.name)
            compared |= {tag for tag in quarters if _estimate(row[f"{tag}_estimate"])}
        clear = {tag: row[f"{tag}_change"] for tag in quarters
                 if row[f"{tag}_p_adj"] < SIGNIFICANCE and row[f"{tag}_change"] != 0}
        bad = [tag for tag, change in clear.items() if change * m.direction < 0]
        if bad:
            current = _estimate(row["current"])
            assert current is not None  # a change was tested: this quarter was measured
            now = fmt_value(current.value, m.estimate_kind)
            changes = " and ".join(
                f"{fmt_change(row[f'{tag}_change'], m.estimate_kind)} against {quarters[tag]} "
                f"({fmt_p(row[f'{tag}_p_adj'])})" for tag in bad)
            worse.append((min(row[f"{tag}_p_adj"] for tag in bad), m.name,
                          f"**{escape(m.label)} got worse**: {escape(now)} in {study.quarter}, "
                          f"{escape(changes)}"))
        elif clear:
            better.append(escape(m.label))
    return _Changes(worse, better, [quarters[t] for t in quarters if t in compared], measured)


def _worse(study: Study, lacking: list[str]) -> list[str]:
    """Headline measures that got significantly worse, smallest adjusted p first."""
    changes = _changes(study)
    if not changes.compared:
        lacking.append(f"changes (no headline measure was measured in both {study.quarter} "
                       f"and {study.previous_quarter} or {study.year_ago_quarter})")
    return [text for _, _, text in sorted(changes.worse)]


def status_line(study: Study) -> str | None:
    """When no headline measure got clearly worse, a sentence saying so, or None.

    Not a finding (it needs no action): it stands above them, naming the quarters compared
    and the measures that clearly improved.
    """
    changes = _changes(study)
    if changes.worse or not changes.compared:
        return None
    text = (f"No headline measure got clearly worse against {' or '.join(changes.compared)} "
            f"(adjusted p below {SIGNIFICANCE:g})")
    return text + (f"; clearly better: {', '.join(changes.better)}." if changes.better else ".")


def _falling(study: Study, lacking: list[str]) -> list[str]:
    """Headline measures measured this quarter with a clear trend the wrong way.

    Each measure's linear trend over the comparable quarters
    (:func:`cxlab.report.tables.quarter_trend`), its p-value Holm-adjusted over the measures
    tested, so that testing six measures does not make a spurious trend likely. A measure
    already found worse than last quarter or a year earlier is not listed twice.
    """
    changes = _changes(study)
    listed = {name for _, name, _ in changes.worse}
    trends = []
    for m in headline(study):
        if m.name in changes.measured and m.name not in listed:
            trend = quarter_trend(study, m)  # the measure: an overall rating is the client's
            if not isinstance(trend, str):
                trends.append((m, trend))
    if not trends:
        return []
    adjusted = adjust_pvalues([trend.p_value for _, trend in trends], method="holm")
    found = sorted(
        (p, f"**{escape(m.label)} has been {'falling' if trend.slope < 0 else 'rising'}**: "
            f"{escape(trend_span(trend, m.estimate_kind))} ({fmt_p(p, 'Holm')} over the "
            f"{len(trends)} measures tested)")
        for (m, trend), p in zip(trends, adjusted, strict=True)
        if p < SIGNIFICANCE and trend.slope * m.direction < 0)
    return [text for _, text in found]


def _groups_below(study: Study, lacking: list[str]) -> list[str]:
    """Departments and teams whose NPS is below the rest of the client, as flagged."""
    m = measures.get("nps")
    parts = []
    for by, plural in (("department", "departments"), ("team", "teams")):
        own = by in study.columns(m.table)
        note = unavailable(study, [m.table, *([] if own else ["employees"])], [m],
                           [(m.table, by)] if own else [])
        if note is not None or not study.count_rows(m.table, m.column):
            lacking.append(f"{plural} against the rest (no NPS by {by} this quarter)")
            continue
        frame = group_frame(study, by, m)
        below = frame[frame["flag"] == "below"]
        if len(below):
            parts.append(", ".join(
                f"{escape(g)} ({escape(fmt_value(v, m.estimate_kind))}, n={n:,})"
                for g, v, n in zip(below[by], below["value"], below["n"], strict=True))
                + f" among {plural}")
    if not parts:
        return []
    return [f"**Below the rest of {escape(study.client_name)} on NPS**: {'; '.join(parts)}"]


def _lacks(study: Study, tables: tuple[str, ...], lacking: list[str], what: str | None) -> bool:
    """Whether the client's dataset lacks one of ``tables``.

    If so, ``what`` could not be assessed is added to ``lacking`` (None: another finder
    says it).
    """
    if not any(t in study.absent for t in tables):
        return False
    if what:
        lacking.append(what)
    return True


def _teams_low_enps(study: Study, lacking: list[str]) -> list[str]:
    """Teams and departments whose eNPS in the latest pulse is below the rest, as flagged.

    Only groups the pulse table shows: a group hidden for confidentiality is never named.
    """
    if _lacks(study, ("employee_responses", "employees"), lacking,
              "employee NPS by team (it needs the pulse answers and the roster)"):
        return []
    parts, quarter = [], None
    for by, plural in (("department", "departments"), ("team", "teams")):
        pulse = pulse_enps(study, by)
        if pulse is None:
            lacking.append("employee NPS by team (no pulse answers yet)")
            return []
        quarter = pulse.quarter
        below = pulse.enps[(pulse.flags == "below") & ~pulse.hidden]
        if len(below):
            parts.append(", ".join(f"{escape(str(g))} ({escape(fmt_value(v, 'nps'))}, n={n:,})"
                                   for g, v, n in zip(below.index, below["value"], below["n"],
                                                      strict=True)) + f" among {plural}")
    if not parts:
        return []
    return [f"**Employee NPS below the rest** in the {escape(quarter)} pulse: {'; '.join(parts)}"]


def _no_cx_incentive(study: Study, lacking: list[str]) -> list[str]:
    """Departments whose incentive plan rewards no CX measure, only activity or output."""
    if _lacks(study, ("employees", "incentive_plan"), lacking, None):
        return []  # said once, by the incentive audit's finder
    frame = department_frame(study)
    without = frame[~frame["has_cx_kpi"]]
    if without.empty:
        return []
    named = "; ".join(
        f"{escape(dept)} ({escape(', '.join(map(metric_words, paid)) or 'nothing')})"
        for dept, paid in zip(without["department"], without["rewarded_metrics"], strict=True))
    return [f"**No CX measure in the incentive plan of {len(without)} of {len(frame)} "
            f"departments**, rewarded instead on: {named}"]


def _not_followed_up(study: Study, lacking: list[str]) -> list[str]:
    """Unhappy customers of the quarter not followed up within 48 hours."""
    if _lacks(study, ("customer_responses", "follow_ups"), lacking,
              "closing the loop (it needs the follow-ups table)"):
        return []
    within = loop_result(study).within
    if within is None or within.stats["successes"] == within.n:
        return []
    missed = within.n - within.stats["successes"]
    return [f"**{missed:,} of {within.n:,} unhappy customers were not followed up within 48 "
            f"hours** in {study.quarter} ({fmt_value(within.value, 'proportion')} were)"]


def _wrong_incentives(study: Study, lacking: list[str]) -> list[str]:
    """Rewarded metrics that go with worse customer outcomes, by the incentive audit."""
    if _lacks(study, ("employees", "incentive_plan"), lacking,
              "the incentive audit (it needs the roster and the incentive plan)"):
        return []
    verdicts, _ = incentive_audit_frame(study)
    wrong = verdicts[verdicts["verdict"] == WRONG]
    if wrong.empty:
        return []
    paid = ", ".join(f"{escape(metric_words(metric))} ({escape(', '.join(depts))})"
                     for metric, depts in zip(wrong["metric"], wrong["departments"], strict=True))
    return [f"**The incentive plan rewards the wrong behaviour**: {paid} go with worse "
            "customer outcomes"]


def _driver_to_fix(study: Study, lacking: list[str]) -> list[str]:
    """The most important driver rated below the others: where improvement pays most."""
    try:
        result = key_drivers_result(study)
    except DriverError as err:
        lacking.append(f"key drivers: {err}")
        return []
    t = result.table
    scales = [driver_scale(study, d) for d in t["driver"]]
    # Ratings on different scales compare as a share of their scale, as in the chart.
    rated = pd.Series([(v - lo) / (hi - lo) for v, (lo, hi) in
                       zip(t["performance"], scales, strict=True)], index=t.index)
    fix = t[t["is_important"] & (t["weight"] >= t["weight"].mean()) & (rated < rated.mean())]
    if fix.empty:
        return []
    top = fix.sort_values("weight", ascending=False).iloc[0]
    low, high = driver_scale(study, top["driver"])
    return [f"**Fix first: “{escape(driver_label(study, top['driver']))}”**, the strongest "
            f"driver of {escape(outcome_name(study, headline_outcome(study)))} among those "
            f"rated below the others ({100 * top['weight'] / result.r2:.0f}% of the explained "
            f"variance; mean rating {top['performance']:.2f} on a {low:g} to {high:g} scale)"]


def _maturity_gaps(study: Study, lacking: list[str]) -> list[str]:
    """The evidence for the next maturity level that is not yet in place."""
    absent = [t for t in EVIDENCE_TABLES if t in study.absent]
    if absent:
        lacking.append(f"the maturity evidence (it needs the tables {', '.join(absent)})")
        return []
    a = maturity_result(study)
    gaps = [i for i in a.indicators if i.level == a.next_level and i.met is False]
    if not gaps:
        return []
    return [f"**Not yet in place for maturity level {a.next_level}**: "
            + "; ".join(f"{escape(_lower_first(i.statement.rstrip('.')))} "
                        f"({escape(i.numbers.rstrip('.'))})" for i in gaps)]


def _lower_first(text: str) -> str:
    """A sentence made a clause: its first letter lower-cased, unless it starts an acronym."""
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


#: The finders in the order of the ranking rule, with the section each links to.
FINDERS = ((_worse, "scorecard"), (_falling, "trends"), (_groups_below, "groups"),
           (_teams_low_enps, "voice"), (_wrong_incentives, "audit"), (_no_cx_incentive, "groups"),
           (_not_followed_up, "loop"), (_driver_to_fix, "drivers"), (_maturity_gaps, "maturity"))


def key_findings(study: Study) -> Markdown:
    """The findings that most need action, ranked by the rule of this module, with links.

    Each finding is a bullet ending with a link to its section; a closing line names what
    the client's data could not support.

    Examples:
        On the sample data, with ``study = cxlab.open_study("cedar", "2026Q3")``:

        >>> print(report.key_findings(study).data)
        No headline measure got clearly worse against 2026Q2 or 2025Q3 (adjusted p below 0.05).
        <BLANKLINE>
        **What needs action**
        ...
    """
    found: list[tuple[str, Section]] = []
    lacking: list[str] = []
    failed: list[str] = []
    for finder, where in FINDERS:
        try:
            texts = finder(study, lacking)
        except Exception:  # noqa: BLE001 - named below; the section shows its own box
            failed.append(SECTIONS[where].heading)
            continue
        found += [(f"- {text}. See {SECTIONS[where].link}.", SECTIONS[where]) for text in texts]
    shown = found[:MAX_FINDINGS]
    status = _isolated(status_line, study)
    filtered = filter_note(study).strip()  # the overview's words: a filtered study says so
    lines = [*([filtered, ""] if filtered else []), *([status, ""] if status else []),
             "**What needs action**", "",
             *(line for line, _ in shown)]
    if not shown:
        lines.append("Nothing this report's data can show needs action.")
    if lacking:
        lines += ["", f"*Not assessed for lack of data: {'; '.join(map(escape, lacking))}.*"]
    if failed:
        lines += ["", "*Not assessed because the section could not be computed (it says "
                      f"why): {'; '.join(map(escape, failed))}.*"]
    targets = dict.fromkeys(where.target for _, where in shown)
    return Markdown("\n".join([*lines, "", *targets]))


def _isolated(line: Callable[[Study], str | None], study: Study) -> str | None:
    """A line of the summary, or nothing if it cannot be computed (the section says why)."""
    try:
        return line(study)
    except Exception:  # noqa: BLE001 - the scorecard section shows its own box
        return None


# ------------------------------------------------------------------------------------------
# Maturity


@needs(*EVIDENCE_TABLES)
def maturity_headline(study: Study) -> Markdown:
    """The evidenced maturity level with its name, and the first action towards the next.

    Examples:
        On the sample data, with ``study = cxlab.open_study("cedar", "2026Q3")``:

        >>> print(report.maturity_headline(study).data)
        **Employee-experience maturity: level 5 of 5, Embedded everywhere**, from indicators in Cedar
        Health's own data ...
    """
    a = maturity_result(study)
    names = load_model()["levels"]
    text = (f"**Employee-experience maturity: level {a.evidence_level} of 5, "
            f"{escape(names[a.evidence_level])}**, from indicators in "
            f"{escape(study.client_name)}'s own data ({escape(a.verdict)}). ")
    goal = f"towards level {a.next_level}" if a.next_level else "to stay at level 5"
    where = SECTIONS["maturity"]
    return Markdown(f"{text}**Next step** {goal}: {escape(a.actions[0].rstrip('.'))}. "
                    f"See {where.link}.\n\n{where.target}")
