"""Time bouclier.stats.compare_paired (and friends) at several sizes.

Run: PYTHONPATH=src python benchmarks/stats_speed.py
"""

from __future__ import annotations

import platform
import time

import numpy as np

from bouclier.stats import bootstrap_quantile_ratio, compare_paired, mann_whitney


def best_of(fn, repeats=3):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    rng = np.random.default_rng(0)
    print(f"# {platform.processor() or platform.machine()}, python {platform.python_version()}")
    print("what | n | seconds (best of 3)")
    for n in (100, 1_000, 5_000, 5_001, 100_000, 1_000_000):
        base = rng.beta(2, 2, size=n)
        cand = np.clip(base + rng.normal(0, 0.1, size=n), 0, 1)
        t = best_of(lambda: compare_paired(baseline=base, candidate=cand, threshold=-0.02))
        print(f"compare_paired continuous | {n} | {t:.3f}")
        bb = (rng.random(n) < 0.9).astype(float)
        cb = (rng.random(n) < 0.9).astype(float)
        t = best_of(lambda: compare_paired(baseline=bb, candidate=cb, threshold=-0.02))
        print(f"compare_paired binary | {n} | {t:.3f}")
    for n in (1_000, 10_000):
        base, cand = rng.lognormal(3, 0.5, n), rng.lognormal(3.1, 0.5, n)
        t = best_of(lambda: mann_whitney(baseline=base, candidate=cand))
        print(f"mann_whitney + Hodges-Lehmann | {n} per arm | {t:.3f}")
        blocks = np.repeat(np.arange(n // 10), 10)
        t = best_of(lambda: bootstrap_quantile_ratio(baseline=base, candidate=cand, q=0.95, blocks=blocks))
        print(f"bootstrap_quantile_ratio p95, blocks of 10 | {n} per arm | {t:.3f}")


if __name__ == "__main__":
    main()
