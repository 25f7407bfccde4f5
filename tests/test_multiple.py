"""Multiple-comparison adjustments: by hand, and against statsmodels as a reference."""

import numpy as np
import pytest

from cxlab.stats import adjust_pvalues


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
