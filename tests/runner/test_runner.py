"""The runner against real in-process models (written here as small classes implementing the
Model protocol: the runner is the thing under test, the models are fixtures)."""

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from bouclier.adapters.base import Completion, ModelCallError, Request
from bouclier.data import Case
from bouclier.errors import InfrastructureError
from bouclier.runner import ResponseCache, RunOptions, run_model


def cases(n):
    return [Case(id=f"c{i}", input=f"q{i}", expected=None, group=None, fields={}, line=i + 1) for i in range(n)]


class Echo:
    name = "echo"

    def __init__(self, fail=(), flaky=(), retry_after=None, delay=0.0):
        self.calls = []
        self.fail, self.flaky, self.retry_after, self.delay = set(fail), dict.fromkeys(flaky, 1), retry_after, delay

    def fingerprint(self):
        return "echo-v1"

    async def complete(self, request: Request) -> Completion:
        self.calls.append(request.input)
        if self.delay:
            await asyncio.sleep(self.delay)
        if request.input in self.fail:
            raise ModelCallError(f"boom on {request.input}", kind="http", retryable=False, status=400,
                                 url="http://127.0.0.1:1/v1")
        if self.flaky.get(request.input):
            self.flaky[request.input] -= 1
            raise ModelCallError("rate limited", kind="http", retryable=True, status=429,
                                 retry_after=self.retry_after)
        return Completion(output=request.input.upper(), latency_s=0.001, input_tokens=2, output_tokens=1)

    async def aclose(self):
        pass


def run(model, cs, cache=None, **opts):
    options = RunOptions(**{"backoff_base_s": 0.001, **opts})
    return asyncio.run(run_model(model, cs, options=options, cache=cache))


def test_answers_in_order_with_measurements():
    out = run(Echo(), cases(50), concurrency=8)
    assert [r.output for r in out] == [f"Q{i}" for i in range(50)]
    assert all(r.ok and r.latency_s == 0.001 and r.input_tokens == 2 for r in out)


def test_concurrency_is_bounded():
    class Counting(Echo):
        active = peak = 0

        async def complete(self, request):
            Counting.active += 1
            Counting.peak = max(Counting.peak, Counting.active)
            await asyncio.sleep(0.002)
            Counting.active -= 1
            return await super().complete(request)

    run(Counting(), cases(40), concurrency=4)
    assert Counting.peak == 4


def test_retry_honours_retry_after_then_succeeds():
    model = Echo(flaky=["q1"], retry_after=0.2)
    started = time.perf_counter()
    out = run(model, cases(3), retries=2)
    assert out[1].output == "Q1" and out[1].attempts == 2
    assert time.perf_counter() - started >= 0.2
    assert model.calls.count("q1") == 2


def test_errors_within_budget_are_recorded_not_raised():
    out = run(Echo(fail=["q3"]), cases(40), error_budget=0.05)
    assert not out[3].ok and "boom on q3" in out[3].error and out[3].error_kind == "http"
    assert sum(r.ok for r in out) == 39


def test_error_budget_exceeded_raises_infrastructure_error_with_url():
    with pytest.raises(InfrastructureError) as info:
        run(Echo(fail=[f"q{i}" for i in range(10)]), cases(40), error_budget=0.05)
    assert info.value.exit_code == 4
    assert "http://127.0.0.1:1/v1" in str(info.value) and "error budget" in str(info.value)


def test_timeout_is_an_error_of_kind_timeout():
    out = run(Echo(delay=0.5), cases(1), timeout_s=0.05, retries=0, error_budget=1.0)
    assert out[0].error_kind == "timeout"


def test_cache_reuses_answers_and_keeps_measurements(tmp_path):
    cache = ResponseCache(tmp_path)
    first = Echo()
    run(first, cases(20), cache=cache)
    second = Echo()
    out = run(second, cases(20), cache=cache)
    cache.close()
    assert second.calls == []
    assert all(r.cached and r.latency_s == 0.001 and r.output_tokens == 1 for r in out)


def test_cache_key_includes_input_repeat_and_params(tmp_path):
    cache = ResponseCache(tmp_path)
    model = Echo()
    cs = cases(3)
    asyncio.run(run_model(model, cs, options=RunOptions(), cache=cache))
    asyncio.run(run_model(model, cs, options=RunOptions(), cache=cache, params={"temperature": 1}))
    asyncio.run(run_model(model, cs, options=RunOptions(), cache=cache, repeat=1))
    assert len(model.calls) == 9


def test_errors_are_not_cached(tmp_path):
    cache = ResponseCache(tmp_path)
    run(Echo(fail=["q0"]), cases(30), cache=cache, error_budget=0.5)
    again = Echo()
    run(again, cases(30), cache=cache)
    assert again.calls == ["q0"]


SLOW_RUN = textwrap.dedent("""
    import asyncio, sys
    sys.path.insert(0, {src!r}); sys.path.insert(0, {root!r})
    from tests.runner.test_runner import Echo, cases
    from bouclier.runner import ResponseCache, RunOptions, run_model
    class Slow(Echo):
        async def complete(self, request):
            await asyncio.sleep(0.01)
            print("done", flush=True)
            return await super().complete(request)
    cache = ResponseCache(__import__("pathlib").Path({cache!r}), flush_s=0.05)
    asyncio.run(run_model(Slow(), cases(2000), options=RunOptions(concurrency=1), cache=cache))
""")


def test_killed_run_resumes_without_redoing_finished_calls(tmp_path):
    here = os.path.dirname(os.path.abspath(__file__))
    script = SLOW_RUN.format(src=os.path.join(here, "..", "..", "src"), root=os.path.join(here, "..", ".."),
                             cache=str(tmp_path))
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    done = 0
    for line in proc.stdout:
        done += 1
        if done >= 100:
            break
    time.sleep(0.2)  # let at least one flush interval pass
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    cache = ResponseCache(tmp_path)
    model = Echo()
    out = run(model, cases(2000), cache=cache, concurrency=64)
    cache.close()
    reused = sum(r.cached for r in out)
    assert reused >= 90, reused  # at most one flush interval of work lost
    assert len(model.calls) == 2000 - reused
