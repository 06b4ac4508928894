"""The real controller, analysis and registry database on simulated traffic (seeded)."""

from __future__ import annotations

import math

import pytest

from bouclier.rollout.simulation import Behaviour

from .sim import Simulation, plan, seed_registry


def transitions(sim):
    return [(t["to_state"], t["to_step"]) for t in sim.ledger.transitions(sim.controller.rollout)]


def test_equal_canary_is_promoted_through_every_step(registry):
    seed_registry(registry)
    sim = Simulation(registry, plan(), canary=Behaviour(), rate=150, seed=1)
    st = sim.run()
    assert st.state == "promoted", sim.ledger.transitions(st.id)[-1]["reason"]
    assert transitions(sim) == [("step", 0), ("step", 1), ("step", 2), ("promoting", 3), ("promoted", 3)]
    assert [c["canary"] for c in sim.traffic.changes] == [5.0, 25.0, 50.0, 100.0]
    assert registry.resolve("clf", "production").label == "v2"
    assert registry.get_version("clf", "v1").stage == "deprecated"


@pytest.mark.parametrize("canary, expected", [
    (Behaviour(error_rate=0.03), "error_rate"),
    (Behaviour(latency_median_ms=560.0), "latency"),  # every quantile x1.4: p95 +40%
])
def test_regression_is_rolled_back_at_the_first_judgement_with_enough_data(registry, canary, expected):
    seed_registry(registry)
    p = plan(steps=[{"weight": 25, "min_duration_s": 60, "min_requests": 1000},
                    {"weight": 50, "min_duration_s": 60, "min_requests": 1000}, {"weight": 100}])
    sim = Simulation(registry, p, canary=canary, rate=150, seed=3)
    st = sim.run()
    assert st.state == "rolled_back"
    trail = sim.ledger.transitions(st.id)
    assert [t["to_state"] for t in trail] == ["step", "rolling_back", "rolled_back"]
    judged = trail[1]
    assert expected in judged["reason"]
    # judged at the step's first judgement time (60 s), the first moment it had enough data
    assert judged["at"] - trail[0]["at"] == pytest.approx(60, abs=10)
    assert judged["evidence"]["analysis"]["metrics"][expected]["status"] == "High"
    assert sim.traffic.current == {"stable": 100.0, "canary": 0.0}
    assert registry.resolve("clf", "production").label == "v1"


def test_single_secret_leak_rolls_back_before_the_step_is_due(registry):
    seed_registry(registry)
    sim = Simulation(registry, plan(), canary=Behaviour(leaks=1), seed=4)
    st = sim.run()
    trail = sim.ledger.transitions(st.id)
    assert st.state == "rolled_back"
    assert "critical" in trail[1]["reason"] and "secret_leak" in trail[1]["reason"]
    assert trail[1]["at"] - trail[0]["at"] <= sim.plan.interval_s  # at the next look, not at 60 s


def test_very_low_traffic_extends_then_pauses_without_judging_on_noise(registry):
    seed_registry(registry)
    sim = Simulation(registry, plan(), canary=Behaviour(error_rate=0.05, latency_median_ms=600.0), rate=0.5, seed=5)
    st = sim.run()
    assert st.state == "paused"
    trail = sim.ledger.transitions(st.id)
    assert [t["to_state"] for t in trail] == ["step", "step", "step", "paused"]
    assert "extended (1/2)" in trail[1]["reason"] and "extended (2/2)" in trail[2]["reason"]
    assert "requests" in trail[3]["reason"] and "per variant needed" in trail[3]["reason"]
    assert sim.traffic.current["canary"] == 5.0  # neither promoted nor rolled back
    assert registry.resolve("clf", "production").label == "v1"


TAIL_PLAN = dict(
    interval_s=30,  # fewer looks: each runs a bootstrap
    steps=[{"weight": 25, "min_duration_s": 60, "min_requests": 1000},
           {"weight": 50, "min_duration_s": 60, "min_requests": 1000}, {"weight": 100}],
    analysis={"metrics": [
        {"name": "error_rate", "weight": 30, "allowed_increase": 0.002, "required": True},
        {"name": "latency", "weight": 30, "allowed_increase": 0.1, "required": True},
        {"name": "latency", "statistic": "p95", "weight": 40, "allowed_increase": 0.1, "required": True,
         "min_samples": 200},
    ]})
# lognormal latency: p95 = median * exp(1.645 sigma); sigma 0.5 -> 0.7047 makes p95 x1.40, median unchanged
TAIL_SIGMA = 0.5 + math.log(1.4) / 1.645


def test_tail_latency_regression_with_the_same_median_is_rolled_back(registry):
    seed_registry(registry)
    sim = Simulation(registry, plan(**TAIL_PLAN), canary=Behaviour(latency_sigma=TAIL_SIGMA), rate=100, seed=6)
    st = sim.run()
    trail = sim.ledger.transitions(st.id)
    assert [t["to_state"] for t in trail] == ["step", "rolling_back", "rolled_back"], trail[-1]["reason"]
    judged = trail[1]
    assert judged["at"] - trail[0]["at"] == pytest.approx(60, abs=10)  # the first judgement with enough data
    metrics = judged["evidence"]["analysis"]["metrics"]
    assert metrics["latency_p95"]["status"] == "High" and "latency_p95 High" in judged["reason"]
    assert metrics["latency"]["status"] == "Pass"  # the median test alone would have promoted it
    assert 0.25 < metrics["latency_p95"]["shift"] < 0.6
    assert registry.resolve("clf", "production").label == "v1"


def test_identical_canary_is_not_rolled_back_by_the_tail_metric(registry):
    seed_registry(registry)
    sim = Simulation(registry, plan(**TAIL_PLAN), canary=Behaviour(), rate=100, seed=7)
    st = sim.run()
    assert st.state == "promoted", sim.ledger.transitions(st.id)[-1]["reason"]
    last = [t for t in sim.ledger.transitions(st.id) if t["evidence"].get("analysis")][-1]
    assert last["evidence"]["analysis"]["metrics"]["latency_p95"]["status"] == "Pass"
