"""Report builders the notebook templates call: tables, charts and text, in one theme."""

from cxlab.report.charts import group_chart, trend_chart
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

__all__ = [
    "MEASURES", "Chart", "apply_theme", "data_quality", "department_frame",
    "department_summary", "departments", "group_chart", "group_frame", "overview",
    "rejected_examples", "scorecard", "scorecard_frame", "trend_chart", "trend_frame",
]
