"""The rollout controller: looks at the signals every ``interval_s``, judges the current
step with the canary analysis, and moves the rollout through its states.

The database is the source of truth. Each tick reads the rollout, renews the lease,
converges the router to the recorded weights (so a crash between a transition and the
weight change is repaired on restart), then acts:

- ``pending``: start (shadow phase or step 1);
- ``shadow`` / ``step``: analyse the step's window; roll back at once on a critical
  finding; otherwise decide at the step's judgement time (see :mod:`.decision`);
- ``promoting``: when the registry's promotion policy allows it (gate PASS, approvals),
  all traffic to the canary, then ``promoted`` and the registry's production alias in one
  transaction (exactly once); when it refuses, ``paused`` at the weights before
  ``promoting``, with the reason;
- ``rolling_back``: all traffic to stable, then ``rolled_back`` (or ``aborted``);
- ``paused``: nothing; a human resumes, promotes or aborts.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from pathlib import Path
from typing import Any, Callable

from bouclier.errors import InfrastructureError
from bouclier.registry.exceptions import PromotionRefused
from bouclier.rollout.analysis import Analysis, analyse
from bouclier.rollout.decision import (
    ALL_CANARY, ALL_STABLE, JUDGED, TERMINAL, Move, RolloutState, judge, promotion_refused, start,
)
from bouclier.rollout.ledger import RolloutLedger, StateChanged
from bouclier.rollout.plan import RolloutConfig
from bouclier.rollout.promotion import PromotionPolicy
from bouclier.rollout.traffic import TrafficSplit

log = logging.getLogger("bouclier.rollout.controller")


def paired(stable: list, shadow: list) -> tuple[list, list]:
    """Stable's answers that were mirrored, and the mirrors of them (both in request order)."""
    mirrored = {s.pair_of for s in shadow}
    stable = [s for s in stable if s.request_id in mirrored]
    answered = {s.request_id for s in stable}
    return stable, [s for s in shadow if s.pair_of in answered]


def controller_identity() -> str:
    return f"controller@{socket.gethostname()}:{os.getpid()}"


class Controller:
    def __init__(self, *, ledger: RolloutLedger, rollout: int | str, plan: RolloutConfig, signals: Any,
                 traffic: TrafficSplit, policy: PromotionPolicy, owner: str | None = None,
                 clock: Callable[[], float] = time.time, report_dir: Path | None = None):
        self.ledger = ledger
        self.policy = policy
        self.rollout = rollout
        self.plan = plan
        self.signals = signals
        self.traffic = traffic
        self.owner = owner or controller_identity()
        self.clock = clock
        self.report_dir = report_dir

    @property
    def alpha(self) -> float:
        return self.plan.analysis.false_rollback_rate / self.plan.planned_analyses

    def acquire(self) -> RolloutState:
        """Take the lease; :class:`~.ledger.LeaseHeld` when another controller drives it."""
        return self.ledger.acquire(self.rollout, self.owner, ttl_s=self.plan.lease_s, now=self.clock())

    def analyse(self, st: RolloutState, now: float) -> Analysis:
        """The current step's window. In the shadow phase, the canary's mirrored answers
        against stable's answers to the same requests (paired by ``pair_of``), no feedback."""
        since = st.step_started_at or now
        shadow = st.state == "shadow"
        step = None if shadow or st.step < 0 else self.plan.steps[st.step]
        stable = self.signals.window(rollout_id=st.name, variant="stable", since=since, until=now)
        canary = self.signals.window(rollout_id=st.name, variant="canary", since=since, until=now,
                                     kinds=("shadow",) if shadow else ("primary",))
        if shadow:
            stable, canary = paired(stable, canary)
            stable_feedback, canary_feedback = [], []
        else:
            stable_feedback = self.signals.feedback(rollout_id=st.name, variant="stable", since=since, until=now)
            canary_feedback = self.signals.feedback(rollout_id=st.name, variant="canary", since=since, until=now)
        return analyse(
            stable=stable, canary=canary, config=self.plan.analysis, alpha=self.alpha,
            stable_feedback=stable_feedback, canary_feedback=canary_feedback,
            metrics=step.metrics if step else None,
            min_requests=self.plan.shadow.min_requests if shadow else step.min_requests)

    def _converge(self, st: RolloutState) -> None:
        if st.state in ("promoting", "rolling_back", "promoted", "rolled_back", "aborted"):
            return
        if self.traffic.weights() != st.weights:
            self.traffic.set_weights(st.weights, reason=f"rollout {st.name}: {st.label}")
        self.traffic.set_shadow(self.plan.shadow.share if st.state == "shadow" and self.plan.shadow else 0.0)

    def _apply(self, st: RolloutState, move: Move, now: float) -> RolloutState:
        new = self.ledger.apply(st, move, actor=self.owner, now=now, owner=self.owner, ttl_s=self.plan.lease_s,
                                policy=self.policy)
        self._converge(new)  # the new step's weights at once, not at the next look
        log.warning("rollout %s: %s -> %s: %s", st.name, st.label, new.label, move.reason)
        return new

    def tick(self) -> RolloutState:
        """One look: at most one transition (two when finishing a promotion or rollback)."""
        now = self.clock()
        st = self.ledger.acquire(self.rollout, self.owner, ttl_s=self.plan.lease_s, now=now)
        if st.state in TERMINAL:
            return st
        try:
            self._converge(st)
            if st.state == "pending":
                return self._apply(st, start(self.plan, now), now)
            if st.state in JUDGED:
                analysis = self.analyse(st, now)
                move = judge(self.plan, st, analysis, now)
                if move is None:
                    self.ledger.record_analysis(st, analysis.to_dict(), now=now)
                    return st
                st = self._apply(st, move, now)
                if st.state not in ("promoting", "rolling_back"):
                    return st
                now = self.clock()
            if st.state == "promoting":
                why = self.ledger.promotion_refused(st, self.policy)
                if why is not None:  # before any traffic moves
                    return self._apply(st, promotion_refused(st, why), now)
                self.traffic.set_shadow(0.0)
                self.traffic.set_weights(dict(ALL_CANARY), reason=f"rollout {st.name}: promoting")
                try:
                    return self._apply(st, Move("promoted", st.step, dict(ALL_CANARY),
                                                f"all traffic on {st.model}@{st.canary}; production alias moved"), now)
                except PromotionRefused as exc:  # the evidence changed since the check: hold
                    return self._apply(st, promotion_refused(st, str(exc)), now)
            if st.state == "rolling_back":
                self.traffic.set_shadow(0.0)
                self.traffic.set_weights(dict(ALL_STABLE), reason=f"rollout {st.name}: rolling back")
                final = st.detail.get("final", "rolled_back")
                return self._apply(st, Move(final, st.step, dict(ALL_STABLE),
                                            f"all traffic back on {st.model}@{st.stable}"), now)
        except StateChanged as exc:
            log.info("%s; looking again", exc)
            return self.ledger.get(self.rollout)
        return st

    def run(self, *, sleep: Callable[[float], None] = time.sleep, max_ticks: int | None = None) -> RolloutState:
        """Tick until the rollout is finished (promoted, rolled back or aborted).
        :class:`~bouclier.errors.InfrastructureError` when the router stays unreachable for
        ``traffic.unreachable_s`` (the state is left as it was, the lease released)."""
        self.acquire()
        ticks = 0
        down_since: float | None = None
        try:
            while True:
                try:
                    st = self.tick()
                    down_since = None
                except InfrastructureError as exc:  # router unreachable: keep the state, try again, for a while
                    now = self.clock()
                    down_since = now if down_since is None else down_since
                    if now - down_since >= self.plan.traffic.unreachable_s:
                        raise InfrastructureError(
                            f"rollout {self.rollout}: the router has been unreachable for "
                            f"{now - down_since:.0f} s (rollout.traffic.unreachable_s); the rollout stays where it "
                            f"was; run `bouclier rollout start` again to resume it. Last error: {exc}") from exc
                    log.warning("rollout %s: %s; retrying in %gs", self.rollout, exc, self.plan.interval_s)
                    st = None
                ticks += 1
                if st is not None and st.state in TERMINAL:
                    self.write_report()
                    return st
                if max_ticks is not None and ticks >= max_ticks:
                    return st if st is not None else self.ledger.get(self.rollout)
                sleep(self.plan.interval_s)
        finally:
            self.ledger.release(self.rollout, self.owner)

    def write_report(self) -> tuple[Path, Path] | None:
        if self.report_dir is None:
            return None
        from bouclier.rollout.rollout_report import write_report

        return write_report(self.ledger, self.rollout, self.report_dir)
