"""Table schemas: every table cxlab reads, its columns, types and allowed values.

Naming convention (written once, followed everywhere):
    * ``*_id`` identifiers (text); ``client`` is the client's slug.
    * ``*_on`` calendar dates, ``*_at`` timestamps.
    * ``is_*`` booleans, ``n_*`` counts, units as suffixes (``wait_seconds``).
    * Score columns carry the metric's name: ``nps`` 0-10, ``csat`` 1-5, ``ces`` 1-7,
      ``enps`` 0-10, ``item_*`` Likert 1-5, ``rating_*`` attribute ratings 1-5.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

CHANNELS = ("phone", "chat", "email", "store", "web", "app")
#: How a contact ended (interactions.outcome): ``answered`` by an employee; ``abandoned``,
#: the customer hung up or left while waiting; ``missed``, never offered to an employee
#: (out of hours, queue full, no agent free). An empty outcome means answered.
CONTACT_OUTCOMES = ("answered", "abandoned", "missed")
ANSWERED = "answered"
#: The outcomes of contacts no employee answered: they may lack what only an answer gives.
UNANSWERED = tuple(o for o in CONTACT_OUTCOMES if o != ANSWERED)
JOURNEY_STAGES = ("awareness", "purchase", "onboarding", "usage", "support", "renewal")
SEGMENTS = ("smb", "mid-market", "enterprise")
EX_ITEMS = {
    "item_tools": "I have the tools and information to serve customers",
    "item_impact": "I understand how my work affects customers",
    "item_heard": "My feedback is heard and acted on",
    "item_recognized": "Customer-centric work is recognized",
    "item_training": "I have the training I need",
}

#: Optional attribute ratings on a customer survey: the candidate drivers of NPS and CSAT.
DRIVER_ITEMS = {
    "rating_resolution": "My issue was fully resolved",
    "rating_knowledge": "The person who helped me knew what they were doing",
    "rating_speed": "I got help quickly",
    "rating_courtesy": "I was treated with courtesy",
}

#: Metrics an incentive plan may reward, and whether each is a CX outcome. Most are activity
#: or department measures that the registry (:mod:`cxlab.measures`) does not define; those
#: that it does (``nps``, ``first_contact_resolution``, ``repeat_contact_rate``,
#: ``renewal_rate``: names there; ``csat``, ``ces``: columns, standing for their headline
#: measures ``csat_top2`` and ``ces_mean``) are CX outcomes, paid in the registry's direction
#: (tests/test_measures.py keeps the two in step).
INCENTIVE_METRICS = {
    "nps": "cx",
    "csat": "cx",
    "ces": "cx",
    "first_contact_resolution": "cx",
    "repeat_contact_rate": "cx",
    "renewal_rate": "cx",
    "retention_rate": "cx",
    "referral_rate": "cx",
    "cross_sell": "cx",
    "positive_interactions": "cx",
    "user_generated_content": "cx",
    "comment_replies": "cx",
    "order_error_rate": "cx",
    "proactive_resolutions": "cx",
    "mentoring_hours": "cx",
    "calls_per_day": "activity",
    "average_handle_time": "activity",
    "tickets_closed": "activity",
    "new_accounts": "activity",
    "campaigns_launched": "activity",
    "orders_shipped": "activity",
    "utilization": "activity",
    "time_to_hire": "activity",
}



def cx_metrics(metrics: list[str]) -> list[str]:
    """The metrics among ``metrics`` that are CX outcomes (not activity), in order."""
    return [m for m in metrics if INCENTIVE_METRICS.get(m) == "cx"]


@dataclass(frozen=True)
class Column:
    """One column of a table.

    Attributes:
        name: Column name.
        dtype: ``"str"``, ``"int"``, ``"float"``, ``"bool"``, ``"date"`` or ``"datetime"``.
        required: Whether a value must be present in every row.
        low: Smallest allowed value (numbers only).
        high: Largest allowed value (numbers only).
        allowed: The allowed values (text only).
        unique: Whether values must not repeat (identifiers).
        description: What the column holds.
        unless: ``(column, values)``: a required value may be missing in a row whose
            ``column`` holds one of ``values`` (an unanswered contact has no handle time).
    """

    name: str
    dtype: str
    required: bool = True
    low: float | None = None
    high: float | None = None
    allowed: tuple[str, ...] | None = None
    unique: bool = False
    description: str = ""
    unless: tuple[str, tuple[str, ...]] | None = None

    def expectation(self) -> str:
        """Describe what a valid value looks like, for error messages."""
        kind = {
            "str": "text", "int": "a whole number", "float": "a number",
            "bool": "true/false", "date": "a date (YYYY-MM-DD)",
            "datetime": "a date and time (ISO 8601)",
        }[self.dtype]
        if self.low is not None and self.high is not None:
            kind += f" from {self.low:g} to {self.high:g}"
        elif self.low is not None:
            kind += f" of at least {self.low:g}"
        if self.allowed:
            kind += f" among {', '.join(self.allowed)}"
        return kind


@dataclass(frozen=True)
class Table:
    """A table's schema: its columns and a one-line description."""

    name: str
    description: str
    columns: tuple[Column, ...]

    @property
    def column_names(self) -> list[str]:
        """Names of the columns, in order."""
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        """Return the column called ``name``."""
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"table {self.name!r} has no column {name!r}")


def extended(table: str, ratings: dict[str, dict] | None = None,
             segments: dict[str, dict] | None = None) -> Table:
    """``table``'s schema with a mapping's attribute ratings and segments as columns.

    ``ratings`` is ``{name: {"label": ..., "scale": (low, high)}}``, optional numbers on their
    scale (a rating of the standard set, :data:`DRIVER_ITEMS`, takes the mapping's label and
    scale); ``segments`` is ``{name: {"label": ...}}``, optional text.
    """
    base = TABLES[table]
    if not ratings and not segments:
        return base
    extra = {name: Column(name, "float", False, low=float(spec["scale"][0]),
                          high=float(spec["scale"][1]), description=spec["label"])
             for name, spec in (ratings or {}).items()}
    extra |= {name: Column(name, "str", False, description=spec["label"])
              for name, spec in (segments or {}).items()}
    columns = tuple(extra.pop(c.name, c) for c in base.columns) + tuple(extra.values())
    return Table(base.name, base.description, columns)


def _c(name: str, dtype: str, required: bool = True, **kw: Any) -> Column:
    return Column(name, dtype, required, **kw)


_CLIENT = _c("client", "str", description="client slug")
_IF_UNANSWERED = ("outcome", UNANSWERED)

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table("customer_responses", "one row per customer survey response", (
            _c("response_id", "str", unique=True), _CLIENT,
            _c("responded_on", "date"),
            _c("customer_id", "str"),
            _c("channel", "str", allowed=CHANNELS),
            _c("journey_stage", "str", allowed=JOURNEY_STAGES),
            _c("department", "str", description="department owning the touchpoint"),
            _c("employee_id", "str", False, description="employee who served, if known"),
            _c("interaction_id", "str", False, description="interaction surveyed, if known"),
            _c("nps", "int", False, low=0, high=10, description="likelihood to recommend"),
            _c("csat", "int", False, low=1, high=5, description="satisfaction"),
            _c("ces", "int", False, low=1, high=7, description="ease, 7 = very easy"),
            *(_c(k, "int", False, low=1, high=5, description=v) for k, v in DRIVER_ITEMS.items()),
            _c("comment", "str", False),
            _c("weight", "float", False, low=0,
               description="survey weight, when the survey provides one (see weighting)"),
        )),
        Table("interactions", "one row per service interaction", (
            _c("interaction_id", "str", unique=True), _CLIENT,
            _c("started_at", "datetime"),
            _c("customer_id", "str"),
            _c("employee_id", "str", unless=_IF_UNANSWERED),
            _c("team", "str"),
            _c("channel", "str", allowed=CHANNELS),
            _c("wait_seconds", "float", low=0, unless=("outcome", ("missed",)),
               description="until answered, or until the customer gave up (abandoned)"),
            _c("handle_seconds", "float", low=0, unless=_IF_UNANSWERED),
            _c("is_resolved_first_contact", "bool", unless=_IF_UNANSWERED),
            _c("is_repeat_within_7d", "bool"),
            _c("outcome", "str", False, allowed=CONTACT_OUTCOMES,
               description="how the contact ended (empty: answered); see CONTACT_OUTCOMES"),
        )),
        Table("accounts", "one row per customer account", (
            _c("account_id", "str", unique=True), _CLIENT,
            _c("segment", "str", allowed=SEGMENTS),
            _c("acquired_on", "date"),
            _c("renewal_due_on", "date", False),
            _c("is_renewed", "bool", False, description="empty until the renewal falls due"),
            _c("is_churned", "bool"),
            _c("n_referrals", "int", low=0),
            _c("sales_owner_id", "str", False),
        )),
        Table("employees", "one row per employee (the roster)", (
            _c("employee_id", "str", unique=True), _CLIENT,
            _c("display_name", "str"),
            _c("team", "str"),
            _c("department", "str"),
            _c("role", "str"),
            _c("manager_id", "str", False),
            _c("hired_on", "date", False),
            _c("left_on", "date", False),
            _c("email", "str", False, description="work email address: used only by cxlab "
               "recognize, to write to the employee or their manager; never shown in a report"),
        )),
        Table("employee_responses", "one row per employee pulse or survey response", (
            _c("response_id", "str", unique=True), _CLIENT,
            _c("responded_on", "date"),
            _c("employee_id", "str", False, description="empty when anonymous"),
            _c("team", "str"),
            _c("enps", "int", False, low=0, high=10),
            *(_c(k, "int", False, low=1, high=5, description=v) for k, v in EX_ITEMS.items()),
            _c("comment", "str", False, description="the 'why' behind the answers"),
        )),
        Table("incentive_plan", "metrics rewarded per department or role, with weights", (
            _CLIENT,
            _c("department", "str"),
            _c("role", "str", False, description="empty: the whole department"),
            _c("metric", "str", allowed=tuple(INCENTIVE_METRICS)),
            _c("weight", "float", low=0, high=1),
        )),
        Table("feedback_actions", "actions taken on employee feedback ('you said, we did')", (
            _CLIENT,
            _c("logged_on", "date"),
            _c("theme", "str", description="what the feedback was about"),
            _c("you_said", "str", description="the feedback, in employees' words"),
            _c("we_did", "str", description="the action taken"),
            _c("status", "str", allowed=("planned", "in progress", "done")),
        )),
        Table("follow_ups", "one row per follow-up of an unhappy customer's answer", (
            _CLIENT,
            _c("response_id", "str", unique=True,
               description="the customer response followed up (a detractor's)"),
            _c("followed_up_on", "datetime", description="when someone contacted the customer"),
            _c("employee_id", "str", False, description="who followed up"),
            _c("closed_on", "date", False, description="when the case was closed"),
            _c("resolved", "bool", False, description="whether the customer's problem was solved"),
        )),
        Table("maturity_answers", "answers to the maturity self-assessment questionnaire", (
            _CLIENT,
            _c("answered_on", "date"),
            _c("respondent_role", "str"),
            _c("question_id", "str"),
            _c("answer", "int", low=1, high=5),
        )),
    )
}

#: Tables a dataset may lack (read as empty): not every organization keeps them.
OPTIONAL_TABLES = ("feedback_actions", "follow_ups")

#: (table, column) -> (referenced table, referenced column): ids that must exist in the roster.
REFERENCES = {
    ("interactions", "employee_id"): ("employees", "employee_id"),
    ("customer_responses", "employee_id"): ("employees", "employee_id"),
    ("employee_responses", "employee_id"): ("employees", "employee_id"),
    ("accounts", "sales_owner_id"): ("employees", "employee_id"),
    ("follow_ups", "employee_id"): ("employees", "employee_id"),
    ("follow_ups", "response_id"): ("customer_responses", "response_id"),
}

#: Rows that follow up an answer: ``table: (its date column, the answer's date column)``. The
#: cited answer must be unhappy (NPS 0-6 or CSAT 1-2) and the row dated no earlier than it;
#: the import looks the answers up (``cxlab.data.imports.known_ids``).
FOLLOWS_ANSWER = {"follow_ups": ("followed_up_on", "responded_on")}

#: The date that places each row of a table in a quarter (reports select rows by it).
PERIOD_COLUMN = {
    "customer_responses": "responded_on",
    "interactions": "started_at",
    "employee_responses": "responded_on",
    "accounts": "renewal_due_on",
    "maturity_answers": "answered_on",
    "feedback_actions": "logged_on",
    "follow_ups": "followed_up_on",
}

#: Columns whose dates may not lie after the data's as-of date.
NOT_IN_FUTURE = {
    "customer_responses": "responded_on",
    "interactions": "started_at",
    "employee_responses": "responded_on",
    "accounts": "acquired_on",
    "feedback_actions": "logged_on",
    "follow_ups": "followed_up_on",
}
