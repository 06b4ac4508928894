"""The signal worker process: its writer thread yields the CPU to the request path
(SCHED_IDLE), a starved writer is rescued, and a worker that dies is replaced without a
client-visible error, its unwritten signals counted as dropped."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time

import httpx
import pytest

from bouclier.rollout.recorder import BatchResult
from bouclier.rollout.recorder_process import _Batches
from bouclier.rollout.signals import Signal
from tests.rollout.apps import marked_app
from tests.rollout.harness import chat, router_config, serve_router
from tests.servers.fixtures import serve_app

CHAT = "/v1/chat/completions"
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="SCHED_IDLE and /proc are Linux's")


class RecordingWriter:
    def __init__(self):
        self.batches: list[tuple[list[str], int]] = []  # (request ids, native thread id)

    def write(self, caps, feedback):
        self.batches.append(([c.signal.request_id for c in caps], threading.get_native_id()))
        return BatchResult(written=len(caps))


def rows(*ids: str) -> list:
    from bouclier.rollout.recorder_process import _CAPTURE_REST, _SIGNAL_ROW
    from bouclier.rollout.inspection import Capture

    return [(_SIGNAL_ROW(c.signal), *_CAPTURE_REST(c))
            for c in (Capture(signal=Signal(request_id=i, rollout_id="ro", ts=0.0, variant="stable")) for i in ids)]


@linux_only
def test_batches_are_written_in_order_by_an_idle_priority_thread():
    writer, answers = RecordingWriter(), []
    batches = _Batches(writer, answers.append)
    idle_tid = batches._idle.native_id
    batches.add(rows("first"), [])
    deadline = time.monotonic() + 30  # nothing else asks for it: the idle thread writes it
    while not writer.batches:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert writer.batches == [(["first"], idle_tid)]
    assert os.sched_getscheduler(idle_tid) == os.SCHED_IDLE
    for n in range(20):
        batches.add(rows(f"a{n}", f"b{n}"), [])
    batches.close()  # writes what is left
    assert [ids for ids, _ in writer.batches] == [["first"]] + [[f"a{n}", f"b{n}"] for n in range(20)]
    assert answers == [("done", 1, 1, 0, 0.0)] + [("done", 2, 2, 0, 0.0)] * 20


def test_a_starved_batch_is_written_by_the_main_thread():
    writer = RecordingWriter()
    batches = _Batches(writer, lambda _: None, rescue_after_s=0.0)
    with batches._lock:  # the idle thread cannot write (as if it never got a core) ...
        batches.pending.append((time.monotonic() - 5, rows("old"), []))
    batches.add(rows("new"), [])  # ... so the main thread writes what waited too long, in order
    assert [ids for ids, _ in writer.batches][:2] == [["old"], ["new"]]
    batches.close()


def threads_policies(pid: int) -> list[int]:
    return [os.sched_getscheduler(int(tid)) for tid in os.listdir(f"/proc/{pid}/task")]


def worker_pid(router) -> int:
    return router.recorder._child.proc.pid


@linux_only
def test_the_worker_writes_at_idle_priority_and_a_killed_worker_is_replaced(tmp_path):
    with serve_app(marked_app("STABLE")) as s, serve_app(marked_app("CANARY")) as c:
        config = router_config(s, c, tmp_path, weights={"stable": 50, "canary": 50}, signals={"inspect_share": 100})
        with serve_router(config) as (url, router), httpx.Client(base_url=url) as client:
            first = worker_pid(router)
            assert os.SCHED_IDLE in threads_policies(first)
            ids = [client.post(CHAT, json=chat("a"), headers={"X-User-Id": f"u{i}"}).headers["x-request-id"]
                   for i in range(20)]
            assert router.recorder.flush(20)
            os.kill(first, signal.SIGKILL)
            statuses = []
            for i in range(40):  # served while the worker is dead and while the new one starts
                r = client.post(CHAT, json=chat("b"), headers={"X-User-Id": f"v{i}"})
                statuses.append(r.status_code)
                ids.append(r.headers["x-request-id"])
                time.sleep(0.02)
            assert statuses == [200] * 40
            deadline = time.monotonic() + 30
            while not (router.recorder.alive and worker_pid(router) != first):
                assert time.monotonic() < deadline, "the signal worker was not restarted"
                time.sleep(0.05)
            assert router.recorder.flush(20)
            assert httpx.get(url + "/readyz").status_code == 200
            written = {x.request_id for x in router.store.window(rollout_id="test")}
            # every request is written, or counted as lost with the dead worker: none vanishes silently
            assert len(written) + router.recorder.lost == len(ids) and written <= set(ids)
            status = client.get("/admin/status", headers={"Authorization": "Bearer test-admin-token-0123456789"}).json()
            assert status["signals"]["lost"] == router.recorder.lost and status["signals"]["alive"]
            metrics = client.get("/metrics").text
            assert f"bouclier_router_signals_dropped_total {float(router.recorder.lost)}" in metrics
            # the new worker's counts add to the dead one's in /metrics
            total = sum(float(line.rsplit(" ", 1)[1]) for line in metrics.splitlines()
                        if line.startswith('bouclier_router_requests_total{') and 'kind="primary"' in line)
            assert total >= len(written)


def test_a_burst_larger_than_a_batch_is_sent_in_bounded_frames_and_all_written(tmp_path, monkeypatch):
    import asyncio

    from bouclier.rollout import recorder_process
    from bouclier.rollout.inspection import Capture
    from bouclier.rollout.recorder import MAX_BATCH
    from bouclier.rollout.recorder_process import ProcessRecorder, WriterSpec
    from bouclier.rollout.signals import open_signal_store

    store_path = str(tmp_path / "signals.sqlite")
    open_signal_store(store_path).close()
    n = 2 * MAX_BATCH + 123
    recorder = ProcessRecorder(WriterSpec(store=store_path, base_dir=None, detectors=("secret",), canary_tokens=[],
                                          access_log=False), queue_size=10 * n)
    sent: list[int] = []
    frame = recorder_process._frame

    def counting_frame(obj):
        if isinstance(obj, tuple):  # a batch: (rows, feedback)
            sent.append(len(obj[0]))
        return frame(obj)

    monkeypatch.setattr(recorder_process, "_frame", counting_frame)

    async def main() -> None:
        recorder.start(asyncio.get_running_loop())
        for i in range(n):  # all within one turn of the loop: one backlog to send
            recorder.submit(Capture(signal=Signal(request_id=f"r{i}", rollout_id="ro", ts=float(i), variant="stable")))
        assert await asyncio.to_thread(recorder.flush, 30)
        await asyncio.to_thread(recorder.stop)

    asyncio.run(main())
    assert sent == [MAX_BATCH, MAX_BATCH, 123]
    assert recorder.written == n and recorder.depth == 0 and recorder.dropped == recorder.lost == 0
    store = open_signal_store(store_path)
    assert store.count(rollout_id="ro") == n
    store.close()
    assert not os.path.exists(recorder.metrics_dir)
