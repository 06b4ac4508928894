"""Steady load while the canary's process is killed halfway: no client-visible error, and
every request accounted for in the signals. Bounded (about 4 s), loopback only."""

from __future__ import annotations

import asyncio
import signal
import time

import aiohttp

from tests.rollout.harness import chat, router_config, serve_router, upstream_process

RATE = 100  # requests per second
SECONDS = 4.0


async def steady_load(url: str, kill_at: float, kill) -> list[tuple[int, str, str]]:
    results: list[tuple[int, str, str]] = []
    async with aiohttp.ClientSession() as session:
        async def one(i: int) -> None:
            try:
                async with session.post(url + "/v1/chat/completions", json=chat(f"q{i}"),
                                        headers={"X-User-Id": f"user-{i % 500}"},
                                        timeout=aiohttp.ClientTimeout(total=10)) as r:
                    await r.read()
                    results.append((r.status, r.headers.get("x-request-id", ""), r.headers.get("x-bouclier-variant", "")))
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                results.append((-1, repr(exc), ""))

        tasks = []
        start = time.monotonic()
        killed = False
        for i in range(int(RATE * SECONDS)):
            target = start + i / RATE
            delay = target - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            if not killed and time.monotonic() - start >= kill_at:
                kill()
                killed = True
            tasks.append(asyncio.create_task(one(i)))
        await asyncio.gather(*tasks)
    return results


def test_killing_the_canary_mid_load_loses_no_request(tmp_path):
    with upstream_process() as (stable, _), upstream_process() as (canary, canary_proc):
        config = router_config(stable, canary, tmp_path, weights={"stable": 50, "canary": 50},
                               signals={"inspect_share": 10})
        with serve_router(config) as (url, router):
            kill_time = []

            def kill() -> None:
                kill_time.append(time.time())
                canary_proc.send_signal(signal.SIGKILL)

            results = asyncio.run(steady_load(url, SECONDS / 2, kill))
            assert router.recorder.flush(20)
            errors = [r for r in results if r[0] != 200]
            assert not errors, errors[:5]
            assert len(results) == int(RATE * SECONDS)
            primary = router.store.window(rollout_id="test")
            assert sorted(s.request_id for s in primary) == sorted(r[1] for r in results)
            assert router.recorder.dropped == 0
            before = [s for s in primary if s.variant == "canary" and s.ts < kill_time[0] - 0.05]
            after = [s for s in primary if s.variant == "canary" and s.ts > kill_time[0] + 0.2]
            assert before and all(s.outcome == "ok" for s in before)
            assert after and all(s.outcome == "error" and s.failed_over for s in after)
            failovers = router.store.window(rollout_id="test", kinds=("failover",))
            assert {s.request_id for s in failovers} == {s.request_id for s in primary if s.failed_over}
            assert all(s.status == 200 for s in failovers)
