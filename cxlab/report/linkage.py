"""EX -> CX linkage for one study: engagement and eNPS against customer NPS and CSAT."""

from __future__ import annotations

import numpy as np
import pandas as pd
from IPython.display import Markdown

from cxlab import engine, measures
from cxlab.data.schema import EX_ITEMS
from cxlab.markup import escape
from cxlab.report.availability import needs
from cxlab.report.tables import fmt_p, fmt_value
from cxlab.stats import adjust_pvalues, linkage
from cxlab.study import Study

LINKS = [(p, o, lag) for p in ("engagement", "enps") for o in linkage.OUTCOMES
         for lag in (1, 0)]
PREDICTOR_UNITS = {"engagement": "per engagement point (1-5 scale)",
                   "enps": "per 10 eNPS points"}


def linkage_inputs(study: Study) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """Team-quarter employee measures, and per outcome its team-quarter sums, to date.

    The sums (:func:`cxlab.stats.linkage.outcome_sums`) of the customer answers attributed to
    a team through the employee who served; counted by the engine where one holds them.
    """
    def compute():
        team_ex = linkage.team_experience(study.history("employee_responses"), list(EX_ITEMS))
        roster = study.tables["employees"][["employee_id", "team"]]
        held = study.history_query("customer_responses")
        if held is not None:
            import ibis

            counts = engine.measure_sums(held.join(ibis.memtable(roster), "employee_id"),
                                         ["team", "quarter"], list(linkage.OUTCOMES))
            return team_ex, {o: linkage.sums_from_counts(counts, o) for o in linkage.OUTCOMES}
        # The columns the links need, not the comments.
        answers = study.history("customer_responses", ["employee_id", *(
            linkage.outcome_column(o) for o in linkage.OUTCOMES)])
        responses = answers.merge(roster, on="employee_id")
        return team_ex, {o: linkage.outcome_sums(responses, o) for o in linkage.OUTCOMES}
    return study.cached(("linkage_inputs",), compute)


def linkage_frame(study: Study) -> pd.DataFrame:
    """Every link (engagement and eNPS against NPS and CSAT, next and same quarter).

    Links that cannot be estimated keep a ``status`` saying why. eNPS effects are scaled to
    10 eNPS points. P-values are Holm-adjusted over the links estimated. Beside each raw
    effect: the predictor's ICC(1) over team-quarters, the mean respondents per team-quarter
    ``k``, the reliability of a team-quarter mean (Spearman-Brown) and the effect corrected
    for it (raw / reliability).

    Examples:
        On the sample data, with ``study = cxlab.open_study("cedar", "2026Q3")``:

        >>> report.linkage_frame(study)[["predictor", "outcome", "lag", "status"]].head(3)
            predictor    outcome  lag     status
        0  engagement        nps    1  estimated
        1  engagement        nps    0  estimated
        2  engagement  csat_top2    1  estimated
    """
    def compute():
        team_ex, sums = linkage_inputs(study)
        employees = study.history("employee_responses")
        reliability = {}
        for predictor in PREDICTOR_UNITS:
            try:
                reliability[predictor] = linkage.predictor_reliability(
                    employees, list(EX_ITEMS), predictor)
            except (KeyError, linkage.LinkageError):
                reliability[predictor] = (np.nan, np.nan, np.nan)
        rows = []
        for predictor, outcome, lag in LINKS:
            row = {"predictor": predictor, "outcome": outcome, "lag": lag, "status": "estimated"}
            try:
                fit = linkage.fit(linkage.pair_sums(team_ex, sums[outcome], predictor, lag),
                                  predictor, outcome, lag)
            except linkage.LinkageError as err:
                row["status"] = str(err)
            else:
                scale = 10 if predictor == "enps" else 1
                icc, k, rel = reliability[predictor]
                row.update(effect=scale * fit.effect, ci_low=scale * fit.ci[0],
                           ci_high=scale * fit.ci[1], p_value=fit.p_value,
                           n_responses=fit.n_responses, n_teams=fit.n_teams,
                           n_team_quarters=fit.n_team_quarters, team_sd=fit.team_sd,
                           team_quarter_sd=fit.team_quarter_sd, df=fit.df, icc1=icc,
                           respondents_per_team_quarter=k, reliability=rel,
                           effect_corrected=(scale * fit.effect / rel if rel > 0 else np.nan))
            rows.append(row)
        frame = pd.DataFrame(rows)
        frame["p_adj"] = adjust_pvalues(frame.get("p_value", pd.Series(np.nan, frame.index)))
        return frame
    return study.cached(("linkage",), compute)


@needs("customer_responses", "employees", "employee_responses")
def linkage_table(study: Study) -> pd.DataFrame:
    """Formatted linkage effects with intervals, or the reason a link is missing.

    Examples:
        On the sample data, with ``study = cxlab.open_study("cedar", "2026Q3")``:

        >>> table = report.linkage_table(study)
        >>> table.index.names
        FrozenList(['Employee measure', 'Customer outcome'])
        >>> table.iloc[0, 0]
        '+6.7 points (-9.3 to +22.8); +9.4 corrected for measurement error (reliability 0.72); ...'
    """
    frame = linkage_frame(study)
    cells = []
    for _, r in frame.iterrows():
        if r["status"] != "estimated":
            effect = f"not estimated: {r['status']}"
        else:
            corrected = (f"; {r['effect_corrected']:+.1f} corrected for measurement error "
                         f"(reliability {r['reliability']:.2f})"
                         if np.isfinite(r["effect_corrected"]) else "")
            effect = (f"{r['effect']:+.1f} points ({r['ci_low']:+.1f} to {r['ci_high']:+.1f})"
                      f"{corrected}; {fmt_p(r['p_adj'], 'Holm')}; {int(r['n_teams'])} teams, "
                      f"{int(r['n_team_quarters'])} team-quarters, {int(r['n_responses']):,} "
                      "answers")
        cells.append({
            "Employee measure": f"{'Engagement' if r['predictor'] == 'engagement' else 'eNPS'}"
                                f" ({PREDICTOR_UNITS[r['predictor']]})",
            "Customer outcome": f"{measures.get(r['outcome']).short}, "
                                f"{'next quarter' if r['lag'] else 'same quarter'}",
            "Effect": effect})
    table = pd.DataFrame(cells).set_index(["Employee measure", "Customer outcome"])
    table.attrs["caption"] = ("Change in a team's customer outcome (points, 95% interval) with "
                              "its employees' engagement or eNPS")
    return table


def headline(study: Study) -> pd.Series:
    """The headline link: team engagement now against customer NPS next quarter."""
    return linkage_frame(study).set_index(["predictor", "outcome", "lag"]).loc[
        ("engagement", "nps", 1)]


@needs("customer_responses", "employees", "employee_responses")
def linkage_summary(study: Study) -> Markdown:
    """One sentence on the headline link: engagement now, customer NPS next quarter.

    Examples:
        On the sample data, with ``study = cxlab.open_study("cedar", "2026Q3")``:

        >>> print(report.linkage_summary(study).data)
        Teams whose engagement was one point higher (on the 1-5 scale) saw customer NPS **+6.7 points**
        the next quarter (95% CI -9.3 to +22.8): no clear link at this sample size ...
    """
    head = headline(study)
    if head["status"] != "estimated":
        return Markdown(f"The engagement → next-quarter NPS link could not be estimated yet: "
                        f"{escape(head['status'])}.")
    # The verdict follows the Holm-adjusted p-value of the table beside it.
    clear = head["p_adj"] < 0.05
    verdict = (("a clear link" if clear else "no clear link at this sample size")
               + f" ({fmt_p(head['p_adj'], 'Holm')})")
    text = (f"Teams whose engagement was one point higher (on the 1-5 scale) saw customer NPS "
            f"**{fmt_value(head['effect'], 'nps')} points** the next quarter "
            f"(95% CI {head['ci_low']:+.1f} to {head['ci_high']:+.1f}): {verdict}.")
    rel = head.get("reliability", np.nan)
    if np.isfinite(rel) and rel > 0:
        text += (f" Team engagement is averaged over about {head['respondents_per_team_quarter']:.0f}"
                 f" respondents per team and quarter, and {100 * head['icc1']:.0f}% of the "
                 f"variation in employees' engagement lies between teams, so a team's mean has "
                 f"reliability {rel:.2f} (1 is fully reliable): measurement error shrinks the "
                 f"estimate by about {100 * (1 - rel):.0f}%, and corrected for it the effect is "
                 f"{fmt_value(head['effect_corrected'], 'nps')} points.")
    return Markdown(text)
