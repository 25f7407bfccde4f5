"""Multiple-comparison adjustments (by hand, and against statsmodels) and group flags."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import cxlab
from cxlab.stats import adjust_pvalues, flag_groups
from cxlab.stats.multiple import TOO_FEW


def test_holm_and_bh_by_hand():
    p = [0.01, 0.04, 0.03, 0.005]
    # Sorted: 0.005, 0.01, 0.03, 0.04. Holm: 4, 3, 2, 1 times each, then running maximum;
    # BH: 4/1, 4/2, 4/3, 4/4 times each, then running minimum from the largest.
    assert adjust_pvalues(p, "holm") == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert adjust_pvalues(p, "bh") == pytest.approx([0.02, 0.04, 0.04, 0.02])


def test_missing_p_values_stay_missing_and_are_not_counted():
    out = adjust_pvalues([0.01, np.nan, 0.04], "holm")
    assert np.isnan(out[1])
    assert out[[0, 2]] == pytest.approx([0.02, 0.04])
    assert adjust_pvalues([np.nan, np.nan], "bh").shape == (2,)
    assert adjust_pvalues([], "bh").shape == (0,)


def test_capped_at_one_and_unknown_method_named():
    assert adjust_pvalues([0.6, 0.7], "holm").max() == 1.0
    with pytest.raises(ValueError, match="'bonferonni' unknown"):
        adjust_pvalues([0.1], "bonferonni")


@pytest.mark.parametrize("method, reference", [("holm", "holm"), ("bh", "fdr_bh")])
def test_matches_statsmodels_with_ties(method, reference):
    multipletests = pytest.importorskip("statsmodels.stats.multitest").multipletests
    rng = np.random.default_rng(5)
    p = np.round(rng.uniform(0, 0.2, 40) ** 2, 3)  # rounded, so many ties
    assert adjust_pvalues(p, method) == pytest.approx(multipletests(p, method=reference)[1],
                                                      abs=1e-15)


# ------------------------------------------------------------------------------------------
# Group flags


def _nps_groups(counts, index=None) -> pd.DataFrame:
    """A grouped()-style eNPS frame from (promoters, passives, detractors) per group."""
    counts = np.asarray(counts, dtype=float)
    teams = index if index is not None else range(len(counts))
    rows = [(team, score) for team, c in zip(teams, counts, strict=True)
            for score, k in zip((10, 8, 3), c, strict=True) for _ in range(int(k))]
    data = pd.DataFrame(rows, columns=["team", "enps"])
    return cxlab.grouped(data, "enps", "team").set_index("team")


def test_a_small_unanimous_team_is_not_flagged_and_says_why():
    """Three promoters were flagged 'above' with a standard error of 0, although their own
    interval runs from -6.6 to 100."""
    frame = _nps_groups([[3, 0, 0], [10, 20, 10], [12, 16, 12], [9, 22, 9]])
    flags = flag_groups(frame)
    assert flags.iloc[0] == TOO_FEW and (flags.iloc[1:] == "").all()
    assert frame["ci_low"].iloc[0] == pytest.approx(-6.58, abs=0.01)
    # Tested anyway (min_n=1), three promoters out of 83 answers are not evidence enough.
    assert (flag_groups(frame, min_n=1) == "").all()


def test_a_planted_difference_is_found_with_exact_tests():
    rest = [[10, 20, 10]] * 6
    flags = flag_groups(_nps_groups([[9, 1, 0], *rest]))
    assert flags.iloc[0] == "above" and (flags.iloc[1:] == "").all()
    flags = flag_groups(_nps_groups([*rest, [0, 2, 12]]))
    assert flags.iloc[-1] == "below"


def test_exact_p_value_of_a_share_by_hand():
    """For a share the test is the hypergeometric draw of the group's successes: p is the
    chance of a count at least as far from the expected one (scipy's pmf, by hand)."""
    from cxlab.stats.multiple import _exact_or_score

    value, n = np.array([7 / 8, 10 / 30, 12 / 40]), np.array([8.0, 30, 40])
    has = np.ones(3, bool)
    p = _exact_or_score(value, n, np.sqrt(value * (1 - value)), has, has, "proportion")
    total, hits = 78, 29
    draw = stats.hypergeom(total, hits, 8)
    k = np.arange(0, 9)
    expected = 8 * hits / total
    far = np.abs(k - expected) >= abs(7 - expected) - 1e-9
    assert p[0] == pytest.approx(draw.pmf(k[far]).sum(), rel=1e-9)


def test_exact_nps_p_value_by_enumeration():
    """The group's promoters and detractors as a draw without replacement from all answers
    (multivariate hypergeometric), enumerated with scipy."""
    from cxlab.stats.multiple import _exact_or_score

    frame = _nps_groups([[4, 1, 0], [6, 8, 6], [5, 10, 7]])
    has = np.ones(3, bool)
    p = _exact_or_score(*(frame[c].to_numpy(float) for c in ("value", "n", "sd")), has, has,
                        "nps")
    totals, m = np.array([15, 19, 13]), 5
    expected = m * (15 - 13) / 47
    target = abs(4 - 0 - expected)
    prob = 0.0
    for x in range(m + 1):
        for y in range(m + 1 - x):
            if abs(x - y - expected) >= target - 1e-9:
                prob += stats.multivariate_hypergeom.pmf([x, m - x - y, y], totals, m)
    assert p[0] == pytest.approx(prob, rel=1e-9)


def test_large_groups_use_the_normal_approximation_of_the_same_test():
    from cxlab.stats.multiple import EXACT_MAX_N, _exact_or_score

    m = EXACT_MAX_N
    frame = _nps_groups([[m * 0.5, m * 0.3, m * 0.2], [300, 400, 300], [250, 500, 250]])
    has = np.ones(3, bool)
    args = [frame[c].to_numpy(float) for c in ("value", "n", "sd")]
    exact = _exact_or_score(*args, has, has, "nps")[0]
    bigger = [a.copy() for a in args]
    bigger[1][0] += 1  # just over the limit: the approximation
    approx = _exact_or_score(*bigger, has, has, "nps")[0]
    assert exact < 1e-6 and approx < 1e-6
    assert np.log(approx) == pytest.approx(np.log(exact), rel=0.15)


def test_means_and_plain_frames_are_tested_with_the_pooled_variance():
    rng = np.random.default_rng(4)
    values = [rng.integers(1, 6, 30) for _ in range(6)] + [np.full(6, 5)]
    data = pd.DataFrame({"team": np.repeat(np.arange(7), [30] * 6 + [6]),
                         "csat": np.concatenate(values)})
    frame = cxlab.grouped(data, "csat_mean", "team")
    flags = flag_groups(frame)
    assert flags.iloc[-1] == "above"  # six 5s among answers averaging 3: no zero SE needed
    plain = flag_groups(frame[["value", "se", "n"]])  # older callers: se and n only
    assert plain.iloc[-1] == "above"


def test_too_few_groups_or_no_answers_are_left_alone():
    frame = _nps_groups([[9, 1, 0], [1, 8, 1]])
    assert (flag_groups(frame) == "").all()
    empty = pd.DataFrame({"value": [np.nan, 10, 20, 30], "sd": [np.nan, 50, 50, 50],
                          "n": [0, 40, 40, 2], "method": "adjusted-wald"})
    assert flag_groups(empty).tolist() == ["", "", "", TOO_FEW]


def test_a_frame_without_a_spread_is_refused_by_name():
    """A frame with neither ``sd`` nor ``se`` raised pandas' bare KeyError('se')."""
    from cxlab.errors import CxlabError
    from cxlab.metrics import ColumnError

    frame = pd.DataFrame({"value": [40.0, 10.0, 12.0], "n": [80] * 3}, index=["a", "b", "c"])
    with pytest.raises(ColumnError, match=r"lack 'sd or se'.*they have \['value', 'n'\]") as err:
        flag_groups(frame)
    assert isinstance(err.value, CxlabError) and isinstance(err.value, KeyError)
    with pytest.raises(ColumnError, match="lack 'n', 'sd or se'"):
        flag_groups(frame[["value"]])
