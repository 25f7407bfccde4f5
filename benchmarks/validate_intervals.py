"""Coverage and error rates of cxlab's intervals, tests and group flags, by simulation.

Every published interval is checked against a known truth, not only against a formula
(issue 16). Where the outcomes can be listed (NPS counts, shares) coverage is computed
exactly by enumeration, with no simulation noise; means and group flags are simulated.
Run from the checkout::

    .venv/bin/python benchmarks/validate_intervals.py            # everything (about 2 min)
    .venv/bin/python benchmarks/validate_intervals.py --quick    # fewer draws (about 20 s)
    .venv/bin/python benchmarks/validate_intervals.py --only compare flags

It prints one row per design: the lowest and the mean coverage over a grid of true values
and the share of the grid under 0.93 (for intervals), the largest type-I error over the
true values (for tests), and for group flags the share of groups flagged when nothing
differs, by group size, and how often a planted difference is found.
Nothing here asserts: tests/test_coverage.py holds small, fast versions that do. Each
section function also returns its rows, from which benchmarks/validation_page.py builds the
site's validation page.
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict

import numpy as np
import pandas as pd
from scipy.special import gammaln, xlogy

from cxlab import metrics
from cxlab.stats import flag_groups

LEVEL = 0.95
ROWS: list[dict] = []
SEED = 20261126
RNG = np.random.default_rng(SEED)

#: True NPS distributions (promoters, detractors) for comparisons: from -85 to +95 points,
#: with little and much spread.
NPS_TRUTHS = [(0.05, 0.9), (0.1, 0.6), (0.2, 0.4), (0.3, 0.3), (0.35, 0.15), (0.5, 0.3),
              (0.5, 0.1), (0.6, 0.05), (0.75, 0.15), (0.8, 0.05), (0.9, 0.02), (0.95, 0.0)]
#: True answer distributions on a 1-5 scale, from the floor to the ceiling.
LIKERT = {
    "flat": [0.2] * 5, "centre": [0.05, 0.2, 0.5, 0.2, 0.05],
    "high": [0.02, 0.05, 0.13, 0.4, 0.4], "top": [0, 0, 0.05, 0.15, 0.8],
    "very top": [0, 0, 0.02, 0.08, 0.9], "low": [0.5, 0.3, 0.1, 0.05, 0.05],
    "split": [0.4, 0.1, 0, 0.1, 0.4], "bottom": [0.9, 0.08, 0.02, 0, 0],
}
SHARES = np.round(np.arange(0.05, 0.951, 0.05), 2)


def reseed(seed: int = SEED) -> None:
    """Start the simulated draws again from ``seed`` (the script itself seeds once)."""
    global RNG
    RNG = np.random.default_rng(seed)


def row(section: str, design: str, method: str, **values) -> dict:
    """Print one result now, keep it for the final table, and return it."""
    result = {"section": section, "design": design, "method": method, **values}
    ROWS.append(result)
    shown = ", ".join(f"{k} {v}" for k, v in values.items())
    print(f"  {section} | {design} | {method}: {shown}", flush=True)
    return result


def fmt(x: float) -> str:
    """A number to three decimals, or '-'."""
    return "-" if x is None or np.isnan(x) else f"{x:.3f}"


def summary(coverage: np.ndarray) -> dict:
    """Lowest and mean coverage over the grid, and the share of the grid under 0.93."""
    return {"cov_min": fmt(coverage.min()), "cov_mean": fmt(coverage.mean()),
            "share_below_0.93": fmt((coverage < 0.93).mean())}


# ------------------------------------------------------------------------------------------
# Enumeration helpers


def trinomial_outcomes(n: int) -> tuple[np.ndarray, np.ndarray]:
    """All (promoters, detractors) counts of n answers."""
    p, d = np.meshgrid(np.arange(n + 1), np.arange(n + 1), indexing="ij")
    ok = p + d <= n
    return p[ok].astype(float), d[ok].astype(float)


def trinomial_pmf(p_cnt, d_cnt, n, p, d) -> np.ndarray:
    """Probability of each (promoters, detractors) count under shares p and d."""
    a_cnt = n - p_cnt - d_cnt
    return np.exp(gammaln(n + 1) - gammaln(p_cnt + 1) - gammaln(a_cnt + 1) - gammaln(d_cnt + 1)
                  + xlogy(p_cnt, p) + xlogy(a_cnt, max(1 - p - d, 0)) + xlogy(d_cnt, d))


def binom_pmf(k, n, p) -> np.ndarray:
    """Binomial probabilities, zero shares allowed."""
    return np.exp(gammaln(n + 1) - gammaln(k + 1) - gammaln(n - k + 1)
                  + xlogy(k, p) + xlogy(n - k, 1 - p))


# ------------------------------------------------------------------------------------------
# Single estimates


def single_nps() -> list[dict]:
    """Adjusted-Wald (and plain Wald) NPS intervals, exactly, over shares in steps of 0.05."""
    start = len(ROWS)
    truths = [(p, d) for p in np.arange(0, 1.001, 0.05) for d in np.arange(0, 1.001, 0.05)
              if p + d <= 1 + 1e-9 and 0 < p + d]
    for method in ("adjusted-wald", "wald"):
        for n in (1, 3, 5, 10, 20, 50, 100, 200):
            p_cnt, d_cnt = trinomial_outcomes(n)
            _, _, low, high = metrics.nps_interval(p_cnt, n - p_cnt - d_cnt, d_cnt, method)
            cover = np.array([trinomial_pmf(p_cnt, d_cnt, n, p, d)
                              @ ((low <= 100 * (p - d) + 1e-9) & (100 * (p - d) - 1e-9 <= high))
                              for p, d in truths])
            row("estimate", f"NPS n={n}", method, **summary(cover))
    return ROWS[start:]


def single_share() -> list[dict]:
    """Wilson intervals, exactly, over shares 0.01 to 0.99."""
    start = len(ROWS)
    grid = np.arange(0.01, 0.991, 0.01)
    for n in (3, 5, 10, 20, 50, 100, 200):
        k = np.arange(n + 1.0)
        _, _, low, high = metrics.wilson_interval(k, n)
        cover = np.array([binom_pmf(k, n, p) @ ((low <= p) & (p <= high)) for p in grid])
        row("estimate", f"share n={n}", "wilson", **summary(cover))
    return ROWS[start:]


def single_mean(reps: int) -> list[dict]:
    """Intervals of a 1-5 mean, simulated: plain Student t, and with the scale's pseudo-answers."""
    start = len(ROWS)
    values = np.arange(1, 6)
    for n in (2, 3, 5, 10, 30, 100):
        for method, scale in (("t", None), ("adjusted t", (1, 5))):
            cover = []
            for probs in LIKERT.values():
                x = RNG.choice(values, size=(reps, n), p=probs)
                m2 = ((x - x.mean(1, keepdims=True)) ** 2).sum(1)
                _, _, low, high = metrics.mean_interval(n, x.sum(1), sum_sq_dev=m2, scale=scale)
                truth = values @ probs
                cover.append(np.mean((low <= truth + 1e-12) & (truth - 1e-12 <= high)))
            row("estimate", f"mean 1-5 n={n}", method, **summary(np.array(cover)),
                note="8 distributions, floor to ceiling")
    return ROWS[start:]


# ------------------------------------------------------------------------------------------
# Comparisons


def compare_nps(reps: int) -> list[dict]:
    """Intervals and tests of an NPS difference: exact where the outcomes can be listed."""
    start = len(ROWS)
    for n1, n2 in ((5, 5), (10, 10), (20, 200), (50, 50), (200, 200)):
        if (n1 + 1) * (n1 + 2) * (n2 + 1) * (n2 + 2) / 4 <= 6e6:
            cover, size, disagree = _nps_exact(n1, n2)
            how = "exact"
        else:
            cover, size, disagree = _nps_simulated(n1, n2, reps)
            how = f"{reps} draws per pair"
        row("compare", f"NPS {n1} vs {n2}", "Welch, adjusted answers", **summary(cover),
            type1_max=fmt(size.max()), test_vs_ci_disagreements=str(disagree), how=how)
    return ROWS[start:]


def _nps_exact(n1: int, n2: int):
    p1, d1 = trinomial_outcomes(n1)
    p2, d2 = trinomial_outcomes(n2)
    args = [x[:, None] * np.ones((1, len(p2))) for x in (p1, n1 - p1 - d1, d1)]
    args += [x[None, :] * np.ones((len(p1), 1)) for x in (p2, n2 - p2 - d2, d2)]
    _, _, pval, low, high = metrics.nps_difference(*args)
    disagree = int(((pval < 1 - LEVEL) != ((low > 0) | (high < 0))).sum())
    w1 = {t: trinomial_pmf(p1, d1, n1, *t) for t in NPS_TRUTHS}
    w2 = {t: trinomial_pmf(p2, d2, n2, *t) for t in NPS_TRUTHS}
    by_delta = defaultdict(list)
    for t1 in NPS_TRUTHS:
        for t2 in NPS_TRUTHS:
            by_delta[round(100 * (t1[0] - t1[1] - t2[0] + t2[1]), 9)].append((t1, t2))
    cover, size = [], []
    for delta, pairs in by_delta.items():
        inside = ((low <= delta + 1e-9) & (delta - 1e-9 <= high)).astype(float)
        for t1, t2 in pairs:
            cover.append(w1[t1] @ inside @ w2[t2])
            if t1 == t2:
                size.append(1 - cover[-1])
    return np.array(cover), np.array(size), disagree


def _nps_simulated(n1: int, n2: int, reps: int):
    cover, size, disagree = [], [], 0
    for t1 in NPS_TRUTHS:
        a = RNG.multinomial(n1, [t1[0], 1 - sum(t1), t1[1]], size=(len(NPS_TRUTHS), reps))
        for j, t2 in enumerate(NPS_TRUTHS):
            b = RNG.multinomial(n2, [t2[0], 1 - sum(t2), t2[1]], size=reps)
            _, _, pval, low, high = metrics.nps_difference(*a[j].T, *b.T)
            delta = 100 * (t1[0] - t1[1] - t2[0] + t2[1])
            cover.append(np.mean((low <= delta + 1e-9) & (delta - 1e-9 <= high)))
            disagree += int(((pval < 1 - LEVEL) != ((low > 0) | (high < 0))).sum())
            if t1 == t2:
                size.append(1 - cover[-1])
    return np.array(cover), np.array(size), disagree


def compare_shares() -> list[dict]:
    """Miettinen-Nurminen intervals and tests of a difference of shares, exactly."""
    start = len(ROWS)
    for n1, n2 in ((5, 5), (10, 10), (20, 200), (50, 50), (200, 200)):
        k1, k2 = np.meshgrid(np.arange(n1 + 1.0), np.arange(n2 + 1.0), indexing="ij")
        _, _, pval, low, high = metrics.proportion_difference(k1, n1, k2, n2)
        disagree = int(((pval < 1 - LEVEL) != ((low > 0) | (high < 0))).sum())
        b1 = {p: binom_pmf(np.arange(n1 + 1.0), n1, p) for p in SHARES}
        b2 = {p: binom_pmf(np.arange(n2 + 1.0), n2, p) for p in SHARES}
        cover, size = [], []
        for p1 in SHARES:
            for p2 in SHARES:
                delta = p1 - p2
                inside = (low <= delta + 1e-12) & (delta - 1e-12 <= high)
                cover.append(b1[p1] @ inside @ b2[p2])
                if p1 == p2:
                    size.append(1 - cover[-1])
        row("compare", f"share {n1} vs {n2}", "Miettinen-Nurminen score",
            **summary(np.array(cover)), type1_max=fmt(max(size)),
            test_vs_ci_disagreements=str(disagree), how="exact, shares 0.05 to 0.95")
    return ROWS[start:]


def compare_means(reps: int) -> list[dict]:
    """Welch intervals and tests of a difference of 1-5 means, with and without the scale."""
    start = len(ROWS)
    values = np.arange(1, 6)
    for n1, n2 in ((5, 5), (10, 10), (20, 200), (50, 50)):
        draws = {name: [RNG.choice(values, size=(reps, n), p=p) for n in (n1, n2)]
                 for name, p in LIKERT.items()}
        sums = {name: [(n, x.mean(1), ((x - x.mean(1, keepdims=True)) ** 2).sum(1))
                       for n, x in zip((n1, n2), xs, strict=True)]
                for name, xs in draws.items()}
        for scale, label in (((1, 5), "Welch, adjusted answers"), (None, "plain Welch")):
            cover, size, disagree = [], [], 0
            for a, pa in LIKERT.items():
                for b, pb in LIKERT.items():
                    _, _, pval, low, high = metrics.mean_difference(
                        *sums[a][0], *sums[b][1], scale=scale)
                    delta = values @ pa - values @ pb
                    ok = ~np.isnan(pval)
                    cover.append(np.mean(((low <= delta + 1e-12) & (delta - 1e-12 <= high))[ok]))
                    disagree += int(((pval < 1 - LEVEL) != ((low > 0) | (high < 0)))[ok].sum())
                    if a == b:
                        size.append(1 - cover[-1])
            row("compare", f"mean 1-5 {n1} vs {n2}", label, **summary(np.array(cover)),
                type1_max=fmt(max(size)), test_vs_ci_disagreements=str(disagree),
                how=f"{reps} draws per pair")
    return ROWS[start:]


# ------------------------------------------------------------------------------------------
# Group flags

#: One client's teams: from 3 to 200 answers each.
TEAM_SIZES = np.array([3, 4, 5, 6, 8, 10, 15, 20, 30, 50, 100, 200])


def _enps_frame(counts: np.ndarray) -> pd.DataFrame:
    """grouped()-style frame from (promoters, passives, detractors) per group."""
    value, se, low, high = metrics.nps_interval(*counts.T)
    n = counts.sum(1)
    p, d = counts[:, 0] / n, counts[:, 2] / n
    return pd.DataFrame({"value": value, "se": se, "ci_low": low, "ci_high": high, "n": n,
                         "method": "adjusted-wald",
                         "sd": 100 * np.sqrt(p + d - (p - d) ** 2)})


def _old_flags(frame: pd.DataFrame, alpha: float = 0.05) -> np.ndarray:
    """The rule before issue 16, for contrast: a z test with each group's plain Wald SE."""
    from scipy import stats

    from cxlab.stats import adjust_pvalues

    value, n = frame["value"].to_numpy(), frame["n"].to_numpy()
    se = frame["sd"].to_numpy() / np.sqrt(n)
    p = np.empty(len(value))
    for i in range(len(value)):
        w = np.delete(n, i) / np.delete(n, i).sum()
        rest, rest_var = w @ np.delete(value, i), (w**2) @ np.delete(se, i) ** 2
        p[i] = 2 * stats.norm.sf(abs(value[i] - rest) / np.sqrt(se[i] ** 2 + rest_var))
    return adjust_pvalues(p, "bh") < alpha


def flags(reps: int) -> list[dict]:
    """False flags when no team differs, by team size; and planted differences found."""
    start = len(ROWS)
    from cxlab.stats.multiple import _exact_or_score

    for label, truth in (("eNPS 0 (30/40/30)", (0.3, 0.4, 0.3)),
                         ("eNPS +40 (50/40/10)", (0.5, 0.4, 0.1)),
                         ("eNPS +75 (80/15/5)", (0.8, 0.15, 0.05))):
        flagged = np.zeros(len(TEAM_SIZES))
        old = np.zeros(len(TEAM_SIZES))
        rejected = np.zeros(len(TEAM_SIZES))
        for _ in range(reps):
            counts = np.array([RNG.multinomial(m, truth) for m in TEAM_SIZES])
            frame = _enps_frame(counts)
            flagged += flag_groups(frame, min_n=5).isin(["above", "below"]).to_numpy()
            old += _old_flags(frame)
            everyone = np.ones(len(TEAM_SIZES), bool)
            p = _exact_or_score(frame["value"].to_numpy(), frame["n"].to_numpy(float),
                                frame["sd"].to_numpy(), everyone, everyone, "nps")
            rejected += p < 0.05
        for name, counts_ in (("flag (BH, min n 5)", flagged), ("test alone, unadjusted", rejected),
                              ("old flag (Wald z, BH)", old)):
            rates = counts_ / reps
            row("flags", f"no difference, {label}", name,
                by_size=" ".join(f"{m}:{r:.3f}" for m, r in zip(TEAM_SIZES, rates, strict=True)),
                max=fmt(rates.max()))
    other_kinds(reps)
    for size, shift in ((10, (0.9, 0.1, 0.0)), (30, (0.6, 0.3, 0.1)), (100, (0.45, 0.4, 0.15))):
        found = 0
        wrong = 0
        for _ in range(reps):
            counts = np.array([RNG.multinomial(m, (0.3, 0.4, 0.3)) for m in TEAM_SIZES]
                              + [RNG.multinomial(size, shift)])
            result = flag_groups(_enps_frame(counts)).to_numpy()
            found += result[-1] == "above"
            wrong += np.isin(result[:-1], ["above", "below"]).sum()
        row("flags", f"planted: team of {size} at eNPS {100 * (shift[0] - shift[2]):+.0f} "
                     f"among 12 at 0", "flag (BH, min n 5)", found=fmt(found / reps),
            false_flags_per_other_team=fmt(wrong / reps / len(TEAM_SIZES)))
    return ROWS[start:]


def other_kinds(reps: int) -> list[dict]:
    """False flags for shares (exact test) and 1-5 means (pooled normal test), by size."""
    start = len(ROWS)
    values = np.arange(1, 6)
    for label, probs in (("share 4-5, true 0.8", None), ("mean 1-5, ceiling (90% 5s)",
                                                         LIKERT["very top"]),
                         ("mean 1-5, flat", LIKERT["flat"])):
        flagged = np.zeros(len(TEAM_SIZES))
        for _ in range(reps):
            if probs is None:
                share = RNG.binomial(TEAM_SIZES, 0.8) / TEAM_SIZES
                frame = pd.DataFrame({"value": share, "n": TEAM_SIZES, "method": "wilson",
                                      "sd": np.sqrt(share * (1 - share))})
            else:
                answers = [RNG.choice(values, size=m, p=probs) for m in TEAM_SIZES]
                frame = pd.DataFrame({"value": [a.mean() for a in answers], "n": TEAM_SIZES,
                                      "method": "t", "sd": [a.std(ddof=1) for a in answers]})
            flagged += flag_groups(frame).isin(["above", "below"]).to_numpy()
        rates = flagged / reps
        row("flags", f"no difference, {label}", "flag (BH, min n 5)",
            by_size=" ".join(f"{m}:{r:.3f}" for m, r in zip(TEAM_SIZES, rates, strict=True)),
            max=fmt(rates.max()))
    return ROWS[start:]


# ------------------------------------------------------------------------------------------


#: Simulated draws per design or data sets per team size, (--quick, full).
DRAWS = {"mean": (4000, 20000), "compare_nps": (4000, 20000), "compare_means": (2000, 10000),
         "flags": (200, 2000)}


def draws(name: str, quick: bool) -> int:
    """The number of draws for ``name`` in a quick or a full run."""
    return DRAWS[name][0 if quick else 1]


#: Each section returns its rows (dicts with section, design, method and the results).
SECTIONS = {
    "estimates": lambda quick: [*single_nps(), *single_share(),
                                *single_mean(draws("mean", quick))],
    "compare": lambda quick: [*compare_nps(draws("compare_nps", quick)), *compare_shares(),
                              *compare_means(draws("compare_means", quick))],
    "flags": lambda quick: flags(draws("flags", quick)),
}


def main() -> None:
    """Run the sections asked for and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer simulated draws")
    parser.add_argument("--only", nargs="+", choices=sorted(SECTIONS), help="some sections")
    args = parser.parse_args()
    start = time.time()
    for name in args.only or SECTIONS:
        print(f"{name} ...", flush=True)
        SECTIONS[name](args.quick)
    table = pd.DataFrame(ROWS)
    with pd.option_context("display.max_rows", None, "display.max_columns", None,
                           "display.width", 250, "display.max_colwidth", 120):
        for section, part in table.groupby("section", sort=False):
            print(f"\n{section}")
            print(part.drop(columns="section").dropna(axis=1, how="all").fillna("")
                  .to_string(index=False))
    print(f"\n{time.time() - start:.0f} s")


if __name__ == "__main__":
    main()
