"""The maturity model for customer and employee experience (our own wording).

Nine elements are assessed on five levels; employee experience is modelled in full.
"""

ELEMENTS = (
    "cx_strategy",
    "leadership_buy_in",
    "culture",
    "employee_experience",
    "journey_mapping",
    "listen",
    "understand",
    "act",
    "technology_and_tools",
)
