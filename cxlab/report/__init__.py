"""Report builders the notebook templates call: tables, charts and text, in one theme.

``employee_metrics``, ``employee_scorecard_frame`` and ``incentive_audit_frame`` are the
statistics of :mod:`cxlab.stats.employees`, re-exported here for researchers.
"""

from cxlab.report.charts import (
    group_chart,
    importance_chart,
    linkage_chart,
    maturity_radar,
    statements_chart,
    trend_chart,
)
from cxlab.report.drivers import key_drivers_note, key_drivers_result, key_drivers_table
from cxlab.report.employees import employee_scorecards, incentive_audit, scorecard_note
from cxlab.report.linkage import linkage_frame, linkage_summary, linkage_table
from cxlab.report.maturity import (
    maturity_elements,
    maturity_evidence,
    maturity_next_steps,
    maturity_result,
    maturity_summary,
)
from cxlab.report.tables import (
    MEASURES,
    data_quality,
    department_frame,
    department_summary,
    departments,
    group_frame,
    overview,
    rejected_examples,
    scorecard,
    scorecard_frame,
    trend_frame,
)
from cxlab.report.theme import Chart, apply_theme

# The statistics behind the employee tables, for researchers (they live in cxlab.stats).
from cxlab.stats.employees import employee_metrics, incentive_audit_frame
from cxlab.stats.employees import scorecard_frame as employee_scorecard_frame

__all__ = [
    "MEASURES", "Chart", "apply_theme", "data_quality", "department_frame",
    "department_summary", "departments", "employee_metrics", "employee_scorecard_frame",
    "employee_scorecards", "group_chart", "group_frame", "importance_chart", "incentive_audit",
    "incentive_audit_frame", "key_drivers_note", "key_drivers_result", "key_drivers_table",
    "linkage_chart", "linkage_frame", "linkage_summary", "linkage_table", "maturity_elements",
    "maturity_evidence", "maturity_next_steps", "maturity_radar", "maturity_result",
    "maturity_summary", "overview",
    "rejected_examples", "scorecard", "scorecard_frame", "scorecard_note", "statements_chart", "trend_chart",
    "trend_frame",
]
