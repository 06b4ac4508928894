"""What `bouclier rollout status` shows: step, weights, time in step, the latest analysis
per metric with its score, and what the controller is waiting for."""

from __future__ import annotations

from typing import Any

from bouclier.rollout.decision import RolloutState, TERMINAL


def waiting_for(st: RolloutState, now: float) -> str:
    d = st.detail
    if st.state in TERMINAL:
        return "nothing: the rollout is finished"
    if st.state == "pending":
        return "a controller to start it (`bouclier rollout start`)"
    if st.state == "paused":
        return f"a human: {d.get('paused_reason', 'paused')} (`bouclier rollout resume|promote|abort`)"
    if st.state == "promoting":
        return "the controller to send all traffic to the canary and move the production alias"
    if st.state == "rolling_back":
        return "the controller to send all traffic back to stable"
    last = d.get("last_analysis") or {}
    due = d.get("judge_at")
    when = f"judgement in {max(0.0, due - now):.0f}s" if due else "judgement"
    extra = f"; latest look: {last.get('verdict')} ({last.get('reason')})" if last else ""
    return f"{when} (extension {d.get('extensions', 0)}){extra}"


def describe(st: RolloutState, *, now: float) -> dict[str, Any]:
    last = st.detail.get("last_analysis")
    return {
        "rollout": st.name, "id": st.id, "model": st.model, "stable": st.stable, "canary": st.canary,
        "state": st.state, "step": st.step + 1 if st.step >= 0 else None, "weights": st.weights,
        "time_in_step_s": round(now - st.step_started_at, 1) if st.step_started_at else None,
        "score": last.get("score") if last else None, "analysis": last, "waiting_for": waiting_for(st, now),
        "controller": st.lease_owner if st.lease_expires_at and st.lease_expires_at > now else None,
    }


def render_text(d: dict[str, Any]) -> str:
    lines = [f"rollout {d['rollout']} (#{d['id']}): {d['model']}@{d['canary']} against {d['stable']}",
             f"  state: {d['state']}" + (f", step {d['step']}" if d['step'] else "")
             + f"; weights stable {d['weights']['stable']:g}% / canary {d['weights']['canary']:g}%"
             + (f"; {d['time_in_step_s']:.0f}s in step" if d['time_in_step_s'] is not None else ""),
             f"  controller: {d['controller'] or 'none'}", f"  waiting for: {d['waiting_for']}"]
    a = d.get("analysis")
    if a:
        lines.append(f"  score {a['score']} ({a['verdict']}): {a['stable_requests']} stable / "
                     f"{a['canary_requests']} canary requests")
        for m in a["metrics"].values():
            lines.append(f"    {m['name']:<24} {m['status']:<7} {m['reason']}")
    return "\n".join(lines)
