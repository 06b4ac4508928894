"""Simulated traffic driving the real controller and the real registry database: a clock
the test advances, signals synthesised per tick from the weights the controller set."""

from __future__ import annotations

from typing import Any

import numpy as np

from bouclier.rollout.controller import Controller
from bouclier.rollout.ledger import RolloutLedger
from bouclier.rollout.plan import RolloutConfig
from bouclier.rollout.promotion import PromotionPolicy
from bouclier.rollout.simulation import Behaviour, synthesise

GATE_DIGEST = "digest-of-the-gate-config"
POLICY = PromotionPolicy(config_digest=GATE_DIGEST)


class MemorySignals:
    """The read side of a SignalStore, in memory."""

    def __init__(self) -> None:
        self.signals: list = []
        self.fb: list = []

    def window(self, *, rollout_id, variant=None, since=None, until=None, kinds=("primary",),
               include_forced=False, epoch=None):
        return [s for s in self.signals if s.rollout_id == rollout_id and (variant is None or s.variant == variant)
                and s.kind in kinds and (since is None or s.ts >= since) and (until is None or s.ts < until)]

    def feedback(self, *, rollout_id, variant=None, since=None, until=None):
        return [f for f in self.fb if f.rollout_id == rollout_id and (variant is None or f.variant == variant)
                and (since is None or f.ts >= since) and (until is None or f.ts < until)]


class RecordingTraffic:
    def __init__(self) -> None:
        self.current = {"stable": 100.0, "canary": 0.0}
        self.shadow = 0.0
        self.changes: list[dict[str, float]] = []

    def weights(self):
        return dict(self.current)

    def set_weights(self, weights, *, reason):
        self.current = dict(weights)
        self.changes.append(dict(weights))

    def set_shadow(self, share):
        self.shadow = share


class Clock:
    def __init__(self, t: float = 1_700_000_000.0):
        self.t = t

    def __call__(self) -> float:
        return self.t


def plan(**overrides: Any) -> RolloutConfig:
    data: dict[str, Any] = {
        "model": "clf", "rollout_id": "sim", "interval_s": 10,
        "steps": [{"weight": 5, "min_duration_s": 60, "min_requests": 300},
                  {"weight": 25, "min_duration_s": 60, "min_requests": 1000},
                  {"weight": 50, "min_duration_s": 60, "min_requests": 1000},
                  {"weight": 100}],
    }
    data.update(overrides)
    return RolloutConfig.model_validate(data)


def gate_result(run_id: str, verdict: str = "PASS", config_digest: str = GATE_DIGEST) -> dict[str, Any]:
    """The keys of a ``bouclier check`` result.json that the registry records."""
    return {"schema_version": "1", "run_id": run_id, "verdict": verdict, "config_digest": config_digest,
            "criteria": [{"name": "quality/accuracy", "verdict": verdict, "reason": "paired bootstrap"}]}


def seed_registry(reg, *, gate: str | None = "PASS") -> None:
    """clf@v1 in production, clf@v2 registered and (unless ``gate`` is None) gated against it."""
    reg.register_model_version("clf", "v1")
    reg.register_model_version("clf", "v2")
    reg.set_alias("clf", "production", "v1")
    if gate is not None:
        reg.record_gate_run(result=gate_result(f"gate-v2-{gate.lower()}", gate), baseline=("clf", "production"),
                            candidate=("clf", "v2"))


class Simulation:
    def __init__(self, reg, plan: RolloutConfig, *, canary: Behaviour, stable: Behaviour = Behaviour(),
                 rate: float = 100.0, seed: int = 0, name: str = "sim", policy: PromotionPolicy = POLICY):
        self.rng = np.random.default_rng(seed)
        self.clock = Clock()
        self.signals = MemorySignals()
        self.traffic = RecordingTraffic()
        self.ledger = RolloutLedger(reg)
        self.plan = plan
        self.behaviour = {"stable": stable, "canary": canary}
        self.rate = rate
        st = self.ledger.create(model="clf", canary="v2", name=name, plan=plan.model_dump(mode="json"), actor="tester",
                                policy=policy)
        self.controller = Controller(ledger=self.ledger, rollout=st.id, plan=plan, signals=self.signals,
                                     traffic=self.traffic, policy=policy, owner="sim-controller", clock=self.clock)
        self.history: list = []

    def advance(self, seconds: float) -> None:
        t0, t1 = self.clock.t, self.clock.t + seconds
        n = int(self.rng.poisson(self.rate * seconds))
        w = self.traffic.current
        n_canary = int(self.rng.binomial(n, w["canary"] / 100.0))
        for variant, k in (("stable", n - n_canary), ("canary", n_canary)):
            s, f = synthesise(rng=self.rng, rollout_id=self.plan.rollout_id, variant=variant, n=k,
                              behaviour=self.behaviour[variant], start=t0, end=t1)
            self.signals.signals += s
            self.signals.fb += f
        self.clock.t = t1

    def run(self, max_ticks: int = 200):
        self.controller.acquire()
        for _ in range(max_ticks):
            st = self.controller.tick()
            self.history.append((self.clock.t, st.state, st.step, dict(st.weights)))
            if st.state in ("promoted", "rolled_back", "aborted", "paused"):
                return st
            self.advance(self.plan.interval_s)
        return st
