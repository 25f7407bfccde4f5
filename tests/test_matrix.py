import pytest

from cxlab.run.matrix import MatrixError, load_matrix


def _write(tmp_path, text):
    path = tmp_path / "studies.yml"
    path.write_text(text)
    return path


def test_project_matrix_declares_every_client_and_quarter(project_root):
    matrix = load_matrix(project_root / "studies.yml")
    assert len({s.client for s in matrix.studies}) >= 4
    assert len({s.quarter for s in matrix.studies}) == 8
    spec = matrix.select(["cedar"], ["2026Q3"])[0]
    assert spec.parameters == {"client": "cedar", "quarter": "2026Q3", "dataset": "sample",
                               "client_name": "Cedar Health",
                               "settings": {"show_employee_names": True,
                                            "quote_comments": True}}
    assert spec.output_path(project_root / "reports").as_posix().endswith(
        "reports/cedar/2026Q3/quarterly_report.ipynb")


def test_client_quarters_override(tmp_path):
    m = load_matrix(_write(tmp_path, "quarters: {first: 2026Q1, last: 2026Q3}\nclients:\n"
                                     "  a: {}\n  b: {quarters: [2026Q3]}\n"))
    assert [(s.client, s.quarter) for s in m.studies] == [
        ("a", "2026Q1"), ("a", "2026Q2"), ("a", "2026Q3"), ("b", "2026Q3")]


@pytest.mark.parametrize("text, message", [
    ("quarters: [2026Q3]\nclients:\n  '../etc': {}\n", "not a valid name"),
    ("quarters: [2026Q5]\nclients:\n  a: {}\n", "quarter '2026Q5'"),
    ("quarters: [2026Q3]\nclient:\n  a: {}\n", "unknown key"),
    ("quarters: [2026Q3]\nclients:\n  a: {colour: red}\n", "clients.a"),
    ("quarters: [2026Q3]\nclients: [a]\n", "'clients' must map"),
    ("quarters: [2026Q3\n", "not valid YAML"),
    ("quarters: [2026Q3]\ndataset: ../../x\nclients:\n  a: {}\n", "dataset"),
])
def test_bad_matrices_name_file_and_key(tmp_path, text, message):
    with pytest.raises(MatrixError, match="studies.yml") as err:
        load_matrix(_write(tmp_path, text))
    assert message in str(err.value)


def test_unknown_client_selection(tmp_path):
    m = load_matrix(_write(tmp_path, "quarters: [2026Q3]\nclients:\n  a: {}\n"))
    with pytest.raises(MatrixError, match="no client 'zz'"):
        m.select(["zz"])


@pytest.mark.parametrize("name", ["acme\n", "acme\r", "\nacme", "ac me", "Acme", "../acme", ""])
def test_names_must_match_whole(name):
    from cxlab import config

    with pytest.raises(ValueError, match="not a valid name"):
        config.check_slug(name, "client")


@pytest.mark.parametrize("quarter", ["2026Q3\n", " 2026Q3", "2026Q5", "2026q3"])
def test_quarters_must_match_whole(quarter):
    from cxlab import periods

    with pytest.raises(ValueError, match="not valid"):
        periods.check_quarter(quarter)


def test_newline_in_client_name_is_a_matrix_error(tmp_path):
    with pytest.raises(MatrixError, match="clients"):
        load_matrix(_write(tmp_path, 'quarters: [2026Q3]\nclients:\n  "acme\\n": {}\n'))


@pytest.mark.parametrize("themes", ["{tools: [.nan]}", "{tools: []}", "{tools: crm}",
                                    "{1: [crm]}", "{tools: [crm, {x: 1}]}"])
def test_employee_themes_must_be_text_phrases(tmp_path, themes):
    text = f"quarters: [2026Q3]\nclients:\n  a:\n    settings: {{employee_themes: {themes}}}\n"
    with pytest.raises(MatrixError, match="employee_themes: expected"):
        load_matrix(_write(tmp_path, text))


def test_a_client_name_must_be_text(tmp_path):
    with pytest.raises(MatrixError, match=r"clients.a.name: expected the client's name as text"):
        load_matrix(_write(tmp_path, "quarters: [2026Q3]\nclients:\n  a: {name: [1, 2]}\n"))


def test_quarters_running_backwards_are_named(tmp_path):
    with pytest.raises(MatrixError, match="2026Q3 to 2026Q1: the first comes after the last"):
        load_matrix(_write(tmp_path, "quarters: {first: 2026Q3, last: 2026Q1}\nclients:\n  a: {}\n"))


def test_rank_by_is_checked_when_the_matrix_loads(tmp_path):
    path = _write(tmp_path, "quarters: [2026Q3]\nclients:\n  a: {}\n"
                            "  cedar:\n    settings: {rank_by: cast}\n")
    with pytest.raises(MatrixError) as err:
        load_matrix(path)
    message = str(err.value)
    assert "studies.yml: clients.cedar.settings" in message and "'rank_by'" in message
    assert "'cast'" in message
    assert ("['csat_top2', 'nps', 'first_contact_resolution', 'repeat_contact_rate', "
            "'wait_minutes']") in message
    # A measure of the registry that is not on the scorecard is refused too.
    path = _write(tmp_path, "quarters: [2026Q3]\nclients:\n  cedar:\n"
                            "    settings: {rank_by: renewal_rate}\n")
    with pytest.raises(MatrixError, match="'renewal_rate' is not a measure of the employee"):
        load_matrix(path)


@pytest.mark.parametrize("rank_by", ["csat", "csat_top2", "nps", "fcr",
                                     "first_contact_resolution", "repeat_7d", "wait_minutes"])
def test_rank_by_accepts_scorecard_keys_and_registry_names(tmp_path, rank_by):
    path = _write(tmp_path, f"quarters: [2026Q3]\nclients:\n  cedar:\n"
                            f"    settings: {{rank_by: {rank_by}}}\n")
    if rank_by in ("fcr", "repeat_7d"):  # old names: still read, with a warning
        with pytest.warns(DeprecationWarning, match=f"'{rank_by}' is deprecated"):
            matrix = load_matrix(path)
    else:
        matrix = load_matrix(path)
    assert matrix.studies[0].settings == {"rank_by": rank_by}
