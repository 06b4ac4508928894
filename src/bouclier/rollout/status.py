"""What `bouclier rollout status` shows: step, weights, time in step, the latest analysis
per metric (stable against canary) with its score, and what the controller is waiting for."""

from __future__ import annotations

from typing import Any

from bouclier.rollout.decision import TERMINAL, RolloutState


def _needs(st: RolloutState) -> int | None:
    """Requests per variant the current step (or shadow phase) needs before it is judged."""
    plan = st.plan
    if st.state == "shadow":
        return (plan.get("shadow") or {}).get("min_requests")
    steps = plan.get("steps") or []
    return steps[st.step].get("min_requests") if 0 <= st.step < len(steps) else None


def waiting_for(st: RolloutState, now: float) -> str:
    d = st.detail
    if st.state in TERMINAL:
        return "nothing: the rollout is finished"
    if st.state == "pending":
        return "a controller to start it (`bouclier rollout start`)"
    if st.state == "paused":
        return f"a human: {d.get('paused_reason', 'paused')} (`bouclier rollout resume|promote|abort`)"
    if st.state == "promoting":
        return ("the controller to check the registry's promotion policy, send all traffic to the canary and "
                "move the production alias")
    if st.state == "rolling_back":
        return "the controller to send all traffic back to stable"
    last = d.get("last_analysis") or {}
    due = d.get("judge_at")
    max_ext = (st.plan.get("analysis") or {}).get("max_extensions")
    ext = f"extension {d.get('extensions', 0)}" + (f"/{max_ext}" if max_ext is not None else "")
    parts = [(f"judgement in {max(0.0, due - now):.0f}s" if due else "judgement") + f" ({ext})"]
    need = _needs(st)
    if need:
        have = (f", {last.get('stable_requests')} stable / {last.get('canary_requests')} canary so far"
                if last else "")
        parts.append(f"at least {need} requests per variant{have}")
    if last:
        parts.append(f"latest look: {last.get('verdict')} ({last.get('reason')})")
    return "; ".join(parts)


def describe(st: RolloutState, *, now: float) -> dict[str, Any]:
    last = st.detail.get("last_analysis")
    alive = st.lease_owner if st.lease_expires_at and st.lease_expires_at > now else None
    return {
        "rollout": st.name, "id": st.id, "model": st.model, "stable": st.stable, "canary": st.canary,
        "state": st.state, "step": st.step + 1 if st.step >= 0 else None, "weights": st.weights,
        "time_in_step_s": round(now - st.step_started_at, 1) if st.step_started_at else None,
        "score": last.get("score") if last else None, "analysis": last,
        "analysed_at": st.detail.get("analysed_at") if last else None,
        "waiting_for": waiting_for(st, now), "controller": alive,
    }


def _num(v: Any) -> str:
    return "-" if v is None else f"{v:.4g}"


def render_text(d: dict[str, Any]) -> str:
    if d["state"] == "step":
        where = f"step {d['step']}"
    else:
        where = d["state"] + (f" (at step {d['step']})" if d["step"] else "")
    lines = [f"rollout {d['rollout']} (#{d['id']}): {d['model']}@{d['canary']} against {d['stable']}",
             f"  state: {where}; weights stable {d['weights']['stable']:g}% / "
             f"canary {d['weights']['canary']:g}%"
             + (f"; {d['time_in_step_s']:.0f}s in step" if d["time_in_step_s"] is not None else ""),
             f"  controller: {d['controller'] or 'none running'}", f"  waiting for: {d['waiting_for']}"]
    a = d.get("analysis")
    if a:
        score = "-" if a["score"] is None else f"{a['score']:g}"
        lines.append(f"  score {score} ({a['verdict']}) on {a['stable_requests']} stable / "
                     f"{a['canary_requests']} canary requests")
        lines.append(f"    {'metric':<24} {'status':<7} {'stable':>10} {'canary':>10}  comparison")
        for m in a["metrics"].values():
            lines.append(f"    {m['name']:<24} {m['status']:<7} {_num(m['stable_value']):>10} "
                         f"{_num(m['canary_value']):>10}  {m['reason']}")
    return "\n".join(lines)
