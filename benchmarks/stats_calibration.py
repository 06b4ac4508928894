"""Calibration of the gate's statistics: A/A false-FAIL rates and interval coverage.

Larger versions of the simulations in tests/stats/test_simulation.py, for the figures in
docs/benchmarks.md.  Run: PYTHONPATH=src python benchmarks/stats_calibration.py [binary] [continuous] [power]
"""

from __future__ import annotations

import numpy as np
from scipy import stats as ss

from bouclier.stats import compare_paired, holm
from bouclier.stats.paired_proportions import newcombe_paired_bounds, newcombe_paired_pvalues

ALPHA1 = 0.025


def binary() -> None:
    rng = np.random.default_rng(1)
    reps = 40_000
    print("binary A/A, Newcombe paired (reps=40000): n | false FAIL at 0 | false PASS at 0 | false FAIL margin 0.02 | coverage")
    for n in (30, 100, 400, 2000):
        a, b, c, d = rng.multinomial(n, (0.8, 0.05, 0.05, 0.1), size=reps).T
        pa, pb = newcombe_paired_pvalues(a, b, c, d, 0.0)
        _, pbm = newcombe_paired_pvalues(a, b, c, d, -0.02)
        low, high = newcombe_paired_bounds(a, b, c, d, ss.norm.ppf(0.975))
        cov = np.mean((low <= 0) & (high >= 0))
        print(f"{n} | {np.mean(pb < ALPHA1):.4f} | {np.mean(pa < ALPHA1):.4f} | {np.mean(pbm < ALPHA1):.4f} | {cov:.4f}")
    families, k, n = 20_000, 12, 300
    a, b, c, d = rng.multinomial(n, (0.75, 0.08, 0.08, 0.09), size=families * k).T
    _, pf = newcombe_paired_pvalues(a, b, c, d, 0.0)
    pf = pf.reshape(families, k)
    adj = np.array([holm(list(r)) for r in pf])
    print(f"Holm, 12 A/A criteria x 300 cases, threshold 0 (families=20000): family-wise false FAIL "
          f"{np.mean((adj < ALPHA1).any(1)):.4f} (unadjusted {np.mean((pf < ALPHA1).any(1)):.4f})")


def continuous() -> None:
    rng = np.random.default_rng(2)
    reps = 2000
    print("continuous A/A via compare_paired (reps=2000, 1000 resamples): noise | n | false FAIL | false PASS")
    for noise, n in (("t4", 25), ("t4", 100), ("bounded", 200), ("bounded", 1000)):
        fails = passes = 0
        for rep in range(reps):
            base = rng.beta(2, 2, size=n)
            if noise == "t4":
                cand = base + 0.1 * (rng.standard_t(4, size=n) - rng.standard_t(4, size=n))
            else:
                cand = np.clip(base + rng.normal(0, 0.15, size=n), 0, 1)
                base = np.clip(base + rng.normal(0, 0.15, size=n), 0, 1)
            r = compare_paired(baseline=base, candidate=cand, threshold=0.0, seed=rep, n_resamples=1000)
            fails += r.fails
            passes += r.passes
        print(f"{noise} | {n} | {fails / reps:.4f} | {passes / reps:.4f}")


def power() -> None:
    rng = np.random.default_rng(3)

    def normal_theory(cells, n, distance, alpha):
        _, pb, pc, _ = cells
        return ss.norm.cdf(distance / np.sqrt((pb + pc - (pc - pb) ** 2) / n) - ss.norm.ppf(1 - alpha))

    print("power, accuracy 0.90 -> 0.80, 400 cases, margin 0.02 (20000 reps): cells | FAIL rate | normal theory")
    for cells in ((0.78, 0.12, 0.02, 0.08), (0.72, 0.18, 0.08, 0.02)):
        a, b, c, d = rng.multinomial(400, cells, size=20_000).T
        _, pf = newcombe_paired_pvalues(a, b, c, d, -0.02)
        print(f"{cells} | {np.mean(pf < ALPHA1):.4f} | {normal_theory(cells, 400, 0.08, ALPHA1):.4f}")
    families, k, n = 5000, 12, 200
    a, b, c, d = (x.reshape(families, k) for x in rng.multinomial(n, (0.75, 0.10, 0.10, 0.05), size=families * k).T)
    drop = (0.70, 0.15, 0.05, 0.10)
    a[:, 0], b[:, 0], c[:, 0], d[:, 0] = rng.multinomial(n, drop, size=families).T
    _, pf = newcombe_paired_pvalues(a, b, c, d, -0.02)
    adj = np.array([holm(list(r)) for r in pf])
    print(f"10-point drop (0.85 -> 0.75) in one 200-case group of 12, margin 0.02 (5000 families): "
          f"FAIL after Holm {np.mean(adj[:, 0] < ALPHA1):.4f} (normal theory "
          f"{normal_theory(drop, n, 0.08, ALPHA1 / k):.4f}), unadjusted {np.mean(pf[:, 0] < ALPHA1):.4f}, "
          f"PASS {np.mean(newcombe_paired_pvalues(a[:, 0], b[:, 0], c[:, 0], d[:, 0], -0.02)[0] < ALPHA1):.4f}")


if __name__ == "__main__":
    import sys

    parts = sys.argv[1:] or ["binary", "continuous", "power"]
    for part in parts:
        {"binary": binary, "continuous": continuous, "power": power}[part]()
