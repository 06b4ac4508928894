"""The load generator of performance suites: interleaved A/B blocks, closed or open loop.

Both models are measured in the same run, alternately, in blocks of ``block_size``
requests: pair ``b`` measures baseline then candidate when ``b`` is even, candidate then
baseline when odd (A B, B A, ...), on the *same* inputs. Drift of the machine or of a
remote API (another job starting, thermal throttling, a noisy neighbour) therefore hits
both models within each block pair and, with the order alternating, cancels even when it
is linear in time; the judge resamples whole block pairs.

* **closed loop** (``concurrency`` c): c clients, each sending its next request as soon as
  its previous one answered. Latency is measured from the moment a request is sent.
* **open loop** (``rate_per_s`` r): requests start at r per second (evenly spaced or a
  seeded Poisson process) whatever the answers, up to ``max_in_flight``. Latency counts
  from the *scheduled* start, so a generator or model that falls behind shows up as
  latency (no coordinated omission), and the achieved start rate is reported next to the
  requested one.

Every request is sent once: no retries (a retry would hide a slow or failing answer) and
never the response cache. A request that fails counts in the error rate; one that takes
longer than ``timeout_s`` is a timeout (measured after the fact for in-process models
that cannot be interrupted).
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass, field
from time import perf_counter
from typing import Callable, Sequence

import numpy as np

from bouclier.adapters.base import ModelCallError, Model, Request
from bouclier.errors import InfrastructureError

ROLES = ("baseline", "candidate")
BUDGET = "budget"  # ModelCallError kind of a call refused by run.max_cost_usd


@dataclass(slots=True)
class Sample:
    """One measured request."""

    case_index: int
    ok: bool
    latency_s: float  # client side: from the send (closed) or the scheduled start (open)
    model_latency_s: float | None = None  # as the adapter measured it
    ttft_s: float | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    output: str | None = None
    error_kind: str | None = None
    error: str | None = None
    decode_s: float | None = None  # streaming: from the first to the last token

    @property
    def timed_out(self) -> bool:
        return self.error_kind == "timeout"

    @property
    def tokens_per_s(self) -> float | None:
        """Decode speed: (output tokens - 1) / (time from first to last token)."""
        if not self.ok or self.decode_s is None or not self.output_tokens or self.output_tokens < 2:
            return None
        if self.decode_s <= 0:
            return None
        return (self.output_tokens - 1) / self.decode_s


@dataclass
class ArmBlock:
    """One model's share of one block."""

    role: str
    block: int
    samples: list[Sample]
    wall_s: float
    achieved_rate: float | None = None
    max_in_flight: int = 0

    @property
    def throughput(self) -> float:
        done = sum(s.ok for s in self.samples)
        return done / self.wall_s if self.wall_s > 0 else math.inf


@dataclass
class LevelMeasurement:
    mode: str  # closed | open
    value: float  # concurrency or rate
    blocks: list[ArmBlock] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"concurrency {int(self.value)}" if self.mode == "closed" else f"{self.value:g} req/s"

    def arm(self, role: str) -> list[ArmBlock]:
        return [b for b in self.blocks if b.role == role]

    def samples(self, role: str) -> list[tuple[int, Sample]]:
        """(block, sample) of one model, in measurement order."""
        return [(b.block, s) for b in self.arm(role) for s in b.samples]

    @property
    def n_blocks(self) -> int:
        return len({b.block for b in self.blocks})


@dataclass(frozen=True)
class LoadSettings:
    mode: str = "closed"
    requests: int | None = 200  # per model and level; None: duration_s
    duration_s: float | None = None
    warmup: int = 10
    block_size: int = 20
    arrivals: str = "constant"
    max_in_flight: int = 256
    timeout_s: float = 60.0
    seed: int = 0


async def _call(model: Model, request: Request, index: int, start: float, timeout_s: float,
                own_timeout: bool) -> Sample:
    sent = perf_counter()
    try:
        if own_timeout:
            completion = await model.complete(request)
        else:
            async with asyncio.timeout(timeout_s):
                completion = await model.complete(request)
    except ModelCallError as exc:
        return Sample(index, False, perf_counter() - start, exc.latency_s, error_kind=exc.kind, error=str(exc))
    except TimeoutError:
        return Sample(index, False, perf_counter() - start, error_kind="timeout",
                      error=f"model '{model.name}' did not answer within {timeout_s:g} s")
    latency = perf_counter() - start
    lag = sent - start
    ttft = None if completion.ttft_s is None else completion.ttft_s + lag
    if latency > timeout_s:  # an inline model could not be interrupted
        return Sample(index, False, latency, completion.latency_s, error_kind="timeout",
                      error=f"model '{model.name}' answered after {latency:.3g} s (timeout {timeout_s:g} s)")
    decode = None if completion.ttft_s is None else completion.latency_s - completion.ttft_s
    return Sample(index, True, latency, completion.latency_s, ttft, completion.input_tokens,
                  completion.output_tokens, completion.output, decode_s=decode)


class _InFlight:
    def __init__(self) -> None:
        self.now = 0
        self.peak = 0

    def enter(self) -> None:
        self.now += 1
        self.peak = max(self.peak, self.now)

    def leave(self) -> None:
        self.now -= 1


async def run_closed_block(model: Model, requests: Sequence[tuple[int, Request]], *, concurrency: int,
                           timeout_s: float) -> tuple[list[Sample], float, int]:
    """``concurrency`` clients over ``requests``; (samples in order, wall time, peak in flight)."""
    own = getattr(model, "handles_timeout", False)
    samples: list[Sample | None] = [None] * len(requests)
    position = 0
    flight = _InFlight()

    async def client() -> None:
        nonlocal position
        while position < len(requests):
            k = position
            position += 1
            index, request = requests[k]
            flight.enter()
            try:
                samples[k] = await _call(model, request, index, perf_counter(), timeout_s, own)
            finally:
                flight.leave()

    t0 = perf_counter()
    await asyncio.gather(*(client() for _ in range(min(concurrency, len(requests)))))
    return [s for s in samples if s is not None], perf_counter() - t0, flight.peak


def arrival_offsets(n: int, *, rate: float, arrivals: str, rng: np.random.Generator) -> np.ndarray:
    """Scheduled start of each request, in seconds after the first."""
    if arrivals == "poisson":
        gaps = rng.exponential(1.0 / rate, size=max(n - 1, 0))
    else:
        gaps = np.full(max(n - 1, 0), 1.0 / rate)
    return np.concatenate([[0.0], np.cumsum(gaps)])


async def run_open_block(model: Model, requests: Sequence[tuple[int, Request]], *, rate: float, timeout_s: float,
                         arrivals: str, rng: np.random.Generator,
                         max_in_flight: int) -> tuple[list[Sample], float, int, float | None]:
    """Start requests at ``rate`` per second; (samples, wall time, peak in flight, achieved rate)."""
    own = getattr(model, "handles_timeout", False)
    offsets = arrival_offsets(len(requests), rate=rate, arrivals=arrivals, rng=rng)
    slots = asyncio.Semaphore(max_in_flight)
    flight = _InFlight()
    samples: list[Sample | None] = [None] * len(requests)
    sends: list[float] = []

    async def one(k: int, scheduled: float) -> None:
        try:
            index, request = requests[k]
            sends.append(perf_counter())  # when the request really starts (not when it was queued)
            flight.enter()
            samples[k] = await _call(model, request, index, scheduled, timeout_s, own)
        finally:
            flight.leave()
            slots.release()

    tasks = []
    t0 = perf_counter()
    for k, offset in enumerate(offsets):
        scheduled = t0 + float(offset)
        delay = scheduled - perf_counter()
        if delay > 0:  # the loop's timers may wake late: that lateness counts as latency (see docs)
            await asyncio.sleep(delay)
        await slots.acquire()
        tasks.append(asyncio.ensure_future(one(k, scheduled)))
    try:
        await asyncio.gather(*tasks)
    except BaseException:
        for t in tasks:
            t.cancel()
        raise
    wall = perf_counter() - t0
    span = max(sends) - min(sends) if len(sends) > 1 else 0.0
    achieved = (len(sends) - 1) / span if span > 0 else None
    return [s for s in samples if s is not None], wall, flight.peak, achieved


def _input_order(n_cases: int, seed: int) -> Callable[[int, int], list[int]]:
    """Case indices for positions [start, start + count) of a seeded endless shuffle."""
    rng = np.random.default_rng(seed)
    rounds: list[np.ndarray] = []

    def take(start: int, count: int) -> list[int]:
        while sum(r.size for r in rounds) < start + count:
            rounds.append(rng.permutation(n_cases))
        flat = np.concatenate(rounds)
        return [int(i) for i in flat[start: start + count]]

    return take


async def measure_level(models: dict[str, Model], requests: dict[str, Sequence[Request]], *, mode: str, value: float,
                        settings: LoadSettings, progress: Callable[[int], None] | None = None) -> LevelMeasurement:
    """Warm both models up, then measure them in interleaved blocks at one load level.

    ``requests[role]`` are that model's requests (one per dataset row, with its own system
    prompt and parameters); rows are drawn in a seeded shuffled order, the same for both. Raises :class:`InfrastructureError` when every
    warm-up request of a model fails (unreachable, wrong endpoint, non-streaming server).
    """
    n_rows = len(requests[ROLES[0]])
    take = _input_order(n_rows, settings.seed)
    rng = np.random.default_rng(settings.seed + 1)
    position = 0

    async def block(role: str, indices: list[int]) -> tuple[list[Sample], float, int, float | None]:
        model = models[role]
        batch = [(i, requests[role][i]) for i in indices]
        if mode == "closed":
            samples, wall, peak = await run_closed_block(model, batch, concurrency=int(value),
                                                         timeout_s=settings.timeout_s)
            return samples, wall, peak, None
        return await run_open_block(model, batch, rate=value, timeout_s=settings.timeout_s,
                                    arrivals=settings.arrivals, rng=rng, max_in_flight=settings.max_in_flight)

    if settings.warmup:
        indices = take(position, settings.warmup)
        position += settings.warmup
        for role in ROLES:
            samples, *_ = await block(role, indices)
            if samples and not any(s.ok for s in samples) and samples[0].error_kind != BUDGET:
                first = samples[0]
                hint = ""
                config = getattr(models[role], "config", None)
                if getattr(config, "stream", False) and first.error_kind == "invalid_response":
                    hint = ("; the endpoint does not answer with server-sent events: it does not stream, "
                            "set stream: false (and drop the ttft / tokens_per_s criteria)")
                raise InfrastructureError(
                    f"model '{models[role].name}': all {len(samples)} warm-up requests failed; "
                    f"first error: {first.error}{hint}")
            if progress:
                progress(len(samples))

    level = LevelMeasurement(mode, value)
    wall = {role: 0.0 for role in ROLES}
    b = 0
    while True:
        if settings.requests is not None:
            remaining = settings.requests - b * settings.block_size
            if remaining <= 0:
                break
            size = min(settings.block_size, remaining)
        else:
            if b >= 2 and min(wall.values()) >= (settings.duration_s or 0.0):
                break
            size = settings.block_size
        indices = take(position, size)
        position += size
        for role in (ROLES if b % 2 == 0 else ROLES[::-1]):
            samples, elapsed, peak, achieved = await block(role, indices)
            level.blocks.append(ArmBlock(role, b, samples, elapsed, achieved, peak))
            wall[role] += elapsed
            if progress:
                progress(len(samples))
        b += 1
        if any(s.error_kind == BUDGET for blk in level.blocks[-2:] for s in blk.samples):
            break  # run.max_cost_usd reached: the run ends INCONCLUSIVE, measuring on is pointless
    return level


def planned_requests(settings: LoadSettings) -> int | None:
    """Requests per model and level, warm-up included (None when duration-bound)."""
    if settings.requests is None:
        return None
    return settings.warmup + settings.requests


__all__ = ["ArmBlock", "LevelMeasurement", "LoadSettings", "Sample", "arrival_offsets", "measure_level",
           "planned_requests", "run_closed_block", "run_open_block"]
