"""Project files stay consistent: dependencies, site config, clean notebook templates."""

import json
import re
import tomllib
from pathlib import Path

import pandas as pd
import pytest
import yaml

#: PyPI names whose conda-forge package is called differently.
CONDA_NAMES = {"pypandoc-binary": "pypandoc", "duckdb": "python-duckdb",
               "ibis-framework": "ibis-duckdb"}
SCHEMA = Path(__file__).resolve().parents[2] / "shared" / "quarto" / "json-schemas.json"


def _split(requirement: str) -> tuple[str, str]:
    # Extras are pip's alone: ibis-framework[duckdb] is conda-forge's ibis-duckdb.
    name, spec = re.match(r"^([A-Za-z0-9_.-]+)(?:\[[^]]*\])?\s*(.*)$", requirement.strip()).groups()
    return name.lower(), spec.replace(" ", "")


def test_environment_yml_matches_pyproject(project_root):
    project = tomllib.loads((project_root / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    wanted = dict(_split(r) for r in project["dependencies"] + extras["dev"] + extras["lab"])
    wanted = {CONDA_NAMES.get(k, k): v for k, v in wanted.items()}
    env = yaml.safe_load((project_root / "environment.yml").read_text())
    assert env["channels"] == ["conda-forge"]
    conda = dict(_split(d) for d in env["dependencies"] if isinstance(d, str))
    extras = {k: conda.pop(k) for k in ("python", "pip", "quarto", "pandoc")}
    assert extras["python"] == ">=3.11"
    pip_part = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert pip_part[0] == "-e ."
    pip_only = dict(_split(d) for d in pip_part[1:])  # packages conda-forge does not carry
    assert not set(pip_only) & set(conda)
    assert {**conda, **pip_only} == wanted


def test_notebook_templates_are_clean(project_root):
    """Report templates are committed without outputs; papermill fills them per study."""
    for path in (project_root / "notebooks").glob("*.ipynb"):
        if path.stem == "getting_started":  # a page, committed as run: checked below
            continue
        nb = json.loads(path.read_text())
        code = [c for c in nb["cells"] if c["cell_type"] == "code"]
        assert all(not c["outputs"] and c["execution_count"] is None for c in code), path
        assert "parameters" in code[0]["metadata"].get("tags", []), f"{path}: first code cell"
        assert "open_study" in "".join(code[1]["source"]), f"{path}: second cell validates"


def test_the_getting_started_page_is_run_and_shows_its_code(project_root):
    """Committed with its outputs (the site shows them; nbval runs it again in CI and checks
    the marked cells' outputs), none of them an error, its code shown on the site."""
    import yaml

    nb = json.loads((project_root / "notebooks" / "getting_started.ipynb").read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    assert all(c["outputs"] for c in code)
    assert not any(o["output_type"] == "error" for c in code for o in c["outputs"])
    assert any("NBVAL_CHECK_OUTPUT" in "".join(c["source"]) for c in code)
    front = "".join(nb["cells"][0]["source"]).strip("-\n")
    assert yaml.safe_load(front)["echo"] is True
    render = yaml.safe_load((project_root / "_quarto.yml").read_text())["project"]["render"]
    assert "notebooks/getting_started.ipynb" in render


def _closed(node):
    """Rewrite Quarto's schema dialect as standard JSON Schema, with closed objects.

    Quarto writes objects as {"object": {"properties": ...}} and enums as
    {"enum": {"values": [...]}}.
    """
    if isinstance(node, list):
        return [_closed(n) for n in node]
    if not isinstance(node, dict):
        return node
    node = {k: _closed(v) for k, v in node.items()}
    if isinstance(node.get("enum"), dict):  # Quarto's {"enum": {"values": [...]}}
        node["enum"] = node["enum"]["values"]
    if isinstance(node.get("object"), dict):
        obj = node.pop("object")
        node["type"] = "object"
        for key in ("properties", "patternProperties", "required"):
            if key in obj:
                node[key] = obj[key]
        if "additionalProperties" in obj:
            node["additionalProperties"] = obj["additionalProperties"]
        elif not obj.get("patternProperties") and obj.get("properties") is not None:
            node["additionalProperties"] = False
    return node


@pytest.mark.skipif(not SCHEMA.is_file(), reason="../shared/quarto/json-schemas.json not present")
def test_quarto_config_matches_quartos_schema(project_root):
    import jsonschema

    defs = _closed(json.loads(SCHEMA.read_text()))
    if "$defs" not in defs:
        defs = {"$defs": defs}
    config = yaml.safe_load((project_root / "_quarto.yml").read_text())
    for key, ref in (("project", "ProjectConfig"), ("website", "BaseWebsite")):
        schema = {"$defs": defs["$defs"], "$ref": f"#/$defs/{ref}"}
        jsonschema.validate(config[key], schema)
    # A mistake must be caught, or the check checks nothing.
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**config["website"], "navbarr": {}},
                            {"$defs": defs["$defs"], "$ref": "#/$defs/BaseWebsite"})


def test_a_bug_in_a_command_is_never_reported_as_the_users_mistake(monkeypatch, capsys):
    """A plain ValueError from inside cxlab or a library is a bug: traceback and exit 3,
    while a user error (a CxlabError: an unknown client) exits 2 without a traceback."""
    from cxlab import cli
    from cxlab.errors import EXIT_INTERNAL_ERROR, EXIT_USER_ERROR

    def broken(*args, **kwargs):
        raise ValueError("a library's internal complaint")

    monkeypatch.setattr("cxlab.maturity.assessment.assess", broken)
    assert cli.main(["assess", "northwind"]) == EXIT_INTERNAL_ERROR
    err = capsys.readouterr().err
    assert "Traceback" in err and "internal error" in err
    monkeypatch.undo()
    assert cli.main(["assess", "no-such-client"]) == EXIT_USER_ERROR
    err = capsys.readouterr().err
    assert "client 'no-such-client' is not in dataset 'sample'" in err and "Traceback" not in err


def test_the_readmes_researcher_snippets_run_as_written(project_root, sandbox, monkeypatch,
                                                         capsys):
    """Every Python block of "In JupyterLab" and "Speed", executed in one session on the
    sample data (Speed's example once grouped by a column the answers lack)."""
    import re

    from cxlab.stats import Trend

    monkeypatch.setenv("CXLAB_HOME", str(sandbox))
    text = (project_root / "README.md").read_text()
    parts = [text[text.index("## In JupyterLab"):text.index("## Running studies")],
             text[text.index("## Speed"):text.index("## Checking a real export")]]
    blocks = [re.findall(r"```python\n(.*?)```", part, re.S) for part in parts]
    assert len(blocks[0]) >= 2 and len(blocks[1]) >= 1
    namespace: dict = {}
    for block in blocks[0] + blocks[1]:
        exec(compile(block, "README.md", "exec"), namespace)  # noqa: S102 - our own docs
    assert namespace["trend"]["quarter"].iloc[-1] == "2026Q3"
    assert namespace["monthly"]["month"].str.fullmatch(r"\d{4}-\d{2}").all()
    monthly = namespace["monthly"]
    assert isinstance(namespace["stats"].linear_trend(monthly["value"], monthly["se"]), Trend)
    # Parquet files of one's own, through the engine ("Which engine reads the data").
    engines = text[text.index("### Which engine reads the data"):text.index("## Speed")]
    (own,) = re.findall(r"```python\n(.*?)```", engines, re.S)
    exports = sandbox / "exports"
    exports.mkdir()
    responses = namespace["cxlab"].load("customer_responses", client="cedar")
    for k, part in enumerate((responses.iloc[::2], responses.iloc[1::2])):
        part.to_parquet(exports / f"answers-{k}.parquet")
    monkeypatch.chdir(sandbox)
    lines = own.rstrip().splitlines()  # the last line shows its value: kept here
    alone: dict = {}  # a session of its own: the snippet imports what it uses
    exec(compile("\n".join([*lines[:-1], "shown = " + lines[-1].split("#")[0]]), "README.md",
                 "exec"), alone)  # noqa: S102 - our own docs
    expected = namespace["cxlab"].grouped(responses, ["nps", "csat_top2"], by="channel")
    pd.testing.assert_frame_equal(alone["shown"].reset_index(drop=True),
                                  expected.reset_index(drop=True), check_dtype=False)
    # a line that says it shows something is an expression a notebook shows, no assignment
    for block in blocks[0] + blocks[1] + [own]:
        for line in block.splitlines():
            if re.search(r"#.*\bshows\b", line):
                assert not re.match(r"^\s*\w+\s*=[^=]", line), line

