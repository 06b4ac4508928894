"""Signals leave the request path here: a bounded queue drained by one background thread.

:meth:`SignalRecorder.submit` is all the proxy does per request (an append to a deque);
when the queue holds ``queue_size`` captures, new ones are dropped and counted (the count
is in ``/metrics`` and ``/admin/status``) rather than slowing the traffic down. The
thread parses answers, runs the sampled detectors, writes batches to the store, updates
the Prometheus metrics and writes the access log.
"""

from __future__ import annotations

import collections
import json
import logging
import threading
import time
from typing import Callable

from bouclier.rollout.inspection import Capture, Inspector
from bouclier.rollout.metrics import RouterMetrics
from bouclier.rollout.signals import Feedback, Signal, SignalStore

access_log = logging.getLogger("bouclier.router.access")
log = logging.getLogger("bouclier.router")

_RECENT_GENERATION = 16_384  # request ids per generation of the recent map (two are kept)


class SignalRecorder:
    def __init__(self, store: SignalStore, inspector: Inspector, metrics: RouterMetrics, *,
                 queue_size: int, access_log_enabled: bool = True, batch_interval_s: float = 0.05):
        self.store = store
        self.inspector = inspector
        self.metrics = metrics
        self.queue_size = queue_size
        self.dropped = 0
        self._submitted = 0  # captures + feedback accepted (event-loop side)
        self._processed = 0  # captures + feedback handled by the writer thread
        self._dropped_reported = 0
        self.written = 0
        self.write_errors = 0
        self._queue: collections.deque[Capture] = collections.deque()
        self._feedback: collections.deque[Feedback] = collections.deque()
        # request id -> variant of the latest primary requests, for /feedback without a store
        # lookup (older ones are found in the store). Two generations of bounded dicts:
        # O(1) per request, and no deletion from the front of one big dict (whose iteration
        # then skips every deleted slot: 60 us per request at 200,000 entries, measured).
        self._recent: dict[str, str] = {}
        self._recent_old: dict[str, str] = {}
        self._access = access_log_enabled
        self._interval = batch_interval_s
        self._wake = threading.Event()
        self._idle = threading.Event()
        self._stop = False
        self._thread = threading.Thread(target=self._run, name="bouclier-signals", daemon=True)
        self.on_batch: Callable[[list[Signal]], None] | None = None

    # ------------------------------------------------------------ event-loop side

    def start(self) -> None:
        self._thread.start()

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    @property
    def depth(self) -> int:
        return len(self._queue)

    def submit(self, cap: Capture) -> None:
        if len(self._queue) >= self.queue_size:
            self.dropped += 1
            return
        self._queue.append(cap)
        self._submitted += 1
        s = cap.signal
        if s.kind == "primary":
            recent = self._recent
            recent[s.request_id] = s.variant
            if len(recent) >= _RECENT_GENERATION:
                self._recent_old, self._recent = recent, {}

    def submit_feedback(self, fb: Feedback) -> None:
        if len(self._feedback) >= self.queue_size:
            self.dropped += 1
            return
        self._feedback.append(fb)
        self._submitted += 1

    def recent_variant(self, request_id: str) -> str | None:
        return self._recent.get(request_id) or self._recent_old.get(request_id)

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until everything submitted so far is written (tests, shutdown)."""
        target = self._submitted
        deadline = time.monotonic() + timeout
        while self._processed < target:
            if time.monotonic() > deadline or not self._thread.is_alive():
                return False
            self._wake.set()
            self._idle.wait(0.02)
            self._idle.clear()
        return True

    def stop(self, timeout: float = 10.0) -> None:
        self.flush(timeout)
        self._stop = True
        self._wake.set()
        self._thread.join(timeout)

    # ------------------------------------------------------------ writer thread

    def _run(self) -> None:
        while True:
            self._wake.wait(self._interval)
            self._wake.clear()
            self._drain()
            self._idle.set()
            if self._stop and not self._queue and not self._feedback:
                return

    def _drain(self) -> None:
        while self._queue or self._feedback:
            caps: list[Capture] = []
            while self._queue and len(caps) < 2000:
                caps.append(self._queue.popleft())
            feedback: list[Feedback] = []
            while self._feedback and len(feedback) < 2000:
                feedback.append(self._feedback.popleft())
            try:
                signals = self.inspector.complete_batch(caps)
            except Exception:  # a detector bug (or a dead worker) must not lose the signals
                log.exception("inspection failed for a batch of %d answers", len(caps))
                signals = [cap.signal for cap in caps]
            for fb in feedback:
                if fb.variant is None:  # recorded before this batch: ask the store
                    found = self.store.variant_of(fb.request_id)
                    if found:
                        fb.rollout_id, fb.variant = found
            try:
                self.store.write(signals, feedback)
                self.written += len(signals)
            except Exception:
                self.write_errors += 1
                log.exception("could not write %d signals", len(signals))
            for s in signals:
                self.metrics.observe(s)
                if self._access and s.kind == "primary":
                    access_log.info(json.dumps({
                        "ts": round(s.ts, 6), "request_id": s.request_id, "variant": s.variant,
                        "method": s.method, "path": s.path, "status": s.status, "outcome": s.outcome,
                        "latency_ms": None if s.latency_ms is None else round(s.latency_ms, 3),
                        "failed_over": s.failed_over, "forced": s.forced}))
            for fb in feedback:
                self.metrics.feedback.labels(fb.variant or "unknown", "negative" if fb.value < 0 else
                                             "positive" if fb.value > 0 else "neutral").inc()
            self.metrics.queue.set(len(self._queue))
            if self.dropped > self._dropped_reported:
                self.metrics.dropped.inc(self.dropped - self._dropped_reported)
                self._dropped_reported = self.dropped
            if self.on_batch is not None:
                self.on_batch(signals)
            self._processed += len(caps) + len(feedback)
