"""The shadow phase end to end on 127.0.0.1: the controller turns mirroring on at the real
router, clients get stable's answers only, the canary's mirrored answers are judged against
stable's answers to the same requests, then step 1 (healthy canary) or a rollback
(failing canary) — with no client ever served by the canary during the shadow phase."""

from __future__ import annotations

import threading
import time

import httpx
import pytest

from bouclier.rollout.controller import Controller
from bouclier.rollout.ledger import RolloutLedger
from bouclier.rollout.plan import RolloutConfig
from bouclier.rollout.traffic import AdminApiTraffic
from tests.rollout.harness import TOKEN, chat, router_config, serve_router
from tests.servers.fixtures import serve_app

from .sim import POLICY, seed_registry
from .test_end_to_end import upstream


def drive(url: str, stop: threading.Event, answers: list) -> None:
    with httpx.Client(timeout=5) as client:
        i = 0
        while not stop.is_set():
            i += 1
            try:
                r = client.post(url + "/v1/chat/completions", json=chat(f"q{i}"), headers={"X-User-Id": f"u{i}"})
                answers.append((r.status_code, r.json()["choices"][0]["message"]["content"] if r.status_code == 200
                                else r.text))
            except httpx.HTTPError:
                pass


@pytest.mark.parametrize("fail_every, expected", [(0, "step"), (3, "rolled_back")])
def test_shadow_phase_then_step_one_or_rollback(registry, tmp_path, fail_every, expected):
    seed_registry(registry)
    plan = RolloutConfig.model_validate({
        "model": "clf", "rollout_id": "test", "interval_s": 0.3, "lease_s": 10,
        "shadow": {"share": 50, "min_duration_s": 1.5, "min_requests": 30},
        "steps": [{"weight": 20, "min_duration_s": 600, "min_requests": 25}, {"weight": 100}],
        "analysis": {"metrics": [{"name": "error_rate", "weight": 50, "allowed_increase": 0.01, "required": True,
                                  "min_samples": 30},
                                 {"name": "latency", "weight": 50, "allowed_increase": 1.0, "min_samples": 30}]},
    })
    with serve_app(upstream("stable")) as stable, serve_app(upstream("canary", fail_every=fail_every)) as canary:
        cfg = router_config(stable, canary, tmp_path, weights={"stable": 100, "canary": 0},
                            shadow={"mirror_paths": ["/v1/chat/completions"], "max_per_minute": 100_000})
        with serve_router(cfg) as (url, router):
            stop, answers = threading.Event(), []
            load = threading.Thread(target=drive, args=(url, stop, answers), daemon=True)
            load.start()
            ledger = RolloutLedger(registry)
            st = ledger.create(model="clf", canary="v2", name="test", plan=plan.model_dump(mode="json"), actor="t",
                               policy=POLICY)
            traffic = AdminApiTraffic(url, TOKEN)
            ctl = Controller(ledger=ledger, rollout=st.id, plan=plan, signals=router.store, traffic=traffic,
                             policy=POLICY)
            shares = []
            try:
                ctl.acquire()
                deadline = time.monotonic() + 60
                while st.state in ("pending", "shadow") and time.monotonic() < deadline:
                    served_in_shadow = len(answers)  # answered before this look could change the weights
                    st = ctl.tick()
                    shares.append((st.state, router.shadow.share, dict(router.weights)))
                    time.sleep(plan.interval_s)
                after = (dict(router.weights), router.shadow.share)
            finally:
                stop.set()
                load.join(timeout=10)
                traffic.close()
    trail = ledger.transitions(st.id)
    assert [t["to_state"] for t in trail][:2] == ["shadow", "step" if expected == "step" else "rolling_back"]
    assert st.state == expected, trail[-1]["reason"]
    # while in shadow: mirroring on, no traffic on the canary, every client answered by stable
    in_shadow = [(share, w) for state, share, w in shares if state == "shadow"]
    assert in_shadow and all(share == 50 and w == {"stable": 100.0, "canary": 0.0} for share, w in in_shadow)
    assert served_in_shadow > 60
    assert all(code == 200 and text.startswith("stable ") for code, text in answers[:served_in_shadow])
    # the judged evidence: mirrored answers against stable's answers to the same requests
    a = trail[1]["evidence"]["analysis"]
    assert a["canary_requests"] == a["stable_requests"] >= 30
    mirrored = router.store.window(rollout_id="test", variant="canary", kinds=("shadow",))
    assert len(mirrored) >= a["canary_requests"] and all(s.pair_of for s in mirrored)
    if expected == "step":
        assert a["verdict"] == "pass" and "shadow phase passed" in trail[1]["reason"]
        assert after == ({"stable": 80.0, "canary": 20.0}, 0.0)  # step 1, mirroring off
    else:
        assert "shadow phase" in trail[1]["reason"] and "error_rate" in trail[1]["reason"]
        assert a["metrics"]["error_rate"]["canary_value"] > 0.2
        assert after == ({"stable": 100.0, "canary": 0.0}, 0.0)
        assert registry.resolve("clf", "production").label == "v1"
