"""Coverage of cxlab's weighted intervals, by simulation against a known population.

cxlab's weighted estimates take their interval from Kish's effective sample size
(``cxlab.metrics.weighted_counts``). That approximation counts what unequal weights cost
and ignores any relation between the weights and the answers, so it is checked here where
it matters: weights unrelated to the answers, post-stratification to a channel whose
customers answer differently, and raking to two margins. Beside it, for reference, the
Taylor-linearization interval a survey package reports for the same weights
(``sqrt(n/(n-1) sum w^2 (y - ybar)^2) / sum w``).

Run from the checkout::

    .venv/bin/python benchmarks/validate_weights.py            # about a minute
    .venv/bin/python benchmarks/validate_weights.py --quick    # a few seconds

It prints one row per design, measure and sample size: the coverage of the nominal 95%
interval of the population value over the replicates, and the mean width. Nothing here
asserts; tests/test_weights.py holds a small, fast version that does.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

import cxlab
from cxlab.stats.weighting import RakingError, rake

LEVEL = 0.95
Z = 1.959963984540054
SEED = 20261126

#: Population: three channels, their shares and their answer distributions (0-10 scores
#: drawn as 10, 8 or 3, so promoter, passive or detractor).
CHANNELS = {"phone": 0.55, "chat": 0.30, "email": 0.15}
ANSWERS = {"phone": (0.30, 0.25, 0.45), "chat": (0.60, 0.30, 0.10), "email": (0.45, 0.30, 0.25)}
#: How the sample over-represents channels (relative response propensity).
PROPENSITY = {"phone": 0.4, "chat": 1.5, "email": 1.0}
#: Segments, independent of channel in the population; in the sample, enterprise customers
#: answer twice as readily.
SEGMENTS = {"smb": 0.7, "ent": 0.3}
SEGMENT_PROPENSITY = {"smb": 1.0, "ent": 2.0}
SEGMENT_SHIFT = 0.10  # enterprise customers are 10 points more often promoters


def _truth(channel_bias: bool = False, segment_bias: bool = False) -> float:
    """The NPS of the population, or of the population as the sample reaches it.

    ``channel_bias`` and ``segment_bias`` keep the sample's over-representation of chat or
    of enterprise customers: what an estimate corrected for the other one only is after.
    """
    total, nps = 0.0, 0.0
    for channel, share in CHANNELS.items():
        promoter, _, detractor = ANSWERS[channel]
        for segment, seg_share in SEGMENTS.items():
            mass = (share * seg_share * (PROPENSITY[channel] if channel_bias else 1)
                    * (SEGMENT_PROPENSITY[segment] if segment_bias else 1))
            shift = SEGMENT_SHIFT if segment == "ent" else 0.0
            nps += mass * 100 * ((promoter + shift) - (detractor - shift))
            total += mass
    return nps / total


def _sample(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """``n`` answers drawn with the channels' and segments' response propensities."""
    cells = [(c, s) for c in CHANNELS for s in SEGMENTS]
    p = np.array([CHANNELS[c] * SEGMENTS[s] * PROPENSITY[c] * SEGMENT_PROPENSITY[s]
                  for c, s in cells])
    pick = rng.choice(len(cells), n, p=p / p.sum())
    channel = np.array([cells[i][0] for i in pick])
    segment = np.array([cells[i][1] for i in pick])
    u = rng.random(n)
    promoter = np.array([ANSWERS[c][0] for c in channel]) + np.where(segment == "ent",
                                                                     SEGMENT_SHIFT, 0)
    detractor = np.array([ANSWERS[c][2] for c in channel]) - np.where(segment == "ent",
                                                                      SEGMENT_SHIFT, 0)
    score = np.where(u < promoter, 10, np.where(u > 1 - detractor, 3, 8))
    return pd.DataFrame({"channel": channel, "segment": segment, "nps": score})


def _linearized(scores: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    """The Taylor-linearization 95% interval of a weighted NPS (no strata or clusters)."""
    y = 100.0 * ((scores >= 9).astype(float) - (scores <= 6).astype(float))
    total = w.sum()
    mean = float(w @ y) / total
    n = len(y)
    se = np.sqrt(n / (n - 1) * np.sum((w * (y - mean)) ** 2)) / total
    return mean - Z * se, mean + Z * se


def _weights(design: str, data: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    if design == "unrelated weights (cv 1)":
        return rng.gamma(1.0, 1.0, len(data))
    if design == "post-stratified by channel":
        return rake(data, {"channel": CHANNELS}).weights.to_numpy()
    return rake(data, {"channel": CHANNELS, "segment": SEGMENTS}).weights.to_numpy()


DESIGNS = ("unrelated weights (cv 1)", "post-stratified by channel",
           "raked to channel and segment")


#: Answers per sample in the full run.
SIZES = (30, 100, 400, 1500)


def coverage_rows(reps: int = 1000, sizes: tuple[int, ...] = SIZES) -> list[dict]:
    """One row per design and sample size: coverage and width of both intervals."""
    rng = np.random.default_rng(SEED)
    #: what each design's weights aim at: weights unrelated to the answers leave the
    #: sampled population's NPS; post-stratifying by channel corrects the channels only.
    truths = {DESIGNS[0]: _truth(channel_bias=True, segment_bias=True),
              DESIGNS[1]: _truth(segment_bias=True), DESIGNS[2]: _truth()}
    rows = []
    for design in DESIGNS:
        for n in sizes:
            hits = {"kish": 0, "linearized": 0, "unweighted": 0}
            width = {"kish": 0.0, "linearized": 0.0, "unweighted": 0.0}
            skipped = 0
            for _ in range(reps):
                data = _sample(rng, n)
                truth = truths[design]
                try:
                    w = _weights(design, data, rng)
                except RakingError:  # a channel without answers: no weights exist
                    skipped += 1
                    continue
                intervals = {"kish": cxlab.nps(data["nps"], weights=w).ci,
                             "linearized": _linearized(data["nps"].to_numpy(), w),
                             "unweighted": cxlab.nps(data["nps"]).ci}
                for key, (low, high) in intervals.items():
                    hits[key] += low <= truth <= high
                    width[key] += high - low
            used = reps - skipped
            rows.append({"design": design, "n": n, "replicates": used,
                         "not_weightable": skipped,
                         **{f"coverage_{k}": hits[k] / used for k in hits},
                         **{f"width_{k}": width[k] / used for k in width}})
            row = rows[-1]
            print(f"  {design:30} n={n:5}: Kish {row['coverage_kish']:.3f} "
                  f"(width {row['width_kish']:.1f}), linearized "
                  f"{row['coverage_linearized']:.3f} (width {row['width_linearized']:.1f}), "
                  f"unweighted {row['coverage_unweighted']:.3f}"
                  + (f"; {skipped} sample(s) lacked a channel" if skipped else ""), flush=True)
    return rows


def main() -> None:
    """Print the coverage table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer replicates and sizes")
    args = parser.parse_args()
    start = time.perf_counter()
    print(f"Weighted NPS: coverage of the nominal {LEVEL:.0%} interval (population NPS "
          f"{_truth():.2f}; as sampled {_truth(True, True):.2f})")
    coverage_rows(150, (50, 400)) if args.quick else coverage_rows()
    print(f"done in {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
