"""False rollback rate of the rollout controller's decision on identical canaries.

Many simulated rollouts whose canary behaves exactly like stable (same error, timeout,
refusal and feedback rates, same latency distribution), each with its own fixed seed,
driven through the real decision: :func:`bouclier.rollout.analysis.analyse` at every
judgement of a step (its minimum duration, then each extension) on all the step's data so
far, and :func:`bouclier.rollout.decision.judge` for the move, at the level the
controller uses (``false_rollback_rate / planned_analyses``). Between judgements an
identical canary with no leaks cannot trigger a critical rollback (no secret; its error
rate is far below the ceiling), so looking only at judgement times is what the controller
decides. Any rollback is a false one. Reports the rate with its 95% Wilson interval
against the nominal ``false_rollback_rate``, and how many rollouts were promoted or
paused for a human.

Run: PYTHONPATH=src python benchmarks/rollout_false_rollback.py [--rollouts 400] [--rate 20] [--tail]
(--tail adds a p95 latency metric judged by the bootstrap quantile ratio).
"""

from __future__ import annotations

import argparse
import dataclasses
import time

import numpy as np

from bouclier.rollout.analysis import analyse
from bouclier.rollout.decision import ALL_STABLE, RolloutState, judge, start
from bouclier.rollout.plan import RolloutConfig
from bouclier.rollout.simulation import Behaviour, synthesise
from bouclier.stats import wilson_interval

BEHAVIOUR = Behaviour(error_rate=0.02, timeout_rate=0.002, refusal_rate=0.05)


def make_plan(tail: bool) -> RolloutConfig:
    data: dict = {"model": "clf", "rollout_id": "aa"}  # default steps 5/25/50/100, 300 s, 200 requests
    if tail:
        defaults = RolloutConfig(model="clf", rollout_id="aa").analysis.model_dump()["metrics"]
        data["analysis"] = {"metrics": defaults + [
            {"name": "latency", "statistic": "p95", "weight": 30, "allowed_increase": 0.1, "min_samples": 200}]}
    return RolloutConfig.model_validate(data)


def one_rollout(plan: RolloutConfig, *, seed: int, rate: float) -> tuple[str, int]:
    """(outcome, judgements) of one identical canary: rolled_back, promoting or paused."""
    rng = np.random.default_rng(seed)
    alpha = plan.analysis.false_rollback_rate / plan.planned_analyses
    now = 0.0
    st = RolloutState(id=1, name="aa", model="clf", stable="v1", canary="v2", state="pending", step=-1,
                      weights=dict(ALL_STABLE), revision=0, step_started_at=None, detail={}, plan={})
    move = start(plan, now)
    window: dict[str, list] = {"stable": [], "canary": [], "stable_fb": [], "canary_fb": []}
    looks = 0
    while True:
        st = dataclasses.replace(st, state=move.to_state, step=move.to_step, weights=move.weights,
                                 detail=dict(move.detail))
        if move.new_window:
            window = {k: [] for k in window}
        if st.state not in ("step", "shadow"):
            return ("rolled_back" if st.state == "rolling_back" else st.state), looks
        due = float(st.detail["judge_at"])
        n = int(rng.poisson(rate * (due - now)))
        n_canary = int(rng.binomial(n, st.weights["canary"] / 100.0))
        for variant, k in (("stable", n - n_canary), ("canary", n_canary)):
            s, f = synthesise(rng=rng, rollout_id="aa", variant=variant, n=k, behaviour=BEHAVIOUR, start=now, end=due)
            window[variant] += s
            window[variant + "_fb"] += f
        now = due
        step = plan.steps[st.step]
        analysis = analyse(stable=window["stable"], canary=window["canary"], config=plan.analysis, alpha=alpha,
                           stable_feedback=window["stable_fb"], canary_feedback=window["canary_fb"],
                           metrics=step.metrics, min_requests=step.min_requests)
        looks += 1
        move = judge(plan, st, analysis, now)
        assert move is not None  # judged at its due time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rollouts", type=int, default=400)
    parser.add_argument("--rate", type=float, default=20.0, help="requests per second (both variants)")
    parser.add_argument("--tail", action="store_true", help="add latency p95 (bootstrap quantile ratio)")
    parser.add_argument("--seed", type=int, default=20261126, help="rollout i uses seed + i")
    args = parser.parse_args()
    plan = make_plan(args.tail)
    t0 = time.perf_counter()
    outcomes: dict[str, int] = {"rolled_back": 0, "promoting": 0, "paused": 0}
    looks = 0
    for i in range(args.rollouts):
        outcome, k = one_rollout(plan, seed=args.seed + i, rate=args.rate)
        outcomes[outcome] += 1
        looks += k
    seconds = time.perf_counter() - t0
    nominal = plan.analysis.false_rollback_rate
    fb = outcomes["rolled_back"]
    ci = wilson_interval(successes=fb, n=args.rollouts, confidence=0.95)
    metrics = ", ".join(m.key for m in plan.analysis.metrics)
    print(f"plan: steps {[s.weight for s in plan.steps]} ({plan.steps[0].min_duration_s:g} s, "
          f"{plan.steps[0].min_requests} requests per variant), max_extensions {plan.analysis.max_extensions}, "
          f"{plan.planned_analyses} planned analyses, alpha per look {nominal / plan.planned_analyses:.4g}")
    print(f"metrics: {metrics}")
    print(f"traffic: {args.rate:g} requests/s; identical canary {BEHAVIOUR}")
    print(f"rollouts: {args.rollouts} (seeds {args.seed}..{args.seed + args.rollouts - 1}), "
          f"{looks} judgements, {seconds:.0f} s")
    print(f"false rollbacks: {fb}/{args.rollouts} = {fb / args.rollouts:.2%}, 95% Wilson "
          f"[{ci.low:.2%}, {ci.high:.2%}]; nominal false_rollback_rate {nominal:.0%}: "
          f"{'within' if ci.low <= nominal else 'ABOVE'} nominal")
    print(f"promoted: {outcomes['promoting']}, paused for a human: {outcomes['paused']}")


if __name__ == "__main__":
    main()
