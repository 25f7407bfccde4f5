"""A study through the real runner (Papermill, a real kernel) into the site."""

import json
import os
import re

import pytest

pytestmark = pytest.mark.slow


def test_runner_writes_reports_at_deterministic_paths(built_site, n_template_charts):
    root = built_site["root"]
    assert [r.status for r in built_site["results"]] == ["ok", "ok"]
    for quarter in ("2026Q2", "2026Q3"):
        path = root / "reports" / "cedar" / quarter / "quarterly_report.ipynb"
        nb = json.loads(path.read_text())
        assert nb["metadata"]["cxlab"]["client"] == "cedar"
        assert "Cedar Health: " + quarter in "".join(nb["cells"][0]["source"])
        errors = [o for c in nb["cells"] if c["cell_type"] == "code" for o in c["outputs"]
                  if o["output_type"] == "error"]
        assert not errors
        images = [o for c in nb["cells"] if c["cell_type"] == "code" for o in c["outputs"]
                  if "data:image/png" in "".join(o.get("data", {}).get("text/html", ""))]
        assert n_template_charts >= 5 and len(images) == n_template_charts
    assert not list((root / "reports" / ".partial").iterdir())
    record = json.loads((root / "reports" / "build-record.json").read_text())
    assert record["n_studies"] == 2 and record["n_failed"] == 0


def test_site_index_links_every_report(built_site, n_template_charts):
    site = built_site["site"]
    index = (site / "reports" / "index.html").read_text()
    for quarter in ("2026Q2", "2026Q3"):
        assert f'href="cedar/{quarter}/quarterly_report.html"' in index
        page = site / "reports" / "cedar" / quarter / "quarterly_report.html"
        text = page.read_text()
        assert text.count("data:image/png;base64,") == n_template_charts
        assert text.count('alt="No description') == 0
        assert "open_study" not in text  # code is hidden
        assert "...</td>" not in text  # tables are shown whole, not cut by pandas
        assert "Cedar Health" in text and "Scorecard" in text
    assert (site / "methods.html").is_file() and (site / "index.html").is_file()
    model = (site / "reports" / "maturity-model.html").read_text()
    assert "Level 5: Embedded everywhere" in model and "Technology and tools" in model
    assert 'href="reports/maturity-model.html"' in (site / "index.html").read_text()


def test_every_local_link_in_the_site_resolves(built_site):
    site = built_site["site"]
    for page in site.rglob("*.html"):
        for target in re.findall(r'href="([^"#:]+)(?:#[^"]*)?"', page.read_text()):
            assert (page.parent / target).resolve().is_file(), f"{page}: broken link {target}"


def test_failing_study_does_not_stop_others_and_keeps_last_good_report(built_site, monkeypatch,
                                                                       capsys):
    from cxlab.cli import main

    root = built_site["root"]
    monkeypatch.setenv("CXLAB_HOME", str(root))
    good = root / "reports" / "cedar" / "2026Q3" / "quarterly_report.ipynb"
    before = good.read_bytes()
    matrix = root / "broken.yml"
    # 'ghost' is not in the dataset: its study fails inside the notebook's open_study call.
    matrix.write_text("quarters: [2026Q3]\nclients:\n  ghost: {}\n  evergreen: {}\n")
    code = main(["run", "--matrix", str(matrix), "--no-progress"])
    out = capsys.readouterr().out
    assert code == 1
    assert "1 of 2 studies succeeded" in out
    assert "FAILED ghost 2026Q3" in out and "not in dataset 'sample'" in out
    assert (root / "reports" / "evergreen" / "2026Q3" / "quarterly_report.ipynb").is_file()
    assert not (root / "reports" / "ghost" / "2026Q3" / "quarterly_report.ipynb").exists()
    assert (root / "build" / "failed" / "ghost-2026Q3-quarterly_report.ipynb").is_file()
    assert good.read_bytes() == before


def test_cli_rejects_bad_selection(built_site, monkeypatch, capsys):
    from cxlab.cli import main

    monkeypatch.setenv("CXLAB_HOME", str(built_site["root"]))
    assert main(["run", "--matrix", str(built_site["root"] / "studies.yml"),
                 "--client", "nobody"]) == 2
    assert "no client 'nobody'" in capsys.readouterr().err


def test_template_parameters_are_validated_before_analysis(sandbox, monkeypatch):
    import cxlab

    monkeypatch.setenv("CXLAB_HOME", str(sandbox))
    with pytest.raises(ValueError, match="not a valid name"):
        cxlab.open_study("../../etc", "2026Q3")
    with pytest.raises(ValueError, match="expected YYYYQn"):
        cxlab.open_study("cedar", "Q3-2026")
    assert os.environ["CXLAB_HOME"] == str(sandbox)
