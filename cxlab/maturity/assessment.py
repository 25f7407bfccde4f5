"""Scoring a client: self-assessed from answers, evidenced from data, and next steps."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from cxlab import config, measures, metrics, periods
from cxlab.data.schema import INCENTIVE_METRICS, cx_metrics
from cxlab.errors import CxlabError
from cxlab.maturity import FOCUS
from cxlab.maturity.model import LEVELS, focus_level, load_model, questionnaire
from cxlab.metrics import Summary, _result_html
from cxlab.stats import disclosure
from cxlab.study import Study, open_study

#: Trailing quarters of data the evidence looks at.
EVIDENCE_QUARTERS = 4
#: Named praise counts as recognized as it happens when sent within this many days of the
#: comment; the indicator holds when this share of the quarter's praise was.
RECOGNIZED_WITHIN_DAYS = 7
RECOGNIZED_SHARE = 0.9
MIN_TEAM_ANSWERS = 30


class AnswersError(CxlabError, ValueError):
    """Answers that cannot be scored; the message names the rows, values and expectation."""


# ------------------------------------------------------------------------------------------
# Self-assessment


def check_answers(answers: pd.DataFrame, source: str = "answers") -> pd.DataFrame:
    """Return the answers if every question is known and every answer is 1-5.

    Raises:
        AnswersError: listing up to five offending rows (file row numbers when the frame came
            from :func:`read_answers`) with the value and what was expected.
    """
    missing = {"question_id", "answer"} - set(answers.columns)
    if missing:
        raise AnswersError(f"{source}: missing column(s) {sorted(missing)}; expected "
                           "question_id and answer (and optionally answered_on, respondent_role)")
    known = set(questionnaire()["question_id"])
    rows = answers["_row"] if "_row" in answers else answers.index + 1
    problems = []
    numeric = pd.to_numeric(answers["answer"], errors="coerce")
    for row, qid, raw, value in zip(rows, answers["question_id"], answers["answer"], numeric,
                                    strict=True):
        if qid not in known:
            problems.append(f"row {row}: unknown question {qid!r} (ids look like "
                            "'employee_experience.l3'; see the maturity model page)")
        elif value not in LEVELS:
            problems.append(f"row {row}, question {qid}: answer {raw!r} is not a whole number "
                            "from 1 (strongly disagree) to 5 (strongly agree)")
    if problems:
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        raise AnswersError(f"{source}: {len(problems)} invalid answer(s): "
                           + "; ".join(problems[:5]) + more)
    return answers.assign(answer=numeric.astype(int))


def read_answers(path: str | Path) -> pd.DataFrame:
    """Read a file of answers (CSV or Parquet) and check it; rows keep their file numbers."""
    path = Path(path)
    if not path.is_file():
        raise AnswersError(f"answers file {path} not found")
    if path.suffix.lower() == ".parquet":
        frame = pd.read_parquet(path)
        frame["_row"] = np.arange(1, len(frame) + 1)
    else:
        frame = pd.read_csv(path, dtype=str, encoding="utf-8-sig", keep_default_na=False)
        frame["_row"] = np.arange(2, len(frame) + 2)  # row 1 is the header
    if frame.empty:
        raise AnswersError(f"{path}: no answers in the file")
    if "answered_on" in frame:
        frame["answered_on"] = pd.to_datetime(frame["answered_on"], errors="coerce")
    return check_answers(frame, str(path))


def score_answers(answers: pd.DataFrame) -> pd.DataFrame:
    """Per element: staged level, continuous score and each level's share agreeing.

    A statement is met when at least ``met_share`` of respondents agree (4 or 5). The staged
    level is the highest level met together with every level below it (at least 1). The
    continuous score is 1 plus, for levels 2 to 5, the share agreeing.
    """
    model = load_model()
    answers = check_answers(answers)
    agree = (answers["answer"] >= 4).groupby(answers["question_id"]).mean()
    rows = []
    for element, spec in model["elements"].items():
        shares = {lv: agree.get(f"{element}.l{lv}", np.nan) for lv in LEVELS}
        level = 1
        for lv in LEVELS[1:]:
            if shares[lv] >= model["met_share"] and shares[lv - 1] >= model["met_share"]:
                level = lv
            else:
                break
        answered = [lv for lv in LEVELS if not np.isnan(shares[lv])]
        rows.append({"element": element, "name": spec["name"], "level": level,
                     "score": 1 + sum(shares[lv] for lv in LEVELS[1:] if lv in answered),
                     "n_questions": len(answered), "ours": bool(spec["ours"]),
                     **{f"agree_l{lv}": shares[lv] for lv in LEVELS}})
    return pd.DataFrame(rows)


def assessments(answers: pd.DataFrame, as_of: pd.Timestamp | None = None
                ) -> tuple[pd.DataFrame | None, pd.DataFrame | None, list]:
    """``(latest, previous, dates)``: scores of the last two assessments on or before ``as_of``.

    Answers without ``answered_on`` count as one assessment.
    """
    if answers.empty:
        return None, None, []
    if "answered_on" not in answers:
        return score_answers(answers), None, [None]
    dated = answers if as_of is None else answers[answers["answered_on"] <= as_of]
    dates = sorted(dated["answered_on"].dropna().unique())
    if not dates:
        return None, None, []
    latest = score_answers(dated[dated["answered_on"] == dates[-1]])
    previous = (score_answers(dated[dated["answered_on"] == dates[-2]])
                if len(dates) > 1 else None)
    return latest, previous, [pd.Timestamp(d) for d in dates[-2:]]


# ------------------------------------------------------------------------------------------
# Evidence from the client's data


@dataclass(frozen=True)
class Indicator:
    """One piece of evidence: the level it speaks to, whether it holds, and the numbers."""

    key: str
    level: int
    statement: str
    met: bool | None  # None: the data cannot tell yet
    numbers: str

    def __post_init__(self) -> None:
        if self.met is not None:  # numpy booleans become plain ones
            object.__setattr__(self, "met", bool(self.met))


def _indicator(key: str, level: int, met: bool | None, numbers: str) -> Indicator:
    """An indicator worded as in the model (``evidence`` under the level it speaks to)."""
    return Indicator(key, level, focus_level(level)["evidence"][key], met, numbers)


def _plan_by_department(study: Study) -> dict[str, list[str]]:
    plan = study.tables["incentive_plan"]
    departments = sorted(study.tables["employees"]["department"].dropna().unique())
    return {d: plan.loc[plan["department"] == d, "metric"].tolist() for d in departments}


#: The tables the evidence indicators are computed from.
EVIDENCE_TABLES = ("customer_responses", "interactions", "employees", "employee_responses",
                   "incentive_plan")


def evidence(study: Study) -> list[Indicator]:
    """The employee-experience indicators computed from the client's data, lowest level first.

    Uses the ``EVIDENCE_QUARTERS`` quarters ending with the study's quarter.
    """
    roster = study.tables["employees"]
    # Per employee, from the engine: contacts served, answers and answers with a score.
    interactions = study.query("interactions", EVIDENCE_QUARTERS)
    serving_ids = interactions.select("employee_id").distinct().execute()["employee_id"]
    responses = study.query("customer_responses", EVIDENCE_QUARTERS)
    scored = responses["nps"].notnull() | responses["csat"].notnull()
    per_employee = responses.group_by("employee_id").aggregate(
        answers=responses.count(), scored=scored.cast("int64").sum()).execute()
    pulse = study.window("employee_responses", EVIDENCE_QUARTERS)
    plan = _plan_by_department(study)
    serving = roster["employee_id"].isin(serving_ids)
    service_depts = sorted(set(roster.loc[serving, "department"]))
    other_depts = [d for d in plan if d not in service_depts]
    out = []

    # Level 2: customer-facing teams measured and coached on CX.
    team_of = roster.set_index("employee_id")["team"]
    named = per_employee[per_employee["employee_id"].isin(team_of.index)]
    teams = roster.loc[roster["department"].isin(service_depts), "team"].unique()
    per_team = (named["scored"].groupby(named["employee_id"].map(team_of)).sum()
                .reindex(teams).fillna(0).astype(int))
    fewest = per_team.idxmin() if len(per_team) else "-"
    out.append(_indicator(
        "cx_tracked_per_team", 2,
        bool(len(per_team)) and bool((per_team >= MIN_TEAM_ANSWERS).all()),
        f"{int((per_team >= MIN_TEAM_ANSWERS).sum())} of {len(per_team)} customer-facing teams "
        f"have at least {MIN_TEAM_ANSWERS} customer answers in the last {EVIDENCE_QUARTERS} "
        f"quarters (fewest: {fewest}, {per_team.min() if len(per_team) else 0})"))
    rewarded = {d: cx_metrics(plan.get(d, [])) for d in service_depts}
    out.append(_indicator(
        "service_plans_reward_cx", 2,
        bool(service_depts) and all(rewarded.values()),
        "; ".join(f"{d}: {', '.join(map(measures.words, plan.get(d, []))) or 'no plan'}"
                  + ("" if rewarded[d] else " (no CX outcome)") for d in service_depts)))

    # Level 3: leaders beyond the front line accountable; CX measurable per employee.
    with_cx = [d for d in other_depts if cx_metrics(plan[d])]
    out.append(_indicator(
        "cx_kpi_beyond_service", 3,
        bool(other_depts) and len(with_cx) >= len(other_depts) / 2,
        f"{len(with_cx)} of {len(other_depts)} other departments"
        + (f" ({', '.join(with_cx)})" if with_cx else "")))
    n_answers = int(per_employee["answers"].sum())
    attributed = (per_employee.loc[per_employee["employee_id"].notna(), "answers"].sum()
                  / n_answers) if n_answers else 0.0
    out.append(_indicator(
        "cx_per_employee", 3,
        bool(attributed >= 0.5),
        f"{attributed:.0%} of {n_answers:,} customer answers name the employee who served"))

    # Level 4: every employee accountable; regular employee listening with the "why".
    lacking = [d for d, m in plan.items() if not cx_metrics(m)]
    out.append(_indicator(
        "every_department_cx_kpi", 4,
        not lacking, f"{len(plan) - len(lacking)} of {len(plan)} departments"
        + (f"; without one: {', '.join(lacking)}" if lacking else "")))
    quarters = [periods.shift(study.quarter, -k) for k in range(EVIDENCE_QUARTERS)][::-1]
    pulse_quarters = set(periods.label(pulse.loc[pulse["enps"].notna(), "responded_on"]))
    out.append(_indicator(
        "quarterly_pulse_with_enps", 4,
        all(q in pulse_quarters for q in quarters),
        f"eNPS collected in {len(pulse_quarters & set(quarters))} of the last "
        f"{EVIDENCE_QUARTERS} quarters ({', '.join(sorted(pulse_quarters & set(quarters))) or 'none'})"))
    share = pulse["comment"].notna().mean() if len(pulse) else 0.0
    out.append(_indicator(
        "pulse_comments", 4,
        bool(len(pulse)) and share >= 0.3,
        f"{share:.0%} of {len(pulse):,} pulse answers carry a comment"))

    # Level 5: continuous listening; recognition as it happens.
    recent = [periods.shift(study.quarter, -k) for k in (1, 0)]
    months = pulse.assign(q=periods.label(pulse["responded_on"]),
                          m=pulse["responded_on"].dt.month)
    per_q = months.groupby("q")["m"].nunique()
    out.append(_indicator(
        "continuous_pulse", 5,
        all(per_q.get(q, 0) >= 2 for q in recent),
        "pulse months per quarter: " + ", ".join(f"{q} {int(per_q.get(q, 0))}" for q in recent)))
    out.append(_indicator("named_praise_recognized", 5, *_praise_recognized(study)))
    return out


def _praise_recognized(study: Study) -> tuple[bool | None, str]:
    """Whether the quarter's named praise was recognized within days, by cxlab recognize.

    Read from the client's outbox: met when at least :data:`RECOGNIZED_SHARE` of the praise
    since recognition began was sent within :data:`RECOGNIZED_WITHIN_DAYS` of the comment, or
    of recognition's first sending for a comment made before it (a first run over a week of
    earlier comments, or over historical data, is not late by the comments' age).
    Unmeasurable (None) without a record for the client, or without named praise.
    """
    from cxlab.report.recognition import positive_mentions
    from cxlab.send.outbox import Outbox

    path = config.outbox_path(study.dataset, study.client)
    if not path.is_file():
        return None, ("not measurable yet: no record of cxlab recognize for this client "
                      "(run it to recognize named praise as it happens)")
    outbox = Outbox(path)
    began = outbox.start()
    if began is None:
        return None, "not measurable yet: cxlab recognize has not sent shout-outs for this client"
    # Only praise since recognition began: a backlog the first run starts after is not late.
    praise = positive_mentions(study)
    praise = praise[praise["responded_on"] >= pd.Timestamp(began)]
    if praise.empty:
        return None, (f"no customer comment praised an employee by name in {study.quarter} "
                      f"since recognition began ({began})")
    sent = outbox.sent_at()
    keys = "shoutout:" + praise["response_id"].astype(str) + ":" + praise["employee_id"].astype(str)
    when = pd.to_datetime(keys.map(sent), utc=True).dt.tz_localize(None)
    first = pd.to_datetime(min(sent.values()), utc=True).tz_localize(None) if sent else None
    said = pd.to_datetime(praise["responded_on"].to_numpy())
    due_from = said if first is None else said.where(said >= first, first)
    lag = (when - pd.Series(due_from, index=when.index)).dt.days
    on_time = int((lag <= RECOGNIZED_WITHIN_DAYS).sum())
    return (on_time >= RECOGNIZED_SHARE * len(praise),
            f"{on_time} of {len(praise)} named praise in {study.quarter} since recognition "
            f"began ({began}) recognized within {RECOGNIZED_WITHIN_DAYS} days "
            f"({int(when.notna().sum())} recognized at all), by the record of cxlab recognize")


def evidenced_level(indicators: list[Indicator]) -> int:
    """The highest level whose measurable indicators, and those of every lower level, hold."""
    level = 1
    for lv in LEVELS[1:]:
        measured = [i.met for i in indicators if i.level == lv and i.met is not None]
        if measured and all(measured):
            level = lv
        else:
            break
    return level


# ------------------------------------------------------------------------------------------
# Next steps


def facts(study: Study, indicators: list[Indicator]) -> list[str]:
    """Client-specific facts that make the next steps concrete."""
    out = [f"Not yet in place (level {i.level}): {i.statement} - {i.numbers}."
           for i in indicators if i.met is False]
    plan = _plan_by_department(study)
    activity = sorted({m for ms in plan.values() for m in ms
                       if INCENTIVE_METRICS.get(m) == "activity"})
    if activity:
        out.append("Incentives that pay for activity rather than outcomes: "
                   + ", ".join(map(measures.words, activity)) + ".")
    pulse = study.history("employee_responses")
    pulse = pulse[pulse["enps"].notna()]
    if len(pulse):
        last = pulse[pulse["quarter"] == pulse["quarter"].max()]
        _, hidden = disclosure.pulse_suppression(
            last, study.department_of_team, config.setting(study.settings, "min_group_size"))
        teams = metrics.grouped(last, "enps", "team")
        teams = teams[~teams["team"].map(hidden).fillna(False).astype(bool)
                      & (teams["n"] > 0)].nsmallest(2, "value")
        if len(teams):
            out.append(f"Lowest eNPS in the latest pulse ({last['quarter'].iloc[0]}): "
                       + "; ".join(f"{t} {v:+.0f} (n={n})" for t, v, n in zip(
                           teams["team"], teams["value"], teams["n"], strict=True)) + ".")
    else:
        out.append("No eNPS has been collected yet.")
    return out


# ------------------------------------------------------------------------------------------
# The assessment


@dataclass
class Assessment:
    """Where a client stands on employee-experience maturity, and what to do next.

    Attributes:
        client, quarter: The study assessed.
        self_level: Employee-experience level from the latest answers (None without answers).
        evidence_level: Level from indicators in the client's data.
        elements: Per element of the latest self-assessment: level, score, shares agreeing.
        previous: The assessment before it, if any.
        dates: Dates of the previous and latest assessments.
        indicators: The evidence, lowest level first.
        facts: Client-specific numbers behind the next steps.
    """

    client: str
    quarter: str
    self_level: int | None
    evidence_level: int
    elements: pd.DataFrame | None
    previous: pd.DataFrame | None
    dates: list
    indicators: list[Indicator]
    facts: list[str] = field(default_factory=list)

    @property
    def gap(self) -> int | None:
        """Self-assessed minus evidenced level (positive: the answers overstate)."""
        return None if self.self_level is None else self.self_level - self.evidence_level

    @property
    def verdict(self) -> str:
        """Whether the two sides agree, in words."""
        if self.gap is None:
            return "no self-assessment answers yet"
        if self.gap == 0:
            return "self-assessment and evidence agree"
        side = "overstates" if self.gap > 0 else "understates"
        return f"the self-assessment {side} the evidence by {abs(self.gap)} level(s)"

    @property
    def next_level(self) -> int | None:
        """The level to work towards (None at level 5: sustain)."""
        return self.evidence_level + 1 if self.evidence_level < 5 else None

    @property
    def priorities(self) -> list[str]:
        """Priorities for the next level (at level 5, what to keep doing)."""
        return [" ".join(p.split()) for p in focus_level(self.evidence_level)["priorities"]]

    @property
    def actions(self) -> list[str]:
        """Concrete actions for the next level."""
        return [" ".join(a.split()) for a in focus_level(self.evidence_level)["actions"]]

    def __repr__(self) -> str:
        return (f"<Assessment {self.client} {self.quarter}: evidenced level "
                f"{self.evidence_level}, self-assessed {self.self_level or '-'} "
                f"({self.verdict})>")

    def to_frame(self) -> pd.DataFrame:
        """The evidence, one row per indicator: its level, statement, whether it holds, numbers.

        ``met`` is None where the data cannot tell yet.
        """
        return pd.DataFrame([{"level": i.level, "indicator": i.key, "statement": i.statement,
                              "met": i.met, "numbers": i.numbers} for i in self.indicators],
                            columns=["level", "indicator", "statement", "met", "numbers"])

    def to_dict(self) -> dict:
        """The assessment as plain values: both levels, the verdict, the evidence, next steps."""
        return {"client": self.client, "quarter": self.quarter,
                "self_level": self.self_level, "evidence_level": self.evidence_level,
                "gap": self.gap, "verdict": self.verdict, "next_level": self.next_level,
                "indicators": self.to_frame().to_dict("records"),
                "priorities": self.priorities, "actions": self.actions,
                "facts": list(self.facts)}

    def _repr_html_(self) -> str:
        evidence = self.to_frame().assign(
            met=[{True: "yes", False: "no", None: "cannot tell yet"}[i.met]
                 for i in self.indicators])
        target = (f"level {self.next_level}" if self.next_level else "stay at level 5")
        return _result_html(
            f"{self.client}, {self.quarter}: employee-experience maturity",
            [("evidenced level", str(self.evidence_level)),
             ("self-assessed level", str(self.self_level or "-")), ("verdict", self.verdict),
             ("next", target)],
            evidence[["level", "statement", "met", "numbers"]])

    def summary(self) -> Summary:
        """A few lines for the command line; a table in a notebook (see :class:`~cxlab.metrics.Summary`)."""
        lines = [f"{self.client}, {self.quarter}: employee-experience maturity",
                 f"  evidenced level: {self.evidence_level}",
                 f"  self-assessed level: {self.self_level if self.self_level else '-'} "
                 f"({self.verdict})"]
        lines += [f"  [{'x' if i.met else ' ' if i.met is False else '?'}] L{i.level} "
                  f"{i.statement}: {i.numbers}" for i in self.indicators]
        target = f"to reach level {self.next_level}" if self.next_level else "to stay at level 5"
        lines.append(f"  priorities {target}:")
        lines += [f"    - {p}" for p in self.priorities]
        lines += [f"  fact: {f}" for f in self.facts]
        return Summary("\n".join(lines), self._repr_html_())


def assess(client: str, quarter: str | None = None, dataset: str = "sample",
           answers: pd.DataFrame | str | Path | None = None) -> Assessment:
    """Assess a client's employee-experience maturity (the public entry point).

    Args:
        client: Client slug in the dataset.
        quarter: As of the end of this quarter; default the latest quarter with customer data.
        dataset: Dataset name.
        answers: Self-assessment answers (a DataFrame or a CSV/Parquet file); default the
            client's ``maturity_answers`` table.

    Examples:
        >>> assessment = assess("cedar")  # doctest: +SKIP
        >>> assess("Cedar")  # the client's name is checked before any data is read
        Traceback (most recent call last):
        ...
        cxlab.config.SettingsError: client 'Cedar' is not a valid name: expected 1-63 lower-case ...
    """
    study = open_study(client, quarter, dataset)
    if isinstance(answers, (str, Path)):
        answers = read_answers(answers)
    return assess_study(study, answers)


def assess_study(study: Study, answers: pd.DataFrame | None = None) -> Assessment:
    """Assess a study's client as of the end of its quarter.

    ``answers`` default to the client's ``maturity_answers`` table. The evidence needs every
    table in ``EVIDENCE_TABLES``: an absent one would read as practices not in place.
    """
    lacking = [t for t in EVIDENCE_TABLES if t in study.absent]
    if lacking:
        raise AnswersError(f"cannot assess {study.client!r}: dataset {study.dataset!r} lacks the "
                         f"table(s) {lacking} that the evidence indicators are computed from")
    answers = study.tables["maturity_answers"] if answers is None else check_answers(answers)
    as_of = periods.bounds(study.quarter)[1] - pd.Timedelta(days=1)
    latest, previous, dates = assessments(answers, as_of)
    indicators = evidence(study)
    self_level = (None if latest is None
                  else int(latest.set_index("element").loc[FOCUS, "level"]))
    return Assessment(study.client, study.quarter, self_level, evidenced_level(indicators),
                      latest, previous, dates, indicators, facts(study, indicators))
