"""Type-I error and power of the EX -> CX linkage model, by simulation.

Each design has ``teams`` teams surveyed over ``quarters`` quarters. A team's engagement is a
stable team level plus a quarter-to-quarter change; its customers' NPS in a team-quarter is a
team level plus a team-quarter shift (standard deviation ``tq_sd`` NPS points, 5 to 20) plus
``slope`` points per engagement point, and each customer answers promoter / passive /
detractor with those shares. Under ``slope = 0`` the share of p-values below 0.05 is the
type-I error; the model without the team-quarter level (:func:`random_intercept_reml` on the
responses) is shown beside it for contrast.

Run: ``python benchmarks/validate_linkage.py [--runs 1000]``.
"""

from __future__ import annotations

import argparse
import itertools

import numpy as np
import pandas as pd
from scipy import stats

from cxlab.stats import linkage


def simulate_cells(rng: np.random.Generator, teams: int, quarters: int, tq_sd: float,
                   slope: float, answers: float = 60.0, team_sd: float = 10.0) -> pd.DataFrame:
    """One data set as team-quarter sums (team, quarter, x, n, sy, syy)."""
    team = np.repeat(np.arange(teams), quarters)
    quarter = np.tile(np.arange(quarters), teams)
    x = 3.6 + rng.normal(0, 0.3, teams)[team] + rng.normal(0, 0.2, teams * quarters)
    mean = (20 + slope * (x - 3.6) + rng.normal(0, team_sd, teams)[team]
            + rng.normal(0, tq_sd, teams * quarters))
    mean = np.clip(mean, -65, 65)
    passive = 0.3
    promoter = (1 - passive + mean / 100) / 2
    n = rng.poisson(answers, teams * quarters) + 2
    counts = np.array([rng.multinomial(k, [p, passive, 1 - passive - p])
                       for k, p in zip(n, promoter, strict=True)])
    sy = 100.0 * (counts[:, 0] - counts[:, 2])
    syy = 10000.0 * (counts[:, 0] + counts[:, 2])
    return pd.DataFrame({"team": team, "quarter": quarter, "x": x, "n": n.astype(float),
                         "sy": sy, "syy": syy})


def team_only_p(cells: pd.DataFrame) -> float:
    """P-value of the earlier model (team intercept only), from the same sums."""
    from cxlab.stats.linkage import _reml_from_sums

    n, x = cells["n"].to_numpy(float), cells["x"].to_numpy(float)
    xc = x - (n @ x) / n.sum()
    sy = cells["sy"].to_numpy(float)
    fit = _reml_from_sums(cells["team"].to_numpy(), n, n * xc, n * xc**2, sy, xc * sy,
                          cells["syy"].to_numpy(float))
    return float(2 * stats.norm.sf(abs(fit.slope / fit.slope_se)))


def run(runs: int, seed: int = 20261126) -> pd.DataFrame:
    """Type-I error (both models) and power per design, ``runs`` data sets each."""
    rng = np.random.default_rng(seed)
    rows = []
    for (teams, quarters), tq_sd in itertools.product([(4, 4), (8, 4), (8, 8), (16, 4)],
                                                      [5.0, 10.0, 20.0]):
        for slope in (0.0, 15.0):
            new, old = [], []
            for _ in range(runs):
                cells = simulate_cells(rng, teams, quarters, tq_sd, slope)
                new.append(linkage.fit(cells, "engagement", "nps", 1).p_value)
                if slope == 0:
                    old.append(team_only_p(cells))
            row = {"teams": teams, "quarters": quarters, "tq_sd": tq_sd, "slope": slope,
                   "reject": float(np.mean(np.array(new) < 0.05))}
            if old:
                row["reject_team_only"] = float(np.mean(np.array(old) < 0.05))
            rows.append(row)
    frame = pd.DataFrame(rows)
    size = frame[frame["slope"] == 0].drop(columns="slope").rename(
        columns={"reject": "type_I", "reject_team_only": "type_I_team_only"})
    power = frame[frame["slope"] > 0][["teams", "quarters", "tq_sd", "reject"]].rename(
        columns={"reject": "power_15pts"})
    return size.merge(power, on=["teams", "quarters", "tq_sd"])


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    args = parser.parse_args()
    table = run(args.runs)
    print(f"{args.runs} simulated data sets per design; nominal level 0.05; "
          "power at 15 NPS points per engagement point")
    print(table.to_string(index=False, float_format=lambda v: f"{v:.3f}"))


if __name__ == "__main__":
    main()
