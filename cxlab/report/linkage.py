"""EX -> CX linkage for one study: engagement and eNPS against customer NPS and CSAT."""

from __future__ import annotations

import numpy as np
import pandas as pd
from IPython.display import Markdown

from cxlab.data.schema import EX_ITEMS
from cxlab.markup import escape
from cxlab.report.availability import needs
from cxlab.report.tables import fmt_value
from cxlab.stats import adjust_pvalues, linkage
from cxlab.study import Study

LINKS = [(p, o, lag) for p in ("engagement", "enps") for o in ("nps", "csat_top2")
         for lag in (1, 0)]
PREDICTOR_UNITS = {"engagement": "per engagement point (1-5 scale)",
                   "enps": "per 10 eNPS points"}
OUTCOME_LABELS = {"nps": "NPS", "csat_top2": "CSAT top-2"}


def linkage_inputs(study: Study) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Team-quarter employee measures and team-attributed customer responses, to date."""
    def compute():
        team_ex = linkage.team_experience(study.history("employee_responses"), list(EX_ITEMS))
        roster = study.tables["employees"][["employee_id", "team"]]
        responses = study.history("customer_responses").merge(roster, on="employee_id")
        return team_ex, responses
    return study.cached(("linkage_inputs",), compute)


def linkage_frame(study: Study) -> pd.DataFrame:
    """Every link (engagement and eNPS against NPS and CSAT, next and same quarter).

    Links that cannot be estimated keep a ``status`` saying why. eNPS effects are scaled to
    10 eNPS points. P-values are Holm-adjusted over the links estimated.
    """
    def compute():
        team_ex, responses = linkage_inputs(study)
        # Each outcome's team-quarter sums serve its four links (two predictors, two lags).
        sums = {outcome: linkage.outcome_sums(responses, outcome) for outcome in OUTCOME_LABELS}
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
                row.update(effect=scale * fit.effect, ci_low=scale * fit.ci[0],
                           ci_high=scale * fit.ci[1], p_value=fit.p_value,
                           n_responses=fit.n_responses, n_teams=fit.n_teams,
                           n_team_quarters=fit.n_team_quarters)
            rows.append(row)
        frame = pd.DataFrame(rows)
        frame["p_adj"] = adjust_pvalues(frame.get("p_value", pd.Series(np.nan, frame.index)))
        return frame
    return study.cached(("linkage",), compute)


@needs("customer_responses", "employees", "employee_responses")
def linkage_table(study: Study) -> pd.DataFrame:
    """Formatted linkage effects with intervals, or the reason a link is missing."""
    frame = linkage_frame(study)
    cells = []
    for _, r in frame.iterrows():
        if r["status"] != "estimated":
            effect = f"not estimated: {r['status']}"
        else:
            effect = (f"{r['effect']:+.1f} points ({r['ci_low']:+.1f} to {r['ci_high']:+.1f}); "
                      f"Holm p={r['p_adj']:.3f}; {int(r['n_teams'])} teams, "
                      f"{int(r['n_team_quarters'])} team-quarters, {int(r['n_responses']):,} "
                      "answers")
        cells.append({
            "Employee measure": f"{'Engagement' if r['predictor'] == 'engagement' else 'eNPS'}"
                                f" ({PREDICTOR_UNITS[r['predictor']]})",
            "Customer outcome": f"{OUTCOME_LABELS[r['outcome']]}, "
                                f"{'next quarter' if r['lag'] else 'same quarter'}",
            "Effect": effect})
    return pd.DataFrame(cells).set_index(["Employee measure", "Customer outcome"])


def headline(study: Study) -> pd.Series:
    """The headline link: team engagement now against customer NPS next quarter."""
    return linkage_frame(study).set_index(["predictor", "outcome", "lag"]).loc[
        ("engagement", "nps", 1)]


@needs("customer_responses", "employees", "employee_responses")
def linkage_summary(study: Study) -> Markdown:
    """One sentence on the headline link: engagement now, customer NPS next quarter."""
    head = headline(study)
    if head["status"] != "estimated":
        return Markdown(f"The engagement → next-quarter NPS link could not be estimated yet: "
                        f"{escape(head['status'])}.")
    clear = head["ci_low"] > 0 or head["ci_high"] < 0
    verdict = ("a clear link" if clear else "no clear link at this sample size")
    return Markdown(
        f"Teams whose engagement was one point higher (on the 1-5 scale) saw customer NPS "
        f"**{fmt_value(head['effect'], 'nps')} points** the next quarter "
        f"(95% CI {head['ci_low']:+.1f} to {head['ci_high']:+.1f}): {verdict}. Team means are "
        "measured with error, which pulls such estimates towards zero, so the true link is "
        "likely somewhat stronger.")
