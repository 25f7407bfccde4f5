import pandas as pd
import pytest

from cxlab.data import DataValidationError, validate


def _responses(**overrides):
    base = {
        "response_id": ["r1", "r2", "r3"], "client": ["acme"] * 3,
        "responded_on": ["2026-07-01", "2026-07-02", "2026-07-03"],
        "customer_id": ["c1", "c2", "c3"], "channel": ["phone", "chat", "web"],
        "journey_stage": ["support"] * 3, "department": ["Support"] * 3,
        "employee_id": ["e1", None, "e1"], "nps": [10, 5, None], "csat": [5, 2, 4],
        "ces": [None, 3, 7], "comment": ["great", None, ""],
    }
    base.update(overrides)
    return pd.DataFrame(base)


def test_clean_table_is_fully_accepted_and_typed():
    res = validate(_responses(), "customer_responses", "resp.csv")
    assert len(res.accepted) == 3 and len(res.rejected) == 0
    assert str(res.accepted["nps"].dtype) == "Int64"
    assert res.accepted["responded_on"].dt.year.tolist() == [2026] * 3
    assert res.accepted["comment"].isna().tolist() == [False, True, True]  # blank text is missing


def test_out_of_range_message_names_file_row_column_value_and_expectation():
    res = validate(_responses(nps=[10, 11, None]), "customer_responses", "resp.csv")
    assert res.rejected["row"].tolist() == [2]
    reason = res.rejected["reason"].iloc[0]
    for part in ("resp.csv", "row 2", "'nps'", "11", "from 0 to 10"):
        assert part in reason
    assert res.summary()["reasons"] == {"nps: out of range": 1}


def test_rows_add_up_and_rejected_rows_keep_their_original_values():
    df = _responses(nps=[10, "ten", 4], channel=["phone", "fax", "web"])
    res = validate(df, "customer_responses", "x.csv")
    assert res.rows_read == len(df) == len(res.accepted) + len(res.rejected)
    bad = res.rejected.iloc[0]
    assert bad["nps"] == "ten" and bad["channel"] == "fax"
    assert "expected text among phone" in bad["reason"]


def test_file_row_numbers_are_kept_when_given():
    df = _responses(csat=[5, 9, 4])
    df["_row"] = [12, 13, 14]
    res = validate(df, "customer_responses", "x.csv")
    assert res.rejected["row"].tolist() == [13]
    assert "row 13" in res.rejected["reason"].iloc[0]


def test_missing_required_column_raises_with_names():
    with pytest.raises(DataValidationError, match=r"x\.csv.*'customer_id'"):
        validate(_responses().drop(columns="customer_id"), "customer_responses", "x.csv")


def test_duplicates_future_dates_and_unknown_ids():
    df = _responses(response_id=["r1", "r1", "r3"],
                    responded_on=["2026-07-01", "2026-07-02", "2031-01-01"],
                    employee_id=["e1", "e1", "zz"])
    res = validate(df, "customer_responses", "x.csv", as_of="2026-09-30",
                   known_ids={("employees", "employee_id"): {"e1"}})
    reasons = res.rejected.set_index("row")["reason"]
    assert "repeats an earlier row's id" in reasons[2]
    assert "after the data's as-of date" in reasons[3] and "'zz' is not in employees" in reasons[3]
    assert len(res.accepted) == 1


def test_raise_mode_and_missing_required_value():
    df = _responses(customer_id=["c1", None, "c3"])
    with pytest.raises(DataValidationError, match=r"(?s)1 of 3 rows failed.*row 2.*missing"):
        validate(df, "customer_responses", "x.csv", on_error="raise")


def test_booleans_parse_common_spellings():
    df = pd.DataFrame({"account_id": ["a", "b", "c"], "client": ["k"] * 3,
                       "segment": ["smb"] * 3, "acquired_on": ["2025-01-01"] * 3,
                       "renewal_due_on": [None] * 3, "is_renewed": ["Yes", "no", None],
                       "is_churned": ["false", "TRUE", "maybe"], "n_referrals": [0, 1, 2],
                       "sales_owner_id": [None] * 3})
    res = validate(df, "accounts", "acc.csv")
    assert res.accepted["is_renewed"].tolist() == [True, False]
    assert "'maybe'" in res.rejected["reason"].iloc[0]
