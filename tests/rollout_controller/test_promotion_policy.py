"""A rollout obeys the registry's promotion policy: a recorded gate PASS of the canary
against production on the gate config's digest, and the required approvals. Checked when
the rollout is created (refused up front, nothing written) and in the promoting
transaction (refused: paused for a human at the weights it had, production unchanged)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from bouclier.audit.trail import log
from bouclier.rollout.decision import command
from bouclier.rollout.ledger import RolloutLedger
from bouclier.rollout.promotion import PromotionPolicy, RolloutRefused
from bouclier.rollout.simulation import Behaviour

from .sim import GATE_DIGEST, POLICY, Simulation, gate_result, plan, seed_registry


def rows(reg) -> tuple[int, int, int]:
    with reg.engine.connect() as conn:
        return tuple(conn.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one()
                     for t in ("rollout", "rollout_transition", "audit_event"))


@pytest.mark.parametrize("gate, policy, words", [
    (None, POLICY, "no recorded gate run of clf@v2 against production clf@v1"),
    ("FAIL", POLICY, "the latest gate run of clf@v2 against production clf@v1 on config digest-of-th is FAIL"),
    ("PASS", PromotionPolicy(config_digest="another-config"), "was gated against production clf@v1 only on config"),
    ("PASS", PromotionPolicy(), "no config digest given"),
    ("PASS", PromotionPolicy(config_digest=GATE_DIGEST, required_approvals=2),
     "the policy requires 2 distinct approver(s), it has 0"),
])
def test_a_rollout_that_could_never_be_promoted_is_refused_up_front(registry, gate, policy, words):
    seed_registry(registry, gate=gate)
    before = rows(registry)
    with pytest.raises(RolloutRefused) as err:
        RolloutLedger(registry).create(model="clf", canary="v2", name="r", plan=plan().model_dump(mode="json"),
                                       actor="t", policy=policy)
    assert "rollout of clf@v2 not started: it could not be promoted" in str(err.value)
    assert words in str(err.value) and "--override" not in str(err.value)
    assert err.value.exit_code == 2
    assert rows(registry) == before  # nothing written


def test_created_with_the_evidence_and_approvals_records_the_policy(registry):
    seed_registry(registry)
    registry.approve("clf", "v2", actor="alice")
    policy = PromotionPolicy(config_digest=GATE_DIGEST, required_approvals=1, source="bouclier.yaml")
    RolloutLedger(registry).create(model="clf", canary="v2", name="r", plan=plan().model_dump(mode="json"),
                                   actor="t", policy=policy)
    created = log(registry, kind="rollout.created")[-1]
    assert created.payload["policy"] == {"config_digest": GATE_DIGEST, "required_approvals": 1,
                                         "source": "bouclier.yaml", "gate_run": "gate-v2-pass"}


def test_refused_at_promotion_pauses_for_a_human_then_promotes_once_approved(registry):
    seed_registry(registry)
    # created under the policy of the day; the controller then runs with a stricter one
    # (policy.required_approvals raised in bouclier.yaml before it was restarted)
    stricter = PromotionPolicy(config_digest=GATE_DIGEST, required_approvals=1)
    sim = Simulation(registry, plan(), canary=Behaviour(), rate=150, seed=1)
    sim.controller.policy = stricter
    st = sim.run()
    assert st.state == "paused"
    last = sim.ledger.transitions(st.id)[-1]
    assert last["from_state"] == "promoting"
    assert "promotion refused by the registry's policy" in last["reason"]
    assert "requires 1 distinct approver(s), it has 0" in last["reason"]
    assert "bouclier registry approve clf v2" in st.detail["paused_reason"]
    # held at the last step's weights; all traffic never went to the canary
    assert st.weights == {"stable": 50.0, "canary": 50.0} and sim.traffic.current == st.weights
    assert 100.0 not in [c["canary"] for c in sim.traffic.changes]
    assert registry.resolve("clf", "production").label == "v1"

    # resuming without the approval: promoting, refused again, paused again
    st = sim.ledger.apply(st, command(sim.plan, st, "resume", sim.clock.t), actor="bob", now=sim.clock.t)
    assert st.state == "promoting"
    st = sim.controller.tick()
    assert st.state == "paused" and registry.resolve("clf", "production").label == "v1"

    registry.approve("clf", "v2", actor="alice")
    st = sim.ledger.apply(st, command(sim.plan, st, "resume", sim.clock.t), actor="bob", now=sim.clock.t)
    st = sim.controller.tick()
    assert st.state == "promoted"
    assert registry.resolve("clf", "production").label == "v2"
    promoted = log(registry, kind="version.promoted")[-1]
    assert promoted.payload["approvers"] == ["alice"] and promoted.payload["gate_run"] == "gate-v2-pass"
    assert promoted.payload["rollout"] == "sim"


def test_production_moved_during_the_rollout_refuses_the_promotion(registry):
    seed_registry(registry)
    sim = Simulation(registry, plan(steps=[{"weight": 50, "min_duration_s": 60, "min_requests": 300},
                                           {"weight": 100}]), canary=Behaviour(), rate=150, seed=2)
    sim.controller.acquire()
    sim.controller.tick()  # step 1
    # meanwhile someone promotes another version: v2's PASS was against v1, not v3
    registry.register_model_version("clf", "v3")
    registry.record_gate_run(result=gate_result("gate-v3", "PASS"), baseline=("clf", "production"),
                             candidate=("clf", "v3"))
    registry.promote("clf", "v3", config_digest=GATE_DIGEST)
    st = sim.run()
    assert st.state == "paused", sim.ledger.transitions(st.id)[-1]["reason"]
    assert "no recorded gate run of clf@v2 against production clf@v3" in st.detail["paused_reason"]
    assert registry.resolve("clf", "production").label == "v3"
