"""A router that stays unreachable: the controller retries for ``traffic.unreachable_s``,
then stops with an infrastructure error (exit 4), leaving the rollout where it was."""

import pytest

from bouclier.errors import InfrastructureError
from bouclier.rollout.controller import Controller
from bouclier.rollout.ledger import RolloutLedger
from bouclier.rollout.traffic import AdminApiTraffic
from tests.rollout.apps import dead_url
from tests.rollout_controller.sim import POLICY, Clock, MemorySignals, plan, seed_registry


def test_the_controller_gives_up_on_a_dead_router_and_leaves_the_state(registry):
    seed_registry(registry)
    p = plan(traffic={"admin_url": dead_url(), "unreachable_s": 60})
    ledger = RolloutLedger(registry)
    st = ledger.create(model="clf", canary="v2", name="sim", plan=p.model_dump(mode="json"), actor="t", policy=POLICY)
    clock = Clock()
    traffic = AdminApiTraffic(p.traffic.admin_url, "token-not-used-0123456789", timeout_s=1)
    controller = Controller(ledger=ledger, rollout=st.id, plan=p, signals=MemorySignals(), traffic=traffic,
                            policy=POLICY, owner="ctl", clock=clock)
    slept = []

    def sleep(s: float) -> None:
        slept.append(s)
        clock.t += s

    with pytest.raises(InfrastructureError, match="unreachable for 60 s"):
        controller.run(sleep=sleep)
    traffic.close()
    assert len(slept) == 6  # retried every interval_s (10 s) for 60 s
    after = ledger.get(st.id)
    assert (after.state, after.step, after.revision) == (st.state, st.step, st.revision)  # nothing moved
    ledger.acquire(st.id, "another-controller", ttl_s=30, now=clock.t)  # the lease was released
