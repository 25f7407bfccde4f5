"""The maturity model for customer and employee experience (our own wording).

Nine elements are assessed on five levels; employee experience is modelled in full, with
evidence from the client's own data. The model itself is data: ``model.yml`` beside this file.

    import cxlab
    result = cxlab.assess("cedar", "2026Q3")      # self-assessed and evidenced levels
    result.summary()
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
FOCUS = "employee_experience"
