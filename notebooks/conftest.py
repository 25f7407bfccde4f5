"""nbval runs the templates in CI (``pytest --nbval-lax tests notebooks``): a section box fails.

In a report, a section that fails shows a box saying it could not be computed and the rest is
published (see :mod:`cxlab.report.sections`), so the notebook itself raises nothing. On the
sample data every section must be computed: a cell whose output is such a box fails its test,
with the failure the box recorded (kind, exception, where).
"""

import pytest


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """Fail a cell whose output is a failed section's box (nbval keeps the outputs)."""
    result = yield  # a cell that raised has failed already
    from cxlab.run.executor import describe_section_failure, failed_sections

    outputs = getattr(item, "test_outputs", None) or []
    failures = failed_sections({"cells": [{"cell_type": "code", "outputs": outputs}]})
    if failures:
        pytest.fail("this section could not be computed: "
                    + "; ".join(describe_section_failure(f) for f in failures), pytrace=False)
    return result
