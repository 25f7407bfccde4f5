"""Report builders the notebook templates call: tables, charts and text, in one theme.

The report's sections (every function the template calls per cell) are exported here as
*sections* (see :mod:`cxlab.report.sections`): one that fails shows a box saying it could not
be computed, and why, and the rest of the report is still published. The modules below keep
the plain functions, which raise (``cxlab.report.tables.scorecard``, for instance); notebooks
call the sections, ``report.scorecard(study)``.

``employee_metrics``, ``employee_scorecard_frame`` and ``incentive_audit_frame`` are the
statistics of :mod:`cxlab.stats.employees`, re-exported here for researchers.
"""

from cxlab.report import (
    charts,
    comments,
    drivers,
    employees,
    exports,
    followups,
    linkage,
    maturity,
    recognition,
    segments,
    statements,
    summary,
    tables,
    voice,
)
from cxlab.report.drivers import key_drivers_result
from cxlab.report.linkage import linkage_frame
from cxlab.report.maturity import maturity_result
from cxlab.report.sections import section
from cxlab.report.tables import (
    MEASURES,
    department_frame,
    group_frame,
    scorecard_frame,
    trend_frame,
)
from cxlab.report.theme import Chart, apply_theme

# The statistics behind the employee tables, for researchers (they live in cxlab.stats).
from cxlab.stats.employees import employee_metrics, incentive_audit_frame
from cxlab.stats.employees import scorecard_frame as employee_scorecard_frame

# The sections, in the order of the report. Those the exports show too are shared: computed
# once per study (see cxlab.report.sections.section).
overview = section(tables.overview)
kpi_tiles = section(summary.kpi_tiles)
key_findings = section(summary.key_findings, shared=True)
maturity_headline = section(summary.maturity_headline)
downloads = section(exports.downloads)
scorecard = section(tables.scorecard, shared=True)
trend_chart = section(charts.trend_chart, shared=True)
department_summary = section(tables.department_summary)
departments = section(tables.departments)
group_chart = section(charts.group_chart, shared=True)
scorecard_note = section(employees.scorecard_note)
employee_scorecards = section(employees.employee_scorecards)
incentive_audit = section(employees.incentive_audit)
key_drivers_note = section(drivers.key_drivers_note)
key_drivers_table = section(drivers.key_drivers_table)
importance_chart = section(charts.importance_chart, shared=True)
segment_table = section(segments.segment_table)
linkage_summary = section(linkage.linkage_summary)
linkage_table = section(linkage.linkage_table)
linkage_chart = section(charts.linkage_chart)
recognition_summary = section(recognition.recognition_summary)
shoutout_feed = section(recognition.shoutout_feed)
stories_of_the_week = section(recognition.stories_of_the_week)
monthly_drawings = section(recognition.monthly_drawings)
review_leaderboard = section(recognition.review_leaderboard)
statements_table = section(statements.statements_table)
statements_chart = section(charts.statements_chart)
statement_sources = section(statements.statement_sources)
voice_note = section(voice.voice_note)
voice_by_group = section(voice.voice_by_group)
themes_table = section(voice.themes_table)
topics_table = section(voice.topics_table)
actions_log = section(voice.actions_log)
customer_comments_note = section(comments.customer_comments_note)
customer_themes_table = section(comments.customer_themes_table)
customer_sentiment_table = section(comments.customer_sentiment_table)
closing_the_loop = section(followups.closing_the_loop)
maturity_summary = section(maturity.maturity_summary, shared=True)
maturity_evidence = section(maturity.maturity_evidence)
maturity_next_steps = section(maturity.maturity_next_steps)
maturity_radar = section(charts.maturity_radar)
maturity_elements = section(maturity.maturity_elements)
data_quality = section(tables.data_quality)
rejected_examples = section(tables.rejected_examples)

__all__ = [
    "MEASURES", "Chart", "actions_log", "apply_theme", "closing_the_loop", "customer_comments_note",
    "customer_sentiment_table", "customer_themes_table", "data_quality", "department_frame",
    "department_summary", "departments", "downloads", "employee_metrics", "employee_scorecard_frame",
    "employee_scorecards", "group_chart", "group_frame", "importance_chart", "incentive_audit",
    "incentive_audit_frame", "key_drivers_note", "key_drivers_result", "key_drivers_table",
    "key_findings", "kpi_tiles", "linkage_chart", "linkage_frame", "linkage_summary",
    "linkage_table", "maturity_elements", "maturity_evidence", "maturity_headline",
    "maturity_next_steps", "maturity_radar", "maturity_result", "maturity_summary",
    "monthly_drawings", "overview", "recognition_summary", "rejected_examples",
    "review_leaderboard", "scorecard", "scorecard_frame", "scorecard_note", "section",
    "segment_table", "shoutout_feed", "statement_sources", "statements_chart",
    "statements_table", "stories_of_the_week", "themes_table", "topics_table", "trend_chart",
    "trend_frame", "voice_by_group", "voice_note",
]
