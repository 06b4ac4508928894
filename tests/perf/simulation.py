"""Seeded simulated latencies pushed through the same judging code as a real run."""

from __future__ import annotations

import numpy as np

from bouclier.config.performance import LatencyCriterion
from bouclier.gate.judge import JudgeOptions
from bouclier.gate.performance import ArmData, LevelData, Series, SuiteData, judge_suite


def simulated_arm(rng: np.random.Generator, *, blocks: int, per_block: int, drift: np.ndarray,
                  slowdown: float = 1.0) -> ArmData:
    """Lognormal service times (median 20 ms, heavy right tail) times a per-block machine
    drift shared by both models, times the candidate's slowdown."""
    block_ids = np.repeat(np.arange(blocks), per_block)
    values = rng.lognormal(np.log(20.0), 0.35, size=blocks * per_block) * drift[block_ids] * slowdown
    n = values.size
    return ArmData(latency_ms=Series(values, block_ids), ttft_ms=Series(np.array([]), np.array([], dtype=np.int64)),
                   tokens_per_s=Series(np.array([]), np.array([], dtype=np.int64)), failed=np.zeros(n),
                   timed_out=np.zeros(n), block_throughput={}, usd=np.full(n, np.nan))


def simulated_run(seed: int, *, slowdown: float, criteria: list[LatencyCriterion], blocks: int = 15,
                  per_block: int = 20, n_resamples: int = 400) -> list:
    rng = np.random.default_rng(seed)
    drift = rng.lognormal(0.0, 0.15, size=blocks)  # the shared machine: some blocks 30% slower
    level = LevelData("concurrency 1", simulated_arm(rng, blocks=blocks, per_block=per_block, drift=drift),
                      simulated_arm(rng, blocks=blocks, per_block=per_block, drift=drift, slowdown=slowdown))
    options = JudgeOptions(confidence=0.95, seed=seed, n_resamples=n_resamples)
    return judge_suite(criteria, SuiteData("sim", [level]), options)
