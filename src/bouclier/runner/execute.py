"""Run one model over a list of cases: bounded concurrency, timeouts, retries with
backoff, the error budget and the response cache."""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

from bouclier.adapters.base import BatchModel, Completion, Model, ModelCallError, Request
from bouclier.adapters.retry import backoff_delay
from bouclier.data import Case
from bouclier.errors import InfrastructureError
from bouclier.runner.cache import CachedResponse, ResponseCache, cache_key, key_prefix


@dataclass(slots=True)
class Response:
    """The outcome of one case for one model: an output, or an error after retries."""

    case_id: str
    output: str | None
    latency_s: float | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    ttft_s: float | None = None
    error: str | None = None
    error_kind: str | None = None
    attempts: int = 0
    cached: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class RunOptions:
    concurrency: int = 16
    timeout_s: float = 60.0
    retries: int = 2
    error_budget: float = 0.05
    seed: int = 0
    backoff_base_s: float = 0.5
    backoff_cap_s: float = 30.0


ProgressFn = Callable[[int], None]  # called with the number of newly finished cases


class _Budget:
    """Aborts the run as soon as failures can no longer stay within the error budget."""

    def __init__(self, total: int, budget: float, model: Model):
        self.allowed = int(budget * total)
        self.failures = 0
        self.model = model
        self.last: ModelCallError | None = None

    def fail(self, exc: ModelCallError) -> None:
        self.failures += 1
        self.last = exc
        if self.failures > self.allowed:
            where = f" ({exc.url})" if exc.url else ""
            raise InfrastructureError(
                f"model '{self.model.name}'{where}: {self.failures} calls failed after retries, "
                f"more than the error budget allows ({self.allowed}); last error: {exc}"
            )


def _response(case_id: str, c: Completion | CachedResponse, attempts: int, cached: bool) -> Response:
    return Response(case_id, c.output, c.latency_s, c.input_tokens, c.output_tokens, c.ttft_s,
                    attempts=attempts, cached=cached)


async def run_model(
    model: Model,
    cases: Sequence[Case],
    *,
    options: RunOptions,
    system: str | None = None,
    params: Mapping[str, Any] | None = None,
    repeat: int = 0,
    cache: ResponseCache | None = None,
    progress: ProgressFn | None = None,
) -> list[Response]:
    """Answer every case with ``model``; return one :class:`Response` per case, in order.

    Cached answers are reused; new answers are cached as they arrive. A call that still
    fails after ``options.retries`` retries is recorded as that case's error; when failures
    exceed the error budget the run stops with :class:`InfrastructureError` (exit 4).
    """
    params = dict(params or {})
    results: list[Response | None] = [None] * len(cases)
    prefix = key_prefix(model.fingerprint(), system, params, repeat)
    keys = [cache_key(prefix, c.input, c.system) for c in cases]
    todo = list(range(len(cases)))
    if cache is not None:
        for i, hit in cache.lookup(keys):
            results[i] = _response(cases[i].id, hit, 0, True)
        todo = [i for i, r in enumerate(results) if r is None]
        if progress and len(cases) - len(todo):
            progress(len(cases) - len(todo))

    budget = _Budget(len(cases), options.error_budget, model)
    rng = random.Random(options.seed)
    batch = isinstance(model, BatchModel) and getattr(model, "batch_size", 1) > 1
    size = model.batch_size if batch else 1
    n_chunks = -(-len(todo) // size)  # chunk c is todo[c * size : (c + 1) * size]
    queue_pos = 0
    own_timeout = getattr(model, "handles_timeout", False)

    def record(i: int, completion: Completion, attempts: int) -> None:
        results[i] = _response(cases[i].id, completion, attempts, False)
        if cache is not None:
            cache.put(keys[i], CachedResponse(completion.output, completion.latency_s,
                                              completion.input_tokens, completion.output_tokens,
                                              completion.ttft_s))

    def record_error(i: int, exc: ModelCallError, attempts: int) -> None:
        results[i] = Response(cases[i].id, None, exc.latency_s, error=str(exc),
                              error_kind=exc.kind, attempts=attempts)
        if exc.kind != "budget":  # run.max_cost_usd stopped the calls: not a failure of the model
            budget.fail(exc)

    def request(i: int) -> Request:
        case = cases[i]
        return Request(input=case.input, system=system if case.system is None else case.system,
                       params=params, fields=case.fields)

    async def call_one(i: int) -> None:
        attempt = 0
        while True:
            attempt += 1
            try:
                if own_timeout:
                    completion = await model.complete(request(i))
                else:
                    completion = await _with_timeout(model.complete(request(i)), options.timeout_s, model)
            except ModelCallError as exc:
                if exc.retryable and attempt <= options.retries:
                    await asyncio.sleep(backoff_delay(attempt=attempt - 1, base=options.backoff_base_s,
                                                      cap=options.backoff_cap_s,
                                                      retry_after=exc.retry_after, rng=rng))
                    continue
                record_error(i, exc, attempt)
                return
            record(i, completion, attempt)
            return

    async def call_batch(chunk: list[int]) -> None:
        try:
            answers = await _with_timeout(model.complete_batch([request(i) for i in chunk]),
                                          options.timeout_s * len(chunk), model)
        except ModelCallError as exc:  # the whole batch failed: retry item by item
            del exc
            for i in chunk:
                await call_one(i)
            return
        for i, answer in zip(chunk, answers):
            if isinstance(answer, ModelCallError):
                if answer.retryable and options.retries:
                    await call_one(i)
                else:
                    record_error(i, answer, 1)
            else:
                record(i, answer, 1)

    async def worker() -> None:
        nonlocal queue_pos
        while queue_pos < n_chunks:
            chunk = todo[queue_pos * size : (queue_pos + 1) * size]
            queue_pos += 1
            if batch:
                await call_batch(chunk)
            else:
                await call_one(chunk[0])
            if progress:
                progress(len(chunk))

    workers = [asyncio.ensure_future(worker()) for _ in range(min(options.concurrency, n_chunks) or 0)]
    try:
        if workers:
            await asyncio.gather(*workers)
    except BaseException:
        for w in workers:
            w.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        raise
    finally:
        if cache is not None:
            cache.flush()
    return [r for r in results if r is not None]


async def _with_timeout(awaitable, timeout_s: float, model: Model):
    started = time.perf_counter()
    try:
        async with asyncio.timeout(timeout_s):
            return await awaitable
    except TimeoutError:
        raise ModelCallError(
            f"model '{model.name}' did not answer within {timeout_s:g} s", kind="timeout",
            retryable=True, latency_s=time.perf_counter() - started) from None
