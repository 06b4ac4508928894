"""The rollout state machine as pure functions: what the controller does next, given the
plan, the persisted state and the latest analysis; and which human commands are allowed.

States: ``pending`` -> (``shadow``) -> ``step`` k ... -> ``promoting`` -> ``promoted``; any
judged state -> ``rolling_back`` -> ``rolled_back`` (or ``aborted`` after an abort);
``paused`` waits for a human (manual gate, too little data after every extension, or a
promotion the registry's policy refused: the rollout then holds the weights it had before
``promoting``, and `resume` or `promote` retries the promotion).
A step is judged at fixed times (its minimum duration, then once per extension), so the
number of looks, and with it the false rollback rate, is bounded by the plan.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bouclier.errors import UsageError
from bouclier.rollout.analysis import Analysis
from bouclier.rollout.plan import RolloutConfig

STATES = ("pending", "shadow", "step", "paused", "promoting", "promoted", "rolling_back", "rolled_back", "aborted")
TERMINAL = frozenset({"promoted", "rolled_back", "aborted"})
JUDGED = frozenset({"shadow", "step"})
ALL_STABLE = {"stable": 100.0, "canary": 0.0}
ALL_CANARY = {"stable": 0.0, "canary": 100.0}


class TransitionRefused(UsageError):
    """A command that the rollout's current state does not allow; nothing was changed."""


@dataclass(frozen=True)
class RolloutState:
    id: int
    name: str
    model: str
    stable: str
    canary: str
    state: str
    step: int  # index into plan.steps; -1 before the first step
    weights: dict[str, float]
    revision: int
    step_started_at: float | None
    detail: dict[str, Any]
    plan: dict[str, Any]
    lease_owner: str | None = None
    lease_expires_at: float | None = None
    created_at: float | None = None
    updated_at: float | None = None

    @property
    def label(self) -> str:
        return f"step {self.step + 1}" if self.state == "step" else self.state


@dataclass(frozen=True)
class Move:
    to_state: str
    to_step: int
    weights: dict[str, float]
    reason: str
    evidence: dict[str, Any] = field(default_factory=dict)
    detail: dict[str, Any] = field(default_factory=dict)  # replaces the state's detail
    new_window: bool = False  # the step's window (and timer) starts now


def step_weights(plan: RolloutConfig, k: int) -> dict[str, float]:
    w = plan.steps[k].weight
    return {"stable": round(100.0 - w, 2), "canary": float(w)}


def step_length(plan: RolloutConfig, k: int) -> float:
    length = plan.shadow.min_duration_s if k < 0 and plan.shadow else plan.steps[k].min_duration_s
    return max(length, plan.interval_s)


def enter_step(plan: RolloutConfig, k: int, now: float, reason: str, evidence: dict[str, Any] | None = None) -> Move:
    """Move to step ``k``, or to promotion when ``k`` is past the last judged step."""
    if k >= len(plan.steps) or plan.steps[k].weight >= 100:
        return Move("promoting", min(k, len(plan.steps) - 1), dict(ALL_CANARY), reason, evidence or {})
    return Move("step", k, step_weights(plan, k), reason, evidence or {},
                detail={"extensions": 0, "judge_at": now + step_length(plan, k)}, new_window=True)


def _from(move: Move, st: RolloutState) -> Move:
    """A move to ``promoting`` remembers where it came from (held there if promotion is refused)."""
    if move.to_state != "promoting":
        return move
    return Move(move.to_state, move.to_step, move.weights, move.reason, move.evidence,
                detail={"from_step": st.step, "from_weights": dict(st.weights)})


def promotion_refused(st: RolloutState, why: str) -> Move:
    """``promoting`` -> ``paused`` at the weights before promotion: the registry said no."""
    weights = st.detail.get("from_weights") or dict(ALL_STABLE)
    step = int(st.detail.get("from_step", st.step))
    reason = f"promotion refused by the registry's policy: {why}"
    return Move("paused", step, dict(weights), reason, {"promotion_refused": why},
                detail={"resume_to": None, "paused_from": "promoting", "paused_reason": reason,
                        "from_step": step, "from_weights": dict(weights)})


def start(plan: RolloutConfig, now: float) -> Move:
    if plan.shadow is not None:
        return Move("shadow", -1, dict(ALL_STABLE), f"shadow phase: {plan.shadow.share:g}% of stable's requests mirrored",
                    detail={"extensions": 0, "judge_at": now + step_length(plan, -1)}, new_window=True)
    return enter_step(plan, 0, now, f"step 1: {plan.steps[0].weight:g}% of traffic to the canary")


def rollback(st: RolloutState, reason: str, evidence: dict[str, Any], *, final: str = "rolled_back") -> Move:
    return Move("rolling_back", st.step, dict(ALL_STABLE), reason, evidence, detail={"final": final})


def judge(plan: RolloutConfig, st: RolloutState, analysis: Analysis, now: float) -> Move | None:
    """The controller's decision in a judged state (shadow or a step); None: keep waiting."""
    evidence = {"analysis": analysis.to_dict()}
    where = "shadow phase" if st.state == "shadow" else f"step {st.step + 1}"
    if analysis.verdict == "critical":
        return rollback(st, f"{where}: critical: {analysis.reason}", evidence)
    if now < float(st.detail.get("judge_at", 0.0)):
        return None
    if analysis.verdict == "fail":
        return rollback(st, f"{where}: {analysis.reason}", evidence)
    if analysis.verdict == "pass":
        nxt = st.step + 1
        gate = st.state == "step" and plan.steps[st.step].pause
        label = "promotion" if nxt >= len(plan.steps) or plan.steps[nxt].weight >= 100 else f"step {nxt + 1}"
        if gate:
            return Move("paused", st.step, st.weights, f"{where} passed ({analysis.reason}); manual gate before {label}",
                        evidence, detail={"resume_to": nxt, "paused_from": st.state, "paused_reason": "manual gate"})
        return _from(enter_step(plan, nxt, now, f"{where} passed ({analysis.reason}); {label}", evidence), st)
    ext = int(st.detail.get("extensions", 0))
    if ext < plan.analysis.max_extensions:
        detail = {**st.detail, "extensions": ext + 1, "judge_at": now + step_length(plan, st.step)}
        return Move(st.state, st.step, st.weights,
                    f"{where} extended ({ext + 1}/{plan.analysis.max_extensions}): {analysis.reason}", evidence, detail)
    return Move("paused", st.step, st.weights,
                f"{where} paused for a human after {ext} extension(s): {analysis.reason}", evidence,
                detail={"resume_to": st.step, "paused_from": st.state, "paused_reason": analysis.reason})


def command(plan: RolloutConfig, st: RolloutState, action: str, now: float, reason: str = "") -> Move:
    """A human command (pause, resume, promote, abort); :class:`TransitionRefused` when the
    state does not allow it."""
    why = f": {reason}" if reason else ""
    if st.state in TERMINAL:
        raise TransitionRefused(f"rollout {st.name} is {st.state}; {action} refused (nothing changed)")
    if action == "pause":
        if st.state not in ("pending", "shadow", "step"):
            raise TransitionRefused(f"rollout {st.name} is {st.state}; only a running rollout can be paused")
        return Move("paused", st.step, st.weights, f"paused by a human{why}",
                    detail={"resume_to": st.step if st.state != "pending" else None, "paused_from": st.state,
                            "paused_reason": reason or "paused by a human"})
    if action == "resume":
        if st.state != "paused":
            raise TransitionRefused(f"rollout {st.name} is {st.state}, not paused; resume refused")
        target, origin = st.detail.get("resume_to"), st.detail.get("paused_from")
        if origin == "promoting":  # the registry refused the promotion: try again
            return _from(Move("promoting", st.step, dict(ALL_CANARY), f"resumed{why}; promotion retried"), st)
        if target is None:
            m = start(plan, now)
            return Move(m.to_state, m.to_step, m.weights, f"resumed{why}; {m.reason}", detail=m.detail, new_window=True)
        if target == st.step and origin in JUDGED:  # same step: keep its data, judge again later
            return Move(origin, st.step, st.weights, f"resumed{why}",
                        detail={"extensions": 0, "judge_at": now + step_length(plan, st.step)})
        return _from(enter_step(plan, int(target), now, f"resumed{why}"), st)
    if action == "promote":
        if st.state in ("rolling_back",):
            raise TransitionRefused(f"rollout {st.name} is rolling back; promote refused (nothing changed)")
        if st.state == "promoting":
            raise TransitionRefused(f"rollout {st.name} is already promoting")
        return _from(Move("promoting", st.step, dict(ALL_CANARY), f"promoted by a human{why}"), st)
    if action == "abort":
        if st.state == "rolling_back":
            raise TransitionRefused(f"rollout {st.name} is already rolling back")
        return rollback(st, f"aborted by a human{why}", {}, final="aborted")
    raise TransitionRefused(f"unknown command {action!r}: expected pause, resume, promote or abort")
