"""Signals leave the request path here, to be written off it.

The proxy hands each exchange to a recorder with :meth:`submit` (an append, nothing more);
when ``queue_size`` captures are waiting, new ones are dropped and counted (the count is in
``/metrics`` and ``/admin/status``) rather than slowing the traffic down. A
:class:`SignalWriter` then parses the answers, runs the sampled detectors, writes the store,
updates the signal metrics and writes the access log, a batch at a time. Two recorders:

- :class:`~bouclier.rollout.recorder_process.ProcessRecorder` (the default,
  ``signals.worker: process``): the writer runs in a worker process. The router's process
  only packs a batch every ``batch_interval_s`` and writes it to a pipe, so the writer's
  work never holds the interpreter lock against the request path (at 500 requests/s that
  lock contention was most of the router's added p99; docs/benchmarks.md).
- :class:`SignalRecorder` (``signals.worker: thread``): the writer runs in a thread of the
  router's process; for embedding the router where a child process is unwelcome.
"""

from __future__ import annotations

import collections
import json
import logging
import threading
import time
from dataclasses import dataclass
from typing import Callable

from bouclier.rollout.inspection import Capture, Inspector
from bouclier.rollout.metrics import SignalMetrics
from bouclier.rollout.signals import Feedback, SignalStore

access_log = logging.getLogger("bouclier.router.access")
log = logging.getLogger("bouclier.router")

_RECENT_GENERATION = 16_384  # request ids per generation of the recent map (two are kept)
MAX_BATCH = 2000


class RecentRequests:
    """Request id -> variant of the latest primary requests, so that ``/feedback`` finds them
    without a store lookup (older ones are found in the store). Two generations of bounded
    dicts: O(1) per request, and no deletion from the front of one big dict (whose iteration
    then skips every deleted slot: 60 us per request at 200,000 entries, measured)."""

    def __init__(self, generation: int = _RECENT_GENERATION):
        self.generation = generation
        self._new: dict[str, str] = {}
        self._old: dict[str, str] = {}

    def add(self, request_id: str, variant: str) -> None:
        new = self._new
        new[request_id] = variant
        if len(new) >= self.generation:
            self._old, self._new = new, {}

    def get(self, request_id: str) -> str | None:
        return self._new.get(request_id) or self._old.get(request_id)

    def __len__(self) -> int:
        return len(self._new) + len(self._old)


@dataclass
class BatchResult:
    written: int = 0
    write_errors: int = 0
    shadow_cost: float = 0.0  # cost of the mirrored calls in the batch (the shadow cost cap)


class SignalWriter:
    """One batch of captures and feedback: inspect, write, observe, log."""

    def __init__(self, store: SignalStore, inspector: Inspector, metrics: SignalMetrics, *, access_log_enabled: bool):
        self.store = store
        self.inspector = inspector
        self.metrics = metrics
        self.access = access_log_enabled

    def write(self, caps: list[Capture], feedback: list[Feedback]) -> BatchResult:
        result = BatchResult()
        try:
            signals = self.inspector.complete_batch(caps)
        except Exception:  # a detector bug must not lose the signals
            log.exception("inspection failed for a batch of %d answers", len(caps))
            signals = [cap.signal for cap in caps]
        try:
            self.store.write(signals, feedback)
            result.written = len(signals)
        except Exception:
            result.write_errors = 1
            log.exception("could not write %d signals", len(signals))
        for s in signals:
            self.metrics.observe(s)
            if s.kind == "shadow" and s.cost:
                result.shadow_cost += s.cost
            if self.access and s.kind == "primary":
                access_log.info(json.dumps({
                    "ts": round(s.ts, 6), "request_id": s.request_id, "variant": s.variant,
                    "method": s.method, "path": s.path, "status": s.status, "outcome": s.outcome,
                    "latency_ms": None if s.latency_ms is None else round(s.latency_ms, 3),
                    "failed_over": s.failed_over, "forced": s.forced}))
        for fb in feedback:
            self.metrics.observe_feedback(fb.variant, fb.value)
        return result


class Recorder:
    """What the router sees of a recorder: accounting shared by both kinds."""

    def __init__(self, *, queue_size: int, on_shadow_cost: Callable[[float], None] | None = None):
        self.queue_size = queue_size
        self.on_shadow_cost = on_shadow_cost
        self.dropped = 0  # queue full
        self.lost = 0  # accepted, then lost (a signal worker that died)
        self.written = 0
        self.write_errors = 0
        self._submitted = 0  # captures + feedback accepted (event-loop side)
        self._processed = 0  # captures + feedback handled by the writer
        self._progress = threading.Event()

    @property
    def depth(self) -> int:
        """Captures and feedback accepted but not written yet."""
        return self._submitted - self._processed

    def _accept(self) -> bool:
        if self.depth >= self.queue_size:
            self.dropped += 1
            return False
        self._submitted += 1
        return True

    def _done(self, n: int, result: BatchResult) -> None:
        self.written += result.written
        self.write_errors += result.write_errors
        if result.shadow_cost and self.on_shadow_cost is not None:
            self.on_shadow_cost(result.shadow_cost)
        self._processed += n
        self._progress.set()

    def _kick(self) -> None:
        """Write what is waiting now rather than at the next batch interval."""

    @property
    def alive(self) -> bool:
        raise NotImplementedError

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until everything submitted so far is written (tests, shutdown)."""
        target = self._submitted
        deadline = time.monotonic() + timeout
        while self._processed < target:
            if time.monotonic() > deadline or not self.alive:
                return False
            self._kick()
            self._progress.wait(0.02)
            self._progress.clear()
        return True


class SignalRecorder(Recorder):
    """The writer in a background thread of this process, fed by two bounded deques."""

    def __init__(self, writer: SignalWriter, *, queue_size: int, batch_interval_s: float = 0.05,
                 on_shadow_cost: Callable[[float], None] | None = None):
        super().__init__(queue_size=queue_size, on_shadow_cost=on_shadow_cost)
        self.writer = writer
        self._queue: collections.deque[Capture] = collections.deque()
        self._feedback: collections.deque[Feedback] = collections.deque()
        self._interval = batch_interval_s
        self._wake = threading.Event()
        self._stop = False
        self._thread = threading.Thread(target=self._run, name="bouclier-signals", daemon=True)

    def start(self, loop: object = None) -> None:
        self.writer.inspector.warm_up()
        self._thread.start()

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def submit(self, cap: Capture) -> None:
        if self._accept():
            self._queue.append(cap)

    def submit_feedback(self, fb: Feedback) -> None:
        if self._accept():
            self._feedback.append(fb)

    def _kick(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        self.flush(timeout)
        self._stop = True
        self._wake.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            self._wake.wait(self._interval)
            self._wake.clear()
            while self._queue or self._feedback:
                caps = [self._queue.popleft() for _ in range(min(len(self._queue), MAX_BATCH))]
                feedback = [self._feedback.popleft() for _ in range(min(len(self._feedback), MAX_BATCH))]
                self._done(len(caps) + len(feedback), self.writer.write(caps, feedback))
            self._progress.set()
            if self._stop and not self._queue and not self._feedback:
                return
