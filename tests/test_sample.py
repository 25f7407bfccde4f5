"""The sample generator: deterministic, valid, and carrying its planted effects."""

import numpy as np
import pandas as pd
import pytest

from cxlab.data import sample
from cxlab.data.store import validate_tables


@pytest.fixture(scope="module")
def generated(generated_sample):
    return generated_sample


def test_same_seed_same_tables_other_seed_differs(generated):
    tables, _ = generated
    again, _ = sample.generate()
    for name in tables:
        pd.testing.assert_frame_equal(tables[name], again[name])
    other, _ = sample.generate(seed=1)
    assert not other["customer_responses"]["nps"].equals(tables["customer_responses"]["nps"])


def test_shape_of_the_sample(generated):
    tables, _ = generated
    assert set(tables) == {"employees", "interactions", "customer_responses", "accounts",
                           "employee_responses", "incentive_plan", "maturity_answers",
                           "feedback_actions", "follow_ups"}
    # Every follow-up is of an unhappy answer of the sample, after it.
    answers = tables["customer_responses"].set_index("response_id")
    follow = tables["follow_ups"]
    assert len(follow) > 100 and follow["response_id"].isin(answers.index).all()
    answers = answers[~answers.index.duplicated(keep=False)]  # the planted duplicate ids
    follow = follow[follow["response_id"].isin(answers.index)]
    mine = answers.loc[follow["response_id"]]
    assert ((mine["nps"] <= 6).fillna(False) | (mine["csat"] <= 2).fillna(False)).all()
    assert (follow["followed_up_on"].to_numpy() >= mine["responded_on"].to_numpy()).all()
    assert tables["customer_responses"]["client"].nunique() >= 4
    quarters = tables["customer_responses"]["responded_on"].dt.to_period("Q").nunique()
    assert quarters == 8
    assert {"Support", "Success", "Sales", "Marketing", "Operations", "HR"} <= set(
        tables["employees"]["department"])
    assert tables["customer_responses"]["responded_on"].max() <= sample.AS_OF


def test_only_the_planted_faults_are_rejected(generated):
    tables, _ = generated
    results = validate_tables(tables, "sample", as_of=sample.AS_OF)
    codes = set()
    for res in results.values():
        codes |= set(res.rejected.get("reason_code", []))
        assert res.rows_read == len(tables[res.table])
    assert codes == {"nps: out of range", "response_id: duplicate id",
                     "employee_id: not in employees"}


def test_calls_per_day_incentive_raises_repeat_contacts(generated):
    tables, _ = generated
    inter = tables["interactions"].merge(
        tables["employees"][["employee_id", "department"]], on="employee_id")
    support = inter[inter["department"] == "Support"]
    rushed = {c.slug for c in sample.CLIENTS
              if "calls_per_day" in sample.INCENTIVE_PLANS[c.maturity_level]["Support"]}
    by_incentive = support.groupby(support["client"].isin(rushed))["is_repeat_within_7d"].mean()
    assert by_incentive[True] > by_incentive[False] + 0.05


def test_wait_lowers_csat(generated):
    tables, _ = generated
    resp = tables["customer_responses"].merge(
        tables["interactions"][["interaction_id", "wait_seconds"]], on="interaction_id")
    resp = resp.dropna(subset=["csat"])
    long_wait = resp["wait_seconds"] > resp["wait_seconds"].quantile(0.8)
    short_wait = resp["wait_seconds"] < resp["wait_seconds"].quantile(0.2)
    assert resp.loc[short_wait, "csat"].mean() > resp.loc[long_wait, "csat"].mean() + 0.2


def test_named_praise_names_the_serving_employee(generated):
    tables, truth = generated
    mentions = truth["mentions"].merge(tables["customer_responses"], on=["client", "response_id",
                                                                         "employee_id"])
    # A planted duplicate id can pair a mention with another response's row: leave those out.
    mentions = mentions[mentions["comment"].notna()]
    names = tables["employees"].set_index("employee_id")["display_name"]
    assert len(mentions) > 100
    first = mentions["employee_id"].map(names).str.split(" ").str[0]
    exact = [f in c for f, c in zip(first, mentions["comment"], strict=True)]
    # All but the planted typos (5%) carry the first name as written in the roster.
    assert 0.9 < sum(exact) / len(exact) < 1


def test_scale_grows_the_data():
    small, _ = sample.generate(scale=0.2)
    assert 0.15 < len(small["customer_responses"]) / 51000 < 0.25
    with pytest.raises(ValueError, match="scale"):
        sample.generate(scale=0)


def test_planted_effects_are_on_the_methods_page(project_root):
    text = (project_root / "methods.qmd").read_text()
    for effect in sample.PLANTED_EFFECTS:
        assert f"`{effect.key}`" in text, effect.key
        assert effect.size in text, effect.size
    assert np.isfinite(sample.ENGAGEMENT_EFFECT)


def test_the_sample_is_written_one_client_at_a_time_with_the_same_tables(tmp_path):
    """make_sample validates and writes each client before generating the next (memory holds
    one client): every accepted table equals the all-clients-at-once validation, and the
    rejected rows are the same rows, numbered within their client's generated table."""
    from cxlab.data import make_sample, read_table

    make_sample("small", scale=0.2, root=tmp_path)
    tables, _ = sample.generate(scale=0.2)
    whole = validate_tables(tables, source="small", as_of=sample.AS_OF)
    for profile in sample.CLIENTS:
        client = profile.slug
        for name, result in whole.items():
            expected = result.accepted[result.accepted["client"] == client].reset_index(drop=True)
            stored = read_table("small", client, name, root=tmp_path)
            pd.testing.assert_frame_equal(stored, expected, check_dtype=False)
            rejected_file = tmp_path / "small" / client / "rejected" / f"{name}.parquet"
            mine = result.rejected[result.rejected["client"].astype("string") == client]
            if not len(mine):
                assert not rejected_file.exists()
                continue
            kept = pd.read_parquet(rejected_file)
            assert kept["reason_code"].tolist() == mine["reason_code"].tolist()
            # Row numbers count within the client's own table: its first row is row 0.
            first = tables[name].index[tables[name]["client"] == client][0]
            assert kept["row"].tolist() == (mine["row"] - first).tolist()


def _read_dataset(folder):
    """Every file of a written dataset: Parquet files read back, the others as text."""
    return {str(f.relative_to(folder)): pd.read_parquet(f) if f.suffix == ".parquet"
            else f.read_text() for f in sorted(folder.rglob("*")) if f.is_file()}


def _assert_same_dataset(streamed, whole):
    assert list(streamed) == list(whole)
    for name, expected in whole.items():
        if isinstance(expected, pd.DataFrame):
            pd.testing.assert_frame_equal(streamed[name], expected, obj=name)
        else:
            assert streamed[name] == expected, name


def test_the_streamed_sample_is_the_sample_validated_and_written_whole(tmp_path):
    """make_sample writes by client and quarter; the dataset is the one written from the
    whole tables (generate, validate_tables, write_dataset): every file, column, type, row,
    quality record and the manifest. Validated in parts of a few hundred rows, it is too
    (ids repeated across parts are still duplicates, rows still numbered in the table)."""
    from cxlab.data import make_sample
    from cxlab.data.store import stream_dataset, write_dataset

    manifest = {"generator": "cxlab.data.sample", "seed": sample.DEFAULT_SEED, "scale": 0.2,
                "as_of": str(sample.AS_OF.date()),
                "quarters": [sample.FIRST_QUARTER, sample.LAST_QUARTER],
                "client_names": {c.slug: c.name for c in sample.CLIENTS}}
    whole = (validate_tables(tables, source="s", as_of=sample.AS_OF)
             for tables, _ in sample.generate_clients(scale=0.2))
    write_dataset(whole, tmp_path / "whole" / "s", manifest)
    make_sample("s", scale=0.2, root=tmp_path / "streamed")
    expected = _read_dataset(tmp_path / "whole" / "s")
    _assert_same_dataset(_read_dataset(tmp_path / "streamed" / "s"), expected)
    assert not [p.name for p in (tmp_path / "streamed").iterdir() if p.name != "s"]

    index, northwind = sample.profiles(["northwind"])[0]
    parts = [("northwind", ((p.table, p.frame) for p in sample.client_parts(
        northwind, index, scale=0.2) if not p.truth))]
    stream_dataset(parts, tmp_path / "small-parts" / "s", {**manifest, "client_names": {
        "northwind": northwind.name}}, source="s", as_of=sample.AS_OF, part_rows=333)
    small = _read_dataset(tmp_path / "small-parts" / "s")
    assert '"clients": [\n    "northwind"\n  ]' in small.pop("manifest.json")
    _assert_same_dataset(small, {k: v for k, v in expected.items()
                                 if k.startswith("northwind/")})


def test_parts_of_a_table_are_checked_together(generated):
    """An id repeating one of an earlier part is a duplicate, and rows are numbered on."""
    from cxlab.data.store import TableValidator

    tables, _ = generated
    check = TableValidator("t", as_of=sample.AS_OF)
    check("employees", tables["employees"])
    answers = tables["customer_responses"].iloc[100:104].reset_index(drop=True)
    first = check("customer_responses", answers.iloc[:2])
    again = answers.iloc[2:].reset_index(drop=True)
    again.loc[1, ["response_id", "employee_id"]] = [answers.loc[0, "response_id"], "E9"]
    second = check("customer_responses", again)
    assert first.rows_rejected == 0 and second.rows_accepted == 1
    assert second.rejected["row"].tolist() == [4]
    assert second.rejected["reason_code"].tolist() == ["response_id: duplicate id"]
    assert "'E9' is not in employees" in second.rejected["reason"].iloc[0]


def test_faults_and_follow_ups_drawn_by_quarter_fall_as_over_whole_tables():
    """The planted faults and the follow-ups are drawn a quarter at a time from the same
    streams as over whole tables, and land on the same rows (another seed and scale than
    the default sample, whose tables are checked against their digests elsewhere)."""
    rng = np.random.default_rng(5)
    by_quarter = sample._fault_draws(np.random.default_rng(5), [300, 0, 1200], [500, 900, 7])
    whole = sample._fault_draws(rng, [1500], [1407])[0]
    for field, offsets in (("bad_scale", [0, 300, 300]), ("duplicate", [0, 300, 300]),
                           ("contractor", [0, 500, 1400])):
        joined = np.concatenate([getattr(q, field) + o for q, o in zip(by_quarter, offsets,
                                                                         strict=True)])
        np.testing.assert_array_equal(joined, getattr(whole, field))
    np.testing.assert_array_equal(
        np.concatenate([q.contractor_number for q in by_quarter]), whole.contractor_number)

    seed, scale = 7, 0.3
    index, cedar = sample.profiles(["cedar"])[0]
    tables, _ = sample.generate(seed=seed, scale=scale, clients=["cedar"])
    managers = tables["employees"].set_index("employee_id")["manager_id"]
    once = sample._follow_ups(cedar, [np.random.default_rng([seed, index, 1])] * 5,
                              tables["customer_responses"], managers)
    assert len(once) > 50
    pd.testing.assert_frame_equal(tables["follow_ups"], once)


def test_some_clients_only(tmp_path, capsys):
    """clients= (and --client) generates those clients alone, as in the whole sample."""
    from cxlab.cli import main
    from cxlab.data import make_sample, read_manifest

    make_sample("two", scale=0.2, root=tmp_path, clients=["evergreen", "cedar"])
    manifest = read_manifest("two", root=tmp_path)
    assert manifest["clients"] == ["cedar", "evergreen"]
    assert manifest["client_names"] == {"cedar": "Cedar Health", "evergreen": "Evergreen Software"}
    assert sorted(p.name for p in (tmp_path / "two").iterdir() if p.is_dir()) == [
        "cedar", "evergreen"]
    alone, _ = sample.generate(scale=0.2, clients=["cedar"])
    every, _ = sample.generate(scale=0.2)
    for name, frame in alone.items():
        theirs = every[name][every[name]["client"] == "cedar"].reset_index(drop=True)
        pd.testing.assert_frame_equal(frame, theirs, obj=name, check_dtype=False)
    written = _read_dataset(tmp_path / "two")
    assert len(written["cedar/customer_responses.parquet"]) > 0

    with pytest.MonkeyPatch.context() as env:
        env.setenv("CXLAB_HOME", str(tmp_path))
        assert main(["data", "sample", "--scale", "0.1", "--client", "cedar",
                     "--client", "evergreen"]) == 0
        assert main(["data", "sample", "--scale", "0.1", "--client", "cedar"]) == 0
        assert read_manifest("sample", root=tmp_path / "data")["clients"] == ["cedar"]
    assert "note: dataset 'sample' no longer holds evergreen; to keep a dataset's clients, " \
           "write others with --dataset NAME" in capsys.readouterr().err


def test_more_contacts_per_response_on_request(tmp_path):
    """--interactions-per-response: a centre that surveys fewer of its contacts (issue 20's
    benchmark client has 2.5); the manifest says so, and the default sample is unchanged."""
    from cxlab.cli import main
    from cxlab.data import make_sample, read_manifest

    with pytest.MonkeyPatch.context() as env:
        env.setenv("CXLAB_HOME", str(tmp_path))
        assert main(["data", "sample", "--scale", "0.2", "--client", "cedar",
                     "--interactions-per-response", "2.5"]) == 0
    written = _read_dataset(tmp_path / "data" / "sample")
    contacts = len(written["cedar/interactions.parquet"])
    answers = len(written["cedar/customer_responses.parquet"])
    assert 2.4 < contacts / answers < 2.6
    assert read_manifest("sample", root=tmp_path / "data")["interactions_per_response"] == 2.5
    usual = make_sample("usual", scale=0.2, root=tmp_path, clients=["cedar"])
    assert "interactions_per_response" not in read_manifest("usual", root=tmp_path)
    assert 1.55 < len(pd.read_parquet(usual / "cedar" / "interactions.parquet")) / len(
        pd.read_parquet(usual / "cedar" / "customer_responses.parquet")) < 1.65
    with pytest.raises(ValueError, match="interactions_per_response must be a number of at "
                                         "least 0.65"):
        make_sample("x", root=tmp_path, interactions_per_response=0.5)


def test_unknown_clients_are_named_with_the_known_ones(tmp_path, capsys):
    from cxlab.cli import main
    from cxlab.data import make_sample

    with pytest.raises(sample.UnknownClient, match=r"'acme', 'nope'.*northwind, bluebird, "
                                                    r"cedar, driftwood, evergreen"):
        make_sample("x", root=tmp_path, clients=["cedar", "nope", "acme"])
    assert not (tmp_path / "x").exists()
    with pytest.raises(ValueError, match="scale must be positive"):
        make_sample("x", root=tmp_path, scale=0)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("CXLAB_HOME", str(tmp_path))
        assert main(["data", "sample", "--client", "acme"]) == 2
    assert "no sample client 'acme'" in capsys.readouterr().err
    assert not (tmp_path / "data" / "sample").exists()


def test_progress_names_each_client_and_quarter(tmp_path):
    from cxlab.data import make_sample

    said: list[str] = []
    make_sample("p", scale=0.1, root=tmp_path, clients=["cedar"], progress=said.append)
    assert said[0].startswith("cedar 2024Q4: generating ")
    assert "cedar 2026Q3: writing" in said
    assert len(said) == 16


def test_a_large_roster_gets_middle_initials():
    """Past the 1,500 first name and surname pairs (northwind from --scale 70), names get a
    middle initial instead of the generator looking for a free pair for ever."""
    northwind = sample.CLIENTS[0]
    roster = sample._employees(northwind, np.random.default_rng(3), 300 ** 0.5)
    assert len(roster) > sample.NAME_PAIRS
    assert roster["display_name"].is_unique and roster["email"].is_unique
    assert roster["display_name"].str.fullmatch(r"\S+ [A-Z] \S.*").sum() == (
        len(roster) - sample.NAME_PAIRS)


def test_a_large_quarter_is_made_in_pieces_that_fit_together(monkeypatch):
    """Beyond QUARTER_PIECE responses a quarter is generated in pieces (memory holds one):
    ids run on across pieces, a planted duplicate takes the id of the row before even at a
    piece's start, each surveyed contact is one of the quarter's, every planted fault still
    falls, and the same seed gives the same tables."""
    monkeypatch.setattr(sample, "QUARTER_PIECE", 90)
    tables, _ = sample.generate(scale=0.5, clients=["cedar"])
    again, _ = sample.generate(scale=0.5, clients=["cedar"])
    for name, frame in tables.items():
        pd.testing.assert_frame_equal(frame, again[name], obj=name)
    resp, inter = tables["customer_responses"], tables["interactions"]
    per_quarter = resp["response_id"].str.extract(r"-R(\d{4}Q\d)-")[0]
    assert per_quarter.value_counts().min() > 2 * 90  # three pieces or more a quarter
    ids = resp["response_id"]
    copied = ids.duplicated()
    assert copied.sum() > 0 and (ids[copied] == ids.shift()[copied]).all()
    for table, column, tag in ((resp, "response_id", "R"), (inter, "interaction_id", "I")):
        quarter = table[column].str.extract(rf"-{tag}(\d{{4}}Q\d)-")[0]
        place = table.groupby(quarter).cumcount()
        number = table[column].str.rsplit("-", n=1).str[1].astype(int)
        kept = ~table[column].duplicated() if tag == "R" else slice(None)
        assert (number[kept] == place[kept]).all()  # 0, 1, 2 ... through every piece
    asked = resp.dropna(subset=["interaction_id"])
    assert asked["interaction_id"].isin(inter["interaction_id"]).all()
    assert (resp["nps"] == 11).sum() > 0
    assert inter["employee_id"].str.startswith("CONTRACTOR-").sum() > 0
    follow = tables["follow_ups"]
    assert len(follow) > 0 and follow["response_id"].isin(ids).all()
