"""A report section never takes the report down (issue 17): the box, its record, the crashes."""

import ast
import re

import nbformat
import pandas as pd
import pytest
from report_harness import TEMPLATE, report_outputs, visible_text

from cxlab import periods
from cxlab.errors import CxlabError
from cxlab.report import sections
from cxlab.report.sections import BUG, USER_ERROR, FailedSection, section
from cxlab.run.executor import failed_sections


class _DataTooThin(CxlabError, ValueError):
    pass


def _boom(study, key="nps", *, by="team"):
    raise KeyError("response_id")


def _refuse(study, key="nps"):
    raise _DataTooThin('too few answers for <b>"Drivers"</b> [x](javascript:alert(1))')


def test_a_bug_shows_a_plain_box_and_keeps_its_details_for_the_build_record(monkeypatch):
    monkeypatch.setenv("CXLAB_EXPORT_ROOT", "/tmp/exports")  # as in a kernel of `cxlab run`
    shown = section(_boom)(object(), "csat_top2", by="department")
    assert isinstance(shown, FailedSection)
    failure = shown.failure
    assert failure.call == "_boom('csat_top2', by='department')"
    assert failure.kind == BUG and failure.error == "KeyError: 'response_id'"
    assert failure.where.startswith("tests/") is False  # only cxlab's own code is named
    data, meta = shown._repr_mimebundle_()
    box = data["text/markdown"]
    assert "This section could not be computed:" in box and "unexpected error" in box
    assert "response_id" not in box and "KeyError" not in box and "Traceback" not in box
    assert meta["cxlab"]["failed_section"]["error"] == "KeyError: 'response_id'"


def test_outside_the_runner_a_bug_says_where_its_details_are_not_a_build_record(monkeypatch):
    """In one's own notebook there is no build record to point to (issue 21)."""
    monkeypatch.delenv("CXLAB_EXPORT_ROOT", raising=False)
    shown = section(_boom)(object())
    text = shown._repr_mimebundle_()[0]["text/plain"]
    assert "build record" not in text and "build-record" not in text
    assert "KeyError: 'response_id'" in text and "repr()" in text and ".error" in text
    assert "build record" not in shown.markdown and "KeyError" in shown.markdown


def test_a_wrong_call_is_the_callers_type_error_not_a_box(sample_study):
    """Arguments that do not bind, or no Study first, raise at once (issue 21)."""
    from cxlab import report

    study = sample_study("cedar")
    with pytest.raises(TypeError, match=r"^report\.scorecard\(\): too many positional "
                                        r"arguments; it takes report\.scorecard\(study\)$"):
        report.scorecard(study, "nps")
    with pytest.raises(TypeError, match=r"report\.scorecard\(\): the first argument must be a "
                                        r"Study .*got str 'cedar'"):
        report.scorecard("cedar")
    with pytest.raises(TypeError, match=r"unexpected keyword argument 'period'; it takes "
                                        r"report\.trend_chart\(study, key='nps'\)"):
        report.trend_chart(study, "nps", period="month")
    # a failure of the analysis itself is still a box
    assert isinstance(section(_boom)(object(), "nps"), FailedSection)


def test_a_user_error_shows_its_reason_escaped():
    shown = section(_refuse)(object())
    assert shown.failure.kind == USER_ERROR
    box = shown._repr_mimebundle_()[0]["text/markdown"]
    assert "too few answers for" in box
    reason = box.split("</strong>", 1)[1].split("</div>")[0]
    assert not re.search(r"<\s*[a-z/]|\]\(|javascript:", reason), reason


def test_a_bug_in_cxlab_names_the_line_it_came_from():
    from cxlab.report import recognition

    def broken(study):
        return recognition.mentions_frame(study)  # a study without tables: AttributeError

    failure = section(broken)(object()).failure
    assert failure.kind == BUG and failure.where.startswith("cxlab/report/recognition.py:")


def test_an_interrupt_is_not_caught():
    def stop(study):
        raise KeyboardInterrupt  # how the runner stops a study over its time limit

    with pytest.raises(KeyboardInterrupt):
        section(stop)(object())


def test_a_section_returns_what_the_function_returns_and_draws_charts_inside_it():
    class Drawing:
        calls = 0

        def _repr_mimebundle_(self, include=None, exclude=None):
            Drawing.calls += 1
            return {"text/html": "<img>"}

    class Undrawable:
        def _repr_mimebundle_(self, include=None, exclude=None):
            raise ValueError("'yerr' must not contain negative values")

    frame = pd.DataFrame({"a": [1]})
    assert section(lambda study: frame)(object()) is frame
    drawn = section(lambda study: Drawing())(object())
    assert drawn._repr_mimebundle_() == {"text/html": "<img>"} and Drawing.calls == 1
    drawn._repr_mimebundle_()
    assert Drawing.calls == 1  # drawn once, inside the section
    assert isinstance(section(lambda study: Undrawable())(object()), FailedSection)


def test_every_cell_of_the_template_after_open_study_calls_report_sections():
    from cxlab import report

    nb = nbformat.read(TEMPLATE, as_version=4)
    called = []
    for cell in nb.cells:
        if cell.cell_type != "code" or "parameters" in cell.metadata.get("tags", []):
            continue
        for node in ast.walk(ast.parse(cell.source)):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "report":
                called.append(node.func.attr)
        imports = [n for n in ast.walk(ast.parse(cell.source))
                   if isinstance(n, ast.Import | ast.ImportFrom)]
        assert all(ast.unparse(n) in ("import cxlab", "from cxlab import report")
                   for n in imports), cell.source
    shown = [name for name in called if name != "apply_theme"]
    assert len(shown) > 30
    not_sections = [name for name in shown if not sections.is_section(getattr(report, name))]
    assert not not_sections


def test_failures_are_read_from_an_executed_notebook_with_their_heading():
    nb = nbformat.v4.new_notebook()
    shown = section(_boom)(object(), "nps")
    data, meta = shown._repr_mimebundle_()
    cell = nbformat.v4.new_code_cell("report.x(study)")
    cell.outputs = [nbformat.v4.new_output("execute_result", data=data, metadata=meta,
                                           execution_count=1)]
    nb.cells = [nbformat.v4.new_markdown_cell("## Trends\n\nText"), cell,
                nbformat.v4.new_code_cell("1")]
    [failure] = failed_sections(nbformat.reads(nbformat.writes(nb), as_version=4))
    assert failure["section"] == "Trends" and failure["cell"] == 1
    assert failure["call"] == "_boom('nps')" and failure["kind"] == "bug"
    assert failed_sections(nbformat.v4.new_notebook()) == []


def test_the_box_renders_in_the_static_preview_as_a_box_without_python():
    from nbconvert import HTMLExporter

    nb = nbformat.v4.new_notebook()
    data, meta = section(_refuse)(object())._repr_mimebundle_()
    cell = nbformat.v4.new_code_cell("report.x(study)")
    cell.outputs = [nbformat.v4.new_output("execute_result", data=data, metadata=meta,
                                           execution_count=1)]
    nb.cells = [cell]
    body, _ = HTMLExporter(template_name="basic", exclude_input=True).from_notebook_node(nb)
    assert '<div class="cxlab-failed-section"' in body
    assert "<strong>This section could not be computed:</strong>" in body
    assert "_refuse" not in body and "DataTooThin" not in body and "&lt;div" not in body


# ------------------------------------------------------------------------------------------
# The two crashes of issue 17, reproduced


def test_a_client_whose_comments_name_nobody_gets_its_whole_report(sample_study):
    """An empty match table kept its rows but lost its columns when filtered: KeyError."""
    from cxlab.report import recognition

    study = sample_study("cedar")
    study.tables["customer_responses"] = study.tables["customer_responses"].assign(
        comment="Fine service, nothing to add.")
    assert recognition.mentions_frame(study).empty
    assert "No customer comment named an employee" in recognition.recognition_summary(study).data
    for function in (recognition.shoutout_feed, recognition.stories_of_the_week,
                     recognition.monthly_drawings):
        assert "No " in function(study).data
    assert len(report_outputs(study)) > 30  # raises if any section fails


def test_a_quarter_with_a_single_customer_answer_gets_its_whole_report(sample_study):
    study = sample_study("cedar")
    rows = study.tables["customer_responses"]
    in_quarter = (periods.label(pd.to_datetime(rows["responded_on"])) == "2026Q3").to_numpy()
    keep = ~in_quarter
    keep[in_quarter.nonzero()[0][0]] = True
    study.tables["customer_responses"] = rows[keep].reset_index(drop=True)
    assert len(study.rows("customer_responses")) == 1
    outputs = report_outputs(study)  # raises if any section fails
    text = " ".join(visible_text(value) for _, value in outputs)  # charts drawn too
    assert "NPS" in text and len(outputs) > 30


@pytest.mark.slow
def test_nbval_fails_a_template_cell_that_shows_a_failed_section(tmp_path, project_root):
    """CI runs the templates with nbval: there a section box is a failure, not a pass."""
    import shutil
    import subprocess
    import sys

    shutil.copy(project_root / "notebooks" / "conftest.py", tmp_path / "conftest.py")
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(
                    "from cxlab.report.sections import section\n\n"
                    "def recognition_summary(study):\n    raise KeyError('response_id')"),
                nbformat.v4.new_code_cell("section(recognition_summary)(None)"),
                nbformat.v4.new_code_cell("1 + 1")]
    nbformat.write(nb, tmp_path / "probe.ipynb")
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                          "--nbval-lax", str(tmp_path)], capture_output=True, text=True,
                         cwd=tmp_path, timeout=300)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "1 failed, 2 passed" in run.stdout
    assert "recognition_summary(): bug, KeyError: 'response_id'" in run.stdout
