"""When a stable-served request may be mirrored to the canary (shadow mode).

Mirrored: a random ``share`` percent of the requests stable answers, if the method is
idempotent (GET, HEAD, OPTIONS) or the path is one of the configured ``mirror_paths``,
while fewer than ``max_in_flight`` mirrors run, fewer than ``max_per_minute`` started in
the current minute and, when ``max_cost_per_hour`` is set, mirrored calls cost less than
that over the last hour. Every skipped mirror is counted by reason.
"""

from __future__ import annotations

import collections
import random
import threading
import time

from bouclier.rollout.config import ShadowConfig

IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS"})


class ShadowPolicy:
    def __init__(self, config: ShadowConfig, *, rng: random.Random | None = None):
        self.config = config
        self.share = config.share
        self.in_flight = 0
        self.started = 0
        self.skipped: collections.Counter[str] = collections.Counter()
        self._rng = rng or random.Random()
        self._minute = 0
        self._minute_count = 0
        self._costs: collections.deque[tuple[float, float]] = collections.deque()  # (time, cost)
        self._cost_total = 0.0
        self._cost_lock = threading.Lock()  # added to by the recorder's thread, read on the event loop

    def eligible(self, method: str, path: str) -> bool:
        if self.share <= 0:
            return False
        if method not in IDEMPOTENT and not any(path.startswith(p) for p in self.config.mirror_paths):
            return False
        return self._rng.random() * 100 < self.share

    def admit(self) -> str | None:
        """None when the mirror may start (and counts it), else the reason it may not."""
        c = self.config
        if self.in_flight >= c.max_in_flight:
            return self._skip("in_flight")
        now = time.monotonic()
        minute = int(now // 60)
        if minute != self._minute:
            self._minute, self._minute_count = minute, 0
        if self._minute_count >= c.max_per_minute:
            return self._skip("rate")
        if c.max_cost_per_hour is not None and self.cost_last_hour(now) >= c.max_cost_per_hour:
            return self._skip("cost")
        self._minute_count += 1
        self.in_flight += 1
        self.started += 1
        return None

    def done(self) -> None:
        self.in_flight -= 1

    def add_cost(self, cost: float) -> None:
        """Called (from the recorder's thread) with the cost of recorded mirrors."""
        with self._cost_lock:
            self._costs.append((time.monotonic(), cost))
            self._cost_total += cost

    def cost_last_hour(self, now: float | None = None) -> float:
        now = time.monotonic() if now is None else now
        with self._cost_lock:  # a running total: O(1) per admitted mirror, not a sum over the hour
            while self._costs and self._costs[0][0] < now - 3600:
                self._cost_total -= self._costs.popleft()[1]
            if not self._costs:
                self._cost_total = 0.0
            return self._cost_total

    def _skip(self, reason: str) -> str:
        self.skipped[reason] += 1
        return reason
