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
