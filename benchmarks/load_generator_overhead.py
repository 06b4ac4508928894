"""Overhead of the performance-suite load generator itself.

A python model that answers instantly (returns its input) is measured by the same code
as `bouclier check` (bouclier.runner.load): closed loop at concurrency 1 and 16 (an async
model, so requests really overlap), and open loop at several target rates. Reports the
achieved request rate and the latency the generator adds: client-side latency minus the
latency the adapter measured around the call itself.

    PYTHONPATH=src python benchmarks/load_generator_overhead.py [--requests 20000]
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import time

import numpy as np

from bouclier.adapters.base import Request
from bouclier.adapters.python_callable import PythonModel
from bouclier.runner.load import LoadSettings, measure_level


def instant(text: str) -> str:
    return text


async def instant_async(text: str) -> str:
    return text


def _row(label: str, level, requests: int, elapsed: float, requested: float | None = None) -> str:
    samples = [s for _, s in level.samples("baseline") if s.ok]
    client = np.array([s.latency_s for s in samples]) * 1e6
    model = np.array([s.model_latency_s for s in samples]) * 1e6
    added = client - model
    wall = sum(b.wall_s for b in level.arm("baseline"))
    rate = len(samples) / wall
    starts = [b.achieved_rate for b in level.arm("baseline") if b.achieved_rate]
    achieved = f"{np.median(starts):,.0f}" if starts else "–"
    req = "–" if requested is None else f"{requested:,.0f}"
    return (f"| {label} | {req} | {achieved} | {rate:,.0f} | {np.median(added):.1f} | "
            f"{np.quantile(added, 0.99):.1f} | {np.median(model):.1f} |")


async def main(requests: int) -> None:
    rows = [("closed loop, concurrency 1, sync model", "closed", 1.0, False),
            ("closed loop, concurrency 16, async model", "closed", 16.0, True)]
    rows += [("open loop, async model", "open", r, True) for r in (1000.0, 5000.0, 20000.0)]
    print(f"machine: {platform.machine()} {platform.processor() or ''}, python {platform.python_version()}, "
          f"date {time.strftime('%Y-%m-%d')}, {requests} requests per model")
    print("| load | requested req/s | achieved starts/s | completed req/s | added latency p50 (µs) | "
          "added p99 (µs) | model's own p50 (µs) |")
    print("|---|---|---|---|---|---|---|")
    for label, mode, value, is_async in rows:
        fn = instant_async if is_async else instant
        models = {role: PythonModel(role, fn, fingerprint="bench") for role in ("baseline", "candidate")}
        reqs = [Request(input=f"request {i}") for i in range(500)]
        settings = LoadSettings(mode=mode, requests=requests, warmup=200, block_size=500, timeout_s=60.0)
        t0 = time.perf_counter()
        level = await measure_level(models, {"baseline": reqs, "candidate": reqs}, mode=mode, value=value,
                                    settings=settings)
        print(_row(label, level, requests, time.perf_counter() - t0, value if mode == "open" else None))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20000)
    asyncio.run(main(parser.parse_args().requests))
